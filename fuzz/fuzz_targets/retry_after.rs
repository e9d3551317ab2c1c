//! Retry-After parsing: seconds (with fractions) or an HTTP-date, as a
//! server (or anything between) may send it; never more than an hour.
#![no_main]
use libfuzzer_sys::fuzz_target;
use msgraph::__private::retry::{parse_http_date, parse_retry_after};
use std::time::{Duration, SystemTime};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(d) = parse_retry_after(text, SystemTime::now()) {
        assert!(d <= Duration::from_secs(3600), "{text:?} -> {d:?}");
    }
    let _ = parse_http_date(text);
});
