//! Soak: threads making every kind of call while the emulator misbehaves
//! (random 429/5xx, connection resets, slow, stalled and truncated answers,
//! malformed JSON). Every call must end in an HTTP status or a clean library
//! error, nothing may crash, every result is freed, and memory stays flat.
//! Bounded to about a minute.

mod common;
#[path = "common/script.rs"]
mod script;
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

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

/// The token endpoint is fine, then throttled (429, Retry-After 3), then
/// stalled (answers after 4 s), then fine again, while 6 threads call with
/// short tokens (a refresh every few seconds) and one thread drops the
/// cached token now and then. Every call must end in a clean status within
/// its budget (timeout 800 ms + retry budget 1000 ms) plus a margin, the
/// throttling windows must be remembered (few token requests), and memory
/// and descriptors stay flat.
#[test]
fn soak_with_the_token_endpoint_throttled_and_stalled() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let phase = Arc::new(AtomicU32::new(0));
    let p2 = phase.clone();
    let srv = script::ScriptServer::start(move |kind, _, _| match (kind, p2.load(Ordering::SeqCst)) {
        ("token", 1) => script::Answer::new("429 Too Many Requests", r#"{"error":"temporarily_unavailable"}"#).header("retry-after", "3"),
        ("token", 2) => script::token_ok(14).after(Duration::from_secs(4)),
        ("token", _) => script::token_ok(14),
        _ => script::Answer::new("200 OK", r#"{"value":[{"id":"1"}]}"#).header("content-type", "application/json"),
    });
    let mut cfg = srv.config();
    cfg["timeout_ms"] = json!(800);
    cfg["retry_budget_ms"] = json!(1000);
    cfg["max_retries"] = json!(2);
    let name = unique("soak-token");
    assert_eq!(msgraph_credential_set(cs(&name).as_ptr(), cs(&cfg.to_string()).as_ptr()), MSGRAPH_OK);
    let budget = Duration::from_millis(1800);
    let margin = Duration::from_millis(1500);
    let outcomes: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
    let slowest = Mutex::new(Duration::ZERO);
    let tokens_by_phase = Mutex::new([0u32; 4]);
    let live_before = msgraph_results_live();
    let started = Instant::now();
    let (mut rss_mid, mut fds_mid) = (0, 0);
    std::thread::scope(|s| {
        for t in 0..6 {
            let (name, outcomes, slowest) = (&name, &outcomes, &slowest);
            let started = &started;
            s.spawn(move || {
                let mut op = t;
                while started.elapsed() < Duration::from_secs(24) {
                    op += 1;
                    let t0 = Instant::now();
                    let handle = match op % 4 {
                        0 => request_raw(name, "GET", "/users", None, None),
                        1 => request_raw(name, "GET", "/users", None, Some(r#"{"all_pages":true}"#)),
                        2 => msgraph_batch(cs(name).as_ptr(), cs(r#"[{"method":"GET","url":"/users"}]"#).as_ptr(), std::ptr::null()),
                        _ => msgraph_token_info(cs(name).as_ptr(), std::ptr::null()),
                    };
                    let took = t0.elapsed();
                    assert!(handle > 0, "{handle} {}", last_error());
                    let g = take(handle);
                    assert!(took <= budget + margin, "a call took {took:?}: {}", g.body);
                    let class = match g.status {
                        200 => "http 200".to_string(),
                        MSGRAPH_ERR_THROTTLED | MSGRAPH_ERR_TIMEOUT | MSGRAPH_ERR_TRANSPORT => text(msgraph_status_name(g.status)).unwrap(),
                        other => panic!("unexpected outcome {other}: {}", g.body),
                    };
                    let mut sl = slowest.lock().unwrap();
                    *sl = (*sl).max(took);
                    drop(sl);
                    *outcomes.lock().unwrap().entry(class).or_default() += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
        }
        // The conductor: phases of 6 s, a dropped token every 1.5 s.
        let mut last = srv.tokens();
        for step in 0..16 {
            std::thread::sleep(Duration::from_millis(1500));
            let p = ((step + 1) / 4).min(3) as u32;
            let now = srv.tokens();
            tokens_by_phase.lock().unwrap()[(step / 4).min(3)] += now - last;
            last = now;
            phase.store(if p == 3 { 0 } else { p }, Ordering::SeqCst);
            let _ = msgraph_credential_clear_tokens(cs(&name).as_ptr());
            if step == 3 {
                rss_mid = rss_kib();
                fds_mid = open_fds();
            }
        }
    });
    let (rss_end, fds_end) = (rss_kib(), open_fds());
    let outcomes = outcomes.into_inner().unwrap();
    let tokens = tokens_by_phase.into_inner().unwrap();
    println!(
        "soak (token endpoint): {} calls in {:.1} s; outcomes {outcomes:?}; slowest call {:?} (budget {budget:?}); token requests per phase (ok, throttled, stalled, ok) {tokens:?}; RSS {rss_mid} -> {rss_end} KiB; fds {fds_mid} -> {fds_end}",
        outcomes.values().sum::<u64>(),
        started.elapsed().as_secs_f64(),
        slowest.into_inner().unwrap()
    );
    assert_eq!(msgraph_results_live(), live_before, "every result freed");
    assert!(outcomes.get("http 200").copied().unwrap_or(0) > 50, "calls succeed outside the bad phases");
    assert!(outcomes.get("MSGRAPH_ERR_THROTTLED").copied().unwrap_or(0) > 0, "the throttled phase was seen");
    // 6 s of 429 with Retry-After 3 and a token dropped every 1.5 s: a few
    // requests, not one per call.
    assert!(tokens[1] <= 8, "throttling remembered: {tokens:?}");
    assert!(rss_end < rss_mid + 16 * 1024, "memory flat: {rss_mid} KiB -> {rss_end} KiB");
    assert!(fds_end <= fds_mid + 16, "descriptors flat: {fds_mid} -> {fds_end}");
}
