//! Misbehaviour switchable per run: Outlook-style per app+mailbox throttling, seeded random
//! faults (HTTP errors, connection resets, slow/stalled/truncated/malformed responses), latency ranges.

use crate::state::{lock, Shared};
use crate::util::splitmix;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn d_concurrency() -> u32 {
    4
}
fn d_budget() -> Option<u32> {
    Some(10_000)
}
fn d_window_ms() -> u64 {
    600_000
}
fn d_retry_after() -> String {
    "0.5".into()
}
fn d_true() -> bool {
    true
}

/// Outlook limits per app ID + mailbox (Graph throttling docs: 4 concurrent, 10,000 requests / 10 min).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutlookThrottling {
    /// more than this many requests in flight for the same app+mailbox get 429 (MailboxConcurrency)
    #[serde(default = "d_concurrency")]
    pub concurrency: u32,
    /// request budget per window (Graph's documented 10,000 per 10 minutes
    /// unless set; None = unlimited)
    #[serde(default = "d_budget")]
    pub requests_per_window: Option<u32>,
    #[serde(default = "d_window_ms")]
    pub window_ms: u64,
    /// Retry-After of concurrency 429s (seconds, may be fractional)
    #[serde(default = "d_retry_after")]
    pub retry_after: String,
    /// RetryAfterPlugin behaviour: a request before the Retry-After has passed gets 429 again
    /// and restarts the wait
    #[serde(default = "d_true")]
    pub enforce_retry_after: bool,
}

impl Default for OutlookThrottling {
    fn default() -> Self {
        OutlookThrottling { concurrency: 4, requests_per_window: d_budget(), window_ms: d_window_ms(), retry_after: d_retry_after(), enforce_retry_after: true }
    }
}

fn d_statuses() -> Vec<u16> {
    vec![429, 500, 502, 503, 504]
}
fn d_ra() -> String {
    "1".into()
}
fn d_stall_ms() -> u64 {
    30_000
}

/// Seeded random faults for Graph requests (like Dev Proxy's GraphRandomErrorPlugin + chaos).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomFaults {
    /// probability of an HTTP error status per request (and per $batch item)
    #[serde(default)]
    pub rate: f64,
    #[serde(default)]
    pub seed: u64,
    /// statuses to pick from; POST/PUT/PATCH/DELETE also get 507 unless `write_507` is false
    #[serde(default = "d_statuses")]
    pub statuses: Vec<u16>,
    #[serde(default = "d_true")]
    pub write_507: bool,
    /// Retry-After on 429 and 503
    #[serde(default = "d_ra")]
    pub retry_after: String,
    /// probability for items inside $batch (defaults to `rate`); the outer $batch is never failed by status
    #[serde(default)]
    pub batch_item_rate: Option<f64>,
    /// close the connection without any response
    #[serde(default)]
    pub connection_reset_rate: f64,
    /// extra delay drawn from `slow_ms` [min, max]
    #[serde(default)]
    pub slow_rate: f64,
    #[serde(default)]
    pub slow_ms: Option<[u64; 2]>,
    /// send the status line and headers (Content-Length set), then no body until `stall_ms` passes
    /// (then the connection is closed)
    #[serde(default)]
    pub stall_rate: f64,
    #[serde(default = "d_stall_ms")]
    pub stall_ms: u64,
    /// Content-Length larger than the bytes sent (half the body), then the connection is closed
    #[serde(default)]
    pub truncate_rate: f64,
    /// 200 with a JSON content type and a body that is not valid JSON
    #[serde(default)]
    pub malformed_rate: f64,
    /// also apply to the token endpoint (status errors get AADSTS bodies)
    #[serde(default)]
    pub token: bool,
}

impl Default for RandomFaults {
    fn default() -> Self {
        serde_json::from_str("{}").expect("defaults")
    }
}

/// Latency drawn uniformly from [min_ms, max_ms] per response, seeded.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyRange {
    pub min_ms: u64,
    pub max_ms: u64,
    #[serde(default)]
    pub seed: u64,
}

