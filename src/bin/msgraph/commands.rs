//! token, get, request, batch, delta.

use crate::args::Args;
use crate::out::{self, cell, pairs, table};
use crate::paging::{self, Failure, Paged};
use crate::*;
use serde_json::{json, Map, Value};

/// The token's facts and claims; the raw token only with --show-token.
pub fn token(ctx: &Ctx, args: &Args) -> i32 {
    let mut o = Map::new();
    if args.switch("show-token") {
        o.insert("include_token".into(), json!(true));
    }
    if args.switch("refresh") {
        o.insert("force_refresh".into(), json!(true));
    }
    let r = match msgraph::token_info(&ctx.cred, Some(&Value::Object(o).to_string())) {
        Ok(r) => r,
        Err(e) => return report_error("token", &e),
    };
    if r.status != 200 {
        return report(ctx, "token", &r);
    }
    if ctx.json {
        print_bytes(&r.body);
        return EXIT_OK;
    }
    let d = body_json(&r);
    print!("{}", token_pairs(&d));
    if let Some(t) = d["access_token"].as_str() {
        println!("access_token {t}");
    }
    EXIT_OK
}

/// The readable lines of a token_info document.
pub fn token_pairs(d: &Value) -> String {
    let c = &d["claims"];
    let roles: Vec<String> = c["roles"].as_array().map(|a| a.iter().map(cell).collect()).unwrap_or_default();
    let exp = d["expires_on"].as_i64().unwrap_or(0);
    pairs(&[
        ("credential", cell(&d["credential"])),
        ("app", format!("{} (appid {})", cell(&c["app_displayname"]), cell(&c["appid"]))),
        ("tenant", cell(&c["tid"])),
        ("audience", cell(&c["aud"])),
        (
            "roles",
            if roles.is_empty() { "(none: grant application permissions and admin consent)".into() } else { format!("({}) {}", roles.len(), roles.join(", ")) },
        ),
        ("expires", format!("{} (in {} s)", out::format_utc(exp), cell(&d["expires_in"]))),
        ("source", cell(&d["source"])),
    ])
}

/// Columns for a collection's table: --columns, or the familiar ones
/// present in the first items.
fn columns(args: &Args, items: &[Value]) -> Vec<String> {
    if let Some(c) = args.value("columns") {
        return c.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    }
    let has = |k: &str| items.iter().take(20).any(|i| !i[k].is_null());
    let preferred = ["displayName", "userPrincipalName", "mail", "subject", "name", "title", "id"];
    let mut cols: Vec<String> = preferred.iter().filter(|k| has(k)).take(4).map(|s| s.to_string()).collect();
    if cols.is_empty() {
        if let Some(Value::Object(m)) = items.first() {
            cols = m.iter().filter(|(k, v)| !k.starts_with('@') && !v.is_object() && !v.is_array()).take(4).map(|(k, _)| k.clone()).collect();
        }
    }
    cols
}

fn print_collection(args: &Args, p: &Paged, with_change: bool) {
    let items = p.values();
    let cols = columns(args, &items);
    let mut headers: Vec<&str> = Vec::new();
    if with_change {
        headers.push("change");
    }
    headers.extend(cols.iter().map(String::as_str));
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            let mut row = Vec::new();
            if with_change {
                row.push(match &i["@removed"] {
                    Value::Null => "changed".to_string(),
                    r => format!("removed ({})", r["reason"].as_str().unwrap_or("deleted")),
                });
            }
            row.extend(cols.iter().map(|c| cell(&i[c.as_str()])));
            row
        })
        .collect();
    if !rows.is_empty() {
        print!("{}", table(&headers, &rows));
    }
}

fn parse_count(args: &Args, key: &str) -> Result<Option<usize>, i32> {
    match args.value(key) {
        None => Ok(None),
        Some(v) => v.parse::<usize>().map(Some).map_err(|_| {
            eprintln!("msgraph: --{key} needs a number, not '{v}'");
            EXIT_USAGE
        }),
    }
}

fn headers(args: &Args) -> Result<Vec<(String, String)>, i32> {
    paging::parse_headers(args.values("header")).map_err(|e| {
        eprintln!("msgraph: {e}");
        EXIT_USAGE
    })
}

