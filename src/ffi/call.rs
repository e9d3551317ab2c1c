//! Calls that make results: requests, batches, token facts.

use super::*;
use crate::api;
use crate::response::Response;

/// Runs `call` only if its result can be stored, then stores it and
/// returns the handle; a library failure the result holds is recorded as
/// this thread's last error too.
pub(crate) fn exchange(call: impl FnOnce() -> Result<Response, Error>) -> Result<i32, Error> {
    crate::results::check_capacity()?;
    let resp = call()?;
    if resp.status < 0 {
        let outcome = crate::outcome::Outcome::of_response(&resp);
        set_last_error_text(outcome.message.as_deref().unwrap_or(""));
    }
    crate::results::insert(resp)
}

/// The string arguments both request functions share, then the request.
fn request_with(
    credential: *const c_char,
    method: *const c_char,
    url: *const c_char,
    body: Option<Vec<u8>>,
    options_json: *const c_char,
) -> Result<Response, Error> {
    let credential = str_arg(credential, "credential")?;
    let method = str_arg(method, "method")?;
    let url = str_arg(url, "url")?;
    let options = opt_str_arg(options_json, "options_json")?;
    api::request(credential, method, url, body, options)
}

/// Sends one request to Microsoft Graph with the credential's token.
///
/// - `credential`: a registered credential's name.
/// - `method`: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS (any case).
/// - `url`: a path relative to the credential's graph_base_url ("/users",
///   "users?$top=5") or an absolute URL with the same scheme, host and port
///   (an @odata.nextLink or deltaLink). Any other URL is refused before a
///   byte is sent (MSGRAPH_ERR_REFUSED).
/// - `body`: NULL for none; sent as application/json unless the options'
///   headers give a Content-Type.
/// - `options_json`: NULL or a JSON object: "headers" (object of extra
///   request headers; Authorization is the library's), "timeout_ms",
///   "max_retries", "retry_budget_ms", "all_pages" (follow @odata.nextLink
///   and return {"value":[every item]} plus the last page's
///   @odata.deltaLink), "max_items" (with all_pages: exactly the first N
///   items, and no page fetched beyond them). Unknown keys are refused.
///
/// Throttled and unavailable answers (429, 503, 504) are retried after their
/// Retry-After (exponential backoff with jitter when absent) up to
/// max_retries and within retry_budget_ms; transport failures of idempotent
/// methods too. A 401 InvalidAuthenticationToken renews the token once. The
/// same client-request-id goes with every attempt and comes back in the
/// result's headers, with "x-msgraph-retries" (and, for all_pages,
/// "x-msgraph-pages" and "x-msgraph-items").
///
/// Returns a result handle (> 0) for every outcome of the exchange, success
/// or failure: read it with the msgraph_result_* functions and free it with
/// msgraph_result_free(). A negative status (and msgraph_last_error()) only
/// when the arguments are unusable or no result can be made:
/// MSGRAPH_ERR_ARGUMENT, MSGRAPH_ERR_NOT_FOUND (unknown credential),
/// MSGRAPH_ERR_REFUSED, MSGRAPH_ERR_CONFIG, MSGRAPH_ERR_LIMIT.
///
/// All strings are copied; the caller keeps ownership. Blocks the calling
/// thread for the exchange, retries included. Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_request(
    credential: *const c_char,
    method: *const c_char,
    url: *const c_char,
    body: *const c_char,
    options_json: *const c_char,
) -> msgraph_result {
    ffi_fn!({
        exchange(|| {
            let body = opt_str_arg(body, "body")?.map(|b| b.as_bytes().to_vec());
            request_with(credential, method, url, body, options_json)
        })
    })
}

