//! Authenticated exchanges with Graph: the bearer token, client-request-id,
//! retries of throttled and unavailable answers, one token renewal on 401,
//! and redirects that never carry the token to another origin.

use crate::credentials::Credential;
use crate::error::{Error, Result};
use crate::options::CallOptions;
use crate::retry::{backoff, is_idempotent, is_retryable_status, parse_retry_after, Budget};
use crate::status::*;
use crate::token;
use crate::transport::{self, RawResponse};
use bytes::Bytes;
use reqwest::Client;
use reqwest::{Method, Url};
use std::time::{Duration, SystemTime};

/// Header names made once (a name given as text is parsed, and a custom
/// one copied, on every request).
const CLIENT_REQUEST_ID: reqwest::header::HeaderName = reqwest::header::HeaderName::from_static("client-request-id");
const RETRY_ATTEMPT: reqwest::header::HeaderName = reqwest::header::HeaderName::from_static("retry-attempt");

/// Most redirects followed for one request.
pub const MAX_REDIRECTS: u32 = 5;

/// One logical call: a credential, its options, and what the call has done.
pub struct Call<'a> {
    /// The credential.
    pub cred: &'a Credential,
    /// The options.
    pub options: &'a CallOptions,
    /// Shared HTTP client.
    pub client: Client,
    /// Sent on every request of the call, kept across retries.
    pub client_request_id: String,
    /// Waiting budget of the whole call.
    pub budget: Budget,
    /// Retries made so far.
    pub retries: u32,
    /// Graph requests sent so far.
    pub requests: u32,
    /// What the call allows its token acquisitions (one deadline per call).
    pub token_limits: token::Limits,
}

impl<'a> Call<'a> {
    /// Starts a call.
    pub fn new(cred: &'a Credential, options: &'a CallOptions) -> Result<Call<'a>> {
        Ok(Call {
            cred,
            options,
            client: transport::client_for(&cred.config.transport())?,
            client_request_id: crate::ids::guid(),
            budget: Budget::new(options.retry_budget),
            retries: 0,
            requests: 0,
            token_limits: token::Limits::new(
                std::time::Instant::now(),
                options.timeout,
                options.retry_budget,
                options.max_retries,
            ),
        })
    }
}

/// True when `url` has the same scheme, host and port as `base`, and carries
/// no user information (`https://user:pw@host/` is never the Graph origin).
pub fn same_origin(url: &Url, base: &Url) -> bool {
    url.username().is_empty()
        && url.password().is_none()
        && url.scheme() == base.scheme()
        && url.host_str().map(str::to_ascii_lowercase) == base.host_str().map(str::to_ascii_lowercase)
        && url.port_or_known_default() == base.port_or_known_default()
}

/// Resolves a caller's URL: a path relative to the Graph base URL (`/users`,
/// `users?$top=5`) or an absolute URL on the Graph origin. Anything else is
/// refused before a byte is sent.
pub fn resolve(cred: &Credential, url: &str) -> Result<Url> {
    let url = url.trim();
    if url.is_empty() {
        return Err(Error::argument("the URL is empty"));
    }
    if url.chars().any(|c| c.is_control() || c == ' ') {
        return Err(Error::argument("the URL has spaces or control characters: percent-encode them"));
    }
    let base = &cred.config.graph_base_url;
    let has_prefix = |p: &str| url.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    if has_prefix("http://") || has_prefix("https://") || url.starts_with("//") {
        let u = if url.starts_with("//") {
            Url::parse(&format!("{}:{url}", base.scheme()))
        } else {
            Url::parse(url)
        }
        .map_err(|e| Error::argument(format!("the URL is malformed: {e}")))?;
        if !same_origin(&u, base) {
            return Err(Error::refused(format!(
                "the URL's origin {} is not the credential's Graph origin {}: the bearer token goes only to the Graph host",
                u.origin().ascii_serialization(),
                base.origin().ascii_serialization()
            )));
        }
        return Ok(u);
    }
    if url.contains("://") {
        return Err(Error::argument("the URL has an unsupported scheme"));
    }
    // Joined to the base (its path ending in '/'): only the path and query
    // are parsed. "./" keeps a first segment with a ':' from reading as a
    // scheme.
    let relative = format!("./{}", url.trim_start_matches('/'));
    let u = cred.config.graph_base_dir.join(&relative).map_err(|e| Error::argument(format!("the URL is malformed: {e}")))?;
    if !same_origin(&u, base) {
        return Err(Error::refused("the URL leaves the credential's Graph origin"));
    }
    Ok(u)
}