/// GET, one page or (--all) every page.
pub fn get(ctx: &Ctx, args: &Args) -> i32 {
    let url = &args.positional[0];
    let max = match parse_count(args, "max-items") {
        Ok(m) => m,
        Err(c) => return c,
    };
    let hs = match headers(args) {
        Ok(h) => h,
        Err(c) => return c,
    };
    let p = match paging::fetch(ctx, url, &hs, args.switch("all"), max, "GET") {
        Ok(p) => p,
        Err(f) => return paging::report(ctx, &format!("GET {url}"), &f),
    };
    if ctx.json {
        print_bytes(&p.document());
        return EXIT_OK;
    }
    match &p.entity {
        Some(body) => match serde_json::from_slice::<Value>(body) {
            Ok(v) => println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default()),
            Err(_) => print_bytes(body),
        },
        None => {
            print_collection(args, &p, false);
            let pages = if p.pages == 1 { "1 page".to_string() } else { format!("{} pages", p.pages) };
            let more = if p.more && !args.switch("all") {
                " (more pages: add --all)"
            } else if p.more {
                " (stopped at --max-items)"
            } else {
                ""
            };
            println!("{} in {pages}{more}", plural(p.items.len(), "item"));
            if let Some(d) = &p.delta_link {
                println!("deltaLink: {d}");
            }
        }
    }
    EXIT_OK
}

fn read_input(path: &str) -> Result<Vec<u8>, String> {
    if path == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b).map_err(|e| format!("reading stdin: {e}"))?;
        Ok(b)
    } else {
        std::fs::read(path).map_err(|e| format!("reading {path}: {e}"))
    }
}

/// Any method, with an optional body from a file or stdin.
pub fn request(ctx: &Ctx, args: &Args) -> i32 {
    let (method, url) = (&args.positional[0], &args.positional[1]);
    let hs = match headers(args) {
        Ok(h) => h,
        Err(c) => return c,
    };
    let body = match args.value("body").map(read_input).transpose() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("msgraph: {e}");
            return EXIT_USAGE;
        }
    };
    let what = format!("{} {url}", method.to_ascii_uppercase());
    let r = match msgraph::request(&ctx.cred, method, url, body, paging::options(&hs).as_deref()) {
        Ok(r) => r,
        Err(e) => return report_error(&what, &e),
    };
    if !(200..300).contains(&r.status) {
        return report(ctx, &what, &r);
    }
    if ctx.json {
        if !r.body.is_empty() {
            print_bytes(&r.body);
        }
        return EXIT_OK;
    }
    println!("HTTP {}", r.status);
    if !r.body.is_empty() {
        match serde_json::from_slice::<Value>(&r.body) {
            Ok(v) => println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default()),
            Err(_) => print_bytes(&r.body),
        }
    }
    EXIT_OK
}

/// One line about a batch item's body.
fn item_summary(status: i64, body: &Value) -> String {
    if status >= 400 || !body["error"].is_null() {
        let e = &body["error"];
        return format!("{}: {}", cell(&e["code"]), cell(&e["message"]));
    }
    if let Some(a) = body["value"].as_array() {
        return plural(a.len(), "item");
    }
    for k in ["displayName", "subject", "name", "id"] {
        if let Some(s) = body[k].as_str() {
            return s.to_string();
        }
    }
    String::new()
}

