//! The agent policy: what database schemas may do through the
//! `msgraph_xp_*` entry points (the MSGRAPH package), set by the DBA on the
//! agent side and out of reach of every database caller.
//!
//! Inside Oracle the library runs in the extproc agent, with the agent OS
//! user's environment and files, but its callers are database users. The
//! policy is a JSON file named by the agent's environment variable
//! `MSGRAPH_POLICY_FILE` (an extproc.ora SET line), owned by the agent's
//! user or root and writable by no one else:
//!
//! ```json
//! {"schemas": {
//!    "HR":  {"credentials": ["graph"],
//!            "client_secret_env": ["HR_GRAPH_SECRET"],
//!            "files": ["/etc/msgraph/hr"],
//!            "proxies": ["http://proxy.example.com:3128"],
//!            "proxy_credentials": false,
//!            "endpoints": ["https://graph-gateway.example.com"]},
//!    "*":   {"endpoints": ["http://127.0.0.1:*"]}}}
//! ```
//!
//! - `credentials`: entries of credentials files (MSGRAPH_CREDENTIALS_FILE,
//!   or `load_credentials(p_path)`) that are registered for the schema;
//!   `"*"` for all. Without a grant nothing is registered.
//! - `client_secret_env`: environment variables a credential created from
//!   PL/SQL may name in `client_secret_env`.
//! - `files`: files or directories whose files a credential created from
//!   PL/SQL may name in `private_key_file`, `certificate_file`, `ca_file`
//!   (checked against the opened file's real path), and directories it may
//!   name as `token_cache_dir` (checked as named).
//! - `proxies`: proxy origins a credential created from PL/SQL may name in
//!   `proxy`; `proxy_credentials: true` also allows a user and password in
//!   that URL.
//! - `endpoints`: origins (`scheme://host[:port]`, port `*` for any) that a
//!   credential created from PL/SQL may use as `token_url`,
//!   `authority_host`, `graph_base_url`, beyond the national clouds' own
//!   Microsoft hosts, which are always allowed (https, port 443).
//!
//! The schema `"*"` applies to every schema (its grants are added to each
//! schema's own). No policy file (the variable unset) is the empty policy:
//! nothing granted. A policy file that cannot be read or parsed refuses
//! every credential call of the package (fail closed).
//!
//! The schema is the part of the registry name before the first '/', which
//! the package builds itself from SYS_CONTEXT('USERENV','SESSION_USER'):
//! callers have EXECUTE on MSGRAPH only, and every call spec is private to
//! its body, so no caller can pick another schema's prefix. The C API
//! (`msgraph_credential_set`, `msgraph_credentials_load`) is not subject to
//! the policy: there the process owner is the caller, and trusted.

use crate::config::CredentialConfig;
use crate::error::{Error, Result};
use crate::secure_file;
use reqwest::Url;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The environment variable naming the policy file.
pub const POLICY_ENV: &str = "MSGRAPH_POLICY_FILE";

/// The national clouds' own hosts, always allowed (https, port 443).
pub const NATIONAL_HOSTS: &[&str] = &[
    "login.microsoftonline.com",
    "graph.microsoft.com",
    "login.microsoftonline.us",
    "graph.microsoft.us",
    "dod-graph.microsoft.us",
    "login.chinacloudapi.cn",
    "microsoftgraph.chinacloudapi.cn",
];

const SCHEMA_KEYS: &[&str] =
    &["credentials", "client_secret_env", "files", "proxies", "proxy_credentials", "endpoints"];

/// An allowed origin: scheme, host, and a port (None: any port).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn parse(text: &str) -> std::result::Result<Origin, String> {
        let t = text.trim();
        let (t, any_port) = match t.strip_suffix(":*") {
            Some(rest) => (rest, true),
            None => (t.trim_end_matches('/'), false),
        };
        let u = Url::parse(t).map_err(|e| format!("'{text}' is not a URL: {e}"))?;
        if !matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h") {
            return Err(format!("'{text}' must be an http, https or socks5 origin"));
        }
        if !u.username().is_empty() || u.password().is_some() || u.query().is_some() || !matches!(u.path(), "" | "/") {
            return Err(format!("'{text}' must be an origin only: scheme://host[:port], no path, user or query"));
        }
        let host = u.host_str().ok_or_else(|| format!("'{text}' has no host"))?.to_ascii_lowercase();
        Ok(Origin { scheme: u.scheme().to_string(), host, port: if any_port { None } else { u.port_or_known_default() } })
    }

    fn matches(&self, u: &Url) -> bool {
        u.scheme() == self.scheme
            && u.host_str().is_some_and(|h| h.eq_ignore_ascii_case(&self.host))
            && self.port.is_none_or(|p| u.port_or_known_default() == Some(p))
    }
}