/// A connection-level or body-level fault decided for one response.
#[derive(Clone, Debug, PartialEq)]
pub enum Wire {
    Normal,
    Reset,
    Stall(u64),
    Truncate,
    Malformed,
}

/// Deterministic draws: splitmix over (seed, stream, counter).
pub fn draw(sh: &Shared, seed: u64, stream: u64) -> f64 {
    let n = sh.rng_counter.fetch_add(1, Ordering::Relaxed);
    let x = splitmix(seed ^ splitmix(stream.wrapping_mul(0x9E37_79B9) ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03)));
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Per app+mailbox load for Outlook throttling and the peak-concurrency statistic.
#[derive(Default, Debug)]
pub struct MailboxLoad {
    pub slots: HashMap<(String, usize), Slot>,
}

#[derive(Debug)]
pub struct Slot {
    pub in_flight: u32,
    pub window_start: Instant,
    pub count: u32,
    /// a request before this instant is an early retry
    pub not_before: Option<Instant>,
    pub penalty: Duration,
    pub last_message: &'static str,
}

/// Held while requests to mailboxes are in flight (one slot per key; a
/// `$batch` holds the slots of its concurrent items in one guard).
pub struct InFlight {
    load: Arc<Mutex<MailboxLoad>>,
    keys: Vec<(String, usize)>,
}

impl InFlight {
    /// Takes over the slots `other` holds (released when `self` drops).
    pub fn join(&mut self, mut other: InFlight) {
        self.keys.append(&mut other.keys);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.keys.is_empty() {
            return;
        }
        let mut load = lock(&self.load);
        for key in &self.keys {
            if let Some(s) = load.slots.get_mut(key) {
                s.in_flight = s.in_flight.saturating_sub(1);
            }
        }
    }
}

pub const CONCURRENCY_MSG: &str = "Application is over its MailboxConcurrency limit.";
pub const BUDGET_MSG: &str = "Application is over its MailboxRequests limit.";

pub fn parse_secs(s: &str) -> Duration {
    s.trim().parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 0.0).map(Duration::from_secs_f64).unwrap_or(Duration::from_secs(1))
}

fn fmt_secs(d: Duration) -> String {
    let ms = d.as_millis().max(1);
    if ms % 1000 == 0 {
        (ms / 1000).to_string()
    } else {
        format!("{:.3}", ms as f64 / 1000.0).trim_end_matches('0').to_string()
    }
}

/// Outlook resources under /users/{u}/...
pub fn is_mailbox_segment(seg: &str) -> bool {
    matches!(
        seg.to_ascii_lowercase().as_str(),
        "messages" | "mailfolders" | "events" | "calendar" | "calendarview" | "calendars" | "contacts" | "contactfolders" | "mailboxsettings" | "todo" | "sendmail"
    )
}

/// The mailbox (user index) a Graph path (after the version) addresses, if any.
pub fn mailbox_of(sh: &Shared, path: &str) -> Option<usize> {
    let mut it = path.split('/').filter(|s| !s.is_empty());
    if !it.next()?.eq_ignore_ascii_case("users") {
        return None;
    }
    let u = crate::util::pct_decode(it.next()?, false);
    if !is_mailbox_segment(it.next()?) {
        return None;
    }
    lock(&sh.tenant).dir.resolve(&u)
}

