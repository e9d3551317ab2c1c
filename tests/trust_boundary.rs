//! The extproc agent's trust boundary (issue 9): database schemas A and B
//! call the `msgraph_xp_*` entry points exactly as the MSGRAPH package does
//! (RAW arguments as pointer + indicator + length, OUT RAW buffers with
//! MAXLEN, registry names `SESSION_USER || '/' || p_name`, namespace
//! `SESSION_USER || '/'` for loads), in one process as in the
//! multithreaded agent, under an agent policy that grants A a few things
//! and B nothing. Everything runs against loopback.

use msgraph::ffi::call::msgraph_request;
use msgraph::ffi::result::msgraph_result_free;
use msgraph::ffi::credential::msgraph_credential_set;
use msgraph::ffi::extproc::*;
use msgraph::ffi::library::msgraph_last_error;
use msgraph::*;
use serde_json::{json, Value};
use std::ffi::{CStr, CString};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The agent variable B must never reach, and its value.
const AGENT_VAR: &str = "MSGRAPH_TB_AGENT_SECRET";
const AGENT_VALUE: &str = "agent-only-value-4f1c";
/// The variable the policy grants to A.
const A_VAR: &str = "MSGRAPH_TB_A_SECRET";

struct Setup {
    emu: msgraph_emulator::Emulator,
    dir: PathBuf,
    /// A's key directory (granted to A), with the emulator app's cert and key.
    keys: PathBuf,
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn write(p: &Path, body: &[u8], mode: u32) {
    std::fs::write(p, body).unwrap();
    chmod(p, mode);
}

/// The agent's side, set up once before any test reads the environment.
fn setup() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| {
        let emu = msgraph_emulator::Emulator::start(msgraph_emulator::Options::default()).unwrap();
        let dir = std::env::temp_dir().join(format!("msgraph-trust-{}", std::process::id()));
        let keys = dir.join("a-keys");
        std::fs::create_dir_all(&keys).unwrap();
        chmod(&dir, 0o700);
        write(&keys.join("app-cert.pem"), emu.certificate_pem().as_bytes(), 0o600);
        write(&keys.join("app-key.pem"), emu.private_key_pem().as_bytes(), 0o600);
        let creds = json!({"graph": emu.credential_json(), "hr_only": emu.credential_json()});
        write(&dir.join("credentials.json"), creds.to_string().as_bytes(), 0o600);
        let policy = json!({"schemas": {
            "A": {"credentials": ["graph", "tight", "loose"],
                  "client_secret_env": [A_VAR],
                  "files": [keys.to_str().unwrap()],
                  "endpoints": ["http://127.0.0.1:*"]},
            "B": {}
        }});
        write(&dir.join("policy.json"), policy.to_string().as_bytes(), 0o644);
        std::env::set_var("MSGRAPH_POLICY_FILE", dir.join("policy.json"));
        std::env::set_var("MSGRAPH_CREDENTIALS_FILE", dir.join("credentials.json"));
        std::env::set_var("MSGRAPH_CREDENTIALS_DIR", &dir);
        std::env::set_var(AGENT_VAR, AGENT_VALUE);
        std::env::set_var(A_VAR, emu.credential_json()["client_secret"].as_str().unwrap());
        Setup { emu, dir, keys }
    })
}

// ------------------------------------------------ the package's conventions

/// An IN RAW: pointer, indicator (-1: NULL), length.
fn raw(s: Option<&str>) -> (*const u8, i16, i32) {
    match s {
        Some(t) => (t.as_ptr(), 0, t.len() as i32),
        None => (std::ptr::null(), -1, 0),
    }
}

/// An OUT RAW of `cap` bytes.
struct Out {
    buf: Vec<u8>,
    ind: i16,
    len: i32,
    max: i32,
}

impl Out {
    fn new(cap: usize) -> Out {
        Out { buf: vec![0xAA; cap], ind: 7, len: -7, max: cap as i32 }
    }
    fn text(&self) -> String {
        if self.ind < 0 {
            return String::new();
        }
        String::from_utf8(self.buf[..self.len as usize].to_vec()).unwrap()
    }
}

