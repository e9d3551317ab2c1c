//! A tiny scripted HTTP server for what the emulator must never do: answer
//! with a nextLink or a redirect to another origin. It records every
//! request's head so a test can prove what was (not) sent to it.
#![allow(dead_code)]

#[path = "loopback.rs"]
mod loopback;

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// A recorded request head: the request line and lower-cased headers.
#[derive(Clone, Debug)]
pub struct Seen {
    pub line: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

pub struct FakeServer {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeServer {
    /// Serves `answer(request line) -> (status line, headers, body)` on
    /// `ip`, one connection at a time, until the test process ends.
    pub fn start(ip: &str, answer: impl Fn(&str) -> (String, Vec<(String, String)>, String) + Send + 'static) -> FakeServer {
        let listener = TcpListener::bind((ip, 0)).expect("bind");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = serve(stream, &answer, &log);
            }
        });
        FakeServer { port, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(
    stream: TcpStream,
    answer: &impl Fn(&str) -> (String, Vec<(String, String)>, String),
    log: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    while let Some(req) = loopback::read_request(&mut reader)? {
        let line = req.line;
        log.lock().unwrap().push(Seen { line: line.clone(), headers: req.headers });
        let (status, extra, body) = answer(&line);
        let mut resp = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
        for (k, v) in extra {
            resp.push_str(&format!("{k}: {v}\r\n"));
        }
        resp.push_str("\r\n");
        resp.push_str(&body);
        out.write_all(resp.as_bytes())?;
    }
    Ok(())
}
