//! Client-credentials tokens: acquisition from the token endpoint and a
//! cache per credential.
//!
//! - Cache key: the credential's name and the fingerprint of its secret and
//!   endpoints, so a credential with a wrong secret is never served another
//!   credential's token, and replacing a credential drops its tokens.
//! - A token is refreshed when less than 5 minutes (or half its lifetime, for
//!   short-lived tokens) remain, or at `refresh_in` when the service sent it.
//! - One refresh at a time per key; while it runs, other threads are served
//!   the still-valid token, or wait for the new one when there is none.
//! - A failed proactive refresh serves the still-valid token.
//! - Token endpoint protection: a 400 or 401 refusal is remembered for 60 s
//!   and replayed without asking again (a loop of bad-secret requests gets an
//!   app blocked, AADSTS50196); 429 and 5xx honour Retry-After, and 5xx is
//!   retried once.

use crate::config::ClientAuth;
use crate::credentials::Credential;
use crate::error::{Error, Result};
use crate::retry::{backoff, parse_retry_after};
use crate::secret::Secret;
use crate::status::*;
use crate::sync::lock;
use crate::transport::{self, RawResponse};
use once_cell::sync::Lazy;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// How long a refusal by the token endpoint is replayed from memory.
pub const REFUSAL_MEMORY: Duration = Duration::from_secs(60);
/// Refresh margin before expiry (MSAL's 5 minutes).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Largest token response accepted.
const MAX_TOKEN_RESPONSE: u64 = 1 << 20;

/// An access token and what is known about it.
#[derive(Debug)]
pub struct Token {
    /// The bearer token itself.
    pub access_token: Secret,
    /// Usually "Bearer".
    pub token_type: String,
    /// Wall-clock expiry, for reporting.
    pub expires_on: SystemTime,
    /// Monotonic expiry.
    pub expires_at: Instant,
    /// Monotonic time from which a refresh is due.
    pub refresh_at: Instant,
    /// Wall-clock refresh time, for reporting.
    pub refresh_on: SystemTime,
    /// Scope the token was requested for.
    pub scope: String,
}

impl Token {
    /// Usable for a request now (not expired, with 10 s to spare).
    pub fn is_valid(&self, now: Instant) -> bool {
        now + Duration::from_secs(10) < self.expires_at
    }
}

/// Where a token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The cache.
    Cache,
    /// A new request to the token endpoint.
    IdentityProvider,
}

impl Source {
    /// Name used in token_info ("cache" / "identity_provider", as MSAL).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Cache => "cache",
            Source::IdentityProvider => "identity_provider",
        }
    }
}

#[derive(Default)]
struct SlotState {
    token: Option<Arc<Token>>,
    refused: Option<(Instant, Error)>,
    refreshing: bool,
}

#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    changed: Condvar,
}

type Key = (String, u64);
static CACHE: Lazy<Mutex<HashMap<Key, Arc<Slot>>>> = Lazy::new(Default::default);

fn slot(cred: &Credential) -> Arc<Slot> {
    lock(&CACHE).entry((cred.name.clone(), cred.fingerprint)).or_default().clone()
}

/// Drops every token cached under a credential name.
pub fn forget(name: &str) {
    lock(&CACHE).retain(|(n, _), _| n != name);
}

/// Drops `token` from the cache if it is still the cached one (after Graph
/// answered 401 for it), so that the next `get` fetches a new one.
pub fn invalidate(cred: &Credential, token: &Arc<Token>) {
    let s = slot(cred);
    let mut st = lock(&s.state);
    if st.token.as_ref().is_some_and(|t| Arc::ptr_eq(t, token)) {
        st.token = None;
    }
    drop(st);
    crate::token_cache::discard(cred, token);
}

/// Ends a refresh: stores its outcome, resets `refreshing` and wakes the
/// waiters in one step under the lock (so no waiter sees "not refreshing"
/// before the new token is there). Also ends it if the fetch panicked.
struct RefreshGuard<'a>(&'a Slot);

impl RefreshGuard<'_> {
    fn finish(self, store: impl FnOnce(&mut SlotState)) {
        let mut st = lock(&self.0.state);
        store(&mut st);
        st.refreshing = false;
        drop(st);
        self.0.changed.notify_all();
        std::mem::forget(self);
    }
}

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).refreshing = false;
        self.0.changed.notify_all();
    }
}

