//! What an outcome means, decided once for every reader: for a status (HTTP
//! or `MSGRAPH_ERR_*`), the library's reason mark (x-msgraph-reason), the
//! AADSTS code and Graph's error code, it yields the [`Outcome`]: the
//! reason, the ORA-20xxx number the MSGRAPH package raises, the reason
//! phrase, a one-line message (service code, message and every id support
//! needs, cut to what raise_application_error keeps) and a hint.
//!
//! The C API's last error, the Oracle entry points' result info and status
//! messages, the token endpoint's refusals and the CLI all ask this module
//! instead of deciding again. It is also the one place that recognises an
//! application access policy block and an expired delta token in Graph's
//! answers ([`graph_reason`]); everything else reads the mark the library
//! puts on the result.

use crate::status::*;

/// Longest message handed to Oracle (raise_application_error keeps 2048).
pub(crate) const MAX_MESSAGE_BYTES: usize = 1900;

use crate::error::Error;
use serde_json::Value;

/// Why Graph refused, where the status alone does not say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// 403 `ErrorAccessDenied` "Access to OData is disabled.": an Exchange
    /// application access policy keeps the app out of the mailbox.
    AccessPolicy,
    /// 410 Gone, `syncStateNotFound`, `resyncRequired`: the delta token is
    /// no longer valid.
    ResyncRequired,
}

impl Reason {
    /// The value of the result's `x-msgraph-reason` header.
    pub const fn header_value(self) -> &'static str {
        match self {
            Reason::AccessPolicy => "application-access-policy",
            Reason::ResyncRequired => "resync-required",
        }
    }
    /// The value of the error document's `msgraph_reason` field.
    pub const fn field_value(self) -> &'static str {
        match self {
            Reason::AccessPolicy => "application_access_policy",
            Reason::ResyncRequired => "resync_required",
        }
    }
    /// The reason an `x-msgraph-reason` header (or `msgraph_reason` field) names.
    pub fn parse(text: &str) -> Option<Reason> {
        match text.trim() {
            "application-access-policy" | "application_access_policy" => Some(Reason::AccessPolicy),
            "resync-required" | "resync_required" => Some(Reason::ResyncRequired),
            _ => None,
        }
    }
}

/// The reason a Graph error document deserves, if any: the one place that
/// reads Graph's error code (and, for the access policy, which Graph marks
/// with no code of its own, its message).
pub fn graph_reason(status: u16, doc: &Value) -> Option<Reason> {
    let code = doc["error"]["code"].as_str().unwrap_or("");
    if status == 403
        && code == "ErrorAccessDenied"
        && doc["error"]["message"].as_str().is_some_and(|m| m.contains("Access to OData is disabled"))
    {
        return Some(Reason::AccessPolicy);
    }
    if status == 410 || code.eq_ignore_ascii_case("syncStateNotFound") || code.eq_ignore_ascii_case("resyncRequired") {
        return Some(Reason::ResyncRequired);
    }
    None
}

/// Advice for the AADSTS codes people meet while setting up a credential.
pub fn aadsts_hint(code: u64) -> Option<&'static str> {
    Some(match code {
        7000215 => "the client secret is wrong: use the secret's VALUE (shown only once, when it is created, under App registrations > the app > Certificates & secrets), not its Secret ID, and check that the secret belongs to this app; if the value was not saved, add a new client secret.",
        7000222 => "the client secret has expired: add a new client secret (App registrations > the app > Certificates & secrets), put its VALUE in the credential, then delete the expired one.",
        700016 => "no application with this client_id in the tenant: use the app's 'Application (client) ID' (not its Object ID) and the tenant it is registered in; check it was not deleted.",
        90002 => "the tenant was not found: check tenant_id (the 'Directory (tenant) ID' or the tenant's onmicrosoft.com domain) and that the authority host is the tenant's cloud (cloud / authority_host keys).",
        700027 => "the client assertion's signature does not verify: upload the certificate that matches the private key.",
        7000112 => "the application is disabled in the tenant: an administrator must enable its service principal (Enterprise applications > the app > Properties > Enabled for users to sign in).",
        53003 => "Conditional Access blocked the token: exclude this workload identity from the policy or allow the server's address.",
        50196 => "the token endpoint detected a request loop: the library caches tokens; do not ask for one per call.",
        70011 | 700023 | 700022 => "invalid scope: for client credentials use exactly one resource's /.default scope, e.g. https://graph.microsoft.com/.default (or leave scope unset).",
        7000218 => "no client secret or assertion was sent: set client_secret, or client_secret_env and export that variable where the program (or the extproc agent) runs.",
        500011 => "the resource is not in the tenant: check the scope and the cloud.",
        900144 => "a required parameter is missing from the token request.",
        90055 => "the tenant is throttled by the token service: back off.",
        _ => return None,
    })
}

