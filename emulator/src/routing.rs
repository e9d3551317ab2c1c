//! Graph entry point: faults, authentication, and dispatch to the resource modules.

use crate::data::*;
use crate::errors::*;
use crate::query::*;
use crate::state::{lock, Ctx, Resp, Shared};
use crate::token::{validate, AppIdentity};
use crate::util::*;
use crate::users::*;
use crate::directory::*;
use crate::sites::*;
use serde_json::json;

/// Entry point for a top-level Graph request (path after the version segment). The second
/// value holds the app+mailbox in-flight slot until the response has been sent.
pub fn graph_request(sh: &Shared, ctx: &Ctx, method: &str, path: &str, raw_query: &str, body: &[u8]) -> (Resp, Option<crate::chaos::InFlight>) {
    let is_batch = path.trim_end_matches('/').eq_ignore_ascii_case("/$batch");
    {
        let mut st = lock(&sh.stats);
        st.graph_requests += 1;
        if is_batch {
            st.batch_requests += 1;
        }
    }
    let fault = {
        let mut f = lock(&sh.faults);
        if let Some(c) = f.throttle.take() {
            Some(throttled(ctx, c.retry_after.as_deref().unwrap_or("1")))
        } else if let Some(c) = f.fail.take() {
            let mut r = failure(ctx, c.status);
            if let Some(ra) = &c.retry_after {
                r = r.header("Retry-After", ra);
            }
            Some(r)
        } else if let Some(rf) = f.random_faults.as_ref().filter(|rf| rf.rate > 0.0 && !is_batch) {
            let rf = rf.clone();
            drop(f);
            crate::chaos::random_status(sh, &rf, rf.rate, method).map(|s| {
                lock(&sh.stats).random_errors += 1;
                random_failure(ctx, s, &rf.retry_after)
            })
        } else {
            None
        }
    };
    if let Some(r) = fault {
        return (finish(ctx, r), None);
    }
    let app = match validate(sh, ctx.hdr("authorization")) {
        Ok(a) => a,
        Err(m) => return (finish(ctx, unauthorized(ctx, m)), None),
    };
    if is_batch {
        if method != "POST" {
            return (finish(ctx, ctx.err(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")), None);
        }
        let (r, slots) = crate::batch::batch_held(sh, ctx, &app, body, route);
        return (finish(ctx, r), slots);
    }
    let mut slot = None;
    if let Some(idx) = crate::chaos::mailbox_of(sh, path) {
        match crate::chaos::admit(sh, &app.app_id, idx) {
            Ok(g) => slot = Some(g),
            Err((msg, ra)) => {
                lock(&sh.stats).outlook_throttled += 1;
                return (finish(ctx, mailbox_throttled(ctx, msg, &ra)), None);
            }
        }
    }
    (finish(ctx, route(sh, ctx, &app, method, path, raw_query, body)), slot)
}

/// Dispatch one Graph request (already authenticated). Also used for $batch items.
pub fn route(sh: &Shared, ctx: &Ctx, app: &AppIdentity, method: &str, path: &str, raw_query: &str, body: &[u8]) -> Resp {
    let raw: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(|s| pct_decode(s, false)).collect();
    // A segment that starts with '(' is not OData (`/applications/(appId='…')`): Graph refuses it.
    if let Some(s) = raw.iter().find(|s| s.starts_with('(')) {
        return bad_segment(ctx, s);
    }
    let segs = key_forms(&raw);
    let ls: Vec<String> = segs.iter().map(|s| s.to_lowercase()).collect();
    let l: Vec<&str> = ls.iter().map(|s| s.as_str()).collect();
    let q = Q::parse(raw_query);
    if let Some(r) = unknown_option(ctx, &q) {
        return r;
    }
    // Options Graph has but this emulator does not implement are refused, never ignored.
    if q.get("expand").is_some() && !l.first().map(|s| *s == "sites").unwrap_or(false) {
        return not_emulated(ctx, "$expand outside /sites/{id}/lists/{id}/items");
    }
    if q.get("format").is_some() {
        return not_emulated(ctx, "$format");
    }
    if l.is_empty() {
        return ctx.err(400, "BadRequest", "Invalid request.");
    }
    if l[0] == "me" {
        return ctx.err(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
    }
    let m = method;
    match (m, l.as_slice()) {
        (_, ["users", ..]) => users_route(sh, ctx, app, m, &segs, &l, &q, body),
        (_, ["groups", ..]) => {
            if !app.has_any(R_GROUP) {
                return forbidden_dir(ctx);
            }
            groups_route(sh, ctx, m, &segs, &l, &q)
        }
        (_, ["applications", ..]) => {
            if !app.has_any(R_APP) {
                return forbidden_dir(ctx);
            }
            apps_route(sh, ctx, m, &segs, &l, &q)
        }
        (_, ["organization", ..]) => {
            if !app.has_any(R_ORG) {
                return forbidden_dir(ctx);
            }
            if m != "GET" {
                return method_not_allowed(ctx);
            }
            match l.as_slice() {
                ["organization"] => Resp::json(200, &json!({"@odata.context": format!("{}/$metadata#organization", ctx.root()), "value": [organization_json()]})),
                ["organization", id] if id.eq_ignore_ascii_case(TENANT_ID) => {
                    let mut o = organization_json();
                    o["@odata.context"] = json!(format!("{}/$metadata#organization/$entity", ctx.root()));
                    Resp::json(200, &o)
                }
                ["organization", id] => not_found_dir(ctx, id),
                _ => bad_segment(ctx, &segs[2]),
            }
        }
        (_, ["sites", ..]) => {
            if !app.has_any(R_SITES) {
                return ctx.err(403, "accessDenied", "Access denied");
            }
            sites_route(sh, ctx, m, &segs, &l, &q)
        }
        _ => bad_segment(ctx, &segs[0]),
    }
}

/// OData key and function-call forms, rewritten to the plain segments the resource modules match:
/// `users('id')` → `users`, `id`; `delta()` → `delta`; `applications(appId='x')` → `applications`, `(appId='x')`
/// (the alternate-key form the applications module resolves).
fn key_forms(segs: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(segs.len() + 1);
    for s in segs {
        let Some(open) = s.find('(').filter(|_| s.ends_with(')')) else {
            out.push(s.clone());
            continue;
        };
        let (name, args) = (&s[..open], &s[open + 1..s.len() - 1]);
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '$') {
            out.push(s.clone());
            continue;
        }
        out.push(name.to_string());
        if args.is_empty() {
            continue;
        }
        if args.len() >= 2 && args.starts_with('\'') && args.ends_with('\'') {
            out.push(args[1..args.len() - 1].replace("''", "'"));
        } else {
            out.push(format!("({args})"));
        }
    }
    out
}
