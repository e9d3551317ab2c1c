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
//!   retried once when the wait fits the call.
//! - A 429/503 with Retry-After is remembered per credential until it passes
//!   (as MSAL's throttling cache): calls in that window fail at once with
//!   MSGRAPH_ERR_THROTTLED and `retry_after_ms`, nothing is sent.
//! - A refusal of a proactive refresh keeps serving the still-valid token
//!   (token_info says `refresh_failed`); the memories of refusals and
//!   throttling apply to calls only once no valid token is left.
//! - Every acquisition runs within the calling call's [`Limits`]: its waits
//!   within the call's retry budget, each token request within the call's
//!   timeout and deadline, and a thread waiting for another thread's refresh
//!   is released at its own deadline.

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
    /// The cache, though the refresh that was due failed or was refused
    /// (or the endpoint is in a remembered throttling window).
    CacheRefreshFailed,
}

impl Source {
    /// Name used in token_info ("cache" / "identity_provider", as MSAL).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Cache | Source::CacheRefreshFailed => "cache",
            Source::IdentityProvider => "identity_provider",
        }
    }
}

/// Longest token lifetime believed (a larger `expires_in` is clipped).
const MAX_LIFETIME: Duration = Duration::from_secs(86_400);

/// What one call allows its token acquisition.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Waits (Retry-After, back-off) must end before this.
    pub waits_until: Instant,
    /// Nothing of the acquisition runs past this.
    pub deadline: Instant,
    /// Budget of one token request.
    pub timeout: Duration,
    /// Retries allowed.
    pub max_retries: u32,
}

impl Limits {
    /// Limits of a call that started at `started` with these settings:
    /// the deadline is the retry budget plus one timeout.
    pub fn new(started: Instant, timeout: Duration, retry_budget: Duration, max_retries: u32) -> Limits {
        let waits_until = started.checked_add(retry_budget).unwrap_or(started);
        Limits {
            waits_until,
            deadline: waits_until.checked_add(timeout).unwrap_or(waits_until),
            timeout,
            max_retries,
        }
    }
    /// The credential's own settings, from now.
    pub fn of_credential(cred: &Credential) -> Limits {
        let c = &cred.config;
        Limits::new(Instant::now(), c.timeout, c.retry_budget, c.max_retries)
    }
}

#[derive(Default)]
struct SlotState {
    token: Option<Arc<Token>>,
    refused: Option<(Instant, Error)>,
    /// Retry-After of a 429/503 from the token endpoint: until when, and the error.
    throttled: Option<(Instant, Error)>,
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
    // Called when a credential is set, replaced or removed (and on a
    // forced refresh): HTTP clients no credential uses are dropped.
    transport::credentials_changed();
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

/// A token for the credential, from the cache when fresh, within the
/// credential's own limits.
pub fn get(cred: &Credential) -> Result<(Arc<Token>, Source)> {
    get_within(cred, &Limits::of_credential(cred))
}

fn remembered(kind: &str, err: &Error, left: Duration) -> Error {
    let mut e = err.clone();
    let secs = left.as_secs() + 1;
    e.message.push_str(&format!(
        " (remembered: the token endpoint is not asked again for this credential for {secs} s{kind})"
    ));
    e.with("replayed", true)
}

/// A token for the credential, within a call's limits.
pub fn get_within(cred: &Credential, lim: &Limits) -> Result<(Arc<Token>, Source)> {
    let s = slot(cred);
    let mut st = lock(&s.state);
    loop {
        let now = Instant::now();
        let valid = st.token.as_ref().filter(|t| t.is_valid(now)).cloned();
        if let Some(t) = &st.token {
            if now < t.refresh_at {
                return Ok((t.clone(), Source::Cache));
            }
        }
        if let Some((until, err)) = &st.throttled {
            if now < *until {
                if let Some(t) = valid {
                    return Ok((t, Source::CacheRefreshFailed));
                }
                let left = until.saturating_duration_since(now);
                return Err(remembered(", Retry-After", err, left)
                    .with("retry_after_ms", left.as_millis().min(u64::MAX as u128) as u64));
            }
        }
        if let Some((at, err)) = &st.refused {
            let age = now.saturating_duration_since(*at);
            if age < REFUSAL_MEMORY {
                if let Some(t) = valid {
                    return Ok((t, Source::CacheRefreshFailed));
                }
                return Err(remembered("", err, REFUSAL_MEMORY.saturating_sub(age)));
            }
        }
        if st.refreshing {
            if let Some(t) = valid {
                return Ok((t, Source::Cache));
            }
            if now >= lim.deadline {
                return Err(Error::new(
                    MSGRAPH_ERR_TIMEOUT,
                    format!("the token for credential '{}' did not arrive within the call's deadline", cred.name),
                ));
            }
            let (g, _) = s
                .changed
                .wait_timeout(st, lim.deadline.saturating_duration_since(now))
                .unwrap_or_else(|p| p.into_inner());
            st = g;
            continue;
        }
        st.refreshing = true;
        drop(st);
        let guard = RefreshGuard(&s);
        // A proactive refresh never waits: the valid token serves meanwhile.
        // With a shared token cache, another process's token may be served.
        let proactive = valid.is_some();
        let outcome = crate::token_cache::fetch_through(cred, lim.deadline, || fetch(cred, lim, proactive));
        let mut served = None;
        return match outcome {
            Ok((t, source)) => {
                guard.finish(|st| {
                    st.token = Some(t.clone());
                    st.refused = None;
                    st.throttled = None;
                });
                Ok((t, source))
            }
            Err(f) => {
                guard.finish(|st| {
                    let now = Instant::now();
                    if f.remember {
                        st.refused = Some((now, f.error.clone()));
                    }
                    if let Some(wait) = f.throttled_for {
                        st.throttled = now.checked_add(wait).map(|u| (u, f.error.clone()));
                    }
                    // A failed proactive refresh serves the still-valid token.
                    served = st.token.as_ref().filter(|t| t.is_valid(now)).cloned();
                });
                match served {
                    Some(t) => Ok((t, Source::CacheRefreshFailed)),
                    None => {
                        let mut e = f.error;
                        if let Some(wait) = f.throttled_for {
                            e = e.with("retry_after_ms", wait.as_millis().min(u64::MAX as u128) as u64);
                        }
                        Err(e)
                    }
                }
            }
        };
    }
}

/// A failed token exchange: the error, whether the refusal is remembered,
/// and the throttling window the endpoint asked for.
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) remember: bool,
    pub(crate) throttled_for: Option<Duration>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure { error, remember: false, throttled_for: None }
    }
}

