//! `all_pages`: follows `@odata.nextLink` and merges the pages into one
//! `{"value":[…]}` document.
//!
//! Items are copied as raw JSON text, never parsed into values, so the merged
//! document costs about its own size in memory plus one page. The token and
//! the caller's headers go with every page (Graph SDK page iterators drop the
//! headers); a nextLink off the Graph origin is refused.

use crate::error::{Error, Result};
use crate::graph::{self, Call};
use crate::response::Response;
use crate::status::*;
use crate::transport::RawResponse;
use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::value::RawValue;

/// One page of a Graph collection, items left as raw JSON text borrowed
/// from the body (also how the CLI reads a merged document).
#[derive(Deserialize)]
pub struct Page<'a> {
    /// The items, absent for an entity.
    #[serde(borrow)]
    pub value: Option<Vec<&'a RawValue>>,
    /// The next page.
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    /// The delta link of a delta query's last page.
    #[serde(rename = "@odata.deltaLink")]
    pub delta_link: Option<String>,
    /// The collection's context URL.
    #[serde(rename = "@odata.context")]
    pub context: Option<String>,
}

/// What ended a page loop early, as a library failure when the HTTP answer
/// itself cannot be the result.
fn page_failure(resp: RawResponse, page: u32) -> Result<Response> {
    let inner: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or(serde_json::Value::Null);
    let resync = crate::response::reason_of(resp.status, &inner) == Some(crate::response::RESYNC_REASON);
    if resync {
        let code = inner.get("error").and_then(|e| e.get("code")).and_then(|c| c.as_str()).unwrap_or("");
        let said = if code.is_empty() { format!("HTTP {}", resp.status) } else { format!("HTTP {}, {code}", resp.status) };
        let mut e = Error::new(
            MSGRAPH_ERR_RESYNC,
            format!("the delta token is no longer valid ({said}): start again from the original delta URL (full resync)"),
        )
        .with("http_status", resp.status)
        .with("page", page);
        if let Some(loc) = resp.header("location") {
            e = e.with("location", loc);
        }
        if !inner.is_null() {
            e = e.with("graph_error", inner);
        }
        return Err(e);
    }
    if resp.status == 429 && page > 1 {
        let mut e = Error::new(
            MSGRAPH_ERR_THROTTLED,
            format!("page {page} was still throttled when the retries ran out"),
        )
        .with("http_status", 429)
        .with("page", page);
        if let Some(ra) = resp.header("retry-after") {
            e = e.with("retry_after", ra);
        }
        if !inner.is_null() {
            e = e.with("graph_error", inner);
        }
        return Err(e);
    }
    let mut r = Response::from_http(resp);
    r.set_header("x-msgraph-pages", page.to_string());
    Ok(r)
}

fn push_json_string(out: &mut Vec<u8>, s: &str) {
    // serde_json writes a valid JSON string; it cannot fail for &str.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Most pages one all_pages call follows (999 items a page: ~100 million).
pub(crate) const MAX_PAGES: u32 = 100_000;

/// Fetches `url` and every following page, within `max_response_bytes` for
/// the merged document and [`MAX_PAGES`] pages: a service whose nextLink
/// never ends cannot exhaust the process. Calls `progress(pages, items)`
/// after each page (the CLI's progress line). A merge stopped by `max_items` while the service
/// had more carries the header `x-msgraph-more: true`.
pub fn all_pages_with(call: &mut Call, url: Url, progress: &mut dyn FnMut(u32, u64)) -> Result<Response> {
    let mut more = false;
    let max_items = call.options.max_items.unwrap_or(u64::MAX);
    let origin = call.cred.config.graph_base_url.clone();
    let mut out: Vec<u8> = Vec::new();
    let mut items: u64 = 0;
    let mut pages: u32 = 0;
    let mut next = Some(url);
    let mut delta_link: Option<String> = None;
    let mut last_headers = Vec::new();
    let max_bytes = call.cred.config.max_response_bytes;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(Error::new(MSGRAPH_ERR_TOO_LARGE, format!("more than {MAX_PAGES} pages: use max_items or page with single requests"))
                .with("pages", MAX_PAGES));
        }
        let this_url = url.clone();
        let resp = graph::send(call, Method::GET, url, None, None)?;
        if !(200..300).contains(&resp.status) {
            return page_failure(resp, pages);
        }
        let page: Page = match serde_json::from_slice(&resp.body) {
            Ok(p) => p,
            Err(_) if pages == 1 => return Ok(Response::from_http(resp)),
            Err(e) => {
                return Err(Error::new(MSGRAPH_ERR_TRANSPORT, format!("page {pages} is not valid JSON: {e}")))
            }
        };
        let Some(values) = page.value else {
            if pages == 1 {
                // Not a collection: the single answer is the result.
                return Ok(Response::from_http(resp));
            }
            return Err(Error::new(MSGRAPH_ERR_TRANSPORT, format!("page {pages} has no 'value' array")));
        };
        if pages == 1 {
            out.reserve(resp.body.len() + 64);
            out.push(b'{');
            if let Some(ctx) = &page.context {
                out.extend_from_slice(b"\"@odata.context\":");
                push_json_string(&mut out, ctx);
                out.push(b',');
            }
            out.extend_from_slice(b"\"value\":[");
        }
        for v in values {
            if items >= max_items {
                more = true;
                break;
            }
            if items > 0 {
                out.push(b',');
            }
            out.extend_from_slice(v.get().as_bytes());
            items += 1;
        }
        if out.len() as u64 > max_bytes {
            return Err(Error::new(
                MSGRAPH_ERR_TOO_LARGE,
                format!("the merged pages are larger than max_response_bytes ({max_bytes}) after {pages} pages: use max_items"),
            )
            .with("max_response_bytes", max_bytes)
            .with("items", items));
        }
        delta_link = page.delta_link;
        progress(pages, items);
        if items >= max_items && page.next_link.as_deref().is_some_and(|l| !l.is_empty()) {
            more = true;
        }
        if items < max_items {
            if let Some(link) = page.next_link.filter(|l| !l.is_empty()) {
                let u = Url::parse(&link)
                    .map_err(|_| Error::new(MSGRAPH_ERR_TRANSPORT, format!("page {pages} has a malformed @odata.nextLink")))?;
                if u == this_url {
                    return Err(Error::new(MSGRAPH_ERR_TRANSPORT, format!("page {pages}'s @odata.nextLink points to the page itself")));
                }
                if !graph::same_origin(&u, &origin) {
                    return Err(Error::refused(format!(
                        "page {pages}'s @odata.nextLink leaves the Graph origin ({}): not followed",
                        u.origin().ascii_serialization()
                    )));
                }
                next = Some(u);
            }
        }
        last_headers = resp.headers;
    }
    out.push(b']');
    if let Some(d) = delta_link {
        out.extend_from_slice(b",\"@odata.deltaLink\":");
        push_json_string(&mut out, &d);
    }
    out.push(b'}');
    last_headers.retain(|(k, _)| k != "content-length" && k != "transfer-encoding");
    let mut r = Response { status: 200, headers: last_headers, body: out };
    r.set_header("x-msgraph-pages", pages.to_string());
    r.set_header("x-msgraph-items", items.to_string());
    if more {
        r.set_header("x-msgraph-more", "true");
    }
    Ok(r)
}
