//! Result handles: numbered, never reused within a process, capped in number.
//! A result owns its body (NUL-terminated for C) and its headers.

use crate::error::{Error, Result};
use crate::response::Response;
use crate::status::*;
use crate::sync::lock;
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::ffi::CString;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Default cap on live results.
pub const DEFAULT_MAX_LIVE: usize = 4096;

/// A stored result.
#[derive(Debug)]
pub struct StoredResult {
    /// HTTP status or negative library status.
    pub status: i32,
    /// Body bytes followed by one NUL (not counted in `len`).
    body: Vec<u8>,
    /// True when the body is valid UTF-8 (reads then never split a character).
    pub utf8: bool,
    /// Headers with NUL-terminated values; names in lower case.
    headers: Vec<(String, CString)>,
    /// All headers as JSON, made on first use.
    headers_json: OnceLock<CString>,
    /// Container splits for the JSON accessors, kept between look-ups.
    json_index: crate::json_pointer::Index,
    /// Strings handed out by JSON accessors; freed with the result.
    handed_out: Mutex<Vec<CString>>,
}

impl StoredResult {
    fn new(r: Response) -> StoredResult {
        let mut body = r.body;
        let utf8 = std::str::from_utf8(&body).is_ok();
        body.push(0);
        let headers = r
            .headers
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), CString::new(v.replace('\0', "")).unwrap_or_default()))
            .collect();
        StoredResult {
            status: r.status,
            body,
            utf8,
            headers,
            headers_json: OnceLock::new(),
            json_index: crate::json_pointer::Index::new(),
            handed_out: Mutex::new(Vec::new()),
        }
    }
    /// Body length in bytes.
    pub fn len(&self) -> usize {
        self.body.len() - 1
    }
    /// True for an empty body.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The body without the NUL.
    pub fn body(&self) -> &[u8] {
        &self.body[..self.len()]
    }
    /// The body with its NUL terminator.
    pub fn body_with_nul(&self) -> &[u8] {
        &self.body
    }
    /// Every header in the order received (names in lower case).
    pub fn header_pairs(&self) -> impl Iterator<Item = (&str, std::borrow::Cow<'_, str>)> {
        self.headers.iter().map(|(k, v)| (k.as_str(), v.to_string_lossy()))
    }

    /// A header's first value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&CString> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }
    /// All headers as a NUL-terminated JSON object, kept with the result.
    pub fn headers_json_c(&self) -> &CString {
        self.headers_json.get_or_init(|| CString::new(self.headers_json()).unwrap_or_default())
    }
    /// All headers as a JSON object (several values joined by ", ").
    pub fn headers_json(&self) -> String {
        let mut m = serde_json::Map::new();
        for (k, v) in &self.headers {
            let v = v.to_string_lossy();
            match m.get_mut(k) {
                Some(serde_json::Value::String(s)) => {
                    s.push_str(", ");
                    s.push_str(&v);
                }
                _ => {
                    m.insert(k.clone(), v.into_owned().into());
                }
            }
        }
        serde_json::Value::Object(m).to_string()
    }

    fn check_pointer(pointer: &str) -> Result<()> {
        if pointer.is_empty() || pointer.starts_with('/') {
            Ok(())
        } else {
            Err(Error::argument("a JSON Pointer is \"\" or starts with '/', e.g. \"/value/0/displayName\""))
        }
    }

    fn not_json() -> Error {
        Error::argument("the body is not JSON")
    }

    fn nothing_at(pointer: &str) -> Error {
        Error::not_found(format!("nothing at JSON Pointer '{pointer}'"))
    }

    fn json_range(&self, pointer: &str) -> Result<(&str, std::ops::Range<usize>)> {
        Self::check_pointer(pointer)?;
        let text = std::str::from_utf8(self.body()).map_err(|_| Self::not_json())?;
        let at = self.json_index.find(text, pointer).map_err(|_| Self::not_json())?.ok_or_else(|| Self::nothing_at(pointer))?;
        Ok((text, at))
    }

    /// The value at a JSON Pointer (RFC 6901, "" for the whole body) of a
    /// JSON body: a string as its text, anything else as its JSON text.
    /// No tree of the body is built (see `json_pointer`).
    pub fn json_text(&self, pointer: &str) -> Result<String> {
        let (text, at) = self.json_range(pointer)?;
        let raw = &text[at];
        if raw.starts_with('"') {
            serde_json::from_str::<String>(raw).map_err(|_| Self::not_json())
        } else {
            Ok(raw.to_string())
        }
    }

    /// Elements of the array (or members of the object) at a JSON Pointer;
    /// 0 for a scalar.
    pub fn json_count(&self, pointer: &str) -> Result<usize> {
        let (text, at) = self.json_range(pointer)?;
        self.json_index.count(text, at).map_err(|_| Self::not_json())
    }

    /// Keeps a string alive as long as the result; returns a pointer to it.
    pub fn hand_out(&self, text: String) -> *const std::ffi::c_char {
        let c = CString::new(text.replace('\0', "\\u0000")).unwrap_or_default();
        let p = c.as_ptr();
        lock(&self.handed_out).push(c);
        p
    }

    /// Copies up to `buf_len` bytes from `offset` without splitting a UTF-8
    /// character (when the body is UTF-8). Returns how many bytes to copy.
    pub fn read_span(&self, offset: u64, buf_len: u64) -> Result<std::ops::Range<usize>> {
        let len = self.len() as u64;
        if offset > len {
            return Err(Error::argument(format!("offset {offset} is past the end of the body ({len} bytes)")));
        }
        let start = offset as usize;
        let mut end = (offset.saturating_add(buf_len)).min(len) as usize;
        if self.utf8 {
            let body = self.body();
            if start < body.len() && is_continuation(body[start]) {
                return Err(Error::argument(format!("offset {offset} is inside a UTF-8 character")));
            }
            while end > start && end < body.len() && is_continuation(body[end]) {
                end -= 1;
            }
            if end == start && start < body.len() {
                return Err(Error::argument("the buffer is too small for the next UTF-8 character (4 bytes suffice)"));
            }
        }
        Ok(start..end)
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

static NEXT: AtomicI32 = AtomicI32::new(1);
static MAX_LIVE: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_LIVE);
static TABLE: Lazy<Mutex<HashMap<i32, Arc<StoredResult>>>> = Lazy::new(Default::default);

