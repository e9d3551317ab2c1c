//! Offline emulator of the Microsoft identity platform token endpoint (client credentials)
//! and a slice of Microsoft Graph, for msgraph-extproc tests. See README.md.
#![recursion_limit = "512"]
#![allow(clippy::manual_is_multiple_of)] // keep building on the workspace MSRV (1.80)

mod batch;
mod cert;
mod chaos;
mod data;
mod directory;
mod errors;
mod mailbox;
mod odata;
mod outlook;
mod query;
mod record;
mod routing;
mod sites;
mod users;
mod state;
mod token;
mod util;

pub use data::{
    CLIENT_ID, CLIENT_SECRET, CLIENT_SECRET_ID, EXPIRED_CLIENT_ID, EXPIRED_CLIENT_SECRET, PRIMARY_ROLES, READER_CLIENT_ID, READER_CLIENT_SECRET, ROOT_SITE_ID,
    TENANT_DOMAIN, TENANT_ID,
};
pub use chaos::{LatencyRange, OutlookThrottling, RandomFaults};
pub use state::{AccessPolicy, Faults, RecordedRequest, Stats};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use state::{lock, Ctx, Resp, Shared};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Emulator start options.
#[derive(Clone, Debug)]
pub struct Options {
    /// Loopback address to bind (127.0.0.1 by default; non-loopback addresses are refused).
    pub bind: IpAddr,
    /// 0 = ephemeral port
    pub port: u16,
    /// Serve HTTPS with a freshly generated CA + server certificate for 127.0.0.1/localhost.
    pub tls: bool,
    /// Number of seeded users (250 by default).
    pub users: usize,
    /// Token lifetime (expires_in), seconds.
    pub token_lifetime_secs: u64,
    /// refresh_in sent in token responses when set.
    pub refresh_in_secs: Option<u64>,
    /// Latency added to every token/Graph response.
    pub latency_ms: u64,
    /// Certificate (PEM) + RSA private key (PEM, PKCS#8 or PKCS#1) to register on the primary app
    /// instead of the generated one.
    pub app_cert_pem: Option<String>,
    pub app_key_pem: Option<String>,
    /// Append every JSON Graph response body (with its method, route and status) to a file in
    /// this directory, for a schema check afterwards (emulator/tests/recorded_bodies.rs).
    /// Defaults to the MSGRAPH_EMULATOR_RECORD_DIR environment variable.
    pub record_dir: Option<std::path::PathBuf>,
    /// Serve HTTP/1.1 only: TLS offers only ALPN http/1.1, clear text refuses h2 prior knowledge
    /// (for comparing a client over HTTP/1.1 and HTTP/2, tools/bench.sh).
    pub http1_only: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bind: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            port: 0,
            tls: false,
            users: 250,
            token_lifetime_secs: 3599,
            refresh_in_secs: None,
            latency_ms: 0,
            app_cert_pem: None,
            app_key_pem: None,
            http1_only: false,
            record_dir: std::env::var_os("MSGRAPH_EMULATOR_RECORD_DIR").filter(|d| !d.is_empty()).map(std::path::PathBuf::from),
        }
    }
}

/// A running emulator. Stops (and joins its runtime thread) on drop.
pub struct Emulator {
    shared: Arc<Shared>,
    port: u16,
    tls: bool,
    ca_pem: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type TlsConfig = Arc<tokio_rustls::rustls::ServerConfig>;

fn tls_setup(http1_only: bool) -> io::Result<(TlsConfig, String)> {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
    use tokio_rustls::rustls;
    let e = |x: rcgen::Error| io::Error::other(x.to_string());
    let ca_key = KeyPair::generate().map_err(e)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "msgraph-emulator test CA");
    ca_params.distinguished_name.push(DnType::OrganizationName, "msgraph-extproc emulator");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(e)?;
    let key = KeyPair::generate().map_err(e)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()]).map_err(e)?;
    params.distinguished_name.push(DnType::CommonName, "localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    let cert = params.signed_by(&key, &ca).map_err(e)?;
    let chain = vec![cert.der().clone(), ca.der().clone()];
    let pk = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(chain, pk)
        .map_err(io::Error::other)?;
    cfg.alpn_protocols = if http1_only { vec![b"http/1.1".to_vec()] } else { vec![b"h2".to_vec(), b"http/1.1".to_vec()] };
    Ok((Arc::new(cfg), ca.pem()))
}

impl Emulator {
    /// Start on a background thread with its own tokio runtime.
    pub fn start(opts: Options) -> io::Result<Emulator> {
        Self::start_with_logging(opts, false)
    }

