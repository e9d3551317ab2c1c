//! `msgraph_sync_round`: one delta round over many Outlook collections
//! (events, contacts, To Do tasks of many mailboxes).
//!
//! Each page round packs the next delta request of every open collection
//! into `$batch` calls of 20 (through [`crate::api::batch`], which sends
//! them concurrently, retries items answered 429 after their Retry-After
//! and never has more than four Outlook requests of one mailbox in flight).
//! Answers are sorted per collection: `@removed` items become removals,
//! every other item an upsert (its JSON as Graph sent it), a nextLink is the
//! collection's next request, a deltaLink closes it. A resync signal (410,
//! `syncStateNotFound`, `resyncRequired`) restarts the collection from
//! scratch in the same round and marks it `"resync": true`.
//!
//! Memory is bounded by `max_items`: no page is asked for that could take
//! the call past it (each request carries `Prefer: odata.maxpagesize`), and
//! the collections still open when the cap is reached travel in an opaque
//! cursor the caller passes back with the same collection list.

use crate::error::{Error, Result};
use crate::response::Response;
use serde_json::{json, Map, Value};

/// Kinds of collection the engine syncs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Events,
    Contacts,
    Tasks,
}

#[derive(Debug)]
struct Collection {
    mailbox: String,
    kind: Kind,
    list_id: Option<String>,
    delta_link: Option<String>,
}

/// The engine's options (the rest of `options_json` goes to the `$batch`
/// calls).
struct Options {
    cursor: Option<Value>,
    max_items: usize,
    page_size: usize,
    concurrency: u32,
    events_start: String,
    events_end: String,
    batch_options: Map<String, Value>,
}


fn parse_collections(text: &str) -> Result<Vec<Collection>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| Error::argument(format!("collections_json is not valid JSON: {e}")))?;
    let list = doc.as_array().ok_or_else(|| Error::argument("collections_json must be a JSON array"))?;
    list.iter()
        .enumerate()
        .map(|(i, c)| {
            let o = c.as_object().ok_or_else(|| Error::argument(format!("collection {i} is not a JSON object")))?;
            if let Some(k) = o.keys().find(|k| !["mailbox", "kind", "list_id", "delta_link"].contains(&k.as_str())) {
                return Err(Error::argument(format!("collection {i}: unknown field '{k}'")));
            }
            let text = |k: &str| o.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
            let mailbox = text("mailbox").ok_or_else(|| Error::argument(format!("collection {i}: 'mailbox' is required")))?;
            let kind = match text("kind").as_deref() {
                Some("events") => Kind::Events,
                Some("contacts") => Kind::Contacts,
                Some("tasks") | Some("todo") => Kind::Tasks,
                _ => return Err(Error::argument(format!("collection {i}: 'kind' must be events, contacts or tasks"))),
            };
            let list_id = text("list_id");
            if kind == Kind::Tasks && list_id.is_none() {
                return Err(Error::argument(format!("collection {i}: tasks need a 'list_id'")));
            }
            Ok(Collection { mailbox, kind, list_id, delta_link: text("delta_link") })
        })
        .collect()
}

fn parse_options(text: Option<&str>) -> Result<Options> {
    let mut o = Options {
        cursor: None,
        max_items: 5000,
        page_size: 100,
        concurrency: 4,
        events_start: "2000-01-01T00:00:00Z".into(),
        events_end: "2100-01-01T00:00:00Z".into(),
        batch_options: Map::new(),
    };
    let Some(text) = text else { return Ok(o) };
    let doc: Value = serde_json::from_str(text).map_err(|e| Error::argument(format!("options_json is not valid JSON: {e}")))?;
    let m = doc.as_object().ok_or_else(|| Error::argument("options_json must be a JSON object"))?;
    let num = |k: &str, lo: u64, hi: u64| -> Result<Option<u64>> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .filter(|n| (lo..=hi).contains(n))
                .map(Some)
                .ok_or_else(|| Error::argument(format!("'{k}' must be an integer from {lo} to {hi}"))),
        }
    };
    for (k, v) in m {
        match k.as_str() {
            "cursor" => o.cursor = Some(v.clone()).filter(|c| !c.is_null()),
            "max_items" => o.max_items = num(k, 1, 1_000_000)?.unwrap_or(5000) as usize,
            "page_size" => o.page_size = num(k, 1, 1000)?.unwrap_or(100) as usize,
            "concurrency" => o.concurrency = num(k, 1, 16)?.unwrap_or(4) as u32,
            "events_start" | "events_end" => {
                let s = v.as_str().filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b":-.+".contains(&b)));
                let s = s.ok_or_else(|| Error::argument(format!("'{k}' must be an ISO 8601 date-time")))?;
                if k == "events_start" {
                    o.events_start = s.to_string();
                } else {
                    o.events_end = s.to_string();
                }
            }
            "timeout_ms" | "max_retries" | "retry_budget_ms" | "headers" => {
                o.batch_options.insert(k.clone(), v.clone());
            }
            _ => return Err(Error::argument(format!("options_json: unknown key '{k}'"))),
        }
    }
    Ok(o)
}