/// What one schema is granted.
#[derive(Clone, Debug, Default)]
pub struct Grants {
    /// Credentials-file entries registered for the schema ("*": all).
    pub credentials: Vec<String>,
    /// Variables `client_secret_env` may name.
    pub client_secret_env: Vec<String>,
    /// Files or directories the file keys may name.
    pub files: Vec<PathBuf>,
    /// Proxy origins `proxy` may name.
    pub proxies: Vec<Origin>,
    /// A user and password in `proxy` allowed.
    pub proxy_credentials: bool,
    /// Extra endpoint origins.
    pub endpoints: Vec<Origin>,
}

impl Grants {
    fn absorb(&mut self, o: &Grants) {
        self.credentials.extend(o.credentials.iter().cloned());
        self.client_secret_env.extend(o.client_secret_env.iter().cloned());
        self.files.extend(o.files.iter().cloned());
        self.proxies.extend(o.proxies.iter().cloned());
        self.proxy_credentials |= o.proxy_credentials;
        self.endpoints.extend(o.endpoints.iter().cloned());
    }

    /// True when the credentials-file entry `name` is granted.
    pub fn credential(&self, name: &str) -> bool {
        self.credentials.iter().any(|c| c == "*" || c == name)
    }
}

/// The agent policy.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    source: Option<PathBuf>,
    schemas: BTreeMap<String, Grants>,
}

fn strings(v: &Value, at: &str) -> Result<Vec<String>> {
    let bad = || Error::config(format!("policy: {at} must be an array of strings"));
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|x| x.as_str().map(str::to_string).ok_or_else(bad))
        .collect()
}

impl Policy {
    /// The policy in force: the file named by MSGRAPH_POLICY_FILE, read now
    /// (an edit applies to the next call), or the empty policy.
    pub fn load() -> Result<Policy> {
        match std::env::var_os(POLICY_ENV) {
            Some(p) if !p.is_empty() => Policy::from_file(Path::new(&p)),
            _ => Ok(Policy::default()),
        }
    }

    /// Reads a policy file (opened once, checked on its descriptor: owned
    /// by the agent's user or root, writable by no one else, at most 1 MiB).
    pub fn from_file(path: &Path) -> Result<Policy> {
        let text = secure_file::read_text(path, secure_file::POLICY_FILE)
            .map_err(|e| Error { message: format!("{POLICY_ENV}: {}", e.message), ..e })?;
        let mut p = Policy::from_json(&text)
            .map_err(|e| Error { message: format!("{} ({})", e.message, path.display()), ..e })?;
        p.source = Some(path.to_path_buf());
        Ok(p)
    }