/// Graph's error code (`error.code`) of an error body, if any.
pub fn graph_error_code(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Outer {
        error: Inner,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        code: Option<String>,
    }
    serde_json::from_slice::<Outer>(body).ok()?.error.code
}

fn retry_wait(resp: &RawResponse, attempt: u32) -> Duration {
    resp.header("retry-after")
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
        .unwrap_or_else(|| backoff(attempt))
}

/// Sends one logical request, following redirects (at most 5). The token is
/// sent only while the URL is on the Graph origin.
pub fn send(call: &mut Call, method: Method, url: Url, body: Option<Bytes>, content_type: Option<&str>) -> Result<RawResponse> {
    let mut method = method;
    let mut url = url;
    let mut body = body;
    for hop in 0..=MAX_REDIRECTS {
        let resp = send_with_retries(call, &method, &url, body.clone(), content_type)?;
        let location = match resp.status {
            301 | 302 | 303 | 307 | 308 => resp.header("location").map(str::to_string),
            _ => None,
        };
        let Some(location) = location else { return Ok(resp) };
        if hop == MAX_REDIRECTS {
            return Err(Error::new(MSGRAPH_ERR_TRANSPORT, format!("more than {MAX_REDIRECTS} redirects")));
        }
        let next = url.join(&location).map_err(|_| Error::new(MSGRAPH_ERR_TRANSPORT, "a redirect's Location is malformed"))?;
        crate::config::check_scheme(&next, "a redirect")?;
        if resp.status == 303 || (matches!(resp.status, 301 | 302) && method == Method::POST) {
            method = Method::GET;
            body = None;
        }
        url = next;
    }
    unreachable!("the loop returns")
}

fn send_with_retries(call: &mut Call, method: &Method, url: &Url, body: Option<Bytes>, content_type: Option<&str>) -> Result<RawResponse> {
    let cfg = &call.cred.config;
    let with_token = same_origin(url, &cfg.graph_base_url);
    let host = url.host_str().unwrap_or("");
    let mut renewed = false;
    let mut attempt = 0u32;
    // Outlook's per-mailbox concurrency, kept on this side (see `mailbox`).
    let mailbox = if with_token {
        url.path()
            .strip_prefix(cfg.graph_base_url.path().trim_end_matches('/'))
            .and_then(crate::mailbox::mailbox_of)
    } else {
        None
    };
    // The app a mailbox's permits count for, only when a mailbox is named.
    let app = mailbox.as_ref().map(|_| format!("{}|{}", cfg.token_url, cfg.client_id));
    loop {
        let _permit = mailbox.clone().zip(app.as_deref()).map(|(m, app)| crate::mailbox::acquire(app, m, cfg.mailbox_concurrency));
        let token = if with_token { Some(token::get_within(call.cred, &call.token_limits)?.0) } else { None };
        let mut rb = call
            .client
            .request(method.clone(), url.clone())
            .timeout(call.options.timeout)
            .header(CLIENT_REQUEST_ID, call.client_request_id.as_str());
        if let Some(t) = &token {
            rb = rb.header("authorization", format!("{} {}", bearer_type(&t.token_type), t.access_token.expose()));
        }
        if attempt > 0 {
            rb = rb.header(RETRY_ATTEMPT, attempt.to_string());
        }
        let mut has_content_type = false;
        for (k, v) in &call.options.headers {
            has_content_type |= k == "content-type";
            rb = rb.header(k.as_str(), v.as_str());
        }
        if let Some(b) = &body {
            if !has_content_type {
                rb = rb.header("content-type", content_type.unwrap_or("application/json"));
            }
            rb = rb.body(b.clone());
        }
        call.requests += 1;
        match transport::send(rb, host, cfg.max_response_bytes) {
            Err(e) => {
                let transient = matches!(e.status, MSGRAPH_ERR_TRANSPORT | MSGRAPH_ERR_TIMEOUT);
                if transient && is_idempotent(method.as_str()) && attempt < call.options.max_retries {
                    let wait = backoff(attempt + 1);
                    if call.budget.allows(wait) {
                        std::thread::sleep(wait);
                        attempt += 1;
                        call.retries += 1;
                        continue;
                    }
                }
                return Err(e);
            }
            Ok(resp) => {
                if resp.status == 401 && !renewed {
                    if let Some(t) = &token {
                        if graph_error_code(&resp.body).as_deref() == Some("InvalidAuthenticationToken") {
                            token::invalidate(call.cred, t);
                            renewed = true;
                            continue;
                        }
                    }
                }
                if is_retryable_status(resp.status) && attempt < call.options.max_retries {
                    let wait = retry_wait(&resp, attempt + 1);
                    if call.budget.allows(wait) {
                        std::thread::sleep(wait);
                        attempt += 1;
                        call.retries += 1;
                        continue;
                    }
                }
                return Ok(resp);
            }
        }
    }
}

