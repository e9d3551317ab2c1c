//! Reading results: the outcome in one round trip, the body and headers
//! in RAW pieces, the body checked or rewritten for a character set.

use super::args::*;
use crate::ffi::*;
use crate::outcome::Outcome;
use crate::response::Response;
use crate::results;

/// Everything the package sets after a call, in one round trip:
/// `*status` (HTTP status or negative library status), `*length` (body
/// bytes; MSGRAPH_ERR_TOO_LARGE if past 2 GiB), `*ora_error` (the ORA-20xxx
/// number to raise, positive, or 0 for a success: the table of
/// sql/README.md), `reason` (reason phrase, or the status name),
/// `request_id` (Graph's request-id header, else client-request-id),
/// `message` (one line with the service's code, message and ids; NULL for
/// a success).
///
/// Returns MSGRAPH_OK, or MSGRAPH_ERR_NOT_FOUND for an unknown handle (the
/// OUT values are then 0 and NULL).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn msgraph_xp_result_info(
    result: i32,
    status: *mut i32,
    length: *mut i32,
    ora_error: *mut i32,
    reason: *mut u8,
    reason_ind: *mut i16,
    reason_len: *mut i32,
    reason_maxlen: *mut i32,
    request_id: *mut u8,
    request_id_ind: *mut i16,
    request_id_len: *mut i32,
    request_id_maxlen: *mut i32,
    message: *mut u8,
    message_ind: *mut i16,
    message_len: *mut i32,
    message_maxlen: *mut i32,
) -> i32 {
    ffi_fn!({
        let set = |p: *mut i32, v: i32| {
            if !p.is_null() {
                // SAFETY: the agent passes a valid int for an OUT INT.
                unsafe { *p = v }
            }
        };
        set(status, 0);
        set(length, 0);
        set(ora_error, 0);
        let reason = OutRaw::new(reason, reason_ind, reason_len, reason_maxlen);
        let request_id = OutRaw::new(request_id, request_id_ind, request_id_len, request_id_maxlen);
        let message = OutRaw::new(message, message_ind, message_len, message_maxlen);
        let r = results::get(result)?;
        let rid = r.header("request-id").map(|v| v.to_string_lossy().into_owned());
        let cid = r.header("client-request-id").map(|v| v.to_string_lossy().into_owned());
        let mark = r.header("x-msgraph-reason").map(|v| v.to_string_lossy().into_owned());
        let verdict = Outcome::new(r.status, mark.as_deref(), r.body(), rid.as_deref(), cid.as_deref());
        set(status, r.status);
        set(length, i32::try_from(r.len()).unwrap_or(MSGRAPH_ERR_TOO_LARGE));
        set(ora_error, verdict.ora_code);
        reason.put_text(&verdict.phrase);
        if let Some(id) = rid.as_deref().or(cid.as_deref()) {
            request_id.put_text(id);
        }
        if let Some(m) = &verdict.message {
            message.put_text(m);
        }
        Ok(MSGRAPH_OK)
    })
}

/// Copies body bytes from `offset` into `buf` (at most `*buf_maxlen`),
/// never splitting a UTF-8 character of a UTF-8 body. Returns the number
/// copied (0 only at the end: `buf` is then NULL) or a negative status:
/// MSGRAPH_ERR_NOT_FOUND, MSGRAPH_ERR_ARGUMENT (negative offset, offset
/// past the end or inside a character, NULL buffer or maxlen < 1 before
/// the end), MSGRAPH_ERR_TOO_LARGE (the buffer cannot hold the next
/// character; 4 bytes always suffice).
#[no_mangle]
pub extern "C" fn msgraph_xp_result_read(
    result: i32,
    offset: i32,
    buf: *mut u8,
    buf_ind: *mut i16,
    buf_len: *mut i32,
    buf_maxlen: *mut i32,
) -> i32 {
    ffi_fn!({
        let out = OutRaw::new(buf, buf_ind, buf_len, buf_maxlen);
        let r = results::get(result)?;
        let offset = u64::try_from(offset).map_err(|_| Error::argument("offset is negative"))?;
        if offset == r.len() as u64 {
            return Ok(0);
        }
        let cap = out.checked_capacity()? as u64;
        let span = r.read_span(offset, cap).map_err(|e| if cap < 4 { too_small() } else { e })?;
        if span.is_empty() {
            return Err(too_small());
        }
        Ok(out.put_exact(&r.body()[span]) as i32)
    })
}

