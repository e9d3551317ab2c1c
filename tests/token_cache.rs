//! The shared token cache across processes, through the C ABI.
//!
//! Every "process" here is this test binary run again with
//! `MSGRAPH_TC_ROLE=child`: its `child_role` test then registers the
//! credential given in `MSGRAPH_TC_CONFIG` through msgraph_credential_set,
//! performs `MSGRAPH_TC_ACTIONS` (request, info, clear) through the C API and
//! prints one `TC-RESULT {json}` line per step. Each child is a fresh process
//! with an empty in-memory cache, as a new dedicated extproc agent is.

mod common;
use common::*;
use serde_json::{json, Value};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROLE: &str = "MSGRAPH_TC_ROLE";

/// Not a test of its own: the body of a child process (does nothing unless
/// started by `spawn`).
#[test]
fn child_role() {
    if std::env::var(ROLE).as_deref() != Ok("child") {
        return;
    }
    let cfg = std::env::var("MSGRAPH_TC_CONFIG").unwrap();
    let out = |v: Value| println!("TC-RESULT {v}");
    let rc = msgraph_credential_set(cs("c").as_ptr(), cs(&cfg).as_ptr());
    out(json!({"action": "set", "rc": rc, "error": if rc == MSGRAPH_OK { String::new() } else { last_error() }}));
    if rc != MSGRAPH_OK {
        return;
    }
    for action in std::env::var("MSGRAPH_TC_ACTIONS").unwrap().split(',') {
        match action {
            "request" => {
                let g = request("c", "GET", "/organization", None, None);
                out(json!({"action": action, "status": g.status, "body": g.body}));
            }
            "info" => {
                let g = token_info("c", None);
                let doc: Value = serde_json::from_str(&g.body).unwrap_or(Value::Null);
                out(json!({"action": action, "status": g.status, "source": doc["source"], "body": g.body}));
            }
            "clear" => {
                let rc = msgraph_credential_clear_tokens(cs("c").as_ptr());
                out(json!({"action": action, "rc": rc}));
            }
            other => panic!("unknown action {other}"),
        }
    }
}

fn spawn(cfg: &Value, actions: &str, env: &[(&str, &str)]) -> Child {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["child_role", "--exact", "--nocapture", "--test-threads=1", "-q"])
        .env(ROLE, "child")
        .env("MSGRAPH_TC_CONFIG", cfg.to_string())
        .env("MSGRAPH_TC_ACTIONS", actions)
        .env_remove("MSGRAPH_TOKEN_CACHE_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.spawn().expect("child starts")
}

fn results(child: Child) -> Vec<Value> {
    let out = child.wait_with_output().expect("child ends");
    assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("TC-RESULT "))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn run(cfg: &Value, actions: &str) -> Vec<Value> {
    results(spawn(cfg, actions, &[]))
}

/// A fresh directory of mode 0700.
fn cache_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("msgraph-tc-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
    d
}

