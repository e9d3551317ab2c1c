//! What a call produces: an HTTP answer, or a library failure shaped like a
//! Graph error so callers parse one format.

use crate::error::Error;
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

    /// Marks an application access policy block: Graph answers 403
    /// `ErrorAccessDenied` "Access to OData is disabled." when an Exchange
    /// application access policy keeps the app out of a mailbox. The error
    /// document gains `"msgraph_reason":"application_access_policy"` and the
    /// result the header `x-msgraph-reason`, so callers (PL/SQL) can raise
    /// their own exception without matching message text. Graph's own fields
    /// are kept as received.
    pub fn mark_access_policy(&mut self) {
        if self.status == 403 {
            if let Some(marked) = mark_access_policy_body(&self.body) {
                self.body = marked;
                self.set_header("x-msgraph-reason", "application-access-policy");
            }
        }
    }

    /// Sets a header, replacing any of the same name.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(k, _)| k != name);
        self.headers.push((name.to_string(), value.into()));
    }
}

/// The reason field added to access-policy blocks.
pub const ACCESS_POLICY_REASON: &str = "application_access_policy";

/// True for Graph's access-policy error document.
pub fn is_access_policy_block(doc: &serde_json::Value) -> bool {
    doc["error"]["code"] == "ErrorAccessDenied"
        && doc["error"]["message"].as_str().is_some_and(|m| m.contains("Access to OData is disabled"))
}

/// The body with the reason added, if it is an access-policy block.
pub fn mark_access_policy_body(body: &[u8]) -> Option<Vec<u8>> {
    let mut doc: serde_json::Value = serde_json::from_slice(body).ok()?;
    if !is_access_policy_block(&doc) {
        return None;
    }
    doc["error"]["msgraph_reason"] = ACCESS_POLICY_REASON.into();
    serde_json::to_vec(&doc).ok()
}
