//! Helpers shared by the Outlook resource modules.

use crate::mailbox::*;
use crate::query::*;
use crate::state::{lock, Ctx, Resp, Shared};
use serde_json::{json, Map, Value};

/// Get (materializing if needed) a user's mailbox and run `f` on it.
pub fn with_mailbox<R>(sh: &Shared, idx: usize, f: impl FnOnce(&mut Mailbox) -> R) -> Option<R> {
    let (owner, size) = {
        let t = lock(&sh.tenant);
        (t.dir.get(idx)?, t.dir.base)
    };
    let mut mbs = lock(&sh.mailboxes);
    let mb = mbs.entry(idx).or_insert_with(|| Mailbox::generate(idx, &owner, size));
    Some(f(mb))
}

pub(crate) fn mb<R>(sh: &Shared, idx: usize, f: impl FnOnce(&mut Mailbox) -> R) -> R {
    with_mailbox(sh, idx, f).expect("resolved user has a mailbox")
}

pub(crate) fn created(_ctx: &Ctx, v: Value, context: String) -> Resp {
    let mut v = v;
    v["@odata.context"] = json!(context);
    Resp::json(201, &reorder_context(v))
}

pub(crate) fn entity(v: &Value, context: String) -> Resp {
    let mut v = v.clone();
    v["@odata.context"] = json!(context);
    Resp::json(200, &reorder_context(v))
}

pub(crate) fn rs_user(upath: &str) -> String {
    upath.trim_start_matches("/users/").to_string()
}

/// Outlook-style delta over a mailbox collection (events, contacts, To Do tasks).
/// `items` lists the collection now; `in_scope` limits the window (calendarView).
#[allow(clippy::too_many_arguments)]
pub(crate) fn outlook_delta(
    sh: &Shared,
    ctx: &Ctx,
    q: &Q,
    idx: usize,
    kind: &'static str,
    scope: &str,
    odata_type: &str,
    link_path: &str,
    items: impl Fn(&Mailbox) -> Vec<Value>,
) -> Resp {
    use crate::token::{seal, unseal};
    let page = ctx
        .hdr("prefer")
        .and_then(|p| p.split(',').find_map(|x| x.trim().strip_prefix("odata.maxpagesize=").and_then(|n| n.trim().parse::<usize>().ok())))
        .filter(|n| *n > 0)
        .unwrap_or(10);
    let bad = || ctx.err(400, "syncStateNotFound", "The sync state generation is not found or has expired. Start a new delta round without a token.");
    let tok = q.get("skiptoken").or_else(|| q.get("deltatoken")).filter(|t| !t.is_empty());
    let (now_items, seq) = mb(sh, idx, |b| (items(b), b.seq));
    let (generation, expired_code) = {
        let f = lock(&sh.faults);
        (f.delta_generation, f.expired_outlook_delta_code.clone())
    };
    let mut st = match tok {
        None => json!({"k": "od", "kind": kind, "scope": scope, "p": "f", "s": seq, "o": 0, "g": generation}),
        Some(t) => match unseal(&sh.key, t) {
            Some(v) if v["k"] == "od" && v["kind"] == kind && v["scope"] == scope => v,
            _ => return bad(),
        },
    };
    if st["g"].as_u64().unwrap_or(0) < generation {
        lock(&sh.stats).expired_delta_tokens += 1;
        return match expired_code.as_deref() {
            Some("resyncRequired") => ctx.err(400, "resyncRequired", "The sync state has expired and a full resync is required. Start a new delta round without a token."),
            _ => bad(),
        };
    }
    if st["p"] == "d" {
        st = json!({"k": "od", "kind": kind, "scope": scope, "p": "i", "from": st["s"], "to": seq, "o": 0, "g": st["g"]});
    }
    // Items are cloned once, out of the mailbox (`items`), and moved after.
    let with_type = |v: Value| {
        let mut m = Map::new();
        m.insert("@odata.type".into(), json!(odata_type));
        if let Value::Object(o) = v {
            m.extend(o);
        }
        Value::Object(m)
    };
    let all: Vec<Value> = if st["p"] == "f" {
        now_items.into_iter().map(with_type).collect()
    } else {
        let (from, to) = (st["from"].as_u64().unwrap_or(0), st["to"].as_u64().unwrap_or(0));
        let changed: Vec<String> = mb(sh, idx, |b| {
            let mut ids: Vec<String> = vec![];
            for c in b.changes.iter().filter(|c| c.kind == kind && (scope == "*" || c.scope == scope) && c.seq > from && c.seq <= to) {
                if !ids.contains(&c.id) {
                    ids.push(c.id.clone());
                }
            }
            ids
        });
        changed
            .iter()
            .map(|id| match now_items.iter().find(|v| v["id"] == id.as_str()) {
                Some(v) => with_type(v.clone()),
                None => json!({"@odata.type": odata_type, "id": id, "@removed": {"reason": "deleted"}}),
            })
            .collect()
    };
    let sep = if link_path.contains('?') { '&' } else { '?' };
    let off = st["o"].as_u64().unwrap_or(0) as usize;
    let total = all.len();
    let value: Vec<Value> = all.into_iter().skip(off).take(page).collect();
    let mut out = Map::new();
    out.insert("@odata.context".into(), json!(format!("{}/$metadata#Collection({})", ctx.root(), odata_type.trim_start_matches("#microsoft.graph."))));
    if off + page < total {
        st["o"] = json!(off + page);
        out.insert("@odata.nextLink".into(), json!(format!("{}{}{}$skiptoken={}", ctx.root(), link_path, sep, seal(&sh.key, &st))));
    } else {
        let s = if st["p"] == "f" { st["s"].clone() } else { st["to"].clone() };
        let d = json!({"k": "od", "kind": kind, "scope": scope, "p": "d", "s": s, "g": st["g"]});
        out.insert("@odata.deltaLink".into(), json!(format!("{}{}{}$deltatoken={}", ctx.root(), link_path, sep, seal(&sh.key, &d))));
    }
    out.insert("value".into(), Value::Array(value));
    Resp::json(200, &Value::Object(out))
}

/// `If-Match` against the item's current etag: a stale one gets Outlook's 412.
pub(crate) fn precondition(ctx: &Ctx, item: &Value) -> Option<Resp> {
    let want = ctx.hdr("if-match")?.trim();
    if want == "*" || item["@odata.etag"].as_str() == Some(want) {
        return None;
    }
    Some(ctx.err(412, "ErrorIrresolvableConflict", "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item."))
}

/// Every change gives the item a new etag (and changeKey, where the entity has one).
pub(crate) fn bump_etag(item: &mut Value) {
    let old = item["@odata.etag"].as_str().unwrap_or("").to_string();
    let tag = crate::mailbox::etag(crate::util::hash_str(&format!("{old}+")));
    if item.get("changeKey").is_some() {
        item["changeKey"] = json!(tag.trim_start_matches("W/\"").trim_end_matches('"'));
    }
    item["@odata.etag"] = json!(tag);
}