    /// Parses a policy document. Unknown keys are refused.
    pub fn from_json(text: &str) -> Result<Policy> {
        let doc: Value =
            serde_json::from_str(text).map_err(|e| Error::config(format!("policy file is not valid JSON: {e}")))?;
        let obj = doc.as_object().ok_or_else(|| Error::config("policy file must hold a JSON object"))?;
        if let Some(k) = obj.keys().find(|k| k.as_str() != "schemas") {
            return Err(Error::config(format!("policy: unknown key '{k}' (known: schemas)")));
        }
        let mut schemas = BTreeMap::new();
        let empty = Map::new();
        let list = match obj.get("schemas") {
            None => &empty,
            Some(v) => v.as_object().ok_or_else(|| Error::config("policy: 'schemas' must be an object"))?,
        };
        for (schema, v) in list {
            let at = |k: &str| format!("schemas.{schema}.{k}");
            let m = v.as_object().ok_or_else(|| Error::config(format!("policy: schemas.{schema} must be an object")))?;
            if let Some(k) = m.keys().find(|k| !SCHEMA_KEYS.contains(&k.as_str())) {
                return Err(Error::config(format!(
                    "policy: unknown key '{}' (known: {})",
                    at(k),
                    SCHEMA_KEYS.join(", ")
                )));
            }
            let mut g = Grants::default();
            if let Some(v) = m.get("credentials") {
                g.credentials = strings(v, &at("credentials"))?;
            }
            if let Some(v) = m.get("client_secret_env") {
                g.client_secret_env = strings(v, &at("client_secret_env"))?;
            }
            if let Some(v) = m.get("files") {
                for f in strings(v, &at("files"))? {
                    let p = PathBuf::from(&f);
                    if !p.is_absolute() {
                        return Err(Error::config(format!("policy: {} entry '{f}' is not an absolute path", at("files"))));
                    }
                    // Both as written and with links resolved: the named
                    // path is compared before the open, the real one after.
                    if let Ok(real) = std::fs::canonicalize(&p) {
                        if real != p {
                            g.files.push(real);
                        }
                    }
                    g.files.push(p);
                }
            }
            for (key, out) in [("proxies", &mut g.proxies), ("endpoints", &mut g.endpoints)] {
                if let Some(v) = m.get(key) {
                    for o in strings(v, &at(key))? {
                        out.push(Origin::parse(&o).map_err(|e| Error::config(format!("policy: {}: {e}", at(key))))?);
                    }
                }
            }
            if let Some(v) = m.get("proxy_credentials") {
                g.proxy_credentials = v
                    .as_bool()
                    .ok_or_else(|| Error::config(format!("policy: {} must be true or false", at("proxy_credentials"))))?;
            }
            schemas.insert(schema.clone(), g);
        }
        Ok(Policy { source: None, schemas })
    }

    /// What `schema` is granted (its own entry plus the `"*"` entry).
    pub fn grants(&self, schema: &str) -> Grants {
        let mut g = Grants::default();
        for key in ["*", schema] {
            if let Some(x) = self.schemas.get(key) {
                g.absorb(x);
            }
        }
        g
    }

    /// Where a grant is written, for refusals.
    fn setting(&self, schema: &str, key: &str) -> String {
        match &self.source {
            Some(p) => format!("schemas.{schema}.{key} of the agent's policy file {}", p.display()),
            None => format!(
                "schemas.{schema}.{key} of an agent policy file (set {POLICY_ENV} in extproc.ora; none is set)"
            ),
        }
    }
}

/// True when `path`, as named (absolute, no `..`), lies in one of `dirs`:
/// the check made before a file is opened, so that a path outside the
/// grant is refused with one message whether it exists or not (no probing
/// of the agent's file system through error texts).
fn named_under(path: &Path, dirs: &[PathBuf]) -> bool {
    path.is_absolute()
        && !path.components().any(|c| matches!(c, std::path::Component::ParentDir))
        && dirs.iter().any(|d| path.starts_with(d))
}

/// Splits a registry name as the package builds it (`SCHEMA/name`) into
/// schema and name.
pub fn split_name(full: &str) -> Result<(&str, &str)> {
    match full.split_once('/') {
        Some((schema, name)) if !schema.is_empty() && !name.is_empty() => Ok((schema, name)),
        _ => Err(Error::argument(
            "the credential name must be SCHEMA/name, the caller's namespace as the MSGRAPH package passes it",
        )),
    }
}

/// The schema of a namespace prefix as the package passes it (`SCHEMA/`).
pub fn schema_of_prefix(prefix: &str) -> Result<&str> {
    match prefix.strip_suffix('/') {
        Some(s) if !s.is_empty() && !s.contains('/') => Ok(s),
        _ => Err(Error::argument(
            "the namespace must be SCHEMA/, the caller's namespace as the MSGRAPH package passes it",
        )),
    }
}

fn endpoint_allowed(u: &Url, g: &Grants) -> bool {
    let national = u.scheme() == "https"
        && u.port_or_known_default() == Some(443)
        && u.host_str().is_some_and(|h| NATIONAL_HOSTS.iter().any(|n| h.eq_ignore_ascii_case(n)));
    national || g.endpoints.iter().any(|o| o.matches(u))
}

