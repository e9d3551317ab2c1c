//! Entry points shaped for Oracle's external-procedure agent (the MSGRAPH
//! PL/SQL package in sql/): Oracle's C types (INT, SHORT indicators, SB4
//! lengths, RAW buffers) rather than the general C API's.
//!
//! Conventions of every `msgraph_xp_*` function (the call specs in
//! sql/msgraph.pkb mirror them exactly; tests/oracle_callspec.rs checks it):
//! - Text travels as RAW: UTF-8 bytes that the package converts with
//!   UTL_I18N, so the agent's NLS settings never touch it. An IN RAW is three
//!   C parameters: `const uint8_t *x, int16_t x_ind, int32_t x_len`
//!   (`x RAW, x INDICATOR SHORT, x LENGTH SB4`); an indicator of -1 (or any
//!   negative value) is SQL NULL, and the pointer is then never read.
//! - An OUT RAW is four: `uint8_t *x, int16_t *x_ind, int32_t *x_len,
//!   int32_t *x_maxlen` (`x RAW, x INDICATOR SHORT, x LENGTH SB4, x MAXLEN
//!   SB4`); at most `*x_maxlen` bytes are written, `*x_len` and `*x_ind` are
//!   always set (a NULL for no value), and text is never cut inside a UTF-8
//!   character.
//! - Handles and counts are INT (`int32_t`); every function returns one.
//! - No function aborts, exits or lets a panic out (inside the agent that
//!   would be ORA-28576); a caught panic is MSGRAPH_ERR_INTERNAL.
//! - No WITH CONTEXT: errors are raised by the package from the status and
//!   the message these functions hand back, so the library needs no OCI
//!   symbol and loads in any C program.

use super::*;
use crate::api;
use crate::response::Response;
use crate::results;
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

/// Largest request body accepted through msgraph_xp_body_append (bytes).
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;
/// Most upload bodies alive at once in the process.
const MAX_LIVE_BODIES: usize = 1024;
/// Longest error message handed back (raise_application_error keeps 2048).
const MAX_MESSAGE_BYTES: usize = 1900;

static BODIES: Lazy<Mutex<HashMap<i32, Vec<u8>>>> = Lazy::new(Default::default);
static NEXT_BODY: AtomicI32 = AtomicI32::new(1);

// ---------------------------------------------------------------- helpers

/// Reads an IN RAW argument: None for SQL NULL.
fn raw_arg<'a>(ptr: *const u8, ind: i16, len: i32, what: &str) -> Result<Option<&'a [u8]>, Error> {
    if ind < 0 {
        return Ok(None);
    }
    let len = usize::try_from(len).map_err(|_| Error::argument(format!("{what}: negative length")))?;
    if len == 0 {
        return Ok(Some(&[]));
    }
    if ptr.is_null() {
        return Err(Error::argument(format!("{what}: NULL pointer with a length of {len}")));
    }
    // SAFETY: the agent passes `len` readable bytes for a non-NULL RAW.
    Ok(Some(unsafe { std::slice::from_raw_parts(ptr, len) }))
}

/// Reads an IN RAW argument holding UTF-8 text: None for SQL NULL.
pub(crate) fn text_arg<'a>(ptr: *const u8, ind: i16, len: i32, what: &str) -> Result<Option<&'a str>, Error> {
    match raw_arg(ptr, ind, len, what)? {
        None => Ok(None),
        Some(b) => std::str::from_utf8(b)
            .map(Some)
            .map_err(|_| Error::argument(format!("{what} is not valid UTF-8"))),
    }
}

/// Like [`text_arg`], but SQL NULL and empty text are refused.
pub(crate) fn required_text<'a>(ptr: *const u8, ind: i16, len: i32, what: &str) -> Result<&'a str, Error> {
    match text_arg(ptr, ind, len, what)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(Error::argument(format!("{what} is NULL"))),
    }
}

/// An OUT RAW argument (buffer, indicator, length, capacity).
struct OutRaw {
    buf: *mut u8,
    ind: *mut i16,
    len: *mut i32,
    maxlen: *mut i32,
}

