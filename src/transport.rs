//! HTTP transport: one pooled client per thread and distinct TLS and proxy
//! setting, so every credential with the same settings shares keep-alive
//! connections, and a single send that reads the body once, with a size cap.
//!
//! Each calling thread drives its own requests on a small current-thread
//! Tokio runtime of its own (`block_on` in the caller): no hand-off to a
//! background thread and back on every request, which costs more than the
//! loopback round trip itself. Connections are therefore pooled per thread:
//! a connection's I/O runs only while its own thread is inside a call. In
//! Oracle's dedicated agent that is the session's one thread; in the
//! multithreaded agent, each agent thread keeps its own pool.

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::status::*;
use reqwest::{Client, RequestBuilder};
use crate::sync::lock;
use once_cell::sync::Lazy;
use std::cell::RefCell;
use std::sync::Mutex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the transport needs of a credential, as plain values borrowed from
/// it (the transport knows nothing of credentials or their configuration).
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    /// Some endpoint is https, so TLS (and the trust store) is needed.
    pub tls: bool,
    /// Extra trusted CA certificates (PEM).
    pub ca_file: Option<&'a Path>,
    /// The credential's own proxy URL, if any (else the environment's).
    pub proxy: Option<&'a Secret>,
    /// Budget of the TCP and TLS connect.
    pub connect_timeout: Duration,
}

/// The User-Agent sent on every request: "msgraph-extproc/0.1.0 (linux; x86_64)".
pub fn user_agent() -> String {
    format!(
        "msgraph-extproc/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    tls: bool,
    ca_file: Option<PathBuf>,
    proxy: Option<String>,
    connect_timeout_ms: u128,
}

/// This thread's runtime and clients.
struct Local {
    runtime: tokio::runtime::Runtime,
    clients: HashMap<ClientKey, Client>,
    /// The [`CLIENT_EPOCH`] the clients were made in.
    epoch: u64,
    /// Uses, for dropping the least used client past the bound.
    uses: HashMap<ClientKey, u64>,
    /// The client of the last call, found again without hashing or
    /// allocating when the next call has the same settings (the common
    /// case: one credential per session).
    last: Option<(ClientKey, Client)>,
    /// The environment's proxy (HTTPS_PROXY…), read once per epoch rather
    /// than on every call.
    env_proxy: Option<Option<String>>,
}

/// Most clients (each with its own connection pool) one thread keeps.
const MAX_CLIENTS_PER_THREAD: usize = 8;

/// Moves on whenever credentials change: each thread then drops its
/// clients (and their pooled connections) at its next call, so clients no
/// credential uses any more do not keep descriptors open.
static CLIENT_EPOCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Credentials were set, replaced or removed: every thread's clients are
/// dropped at its next call and made again on demand.
pub fn credentials_changed() {
    CLIENT_EPOCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's runtime and clients, creating them first.
fn with_local<T>(f: impl FnOnce(&mut Local) -> Result<T>) -> Result<T> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::argument(
            "libmsgraph was called from inside a Tokio runtime: call it from a plain thread (e.g. spawn_blocking)",
        ));
    }
    LOCAL
        .try_with(|cell| {
            let mut slot = cell
                .try_borrow_mut()
                .map_err(|_| Error::internal("the HTTP transport was re-entered on one thread"))?;
            if slot.is_none() {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| Error::new(MSGRAPH_ERR_TRANSPORT, format!("cannot start the I/O runtime: {e}")))?;
                *slot = Some(Local {
                    runtime,
                    clients: HashMap::new(),
                    epoch: CLIENT_EPOCH.load(std::sync::atomic::Ordering::Relaxed),
                    uses: HashMap::new(),
                    last: None,
                    env_proxy: None,
                });
            }
            f(slot.as_mut().expect("set above"))
        })
        .unwrap_or_else(|_| Err(Error::internal("the thread is exiting")))
}

/// A response read in full.
#[derive(Debug)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body exactly as received.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The environment's proxy for https: HTTPS_PROXY / https_proxy /
/// ALL_PROXY / all_proxy (extproc.ora's SET lines).
fn env_proxy() -> Option<String> {
    ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
}