/// msgraph.create_credential as the package calls it: the schema's
/// namespace prefixed to p_name.
fn create_credential(schema: &str, name: &str, cfg: &Value, options: Value) -> (i32, String) {
    let full = format!("{schema}/{name}");
    let (t, c, s) = (cfg["tenant_id"].as_str(), cfg["client_id"].as_str(), cfg["client_secret"].as_str());
    let opts = options.to_string();
    let (n, t, c, s, sc, o) = (raw(Some(&full)), raw(t), raw(c), raw(s), raw(None), raw(Some(&opts)));
    let mut err = Out::new(2000);
    let rc = msgraph_xp_credential_set(
        n.0, n.1, n.2, t.0, t.1, t.2, c.0, c.1, c.2, s.0, s.1, s.2, sc.0, sc.1, sc.2, o.0, o.1, o.2, err.buf.as_mut_ptr(),
        &mut err.ind, &mut err.len, &mut err.max,
    );
    (rc, err.text())
}

/// msgraph.load_credentials (and the automatic load): path, namespace.
fn load_credentials(schema: &str, path: Option<&str>) -> (i32, String) {
    let prefix = format!("{schema}/");
    let (p, pre) = (raw(path), raw(Some(&prefix)));
    let mut err = Out::new(2000);
    let rc = msgraph_xp_credentials_load(p.0, p.1, p.2, pre.0, pre.1, pre.2, err.buf.as_mut_ptr(), &mut err.ind, &mut err.len, &mut err.max);
    (rc, err.text())
}

/// True when the schema has a credential of that name in the registry
/// (clear_tokens answers MSGRAPH_ERR_NOT_FOUND otherwise).
fn registered(schema: &str, name: &str) -> bool {
    let full = format!("{schema}/{name}");
    let n = raw(Some(&full));
    match msgraph_xp_clear_tokens(n.0, n.1, n.2) {
        MSGRAPH_OK => true,
        MSGRAPH_ERR_NOT_FOUND => false,
        other => panic!("clear_tokens: {other}"),
    }
}

/// What the package reads after a call: status, ORA number, message, body.
struct Outcome {
    status: i32,
    ora: i32,
    message: String,
    body: String,
}

fn outcome(result: i32) -> Outcome {
    assert!(result > 0, "a result handle: {result}");
    let (mut status, mut length, mut ora) = (0, 0, 0);
    let (mut reason, mut rid, mut message) = (Out::new(256), Out::new(256), Out::new(2000));
    let rc = msgraph_xp_result_info(
        result, &mut status, &mut length, &mut ora, reason.buf.as_mut_ptr(), &mut reason.ind, &mut reason.len, &mut reason.max,
        rid.buf.as_mut_ptr(), &mut rid.ind, &mut rid.len, &mut rid.max, message.buf.as_mut_ptr(), &mut message.ind,
        &mut message.len, &mut message.max,
    );
    assert_eq!(rc, MSGRAPH_OK);
    let mut body = Vec::new();
    loop {
        let mut chunk = Out::new(32767);
        let n = msgraph_xp_result_read(result, body.len() as i32, chunk.buf.as_mut_ptr(), &mut chunk.ind, &mut chunk.len, &mut chunk.max);
        assert!(n >= 0, "result_read: {n}");
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk.buf[..n as usize]);
    }
    assert_eq!(body.len(), length as usize);
    msgraph_result_free(result);
    Outcome { status, ora, message: message.text(), body: String::from_utf8(body).unwrap() }
}

/// msgraph.get as the package calls it.
fn get(schema: &str, credential: &str, url: &str) -> Outcome {
    let full = format!("{schema}/{credential}");
    let (c, m, u, b, o, h) = (raw(Some(&full)), raw(Some("GET")), raw(Some(url)), raw(None), raw(None), raw(None));
    outcome(msgraph_xp_request(c.0, c.1, c.2, m.0, m.1, m.2, u.0, u.1, u.2, b.0, b.1, b.2, 0, o.0, o.1, o.2, h.0, h.1, h.2, 0, 0))
}

/// msgraph.token_claims as the package calls it.
fn token_claims(schema: &str, credential: &str) -> Outcome {
    let full = format!("{schema}/{credential}");
    let (c, o) = (raw(Some(&full)), raw(None));
    outcome(msgraph_xp_token_info(c.0, c.1, c.2, o.0, o.1, o.2))
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(msgraph_last_error()) }.to_string_lossy().into_owned()
}