fn config(emu: &Emulator, dir: &Path) -> Value {
    let mut cfg = emu.credential_json();
    cfg["token_cache_dir"] = json!(dir.to_str().unwrap());
    cfg
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

fn only_entry(dir: &Path) -> PathBuf {
    let e = entries(dir);
    assert_eq!(e.len(), 1, "one cache entry: {e:?}");
    e[0].clone()
}

fn token_requests(emu: &Emulator) -> u64 {
    emu.stats().token_requests
}

#[test]
fn hundred_processes_in_sequence_ask_once() {
    let emu = emulator();
    // Without the cache each process asks (the figure the cache improves).
    let plain = emu.credential_json();
    for _ in 0..3 {
        assert_eq!(run(&plain, "request")[1]["status"], 200);
    }
    assert_eq!(token_requests(&emu), 3);
    emu.reset_stats();

    let dir = cache_dir("seq");
    let cfg = config(&emu, &dir);
    for i in 0..100 {
        let r = run(&cfg, "request");
        assert_eq!(r[1]["status"], 200, "process {i}: {}", r[1]);
    }
    assert_eq!(token_requests(&emu), 1, "100 processes, one token request");
    assert_eq!(emu.stats().graph_requests, 100);

    // The entry: a hex-named 0600 file holding no secret.
    let e = only_entry(&dir);
    let name = e.file_stem().unwrap().to_str().unwrap();
    assert!(name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
    assert_eq!(std::fs::metadata(&e).unwrap().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&e).unwrap();
    let secret = emu.credential_json()["client_secret"].as_str().unwrap().to_string();
    assert!(!text.contains(&secret));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["fingerprint"].as_str(), Some(name));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fifty_processes_at_once_ask_once() {
    let emu = emulator();
    // Every answer takes 1 s, so the processes overlap while the first one
    // waits for its token.
    emu.set_latency_ms(1000);
    let dir = cache_dir("conc");
    let cfg = config(&emu, &dir);
    let children: Vec<Child> = (0..50).map(|_| spawn(&cfg, "info,request", &[])).collect();
    let mut sources = Vec::new();
    for c in children {
        let r = results(c);
        assert_eq!(r[1]["status"], 200, "{}", r[1]);
        assert_eq!(r[2]["status"], 200, "{}", r[2]);
        sources.push(r[1]["source"].as_str().unwrap().to_string());
    }
    assert_eq!(token_requests(&emu), 1, "50 processes at once, one token request");
    assert_eq!(sources.iter().filter(|s| *s == "identity_provider").count(), 1, "{sources:?}");
    assert_eq!(sources.iter().filter(|s| *s == "cache").count(), 49);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn agent_wide_default_from_the_environment() {
    let emu = emulator();
    let dir = cache_dir("env");
    let env = [("MSGRAPH_TOKEN_CACHE_DIR", dir.to_str().unwrap())];
    for _ in 0..3 {
        let r = results(spawn(&emu.credential_json(), "request", &env));
        assert_eq!(r[1]["status"], 200);
    }
    assert_eq!(token_requests(&emu), 1);
    only_entry(&dir);
    // An empty key switches the default off for one credential.
    let mut off = emu.credential_json();
    off["token_cache_dir"] = json!("");
    let r = results(spawn(&off, "info", &env));
    assert_eq!(r[1]["source"], "identity_provider");
    assert_eq!(token_requests(&emu), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn set_status(cfg: &Value) -> (i32, String) {
    let name = unique("tc");
    let rc = msgraph_credential_set(cs(&name).as_ptr(), cs(&cfg.to_string()).as_ptr());
    (rc, if rc == MSGRAPH_OK { String::new() } else { last_error() })
}

#[test]
fn unsafe_directory_is_refused() {
    let emu = emulator();
    let dir = cache_dir("unsafe");
    let cfg = config(&emu, &dir);
    assert_eq!(set_status(&cfg).0, MSGRAPH_OK);

    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (rc, err) = set_status(&cfg);
    assert_eq!(rc, MSGRAPH_ERR_CONFIG);
    assert!(err.contains("755") && err.contains("chmod 700"), "{err}");

    // Also through the environment, in a process of its own.
    let env = [("MSGRAPH_TOKEN_CACHE_DIR", dir.to_str().unwrap())];
    let r = results(spawn(&emu.credential_json(), "info", &env));
    assert_eq!(r[0]["rc"], MSGRAPH_ERR_CONFIG, "{}", r[0]);

    // Not owned by this user (needs root to arrange, as in CI).
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    if std::fs::metadata("/proc/self").unwrap().uid() == 0 {
        std::os::unix::fs::chown(&dir, Some(65534), None).unwrap();
        let (rc, err) = set_status(&cfg);
        assert_eq!(rc, MSGRAPH_ERR_CONFIG);
        assert!(err.contains("owned by uid 65534"), "{err}");
        std::os::unix::fs::chown(&dir, Some(0), None).unwrap();
    } else {
        eprintln!("not root: the foreign-owner case is not checked");
    }

    // A relative path, and a file instead of a directory.
    let mut rel = emu.credential_json();
    rel["token_cache_dir"] = json!("relative/dir");
    assert_eq!(set_status(&rel).0, MSGRAPH_ERR_CONFIG);
    let file = dir.join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let mut f = emu.credential_json();
    f["token_cache_dir"] = json!(file.to_str().unwrap());
    assert_eq!(set_status(&f).0, MSGRAPH_ERR_CONFIG);

    // Checked again on use: a directory opened up after registration.
    let name = unique("tc");
    assert_eq!(msgraph_credential_set(cs(&name).as_ptr(), cs(&cfg.to_string()).as_ptr()), MSGRAPH_OK);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
    let g = token_info(&name, None);
    assert_eq!(g.status, MSGRAPH_ERR_CONFIG, "{}", g.body);
    assert_eq!(token_requests(&emu), 0, "nothing asked with an unsafe cache");

    // A missing directory is created 0700.
    let fresh = dir.join("made");
    let mut m = emu.credential_json();
    m["token_cache_dir"] = json!(fresh.to_str().unwrap());
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(set_status(&m).0, MSGRAPH_OK);
    assert_eq!(std::fs::metadata(&fresh).unwrap().mode() & 0o777, 0o700);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn another_fingerprint_is_never_served() {
    let emu = emulator();
    let dir = cache_dir("fp");
    let cfg = config(&emu, &dir);
    assert_eq!(run(&cfg, "info")[1]["source"], "identity_provider");
    assert_eq!(token_requests(&emu), 1);

    // A wrong secret and another scope: the emulator refuses both, so a
    // token served from the file would show as a success.
    let mut wrong = cfg.clone();
    wrong["client_secret"] = json!("not-the-secret");
    let r = run(&wrong, "info");
    assert_eq!(r[1]["status"], MSGRAPH_ERR_AUTH, "{}", r[1]);
    assert_eq!(token_requests(&emu), 2);
    let mut scope = cfg.clone();
    scope["scope"] = json!("https://graph.microsoft.com/Mail.Read");
    let r = run(&scope, "info");
    assert_eq!(r[1]["status"], MSGRAPH_ERR_AUTH, "{}", r[1]);
    assert_eq!(token_requests(&emu), 3);

    // Another endpoint spelling of the same app: its own entry.
    let mut other = cfg.clone();
    other["authority_host"] = json!(emu.authority_host().replace("127.0.0.1", "localhost"));
    assert_eq!(run(&other, "info")[1]["source"], "identity_provider");
    assert_eq!(token_requests(&emu), 4);
    assert_eq!(entries(&dir).len(), 2);
    // Settings outside the fingerprint share the entry.
    let mut slower = cfg.clone();
    slower["timeout_ms"] = json!(5000);
    assert_eq!(run(&slower, "info")[1]["source"], "cache");
    assert_eq!(token_requests(&emu), 4);

    // The fingerprint inside the file must match, not only its name.
    for e in entries(&dir) {
        let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&e).unwrap()).unwrap();
        doc["fingerprint"] = json!("0".repeat(64));
        std::fs::write(&e, doc.to_string()).unwrap();
    }
    assert_eq!(run(&cfg, "info")[1]["source"], "identity_provider");
    assert_eq!(token_requests(&emu), 5);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn corrupt_entry_is_ignored_and_replaced() {
    let emu = emulator();
    let dir = cache_dir("corrupt");
    let cfg = config(&emu, &dir);
    assert_eq!(run(&cfg, "info")[1]["source"], "identity_provider");
    let e = only_entry(&dir);
    let good = std::fs::read(&e).unwrap();
    let damaged: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good[..good.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("garbage", b"\x00\xffnot json".to_vec()),
        ("wrong types", br#"{"v":1,"fingerprint":7,"access_token":[]}"#.to_vec()),
    ];
    let mut expected = 1;
    for (what, bytes) in damaged {
        std::fs::write(&e, bytes).unwrap();
        let r = run(&cfg, "request");
        assert_eq!(r[1]["status"], 200, "{what}: {}", r[1]);
        expected += 1;
        assert_eq!(token_requests(&emu), expected, "{what}: a new token");
        let again: Value = serde_json::from_slice(&std::fs::read(&e).unwrap()).expect("replaced by a valid entry");
        assert!(again["access_token"].is_string(), "{what}");
        assert_eq!(std::fs::metadata(&e).unwrap().mode() & 0o777, 0o600);
    }
    // An intact entry that others could read is not trusted either.
    std::fs::set_permissions(&e, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(run(&cfg, "info")[1]["source"], "identity_provider");
    assert_eq!(std::fs::metadata(&e).unwrap().mode() & 0o777, 0o600);
    // And with the intact entry back, the next process is served from it.
    assert_eq!(run(&cfg, "info")[1]["source"], "cache");
    assert_eq!(token_requests(&emu), expected + 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn clear_tokens_removes_the_entry() {
    let emu = emulator();
    let dir = cache_dir("clear");
    let cfg = config(&emu, &dir);
    let r = run(&cfg, "info,clear");
    assert_eq!(r[1]["source"], "identity_provider");
    assert_eq!(r[2]["rc"], MSGRAPH_OK);
    assert!(entries(&dir).is_empty(), "clear_tokens removed the file");
    assert_eq!(run(&cfg, "info")[1]["source"], "identity_provider");
    assert_eq!(token_requests(&emu), 2);
    only_entry(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn killed_lock_holder_does_not_block_the_rest() {
    let emu = emulator();
    let dir = cache_dir("kill");
    let mut cfg = config(&emu, &dir);
    // The wait for the lock is bounded by timeout_ms: 20 s here, so a lock
    // left behind by the dead holder would show as a wait of 20 s.
    cfg["timeout_ms"] = json!(20_000);
    emu.set_latency_ms(15_000);
    let mut holder = spawn(&cfg, "info", &[]);
    let start = Instant::now();
    while token_requests(&emu) == 0 {
        assert!(start.elapsed() < Duration::from_secs(30), "the holder never asked");
        std::thread::sleep(Duration::from_millis(10));
    }
    // It holds the lock and waits inside its token request.
    holder.kill().unwrap(); // SIGKILL
    let _ = holder.wait();
    emu.set_latency_ms(0);
    assert!(std::fs::read_dir(&dir).unwrap().flatten().any(|e| e.path().extension().is_some_and(|x| x == "lock")));

    let t = Instant::now();
    let others: Vec<Child> = (0..5).map(|_| spawn(&cfg, "request", &[])).collect();
    for c in others {
        let r = results(c);
        assert_eq!(r[1]["status"], 200, "{}", r[1]);
    }
    let took = t.elapsed();
    assert!(took < Duration::from_secs(10), "the others were blocked for {took:?}");
    assert_eq!(token_requests(&emu), 2, "one more token request after the holder died");
    std::fs::remove_dir_all(&dir).unwrap();
}
