//! Exchange's per-mailbox limits, respected on the client side.
//!
//! Outlook resources (mail, calendars, contacts, mailbox settings, To Do)
//! allow an app four requests in flight per mailbox; a fifth is answered
//! 429 MailboxConcurrency. Rather than send it and wait out the penalty, the
//! library queues it: at most `mailbox_concurrency` (default 4) requests of
//! one app to one mailbox are in flight from this process at any moment.

use crate::sync::lock;
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

/// Graph's per-mailbox concurrency limit for Outlook resources.
pub(crate) const MAILBOX_CONCURRENCY: u32 = 4;

/// Outlook path segments that make a request count against a mailbox.
const OUTLOOK_SEGMENTS: &[&str] = &[
    "messages", "mailfolders", "events", "calendar", "calendars", "calendarview", "calendargroups",
    "contacts", "contactfolders", "mailboxsettings", "todo", "sendmail", "outlook", "inferenceclassification",
];

/// The mailbox a path relative to the version root addresses
/// (`/users/{id}/messages…` → the id, lower case), if it is an Outlook
/// resource.
pub fn mailbox_of(url: &str) -> Option<String> {
    let path = url.split('?').next().unwrap_or("");
    let mut segs = path.trim_start_matches('/').split('/');
    if !segs.next()?.eq_ignore_ascii_case("users") {
        return None;
    }
    let user = segs.next()?.to_ascii_lowercase();
    let what = segs.next()?.to_ascii_lowercase();
    OUTLOOK_SEGMENTS.contains(&what.as_str()).then_some(user)
}

static IN_FLIGHT: Lazy<Mutex<HashMap<(String, String), u32>>> = Lazy::new(Default::default);
static CHANGED: Condvar = Condvar::new();

/// A place among the requests in flight to one mailbox; released on drop.
pub struct Permit {
    key: (String, String),
}

/// Waits until fewer than `limit` requests of `app` to `mailbox` are in
/// flight, then takes a place.
pub fn acquire(app: &str, mailbox: String, limit: u32) -> Permit {
    let key = (app.to_string(), mailbox);
    let mut map = lock(&IN_FLIGHT);
    while map.get(&key).copied().unwrap_or(0) >= limit.max(1) {
        map = CHANGED.wait(map).unwrap_or_else(|p| p.into_inner());
    }
    *map.entry(key.clone()).or_default() += 1;
    Permit { key }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut map = lock(&IN_FLIGHT);
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
        drop(map);
        CHANGED.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlook_requests_name_their_mailbox() {
        assert_eq!(mailbox_of("/users/Zoe@x.com/mailboxSettings").as_deref(), Some("zoe@x.com"));
        assert_eq!(mailbox_of("/users/abc/calendarView?startDateTime=1").as_deref(), Some("abc"));
        assert_eq!(mailbox_of("/users/abc/todo/lists").as_deref(), Some("abc"));
        assert_eq!(mailbox_of("/users/abc"), None);
        assert_eq!(mailbox_of("/users/abc/memberOf"), None);
        assert_eq!(mailbox_of("/groups/g/members"), None);
    }

    #[test]
    fn permits_cap_the_requests_in_flight() {
        use std::sync::atomic::{AtomicU32, Ordering};
        let now = AtomicU32::new(0);
        let peak = AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..20 {
                        let _p = acquire("app", "mbx".into(), 3);
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_micros(200));
                        now.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= 3);
        assert!(lock(&IN_FLIGHT).is_empty(), "every permit released");
    }
}