    /// Like `start`, optionally logging one line per request to stderr.
    pub fn start_with_logging(opts: Options, log_stderr: bool) -> io::Result<Emulator> {
        if !opts.bind.is_loopback() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("refusing to bind non-loopback address {}", opts.bind)));
        }
        let listener = std::net::TcpListener::bind((opts.bind, opts.port))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let (tls, ca_pem) = if opts.tls {
            let (c, p) = tls_setup(opts.http1_only)?;
            (Some(c), Some(p))
        } else {
            (None, None)
        };
        let loaded_cert = match (&opts.app_cert_pem, &opts.app_key_pem) {
            (Some(c), Some(k)) => Some(Arc::new(cert::load(c, k)?)),
            (None, None) => None,
            _ => return Err(io::Error::new(io::ErrorKind::InvalidInput, "app_cert_pem and app_key_pem go together")),
        };
        let mut key = [0u8; 32];
        {
            use rand::RngCore;
            rand::thread_rng().fill_bytes(&mut key);
        }
        let shared = Arc::new(Shared {
            start: Instant::now(),
            scheme: if opts.tls { "https" } else { "http" },
            port: AtomicU64::new(port as u64),
            default_lifetime: opts.token_lifetime_secs,
            default_refresh_in: opts.refresh_in_secs,
            default_latency: opts.latency_ms,
            key,
            tenant: Mutex::new(data::Tenant::new(opts.users)),
            mailboxes: Mutex::new(HashMap::new()),
            faults: Mutex::new(Faults::default()),
            stats: Mutex::new(Stats::default()),
            log: Mutex::new(VecDeque::new()),
            token_serial: AtomicU64::new(1),
            log_stderr: AtomicBool::new(log_stderr),
            loaded_cert,
            seen_jtis: Mutex::new(HashMap::new()),
            load: Arc::new(Mutex::new(chaos::MailboxLoad::default())),
            rng_counter: AtomicU64::new(0),
            latency_counter: AtomicU64::new(0),
            conn_serial: AtomicU64::new(0),
            http1_only: opts.http1_only,
            record: opts.record_dir.as_deref().and_then(|d| record::Recorder::new(d, port)),
        });
        shared.reset_faults();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("msgraph-emulator-worker").enable_all().build()?;
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let sh = shared.clone();
        let thread = std::thread::Builder::new().name("msgraph-emulator".into()).spawn(move || {
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("msgraph-emulator: {e}");
                        return;
                    }
                };
                let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        acc = listener.accept() => {
                            let Ok((stream, _peer)) = acc else { continue };
                            let _ = stream.set_nodelay(true);
                            let sh = sh.clone();
                            let acceptor = acceptor.clone();
                            tokio::spawn(async move {
                                match acceptor {
                                    Some(a) => {
                                        if let Ok(s) = a.accept(stream).await {
                                            serve_conn(sh, s).await;
                                        }
                                    }
                                    None => serve_conn(sh, stream).await,
                                }
                            });
                        }
                    }
                }
            });
            rt.shutdown_background();
        })?;
        Ok(Emulator { shared, port, tls: opts.tls, ca_pem, shutdown: Some(tx), thread: Some(thread) })
    }

    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn base_url(&self) -> String {
        format!("{}://127.0.0.1:{}", if self.tls { "https" } else { "http" }, self.port)
    }
    pub fn graph_base_url(&self) -> String {
        format!("{}/v1.0", self.base_url())
    }
    pub fn authority_host(&self) -> String {
        self.base_url()
    }
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.base_url(), TENANT_ID)
    }
    pub fn ca_pem(&self) -> Option<String> {
        self.ca_pem.clone()
    }
    /// Credentials of the primary app: {"tenant_id","client_id","client_secret","authority_host","graph_base_url"}.
    pub fn credential_json(&self) -> Value {
        json!({
            "tenant_id": TENANT_ID,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "authority_host": self.authority_host(),
            "graph_base_url": self.graph_base_url(),
        })
    }
    /// PEM of the X.509 certificate registered on the primary app (CLIENT_ID). Generated on
    /// first use (RSA 2048, shared by every emulator in the process) unless loaded via Options.
    pub fn certificate_pem(&self) -> String {
        self.shared.app_cert().cert_pem.clone()
    }
    /// PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") of the primary app's certificate key.
    pub fn private_key_pem(&self) -> String {
        self.shared.app_cert().key_pem.clone()
    }
    /// DER of the registered certificate.
    pub fn certificate_der(&self) -> Vec<u8> {
        self.shared.app_cert().cert_der.clone()
    }
    /// base64url SHA-1 thumbprint of the certificate (JWT header `x5t`).
    pub fn certificate_x5t(&self) -> String {
        self.shared.app_cert().x5t.clone()
    }
    /// base64url SHA-256 thumbprint of the certificate (JWT header `x5t#S256`).
    pub fn certificate_x5t_s256(&self) -> String {
        self.shared.app_cert().x5t_s256.clone()
    }
    /// Hex SHA-1 thumbprint (upper case, as the Azure portal shows it).
    pub fn certificate_thumbprint(&self) -> String {
        self.shared.app_cert().thumbprint_hex.clone()
    }
    pub fn stats(&self) -> Stats {
        lock(&self.shared.stats).clone()
    }
    pub fn reset_stats(&self) {
        *lock(&self.shared.stats) = Stats::default();
    }
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).iter().cloned().collect()
    }
    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }
    /// Answer the next `n` Graph requests with 429 TooManyRequests and this Retry-After.
    pub fn throttle_next(&self, n: u32, retry_after: &str) {
        lock(&self.shared.faults).throttle = state::Countdown { remaining: n, status: 429, retry_after: Some(retry_after.to_string()) };
    }
    /// Fail the next `n` Graph requests with `status` (500/502/503/504...).
    pub fn fail_next(&self, n: u32, status: u16, retry_after: Option<&str>) {
        lock(&self.shared.faults).fail = state::Countdown { remaining: n, status, retry_after: retry_after.map(String::from) };
    }
    /// HTTP/2: reset the next `n` Graph or token streams with RST_STREAM(REFUSED_STREAM), before
    /// processing them (RFC 9113 §8.7: the client may send them again). HTTP/1.1 requests
    /// pass and do not count down.
    pub fn refuse_streams_next(&self, n: u32) {
        lock(&self.shared.faults).refuse_stream = state::Countdown { remaining: n, status: 0, retry_after: None };
    }
    /// HTTP/2: after each of the next `n` Graph or token streams, shut its connection down with
    /// a graceful GOAWAY (NO_ERROR; last-stream-id = the last stream the server took). With
    /// `unprocessed`, the triggering stream itself is not processed but reset with
    /// REFUSED_STREAM, as a stream above the last-stream-id would be. HTTP/1.1 requests pass.
    pub fn goaway_next(&self, n: u32, unprocessed: bool) {
        let mut f = lock(&self.shared.faults);
        f.goaway = state::Countdown { remaining: n, status: 0, retry_after: None };
        f.goaway_unprocessed = unprocessed;
    }
    /// Fail the next `n` token requests with `status` (AADSTS-shaped body).
    pub fn fail_token_next(&self, n: u32, status: u16) {
        lock(&self.shared.faults).fail_token = state::Countdown { remaining: n, status, retry_after: None };
    }
    /// Fail the next `n` token requests with `status` and a Retry-After header.
    pub fn fail_token_next_with_retry_after(&self, n: u32, status: u16, retry_after: &str) {
        lock(&self.shared.faults).fail_token = state::Countdown { remaining: n, status, retry_after: Some(retry_after.to_string()) };
    }
    /// Answer the next `n` items inside $batch requests with 429 (outer response stays 200).
    pub fn throttle_batch_items(&self, n: u32, retry_after: &str) {
        lock(&self.shared.faults).batch_item_throttle = state::Countdown { remaining: n, status: 429, retry_after: Some(retry_after.to_string()) };
    }
    /// Every token issued so far becomes invalid (401 "Access token has expired or is not yet valid.").
    pub fn revoke_tokens(&self) {
        self.shared.revoke();
    }
    pub fn set_latency_ms(&self, ms: u64) {
        lock(&self.shared.faults).latency_ms = ms;
    }
    pub fn set_token_lifetime(&self, secs: u64, refresh_in: Option<u64>) {
        let mut f = lock(&self.shared.faults);
        f.token_lifetime_secs = secs;
        f.refresh_in_secs = refresh_in;
    }
    /// Application access policy: `app_id` may only reach these mailboxes (ids or UPNs); other
    /// mailboxes answer 403 ErrorAccessDenied "Access to OData is disabled.".
    pub fn set_access_policy(&self, app_id: &str, allowed_users: &[&str]) {
        let mut f = lock(&self.shared.faults);
        f.access_policies.retain(|p| !p.app_id.eq_ignore_ascii_case(app_id));
        f.access_policies.push(AccessPolicy { app_id: app_id.to_string(), allowed_users: allowed_users.iter().map(|s| s.to_string()).collect() });
    }
    /// Outlook-style throttling per app ID + mailbox (None switches it off). See README.
    pub fn set_outlook_throttling(&self, t: Option<OutlookThrottling>) {
        lock(&self.shared.faults).outlook_throttling = t;
    }
    /// Seeded random faults for Graph requests (None switches them off). See README.
    pub fn set_random_faults(&self, r: Option<RandomFaults>) {
        self.shared.rng_counter.store(0, Ordering::Relaxed);
        lock(&self.shared.faults).random_faults = r;
    }
    /// Latency drawn per response from [min_ms, max_ms] (seeded); `max_ms == 0` switches it off
    /// (the fixed `latency_ms` applies again).
    pub fn set_latency_range(&self, min_ms: u64, max_ms: u64, seed: u64) {
        self.shared.latency_counter.store(0, Ordering::Relaxed);
        lock(&self.shared.faults).latency_range = (max_ms > 0).then_some(LatencyRange { min_ms, max_ms, seed });
    }
    /// Every delta token (deltaLink or nextLink of a delta round) issued so far becomes expired:
    /// users/delta answers 410 Gone with a Location for a fresh round, Outlook delta answers
    /// 400 syncStateNotFound. Stays in force across reset.
    pub fn expire_delta_tokens(&self) {
        self.shared.expire_delta_tokens();
    }
    /// Reset every fault knob (throttles, failures, latency, token lifetime, access policies)
    /// to the start options. Revocations stay in force.
    pub fn reset_faults(&self) {
        self.shared.reset_faults();
    }
    /// Snapshot of the fault script.
    pub fn faults(&self) -> Faults {
        lock(&self.shared.faults).clone()
    }
    /// Apply a control JSON document (same shape as POST /_emulator/faults).
    pub fn apply_faults_json(&self, v: &Value) -> Result<(), String> {
        apply_faults(&self.shared, v)
    }
    /// id of the seeded user with this index (0-based), e.g. for building URLs in tests.
    pub fn user_id(&self, index: usize) -> String {
        data::user_id(index)
    }
    /// userPrincipalName of a live user (None if deleted / out of range).
    pub fn user_upn(&self, index: usize) -> Option<String> {
        lock(&self.shared.tenant).dir.get(index).map(|u| u.upn().to_string())
    }
    /// Mint a token for the primary app directly (no token request), e.g. for Graph-only tests.
    pub fn mint_token(&self) -> String {
        let t = lock(&self.shared.tenant);
        let app = t.app(CLIENT_ID).cloned().expect("primary app");
        drop(t);
        let life = lock(&self.shared.faults).token_lifetime_secs;
        token::mint(&self.shared, &app.app_id, &app.display_name, &app.sp_object_id, &app.roles, util::now_secs(), life, self.shared.next_serial())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One accepted connection: its id in the request log, and the signal that sends it a GOAWAY.
#[derive(Clone)]
struct Conn {
    id: u64,
    goaway: Arc<tokio::sync::Notify>,
    /// notified once the GOAWAY is queued, so the stream that asked for it answers after it
    goaway_queued: Arc<tokio::sync::Notify>,
}

async fn serve_conn<S>(sh: Arc<Shared>, stream: S)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let conn = Conn { id: sh.conn_serial.fetch_add(1, Ordering::Relaxed) + 1, goaway: Arc::new(tokio::sync::Notify::new()), goaway_queued: Arc::new(tokio::sync::Notify::new()) };
    lock(&sh.stats).connections += 1;
    let goaway = conn.goaway.clone();
    let queued = conn.goaway_queued.clone();
    let http1_only = sh.http1_only;
    let svc = hyper::service::service_fn(move |req| handle(sh.clone(), conn.clone(), req));
    // HTTP/1.1, and HTTP/2 (ALPN h2 under TLS, prior knowledge in clear text), as Graph's front door serves both.
    let mut b = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    if http1_only {
        b = b.http1_only();
    }
    b.http1().keep_alive(true);
    b.http2().max_concurrent_streams(100);
    let served = b.serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(served);
    tokio::select! {
        _ = served.as_mut() => return,
        _ = goaway.notified() => {}
    }
    // GOAWAY (NO_ERROR): streams already taken are answered, new ones go to a new connection.
    served.as_mut().graceful_shutdown();
    queued.notify_one();
    let _ = served.await;
}