/// Builds a credential configuration created from PL/SQL by `schema`
/// (`doc`: the JSON object the package's arguments make), refusing, with
/// MSGRAPH_ERR_REFUSED naming the key and the policy setting that would
/// allow it, every agent-side secret, file, proxy or endpoint the policy
/// does not grant. Nothing is sent by this: the refusal comes before any
/// request exists.
pub fn config_for_schema(policy: &Policy, schema: &str, doc: &Value) -> Result<CredentialConfig> {
    let g = policy.grants(schema);
    let obj = doc.as_object().ok_or_else(|| Error::config("credential configuration must be a JSON object"))?;
    let text = |k: &str| obj.get(k).and_then(Value::as_str);
    if let Some(var) = text("client_secret_env") {
        if !g.client_secret_env.iter().any(|v| v == var) {
            return Err(Error::refused(format!(
                "'client_secret_env' names the agent's environment variable '{}', which schema {schema} may not read: \
                 to allow it, list it in {}",
                var.chars().take(128).collect::<String>(),
                policy.setting(schema, "client_secret_env")
            )));
        }
    }
    for key in ["private_key_file", "certificate_file", "ca_file"] {
        let named = obj.get(key).filter(|v| !v.is_null());
        let granted = named.is_none_or(|v| v.as_str().is_some_and(|p| named_under(Path::new(p), &g.files)));
        if !granted {
            return Err(Error::refused(format!(
                "'{key}' names a file of the agent that schema {schema} may not read: to allow it, list the file \
                 or its directory in {}",
                policy.setting(schema, "files")
            )));
        }
    }
    // A shared token cache directory (token_cache) of PL/SQL's choosing is a
    // place the agent writes tokens: only under a granted directory ("" and
    // the agent-wide MSGRAPH_TOKEN_CACHE_DIR need no grant).
    if let Some(d) = text("token_cache_dir").map(str::trim).filter(|d| !d.is_empty()) {
        if !named_under(Path::new(d), &g.files) {
            return Err(Error::refused(format!(
                "'token_cache_dir' names a directory of the agent that schema {schema} may not write to: to allow \
                 it, list it or a directory above it in {}",
                policy.setting(schema, "files")
            )));
        }
    }
    if let Some(p) = text("proxy") {
        let u = Url::parse(p).map_err(|_| Error::config("'proxy' is not a valid URL"))?;
        if (!u.username().is_empty() || u.password().is_some()) && !g.proxy_credentials {
            return Err(Error::refused(format!(
                "'proxy' carries a user and password, which schema {schema} may not use: to allow it, set {} to true",
                policy.setting(schema, "proxy_credentials")
            )));
        }
        if !g.proxies.iter().any(|o| o.matches(&u)) {
            return Err(Error::refused(format!(
                "'proxy' {} is not a proxy schema {schema} may use: to allow it, list it in {}",
                u.origin().ascii_serialization(),
                policy.setting(schema, "proxies")
            )));
        }
    }
    let allow_file = |key: &str, real: &Path| -> Result<()> {
        if g.files.iter().any(|f| real.starts_with(f)) {
            return Ok(());
        }
        Err(Error::refused(format!(
            "'{key}' {} is not a file schema {schema} may read: to allow it, list it or its directory in {}",
            real.display(),
            policy.setting(schema, "files")
        )))
    };
    let cfg = CredentialConfig::from_value_with(doc, &allow_file)?;
    let token_key = if obj.get("token_url").is_some_and(|v| !v.is_null()) { "token_url" } else { "authority_host" };
    for (key, u) in [(token_key, &cfg.token_url), ("graph_base_url", &cfg.graph_base_url)] {
        if !endpoint_allowed(u, &g) {
            return Err(Error::refused(format!(
                "'{key}' points to {}, which is not a national cloud's Microsoft host (https, port 443) nor an \
                 origin schema {schema} may use: to allow it, list the origin in {}",
                u.origin().ascii_serialization(),
                policy.setting(schema, "endpoints")
            )));
        }
    }
    Ok(cfg)
}

