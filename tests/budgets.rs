//! Issue 10: every call ends within its own budget, token acquisition
//! included, and the token endpoint's throttling and refusals are
//! remembered without failing calls that still hold a valid token. All
//! through the C ABI against a scripted loopback server.

mod common;
#[path = "common/script.rs"]
mod script;
use common::*;
use script::*;
use serde_json::json;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn set(cfg: serde_json::Value) -> String {
    let name = unique("budget");
    let rc = msgraph_credential_set(cs(&name).as_ptr(), cs(&cfg.to_string()).as_ptr());
    assert_eq!(rc, MSGRAPH_OK, "credential_set: {}", last_error());
    name
}

fn graph_ok() -> Answer {
    Answer::new("200 OK", r#"{"value":[]}"#).header("content-type", "application/json")
}

#[test]
fn a_throttled_token_endpoint_is_remembered_and_calls_end_at_once() {
    let srv = ScriptServer::start(|kind, _, _| match kind {
        "token" => Answer::new("429 Too Many Requests", r#"{"error":"temporarily_unavailable"}"#).header("retry-after", "30"),
        _ => graph_ok(),
    });
    let cred = set(srv.config());
    let opts = Some(r#"{"retry_budget_ms":2000}"#);
    let t0 = Instant::now();
    for i in 0..3 {
        let g = request(&cred, "GET", "/users", None, opts);
        assert_eq!(g.status, MSGRAPH_ERR_THROTTLED, "call {i}: {}", g.body);
        let ra = g.json()["error"]["retry_after_ms"].as_u64().expect("retry_after_ms");
        assert!(ra > 20_000 && ra <= 30_000, "retry_after_ms {ra}");
    }
    // 8 threads at once: all end at once, nothing more is sent.
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| assert_eq!(request(&cred, "GET", "/users", None, opts).status, MSGRAPH_ERR_THROTTLED));
        }
    });
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(5), "11 calls took {took:?}");
    assert_eq!(srv.tokens(), 1, "one token request, then the window is remembered");
    assert_eq!(srv.graphs(), 0);
}

