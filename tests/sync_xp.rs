//! msgraph_xp_sync_round, the entry point MSGRAPH_SYNC calls, through the C
//! ABI with the agent's conventions (RAW + indicator + length, upload
//! bodies, result handles read in chunks with msgraph_xp_result_read), and
//! its call spec in sql/msgraph_sync.pkb checked against the header.

mod common;
#[path = "extproc/callspec.rs"]
mod callspec;

use common::*;
use msgraph::ffi::extproc::*;
use msgraph::ffi::extproc::sync::msgraph_xp_sync_round;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::ptr;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An IN RAW: (pointer, indicator, length); None is SQL NULL.
fn raw(s: Option<&[u8]>) -> (*const u8, i16, i32) {
    match s {
        Some(b) => (b.as_ptr(), 0, b.len() as i32),
        None => (ptr::null(), -1, 0),
    }
}

/// Uploads text as the package does for a CLOB: 32767-byte chunks.
fn upload(text: &[u8]) -> i32 {
    let h = msgraph_xp_body_new();
    assert!(h > 0);
    for chunk in text.chunks(32767) {
        let n = msgraph_xp_body_append(h, chunk.as_ptr(), 0, chunk.len() as i32);
        assert!(n > 0, "append: {n}");
    }
    h
}

/// The call as the package makes it: the collections inline when they fit
/// one RAW, else as an upload body.
fn xp_round(cred: Option<&str>, cols: Option<&[u8]>, options: Option<&str>, previous: i32) -> i32 {
    let (cp, ci, cl) = raw(cred.map(str::as_bytes));
    let (op, oi, ol) = raw(options.map(str::as_bytes));
    match cols {
        Some(c) if c.len() > 32767 => {
            let h = upload(c);
            msgraph_xp_sync_round(cp, ci, cl, ptr::null(), -1, 0, h, op, oi, ol, previous)
        }
        _ => {
            let (lp, li, ll) = raw(cols);
            msgraph_xp_sync_round(cp, ci, cl, lp, li, ll, 0, op, oi, ol, previous)
        }
    }
}

/// msgraph_xp_result_info: (status, ora_error, message).
fn info(h: i32) -> (i32, i32, String) {
    let (mut status, mut length, mut ora) = (-999, -999, -999);
    let mut bufs = [vec![0u8; 256], vec![0u8; 256], vec![0u8; 2000]];
    let mut inds = [7i16; 3];
    let mut lens = [-1i32; 3];
    let mut maxs = [256i32, 256, 2000];
    let [b0, b1, b2] = &mut bufs;
    let [i0, i1, i2] = &mut inds;
    let [l0, l1, l2] = &mut lens;
    let [m0, m1, m2] = &mut maxs;
    let rc = msgraph_xp_result_info(
        h, &mut status, &mut length, &mut ora, b0.as_mut_ptr(), i0, l0, m0, b1.as_mut_ptr(), i1, l1, m1, b2.as_mut_ptr(), i2, l2, m2,
    );
    assert_eq!(rc, MSGRAPH_OK);
    let message = if inds[2] < 0 { String::new() } else { String::from_utf8(bufs[2][..lens[2] as usize].to_vec()).unwrap() };
    (status, ora, message)
}

/// The body read as the package reads it: chunks of `cap` bytes.
fn read_all(h: i32, cap: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; cap as usize];
    loop {
        let (mut ind, mut len, mut max) = (9i16, -1i32, cap);
        let n = msgraph_xp_result_read(h, out.len() as i32, buf.as_mut_ptr(), &mut ind, &mut len, &mut max);
        assert!(n >= 0, "result_read: {n}");
        if n == 0 {
            assert_eq!(ind, -1, "the end reads as NULL");
            return out;
        }
        assert_eq!((ind, len), (0, n));
        out.extend_from_slice(&buf[..n as usize]);
    }
}

fn cols_of(cred: &str, emu: &msgraph_emulator::Emulator, n: usize) -> Vec<Value> {
    let mut v = vec![];
    for i in 0..n {
        let u = emu.user_id(i);
        let lists = get_json(cred, &format!("/users/{u}/todo/lists"));
        v.push(json!({"mailbox": u, "kind": "events"}));
        v.push(json!({"mailbox": u, "kind": "contacts"}));
        for l in lists["value"].as_array().unwrap() {
            v.push(json!({"mailbox": u, "kind": "tasks", "list_id": l["id"]}));
        }
    }
    v
}

/// A whole round through the xp entry point: every call after the first
/// passes the previous result. Returns the change sets.
fn round(cred: &str, cols: &[Value], options: &Value) -> Vec<Value> {
    let text = Value::from(cols.to_vec()).to_string();
    let mut sets = vec![];
    let mut previous = 0;
    loop {
        let h = xp_round(Some(cred), Some(text.as_bytes()), Some(&options.to_string()), previous);
        assert!(h > 0, "{h}");
        let (status, ora, message) = info(h);
        assert_eq!((status, ora), (200, 0), "{message}");
        // 7-byte reads: every chunk boundary lands somewhere odd.
        let doc: Value = serde_json::from_slice(&read_all(h, 7)).unwrap();
        if previous > 0 {
            assert_eq!(msgraph_result_free(previous), MSGRAPH_OK);
        }
        previous = h;
        let complete = doc["complete"] == true;
        sets.push(doc);
        if complete {
            assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
            return sets;
        }
    }
}

