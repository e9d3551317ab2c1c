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

/// A version-4-shaped GUID in lower case, as Graph's client-request-id.
pub fn guid() -> String {
    let a = random_u64();
    let b = random_u64();
    let time_hi = ((a >> 16) as u16 & 0x0fff) | 0x4000;
    let clock = ((b >> 48) as u16 & 0x3fff) | 0x8000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        (a >> 32) as u32,
        a as u16,
        time_hi,
        clock,
        b & 0xffff_ffff_ffff
    )
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