/// One exchange with the token endpoint, with its own small retry policy
/// bounded by the call's limits.
fn fetch(cred: &Credential, lim: &Limits, proactive: bool) -> std::result::Result<Arc<Token>, Failure> {
    let cfg = &cred.config;
    let client = transport::client_for(cfg)?;
    let host = cfg.token_url.host_str().unwrap_or("").to_string();
    let mut attempt = 0u32;
    // A retry (one at most) when the call allows one and its wait fits.
    let may_retry = |attempt: u32, wait: Duration| {
        attempt == 1 && !proactive && lim.max_retries > 0 && Instant::now().checked_add(wait).is_some_and(|t| t <= lim.waits_until)
    };
    loop {
        attempt += 1;
        let left = lim.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(with_context(Error::new(MSGRAPH_ERR_TIMEOUT, "the call's deadline passed"), cred).into());
        }
        // A certificate signs a fresh assertion (new jti) for every request.
        let proof = match &cfg.auth {
            ClientAuth::Secret(s) => vec![("client_secret", s.clone())],
            ClientAuth::Certificate(c) => vec![
                ("client_assertion_type", Secret::new("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")),
                ("client_assertion", Secret::new(c.assertion(&cfg.client_id, cfg.token_url.as_str())?)),
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
            .timeout(lim.timeout.min(cfg.timeout).min(left))
            .header("client-request-id", crate::ids::guid())
            .header("x-client-sku", "msgraph-extproc")
            .header("x-client-ver", env!("CARGO_PKG_VERSION"))
            .header("x-ms-lib-capability", "retry-after, h429");
        let acquired_at = (Instant::now(), SystemTime::now());
        let resp = match transport::send(req, &host, MAX_TOKEN_RESPONSE) {
            Ok(r) => r,
            // One retry after a second on a timeout or a broken connection.
            Err(e) if matches!(e.status, MSGRAPH_ERR_TRANSPORT | MSGRAPH_ERR_TIMEOUT) && may_retry(attempt, Duration::from_secs(1)) => {
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
            Err(e) => return Err(with_context(e, cred).into()),
        };
        match resp.status {
            200..=299 => return Ok(parse_success(&resp, cfg.scope.clone(), acquired_at)?),
            429 | 500..=599 => {
                let told = resp.header("retry-after").and_then(|v| parse_retry_after(v, SystemTime::now()));
                let wait = told.unwrap_or_else(|| backoff(attempt).max(Duration::from_secs(1)));
                if may_retry(attempt, wait) {
                    std::thread::sleep(wait);
                    continue;
                }
                let status = if resp.status == 429 { MSGRAPH_ERR_THROTTLED } else { MSGRAPH_ERR_TRANSPORT };
                let throttled_for = told.filter(|w| !w.is_zero() && matches!(resp.status, 429 | 503));
                return Err(Failure { error: refusal(cred, &resp, status), remember: false, throttled_for });
            }
            s => {
                return Err(Failure { error: refusal(cred, &resp, MSGRAPH_ERR_AUTH), remember: s == 400 || s == 401, throttled_for: None })
            }
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
    // Sent in a header: visible ASCII only, or it would fail every call
    // for the token's lifetime.
    if !access_token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("the access_token has characters a header cannot carry"));
    }
    let token_type = match &v["token_type"] {
        Value::Null => "Bearer",
        Value::String(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+".contains(&b)) => t,
        _ => return Err(bad("the token_type is not a token name")),
    };
    let seconds = |field: &str| -> Option<u64> {
        match &v[field] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    let lifetime = Duration::from_secs(seconds("expires_in").unwrap_or(600)).min(MAX_LIFETIME);
    let margin = REFRESH_MARGIN.min(lifetime / 2);
    let mut refresh_after = lifetime - margin;
    if let Some(r) = seconds("refresh_in") {
        refresh_after = refresh_after.min(Duration::from_secs(r));
    }
    let overflow = || bad("the lifetime is out of range");
    Ok(Arc::new(Token {
        access_token: Secret::new(access_token),
        token_type: token_type.to_string(),
        expires_on: wall.checked_add(lifetime).ok_or_else(overflow)?,
        expires_at: at.checked_add(lifetime).ok_or_else(overflow)?,
        refresh_at: at.checked_add(refresh_after).ok_or_else(overflow)?,
        refresh_on: wall.checked_add(refresh_after).ok_or_else(overflow)?,
        scope,
    }))
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
        if let Some(h) = crate::outcome::aadsts_hint(c) {
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