/// The response headers as "name: value" lines (names in lower case, one
/// per line, "\n"-terminated), read like the body: from byte `offset`, at
/// most `*buf_maxlen` bytes, never splitting a character. Returns the
/// number of bytes copied (0 only at the end) or a negative status, as
/// msgraph_xp_result_read() (MSGRAPH_ERR_TOO_LARGE: buffer too small for
/// the next character; MSGRAPH_ERR_ARGUMENT: maxlen < 1 before the end).
#[no_mangle]
pub extern "C" fn msgraph_xp_result_headers_read(
    result: i32,
    offset: i32,
    buf: *mut u8,
    buf_ind: *mut i16,
    buf_len: *mut i32,
    buf_maxlen: *mut i32,
) -> i32 {
    ffi_fn!({
        let out = OutRaw::new(buf, buf_ind, buf_len, buf_maxlen);
        let r = results::get(result)?;
        let mut text = String::new();
        for (k, v) in r.header_pairs() {
            let v = v.replace(['\r', '\n'], " ");
            text.push_str(&format!("{k}: {v}\n"));
        }
        let offset = usize::try_from(offset).map_err(|_| Error::argument("offset is negative"))?;
        if offset > text.len() || !text.is_char_boundary(offset) {
            return Err(Error::argument("offset is past the end or inside a character"));
        }
        let rest = &text[offset..];
        if rest.is_empty() {
            return Ok(0);
        }
        out.checked_capacity()?;
        match out.put_text(rest) {
            0 => Err(too_small()),
            n => Ok(n as i32),
        }
    })
}

/// Checks or rewrites a UTF-8 result body for a database character set.
///
/// `mode` 0 (check): returns 0 when every character of the body is
/// representable in `charset` (an Oracle name such as WE8MSWIN1252), else
/// the 1-based byte offset of the first that is not.
/// `mode` 1 (escape, for JSON bodies): returns the handle of a new result
/// (same status and headers) whose body has every unrepresentable
/// character written as a JSON \uXXXX escape (surrogate pairs above
/// U+FFFF), which is the same JSON; the original result stays alive.
///
/// Negative: MSGRAPH_ERR_NOT_FOUND (handle), MSGRAPH_ERR_ARGUMENT (a
/// character set this library does not know: the package then converts and
/// compares in PL/SQL; a body that is not UTF-8; unknown mode).
#[no_mangle]
pub extern "C" fn msgraph_xp_result_recode(
    result: i32,
    charset: *const u8,
    charset_ind: i16,
    charset_len: i32,
    mode: i32,
) -> i32 {
    ffi_fn!({
        let charset = required_text(charset, charset_ind, charset_len, "charset")?;
        let ok = crate::charset::predicate(charset)
            .ok_or_else(|| Error::argument(format!("character set {charset} is not known to the library")))?;
        let r = results::get(result)?;
        let text = std::str::from_utf8(r.body()).map_err(|_| Error::argument("the body is not UTF-8 text"))?;
        match mode {
            0 => Ok(i32::try_from(crate::charset::first_unrepresentable(text, ok)).unwrap_or(i32::MAX)),
            1 => {
                let out = crate::charset::escape_json(text, ok);
                let headers: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(&r.headers_json()).unwrap_or_default();
                let headers = headers
                    .into_iter()
                    .map(|(k, v)| (k, v.as_str().unwrap_or("").to_string()))
                    .collect();
                results::insert(Response { status: r.status, headers, body: out.into_bytes() })
            }
            m => Err(Error::argument(format!("unknown recode mode {m}"))),
        }
    })
}
