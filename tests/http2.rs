//! The library over HTTP/2: against the emulator's TLS mode the library (reqwest, http2)
//! negotiates h2 by ALPN. Paging, $batch split into concurrent sub-batches, and retries
//! after throttling and 5xx all run over h2, asserted from the emulator's request log.

mod common;
use common::*;
use serde_json::{json, Value};

fn tls_emulator() -> (Emulator, std::path::PathBuf) {
    let emu = Emulator::start(Options { tls: true, ..Options::default() }).unwrap();
    let dir = std::env::temp_dir().join(unique("msgraph-h2"));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, emu.ca_pem().unwrap()).unwrap();
    (emu, ca)
}

fn versions(emu: &Emulator) -> Vec<String> {
    graph_requests(emu).into_iter().map(|r| r.http_version).collect()
}

#[test]
fn paging_batch_and_retries_run_over_h2() {
    let (emu, ca) = tls_emulator();
    let cred = credential(&emu, json!({"ca_file": ca.to_str().unwrap()}));
    // token request over h2 too
    assert_eq!(token_info(&cred, None).status, 200);
    assert!(emu.requests().iter().any(|r| r.path.contains("/oauth2/v2.0/token") && r.http_version == "HTTP/2.0"), "token over h2");

    // paging: every page over h2
    emu.clear_log();
    let g = request(&cred, "GET", "/users?$top=40", None, Some(r#"{"all_pages":true}"#));
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(g.json()["value"].as_array().unwrap().len(), 250);
    let v = versions(&emu);
    assert!(v.len() >= 7 && v.iter().all(|x| x == "HTTP/2.0"), "{v:?}");

    // $batch: 45 requests -> 3 sub-batches, all over h2
    let users = get_json(&cred, "/users?$top=45&$select=id");
    let reqs: Vec<Value> = users["value"].as_array().unwrap().iter().enumerate()
        .map(|(i, u)| json!({"id": format!("r{i}"), "method": "GET", "url": format!("/users/{}?$select=id", u["id"].as_str().unwrap())}))
        .collect();
    emu.clear_log();
    let g = batch(&cred, &Value::from(reqs).to_string(), None);
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(g.json()["responses"].as_array().unwrap().len(), 45);
    let v = versions(&emu);
    assert!(v.len() == 3 && v.iter().all(|x| x == "HTTP/2.0"), "{v:?}");

    // retries over h2: a 429 and a 503 before the answer
    emu.clear_log();
    emu.throttle_next(1, "0");
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, 200, "{}", g.body);
    emu.fail_next(1, 503, Some("0"));
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, 200, "{}", g.body);
    let log = graph_requests(&emu);
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 200, 503, 200]);
    assert!(log.iter().all(|r| r.http_version == "HTTP/2.0"));
    std::fs::remove_dir_all(ca.parent().unwrap()).ok();
}

#[test]
fn plain_http_stays_http1() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);
    assert!(versions(&emu).iter().all(|x| x == "HTTP/1.1"));
}

fn send_mail_body(subject: &str) -> String {
    json!({"message": {"subject": subject, "body": {"contentType": "Text", "content": "h2 fault test"},
        "toRecipients": [{"emailAddress": {"address": "someone@example.com"}}]}, "saveToSentItems": true}).to_string()
}

/// Requests for `path` (prefix match on path+query) in the emulator's log.
fn seen(emu: &Emulator, path: &str) -> Vec<msgraph_emulator::RecordedRequest> {
    graph_requests(emu).into_iter().filter(|r| r.path.starts_with(path)).collect()
}

