//! /groups, /applications and /organization.

use crate::data::*;
use crate::errors::*;
use crate::odata;
use crate::query::*;
use crate::state::{lock, Ctx, Resp, Shared};
use crate::token::{seal, unseal};
use serde_json::{json, Map, Value};

pub const R_GROUP: &[&str] = &["Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "GroupMember.Read.All"];

pub const R_APP: &[&str] = &["Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];

pub const R_ORG: &[&str] = &["Organization.Read.All", "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];

/// A `$count` segment's answer: the number as text/plain. Graph serves `$count` segments on
/// directory collections only as an advanced query (ConsistencyLevel: eventual), else 400.
pub(crate) fn count_segment(ctx: &Ctx, n: impl FnOnce() -> Result<u64, Resp>) -> Resp {
    if !eventual(ctx) {
        return ctx.err(400, "Request_BadRequest", "$count is not currently supported.");
    }
    match n() {
        Ok(n) => Resp { status: 200, headers: vec![("Content-Type".into(), "text/plain".into())], body: n.to_string().into_bytes() },
        Err(r) => r,
    }
}

pub(crate) fn groups_route(sh: &Shared, ctx: &Ctx, m: &str, segs: &[String], l: &[&str], q: &Q) -> Resp {
    if m != "GET" {
        return method_not_allowed(ctx);
    }
    let find = |id: &str| (0..GROUPS.len()).find(|g| group_id(*g).eq_ignore_ascii_case(id));
    const GROUP_FILTERABLE: &[&str] = &["id", "displayName", "mail", "mailNickname", "securityEnabled", "mailEnabled", "groupTypes", "visibility"];
    match l {
        ["groups", "$count"] => count_segment(ctx, || {
            let filter = dir_filter(ctx, q, "Group", GROUP_FILTERABLE)?;
            Ok((0..GROUPS.len()).map(group_json).filter(|g| filter.as_ref().map(|f| odata::eval(f, g)).unwrap_or(true)).count() as u64)
        }),
        ["groups", _, "members" | "transitivemembers", "$count"] => {
            let Some(g) = find(&segs[1]) else { return not_found_dir(ctx, &segs[1]) };
            count_segment(ctx, || {
                let t = lock(&sh.tenant);
                Ok((0..t.dir.total).filter(|&i| group_has_member(g, i) && t.dir.get(i).is_some()).count() as u64)
            })
        }
        ["groups"] => {
            let filter = match dir_filter(ctx, q, "Group", GROUP_FILTERABLE) {
                Ok(f) => f,
                Err(r) => return r,
            };
            let items: Vec<Value> = (0..GROUPS.len()).map(group_json).filter(|g| filter.as_ref().map(|f| odata::eval(f, g)).unwrap_or(true)).collect();
            let items = match filter_sort(ctx, &Q { pairs: q.pairs.iter().filter(|(k, _)| Q::norm(k) == "orderby").cloned().collect() }, items) {
                Ok(i) => i,
                Err(r) => return r,
            };
            let sel = q.get("select").map(odata::parse_select);
            page_values(sh, ctx, q, items, &format!("{}/$metadata#groups{}", ctx.root(), select_suffix(&sel)), "/groups", 100, 999, false)
        }
        ["groups", _] => match find(&segs[1]) {
            Some(g) => {
                let mut v = group_json(g);
                if let Some(s) = q.get("select").map(odata::parse_select) {
                    v = project_value(&v, &s);
                }
                v["@odata.context"] = json!(format!("{}/$metadata#groups/$entity", ctx.root()));
                Resp::json(200, &reorder_context(v))
            }
            None => not_found_dir(ctx, &segs[1]),
        },
        ["groups", _, "members"] | ["groups", _, "transitivemembers"] => {
            let Some(g) = find(&segs[1]) else { return not_found_dir(ctx, &segs[1]) };
            let top = match parse_top(ctx, q, 100, 999, true) {
                Ok(t) => t,
                Err(r) => return r,
            };
            let start = match q.get("skiptoken") {
                None => 0,
                Some(s) => match unseal(&sh.key, s) {
                    Some(v) if v["k"] == "gm" => v["c"].as_u64().unwrap_or(0) as usize,
                    _ => return bad_skiptoken(ctx),
                },
            };
            let sel = q.get("select").map(odata::parse_select);
            let t = lock(&sh.tenant);
            let mut page = vec![];
            let mut next = None;
            let mut i = start;
            while i < t.dir.total {
                if group_has_member(g, i) {
                    if let Some(u) = t.dir.get(i) {
                        if page.len() == top {
                            next = Some(i);
                            break;
                        }
                        let mut v = u.project(sel.as_deref());
                        let mut o = Map::new();
                        o.insert("@odata.type".into(), json!("#microsoft.graph.user"));
                        if let Value::Object(m) = v.take() {
                            o.extend(m);
                        }
                        page.push(Value::Object(o));
                    }
                }
                i += 1;
            }
            drop(t);
            let mut out = Map::new();
            out.insert("@odata.context".into(), json!(format!("{}/$metadata#directoryObjects", ctx.root())));
            if let Some(c) = next {
                let link = format!("{}/groups/{}/{}?{}", ctx.root(), segs[1], segs[2], q.link(&["skiptoken"], &[("$skiptoken", seal(&sh.key, &json!({"k": "gm", "c": c})))]));
                out.insert("@odata.nextLink".into(), json!(link));
            }
            out.insert("value".into(), Value::Array(page));
            Resp::json(200, &Value::Object(out))
        }
        ["groups", _, x, ..] => bad_segment(ctx, x),
        _ => bad_segment(ctx, &segs[0]),
    }
}

pub(crate) fn apps_route(sh: &Shared, ctx: &Ctx, m: &str, segs: &[String], l: &[&str], q: &Q) -> Resp {
    if m != "GET" {
        return method_not_allowed(ctx);
    }
    let apps: Vec<Value> = lock(&sh.tenant).apps.iter().map(|a| a.to_json()).collect();
    const APP_FILTERABLE: &[&str] = &["id", "appId", "displayName", "signInAudience", "publisherDomain"];
    match l {
        ["applications", "$count"] => count_segment(ctx, || {
            let filter = dir_filter(ctx, q, "Application", APP_FILTERABLE)?;
            Ok(apps.iter().filter(|a| filter.as_ref().map(|f| odata::eval(f, a)).unwrap_or(true)).count() as u64)
        }),
        ["applications"] => {
            let filter = match dir_filter(ctx, q, "Application", APP_FILTERABLE) {
                Ok(f) => f,
                Err(r) => return r,
            };
            let items: Vec<Value> = apps.into_iter().filter(|a| filter.as_ref().map(|f| odata::eval(f, a)).unwrap_or(true)).collect();
            let sel = q.get("select").map(odata::parse_select);
            page_values(sh, ctx, q, items, &format!("{}/$metadata#applications{}", ctx.root(), select_suffix(&sel)), "/applications", 100, 999, false)
        }
        ["applications", key] => {
            let raw = &segs[1];
            // applications/{id} or applications(appId='{appId}')
            let found = if let Some(rest) = key.strip_prefix("(appid=") {
                let app_id = rest.trim_end_matches(')').trim_matches('\'');
                apps.into_iter().find(|a| a["appId"].as_str().map(|s| s.eq_ignore_ascii_case(app_id)).unwrap_or(false))
            } else {
                apps.into_iter().find(|a| a["id"].as_str().map(|s| s.eq_ignore_ascii_case(raw)).unwrap_or(false))
            };
            match found {
                Some(mut v) => {
                    if let Some(s) = q.get("select").map(odata::parse_select) {
                        v = project_value(&v, &s);
                    }
                    v["@odata.context"] = json!(format!("{}/$metadata#applications/$entity", ctx.root()));
                    Resp::json(200, &reorder_context(v))
                }
                None => not_found_dir(ctx, raw),
            }
        }
        _ if l.len() >= 3 => bad_segment(ctx, &segs[2]),
        _ => bad_segment(ctx, &segs[0]),
    }
}
