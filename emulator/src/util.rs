//! Small helpers: deterministic ids, time formatting/parsing, URL/form codecs.

use base64::Engine;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub fn hash_str(s: &str) -> u64 {
    // FNV-1a then mixed: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    splitmix(h)
}

/// Format 128 bits as a version-4 looking GUID.
pub fn guid_from_bits(hi: u64, lo: u64) -> String {
    let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

/// Deterministic GUID for (namespace, n).
pub fn det_guid(ns: &str, n: u64) -> String {
    let h = hash_str(ns);
    guid_from_bits(splitmix(h ^ n), splitmix(h.rotate_left(17) ^ n.wrapping_mul(31) ^ 0x55))
}

pub fn random_guid() -> String {
    use rand::Rng;
    let mut r = rand::thread_rng();
    guid_from_bits(r.gen(), r.gen())
}

pub fn b64url(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

pub fn b64std(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

pub fn b64std_decode(s: &str) -> Option<Vec<u8>> {
    let cleaned: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(cleaned).ok()
}

/// Outlook-looking item id ("AAMkAG...AAA="), URL path safe.
pub fn outlook_id(kind: &str, user: u64, n: u64) -> String {
    let mut bytes = Vec::with_capacity(40);
    let h = hash_str(kind);
    for k in 0..5u64 {
        bytes.extend_from_slice(&splitmix(h ^ user.wrapping_mul(0x1000_0001) ^ n.wrapping_mul(0x7777) ^ k).to_le_bytes());
    }
    let s = base64::engine::general_purpose::STANDARD.encode(&bytes);
    format!("AAMkAG{}AAA=", s.replace('+', "_").replace('/', "-"))
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

pub fn now_secs() -> i64 {
    (now_ms() / 1000) as i64
}

// ---- calendar dates (the `time` crate's calendar) ----

/// Days since 1970-01-01 of a calendar date (None if there is no such day).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    let date = time::Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()?;
    Some(i64::from(date.to_julian_day() - EPOCH_DAY))
}

/// (year, month, day) of a day number (days since 1970-01-01); days outside
/// the years -9999..=9999 read as 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let date = i32::try_from(z)
        .ok()
        .and_then(|z| z.checked_add(EPOCH_DAY))
        .and_then(|j| time::Date::from_julian_day(j).ok())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH.date());
    (i64::from(date.year()), i64::from(u8::from(date.month())), i64::from(date.day()))
}

/// The Julian day number of 1970-01-01.
const EPOCH_DAY: i32 = time::OffsetDateTime::UNIX_EPOCH.date().to_julian_day();

pub fn parts(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
}

/// "2024-05-01T10:00:00Z"
pub fn iso(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = parts(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// "2024-05-01T10:00:00.1234567Z" style used by directory timestamps.
pub fn iso7(secs: i64, frac: u32) -> String {
    let (y, m, d, hh, mm, ss) = parts(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{:07}Z", frac % 10_000_000)
}

/// Outlook dateTimeTimeZone value: "2024-05-01T10:00:00.0000000"
pub fn outlook_dt(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = parts(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.0000000")
}

/// Graph innerError date: "2020-08-18T12:51:51"
pub fn graph_date(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = parts(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}")
}

/// AADSTS timestamp: "2022-06-18 03:16:39Z"
pub fn aad_ts(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = parts(secs);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}Z")
}

#[allow(dead_code)] // for HTTP-date Retry-After faults
pub fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (y, m, d, hh, mm, ss) = parts(secs);
    let wd = DAYS[secs.div_euclid(86400).rem_euclid(7) as usize];
    format!("{wd}, {d:02} {} {y:04} {hh:02}:{mm:02}:{ss:02} GMT", MONTHS[(m - 1) as usize])
}

/// Parse an ISO 8601 date-time ("2020-01-01T19:00:00-08:00", "...Z", "...0000000",
/// date only) into epoch seconds; a missing offset means UTC.
pub fn parse_iso(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, mo, d)? * 86400;
    if b.len() == 10 {
        return Some(secs);
    }
    if b[10] != b'T' && b[10] != b't' && b[10] != b' ' {
        return None;
    }
    if b.len() < 16 {
        return None;
    }
    let hh = num(11..13)?;
    let mm = num(14..16)?;
    let mut i = 16;
    let mut ss = 0;
    if b.len() >= 19 && b[16] == b':' {
        ss = num(17..19)?;
        i = 19;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    secs += hh * 3600 + mm * 60 + ss;
    let rest = &s[i..];
    if rest.is_empty() || rest == "Z" || rest == "z" {
        return Some(secs);
    }
    let sign = match rest.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let off = &rest[1..];
    let (oh, om) = if off.len() == 5 && off.as_bytes()[2] == b':' {
        (off[0..2].parse::<i64>().ok()?, off[3..5].parse::<i64>().ok()?)
    } else if off.len() == 4 {
        (off[0..2].parse::<i64>().ok()?, off[2..4].parse::<i64>().ok()?)
    } else {
        return None;
    };
    Some(secs - sign * (oh * 3600 + om * 60))
}

// ---- URL codecs ----
pub fn pct_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let h = (b[i + 1] as char).to_digit(16);
                let l = (b[i + 2] as char).to_digit(16);
                if let (Some(h), Some(l)) = (h, l) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Encode a query value the way Graph's own links look: keep common OData punctuation readable.
pub fn query_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~' | b',' | b'(' | b')' | b'\'' | b':' | b'$' | b'@' | b'/') {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Parse "a=b&c=d" (form or query). Keys and values are percent-decoded.
pub fn parse_pairs(s: &str, plus_is_space: bool) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (pct_decode(k, plus_is_space), pct_decode(v, plus_is_space)),
            None => (pct_decode(p, plus_is_space), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn dates_roundtrip() {
        let t = parse_iso("2020-01-01T19:00:00-08:00").unwrap();
        assert_eq!(iso(t), "2020-01-02T03:00:00Z");
        assert_eq!(parse_iso("2017-04-21T10:00:00.0000000"), parse_iso("2017-04-21T10:00:00Z"));
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert!(parse_iso("garbage").is_none());
        assert!(parse_iso("2020-13-01").is_none());
    }
    #[test]
    fn pct() {
        assert_eq!(pct_decode("a%20b+c%", true), "a b c%");
        assert_eq!(pct_decode("%C3%AB", false), "ë");
        assert_eq!(pct_decode("%", false), "%");
        assert_eq!(pct_decode("%4", false), "%4");
    }
}
