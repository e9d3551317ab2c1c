mod common;
use common::*;
use msgraph_emulator::*;
use serde_json::{json, Value};

#[test]
fn throttle_and_fail() {
    let emu = start();
    let t = token(&emu);
    emu.throttle_next(2, "0.2");
    for _ in 0..2 {
        let r = client().get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(&t).send().unwrap();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "0.2");
        let v: Value = r.json().unwrap();
        assert_eq!(v["error"]["code"], "TooManyRequests");
        assert_eq!(v["error"]["innerError"]["code"], "429");
    }
    assert_eq!(get(&emu, &t, "/users?$top=1").0, 200);
    emu.fail_next(1, 503, Some("3"));
    let r = client().get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(&t).send().unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "3");
    emu.fail_next(1, 504, None);
    let r = client().get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(&t).send().unwrap();
    assert_eq!(r.status(), 504);
    assert!(r.headers().get("retry-after").is_none());
    assert_eq!(get(&emu, &t, "/users?$top=1").0, 200);
    emu.fail_token_next(1, 500);
    let r = token_for(&emu, CLIENT_ID, CLIENT_SECRET);
    assert_eq!(r.status(), 500);
    let v: Value = r.json().unwrap();
    assert!(v["error_description"].as_str().unwrap().starts_with("AADSTS"));
    assert_eq!(token_for(&emu, CLIENT_ID, CLIENT_SECRET).status(), 200);
    let s = emu.stats();
    assert_eq!((s.token_requests, s.tokens_issued), (3, 2));
}

#[test]
fn batch_item_throttle() {
    let emu = start();
    let t = token(&emu);
    emu.throttle_batch_items(1, "2");
    let (s, v) = send(&emu, &t, "POST", "/$batch", &json!({"requests": [
        {"id": "a", "method": "GET", "url": "/organization"},
        {"id": "b", "method": "GET", "url": "/organization"},
        {"id": "c", "dependsOn": ["a"], "method": "GET", "url": "/organization"}]}));
    assert_eq!(s, 200);
    let r = &v["responses"];
    assert_eq!(r[0]["status"], 429);
    assert_eq!(r[0]["headers"]["Retry-After"], "2");
    assert_eq!(r[1]["status"], 200);
    assert_eq!(r[2]["status"], 424);
}

#[test]
fn latency_and_log() {
    let emu = start();
    let t = token(&emu);
    emu.clear_log();
    emu.set_latency_ms(150);
    let t0 = std::time::Instant::now();
    let r = client().get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(&t).header("client-request-id", "x1").send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(t0.elapsed().as_millis() >= 150);
    emu.reset_faults();
    let log = emu.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, "/v1.0/users?$top=1");
    assert_eq!(log[0].status, 200);
    assert!(log[0].headers.iter().any(|(k, v)| k == "client-request-id" && v == "x1"));
    assert_eq!(log[0].host, format!("127.0.0.1:{}", emu.port()));
}

#[test]
fn keep_alive_connection_reuse() {
    let emu = start();
    let t = token(&emu);
    let c = client();
    let t0 = std::time::Instant::now();
    for _ in 0..200 {
        let r = c.get(format!("{}/users/{}", emu.graph_base_url(), emu.user_id(1))).bearer_auth(&t).send().unwrap();
        assert_eq!(r.status(), 200);
        let _ = r.bytes();
    }
    assert!(t0.elapsed().as_secs() < 20);
}

