//! Library-wide functions: version, status names, last error, limits.

use super::*;

/// Major version of this header (compare with msgraph_version() at run time).
pub const MSGRAPH_VERSION_MAJOR: i32 = 0;
/// Minor version of this header.
pub const MSGRAPH_VERSION_MINOR: i32 = 1;
/// Patch version of this header.
pub const MSGRAPH_VERSION_PATCH: i32 = 0;
/// The header's version as one number, 0xMMmmpp (0.1.0 is 0x000100), for
/// `#if MSGRAPH_VERSION_NUMBER >= 0x000100` tests at compile time.
pub const MSGRAPH_VERSION_NUMBER: i32 = (MSGRAPH_VERSION_MAJOR << 16) | (MSGRAPH_VERSION_MINOR << 8) | MSGRAPH_VERSION_PATCH;

/// The library's version, e.g. "0.1.0".
///
/// Returns a static, NUL-terminated string: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_version() -> *const c_char {
    ffi_fn!(panic = c"".as_ptr(), { Ok(concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char) })
}

/// The name of a status code, e.g. "MSGRAPH_ERR_AUTH" for -4;
/// "MSGRAPH_UNKNOWN_STATUS" for a code the library does not define (HTTP
/// statuses included).
///
/// Returns a static, NUL-terminated string, never NULL: never free it.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_status_name(status: i32) -> *const c_char {
    ffi_fn!(panic = c"MSGRAPH_ERR_INTERNAL".as_ptr(), { Ok(crate::status::name_nul(status).as_ptr() as *const c_char) })
}

/// A short English description of a status code, e.g. "timed out".
///
/// Returns a static, NUL-terminated string, never NULL: never free it.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_status_message(status: i32) -> *const c_char {
    ffi_fn!(panic = c"internal error".as_ptr(), { Ok(crate::status::message_nul(status).as_ptr() as *const c_char) })
}

/// This thread's last failure, as "MSGRAPH_ERR_NAME: message", followed
/// for a token endpoint refusal by "[AADSTSn error]", the hint and the ids
/// support needs ("(trace_id=…, correlation_id=…)"): the same line
/// msgraph_xp_result_info() gives the MSGRAPH package. "" if this thread
/// has had none. Every function that returns a negative status sets
/// it, and so do msgraph_request(), msgraph_batch() and msgraph_token_info()
/// when the result they return holds a library failure. Successful calls do
/// not clear it.
///
/// The string belongs to the library and to this thread: it stays valid
/// until this thread's next failing call or its exit. Copy it if you need it
/// longer; never free it. Never NULL. It never contains a secret or a token.
#[no_mangle]
pub extern "C" fn msgraph_last_error() -> *const c_char {
    ffi_fn!(panic = c"".as_ptr(), { Ok(last_error_ptr()) })
}

/// How many results are live (created and not yet freed) in this process.
/// Useful to find leaks: it should return to its earlier value after the
/// results a piece of code made are freed. Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_results_live() -> i32 {
    ffi_fn!({ Ok(crate::results::live().min(i32::MAX as usize) as i32) })
}

/// Sets the cap on live results (default 4096; 1 to 1,000,000). Calls that
/// would make a result beyond the cap return MSGRAPH_ERR_LIMIT.
///
/// Returns MSGRAPH_OK, or MSGRAPH_ERR_ARGUMENT for a value out of range.
/// Thread-safe; applies to the whole process.
#[no_mangle]
pub extern "C" fn msgraph_set_max_results(max_results: i32) -> i32 {
    ffi_fn!({
        usize::try_from(max_results)
            .map_err(|_| Error::argument("the cap on live results must be from 1 to 1000000"))
            .and_then(crate::results::set_max_live)
            .map(|_| MSGRAPH_OK)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_version_matches_the_package() {
        let v = format!("{MSGRAPH_VERSION_MAJOR}.{MSGRAPH_VERSION_MINOR}.{MSGRAPH_VERSION_PATCH}");
        assert_eq!(v, env!("CARGO_PKG_VERSION"));
        let n = MSGRAPH_VERSION_NUMBER;
        assert_eq!(format!("{}.{}.{}", n >> 16, (n >> 8) & 0xff, n & 0xff), env!("CARGO_PKG_VERSION"));
    }
}
