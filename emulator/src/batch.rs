//! JSON batching: POST /v1.0/$batch

use crate::errors::{finish, mailbox_throttled, random_failure, throttled, ODATA_JSON};
use crate::chaos::InFlight;
use crate::state::{lock, Ctx, Resp, Shared};
use crate::token::AppIdentity;
use crate::util::*;
use serde_json::{json, Map, Value};

pub const MAX_BATCH: usize = 20;

struct Item {
    id: String,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    depends_on: Vec<String>,
}

fn bad(ctx: &Ctx, msg: &str) -> Resp {
    ctx.err(400, "BadRequest", msg)
}

fn parse_items(ctx: &Ctx, body: &[u8]) -> Result<Vec<Item>, Resp> {
    let v: Value = serde_json::from_slice(body).map_err(|_| bad(ctx, "Invalid batch payload format."))?;
    let reqs = v.get("requests").and_then(|r| r.as_array()).ok_or_else(|| bad(ctx, "Invalid batch payload format."))?;
    if reqs.is_empty() {
        return Err(bad(ctx, "Invalid batch payload format."));
    }
    if reqs.len() > MAX_BATCH {
        return Err(bad(ctx, &format!("The number of requests in the batch is {}, which exceeds the maximum of {MAX_BATCH}.", reqs.len())));
    }
    let mut items: Vec<Item> = vec![];
    for r in reqs {
        let id = match r.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(bad(ctx, "Invalid batch payload format.")),
        };
        if items.iter().any(|i| i.id == id) {
            return Err(bad(ctx, &format!("Request Id '{id}' must be unique in the batch. Batch requests contain a duplicate id.")));
        }
        let method = r.get("method").and_then(|m| m.as_str()).map(|m| m.to_ascii_uppercase()).ok_or_else(|| bad(ctx, "Invalid batch payload format."))?;
        let url = r.get("url").and_then(|m| m.as_str()).map(String::from).ok_or_else(|| bad(ctx, "Invalid batch payload format."))?;
        let mut headers = vec![];
        if let Some(h) = r.get("headers") {
            let Some(h) = h.as_object() else { return Err(bad(ctx, "Invalid batch payload format.")) };
            for (k, v) in h {
                let val = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                headers.push((k.to_ascii_lowercase(), val));
            }
        }
        let body = match r.get("body") {
            None | Some(Value::Null) => None,
            Some(b) => {
                if !headers.iter().any(|(k, _)| k == "content-type") {
                    return Err(bad(ctx, &format!("Write request id : {id} does not contain Content-Type header or body.")));
                }
                Some(match b {
                    Value::String(s) => b64std_decode(s).unwrap_or_else(|| s.clone().into_bytes()),
                    other => serde_json::to_vec(other).unwrap_or_default(),
                })
            }
        };
        let depends_on = match r.get("dependsOn") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) => a.iter().map(|d| d.as_str().map(String::from).unwrap_or_else(|| d.to_string())).collect(),
            _ => return Err(bad(ctx, "Invalid batch payload format.")),
        };
        items.push(Item { id, method, url, headers, body, depends_on });
    }
    for it in &items {
        for d in &it.depends_on {
            if !items.iter().any(|o| &o.id == d) || d == &it.id {
                return Err(bad(ctx, &format!("Request Id '{}' depends on '{d}', which is not part of the batch.", it.id)));
            }
        }
    }
    Ok(items)
}

/// Signature of the router that runs each request of the batch (passed in, so this module does not depend on the router).
pub type Route = fn(&Shared, &Ctx, &AppIdentity, &str, &str, &str, &[u8]) -> Resp;

/// Runs a batch like Graph: one HTTP exchange whose items run concurrently.
/// Every item no other item depends on holds its mailbox slot (Outlook's
/// 4 concurrent requests per app and mailbox) until the exchange ends, so
/// a batch with more than 4 such items for one mailbox, or sent while other
/// requests to it are in flight, gets 429 for the extras; an item that
/// others depend on finishes before they start and gives its slot back.
/// The guard returned holds the slots (the caller drops it after the
/// response's latency).
pub fn batch_held(sh: &Shared, ctx: &Ctx, app: &AppIdentity, body: &[u8], route: Route) -> (Resp, Option<InFlight>) {
    let items = match parse_items(ctx, body) {
        Ok(i) => i,
        Err(r) => return (r, None),
    };
    let n = items.len();
    let awaited: Vec<bool> = items.iter().map(|it| items.iter().any(|o| o.depends_on.contains(&it.id))).collect();
    let mut held: Option<InFlight> = None;
    let mut results: Vec<Option<(u16, Vec<u8>)>> = vec![None; n];
    // Run in request order, but never before dependencies (simple fixpoint).
    let mut progressed = true;
    while progressed && results.iter().any(|r| r.is_none()) {
        progressed = false;
        for i in 0..n {
            if results[i].is_some() {
                continue;
            }
            let deps: Vec<usize> = items[i].depends_on.iter().filter_map(|d| items.iter().position(|o| &o.id == d)).collect();
            if deps.iter().any(|d| results[*d].is_none()) {
                continue;
            }
            let failed = deps.iter().any(|d| results[*d].as_ref().map(|r| r.0 >= 400).unwrap_or(true));
            results[i] = Some(run_item(sh, ctx, app, &items[i], failed, route, if awaited[i] { None } else { Some(&mut held) }));
            progressed = true;
        }
    }
    // dependency cycles
    for i in 0..n {
        if results[i].is_none() {
            results[i] = Some(run_item(sh, ctx, app, &items[i], true, route, None));
        }
    }
    // The items' bodies go out as the bytes their routes wrote.
    let mut out = Vec::with_capacity(results.iter().map(|r| r.as_ref().map_or(0, |r| r.1.len() + 1)).sum::<usize>() + 16);
    out.extend_from_slice(b"{\"responses\":[");
    for (k, r) in results.into_iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&r.expect("filled").1);
    }
    out.extend_from_slice(b"]}");
    let mut resp = Resp::json(200, &json!({})).header("Content-Type", ODATA_JSON);
    resp.body = out;
    (resp, held)
}