/// A token for the credential, from the cache when fresh.
pub fn get(cred: &Credential) -> Result<(Arc<Token>, Source)> {
    let s = slot(cred);
    loop {
        let mut st = lock(&s.state);
        let now = Instant::now();
        if let Some(t) = &st.token {
            if now < t.refresh_at {
                return Ok((t.clone(), Source::Cache));
            }
        }
        if let Some((at, err)) = &st.refused {
            if now.duration_since(*at) < REFUSAL_MEMORY {
                let left = REFUSAL_MEMORY.saturating_sub(now.duration_since(*at)).as_secs() + 1;
                let mut e = err.clone();
                e.message.push_str(&format!(
                    " (remembered: the token endpoint is not asked again for this credential for {left} s)"
                ));
                return Err(e.with("replayed", true));
            }
        }
        if st.refreshing {
            if let Some(t) = st.token.as_ref().filter(|t| t.is_valid(now)) {
                return Ok((t.clone(), Source::Cache));
            }
            drop(s.changed.wait(st).unwrap_or_else(|p| p.into_inner()));
            continue;
        }
        st.refreshing = true;
        drop(st);
        let guard = RefreshGuard(&s);
        // With a shared token cache, another process's token may be served.
        let outcome = crate::token_cache::fetch_through(cred, || fetch(cred));
        let mut served = None;
        let result = match outcome {
            Ok((t, source)) => {
                guard.finish(|st| {
                    st.token = Some(t.clone());
                    st.refused = None;
                });
                Ok((t, source))
            }
            Err((e, remember)) => {
                guard.finish(|st| {
                    if remember {
                        st.refused = Some((Instant::now(), e.clone()));
                    } else if let Some(t) = st.token.as_ref().filter(|t| t.is_valid(Instant::now())) {
                        // A failed proactive refresh serves the still-valid token.
                        served = Some(t.clone());
                    }
                });
                match served {
                    Some(t) => Ok((t, Source::Cache)),
                    None => Err(e),
                }
            }
        };
        return result;
    }
}

/// One exchange with the token endpoint, with its own small retry policy.
/// The flag says whether the refusal is to be remembered.
fn fetch(cred: &Credential) -> std::result::Result<Arc<Token>, (Error, bool)> {
    let cfg = &cred.config;
    let client = transport::client_for(cfg).map_err(|e| (e, false))?;
    let host = cfg.token_url.host_str().unwrap_or("").to_string();
    let started = Instant::now();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        // A certificate signs a fresh assertion (new jti) for every request.
        let proof = match &cfg.auth {
            ClientAuth::Secret(s) => vec![("client_secret", s.clone())],
            ClientAuth::Certificate(c) => vec![
                ("client_assertion_type", Secret::new("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")),
                ("client_assertion", Secret::new(c.assertion(&cfg.client_id, cfg.token_url.as_str()).map_err(|e| (e, false))?)),
            ],
        };
        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", "client_credentials"),
            ("client_id", cfg.client_id.as_str()),
            ("scope", cfg.scope.as_str()),
        ];
        form.extend(proof.iter().map(|(k, v)| (*k, v.expose())));
        let req = client
            .post(cfg.token_url.clone())
            .form(&form)
            .timeout(cfg.timeout)
            .header("client-request-id", crate::ids::guid())
            .header("x-client-sku", "msgraph-extproc")
            .header("x-client-ver", env!("CARGO_PKG_VERSION"))
            .header("x-ms-lib-capability", "retry-after, h429");
        let acquired_at = (Instant::now(), SystemTime::now());
        let resp = match transport::send(req, &host, MAX_TOKEN_RESPONSE) {
            Ok(r) => r,
            // One retry after a second on a timeout or a broken connection.
            Err(e) if attempt == 1 && matches!(e.status, MSGRAPH_ERR_TRANSPORT | MSGRAPH_ERR_TIMEOUT) => {
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
            Err(e) => return Err((with_context(e, cred), false)),
        };
        match resp.status {
            200..=299 => return parse_success(&resp, cfg.scope.clone(), acquired_at).map_err(|e| (e, false)),
            429 | 500..=599 => {
                let wait = resp
                    .header("retry-after")
                    .and_then(|v| parse_retry_after(v, SystemTime::now()))
                    .unwrap_or_else(|| backoff(attempt).max(Duration::from_secs(1)));
                let fits = started.elapsed() + wait <= cfg.retry_budget.min(Duration::from_secs(60));
                if attempt == 1 && fits {
                    std::thread::sleep(wait);
                    continue;
                }
                let status = if resp.status == 429 { MSGRAPH_ERR_THROTTLED } else { MSGRAPH_ERR_TRANSPORT };
                return Err((refusal(cred, &resp, status), false));
            }
            s => return Err((refusal(cred, &resp, MSGRAPH_ERR_AUTH), s == 400 || s == 401)),
        }
    }
}

