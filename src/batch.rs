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
use serde::Deserialize;
use serde_json::value::RawValue;
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

/// One item's answer: the envelope (id, status, headers) parsed, the body
/// kept as the bytes Graph sent (error bodies are parsed, to add
/// `msgraph_reason`, and written again).
pub struct Answer {
    /// The item's HTTP status (0 when the answer had none).
    pub status: u64,
    /// `{"id","status","headers"}` as Graph sent them.
    pub head: Map<String, Value>,
    /// The item's body, verbatim (None when absent or null).
    pub body: Option<Box<RawValue>>,
}

impl Answer {
    fn from_value(v: Value) -> Answer {
        let mut head = match v {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let body = head.remove("body").filter(|b| !b.is_null()).and_then(|b| serde_json::value::to_raw_value(&b).ok());
        Answer { status: head.get("status").and_then(Value::as_u64).unwrap_or(0), head, body }
    }

    /// Appends the answer as one JSON object.
    fn write(&self, out: &mut Vec<u8>) {
        // A map of strings and values always serializes.
        let _ = serde_json::to_writer(&mut *out, &self.head);
        if let Some(b) = &self.body {
            if out.last() == Some(&b'}') {
                out.pop();
                if self.head.is_empty() {
                    out.extend_from_slice(b"\"body\":");
                } else {
                    out.extend_from_slice(b",\"body\":");
                }
                out.extend_from_slice(b.get().as_bytes());
                out.push(b'}');
            }
        }
    }
}

/// A `$batch` answer with the items' bodies left unparsed.
#[derive(Deserialize)]
struct RawBatch {
    #[serde(default)]
    responses: Vec<RawItem>,
}

#[derive(Deserialize)]
struct RawItem {
    #[serde(default)]
    id: Value,
    #[serde(default)]
    status: Value,
    #[serde(default)]
    headers: Value,
    #[serde(default)]
    body: Option<Box<RawValue>>,
}

fn failed_dependency(id: &str) -> Answer {
    Answer::from_value(json!({"id": id, "status": 424, "headers": {"content-type": "application/json"},
           "body": {"error": {"code": "FailedDependency", "message": "A request this request depends on failed."}}}))
}

fn item_retry_after(resp: &Answer) -> Option<Duration> {
    let headers = resp.head.get("headers")?.as_object()?;
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

use crate::mailbox::{mailbox_of, MAILBOX_CONCURRENCY};

/// What one `$batch` call came back with.
enum ChunkOutcome {
    /// The items' answers, by item index, and the call's headers.
    Answers(Vec<(usize, Answer)>, Vec<(String, String)>),
    /// The `$batch` call itself failed: this answer is the result.
    Failed(crate::transport::RawResponse),
}

fn chunk_body(items: &[Item], index: &HashMap<&str, usize>, chunk: &[usize]) -> Result<Vec<u8>> {
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
            let deps: Vec<Value> = it
                .depends_on
                .iter()
                .filter(|d| chunk.contains(&index[d.as_str()]))
                .map(|d| d.clone().into())
                .collect();
            if !deps.is_empty() {
                o.insert("dependsOn".into(), deps.into());
            }
            Value::Object(o)
        })
        .collect();
    serde_json::to_vec(&json!({ "requests": requests })).map_err(|e| Error::internal(e.to_string()))
}

