//! What a call produces: an HTTP answer, or a library failure shaped like a
//! Graph error so callers parse one format.

use crate::error::Error;
use crate::outcome::Reason;
use crate::transport::RawResponse;

/// The outcome of a call, as stored behind a result handle.
#[derive(Debug)]
pub struct Response {
    /// HTTP status (100..599) or a negative `MSGRAPH_ERR_*` code.
    pub status: i32,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// An HTTP answer as received, plus the library's own headers.
    pub fn from_http(raw: RawResponse) -> Response {
        Response { status: raw.status as i32, headers: raw.headers, body: raw.body }
    }

    /// A library failure: `{"error":{"code":"MSGRAPH_ERR_…",…}}`.
    pub fn from_error(err: &Error, client_request_id: Option<&str>) -> Response {
        let mut doc = err.to_document();
        let mut headers = vec![("content-type".to_string(), "application/json; charset=utf-8".to_string())];
        if let Some(id) = client_request_id {
            doc["error"]["client-request-id"] = id.into();
            headers.push(("client-request-id".to_string(), id.to_string()));
        }
        Response { status: err.status, headers, body: serde_json::to_vec(&doc).unwrap_or_default() }
    }

    /// Marks the two Graph answers callers must tell apart without parsing
    /// message text: an application access policy block (403
    /// `ErrorAccessDenied` "Access to OData is disabled.") and an expired
    /// delta token (410 Gone, `syncStateNotFound`, `resyncRequired`). The
    /// error document gains `"msgraph_reason"` ("application_access_policy"
    /// or "resync_required") and the result the header `x-msgraph-reason`
    /// ("application-access-policy" or "resync-required"). Graph's own fields
    /// are kept as received: the field is spliced into the text right after
    /// the error object's opening brace, and the rest of the body is left
    /// byte for byte (a body whose `error` is not an object gets the header
    /// only).
    pub fn mark_reason(&mut self) {
        if !(400..500).contains(&self.status) {
            return;
        }
        let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&self.body) else {
            if self.status == 410 {
                self.set_header("x-msgraph-reason", Reason::ResyncRequired.header_value());
            }
            return;
        };
        let Some(reason) = crate::outcome::graph_reason(self.status as u16, &doc) else { return };
        let error = doc.get("error").filter(|e| e.is_object());
        if error.is_some_and(|e| e.get("msgraph_reason").is_none()) {
            if let Some(at) = error_brace(&self.body) {
                let empty = self.body[at + 1..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
                let field = format!("\"msgraph_reason\":\"{}\"{}", reason.field_value(), if empty { "" } else { "," });
                self.body.splice(at + 1..at + 1, field.into_bytes());
            }
        }
        self.set_header("x-msgraph-reason", reason.header_value());
    }

    /// Sets a header, replacing any of the same name.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(k, _)| k != name);
        self.headers.push((name.to_string(), value.into()));
    }
}

/// Byte offset of the `{` that opens the top-level `error` object.
fn error_brace(body: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(body).ok()?;
    let raw = crate::json_pointer::raw_at(text, "/error").ok()??;
    let at = (raw.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    (body.get(at) == Some(&b'{')).then_some(at)
}

/// The reason given to access-policy blocks.
pub const ACCESS_POLICY_REASON: &str = Reason::AccessPolicy.field_value();
/// The reason given to expired delta tokens.
pub const RESYNC_REASON: &str = Reason::ResyncRequired.field_value();

/// The reason a Graph error document deserves, if any (decided by
/// [`crate::outcome::graph_reason`]).
pub fn reason_of(status: u16, doc: &serde_json::Value) -> Option<&'static str> {
    crate::outcome::graph_reason(status, doc).map(Reason::field_value)
}

/// Adds `msgraph_reason` to a $batch item's error body where it applies.
pub fn mark_item_reason(item: &mut serde_json::Value) {
    let status = item["status"].as_u64().unwrap_or(0) as u16;
    if let Some(reason) = reason_of(status, &item["body"]) {
        if item["body"]["error"].is_object() {
            item["body"]["error"]["msgraph_reason"] = reason.into();
        }
    }
}