type ServiceError = Box<dyn std::error::Error + Send + Sync>;

/// hyper answers a service error on an HTTP/2 stream with RST_STREAM carrying the h2 reason
/// found in the error (INTERNAL_ERROR for any other error).
fn refused_stream() -> ServiceError {
    Box::new(h2::Error::from(h2::Reason::REFUSED_STREAM))
}

type Body = http_body_util::combinators::BoxBody<Bytes, io::Error>;

fn full(b: Vec<u8>) -> Body {
    Full::new(Bytes::from(b)).map_err(|never| match never {}).boxed()
}

/// A body that sends `first` (if any), waits `wait`, then fails: hyper closes the connection
/// short of the announced Content-Length.
struct FaultBody {
    first: Option<Bytes>,
    sleep: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl hyper::body::Body for FaultBody {
    type Data = Bytes;
    type Error = io::Error;
    fn poll_frame(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, io::Error>>> {
        use std::future::Future;
        if let Some(b) = self.first.take() {
            return std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(b))));
        }
        if let Some(s) = self.sleep.as_mut() {
            if s.as_mut().poll(cx).is_pending() {
                return std::task::Poll::Pending;
            }
        }
        std::task::Poll::Ready(Some(Err(io::Error::other("emulated connection fault"))))
    }
}

