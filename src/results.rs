//! Result handles: capped in number, and never running out.
//! A result owns its body (NUL-terminated for C) and its headers.
//!
//! A handle is a positive int32_t: bits 0..19 are a slot index (the cap on
//! live results, at most 1,000,000, stays under 2^20) and bits 20..30 the
//! slot's generation (1..=2047), which moves on every free. Freed slots are
//! reused oldest first, and only once 4096 of them wait, so a freed handle
//! names nothing for at least 4096 × 2047 (about 8.4 million) further
//! results before the same number can come back; stale handles give
//! MSGRAPH_ERR_NOT_FOUND, never another result within that span.

use crate::error::{Error, Result};
use crate::response::Response;
use crate::status::*;
use crate::sync::lock;
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::ffi::CString;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// Strings handed out by JSON accessors, one per JSON Pointer (a
    /// repeated look-up hands out the same string); freed with the result.
    handed_out: Mutex<HashMap<String, CString>>,
}

impl StoredResult {
    fn new(r: Response) -> StoredResult {
        let mut body = r.body;
        let utf8 = std::str::from_utf8(&body).is_ok();
        body.push(0);
        let headers = r.headers.into_iter().map(|(k, v)| (lower_case(k), c_string(v))).collect();
        StoredResult {
            status: r.status,
            body,
            utf8,
            headers,
            headers_json: OnceLock::new(),
            json_index: crate::json_pointer::Index::new(),
            handed_out: Mutex::new(HashMap::new()),
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
    /// The string of one `key` (the JSON Pointer) is made once: memory
    /// grows with the distinct pointers looked up, not with the look-ups.
    pub fn hand_out_with(&self, key: &str, make: impl FnOnce() -> Result<String>) -> Result<*const std::ffi::c_char> {
        let mut h = lock(&self.handed_out);
        if let Some(c) = h.get(key) {
            return Ok(c.as_ptr());
        }
        let c = CString::new(make()?.replace('\0', "\\u0000")).unwrap_or_default();
        let p = c.as_ptr();
        h.insert(key.to_string(), c);
        Ok(p)
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

/// A header name in lower case, the string kept when it already is.
fn lower_case(mut k: String) -> String {
    if k.bytes().any(|b| b.is_ascii_uppercase()) {
        k.make_ascii_lowercase();
    }
    k
}

/// A header value as a C string: the string's own buffer when it holds no
/// NUL (the transport leaves room for the terminator), else without them.
fn c_string(v: String) -> CString {
    match CString::new(v) {
        Ok(c) => c,
        Err(e) => {
            let mut bytes = e.into_vec();
            bytes.retain(|b| *b != 0);
            CString::new(bytes).unwrap_or_default()
        }
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

static MAX_LIVE: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_LIVE);
/// The table's `live`, readable without its lock (written under it).
static LIVE: AtomicUsize = AtomicUsize::new(0);

const SLOT_BITS: u32 = 20;
const SLOT_MASK: i32 = (1 << SLOT_BITS) - 1;
const MAX_GENERATION: i32 = i32::MAX >> SLOT_BITS; // 2047
/// Freed slots wait in line until this many are free.
const REUSE_AFTER: usize = 4096;

#[derive(Default)]
struct Table {
    slots: Vec<(i32, Option<Arc<StoredResult>>)>,
    free: std::collections::VecDeque<usize>,
    live: usize,
}

impl Table {
    fn find(&self, handle: i32) -> Option<(usize, &Arc<StoredResult>)> {
        if handle <= 0 {
            return None;
        }
        let index = (handle & SLOT_MASK) as usize;
        let generation = handle >> SLOT_BITS;
        match self.slots.get(index) {
            Some((g, Some(r))) if *g == generation => Some((index, r)),
            _ => None,
        }
    }
}

static TABLE: Lazy<Mutex<Table>> = Lazy::new(Default::default);

/// Stores a response; returns its handle (> 0).
pub fn insert(r: Response) -> Result<i32> {
    let stored = Arc::new(StoredResult::new(r));
    let mut t = lock(&TABLE);
    if t.live >= MAX_LIVE.load(Ordering::Relaxed) {
        return Err(Error::new(
            MSGRAPH_ERR_LIMIT,
            format!("{} results are live: free results with msgraph_result_free", t.live),
        ));
    }
    let grow = t.free.len() < REUSE_AFTER && t.slots.len() <= SLOT_MASK as usize;
    let index = match (grow, t.free.pop_front()) {
        (false, Some(i)) => i,
        (true, Some(i)) => {
            t.free.push_front(i);
            t.slots.push((1, None));
            t.slots.len() - 1
        }
        (_, None) if t.slots.len() <= SLOT_MASK as usize => {
            t.slots.push((1, None));
            t.slots.len() - 1
        }
        (_, None) => return Err(Error::new(MSGRAPH_ERR_LIMIT, "no result slot is free")),
    };
    let slot = &mut t.slots[index];
    slot.1 = Some(stored);
    let handle = (slot.0 << SLOT_BITS) | index as i32;
    t.live += 1;
    LIVE.store(t.live, Ordering::Relaxed);
    Ok(handle)
}

/// Fails with `MSGRAPH_ERR_LIMIT` when no further result can be stored, so
/// that a call does not spend an exchange whose answer it cannot keep.
pub fn check_capacity() -> Result<()> {
    let live = LIVE.load(Ordering::Relaxed);
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
        .find(handle)
        .map(|(_, r)| r.clone())
        .ok_or_else(|| Error::not_found(format!("no live result with handle {handle}")))
}

/// Frees a result. Handle 0 is a no-op, like free(NULL).
pub fn free(handle: i32) -> Result<()> {
    if handle == 0 {
        return Ok(());
    }
    let taken = {
        let mut t = lock(&TABLE);
        let Some((index, _)) = t.find(handle) else {
            return Err(Error::not_found(format!("no live result with handle {handle}")));
        };
        let slot = &mut t.slots[index];
        let r = slot.1.take();
        slot.0 = if slot.0 >= MAX_GENERATION { 1 } else { slot.0 + 1 };
        t.free.push_back(index);
        t.live -= 1;
        LIVE.store(t.live, Ordering::Relaxed);
        r
    };
    // The body is dropped outside the lock.
    drop(taken);
    Ok(())
}

/// Number of live results.
pub fn live() -> usize {
    lock(&TABLE).live
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
