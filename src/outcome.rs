//! What an outcome means for the people and programs that read it: the
//! ORA-20xxx number the MSGRAPH package raises, the reason phrase, and the
//! one-line message (service code, message and every id support needs),
//! cut to what Oracle's raise_application_error keeps.
//!
//! Every layer that reports an outcome (the C API's last error and result
//! info, the Oracle entry points, the CLI) asks this module instead of
//! deciding again.

use crate::status::*;

/// Longest message handed to Oracle (raise_application_error keeps 2048).
pub(crate) const MAX_MESSAGE_BYTES: usize = 1900;

/// The ORA-20xxx number (positive) the package raises for an outcome, or 0
/// for success (HTTP status below 400). `reason` is the result's
/// x-msgraph-reason header, the library's mark for application access
/// policy blocks and expired delta tokens. The table is in sql/README.md.
pub fn ora_code(status: i32, reason: Option<&str>) -> i32 {
    match status {
        s if (0..400).contains(&s) => 0,
        s if s >= 400 && reason == Some("resync-required") => 20011,
        403 if reason == Some("application-access-policy") => 20013,
        MSGRAPH_ERR_ARGUMENT => 20001,
        MSGRAPH_ERR_NOT_FOUND => 20002,
        MSGRAPH_ERR_CONFIG => 20003,
        MSGRAPH_ERR_AUTH | 401 => 20004,
        MSGRAPH_ERR_TRANSPORT => 20005,
        MSGRAPH_ERR_TIMEOUT | 408 | 504 => 20006,
        MSGRAPH_ERR_THROTTLED | 429 => 20007,
        MSGRAPH_ERR_REFUSED => 20008,
        MSGRAPH_ERR_TOO_LARGE | 413 => 20009,
        MSGRAPH_ERR_LIMIT => 20010,
        MSGRAPH_ERR_RESYNC | 410 => 20011,
        403 => 20014,
        404 => 20015,
        409 | 412 => 20017,
        s if (400..500).contains(&s) => 20016,
        s if (500..600).contains(&s) => 20018,
        _ => 20099,
    }
}