fn to_hyper(r: Resp) -> Response<Body> {
    to_hyper_with(r, chaos::Wire::Normal)
}

fn to_hyper_with(mut r: Resp, wire: chaos::Wire) -> Response<Body> {
    use chaos::Wire;
    if wire == Wire::Malformed {
        let mut broken = br#"{"@odata.context":"emulator-malformed","value":[{"id":"#.to_vec();
        broken.extend_from_slice(br#""AAMkAG\u00, "x": tru}]"#);
        r = Resp { status: 200, headers: r.headers.into_iter().filter(|(k, _)| !k.eq_ignore_ascii_case("retry-after")).collect(), body: broken }.header("Content-Type", errors::ODATA_JSON);
    }
    let mut b = Response::builder().status(r.status);
    for (k, v) in &r.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let len = r.body.len();
    let body = match wire {
        Wire::Stall(ms) => {
            b = b.header("Content-Length", (len.max(1)).to_string());
            FaultBody { first: None, sleep: Some(Box::pin(tokio::time::sleep(std::time::Duration::from_millis(ms)))) }.boxed()
        }
        Wire::Truncate => {
            let body = if len < 2 { b"{\"value\":[]}".to_vec() } else { r.body };
            b = b.header("Content-Length", body.len().to_string());
            let half = Bytes::from(body[..body.len() / 2].to_vec());
            FaultBody { first: Some(half), sleep: Some(Box::pin(tokio::time::sleep(std::time::Duration::from_millis(50)))) }.boxed()
        }
        _ => full(r.body),
    };
    b.body(body).unwrap_or_else(|_| {
        let mut x = Response::new(full(vec![]));
        *x.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        x
    })
}

fn not_found(path: &str) -> Resp {
    Resp::json(404, &json!({"error": {"code": "NotFound", "message": format!("No emulated endpoint at '{path}'.")}})).header("Content-Type", "application/json; charset=utf-8")
}

async fn handle(sh: Arc<Shared>, conn: Conn, req: Request<Incoming>) -> Result<Response<Body>, ServiceError> {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let is_h2 = req.version() == hyper::Version::HTTP_2;
    let http_version = format!("{:?}", req.version());
    let path_q = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let (path, raw_query) = match path_q.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (path_q.clone(), String::new()),
    };
    let headers: Vec<(String, String)> = req.headers().iter().map(|(k, v)| (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
    let port = sh.port.load(Ordering::Relaxed);
    // HTTP/2 carries the host in :authority, not in a Host header.
    let host = headers.iter().find(|(k, _)| k == "host").map(|(_, v)| v.clone()).or_else(|| req.uri().authority().map(|a| a.to_string())).unwrap_or_else(|| format!("127.0.0.1:{port}"));
    let gzip_ok = headers.iter().any(|(k, v)| k == "accept-encoding" && v.split(',').any(|e| e.split(';').next().map(|x| x.trim().eq_ignore_ascii_case("gzip")).unwrap_or(false)));
    let body = match Limited::new(req.into_body(), 64 * 1024 * 1024).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(to_hyper(Resp::json(413, &json!({"error": {"code": "RequestEntityTooLarge", "message": "The request body is too large."}}))));
        }
    };
    if path.starts_with("/_emulator") {
        return Ok(to_hyper(control(&sh, &method, &path, &body)));
    }
    // HTTP/2 faults: a refused stream (not processed), or a GOAWAY on this connection.
    let (refuse, goaway) = if is_h2 {
        let mut f = lock(&sh.faults);
        let refuse = f.refuse_stream.take().is_some();
        let goaway = if refuse { None } else { f.goaway.take().map(|_| f.goaway_unprocessed) };
        (refuse, goaway)
    } else {
        (false, None)
    };
    if goaway.is_some() {
        lock(&sh.stats).goaways += 1;
        conn.goaway.notify_one();
        // h2 sends a queued GOAWAY before further frames: the client learns of it before this
        // stream's answer, so its next request goes to a new connection.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), conn.goaway_queued.notified()).await;
    }
    if refuse || goaway == Some(true) {
        lock(&sh.stats).refused_streams += 1;
        push_log(&sh, RecordedRequest {
            method,
            path: path_q,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            status: 0,
            at_ms: sh.start.elapsed().as_millis() as u64,
            body_len: body.len(),
            host,
            duration_ms: started.elapsed().as_millis() as u64,
            http_version,
            connection_id: conn.id,
            wire_fault: Some(if refuse { "refused_stream" } else { "goaway_unprocessed" }.into()),
            client_auth: None,
        });
        return Err(refused_stream());
    }
    let base = format!("{}://{}", sh.scheme, host);
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut client_auth = None;
    let mut _slot = None;
    let mut is_token = false;
    let resp = if segs.len() == 4 && segs[1].eq_ignore_ascii_case("oauth2") && segs[2].eq_ignore_ascii_case("v2.0") && segs[3].eq_ignore_ascii_case("token") {
        lock(&sh.stats).token_requests += 1;
        is_token = true;
        if sh.loaded_cert.is_none() && body.windows(16).any(|w| w == b"client_assertion") {
            // First use may generate the RSA key (slow in debug builds): keep it off the workers.
            let _ = tokio::task::spawn_blocking(cert::default_cert).await;
        }
        let token_url = format!("{base}{}", path.trim_end_matches('/'));
        let mut r = token::token_endpoint(&sh, &method, &util::pct_decode(segs[0], false), &token_url, &headers, &body);
        if let Some(pos) = r.headers.iter().position(|(k, _)| k == token::AUTH_METHOD_HEADER) {
            client_auth = Some(r.headers.remove(pos).1);
        }
        r
    } else if segs.len() == 4 && segs[1] == "v2.0" && segs[2] == ".well-known" && segs[3] == "openid-configuration" && !token::known_tenant(&util::pct_decode(segs[0], false)) {
        token::unknown_tenant_discovery(&util::pct_decode(segs[0], false))
    } else if segs.len() == 4 && segs[1] == "v2.0" && segs[2] == ".well-known" && segs[3] == "openid-configuration" {
        let t = util::pct_decode(segs[0], false);
        Resp::json(
            200,
            &json!({
                "token_endpoint": format!("{base}/{t}/oauth2/v2.0/token"),
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "issuer": format!("{base}/{TENANT_ID}/v2.0"),
                "authorization_endpoint": format!("{base}/{t}/oauth2/v2.0/authorize"),
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
                "msgraph_host": "graph.microsoft.com",
            }),
        )
        .header("Content-Type", "application/json; charset=utf-8")
    } else if let Some(ver) = segs.first().filter(|v| v.eq_ignore_ascii_case("v1.0") || v.eq_ignore_ascii_case("beta")) {
        let client_request_id = headers.iter().find(|(k, _)| k == "client-request-id").map(|(_, v)| v.clone()).unwrap_or_else(util::random_guid);
        let ctx = Ctx { base: base.clone(), version: ver.to_string(), request_id: util::random_guid(), client_request_id, headers: headers.clone() };
        let rest = &path[1 + ver.len()..];
        let (r, slot) = routing::graph_request(&sh, &ctx, &method, rest, &raw_query, &body);
        _slot = slot;
        r
    } else {
        not_found(&path)
    };
    // Wire-level random faults (Graph, and the token endpoint when random_faults.token is set).
    let is_graph = _slot.is_some() || segs.first().map(|v| v.eq_ignore_ascii_case("v1.0") || v.eq_ignore_ascii_case("beta")).unwrap_or(false);
    let rf = lock(&sh.faults).random_faults.clone().filter(|rf| is_graph || (is_token && rf.token));
    let (wire, slow) = match &rf {
        Some(rf) => chaos::wire_fault(&sh, rf),
        None => (chaos::Wire::Normal, 0),
    };
    let latency = chaos::latency(&sh) + slow;
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    drop(_slot);
    {
        let mut st = lock(&sh.stats);
        if slow > 0 {
            st.slowed += 1;
        }
        match wire {
            chaos::Wire::Reset => st.connection_resets += 1,
            chaos::Wire::Stall(_) => st.stalled += 1,
            chaos::Wire::Truncate => st.truncated += 1,
            chaos::Wire::Malformed => st.malformed += 1,
            chaos::Wire::Normal => {
                if resp.status == 429 {
                    st.throttled += 1;
                }
            }
        }
    }
    let status = match wire {
        chaos::Wire::Reset => 0,
        chaos::Wire::Malformed => 200,
        _ => resp.status,
    };
    let dur = started.elapsed().as_millis() as u64;
    if sh.log_stderr.load(Ordering::Relaxed) {
        eprintln!("{method} {path_q} -> {status} ({dur} ms)");
    }
    if let (Some(rec), true, chaos::Wire::Normal) = (&sh.record, is_graph, &wire) {
        rec.record(&method, &path_q, &body, &resp);
    }
    push_log(&sh, RecordedRequest {
        method,
        path: path_q,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        status,
        at_ms: sh.start.elapsed().as_millis() as u64,
        body_len: body.len(),
        host,
        duration_ms: dur,
        http_version,
        connection_id: conn.id,
        wire_fault: match wire {
            chaos::Wire::Reset => Some("reset".into()),
            chaos::Wire::Stall(_) => Some("stall".into()),
            chaos::Wire::Truncate => Some("truncate".into()),
            chaos::Wire::Malformed => Some("malformed".into()),
            chaos::Wire::Normal => goaway.map(|_| "goaway".into()),
        },
        client_auth,
    });
    if wire == chaos::Wire::Reset {
        // hyper closes the connection without writing a response (HTTP/2: RST_STREAM INTERNAL_ERROR)
        return Err(Box::new(io::Error::new(io::ErrorKind::ConnectionReset, "emulated connection reset")));
    }
    let resp = if gzip_ok && wire == chaos::Wire::Normal { gzip(resp) } else { resp };
    Ok(to_hyper_with(resp, wire))
}

