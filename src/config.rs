//! Credential configuration: the Web Credential analog. Parses and validates
//! the JSON a caller hands to `msgraph_credential_set` or stores in a
//! credentials file.

use crate::error::{Error, Result};
use crate::secret::Secret;
use reqwest::Url;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default Graph scope for client credentials.
pub const DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";
/// Default authority host (global cloud).
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";
/// Default Graph base URL (global cloud, v1.0).
pub const DEFAULT_GRAPH_BASE_URL: &str = "https://graph.microsoft.com/v1.0";

/// Every key a credential configuration may hold.
pub const KEYS: &[&str] = &[
    "tenant_id",
    "client_id",
    "client_secret",
    "client_secret_env",
    "scope",
    "cloud",
    "authority_host",
    "graph_base_url",
    "token_url",
    "timeout_ms",
    "connect_timeout_ms",
    "max_retries",
    "retry_budget_ms",
    "max_response_bytes",
    "ca_file",
    "proxy",
    "certificate_file",
    "private_key_file",
    "assertion_alg",
    "mailbox_concurrency",
    "token_cache_dir",
];

/// Environment variable naming the agent-wide default token cache directory.
pub const TOKEN_CACHE_ENV: &str = "MSGRAPH_TOKEN_CACHE_DIR";
/// How the app proves its identity to the token endpoint.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// A client secret's value.
    Secret(Secret),
    /// A certificate and private key signing a client assertion.
    Certificate(std::sync::Arc<crate::assertion::Certificate>),
}

/// A validated credential configuration.
#[derive(Clone, Debug)]
pub struct CredentialConfig {
    /// Directory tenant (GUID or verified domain).
    pub tenant_id: String,
    /// Application (client) id.
    pub client_id: String,
    /// Client secret or certificate.
    pub auth: ClientAuth,
    /// Scope requested; one resource's `/.default`.
    pub scope: String,
    /// Token endpoint.
    pub token_url: Url,
    /// Graph base URL such as `https://graph.microsoft.com/v1.0`, without a
    /// trailing slash.
    pub graph_base_url: Url,
    /// The same URL with a trailing slash, which relative paths are joined
    /// to (so a call's URL is not parsed from scratch, host included).
    pub graph_base_dir: Url,
    /// Budget of one HTTP attempt, connect included.
    pub timeout: Duration,
    /// Budget of the TCP and TLS connect.
    pub connect_timeout: Duration,
    /// Retries of throttled or unavailable answers.
    pub max_retries: u32,
    /// Total time a call may spend waiting between retries.
    pub retry_budget: Duration,
    /// Largest response body accepted.
    pub max_response_bytes: u64,
    /// Extra trusted CA certificates (PEM).
    pub ca_file: Option<PathBuf>,
    /// Proxy URL (may carry credentials, so kept secret).
    pub proxy: Option<Secret>,
    /// Requests of this app in flight to one mailbox from this process.
    pub mailbox_concurrency: u32,
    /// Directory of the shared token cache (`token_cache_dir`, else
    /// `MSGRAPH_TOKEN_CACHE_DIR`), if any.
    pub token_cache_dir: Option<PathBuf>,
}

/// Host names of a national cloud: (authority host, Graph base URL, scope).
fn cloud_defaults(cloud: &str) -> Result<(&'static str, &'static str, &'static str)> {
    Ok(match cloud {
        "global" => (DEFAULT_AUTHORITY_HOST, DEFAULT_GRAPH_BASE_URL, DEFAULT_SCOPE),
        "usgov" => (
            "https://login.microsoftonline.us",
            "https://graph.microsoft.us/v1.0",
            "https://graph.microsoft.us/.default",
        ),
        "usgov-dod" => (
            "https://login.microsoftonline.us",
            "https://dod-graph.microsoft.us/v1.0",
            "https://dod-graph.microsoft.us/.default",
        ),
        "china" => (
            "https://login.chinacloudapi.cn",
            "https://microsoftgraph.chinacloudapi.cn/v1.0",
            "https://microsoftgraph.chinacloudapi.cn/.default",
        ),
        other => {
            return Err(Error::config(format!(
                "unknown cloud '{other}': use global, usgov, usgov-dod or china"
            )))
        }
    })
}

