//! Locking that survives a poisoned mutex: a panic caught at the C boundary
//! must not turn every later call into another panic.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, taking the data even if a previous holder panicked.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