#[test]
fn http_control_surface() {
    let emu = start();
    let c = client();
    let base = emu.base_url();
    let t = token(&emu);
    let st: Value = c.get(format!("{base}/_emulator/stats")).send().unwrap().json().unwrap();
    assert_eq!(st["token_requests"], 1);
    assert_eq!(st["tokens_issued"], 1);
    let r = c
        .post(format!("{base}/_emulator/faults"))
        .json(&json!({"throttle_next": {"count": 1, "retry_after": "1"}, "fail_next": {"count": 1, "status": 502}, "latency_ms": 0, "token_lifetime": {"expires_in": 90, "refresh_in": 45}}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(get(&emu, &t, "/organization").0, 429);
    assert_eq!(get(&emu, &t, "/organization").0, 502);
    assert_eq!(get(&emu, &t, "/organization").0, 200);
    let v: Value = token_for(&emu, CLIENT_ID, CLIENT_SECRET).json().unwrap();
    assert_eq!((v["expires_in"].as_u64(), v["refresh_in"].as_u64()), (Some(90), Some(45)));
    let r = c.post(format!("{base}/_emulator/faults")).json(&json!({"fail_token_next": {"count": 1, "status": 503}})).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(token_for(&emu, CLIENT_ID, CLIENT_SECRET).status(), 503);
    let r = c.post(format!("{base}/_emulator/faults")).json(&json!({"revoke_tokens": true})).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(get(&emu, &t, "/organization").0, 401);
    let r = c.post(format!("{base}/_emulator/faults")).json(&json!({"bogus": 1})).send().unwrap();
    assert_eq!(r.status(), 400);
    let r = c.post(format!("{base}/_emulator/faults")).body("nope").send().unwrap();
    assert_eq!(r.status(), 400);
    let reqs: Value = c.get(format!("{base}/_emulator/requests")).send().unwrap().json().unwrap();
    let arr = reqs.as_array().unwrap();
    assert!(arr.len() >= 6);
    assert!(arr.iter().all(|r| !r["path"].as_str().unwrap().starts_with("/_emulator")));
    assert!(arr[0]["headers"].is_array());
    let st: Value = c.get(format!("{base}/_emulator/stats")).send().unwrap().json().unwrap();
    assert_eq!(st["graph_requests"], 4);
    assert_eq!(c.post(format!("{base}/_emulator/clear")).send().unwrap().status(), 204);
    let reqs: Value = c.get(format!("{base}/_emulator/requests")).send().unwrap().json().unwrap();
    assert_eq!(reqs.as_array().unwrap().len(), 0);
    assert_eq!(c.post(format!("{base}/_emulator/reset")).send().unwrap().status(), 204);
    let st: Value = c.get(format!("{base}/_emulator/stats")).send().unwrap().json().unwrap();
    assert_eq!(st["graph_requests"], 0);
    let v: Value = token_for(&emu, CLIENT_ID, CLIENT_SECRET).json().unwrap();
    assert_eq!(v["expires_in"], 3599);
    assert_eq!(c.get(format!("{base}/_emulator/nothing")).send().unwrap().status(), 404);
}

#[test]
fn credential_json_and_urls() {
    let emu = start();
    let c = emu.credential_json();
    assert_eq!(c["tenant_id"], TENANT_ID);
    assert_eq!(c["client_id"], CLIENT_ID);
    assert_eq!(c["client_secret"], CLIENT_SECRET);
    assert_eq!(c["authority_host"], emu.base_url());
    assert_eq!(c["graph_base_url"], format!("{}/v1.0", emu.base_url()));
    assert_eq!(emu.token_url(), format!("http://127.0.0.1:{}/{}/oauth2/v2.0/token", emu.port(), TENANT_ID));
    assert!(emu.ca_pem().is_none());
    assert!(Emulator::start(Options { bind: "0.0.0.0".parse().unwrap(), ..Default::default() }).is_err());
}

#[test]
fn tls_mode() {
    let emu = Emulator::start(Options { tls: true, ..Default::default() }).unwrap();
    assert!(emu.base_url().starts_with("https://127.0.0.1:"));
    let pem = emu.ca_pem().unwrap();
    assert!(pem.contains("BEGIN CERTIFICATE"));
    let ca = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
    let c = reqwest::blocking::Client::builder().no_proxy().add_root_certificate(ca.clone()).build().unwrap();
    let v: Value = c
        .post(emu.token_url())
        .form(&[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET), ("scope", "https://graph.microsoft.com/.default"), ("grant_type", "client_credentials")])
        .send()
        .unwrap()
        .json()
        .unwrap();
    let t = v["access_token"].as_str().unwrap();
    let v: Value = c.get(format!("{}/users?$top=2", emu.graph_base_url())).bearer_auth(t).send().unwrap().json().unwrap();
    assert!(v["@odata.nextLink"].as_str().unwrap().starts_with("https://127.0.0.1:"));
    // localhost is in the certificate too
    let r = c.get(format!("https://localhost:{}/v1.0/organization", emu.port())).bearer_auth(t).send().unwrap();
    assert_eq!(r.status(), 200);
    // without the CA the handshake fails
    let plain = reqwest::blocking::Client::builder().no_proxy().build().unwrap();
    assert!(plain.get(format!("{}/v1.0/organization", emu.base_url())).send().is_err());
}
