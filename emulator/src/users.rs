//! /users: list, get, create, update, delete and delta.

use crate::data::*;
use crate::errors::*;
use crate::odata;
use crate::query::*;
use crate::state::{lock, Ctx, Resp, Shared};
use crate::token::{seal, unseal, AppIdentity};
use crate::util::*;
use serde_json::{json, Map, Value};

pub const R_USER_READ: &[&str] = &["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "User.ReadBasic.All"];

pub const R_USER_WRITE: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];

pub(crate) const USER_FILTERABLE: &[&str] = &[
    "id", "userPrincipalName", "mail", "displayName", "givenName", "surname", "accountEnabled", "jobTitle", "department", "city", "country",
    "usageLocation", "employeeId", "userType", "mailNickname", "companyName", "officeLocation", "createdDateTime", "preferredLanguage",
    "businessPhones", "mobilePhone", "proxyAddresses", "otherMails",
];

#[allow(clippy::too_many_arguments)]
pub(crate) fn users_route(sh: &Shared, ctx: &Ctx, app: &AppIdentity, m: &str, segs: &[String], l: &[&str], q: &Q, body: &[u8]) -> Resp {
    match (m, l) {
        ("GET", ["users"]) => {
            if !app.has_any(R_USER_READ) {
                return forbidden_dir(ctx);
            }
            list_users(sh, ctx, q)
        }
        ("GET", ["users", "$count"]) => {
            if !app.has_any(R_USER_READ) {
                return forbidden_dir(ctx);
            }
            if !eventual(ctx) {
                return ctx.err(400, "Request_BadRequest", "$count is not currently supported.");
            }
            let filter = match dir_filter(ctx, q, "User", USER_FILTERABLE) {
                Ok(f) => f,
                Err(r) => return r,
            };
            let t = lock(&sh.tenant);
            let mut n = 0u64;
            for i in 0..t.dir.total {
                if let Some(u) = t.dir.get(i) {
                    if filter.as_ref().map(|f| odata::eval(f, &Value::Object(u.props))).unwrap_or(true) {
                        n += 1;
                    }
                }
            }
            Resp { status: 200, headers: vec![("Content-Type".into(), "text/plain".into())], body: n.to_string().into_bytes() }
        }
        ("GET", ["users", "delta"]) => {
            if !app.has_any(R_USER_READ) {
                return forbidden_dir(ctx);
            }
            users_delta(sh, ctx, q)
        }
        ("POST", ["users"]) => {
            if !app.has_any(R_USER_WRITE) {
                return forbidden_dir(ctx);
            }
            create_user(sh, ctx, body)
        }
        (_, ["users"]) | (_, ["users", "delta" | "$count"]) => method_not_allowed(ctx),
        (_, ["users", _]) => {
            let key = &segs[1];
            if matches!(m, "PATCH" | "DELETE") && ctx.hdr("if-match").is_some() {
                // Graph v1.0 directory objects carry no @odata.etag; whether Graph checks or
                // ignores an If-Match on them is not emulated either way.
                return ctx.err(501, "NotImplemented", "If-Match on directory objects is not emulated by msgraph-emulator (Graph v1.0 directory objects carry no etag).");
            }
            match m {
                "GET" => {
                    if !app.has_any(R_USER_READ) {
                        return forbidden_dir(ctx);
                    }
                    let t = lock(&sh.tenant);
                    let Some(idx) = t.dir.resolve(key) else { return not_found_dir(ctx, key) };
                    let u = t.dir.get(idx).expect("live");
                    let sel = q.get("select").map(odata::parse_select);
                    let mut v = u.project(sel.as_deref());
                    v.as_object_mut().expect("obj").insert(
                        "@odata.context".into(),
                        json!(format!("{}/$metadata#users{}/$entity", ctx.root(), select_suffix(&sel))),
                    );
                    Resp::json(200, &reorder_context(v))
                }
                "PATCH" => {
                    if !app.has_any(R_USER_WRITE) {
                        return forbidden_dir(ctx);
                    }
                    let patch = match parse_json_body(ctx, body) {
                        Ok(p) => p,
                        Err(r) => return r,
                    };
                    for (k, v) in patch.iter() {
                        // The SDK serializes the entity's type annotation; Graph accepts it when it names the entity type.
                        if k == "@odata.type" {
                            if v.as_str().map(|s| s.trim_start_matches('#').eq_ignore_ascii_case("microsoft.graph.user")).unwrap_or(false) {
                                continue;
                            }
                            return ctx.err(400, "BadRequest", &format!("A type named '{}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type.", v.as_str().unwrap_or("")));
                        }
                        if !USER_KNOWN_PROPS.iter().any(|p| p.eq_ignore_ascii_case(k)) {
                            return ctx.err(400, "Request_BadRequest", &format!("Property '{k}' does not exist as a declared property or extension property."));
                        }
                    }
                    let mut t = lock(&sh.tenant);
                    let Some(idx) = t.dir.resolve(key) else { return not_found_dir(ctx, key) };
                    if let Some(upn) = patch.get("userPrincipalName").and_then(|v| v.as_str()) {
                        if t.dir.resolve(upn).map(|o| o != idx).unwrap_or(false) {
                            return ctx.err(400, "Request_BadRequest", "Another object with the same value for property userPrincipalName already exists.");
                        }
                    }
                    let mut patch = patch;
                    patch.remove("@odata.type");
                    t.dir.patch(idx, &patch);
                    Resp::empty(204)
                }
                "DELETE" => {
                    if !app.has_any(R_USER_WRITE) {
                        return forbidden_dir(ctx);
                    }
                    let mut t = lock(&sh.tenant);
                    let Some(idx) = t.dir.resolve(key) else { return not_found_dir(ctx, key) };
                    t.dir.delete(idx);
                    lock(&sh.mailboxes).remove(&idx);
                    Resp::empty(204)
                }
                _ => method_not_allowed(ctx),
            }
        }
        _ => crate::outlook::user_sub(sh, ctx, app, m, segs, l, q, body),
    }
}

