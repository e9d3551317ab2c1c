//! `msgraph_batch`: any number of requests sent as `$batch` calls of at most
//! 20, items answered 429 sent again after their Retry-After (Graph SDKs
//! leave them failed), `dependsOn` kept across the 20-item boundary, and the
//! responses returned in the order given.

use crate::error::{Error, Result};
use crate::graph::{self, Call};
use crate::options::parse_headers;
use crate::response::Response;
use crate::retry::{backoff, parse_retry_after};
use crate::status::*;
use bytes::Bytes;
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime};

/// Graph's limit of requests in one `$batch`.
pub const MAX_PER_BATCH: usize = 20;

/// One request of a batch, validated.
#[derive(Debug)]
struct Item {
    id: String,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn id_text(v: &Value, i: usize) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if !s.is_empty() => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(Error::argument(format!("request {i}: 'id' must be a non-empty string"))),
    }
}

fn parse_items(call: &Call, text: &str) -> Result<Vec<Item>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| Error::argument(format!("requests are not valid JSON: {e}")))?;
    // Accept a bare array or Graph's own {"requests":[…]} document.
    let list = match &doc {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("requests") {
            Some(Value::Array(a)) => a,
            _ => return Err(Error::argument("requests must be a JSON array (or {\"requests\":[…]})")),
        },
        _ => return Err(Error::argument("requests must be a JSON array")),
    };
    let base = call.cred.config.graph_base_url.clone();
    let base_path = base.path().trim_end_matches('/').to_string();
    let mut items = Vec::with_capacity(list.len());
    let mut seen = HashSet::new();
    for (i, r) in list.iter().enumerate() {
        let o = r.as_object().ok_or_else(|| Error::argument(format!("request {i} is not a JSON object")))?;
        if let Some(k) = o.keys().find(|k| !["id", "method", "url", "body", "headers", "dependsOn"].contains(&k.as_str())) {
            return Err(Error::argument(format!("request {i}: unknown field '{k}'")));
        }
        let id = id_text(o.get("id").unwrap_or(&Value::Null), i)?.unwrap_or_else(|| (i + 1).to_string());
        if !seen.insert(id.clone()) {
            return Err(Error::argument(format!("request {i}: id '{id}' is used twice")));
        }
        let method = o
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .ok_or_else(|| Error::argument(format!("request '{id}': 'method' is required")))?;
        if !["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(&method.as_str()) {
            return Err(Error::argument(format!("request '{id}': method '{method}' is not supported")));
        }
        let raw_url = o
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::argument(format!("request '{id}': 'url' is required")))?;
        // Validate like a single request, then make it relative to the
        // version root, as $batch wants it.
        let full = graph::resolve(call.cred, raw_url)?;
        let path = full.path();
        let rel_path = path.strip_prefix(base_path.as_str()).filter(|p| p.is_empty() || p.starts_with('/')).unwrap_or(path);
        let mut url = if rel_path.is_empty() { "/".to_string() } else { rel_path.to_string() };
        if let Some(q) = full.query() {
            url.push('?');
            url.push_str(q);
        }
        let mut headers = parse_headers(o.get("headers"))?;
        let body = o.get("body").filter(|b| !b.is_null()).cloned();
        if body.is_some() && !headers.iter().any(|(k, _)| k == "content-type") {
            headers.push(("content-type".into(), "application/json".into()));
        }
        let depends_on = match o.get("dependsOn") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(j, d)| id_text(d, j).and_then(|d| d.ok_or_else(|| Error::argument("dependsOn has an empty id"))))
                .collect::<Result<Vec<_>>>()?,
            Some(_) => return Err(Error::argument(format!("request '{id}': 'dependsOn' must be an array of ids"))),
        };
        items.push(Item { id, method, url, headers, body, depends_on });
    }
    // A request may depend only on requests listed before it: no cycles,
    // and order of sending is order of listing.
    for (i, it) in items.iter().enumerate() {
        for d in &it.depends_on {
            if !items[..i].iter().any(|earlier| earlier.id == *d) {
                return Err(Error::argument(format!(
                    "request '{}' depends on '{d}', which is not a request listed before it",
                    it.id
                )));
            }
        }
    }
    Ok(items)
}

fn failed_dependency(id: &str) -> Value {
    json!({"id": id, "status": 424, "headers": {"content-type": "application/json"},
           "body": {"error": {"code": "FailedDependency", "message": "A request this request depends on failed."}}})
}

fn item_retry_after(resp: &Value) -> Option<Duration> {
    let headers = resp.get("headers")?.as_object()?;
    let (_, v) = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))?;
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    parse_retry_after(&text, SystemTime::now())
}

/// Runs a batch.
pub fn run(call: &mut Call, requests_json: &str) -> Result<std::result::Result<Response, Error>> {
    let items = parse_items(call, requests_json)?;
    Ok(execute(call, &items))
}

