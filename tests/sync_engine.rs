//! The sync engine (msgraph_sync_round) through the C ABI against the
//! emulator: full and incremental rounds over many collections, the items
//! cap with its cursor, per-collection resync, Outlook throttling.

mod common;
#[path = "common/script.rs"]
mod script;
use common::*;
use msgraph::ffi::sync::msgraph_sync_round;
use msgraph_emulator::OutlookThrottling;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

fn sync_call(cred: &str, cols: &Value, options: &Value) -> Value {
    let g = take(msgraph_sync_round(cs(cred).as_ptr(), cs(&cols.to_string()).as_ptr(), cs(&options.to_string()).as_ptr()));
    assert_eq!(g.status, 200, "{}", g.body);
    g.json()
}

/// Collections: events, contacts and the first To Do list of `n` mailboxes.
fn collections(cred: &str, emu: &Emulator, n: usize) -> Vec<Value> {
    let mut v = vec![];
    for i in 0..n {
        let u = emu.user_id(i);
        let lists = get_json(cred, &format!("/users/{u}/todo/lists"));
        let lid = lists["value"][0]["id"].as_str().expect("a To Do list").to_string();
        v.push(json!({"mailbox": u, "kind": "events"}));
        v.push(json!({"mailbox": u, "kind": "contacts"}));
        v.push(json!({"mailbox": u, "kind": "tasks", "list_id": lid}));
    }
    v
}

