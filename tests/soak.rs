//! Soak: threads making every kind of call while the emulator misbehaves
//! (random 429/5xx, connection resets, slow, stalled and truncated answers,
//! malformed JSON). Every call must end in an HTTP status or a clean library
//! error, nothing may crash, every result is freed, and memory stays flat.
//! Bounded to about a minute.

mod common;
use common::*;
use msgraph_emulator::RandomFaults;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4
}

#[test]
fn soak_with_random_faults() {
    let emu = emulator();
    let cred = credential(&emu, json!({"timeout_ms": 1000, "max_retries": 3, "retry_budget_ms": 5000}));
    assert_eq!(token_info(&cred, None).status, 200);
    let faults: RandomFaults = serde_json::from_value(json!({
        "rate": 0.15, "seed": 7, "retry_after": "0.05",
        "connection_reset_rate": 0.03, "slow_rate": 0.05, "slow_ms": [20, 200],
        "stall_rate": 0.02, "stall_ms": 2500, "truncate_rate": 0.03, "malformed_rate": 0.03
    }))
    .unwrap();
    emu.set_random_faults(Some(faults));
    let mailbox = emu.user_id(5);
    let batch_items: Value = (0..25).map(|i| json!({"method": "GET", "url": format!("/users/{}", emu.user_id(i))})).collect();
    let batch_text = batch_items.to_string();
    let outcomes: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
    let live_before = msgraph_results_live();
    let started = Instant::now();
    let mut rss_after_first = 0;
    let mut rounds = 0;
    while rounds < 8 && started.elapsed() < Duration::from_secs(45) {
        std::thread::scope(|s| {
            for t in 0..8 {
                let (cred, mailbox, batch_text, outcomes) = (&cred, &mailbox, &batch_text, &outcomes);
                s.spawn(move || {
                    for op in 0..8 {
                        let handle = match (t + op) % 6 {
                            0 => request_raw(cred, "GET", "/users?$top=5", None, None),
                            1 => request_raw(cred, "GET", "/users?$top=100&$select=id", None, Some(r#"{"all_pages":true}"#)),
                            2 => msgraph_batch(cs(cred).as_ptr(), cs(batch_text).as_ptr(), std::ptr::null()),
                            3 => msgraph_token_info(cs(cred).as_ptr(), std::ptr::null()),
                            4 => request_raw(cred, "POST", &format!("/users/{mailbox}/contacts"), Some(r#"{"givenName":"Soak"}"#), None),
                            _ => request_raw(cred, "GET", &format!("/users/{mailbox}/mailboxSettings"), None, None),
                        };
                        assert!(handle > 0, "every exchange gives a result: {handle} {}", last_error());
                        let g = take(handle);
                        let class = match g.status {
                            200..=599 => format!("http {}", g.status),
                            MSGRAPH_ERR_TRANSPORT | MSGRAPH_ERR_TIMEOUT | MSGRAPH_ERR_THROTTLED => {
                                let doc = g.json();
                                assert_eq!(doc["error"]["status"], g.status, "{}", g.body);
                                text(msgraph_status_name(g.status)).unwrap()
                            }
                            other => panic!("unexpected outcome {other}: {}", g.body),
                        };
                        *outcomes.lock().unwrap().entry(class).or_default() += 1;
                    }
                });
            }
        });
        emu.clear_log();
        rounds += 1;
        if rounds == 2 {
            rss_after_first = rss_kib();
        }
    }
    let rss_end = rss_kib();
    let outcomes = outcomes.into_inner().unwrap();
    let total: u64 = outcomes.values().sum();
    let s = emu.stats();
    println!(
        "soak: {rounds} rounds, {total} calls in {:.1} s; outcomes {outcomes:?}; emulator: {} random errors, {} resets, {} stalls, {} truncated, {} malformed, {} slowed; RSS {} KiB after round 2, {} KiB at the end",
        started.elapsed().as_secs_f64(), s.random_errors, s.connection_resets, s.stalled, s.truncated, s.malformed, s.slowed, rss_after_first, rss_end
    );
    assert!(rounds >= 3, "enough rounds to judge memory");
    assert_eq!(msgraph_results_live(), live_before, "every result freed");
    assert!(s.random_errors + s.connection_resets + s.stalled + s.truncated + s.malformed > 20, "faults were injected");
    let ok = outcomes.iter().filter(|(k, _)| k.starts_with("http 2")).map(|(_, v)| v).sum::<u64>();
    assert!(ok * 10 >= total * 7, "retries turn most faults into successes: {ok} of {total}");
    assert!(rss_end < rss_after_first + 16 * 1024, "memory flat: {rss_after_first} KiB -> {rss_end} KiB");
}