/// $batch from a file.
pub fn batch(ctx: &Ctx, args: &Args) -> i32 {
    let text = match read_input(&args.positional[0]).and_then(|b| String::from_utf8(b).map_err(|_| "the batch file is not UTF-8".into())) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("msgraph: {e}");
            return EXIT_USAGE;
        }
    };
    let r = match msgraph::batch(&ctx.cred, &text, None) {
        Ok(r) => r,
        Err(e) => return report_error("batch", &e),
    };
    if r.status != 200 {
        return report(ctx, "batch", &r);
    }
    let doc = body_json(&r);
    let responses = doc["responses"].as_array().cloned().unwrap_or_default();
    let failed = responses.iter().filter(|i| i["status"].as_i64().unwrap_or(0) >= 400).count();
    if ctx.json {
        print_bytes(&r.body);
    } else {
        let rows: Vec<Vec<String>> = responses
            .iter()
            .map(|i| {
                let status = i["status"].as_i64().unwrap_or(0);
                vec![cell(&i["id"]), status.to_string(), item_summary(status, &i["body"])]
            })
            .collect();
        print!("{}", table(&["id", "status", "result"], &rows));
        println!("{}, {} failed", plural(responses.len(), "response"), failed);
    }
    if failed > 0 {
        eprintln!("msgraph: batch: {failed} of {} requests failed", responses.len());
        EXIT_HTTP
    } else {
        EXIT_OK
    }
}

fn is_resync(f: &Failure) -> bool {
    match f {
        Failure::Refused(e) => e.status == msgraph::status::MSGRAPH_ERR_RESYNC,
        // The library marks expired delta tokens (410, syncStateNotFound,
        // resyncRequired) with x-msgraph-reason.
        Failure::Answer(r, _) => {
            r.status == msgraph::status::MSGRAPH_ERR_RESYNC
                || r.headers.iter().any(|(k, v)| k == "x-msgraph-reason" && v == "resync-required")
        }
    }
}

/// Writes `text` to `path` atomically: a 0600 temporary file beside it
/// (tempfile: O_EXCL, removed on every way out), then a rename.
fn write_private(path: &str, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match std::path::Path::new(path).parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Follows a delta query to its deltaLink.
pub fn delta(ctx: &Ctx, args: &Args) -> i32 {
    let state = args.value("state");
    let stored = match state {
        Some(f) => std::fs::read_to_string(f).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        None => None,
    };
    let start = match (args.value("link"), stored, args.positional.first()) {
        (Some(l), _, None) => l.to_string(),
        (Some(_), _, Some(_)) => {
            eprintln!("msgraph: delta: give a URL or --link, not both");
            return EXIT_USAGE;
        }
        (None, Some(s), _) => s,
        (None, None, Some(u)) => u.clone(),
        (None, None, None) => {
            eprintln!("msgraph: delta: give the delta URL (e.g. /users/delta), --link DELTALINK or --state FILE with a stored link");
            return EXIT_USAGE;
        }
    };
    let hs = match headers(args) {
        Ok(h) => h,
        Err(c) => return c,
    };
    let p = match paging::fetch(ctx, &start, &hs, true, None, "delta") {
        Ok(p) => p,
        Err(f) if is_resync(&f) => {
            if let Failure::Answer(r, _) = &f {
                if ctx.json {
                    print_bytes(&r.body);
                }
                eprintln!("msgraph: delta: {}", describe(r));
            }
            eprintln!(
                "msgraph: delta: the delta link is no longer valid (MSGRAPH_ERR_RESYNC): full resync required: run the original delta query again (e.g. msgraph delta /users/delta) and replace the stored link"
            );
            if let (Some(f), Some(_)) = (state, args.positional.first()) {
                if write_private(f, "").is_ok() {
                    eprintln!("msgraph: delta: cleared {f}: the next run starts a full sync from {}", args.positional[0]);
                }
            }
            return EXIT_RESYNC;
        }
        Err(f) => return paging::report(ctx, "delta", &f),
    };
    let Some(link) = p.delta_link.clone() else {
        eprintln!("msgraph: delta: the last page has no @odata.deltaLink: {start} is not a delta query");
        return EXIT_USAGE;
    };
    if let Some(f) = state {
        if let Err(e) = write_private(f, &format!("{link}\n")) {
            eprintln!("msgraph: delta: cannot store the deltaLink in {f}: {e}");
            return EXIT_CONFIG;
        }
    }
    if ctx.json {
        print_bytes(&p.document());
        return EXIT_OK;
    }
    print_collection(args, &p, true);
    println!("{} in {}", plural(p.items.len(), "change"), plural(p.pages as usize, "page"));
    println!("deltaLink: {link}");
    if let Some(f) = state {
        println!("stored in {f}");
    }
    EXIT_OK
}