fn initial_url(c: &Collection, o: &Options) -> String {
    let u = crate::graph::path_segment(&c.mailbox);
    match c.kind {
        Kind::Events => format!("/users/{u}/calendarView/delta?startDateTime={}&endDateTime={}", o.events_start, o.events_end),
        Kind::Contacts => format!("/users/{u}/contacts/delta"),
        Kind::Tasks => format!("/users/{u}/todo/lists/{}/tasks/delta", crate::graph::path_segment(c.list_id.as_deref().unwrap_or(""))),
    }
}

/// A collection still open: its index, the next URL, and whether it was
/// restarted by a resync signal in this round.
#[derive(Clone)]
struct Open {
    index: usize,
    url: String,
    resynced: bool,
}

fn parse_cursor(cur: &Value, cols: &[Collection], o: &Options) -> Result<Vec<Open>> {
    let bad = || Error::argument("the cursor is not one this collection list produced");
    if cur["v"] != 1 || cur["n"].as_u64() != Some(cols.len() as u64) {
        return Err(bad());
    }
    let open = cur["open"].as_array().ok_or_else(bad)?;
    open.iter()
        .map(|e| {
            let index = e[0].as_u64().map(|i| i as usize).filter(|&i| i < cols.len()).ok_or_else(bad)?;
            let url = match &e[1] {
                Value::String(s) => s.clone(),
                Value::Null => cols[index].delta_link.clone().unwrap_or_else(|| initial_url(&cols[index], o)),
                _ => return Err(bad()),
            };
            Ok(Open { index, url, resynced: e[2].as_bool().unwrap_or(false) })
        })
        .collect()
}

/// What one call found for one collection.
#[derive(Default)]
struct Found {
    touched: bool,
    upserts: Vec<Value>,
    removals: Vec<Value>,
    delta_link: Option<String>,
    resync: bool,
    error: Option<Value>,
    pages: u32,
}

fn is_resync(status: u64, body: &Value) -> bool {
    let reason = u16::try_from(status).ok().and_then(|s| crate::outcome::graph_reason(s, body));
    reason == Some(crate::outcome::Reason::ResyncRequired)
}

