//! The process-wide registry of named credentials.
//!
//! In Oracle's dedicated extproc agent the process, and so this registry,
//! belongs to one database session; in the multithreaded agent it is shared by
//! every session the agent serves, which is why tokens are cached under the
//! credential's name *and* a fingerprint of its secret (see `token`).

use crate::config::CredentialConfig;
use crate::error::{Error, Result};
use crate::sync::lock;
use once_cell::sync::Lazy;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A registered credential.
#[derive(Debug)]
pub struct Credential {
    /// Its name.
    pub name: String,
    /// Its configuration.
    pub config: CredentialConfig,
    /// Keyed hash of everything that decides which token it gets (secret
    /// included): two credentials share cached tokens only if these match.
    pub fingerprint: u64,
    /// Which registration this is: every set (even with the same
    /// configuration) gets a new one, so tokens cached for an earlier
    /// registration of the name are never used again.
    pub generation: u64,
}

/// Counts registrations and removals.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Moves on at every set and remove: the token cache compares it with what
/// it last saw to drop the tokens of replaced and removed credentials.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

static REGISTRY: Lazy<Mutex<HashMap<String, Arc<Credential>>>> = Lazy::new(Default::default);
/// Per-process random key, so a fingerprint says nothing about a secret
/// outside this process.
static FINGERPRINT_KEY: Lazy<RandomState> = Lazy::new(RandomState::new);

fn fingerprint(cfg: &CredentialConfig) -> u64 {
    let mut h = FINGERPRINT_KEY.build_hasher();
    cfg.tenant_id.hash(&mut h);
    cfg.client_id.hash(&mut h);
    match &cfg.auth {
        crate::config::ClientAuth::Secret(s) => s.expose().hash(&mut h),
        crate::config::ClientAuth::Certificate(c) => c.der().hash(&mut h),
    }
    cfg.scope.hash(&mut h);
    cfg.token_url.as_str().hash(&mut h);
    h.finish()
}

pub use crate::config::check_name;

/// Registers or replaces a credential. Replacing drops the tokens cached for
/// the name (the token cache keys them by [`Credential::generation`]).
pub fn set(name: &str, config: CredentialConfig) -> Result<()> {
    check_name(name)?;
    let mut registry = lock(&REGISTRY);
    let generation = GENERATION.fetch_add(1, Ordering::AcqRel) + 1;
    let cred = Arc::new(Credential { name: name.to_string(), fingerprint: fingerprint(&config), config, generation });
    registry.insert(name.to_string(), cred);
    drop(registry);
    // HTTP clients no credential uses any more are dropped.
    crate::transport::credentials_changed();
    Ok(())
}

/// Registers every credential of a validated set at once.
pub fn set_all(entries: Vec<(String, CredentialConfig)>) -> Result<usize> {
    let n = entries.len();
    for (name, cfg) in entries {
        set(&name, cfg)?;
    }
    Ok(n)
}

/// Removes a credential and its cached tokens.
pub fn remove(name: &str) -> Result<()> {
    let removed = {
        let mut registry = lock(&REGISTRY);
        GENERATION.fetch_add(1, Ordering::AcqRel);
        registry.remove(name)
    };
    crate::transport::credentials_changed();
    removed.map(|_| ()).ok_or_else(|| unknown(name))
}

/// Looks a credential up.
pub fn get(name: &str) -> Result<Arc<Credential>> {
    lock(&REGISTRY).get(name).cloned().ok_or_else(|| unknown(name))
}

/// Names of the registered credentials, sorted.
pub fn names() -> Vec<String> {
    let mut v: Vec<String> = lock(&REGISTRY).keys().cloned().collect();
    v.sort();
    v
}

fn unknown(name: &str) -> Error {
    let name: String = name.chars().take(128).collect();
    Error::not_found(format!("no credential named '{name}' (set it with msgraph_credential_set or load a credentials file)"))
}