/// True for 127.0.0.0/8, ::1 and `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The transport rule: https anywhere, plain http only to loopback.
/// Returns `MSGRAPH_ERR_REFUSED` for plain http elsewhere.
pub fn check_scheme(url: &Url, what: &str) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(Error::refused(format!(
            "{what} uses plain http to '{}': http is allowed only to loopback; use https",
            url.host_str().unwrap_or("")
        ))),
        other => Err(Error::argument(format!("{what} has unsupported scheme '{other}'"))),
    }
}

/// `url` with a trailing slash on its path.
fn base_dir(url: &Url) -> Url {
    let mut dir = url.clone();
    if !dir.path().ends_with('/') {
        let path = format!("{}/", dir.path());
        dir.set_path(&path);
    }
    dir
}

fn parse_endpoint(value: &str, key: &str) -> Result<Url> {
    let url = Url::parse(value.trim())
        .map_err(|e| Error::config(format!("'{key}' is not a valid URL: {e}")))?;
    if url.host_str().is_none() || url.cannot_be_a_base() {
        return Err(Error::config(format!("'{key}' must be an absolute http(s) URL")));
    }
    check_scheme(&url, key).map_err(|e| {
        if e.status == crate::status::MSGRAPH_ERR_ARGUMENT {
            Error::config(e.message)
        } else {
            e
        }
    })?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!("'{key}' must not have a query or fragment")));
    }
    Ok(url)
}

fn string_value<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(Error::config(format!("'{key}' must be a string"))),
    }
}

/// Reads a whole number from a JSON number or a string of digits (PL/SQL
/// callers often quote numbers), within `[min, max]`.
pub fn integer_value(obj: &Map<String, Value>, key: &str, min: u64, max: u64) -> Result<Option<u64>> {
    let n = match obj.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    match n {
        Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(Error::config(format!("'{key}' must be a whole number from {min} to {max}"))),
    }
}

fn check_identifier(value: &str, key: &str, allowed: impl Fn(char) -> bool) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::config(format!("'{key}' is empty")));
    }
    if v.len() > 256 || !v.chars().all(allowed) {
        return Err(Error::config(format!("'{key}' has characters that are not allowed")));
    }
    Ok(v.to_string())
}

