//! Shared pieces of the fuzz targets: splitting an input into C strings and
//! a tiny loopback HTTP server (token endpoint + Graph) so the C entry
//! points can run whole calls without the network and without sleeping.

use std::ffi::CString;
use std::io::{BufReader, Write};

/// The request reader and listener the tests' servers use too.
#[path = "../../tests/common/loopback.rs"]
mod loopback;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Splits `data` at NUL bytes into `n` C strings (missing ones are empty,
/// extra ones dropped): each is NUL-terminated by construction, as a C
/// caller's would be.
pub fn c_strings(data: &[u8], n: usize) -> Vec<CString> {
    let mut parts: Vec<CString> = data.split(|b| *b == 0).take(n).map(|p| CString::new(p.to_vec()).unwrap()).collect();
    while parts.len() < n {
        parts.push(CString::default());
    }
    parts
}

/// The Graph body served for the first Graph request after [`serve_body`]
/// (later requests get an empty page, so nextLink chains end).
static BODY: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static GENERATION: AtomicU64 = AtomicU64::new(0);
static SERVED: AtomicU64 = AtomicU64::new(u64::MAX);

/// Sets the body the next Graph request gets.
pub fn serve_body(body: &[u8]) {
    *BODY.lock().unwrap() = body.to_vec();
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

fn graph_body() -> Vec<u8> {
    let gen = GENERATION.load(Ordering::SeqCst);
    if SERVED.swap(gen, Ordering::SeqCst) != gen {
        BODY.lock().unwrap().clone()
    } else {
        b"{\"value\":[]}".to_vec()
    }
}

// header {"alg":"none","typ":"JWT"} . payload {"roles":["User.Read.All"],"tid":"t","exp":4102444800} . "sig"
const TOKEN: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJyb2xlcyI6WyJVc2VyLlJlYWQuQWxsIl0sInRpZCI6InQiLCJleHAiOjQxMDI0NDQ4MDB9.c2ln";

/// Starts the server once; returns its port.
pub fn server() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        loopback::spawn("127.0.0.1", |s| {
            let _ = s.set_nodelay(true);
            let Ok(mut w) = s.try_clone() else { return };
            let mut r = BufReader::new(s);
            while let Ok(Some(req)) = loopback::read_request(&mut r) {
                let resp = if req.is_token() {
                    format!("{{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"{TOKEN}\"}}").into_bytes()
                } else {
                    graph_body()
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nrequest-id: 1\r\n\r\n",
                    resp.len()
                );
                if w.write_all(head.as_bytes()).and_then(|_| w.write_all(&resp)).is_err() {
                    return;
                }
            }
        })
    })
}

/// A credential configuration for the loopback server.
pub fn credential_json(port: u16) -> String {
    format!(
        "{{\"tenant_id\":\"t\",\"client_id\":\"c\",\"client_secret\":\"s\",\"authority_host\":\"http://127.0.0.1:{port}\",\
         \"graph_base_url\":\"http://127.0.0.1:{port}/v1.0\",\"max_retries\":0,\"timeout_ms\":2000,\"connect_timeout_ms\":2000}}"
    )
}

/// Registers the credential `name` for the loopback server (once).
pub fn register(name: &str) {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let port = server();
        let n = CString::new(name).unwrap();
        let c = CString::new(credential_json(port)).unwrap();
        assert_eq!(msgraph::ffi::credential::msgraph_credential_set(n.as_ptr(), c.as_ptr()), 0);
    });
}

/// For `answers`: the raw answer, and whether the token endpoint (true)
/// or Graph (false) gets it; the other side answers well.
static RAW: Mutex<(bool, Vec<u8>)> = Mutex::new((false, Vec::new()));

/// Sets the raw answer of the next exchanges of [`raw_server`].
pub fn serve_raw(to_token_endpoint: bool, answer: &[u8]) {
    *RAW.lock().unwrap() = (to_token_endpoint, answer.to_vec());
}

/// A loopback server that answers each connection once, with the raw
/// bytes of [`serve_raw`] for its side, then closes it. Returns its port.
pub fn raw_server() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        loopback::spawn("127.0.0.1", |s| {
            let Ok(mut w) = s.try_clone() else { return };
            let Ok(Some(req)) = loopback::read_request(&mut BufReader::new(s)) else { return };
            let (to_token, raw) = RAW.lock().unwrap().clone();
            let out = if to_token == req.is_token() {
                raw
            } else if req.is_token() {
                let b = format!("{{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"{TOKEN}\"}}");
                format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{b}", b.len()).into_bytes()
            } else {
                b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n{\"value\":[]}".to_vec()
            };
            let _ = w.write_all(&out);
        })
    })
}

/// Registers the credential `name` for [`raw_server`] (once), with no
/// retries and a short budget, so no input makes the target sleep long.
pub fn raw_register(name: &str) {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let port = raw_server();
        let n = CString::new(name).unwrap();
        let c = CString::new(format!(
            "{{\"tenant_id\":\"t\",\"client_id\":\"c\",\"client_secret\":\"s\",\"authority_host\":\"http://127.0.0.1:{port}\",\
             \"graph_base_url\":\"http://127.0.0.1:{port}/v1.0\",\"max_retries\":0,\"retry_budget_ms\":0,\"timeout_ms\":1000,\"connect_timeout_ms\":1000}}"
        ))
        .unwrap();
        assert_eq!(msgraph::ffi::credential::msgraph_credential_set(n.as_ptr(), c.as_ptr()), 0);
    });
}