/// Advice for an outcome that carries no hint of its own.
fn general_hint(status: i32, reason: Option<Reason>) -> Option<&'static str> {
    Some(match (status, reason) {
        (_, Some(Reason::AccessPolicy)) => "an Exchange application access policy keeps this app out of that mailbox: add the mailbox to the mail-enabled security group of the app's policy (Get-ApplicationAccessPolicy / Set-ApplicationAccessPolicy in Exchange Online PowerShell); policy changes can take up to an hour to apply.",
        (MSGRAPH_ERR_RESYNC, _) | (_, Some(Reason::ResyncRequired)) => "the delta token is no longer valid: drop what was stored of the collection and start again from the original delta URL.",
        (401, _) => "Graph rejected the token: check that graph_base_url and authority_host belong to the same cloud (cloud key) and the scope is https://graph.microsoft.com/.default.",
        (403, _) => "the app lacks the application permission for this call: add it under App registrations > the app > API permissions, then grant admin consent; the next token carries the role.",
        (404, _) => "Graph found no such resource: check the URL, the user's UPN or the object id.",
        (400, _) => "Graph refused the request: check the URL and its query options ($select, $filter, quoting).",
        (429, _) | (MSGRAPH_ERR_THROTTLED, _) => "Graph is throttling this app: retry later and spread the calls over time.",
        (s, _) if (500..600).contains(&s) => "retry later; if it persists, check Microsoft 365 service health.",
        (MSGRAPH_ERR_TRANSPORT, _) | (MSGRAPH_ERR_TIMEOUT, _) => "check that this host reaches the authority and Graph hosts (proxy, firewall, ca_file) and the authority_host / cloud keys.",
        (MSGRAPH_ERR_LIMIT, _) => "free results with msgraph_result_free() (or the package's free calls).",
        _ => return None,
    })
}

/// What an outcome means: one verdict for the C API, the Oracle entry
/// points and the CLI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// HTTP status (100..599) or a negative `MSGRAPH_ERR_*` status.
    pub status: i32,
    /// The library's reason mark, if any.
    pub reason: Option<Reason>,
    /// The ORA-20xxx number (positive) to raise, 0 for a success.
    pub ora_code: i32,
    /// HTTP reason phrase, or the status's name.
    pub phrase: String,
    /// The AADSTS code of a token endpoint refusal.
    pub aadsts: Option<u64>,
    /// Graph's (or the library's) error code, e.g. "ErrorAccessDenied".
    pub code: Option<String>,
    /// One line without ids ("HTTP 404 Request_ResourceNotFound: …");
    /// None for a success.
    pub summary: Option<String>,
    /// [`Outcome::summary`] with every id support needs, clipped to what
    /// raise_application_error keeps; None for a success.
    pub message: Option<String>,
    /// What to do about it, where the library knows; None for a success.
    pub hint: Option<String>,
}

impl Outcome {
    /// The verdict on a stored outcome: its status, its `x-msgraph-reason`
    /// header, its body, and its request-id / client-request-id headers.
    pub fn new(status: i32, reason_header: Option<&str>, body: &[u8], request_id: Option<&str>, client_request_id: Option<&str>) -> Outcome {
        let doc: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let reason = reason_header.and_then(Reason::parse).or_else(|| {
            doc["error"]["msgraph_reason"].as_str().and_then(Reason::parse).or_else(|| {
                u16::try_from(status).ok().filter(|s| (400..500).contains(s)).and_then(|s| graph_reason(s, &doc))
            })
        });
        let ora_code = ora_code(status, reason.map(Reason::header_value));
        let err = &doc["error"];
        let aadsts = err["aadsts"].as_u64().or_else(|| err["aadsts"].as_str().and_then(|a| a.trim_start_matches("AADSTS").parse().ok()));
        let code = json_str(err, "code").map(str::to_string);
        let failed = ora_code != 0;
        let (summary, message) = if failed {
            let (summary, ids) = describe(status, &doc, body, request_id, client_request_id);
            let message = if ids.is_empty() { summary.clone() } else { format!("{summary} ({})", ids.join(", ")) };
            (Some(summary), Some(clip(message)))
        } else {
            (None, None)
        };
        let hint = if failed {
            json_str(err, "hint")
                .map(str::to_string)
                .or_else(|| aadsts.and_then(aadsts_hint).map(str::to_string))
                .or_else(|| general_hint(status, reason).map(str::to_string))
        } else {
            None
        };
        Outcome { status, reason, ora_code, phrase: reason_phrase(status), aadsts, code, summary, message, hint }
    }

    /// The verdict on a response (its headers carry the reason and ids).
    pub fn of_response(r: &crate::response::Response) -> Outcome {
        let header = |name: &str| r.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        Outcome::new(r.status, header("x-msgraph-reason"), &r.body, header("request-id"), header("client-request-id"))
    }

