//! Calls that make results: requests, batches, token facts.

use super::args::*;
use crate::api;
use crate::ffi::*;
use crate::response::Response;
use crate::results;
use crate::upload;

/// Stores a response, or an error as an error result, and returns the
/// handle: failures of the arguments become results too, so the package
/// always reads one message path (and no thread-local text is needed: the
/// multithreaded agent may run a session's next call on another thread).
///
/// The upload body `upload` (when > 0) is handed to `call` and consumed
/// whatever happens, and nothing is sent when its result could not be kept.
pub(crate) fn stored_call(
    upload: i32,
    call: impl FnOnce(Option<Result<Vec<u8>, Error>>) -> Result<Response, Error>,
) -> Result<i32, Error> {
    let uploaded = if upload > 0 { Some(upload::take(upload)) } else { None };
    results::check_capacity()?;
    let response = match call(uploaded) {
        Ok(r) => r,
        Err(e) => Response::from_error(&e, None),
    };
    results::insert(response)
}

/// One Graph request (make_rest_request and the helpers).
///
/// - `credential`, `method`, `url`: UTF-8 text, required.
/// - the body: `body_handle` > 0 sends that upload body (consumed);
///   otherwise `body` (NULL for none) is sent.
/// - `options`: the options JSON of msgraph_request() or NULL.
/// - `headers`: request headers as "Name: value" lines (the package's
///   g_request_headers) or NULL; the options' own "headers" win.
/// - `all_pages` != 0 follows @odata.nextLink; `max_items` > 0 caps it.
///
/// Returns a result handle (> 0) for every outcome, failures of the
/// arguments included (a result with a negative status and an error
/// document); a negative status only when no result can be stored
/// (MSGRAPH_ERR_LIMIT, MSGRAPH_ERR_INTERNAL).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn msgraph_xp_request(
    credential: *const u8,
    credential_ind: i16,
    credential_len: i32,
    method: *const u8,
    method_ind: i16,
    method_len: i32,
    url: *const u8,
    url_ind: i16,
    url_len: i32,
    body: *const u8,
    body_ind: i16,
    body_len: i32,
    body_handle: i32,
    options: *const u8,
    options_ind: i16,
    options_len: i32,
    headers: *const u8,
    headers_ind: i16,
    headers_len: i32,
    all_pages: i32,
    max_items: i32,
) -> i32 {
    ffi_fn!({
        stored_call(body_handle, |uploaded| {
            let credential = required_text(credential, credential_ind, credential_len, "credential")?;
            let method = required_text(method, method_ind, method_len, "method")?;
            let url = required_text(url, url_ind, url_len, "url")?;
            let body = match uploaded {
                Some(b) => Some(b?),
                None => raw_arg(body, body_ind, body_len, "body")?.map(<[u8]>::to_vec),
            };
            let options = text_arg(options, options_ind, options_len, "options")?;
            let headers = text_arg(headers, headers_ind, headers_len, "request headers")?;
            let options = crate::options::with_package_extras(options, headers, all_pages, max_items)?;
            api::request(credential, method, url, body, options.as_deref())
        })
    })
}

/// Requests through Graph's $batch (see msgraph_batch()). The requests JSON
/// is `requests_handle` (an upload body, consumed) when > 0, else
/// `requests`. Returns a result handle as msgraph_xp_request().
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn msgraph_xp_batch(
    credential: *const u8,
    credential_ind: i16,
    credential_len: i32,
    requests: *const u8,
    requests_ind: i16,
    requests_len: i32,
    requests_handle: i32,
    options: *const u8,
    options_ind: i16,
    options_len: i32,
    headers: *const u8,
    headers_ind: i16,
    headers_len: i32,
) -> i32 {
    ffi_fn!({
        stored_call(requests_handle, |uploaded| {
            let credential = required_text(credential, credential_ind, credential_len, "credential")?;
            let requests =
                uploaded_or_required_text(uploaded, requests, requests_ind, requests_len, "requests", "batch requests")?;
            let options = text_arg(options, options_ind, options_len, "options")?;
            let headers = text_arg(headers, headers_ind, headers_len, "request headers")?;
            let options = crate::options::with_package_extras(options, headers, 0, 0)?;
            api::batch(credential, &requests, options.as_deref())
        })
    })
}

/// The credential's token facts and claims (see msgraph_token_info()).
/// Returns a result handle as msgraph_xp_request().
#[no_mangle]
pub extern "C" fn msgraph_xp_token_info(
    credential: *const u8,
    credential_ind: i16,
    credential_len: i32,
    options: *const u8,
    options_ind: i16,
    options_len: i32,
) -> i32 {
    ffi_fn!({
        stored_call(0, |_| {
            let credential = required_text(credential, credential_ind, credential_len, "credential")?;
            let options = text_arg(options, options_ind, options_len, "options")?;
            api::token_info(credential, options)
        })
    })
}