#[test]
fn a_stalled_token_endpoint_ends_at_the_calls_budget() {
    let srv = ScriptServer::start(|kind, _, _| match kind {
        "token" => token_ok(3599).after(Duration::from_secs(20)),
        _ => graph_ok(),
    });
    let cred = set(srv.config());
    for opts in [r#"{"timeout_ms":500,"retry_budget_ms":0}"#, r#"{"timeout_ms":500,"retry_budget_ms":2000}"#] {
        let t0 = Instant::now();
        let g = request(&cred, "GET", "/users", None, Some(opts));
        let took = t0.elapsed();
        assert_eq!(g.status, MSGRAPH_ERR_TIMEOUT, "{opts}: {}", g.body);
        // Budget + timeout, plus a margin.
        assert!(took < Duration::from_millis(2500 + 1500), "{opts}: {took:?}");
    }
    // Threads waiting for another thread's refresh leave at their own deadline.
    let slow = std::thread::spawn({
        let cred = cred.clone();
        move || request(&cred, "GET", "/users", None, Some(r#"{"timeout_ms":8000,"retry_budget_ms":0}"#)).status
    });
    std::thread::sleep(Duration::from_millis(300));
    let t0 = Instant::now();
    let g = request(&cred, "GET", "/users", None, Some(r#"{"timeout_ms":400,"retry_budget_ms":0}"#));
    let took = t0.elapsed();
    assert_eq!(g.status, MSGRAPH_ERR_TIMEOUT, "{}", g.body);
    assert!(took < Duration::from_millis(400 + 1500), "waiter took {took:?}");
    assert_eq!(slow.join().unwrap(), MSGRAPH_ERR_TIMEOUT);
    assert_eq!(srv.graphs(), 0);
}

#[test]
fn a_refused_proactive_refresh_keeps_serving_the_valid_token() {
    let refuse = Arc::new(AtomicU32::new(0));
    let r2 = refuse.clone();
    let srv = ScriptServer::start(move |kind, _, _| match kind {
        "token" if r2.load(Ordering::SeqCst) == 1 => {
            Answer::new("401 Unauthorized", r#"{"error":"invalid_client","error_codes":[7000222]}"#)
        }
        "token" if r2.load(Ordering::SeqCst) == 2 => {
            Answer::new("503 Service Unavailable", "{}").header("retry-after", "30")
        }
        // refresh_in 1 s: a refresh is due after a second, the token stays valid for an hour.
        "token" => Answer::new("200 OK", r#"{"token_type":"Bearer","expires_in":3599,"refresh_in":1,"access_token":"tok"}"#),
        _ => graph_ok(),
    });
    for mode in [1, 2] {
        refuse.store(0, Ordering::SeqCst);
        let cred = set(srv.config());
        let before = srv.tokens();
        assert_eq!(request(&cred, "GET", "/users", None, None).status, 200);
        std::thread::sleep(Duration::from_millis(1200));
        refuse.store(mode, Ordering::SeqCst);
        for _ in 0..5 {
            let g = request(&cred, "GET", "/users", None, None);
            assert_eq!(g.status, 200, "mode {mode}: the still-valid token is served: {}", g.body);
        }
        let info = token_info(&cred, None).json();
        assert_eq!(info["refresh_failed"], true, "{info}");
        assert_eq!(info["source"], "cache");
        assert_eq!(srv.tokens() - before, 2, "mode {mode}: one refresh attempt, then remembered");
    }
}

#[test]
fn token_values_out_of_range_never_panic_and_are_never_cached() {
    let which = Arc::new(AtomicU32::new(0));
    let w2 = which.clone();
    let srv = ScriptServer::start(move |kind, _, _| match (kind, w2.load(Ordering::SeqCst)) {
        ("token", 0) => Answer::new("200 OK", r#"{"token_type":"Bearer","expires_in":9.3e18,"access_token":"a"}"#),
        ("token", 1) => Answer::new("200 OK", r#"{"token_type":"Bearer","expires_in":18446744073709551615,"refresh_in":18446744073709551615,"access_token":"a"}"#),
        ("token", 2) => Answer::new("200 OK", r#"{"token_type":"Bearer","expires_in":"9300000000000000000","access_token":"a"}"#),
        ("token", 3) => Answer::new("200 OK", r#"{"token_type":"Bearer","expires_in":3599,"access_token":"a\u0001b"}"#),
        ("token", 4) => Answer::new("200 OK", r#"{"token_type":"Bea\rrer","expires_in":3599,"access_token":"ab"}"#),
        ("token", _) => token_ok(3599),
        _ => graph_ok(),
    });
    for (i, good) in [(0, true), (1, true), (2, true), (3, false), (4, false)] {
        which.store(i, Ordering::SeqCst);
        let cred = set(srv.config());
        let g = request(&cred, "GET", "/users", None, Some(r#"{"max_retries":0}"#));
        if good {
            assert_eq!(g.status, 200, "case {i}: {}", g.body);
        } else {
            assert_eq!(g.status, MSGRAPH_ERR_AUTH, "case {i}: {}", g.body);
            // Not cached: once the endpoint answers well, the next call works.
            which.store(9, Ordering::SeqCst);
            assert_eq!(request(&cred, "GET", "/users", None, None).status, 200, "case {i}");
        }
    }
}

#[test]
fn depends_on_across_chunks_spends_no_retry() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    assert_eq!(token_info(&cred, None).status, 200);
    let chain: Vec<serde_json::Value> = (1..=100)
        .map(|i| {
            let mut r = json!({"id": i.to_string(), "method": "GET", "url": "/users?$top=1"});
            if i > 1 {
                r["dependsOn"] = json!([(i - 1).to_string()]);
            }
            r
        })
        .collect();
    let chain = serde_json::Value::from(chain).to_string();
    for opts in [None, Some(r#"{"max_retries":0}"#)] {
        emu.clear_log();
        let g = batch(&cred, &chain, opts);
        assert_eq!(g.status, 200, "{}", g.body);
        let out = g.json();
        let bad: Vec<_> = out["responses"].as_array().unwrap().iter().filter(|r| r["status"] != 200).map(|r| r["id"].clone()).collect();
        assert!(bad.is_empty(), "{opts:?}: items not 200: {bad:?}");
        assert_eq!(g.header("x-msgraph-retries").as_deref(), Some("0"), "{opts:?}: no retry happened");
        assert_eq!(graph_requests(&emu).len(), 5, "{opts:?}: five $batch calls of 20");
    }
}

#[test]
fn control_characters_in_headers_are_refused_before_sending() {
    let srv = ScriptServer::start(|kind, _, _| if kind == "token" { token_ok(3599) } else { graph_ok() });
    let cred = set(srv.config());
    for h in [r#"{"X-A":"a\u0001b"}"#, r#"{"X-A":"a\u007fb"}"#, r#"{"X-A":"a\u001bb"}"#, r#"{"X\u0001A":"a"}"#] {
        let opts = format!(r#"{{"headers":{h}}}"#);
        assert_eq!(request_raw(&cred, "GET", "/users", None, Some(&opts)), MSGRAPH_ERR_ARGUMENT, "{h}");
        let reqs = format!(r#"[{{"method":"GET","url":"/users","headers":{h}}}]"#);
        let rc = msgraph_batch(cs(&cred).as_ptr(), cs(&reqs).as_ptr(), std::ptr::null());
        assert_eq!(rc, MSGRAPH_ERR_ARGUMENT, "batch {h}");
    }
    // A tab is a legal header character.
    assert_eq!(request(&cred, "GET", "/users", None, Some(r#"{"headers":{"X-A":"a\tb"}}"#)).status, 200);
    assert_eq!(srv.graphs(), 1);
}

#[test]
fn a_410_with_a_non_object_body_and_byte_exact_marks() {
    let body = Arc::new(std::sync::Mutex::new(String::new()));
    let b2 = body.clone();
    let srv = ScriptServer::start(move |kind, _, _| match kind {
        "token" => token_ok(3599),
        _ => Answer::new("410 Gone", &b2.lock().unwrap()).header("content-type", "application/json"),
    });
    let cred = set(srv.config());
    for (sent, expect) in [
        ("[1,2]", "[1,2]".to_string()),
        ("\"gone\"", "\"gone\"".to_string()),
        ("7", "7".to_string()),
        ("{\"error\":5}", "{\"error\":5}".to_string()),
        // Key order, spacing and number forms kept; the field is spliced in.
        (
            "{ \"z\": 1.50, \"error\" : { \"message\":\"m\", \"code\":\"syncStateNotFound\" } }",
            "{ \"z\": 1.50, \"error\" : {\"msgraph_reason\":\"resync_required\", \"message\":\"m\", \"code\":\"syncStateNotFound\" } }".to_string(),
        ),
        ("{\"error\":{}}", "{\"error\":{\"msgraph_reason\":\"resync_required\"}}".to_string()),
    ] {
        *body.lock().unwrap() = sent.to_string();
        let g = request(&cred, "GET", "/users/delta", None, None);
        assert_eq!(g.status, 410, "{sent}: {}", g.body);
        assert_eq!(g.body, expect, "{sent}");
        assert_eq!(g.header("x-msgraph-reason").as_deref(), Some("resync-required"), "{sent}");
    }
}

fn cli(srv: &ScriptServer, args: &[&str]) -> (i32, String, String, Duration) {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(unique(&format!("msgraph-budgets-{}", std::process::id())));
    std::fs::create_dir_all(&dir).unwrap();
    let creds = dir.join("credentials.json");
    std::fs::write(&creds, json!({ "s": srv.config() }).to_string()).unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_msgraph"));
    for (k, _) in std::env::vars() {
        if k.starts_with("MSGRAPH_") {
            c.env_remove(k);
        }
    }
    let t0 = Instant::now();
    let out = c.env("MSGRAPH_CREDENTIALS", &creds).current_dir(&dir).args(args).output().unwrap();
    let took = t0.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
    )
}

#[test]
fn the_cli_pages_with_the_library_engine_and_never_exits_101() {
    let port = Arc::new(AtomicU32::new(0));
    let p2 = port.clone();
    let srv = ScriptServer::start(move |kind, line, _| match kind {
        "token" => token_ok(3599),
        _ if line.contains("/gone") => Answer::new("410 Gone", "[1,2]").header("content-type", "application/json"),
        _ if line.contains("/big") => Answer::new("200 OK", r#"{"value":[1],"expires_in":9300000000000000000}"#),
        // A nextLink that points at the page itself.
        _ => Answer::new(
            "200 OK",
            &format!(r#"{{"value":[{{"id":"a"}}],"@odata.nextLink":"http://127.0.0.1:{}/v1.0/users"}}"#, p2.load(Ordering::SeqCst)),
        ),
    });
    port.store(srv.port as u32, Ordering::SeqCst);
    let (code, _, err, took) = cli(&srv, &["--name", "s", "get", "/users", "--all", "--no-progress"]);
    assert_ne!(code, 0, "{err}");
    assert_ne!(code, 101);
    assert!(err.contains("points to the page itself"), "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(srv.graphs(), 1, "the library's safety stop: one request, not hundreds");
    let (code, _, err, _) = cli(&srv, &["--name", "s", "get", "/gone"]);
    assert_eq!(code, 2, "a 410 with a non-object body is an HTTP error, not a crash: {err}");
    let (code, out, err, _) = cli(&srv, &["--name", "s", "--json", "get", "/big", "--all"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"value\":[1]"), "{out}");
}

#[test]
fn socks_proxies_are_refused_at_credential_set() {
    let srv = ScriptServer::start(|kind, _, _| if kind == "token" { token_ok(3599) } else { graph_ok() });
    for proxy in ["socks5://127.0.0.1:1080", "socks5h://127.0.0.1:1080", "socks4://127.0.0.1:1080"] {
        let mut cfg = srv.config();
        cfg["proxy"] = json!(proxy);
        let name = unique("socks");
        let rc = msgraph_credential_set(cs(&name).as_ptr(), cs(&cfg.to_string()).as_ptr());
        assert_eq!(rc, MSGRAPH_ERR_CONFIG, "{proxy}");
        assert!(last_error().contains("SOCKS"), "{}", last_error());
    }
    assert_eq!(srv.tokens() + srv.graphs(), 0);
}
