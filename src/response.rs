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

    /// Sets a header, replacing any of the same name.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(k, _)| k != name);
        self.headers.push((name.to_string(), value.into()));
    }
}