/// Sends one `$batch` call and matches its answers to the items.
fn send_chunk(call: &mut Call, items: &[Item], index: &HashMap<&str, usize>, chunk: &[usize]) -> Result<ChunkOutcome> {
    let url = graph::resolve(call.cred, "$batch")?;
    let body = chunk_body(items, index, chunk)?;
    let resp = graph::send(call, Method::POST, url, Some(Bytes::from(body)), Some("application/json"))?;
    if !(200..300).contains(&resp.status) {
        return Ok(ChunkOutcome::Failed(resp));
    }
    // The items' bodies stay Graph's bytes: only the envelopes are parsed.
    let doc: RawBatch = serde_json::from_slice(&resp.body)
        .map_err(|_| Error::new(MSGRAPH_ERR_TRANSPORT, "the $batch answer is not valid JSON"))?;
    let mut answers = Vec::with_capacity(chunk.len());
    let mut answered = HashSet::new();
    for a in doc.responses {
        let id = match &a.id {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        let Some(&i) = index.get(id.as_str()) else { continue };
        if !chunk.contains(&i) || !answered.insert(i) {
            continue;
        }
        let status = a.status.as_u64().unwrap_or(0);
        let mut head = Map::new();
        head.insert("id".into(), a.id);
        head.insert("status".into(), a.status);
        if !a.headers.is_null() {
            head.insert("headers".into(), a.headers);
        }
        let mut body = a.body.filter(|b| b.get() != "null");
        if status >= 400 {
            // Error bodies are small: parse, mark the reason, write again.
            if let Some(b) = &body {
                let mut item = json!({"status": status, "body": serde_json::from_str::<Value>(b.get()).unwrap_or(Value::Null)});
                crate::response::mark_item_reason(&mut item);
                if let Ok(r) = serde_json::value::to_raw_value(&item["body"]) {
                    body = Some(r);
                }
            }
        }
        answers.push((i, Answer { status, head, body }));
    }
    for &i in chunk {
        if !answered.contains(&i) {
            answers.push((i, Answer::from_value(json!({"id": items[i].id, "status": 502, "headers": {},
                "body": {"error": {"code": "MissingBatchResponse", "message": "The $batch answer had no response for this request."}}}))));
        }
    }
    Ok(ChunkOutcome::Answers(answers, resp.headers))
}

/// Sends chunks with up to `concurrency` `$batch` calls in flight, never
/// more than four Outlook requests for one mailbox at a time across them.
fn send_parallel(call: &mut Call, items: &[Item], index: &HashMap<&str, usize>, chunks: Vec<Vec<usize>>) -> Result<Vec<ChunkOutcome>> {
    use std::sync::{Condvar, Mutex};
    // Per chunk: the mailboxes it touches and how many of its items each
    // (a single $batch runs at most 4 at once per mailbox).
    let usage: Vec<HashMap<String, u32>> = chunks
        .iter()
        .map(|c| {
            let mut m: HashMap<String, u32> = HashMap::new();
            for &i in c {
                if let Some(mb) = mailbox_of(&items[i].url) {
                    let n = m.entry(mb).or_default();
                    *n = (*n + 1).min(MAILBOX_CONCURRENCY);
                }
            }
            m
        })
        .collect();
    struct Sched {
        queue: Vec<usize>,
        in_flight: HashMap<String, u32>,
        outcomes: Vec<Option<Result<ChunkOutcome>>>,
    }
    let sched = Mutex::new(Sched { queue: (0..chunks.len()).collect(), in_flight: HashMap::new(), outcomes: (0..chunks.len()).map(|_| None).collect() });
    let changed = Condvar::new();
    let workers = (call.options.concurrency as usize).min(chunks.len()).max(1);
    let retries = std::sync::atomic::AtomicU32::new(0);
    let requests = std::sync::atomic::AtomicU32::new(0);
    let (cred, options, budget_left) = (call.cred, call.options, call.budget.remaining());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut worker = match Call::new(cred, options) {
                    Ok(c) => c,
                    Err(_) => return,
                };
                worker.budget = crate::retry::Budget::new(budget_left);
                loop {
                    let mut st = crate::sync::lock(&sched);
                    let pick = loop {
                        if st.queue.is_empty() {
                            break None;
                        }
                        let fits = |c: usize, st: &Sched| {
                            usage[c].iter().all(|(m, n)| st.in_flight.get(m).copied().unwrap_or(0) + n <= MAILBOX_CONCURRENCY)
                        };
                        if let Some(pos) = st.queue.iter().position(|&c| fits(c, &st)) {
                            break Some(st.queue.remove(pos));
                        }
                        st = changed.wait(st).unwrap_or_else(|p| p.into_inner());
                    };
                    let Some(c) = pick else { break };
                    for (m, n) in &usage[c] {
                        *st.in_flight.entry(m.clone()).or_default() += n;
                    }
                    drop(st);
                    let outcome = send_chunk(&mut worker, items, index, &chunks[c]);
                    let mut st = crate::sync::lock(&sched);
                    for (m, n) in &usage[c] {
                        if let Some(v) = st.in_flight.get_mut(m) {
                            *v -= n;
                        }
                    }
                    st.outcomes[c] = Some(outcome);
                    drop(st);
                    changed.notify_all();
                }
                retries.fetch_add(worker.retries, std::sync::atomic::Ordering::Relaxed);
                requests.fetch_add(worker.requests, std::sync::atomic::Ordering::Relaxed);
            });
        }
    });
    call.retries += retries.into_inner();
    call.requests += requests.into_inner();
    let st = sched.into_inner().unwrap_or_else(|p| p.into_inner());
    st.outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(Error::internal("a $batch call was not made"))))
        .collect()
}

