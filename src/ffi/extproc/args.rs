//! IN and OUT RAW parameters of the Oracle entry points.

use crate::error::Error;
use crate::outcome::floor_char_boundary;
use crate::status::MSGRAPH_ERR_TOO_LARGE;

/// Reads an IN RAW argument: None for SQL NULL.
pub(crate) fn raw_arg<'a>(ptr: *const u8, ind: i16, len: i32, what: &str) -> Result<Option<&'a [u8]>, Error> {
    if ind < 0 {
        return Ok(None);
    }
    let len = usize::try_from(len).map_err(|_| Error::argument(format!("{what}: negative length")))?;
    if len == 0 {
        return Ok(Some(&[]));
    }
    if ptr.is_null() {
        return Err(Error::argument(format!("{what}: NULL pointer with a length of {len}")));
    }
    // SAFETY: the agent passes `len` readable bytes for a non-NULL RAW.
    Ok(Some(unsafe { std::slice::from_raw_parts(ptr, len) }))
}

/// Reads an IN RAW argument holding UTF-8 text: None for SQL NULL.
pub(crate) fn text_arg<'a>(ptr: *const u8, ind: i16, len: i32, what: &str) -> Result<Option<&'a str>, Error> {
    match raw_arg(ptr, ind, len, what)? {
        None => Ok(None),
        Some(b) => std::str::from_utf8(b)
            .map(Some)
            .map_err(|_| Error::argument(format!("{what} is not valid UTF-8"))),
    }
}

/// Like [`text_arg`], but SQL NULL and empty text are refused.
pub(crate) fn required_text<'a>(ptr: *const u8, ind: i16, len: i32, what: &str) -> Result<&'a str, Error> {
    match text_arg(ptr, ind, len, what)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(Error::argument(format!("{what} is NULL"))),
    }
}

/// Required text that came either as an upload body (`uploaded`, the
/// result of taking it; it wins) or as an IN RAW: `what` names the RAW in
/// its NULL error, `uploaded_what` the upload in its UTF-8 error.
pub(crate) fn uploaded_or_required_text(
    uploaded: Option<Result<Vec<u8>, Error>>,
    ptr: *const u8,
    ind: i16,
    len: i32,
    what: &str,
    uploaded_what: &str,
) -> Result<String, Error> {
    match uploaded {
        Some(b) => String::from_utf8(b?).map_err(|_| Error::argument(format!("the {uploaded_what} are not valid UTF-8"))),
        None => Ok(required_text(ptr, ind, len, what)?.to_string()),
    }
}

/// An OUT RAW argument (buffer, indicator, length, capacity).
pub(crate) struct OutRaw {
    buf: *mut u8,
    ind: *mut i16,
    len: *mut i32,
    maxlen: *mut i32,
}

impl OutRaw {
    /// Wraps the four pointers and sets the argument to NULL, so it is set
    /// whatever happens next.
    pub(crate) fn new(buf: *mut u8, ind: *mut i16, len: *mut i32, maxlen: *mut i32) -> OutRaw {
        let o = OutRaw { buf, ind, len, maxlen };
        o.set_null();
        o
    }
    pub(crate) fn capacity(&self) -> usize {
        if self.maxlen.is_null() || self.buf.is_null() {
            return 0;
        }
        // SAFETY: the agent passes a valid sb4 for MAXLEN.
        usize::try_from(unsafe { *self.maxlen }).unwrap_or(0)
    }
    /// The capacity, refusing a NULL buffer or a `maxlen` under 1 (which
    /// would read as the end of a non-empty stream).
    pub(crate) fn checked_capacity(&self) -> Result<usize, Error> {
        match self.capacity() {
            0 => Err(Error::argument("the buffer is NULL or its maxlen is not positive")),
            n => Ok(n),
        }
    }
    pub(crate) fn set_null(&self) {
        // SAFETY: the agent passes valid pointers for INDICATOR and LENGTH
        // of an OUT parameter; NULL pointers are skipped.
        unsafe {
            if !self.ind.is_null() {
                *self.ind = -1;
            }
            if !self.len.is_null() {
                *self.len = 0;
            }
        }
    }
    /// Writes `bytes` (already cut to fit); empty is NULL, as in Oracle.
    pub(crate) fn put_exact(&self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.capacity());
        if n == 0 {
            self.set_null();
            return 0;
        }
        // SAFETY: `buf` has `capacity()` writable bytes and n <= capacity.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.buf, n);
            if !self.ind.is_null() {
                *self.ind = 0;
            }
            if !self.len.is_null() {
                *self.len = n as i32;
            }
        }
        n
    }
    /// Passes `r` on, writing a failure's one line (the outcome module's)
    /// into this argument: the xp calls whose errors have no result.
    pub(crate) fn error_of<T>(&self, r: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &r {
            self.put_text(crate::outcome::Outcome::of_error(e).message.as_deref().unwrap_or(""));
        }
        r
    }
    /// Writes as much of `text` as fits without splitting a character.
    pub(crate) fn put_text(&self, text: &str) -> usize {
        let cut = floor_char_boundary(text, self.capacity());
        self.put_exact(&text.as_bytes()[..cut])
    }
}

/// The xp readers' status for a buffer that cannot hold the next character.
pub(crate) fn too_small() -> Error {
    Error::new(MSGRAPH_ERR_TOO_LARGE, "the buffer is too small for the next character (4 bytes suffice)")
}
