//! Arbitrary answers from a loopback server on every exchange path. The
//! first input byte picks the path (token, request, paging, batch, delta)
//! and whether the token endpoint or Graph gets the answer; the rest is the
//! raw answer (status line, headers, body), sent as is on a connection that
//! then closes (so truncation is real). No call may end in
//! MSGRAPH_ERR_INTERNAL (a caught panic), and its result must be readable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use msgraph::ffi::{call::*, credential::*, result::*};
use msgraph_fuzz::{raw_register, serve_raw};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, answer)) = data.split_first() else { return };
    let path = sel % 5;
    serve_raw(path == 0 || sel & 0x80 != 0, answer);
    raw_register("fzraw");
    let _ = msgraph_credential_clear_tokens(c"fzraw".as_ptr());
    let r = match path {
        0 | 1 => msgraph_request(c"fzraw".as_ptr(), c"GET".as_ptr(), c"/users".as_ptr(), std::ptr::null(), std::ptr::null()),
        2 => msgraph_request(c"fzraw".as_ptr(), c"GET".as_ptr(), c"/users".as_ptr(), std::ptr::null(), c"{\"all_pages\":true}".as_ptr()),
        3 => msgraph_batch(
            c"fzraw".as_ptr(),
            c"[{\"id\":\"1\",\"method\":\"GET\",\"url\":\"/users\"},{\"id\":\"2\",\"method\":\"GET\",\"url\":\"/me\",\"dependsOn\":[\"1\"]}]".as_ptr(),
            std::ptr::null(),
        ),
        _ => msgraph_request(c"fzraw".as_ptr(), c"GET".as_ptr(), c"/users/delta?$deltatoken=x".as_ptr(), std::ptr::null(), c"{\"all_pages\":true}".as_ptr()),
    };
    if r <= 0 {
        assert_ne!(r, -99);
        return;
    }
    assert_ne!(msgraph_result_status(r), -99);
    assert!(msgraph_result_length(r) >= 0);
    assert!(!msgraph_result_body(r).is_null());
    assert!(!msgraph_result_headers(r).is_null());
    assert_eq!(msgraph_result_free(r), 0);
});