fn execute(call: &mut Call, items: &[Item]) -> std::result::Result<Response, Error> {
    let (answers, mut last_headers, batches) = match execute_answers(call, items)? {
        Ok(x) => x,
        Err(failed) => return Ok(failed),
    };
    let mut body = Vec::with_capacity(answers.iter().map(|a| a.body.as_ref().map_or(0, |b| b.get().len()) + 128).sum::<usize>() + 16);
    body.extend_from_slice(b"{\"responses\":[");
    for (n, a) in answers.iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        a.write(&mut body);
    }
    body.extend_from_slice(b"]}");
    last_headers.retain(|(k, _)| k != "content-length" && k != "transfer-encoding");
    let mut r = Response { status: 200, headers: last_headers, body };
    r.set_header("x-msgraph-batches", batches.to_string());
    Ok(r)
}

/// What [`execute_answers`] gives back: the answers in item order, the last
/// `$batch` call's headers and the number of `$batch` calls; or, when a
/// `$batch` call itself failed, its answer as the result.
type Answers = std::result::Result<(Vec<Answer>, Vec<(String, String)>, u32), Response>;

/// Runs a batch and gives back the items' answers with their bodies as
/// Graph sent them (the sync engine reads pages from them without a second
/// parse of the whole answer).
pub fn run_answers(call: &mut Call, requests_json: &str) -> Result<std::result::Result<Answers, Error>> {
    let items = parse_items(call, requests_json)?;
    Ok(execute_answers(call, &items))
}

