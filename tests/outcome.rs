//! One verdict for every reader (src/outcome.rs): the C API's last error,
//! the Oracle entry points' result info and status messages give the same
//! line, ORA- number and reason for the same outcome, through the ABI.

mod common;
use common::*;
use msgraph::ffi::extproc::*;
use serde_json::json;

/// What msgraph_xp_result_info says about a result.
struct Info {
    rc: i32,
    status: i32,
    ora: i32,
    reason: String,
    message: Option<String>,
}

fn info(h: i32) -> Info {
    let (mut status, mut length, mut ora) = (0, 0, 0);
    let mut bufs = [vec![0u8; 64], vec![0u8; 256], vec![0u8; 4000]];
    let mut inds = [0i16; 3];
    let mut lens = [0i32; 3];
    let mut maxes = [64, 256, 4000];
    let [b0, b1, b2] = &mut bufs;
    let [i0, i1, i2] = &mut inds;
    let [l0, l1, l2] = &mut lens;
    let [m0, m1, m2] = &mut maxes;
    let rc = msgraph_xp_result_info(
        h, &mut status, &mut length, &mut ora,
        b0.as_mut_ptr(), i0, l0, m0,
        b1.as_mut_ptr(), i1, l1, m1,
        b2.as_mut_ptr(), i2, l2, m2,
    );
    let text = |b: &Vec<u8>, ind: i16, len: i32| (ind >= 0).then(|| String::from_utf8(b[..len as usize].to_vec()).unwrap());
    Info {
        rc,
        status,
        ora,
        reason: text(&bufs[0], inds[0], lens[0]).unwrap_or_default(),
        message: text(&bufs[2], inds[2], lens[2]),
    }
}

#[test]
fn a_token_refusal_reads_the_same_in_last_error_and_result_info() {
    let emu = emulator();
    let cred = credential(&emu, json!({"client_secret": msgraph_emulator::CLIENT_SECRET_ID}));
    let h = request_raw(&cred, "GET", "/users", None, None);
    assert!(h > 0);
    let last = last_error();
    let i = info(h);
    assert_eq!((i.rc, i.status, i.ora), (MSGRAPH_OK, MSGRAPH_ERR_AUTH, 20004));
    assert_eq!(i.reason, "MSGRAPH_ERR_AUTH");
    let m = i.message.expect("a failure has a message");
    assert_eq!(m, last, "the C API and the Oracle entry points share one line");
    assert!(m.starts_with("MSGRAPH_ERR_AUTH: ") && m.contains("[AADSTS7000215 invalid_client]"), "{m}");
    assert!(m.contains("trace_id=") && m.contains("correlation_id="), "{m}");
    assert_eq!(m.matches("Hint:").count(), 1, "the hint once: {m}");
    assert!(m.contains("not its Secret ID"), "{m}");
    assert!(!m.contains(msgraph_emulator::CLIENT_SECRET_ID));
    assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
}

#[test]
fn the_access_policy_verdict_follows_the_mark() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let allowed = emu.user_upn(0).unwrap();
    let other = emu.user_upn(1).unwrap();
    emu.set_access_policy(msgraph_emulator::CLIENT_ID, &[allowed.as_str()]);
    let denied = request_raw(&cred, "GET", &format!("/users/{other}/mailboxSettings"), None, None);
    let i = info(denied);
    assert_eq!((i.status, i.ora), (403, 20013));
    assert_eq!(i.reason, "Forbidden");
    let m = i.message.unwrap();
    assert!(m.starts_with("HTTP 403 ErrorAccessDenied: Access to OData is disabled.") && m.contains("request-id="), "{m}");
    // A success has no verdict to raise.
    let ok = request_raw(&cred, "GET", &format!("/users/{allowed}/mailboxSettings"), None, None);
    let i = info(ok);
    assert_eq!((i.status, i.ora, i.message), (200, 0, None));
    for h in [denied, ok] {
        assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
    }
}

#[test]
fn a_status_without_a_result_has_the_same_number() {
    let mut buf = vec![0u8; 200];
    let (mut ind, mut len, mut max) = (0i16, 0i32, 200i32);
    let ora = msgraph_xp_status_error(MSGRAPH_ERR_LIMIT, buf.as_mut_ptr(), &mut ind, &mut len, &mut max);
    assert_eq!(ora, 20010);
    assert_eq!(&buf[..len as usize], b"MSGRAPH_ERR_LIMIT: too many live results");
    let ora = msgraph_xp_status_error(MSGRAPH_OK, buf.as_mut_ptr(), &mut ind, &mut len, &mut max);
    assert_eq!((ora, ind, len), (0, -1, 0));
    // An unknown handle: NOT_FOUND, the OUT values NULL.
    let i = info(0x7fff_0000);
    assert_eq!((i.rc, i.status, i.ora, i.message), (MSGRAPH_ERR_NOT_FOUND, 0, 0, None));
}