/// The proxy for https: the credential's `proxy` key, else the
/// environment's. NO_PROXY / no_proxy exempt hosts.
fn proxy_url(cfg: &Settings, env: Option<&str>) -> Option<Secret> {
    cfg.proxy.cloned().or_else(|| env.map(Secret::new))
}

impl ClientKey {
    /// Whether `cfg` (with the environment's proxy `env`) names this key,
    /// compared in place: no allocation.
    fn matches(&self, cfg: &Settings, env: Option<&str>) -> bool {
        let proxy = cfg.proxy.map(Secret::expose).or(env);
        self.tls == cfg.tls
            && self.connect_timeout_ms == cfg.connect_timeout.as_millis()
            && self.ca_file.as_deref() == cfg.ca_file
            && self.proxy.as_deref() == proxy
    }
}

/// The shared client for a credential's TLS and proxy settings.
pub fn client_for(cfg: &Settings) -> Result<Client> {
    with_local(|local| {
        let epoch = CLIENT_EPOCH.load(std::sync::atomic::Ordering::Relaxed);
        if epoch != local.epoch {
            local.epoch = epoch;
            local.clients.clear();
            local.uses.clear();
            local.last = None;
            local.env_proxy = None;
            // Let the dropped pools' connection tasks see that and close.
            local.runtime.block_on(async {
                for _ in 0..4 {
                    tokio::task::yield_now().await;
                }
            });
        }
        if local.env_proxy.is_none() {
            local.env_proxy = Some(env_proxy());
        }
        if let (Some((k, c)), Some(env)) = (&local.last, &local.env_proxy) {
            if k.matches(cfg, env.as_deref()) {
                if let Some(n) = local.uses.get_mut(k) {
                    *n += 1;
                }
                return Ok(c.clone());
            }
        }
        let env = local.env_proxy.clone().flatten();
        let key = ClientKey {
            tls: cfg.tls,
            ca_file: cfg.ca_file.map(Path::to_path_buf),
            proxy: proxy_url(cfg, env.as_deref()).map(|p| p.expose().to_string()),
            connect_timeout_ms: cfg.connect_timeout.as_millis(),
        };
        if let Some(c) = local.clients.get(&key) {
            *local.uses.entry(key.clone()).or_default() += 1;
            let c = c.clone();
            local.last = Some((key, c.clone()));
            return Ok(c);
        }
        if local.clients.len() >= MAX_CLIENTS_PER_THREAD {
            if let Some(k) = local.uses.iter().min_by_key(|(_, n)| **n).map(|(k, _)| k.clone()) {
                local.clients.remove(&k);
                local.uses.remove(&k);
                if local.last.as_ref().is_some_and(|(l, _)| *l == k) {
                    local.last = None;
                }
            }
        }
        // The client's pool and connector belong to this thread's runtime.
        let _entered = local.runtime.enter();
        let client = build_client(cfg, env.as_deref())?;
        local.uses.insert(key.clone(), 1);
        local.clients.insert(key.clone(), client.clone());
        local.last = Some((key, client.clone()));
        Ok(client)
    })
}

/// The operating system's trusted roots, read once per process (reading
/// and parsing the CA bundle and certificate directory costs milliseconds,
/// which every thread's first client would otherwise pay again).
static NATIVE_ROOTS: Lazy<Vec<rustls::pki_types::CertificateDer<'static>>> =
    Lazy::new(|| rustls_native_certs::load_native_certs().certs);

/// TLS settings per extra CA file, built once per process and shared by
/// every thread's clients: Mozilla's roots (compiled in, so no Oracle
/// wallet and no stale OS bundle can break a Microsoft root change), the
/// operating system's roots, and the credential's `ca_file`.
static TLS_CONFIGS: Lazy<Mutex<HashMap<Option<PathBuf>, rustls::ClientConfig>>> = Lazy::new(Default::default);

fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig> {
    let ca_key = ca_file.map(Path::to_path_buf);
    if let Some(c) = lock(&TLS_CONFIGS).get(&ca_key) {
        return Ok(c.clone());
    }
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // Native stores hold some certificates rustls cannot parse: skip those.
    let _ = roots.add_parsable_certificates(NATIVE_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| Error::config(format!("cannot read ca_file {}: {e}", path.display())))?;
        let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(&pem).filter_map(|c| c.ok()).collect();
        let (added, _) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(Error::config(format!("ca_file {} holds no usable PEM certificate", path.display())));
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    lock(&TLS_CONFIGS).insert(ca_key, config.clone());
    Ok(config)
}

