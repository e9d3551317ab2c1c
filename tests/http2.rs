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