/// A refused stream (RST_STREAM REFUSED_STREAM) and a GOAWAY in mid-call, on an idempotent GET:
/// the request was not processed, so it is sent again (on a new stream, or for GOAWAY a new
/// connection) and the call succeeds; the emulator's log shows every attempt.
#[test]
fn refused_stream_and_goaway_on_get_are_retried() {
    let (emu, ca) = tls_emulator();
    let cred = credential(&emu, json!({"ca_file": ca.to_str().unwrap()}));
    assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);

    // one refused stream: sent again on the same connection, new stream
    emu.clear_log();
    emu.refuse_streams_next(1);
    let g = request(&cred, "GET", "/users?$top=2", None, None);
    assert_eq!(g.status, 200, "{}", g.body);
    let log = seen(&emu, "/v1.0/users?$top=2");
    let faults: Vec<Option<&str>> = log.iter().map(|r| r.wire_fault.as_deref()).collect();
    assert_eq!(faults, vec![Some("refused_stream"), None], "{log:?}");
    assert_eq!(log.iter().map(|r| r.status).collect::<Vec<_>>(), vec![0, 200]);
    assert!(log.iter().all(|r| r.http_version == "HTTP/2.0"));
    assert_eq!(log[0].connection_id, log[1].connection_id, "a refused stream keeps the connection");

    // three refused streams in a row: two resends by the HTTP client (protocol NACKs), then the
    // library's own retry of an idempotent request after the transport error
    emu.clear_log();
    emu.refuse_streams_next(3);
    let g = request(&cred, "GET", "/users?$top=3", None, None);
    assert_eq!(g.status, 200, "{}", g.body);
    let log = seen(&emu, "/v1.0/users?$top=3");
    assert_eq!(log.iter().map(|r| r.status).collect::<Vec<_>>(), vec![0, 0, 0, 200], "{log:?}");

    // graceful GOAWAY after an answered stream: that answer arrives, the next request opens a
    // new connection
    emu.clear_log();
    let before = emu.stats();
    emu.goaway_next(1, false);
    assert_eq!(request(&cred, "GET", "/users?$top=4", None, None).status, 200);
    assert_eq!(request(&cred, "GET", "/users?$top=5", None, None).status, 200);
    let (a, b) = (seen(&emu, "/v1.0/users?$top=4"), seen(&emu, "/v1.0/users?$top=5"));
    assert_eq!((a.len(), b.len()), (1, 1), "{a:?} {b:?}");
    assert_eq!(a[0].wire_fault.as_deref(), Some("goaway"));
    assert_ne!(a[0].connection_id, b[0].connection_id, "after GOAWAY the client opens a new connection");
    let after = emu.stats();
    assert_eq!(after.goaways - before.goaways, 1);
    assert_eq!(after.connections - before.connections, 1, "exactly one new connection");

    // GOAWAY whose last-stream-id leaves this stream unprocessed: sent again on a new connection
    emu.clear_log();
    emu.goaway_next(1, true);
    let g = request(&cred, "GET", "/users?$top=6", None, None);
    assert_eq!(g.status, 200, "{}", g.body);
    let log = seen(&emu, "/v1.0/users?$top=6");
    assert_eq!(log.iter().map(|r| r.status).collect::<Vec<_>>(), vec![0, 200], "{log:?}");
    assert_eq!(log[0].wire_fault.as_deref(), Some("goaway_unprocessed"));
    assert_ne!(log[0].connection_id, log[1].connection_id);
    std::fs::remove_dir_all(ca.parent().unwrap()).ok();
}

