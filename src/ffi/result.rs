//! Reading and freeing results.
//!
//! A result is immutable once made, so any thread may read it. Pointers a
//! result hands out stay valid until msgraph_result_free() of that result:
//! freeing a result while another thread still uses its pointers is the
//! caller's bug, as with free().

use super::*;
use crate::results;

/// The final HTTP status (100..599) of the exchange, or the negative
/// MSGRAPH_ERR_* status of a library failure (whose body is then
/// {"error":{"code":"MSGRAPH_ERR_…","message":…}}).
///
/// Returns MSGRAPH_ERR_NOT_FOUND for an unknown or freed handle.
#[no_mangle]
pub extern "C" fn msgraph_result_status(result: msgraph_result) -> i32 {
    ffi_fn!({ results::get(result).map(|r| r.status) })
}

/// The body's length in bytes (0 for 202 and 204 answers), or
/// MSGRAPH_ERR_NOT_FOUND for an unknown or freed handle.
#[no_mangle]
pub extern "C" fn msgraph_result_length(result: msgraph_result) -> i64 {
    ffi_fn!({ results::get(result).map(|r| r.len() as i64) })
}

/// The body: Graph's answer exactly as received, followed by a NUL byte (not
/// counted in msgraph_result_length()). A body may itself hold NUL bytes;
/// use the length, or msgraph_result_read(), for such bodies.
///
/// The pointer is owned by the result and valid until msgraph_result_free()
/// of it; never free it. Returns NULL for an unknown or freed handle.
#[no_mangle]
pub extern "C" fn msgraph_result_body(result: msgraph_result) -> *const c_char {
    ffi_fn!({ Ok(results::get(result)?.body_with_nul().as_ptr() as *const c_char) })
}

/// Copies up to `buf_len` bytes of the body, starting at byte `offset`, into
/// `buf`. Never splits a UTF-8 character of a UTF-8 body: it copies fewer
/// bytes instead (a buffer of 4 bytes or more always makes progress). Does
/// not NUL-terminate.
///
/// Returns the number of bytes copied (0 at the end of the body), or a
/// negative status: MSGRAPH_ERR_NOT_FOUND (unknown handle),
/// MSGRAPH_ERR_ARGUMENT (NULL buf with buf_len > 0, negative offset or
/// buf_len, offset past the end or inside a character, buffer too small for
/// the next character).
#[no_mangle]
pub extern "C" fn msgraph_result_read(result: msgraph_result, offset: i64, buf: *mut c_char, buf_len: i64) -> i64 {
    ffi_fn!({
        let r = results::get(result)?;
        let offset = u64::try_from(offset).map_err(|_| Error::argument("offset is negative"))?;
        let buf_len = u64::try_from(buf_len).map_err(|_| Error::argument("buf_len is negative"))?;
        if buf_len == 0 {
            return Ok(0);
        }
        if buf.is_null() {
            return Err(Error::argument("buf is NULL"));
        }
        let span = r.read_span(offset, buf_len)?;
        let n = span.len();
        // SAFETY: `span` lies inside the body; the caller promises
        // `buf_len` writable bytes at `buf`, and n <= buf_len.
        unsafe { std::ptr::copy_nonoverlapping(r.body()[span].as_ptr(), buf as *mut u8, n) };
        Ok(n as i64)
    })
}

/// The first value of a response header, by case-insensitive name
/// ("request-id", "client-request-id", "retry-after", "content-type", the
/// library's "x-msgraph-retries" …).
///
/// The string is owned by the result and valid until msgraph_result_free()
/// of it; never free it. Returns NULL if the header is absent, the handle
/// unknown or the name NULL.
#[no_mangle]
pub extern "C" fn msgraph_result_header(result: msgraph_result, name: *const c_char) -> *const c_char {
    ffi_fn!({
        let name = str_arg(name, "name")?;
        let r = results::get(result)?;
        // An absent header is NULL without a failure.
        Ok(r.header(name).map_or(std::ptr::null(), |v| v.as_ptr()))
    })
}

/// All response headers as a JSON object, names in lower case, repeated
/// headers joined by ", ".
///
/// The string is owned by the result and valid until msgraph_result_free()
/// of it; never free it. Returns NULL for an unknown handle.
#[no_mangle]
pub extern "C" fn msgraph_result_headers(result: msgraph_result) -> *const c_char {
    ffi_fn!({ Ok(results::get(result)?.headers_json_c().as_ptr()) })
}

/// The value at a JSON Pointer (RFC 6901) in a JSON body: a string value
/// as its text (unquoted), any other value (number, true/false/null, object,
/// array) as compact JSON. "" is the whole document; "/value/0/displayName"
/// the first item's name; "/claims/roles" a token's roles. Lets C programs
/// pick fields without a JSON library. No tree of the body is built: the
/// containers on the path are split into their children's positions, and
/// large ones keep that split with the result, so looping over
/// "/value/{i}/…" stays cheap and a big result costs little more than its
/// own size.
///
/// The string is owned by the result and valid until msgraph_result_free()
/// of it; never free it. Looking up the same pointer again returns the same
/// string (memory grows with the distinct pointers, not the look-ups).
/// Returns NULL (and sets msgraph_last_error()) if the
/// handle is unknown, the pointer NULL or malformed, the body not JSON, or
/// nothing is at the pointer.
#[no_mangle]
pub extern "C" fn msgraph_result_json(result: msgraph_result, pointer: *const c_char) -> *const c_char {
    ffi_fn!({
        let pointer = str_arg(pointer, "pointer")?;
        let r = results::get(result)?;
        r.hand_out_with(pointer, || r.json_text(pointer))
    })
}

/// The number of elements of the array (or members of the object) at a JSON
/// Pointer in a JSON body, e.g. msgraph_result_json_count(r, "/value") for
/// the items of a page. 0 for a scalar.
///
/// Returns the count (>= 0), or a negative status: MSGRAPH_ERR_NOT_FOUND
/// (unknown handle, nothing at the pointer), MSGRAPH_ERR_ARGUMENT (NULL or
/// malformed pointer, body not JSON).
#[no_mangle]
pub extern "C" fn msgraph_result_json_count(result: msgraph_result, pointer: *const c_char) -> i64 {
    ffi_fn!({
        let pointer = str_arg(pointer, "pointer")?;
        let r = results::get(result)?;
        Ok(r.json_count(pointer)? as i64)
    })
}

/// Frees a result and everything it handed out. Freeing handle 0 does
/// nothing and returns MSGRAPH_OK (like free(NULL)); freeing an unknown or
/// already freed handle returns MSGRAPH_ERR_NOT_FOUND and changes nothing.
/// A freed handle stays invalid for at least 8.4 million further results
/// (a handle is a slot index and its generation: see the header's top).
#[no_mangle]
pub extern "C" fn msgraph_result_free(result: msgraph_result) -> i32 {
    ffi_fn!({ results::free(result).map(|_| MSGRAPH_OK) })
}