/// Admit a request of `app` to mailbox `idx`: Ok(guard) or Err((message, retry_after)).
pub fn admit(sh: &Shared, app: &str, idx: usize) -> Result<InFlight, (&'static str, String)> {
    let cfg = lock(&sh.faults).outlook_throttling.clone();
    let key = (app.to_ascii_lowercase(), idx);
    let now = Instant::now();
    let mut load = lock(&sh.load);
    let slot = load.slots.entry(key.clone()).or_insert_with(|| Slot { in_flight: 0, window_start: now, count: 0, not_before: None, penalty: Duration::ZERO, last_message: CONCURRENCY_MSG });
    if let Some(cfg) = cfg {
        let window = Duration::from_millis(cfg.window_ms.max(1));
        if now.duration_since(slot.window_start) >= window {
            slot.window_start = now;
            slot.count = 0;
        }
        slot.count = slot.count.saturating_add(1);
        if cfg.enforce_retry_after {
            if let Some(nb) = slot.not_before {
                if now < nb {
                    // early retry: 429 again and the wait starts over
                    slot.not_before = Some(now + slot.penalty);
                    return Err((slot.last_message, fmt_secs(slot.penalty)));
                }
                slot.not_before = None;
            }
        }
        let rejected = if slot.in_flight >= cfg.concurrency {
            Some((CONCURRENCY_MSG, parse_secs(&cfg.retry_after), cfg.retry_after.clone()))
        } else if cfg.requests_per_window.map(|b| slot.count > b).unwrap_or(false) {
            let rest = window.saturating_sub(now.duration_since(slot.window_start)).max(Duration::from_millis(1));
            Some((BUDGET_MSG, rest, fmt_secs(rest)))
        } else {
            None
        };
        if let Some((msg, pen, ra)) = rejected {
            slot.penalty = pen;
            slot.last_message = msg;
            slot.not_before = Some(now + pen);
            return Err((msg, ra));
        }
    }
    slot.in_flight += 1;
    let n = slot.in_flight;
    drop(load);
    {
        let mut st = lock(&sh.stats);
        let id = crate::data::user_id(idx);
        let e = st.peak_mailbox_concurrency.entry(id).or_insert(0);
        *e = (*e).max(n);
        st.peak_concurrency = st.peak_concurrency.max(n);
    }
    Ok(InFlight { load: sh.load.clone(), keys: vec![key] })
}

/// Pick a random error status for `method` (None = no fault this time).
pub fn random_status(sh: &Shared, rf: &RandomFaults, rate: f64, method: &str) -> Option<u16> {
    if rate <= 0.0 || draw(sh, rf.seed, 1) >= rate {
        return None;
    }
    let mut pool = rf.statuses.clone();
    if rf.write_507 && method != "GET" && method != "HEAD" && !pool.contains(&507) {
        pool.push(507);
    }
    if pool.is_empty() {
        return None;
    }
    let i = (draw(sh, rf.seed, 2) * pool.len() as f64) as usize;
    Some(pool[i.min(pool.len() - 1)])
}

/// Decide the wire-level fault and extra latency for one response.
pub fn wire_fault(sh: &Shared, rf: &RandomFaults) -> (Wire, u64) {
    let hit = |rate: f64, stream: u64| rate > 0.0 && draw(sh, rf.seed, stream) < rate;
    let wire = if hit(rf.connection_reset_rate, 3) {
        Wire::Reset
    } else if hit(rf.stall_rate, 4) {
        Wire::Stall(rf.stall_ms.min(600_000))
    } else if hit(rf.truncate_rate, 5) {
        Wire::Truncate
    } else if hit(rf.malformed_rate, 6) {
        Wire::Malformed
    } else {
        Wire::Normal
    };
    let slow = if hit(rf.slow_rate, 7) {
        let [a, b] = rf.slow_ms.unwrap_or([100, 1000]);
        let (lo, hi) = (a.min(b), a.max(b));
        lo + ((hi - lo + 1) as f64 * draw(sh, rf.seed, 8)) as u64
    } else {
        0
    };
    (wire, slow)
}

/// Latency for one response: fixed `latency_ms`, or drawn from the range.
pub fn latency(sh: &Shared) -> u64 {
    let (fixed, range) = {
        let f = lock(&sh.faults);
        (f.latency_ms, f.latency_range.clone())
    };
    match range {
        Some(r) if r.max_ms > 0 => {
            let (lo, hi) = (r.min_ms.min(r.max_ms), r.min_ms.max(r.max_ms));
            let n = sh.latency_counter.fetch_add(1, Ordering::Relaxed);
            let x = splitmix(r.seed ^ splitmix(n.wrapping_add(0x5151)));
            lo + ((x >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo + 1) as f64) as u64
        }
        _ => fixed,
    }
}