/// A cert credential's settings (no secret) with the given key file.
fn cert_options(emu_cfg: &Value, cert: &Path, key: &Path) -> (Value, Value) {
    let mut cfg = emu_cfg.clone();
    cfg.as_object_mut().unwrap().remove("client_secret");
    let opts = json!({"authority_host": emu_cfg["authority_host"], "graph_base_url": emu_cfg["graph_base_url"],
                      "certificate_file": cert, "private_key_file": key});
    (cfg, opts)
}

// ------------------------------------------------------------------ tests

#[test]
fn b_cannot_use_a_credential_by_name_or_through_autoload() {
    let s = setup();
    let emu_cfg = s.emu.credential_json();
    // A: the first call misses, the automatic load registers A's grant.
    assert_eq!(get("A", "graph", "/users?$top=1").status, MSGRAPH_ERR_NOT_FOUND);
    assert_eq!(load_credentials("A", None), (1, String::new()), "only the granted entry of two");
    assert!(registered("A", "graph") && !registered("A", "hr_only"));
    assert_eq!(get("A", "graph", "/users?$top=1").status, 200);

    // B: the same file, no grant: nothing is registered, and it says why.
    let (rc, err) = load_credentials("B", None);
    assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{err}");
    assert!(err.contains("schemas.B.credentials"), "{err}");
    assert!(!registered("B", "graph") && !registered("B", "hr_only"));
    let o = get("B", "graph", "/users?$top=1");
    assert_eq!((o.status, o.ora), (MSGRAPH_ERR_NOT_FOUND, 20002));
    // By name: the package prefixes B's namespace to whatever B passes.
    let o = get("B", "A/graph", "/users?$top=1");
    assert_eq!(o.status, MSGRAPH_ERR_NOT_FOUND, "B/A/graph is not A/graph: {}", o.message);
    assert_eq!(token_claims("B", "A/graph").status, MSGRAPH_ERR_NOT_FOUND);
    // A name or namespace without a schema is not the package's: refused.
    assert_eq!(load_credentials("", None).0, MSGRAPH_ERR_ARGUMENT);
    let n = raw(Some("graph"));
    let mut err = Out::new(2000);
    let none = raw(None);
    let opts = json!({}).to_string();
    let o = raw(Some(&opts));
    let rc = msgraph_xp_credential_set(
        n.0, n.1, n.2, none.0, none.1, none.2, none.0, none.1, none.2, none.0, none.1, none.2, none.0, none.1, none.2, o.0, o.1,
        o.2, err.buf.as_mut_ptr(), &mut err.ind, &mut err.len, &mut err.max,
    );
    assert_eq!(rc, MSGRAPH_ERR_ARGUMENT, "{}", err.text());
    // B may not load another file to get around the grant: outside the
    // directory it is refused, inside it only granted entries count.
    let outside = std::env::temp_dir().join(format!("msgraph-trust-outside-{}.json", std::process::id()));
    write(&outside, json!({"graph": emu_cfg}).to_string().as_bytes(), 0o600);
    let (rc, err) = load_credentials("B", Some(outside.to_str().unwrap()));
    assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{err}");
    assert!(err.contains("MSGRAPH_CREDENTIALS_DIR"), "{err}");
    std::fs::remove_file(&outside).unwrap();
    // And the refusal is the same whether the file exists or not (no
    // probing of the agent's file system through error texts).
    for probe in ["/etc/passwd", "/nonexistent/creds.json", "/etc/msgraph-trust/../passwd"] {
        let (rc, err) = load_credentials("B", Some(probe));
        assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{probe}: {err}");
        assert!(err.contains("is outside the agent's credentials directory"), "{probe}: {err}");
    }
    let inside_then_up = format!("{}/../../etc/passwd", s.dir.display());
    assert_eq!(load_credentials("B", Some(&inside_then_up)).0, MSGRAPH_ERR_REFUSED);
    // A symbolic link inside the directory to a file outside it: the open
    // file's real path is what is checked.
    let target = std::env::temp_dir().join(format!("msgraph-trust-target-{}.json", std::process::id()));
    write(&target, json!({"graph": emu_cfg}).to_string().as_bytes(), 0o600);
    let link = s.dir.join("link.json");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let (rc, err) = load_credentials("A", Some(link.to_str().unwrap()));
    assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{err}");
    std::fs::remove_file(&target).unwrap();
}

