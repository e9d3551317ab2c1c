//! Reading the agent's own files (credentials files, private keys,
//! certificates, CA bundles, the policy file) without races: each file is
//! opened once, every check is made on the open descriptor (`fstat`), and
//! the bytes read are those of the file checked. The path is never looked
//! at again, so a file swapped in after the check is never the one loaded.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// What a file must be.
#[derive(Clone, Copy, Debug)]
pub struct FileRule {
    /// How the file is named in messages ("credentials file", "'private_key_file'").
    pub what: &'static str,
    /// Largest size accepted (bytes).
    pub max_bytes: u64,
    /// Owned by the process's effective user and no access for group or
    /// others (chmod 600 or 400).
    pub private: bool,
    /// Not writable by group or others, owned by the process's user or root
    /// (the policy file: not secret, but no one else may change it).
    pub protected: bool,
}

/// Credentials files: private, at most 1 MiB.
pub const CREDENTIALS_FILE: FileRule =
    FileRule { what: "credentials file", max_bytes: 1 << 20, private: true, protected: true };
/// A private key: private, at most 64 KiB.
pub const PRIVATE_KEY_FILE: FileRule =
    FileRule { what: "'private_key_file'", max_bytes: 64 << 10, private: true, protected: true };
/// A certificate (public): at most 256 KiB.
pub const CERTIFICATE_FILE: FileRule =
    FileRule { what: "'certificate_file'", max_bytes: 256 << 10, private: false, protected: false };
/// A CA bundle (public): at most 4 MiB.
pub const CA_FILE: FileRule = FileRule { what: "'ca_file'", max_bytes: 4 << 20, private: false, protected: false };
/// The agent's policy file: protected, at most 1 MiB.
pub const POLICY_FILE: FileRule = FileRule { what: "policy file", max_bytes: 1 << 20, private: false, protected: true };

/// An open, checked file.
pub struct CheckedFile {
    file: File,
    len: u64,
    rule: FileRule,
    shown: String,
    real: PathBuf,
}

#[allow(unsafe_code)]
fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Checks (creating it 0700 when missing) a token cache directory: an
/// absolute path to a directory owned by this process's user, mode 0700.
pub fn check_cache_dir(dir: &Path) -> Result<()> {
    let refuse = |why: String| Error::config(format!("token cache directory {}: {why}", dir.display()));
    if !dir.is_absolute() {
        return Err(refuse("must be an absolute path".into()));
    }
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut b = std::fs::DirBuilder::new();
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            match b.create(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(refuse(format!("cannot create it: {e}"))),
            }
            std::fs::metadata(dir).map_err(|e| refuse(e.to_string()))?
        }
        Err(e) => return Err(refuse(e.to_string())),
    };
    if !meta.is_dir() {
        return Err(refuse("not a directory".into()));
    }
    let me = effective_uid();
    if meta.uid() != me {
        return Err(refuse(format!("owned by uid {}, not by this process's user (uid {me})", meta.uid())));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(refuse(format!("has mode {mode:03o}: group and others must have no access (chmod 700)")));
    }
    Ok(())
}

