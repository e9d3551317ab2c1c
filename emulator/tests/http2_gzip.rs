//! HTTP/2 (ALPN h2 under TLS, prior knowledge in clear text) and gzip on request.
mod common;
use common::*;
use msgraph_emulator::*;
use serde_json::Value;
use std::io::{Read, Write};

fn tls_client(emu: &Emulator) -> reqwest::blocking::Client {
    let ca = reqwest::Certificate::from_pem(emu.ca_pem().expect("tls mode").as_bytes()).unwrap();
    reqwest::blocking::Client::builder().no_proxy().add_root_certificate(ca).build().unwrap()
}

#[test]
fn tls_mode_negotiates_h2_and_keeps_http1() {
    let emu = Emulator::start(Options { tls: true, ..Options::default() }).unwrap();
    let c = tls_client(&emu);
    let form = [("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET), ("scope", "https://graph.microsoft.com/.default"), ("grant_type", "client_credentials")];
    let r = c.post(emu.token_url()).form(&form).send().unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    let tok = r.json::<Value>().unwrap()["access_token"].as_str().unwrap().to_string();
    let r = c.get(format!("{}/users?$top=2", emu.graph_base_url())).bearer_auth(&tok).send().unwrap();
    assert_eq!((r.version(), r.status().as_u16()), (reqwest::Version::HTTP_2, 200));
    let v: Value = r.json().unwrap();
    // links use the :authority of the HTTP/2 request
    assert!(v["@odata.nextLink"].as_str().unwrap().starts_with(&emu.graph_base_url()), "{v}");
    let h1 = reqwest::blocking::Client::builder().no_proxy().http1_only().add_root_certificate(reqwest::Certificate::from_pem(emu.ca_pem().unwrap().as_bytes()).unwrap()).build().unwrap();
    let r = h1.get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(&tok).send().unwrap();
    assert_eq!((r.version(), r.status().as_u16()), (reqwest::Version::HTTP_11, 200));
}

#[test]
fn cleartext_h2_prior_knowledge() {
    let emu = start();
    let tok = token(&emu);
    let c = reqwest::blocking::Client::builder().no_proxy().http2_prior_knowledge().build().unwrap();
    let r = c.get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(&tok).send().unwrap();
    assert_eq!((r.version(), r.status().as_u16()), (reqwest::Version::HTTP_2, 200));
}

fn raw_get(emu: &Emulator, tok: &str, path: &str, accept: Option<&str>) -> (String, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", emu.port())).unwrap();
    let ae = accept.map(|a| format!("Accept-Encoding: {a}\r\n")).unwrap_or_default();
    write!(s, "GET /v1.0{path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {tok}\r\n{ae}Connection: close\r\n\r\n", emu.port()).unwrap();
    let mut all = vec![];
    s.read_to_end(&mut all).unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (String::from_utf8_lossy(&all[..split]).to_ascii_lowercase(), all[split + 4..].to_vec())
}

#[test]
fn gzip_only_when_asked() {
    let emu = start();
    let tok = token(&emu);
    let (h, plain) = raw_get(&emu, &tok, "/users?$top=20", None);
    assert!(!h.contains("content-encoding"), "{h}");
    let (h, z) = raw_get(&emu, &tok, "/users?$top=20", Some("gzip, deflate, br"));
    assert!(h.contains("content-encoding: gzip"), "{h}");
    assert!(h.contains("vary: accept-encoding"), "{h}");
    assert_eq!(&z[..2], &[0x1f, 0x8b], "gzip magic");
    assert!(z.len() < plain.len(), "compressed {} >= plain {}", z.len(), plain.len());
    let (h, _) = raw_get(&emu, &tok, "/users?$top=1", Some("identity"));
    assert!(!h.contains("content-encoding"), "{h}");
}

/// The HTTP/2 faults from the control surface: a refused stream is seen by the client's HTTP
/// stack (which resends it), a GOAWAY moves the next request to a new connection, and
/// HTTP/1.1 requests neither trip nor count down the faults.
#[test]
fn h2_refused_stream_and_goaway_from_the_control_surface() {
    let emu = start();
    let tok = token(&emu);
    let ctl = |v: Value| reqwest::blocking::Client::new().post(format!("{}/_emulator/faults", emu.base_url())).json(&v).send().unwrap();
    assert_eq!(ctl(serde_json::json!({"goaway_next": {"count": 1, "unprocessed": "yes"}})).status().as_u16(), 400);
    assert_eq!(ctl(serde_json::json!({"refuse_stream_next": {"count": 1}})).status().as_u16(), 200);
    // HTTP/1.1: not refused, the countdown stays
    let h1 = reqwest::blocking::Client::builder().no_proxy().http1_only().build().unwrap();
    assert_eq!(h1.get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(&tok).send().unwrap().status().as_u16(), 200);
    assert_eq!(emu.faults().refuse_stream.remaining, 1);
    let c = reqwest::blocking::Client::builder().no_proxy().http2_prior_knowledge().build().unwrap();
    emu.clear_log();
    let r = c.get(format!("{}/users?$top=2", emu.graph_base_url())).bearer_auth(&tok).send().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let log = emu.requests();
    assert_eq!(log.iter().map(|r| (r.status, r.wire_fault.clone())).collect::<Vec<_>>(), vec![(0, Some("refused_stream".into())), (200, None)]);
    assert_eq!(emu.stats().refused_streams, 1);
    // GOAWAY after an answer: the next request comes on a new connection
    assert_eq!(ctl(serde_json::json!({"goaway_next": {"count": 1}})).status().as_u16(), 200);
    emu.clear_log();
    for _ in 0..2 {
        assert_eq!(c.get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(&tok).send().unwrap().status().as_u16(), 200);
    }
    let log = emu.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].wire_fault.as_deref(), Some("goaway"));
    assert_ne!(log[0].connection_id, log[1].connection_id);
    assert_eq!(emu.stats().goaways, 1);
}

#[test]
fn http1_only_mode_offers_no_h2() {
    let emu = Emulator::start(Options { tls: true, http1_only: true, ..Options::default() }).unwrap();
    let c = tls_client(&emu);
    let form = [("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET), ("scope", "https://graph.microsoft.com/.default"), ("grant_type", "client_credentials")];
    let r = c.post(emu.token_url()).form(&form).send().unwrap();
    assert_eq!((r.version(), r.status().as_u16()), (reqwest::Version::HTTP_11, 200));
    let clear = Emulator::start(Options { http1_only: true, ..Options::default() }).unwrap();
    let pk = reqwest::blocking::Client::builder().no_proxy().http2_prior_knowledge().build().unwrap();
    assert!(pk.get(format!("{}/users", clear.graph_base_url())).send().is_err(), "h2 prior knowledge refused");
}
