//! The all_pages merger: the loopback server answers the first Graph request
//! with the fuzz input as the page body (later pages are empty), and the
//! library follows @odata.nextLink and merges the items as raw JSON. The
//! merged body must be valid JSON whenever the result is a 200 with
//! x-msgraph-items.
#![no_main]
use libfuzzer_sys::fuzz_target;
use msgraph::ffi::{call::*, result::*};
use msgraph_fuzz::{register, serve_body};

fuzz_target!(|data: &[u8]| {
    register("fz");
    serve_body(data);
    let r = msgraph_request(c"fz".as_ptr(), c"GET".as_ptr(), c"/users".as_ptr(), std::ptr::null(), c"{\"all_pages\":true}".as_ptr());
    if r <= 0 {
        assert_ne!(r, -99);
        return;
    }
    let status = msgraph_result_status(r);
    assert_ne!(status, -99);
    if status == 200 && !msgraph_result_header(r, c"x-msgraph-items".as_ptr()).is_null() {
        let len = msgraph_result_length(r) as usize;
        let body = unsafe { std::slice::from_raw_parts(msgraph_result_body(r) as *const u8, len) };
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_else(|e| {
            panic!("merged body is not JSON ({e}): {}", String::from_utf8_lossy(body))
        });
        assert!(v["value"].is_array());
    }
    msgraph_result_free(r);
});
