//! Status messages and the version.

use super::args::*;
use crate::ffi::*;


/// The ORA-20xxx number (positive) and a message for a negative status
/// returned by a call that has no result (body, credential calls): the
/// message is the status name and description. Returns 0 (and NULL) for a
/// status >= 0.
#[no_mangle]
pub extern "C" fn msgraph_xp_status_error(
    status: i32,
    message: *mut u8,
    message_ind: *mut i16,
    message_len: *mut i32,
    message_maxlen: *mut i32,
) -> i32 {
    ffi_fn!({
        let out = OutRaw::new(message, message_ind, message_len, message_maxlen);
        if status >= 0 {
            return Ok(0);
        }
        let verdict = crate::outcome::Outcome::of_status(status);
        out.put_text(verdict.message.as_deref().unwrap_or(""));
        Ok(verdict.ora_code)
    })
}

/// The library's version ("0.1.0") into `buf`. Returns MSGRAPH_OK.
#[no_mangle]
pub extern "C" fn msgraph_xp_version(buf: *mut u8, buf_ind: *mut i16, buf_len: *mut i32, buf_maxlen: *mut i32) -> i32 {
    ffi_fn!({
        let out = OutRaw::new(buf, buf_ind, buf_len, buf_maxlen);
        out.put_text(env!("CARGO_PKG_VERSION"));
        Ok(MSGRAPH_OK)
    })
}
