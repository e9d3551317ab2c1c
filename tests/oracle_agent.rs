//! Agent emulation: tests/extproc/agent.c, a line-for-line C port of the
//! MSGRAPH package body, dlopen()s libmsgraph.so and calls each entry point
//! exactly as Oracle's extproc agent would, through a marshalling layer
//! generated from the very call specs that tests/oracle_callspec.rs checks
//! (indicators, MAXLEN-limited OUT buffers with guard bytes, poisoned OUT
//! values, IN buffers that must not be written). Each scenario is a new
//! process, as each database session gets its own agent, against the
//! in-process emulator.

#[path = "extproc/callspec.rs"]
mod callspec;

use callspec::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::SystemTime;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn newest(dir: &Path) -> SystemTime {
    let mut t = SystemTime::UNIX_EPOCH;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let m = if p.is_dir() { newest(&p) } else { e.metadata().unwrap().modified().unwrap() };
        t = t.max(m);
    }
    t
}

/// target/<profile>/libmsgraph.so, refusing a stale one.
fn library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let so = exe.parent().unwrap().parent().unwrap().join("libmsgraph.so");
    let built = std::fs::metadata(&so)
        .unwrap_or_else(|_| panic!("{} is missing: run `cargo build --lib` first", so.display()))
        .modified()
        .unwrap();
    assert!(built >= newest(&root().join("src")), "{} is older than src/: run `cargo build --lib` first", so.display());
    so
}

struct Built {
    dir: PathBuf,
    agent: PathBuf,
    specs: Vec<CallSpec>,
}

/// Generates the marshalling layer from sql/'s call specs and compiles the
/// agent with -Werror (once per test binary).
fn built() -> &'static Built {
    static B: OnceLock<Built> = OnceLock::new();
    B.get_or_init(|| {
        library();
        let specs = sql_call_specs(&root());
        let dir = std::env::temp_dir().join(format!("msgraph-agent-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("xp_gen.c"), generate_c(&specs)).unwrap();
        let agent = dir.join("agent");
        let out = Command::new("gcc")
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-O1", "-I"])
            .arg(root().join("tests/extproc"))
            .arg("-I")
            .arg(&dir)
            .arg(root().join("tests/extproc/agent.c"))
            .args(["-ldl", "-o"])
            .arg(&agent)
            .output()
            .expect("gcc runs");
        assert!(out.status.success(), "the agent emulation does not compile:\n{}", String::from_utf8_lossy(&out.stderr));
        Built { dir, agent, specs }
    })
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
    out_dir: PathBuf,
}

impl Run {
    fn routines(&self) -> BTreeSet<String> {
        self.stdout.lines().filter_map(|l| l.strip_prefix("ROUTINE ")).map(str::to_string).collect()
    }
    fn callspec_counts(&self) -> BTreeMap<String, u64> {
        self.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("CALLSPEC "))
            .filter_map(|l| l.split_once(' '))
            .map(|(n, c)| (n.to_string(), c.parse().unwrap_or(0)))
            .collect()
    }
    fn json(&self, name: &str) -> Value {
        let bytes = std::fs::read(self.out_dir.join(name)).unwrap();
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
    }
}

struct Env {
    emu: msgraph_emulator::Emulator,
    cred_dir: PathBuf,
}