/// A non-idempotent POST (sendMail). Graph must not see it twice once it has processed it, so:
/// a refused stream (not processed, RFC 9113 §8.7) may be and is sent again, and the mail is
/// sent once; a stream reset after the emulator processed the request (RST_STREAM
/// INTERNAL_ERROR) is not replayed: the caller gets a transport error and the emulator saw
/// the POST exactly once.
#[test]
fn non_idempotent_post_is_resent_only_when_unprocessed() {
    let (emu, ca) = tls_emulator();
    let cred = credential(&emu, json!({"ca_file": ca.to_str().unwrap()}));
    let uid = emu.user_id(0);
    let url = format!("/users/{uid}/sendMail");
    assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);

    emu.clear_log();
    emu.refuse_streams_next(1);
    let g = request(&cred, "POST", &url, Some(&send_mail_body("refused once")), None);
    assert_eq!(g.status, 202, "{}", g.body);
    let log = seen(&emu, &format!("/v1.0{url}"));
    assert_eq!(log.iter().map(|r| r.status).collect::<Vec<_>>(), vec![0, 202], "{log:?}");

    emu.clear_log();
    emu.apply_faults_json(&json!({"random_faults": {"connection_reset_rate": 1.0, "seed": 1}})).unwrap();
    let g = request(&cred, "POST", &url, Some(&send_mail_body("reset after processing")), None);
    emu.set_random_faults(None);
    assert!(g.status < 0 && g.body.contains("MSGRAPH_ERR_TRANSPORT"), "a reset POST fails, not replayed: {} {}", g.status, g.body);
    let log = seen(&emu, &format!("/v1.0{url}"));
    assert_eq!(log.len(), 1, "the POST was processed once and not replayed: {log:?}");
    assert_eq!(log[0].wire_fault.as_deref(), Some("reset"));

    // the same reset on a GET is retried by the library (idempotent)
    emu.clear_log();
    emu.apply_faults_json(&json!({"random_faults": {"connection_reset_rate": 1.0, "seed": 1}})).unwrap();
    let g = request(&cred, "GET", "/users?$top=7", None, Some(r#"{"max_retries":1}"#));
    emu.set_random_faults(None);
    assert!(g.status < 0 && g.body.contains("MSGRAPH_ERR_TRANSPORT"), "every attempt reset: {} {}", g.status, g.body);
    assert_eq!(seen(&emu, "/v1.0/users?$top=7").len(), 2, "GET sent twice (max_retries 1)");
    std::fs::remove_dir_all(ca.parent().unwrap()).ok();
}

/// Connection ids of the recorded `$batch` POSTs.
fn batch_connections(emu: &Emulator) -> Vec<u64> {
    graph_requests(emu).into_iter().filter(|r| r.path.ends_with("/$batch")).map(|r| r.connection_id).collect()
}

fn user_batch(cred: &str, n: usize) -> String {
    let users = get_json(cred, &format!("/users?$top={n}&$select=id"));
    let reqs: Vec<Value> = users["value"].as_array().unwrap().iter().enumerate()
        .map(|(i, u)| json!({"id": format!("r{i}"), "method": "GET", "url": format!("/users/{}?$select=id", u["id"].as_str().unwrap())}))
        .collect();
    Value::from(reqs).to_string()
}

/// One msgraph_batch of 60 requests = 3 sub-batches sent concurrently (concurrency 3), with the
/// connection each came on (the emulator's connection id). Over HTTP/1.1 concurrent requests
/// need one connection each. Over HTTP/2 they could share one; the library today opens one
/// per worker on either version: src/batch.rs send_parallel runs each worker on its own
/// thread, and src/transport.rs keeps clients (and their pools) per thread, so every worker
/// makes a new connection (a new TLS handshake) per call and drops it when it ends. This test
/// pins that down (it fails when the library changes; then update it and un-ignore
/// `h2_sub_batches_share_one_connection`).
#[test]
fn batch_sub_batches_and_connections() {
    for tls in [true, false] {
        let (emu, ca) = if tls { let (e, c) = tls_emulator(); (e, Some(c)) } else { (emulator(), None) };
        let cred = credential(&emu, ca.as_ref().map(|c| json!({"ca_file": c.to_str().unwrap()})).unwrap_or(json!({})));
        let body = user_batch(&cred, 60);
        emu.set_latency_ms(150); // keep the sub-batches in flight together
        for round in 0..2 {
            emu.clear_log();
            let before = emu.stats().connections;
            let g = batch(&cred, &body, Some(r#"{"concurrency":3}"#));
            assert_eq!(g.status, 200, "{}", g.body);
            assert_eq!(g.json()["responses"].as_array().unwrap().len(), 60);
            let ids = batch_connections(&emu);
            assert_eq!(ids.len(), 3, "{ids:?}");
            let distinct: std::collections::BTreeSet<u64> = ids.iter().copied().collect();
            let version = &graph_requests(&emu)[0].http_version;
            assert_eq!(version, if tls { "HTTP/2.0" } else { "HTTP/1.1" });
            let opened = emu.stats().connections - before;
            eprintln!("round {round} {version}: 3 concurrent sub-batches on {} connection(s) {ids:?}, {opened} new", distinct.len());
            assert_eq!((distinct.len(), opened), (3, 3), "{version}: one new connection per worker, each call ({ids:?})");
        }
        // the caller's own connection stays for its next sequential call
        emu.set_latency_ms(0);
        emu.clear_log();
        assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);
        assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);
        let conns: Vec<u64> = graph_requests(&emu).iter().map(|r| r.connection_id).collect();
        assert_eq!(conns[0], conns[1], "sequential calls on one thread reuse one connection");
        if let Some(c) = ca {
            std::fs::remove_dir_all(c.parent().unwrap()).ok();
        }
    }
}

/// What HTTP/2 allows: a call's concurrent sub-batches multiplexed on one connection (the
/// caller's, already open). Not what the library does yet (see above).
#[test]
#[ignore = "library: $batch workers are threads with thread-local clients (src/batch.rs send_parallel, src/transport.rs with_local), one connection each"]
fn h2_sub_batches_share_one_connection() {
    let (emu, ca) = tls_emulator();
    let cred = credential(&emu, json!({"ca_file": ca.to_str().unwrap()}));
    let body = user_batch(&cred, 60);
    emu.set_latency_ms(150);
    emu.clear_log();
    let before = emu.stats().connections;
    assert_eq!(batch(&cred, &body, Some(r#"{"concurrency":3}"#)).status, 200);
    let ids: std::collections::BTreeSet<u64> = batch_connections(&emu).into_iter().collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(emu.stats().connections - before, 0, "no new connection");
    std::fs::remove_dir_all(ca.parent().unwrap()).ok();
}
