//! Issue 10: no answer from a server can crash a call. A loopback server
//! sends arbitrary answers (status line, headers, body, truncation: the
//! connection closes after the bytes) to each exchange path, token,
//! request, paging, batch and delta, from seeds and deterministic
//! mutations of them. Every call must end in a clean status (never
//! MSGRAPH_ERR_INTERNAL, which is what a caught panic becomes) and soon.
//! fuzz/fuzz_targets/answers.rs runs the same paths under libFuzzer.

mod common;
use common::*;
#[path = "common/loopback.rs"]
mod loopback;
use std::io::{BufReader, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq)]
enum Target {
    Token,
    Graph,
}

struct Raw {
    target: Target,
    answer: Vec<u8>,
}

const GOOD_TOKEN: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 61\r\n\r\n{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"ab\"}";

fn start(raw: Arc<Mutex<Raw>>) -> u16 {
    loopback::spawn("127.0.0.1", move |s| {
        let Ok(mut w) = s.try_clone() else { return };
        let Ok(Some(req)) = loopback::read_request(&mut BufReader::new(s)) else { return };
        let out = {
            let g = raw.lock().unwrap();
            if (g.target == Target::Token) == req.is_token() {
                g.answer.clone()
            } else if req.is_token() {
                GOOD_TOKEN.as_bytes().to_vec()
            } else {
                b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n{\"value\":[]}".to_vec()
            }
        };
        // One answer per connection, then close: truncation is real.
        let _ = w.write_all(&out);
        let _ = w.flush();
    })
}

fn answer(status: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut s = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for h in headers {
        s.push_str(h);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s.push_str(body);
    s.into_bytes()
}

fn seeds() -> Vec<Vec<u8>> {
    let mut v = vec![
        answer("200 OK", &["content-type: application/json"], r#"{"token_type":"Bearer","expires_in":9.3e18,"access_token":"a"}"#),
        answer("200 OK", &[], r#"{"token_type":"Bearer","expires_in":18446744073709551615,"refresh_in":-1,"access_token":"a"}"#),
        answer("200 OK", &[], r#"{"token_type":"Be arer","expires_in":"1e400","access_token":"a\u0000"}"#),
        answer("200 OK", &[], r#"{"token_type":null,"access_token":["x"],"expires_in":{}}"#),
        answer("400 Bad Request", &[], r#"{"error":1,"error_codes":["x",-1],"error_description":7}"#),
        answer("429 Too Many Requests", &["retry-after: 99999999999999999999"], "[]"),
        answer("503 Service Unavailable", &["retry-after: Fri, 31 Dec 99999 23:59:59 GMT"], "null"),
        answer("410 Gone", &["content-type: application/json"], "[1,2]"),
        answer("410 Gone", &[], r#"{"error":"x"}"#),
        answer("403 Forbidden", &[], r#"{"error":{"code":"ErrorAccessDenied","message":5}}"#),
        answer("401 Unauthorized", &[], r#"{"error":{"code":"InvalidAuthenticationToken"}}"#),
        answer("200 OK", &[], r#"{"value":[1,{"a":2}],"@odata.nextLink":"http://127.0.0.1:1/v1.0/users"}"#),
        answer("200 OK", &[], r#"{"value":{},"@odata.nextLink":5,"@odata.deltaLink":[]}"#),
        answer("200 OK", &[], r#"{"value":[],"@odata.nextLink":"::::"}"#),
        answer("200 OK", &[], r#"{"responses":[{"id":1,"status":"200"},{"id":"1","status":429,"headers":{"retry-after":1e300}},{"id":"2","status":-5,"body":[]},{"id":null}]}"#),
        answer("200 OK", &[], r#"{"responses":{"id":"1"}}"#),
        answer("302 Found", &["location: //[::1"], ""),
        answer("307 Temporary Redirect", &["location: http://127.0.0.1:1/x"], ""),
        answer("999 Strange", &["x: \u{7f}"], "{"),
        b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"value\":[".to_vec(),
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\n".to_vec(),
        b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n".to_vec(),
        b"garbage\r\n\r\n".to_vec(),
        b"HTTP/1.1 200".to_vec(),
        Vec::new(),
    ];
    v.push(answer("200 OK", &["retry-after: 0.0000001"], &"[".repeat(5000)));
    v
}

/// A small deterministic generator (xorshift), so runs are reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut a = seeds[rng.below(seeds.len())].clone();
    for _ in 0..rng.below(4) {
        match rng.below(5) {
            0 if !a.is_empty() => {
                let i = rng.below(a.len());
                a[i] = rng.next() as u8;
            }
            1 => {
                let n = rng.below(a.len() + 1);
                a.truncate(n);
            }
            2 => {
                let other = &seeds[rng.below(seeds.len())];
                let i = rng.below(a.len() + 1);
                let j = rng.below(other.len() + 1);
                a.splice(i..i, other[j..].iter().copied());
            }
            3 => {
                let i = rng.below(a.len() + 1);
                let digits = ["0", "-1", "1e999", "18446744073709551616", "9223372036854775807", "\"\"", "null", "[]", "{}"];
                a.splice(i..i, digits[rng.below(digits.len())].bytes());
            }
            _ => {}
        }
    }
    a
}

#[test]
fn arbitrary_answers_never_crash_any_exchange_path() {
    let raw = Arc::new(Mutex::new(Raw { target: Target::Graph, answer: vec![] }));
    let port = start(raw.clone());
    let cfg = serde_json::json!({
        "tenant_id": "t", "client_id": "c", "client_secret": "s",
        "token_url": format!("http://127.0.0.1:{port}/t/oauth2/v2.0/token"),
        "graph_base_url": format!("http://127.0.0.1:{port}/v1.0"),
        "max_retries": 0, "timeout_ms": 1500, "connect_timeout_ms": 1500, "retry_budget_ms": 0,
    });
    let name = unique("answers");
    assert_eq!(msgraph_credential_set(cs(&name).as_ptr(), cs(&cfg.to_string()).as_ptr()), MSGRAPH_OK);
    let seeds = seeds();
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let cases: usize = std::env::var("ANSWER_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1500);
    let mut slowest = Duration::ZERO;
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..cases {
        let a = if i < seeds.len() * 5 { seeds[i / 5].clone() } else { mutate(&mut rng, &seeds) };
        let path = i % 5;
        {
            let mut g = raw.lock().unwrap();
            g.target = if path == 0 { Target::Token } else { Target::Graph };
            g.answer = a.clone();
        }
        // Every case starts without a token, so the token path is taken.
        assert_eq!(msgraph_credential_clear_tokens(cs(&name).as_ptr()), MSGRAPH_OK);
        let t0 = Instant::now();
        let h = match path {
            0 => request_raw(&name, "GET", "/users", None, None),
            1 => request_raw(&name, "POST", "/users", Some("{}"), None),
            2 => request_raw(&name, "GET", "/users", None, Some(r#"{"all_pages":true}"#)),
            3 => msgraph_batch(
                cs(&name).as_ptr(),
                cs(r#"[{"id":"1","method":"GET","url":"/users"},{"id":"2","method":"GET","url":"/me","dependsOn":["1"]}]"#).as_ptr(),
                std::ptr::null(),
            ),
            _ => request_raw(&name, "GET", "/users/delta?$deltatoken=x", None, Some(r#"{"all_pages":true}"#)),
        };
        let took = t0.elapsed();
        slowest = slowest.max(took);
        let status = if h > 0 { msgraph_result_status(h) } else { h };
        assert_ne!(status, MSGRAPH_ERR_INTERNAL, "case {i} path {path}: {:?}: {}", String::from_utf8_lossy(&a), last_error());
        assert!(took < Duration::from_secs(6), "case {i} path {path} took {took:?}");
        *statuses.entry(status).or_insert(0) += 1;
        if h > 0 {
            // The result is readable whatever came in.
            let len = msgraph_result_length(h);
            assert!(len >= 0);
            assert!(!msgraph_result_body(h).is_null());
            assert!(!msgraph_result_headers(h).is_null());
            assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
        }
    }
    eprintln!("{cases} answers, slowest call {slowest:?}, statuses {statuses:?}");
}
