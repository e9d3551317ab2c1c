//! Driver for `bash tools/bench.sh sync`: runs sync rounds through the C
//! ABI with a file-backed stand-in for the database (each call's changes
//! appended to a journal as one record and fsync'd, then the deltaLinks
//! written atomically: links only after the items of the same call; a
//! record torn by a kill is dropped on the next open), mutates the
//! emulator's mailboxes, and judges the store against them.
//!
//!   sync_driver collections CREDS N OUT          # collections.json for N mailboxes
//!   sync_driver round CREDS COLS DIR OPTS_JSON   # one whole round; prints a JSON line
//!   sync_driver mutate CREDS COLS SEED SHARE     # create/update/delete in SHARE of collections
//!   sync_driver judge CREDS COLS DIR             # {"lost","duplicated"} against the emulator

use msgraph::ffi::call::{msgraph_batch, msgraph_request};
use msgraph::ffi::credential::msgraph_credentials_load;
use msgraph::ffi::result::*;
use msgraph::ffi::sync::msgraph_sync_round;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Seek, SeekFrom, Write};
use std::ffi::{CStr, CString};
use std::time::Instant;

fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn take(h: i32) -> (i32, Value) {
    assert!(h > 0, "call failed: {h}");
    let status = msgraph_result_status(h);
    let body = unsafe { CStr::from_ptr(msgraph_result_body(h)) }.to_string_lossy().into_owned();
    msgraph_result_free(h);
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn load(creds: &str) -> String {
    let n = msgraph_credentials_load(cs(creds).as_ptr());
    assert!(n > 0, "credentials load: {n}");
    // The emulator's --credentials-out file names its credential "emulator".
    "emulator".to_string()
}

fn batch(cred: &str, reqs: &[Value]) -> Vec<Value> {
    let (s, v) = take(msgraph_batch(cs(cred).as_ptr(), cs(&Value::from(reqs.to_vec()).to_string()).as_ptr(), cs(r#"{"concurrency":16}"#).as_ptr()));
    assert_eq!(s, 200, "{v}");
    v["responses"].as_array().unwrap().clone()
}

fn write_atomic(path: &str, v: &Value) {
    let tmp = format!("{path}.tmp");
    std::fs::write(&tmp, serde_json::to_vec(v).unwrap()).unwrap();
    std::fs::File::open(&tmp).unwrap().sync_all().unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn read_or(path: &str, d: Value) -> Value {
    std::fs::read(path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(d)
}

fn rss_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

/// One engine result, its upserts left as the bytes it returned.
#[derive(Deserialize)]
struct Out<'a> {
    complete: bool,
    #[serde(borrow)]
    cursor: &'a RawValue,
    #[serde(borrow)]
    collections: Vec<OutCol<'a>>,
    summary: Value,
}

#[derive(Deserialize)]
struct OutCol<'a> {
    index: usize,
    state: String,
    resync: bool,
    #[serde(borrow)]
    upserts: Vec<&'a RawValue>,
    removals: Vec<Value>,
    delta_link: Option<String>,
}

#[derive(Deserialize)]
struct ItemId {
    id: String,
}

type Record<'a> = Vec<(usize, bool, Vec<&'a RawValue>, Vec<String>)>;

/// The stored state: the journal's whole records applied in order (ids per
/// collection), and the length of its whole records (a record torn by a
/// kill is not part of the state; its links were never stored).
fn replay(path: &str) -> (HashMap<usize, HashSet<String>>, u64) {
    let data = std::fs::read(path).unwrap_or_default();
    let mut state: HashMap<usize, HashSet<String>> = HashMap::new();
    let mut good = 0usize;
    for line in data.split_inclusive(|&b| b == b'\n') {
        if line.last() != Some(&b'\n') {
            break;
        }
        let Ok(rec) = serde_json::from_slice::<Record>(line) else { break };
        for (index, resync, upserts, removals) in rec {
            let set = state.entry(index).or_default();
            if resync {
                set.clear();
            }
            for u in upserts {
                set.insert(serde_json::from_str::<ItemId>(u.get()).unwrap().id);
            }
            for id in removals {
                set.remove(&id);
            }
        }
        good += line.len();
    }
    (state, good as u64)
}

/// The journal, cut back to its whole records, open for appending.
fn open_journal(path: &str) -> std::fs::File {
    let good = replay(path).1;
    let f = std::fs::OpenOptions::new().create(true).truncate(false).read(true).write(true).open(path).unwrap();
    f.set_len(good).unwrap();
    let mut f = f;
    f.seek(SeekFrom::End(0)).unwrap();
    f
}

/// CPU seconds (user + system) this process has used so far.
fn cpu_s() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<&str> = s.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // fields after the command name: utime is the 12th, stime the 13th
    (t(11) + t(12)) / 100.0
}

fn collection_url(c: &Value) -> String {
    let u = c["mailbox"].as_str().unwrap();
    match c["kind"].as_str().unwrap() {
        "events" => format!("/users/{u}/events?$top=999&$select=id"),
        "contacts" => format!("/users/{u}/contacts?$top=999&$select=id"),
        _ => format!("/users/{u}/todo/lists/{}/tasks?$top=999&$select=id", c["list_id"].as_str().unwrap()),
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let cred = load(&a[2]);
    match a[1].as_str() {
        "collections" => {
            let n: usize = a[3].parse().unwrap();
            let users: Vec<String> = {
                let (s, v) = take(msgraph_request(cs(&cred).as_ptr(), cs("GET").as_ptr(), cs("/users?$select=id&$top=999").as_ptr(), std::ptr::null(), cs(&format!(r#"{{"all_pages":true,"max_items":{n}}}"#)).as_ptr()));
                assert_eq!(s, 200, "{v}");
                v["value"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()).collect()
            };
            let reqs: Vec<Value> = users.iter().enumerate().map(|(i, u)| json!({"id": i.to_string(), "method": "GET", "url": format!("/users/{u}/todo/lists?$select=id")})).collect();
            let lists = batch(&cred, &reqs);
            let mut cols = vec![];
            for (u, l) in users.iter().zip(lists) {
                cols.push(json!({"mailbox": u, "kind": "events"}));
                cols.push(json!({"mailbox": u, "kind": "contacts"}));
                if let Some(id) = l["body"]["value"][0]["id"].as_str() {
                    cols.push(json!({"mailbox": u, "kind": "tasks", "list_id": id}));
                }
            }
            write_atomic(&a[4], &Value::from(cols));
        }
        "round" => {
            let mut cols: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&a[3]).unwrap()).unwrap();
            let dir = &a[4];
            let base_opts: Value = serde_json::from_str(&a[5]).unwrap();
            let (journal_path, links_path) = (format!("{dir}/journal.jsonl"), format!("{dir}/links.json"));
            let mut journal = open_journal(&journal_path);
            let mut links = read_or(&links_path, json!({}));
            for (i, c) in cols.iter_mut().enumerate() {
                c["delta_link"] = links[i.to_string()].clone();
            }
            let cols_text = cs(&Value::from(cols).to_string());
            let t0 = Instant::now();
            let cpu0 = cpu_s();
            let mut engine_s = 0.0f64;
            let (mut call_peak_kib, mut process_peak_kib) = (0u64, 0u64);
            let (mut calls, mut requests, mut batches, mut changes, mut resyncs, mut failed) = (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
            let mut cursor = Value::Null;
            loop {
                let mut opts = base_opts.clone();
                opts["cursor"] = cursor;
                // The engine call's own peak: the high-water mark is reset
                // before it and read after it (Linux clear_refs 5).
                let _ = std::fs::write("/proc/self/clear_refs", "5");
                let before = rss_kib("VmRSS:");
                let t1 = Instant::now();
                let h = msgraph_sync_round(cs(&cred).as_ptr(), cols_text.as_ptr(), cs(&opts.to_string()).as_ptr());
                engine_s += t1.elapsed().as_secs_f64();
                let hwm = rss_kib("VmHWM:");
                call_peak_kib = call_peak_kib.max(hwm.saturating_sub(before));
                process_peak_kib = process_peak_kib.max(hwm);
                assert!(h > 0, "call failed: {h}");
                assert_eq!(msgraph_result_status(h), 200);
                let text = unsafe { CStr::from_ptr(msgraph_result_body(h)) }.to_str().unwrap();
                let out: Out = serde_json::from_str(text).unwrap();
                calls += 1;
                requests += out.summary["requests"].as_u64().unwrap_or(0);
                batches += out.summary["batches"].as_u64().unwrap_or(0);
                // Commit the items first (one journal record, fsync'd) …
                let mut record: Vec<(usize, bool, &[&RawValue], &[Value])> = vec![];
                let mut new_links = Map::new();
                for r in &out.collections {
                    if r.state == "failed" {
                        failed += 1;
                        continue;
                    }
                    resyncs += u64::from(r.resync);
                    changes += (r.upserts.len() + r.removals.len()) as u64;
                    record.push((r.index, r.resync, &r.upserts, &r.removals));
                    if let Some(d) = &r.delta_link {
                        new_links.insert(r.index.to_string(), d.clone().into());
                    }
                }
                let mut line = serde_json::to_vec(&record).unwrap();
                line.push(b'\n');
                journal.write_all(&line).unwrap();
                journal.sync_data().unwrap();
                // … then the links.
                for (k, v) in new_links {
                    links[k] = v;
                }
                write_atomic(&links_path, &links);
                let (complete, next) = (out.complete, serde_json::from_str::<Value>(out.cursor.get()).unwrap());
                msgraph_result_free(h);
                if complete {
                    break;
                }
                cursor = next;
            }
            let secs = t0.elapsed().as_secs_f64();
            println!("{}", json!({"seconds": secs, "engine_seconds": engine_s, "cpu_seconds": cpu_s() - cpu0, "calls": calls, "requests": requests, "batches": batches,
                "changes": changes, "resyncs": resyncs, "failed": failed, "call_peak_rss_kib": call_peak_kib, "peak_rss_kib": process_peak_kib}));
        }
        "mutate" => {
            let cols: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&a[3]).unwrap()).unwrap();
            let seed: u64 = a[4].parse().unwrap();
            let share: f64 = a[5].parse().unwrap();
            let n = ((cols.len() as f64 * share).ceil() as usize).max(1);
            let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let mut next = || {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (x >> 33) as usize
            };
            let picked: Vec<&Value> = (0..n).map(|_| &cols[next() % cols.len()]).collect();
            let reqs: Vec<Value> = picked.iter().enumerate().map(|(i, c)| json!({"id": i.to_string(), "method": "GET", "url": collection_url(c)})).collect();
            let now = batch(&cred, &reqs);
            let mut writes = vec![];
            for (i, (c, r)) in picked.iter().zip(now).enumerate() {
                let u = c["mailbox"].as_str().unwrap();
                let base = match c["kind"].as_str().unwrap() {
                    "events" => format!("/users/{u}/events"),
                    "contacts" => format!("/users/{u}/contacts"),
                    _ => format!("/users/{u}/todo/lists/{}/tasks", c["list_id"].as_str().unwrap()),
                };
                let first = r["body"]["value"][0]["id"].as_str().map(str::to_string);
                let body = match c["kind"].as_str().unwrap() {
                    "events" => json!({"subject": format!("bench {seed}.{i}"), "start": {"dateTime": "2030-01-01T10:00:00", "timeZone": "UTC"}, "end": {"dateTime": "2030-01-01T11:00:00", "timeZone": "UTC"}}),
                    "contacts" => json!({"givenName": format!("bench {seed}.{i}")}),
                    _ => json!({"title": format!("bench {seed}.{i}")}),
                };
                match (next() % 3, first) {
                    (1, Some(id)) => writes.push(json!({"id": i.to_string(), "method": "PATCH", "url": format!("{base}/{id}"), "body": if c["kind"] == "tasks" { json!({"title": "patched"}) } else if c["kind"] == "events" { json!({"subject": "patched"}) } else { json!({"jobTitle": "patched"}) }})),
                    (2, Some(id)) => writes.push(json!({"id": i.to_string(), "method": "DELETE", "url": format!("{base}/{id}")})),
                    _ => writes.push(json!({"id": i.to_string(), "method": "POST", "url": base, "body": body})),
                }
            }
            let done = batch(&cred, &writes);
            let bad = done.iter().filter(|r| r["status"].as_u64().unwrap_or(0) >= 400).count();
            println!("{}", json!({"changed_collections": n, "failed_writes": bad}));
        }
        "judge" => {
            let cols: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&a[3]).unwrap()).unwrap();
            let items = replay(&format!("{}/journal.jsonl", a[4])).0;
            let reqs: Vec<Value> = cols.iter().enumerate().map(|(i, c)| json!({"id": i.to_string(), "method": "GET", "url": collection_url(c)})).collect();
            let truth = batch(&cred, &reqs);
            let (mut lost, mut duplicated, mut total) = (0usize, 0usize, 0usize);
            for (i, r) in truth.iter().enumerate() {
                assert_eq!(r["status"], 200, "{r}");
                let want: BTreeMap<&str, ()> = r["body"]["value"].as_array().unwrap().iter().map(|v| (v["id"].as_str().unwrap(), ())).collect();
                let have = items.get(&i).cloned().unwrap_or_default();
                total += want.len();
                lost += want.keys().filter(|k| !have.contains(**k)).count();
                // An item stored that the mailbox no longer has (or twice
                // under one id, which a map cannot hold) counts as duplicated.
                duplicated += have.iter().filter(|k| !want.contains_key(k.as_str())).count();
            }
            println!("{}", json!({"items": total, "lost": lost, "duplicated": duplicated}));
        }
        other => panic!("unknown mode {other}"),
    }
}