impl CredentialConfig {
    /// Parses a configuration document (a JSON object).
    pub fn from_json_text(text: &str) -> Result<CredentialConfig> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::config(format!("credential configuration is not valid JSON: {e}")))?;
        CredentialConfig::from_value(&value)
    }

    /// Parses a configuration from a JSON value.
    pub fn from_value(value: &Value) -> Result<CredentialConfig> {
        CredentialConfig::from_value_with(value, &|_, _| Ok(()))
    }

    /// As [`CredentialConfig::from_value`], asking `allow` about the real
    /// path of every file the configuration names (`certificate_file`,
    /// `private_key_file`, `ca_file`) once it is open and before it is read:
    /// the agent policy's file grant (see `policy`).
    pub fn from_value_with(value: &Value, allow: &dyn Fn(&str, &Path) -> Result<()>) -> Result<CredentialConfig> {
        let obj = value
            .as_object()
            .ok_or_else(|| Error::config("credential configuration must be a JSON object"))?;
        if let Some(unknown) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(Error::config(format!(
                "unknown credential configuration key '{unknown}' (known keys: {})",
                KEYS.join(", ")
            )));
        }
        let tenant_id = check_identifier(
            string_value(obj, "tenant_id")?.ok_or_else(|| Error::config("'tenant_id' is required"))?,
            "tenant_id",
            |c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_',
        )?;
        let client_id = check_identifier(
            string_value(obj, "client_id")?.ok_or_else(|| Error::config("'client_id' is required"))?,
            "client_id",
            |c| c.is_ascii_graphic(),
        )?;
        let secret = match (string_value(obj, "client_secret")?, string_value(obj, "client_secret_env")?) {
            (Some(_), Some(_)) => {
                return Err(Error::config("give 'client_secret' or 'client_secret_env', not both"))
            }
            (Some(s), None) => Some(Secret::new(s)),
            (None, Some(var)) => match std::env::var(var) {
                Ok(s) => Some(Secret::new(s)),
                Err(_) => {
                    return Err(Error::config(format!(
                        "environment variable '{var}' named by 'client_secret_env' is not set or not UTF-8"
                    )))
                }
            },
            (None, None) => None,
        };
        let certificate = match (string_value(obj, "certificate_file")?, string_value(obj, "private_key_file")?) {
            (Some(c), Some(k)) => {
                let alg = match string_value(obj, "assertion_alg")?.unwrap_or("PS256") {
                    a if a.eq_ignore_ascii_case("PS256") => crate::assertion::Algorithm::Ps256,
                    a if a.eq_ignore_ascii_case("RS256") => crate::assertion::Algorithm::Rs256,
                    other => return Err(Error::config(format!("'assertion_alg' '{other}' is not PS256 or RS256"))),
                };
                Some(crate::assertion::Certificate::load_checked(Path::new(c), Path::new(k), alg, allow)?)
            }
            (None, None) => {
                if obj.contains_key("assertion_alg") {
                    return Err(Error::config("'assertion_alg' needs 'certificate_file' and 'private_key_file'"));
                }
                None
            }
            _ => return Err(Error::config("'certificate_file' and 'private_key_file' go together")),
        };
        let auth = match (secret, certificate) {
            (Some(_), Some(_)) => {
                return Err(Error::config("give a client secret or a certificate, not both"))
            }
            (Some(s), None) if s.is_empty() => return Err(Error::config("the client secret is empty")),
            (Some(s), None) => ClientAuth::Secret(s),
            (None, Some(c)) => ClientAuth::Certificate(std::sync::Arc::new(c)),
            (None, None) => {
                return Err(Error::config(
                    "'client_secret', 'client_secret_env' or 'certificate_file' + 'private_key_file' is required",
                ))
            }
        };
        let (cloud_authority, cloud_graph, cloud_scope) =
            cloud_defaults(string_value(obj, "cloud")?.unwrap_or("global"))?;
        let scope = string_value(obj, "scope")?.unwrap_or(cloud_scope).trim().to_string();
        if scope.is_empty() || scope.chars().any(|c| c.is_control()) {
            return Err(Error::config("'scope' is empty or has control characters"));
        }
        let token_url = match string_value(obj, "token_url")? {
            Some(u) => parse_endpoint(u, "token_url")?,
            None => {
                let host = parse_endpoint(
                    string_value(obj, "authority_host")?.unwrap_or(cloud_authority),
                    "authority_host",
                )?;
                let base = host.as_str().trim_end_matches('/');
                parse_endpoint(&format!("{base}/{tenant_id}/oauth2/v2.0/token"), "authority_host")?
            }
        };
        let graph_text = string_value(obj, "graph_base_url")?.unwrap_or(cloud_graph);
        let graph_base_url = parse_endpoint(graph_text.trim().trim_end_matches('/'), "graph_base_url")?;
        let ms = |key: &str, min: u64, max: u64, default: u64| -> Result<Duration> {
            Ok(Duration::from_millis(integer_value(obj, key, min, max)?.unwrap_or(default)))
        };
        let ca_file = match string_value(obj, "ca_file")? {
            Some(p) => {
                let f = crate::secure_file::open(Path::new(p), crate::secure_file::CA_FILE)?;
                allow("ca_file", f.real_path())?;
                Some(f.real_path().to_path_buf())
            }
            None => None,
        };
        let proxy = match string_value(obj, "proxy")? {
            Some(p) => {
                let u = Url::parse(p).map_err(|_| Error::config("'proxy' is not a valid URL"))?;
                // SOCKS is not built into the HTTP client: refused here, not at every call.
                if !matches!(u.scheme(), "http" | "https") {
                    return Err(Error::config("'proxy' must be an http or https URL (SOCKS proxies are not supported)"));
                }
                Some(Secret::new(p))
            }
            None => None,
        };
        // An empty key value switches the agent-wide default off.
        let token_cache_dir = match string_value(obj, "token_cache_dir")? {
            Some(d) => Some(d.trim().to_string()),
            None => std::env::var(TOKEN_CACHE_ENV).ok(),
        }
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
        if let Some(d) = &token_cache_dir {
            crate::secure_file::check_cache_dir(d)?;
        }
        Ok(CredentialConfig {
            tenant_id,
            client_id,
            auth,
            scope,
            token_url,
            graph_base_dir: base_dir(&graph_base_url),
            graph_base_url,
            timeout: ms("timeout_ms", 1, 3_600_000, 30_000)?,
            connect_timeout: ms("connect_timeout_ms", 1, 600_000, 10_000)?,
            max_retries: integer_value(obj, "max_retries", 0, 10)?.unwrap_or(3) as u32,
            retry_budget: ms("retry_budget_ms", 0, 3_600_000, 180_000)?,
            max_response_bytes: integer_value(obj, "max_response_bytes", 1024, 4 << 30)?
                .unwrap_or(256 << 20),
            ca_file,
            proxy,
            mailbox_concurrency: integer_value(obj, "mailbox_concurrency", 1, 64)?
                .unwrap_or(crate::mailbox::MAILBOX_CONCURRENCY as u64) as u32,
            token_cache_dir,
        })
    }

    /// What the HTTP transport needs of this credential.
    pub fn transport(&self) -> crate::transport::Settings<'_> {
        crate::transport::Settings {
            tls: self.token_url.scheme() == "https" || self.graph_base_url.scheme() == "https",
            ca_file: self.ca_file.as_deref(),
            proxy: self.proxy.as_ref(),
            connect_timeout: self.connect_timeout,
        }
    }

    /// The secrets this credential's errors must never carry: its client
    /// secret and its proxy URL and proxy password.
    pub fn secrets(&self) -> Vec<String> {
        crate::secret::secrets_of(self.auth_secret(), self.proxy.as_ref())
    }

    fn auth_secret(&self) -> Option<&Secret> {
        match &self.auth {
            ClientAuth::Secret(s) => Some(s),
            ClientAuth::Certificate(_) => None,
        }
    }

    /// The Graph base URL as text, without a trailing slash.
    pub fn graph_base(&self) -> &str {
        self.graph_base_url.as_str().trim_end_matches('/')
    }
}