/// Runs one call of a round.
pub fn run(credential: &str, collections_json: &str, options_json: Option<&str>) -> Result<Response> {
    // Fail early on an unknown credential, before any work.
    crate::credentials::get(credential)?;
    let cols = parse_collections(collections_json)?;
    let o = parse_options(options_json)?;
    let mut open: Vec<Open> = match &o.cursor {
        Some(c) => parse_cursor(c, &cols, &o)?,
        None => cols
            .iter()
            .enumerate()
            .map(|(index, c)| Open { index, url: c.delta_link.clone().unwrap_or_else(|| initial_url(c, &o)), resynced: false })
            .collect(),
    };
    let mut found: Vec<Found> = (0..cols.len()).map(|_| Found::default()).collect();
    let mut batch_options = o.batch_options.clone();
    batch_options.insert("concurrency".into(), o.concurrency.into());
    let batch_options = Value::Object(batch_options).to_string();
    let (mut items, mut batches, mut requests, mut retries, mut page_rounds) = (0usize, 0u64, 0u64, 0u64, 0u32);
    while !open.is_empty() {
        let left = o.max_items - items;
        if left == 0 {
            break;
        }
        // No page may take the call past max_items: as many collections
        // as the items left allow, each page as large as they leave room
        // for (up to page_size).
        let take = left.min(open.len());
        let page = (left / take).clamp(1, o.page_size);
        let rest = open.split_off(take);
        let now = std::mem::replace(&mut open, rest);
        let reqs: Vec<Value> = now
            .iter()
            .map(|c| {
                json!({"id": c.index.to_string(), "method": "GET", "url": c.url,
                       "headers": {"Prefer": format!("odata.maxpagesize={page}")}})
            })
            .collect();
        let resp = crate::api::batch(credential, &Value::Array(reqs).to_string(), Some(&batch_options))?;
        page_rounds += 1;
        let header = |k: &str| resp.headers.iter().find(|(h, _)| h == k).and_then(|(_, v)| v.parse::<u64>().ok()).unwrap_or(0);
        batches += header("x-msgraph-batches");
        retries += header("x-msgraph-retries");
        requests += now.len() as u64;
        let doc: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        let answers = doc["responses"].as_array().filter(|_| resp.status == 200);
        let Some(answers) = answers else {
            // The $batch call itself failed: every collection of the round
            // fails with that answer, the others go on.
            for c in &now {
                let f = &mut found[c.index];
                f.touched = true;
                f.error = Some(json!({"status": resp.status, "body": doc.clone()}));
            }
            continue;
        };
        let mut next: Vec<Open> = Vec::new();
        for (c, a) in now.into_iter().zip(answers.iter()) {
            let f = &mut found[c.index];
            f.touched = true;
            let status = a["status"].as_u64().unwrap_or(0);
            let body = &a["body"];
            if status == 200 {
                f.pages += 1;
                for item in body["value"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                    if item.get("@removed").is_some() {
                        f.removals.push(item["id"].clone());
                    } else {
                        f.upserts.push(item.clone());
                    }
                    items += 1;
                }
                if let Some(n) = body["@odata.nextLink"].as_str() {
                    next.push(Open { url: n.to_string(), ..c });
                } else if let Some(d) = body["@odata.deltaLink"].as_str() {
                    f.delta_link = Some(d.to_string());
                } else {
                    f.error = Some(json!({"status": status, "body": {"error": {"code": "MissingDeltaLink",
                        "message": "The last delta page has neither @odata.nextLink nor @odata.deltaLink."}}}));
                }
            } else if is_resync(status, body) && !c.resynced {
                // A fresh start: what this call gathered of the old chain
                // is void; the caller drops the collection's stored items.
                items -= f.upserts.len() + f.removals.len();
                f.upserts.clear();
                f.removals.clear();
                f.resync = true;
                next.push(Open { url: initial_url(&cols[c.index], &o), resynced: true, ..c });
            } else {
                f.error = Some(json!({"status": status, "body": body.clone()}));
            }
        }
        // Collections with a next page go after the ones not yet asked.
        open.extend(next);
    }
    let results: Vec<Value> = found
        .into_iter()
        .enumerate()
        .filter(|(_, f)| f.touched)
        .map(|(i, f)| {
            let c = &cols[i];
            let state = if f.error.is_some() {
                "failed"
            } else if f.delta_link.is_some() {
                "done"
            } else {
                "more"
            };
            let mut r = json!({"index": i, "mailbox": c.mailbox,
                "kind": match c.kind { Kind::Events => "events", Kind::Contacts => "contacts", Kind::Tasks => "tasks" },
                "list_id": c.list_id, "state": state, "resync": f.resync, "pages": f.pages,
                "upserts": f.upserts, "removals": f.removals, "delta_link": f.delta_link});
            if let Some(e) = f.error {
                r["error"] = e;
            }
            r
        })
        .collect();
    let cursor = if open.is_empty() {
        Value::Null
    } else {
        let list: Vec<Value> = open
            .iter()
            .map(|c| {
                let untouched = cols[c.index].delta_link.as_deref().map_or(c.url == initial_url(&cols[c.index], &o), |d| d == c.url);
                json!([c.index, if untouched && !c.resynced { Value::Null } else { c.url.clone().into() }, c.resynced])
            })
            .collect();
        json!({"v": 1, "n": cols.len(), "open": list})
    };
    let body = json!({"complete": open.is_empty(), "collections": results, "cursor": cursor,
        "summary": {"items": items, "requests": requests, "batches": batches, "page_rounds": page_rounds,
                    "retries": retries, "open": open.len()}});
    let body = serde_json::to_vec(&body).map_err(|e| Error::internal(e.to_string()))?;
    Ok(Response { status: 200, headers: vec![("content-type".into(), "application/json".into())], body })
}