impl OutRaw {
    /// Wraps the four pointers and sets the argument to NULL, so it is set
    /// whatever happens next.
    fn new(buf: *mut u8, ind: *mut i16, len: *mut i32, maxlen: *mut i32) -> OutRaw {
        let o = OutRaw { buf, ind, len, maxlen };
        o.set_null();
        o
    }
    fn capacity(&self) -> usize {
        if self.maxlen.is_null() || self.buf.is_null() {
            return 0;
        }
        // SAFETY: the agent passes a valid sb4 for MAXLEN.
        usize::try_from(unsafe { *self.maxlen }).unwrap_or(0)
    }
    /// The capacity, refusing a NULL buffer or a `maxlen` under 1 (which
    /// would read as the end of a non-empty stream).
    fn checked_capacity(&self) -> Result<usize, Error> {
        match self.capacity() {
            0 => Err(Error::argument("the buffer is NULL or its maxlen is not positive")),
            n => Ok(n),
        }
    }
    fn set_null(&self) {
        // SAFETY: the agent passes valid pointers for INDICATOR and LENGTH
        // of an OUT parameter; NULL pointers are skipped.
        unsafe {
            if !self.ind.is_null() {
                *self.ind = -1;
            }
            if !self.len.is_null() {
                *self.len = 0;
            }
        }
    }
    /// Writes `bytes` (already cut to fit); empty is NULL, as in Oracle.
    fn put_exact(&self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.capacity());
        if n == 0 {
            self.set_null();
            return 0;
        }
        // SAFETY: `buf` has `capacity()` writable bytes and n <= capacity.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.buf, n);
            if !self.ind.is_null() {
                *self.ind = 0;
            }
            if !self.len.is_null() {
                *self.len = n as i32;
            }
        }
        n
    }
    /// Writes as much of `text` as fits without splitting a character.
    fn put_text(&self, text: &str) -> usize {
        let cut = floor_char_boundary(text, self.capacity());
        self.put_exact(&text.as_bytes()[..cut])
    }
}