fn start() -> Env {
    let emu = msgraph_emulator::Emulator::start(msgraph_emulator::Options::default()).unwrap();
    let cred_dir = built().dir.join(format!("creds-{}", emu.port()));
    std::fs::create_dir_all(&cred_dir).unwrap();
    let file = cred_dir.join("credentials.json");
    std::fs::write(&file, json!({ "graph": emu.credential_json() }).to_string()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    Env { emu, cred_dir }
}

fn run(env: &Env, scenario: &str, extra: &[(&str, &str)]) -> Run {
    let b = built();
    let c = env.emu.credential_json();
    let out_dir = b.dir.join(format!("out-{}-{scenario}-{}", env.emu.port(), extra.len()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let options = json!({"authority_host": c["authority_host"], "graph_base_url": c["graph_base_url"]}).to_string();
    let mut cmd = Command::new(&b.agent);
    cmd.arg(scenario)
        .env("MSGRAPH_LIB", library())
        .env("AGENT_OUT_DIR", &out_dir)
        .env("MSGRAPH_T_TENANT", c["tenant_id"].as_str().unwrap())
        .env("MSGRAPH_T_CLIENT", c["client_id"].as_str().unwrap())
        .env("MSGRAPH_T_SECRET", c["client_secret"].as_str().unwrap())
        .env("MSGRAPH_T_OPTIONS", options)
        .env("MSGRAPH_T_USER0", env.emu.user_id(0))
        .env("MSGRAPH_T_USER1", env.emu.user_id(1))
        .env("MSGRAPH_T_USER2", env.emu.user_id(2))
        .env("MSGRAPH_CREDENTIALS_FILE", env.cred_dir.join("credentials.json"))
        .env("MSGRAPH_CREDENTIALS_DIR", &env.cred_dir);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let r = Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        out_dir,
    };
    assert!(
        r.ok,
        "scenario {scenario} failed ({:?}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status, r.stdout, r.stderr
    );
    r
}

fn check_main_outputs(r: &Run) {
    let all = r.json("users_all.json");
    let users = all["value"].as_array().unwrap();
    assert_eq!(users.len(), 250, "get_all returns every page");
    let names: Vec<&str> = users.iter().filter_map(|u| u["displayName"].as_str()).collect();
    assert!(names.contains(&"Zoë Müller") && names.contains(&"李雷"), "non-ASCII names survive the chunk loop");
    assert_eq!(r.json("users_capped.json")["value"].as_array().unwrap().len(), 7, "get_all honours p_max_items");
    let sent = r.json("event_sent.json");
    let ev = r.json("event.json");
    assert_eq!(ev["subject"], sent["subject"]);
    assert_eq!(ev["body"]["content"], sent["body"]["content"], "a >32767-byte multi-byte body goes up and comes back intact");
    assert!(sent["body"]["content"].as_str().unwrap().len() > 32767 * 2);
    let batch = r.json("batch_big.json");
    assert_eq!(batch["responses"].as_array().unwrap().len(), 25, "a batch larger than one RAW");
}

#[test]
fn package_routines_through_the_agent() {
    let env = start();
    let mut routines = BTreeSet::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut absorb = |r: &Run| {
        routines.extend(r.routines());
        for (k, v) in r.callspec_counts() {
            *counts.entry(k).or_default() += v;
        }
    };

    let main = run(&env, "main", &[]);
    check_main_outputs(&main);
    absorb(&main);
    // The same session flow with OUT buffers of 5 bytes: every read ends
    // at a multi-byte character edge somewhere, none may split one.
    let small = run(&env, "main", &[("AGENT_READ_CAP", "5")]);
    check_main_outputs(&small);
    absorb(&small);

    absorb(&run(&env, "fresh_session", &[]));
    absorb(&run(&env, "auth_fail", &[]));

    env.emu.throttle_next(1000, "0");
    absorb(&run(&env, "throttled", &[]));
    env.emu.reset_faults();

    let client = env.emu.credential_json()["client_id"].as_str().unwrap().to_string();
    let allowed = env.emu.user_upn(0).unwrap();
    env.emu.set_access_policy(&client, &[allowed.as_str()]);
    absorb(&run(&env, "policy", &[]));
    env.emu.reset_faults();

    let cs = run(&env, "charset", &[]);
    let esc = std::fs::read(cs.out_dir.join("charset_escape.json")).unwrap();
    let esc: String = esc.iter().map(|&b| b as char).collect(); // WE8MSWIN1252 bytes (Latin-1 here)
    let esc: Value = serde_json::from_str(&esc).unwrap();
    assert_eq!(esc["displayName"], "李雷", "ESCAPE mode keeps the JSON's meaning");
    absorb(&cs);

    // Every routine of the package spec was entered...
    let spec_src = std::fs::read_to_string(root().join("sql/msgraph.pks")).unwrap();
    let declared: BTreeSet<String> = package_routines(&spec_src).into_iter().map(|n| n.to_lowercase()).collect();
    let missing: Vec<&String> = declared.difference(&routines).collect();
    assert!(missing.is_empty(), "package routines never reached by the agent emulation: {missing:?}");
    // ... and every call spec was driven by them (not only by the fuzzer).
    for s in &built().specs {
        let n = s.plsql_name.to_lowercase();
        assert!(counts.get(&n).copied().unwrap_or(0) > 0, "call spec {n} never called by a package routine");
    }
    println!("{} package routines and {} call specs exercised", declared.len(), built().specs.len());
}

/// Never ORA-28576: every entry point with NULL indicators, empty and
/// invalid UTF-8 text, extreme integers and tiny OUT buffers returns.
#[test]
fn no_input_crashes_the_agent() {
    let env = start();
    let r = run(&env, "fuzz", &[]);
    let calls = r.stdout.lines().filter(|l| l.starts_with("FUZZ ")).count();
    assert_eq!(calls, built().specs.len() * 5, "{}", r.stdout);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

/// The emulation itself catches a routine that overruns MAXLEN or forgets
/// an OUT value: a call spec that promises a bigger buffer than the
/// variable has (MAXLEN passed as 100 for a RAW(3)) trips the guard.
#[test]
fn the_emulation_catches_buffer_overruns() {
    let b = built();
    let dir = b.dir.join("overrun");
    std::fs::create_dir_all(&dir).unwrap();
    let src = "#include \"agent.h\"\n\
        int main(void) {\n\
          plsql_raw v = {1, 0, 3, malloc(3)};\n\
          agent_out o; agent_out_init(&o, &v);\n\
          memset(o.data, 'x', 10); o.ind = 0; o.len = 10;\n\
          agent_out_done(&o, &v, \"overrun\");\n\
          return 0;\n\
        }\n";
    std::fs::write(dir.join("overrun.c"), src).unwrap();
    let exe = dir.join("overrun");
    let out = Command::new("gcc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(root().join("tests/extproc"))
        .arg(dir.join("overrun.c"))
        .args(["-ldl", "-o"])
        .arg(&exe)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(&exe).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote past MAXLEN"));
}
