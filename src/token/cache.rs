//! The shared token cache: tokens kept in files so that the processes of one
//! host (Oracle's dedicated extproc agent starts one per database session)
//! ask the identity platform once per credential, not once per process.
//!
//! - Opt-in: the credential key `token_cache_dir`, or the agent-wide default
//!   `MSGRAPH_TOKEN_CACHE_DIR` (an empty key value switches it off).
//! - The directory must be a directory owned by the process's effective user
//!   with no access for group or others (0700); it is created 0700 when
//!   missing. Anything else is refused with `MSGRAPH_ERR_CONFIG`.
//! - One entry per credential fingerprint: SHA-256 over tenant, client,
//!   scope, token endpoint and an HMAC-SHA256 of the secret (or of the
//!   certificate's DER) keyed by a random 32-byte key kept in the directory
//!   (`.key`, 0600). The file name is the fingerprint in hex; the file also
//!   holds the fingerprint and is used only when it matches exactly.
//! - Entry `<fp>.json` (0600): the access token, its type, scope, expiry and
//!   refresh time (Unix seconds). Written to a temporary file in the same
//!   directory, fsynced, then renamed over the old one.
//! - Lock `<fp>.lock`: `flock` held while one process asks the token
//!   endpoint; the others wait (polling, within the call's timeout), then
//!   read the new entry. The kernel drops the lock when its holder dies.
//!   Lock files are never deleted (deleting them would let two holders in).
//! - Unreadable, corrupt, truncated, foreign-owned or group/other-accessible
//!   entries are ignored and replaced by the next store.

use crate::config::ClientAuth;
use crate::credentials::Credential;
use crate::error::{Error, Result};
use crate::secret::Secret;
use super::{Failure, Source, Token};
use serde_json::{json, Value};
use ring::{digest, hmac, rand::SecureRandom};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Largest entry read.
const MAX_ENTRY: u64 = 64 * 1024;
/// Format version stored in every entry.
const VERSION: u64 = 1;

pub use crate::secure_file::check_cache_dir as check_dir;

/// The cache directory of a credential, if it uses one.
pub fn dir_of(cred: &Credential) -> Option<&Path> {
    cred.config.token_cache_dir.as_deref()
}

/// A credential's place in a cache directory.
pub struct Entry {
    dir: PathBuf,
    /// Hex SHA-256 fingerprint.
    fingerprint: String,
}