#[test]
fn a_round_through_the_agent_entry_point_in_several_calls() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let mut cols = cols_of(&cred, &emu, 40);
    let sets = round(&cred, &cols, &json!({"max_items": 60, "page_size": 5}));
    assert!(sets.len() > 3, "the cap spreads the round over several calls: {}", sets.len());
    let mut items: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let mut done = BTreeSet::new();
    for s in &sets {
        let mut n = 0;
        for c in s["collections"].as_array().unwrap() {
            assert_eq!(c["ora_error"], 0, "{c}");
            assert!(c["message"].is_null());
            assert_eq!(c["n_upserts"].as_u64().unwrap() as usize, c["upserts"].as_array().unwrap().len());
            assert_eq!(c["n_removals"].as_u64().unwrap() as usize, c["removals"].as_array().unwrap().len());
            n += c["n_upserts"].as_u64().unwrap() + c["n_removals"].as_u64().unwrap();
            let i = c["index"].as_u64().unwrap() as usize;
            for u in c["upserts"].as_array().unwrap() {
                assert!(items.entry(i).or_default().insert(u["id"].as_str().unwrap().to_string()), "no item twice");
            }
            if c["state"] == "done" {
                cols[i]["delta_link"] = c["delta_link"].clone();
                assert!(c["delta_link"].is_string());
                done.insert(i);
            }
        }
        assert!(n <= 60, "max_items holds per call: {n}");
    }
    assert_eq!(done.len(), cols.len(), "every collection ends with a deltaLink");
    let total: usize = items.values().map(BTreeSet::len).sum();
    assert!(total > 100, "{total} items");

    // The next round from the stored links: a text larger than one RAW
    // (an upload body), one call, nothing changed, every link renewed.
    let text = Value::from(cols.clone()).to_string();
    assert!(text.len() > 32767, "{}", text.len());
    emu.clear_log();
    let sets = round(&cred, &cols, &json!({}));
    assert_eq!(sets.len(), 1);
    let again = sets[0]["collections"].as_array().unwrap();
    assert_eq!(again.len(), cols.len());
    assert!(again.iter().all(|c| c["state"] == "done" && c["n_upserts"] == 0 && c["n_removals"] == 0), "{again:?}");
    let posts = graph_requests(&emu).iter().filter(|r| r.path.contains("$batch")).count();
    assert_eq!(posts, cols.len().div_ceil(20), "one page round of $batch calls of 20");
}