pub(crate) fn create_user(sh: &Shared, ctx: &Ctx, body: &[u8]) -> Resp {
    let props = match parse_json_body(ctx, body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    for k in props.keys() {
        if !USER_KNOWN_PROPS.iter().any(|p| p.eq_ignore_ascii_case(k)) && !k.starts_with('@') {
            return ctx.err(400, "Request_BadRequest", &format!("Property '{k}' does not exist as a declared property or extension property."));
        }
    }
    for req in ["accountEnabled", "displayName", "mailNickname", "userPrincipalName", "passwordProfile"] {
        if props.get(req).map(|v| v.is_null()).unwrap_or(true) {
            return ctx.err(400, "Request_BadRequest", &format!("Invalid value specified for property '{req}' of resource 'User'."));
        }
    }
    let upn = props["userPrincipalName"].as_str().unwrap_or("").to_string();
    if !upn.contains('@') {
        return ctx.err(400, "Request_BadRequest", "Invalid value specified for property 'userPrincipalName' of resource 'User'.");
    }
    let mut t = lock(&sh.tenant);
    if t.dir.resolve(&upn).is_some() {
        return ctx.err(400, "Request_BadRequest", "Another object with the same value for property userPrincipalName already exists.");
    }
    let mut props: Map<String, Value> = props.into_iter().filter(|(k, _)| !k.starts_with('@')).collect();
    props.entry("mail").or_insert(Value::Null);
    let u = t.dir.create(props);
    let mut v = u.project(None);
    v["@odata.context"] = json!(format!("{}/$metadata#users/$entity", ctx.root()));
    let loc = format!("{}/directoryObjects/{}/Microsoft.DirectoryServices.User", ctx.root(), u.id());
    Resp::json(201, &reorder_context(v)).header("Location", &loc)
}

pub(crate) fn list_users(sh: &Shared, ctx: &Ctx, q: &Q) -> Resp {
    let top = match parse_top(ctx, q, 100, 999, true) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let filter = match dir_filter(ctx, q, "User", USER_FILTERABLE) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let search = match parse_search(ctx, q) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let count = q.get("count").map(|c| c.eq_ignore_ascii_case("true")).unwrap_or(false);
    if count && !eventual(ctx) {
        return ctx.err(400, "Request_BadRequest", "$count is not currently supported.");
    }
    let orderby = q.get("orderby").map(odata::parse_orderby).unwrap_or_default();
    for (p, _) in &orderby {
        if !["displayName", "userPrincipalName", "id"].iter().any(|a| a.eq_ignore_ascii_case(p)) {
            return ctx.err(400, "Request_UnsupportedQuery", "Sorting not supported for current query.");
        }
    }
    if !orderby.is_empty() && filter.is_some() && !(count && eventual(ctx)) {
        // $orderby together with $filter is an advanced query: ConsistencyLevel: eventual and $count=true.
        return ctx.err(400, "Request_UnsupportedQuery", "Sorting not supported for current query.");
    }
    let sel = q.get("select").map(odata::parse_select);
    if let Some(s) = &sel {
        if let Err(r) = known_select(ctx, s, USER_KNOWN_PROPS) {
            return r;
        }
    }
    let token = match q.get("skiptoken") {
        Some(s) => match unseal(&sh.key, s) {
            Some(v) if v["k"] == "u" => Some(v),
            _ => return bad_skiptoken(ctx),
        },
        None => None,
    };
    let t = lock(&sh.tenant);
    let matches = |u: User| -> Option<User> {
        if filter.is_none() && search.is_none() {
            return Some(u);
        }
        let v = Value::Object(u.props);
        let ok = filter.as_ref().map(|f| odata::eval(f, &v)).unwrap_or(true) && search.as_ref().map(|s| search_match(&v, s)).unwrap_or(true);
        let Value::Object(props) = v else { return None };
        ok.then_some(User { idx: u.idx, props })
    };
    let mut page: Vec<User> = vec![];
    let mut next: Option<Value> = None;
    let mut total: Option<u64> = None;
    if !orderby.is_empty() {
        let mut all: Vec<User> = (0..t.dir.total).filter_map(|i| t.dir.get(i)).filter_map(matches).collect();
        let keys = orderby.clone();
        all.sort_by(|a, b| {
            let (x, y) = (Value::Object(a.props.clone()), Value::Object(b.props.clone()));
            odata::compare_by(&x, &y, &keys).then(a.idx.cmp(&b.idx))
        });
        total = Some(all.len() as u64);
        let off = token.as_ref().and_then(|v| v["o"].as_u64()).unwrap_or(0) as usize;
        page = all.iter().skip(off).take(top).cloned().collect();
        if off + top < all.len() {
            next = Some(json!({"k": "u", "o": off + top}));
        }
    } else {
        let mut i = token.as_ref().and_then(|v| v["c"].as_u64()).unwrap_or(0) as usize;
        while i < t.dir.total {
            if let Some(u) = t.dir.get(i).and_then(matches) {
                if page.len() == top {
                    next = Some(json!({"k": "u", "c": i}));
                    break;
                }
                page.push(u);
            }
            i += 1;
        }
        if count {
            total = Some((0..t.dir.total).filter_map(|i| t.dir.get(i)).filter_map(matches).count() as u64);
        }
    }
    drop(t);
    let mut out = Map::new();
    out.insert("@odata.context".into(), json!(format!("{}/$metadata#users{}", ctx.root(), select_suffix(&sel))));
    if count {
        out.insert("@odata.count".into(), json!(total.unwrap_or(0)));
    }
    if let Some(n) = next {
        let link = format!("{}/users?{}", ctx.root(), q.link(&["skiptoken"], &[("$skiptoken", seal(&sh.key, &n))]));
        out.insert("@odata.nextLink".into(), json!(link));
    }
    out.insert("value".into(), Value::Array(page.iter().map(|u| u.project(sel.as_deref())).collect()));
    Resp::json(200, &Value::Object(out))
}

pub(crate) fn users_delta(sh: &Shared, ctx: &Ctx, q: &Q) -> Resp {
    let page_size = max_page_size(ctx).unwrap_or(100).min(999);
    // An empty token (the Location of a 410 Gone) starts a new round.
    let tok_str = q.get("skiptoken").or_else(|| q.get("deltatoken")).filter(|t| !t.is_empty());
    let generation = lock(&sh.faults).delta_generation;
    let mut state: Value = match tok_str {
        None => {
            let sel = q.get("select").unwrap_or("").to_string();
            let s = lock(&sh.tenant).dir.seq;
            json!({"k": "ud", "p": "f", "c": 0, "s": s, "sel": sel, "g": generation})
        }
        Some("latest") => {
            let sel = q.get("select").unwrap_or("").to_string();
            let s = lock(&sh.tenant).dir.seq;
            let link = format!("{}/users/delta?$deltatoken={}", ctx.root(), seal(&sh.key, &json!({"k": "ud", "p": "d", "s": s, "sel": sel, "g": generation})));
            return Resp::json(200, &json!({"@odata.context": format!("{}/$metadata#users", ctx.root()), "@odata.deltaLink": link, "value": []}));
        }
        Some(t) => match unseal(&sh.key, t) {
            Some(v) if v["k"] == "ud" => v,
            _ => return sync_state_not_found(ctx),
        },
    };
    if state["g"].as_u64().unwrap_or(0) < generation {
        // Directory resources: 410 Gone + Location of a fresh round (empty token) = full resync.
        lock(&sh.stats).expired_delta_tokens += 1;
        let sel = state["sel"].as_str().unwrap_or("");
        let mut loc = format!("{}/users/delta?", ctx.root());
        if !sel.is_empty() {
            loc.push_str(&format!("$select={}&", query_encode(sel)));
        }
        loc.push_str("$deltatoken=");
        return ctx.err(410, "resyncRequired", "The delta token has expired. Replace local data with a full synchronization from the Location URL.").header("Location", &loc);
    }
    if state["p"] == "d" {
        let cur = lock(&sh.tenant).dir.seq;
        state = json!({"k": "ud", "p": "i", "from": state["s"], "to": cur, "c": 0, "sel": state["sel"], "g": state["g"]});
    }
    let sel_s = state["sel"].as_str().unwrap_or("").to_string();
    let sel = if sel_s.is_empty() { None } else { Some(odata::parse_select(&sel_s)) };
    let project = |u: &User| -> Value {
        let mut v = u.project(sel.as_deref());
        if let Some(o) = v.as_object_mut() {
            o.insert("id".into(), json!(u.id()));
        }
        v
    };
    let t = lock(&sh.tenant);
    let mut items = vec![];
    let mut next_cursor: Option<usize> = None;
    let start = state["c"].as_u64().unwrap_or(0) as usize;
    if state["p"] == "f" {
        let mut i = start;
        while i < t.dir.total {
            if let Some(u) = t.dir.get(i) {
                if items.len() == page_size {
                    next_cursor = Some(i);
                    break;
                }
                items.push(project(&u));
            }
            i += 1;
        }
    } else {
        let from = state["from"].as_u64().unwrap_or(0);
        let to = state["to"].as_u64().unwrap_or(0);
        let mut changed: Vec<usize> = t.dir.changes.iter().filter(|(s, _)| *s > from && *s <= to).map(|(_, i)| *i).filter(|i| *i >= start).collect();
        changed.sort_unstable();
        changed.dedup();
        for i in changed {
            if items.len() == page_size {
                next_cursor = Some(i);
                break;
            }
            match t.dir.get(i) {
                Some(u) => items.push(project(&u)),
                None => items.push(json!({"id": user_id(i), "@removed": {"reason": "changed"}})),
            }
        }
    }
    drop(t);
    let mut out = Map::new();
    out.insert("@odata.context".into(), json!(format!("{}/$metadata#users{}", ctx.root(), select_suffix(&sel))));
    match next_cursor {
        Some(c) => {
            let mut s = state.clone();
            s["c"] = json!(c);
            out.insert("@odata.nextLink".into(), json!(format!("{}/users/delta?$skiptoken={}", ctx.root(), seal(&sh.key, &s))));
        }
        None => {
            let seq = if state["p"] == "f" { state["s"].clone() } else { state["to"].clone() };
            let d = json!({"k": "ud", "p": "d", "s": seq, "sel": sel_s, "g": state["g"]});
            out.insert("@odata.deltaLink".into(), json!(format!("{}/users/delta?$deltatoken={}", ctx.root(), seal(&sh.key, &d))));
        }
    }
    out.insert("value".into(), Value::Array(items));
    let mut r = Resp::json(200, &Value::Object(out));
    if let Some(n) = max_page_size(ctx) {
        r = r.header("Preference-Applied", &format!("odata.maxpagesize={n}"));
    }
    r
}
