//! OData query options: parsing, filtering, ordering, projection and paging.

use crate::errors::*;
use crate::odata;
use crate::state::{Ctx, Resp, Shared};
use crate::token::{seal, unseal};
use crate::util::*;
use serde_json::{json, Map, Value};

/// Parsed query string: raw pairs (original spelling) with normalized lookup.
#[derive(Clone, Debug, Default)]
pub struct Q {
    pub pairs: Vec<(String, String)>,
}

impl Q {
    pub fn parse(raw: &str) -> Q {
        Q { pairs: parse_pairs(raw, true) }
    }
    pub(crate) fn norm(k: &str) -> String {
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

pub(crate) fn parse_top(ctx: &Ctx, q: &Q, default: usize, max: usize, directory: bool) -> Result<usize, Resp> {
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

pub(crate) fn max_page_size(ctx: &Ctx) -> Option<usize> {
    let p = ctx.hdr("prefer")?;
    for part in p.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("odata.maxpagesize=") {
            return v.trim().parse().ok().filter(|n: &usize| *n > 0);
        }
    }
    None
}

pub(crate) fn eventual(ctx: &Ctx) -> bool {
    ctx.hdr("consistencylevel").map(|v| v.eq_ignore_ascii_case("eventual")).unwrap_or(false)
}

pub(crate) fn select_suffix(sel: &Option<Vec<String>>) -> String {
    match sel {
        Some(s) => format!("({})", s.join(",")),
        None => String::new(),
    }
}

/// Validate a $filter for a directory resource. `props` lists filterable properties.
pub(crate) fn dir_filter(ctx: &Ctx, q: &Q, resource: &str, allowed: &[&str]) -> Result<Option<odata::Expr>, Resp> {
    let Some(f) = q.get("filter") else { return Ok(None) };
    let e = odata::parse(f).map_err(|m| ctx.err(400, "BadRequest", &format!("Invalid filter clause: {m}")))?;
    if !(eventual(ctx) && q.get("count").map(|c| c.eq_ignore_ascii_case("true")).unwrap_or(false)) {
        // `ne` and `not` are advanced queries on directory objects: ConsistencyLevel: eventual and $count=true.
        if let Some(op) = advanced_op(&e) {
            return Err(ctx.err(400, "Request_UnsupportedQuery", &format!("Filter operator '{op}' is not supported.")));
        }
    }
    literal_types(ctx, &e)?;
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
pub(crate) fn parse_search(ctx: &Ctx, q: &Q) -> Result<Option<Vec<(String, String)>>, Resp> {
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

pub(crate) fn search_match(v: &Value, terms: &[(String, String)]) -> bool {
    terms.iter().any(|(k, t)| {
        odata::get_path(v, k)
            .as_str()
            .map(|s| s.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|w| w.starts_with(t.as_str())) || s.to_lowercase().starts_with(t.as_str()))
            .unwrap_or(false)
    })
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

/// The first operator in a filter that only the advanced query engine serves (Graph's own names for them).
fn advanced_op(e: &odata::Expr) -> Option<&'static str> {
    match e {
        odata::Expr::Not(_) => Some("Not"),
        odata::Expr::Cmp(_, op, _) if op == "ne" => Some("NotEqualsMatch"),
        odata::Expr::And(a, b) | odata::Expr::Or(a, b) => advanced_op(a).or_else(|| advanced_op(b)),
        _ => None,
    }
}

/// `$select` names must be properties of the entity, as Graph checks them.
pub(crate) fn known_select(ctx: &Ctx, sel: &[String], known: &[&str]) -> Result<(), Resp> {
    for s in sel {
        if s != "id" && !s.starts_with('@') && !known.iter().any(|k| k.eq_ignore_ascii_case(s)) {
            return Err(ctx.err(400, "Request_BadRequest", &format!("Could not find a property named '{s}' on type 'microsoft.graph.user'.")));
        }
    }
    Ok(())
}

/// System query options Graph knows. Any other `$`-option is refused, as Graph refuses it.
const SYSTEM_OPTIONS: &[&str] = &["select", "filter", "orderby", "top", "skip", "skiptoken", "deltatoken", "count", "search", "expand", "format"];

pub(crate) fn unknown_option(ctx: &Ctx, q: &Q) -> Option<Resp> {
    for (k, _) in &q.pairs {
        if let Some(name) = k.strip_prefix('$') {
            if !SYSTEM_OPTIONS.contains(&name.to_ascii_lowercase().as_str()) {
                return Some(ctx.err(400, "BadRequest", &format!("The query parameter '{k}' is not supported.")));
            }
        }
    }
    None
}

const BOOLEAN_PROPS: &[&str] = &["accountEnabled", "securityEnabled", "mailEnabled", "isAssignableToRole"];
const COLLECTION_PROPS: &[&str] = &["businessPhones", "proxyAddresses", "otherMails", "groupTypes", "identifierUris"];

/// A literal of the wrong type for its property is refused with OData's message, as Graph does.
fn literal_types(ctx: &Ctx, e: &odata::Expr) -> Result<(), Resp> {
    use odata::{Expr, Lit};
    match e {
        Expr::And(a, b) | Expr::Or(a, b) => {
            literal_types(ctx, a)?;
            literal_types(ctx, b)
        }
        Expr::Not(a) => literal_types(ctx, a),
        Expr::Func(..) => Ok(()),
        Expr::Cmp(p, op, lit) => {
            if COLLECTION_PROPS.iter().any(|c| c.eq_ignore_ascii_case(p)) {
                return Ok(());
            }
            let want = if BOOLEAN_PROPS.iter().any(|b| b.eq_ignore_ascii_case(p)) { "Edm.Boolean" } else { "Edm.String" };
            let got = match lit {
                Lit::Null => return Ok(()),
                Lit::Str(_) => "Edm.String",
                Lit::Bool(_) => "Edm.Boolean",
                Lit::Num(n) if n.fract() == 0.0 => "Edm.Int32",
                Lit::Num(_) => "Edm.Double",
            };
            if want == got || want == "Edm.String" && p.eq_ignore_ascii_case("createdDateTime") {
                return Ok(());
            }
            let kind = match op.as_str() {
                "eq" => "Equal",
                "ne" => "NotEqual",
                "gt" => "GreaterThan",
                "ge" => "GreaterThanOrEqual",
                "lt" => "LessThan",
                _ => "LessThanOrEqual",
            };
            Err(ctx.err(400, "BadRequest", &format!("A binary operator with incompatible types was detected. Found operand types '{want}' and '{got}' for operator kind '{kind}'.")))
        }
    }
}