/// The HTTP reason phrase of a status ("Not Found"), or the library
/// status's name for a negative one ("MSGRAPH_ERR_AUTH"); "" if unknown.
pub fn reason_phrase(status: i32) -> String {
    if status < 0 {
        return name(status).to_string();
    }
    u16::try_from(status)
        .ok()
        .and_then(|s| reqwest::StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
        .to_string()
}

/// The largest index <= `max` that is a character boundary of `s`.
pub fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut i = max;
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Cuts a message to what raise_application_error keeps ("..." marks a cut).
pub fn clip(mut s: String) -> String {
    if s.len() > MAX_MESSAGE_BYTES {
        let cut = floor_char_boundary(&s, MAX_MESSAGE_BYTES - 3);
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// "MSGRAPH_ERR_NAME: description" for a library status.
pub fn status_line(status: i32) -> String {
    let m = message_nul(status);
    format!("{}: {}", name(status), &m[..m.len() - 1])
}

fn json_str<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(|x| x.as_str()).filter(|s| !s.is_empty())
}

/// One line for people: the service's code and message and every id that
/// support needs (request-id, client-request-id, trace_id, correlation_id),
/// clipped to [`MAX_MESSAGE_BYTES`].
pub fn message_line(status: i32, body: &[u8], request_id: Option<&str>, client_request_id: Option<&str>) -> String {
    let doc: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let err = doc.as_ref().and_then(|d| d.get("error")).filter(|e| e.is_object());
    let mut ids: Vec<String> = Vec::new();
    let mut text = match err {
        Some(e) if status < 0 => {
            let code = json_str(e, "code").unwrap_or(name(status));
            let mut t = format!("{code}: {}", json_str(e, "message").unwrap_or(""));
            if let Some(a) = e.get("aadsts").filter(|a| !a.is_null()) {
                let a = a.as_str().map(str::to_string).unwrap_or_else(|| a.to_string());
                let a = if a.starts_with("AADSTS") { a } else { format!("AADSTS{a}") };
                t.push_str(&format!(" [{a}"));
                if let Some(x) = json_str(e, "error") {
                    t.push_str(&format!(" {x}"));
                }
                t.push(']');
            } else if let Some(x) = json_str(e, "error") {
                t.push_str(&format!(" [{x}]"));
            }
            if let Some(d) = json_str(e, "error_description") {
                t.push_str(&format!(" {d}"));
            }
            if let Some(h) = json_str(e, "hint") {
                t.push_str(&format!(" Hint: {h}"));
            }
            for k in ["trace_id", "correlation_id", "client-request-id"] {
                if let Some(v) = json_str(e, k) {
                    ids.push(format!("{k}={v}"));
                }
            }
            t
        }
        Some(e) => {
            let code = json_str(e, "code").unwrap_or("");
            let mut t = format!("HTTP {status} {code}: {}", json_str(e, "message").unwrap_or(""));
            let inner = e.get("innerError").or_else(|| e.get("innererror"));
            if let Some(rid) = inner.and_then(|i| json_str(i, "request-id")).or(request_id) {
                ids.push(format!("request-id={rid}"));
            }
            if let Some(cid) = inner.and_then(|i| json_str(i, "client-request-id")).or(client_request_id) {
                ids.push(format!("client-request-id={cid}"));
            }
            if let Some(d) = inner.and_then(|i| json_str(i, "date")) {
                ids.push(format!("date={d}"));
            }
            if code.is_empty() {
                t = format!("HTTP {status} {}: {}", reason_phrase(status), json_str(e, "message").unwrap_or(""));
            }
            t
        }
        None => {
            let snippet: String = String::from_utf8_lossy(&body[..body.len().min(300)])
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let head = if status < 0 { name(status).to_string() } else { format!("HTTP {status} {}", reason_phrase(status)) };
            if let Some(rid) = request_id {
                ids.push(format!("request-id={rid}"));
            }
            if let Some(cid) = client_request_id {
                ids.push(format!("client-request-id={cid}"));
            }
            if snippet.trim().is_empty() {
                head
            } else {
                format!("{head}: {}", snippet.trim())
            }
        }
    };
    if !ids.is_empty() {
        text.push_str(&format!(" ({})", ids.join(", ")));
    }
    clip(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_table() {
        assert_eq!(ora_code(200, None), 0);
        assert_eq!(ora_code(204, None), 0);
        assert_eq!(ora_code(MSGRAPH_ERR_AUTH, None), 20004);
        assert_eq!(ora_code(401, None), 20004);
        assert_eq!(ora_code(429, None), 20007);
        assert_eq!(ora_code(403, Some("application-access-policy")), 20013);
        assert_eq!(ora_code(403, None), 20014);
        assert_eq!(ora_code(400, Some("resync-required")), 20011, "Outlook's syncStateNotFound");
        assert_eq!(ora_code(400, None), 20016);
        assert_eq!(ora_code(404, None), 20015);
        assert_eq!(ora_code(-12345, None), 20099);
    }

    #[test]
    fn messages_carry_codes_and_ids() {
        let body = br#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist.","innerError":{"request-id":"r-1","client-request-id":"c-1","date":"d"}}}"#;
        let m = message_line(404, body, None, None);
        assert!(m.contains("HTTP 404 Request_ResourceNotFound: Resource 'x' does not exist."), "{m}");
        assert!(m.contains("request-id=r-1") && m.contains("client-request-id=c-1"), "{m}");
        let body = br#"{"error":{"code":"MSGRAPH_ERR_AUTH","message":"the token endpoint refused","status":-4,"aadsts":7000215,"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","trace_id":"t-1","correlation_id":"k-1"}}"#;
        let m = message_line(-4, body, None, None);
        assert!(m.starts_with("MSGRAPH_ERR_AUTH: the token endpoint refused [AADSTS7000215 invalid_client]"), "{m}");
        assert!(m.contains("trace_id=t-1") && m.contains("correlation_id=k-1"), "{m}");
        let long = "é".repeat(5000);
        assert!(clip(long).len() <= MAX_MESSAGE_BYTES);
    }
}