    /// The verdict on a library error that has no result.
    pub fn of_error(e: &Error) -> Outcome {
        let body = serde_json::to_vec(&e.to_document()).unwrap_or_default();
        Outcome::new(e.status, None, &body, None, None)
    }

    /// The verdict on a bare status.
    pub fn of_status(status: i32) -> Outcome {
        Outcome::new(status, None, b"", None, None)
    }
}

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

/// The one line for a failure, and the ids that go with it.
fn describe(status: i32, doc: &Value, body: &[u8], request_id: Option<&str>, client_request_id: Option<&str>) -> (String, Vec<String>) {
    let err = doc.get("error").filter(|e| e.is_object());
    let mut ids: Vec<String> = Vec::new();
    let text = match err {
        Some(e) if status < 0 => {
            let code = json_str(e, "code").unwrap_or(name(status));
            let message = json_str(e, "message").unwrap_or("");
            let mut t = format!("{code}: {message}");
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
            // The refusal's message usually holds both already.
            if let Some(d) = json_str(e, "error_description").filter(|d| !message.contains(d)) {
                t.push_str(&format!(" {d}"));
            }
            if let Some(h) = json_str(e, "hint").filter(|h| !message.contains(h)) {
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
            let message = json_str(e, "message").unwrap_or("");
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
                format!("HTTP {status} {}: {message}", reason_phrase(status))
            } else {
                format!("HTTP {status} {code}: {message}")
            }
        }
        None => {
            let snippet: String = String::from_utf8_lossy(&body[..body.len().min(300)])
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let head = if status < 0 { status_line(status) } else { format!("HTTP {status} {}", reason_phrase(status)) };
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
    (text, ids)
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
        let line = |status, body: &[u8]| Outcome::new(status, None, body, None, None).message.unwrap();
        let m = line(404, body);
        assert!(m.contains("HTTP 404 Request_ResourceNotFound: Resource 'x' does not exist."), "{m}");
        assert!(m.contains("request-id=r-1") && m.contains("client-request-id=c-1"), "{m}");
        let body = br#"{"error":{"code":"MSGRAPH_ERR_AUTH","message":"the token endpoint refused","status":-4,"aadsts":7000215,"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","trace_id":"t-1","correlation_id":"k-1"}}"#;
        let m = line(-4, body);
        assert!(m.starts_with("MSGRAPH_ERR_AUTH: the token endpoint refused [AADSTS7000215 invalid_client]"), "{m}");
        assert!(m.contains("trace_id=t-1") && m.contains("correlation_id=k-1"), "{m}");
        let long = "é".repeat(5000);
        assert!(clip(long).len() <= MAX_MESSAGE_BYTES);
    }

    #[test]
    fn verdicts() {
        let policy = br#"{"error":{"code":"ErrorAccessDenied","message":"Access to OData is disabled."}}"#;
        let o = Outcome::new(403, None, policy, Some("r-9"), None);
        assert_eq!((o.reason, o.ora_code), (Some(Reason::AccessPolicy), 20013));
        assert!(o.hint.as_deref().unwrap().contains("ApplicationAccessPolicy"));
        assert_eq!(o.summary.as_deref(), Some("HTTP 403 ErrorAccessDenied: Access to OData is disabled."));
        assert!(o.message.as_deref().unwrap().ends_with("(request-id=r-9)"));
        // The mark decides, not the message: another text with the mark is
        // still a policy block, the same text on a 404 is not.
        let other = br#"{"error":{"code":"ErrorAccessDenied","message":"Denied."}}"#;
        assert_eq!(Outcome::new(403, Some("application-access-policy"), other, None, None).ora_code, 20013);
        assert_eq!(Outcome::new(403, None, other, None, None).ora_code, 20014);
        assert_eq!(Outcome::new(404, None, policy, None, None).reason, None);
        let gone = br#"{"error":{"code":"syncStateNotFound","message":"x"}}"#;
        assert_eq!(Outcome::new(400, None, gone, None, None).ora_code, 20011);
        let auth = br#"{"error":{"code":"MSGRAPH_ERR_AUTH","message":"refused","status":-4,"aadsts":90002}}"#;
        let o = Outcome::new(MSGRAPH_ERR_AUTH, None, auth, None, None);
        assert_eq!((o.aadsts, o.ora_code), (Some(90002), 20004));
        assert!(o.hint.as_deref().unwrap().starts_with("the tenant was not found"));
        let ok = Outcome::new(200, None, b"{}", None, None);
        assert_eq!((ok.ora_code, ok.message.clone(), ok.hint.clone()), (0, None, None));
        let e = Outcome::of_error(&Error::argument("url is NULL"));
        assert_eq!(e.message.as_deref(), Some("MSGRAPH_ERR_ARGUMENT: url is NULL"));
        assert_eq!(Outcome::of_status(MSGRAPH_ERR_LIMIT).ora_code, 20010);
        assert!(aadsts_hint(7000215).unwrap().contains("not its Secret ID"));
    }
}
