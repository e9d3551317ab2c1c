//! Shared emulator state: tenant data, fault script, stats, request log.

use crate::data::Tenant;
use crate::mailbox::Mailbox;
use crate::util::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    // (fields below `batch_requests` were added with the fault features; all counters start at 0)
    pub token_requests: u64,
    pub tokens_issued: u64,
    pub graph_requests: u64,
    pub batch_requests: u64,
    /// tokens issued for a client secret
    pub tokens_issued_secret: u64,
    /// tokens issued for a client assertion (certificate credential)
    pub tokens_issued_assertion: u64,
    /// 429 responses sent (top-level and $batch items, any cause)
    pub throttled: u64,
    /// 429s from Outlook per app+mailbox throttling (concurrency, budget, early retries)
    pub outlook_throttled: u64,
    /// highest number of requests in flight at once for one app+mailbox, per mailbox (user id)
    pub peak_mailbox_concurrency: std::collections::BTreeMap<String, u32>,
    /// the highest value in `peak_mailbox_concurrency`
    pub peak_concurrency: u32,
    /// random_faults: HTTP error statuses injected (top-level and $batch items)
    pub random_errors: u64,
    /// random_faults: connections closed without a response
    pub connection_resets: u64,
    /// random_faults: responses stalled after the headers
    pub stalled: u64,
    /// random_faults: bodies cut short of their Content-Length
    pub truncated: u64,
    /// random_faults: 200 responses with malformed JSON
    pub malformed: u64,
    /// random_faults: responses delayed by `slow_ms`
    pub slowed: u64,
    /// delta requests answered 410/400 because delta tokens were expired
    pub expired_delta_tokens: u64,
    /// connections accepted (TCP, after TLS when TLS is on)
    pub connections: u64,
    /// HTTP/2 streams reset with REFUSED_STREAM (refuse_stream_next), unprocessed
    pub refused_streams: u64,
    /// HTTP/2 connections sent a graceful GOAWAY (goaway_next)
    pub goaways: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    /// path + query, as sent
    pub path: String,
    /// lowercased names; Authorization values are kept so tests can inspect them
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub status: u16,
    pub at_ms: u64,
    /// body length in bytes
    pub body_len: usize,
    /// the Host header (host:port) the client used
    pub host: String,
    /// time spent producing the response, ms
    pub duration_ms: u64,
    /// HTTP version of the request: "HTTP/1.1" or "HTTP/2.0"
    pub http_version: String,
    /// the connection the request came on (1, 2, ... in accept order): requests sharing an
    /// HTTP/2 connection (or a kept-alive HTTP/1.1 one) share this id
    pub connection_id: u64,
    /// a wire-level fault instead of (or after) the answer: "refused_stream", "goaway",
    /// "goaway_unprocessed", "reset", "stall", "truncate", "malformed"
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wire_fault: Option<String>,
    /// token requests that got a token: "client_secret", "client_assertion:PS256" or "client_assertion:RS256"
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_auth: Option<String>,
}

/// A scripted fault counter: applies to the next `remaining` matching requests.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Countdown {
    pub remaining: u32,
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub retry_after: Option<String>,
}

impl Countdown {
    pub fn take(&mut self) -> Option<Countdown> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some(self.clone())
    }
}

/// Application access policy: restricts an app's Outlook access to a set of mailboxes.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AccessPolicy {
    pub app_id: String,
    /// users (ids or UPNs) the app may access; all others get 403 "Access to OData is disabled."
    pub allowed_users: Vec<String>,
}

/// The whole fault script. Every knob is independent; later features add fields here.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Faults {
    pub throttle: Countdown,
    pub fail: Countdown,
    pub fail_token: Countdown,
    pub batch_item_throttle: Countdown,
    pub latency_ms: u64,
    pub token_lifetime_secs: u64,
    pub refresh_in_secs: Option<u64>,
    /// tokens whose serial is below this are revoked
    pub revoked_below_serial: u64,
    pub access_policies: Vec<AccessPolicy>,
    /// Outlook-style per app+mailbox throttling (None = off)
    pub outlook_throttling: Option<crate::chaos::OutlookThrottling>,
    /// seeded random faults (None = off)
    pub random_faults: Option<crate::chaos::RandomFaults>,
    /// latency drawn per response from a range (overrides latency_ms when set)
    pub latency_range: Option<crate::chaos::LatencyRange>,
    /// delta tokens issued before this generation are expired (stays in force across reset)
    pub delta_generation: u64,
    /// error code for expired Outlook delta tokens: None = "syncStateNotFound", or "resyncRequired"
    pub expired_outlook_delta_code: Option<String>,
    /// HTTP/2 only: reset the next Graph/token streams with RST_STREAM(REFUSED_STREAM) before
    /// processing them (HTTP/1.1 requests do not count down)
    pub refuse_stream: Countdown,
    /// HTTP/2 only: after the next Graph/token streams, shut their connection down with a
    /// graceful GOAWAY (NO_ERROR, last-stream-id = the last stream taken)
    pub goaway: Countdown,
    /// with `goaway`: the triggering stream itself is left unprocessed (reset REFUSED_STREAM),
    /// as a stream above the GOAWAY's last-stream-id is
    pub goaway_unprocessed: bool,
}

