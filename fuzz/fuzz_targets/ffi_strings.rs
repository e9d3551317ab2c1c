//! The C entry points with arbitrary bytes for every string argument (each
//! NUL-terminated, as from C): credential_set/remove, request, batch,
//! token_info, and the result accessors on whatever comes back. Requests go
//! to a loopback server (token endpoint + Graph), never the network.
//! Any panic, even one caught at the C boundary, aborts (libfuzzer-sys's
//! panic hook) and is a finding.
#![no_main]
use libfuzzer_sys::fuzz_target;
use msgraph::ffi::{call::*, credential::*, library::*, result::*};
use msgraph_fuzz::{c_strings, register, serve_body};
use std::ffi::CStr;

fn exercise(r: i32, s: &[std::ffi::CString]) {
    if r <= 0 {
        assert!(r != -99, "MSGRAPH_ERR_INTERNAL: {:?}", unsafe { CStr::from_ptr(msgraph_last_error()) });
        return;
    }
    assert_ne!(msgraph_result_status(r), -99, "internal error result");
    let len = msgraph_result_length(r);
    assert!(len >= 0);
    let body = msgraph_result_body(r);
    assert!(!body.is_null());
    assert_eq!(unsafe { *body.add(len as usize) }, 0, "body is NUL-terminated");
    let mut buf = [0 as std::ffi::c_char; 7];
    let mut off = 0i64;
    while off < len {
        let n = msgraph_result_read(r, off, buf.as_mut_ptr(), buf.len() as i64);
        assert!(n > 0, "read makes progress with a 7-byte buffer");
        off += n;
    }
    msgraph_result_header(r, s[0].as_ptr());
    assert!(!msgraph_result_headers(r).is_null());
    msgraph_result_json(r, s[1].as_ptr());
    msgraph_result_json_count(r, s[1].as_ptr());
    assert_eq!(msgraph_result_free(r), 0);
    assert_eq!(msgraph_result_free(r), -2);
}

fuzz_target!(|data: &[u8]| {
    register("fz");
    let s = c_strings(data, 6);
    serve_body(s[4].as_bytes());
    let fz = c"fz";
    // Credential registry with arbitrary name and configuration.
    let rc = if s[0].as_bytes() == b"fz" { -1 } else { msgraph_credential_set(s[0].as_ptr(), s[1].as_ptr()) };
    assert_ne!(rc, -99);
    if rc == 0 {
        assert_eq!(msgraph_credential_clear_tokens(s[0].as_ptr()), 0);
        assert_eq!(msgraph_credential_remove(s[0].as_ptr()), 0);
    }
    // A request with arbitrary method, URL, body, options.
    let r = msgraph_request(fz.as_ptr(), s[2].as_ptr(), s[3].as_ptr(), s[4].as_ptr(), s[5].as_ptr());
    exercise(r, &s);
    let r = msgraph_request_bytes(fz.as_ptr(), s[2].as_ptr(), s[3].as_ptr(), s[4].as_ptr() as *const u8, s[4].as_bytes().len() as i64, s[5].as_ptr());
    exercise(r, &s);
    // A batch with arbitrary requests and options.
    let r = msgraph_batch(fz.as_ptr(), s[3].as_ptr(), s[5].as_ptr());
    exercise(r, &s);
    // Token info with arbitrary options, and arbitrary credential names.
    let r = msgraph_token_info(fz.as_ptr(), s[5].as_ptr());
    exercise(r, &s);
    let r = msgraph_request(s[0].as_ptr(), c"GET".as_ptr(), c"/users".as_ptr(), std::ptr::null(), std::ptr::null());
    assert!(r < 0 || s[0].as_bytes() == b"fz");
    exercise(r, &s);
    let code = i32::from_le_bytes([data.first().copied().unwrap_or(0), data.get(1).copied().unwrap_or(0), 0, 0]) - 200;
    assert!(!msgraph_status_name(code).is_null() && !msgraph_status_message(code).is_null());
    assert_eq!(msgraph_results_live(), 0, "every result freed");
});