/// Opens `path` once and checks the open file against `rule`: a regular
/// file, within the size cap and, for private and protected rules, owned
/// and moded as they require. FIFOs and devices are refused without
/// blocking (the open is non-blocking).
pub fn open(path: &Path, rule: FileRule) -> Result<CheckedFile> {
    let shown = path.display().to_string();
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC);
    }
    let file = opts.open(path).map_err(|e| Error::config(format!("cannot read {} {shown}: {e}", rule.what)))?;
    // fstat: the descriptor, not the path.
    let meta = file.metadata().map_err(|e| Error::config(format!("cannot read {} {shown}: {e}", rule.what)))?;
    if !meta.is_file() {
        return Err(Error::config(format!("{} {shown} is not a regular file", rule.what)));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mode = meta.mode() & 0o7777;
        let me = effective_uid();
        if rule.private {
            if meta.uid() != me {
                return Err(Error::config(format!(
                    "{} {shown} is owned by uid {}, not by the agent's user (uid {me}): chown it to that user",
                    rule.what,
                    meta.uid()
                )));
            }
            if mode & 0o077 != 0 {
                return Err(Error::config(format!(
                    "{} {shown} has mode {:03o}: group and others must have no access (chmod 600)",
                    rule.what,
                    mode & 0o777
                )));
            }
        } else if rule.protected {
            if meta.uid() != me && meta.uid() != 0 {
                return Err(Error::config(format!(
                    "{} {shown} is owned by uid {}: it must be owned by the agent's user (uid {me}) or root",
                    rule.what,
                    meta.uid()
                )));
            }
            if mode & 0o022 != 0 {
                return Err(Error::config(format!(
                    "{} {shown} has mode {:03o}: group and others must not be able to write it (chmod 644 or 600)",
                    rule.what,
                    mode & 0o777
                )));
            }
        }
    }
    if meta.len() > rule.max_bytes {
        return Err(Error::config(format!(
            "{} {shown} is {} bytes: the limit is {} bytes",
            rule.what,
            meta.len(),
            rule.max_bytes
        )));
    }
    let real = real_path(&file, path);
    Ok(CheckedFile { file, len: meta.len(), rule, shown, real })
}

/// The path of the file actually opened (symbolic links resolved), from
/// the descriptor where the system tells it (/proc/self/fd).
fn real_path(file: &File, path: &Path) -> PathBuf {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(p) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
            return p;
        }
    }
    let _ = file;
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

impl CheckedFile {
    /// The opened file's own path (links resolved): what allow-lists are
    /// checked against.
    pub fn real_path(&self) -> &Path {
        &self.real
    }

    /// Reads the whole file (never more than the cap, even if it grows).
    pub fn read(mut self) -> Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(self.len.min(self.rule.max_bytes) as usize);
        (&mut self.file)
            .take(self.rule.max_bytes + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::config(format!("cannot read {} {}: {e}", self.rule.what, self.shown)))?;
        if buf.len() as u64 > self.rule.max_bytes {
            return Err(Error::config(format!(
                "{} {} grew past the limit of {} bytes while it was read",
                self.rule.what, self.shown, self.rule.max_bytes
            )));
        }
        Ok(buf)
    }

    /// Reads the whole file as UTF-8 text.
    pub fn read_text(self) -> Result<String> {
        let what = self.rule.what;
        let shown = self.shown.clone();
        String::from_utf8(self.read()?).map_err(|_| Error::config(format!("{what} {shown} is not UTF-8 text")))
    }
}

/// Opens, checks and reads a file in one step.
pub fn read_text(path: &Path, rule: FileRule) -> Result<String> {
    open(path, rule)?.read_text()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::status::*;
    use std::os::unix::fs::PermissionsExt;

    fn temp(name: &str, body: &[u8], mode: u32) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("msgraph-secure-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    #[test]
    fn modes_sizes_and_kinds() {
        let ok = temp("ok", b"{}", 0o600);
        assert_eq!(read_text(&ok, CREDENTIALS_FILE).unwrap(), "{}");
        let open_to_all = temp("open", b"{}", 0o644);
        let e = read_text(&open_to_all, PRIVATE_KEY_FILE).unwrap_err();
        assert_eq!(e.status, MSGRAPH_ERR_CONFIG);
        assert!(e.message.contains("mode 644") && e.message.contains("'private_key_file'"), "{}", e.message);
        assert_eq!(read_text(&open_to_all, CERTIFICATE_FILE).unwrap(), "{}", "a certificate is public");
        assert_eq!(read_text(&open_to_all, POLICY_FILE).unwrap(), "{}");
        let writable = temp("writable", b"{}", 0o666);
        assert!(read_text(&writable, POLICY_FILE).unwrap_err().message.contains("write"));
        let big = temp("big", &vec![b' '; (1 << 20) + 1], 0o600);
        let e = read_text(&big, CREDENTIALS_FILE).unwrap_err();
        assert!(e.message.contains("1048577 bytes") && e.message.contains("limit"), "{}", e.message);
        let dir = std::env::temp_dir();
        assert!(read_text(&dir, CREDENTIALS_FILE).unwrap_err().message.contains("not a regular file"));
    }
}