/// Runs one item; `hold` (for items nothing waits on) keeps the item's
/// mailbox slot until the whole exchange ends.
fn run_item(sh: &Shared, outer: &Ctx, app: &AppIdentity, it: &Item, dep_failed: bool, route: Route, hold: Option<&mut Option<InFlight>>) -> (u16, Vec<u8>) {
    let mut headers: Vec<(String, String)> = outer.headers.iter().filter(|(k, _)| !["content-type", "content-length", "client-request-id", "prefer", "consistencylevel"].contains(&k.as_str())).cloned().collect();
    for (k, v) in &it.headers {
        headers.retain(|(hk, _)| hk != k);
        headers.push((k.clone(), v.clone()));
    }
    let ctx = Ctx {
        base: outer.base.clone(),
        version: outer.version.clone(),
        request_id: random_guid(),
        client_request_id: it.headers.iter().find(|(k, _)| k == "client-request-id").map(|(_, v)| v.clone()).unwrap_or_else(|| outer.client_request_id.clone()),
        headers,
    };
    let (item_throttle, rf) = if dep_failed {
        (None, None)
    } else {
        let mut f = lock(&sh.faults);
        (f.batch_item_throttle.take(), f.random_faults.clone())
    };
    let random = rf.as_ref().and_then(|rf| crate::chaos::random_status(sh, rf, rf.batch_item_rate.unwrap_or(rf.rate), &it.method).map(|s| (s, rf.retry_after.clone())));
    let mut _slot = None;
    let resp = if dep_failed {
        ctx.err(424, "FailedDependency", "Failed Dependency")
    } else if let Some(c) = item_throttle {
        throttled(&ctx, c.retry_after.as_deref().unwrap_or("1"))
    } else if let Some((s, ra)) = random {
        lock(&sh.stats).random_errors += 1;
        random_failure(&ctx, s, &ra)
    } else {
        let mut url = it.url.trim().to_string();
        for p in ["https://graph.microsoft.com", &outer.base] {
            if let Some(r) = url.strip_prefix(p) {
                url = r.to_string();
            }
        }
        let url = url.trim_start_matches('/');
        let url = url.strip_prefix("v1.0/").or_else(|| url.strip_prefix("beta/")).unwrap_or(url);
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        if path.eq_ignore_ascii_case("$batch") {
            ctx.err(400, "BadRequest", "Nested batch requests are not supported.")
        } else {
            let admitted = match crate::chaos::mailbox_of(sh, path) {
                Some(idx) => crate::chaos::admit(sh, &app.app_id, idx).map(Some),
                None => Ok(None),
            };
            match admitted {
                Ok(g) => {
                    _slot = g;
                    route(sh, &ctx, app, &it.method, &format!("/{path}"), query, it.body.as_deref().unwrap_or(&[]))
                }
                Err((msg, ra)) => {
                    lock(&sh.stats).outlook_throttled += 1;
                    mailbox_throttled(&ctx, msg, &ra)
                }
            }
        }
    };
    match (hold, _slot) {
        (Some(h), Some(g)) => match h {
            Some(all) => all.join(g),
            None => *h = Some(g),
        },
        (_, g) => drop(g),
    }
    if resp.status == 429 {
        lock(&sh.stats).throttled += 1;
    }
    let resp = finish(&ctx, resp);
    let mut h = Map::new();
    for (k, v) in &resp.headers {
        if ["content-type", "odata-version", "cache-control", "location", "retry-after", "preference-applied", "x-ms-resource-unit"].contains(&k.to_ascii_lowercase().as_str()) {
            h.insert(k.clone(), json!(v));
        }
    }
    let head = json!({"id": it.id, "status": resp.status, "headers": h});
    let mut out = serde_json::to_vec(&head).unwrap_or_default();
    if !resp.body.is_empty() {
        let is_json = resp.get_header("Content-Type").map(|c| c.contains("json")).unwrap_or(false);
        // A JSON body goes in as it is (checked, not parsed into values);
        // anything else as a JSON string.
        let text = std::str::from_utf8(&resp.body).ok().filter(|_| is_json);
        let raw = text.and_then(|t| serde_json::from_str::<&serde_json::value::RawValue>(t).ok()).map(|r| r.get().trim().as_bytes().to_vec());
        let body = raw.unwrap_or_else(|| serde_json::to_vec(&Value::from(String::from_utf8_lossy(&resp.body))).unwrap_or_default());
        out.pop();
        out.extend_from_slice(b",\"body\":");
        out.extend_from_slice(&body);
        out.push(b'}');
    }
    (resp.status, out)
}