/// What the emulator holds in a collection now (ids), read directly.
fn truth(cred: &str, c: &Value) -> BTreeSet<String> {
    let u = c["mailbox"].as_str().unwrap();
    let url = match c["kind"].as_str().unwrap() {
        "events" => format!("/users/{u}/events?$top=999&$select=id"),
        "contacts" => format!("/users/{u}/contacts?$top=999&$select=id"),
        _ => format!("/users/{u}/todo/lists/{}/tasks?$top=999&$select=id", c["list_id"].as_str().unwrap()),
    };
    let g = request(cred, "GET", &url, None, Some(r#"{"all_pages":true}"#));
    assert_eq!(g.status, 200, "{}", g.body);
    g.json()["value"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

/// A stand-in for the database: items per collection, links stored after.
#[derive(Default)]
struct Store {
    items: BTreeMap<usize, BTreeMap<String, Value>>,
    links: BTreeMap<usize, String>,
    upserts: usize,
    removals: usize,
    resyncs: BTreeSet<usize>,
    calls: usize,
}

impl Store {
    /// Runs a whole round (as many calls as the cursor asks), applying
    /// every call's changes before storing its links.
    fn round(&mut self, cred: &str, cols: &mut [Value], extra: Value) -> Vec<Value> {
        for (i, c) in cols.iter_mut().enumerate() {
            c["delta_link"] = self.links.get(&i).cloned().map(Value::from).unwrap_or(Value::Null);
        }
        let cols_v = Value::from(cols.to_vec());
        let mut cursor = Value::Null;
        let mut summaries = vec![];
        loop {
            let mut opts = extra.clone();
            opts["cursor"] = cursor.clone();
            let out = sync_call(cred, &cols_v, &opts);
            self.calls += 1;
            for r in out["collections"].as_array().unwrap() {
                let i = r["index"].as_u64().unwrap() as usize;
                assert_ne!(r["state"], "failed", "collection {i} failed: {r}");
                let set = self.items.entry(i).or_default();
                if r["resync"] == true {
                    self.resyncs.insert(i);
                    set.clear();
                }
                for u in r["upserts"].as_array().unwrap() {
                    set.insert(u["id"].as_str().unwrap().to_string(), u.clone());
                    self.upserts += 1;
                }
                for id in r["removals"].as_array().unwrap() {
                    set.remove(id.as_str().unwrap());
                    self.removals += 1;
                }
            }
            for r in out["collections"].as_array().unwrap() {
                if let Some(d) = r["delta_link"].as_str() {
                    self.links.insert(r["index"].as_u64().unwrap() as usize, d.to_string());
                }
            }
            summaries.push(out["summary"].clone());
            if out["complete"] == true {
                assert!(out["cursor"].is_null());
                return summaries;
            }
            cursor = out["cursor"].clone();
            assert!(!cursor.is_null(), "an incomplete call hands out a cursor");
        }
    }

    fn check(&self, cred: &str, cols: &[Value]) {
        for (i, c) in cols.iter().enumerate() {
            let have: BTreeSet<String> = self.items.get(&i).map(|m| m.keys().cloned().collect()).unwrap_or_default();
            assert_eq!(have, truth(cred, c), "collection {i} ({c}) matches the emulator");
            assert!(self.links.contains_key(&i), "collection {i} has a deltaLink");
        }
    }
}

fn batch_posts(emu: &Emulator) -> usize {
    graph_requests(emu).iter().filter(|r| r.method == "POST" && r.path.contains("$batch")).count()
}

#[test]
fn full_then_incremental_round_over_60_collections() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let mut cols = collections(&cred, &emu, 20);
    assert_eq!(cols.len(), 60);
    emu.clear_log();
    let mut store = Store::default();
    let sums = store.round(&cred, &mut cols, json!({"page_size": 3}));
    assert_eq!(store.calls, 1, "one call with the default cap");
    assert!(graph_requests(&emu).iter().all(|r| r.path.contains("$batch")), "only $batch calls");
    let posts = batch_posts(&emu);
    store.check(&cred, &cols);
    let total: usize = store.items.values().map(|m| m.len()).sum();
    assert_eq!(store.upserts, total, "every item came exactly once");
    assert!(total > 60, "seeded data: {total} items");
    // Batching: each page round sends ceil(open collections / 20) $batch calls.
    let rounds = sums[0]["page_rounds"].as_u64().unwrap() as usize;
    assert_eq!(posts as u64, sums[0]["batches"].as_u64().unwrap());
    assert!(posts >= 3 && posts <= 3 * rounds, "{posts} $batch calls over {rounds} page rounds");

    // Changes on the emulator's side: create, update, delete.
    let u0 = emu.user_id(0);
    let u5 = emu.user_id(5);
    let made = get_json(&cred, &format!("/users/{u0}/contacts?$top=1"));
    let contact = made["value"][0]["id"].as_str().unwrap().to_string();
    let g = request(&cred, "PATCH", &format!("/users/{u0}/contacts/{contact}"), Some(r#"{"jobTitle":"Chief"}"#), None);
    assert_eq!(g.status, 200, "{}", g.body);
    let g = request(&cred, "POST", &format!("/users/{u5}/contacts"), Some(r#"{"givenName":"Neu"}"#), None);
    assert_eq!(g.status, 201, "{}", g.body);
    let created = g.json()["id"].as_str().unwrap().to_string();
    let ev = get_json(&cred, &format!("/users/{u5}/events?$top=1"))["value"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(request(&cred, "DELETE", &format!("/users/{u5}/events/{ev}"), None, None).status, 204);
    let lid = cols[3 * 7 + 2]["list_id"].as_str().unwrap().to_string();
    let u7 = emu.user_id(7);
    let g = request(&cred, "POST", &format!("/users/{u7}/todo/lists/{lid}/tasks"), Some(r#"{"title":"do it"}"#), None);
    assert_eq!(g.status, 201, "{}", g.body);

    emu.clear_log();
    let (up0, rm0) = (store.upserts, store.removals);
    let sums = store.round(&cred, &mut cols, json!({}));
    assert_eq!(store.upserts - up0, 3, "the update, the new contact and the new task");
    assert_eq!(store.removals - rm0, 1, "the deleted event");
    assert_eq!(store.items[&1][&contact]["jobTitle"], "Chief");
    assert!(store.items[&(3 * 5 + 1)].contains_key(&created));
    // Nothing else changed: one page round, ceil(60 / 20) = 3 $batch calls.
    assert_eq!(sums[0]["page_rounds"], 1, "{sums:?}");
    assert_eq!(batch_posts(&emu), 3);
    store.check(&cred, &cols);
}

#[test]
fn items_cap_spans_calls_without_loss_or_duplicates() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let mut cols = collections(&cred, &emu, 10);
    let mut store = Store::default();
    let sums = store.round(&cred, &mut cols, json!({"max_items": 7, "page_size": 2}));
    assert!(store.calls > 5, "the cap split the round: {} calls", store.calls);
    for s in &sums {
        assert!(s["items"].as_u64().unwrap() <= 7, "at most max_items per call: {s}");
    }
    let total: usize = store.items.values().map(|m| m.len()).sum();
    assert_eq!(store.upserts, total, "no item came twice");
    store.check(&cred, &cols);
    // A cursor from another collection list is refused.
    let other = Value::from(cols[..3].to_vec());
    let bad = json!({"cursor": {"v": 1, "n": 30, "open": [[0, null, false]]}});
    let h = msgraph_sync_round(cs(&cred).as_ptr(), cs(&other.to_string()).as_ptr(), cs(&bad.to_string()).as_ptr());
    assert_eq!(h, MSGRAPH_ERR_ARGUMENT, "{}", last_error());
}

#[test]
fn an_expired_token_is_a_resync_of_that_collection_only() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let mut cols = collections(&cred, &emu, 4);
    let mut store = Store::default();
    store.round(&cred, &mut cols, json!({}));
    assert!(store.resyncs.is_empty());
    // Collection 4's stored link goes bad; a stale item sits in the store.
    let link = store.links[&4].clone();
    let cut = link.find("$deltatoken=").unwrap() + "$deltatoken=".len();
    store.links.insert(4, format!("{}garbage", &link[..cut]));
    store.items.get_mut(&4).unwrap().insert("stale".into(), json!({}));
    let sums = store.round(&cred, &mut cols, json!({}));
    assert_eq!(store.resyncs, BTreeSet::from([4]), "only that collection resyncs");
    assert!(sums[0]["items"].as_u64().unwrap() > 0, "its fresh start brings its items");
    store.check(&cred, &cols);
}

#[test]
fn outlook_throttling_all_complete_within_mailbox_limits() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    // Few mailboxes, many collections each: 3 mailboxes × (events, contacts,
    // every To Do list) plus duplicates of the same collections.
    let mut cols = vec![];
    for i in 0..3 {
        let u = emu.user_id(i);
        let lists = get_json(&cred, &format!("/users/{u}/todo/lists"));
        for _ in 0..3 {
            cols.push(json!({"mailbox": u, "kind": "events"}));
            cols.push(json!({"mailbox": u, "kind": "contacts"}));
            for l in lists["value"].as_array().unwrap() {
                cols.push(json!({"mailbox": u, "kind": "tasks", "list_id": l["id"]}));
            }
        }
    }
    emu.set_outlook_throttling(Some(OutlookThrottling { concurrency: 4, retry_after: "0.2".into(), ..Default::default() }));
    emu.set_latency_ms(10);
    let mut store = Store::default();
    store.round(&cred, &mut cols, json!({"concurrency": 8, "page_size": 2}));
    emu.set_outlook_throttling(None);
    store.check(&cred, &cols);
    let stats = emu.stats();
    assert!(stats.peak_concurrency <= 4, "never more than 4 per mailbox: {}", stats.peak_concurrency);
}

#[test]
fn bad_arguments_are_refused() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let call = |cols: &str, opts: Option<&str>| {
        let o = opts.map(cs);
        msgraph_sync_round(cs(&cred).as_ptr(), cs(cols).as_ptr(), ptr(&o))
    };
    assert_eq!(call("{}", None), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(call(r#"[{"mailbox":"a","kind":"mail"}]"#, None), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(call(r#"[{"mailbox":"a","kind":"tasks"}]"#, None), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(call("[]", Some(r#"{"max_items":0}"#)), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(call("[]", Some(r#"{"bogus":1}"#)), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(msgraph_sync_round(std::ptr::null(), cs("[]").as_ptr(), std::ptr::null()), MSGRAPH_ERR_ARGUMENT);
    let nobody = msgraph_sync_round(cs("nobody").as_ptr(), cs("[]").as_ptr(), std::ptr::null());
    assert_eq!(nobody, MSGRAPH_ERR_NOT_FOUND);
    let g = take(call("[]", None));
    assert_eq!(g.json()["complete"], true);
}

/// Upserts come back as the bytes Graph sent, not re-serialized: a scripted
/// server answers the `$batch` with items in an order, spacing and escaping
/// serde_json would not write, and the engine's result carries them verbatim
/// (and is still valid JSON), with the removal and the deltaLink read out.
#[test]
fn upserts_are_graphs_bytes() {
    // Keys out of order, spaces, a \u escape, a trailing-zero number: none
    // of these survives a parse and write.
    const ITEM: &str = r#"{ "zeta" : 1.50, "id":"c1",  "givenName":"Ren\u00e9e", "@odata.etag" :"W/\"x\"" }"#;
    let server = script::ScriptServer::start(|kind, line, body| {
        if kind == "token" {
            return script::token_ok(3600);
        }
        assert!(line.starts_with("POST ") && line.contains("$batch"), "{line}");
        let req: Value = serde_json::from_slice(body).unwrap();
        let answers: Vec<String> = req["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let id = r["id"].as_str().unwrap();
                format!(
                    r#"{{"id":"{id}","status":200,"headers":{{"content-type":"application/json"}},"body":{{"value":[{ITEM},{{"id":"gone","@removed":{{"reason":"deleted"}}}}],"@odata.deltaLink":"http://127.0.0.1/v1.0/users/u/contacts/delta?$deltatoken=t{id}"}}}}"#
                )
            })
            .collect();
        script::Answer::new("200 OK", &format!(r#"{{"responses":[{}]}}"#, answers.join(",")))
            .header("content-type", "application/json")
    });
    let name = unique("raw");
    let rc = msgraph_credential_set(cs(&name).as_ptr(), cs(&server.config().to_string()).as_ptr());
    assert_eq!(rc, MSGRAPH_OK, "{}", last_error());
    let cols = json!([{"mailbox": "u", "kind": "contacts"}, {"mailbox": "v", "kind": "contacts"}]);
    let g = take(msgraph_sync_round(cs(&name).as_ptr(), cs(&cols.to_string()).as_ptr(), std::ptr::null()));
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(g.body.matches(ITEM).count(), 2, "each collection's upsert verbatim: {}", g.body);
    let out = g.json();
    assert_eq!(out["complete"], true);
    for (i, r) in out["collections"].as_array().unwrap().iter().enumerate() {
        assert_eq!(r["state"], "done", "{r}");
        assert_eq!(r["upserts"], json!([{"zeta": 1.5, "id": "c1", "givenName": "Ren\u{e9}e", "@odata.etag": "W/\"x\""}]));
        assert_eq!(r["removals"], json!(["gone"]));
        assert_eq!(r["delta_link"], format!("http://127.0.0.1/v1.0/users/u/contacts/delta?$deltatoken=t{i}"));
    }
    assert_eq!(server.graphs(), 1, "both collections in one $batch");
}
