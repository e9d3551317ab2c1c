//! Issue 10, Oracle entry points: capacity is checked before anything is
//! sent, and the xp readers never report the end in mid-stream. Its own
//! test binary: the cap on live results is process-wide.

mod common;
#[path = "common/script.rs"]
mod script;
use common::*;
use msgraph::ffi::extproc::*;
use serde_json::json;
use std::ptr;

fn xp_request(cred: &str, method: &str, url: &str, body: Option<&str>) -> i32 {
    let body_ind: i16 = if body.is_some() { 0 } else { -1 };
    let b = body.unwrap_or("");
    msgraph_xp_request(
        cred.as_ptr(), 0, cred.len() as i32,
        method.as_ptr(), 0, method.len() as i32,
        url.as_ptr(), 0, url.len() as i32,
        b.as_ptr(), body_ind, b.len() as i32,
        0,
        ptr::null(), -1, 0,
        ptr::null(), -1, 0,
        0, 0,
    )
}

fn xp_batch(cred: &str, requests: &str) -> i32 {
    msgraph_xp_batch(
        cred.as_ptr(), 0, cred.len() as i32,
        requests.as_ptr(), 0, requests.len() as i32,
        0,
        ptr::null(), -1, 0,
        ptr::null(), -1, 0,
    )
}

fn read_with(f: extern "C" fn(i32, i32, *mut u8, *mut i16, *mut i32, *mut i32) -> i32, h: i32, offset: i32, maxlen: i32) -> (i32, Vec<u8>) {
    let mut buf = vec![0u8; maxlen.max(0) as usize + 1];
    let (mut ind, mut len, mut max) = (0i16, 0i32, maxlen);
    let n = f(h, offset, buf.as_mut_ptr(), &mut ind, &mut len, &mut max);
    buf.truncate(len.max(0) as usize);
    (n, buf)
}

#[test]
fn xp_calls_at_the_cap_send_nothing_and_readers_never_end_mid_stream() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    assert_eq!(token_info(&cred, None).status, 200);

    // --- readers: a body with a 4-byte character, headers with one too.
    let h = xp_request(&cred, "GET", "/users?$top=1", None);
    assert!(h > 0);
    let len = msgraph_result_length(h) as i32;
    assert!(len > 4);
    // maxlen 0 / negative before the end: ARGUMENT, never 0.
    for maxlen in [0, -5] {
        assert_eq!(read_with(msgraph_xp_result_read, h, 0, maxlen).0, MSGRAPH_ERR_ARGUMENT, "maxlen {maxlen}");
        assert_eq!(read_with(msgraph_xp_result_headers_read, h, 0, maxlen).0, MSGRAPH_ERR_ARGUMENT, "maxlen {maxlen}");
    }
    // At the end: 0 whatever maxlen.
    assert_eq!(read_with(msgraph_xp_result_read, h, len, 0).0, 0);
    assert_eq!(read_with(msgraph_xp_result_read, h, len, 100).0, 0);
    // Whole headers in 1-byte steps: ASCII lines always fit one byte.
    let mut off = 0;
    loop {
        let (n, _) = read_with(msgraph_xp_result_headers_read, h, off, 1);
        assert!(n >= 0, "headers at {off}: {n}");
        if n == 0 {
            break;
        }
        off += n;
    }
    assert!(off > 20);
    assert_eq!(msgraph_result_free(h), MSGRAPH_OK);

    // A body and a header value starting with a 4-byte character, read
    // with a 2-byte buffer: TOO_LARGE (buffer too small), not 0.
    let srv = script::ScriptServer::start(|kind, _, _| match kind {
        "token" => script::token_ok(3599),
        _ => script::Answer::new("200 OK", "😀 after").header("a", "😀"),
    });
    let name = unique("xp");
    assert_eq!(msgraph_credential_set(cs(&name).as_ptr(), cs(&srv.config().to_string()).as_ptr()), MSGRAPH_OK);
    let h = xp_request(&name, "GET", "/x", None);
    assert!(h > 0);
    assert_eq!(msgraph_result_status(h), 200);
    assert_eq!(read_with(msgraph_xp_result_read, h, 0, 2).0, MSGRAPH_ERR_TOO_LARGE);
    assert_eq!(read_with(msgraph_xp_result_read, h, 0, 4), (4, "😀".as_bytes().to_vec()));
    let (mut off, mut steps) = (0, 0);
    loop {
        let (n, _) = read_with(msgraph_xp_result_headers_read, h, off, 2);
        assert!(n >= 0 || n == MSGRAPH_ERR_TOO_LARGE, "{n}");
        if n == MSGRAPH_ERR_TOO_LARGE {
            steps += 1;
            break;
        }
        assert!(n != 0, "the end reported at {off} before the 4-byte character");
        off += n;
    }
    assert_eq!(steps, 1, "stopped at the header's 4-byte character");
    assert_eq!(msgraph_result_free(h), MSGRAPH_OK);

    // --- capacity: at the cap, nothing is sent.
    let live = msgraph_results_live();
    assert_eq!(msgraph_set_max_results(live + 1), MSGRAPH_OK);
    let keep = xp_request(&cred, "GET", "/users?$top=1", None);
    assert!(keep > 0);
    emu.clear_log();
    let rc = xp_request(&cred, "POST", "/users/someone/sendMail", Some(r#"{"message":{}}"#));
    assert_eq!(rc, MSGRAPH_ERR_LIMIT);
    let rc = xp_batch(&cred, r#"[{"method":"GET","url":"/users"}]"#);
    assert_eq!(rc, MSGRAPH_ERR_LIMIT);
    let cn = "x";
    let rc = msgraph_xp_token_info(cred.as_ptr(), 0, cred.len() as i32, cn.as_ptr(), -1, 0);
    assert_eq!(rc, MSGRAPH_ERR_LIMIT);
    assert!(emu.requests().is_empty(), "nothing was sent at the cap: {:?}", emu.requests().len());
    assert_eq!(msgraph_result_free(keep), MSGRAPH_OK);
    assert_eq!(msgraph_set_max_results(1000), MSGRAPH_OK);
}

