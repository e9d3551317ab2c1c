//! Upload bodies: request and batch bodies larger than one Oracle RAW,
//! sent in chunks by the MSGRAPH package and consumed by the call they are
//! given to.

use crate::error::{Error, Result};
use crate::status::*;
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

/// Largest upload body (bytes).
pub(crate) const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;
/// Most upload bodies alive at once in the process.
pub(crate) const MAX_LIVE_BODIES: usize = 1024;

static BODIES: Lazy<Mutex<HashMap<i32, Vec<u8>>>> = Lazy::new(Default::default);
static NEXT_BODY: AtomicI32 = AtomicI32::new(1);

fn lock() -> std::sync::MutexGuard<'static, HashMap<i32, Vec<u8>>> {
    crate::sync::lock(&BODIES)
}

/// Starts an empty body; returns its handle (> 0).
pub fn new() -> Result<i32> {
    let mut t = lock();
    if t.len() >= MAX_LIVE_BODIES {
        return Err(Error::new(MSGRAPH_ERR_LIMIT, "too many upload bodies are alive"));
    }
    let id = NEXT_BODY.fetch_add(1, Ordering::Relaxed);
    if id <= 0 {
        return Err(Error::new(MSGRAPH_ERR_LIMIT, "upload body handles are exhausted"));
    }
    t.insert(id, Vec::new());
    Ok(id)
}

/// Appends bytes; returns the body's length so far. Past
/// [`MAX_BODY_BYTES`] the body is dropped.
pub fn append(handle: i32, bytes: &[u8]) -> Result<usize> {
    let mut t = lock();
    let b = t.get_mut(&handle).ok_or_else(|| Error::not_found(format!("no upload body with handle {handle}")))?;
    if b.len() + bytes.len() > MAX_BODY_BYTES {
        t.remove(&handle);
        return Err(Error::new(MSGRAPH_ERR_TOO_LARGE, "the request body is larger than 256 MiB"));
    }
    b.extend_from_slice(bytes);
    Ok(b.len())
}

/// Takes a body out of the table (it is consumed by the call).
pub fn take(handle: i32) -> Result<Vec<u8>> {
    lock().remove(&handle).ok_or_else(|| Error::not_found(format!("no upload body with handle {handle}")))
}