#[test]
fn b_cannot_reach_an_agent_variable_or_file() {
    let s = setup();
    let emu_cfg = s.emu.credential_json();
    let national = json!({});
    let mut no_secret = emu_cfg.clone();
    no_secret.as_object_mut().unwrap().remove("client_secret");

    // An agent variable.
    let (rc, err) = create_credential("B", "env", &no_secret, json!({"client_secret_env": AGENT_VAR}));
    assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{err}");
    assert!(err.contains("'client_secret_env'") && err.contains("schemas.B.client_secret_env"), "{err}");
    assert!(!err.contains(AGENT_VALUE));
    assert!(!registered("B", "env"));
    // A is granted its own variable, not the agent's other ones.
    let emu_endpoints = json!({"authority_host": emu_cfg["authority_host"], "graph_base_url": emu_cfg["graph_base_url"]});
    let mut with_var = emu_endpoints.clone();
    with_var["client_secret_env"] = json!(A_VAR);
    assert_eq!(create_credential("A", "env", &no_secret, with_var), (MSGRAPH_OK, String::new()));
    assert_eq!(get("A", "env", "/users?$top=1").status, 200, "the granted variable works");
    let (rc, err) = create_credential("A", "env2", &no_secret, json!({"client_secret_env": AGENT_VAR}));
    assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{err}");

    // Agent files: the key and certificate (granted to A, not to B), a CA file.
    let (cert, key) = (s.keys.join("app-cert.pem"), s.keys.join("app-key.pem"));
    let (cfg, opts) = cert_options(&emu_cfg, &cert, &key);
    let (rc, err) = create_credential("B", "cert", &cfg, opts.clone());
    assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{err}");
    assert!(err.contains("_file'") && err.contains("schemas.B.files"), "{err}");
    assert!(!registered("B", "cert"));
    assert_eq!(create_credential("A", "cert", &cfg, opts), (MSGRAPH_OK, String::new()));
    assert_eq!(get("A", "cert", "/users?$top=1").status, 200, "A's granted certificate signs");
    let (rc, err) = create_credential("B", "ca", &emu_cfg, json!({"ca_file": cert}));
    assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{err}");
    assert!(err.contains("'ca_file'"), "{err}");
    // A link in A's granted directory to a key elsewhere is not granted.
    let elsewhere = s.dir.join("elsewhere-key.pem");
    write(&elsewhere, s.emu.private_key_pem().as_bytes(), 0o600);
    let link = s.keys.join("link-key.pem");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    let (cfg, opts) = cert_options(&emu_cfg, &cert, &link);
    let (rc, err) = create_credential("A", "linked", &cfg, opts);
    assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{err}");
    assert!(err.contains("elsewhere-key.pem") && err.contains("schemas.A.files"), "{err}");
    // A path outside A's grant is refused before it is opened: the same
    // text whether the file exists or not.
    let mut texts = Vec::new();
    for probe in ["/etc/passwd", "/nonexistent/key.pem", &format!("{}/../elsewhere-key.pem", s.keys.display())] {
        let (cfg, opts) = cert_options(&emu_cfg, &cert, Path::new(probe));
        let (rc, err) = create_credential("A", "probe", &cfg, opts);
        assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{probe}: {err}");
        texts.push(err);
    }
    assert!(texts.windows(2).all(|w| w[0] == w[1]), "{texts:?}");

    // Proxies: with a password, and without.
    let (rc, err) = create_credential("B", "p", &emu_cfg, json!({"proxy": "http://user:pw@127.0.0.1:3128"}));
    assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{err}");
    assert!(err.contains("schemas.B.proxy_credentials") && !err.contains("pw@"), "{err}");
    let (rc, err) = create_credential("B", "p", &emu_cfg, json!({"proxy": "http://127.0.0.1:3128"}));
    assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{err}");
    assert!(err.contains("schemas.B.proxies"), "{err}");

    // B's own secret to Microsoft's own hosts needs no grant.
    assert_eq!(create_credential("B", "own", &emu_cfg, national), (MSGRAPH_OK, String::new()));
    assert!(registered("B", "own"));

    // The C API keeps its power: the process owner is trusted there.
    let mut c_cfg = no_secret.clone();
    c_cfg["client_secret_env"] = json!(AGENT_VAR);
    let (name, c) = (CString::new("c-program").unwrap(), CString::new(c_cfg.to_string()).unwrap());
    assert_eq!(msgraph_credential_set(name.as_ptr(), c.as_ptr()), MSGRAPH_OK, "{}", last_error());
}