/// The xp readers' status for a buffer that cannot hold the next character.
fn too_small() -> Error {
    Error::new(MSGRAPH_ERR_TOO_LARGE, "the buffer is too small for the next character (4 bytes suffice)")
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut i = max;
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Cuts a message to what raise_application_error keeps.
fn clip(mut s: String) -> String {
    if s.len() > MAX_MESSAGE_BYTES {
        let cut = floor_char_boundary(&s, MAX_MESSAGE_BYTES - 3);
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// Stores a response, or an error as an error result, and returns the
/// handle: failures of the arguments become results too, so the package
/// always reads one message path (and no thread-local text is needed: the
/// multithreaded agent may run a session's next call on another thread).
pub(crate) fn store_outcome(outcome: Result<Response, Error>) -> i32 {
    let response = match outcome {
        Ok(r) => r,
        Err(e) => Response::from_error(&e, None),
    };
    status_of(results::insert(response))
}

/// Takes an upload body out of the table (it is consumed by the call).
pub(crate) fn take_body(handle: i32) -> Result<Vec<u8>, Error> {
    lock_bodies()
        .remove(&handle)
        .ok_or_else(|| Error::not_found(format!("no upload body with handle {handle}")))
}

fn lock_bodies() -> std::sync::MutexGuard<'static, HashMap<i32, Vec<u8>>> {
    crate::sync::lock(&BODIES)
}

/// Merges the package's extras into the caller's options JSON.
fn merge_options(
    options: Option<&str>,
    headers: Option<&str>,
    all_pages: i32,
    max_items: i32,
) -> Result<Option<String>, Error> {
    let no_extras = headers.is_none_or(|h| h.trim().is_empty()) && all_pages == 0 && max_items <= 0;
    if no_extras {
        return Ok(options.map(str::to_string));
    }
    let mut doc = match options.map(str::trim).filter(|t| !t.is_empty()) {
        None => serde_json::Map::new(),
        Some(t) => match serde_json::from_str::<serde_json::Value>(t) {
            Ok(serde_json::Value::Object(m)) => m,
            Ok(serde_json::Value::Null) => serde_json::Map::new(),
            Ok(_) => return Err(Error::argument("options must be a JSON object")),
            Err(e) => return Err(Error::argument(format!("options are not valid JSON: {e}"))),
        },
    };
    if let Some(lines) = headers {
        let entry = doc.entry("headers").or_insert_with(|| serde_json::Value::Object(Default::default()));
        let obj = entry
            .as_object_mut()
            .ok_or_else(|| Error::argument("option 'headers' must be a JSON object"))?;
        for line in lines.lines().filter(|l| !l.trim().is_empty()) {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| Error::argument(format!("request header line '{}' has no ':'", line.escape_default())))?;
            let name = name.trim();
            // Headers given in the options JSON win over g_request_headers.
            if !obj.keys().any(|k| k.eq_ignore_ascii_case(name)) {
                obj.insert(name.to_string(), value.trim().into());
            }
        }
    }
    if all_pages != 0 {
        doc.insert("all_pages".into(), true.into());
        if max_items > 0 {
            doc.insert("max_items".into(), max_items.into());
        }
    }
    Ok(Some(serde_json::Value::Object(doc).to_string()))
}

// ------------------------------------------------------------ error table

/// The ORA-20xxx number (positive) the package raises for an outcome, or 0
/// for success (HTTP status below 400). `reason` is the result's
/// x-msgraph-reason header, the library's mark for application access
/// policy blocks and expired delta tokens. The table is in sql/README.md.
pub(crate) fn ora_error_for(status: i32, reason: Option<&str>) -> i32 {
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

fn reason_phrase(status: i32) -> String {
    if status < 0 {
        return crate::status::name(status).to_string();
    }
    u16::try_from(status)
        .ok()
        .and_then(|s| reqwest::StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
        .to_string()
}

fn json_str<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(|x| x.as_str()).filter(|s| !s.is_empty())
}

/// One line for people: the service's code and message and every id that
/// support needs (request-id, client-request-id, trace_id, correlation_id).
pub(crate) fn error_message(status: i32, body: &[u8], request_id: Option<&str>, client_request_id: Option<&str>) -> String {
    let doc: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let err = doc.as_ref().and_then(|d| d.get("error")).filter(|e| e.is_object());
    let mut ids: Vec<String> = Vec::new();
    let mut text = match err {
        Some(e) if status < 0 => {
            let code = json_str(e, "code").unwrap_or(crate::status::name(status));
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
            let head = if status < 0 {
                crate::status::name(status).to_string()
            } else {
                format!("HTTP {status} {}", reason_phrase(status))
            };
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

// ------------------------------------------------------------ credentials

fn credential_config(
    tenant_id: Option<&str>,
    client_id: Option<&str>,
    client_secret: Option<&str>,
    scope: Option<&str>,
    options: Option<&str>,
) -> Result<serde_json::Value, Error> {
    let mut doc = match options.map(str::trim).filter(|t| !t.is_empty()) {
        None => serde_json::Map::new(),
        Some(t) => match serde_json::from_str::<serde_json::Value>(t) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return Err(Error::config("p_options must be a JSON object of credential settings")),
        },
    };
    for (key, value) in [("tenant_id", tenant_id), ("client_id", client_id), ("client_secret", client_secret), ("scope", scope)] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            doc.insert(key.into(), v.into());
        }
    }
    Ok(serde_json::Value::Object(doc))
}

/// Registers (or replaces) a credential: the package's create_credential.
///
/// `name` is the full registry name, `SCHEMA/name`: the package prefixes
/// the caller's SESSION_USER, and the part before the first '/' is the
/// schema the agent policy is applied to (see "Security model" below).
/// `tenant_id`, `client_id`, `client_secret`, `scope` (NULL for the
/// default) are set on top of `options`, a JSON object of further settings
/// of msgraph_credential_set() ("authority_host", "graph_base_url",
/// "cloud", "timeout_ms", "proxy", "client_secret_env", …; NULL for none).
///
/// Security model: unlike msgraph_credential_set() (the process owner is
/// trusted), a configuration created here comes from a database user, who
/// is not trusted with the agent's environment, files or network position.
/// Unless the agent policy (the file named by MSGRAPH_POLICY_FILE in
/// extproc.ora) grants it to the schema, it may not name
/// "client_secret_env" (schemas.S.client_secret_env), "private_key_file",
/// "certificate_file", "ca_file" (schemas.S.files, checked on the opened
/// file's real path), "proxy" (schemas.S.proxies; with a user and password
/// also schemas.S.proxy_credentials), and its endpoints ("token_url",
/// "authority_host", "graph_base_url", "cloud") must be the national
/// clouds' Microsoft hosts (https, port 443) or origins listed in
/// schemas.S.endpoints. A refusal is MSGRAPH_ERR_REFUSED naming the key and
/// the setting that would allow it; it comes before any request exists, so
/// nothing is sent. A policy file that cannot be read or parsed refuses
/// every call (MSGRAPH_ERR_CONFIG).
///
/// Returns MSGRAPH_OK or a negative status (MSGRAPH_ERR_ARGUMENT for a name
/// without a schema); `err` receives the reason (UTF-8, NULL on success),
/// which never carries a secret.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn msgraph_xp_credential_set(
    name: *const u8,
    name_ind: i16,
    name_len: i32,
    tenant_id: *const u8,
    tenant_id_ind: i16,
    tenant_id_len: i32,
    client_id: *const u8,
    client_id_ind: i16,
    client_id_len: i32,
    client_secret: *const u8,
    client_secret_ind: i16,
    client_secret_len: i32,
    scope: *const u8,
    scope_ind: i16,
    scope_len: i32,
    options: *const u8,
    options_ind: i16,
    options_len: i32,
    err: *mut u8,
    err_ind: *mut i16,
    err_len: *mut i32,
    err_maxlen: *mut i32,
) -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        let out = OutRaw::new(err, err_ind, err_len, err_maxlen);
        let r = (|| {
            let name = required_text(name, name_ind, name_len, "credential name")?;
            crate::credentials::check_name(name)?;
            let (schema, _) = crate::policy::split_name(name)?;
            let policy = crate::policy::Policy::load()?;
            let doc = credential_config(
                text_arg(tenant_id, tenant_id_ind, tenant_id_len, "tenant_id")?,
                text_arg(client_id, client_id_ind, client_id_len, "client_id")?,
                text_arg(client_secret, client_secret_ind, client_secret_len, "client_secret")?,
                text_arg(scope, scope_ind, scope_len, "scope")?,
                text_arg(options, options_ind, options_len, "options")?,
            )?;
            let cfg = crate::policy::config_for_schema(&policy, schema, &doc)?;
            crate::credentials::set(name, cfg).map(|_| MSGRAPH_OK)
        })();
        if let Err(e) = &r {
            out.put_text(&clip(e.to_string()));
        }
        status_of(r)
    })
}

