//! Random identifiers (client-request-id GUIDs) and jitter, without a
//! dependency: SipHash keyed by the standard library's per-process random keys.
//! Not for cryptography; good for ids and backoff jitter.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 64 random-looking bits, different on every call.
pub fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    h.write_u128(nanos);
    h.finish()
}

/// A version-4-shaped GUID in lower case, as Graph's client-request-id
/// (written digit by digit: `format!` with padding costs more than the
/// random bits).
pub fn guid() -> String {
    let a = random_u64();
    let b = random_u64();
    let time_hi = ((a >> 16) as u16 & 0x0fff) | 0x4000;
    let clock = ((b >> 48) as u16 & 0x3fff) | 0x8000;
    let mut s = String::with_capacity(36);
    push_hex(&mut s, a >> 32, 8);
    s.push('-');
    push_hex(&mut s, a & 0xffff, 4);
    s.push('-');
    push_hex(&mut s, time_hi as u64, 4);
    s.push('-');
    push_hex(&mut s, clock as u64, 4);
    s.push('-');
    push_hex(&mut s, b & 0xffff_ffff_ffff, 12);
    s
}

/// The low `digits` hexadecimal digits of `v`, most significant first.
fn push_hex(s: &mut String, v: u64, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..digits).rev() {
        s.push(HEX[((v >> (i * 4)) & 0xf) as usize] as char);
    }
}

/// A uniformly spread fraction in [0, 1).
pub fn unit_fraction() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_well_formed_and_distinct() {
        let a = guid();
        let b = guid();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    }
}
