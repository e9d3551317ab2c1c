#![allow(dead_code)]
use msgraph_emulator::*;
use reqwest::blocking::{Client, Response};
use serde_json::Value;

pub fn start() -> Emulator {
    Emulator::start(Options::default()).expect("start emulator")
}

pub fn client() -> Client {
    Client::builder().no_proxy().build().unwrap()
}

pub fn token_for(emu: &Emulator, id: &str, secret: &str) -> Response {
    client()
        .post(emu.token_url())
        .form(&[("client_id", id), ("client_secret", secret), ("scope", "https://graph.microsoft.com/.default"), ("grant_type", "client_credentials")])
        .send()
        .unwrap()
}

pub fn token(emu: &Emulator) -> String {
    let r = token_for(emu, CLIENT_ID, CLIENT_SECRET);
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

pub fn reader_token(emu: &Emulator) -> String {
    let v: Value = token_for(emu, READER_CLIENT_ID, READER_CLIENT_SECRET).json().unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

pub fn get(emu: &Emulator, tok: &str, path: &str) -> (u16, Value) {
    let url = if path.starts_with("http") { path.to_string() } else { format!("{}{}", emu.graph_base_url(), path) };
    let r = client().get(url).bearer_auth(tok).send().unwrap();
    let s = r.status().as_u16();
    let t = r.text().unwrap();
    (s, serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

pub fn send(emu: &Emulator, tok: &str, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let url = format!("{}{}", emu.graph_base_url(), path);
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let r = client().request(m, url).bearer_auth(tok).json(body).send().unwrap();
    let s = r.status().as_u16();
    let t = r.text().unwrap();
    (s, serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

pub fn graph_error(v: &Value) -> (&str, &str) {
    let e = &v["error"];
    assert!(e["innerError"]["request-id"].is_string() || e["innerError"]["request-id"].is_string(), "innerError: {v}");
    (e["code"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or(""))
}

pub fn jwt_claims(tok: &str) -> Value {
    use base64::Engine;
    let p = tok.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}
