//! Microsoft Graph: auth, faults, routing and the directory resources.

use crate::data::*;
use crate::mailbox::Mailbox;
use crate::odata;
use crate::state::{lock, Ctx, Resp, Shared};
use crate::token::{seal, unseal, validate, AppIdentity};
use crate::util::*;
use serde_json::{json, Map, Value};

pub const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

pub const R_USER_READ: &[&str] = &["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "User.ReadBasic.All"];
pub const R_USER_WRITE: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];
pub const R_GROUP: &[&str] = &["Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "GroupMember.Read.All"];
pub const R_APP: &[&str] = &["Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];
pub const R_ORG: &[&str] = &["Organization.Read.All", "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];
pub const R_SITES: &[&str] = &["Sites.Read.All", "Sites.ReadWrite.All", "Sites.Manage.All", "Sites.FullControl.All"];

/// Parsed query string: raw pairs (original spelling) with normalized lookup.
#[derive(Clone, Debug, Default)]
pub struct Q {
    pub pairs: Vec<(String, String)>,
}

impl Q {
    pub fn parse(raw: &str) -> Q {
        Q { pairs: parse_pairs(raw, true) }
    }
    fn norm(k: &str) -> String {
        k.trim_start_matches('$').to_ascii_lowercase()
    }
    pub fn get(&self, k: &str) -> Option<&str> {
        self.pairs.iter().find(|(pk, _)| Self::norm(pk) == k).map(|(_, v)| v.as_str())
    }
    /// The query string for a next link: original options minus paging ones, plus `extra`.
    pub fn link(&self, drop: &[&str], extra: &[(&str, String)]) -> String {
        let mut parts: Vec<String> = self
            .pairs
            .iter()
            .filter(|(k, _)| !drop.contains(&Self::norm(k).as_str()))
            .map(|(k, v)| format!("{}={}", query_encode(k), query_encode(v)))
            .collect();
        for (k, v) in extra {
            parts.push(format!("{}={}", k, query_encode(v)));
        }
        parts.join("&")
    }
}

pub fn finish(ctx: &Ctx, mut r: Resp) -> Resp {
    if !r.body.is_empty() && r.get_header("Content-Type").is_none() {
        r = r.header("Content-Type", ODATA_JSON);
    }
    if r.get_header("Content-Type").map(|c| c.contains("odata")).unwrap_or(false) {
        r = r.header("OData-Version", "4.0");
    }
    r.header("Cache-Control", "no-cache")
        .header("Strict-Transport-Security", "max-age=31536000")
        .header("request-id", &ctx.request_id)
        .header("client-request-id", &ctx.client_request_id)
        .header(
            "x-ms-ags-diagnostic",
            r#"{"ServerInfo":{"DataCenter":"Emulator","Slice":"E","Ring":"5","ScaleUnit":"000","RoleInstance":"EMU000001","ADSiteName":"EMU"}}"#,
        )
        .header("x-ms-resource-unit", "1")
}

pub fn throttled(ctx: &Ctx, retry_after: &str) -> Resp {
    let body = json!({"error": {
        "code": "TooManyRequests",
        "innerError": {
            "code": "429",
            "date": graph_date(now_secs()),
            "message": "Please retry after",
            "request-id": ctx.request_id,
            "status": "429",
            "client-request-id": ctx.client_request_id,
        },
        "message": "Please retry again later."
    }});
    Resp::json(429, &body).header("Retry-After", retry_after)
}

pub fn failure(ctx: &Ctx, status: u16) -> Resp {
    let (code, msg) = match status {
        500 => ("InternalServerError", "An internal server error occurred. The operation failed."),
        502 => ("BadGateway", "The server, while acting as a proxy, received a bad response from the upstream server."),
        503 => ("ServiceNotAvailable", "The service is temporarily unavailable. Please retry later."),
        504 => ("GatewayTimeout", "The gateway did not receive a timely response from the upstream server."),
        507 => ("InsufficientStorage", "The maximum storage quota has been reached."),
        429 => return throttled(ctx, "1"),
        _ => ("UnknownError", "An error occurred."),
    };
    ctx.err(status, code, msg)
}

fn unauthorized(ctx: &Ctx, msg: &str) -> Resp {
    ctx.err(401, "InvalidAuthenticationToken", msg).header(
        "WWW-Authenticate",
        "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
    )
}

/// 429 ApplicationThrottled (Outlook per app+mailbox limits).
pub fn mailbox_throttled(ctx: &Ctx, msg: &str, retry_after: &str) -> Resp {
    ctx.err(429, "ApplicationThrottled", msg).header("Retry-After", retry_after)
}

/// A random-fault error status (429/503 carry the configured Retry-After).
pub fn random_failure(ctx: &Ctx, status: u16, retry_after: &str) -> Resp {
    let r = if status == 429 { throttled(ctx, retry_after) } else { failure(ctx, status) };
    if status == 503 {
        r.header("Retry-After", retry_after)
    } else {
        r
    }
}

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
        return (finish(ctx, crate::batch::batch(sh, ctx, &app, body)), None);
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

pub fn forbidden_dir(ctx: &Ctx) -> Resp {
    ctx.err(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}

pub fn forbidden_outlook(ctx: &Ctx) -> Resp {
    ctx.err(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
}

pub fn bad_segment(ctx: &Ctx, seg: &str) -> Resp {
    ctx.err(400, "BadRequest", &format!("Resource not found for the segment '{seg}'."))
}

pub fn method_not_allowed(ctx: &Ctx) -> Resp {
    ctx.err(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
}

pub fn parse_json_body(ctx: &Ctx, body: &[u8]) -> Result<Map<String, Value>, Resp> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ctx.err(400, "BadRequest", "Empty Payload. JSON content expected."));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ctx.err(400, "UnableToDeserializePostBody", "were unable to deserialize ")),
    }
}

/// Dispatch one Graph request (already authenticated). Also used for $batch items.
pub fn route(sh: &Shared, ctx: &Ctx, app: &AppIdentity, method: &str, path: &str, raw_query: &str, body: &[u8]) -> Resp {
    let segs: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(|s| pct_decode(s, false)).collect();
    let ls: Vec<String> = segs.iter().map(|s| s.to_lowercase()).collect();
    let l: Vec<&str> = ls.iter().map(|s| s.as_str()).collect();
    let q = Q::parse(raw_query);
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

pub fn not_found_dir(ctx: &Ctx, id: &str) -> Resp {
    ctx.err(404, "Request_ResourceNotFound", &format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."))
}

fn parse_top(ctx: &Ctx, q: &Q, default: usize, max: usize, directory: bool) -> Result<usize, Resp> {
    match q.get("top") {
        None => Ok(default),
        Some(t) => match t.trim().parse::<i64>() {
            Ok(n) if n >= 1 && n as usize <= max => Ok(n as usize),
            Ok(n) if !directory && n > max as i64 => Ok(max),
            _ if directory => Err(ctx.err(400, "Request_BadRequest", &format!("Invalid page size specified: '{t}'. Must be between 1 and {max} inclusive."))),
            _ => Err(ctx.err(400, "BadRequest", &format!("Invalid value '{t}' for $top query option found. The $top query option requires a non-negative integer value."))),
        },
    }
}

fn max_page_size(ctx: &Ctx) -> Option<usize> {
    let p = ctx.hdr("prefer")?;
    for part in p.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("odata.maxpagesize=") {
            return v.trim().parse().ok().filter(|n: &usize| *n > 0);
        }
    }
    None
}

fn eventual(ctx: &Ctx) -> bool {
    ctx.hdr("consistencylevel").map(|v| v.eq_ignore_ascii_case("eventual")).unwrap_or(false)
}

fn select_suffix(sel: &Option<Vec<String>>) -> String {
    match sel {
        Some(s) => format!("({})", s.join(",")),
        None => String::new(),
    }
}

/// Validate a $filter for a directory resource. `props` lists filterable properties.
fn dir_filter(ctx: &Ctx, q: &Q, resource: &str, allowed: &[&str]) -> Result<Option<odata::Expr>, Resp> {
    let Some(f) = q.get("filter") else { return Ok(None) };
    let e = odata::parse(f).map_err(|m| ctx.err(400, "BadRequest", &format!("Invalid filter clause: {m}")))?;
    let mut ps = vec![];
    odata::props(&e, &mut ps);
    for (p, op) in ps {
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(&p)) || (op == "endswith" || op == "contains") && !eventual(ctx) {
            return Err(ctx.err(400, "Request_UnsupportedQuery", &format!("Unsupported or invalid query filter clause specified for property '{p}' of resource '{resource}'.")));
        }
    }
    Ok(Some(e))
}

/// `$search="displayName:wa"` (requires ConsistencyLevel: eventual).
fn parse_search(ctx: &Ctx, q: &Q) -> Result<Option<Vec<(String, String)>>, Resp> {
    let Some(s) = q.get("search") else { return Ok(None) };
    if !eventual(ctx) {
        return Err(ctx.err(400, "Request_UnsupportedQuery", "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"));
    }
    let mut terms = vec![];
    for part in s.split(" OR ") {
        let p = part.trim().trim_matches('"');
        match p.split_once(':') {
            Some((k, v)) => terms.push((k.to_string(), v.to_lowercase())),
            None => return Err(ctx.err(400, "Request_UnsupportedQuery", "Syntax error: character ':' is not valid at position 0 in '$search'.")),
        }
    }
    Ok(Some(terms))
}

fn search_match(v: &Value, terms: &[(String, String)]) -> bool {
    terms.iter().any(|(k, t)| {
        odata::get_path(v, k)
            .as_str()
            .map(|s| s.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|w| w.starts_with(t.as_str())) || s.to_lowercase().starts_with(t.as_str()))
            .unwrap_or(false)
    })
}

const USER_FILTERABLE: &[&str] = &[
    "id", "userPrincipalName", "mail", "displayName", "givenName", "surname", "accountEnabled", "jobTitle", "department", "city", "country",
    "usageLocation", "employeeId", "userType", "mailNickname", "companyName", "officeLocation", "createdDateTime", "preferredLanguage",
    "businessPhones", "mobilePhone", "proxyAddresses", "otherMails",
];

fn bad_skiptoken(ctx: &Ctx) -> Resp {
    ctx.err(400, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
}

#[allow(clippy::too_many_arguments)]
fn users_route(sh: &Shared, ctx: &Ctx, app: &AppIdentity, m: &str, segs: &[String], l: &[&str], q: &Q, body: &[u8]) -> Resp {
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
                    for k in patch.keys() {
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

/// Put @odata.* annotations first, like the service does.
pub fn reorder_context(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m.iter().filter(|(k, _)| k.starts_with("@odata.")) {
                out.insert(k.clone(), v.clone());
            }
            for (k, v) in m.into_iter().filter(|(k, _)| !k.starts_with("@odata.")) {
                out.insert(k, v);
            }
            Value::Object(out)
        }
        v => v,
    }
}

fn create_user(sh: &Shared, ctx: &Ctx, body: &[u8]) -> Resp {
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

fn list_users(sh: &Shared, ctx: &Ctx, q: &Q) -> Resp {
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
    let sel = q.get("select").map(odata::parse_select);
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

fn sync_state_not_found(ctx: &Ctx) -> Resp {
    ctx.err(400, "syncStateNotFound", "The delta token is invalid or has expired; the sync state was not found. Start a new delta round without a token.")
}

fn users_delta(sh: &Shared, ctx: &Ctx, q: &Q) -> Resp {
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

/// Page an in-memory collection. `skip_style`: Outlook-style `$skip` links, else sealed `$skiptoken`.
#[allow(clippy::too_many_arguments)]
pub fn page_values(sh: &Shared, ctx: &Ctx, q: &Q, items: Vec<Value>, context: &str, link_path: &str, default_top: usize, max_top: usize, skip_style: bool) -> Resp {
    let top = match parse_top(ctx, q, default_top, max_top, !skip_style) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let off = if skip_style {
        match q.get("skip") {
            None => 0,
            Some(s) => match s.parse::<usize>() {
                Ok(n) => n,
                Err(_) => return ctx.err(400, "BadRequest", &format!("Invalid value '{s}' for $skip query option found. The $skip query option requires a non-negative integer value.")),
            },
        }
    } else {
        match q.get("skiptoken") {
            None => 0,
            Some(s) => match unseal(&sh.key, s) {
                Some(v) if v["k"] == "o" => v["o"].as_u64().unwrap_or(0) as usize,
                _ => return bad_skiptoken(ctx),
            },
        }
    };
    let count = q.get("count").map(|c| c.eq_ignore_ascii_case("true")).unwrap_or(false);
    let total = items.len();
    let sel = q.get("select").map(odata::parse_select);
    let page: Vec<Value> = items
        .into_iter()
        .skip(off)
        .take(top)
        .map(|v| match &sel {
            Some(s) => project_value(&v, s),
            None => v,
        })
        .collect();
    let mut out = Map::new();
    out.insert("@odata.context".into(), json!(context));
    if count {
        out.insert("@odata.count".into(), json!(total));
    }
    if off + top < total {
        let link = if skip_style {
            format!("{}{}?{}", ctx.root(), link_path, q.link(&["skip"], &[("%24skip", (off + top).to_string())]))
        } else {
            format!("{}{}?{}", ctx.root(), link_path, q.link(&["skiptoken"], &[("$skiptoken", seal(&sh.key, &json!({"k": "o", "o": off + top})))]))
        };
        out.insert("@odata.nextLink".into(), json!(link));
    }
    out.insert("value".into(), Value::Array(page));
    Resp::json(200, &Value::Object(out))
}

/// $select on a JSON object: keep selected keys plus id and @odata.* annotations.
pub fn project_value(v: &Value, sel: &[String]) -> Value {
    let Value::Object(m) = v else { return v.clone() };
    let out: Map<String, Value> = m
        .iter()
        .filter(|(k, _)| k.starts_with('@') || *k == "id" || sel.iter().any(|s| s.eq_ignore_ascii_case(k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Value::Object(out)
}

/// Apply $filter and $orderby to an in-memory collection (Outlook-style, lenient).
pub fn filter_sort(ctx: &Ctx, q: &Q, mut items: Vec<Value>) -> Result<Vec<Value>, Resp> {
    if let Some(f) = q.get("filter") {
        let e = odata::parse(f).map_err(|m| ctx.err(400, "BadRequest", &format!("Invalid filter clause: {m}")))?;
        items.retain(|v| odata::eval(&e, v));
    }
    if let Some(o) = q.get("orderby") {
        let keys = odata::parse_orderby(o);
        items.sort_by(|a, b| odata::compare_by(a, b, &keys));
    }
    Ok(items)
}

fn groups_route(sh: &Shared, ctx: &Ctx, m: &str, segs: &[String], l: &[&str], q: &Q) -> Resp {
    if m != "GET" {
        return method_not_allowed(ctx);
    }
    let find = |id: &str| (0..GROUPS.len()).find(|g| group_id(*g).eq_ignore_ascii_case(id));
    match l {
        ["groups"] => {
            let filter = match dir_filter(ctx, q, "Group", &["id", "displayName", "mail", "mailNickname", "securityEnabled", "mailEnabled", "groupTypes", "visibility"]) {
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

fn apps_route(sh: &Shared, ctx: &Ctx, m: &str, segs: &[String], l: &[&str], q: &Q) -> Resp {
    if m != "GET" {
        return method_not_allowed(ctx);
    }
    let apps: Vec<Value> = lock(&sh.tenant).apps.iter().map(|a| a.to_json()).collect();
    match l {
        ["applications"] => {
            let filter = match dir_filter(ctx, q, "Application", &["id", "appId", "displayName", "signInAudience", "publisherDomain"]) {
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

fn sites_route(sh: &Shared, ctx: &Ctx, m: &str, segs: &[String], l: &[&str], q: &Q) -> Resp {
    if m != "GET" {
        return ctx.err(403, "accessDenied", "Access denied");
    }
    let t = lock(&sh.tenant);
    let find_site = |key: &str| -> Option<usize> {
        if key.eq_ignore_ascii_case("root") {
            return Some(0);
        }
        t.sites.iter().position(|s| s.id.eq_ignore_ascii_case(key) || s.id.split(',').nth(1).map(|g| g.eq_ignore_ascii_case(key)).unwrap_or(false))
    };
    let item_not_found = || ctx.err(404, "itemNotFound", "Item not found");
    match l {
        ["sites"] => {
            let items: Vec<Value> = t.sites.iter().map(site_json).collect();
            drop(t);
            page_values(sh, ctx, q, items, &format!("{}/$metadata#sites", ctx.root()), "/sites", 200, 999, false)
        }
        ["sites", _] => {
            let Some(s) = find_site(&segs[1]) else { return item_not_found() };
            let mut v = site_json(&t.sites[s]);
            v["@odata.context"] = json!(format!("{}/$metadata#sites/$entity", ctx.root()));
            Resp::json(200, &reorder_context(v))
        }
        ["sites", _, "lists"] => {
            let Some(s) = find_site(&segs[1]) else { return item_not_found() };
            let site = &t.sites[s];
            let items = site_lists(site);
            let ctxs = format!("{}/$metadata#sites('{}')/lists", ctx.root(), pct_encode(&site.id));
            drop(t);
            page_values(sh, ctx, q, items, &ctxs, &format!("/sites/{}/lists", segs[1]), 200, 999, false)
        }
        ["sites", _, "lists", _, rest @ ..] => {
            let Some(s) = find_site(&segs[1]) else { return item_not_found() };
            let site = &t.sites[s];
            let lists = site_lists(site);
            let Some(li) = lists.iter().position(|x| {
                x["id"].as_str().map(|i| i.eq_ignore_ascii_case(&segs[3])).unwrap_or(false) || x["displayName"].as_str().map(|n| n.eq_ignore_ascii_case(&segs[3])).unwrap_or(false)
            }) else {
                return item_not_found();
            };
            let expand_fields = q.get("expand").map(|e| e.to_lowercase().starts_with("fields")).unwrap_or(false);
            let list_ctx = format!("{}/$metadata#sites('{}')/lists('{}')", ctx.root(), pct_encode(&site.id), lists[li]["id"].as_str().unwrap_or(""));
            let strip = |mut v: Value| {
                if !expand_fields {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("fields");
                    }
                }
                v
            };
            match rest {
                [] => {
                    let mut v = lists[li].clone();
                    v["@odata.context"] = json!(format!("{}/$metadata#sites('{}')/lists/$entity", ctx.root(), pct_encode(&site.id)));
                    Resp::json(200, &reorder_context(v))
                }
                ["items"] => {
                    let items: Vec<Value> = list_items(site, li).into_iter().map(strip).collect();
                    drop(t);
                    page_values(sh, ctx, q, items, &format!("{list_ctx}/items"), &format!("/sites/{}/lists/{}/items", segs[1], segs[3]), 200, 999, false)
                }
                ["items", id] => match list_items(site, li).into_iter().find(|i| i["id"] == *id) {
                    Some(v) => {
                        let mut v = strip(v);
                        v["@odata.context"] = json!(format!("{list_ctx}/items/$entity"));
                        Resp::json(200, &reorder_context(v))
                    }
                    None => item_not_found(),
                },
                [x, ..] => bad_segment(ctx, x),
            }
        }
        ["sites", _, x, ..] => bad_segment(ctx, x),
        _ => bad_segment(ctx, &segs[0]),
    }
}

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