/// Checks a credential name: 1 to 128 characters, none of them control
/// characters.
pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(Error::argument(
            "a credential name must be 1 to 128 characters without control characters",
        ));
    }
    Ok(())
}

/// Reads a credentials file: a JSON object whose keys are credential names
/// and whose values are credential configurations. The file must be owned
/// by the process's user and not accessible to group or others (chmod
/// 600), at most 1 MiB; it is opened once and checked on its descriptor
/// (see `secure_file`). All entries are validated before any is returned.
pub fn read_credentials_file(path: &Path) -> Result<Vec<(String, CredentialConfig)>> {
    let text = crate::secure_file::read_text(path, crate::secure_file::CREDENTIALS_FILE)?;
    parse_credentials(&text, path, &|_| true)
}

/// Parses a credentials file's text (`path` for messages). Only the entries
/// `wanted` by name are validated and returned; the others are not looked
/// at beyond their names.
pub fn parse_credentials(
    text: &str,
    path: &Path,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<(String, CredentialConfig)>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        Error::config(format!("credentials file {} is not valid JSON: {e}", path.display()))
    })?;
    let obj = doc.as_object().ok_or_else(|| {
        Error::config(format!("credentials file {} must hold a JSON object of named credentials", path.display()))
    })?;
    let mut out = Vec::with_capacity(obj.len());
    for (name, value) in obj.iter().filter(|(n, _)| wanted(n)) {
        check_name(name)?;
        let cfg = CredentialConfig::from_value(value).map_err(|e| Error {
            message: format!("credential '{name}' in {}: {}", path.display(), e.message),
            ..e
        })?;
        out.push((name.clone(), cfg));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::*;
    use serde_json::json;

    fn base() -> Value {
        json!({"tenant_id":"t1","client_id":"c1","client_secret":"s3cr3t"})
    }

    #[test]
    fn defaults_are_global_cloud() {
        let c = CredentialConfig::from_value(&base()).unwrap();
        assert_eq!(c.token_url.as_str(), "https://login.microsoftonline.com/t1/oauth2/v2.0/token");
        assert_eq!(c.graph_base(), "https://graph.microsoft.com/v1.0");
        assert_eq!(c.scope, DEFAULT_SCOPE);
        assert_eq!(c.max_retries, 3);
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }

    #[test]
    fn unknown_key_is_named() {
        let mut v = base();
        v["tennant_id"] = json!("x");
        let e = CredentialConfig::from_value(&v).unwrap_err();
        assert_eq!(e.status, MSGRAPH_ERR_CONFIG);
        assert!(e.message.contains("'tennant_id'"));
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let mut v = base();
        v["graph_base_url"] = json!("http://graph.example.com/v1.0");
        assert_eq!(CredentialConfig::from_value(&v).unwrap_err().status, MSGRAPH_ERR_REFUSED);
        v["graph_base_url"] = json!("http://127.0.0.1:8080/v1.0/");
        let c = CredentialConfig::from_value(&v).unwrap();
        assert_eq!(c.graph_base(), "http://127.0.0.1:8080/v1.0");
        v["authority_host"] = json!("http://[::1]:9");
        let c = CredentialConfig::from_value(&v).unwrap();
        assert_eq!(c.token_url.as_str(), "http://[::1]:9/t1/oauth2/v2.0/token");
    }

    #[test]
    fn national_clouds() {
        let mut v = base();
        v["cloud"] = json!("usgov-dod");
        let c = CredentialConfig::from_value(&v).unwrap();
        assert_eq!(c.graph_base(), "https://dod-graph.microsoft.us/v1.0");
        assert_eq!(c.scope, "https://dod-graph.microsoft.us/.default");
        assert!(c.token_url.as_str().starts_with("https://login.microsoftonline.us/"));
        v["cloud"] = json!("germany");
        assert_eq!(CredentialConfig::from_value(&v).unwrap_err().status, MSGRAPH_ERR_CONFIG);
    }

    #[test]
    fn secret_from_environment() {
        std::env::set_var("MSGRAPH_TEST_SECRET_ENV", "from-env");
        let v = json!({"tenant_id":"t","client_id":"c","client_secret_env":"MSGRAPH_TEST_SECRET_ENV"});
        match CredentialConfig::from_value(&v).unwrap().auth {
            ClientAuth::Secret(s) => assert_eq!(s.expose(), "from-env"),
            other => panic!("{other:?}"),
        }
        let v = json!({"tenant_id":"t","client_id":"c","client_secret_env":"MSGRAPH_TEST_NO_SUCH_VAR"});
        assert_eq!(CredentialConfig::from_value(&v).unwrap_err().status, MSGRAPH_ERR_CONFIG);
    }

    #[test]
    fn numbers_accept_digit_strings_and_check_ranges() {
        let mut v = base();
        v["timeout_ms"] = json!("1500");
        v["max_retries"] = json!(0);
        let c = CredentialConfig::from_value(&v).unwrap();
        assert_eq!(c.timeout, Duration::from_millis(1500));
        assert_eq!(c.max_retries, 0);
        v["max_retries"] = json!(11);
        assert_eq!(CredentialConfig::from_value(&v).unwrap_err().status, MSGRAPH_ERR_CONFIG);
    }

    #[test]
    fn tenant_cannot_inject_a_path() {
        let mut v = base();
        v["tenant_id"] = json!("../evil");
        assert_eq!(CredentialConfig::from_value(&v).unwrap_err().status, MSGRAPH_ERR_CONFIG);
    }
}