/// Loads a credentials file and registers, under `prefix` + its name, each
/// entry the agent policy grants to the schema: the package passes the
/// caller's namespace `SCHEMA/` (SESSION_USER), anything else is
/// MSGRAPH_ERR_ARGUMENT. `path` NULL means the file named by the
/// environment variable MSGRAPH_CREDENTIALS_FILE (set in extproc.ora).
///
/// Security model: only the entries listed in the policy's
/// schemas.S.credentials (or "*") are validated and registered, so by
/// default nothing in the file is shared with any schema; a file with
/// entries of which none is granted is MSGRAPH_ERR_REFUSED. An explicit
/// `path` must lie inside MSGRAPH_CREDENTIALS_DIR (when unset: the
/// directory of MSGRAPH_CREDENTIALS_FILE; when both are unset explicit
/// paths are refused), checked on the opened file's real path
/// (MSGRAPH_ERR_REFUSED otherwise). The file must be owned by the agent's
/// user, not accessible to group or others (chmod 600) and at most 1 MiB
/// (MSGRAPH_ERR_CONFIG otherwise); it is opened once and checked on the
/// open descriptor. The file's entries come from the DBA, so they may use
/// the agent's variables, files and any endpoint.
///
/// Returns the number of credentials loaded, or a negative status with the
/// reason in `err`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn msgraph_xp_credentials_load(
    path: *const u8,
    path_ind: i16,
    path_len: i32,
    prefix: *const u8,
    prefix_ind: i16,
    prefix_len: i32,
    err: *mut u8,
    err_ind: *mut i16,
    err_len: *mut i32,
    err_maxlen: *mut i32,
) -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        let out = OutRaw::new(err, err_ind, err_len, err_maxlen);
        let r = (|| {
            let prefix = text_arg(prefix, prefix_ind, prefix_len, "prefix")?.unwrap_or("");
            let path = text_arg(path, path_ind, path_len, "path")?;
            let n = crate::policy::load_for_schema(prefix, path)?;
            Ok::<i32, Error>(n.min(i32::MAX as usize) as i32)
        })();
        if let Err(e) = &r {
            out.put_text(&clip(e.to_string()));
        }
        status_of(r)
    })
}

/// Removes a credential and its cached tokens. Returns MSGRAPH_OK,
/// MSGRAPH_ERR_ARGUMENT or MSGRAPH_ERR_NOT_FOUND.
#[no_mangle]
pub extern "C" fn msgraph_xp_credential_remove(name: *const u8, name_ind: i16, name_len: i32) -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        status_of((|| {
            let name = required_text(name, name_ind, name_len, "credential name")?;
            api::credential_remove(name).map(|_| MSGRAPH_OK)
        })())
    })
}

/// Drops the tokens cached for a credential (APEX_CREDENTIAL.CLEAR_TOKENS).
/// Returns MSGRAPH_OK, MSGRAPH_ERR_ARGUMENT or MSGRAPH_ERR_NOT_FOUND.
/// (The name fits the 30 bytes an external NAME may have before Oracle 12.2.)
#[no_mangle]
pub extern "C" fn msgraph_xp_clear_tokens(name: *const u8, name_ind: i16, name_len: i32) -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        status_of((|| {
            let name = required_text(name, name_ind, name_len, "credential name")?;
            api::credential_clear_tokens(name).map(|_| MSGRAPH_OK)
        })())
    })
}

