//! The operations of the C contract, in safe Rust. Each returns `Err` only
//! when its arguments are unusable (nothing was sent); every outcome of an
//! exchange, failures included, is a `Response`.

use crate::batch::{self};
use crate::config::{read_credentials_file, CredentialConfig};
use crate::credentials;
use crate::error::{Error, Result};
use crate::graph::{self, Call};
use crate::options::{CallOptions, TokenInfoOptions};
use crate::paging;
use crate::response::Response;
use crate::token;
use bytes::Bytes;
use reqwest::Method;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Registers or replaces a credential from its JSON configuration.
pub fn credential_set(name: &str, config_json: &str) -> Result<()> {
    credentials::check_name(name)?;
    credentials::set(name, CredentialConfig::from_json_text(config_json)?)
}

/// Loads a credentials file; returns how many credentials it held.
pub fn credentials_load(path: &str) -> Result<usize> {
    if path.trim().is_empty() {
        return Err(Error::argument("the credentials file path is empty"));
    }
    credentials::set_all(read_credentials_file(Path::new(path))?)
}

/// Removes a credential.
pub fn credential_remove(name: &str) -> Result<()> {
    credentials::remove(name)
}

/// Names of the registered credentials, sorted, as a JSON array.
pub fn credential_names() -> Response {
    Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json; charset=utf-8".into())],
        body: serde_json::to_vec(&credentials::names()).unwrap_or_default(),
    }
}

/// Drops the tokens cached for a credential (APEX_CREDENTIAL.CLEAR_TOKENS).
pub fn credential_clear_tokens(name: &str) -> Result<()> {
    let cred = credentials::get(name)?;
    token::forget(name);
    crate::token::cache::remove(&cred);
    Ok(())
}

fn parse_method(method: &str) -> Result<Method> {
    let m = method.trim();
    let known = [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::HEAD, Method::OPTIONS];
    if let Some(k) = known.into_iter().find(|k| m.eq_ignore_ascii_case(k.as_str())) {
        return Ok(k);
    }
    if m.is_empty() {
        return Err(Error::argument("the HTTP method is empty"));
    }
    Err(Error::argument(format!("HTTP method '{}' is not supported", m.to_ascii_uppercase().escape_default())))
}

fn finish(call: &Call, outcome: Result<Response>) -> Response {
    let mut r = match outcome {
        Ok(r) => r,
        Err(e) => Response::from_error(&e, Some(&call.client_request_id)),
    };
    scrub_failure(&mut r, &call.cred.config);
    r.mark_reason();
    if !r.headers.iter().any(|(k, _)| k == "client-request-id") {
        r.headers.push(("client-request-id".into(), call.client_request_id.clone()));
    }
    r.set_header("x-msgraph-retries", call.retries.to_string());
    r
}

/// Failures (library errors and HTTP statuses >= 400) never carry the
/// credential's secret, nor a token, whatever the service echoed.
fn scrub_failure(r: &mut Response, cfg: &CredentialConfig) {
    if r.status < 0 || r.status >= 400 {
        crate::secret::scrub_bytes(&mut r.body, &cfg.secrets());
    }
}

/// One Graph request (optionally all pages).
pub fn request(credential: &str, method: &str, url: &str, body: Option<Vec<u8>>, options: Option<&str>) -> Result<Response> {
    request_with_progress(credential, method, url, body, options, &mut |_, _| {})
}

/// [`request`], calling `progress(pages, items)` after each page of an
/// `all_pages` call (the library's one paging engine, used by the CLI).
pub fn request_with_progress(
    credential: &str,
    method: &str,
    url: &str,
    body: Option<Vec<u8>>,
    options: Option<&str>,
    progress: &mut dyn FnMut(u32, u64),
) -> Result<Response> {
    let cred = credentials::get(credential)?;
    let method = parse_method(method)?;
    let opts = CallOptions::parse(options, &cred.config, false)?;
    let url = graph::resolve(&cred, url)?;
    if opts.all_pages && method != Method::GET {
        return Err(Error::argument("'all_pages' applies to GET requests only"));
    }
    if let Some(b) = &body {
        if b.len() as u64 > cred.config.max_response_bytes {
            return Err(Error::new(crate::status::MSGRAPH_ERR_TOO_LARGE, "the request body is larger than max_response_bytes"));
        }
    }
    let mut call = Call::new(&cred, &opts)?;
    let outcome = if opts.all_pages {
        paging::all_pages_with(&mut call, url, progress)
    } else {
        graph::send(&mut call, method, url, body.map(Bytes::from), None).map(Response::from_http)
    };
    Ok(finish(&call, outcome))
}

/// Any number of requests through `$batch`.
pub fn batch(credential: &str, requests_json: &str, options: Option<&str>) -> Result<Response> {
    let cred = credentials::get(credential)?;
    let opts = CallOptions::parse(options, &cred.config, true)?;
    let mut call = Call::new(&cred, &opts)?;
    let outcome = batch::run(&mut call, requests_json)?;
    Ok(finish(&call, outcome))
}

fn epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The cached (or a new) token's facts and decoded claims.
pub fn token_info(credential: &str, options: Option<&str>) -> Result<Response> {
    let cred = credentials::get(credential)?;
    let opts = TokenInfoOptions::parse(options)?;
    let request_id = crate::ids::guid();
    if opts.force_refresh {
        token::forget(credential);
        crate::token::cache::remove(&cred);
    }
    let (t, source) = match token::get(&cred) {
        Ok(x) => x,
        Err(e) => {
            let e = e.scrubbed(&cred.config.secrets());
            return Ok(Response::from_error(&e, Some(&request_id)));
        }
    };
    let now = SystemTime::now();
    let mut doc = json!({
        "token_type": t.token_type,
        "expires_on": epoch(t.expires_on),
        "expires_in": epoch(t.expires_on).saturating_sub(epoch(now)),
        "refresh_on": epoch(t.refresh_on),
        "scope": t.scope,
        "source": source.as_str(),
        "refresh_failed": source == token::Source::CacheRefreshFailed,
        "credential": cred.name,
        "claims": crate::jwt::claims(t.access_token.expose()).unwrap_or(Value::Null),
    });
    if opts.include_token {
        doc["access_token"] = Value::from(t.access_token.expose());
    }
    Ok(Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json; charset=utf-8".into())],
        body: serde_json::to_vec(&doc).map_err(|e| Error::internal(e.to_string()))?,
    })
}