/// Stores a response; returns its handle (> 0).
pub fn insert(r: Response) -> Result<i32> {
    let stored = Arc::new(StoredResult::new(r));
    let mut t = lock(&TABLE);
    if t.len() >= MAX_LIVE.load(Ordering::Relaxed) {
        return Err(Error::new(
            MSGRAPH_ERR_LIMIT,
            format!("{} results are live: free results with msgraph_result_free", t.len()),
        ));
    }
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    if id <= 0 {
        NEXT.store(i32::MIN, Ordering::Relaxed);
        return Err(Error::new(MSGRAPH_ERR_LIMIT, "result handles are exhausted for this process"));
    }
    t.insert(id, stored);
    Ok(id)
}

/// Fails with `MSGRAPH_ERR_LIMIT` when no further result can be stored, so
/// that a call does not spend an exchange whose answer it cannot keep.
pub fn check_capacity() -> Result<()> {
    let live = lock(&TABLE).len();
    if live >= MAX_LIVE.load(Ordering::Relaxed) {
        return Err(Error::new(
            MSGRAPH_ERR_LIMIT,
            format!("{live} results are live: free results with msgraph_result_free"),
        ));
    }
    Ok(())
}

/// A live result.
pub fn get(handle: i32) -> Result<Arc<StoredResult>> {
    lock(&TABLE)
        .get(&handle)
        .cloned()
        .ok_or_else(|| Error::not_found(format!("no live result with handle {handle}")))
}

/// Frees a result. Handle 0 is a no-op, like free(NULL).
pub fn free(handle: i32) -> Result<()> {
    if handle == 0 {
        return Ok(());
    }
    lock(&TABLE)
        .remove(&handle)
        .map(|_| ())
        .ok_or_else(|| Error::not_found(format!("no live result with handle {handle}")))
}

/// Number of live results.
pub fn live() -> usize {
    lock(&TABLE).len()
}

/// Sets the cap on live results (1 ..= 1,000,000).
pub fn set_max_live(n: usize) -> Result<()> {
    if !(1..=1_000_000).contains(&n) {
        return Err(Error::argument("the cap on live results must be from 1 to 1000000"));
    }
    MAX_LIVE.store(n, Ordering::Relaxed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(body: &str) -> StoredResult {
        StoredResult::new(Response { status: 200, headers: vec![], body: body.as_bytes().to_vec() })
    }

    #[test]
    fn reads_never_split_characters() {
        let r = stored("aé李");
        // bytes: a(1) é(2) 李(3) = 6
        assert_eq!(r.len(), 6);
        assert_eq!(r.read_span(0, 2).unwrap(), 0..1);
        assert_eq!(r.read_span(1, 2).unwrap(), 1..3);
        assert_eq!(r.read_span(3, 2).unwrap_err().status, MSGRAPH_ERR_ARGUMENT);
        assert_eq!(r.read_span(3, 3).unwrap(), 3..6);
        assert_eq!(r.read_span(6, 3).unwrap(), 6..6);
        assert_eq!(r.read_span(2, 3).unwrap_err().status, MSGRAPH_ERR_ARGUMENT);
        assert_eq!(r.read_span(7, 3).unwrap_err().status, MSGRAPH_ERR_ARGUMENT);
    }

    #[test]
    fn binary_bodies_read_as_bytes() {
        let r = StoredResult::new(Response { status: 200, headers: vec![], body: vec![0xff, 0x80, 0x80] });
        assert!(!r.utf8);
        assert_eq!(r.read_span(1, 1).unwrap(), 1..2);
    }
}