// ---------------------------------------------------------- upload bodies

/// Starts an upload body for a request or batch larger than one RAW
/// (32767 bytes). Returns its handle (> 0) or MSGRAPH_ERR_LIMIT when 1024
/// bodies are alive. A body is consumed by the call it is given to (even a
/// failing one); free it with msgraph_xp_body_free() otherwise.
#[no_mangle]
pub extern "C" fn msgraph_xp_body_new() -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        status_of((|| {
            let mut t = lock_bodies();
            if t.len() >= MAX_LIVE_BODIES {
                return Err(Error::new(MSGRAPH_ERR_LIMIT, "too many upload bodies are alive"));
            }
            let id = NEXT_BODY.fetch_add(1, Ordering::Relaxed);
            if id <= 0 {
                return Err(Error::new(MSGRAPH_ERR_LIMIT, "upload body handles are exhausted"));
            }
            t.insert(id, Vec::new());
            Ok(id)
        })())
    })
}

/// Appends a chunk (any bytes; the package sends UTF-8) to an upload body.
/// A NULL chunk appends nothing. Returns the body's length so far, or
/// MSGRAPH_ERR_NOT_FOUND (unknown handle), MSGRAPH_ERR_TOO_LARGE (past
/// 256 MiB: the body is then dropped), MSGRAPH_ERR_ARGUMENT.
#[no_mangle]
pub extern "C" fn msgraph_xp_body_append(body: i32, chunk: *const u8, chunk_ind: i16, chunk_len: i32) -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        status_of((|| {
            let bytes = raw_arg(chunk, chunk_ind, chunk_len, "chunk")?.unwrap_or(&[]);
            let mut t = lock_bodies();
            let b = t
                .get_mut(&body)
                .ok_or_else(|| Error::not_found(format!("no upload body with handle {body}")))?;
            if b.len() + bytes.len() > MAX_BODY_BYTES {
                t.remove(&body);
                return Err(Error::new(MSGRAPH_ERR_TOO_LARGE, "the request body is larger than 256 MiB"));
            }
            b.extend_from_slice(bytes);
            Ok(b.len() as i32)
        })())
    })
}

/// Frees an upload body. Handle 0 does nothing. Returns MSGRAPH_OK or
/// MSGRAPH_ERR_NOT_FOUND.
#[no_mangle]
pub extern "C" fn msgraph_xp_body_free(body: i32) -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        status_of((|| {
            if body == 0 {
                return Ok(MSGRAPH_OK);
            }
            take_body(body).map(|_| MSGRAPH_OK)
        })())
    })
}