#[test]
fn a_failed_collection_carries_the_librarys_verdict() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let mut cols = cols_of(&cred, &emu, 2);
    cols.push(json!({"mailbox": "nobody-here@example.invalid", "kind": "contacts"}));
    let sets = round(&cred, &cols, &json!({}));
    assert_eq!(sets.len(), 1);
    let all = sets[0]["collections"].as_array().unwrap();
    let failed: Vec<&Value> = all.iter().filter(|c| c["state"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{all:?}");
    assert_eq!(failed[0]["mailbox"], "nobody-here@example.invalid");
    assert_eq!(failed[0]["ora_error"], 20015, "404 is ORA-20015 by the library's table: {}", failed[0]);
    let m = failed[0]["message"].as_str().unwrap();
    assert!(m.starts_with("HTTP 404"), "{m}");
    assert!(all.iter().filter(|c| c["state"] == "done").all(|c| c["ora_error"] == 0));
    assert_eq!(all.iter().filter(|c| c["state"] == "done").count(), cols.len() - 1);
}

#[test]
fn bad_arguments_become_results_with_ora_numbers() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let cols = json!([{"mailbox": emu.user_id(0), "kind": "contacts"}]).to_string();
    let c = Some(cols.as_bytes());
    let ora_of = |h: i32| -> (i32, String) {
        assert!(h > 0, "a failure is a result: {h}");
        let (status, ora, m) = info(h);
        assert!(status < 0, "{status}");
        assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
        (ora, m)
    };
    // NULL credential, NULL collections: ARGUMENT (ORA-20001).
    assert_eq!(ora_of(xp_round(None, c, None, 0)).0, 20001);
    assert_eq!(ora_of(xp_round(Some(&cred), None, None, 0)).0, 20001);
    // An empty RAW is NULL in Oracle: refused the same way.
    assert_eq!(ora_of(xp_round(Some(&cred), Some(b""), None, 0)).0, 20001);
    // Not UTF-8, not a JSON array, options not an object.
    let (ora, m) = ora_of(xp_round(Some(&cred), Some(&[0xff, 0xfe, b'[']), None, 0));
    assert_eq!(ora, 20001);
    assert!(m.contains("UTF-8"), "{m}");
    assert_eq!(ora_of(xp_round(Some(&cred), Some(b"{}"), None, 0)).0, 20001);
    assert_eq!(ora_of(xp_round(Some(&cred), c, Some("[1]"), 0)).0, 20001);
    // A negative length with a non-NULL indicator.
    let h = msgraph_xp_sync_round(cred.as_ptr(), 0, cred.len() as i32, cols.as_ptr(), 0, -5, 0, ptr::null(), -1, 0, 0);
    assert_eq!(ora_of(h).0, 20001);
    // A NULL pointer with a length.
    let h = msgraph_xp_sync_round(cred.as_ptr(), 0, cred.len() as i32, ptr::null(), 0, 10, 0, ptr::null(), -1, 0, 0);
    assert_eq!(ora_of(h).0, 20001);
    // Unknown credential: NOT_FOUND (ORA-20002); unknown upload body too.
    assert_eq!(ora_of(xp_round(Some("no-such-credential"), c, None, 0)).0, 20002);
    let h = msgraph_xp_sync_round(cred.as_ptr(), 0, cred.len() as i32, ptr::null(), -1, 0, 999_999, ptr::null(), -1, 0, 0);
    assert_eq!(ora_of(h).0, 20002);
    // An upload body is consumed even by a failing call.
    let body = upload(cols.as_bytes());
    let h = msgraph_xp_sync_round(ptr::null(), -1, 0, ptr::null(), -1, 0, body, ptr::null(), -1, 0, 0);
    assert_eq!(ora_of(h).0, 20001);
    assert_eq!(msgraph_xp_body_free(body), MSGRAPH_ERR_NOT_FOUND, "the failing call consumed the body");
    // previous: not a change set, a complete one, a negative handle, or
    // together with a cursor in the options.
    let other = request_raw(&cred, "GET", "/users?$top=1", None, None);
    let (ora, m) = ora_of(xp_round(Some(&cred), c, None, other));
    assert_eq!(ora, 20001);
    assert!(m.contains("cursor"), "{m}");
    let done = xp_round(Some(&cred), c, None, 0);
    assert_eq!(info(done).0, 200);
    assert_eq!(ora_of(xp_round(Some(&cred), c, None, done)).0, 20001, "a complete round has no cursor");
    assert_eq!(ora_of(xp_round(Some(&cred), c, None, -3)).0, 20001);
    assert_eq!(ora_of(xp_round(Some(&cred), c, Some(r#"{"cursor":{}}"#), done)).0, 20001);
    // A previous handle that does not exist: NOT_FOUND.
    assert_eq!(ora_of(xp_round(Some(&cred), c, None, 987_654)).0, 20002);
    for h in [other, done] {
        assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
    }
    // A too-long collections text (a body past the 256 MiB cap is refused
    // by msgraph_xp_body_append before any call).
    let big = vec![b' '; 32 * 1024 * 1024];
    let h = msgraph_xp_body_new();
    let mut rc = 0;
    for _ in 0..9 {
        rc = msgraph_xp_body_append(h, big.as_ptr(), 0, big.len() as i32);
        if rc < 0 {
            break;
        }
    }
    assert_eq!(rc, MSGRAPH_ERR_TOO_LARGE);
    let h2 = msgraph_xp_sync_round(cred.as_ptr(), 0, cred.len() as i32, ptr::null(), -1, 0, h, ptr::null(), -1, 0, 0);
    assert_eq!(ora_of(h2).0, 20002, "the refused body is gone");
    assert_eq!(graph_requests(&emu).iter().filter(|r| r.path.contains("$batch")).count(), 1, "only the good call sent anything");
}

/// The hand-written call spec of sql/msgraph_sync.pkb matches the header's
/// prototypes (the same check tests/oracle_callspec.rs makes for MSGRAPH).
#[test]
fn msgraph_sync_call_specs_match_the_header() {
    let header = callspec::parse_header(&std::fs::read_to_string(root().join("include/msgraph.h")).unwrap());
    let src = std::fs::read_to_string(root().join("sql/msgraph_sync.pkb")).unwrap();
    let specs = callspec::parse_call_specs("sql/msgraph_sync.pkb", &src).unwrap();
    let names: BTreeSet<String> = specs.iter().map(|s| s.symbol.clone()).collect();
    assert!(names.contains("msgraph_xp_sync_round"), "{names:?}");
    let problems: Vec<String> = specs.iter().flat_map(|s| callspec::check_against_header(s, &header)).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    // A broken copy is caught (the check can fail).
    let broken = src.replacen("p_previous int", "p_previous short", 1);
    assert_ne!(broken, src);
    let specs = callspec::parse_call_specs("sql/msgraph_sync.pkb", &broken).unwrap();
    assert!(specs.iter().any(|s| !callspec::check_against_header(s, &header).is_empty()));
}