fn with_context(mut e: Error, cred: &Credential) -> Error {
    e.message = format!("token request for credential '{}': {}", cred.name, e.message);
    e.scrubbed(&crate::secret::secrets_of(&cred.config))
}

fn parse_success(
    resp: &RawResponse,
    scope: String,
    (at, wall): (Instant, SystemTime),
) -> Result<Arc<Token>> {
    let bad = |what: &str| Error::new(MSGRAPH_ERR_AUTH, format!("the token endpoint's answer is unusable: {what}"));
    let v: Value = serde_json::from_slice(&resp.body).map_err(|_| bad("not JSON"))?;
    let access_token = v["access_token"].as_str().filter(|t| !t.is_empty()).ok_or_else(|| bad("no access_token"))?;
    let seconds = |field: &str| -> Option<u64> {
        match &v[field] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    let lifetime = Duration::from_secs(seconds("expires_in").unwrap_or(600));
    let margin = REFRESH_MARGIN.min(lifetime / 2);
    let mut refresh_after = lifetime - margin;
    if let Some(r) = seconds("refresh_in") {
        refresh_after = refresh_after.min(Duration::from_secs(r));
    }
    Ok(Arc::new(Token {
        access_token: Secret::new(access_token),
        token_type: v["token_type"].as_str().unwrap_or("Bearer").to_string(),
        expires_on: wall + lifetime,
        expires_at: at + lifetime,
        refresh_at: at + refresh_after,
        refresh_on: wall + refresh_after,
        scope,
    }))
}

/// One-line advice for the AADSTS codes people meet while setting up.
pub fn hint(aadsts: u64) -> Option<&'static str> {
    Some(match aadsts {
        7000215 => "Use the client secret's VALUE, not its secret ID, and check that the secret belongs to this app.",
        7000222 => "The client secret has expired: add a new secret to the app registration and update the credential.",
        700016 => "No app with this client_id in the tenant: check client_id and tenant_id, and that the app is not deleted.",
        90002 => "Tenant not found: check tenant_id, and that the authority host is the tenant's cloud (cloud key).",
        700027 => "The client assertion's signature does not verify: upload the certificate that matches the private key.",
        7000112 => "The application is disabled in the tenant: an administrator must enable it.",
        53003 => "Conditional Access blocked the sign-in: exclude the workload identity or adjust the policy.",
        50196 => "The token endpoint detected a request loop: the library caches tokens; do not ask for one per call.",
        70011 => "Invalid scope: for client credentials use the resource's /.default scope, e.g. https://graph.microsoft.com/.default.",
        7000218 => "No client secret or assertion was sent: set client_secret or client_secret_env.",
        700023 | 700022 => "Invalid scope: request exactly one resource's /.default scope.",
        500011 => "The resource is not in the tenant: check the scope and the cloud.",
        900144 => "A required parameter is missing from the token request.",
        90055 => "The tenant is throttled by the token service: back off.",
        _ => return None,
    })
}

/// The error for a refusal, with the identity platform's own fields.
fn refusal(cred: &Credential, resp: &RawResponse, status: i32) -> Error {
    let doc: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    let code = doc["error_codes"][0].as_u64();
    let error = doc["error"].as_str().unwrap_or("");
    let first_line = doc["error_description"].as_str().unwrap_or("").lines().next().unwrap_or("").trim().to_string();
    let summary = if first_line.is_empty() {
        format!("HTTP {}", resp.status)
    } else {
        first_line.clone()
    };
    let mut message = format!("the token endpoint refused credential '{}' (HTTP {}): {summary}", cred.name, resp.status);
    let mut e = Error::new(status, String::new()).with("http_status", resp.status);
    if let Some(c) = code {
        e = e.with("aadsts", c);
        if let Some(h) = hint(c) {
            message.push_str(" Hint: ");
            message.push_str(h);
            e = e.with("hint", h);
        }
    }
    if !error.is_empty() {
        e = e.with("error", error);
    }
    if !first_line.is_empty() {
        e = e.with("error_description", first_line);
    }
    for field in ["trace_id", "correlation_id", "timestamp", "error_uri"] {
        if let Some(v) = doc[field].as_str() {
            e = e.with(field, v);
        }
    }
    if let Some(ra) = resp.header("retry-after") {
        e = e.with("retry_after", ra);
    }
    e.message = message;
    // Whatever the endpoint (or a proxy) echoed: never the credential's
    // secret, assertion or a token.
    e.scrubbed(&crate::secret::secrets_of(&cred.config))
}