/// The process's effective user id.
#[allow(unsafe_code)]
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// `flock(LOCK_EX | LOCK_NB)` on an open file: true when taken.
#[allow(unsafe_code)]
fn try_flock(f: &File) -> bool {
    // SAFETY: the descriptor is open and owned by `f` for the whole call.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `data` to `dir/name` atomically (temporary file, fsync, rename).
/// With `replace` false an existing file is kept (hard link, not rename).
/// tempfile makes the temporary file 0600 with O_EXCL (so never through a
/// symbolic link) and removes it on every way out.
fn write_atomic(dir: &Path, name: &str, data: &[u8], replace: bool) -> std::io::Result<()> {
    let mut tmp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    let target = dir.join(name);
    if replace {
        tmp.persist(&target).map_err(|e| e.error)?;
    } else {
        match tmp.persist_noclobber(&target) {
            Ok(_) => {}
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.error),
        }
    }
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Reads a small regular file that only this user can access; None for
/// anything else (missing, a symlink, too open, foreign, too large).
fn read_private(path: &Path, limit: u64) -> Option<Vec<u8>> {
    let f = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC).open(path).ok()?;
    let meta = f.metadata().ok()?;
    let me = euid();
    if !meta.is_file() || meta.uid() != me || meta.permissions().mode() & 0o077 != 0 || meta.len() > limit {
        return None;
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    f.take(limit).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// The directory's random key (made on first use).
fn dir_key(dir: &Path) -> Result<Vec<u8>> {
    let path = dir.join(".key");
    for _ in 0..3 {
        if let Some(k) = read_private(&path, 64) {
            if k.len() == 32 {
                return Ok(k);
            }
            // A damaged key: replace it (entries made with it become misses).
            let _ = std::fs::remove_file(&path);
        }
        let mut fresh = [0u8; 32];
        ring::rand::SystemRandom::new()
            .fill(&mut fresh)
            .map_err(|_| Error::internal("no random bytes for the token cache key"))?;
        write_atomic(dir, ".key", &fresh, false).map_err(|e| {
            Error::config(format!("token cache directory {}: cannot write its key: {e}", dir.display()))
        })?;
    }
    Err(Error::config(format!("token cache directory {}: its key file .key is unusable", dir.display())))
}

/// Checks the directory and computes the credential's entry.
pub fn entry(cred: &Credential, dir: &Path) -> Result<Entry> {
    check_dir(dir)?;
    let key = dir_key(dir)?;
    let cfg = &cred.config;
    let proof = match &cfg.auth {
        ClientAuth::Secret(s) => hmac_sha256(&key, &[b"secret:".as_slice(), s.expose().as_bytes()].concat()),
        ClientAuth::Certificate(c) => hmac_sha256(&key, &[b"certificate:".as_slice(), c.der()].concat()),
    };
    let mut h = digest::Context::new(&digest::SHA256);
    h.update(b"msgraph-token-cache-v1\0");
    for field in [cfg.tenant_id.as_bytes(), cfg.client_id.as_bytes(), cfg.scope.as_bytes(), cfg.token_url.as_str().as_bytes(), &proof] {
        h.update(&(field.len() as u64).to_be_bytes());
        h.update(field);
    }
    Ok(Entry { dir: dir.to_path_buf(), fingerprint: hex(h.finish().as_ref()) })
}

fn epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Entry {
    fn file(&self) -> PathBuf {
        self.dir.join(format!("{}.json", self.fingerprint))
    }

    /// The stored token, if the entry is intact, for this exact
    /// fingerprint, and not expired.
    pub fn lookup(&self) -> Option<Arc<Token>> {
        let bytes = read_private(&self.file(), MAX_ENTRY)?;
        let v: Value = serde_json::from_slice(&bytes).ok()?;
        if v["v"].as_u64() != Some(VERSION) || v["fingerprint"].as_str() != Some(self.fingerprint.as_str()) {
            return None;
        }
        let access_token = v["access_token"].as_str().filter(|t| !t.is_empty())?;
        let expires_on = UNIX_EPOCH + Duration::from_secs(v["expires_on"].as_u64()?);
        let refresh_on = UNIX_EPOCH + Duration::from_secs(v["refresh_on"].as_u64()?);
        let (now, wall) = (Instant::now(), SystemTime::now());
        let expires_in = expires_on.duration_since(wall).ok()?;
        let refresh_in = refresh_on.duration_since(wall).unwrap_or(Duration::ZERO).min(expires_in);
        let token = Token {
            access_token: Secret::new(access_token),
            token_type: v["token_type"].as_str().unwrap_or("Bearer").to_string(),
            expires_on,
            expires_at: now + expires_in,
            refresh_at: now + refresh_in,
            refresh_on,
            scope: v["scope"].as_str()?.to_string(),
        };
        token.is_valid(now).then(|| Arc::new(token))
    }

    /// Stores a token (atomically replacing the entry).
    pub fn store(&self, t: &Token) -> std::io::Result<()> {
        let doc = json!({
            "v": VERSION,
            "fingerprint": self.fingerprint,
            "token_type": t.token_type,
            "scope": t.scope,
            "expires_on": epoch(t.expires_on),
            "refresh_on": epoch(t.refresh_on),
            "access_token": t.access_token.expose(),
        });
        let data = serde_json::to_vec(&doc).map_err(std::io::Error::other)?;
        write_atomic(&self.dir, &format!("{}.json", self.fingerprint), &data, true)
    }

    /// Removes the entry.
    pub fn remove(&self) {
        let _ = std::fs::remove_file(self.file());
    }

    /// Takes the entry's lock, waiting until `deadline` at most. None when
    /// the wait ran out (or the lock file cannot be opened).
    pub fn acquire(&self, deadline: Instant) -> Option<LockGuard> {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(self.dir.join(format!("{}.lock", self.fingerprint)))
            .ok()?;
        let mut pause = Duration::from_millis(1);
        loop {
            if try_flock(&f) {
                return Some(LockGuard(f));
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }
}

/// Holds an entry's lock; closing the file releases it.
pub struct LockGuard(#[allow(dead_code)] File);

/// Gets a token through the shared cache: a fresh entry is served without
/// asking; otherwise, under the entry's lock, the entry is read again (another
/// process may just have refreshed it) and only then `fetch` runs, its token
/// stored. A failed refresh serves a still-valid entry unless the refusal is
/// one to remember. Without a cache directory this is `fetch`.
pub(crate) fn fetch_through(
    cred: &Credential,
    deadline: Instant,
    fetch: impl FnOnce() -> std::result::Result<Arc<Token>, Failure>,
) -> std::result::Result<(Arc<Token>, Source), Failure> {
    let Some(dir) = dir_of(cred) else {
        return fetch().map(|t| (t, Source::IdentityProvider));
    };
    let entry = entry(cred, dir).map_err(Failure::from)?;
    let fresh = |t: &Arc<Token>| Instant::now() < t.refresh_at;
    if let Some(t) = entry.lookup().filter(fresh) {
        return Ok((t, Source::Cache));
    }
    // The wait for another process's refresh is bounded by the call's
    // deadline; after it this process asks for itself.
    let _guard = entry.acquire(deadline);
    let stored = entry.lookup();
    if let Some(t) = stored.clone().filter(fresh) {
        return Ok((t, Source::Cache));
    }
    match fetch() {
        Ok(t) => {
            // A cache that cannot be written costs only the sharing.
            let _ = entry.store(&t);
            Ok((t, Source::IdentityProvider))
        }
        Err(f) => match stored {
            Some(t) if !f.remember => Ok((t, Source::CacheRefreshFailed)),
            _ => Err(f),
        },
    }
}

/// Removes a credential's entry (clear_tokens, forced refresh).
pub fn remove(cred: &Credential) {
    if let Some(dir) = dir_of(cred) {
        if let Ok(e) = entry(cred, dir) {
            e.remove();
        }
    }
}

/// Removes the entry if it still holds `token` (Graph refused it).
pub fn discard(cred: &Credential, token: &Token) {
    if let Some(dir) = dir_of(cred) {
        if let Ok(e) = entry(cred, dir) {
            if e.lookup().is_some_and(|t| t.access_token == token.access_token) {
                e.remove();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