/// A loopback listener that counts the connections and bytes it receives.
struct Counter {
    port: u16,
    bytes: Arc<AtomicUsize>,
    conns: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Counter {
    fn start() -> Counter {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let (bytes, conns, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let (b, c, st) = (bytes.clone(), conns.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut streams: Vec<TcpStream> = Vec::new();
            while !st.load(Ordering::SeqCst) {
                if let Ok((s, _)) = l.accept() {
                    c.fetch_add(1, Ordering::SeqCst);
                    s.set_nonblocking(true).unwrap();
                    streams.push(s);
                }
                for s in &mut streams {
                    let mut buf = [0u8; 4096];
                    if let Ok(n) = s.read(&mut buf) {
                        b.fetch_add(n, Ordering::SeqCst);
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Counter { port, bytes, conns, stop, thread: Some(thread) }
    }
    fn finish(mut self) -> (usize, usize) {
        std::thread::sleep(Duration::from_millis(200));
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        (self.conns.load(Ordering::SeqCst), self.bytes.load(Ordering::SeqCst))
    }
}

#[test]
fn b_endpoint_off_the_list_is_refused_and_nothing_is_sent() {
    let s = setup();
    let emu_cfg = s.emu.credential_json();
    let counter = Counter::start();
    let base = format!("http://127.0.0.1:{}", counter.port);
    // The listener works: a control connection is counted (then not
    // counted against the library below).
    {
        let mut probe = TcpStream::connect(("127.0.0.1", counter.port)).unwrap();
        probe.write_all(b"ping").unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while counter.bytes.load(Ordering::SeqCst) < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(counter.bytes.load(Ordering::SeqCst), 4, "the counting listener counts");
    let (conns0, bytes0) = (counter.conns.load(Ordering::SeqCst), counter.bytes.load(Ordering::SeqCst));

    for (name, options, key) in [
        ("t", json!({"token_url": format!("{base}/t/oauth2/v2.0/token")}), "'token_url'"),
        ("a", json!({"authority_host": base}), "'authority_host'"),
        ("g", json!({"graph_base_url": format!("{base}/v1.0")}), "'graph_base_url'"),
        ("l", json!({"graph_base_url": format!("http://localhost:{}/v1.0", counter.port)}), "'graph_base_url'"),
        ("h", json!({"graph_base_url": "https://graph.microsoft.com.attacker.example/v1.0"}), "'graph_base_url'"),
        ("p", json!({"graph_base_url": "https://graph.microsoft.com:8443/v1.0"}), "'graph_base_url'"),
    ] {
        let (rc, err) = create_credential("B", name, &emu_cfg, options);
        assert_eq!(rc, MSGRAPH_ERR_REFUSED, "{name}: {err}");
        assert!(err.contains(key) && err.contains("schemas.B.endpoints"), "{name}: {err}");
        assert!(!registered("B", name));
        // What the package does next: the call finds no credential.
        assert_eq!(get("B", name, "/users").status, MSGRAPH_ERR_NOT_FOUND);
        assert_eq!(token_claims("B", name).status, MSGRAPH_ERR_NOT_FOUND);
    }
    // The national clouds' hosts need no grant (nothing is sent by this).
    assert_eq!(create_credential("B", "china", &emu_cfg, json!({"cloud": "china"})).0, MSGRAPH_OK);
    let (conns, bytes) = counter.finish();
    assert_eq!((conns - conns0, bytes - bytes0), (0, 0), "not a connection, not a byte from the library");
}

#[test]
fn a_file_swapped_between_modes_is_never_loaded() {
    let s = setup();
    let emu_cfg = s.emu.credential_json();
    // Credentials file: a private version with entry "tight", an open one
    // (0644) with entry "loose"; renames swap them under one path.
    let path = s.dir.join("swapped.json");
    let (tight, loose) = (s.dir.join("tight.json.src"), s.dir.join("loose.json.src"));
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (path, tight, loose, stop) = (path.clone(), tight.clone(), loose.clone(), stop.clone());
        let (t, l) = (json!({"tight": emu_cfg}).to_string(), json!({"loose": emu_cfg}).to_string());
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let (src, body, mode) = if i % 2 == 0 { (&tight, &t, 0o600) } else { (&loose, &l, 0o644) };
                write(src, body.as_bytes(), mode);
                std::fs::rename(src, &path).unwrap();
                i += 1;
            }
        })
    };
    let (mut loaded, mut refused, mut rounds) = (0u32, 0u32, 0u32);
    while rounds < 200_000 && (rounds < 3000 || loaded < 50 || refused < 50) {
        rounds += 1;
        let (rc, err) = load_credentials("A", Some(path.to_str().unwrap()));
        match rc {
            1 => loaded += 1,
            MSGRAPH_ERR_CONFIG if err.contains("mode 644") => refused += 1,
            MSGRAPH_ERR_CONFIG if err.contains("cannot read") => {} // between unlink and rename
            other => panic!("load {rounds}: {other} {err}"),
        }
        assert!(!registered("A", "loose"), "round {rounds}: the 0644 file was loaded");
    }
    stop.store(true, Ordering::SeqCst);
    swapper.join().unwrap();
    eprintln!("credentials file swap: {loaded} loaded (0600), {refused} refused (0644), {rounds} rounds");
    assert!(loaded >= 50 && refused >= 50, "both versions were met: {loaded} loaded, {refused} refused in {rounds}");
    assert!(registered("A", "tight"));

    // A private key swapped between a 0644 key that matches the certificate
    // and a private (0600) key that does not: a load that succeeds would be
    // the open key's. Through create_credential with A's file grant.
    // Another RSA 2048 key (tests/fixtures/cert; ring refuses smaller ones).
    let stranger = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cert/stranger-key.pem")).unwrap();
    let key = s.keys.join("swapped-key.pem");
    let (open_src, private_src) = (s.keys.join("open-key.src"), s.keys.join("private-key.src"));
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (key, open_src, private_src, stop) = (key.clone(), open_src.clone(), private_src.clone(), stop.clone());
        let good = s.emu.private_key_pem();
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let (src, body, mode) = if i % 2 == 0 { (&open_src, &good, 0o644) } else { (&private_src, &stranger, 0o600) };
                write(src, body.as_bytes(), mode);
                std::fs::rename(src, &key).unwrap();
                i += 1;
            }
        })
    };
    let (cfg, opts) = cert_options(&emu_cfg, &s.keys.join("app-cert.pem"), &key);
    let (mut open_refused, mut mismatched, mut rounds) = (0u32, 0u32, 0u32);
    while rounds < 20_000 && (rounds < 1000 || open_refused < 20 || mismatched < 20) {
        rounds += 1;
        let (rc, err) = create_credential("A", "swapped-key", &cfg, opts.clone());
        assert_ne!(rc, MSGRAPH_OK, "round {rounds}: the 0644 key was loaded");
        if err.contains("mode 644") {
            open_refused += 1;
        } else if err.contains("does not belong") {
            mismatched += 1;
        } else {
            assert!(err.contains("cannot read"), "round {rounds}: {err}");
        }
    }
    stop.store(true, Ordering::SeqCst);
    swapper.join().unwrap();
    eprintln!("key file swap: {open_refused} refused (0644), {mismatched} read and mismatched (0600), {rounds} rounds");
    assert!(open_refused >= 20 && mismatched >= 20, "both keys were met: {open_refused} / {mismatched} in {rounds}");
    assert!(!registered("A", "swapped-key"));
}