fn push_log(sh: &Shared, r: RecordedRequest) {
    let mut log = lock(&sh.log);
    if log.len() >= state::LOG_CAP {
        log.pop_front();
    }
    log.push_back(r);
}

/// Compress a response body for a client that asked for gzip (Accept-Encoding), as Graph does.
fn gzip(mut r: Resp) -> Resp {
    use std::io::Write;
    if r.body.is_empty() || r.get_header("Content-Encoding").is_some() {
        return r;
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(r.body.len() / 3), flate2::Compression::fast());
    if enc.write_all(&r.body).is_err() {
        return r;
    }
    match enc.finish() {
        Ok(z) => {
            r.body = z;
            r.header("Content-Encoding", "gzip").header("Vary", "Accept-Encoding")
        }
        Err(_) => r,
    }
}

fn ctl_json(status: u16, v: &Value) -> Resp {
    Resp::json(status, v).header("Content-Type", "application/json; charset=utf-8")
}

fn countdown(v: &Value, default_status: u16) -> Result<state::Countdown, String> {
    let count = v.get("count").and_then(|c| c.as_u64()).ok_or("missing integer 'count'")? as u32;
    let status = v.get("status").and_then(|c| c.as_u64()).map(|s| s as u16).unwrap_or(default_status);
    let retry_after = match v.get("retry_after") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => return Err("'retry_after' must be a string".into()),
    };
    Ok(state::Countdown { remaining: count, status, retry_after })
}