fn execute(call: &mut Call, items: &[Item]) -> std::result::Result<Response, Error> {
    let index: HashMap<&str, usize> = items.iter().enumerate().map(|(i, it)| (it.id.as_str(), i)).collect();
    let mut done: Vec<Option<Value>> = vec![None; items.len()];
    // The latest 429 answer of each item being retried.
    let mut throttled: Vec<Option<Value>> = vec![None; items.len()];
    let mut pending: Vec<usize> = (0..items.len()).collect();
    let batch_url = graph::resolve(call.cred, "$batch")?;
    let mut rounds = 0u32;
    let mut batches = 0u32;
    let mut last_headers = Vec::new();
    while !pending.is_empty() {
        let mut next_round = Vec::new();
        let mut wait = Duration::ZERO;
        let mut cursor = 0;
        while cursor < pending.len() {
            // Pick up to 20 sendable items in order; defer those whose
            // dependency is still pending outside this chunk.
            let mut chunk: Vec<usize> = Vec::new();
            while cursor < pending.len() && chunk.len() < MAX_PER_BATCH {
                let i = pending[cursor];
                cursor += 1;
                let mut blocked = false;
                let mut failed = false;
                for d in &items[i].depends_on {
                    let j = index[d.as_str()];
                    match &done[j] {
                        Some(r) => failed |= r["status"].as_u64().is_none_or(|s| s >= 400),
                        None => blocked |= !chunk.contains(&j),
                    }
                }
                if failed {
                    done[i] = Some(failed_dependency(&items[i].id));
                } else if blocked {
                    next_round.push(i);
                } else {
                    chunk.push(i);
                }
            }
            if chunk.is_empty() {
                continue;
            }
            let requests: Vec<Value> = chunk
                .iter()
                .map(|&i| {
                    let it = &items[i];
                    let mut o = Map::new();
                    o.insert("id".into(), it.id.clone().into());
                    o.insert("method".into(), it.method.clone().into());
                    o.insert("url".into(), it.url.clone().into());
                    if !it.headers.is_empty() {
                        let h: Map<String, Value> = it.headers.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
                        o.insert("headers".into(), h.into());
                    }
                    if let Some(b) = &it.body {
                        o.insert("body".into(), b.clone());
                    }
                    let deps: Vec<Value> = it.depends_on.iter().filter(|d| chunk.contains(&index[d.as_str()])).map(|d| d.clone().into()).collect();
                    if !deps.is_empty() {
                        o.insert("dependsOn".into(), deps.into());
                    }
                    Value::Object(o)
                })
                .collect();
            let body = serde_json::to_vec(&json!({ "requests": requests })).map_err(|e| Error::internal(e.to_string()))?;
            batches += 1;
            let resp = graph::send(call, Method::POST, batch_url.clone(), Some(Bytes::from(body)), Some("application/json"))?;
            if !(200..300).contains(&resp.status) {
                let mut r = Response::from_http(resp);
                r.set_header("x-msgraph-batches", batches.to_string());
                return Ok(r);
            }
            let doc: Value = serde_json::from_slice(&resp.body)
                .map_err(|_| Error::new(MSGRAPH_ERR_TRANSPORT, "the $batch answer is not valid JSON"))?;
            let answers = doc["responses"].as_array().cloned().unwrap_or_default();
            let mut answered = HashSet::new();
            for a in answers {
                let Some(id) = a["id"].as_str().map(str::to_string).or_else(|| a["id"].as_u64().map(|n| n.to_string())) else { continue };
                let Some(&i) = index.get(id.as_str()) else { continue };
                if !chunk.contains(&i) {
                    continue;
                }
                answered.insert(i);
                if a["status"].as_u64() == Some(429) && rounds < call.options.max_retries {
                    wait = wait.max(item_retry_after(&a).unwrap_or_else(|| backoff(rounds + 1)));
                    next_round.push(i);
                    throttled[i] = Some(a);
                } else {
                    done[i] = Some(a);
                }
            }
            for &i in &chunk {
                if !answered.contains(&i) {
                    done[i] = Some(json!({"id": items[i].id, "status": 502, "headers": {},
                        "body": {"error": {"code": "MissingBatchResponse", "message": "The $batch answer had no response for this request."}}}));
                }
            }
            last_headers = resp.headers;
        }
        // Items that failed with 424 only because a dependency is being
        // retried go again with it.
        for i in 0..items.len() {
            let waiting_on_retry = items[i].depends_on.iter().any(|d| next_round.contains(&index[d.as_str()]));
            if waiting_on_retry && done[i].as_ref().is_some_and(|r| r["status"].as_u64() == Some(424)) {
                done[i] = None;
                next_round.push(i);
            }
        }
        next_round.sort_unstable();
        next_round.dedup();
        if !next_round.is_empty() {
            if !call.budget.allows(wait) || rounds >= call.options.max_retries {
                // Out of retries or budget: report what the service said.
                for &i in &next_round {
                    if done[i].is_none() {
                        done[i] = throttled[i].take();
                    }
                }
                break;
            }
            std::thread::sleep(wait);
            rounds += 1;
            call.retries += 1;
        }
        pending = next_round;
    }
    let responses: Vec<Value> = done.into_iter().enumerate().map(|(i, r)| r.unwrap_or_else(|| failed_dependency(&items[i].id))).collect();
    let body = serde_json::to_vec(&json!({ "responses": responses })).map_err(|e| Error::internal(e.to_string()))?;
    last_headers.retain(|(k, _)| k != "content-length" && k != "transfer-encoding");
    let mut r = Response { status: 200, headers: last_headers, body };
    r.set_header("x-msgraph-batches", batches.to_string());
    Ok(r)
}
