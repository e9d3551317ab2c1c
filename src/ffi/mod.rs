//! The C ABI. The only module with `unsafe`: it reads C strings, writes into
//! caller buffers and hands out pointers into results. Every exported body
//! is one `ffi_fn!` ([`boundary`]), so no panic ever crosses into C (inside
//! Oracle that would kill the extproc agent: ORA-28576) and every failure
//! is recorded in one place.

#![allow(unsafe_code)]
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use crate::error::Error;
use crate::status::*;
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};

/// The body of every export: runs it inside the panic and error boundary
/// ([`boundary`]). The body returns `Result<T, Error>`; `T`'s
/// [`boundary::FfiReturn`] gives the values for an error and a panic, or
/// `panic = EXPR` names the value for a panic.
macro_rules! ffi_fn {
    ($body:block) => {
        $crate::ffi::boundary::run(|| $body)
    };
    (panic = $fallback:expr, $body:block) => {
        $crate::ffi::boundary::run_or(|| $fallback, || $body)
    };
}

pub(crate) mod boundary;
pub mod call;
pub mod credential;
pub mod extproc;
pub mod library;
pub mod result;
pub mod sync;

/// A result handle: > 0 names a live result (read it with the
/// msgraph_result_* functions, free it once with msgraph_result_free()).
/// Functions that make results return a negative MSGRAPH_ERR_* status
/// instead when no result could be made. Handles are process-wide, so any
/// thread may use one; a freed handle gives MSGRAPH_ERR_NOT_FOUND. The
/// msgraph_xp_* functions keep Oracle's INT (int32_t), the same type.
#[allow(non_camel_case_types)]
pub type msgraph_result = i32;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records this thread's last failure. Never panics (not even while the
/// thread is exiting).
pub(crate) fn set_last_error_text(text: &str) {
    let c = CString::new(text.replace('\0', " ")).unwrap_or_default();
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut s) = slot.try_borrow_mut() {
            *s = c;
        }
    });
}

/// Records an error as this thread's last failure, in the outcome
/// module's one line ("MSGRAPH_ERR_NAME: message [details] (ids)").
pub(crate) fn set_last_error(e: &Error) {
    set_last_error_text(crate::outcome::Outcome::of_error(e).message.as_deref().unwrap_or(""));
}

/// Pointer to this thread's last error text (valid until the thread's next
/// failing call, or thread exit).
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR
        .try_with(|slot| slot.try_borrow().map(|s| s.as_ptr()).unwrap_or(c"".as_ptr()))
        .unwrap_or(c"".as_ptr())
}

/// Reads a required C string argument.
pub(crate) fn str_arg<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, Error> {
    opt_str_arg(ptr, what)?.ok_or_else(|| Error::argument(format!("{what} is NULL")))
}

/// Reads an optional C string argument (NULL is None).
pub(crate) fn opt_str_arg<'a>(ptr: *const c_char, what: &str) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller promises a NUL-terminated string that stays valid
    // during the call (the header's contract for every `const char *`).
    let c = unsafe { CStr::from_ptr(ptr) };
    c.to_str().map(Some).map_err(|_| Error::argument(format!("{what} is not valid UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exported_that_panics(trigger: bool) -> i32 {
        ffi_fn!({
            if trigger {
                panic!("a bug");
            }
            Ok(MSGRAPH_OK)
        })
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        assert_eq!(exported_that_panics(false), MSGRAPH_OK);
        assert_eq!(exported_that_panics(true), MSGRAPH_ERR_INTERNAL);
        let text = unsafe { CStr::from_ptr(last_error_ptr()) }.to_str().unwrap().to_string();
        assert!(text.starts_with("MSGRAPH_ERR_INTERNAL"), "{text}");
        // The library still works after a caught panic.
        assert_eq!(exported_that_panics(false), MSGRAPH_OK);
    }

    #[test]
    fn last_error_is_per_thread() {
        set_last_error_text("main thread failure");
        std::thread::spawn(|| {
            let other = unsafe { CStr::from_ptr(last_error_ptr()) }.to_str().unwrap().to_string();
            assert_eq!(other, "", "a new thread has no last error");
        })
        .join()
        .unwrap();
        let mine = unsafe { CStr::from_ptr(last_error_ptr()) }.to_str().unwrap().to_string();
        assert_eq!(mine, "main thread failure");
    }
}