// ------------------------------------------------------------------ calls

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
    ffi_boundary!(PANIC_STATUS, {
        // The upload body is consumed whatever happens.
        let uploaded = if body_handle > 0 { Some(take_body(body_handle)) } else { None };
        // Nothing is sent when its result could not be kept.
        if let Err(e) = results::check_capacity() {
            return e.status;
        }
        store_outcome((|| {
            let credential = required_text(credential, credential_ind, credential_len, "credential")?;
            let method = required_text(method, method_ind, method_len, "method")?;
            let url = required_text(url, url_ind, url_len, "url")?;
            let body = match uploaded {
                Some(b) => Some(b?),
                None => raw_arg(body, body_ind, body_len, "body")?.map(<[u8]>::to_vec),
            };
            let options = text_arg(options, options_ind, options_len, "options")?;
            let headers = text_arg(headers, headers_ind, headers_len, "request headers")?;
            let options = merge_options(options, headers, all_pages, max_items)?;
            api::request(credential, method, url, body, options.as_deref())
        })())
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
    ffi_boundary!(PANIC_STATUS, {
        let uploaded = if requests_handle > 0 { Some(take_body(requests_handle)) } else { None };
        // Nothing is sent when its result could not be kept.
        if let Err(e) = results::check_capacity() {
            return e.status;
        }
        store_outcome((|| {
            let credential = required_text(credential, credential_ind, credential_len, "credential")?;
            let requests: String = match uploaded {
                Some(b) => String::from_utf8(b?).map_err(|_| Error::argument("the batch requests are not valid UTF-8"))?,
                None => required_text(requests, requests_ind, requests_len, "requests")?.to_string(),
            };
            let options = text_arg(options, options_ind, options_len, "options")?;
            let headers = text_arg(headers, headers_ind, headers_len, "request headers")?;
            let options = merge_options(options, headers, 0, 0)?;
            api::batch(credential, &requests, options.as_deref())
        })())
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
    ffi_boundary!(PANIC_STATUS, {
        if let Err(e) = results::check_capacity() {
            return e.status;
        }
        store_outcome((|| {
            let credential = required_text(credential, credential_ind, credential_len, "credential")?;
            let options = text_arg(options, options_ind, options_len, "options")?;
            api::token_info(credential, options)
        })())
    })
}

// ---------------------------------------------------------------- results

/// Everything the package sets after a call, in one round trip:
/// `*status` (HTTP status or negative library status), `*length` (body
/// bytes; MSGRAPH_ERR_TOO_LARGE if past 2 GiB), `*ora_error` (the ORA-20xxx
/// number to raise, positive, or 0 for a success: the table of
/// sql/README.md), `reason` (reason phrase, or the status name),
/// `request_id` (Graph's request-id header, else client-request-id),
/// `message` (one line with the service's code, message and ids; NULL for
/// a success).
///
/// Returns MSGRAPH_OK, or MSGRAPH_ERR_NOT_FOUND for an unknown handle (the
/// OUT values are then 0 and NULL).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn msgraph_xp_result_info(
    result: i32,
    status: *mut i32,
    length: *mut i32,
    ora_error: *mut i32,
    reason: *mut u8,
    reason_ind: *mut i16,
    reason_len: *mut i32,
    reason_maxlen: *mut i32,
    request_id: *mut u8,
    request_id_ind: *mut i16,
    request_id_len: *mut i32,
    request_id_maxlen: *mut i32,
    message: *mut u8,
    message_ind: *mut i16,
    message_len: *mut i32,
    message_maxlen: *mut i32,
) -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        let set = |p: *mut i32, v: i32| {
            if !p.is_null() {
                // SAFETY: the agent passes a valid int for an OUT INT.
                unsafe { *p = v }
            }
        };
        set(status, 0);
        set(length, 0);
        set(ora_error, 0);
        let reason = OutRaw::new(reason, reason_ind, reason_len, reason_maxlen);
        let request_id = OutRaw::new(request_id, request_id_ind, request_id_len, request_id_maxlen);
        let message = OutRaw::new(message, message_ind, message_len, message_maxlen);
        status_of((|| {
            let r = results::get(result)?;
            let rid = r.header("request-id").map(|v| v.to_string_lossy().into_owned());
            let cid = r.header("client-request-id").map(|v| v.to_string_lossy().into_owned());
            set(status, r.status);
            set(length, i32::try_from(r.len()).unwrap_or(MSGRAPH_ERR_TOO_LARGE));
            let mark = r.header("x-msgraph-reason").map(|v| v.to_string_lossy().into_owned());
            let code = ora_error_for(r.status, mark.as_deref());
            set(ora_error, code);
            reason.put_text(&reason_phrase(r.status));
            if let Some(id) = rid.as_deref().or(cid.as_deref()) {
                request_id.put_text(id);
            }
            if code != 0 {
                message.put_text(&error_message(r.status, r.body(), rid.as_deref(), cid.as_deref()));
            }
            Ok(MSGRAPH_OK)
        })())
    })
}

/// Copies body bytes from `offset` into `buf` (at most `*buf_maxlen`),
/// never splitting a UTF-8 character of a UTF-8 body. Returns the number
/// copied (0 only at the end: `buf` is then NULL) or a negative status:
/// MSGRAPH_ERR_NOT_FOUND, MSGRAPH_ERR_ARGUMENT (negative offset, offset
/// past the end or inside a character, NULL buffer or maxlen < 1 before
/// the end), MSGRAPH_ERR_TOO_LARGE (the buffer cannot hold the next
/// character; 4 bytes always suffice).
#[no_mangle]
pub extern "C" fn msgraph_xp_result_read(
    result: i32,
    offset: i32,
    buf: *mut u8,
    buf_ind: *mut i16,
    buf_len: *mut i32,
    buf_maxlen: *mut i32,
) -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        let out = OutRaw::new(buf, buf_ind, buf_len, buf_maxlen);
        status_of((|| {
            let r = results::get(result)?;
            let offset = u64::try_from(offset).map_err(|_| Error::argument("offset is negative"))?;
            if offset == r.len() as u64 {
                return Ok(0);
            }
            let cap = out.checked_capacity()? as u64;
            let span = r.read_span(offset, cap).map_err(|e| if cap < 4 { too_small() } else { e })?;
            if span.is_empty() {
                return Err(too_small());
            }
            Ok(out.put_exact(&r.body()[span]) as i32)
        })())
    })
}

