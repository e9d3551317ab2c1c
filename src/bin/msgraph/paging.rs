//! Page-by-page GETs: follows @odata.nextLink with one library request per
//! page (so a progress line can show "page N, M items") and keeps the last
//! page's @odata.deltaLink.

use crate::Ctx;
use msgraph::response::Response;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::io::Write;

#[derive(Deserialize)]
struct Page {
    value: Option<Vec<Box<RawValue>>>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    delta_link: Option<String>,
    #[serde(rename = "@odata.context")]
    context: Option<String>,
}

/// Why paging stopped early.
pub enum Failure {
    /// The library refused the call (nothing was sent).
    Refused(msgraph::error::Error),
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

/// GETs `url` and, when `all`, every following page (up to `max_items`).
pub fn fetch(ctx: &Ctx, url: &str, headers: &[(String, String)], all: bool, max_items: Option<usize>, label: &str) -> Result<Paged, Failure> {
    let opts = options(headers);
    let mut out = Paged { items: Vec::new(), pages: 0, context: None, delta_link: None, entity: None, more: false };
    let mut progress = Progress { on: ctx.progress, drawn: false };
    let mut next = Some(url.to_string());
    let limit = max_items.unwrap_or(usize::MAX);
    while let Some(u) = next.take() {
        out.pages += 1;
        let r = msgraph::api::request(&ctx.cred, "GET", &u, None, opts.as_deref()).map_err(Failure::Refused)?;
        if !(200..300).contains(&r.status) {
            return Err(Failure::Answer(r, out.pages));
        }
        let page: Page = match serde_json::from_slice(&r.body) {
            Ok(p) => p,
            Err(_) if out.pages == 1 => {
                out.entity = Some(r.body);
                return Ok(out);
            }
            Err(e) => {
                let err = msgraph::error::Error::new(msgraph::status::MSGRAPH_ERR_TRANSPORT, format!("page {} is not JSON: {e}", out.pages));
                return Err(Failure::Refused(err));
            }
        };
        let Some(values) = page.value else {
            if out.pages == 1 {
                out.entity = Some(r.body);
                return Ok(out);
            }
            let err = msgraph::error::Error::new(msgraph::status::MSGRAPH_ERR_TRANSPORT, format!("page {} has no 'value' array", out.pages));
            return Err(Failure::Refused(err));
        };
        if out.pages == 1 {
            out.context = page.context;
        }
        for v in values {
            if out.items.len() >= limit {
                out.more = true;
                break;
            }
            out.items.push(v);
        }
        progress.show(label, out.pages, out.items.len());
        if page.delta_link.is_some() {
            out.delta_link = page.delta_link;
        }
        if let Some(n) = page.next_link.filter(|s| !s.is_empty()) {
            if all && out.items.len() < limit {
                next = Some(n);
            } else {
                out.more = true;
            }
        }
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
