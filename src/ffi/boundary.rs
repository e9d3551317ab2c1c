//! The panic and error boundary every export runs inside.
//!
//! An exported function is written as
//!
//! ```ignore
//! #[no_mangle]
//! pub extern "C" fn msgraph_x(arg: *const c_char) -> i32 {
//!     ffi_fn!({
//!         let arg = str_arg(arg, "arg")?;
//!         Ok(crate::api::x(arg)?)
//!     })
//! }
//! ```
//!
//! The body returns `Result<T, Error>`; [`run`] turns an `Err` into the
//! C return value ([`FfiReturn::on_error`]: the status for `int32_t` and
//! `int64_t`, NULL for pointers) after recording it as the thread's last
//! error, and a panic into [`FfiReturn::on_panic`] (MSGRAPH_ERR_INTERNAL,
//! NULL) with the last error saying so. The fallback follows from the
//! return type, as rustls-ffi's `PanicOrDefault` does; the few functions
//! that promise never to return NULL name theirs: `ffi_fn!(panic = EXPR,
//! { … })`.
//!
//! Why a body-level macro rather than hyper's function-level `ffi_fn!` or
//! a proc-macro attribute: cbindgen (`cargo xtask header`) and the call-spec
//! generator read the declarations from source, and both skip a function
//! whose `#[no_mangle]` a macro would add. So the declaration stays plain
//! Rust, and tests/ffi_boundary.rs fails for any `extern "C" fn` under
//! src/ffi/ whose body is anything but one `ffi_fn!` (or that is not
//! `pub` and `#[no_mangle]`).

use crate::error::Error;
use crate::status::MSGRAPH_ERR_INTERNAL;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The last error recorded for a caught panic.
pub(crate) const PANIC_TEXT: &str =
    "MSGRAPH_ERR_INTERNAL: a panic was caught at the C boundary; this is a bug in libmsgraph";

/// A type an export may return, with its values for a failure and a panic.
pub(crate) trait FfiReturn: Sized {
    /// The value for a caught panic.
    fn on_panic() -> Self;
    /// The value for a failure (already recorded as the last error).
    fn on_error(e: &Error) -> Self;
}

impl FfiReturn for i32 {
    fn on_panic() -> i32 {
        MSGRAPH_ERR_INTERNAL
    }
    fn on_error(e: &Error) -> i32 {
        e.status
    }
}

impl FfiReturn for i64 {
    fn on_panic() -> i64 {
        i64::from(MSGRAPH_ERR_INTERNAL)
    }
    fn on_error(e: &Error) -> i64 {
        i64::from(e.status)
    }
}

impl<T> FfiReturn for *const T {
    fn on_panic() -> *const T {
        std::ptr::null()
    }
    fn on_error(_: &Error) -> *const T {
        std::ptr::null()
    }
}

impl<T> FfiReturn for *mut T {
    fn on_panic() -> *mut T {
        std::ptr::null_mut()
    }
    fn on_error(_: &Error) -> *mut T {
        std::ptr::null_mut()
    }
}

impl FfiReturn for () {
    fn on_panic() {}
    fn on_error(_: &Error) {}
}

/// Runs an export's body: see the module's documentation.
pub(crate) fn run<T: FfiReturn>(body: impl FnOnce() -> Result<T, Error>) -> T {
    run_or(T::on_panic, body)
}

/// [`run`], with the value for a panic given.
pub(crate) fn run_or<T: FfiReturn>(on_panic: impl FnOnce() -> T, body: impl FnOnce() -> Result<T, Error>) -> T {
    let caught = catch_unwind(AssertUnwindSafe(|| match body() {
        Ok(value) => value,
        Err(e) => {
            super::set_last_error(&e);
            T::on_error(&e)
        }
    }));
    match caught {
        Ok(value) => value,
        Err(payload) => {
            // Dropping the payload runs its destructor: keep that inside a
            // guard too.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            super::set_last_error_text(PANIC_TEXT);
            on_panic()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::last_error_ptr;
    use crate::status::*;
    use std::ffi::CStr;

    fn last() -> String {
        unsafe { CStr::from_ptr(last_error_ptr()) }.to_str().unwrap().to_string()
    }

    fn body<T>(mode: u8, ok: T) -> Result<T, Error> {
        match mode {
            0 => Ok(ok),
            1 => Err(Error::new(MSGRAPH_ERR_CONFIG, "bad key 'x'")),
            _ => panic!("a bug"),
        }
    }

    #[test]
    fn fallbacks_follow_the_return_type() {
        assert_eq!(run(|| body(0, 7i32)), 7);
        assert_eq!(run(|| body(1, 7i32)), MSGRAPH_ERR_CONFIG);
        assert_eq!(last(), "MSGRAPH_ERR_CONFIG: bad key 'x'");
        assert_eq!(run(|| body(2, 7i32)), MSGRAPH_ERR_INTERNAL);
        assert!(last().starts_with("MSGRAPH_ERR_INTERNAL"), "{}", last());
        assert_eq!(run(|| body(1, 7i64)), -3);
        assert_eq!(run(|| body(2, 7i64)), -99);
        let p = c"x".as_ptr();
        assert_eq!(run(|| body(0, p)), p);
        assert!(run(|| body(1, p)).is_null());
        assert!(run(|| body(2, p)).is_null());
        assert!(run(|| body(2, std::ptr::null_mut::<u8>())).is_null());
        run(|| body(2, ()));
        assert_eq!(run_or(|| p, || body(2, std::ptr::null())), p, "a named fallback");
        // The library still works after a caught panic.
        assert_eq!(run(|| body(0, 1i32)), 1);
    }
}
