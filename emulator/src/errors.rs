//! Graph's response envelope (content type, common headers) and the error responses shared by the resource modules.

use crate::state::{Ctx, Resp};
use crate::util::*;
use serde_json::{json, Map, Value};

pub const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

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

pub(crate) fn unauthorized(ctx: &Ctx, msg: &str) -> Resp {
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

pub fn not_found_dir(ctx: &Ctx, id: &str) -> Resp {
    ctx.err(404, "Request_ResourceNotFound", &format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."))
}

pub(crate) fn bad_skiptoken(ctx: &Ctx) -> Resp {
    ctx.err(400, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
}

pub(crate) fn sync_state_not_found(ctx: &Ctx) -> Resp {
    ctx.err(400, "syncStateNotFound", "The delta token is invalid or has expired; the sync state was not found. Start a new delta round without a token.")
}

pub(crate) fn item_not_found(ctx: &Ctx) -> Resp {
    ctx.err(404, "ErrorItemNotFound", "The specified object was not found in the store.")
}

pub(crate) fn invalid_user(ctx: &Ctx, key: &str) -> Resp {
    ctx.err(404, "ErrorInvalidUser", &format!("The requested user '{key}' is invalid."))
}

pub(crate) fn access_policy_denied(ctx: &Ctx) -> Resp {
    Resp::json(403, &json!({"error": {"code": "ErrorAccessDenied", "message": "Access to OData is disabled.", "innerError": {"request-id": ctx.request_id, "date": graph_date(now_secs())}}}))
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

/// A Graph feature this emulator does not implement: 501, named, so a test never passes by accident.
pub fn not_emulated(ctx: &Ctx, what: &str) -> Resp {
    ctx.err(501, "NotImplemented", &format!("{what} is not emulated by msgraph-emulator (Microsoft Graph supports it)."))
}
