//! Retry policy: which answers are retried and how long to wait.
//!
//! Retry-After is honoured in all three forms Graph and its front doors use:
//! whole seconds ("10"), fractional seconds ("2.128", waited to the next
//! millisecond, never shorter) and an HTTP-date. Without it, the wait is
//! exponential with full jitter. A call never retries before Retry-After,
//! and never waits past its retry budget.

use std::time::{Duration, Instant, SystemTime};

/// Statuses retried on any method: the request was not processed.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 503 | 504)
}

/// Methods that may be sent again after a transport failure.
pub fn is_idempotent(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS")
}

/// Longest wait honoured for one Retry-After.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Parses a Retry-After value relative to `now`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = v.parse().ok()?;
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        let ms = (secs * 1000.0).ceil();
        return Some(Duration::from_millis(ms as u64).min(MAX_RETRY_AFTER));
    }
    let when = parse_http_date(v)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

/// Parses an HTTP date (the IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT",
/// and the two obsolete forms RFC 9110 says recipients accept).
pub fn parse_http_date(v: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(v.trim()).ok()
}

/// Wait before retry number `attempt` (1-based) when the service gave no
/// Retry-After: full jitter over 0.5 s · 2^(attempt−1), at most 30 s.
pub fn backoff(attempt: u32) -> Duration {
    let cap = 0.5 * 2f64.powi(attempt.saturating_sub(1).min(16) as i32);
    let cap = cap.min(30.0);
    // Never less than a quarter of the cap, so a retry is not immediate.
    let secs = cap * (0.25 + 0.75 * crate::ids::unit_fraction());
    Duration::from_millis((secs * 1000.0).ceil() as u64)
}

/// Tracks the retry budget of one call.
#[derive(Debug)]
pub struct Budget {
    started: Instant,
    limit: Duration,
}

impl Budget {
    /// Starts a budget.
    pub fn new(limit: Duration) -> Budget {
        Budget { started: Instant::now(), limit }
    }
    /// Time left.
    pub fn remaining(&self) -> Duration {
        self.limit.saturating_sub(self.started.elapsed())
    }
    /// True if waiting `wait` still fits.
    pub fn allows(&self, wait: Duration) -> bool {
        wait <= self.remaining()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(parse_retry_after("10", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("2.128", now), Some(Duration::from_millis(2128)));
        assert_eq!(parse_retry_after("0.0001", now), Some(Duration::from_millis(1)));
        // 1994-11-06 08:49:37 is 784111777.
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("99999999", now), Some(MAX_RETRY_AFTER));
        // Found by fuzzing: a 12-digit year must not overflow SystemTime.
        assert_eq!(parse_retry_after("Sun, 06 Nov 300000000000 08:49:37 GMT", now), None);
        assert_eq!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..20 {
            let b = backoff(attempt);
            assert!(b <= Duration::from_secs(30));
            let cap = (0.5 * 2f64.powi(attempt as i32 - 1)).min(30.0);
            assert!(b.as_secs_f64() >= cap * 0.25 - 0.001, "{attempt}: {b:?}");
        }
    }
}
