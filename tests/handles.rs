//! Issue 10: result handles that never run out while a freed handle never
//! names another result, and JSON accessors whose memory does not grow
//! with the number of look-ups. Own binary: the results table is global.

mod common;
#[path = "common/script.rs"]
mod script;
use common::*;
use std::collections::HashSet;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap()
}

#[test]
fn handles_recycle_slots_and_stale_handles_stay_invalid() {
    let mut freed = Vec::new();
    let mut max_slot = 0;
    let mut seen_after_free: HashSet<i32> = HashSet::new();
    for i in 0..300_000 {
        let h = msgraph_credentials_list();
        assert!(h > 0, "call {i}: {h}");
        max_slot = max_slot.max(h & 0xFFFFF);
        if i < 1000 {
            freed.push(h);
        } else {
            seen_after_free.insert(h);
        }
        assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
    }
    // Slots are recycled: the handles do not march towards INT32_MAX.
    assert!(max_slot < 4096 + 16, "slot index {max_slot}");
    for h in &freed {
        assert_eq!(msgraph_result_status(*h), MSGRAPH_ERR_NOT_FOUND);
        assert_eq!(msgraph_result_free(*h), MSGRAPH_ERR_NOT_FOUND, "double free of {h}");
        assert!(!seen_after_free.contains(h), "freed handle {h} came back within 300,000 results");
    }
}

#[test]
fn repeated_json_lookups_cost_nothing_more() {
    // A ~12 MB page.
    let item = r#"{"id":"00000000-0000-0000-0000-000000000000","displayName":"someone with a long enough name"}"#;
    let n = 12_000_000 / (item.len() + 1);
    let mut body = String::with_capacity(12_100_000);
    body.push_str(r#"{"value":["#);
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    body.push_str("]}");
    let body = std::sync::Arc::new(body);
    let srv = script::ScriptServer::start(move |kind, _, _| match kind {
        "token" => script::token_ok(3599),
        _ => script::Answer::new("200 OK", &body).header("content-type", "application/json"),
    });
    let name = unique("acc");
    assert_eq!(msgraph_credential_set(cs(&name).as_ptr(), cs(&srv.config().to_string()).as_ptr()), MSGRAPH_OK);
    let h = request_raw(&name, "GET", "/users", None, None);
    assert!(h > 0);
    assert_eq!(msgraph_result_status(h), 200);
    let p = cs("/value");
    let first = msgraph_result_json(h, p.as_ptr());
    assert!(!first.is_null());
    let before = rss_kib();
    for _ in 0..100 {
        assert_eq!(msgraph_result_json(h, p.as_ptr()), first, "the same string is handed out again");
    }
    let grew = rss_kib().saturating_sub(before);
    eprintln!("RSS growth over 100 look-ups of /value on a 12 MB result: {grew} KiB");
    assert!(grew < 50 * 1024, "RSS grew {grew} KiB");
    assert_eq!(msgraph_result_json_count(h, p.as_ptr()), n as i64);
    assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
}