/// A token endpoint that answers 400 with the posted form echoed back,
/// encoded and decoded, in every field the library reads.
fn echo_token_endpoint() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for stream in l.incoming() {
            let Ok(mut s) = stream else { continue };
            let count = count.clone();
            std::thread::spawn(move || {
                let mut data = Vec::new();
                let mut buf = [0u8; 8192];
                loop {
                    let Ok(n) = s.read(&mut buf) else { return };
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&data).into_owned();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                            .unwrap_or(0);
                        if data.len() >= end + 4 + len {
                            let form = String::from_utf8_lossy(&data[end + 4..end + 4 + len]).into_owned();
                            let decoded: Vec<String> =
                                url::form_urlencoded::parse(form.as_bytes()).map(|(k, v)| format!("{k}={v}")).collect();
                            let decoded = decoded.join(" ");
                            count.fetch_add(1, Ordering::SeqCst);
                            let body = json!({
                                "error": "invalid_client",
                                "error_description": format!("AADSTS7000215: echo {form} decoded {decoded}\r\nsecond line {form}"),
                                "error_codes": [7000215],
                                "trace_id": form,
                                "correlation_id": decoded,
                                "error_uri": format!("https://login.example/error?{form}"),
                            })
                            .to_string();
                            let head = format!(
                                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = s.write_all(head.as_bytes());
                            let _ = s.write_all(body.as_bytes());
                            return;
                        }
                    }
                }
            });
        }
    });
    (port, seen)
}

