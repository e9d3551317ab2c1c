//! The one hand-written HTTP/1.1 request reader and loopback listener of the
//! test servers: tests/common/fake.rs, tests/common/script.rs,
//! tests/answers.rs, and the fuzz targets' servers (fuzz/src/lib.rs includes
//! this file by path). A request is a request line, headers and a
//! Content-Length body; nothing else of HTTP is understood here.
#![allow(dead_code)]

use std::io::{self, BufRead};
use std::net::{TcpListener, TcpStream};

/// One request read from a connection.
#[derive(Clone, Debug)]
pub struct Request {
    /// The request line, without its line end.
    pub line: String,
    /// Header names in lower case, values trimmed, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body (Content-Length bytes).
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    /// Whether it is for the token endpoint (an `/oauth2/` path).
    pub fn is_token(&self) -> bool {
        self.line.contains("/oauth2/")
    }
}

/// Reads one request; `Ok(None)` when the peer closed the connection
/// before the end of the head.
pub fn read_request(r: &mut impl BufRead) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Some(Request { line: line.trim_end().to_string(), headers, body }))
}

/// Binds `ip` on an ephemeral port and hands every connection to `conn`,
/// each on its own thread, until the process ends. Returns the port.
pub fn spawn(ip: &str, conn: impl Fn(TcpStream) + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind((ip, 0)).expect("bind a loopback port");
    let port = listener.local_addr().unwrap().port();
    let conn = std::sync::Arc::new(conn);
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let conn = conn.clone();
            std::thread::spawn(move || conn(s));
        }
    });
    port
}
