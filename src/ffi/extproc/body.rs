//! Upload bodies: request and batch bodies larger than one RAW.

use super::args::*;
use crate::ffi::*;
use crate::upload;

/// Starts an upload body for a request or batch larger than one RAW
/// (32767 bytes). Returns its handle (> 0) or MSGRAPH_ERR_LIMIT when 1024
/// bodies are alive. A body is consumed by the call it is given to (even a
/// failing one); free it with msgraph_xp_body_free() otherwise.
#[no_mangle]
pub extern "C" fn msgraph_xp_body_new() -> i32 {
    ffi_fn!({ upload::new() })
}

/// Appends a chunk (any bytes; the package sends UTF-8) to an upload body.
/// A NULL chunk appends nothing. Returns the body's length so far, or
/// MSGRAPH_ERR_NOT_FOUND (unknown handle), MSGRAPH_ERR_TOO_LARGE (past
/// 256 MiB: the body is then dropped), MSGRAPH_ERR_ARGUMENT.
#[no_mangle]
pub extern "C" fn msgraph_xp_body_append(body: i32, chunk: *const u8, chunk_ind: i16, chunk_len: i32) -> i32 {
    ffi_fn!({
        let bytes = raw_arg(chunk, chunk_ind, chunk_len, "chunk")?.unwrap_or(&[]);
        upload::append(body, bytes).map(|n| n as i32)
    })
}

/// Frees an upload body. Handle 0 does nothing. Returns MSGRAPH_OK or
/// MSGRAPH_ERR_NOT_FOUND.
#[no_mangle]
pub extern "C" fn msgraph_xp_body_free(body: i32) -> i32 {
    ffi_fn!({
        if body == 0 {
            return Ok(MSGRAPH_OK);
        }
        upload::take(body).map(|_| MSGRAPH_OK)
    })
}