fn build_client(cfg: &Settings, env_proxy: Option<&str>) -> Result<Client> {
    let mut b = Client::builder()
        .user_agent(user_agent())
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(cfg.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .tcp_keepalive(Duration::from_secs(60));
    b = if cfg.tls {
        b.use_preconfigured_tls(tls_config(cfg.ca_file)?)
    } else {
        // Plain http to loopback (the emulator): no trust store to load.
        b.use_rustls_tls().tls_built_in_root_certs(false)
    };
    // A proxy carries https only: plain http goes only to loopback (the
    // emulator), and a token must never cross a proxy in clear text.
    b = b.no_proxy();
    if let Some(p) = proxy_url(cfg, env_proxy) {
        let scheme = p.expose().split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        if !matches!(scheme.as_deref(), Some("http" | "https")) {
            return Err(Error::config("the proxy must be an http or https URL (SOCKS proxies are not supported)"));
        }
        let proxy = reqwest::Proxy::https(p.expose())
            .map_err(|_| Error::config("the proxy URL is not usable"))?
            .no_proxy(reqwest::NoProxy::from_env());
        b = b.proxy(proxy);
    }
    b.build().map_err(|e| Error::new(MSGRAPH_ERR_TRANSPORT, format!("cannot build the HTTP client: {}", chain(&e))))
}

/// A description of an error and its causes, without the URL (which the
/// caller names itself) and never with a header value.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// Maps a reqwest failure to the library's codes.
pub fn map_error(e: reqwest::Error, host: &str) -> Error {
    let e = e.without_url();
    if e.is_timeout() {
        Error::new(MSGRAPH_ERR_TIMEOUT, format!("request to {host} timed out"))
    } else if e.is_connect() {
        Error::new(MSGRAPH_ERR_TRANSPORT, format!("cannot connect to {host}: {}", chain(&e)))
    } else {
        Error::new(MSGRAPH_ERR_TRANSPORT, format!("exchange with {host} failed: {}", chain(&e)))
    }
}

/// Sends a prepared request and reads the whole response, refusing bodies
/// over `max_bytes`. The request must come from this thread's client
/// ([`client_for`]).
pub fn send(req: RequestBuilder, host: &str, max_bytes: u64) -> Result<RawResponse> {
    with_local(|local| local.runtime.block_on(exchange(req, host, max_bytes)))
}

async fn exchange(req: RequestBuilder, host: &str, max_bytes: u64) -> Result<RawResponse> {
    let mut resp = req.send().await.map_err(|e| map_error(e, host))?;
    let status = resp.status().as_u16();
    // Each value gets one byte of room for the NUL its C string adds (the
    // result turns it into a CString in place).
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            let v = String::from_utf8_lossy(v.as_bytes());
            let mut value = String::with_capacity(v.len() + 1);
            value.push_str(&v);
            (k.as_str().to_string(), value)
        })
        .collect();
    let expected = resp.content_length();
    if expected.is_some_and(|n| n > max_bytes) {
        return Err(too_large(host, max_bytes));
    }
    // One buffer, sized from Content-Length when known, plus room for the
    // NUL the result adds.
    let mut body = Vec::with_capacity(expected.unwrap_or(0).min(max_bytes) as usize + 1);
    while let Some(chunk) = resp.chunk().await.map_err(|e| {
        if e.is_timeout() {
            Error::new(MSGRAPH_ERR_TIMEOUT, format!("reading the response from {host} timed out"))
        } else {
            let e = e.without_url();
            Error::new(MSGRAPH_ERR_TRANSPORT, format!("reading the response from {host} failed: {}", chain(&e)))
        }
    })? {
        if (body.len() + chunk.len()) as u64 > max_bytes {
            return Err(too_large(host, max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(RawResponse { status, headers, body })
}

fn too_large(host: &str, max: u64) -> Error {
    Error::new(MSGRAPH_ERR_TOO_LARGE, format!("the response from {host} is larger than max_response_bytes ({max})"))
        .with("max_response_bytes", max)
}