#[test]
fn an_echoed_secret_is_scrubbed() {
    let s = setup();
    let emu_cfg = s.emu.credential_json();
    let (port, seen) = echo_token_endpoint();
    // A secret whose form encoding differs from its text.
    let secret = "Zq8~s3cr3t+/=&%é x\"y";
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let forms = [secret.to_string(), form.clone(), form.to_lowercase(), form.replace('+', "%20")];
    let leaks = |what: &str, text: &str| {
        for f in &forms {
            assert!(!text.contains(f.as_str()), "{what} carries the secret ({f}): {text}");
        }
        assert!(!text.contains("Zq8~s3cr3t"), "{what} carries part of the secret: {text}");
    };
    let mut cfg = emu_cfg.clone();
    cfg["client_secret"] = json!(secret);
    let options = json!({"token_url": format!("http://127.0.0.1:{port}/t/oauth2/v2.0/token"),
                         "graph_base_url": emu_cfg["graph_base_url"]});
    assert_eq!(create_credential("A", "echo", &cfg, options.clone()), (MSGRAPH_OK, String::new()));
    assert_eq!(create_credential("A", "echo2", &cfg, options.clone()), (MSGRAPH_OK, String::new()));

    // make_rest_request: the result's body and the ORA message.
    let o = get("A", "echo", "/users");
    assert_eq!((o.status, o.ora), (MSGRAPH_ERR_AUTH, 20004), "{}", o.message);
    assert!(o.message.contains("AADSTS7000215") && o.message.contains("[redacted]"), "the echo is there, scrubbed: {}", o.message);
    leaks("the ORA message", &o.message);
    leaks("the result body", &o.body);
    assert!(o.body.contains("[redacted]"), "{}", o.body);
    // The replay from the refusal memory is the scrubbed error too.
    let again = get("A", "echo", "/users");
    leaks("the replayed message", &again.message);
    leaks("the replayed body", &again.body);

    // token_claims.
    let t = token_claims("A", "echo2");
    assert_eq!(t.status, MSGRAPH_ERR_AUTH);
    leaks("token_claims' message", &t.message);
    leaks("token_claims' body", &t.body);

    // The C API's last error, for the same kind of credential.
    let mut c_cfg = cfg.clone();
    c_cfg["token_url"] = options["token_url"].clone();
    c_cfg["graph_base_url"] = options["graph_base_url"].clone();
    let (name, c) = (CString::new("echo-c").unwrap(), CString::new(c_cfg.to_string()).unwrap());
    assert_eq!(msgraph_credential_set(name.as_ptr(), c.as_ptr()), MSGRAPH_OK);
    let (m, u) = (CString::new("GET").unwrap(), CString::new("/users").unwrap());
    let r = msgraph_request(name.as_ptr(), m.as_ptr(), u.as_ptr(), std::ptr::null(), std::ptr::null());
    let e = last_error();
    assert!(e.starts_with("MSGRAPH_ERR_AUTH") && e.contains("[redacted]"), "{e}");
    leaks("msgraph_last_error", &e);
    msgraph_result_free(r);

    // A certificate credential: the echoed client assertion (a JWT that
    // could be replayed for a token) is scrubbed too.
    let (mut cfg, mut opts) = cert_options(&emu_cfg, &s.keys.join("app-cert.pem"), &s.keys.join("app-key.pem"));
    opts["token_url"] = options["token_url"].clone();
    opts.as_object_mut().unwrap().remove("authority_host");
    cfg.as_object_mut().unwrap().remove("client_secret");
    assert_eq!(create_credential("A", "echo-cert", &cfg, opts), (MSGRAPH_OK, String::new()));
    let o = get("A", "echo-cert", "/users");
    assert_eq!(o.status, MSGRAPH_ERR_AUTH, "{}", o.message);
    assert!(o.message.contains("[redacted]"), "{}", o.message);
    for (what, text) in [("message", &o.message), ("body", &o.body)] {
        assert!(!text.contains("eyJ"), "the assertion in the {what}: {text}");
    }
    assert!(seen.load(Ordering::SeqCst) >= 4, "the echo endpoint was asked");
}