fn apply_faults(sh: &Shared, v: &Value) -> Result<(), String> {
    let Some(o) = v.as_object() else { return Err("expected a JSON object".into()) };
    const KNOWN: &[&str] = &[
        "reset",
        "throttle_next",
        "fail_next",
        "fail_token_next",
        "throttle_batch_items",
        "revoke_tokens",
        "latency_ms",
        "token_lifetime",
        "access_policy",
        "clear_access_policies",
        "outlook_throttling",
        "random_faults",
        "latency_range",
        "expire_delta_tokens",
        "refuse_stream_next",
        "goaway_next",
    ];
    if let Some(k) = o.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!("unknown fault '{k}'"));
    }
    // Validate everything first, then apply.
    let throttle = o.get("throttle_next").map(|x| countdown(x, 429)).transpose()?;
    let fail = o.get("fail_next").map(|x| countdown(x, 503)).transpose()?;
    let fail_token = o.get("fail_token_next").map(|x| countdown(x, 503)).transpose()?;
    let batch = o.get("throttle_batch_items").map(|x| countdown(x, 429)).transpose()?;
    let refuse = o.get("refuse_stream_next").map(|x| countdown(x, 0)).transpose()?;
    let goaway = o.get("goaway_next").map(|x| countdown(x, 0)).transpose()?;
    let goaway_unprocessed = match o.get("goaway_next").and_then(|x| x.get("unprocessed")) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("'goaway_next.unprocessed' must be true or false".into()),
    };
    let latency = match o.get("latency_ms") {
        None => None,
        Some(x) => Some(x.as_u64().ok_or("'latency_ms' must be an integer")?),
    };
    let lifetime = match o.get("token_lifetime") {
        None => None,
        Some(x) => {
            let e = x.get("expires_in").and_then(|e| e.as_u64()).ok_or("'token_lifetime.expires_in' must be an integer")?;
            Some((e, x.get("refresh_in").and_then(|r| r.as_u64())))
        }
    };
    let policy: Option<AccessPolicy> = match o.get("access_policy") {
        None => None,
        Some(x) => Some(serde_json::from_value(x.clone()).map_err(|e| format!("access_policy: {e}"))?),
    };
    // null or false switches a feature off; an object switches it on (defaults for missing keys)
    fn switch<T: serde::de::DeserializeOwned>(o: &serde_json::Map<String, Value>, k: &str) -> Result<Option<Option<T>>, String> {
        match o.get(k) {
            None => Ok(None),
            Some(Value::Null) | Some(Value::Bool(false)) => Ok(Some(None)),
            Some(Value::Bool(true)) => serde_json::from_value(json!({})).map(|v| Some(Some(v))).map_err(|e| format!("{k}: {e}")),
            Some(x) => serde_json::from_value(x.clone()).map(|v| Some(Some(v))).map_err(|e| format!("{k}: {e}")),
        }
    }
    let outlook: Option<Option<OutlookThrottling>> = switch(o, "outlook_throttling")?;
    let random: Option<Option<RandomFaults>> = switch(o, "random_faults")?;
    let range: Option<Option<LatencyRange>> = match o.get("latency_range") {
        Some(Value::Array(a)) if a.len() == 2 => {
            let n = |i: usize| a[i].as_u64().ok_or("latency_range: [min_ms, max_ms] integers");
            Some(Some(LatencyRange { min_ms: n(0)?, max_ms: n(1)?, seed: 0 }))
        }
        _ => switch(o, "latency_range")?,
    };
    if let Some(Some(rf)) = &random {
        for (k, r) in [("rate", rf.rate), ("connection_reset_rate", rf.connection_reset_rate), ("slow_rate", rf.slow_rate), ("stall_rate", rf.stall_rate), ("truncate_rate", rf.truncate_rate), ("malformed_rate", rf.malformed_rate), ("batch_item_rate", rf.batch_item_rate.unwrap_or(0.0))] {
            if !(0.0..=1.0).contains(&r) {
                return Err(format!("random_faults.{k} must be between 0 and 1"));
            }
        }
        if let Some(s) = rf.statuses.iter().find(|s| !(400..=599).contains(*s)) {
            return Err(format!("random_faults.statuses: {s} is not an error status"));
        }
    }
    if let Some(Some(ot)) = &outlook {
        if ot.concurrency == 0 {
            return Err("outlook_throttling.concurrency must be at least 1".into());
        }
    }
    if o.get("reset").and_then(|r| r.as_bool()).unwrap_or(false) {
        sh.reset_faults();
    }
    match o.get("expire_delta_tokens") {
        None | Some(Value::Bool(false)) | Some(Value::Null) => {}
        Some(Value::Bool(true)) => sh.expire_delta_tokens(),
        Some(Value::Object(m)) => {
            let code = match m.get("outlook_code").and_then(|c| c.as_str()) {
                None | Some("syncStateNotFound") => None,
                Some("resyncRequired") => Some("resyncRequired".to_string()),
                Some(other) => return Err(format!("expire_delta_tokens.outlook_code: '{other}' (syncStateNotFound or resyncRequired)")),
            };
            lock(&sh.faults).expired_outlook_delta_code = code;
            sh.expire_delta_tokens();
        }
        Some(_) => return Err("'expire_delta_tokens' must be true or {\"outlook_code\": ...}".into()),
    }
    if o.get("revoke_tokens").and_then(|r| r.as_bool()).unwrap_or(false) {
        sh.revoke();
    }
    let mut f = lock(&sh.faults);
    if let Some(c) = throttle {
        f.throttle = c;
    }
    if let Some(c) = fail {
        f.fail = c;
    }
    if let Some(c) = fail_token {
        f.fail_token = c;
    }
    if let Some(c) = batch {
        f.batch_item_throttle = c;
    }
    if let Some(c) = refuse {
        f.refuse_stream = c;
    }
    if let Some(c) = goaway {
        f.goaway = c;
        f.goaway_unprocessed = goaway_unprocessed;
    }
    if let Some(l) = latency {
        f.latency_ms = l;
    }
    if let Some((e, r)) = lifetime {
        f.token_lifetime_secs = e;
        f.refresh_in_secs = r;
    }
    if let Some(x) = outlook {
        f.outlook_throttling = x;
    }
    if let Some(x) = random {
        sh.rng_counter.store(0, Ordering::Relaxed);
        f.random_faults = x;
    }
    if let Some(x) = range {
        sh.latency_counter.store(0, Ordering::Relaxed);
        f.latency_range = x;
    }
    if o.get("clear_access_policies").and_then(|r| r.as_bool()).unwrap_or(false) {
        f.access_policies.clear();
    }
    if let Some(p) = policy {
        f.access_policies.retain(|x| !x.app_id.eq_ignore_ascii_case(&p.app_id));
        f.access_policies.push(p);
    }
    Ok(())
}