/// Graph expects "Bearer" whatever case the token endpoint used.
fn bearer_type(t: &str) -> &str {
    if t.eq_ignore_ascii_case("bearer") {
        "Bearer"
    } else {
        t
    }
}

/// Characters a path segment keeps as they are: RFC 3986's unreserved set
/// plus '@', so a UPN stays readable (`/users/zoe@contoso.com`).
const SEGMENT_KEEP: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'@');

/// Percent-encodes one path segment of a Graph URL (a user id or UPN, a
/// list id): '/', '?', '#', '%' and the rest cannot change the URL's shape.
pub fn path_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT_KEEP).to_string()
}

#[cfg(test)]
mod resolve_tests {
    use crate::config::CredentialConfig;

    /// Joining to the base directory gives what parsing "base/path" gave.
    #[test]
    fn joined_paths_are_the_parsed_ones() {
        for base in ["http://127.0.0.1:8080/v1.0", "https://graph.microsoft.com/beta/", "https://graph.microsoft.com"] {
            let cfg = CredentialConfig::from_json_text(&format!(
                r#"{{"tenant_id":"t","client_id":"c","client_secret":"s","graph_base_url":"{base}"}}"#
            ))
            .unwrap();
            for input in [
                "/users", "users?$top=5", "/", "//x", "users/a:b", "me:x", "a b", "?q=1", "#f", "..", "../x", "/users/%2e%2e/x",
                "\\users", "users/zoë", "sites/contoso.sharepoint.com:/sites/x:", "users?$filter=startswith(displayName,'a')",
            ] {
                let old = url::Url::parse(&format!("{}/{}", cfg.graph_base(), input.trim_start_matches('/')));
                let new = cfg.graph_base_dir.join(&format!("./{}", input.trim_start_matches('/')));
                assert_eq!(old.map(String::from).ok(), new.map(String::from).ok(), "{base} + {input}");
            }
        }
    }
}

#[cfg(test)]
mod segment_tests {
    use super::path_segment;

    #[test]
    fn path_segments_keep_upns_and_encode_the_rest() {
        assert_eq!(path_segment("zoe.mueller@contoso.onmicrosoft.com"), "zoe.mueller@contoso.onmicrosoft.com");
        assert_eq!(path_segment("a/b?c#d%e f"), "a%2Fb%3Fc%23d%25e%20f");
        assert_eq!(path_segment("Zoë"), "Zo%C3%AB");
        assert_eq!(path_segment("AAMk-_.~"), "AAMk-_.~");
    }
}