/// The response headers as "name: value" lines (names in lower case, one
/// per line, "\n"-terminated), read like the body: from byte `offset`, at
/// most `*buf_maxlen` bytes, never splitting a character. Returns the
/// number of bytes copied (0 only at the end) or a negative status, as
/// msgraph_xp_result_read() (MSGRAPH_ERR_TOO_LARGE: buffer too small for
/// the next character; MSGRAPH_ERR_ARGUMENT: maxlen < 1 before the end).
#[no_mangle]
pub extern "C" fn msgraph_xp_result_headers_read(
    result: i32,
    offset: i32,
    buf: *mut u8,
    buf_ind: *mut i16,
    buf_len: *mut i32,
    buf_maxlen: *mut i32,
) -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        let out = OutRaw::new(buf, buf_ind, buf_len, buf_maxlen);
        status_of((|| {
            let r = results::get(result)?;
            let mut text = String::new();
            for (k, v) in r.header_pairs() {
                let v = v.replace(['\r', '\n'], " ");
                text.push_str(&format!("{k}: {v}\n"));
            }
            let offset = usize::try_from(offset).map_err(|_| Error::argument("offset is negative"))?;
            if offset > text.len() || !text.is_char_boundary(offset) {
                return Err(Error::argument("offset is past the end or inside a character"));
            }
            let rest = &text[offset..];
            if rest.is_empty() {
                return Ok(0);
            }
            out.checked_capacity()?;
            match out.put_text(rest) {
                0 => Err(too_small()),
                n => Ok(n as i32),
            }
        })())
    })
}

// ------------------------------------------------------- character sets

/// Characters of Windows-1252's 0x80..0x9F row (the rest is Latin-1).
const CP1252_EXTRA: &str = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";
/// ISO 8859-15 replaces eight Latin-1 characters with these.
const LATIN9_EXTRA: &str = "€ŠšŽžŒœŸ";
const LATIN9_REMOVED: &str = "¤¦¨´¸¼½¾";

/// Which characters an Oracle database character set can hold, for the
/// sets the package checks in the library. None: not known here.
fn charset_predicate(charset: &str) -> Option<fn(char) -> bool> {
    match charset.trim().to_ascii_uppercase().as_str() {
        "AL32UTF8" | "UTF8" | "UTFE" | "AL16UTF16" => Some(|_| true),
        "US7ASCII" => Some(|c| c.is_ascii()),
        "WE8ISO8859P1" => Some(|c| (c as u32) < 0x80 || ((c as u32) >= 0xA0 && (c as u32) <= 0xFF)),
        "WE8MSWIN1252" => Some(|c| {
            let u = c as u32;
            u < 0x80 || (0xA0..=0xFF).contains(&u) || CP1252_EXTRA.contains(c)
        }),
        "WE8ISO8859P15" => Some(|c| {
            let u = c as u32;
            u < 0x80 || ((0xA0..=0xFF).contains(&u) && !LATIN9_REMOVED.contains(c)) || LATIN9_EXTRA.contains(c)
        }),
        _ => None,
    }
}

/// Checks or rewrites a UTF-8 result body for a database character set.
///
/// `mode` 0 (check): returns 0 when every character of the body is
/// representable in `charset` (an Oracle name such as WE8MSWIN1252), else
/// the 1-based byte offset of the first that is not.
/// `mode` 1 (escape, for JSON bodies): returns the handle of a new result
/// (same status and headers) whose body has every unrepresentable
/// character written as a JSON \uXXXX escape (surrogate pairs above
/// U+FFFF), which is the same JSON; the original result stays alive.
///
/// Negative: MSGRAPH_ERR_NOT_FOUND (handle), MSGRAPH_ERR_ARGUMENT (a
/// character set this library does not know: the package then converts and
/// compares in PL/SQL; a body that is not UTF-8; unknown mode).
#[no_mangle]
pub extern "C" fn msgraph_xp_result_recode(
    result: i32,
    charset: *const u8,
    charset_ind: i16,
    charset_len: i32,
    mode: i32,
) -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        status_of((|| {
            let charset = required_text(charset, charset_ind, charset_len, "charset")?;
            let ok = charset_predicate(charset)
                .ok_or_else(|| Error::argument(format!("character set {charset} is not known to the library")))?;
            let r = results::get(result)?;
            let text = std::str::from_utf8(r.body()).map_err(|_| Error::argument("the body is not UTF-8 text"))?;
            match mode {
                0 => Ok(text
                    .char_indices()
                    .find(|(_, c)| !ok(*c))
                    .map(|(i, _)| i32::try_from(i + 1).unwrap_or(i32::MAX))
                    .unwrap_or(0)),
                1 => {
                    let mut out = String::with_capacity(text.len());
                    for c in text.chars() {
                        if ok(c) {
                            out.push(c);
                        } else {
                            let mut units = [0u16; 2];
                            for u in c.encode_utf16(&mut units) {
                                out.push_str(&format!("\\u{u:04x}"));
                            }
                        }
                    }
                    let headers: serde_json::Map<String, serde_json::Value> =
                        serde_json::from_str(&r.headers_json()).unwrap_or_default();
                    let headers = headers
                        .into_iter()
                        .map(|(k, v)| (k, v.as_str().unwrap_or("").to_string()))
                        .collect();
                    results::insert(Response { status: r.status, headers, body: out.into_bytes() })
                }
                m => Err(Error::argument(format!("unknown recode mode {m}"))),
            }
        })())
    })
}

