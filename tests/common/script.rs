//! A scripted loopback HTTP/1.1 server, one thread per connection, for
//! answers the emulator never gives: stalls, throttling windows, values
//! out of range, bodies of any shape. `answer(kind, request_line, body)`
//! returns the raw answer; `kind` is "token" for the token endpoint, else
//! "graph". Every request is counted per kind.
#![allow(dead_code)]

#[path = "loopback.rs"]
mod loopback;

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// One scripted answer.
pub struct Answer {
    pub delay: Duration,
    pub status: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn new(status: &str, body: &str) -> Answer {
        Answer { delay: Duration::ZERO, status: status.into(), headers: vec![], body: body.as_bytes().to_vec() }
    }
    pub fn header(mut self, k: &str, v: &str) -> Answer {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn after(mut self, d: Duration) -> Answer {
        self.delay = d;
        self
    }
}

/// A good token answer.
pub fn token_ok(expires_in: u64) -> Answer {
    Answer::new("200 OK", &format!(r#"{{"token_type":"Bearer","expires_in":{expires_in},"access_token":"tok-{expires_in}"}}"#))
        .header("content-type", "application/json")
}

pub type Script = dyn Fn(&str, &str, &[u8]) -> Answer + Send + Sync;

pub struct ScriptServer {
    pub port: u16,
    pub token_requests: Arc<AtomicU32>,
    pub graph_requests: Arc<AtomicU32>,
}

impl ScriptServer {
    pub fn start(answer: impl Fn(&str, &str, &[u8]) -> Answer + Send + Sync + 'static) -> ScriptServer {
        let answer: Arc<Script> = Arc::new(answer);
        let token_requests = Arc::new(AtomicU32::new(0));
        let graph_requests = Arc::new(AtomicU32::new(0));
        let (t, g) = (token_requests.clone(), graph_requests.clone());
        let port = loopback::spawn("127.0.0.1", move |stream| {
            let _ = serve(stream, &*answer, &t, &g);
        });
        ScriptServer { port, token_requests, graph_requests }
    }

    pub fn tokens(&self) -> u32 {
        self.token_requests.load(Ordering::SeqCst)
    }
    pub fn graphs(&self) -> u32 {
        self.graph_requests.load(Ordering::SeqCst)
    }

    /// A credential configuration pointing at this server.
    pub fn config(&self) -> serde_json::Value {
        serde_json::json!({
            "tenant_id": "tenant",
            "client_id": "client",
            "client_secret": "secret",
            "token_url": format!("http://127.0.0.1:{}/tenant/oauth2/v2.0/token", self.port),
            "graph_base_url": format!("http://127.0.0.1:{}/v1.0", self.port),
        })
    }
}

fn serve(stream: TcpStream, answer: &Script, t: &AtomicU32, g: &AtomicU32) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    while let Some(req) = loopback::read_request(&mut reader)? {
        let (line, body) = (req.line, req.body);
        let kind = if line.contains("/oauth2/") { "token" } else { "graph" };
        if kind == "token" { t } else { g }.fetch_add(1, Ordering::SeqCst);
        let a = answer(kind, &line, &body);
        if !a.delay.is_zero() {
            thread::sleep(a.delay);
        }
        let mut resp = format!("HTTP/1.1 {}\r\n", a.status).into_bytes();
        if !a.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-length")) {
            resp.extend_from_slice(format!("content-length: {}\r\n", a.body.len()).as_bytes());
        }
        for (k, v) in &a.headers {
            resp.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        resp.extend_from_slice(b"\r\n");
        resp.extend_from_slice(&a.body);
        out.write_all(&resp)?;
        out.flush()?;
    }
    Ok(())
}