/// Like msgraph_request(), with a body given as `body_len` bytes that may
/// hold NUL bytes and need not be UTF-8 (file uploads, MIME content).
/// `body` may be NULL only when `body_len` is 0, which sends an empty body.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_request_bytes(
    credential: *const c_char,
    method: *const c_char,
    url: *const c_char,
    body: *const u8,
    body_len: i64,
    options_json: *const c_char,
) -> msgraph_result {
    ffi_fn!({
        exchange(|| {
            let len = usize::try_from(body_len).map_err(|_| Error::argument("body_len is negative"))?;
            let bytes = if len == 0 {
                Vec::new()
            } else if body.is_null() {
                return Err(Error::argument("body is NULL but body_len is not 0"));
            } else {
                // SAFETY: the caller promises `body_len` readable bytes.
                unsafe { std::slice::from_raw_parts(body, len) }.to_vec()
            };
            request_with(credential, method, url, Some(bytes), options_json)
        })
    })
}

/// Sends any number of requests through Graph's $batch endpoint.
///
/// `requests_json`: a JSON array (or Graph's {"requests":[…]}) of
/// {"id"?, "method", "url", "body"?, "headers"?, "dependsOn"?}. Missing ids
/// are numbered from "1" by position; ids must be unique; dependsOn may name
/// only requests listed earlier. URLs are relative to graph_base_url or
/// absolute on its origin, like msgraph_request()'s.
///
/// The library sends $batch calls of at most 20 requests, in order; items
/// answered 429 are sent again after their Retry-After (up to max_retries
/// rounds, within retry_budget_ms); an item whose dependency failed gets
/// 424. The result's body is {"responses":[{"id","status","headers","body"}
/// …]} in the order given. If a $batch call itself fails (for example 400
/// for a malformed batch, or 401), that answer is the result.
///
/// `options_json`: NULL or {"headers", "timeout_ms", "max_retries",
/// "retry_budget_ms", "concurrency"}. With "concurrency": N (1 to 16,
/// default 1) up to N $batch calls are in flight at once, never more than
/// four Outlook requests for one mailbox across them (Graph's
/// MailboxConcurrency limit); batches with dependsOn are always sent one
/// after another.
///
/// Returns a result handle (> 0), or a negative status for unusable
/// arguments (as msgraph_request()). Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_batch(credential: *const c_char, requests_json: *const c_char, options_json: *const c_char) -> msgraph_result {
    ffi_fn!({
        exchange(|| {
            let credential = str_arg(credential, "credential")?;
            let requests = str_arg(requests_json, "requests_json")?;
            let options = opt_str_arg(options_json, "options_json")?;
            api::batch(credential, requests, options)
        })
    })
}

/// Facts about the credential's access token, acquiring one if none is
/// cached: {"token_type", "expires_on" (Unix seconds), "expires_in",
/// "refresh_on", "scope", "source" ("cache" or "identity_provider"),
/// "credential", "claims": {the JWT payload: roles, app_displayname, appid,
/// tid, aud, exp, …}}. The raw "access_token" is included only with
/// {"include_token":true}; {"force_refresh":true} drops the cached token
/// first.
///
/// A refusal by the token endpoint is a result with status MSGRAPH_ERR_AUTH
/// whose body carries "aadsts", "error", "error_description" (first line),
/// "trace_id", "correlation_id", "http_status" and a "hint".
///
/// Returns a result handle (> 0), or a negative status for unusable
/// arguments. Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_token_info(credential: *const c_char, options_json: *const c_char) -> msgraph_result {
    ffi_fn!({
        exchange(|| {
            let credential = str_arg(credential, "credential")?;
            let options = opt_str_arg(options_json, "options_json")?;
            api::token_info(credential, options)
        })
    })
}

/// The names of the registered credentials as a JSON array, sorted, in a
/// result (status 200): for tools that load a credentials file and let the
/// user pick. Names only, never a secret. In Oracle's multithreaded agent
/// the list holds every session's credentials (the MSGRAPH package prefixes
/// them with the schema).
///
/// Returns a result handle (> 0), or MSGRAPH_ERR_LIMIT. Thread-safe.
#[no_mangle]
pub extern "C" fn msgraph_credentials_list() -> msgraph_result {
    ffi_fn!({ exchange(|| Ok(api::credential_names())) })
}