// ----------------------------------------------------------------- misc

/// The ORA-20xxx number (positive) and a message for a negative status
/// returned by a call that has no result (body, credential calls): the
/// message is the status name and description. Returns 0 (and NULL) for a
/// status >= 0.
#[no_mangle]
pub extern "C" fn msgraph_xp_status_error(
    status: i32,
    message: *mut u8,
    message_ind: *mut i16,
    message_len: *mut i32,
    message_maxlen: *mut i32,
) -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        let out = OutRaw::new(message, message_ind, message_len, message_maxlen);
        if status >= 0 {
            return 0;
        }
        let m = crate::status::message_nul(status);
        out.put_text(&format!("{}: {}", crate::status::name(status), &m[..m.len() - 1]));
        ora_error_for(status, None)
    })
}

/// The library's version ("0.1.0") into `buf`. Returns MSGRAPH_OK.
#[no_mangle]
pub extern "C" fn msgraph_xp_version(buf: *mut u8, buf_ind: *mut i16, buf_len: *mut i32, buf_maxlen: *mut i32) -> i32 {
    ffi_boundary!(PANIC_STATUS, {
        let out = OutRaw::new(buf, buf_ind, buf_len, buf_maxlen);
        out.put_text(env!("CARGO_PKG_VERSION"));
        MSGRAPH_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_table() {
        assert_eq!(ora_error_for(200, None), 0);
        assert_eq!(ora_error_for(204, None), 0);
        assert_eq!(ora_error_for(MSGRAPH_ERR_AUTH, None), 20004);
        assert_eq!(ora_error_for(401, None), 20004);
        assert_eq!(ora_error_for(429, None), 20007);
        assert_eq!(ora_error_for(403, Some("application-access-policy")), 20013);
        assert_eq!(ora_error_for(403, None), 20014);
        assert_eq!(ora_error_for(400, Some("resync-required")), 20011, "Outlook's syncStateNotFound");
        assert_eq!(ora_error_for(400, None), 20016);
        assert_eq!(ora_error_for(404, None), 20015);
        assert_eq!(ora_error_for(-12345, None), 20099);
    }

    #[test]
    fn messages_carry_codes_and_ids() {
        let body = br#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist.","innerError":{"request-id":"r-1","client-request-id":"c-1","date":"d"}}}"#;
        let m = error_message(404, body, None, None);
        assert!(m.contains("HTTP 404 Request_ResourceNotFound: Resource 'x' does not exist."), "{m}");
        assert!(m.contains("request-id=r-1") && m.contains("client-request-id=c-1"), "{m}");
        let body = br#"{"error":{"code":"MSGRAPH_ERR_AUTH","message":"the token endpoint refused","status":-4,"aadsts":7000215,"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","trace_id":"t-1","correlation_id":"k-1"}}"#;
        let m = error_message(-4, body, None, None);
        assert!(m.starts_with("MSGRAPH_ERR_AUTH: the token endpoint refused [AADSTS7000215 invalid_client]"), "{m}");
        assert!(m.contains("trace_id=t-1") && m.contains("correlation_id=k-1"), "{m}");
        let long = "é".repeat(5000);
        assert!(clip(long).len() <= MAX_MESSAGE_BYTES);
    }

    #[test]
    fn charsets() {
        let p = charset_predicate("we8mswin1252").unwrap();
        assert!(p('ë') && p('ü') && p('€') && !p('李'));
        let p = charset_predicate("US7ASCII").unwrap();
        assert!(p('a') && !p('ë'));
        let p = charset_predicate("WE8ISO8859P15").unwrap();
        assert!(p('€') && !p('¤') && p('ë'));
        assert!(charset_predicate("JA16SJIS").is_none());
    }
}