fn execute_answers(call: &mut Call, items: &[Item]) -> std::result::Result<Answers, Error> {
    let index: HashMap<&str, usize> = items.iter().enumerate().map(|(i, it)| (it.id.as_str(), i)).collect();
    let independent = items.iter().all(|it| it.depends_on.is_empty());
    let parallel = call.options.concurrency > 1 && independent;
    let mut done: Vec<Option<Answer>> = (0..items.len()).map(|_| None).collect();
    // The latest 429 answer of each item being retried.
    let mut throttled: Vec<Option<Answer>> = (0..items.len()).map(|_| None).collect();
    let mut pending: Vec<usize> = (0..items.len()).collect();
    let mut rounds = 0u32;
    let mut batches = 0u32;
    let mut last_headers = Vec::new();
    while !pending.is_empty() {
        let mut next_round = Vec::new();
        // Form the round's chunks: up to 20 sendable items each, in order;
        // items whose dependency is still pending outside their chunk wait
        // for the next round.
        let mut chunks: Vec<Vec<usize>> = Vec::new();
        let mut chunk: Vec<usize> = Vec::new();
        if independent {
            // No dependencies: Graph runs a batch's items at once, and
            // Outlook takes at most four of them per mailbox; each item goes
            // in the first chunk with room for it and for its mailbox.
            let mut per_mailbox: Vec<HashMap<String, u32>> = Vec::new();
            let mut first_open = 0;
            for &i in &pending {
                let mb = mailbox_of(&items[i].url);
                while chunks.get(first_open).is_some_and(|c| c.len() == MAX_PER_BATCH) {
                    first_open += 1;
                }
                let fits = |k: usize| {
                    chunks[k].len() < MAX_PER_BATCH
                        && mb.as_ref().is_none_or(|m| per_mailbox[k].get(m).copied().unwrap_or(0) < MAILBOX_CONCURRENCY)
                };
                let k = match (first_open..chunks.len()).find(|&k| fits(k)) {
                    Some(k) => k,
                    None => {
                        chunks.push(Vec::new());
                        per_mailbox.push(HashMap::new());
                        chunks.len() - 1
                    }
                };
                chunks[k].push(i);
                if let Some(m) = mb {
                    *per_mailbox[k].entry(m).or_default() += 1;
                }
            }
        }
        for &i in pending.iter().filter(|_| !independent) {
            let mut blocked = false;
            let mut failed = false;
            for d in &items[i].depends_on {
                let j = index[d.as_str()];
                match &done[j] {
                    Some(r) => failed |= r.status == 0 || r.status >= 400,
                    None => blocked |= !chunk.contains(&j),
                }
            }
            if failed {
                done[i] = Some(failed_dependency(&items[i].id));
            } else if blocked {
                next_round.push(i);
            } else {
                chunk.push(i);
                if chunk.len() == MAX_PER_BATCH {
                    chunks.push(std::mem::take(&mut chunk));
                }
            }
        }
        if !chunk.is_empty() {
            chunks.push(chunk);
        }
        batches += chunks.len() as u32;
        let outcomes: Vec<ChunkOutcome> = if parallel && chunks.len() > 1 {
            send_parallel(call, items, &index, chunks)?
        } else {
            // Sequential: a later chunk may depend on an earlier one, so
            // each is sent after the one before has been applied.
            let mut v = Vec::with_capacity(chunks.len());
            for c in &chunks {
                match send_chunk(call, items, &index, c)? {
                    ChunkOutcome::Failed(resp) => {
                        v.push(ChunkOutcome::Failed(resp));
                        break;
                    }
                    ok => v.push(ok),
                }
            }
            v
        };
        let mut wait = Duration::ZERO;
        // Whether an item is sent again because of a 429 (a retry round);
        // items that only waited for a dependency in an earlier chunk go
        // on without spending a retry.
        let mut retry = false;
        for outcome in outcomes {
            match outcome {
                ChunkOutcome::Failed(resp) => {
                    let mut r = Response::from_http(resp);
                    r.set_header("x-msgraph-batches", batches.to_string());
                    return Ok(Err(r));
                }
                ChunkOutcome::Answers(answers, headers) => {
                    for (i, a) in answers {
                        if a.status == 429 && rounds < call.options.max_retries {
                            wait = wait.max(item_retry_after(&a).unwrap_or_else(|| backoff(rounds + 1)));
                            next_round.push(i);
                            throttled[i] = Some(a);
                            retry = true;
                        } else {
                            done[i] = Some(a);
                        }
                    }
                    last_headers = headers;
                }
            }
        }
        // Items that failed with 424 only because a dependency is being
        // retried go again with it.
        for i in 0..items.len() {
            let waiting_on_retry = items[i].depends_on.iter().any(|d| next_round.contains(&index[d.as_str()]));
            if waiting_on_retry && done[i].as_ref().is_some_and(|r| r.status == 424) {
                done[i] = None;
                next_round.push(i);
            }
        }
        next_round.sort_unstable();
        next_round.dedup();
        if retry {
            if !call.budget.allows(wait) || rounds >= call.options.max_retries {
                // Out of retries or budget: report what the service said;
                // the items that depend on those then fail with 424.
                for &i in &next_round {
                    if done[i].is_none() {
                        done[i] = throttled[i].take();
                    }
                }
                next_round.retain(|&i| done[i].is_none());
            } else {
                std::thread::sleep(wait);
                rounds += 1;
                call.retries += 1;
            }
        } else if next_round == pending {
            // No progress (cannot happen with dependencies listed in order).
            break;
        }
        pending = next_round;
    }
    let answers: Vec<Answer> =
        done.into_iter().enumerate().map(|(i, r)| r.unwrap_or_else(|| failed_dependency(&items[i].id))).collect();
    Ok(Ok((answers, last_headers, batches)))
}