pub struct Shared {
    pub start: Instant,
    pub scheme: &'static str,
    pub port: AtomicU64,
    pub default_lifetime: u64,
    pub default_refresh_in: Option<u64>,
    pub default_latency: u64,
    pub key: [u8; 32],
    pub tenant: Mutex<Tenant>,
    pub mailboxes: Mutex<HashMap<usize, Mailbox>>,
    pub faults: Mutex<Faults>,
    pub stats: Mutex<Stats>,
    pub log: Mutex<VecDeque<RecordedRequest>>,
    pub token_serial: AtomicU64,
    pub log_stderr: AtomicBool,
    /// certificate loaded at start (--cert/--key); None = the process-wide generated one
    pub loaded_cert: Option<std::sync::Arc<crate::cert::AppCert>>,
    /// client assertion jti values seen (jti -> exp), for replay detection
    pub seen_jtis: Mutex<HashMap<String, i64>>,
    /// per app+mailbox in-flight counts and windows (Outlook throttling)
    pub load: std::sync::Arc<Mutex<crate::chaos::MailboxLoad>>,
    pub rng_counter: AtomicU64,
    pub latency_counter: AtomicU64,
    /// connection ids handed out (RecordedRequest::connection_id)
    pub conn_serial: AtomicU64,
    /// Options::http1_only
    pub http1_only: bool,
    /// MSGRAPH_EMULATOR_RECORD_DIR: every JSON response body is appended here with its route
    pub record: Option<crate::record::Recorder>,
}

pub const LOG_CAP: usize = 100_000;

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn reset_faults(&self) {
        let mut f = lock(&self.faults);
        let revoked = f.revoked_below_serial;
        let delta_generation = f.delta_generation;
        *f = Faults {
            delta_generation,
            latency_ms: self.default_latency,
            token_lifetime_secs: self.default_lifetime,
            refresh_in_secs: self.default_refresh_in,
            revoked_below_serial: revoked,
            ..Default::default()
        };
        drop(f);
        for slot in lock(&self.load).slots.values_mut() {
            slot.count = 0;
            slot.not_before = None;
            slot.window_start = Instant::now();
        }
    }
    /// The certificate registered on the primary app.
    pub fn app_cert(&self) -> std::sync::Arc<crate::cert::AppCert> {
        match &self.loaded_cert {
            Some(c) => c.clone(),
            None => crate::cert::default_cert(),
        }
    }
    pub fn expire_delta_tokens(&self) {
        lock(&self.faults).delta_generation += 1;
    }
    #[allow(dead_code)]
    pub fn delta_generation(&self) -> u64 {
        lock(&self.faults).delta_generation
    }
    pub fn next_serial(&self) -> u64 {
        self.token_serial.fetch_add(1, Ordering::SeqCst)
    }
    pub fn revoke(&self) {
        let s = self.token_serial.load(Ordering::SeqCst);
        lock(&self.faults).revoked_below_serial = s;
    }
}

/// A finished response, independent of hyper so $batch can reuse handlers.
#[derive(Clone, Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(status: u16, v: &Value) -> Resp {
        Resp { status, headers: vec![], body: serde_json::to_vec(v).unwrap_or_default() }
    }
    pub fn empty(status: u16) -> Resp {
        Resp { status, headers: vec![], body: vec![] }
    }
    pub fn header(mut self, k: &str, v: &str) -> Resp {
        self.headers.retain(|(hk, _)| !hk.eq_ignore_ascii_case(k));
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
    pub fn get_header(&self, k: &str) -> Option<&str> {
        self.headers.iter().find(|(hk, _)| hk.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str())
    }
}

/// Per-request context for Graph handlers.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// scheme://host:port as the client addressed us
    pub base: String,
    pub version: String,
    pub request_id: String,
    pub client_request_id: String,
    pub headers: Vec<(String, String)>,
}

impl Ctx {
    pub fn hdr(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn root(&self) -> String {
        format!("{}/{}", self.base, self.version)
    }
    pub fn inner(&self) -> Value {
        json!({"date": graph_date(now_secs()), "request-id": self.request_id, "client-request-id": self.client_request_id})
    }
    pub fn err(&self, status: u16, code: &str, msg: &str) -> Resp {
        Resp::json(status, &json!({"error": {"code": code, "message": msg, "innerError": self.inner()}}))
    }
}