/// The credentials-file load of the package for the namespace `prefix`
/// (`SCHEMA/`): `path` None is MSGRAPH_CREDENTIALS_FILE. An explicit path
/// must lie in MSGRAPH_CREDENTIALS_DIR (when that is unset: in the
/// directory of MSGRAPH_CREDENTIALS_FILE; when both are unset explicit
/// paths are refused), checked on the opened file's real path. Only the
/// entries the policy grants to the schema are validated and registered,
/// as `prefix` + name. Returns how many were registered.
pub fn load_for_schema(prefix: &str, path: Option<&str>) -> Result<usize> {
    let schema = schema_of_prefix(prefix)?;
    let policy = Policy::load()?;
    let default = std::env::var("MSGRAPH_CREDENTIALS_FILE").ok().filter(|p| !p.is_empty());
    let dir_env = std::env::var("MSGRAPH_CREDENTIALS_DIR").ok().filter(|p| !p.is_empty());
    let path = match path.filter(|p| !p.is_empty()) {
        Some(p) => p.to_string(),
        None => default.clone().ok_or_else(|| {
            Error::config("no path given and MSGRAPH_CREDENTIALS_FILE is not set in the agent's environment (extproc.ora)")
        })?,
    };
    let explicit = Some(&path) != default.as_ref();
    let dir = match (&dir_env, &default) {
        (Some(d), _) => Some(PathBuf::from(d)),
        (None, Some(f)) if explicit => Some(Path::new(f).parent().map(Path::to_path_buf).unwrap_or_default()),
        (None, _) if explicit => {
            return Err(Error::refused(format!(
                "credentials file {path}: a path given from PL/SQL needs MSGRAPH_CREDENTIALS_DIR (or \
                 MSGRAPH_CREDENTIALS_FILE) set in the agent's environment (extproc.ora)"
            )))
        }
        _ => None,
    };
    let dirs = match &dir {
        Some(d) => {
            let real = std::fs::canonicalize(d)
                .map_err(|e| Error::config(format!("MSGRAPH_CREDENTIALS_DIR {}: {e}", d.display())))?;
            vec![d.clone(), real]
        }
        None => Vec::new(),
    };
    let outside = || {
        Error::refused(format!(
            "credentials file {path} is outside the agent's credentials directory {} (MSGRAPH_CREDENTIALS_DIR, \
             else the directory of MSGRAPH_CREDENTIALS_FILE)",
            dir.as_deref().unwrap_or(Path::new("")).display()
        ))
    };
    // Before the open (same refusal whether the file exists or not), and
    // after it on the opened file's real path (links).
    if dir.is_some() && explicit && !named_under(Path::new(&path), &dirs) {
        return Err(outside());
    }
    let file = secure_file::open(Path::new(&path), secure_file::CREDENTIALS_FILE)?;
    if let Some(d) = dirs.last() {
        if !file.real_path().starts_with(d) {
            return Err(outside());
        }
    }
    let text = file.read_text()?;
    let g = policy.grants(schema);
    let entries = crate::config::parse_credentials(&text, Path::new(&path), &|n| g.credential(n))?;
    if entries.is_empty() {
        let total = serde_json::from_str::<Value>(&text).ok().and_then(|v| v.as_object().map(Map::len)).unwrap_or(0);
        if total > 0 {
            return Err(Error::refused(format!(
                "no entry of credentials file {path} is granted to schema {schema}: to allow one, list its name in {}",
                policy.setting(schema, "credentials")
            )));
        }
    }
    for (n, _) in &entries {
        crate::credentials::check_name(&format!("{prefix}{n}"))?;
    }
    let count = entries.len();
    for (name, cfg) in entries {
        crate::credentials::set(&format!("{prefix}{name}"), cfg)?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::*;
    use serde_json::json;

    fn base() -> Value {
        json!({"tenant_id":"t","client_id":"c","client_secret":"s"})
    }

    #[test]
    fn origins_and_national_hosts() {
        let p = Policy::from_json(r#"{"schemas":{"*":{"endpoints":["http://127.0.0.1:*"]},"A":{"endpoints":["https://gw.example:8443"]}}}"#).unwrap();
        let a = p.grants("A");
        let b = p.grants("B");
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(endpoint_allowed(&u("https://graph.microsoft.com/v1.0"), &b));
        assert!(endpoint_allowed(&u("https://LOGIN.microsoftonline.us/t/oauth2/v2.0/token"), &b));
        assert!(!endpoint_allowed(&u("https://graph.microsoft.com:8443/v1.0"), &b), "port 443 only");
        assert!(!endpoint_allowed(&u("http://graph.microsoft.com/v1.0"), &b), "https only");
        assert!(!endpoint_allowed(&u("https://graph.microsoft.com.evil.example/v1.0"), &b));
        assert!(endpoint_allowed(&u("http://127.0.0.1:4567/v1.0"), &b), "'*' applies to every schema");
        assert!(!endpoint_allowed(&u("http://localhost:4567/v1.0"), &b));
        assert!(endpoint_allowed(&u("https://gw.example:8443/x"), &a));
        assert!(!endpoint_allowed(&u("https://gw.example/x"), &a));
        assert!(!endpoint_allowed(&u("https://gw.example:8443/x"), &b), "A's grant is A's");
    }

    #[test]
    fn unknown_keys_and_bad_values_fail_closed() {
        assert_eq!(Policy::from_json(r#"{"schema":{}}"#).unwrap_err().status, MSGRAPH_ERR_CONFIG);
        let e = Policy::from_json(r#"{"schemas":{"A":{"credential":["x"]}}}"#).unwrap_err();
        assert!(e.message.contains("schemas.A.credential"), "{}", e.message);
        assert!(Policy::from_json(r#"{"schemas":{"A":{"files":["relative/dir"]}}}"#).is_err());
        assert!(Policy::from_json(r#"{"schemas":{"A":{"endpoints":["https://h.example/path"]}}}"#).is_err());
    }

    #[test]
    fn refusals_name_the_key_and_the_setting() {
        let p = Policy::default();
        let mut d = base();
        d["client_secret_env"] = json!("PATH");
        d.as_object_mut().unwrap().remove("client_secret");
        let e = config_for_schema(&p, "B", &d).unwrap_err();
        assert_eq!(e.status, MSGRAPH_ERR_REFUSED);
        assert!(e.message.contains("'client_secret_env'") && e.message.contains("schemas.B.client_secret_env"), "{}", e.message);
        let mut d = base();
        d["graph_base_url"] = json!("https://evil.example/v1.0");
        let e = config_for_schema(&p, "B", &d).unwrap_err();
        assert!(e.message.contains("'graph_base_url'") && e.message.contains("schemas.B.endpoints"), "{}", e.message);
        let mut d = base();
        d["proxy"] = json!("http://u:p@proxy.example:3128");
        let e = config_for_schema(&p, "B", &d).unwrap_err();
        assert!(e.message.contains("schemas.B.proxy_credentials"), "{}", e.message);
        let mut d = base();
        d["ca_file"] = json!("/etc/ssl/certs/ca-certificates.crt");
        assert!(config_for_schema(&p, "B", &d).unwrap_err().message.contains("schemas.B.files"));
        let mut d = base();
        d["token_cache_dir"] = json!("/tmp/somewhere");
        let e = config_for_schema(&p, "B", &d).unwrap_err();
        assert!(e.message.contains("'token_cache_dir'") && e.message.contains("schemas.B.files"), "{}", e.message);
        assert!(config_for_schema(&p, "B", &base()).is_ok(), "the global cloud needs no grant");
    }

    #[test]
    fn names_and_prefixes() {
        assert_eq!(split_name("SCOTT/graph").unwrap(), ("SCOTT", "graph"));
        assert_eq!(split_name("SCOTT/a/b").unwrap(), ("SCOTT", "a/b"));
        assert!(split_name("graph").is_err() && split_name("/graph").is_err() && split_name("A/").is_err());
        assert_eq!(schema_of_prefix("HR/").unwrap(), "HR");
        assert!(schema_of_prefix("").is_err() && schema_of_prefix("A/B/").is_err() && schema_of_prefix("HR").is_err());
    }
}
