//! GETs through the library's one paging engine (`all_pages`, with its
//! safety stops), drawing a progress line ("page N, M items") from its page
//! callback, and keeping the last page's @odata.deltaLink.

use crate::Ctx;
use msgraph::Response;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::io::Write;

/// Why paging stopped early.
pub enum Failure {
    /// The library refused the call (nothing was sent).
    Refused(msgraph::Error),
    /// An answer that is not a success, and the page it ended.
    Answer(Response, u32),
}

/// Every item of a collection, or the single answer of a non-collection.
pub struct Paged {
    /// Items as Graph sent them (raw JSON text).
    pub items: Vec<Box<RawValue>>,
    pub pages: u32,
    pub context: Option<String>,
    pub delta_link: Option<String>,
    /// The body of an answer with no "value" array (an entity, not a collection).
    pub entity: Option<Vec<u8>>,
    /// A next page exists but was not fetched (max_items or one page only).
    pub more: bool,
}

impl Paged {
    /// The merged document as JSON text: {"@odata.context"?, "value":[…],
    /// "@odata.deltaLink"?}, items unchanged; an entity's body as received.
    pub fn document(&self) -> Vec<u8> {
        if let Some(e) = &self.entity {
            return e.clone();
        }
        let mut out = String::from("{");
        if let Some(c) = &self.context {
            out.push_str(&format!("\"@odata.context\":{},", json!(c)));
        }
        out.push_str("\"value\":[");
        for (i, v) in self.items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(v.get());
        }
        out.push(']');
        if let Some(d) = &self.delta_link {
            out.push_str(&format!(",\"@odata.deltaLink\":{}", json!(d)));
        }
        out.push('}');
        out.into_bytes()
    }

    /// The items parsed, for tables.
    pub fn values(&self) -> Vec<Value> {
        self.items.iter().map(|v| serde_json::from_str(v.get()).unwrap_or(Value::Null)).collect()
    }
}

/// Options JSON with extra request headers.
pub fn options(headers: &[(String, String)]) -> Option<String> {
    if headers.is_empty() {
        return None;
    }
    let h: Map<String, Value> = headers.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    Some(json!({ "headers": h }).to_string())
}

/// Parses repeated --header "Name: value" options.
pub fn parse_headers(raw: &[String]) -> Result<Vec<(String, String)>, String> {
    raw.iter()
        .map(|h| match h.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
            _ => Err(format!("--header '{h}' is not 'Name: value'")),
        })
        .collect()
}

struct Progress {
    on: bool,
    drawn: bool,
}

impl Progress {
    fn show(&mut self, label: &str, page: u32, items: usize) {
        if self.on {
            eprint!("\r{label}: page {page}, {items} items\x1b[K");
            let _ = std::io::stderr().flush();
            self.drawn = true;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.drawn {
            eprint!("\r\x1b[K");
            let _ = std::io::stderr().flush();
        }
    }
}

/// GETs `url` and, when `all`, every following page (up to `max_items`),
/// through the library's own paging engine (`all_pages`, with its safety
/// stops), drawing the progress line from its page callback.
pub fn fetch(ctx: &Ctx, url: &str, headers: &[(String, String)], all: bool, max_items: Option<usize>, label: &str) -> Result<Paged, Failure> {
    let mut opts = match options(headers) {
        Some(o) => serde_json::from_str::<Value>(&o).unwrap_or_else(|_| json!({})),
        None => json!({}),
    };
    if all {
        opts["all_pages"] = json!(true);
        if let Some(m) = max_items {
            opts["max_items"] = json!(m.max(1));
        }
    }
    let opts = opts.to_string();
    let mut progress = Progress { on: ctx.progress, drawn: false };
    let r = msgraph::request_with_progress(&ctx.cred, "GET", url, None, Some(&opts), &mut |pages, items| {
        progress.show(label, pages, items as usize)
    })
    .map_err(Failure::Refused)?;
    drop(progress);
    let header = |name: &str| r.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let pages: u32 = header("x-msgraph-pages").and_then(|p| p.parse().ok()).unwrap_or(1);
    if !(200..300).contains(&r.status) {
        return Err(Failure::Answer(r, pages));
    }
    let merged = all && header("x-msgraph-pages").is_some();
    let more_header = header("x-msgraph-more").is_some();
    let mut out = Paged { items: Vec::new(), pages, context: None, delta_link: None, entity: None, more: false };
    let page: msgraph::Page = match serde_json::from_slice(&r.body) {
        Ok(p) => p,
        Err(_) => {
            out.entity = Some(r.body);
            return Ok(out);
        }
    };
    let Some(values) = page.value else {
        out.entity = Some(r.body);
        return Ok(out);
    };
    out.context = page.context;
    out.delta_link = page.delta_link;
    let limit = max_items.unwrap_or(usize::MAX);
    for v in values {
        if out.items.len() >= limit {
            out.more = true;
            break;
        }
        out.items.push(v.to_owned());
    }
    if merged {
        out.more |= more_header;
    } else if page.next_link.is_some_and(|s| !s.is_empty()) {
        out.more = true;
    }
    if !merged {
        let mut p = Progress { on: ctx.progress, drawn: false };
        p.show(label, 1, out.items.len());
    }
    Ok(out)
}

/// Prints a paging failure and returns its exit code.
pub fn report(ctx: &Ctx, what: &str, f: &Failure) -> i32 {
    match f {
        Failure::Refused(e) => crate::report_error(what, e),
        Failure::Answer(r, page) if *page > 1 => crate::report(ctx, &format!("{what} (page {page})"), r),
        Failure::Answer(r, _) => crate::report(ctx, what, r),
    }
}
