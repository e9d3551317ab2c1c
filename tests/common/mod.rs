//! Helpers for tests that drive libmsgraph through its C ABI against the
//! bundled emulator.
#![allow(dead_code)]

pub mod cprog;

pub use msgraph::ffi::call::*;
pub use msgraph::ffi::credential::*;
pub use msgraph::ffi::library::*;
pub use msgraph::ffi::result::*;
pub use msgraph::status::*;
pub use msgraph_emulator::{Emulator, Options};
use serde_json::Value;
use std::ffi::{c_char, CStr, CString};
use std::sync::atomic::{AtomicU32, Ordering};

/// A C string for an argument.
pub fn cs(s: &str) -> CString {
    CString::new(s).expect("no NUL in test strings")
}

/// NULL or a C string.
pub fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

/// Text of a static or result-owned C string.
pub fn text(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }
}

/// This thread's last error.
pub fn last_error() -> String {
    text(msgraph_last_error()).unwrap_or_default()
}

/// A credential name unique in this test process.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Starts an emulator with default options.
pub fn emulator() -> Emulator {
    Emulator::start(Options::default()).expect("emulator starts")
}

/// Registers a credential for the emulator's primary app, with extra keys.
pub fn credential(emu: &Emulator, extra: Value) -> String {
    let name = unique("cred");
    let mut cfg = emu.credential_json();
    if let Value::Object(m) = extra {
        for (k, v) in m {
            cfg[k] = v;
        }
    }
    let rc = msgraph_credential_set(cs(&name).as_ptr(), cs(&cfg.to_string()).as_ptr());
    assert_eq!(rc, MSGRAPH_OK, "credential_set: {}", last_error());
    name
}

/// A result read and freed.
#[derive(Debug)]
pub struct Got {
    pub handle: i32,
    pub status: i32,
    pub body: String,
    pub headers: Value,
}

impl Got {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers[name].as_str().map(str::to_string)
    }
}

/// Reads everything of a result, then frees it.
pub fn take(handle: i32) -> Got {
    assert!(handle > 0, "expected a result handle, got {handle}: {}", last_error());
    let status = msgraph_result_status(handle);
    let len = msgraph_result_length(handle);
    let body_ptr = msgraph_result_body(handle);
    assert!(!body_ptr.is_null());
    let bytes = unsafe { std::slice::from_raw_parts(body_ptr as *const u8, len as usize + 1) };
    assert_eq!(bytes[len as usize], 0, "body is NUL-terminated");
    let body = String::from_utf8(bytes[..len as usize].to_vec()).expect("UTF-8 body");
    let headers: Value = serde_json::from_str(&text(msgraph_result_headers(handle)).unwrap()).unwrap();
    assert_eq!(msgraph_result_free(handle), MSGRAPH_OK);
    Got { handle, status, body, headers }
}

/// msgraph_request with Rust strings; returns the raw return value.
pub fn request_raw(cred: &str, method: &str, url: &str, body: Option<&str>, options: Option<&str>) -> i32 {
    let body = body.map(cs);
    let options = options.map(cs);
    msgraph_request(cs(cred).as_ptr(), cs(method).as_ptr(), cs(url).as_ptr(), ptr(&body), ptr(&options))
}

/// msgraph_request, read and freed.
pub fn request(cred: &str, method: &str, url: &str, body: Option<&str>, options: Option<&str>) -> Got {
    take(request_raw(cred, method, url, body, options))
}

/// GET, expecting 200, as JSON.
pub fn get_json(cred: &str, url: &str) -> Value {
    let g = request(cred, "GET", url, None, None);
    assert_eq!(g.status, 200, "GET {url}: {}", g.body);
    g.json()
}

/// msgraph_token_info, read and freed.
pub fn token_info(cred: &str, options: Option<&str>) -> Got {
    let options = options.map(cs);
    take(msgraph_token_info(cs(cred).as_ptr(), ptr(&options)))
}

/// msgraph_batch, read and freed.
pub fn batch(cred: &str, requests: &str, options: Option<&str>) -> Got {
    let options = options.map(cs);
    take(msgraph_batch(cs(cred).as_ptr(), cs(requests).as_ptr(), ptr(&options)))
}

/// Value of a recorded request's header.
pub fn header_of<'a>(r: &'a msgraph_emulator::RecordedRequest, name: &str) -> Option<&'a str> {
    r.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Recorded Graph requests (not token requests).
pub fn graph_requests(emu: &Emulator) -> Vec<msgraph_emulator::RecordedRequest> {
    emu.requests().into_iter().filter(|r| r.path.starts_with("/v1.0") || r.path.starts_with("/beta")).collect()
}
