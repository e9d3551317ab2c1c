//! Outlook per app+mailbox throttling, seeded random faults, connection-level faults, latency ranges.
mod common;
use common::*;
use msgraph_emulator::*;
use serde_json::{json, Value};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn concurrent_gets(emu: &Emulator, tok: &str, paths: &[String]) -> Vec<(u16, Option<String>, Value)> {
    let barrier = Arc::new(Barrier::new(paths.len()));
    let handles: Vec<_> = paths
        .iter()
        .map(|p| {
            let url = format!("{}{}", emu.graph_base_url(), p);
            let tok = tok.to_string();
            let b = barrier.clone();
            std::thread::spawn(move || {
                let c = client();
                b.wait();
                let r = c.get(url).bearer_auth(tok).send().unwrap();
                let s = r.status().as_u16();
                let ra = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
                (s, ra, r.json::<Value>().unwrap())
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn mailbox_concurrency_limit() {
    let emu = start();
    let t = token(&emu);
    let u0 = emu.user_id(0);
    let u1 = emu.user_id(1);
    emu.set_latency_ms(400);
    emu.set_outlook_throttling(Some(OutlookThrottling { concurrency: 4, retry_after: "0.5".into(), enforce_retry_after: false, ..Default::default() }));
    let mut paths: Vec<String> = (0..6).map(|_| format!("/users/{u0}/messages?$top=1")).collect();
    paths.push(format!("/users/{u1}/events"));
    paths.push("/users?$top=1".into());
    let res = concurrent_gets(&emu, &t, &paths);
    let ok = res[..6].iter().filter(|r| r.0 == 200).count();
    assert_eq!(ok, 4, "{res:?}");
    for (s, ra, v) in res[..6].iter().filter(|r| r.0 != 200) {
        assert_eq!(*s, 429);
        assert_eq!(ra.as_deref(), Some("0.5"));
        assert_eq!(graph_error(v), ("ApplicationThrottled", "Application is over its MailboxConcurrency limit."));
    }
    assert_eq!((res[6].0, res[7].0), (200, 200), "other mailbox and directory unaffected");
    let s = emu.stats();
    assert_eq!(s.peak_mailbox_concurrency[&u0], 4);
    assert_eq!(s.peak_mailbox_concurrency[&u1], 1);
    assert_eq!(s.peak_concurrency, 4);
    assert_eq!((s.outlook_throttled, s.throttled), (2, 2));
}

#[test]
fn peak_concurrency_reported_without_throttling() {
    let emu = start();
    let t = token(&emu);
    let u = emu.user_id(3);
    emu.set_latency_ms(300);
    let res = concurrent_gets(&emu, &t, &(0..3).map(|_| format!("/users/{u}/contacts")).collect::<Vec<_>>());
    assert!(res.iter().all(|r| r.0 == 200));
    assert_eq!(emu.stats().peak_mailbox_concurrency[&u], 3);
    assert_eq!(emu.stats().throttled, 0);
}

#[test]
fn mailbox_request_budget_and_early_retry() {
    let emu = start();
    let t = token(&emu);
    let u = emu.user_id(2);
    emu.apply_faults_json(&json!({"outlook_throttling": {"requests_per_window": 3, "window_ms": 800}})).unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        assert_eq!(get(&emu, &t, &format!("/users/{u}/messages?$top=1")).0, 200);
    }
    let r = client().get(format!("{}/users/{u}/mailFolders/inbox/messages", emu.graph_base_url())).bearer_auth(&t).send().unwrap();
    assert_eq!(r.status(), 429);
    let ra: f64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(ra > 0.0 && ra <= 0.8, "{ra}");
    let v: Value = r.json().unwrap();
    assert_eq!(graph_error(&v).0, "ApplicationThrottled");
    // Another app is not affected (per app + mailbox).
    let other = reader_token(&emu);
    assert_ne!(get(&emu, &other, &format!("/users/{u}/messages")).0, 429);
    // An early retry gets 429 again and restarts the wait.
    std::thread::sleep(Duration::from_millis(100));
    let (s, _) = get(&emu, &t, &format!("/users/{u}/messages"));
    assert_eq!(s, 429);
    // After the (restarted) Retry-After and the window, requests pass again.
    std::thread::sleep(Duration::from_millis(850));
    assert!(started.elapsed() >= Duration::from_millis(800));
    assert_eq!(get(&emu, &t, &format!("/users/{u}/messages")).0, 200);
    let s = emu.stats();
    assert_eq!(s.outlook_throttled, 2);
    // Switching off via the control JSON.
    emu.apply_faults_json(&json!({"outlook_throttling": null})).unwrap();
    assert!(emu.faults().outlook_throttling.is_none());
}

#[test]
fn mailbox_budget_applies_to_batch_items() {
    let emu = start();
    let t = token(&emu);
    let u = emu.user_id(4);
    emu.set_outlook_throttling(Some(OutlookThrottling { requests_per_window: Some(2), window_ms: 60_000, ..Default::default() }));
    let reqs: Vec<Value> = (1..=4).map(|i| json!({"id": i.to_string(), "method": "GET", "url": format!("/users/{u}/events?$top=1")})).chain([json!({"id": "5", "method": "GET", "url": "/users?$top=1"}), json!({"id": "6", "method": "GET", "url": format!("/users/{u}/contacts"), "dependsOn": ["4"]})]).collect();
    let r = client().post(format!("{}/$batch", emu.graph_base_url())).bearer_auth(&t).json(&json!({"requests": reqs})).send().unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    let st: Vec<u64> = v["responses"].as_array().unwrap().iter().map(|x| x["status"].as_u64().unwrap()).collect();
    assert_eq!(st, vec![200, 200, 429, 429, 200, 424]);
    let third = &v["responses"][2];
    assert_eq!(third["body"]["error"]["code"], "ApplicationThrottled");
    assert!(third["headers"]["Retry-After"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);
    assert_eq!(emu.stats().outlook_throttled, 2);
    assert_eq!(emu.stats().throttled, 2);
}

/// Graph runs a batch's items at once: items for one mailbox hold their
/// Outlook slots for the whole exchange, so a fifth concurrent item is 429
/// MailboxConcurrency, while a dependsOn chain runs one item after another
/// and passes; the slots are released when the exchange is over.
#[test]
fn batch_items_run_concurrently_within_the_mailbox_limit() {
    let emu = start();
    let t = token(&emu);
    let (u, v) = (emu.user_id(5), emu.user_id(6));
    emu.set_outlook_throttling(Some(OutlookThrottling { enforce_retry_after: false, ..Default::default() }));
    assert_eq!(emu.faults().outlook_throttling.unwrap().requests_per_window, Some(10_000), "Graph's documented budget by default");
    let post = |reqs: Vec<Value>| -> Vec<Value> {
        let r = client().post(format!("{}/$batch", emu.graph_base_url())).bearer_auth(&t).json(&json!({"requests": reqs})).send().unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().unwrap()["responses"].as_array().unwrap().clone()
    };
    let parallel: Vec<Value> = (1..=6)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": format!("/users/{u}/events?$top=1")}))
        .chain([json!({"id": "7", "method": "GET", "url": format!("/users/{v}/events?$top=1")})])
        .collect();
    let out = post(parallel.clone());
    let st: Vec<u64> = out.iter().map(|x| x["status"].as_u64().unwrap()).collect();
    assert_eq!(st, vec![200, 200, 200, 200, 429, 429, 200]);
    assert_eq!(out[4]["body"]["error"]["message"], "Application is over its MailboxConcurrency limit.");
    assert_eq!(emu.stats().peak_mailbox_concurrency[&u], 4);
    // The exchange is over: its slots are free again.
    let out = post(parallel[..4].to_vec());
    assert!(out.iter().all(|x| x["status"] == 200), "{out:?}");
    let chain: Vec<Value> = (1..=6)
        .map(|i| {
            let mut r = json!({"id": i.to_string(), "method": "GET", "url": format!("/users/{u}/contacts?$top=1")});
            if i > 1 {
                r["dependsOn"] = json!([(i - 1).to_string()]);
            }
            r
        })
        .collect();
    let out = post(chain);
    assert!(out.iter().all(|x| x["status"] == 200), "a sequential chain never has more than one in flight: {out:?}");
    // Bodies are JSON, not strings.
    assert!(out[0]["body"]["value"].is_array());
}

fn statuses(emu: &Emulator, t: &str, n: usize) -> Vec<(u16, Option<String>)> {
    (0..n)
        .map(|_| {
            let r = client().get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(t).send().unwrap();
            (r.status().as_u16(), r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string()))
        })
        .collect()
}

#[test]
fn random_errors_are_seeded() {
    let emu = start();
    let t = token(&emu);
    let rf = RandomFaults { rate: 0.3, seed: 42, retry_after: "0.25".into(), ..Default::default() };
    emu.set_random_faults(Some(rf.clone()));
    let a = statuses(&emu, &t, 60);
    emu.set_random_faults(Some(rf.clone()));
    let b = statuses(&emu, &t, 60);
    assert_eq!(a, b, "same seed, same sequence");
    let errors = a.iter().filter(|x| x.0 != 200).count();
    assert!((8..=30).contains(&errors), "{errors} errors of 60 at rate 0.3");
    for (s, ra) in &a {
        assert!([200, 429, 500, 502, 503, 504].contains(s), "{s}");
        if *s == 429 || *s == 503 {
            assert_eq!(ra.as_deref(), Some("0.25"));
        }
    }
    emu.set_random_faults(Some(RandomFaults { seed: 7, ..rf.clone() }));
    assert_ne!(statuses(&emu, &t, 60), a, "another seed, another sequence");
    let logged_errors = emu.requests().iter().filter(|r| r.path.starts_with("/v1.0/users?") && r.status != 200).count();
    assert_eq!(emu.stats().random_errors as usize, logged_errors);
    // Writes may also get 507.
    emu.set_random_faults(Some(RandomFaults { rate: 1.0, seed: 1, statuses: vec![500], ..Default::default() }));
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..20 {
        seen.insert(send(&emu, &t, "POST", &format!("/users/{}/contacts", emu.user_id(0)), &json!({"givenName": "X"})).0);
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![500, 507]);
    assert_eq!(get(&emu, &t, "/users").0, 500, "GET never gets 507");
    emu.set_random_faults(None);
    assert_eq!(get(&emu, &t, "/users").0, 200);
}

#[test]
fn random_batch_item_errors() {
    let emu = start();
    let t = token(&emu);
    emu.apply_faults_json(&json!({"random_faults": {"rate": 0.0, "batch_item_rate": 1.0, "seed": 3, "statuses": [503], "retry_after": "2"}})).unwrap();
    let body = json!({"requests": [
        {"id": "a", "method": "GET", "url": "/users?$top=1"},
        {"id": "b", "method": "GET", "url": "/organization", "dependsOn": ["a"]}
    ]});
    let r = client().post(format!("{}/$batch", emu.graph_base_url())).bearer_auth(&t).json(&body).send().unwrap();
    assert_eq!(r.status(), 200, "the outer request is not failed by status");
    let v: Value = r.json().unwrap();
    assert_eq!(v["responses"][0]["status"], 503);
    assert_eq!(v["responses"][0]["headers"]["Retry-After"], "2");
    assert_eq!(graph_error(&v["responses"][0]["body"]).0, "ServiceNotAvailable");
    assert_eq!(v["responses"][1]["status"], 424);
    assert_eq!(emu.stats().random_errors, 1);
}

#[test]
fn connection_reset() {
    let emu = start();
    let t = token(&emu);
    emu.set_random_faults(Some(RandomFaults { connection_reset_rate: 1.0, ..Default::default() }));
    let r = client().get(format!("{}/users", emu.graph_base_url())).bearer_auth(&t).send();
    assert!(r.is_err(), "connection closed without a response: {r:?}");
    assert_eq!(emu.stats().connection_resets, 1);
    assert_eq!(emu.requests().last().unwrap().status, 0);
    // Token requests are unaffected unless random_faults.token is set.
    token(&emu);
    emu.apply_faults_json(&json!({"random_faults": {"connection_reset_rate": 1.0, "token": true}})).unwrap();
    assert!(client().post(emu.token_url()).form(&[("a", "b")]).send().is_err());
    emu.apply_faults_json(&json!({"random_faults": false})).unwrap();
    assert_eq!(get(&emu, &t, "/users?$top=1").0, 200);
}

#[test]
fn stalled_response_is_bounded() {
    let emu = start();
    let t = token(&emu);
    emu.set_random_faults(Some(RandomFaults { stall_rate: 1.0, stall_ms: 700, ..Default::default() }));
    // A client that gives up first.
    let c = reqwest::blocking::Client::builder().no_proxy().timeout(Duration::from_millis(300)).build().unwrap();
    let started = Instant::now();
    let r = c.get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(&t).send().unwrap();
    assert_eq!(r.status(), 200, "headers arrive");
    assert!(r.text().is_err());
    assert!(started.elapsed() < Duration::from_millis(650));
    // A patient client sees the connection closed once stall_ms has passed.
    let started = Instant::now();
    let r = client().get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(&t).send().unwrap();
    assert!(r.text().is_err());
    let el = started.elapsed();
    assert!(el >= Duration::from_millis(650) && el < Duration::from_millis(3000), "{el:?}");
    assert_eq!(emu.stats().stalled, 2);
}

#[test]
fn truncated_and_malformed_bodies() {
    let emu = start();
    let t = token(&emu);
    emu.set_random_faults(Some(RandomFaults { truncate_rate: 1.0, ..Default::default() }));
    let r = client().get(format!("{}/users?$top=2", emu.graph_base_url())).bearer_auth(&t).send().unwrap();
    let len: usize = r.headers()["content-length"].to_str().unwrap().parse().unwrap();
    assert!(len > 100);
    assert!(r.bytes().is_err(), "body shorter than Content-Length");
    emu.set_random_faults(Some(RandomFaults { malformed_rate: 1.0, ..Default::default() }));
    let r = client().get(format!("{}/users/{}/messages", emu.graph_base_url(), emu.user_id(0))).bearer_auth(&t).send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let text = r.text().unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    let s = emu.stats();
    assert_eq!((s.truncated, s.malformed), (1, 1));
}

#[test]
fn slow_responses_and_latency_range() {
    let emu = start();
    let t = token(&emu);
    emu.set_random_faults(Some(RandomFaults { slow_rate: 1.0, slow_ms: Some([150, 200]), ..Default::default() }));
    let started = Instant::now();
    assert_eq!(get(&emu, &t, "/organization").0, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(emu.stats().slowed, 1);
    emu.set_random_faults(None);
    emu.clear_log();
    emu.set_latency_range(40, 90, 5);
    for _ in 0..6 {
        assert_eq!(get(&emu, &t, "/organization").0, 200);
    }
    let d: Vec<u64> = emu.requests().iter().map(|r| r.duration_ms).collect();
    assert!(d.iter().all(|x| (40..=150).contains(x)), "{d:?}");
    assert!(d.iter().max().unwrap() - d.iter().min().unwrap() >= 5, "values spread over the range: {d:?}");
    emu.apply_faults_json(&json!({"latency_range": [0, 0]})).unwrap();
    emu.apply_faults_json(&json!({"latency_range": {"min_ms": 10, "max_ms": 20, "seed": 9}})).unwrap();
    assert_eq!(emu.faults().latency_range.unwrap().seed, 9);
    emu.set_latency_range(0, 0, 0);
    assert!(emu.faults().latency_range.is_none());
}

#[test]
fn control_json_for_new_faults() {
    let emu = start();
    let c = client();
    let url = format!("{}/_emulator/faults", emu.base_url());
    let r = c
        .post(&url)
        .json(&json!({"outlook_throttling": {"concurrency": 4, "requests_per_window": 100, "window_ms": 1000, "retry_after": "0.5"}, "random_faults": {"rate": 0.3, "seed": 42, "statuses": [429, 500, 502, 503, 504]}, "latency_range": [1, 2]}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(v["outlook_throttling"]["requests_per_window"], 100);
    assert_eq!(v["random_faults"]["seed"], 42);
    assert_eq!(v["random_faults"]["write_507"], true);
    assert_eq!(v["latency_range"]["max_ms"], 2);
    for bad in [json!({"random_faults": {"rate": 2}}), json!({"random_faults": {"bogus": 1}}), json!({"outlook_throttling": {"concurrency": 0}}), json!({"random_faults": {"statuses": [200]}})] {
        assert_eq!(c.post(&url).json(&bad).send().unwrap().status(), 400, "{bad}");
    }
    assert_eq!(c.post(format!("{}/_emulator/reset", emu.base_url())).send().unwrap().status(), 204);
    let v: Value = c.get(&url).send().unwrap().json().unwrap();
    assert!(v["outlook_throttling"].is_null() && v["random_faults"].is_null() && v["latency_range"].is_null());
    let s: Value = c.get(format!("{}/_emulator/stats", emu.base_url())).send().unwrap().json().unwrap();
    for k in ["throttled", "peak_concurrency", "peak_mailbox_concurrency", "random_errors", "connection_resets", "tokens_issued_assertion"] {
        assert!(s.get(k).is_some(), "{k}");
    }
}