fn control(sh: &Shared, method: &str, path: &str, body: &[u8]) -> Resp {
    let p = path.trim_end_matches('/');
    match (method, p) {
        ("GET", "/_emulator/stats") => ctl_json(200, &serde_json::to_value(lock(&sh.stats).clone()).unwrap_or(Value::Null)),
        ("GET", "/_emulator/requests") => {
            let v: Vec<RecordedRequest> = lock(&sh.log).iter().cloned().collect();
            ctl_json(200, &serde_json::to_value(v).unwrap_or(Value::Null))
        }
        ("GET", "/_emulator/faults") => ctl_json(200, &serde_json::to_value(lock(&sh.faults).clone()).unwrap_or(Value::Null)),
        ("GET", "/_emulator/health") => ctl_json(200, &json!({"status": "ok"})),
        ("POST", "/_emulator/clear") => {
            lock(&sh.log).clear();
            let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            if v.get("stats").and_then(|s| s.as_bool()).unwrap_or(false) {
                *lock(&sh.stats) = Stats::default();
            }
            Resp::empty(204)
        }
        ("POST", "/_emulator/reset") => {
            sh.reset_faults();
            lock(&sh.log).clear();
            *lock(&sh.stats) = Stats::default();
            Resp::empty(204)
        }
        ("POST", "/_emulator/faults") => {
            let v: Value = match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(e) => return ctl_json(400, &json!({"error": format!("invalid JSON: {e}")})),
            };
            match apply_faults(sh, &v) {
                Ok(()) => ctl_json(200, &serde_json::to_value(lock(&sh.faults).clone()).unwrap_or(Value::Null)),
                Err(e) => ctl_json(400, &json!({"error": e})),
            }
        }
        _ => ctl_json(404, &json!({"error": format!("unknown control endpoint {method} {path}")})),
    }
}
