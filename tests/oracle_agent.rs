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
    // The agent policy: SCOTT may use the file's "graph"; every schema may
    // point credentials it creates at the emulator on loopback.
    let policy = json!({"schemas": {"SCOTT": {"credentials": ["graph"]}, "*": {"endpoints": ["http://127.0.0.1:*"]}}});
    std::fs::write(cred_dir.join("policy.json"), policy.to_string()).unwrap();
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
        .env("MSGRAPH_CREDENTIALS_DIR", &env.cred_dir)
        .env("MSGRAPH_POLICY_FILE", env.cred_dir.join("policy.json"));
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

fn check_nonbmp_outputs(r: &Run, charset: &str) {
    let sent = String::from_utf8(std::fs::read(r.out_dir.join("nonbmp_sent.txt")).unwrap()).unwrap();
    let outside = sent.chars().filter(|c| (*c as u32) > 0xFFFF).count();
    assert_eq!(outside, 30000, "the scenario sends 30000 characters outside the BMP");
    let ev = r.json("nonbmp_event.json");
    let got = ev["body"]["content"].as_str().unwrap_or_default();
    if got != sent {
        let at = got.chars().zip(sent.chars()).position(|(a, b)| a != b);
        panic!("{charset}: the event body did not come back exactly (lengths {} and {}, first difference at character {at:?})", got.len(), sent.len());
    }
    assert!(ev["subject"].as_str().unwrap().ends_with('\u{1F4C5}'), "{charset}: subject");
    let ms = r.json("nonbmp_settings.json");
    let reply = ms["automaticRepliesSetting"]["internalReplyMessage"].as_str().unwrap_or_default();
    assert_eq!(reply, &sent[..1 + 5000 * 4], "{charset}: a 5000-emoji automatic reply round-trips exactly");
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
    absorb(&run(&env, "other_schema", &[("AGENT_SESSION_USER", "HR")]));
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

    // Characters outside the BMP on every chunk edge, both ways, on an
    // AL32UTF8 and on a UTF8 (CESU-8, 6 bytes each) database.
    for charset in ["AL32UTF8", "UTF8"] {
        let r = run(&env, "nonbmp", &[("AGENT_DB_CHARSET", charset)]);
        check_nonbmp_outputs(&r, charset);
        absorb(&r);
    }

    // Every routine of the package spec was entered...
    let spec_src = std::fs::read_to_string(root().join("sql/msgraph.pks")).unwrap();
    let declared: BTreeSet<String> = package_routines(&spec_src).into_iter().map(|n| n.to_lowercase()).collect();
    let missing: Vec<&String> = declared.difference(&routines).collect();
    assert!(missing.is_empty(), "package routines never reached by the agent emulation: {missing:?}");
    // ... and every call spec was driven by them (not only by the fuzzer).
    // (MSGRAPH_SYNC's own call specs: sync_through_the_agent.)
    for s in built().specs.iter().filter(|s| s.file.ends_with("/msgraph.pkb")) {
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

/// Standard base64 with padding, as UTL_ENCODE writes it once the line
/// breaks are removed: the base64 crate refuses anything else (line
/// breaks, missing padding, other alphabets).
fn b64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap_or_else(|e| panic!("not base64 ({e}): {s:.80}"))
}

/// The routines of a companion package's spec, as "package.routine".
fn companion_routines(file: &str) -> BTreeSet<String> {
    let src = std::fs::read_to_string(root().join("sql").join(file)).unwrap();
    let pkg = file.split('.').next().unwrap();
    package_routines(&src).into_iter().map(|n| format!("{pkg}.{}", n.to_lowercase())).collect()
}

/// MSGRAPH_M365 through the agent emulation (tests/extproc/m365.c, a port
/// of sql/msgraph_m365.pkb): mail with a >32 KB HTML body and binary
/// attachments (checked byte for byte on the wire), secrets, access
/// checks (granted, unknown user, access policy, missing permission, no
/// token), calendar, contacts, To Do, mailbox settings, SharePoint items.
#[test]
fn m365_routines_through_the_agent() {
    let env = start();
    let reader = [
        ("MSGRAPH_T_READER_CLIENT", msgraph_emulator::READER_CLIENT_ID),
        ("MSGRAPH_T_READER_SECRET", msgraph_emulator::READER_CLIENT_SECRET),
    ];
    let r = run(&env, "m365", &[]);
    let mut routines = r.routines();

    // send_mail: what went over the wire is the JSON mail_json built, and
    // every attachment decodes to the BLOB's bytes.
    let sent: Vec<_> = env.emu.requests().into_iter().filter(|q| q.path.ends_with("/sendMail") && q.status == 202).collect();
    assert!(sent.len() >= 3, "three mails sent");
    let wire: Value = serde_json::from_str(&sent[0].body).expect("the sendMail body is JSON");
    assert_eq!(wire, r.json("mail.json"), "mail_json is what send_mail posts");
    assert!(sent[0].body_len > 32767, "the request went up in chunks ({} bytes)", sent[0].body_len);
    let msg = &wire["message"];
    assert_eq!(msg["subject"], "Bericht für Zoë — \"quoted\"");
    assert_eq!(msg["body"]["contentType"], "HTML");
    let content = msg["body"]["content"].as_str().unwrap();
    assert!(content.starts_with("<h1>Zoë 李雷 📅</h1><p class=\"x\">tab\there\nline \\ back</p>\u{1}\u{1f}"));
    assert_eq!(content.matches("<b>é\"李</b>").count(), 5000);
    let to = msg["toRecipients"].as_array().unwrap();
    assert_eq!(to.len(), 2);
    assert_eq!(to[1]["emailAddress"]["name"], "José Núñez", "'Name <address>' keeps the name, quotes stripped");
    assert_eq!(msg["ccRecipients"].as_array().unwrap().len(), 1);
    assert_eq!(msg["bccRecipients"].as_array().unwrap().len(), 1);
    assert_eq!(wire["saveToSentItems"], true);
    let atts = msg["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 3);
    let bin: Vec<u8> = (0..100001u32).map(|i| (i * 7 + i / 256) as u8).collect();
    assert_eq!(atts[0]["name"], "résumé.bin");
    assert_eq!(atts[0]["contentType"], "application/octet-stream", "a NULL MIME type defaults");
    assert_eq!(b64_decode(atts[0]["contentBytes"].as_str().unwrap()), bin, "100001 bytes over five UTL_ENCODE chunks, no line breaks");
    assert_eq!(b64_decode(atts[1]["contentBytes"].as_str().unwrap()), b"hi");
    assert_eq!(b64_decode(atts[2]["contentBytes"].as_str().unwrap()), b"abc");
    let second: Value = serde_json::from_str(&sent[1].body).unwrap();
    assert_eq!(second["saveToSentItems"], false);
    assert_eq!(second["message"]["body"]["contentType"], "Text");
    let inbox = r.json("inbox1.json");
    let delivered = inbox["value"].as_array().unwrap().iter().find(|m| m["subject"] == msg["subject"]).unwrap();
    assert_eq!(delivered["body"]["content"].as_str().unwrap(), content, "the recipient gets the body intact");

    // expiring_secrets: sorted by end, within the window, both kinds.
    let rows = r.json("secrets10.json");
    let rows = rows.as_array().unwrap();
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    let ends: Vec<i64> = rows.iter().map(|x| x["end"].as_i64().unwrap()).collect();
    assert!(ends.windows(2).all(|w| w[0] <= w[1]), "soonest first");
    assert!(ends.iter().all(|&e| e <= now + 10 * 86400 + 60));
    for t in ["Password", "Certificate"] {
        for s in ["Expired", "Expiring"] {
            assert!(rows.iter().any(|x| x["type"] == t && x["status"] == s), "a {s} {t} row");
        }
    }
    let warning = r.json("inbox_warning.json");
    let w = warning["value"].as_array().unwrap().iter().find(|m| m["subject"].as_str().unwrap().contains("expire within 10 days")).unwrap();
    let html = w["body"]["content"].as_str().unwrap();
    assert_eq!(html.matches("<tr><td>").count(), rows.len(), "one table row per secret");

    // calendar, contacts, To Do, mailbox settings, SharePoint
    let cv = r.json("calendar_view.json");
    let ev = cv["value"].as_array().unwrap().iter().find(|e| e["subject"] == "Planung — Zoë").expect("the event in calendar_view");
    assert_eq!(ev["location"]["displayName"], "Raum München");
    assert_eq!(ev["attendees"].as_array().unwrap().len(), 2);
    assert_eq!(ev["attendees"][1]["type"], "required");
    assert_eq!(ev["attendees"][1]["emailAddress"]["name"], "Adele");
    assert!(ev["body"]["content"].as_str().unwrap().len() > 20000);
    let cs = r.json("contacts.json");
    let c = cs["value"].as_array().unwrap().iter().find(|c| c["surname"] == "Müller-李").expect("the contact");
    assert_eq!(c["displayName"], "Zoë Müller-李");
    assert_eq!(c["emailAddresses"][0]["address"], "zoe.contact@example.com");
    assert_eq!(c["companyName"], "Contoso \"GmbH\"");
    let ts = r.json("tasks.json");
    let t = ts["value"].as_array().unwrap().iter().find(|t| t["title"] == "Bericht prüfen").expect("the task");
    assert_eq!(t["status"], "completed");
    assert_eq!(t["importance"], "high");
    assert_eq!(t["body"]["content"], "Schritt 1\nSchritt 2 ✓");
    assert!(t["dueDateTime"]["dateTime"].as_str().unwrap().contains("T12:00:00"));
    let ms = r.json("mailbox_settings.json");
    let ar = &ms["automaticRepliesSetting"];
    assert_eq!(ar["status"], "scheduled");
    assert_eq!(ar["internalReplyMessage"], "Bin im Urlaub — Zoë");
    assert_eq!(ar["externalReplyMessage"], "Out of office \"until Monday\"");
    assert_eq!(ar["externalAudience"], "contactsOnly");
    assert!(ar["scheduledStartDateTime"]["dateTime"].as_str().unwrap().contains("T00:00:00"));
    let off = r.json("mailbox_settings_off.json");
    assert_eq!(off["automaticRepliesSetting"]["status"], "disabled");
    assert_eq!(off["automaticRepliesSetting"]["internalReplyMessage"], "Bin im Urlaub — Zoë", "NULL replies leave the text");
    let items = r.json("list_items.json");
    let items = items["value"].as_array().unwrap();
    assert_eq!(items.len(), 25, "every item of Inventory");
    assert!(items.iter().all(|i| i["fields"]["Title"].is_string() && i["lastModifiedDateTime"].is_string()), "fields expanded (the members examples/ reads)");
    assert!(ev["organizer"]["emailAddress"]["address"].is_string() && ev["start"]["dateTime"].is_string());
    assert_eq!(r.json("list_items_7.json")["value"].as_array().unwrap().len(), 7);

    let client = env.emu.credential_json()["client_id"].as_str().unwrap().to_string();
    env.emu.set_access_policy(&client, &[env.emu.user_upn(0).unwrap().as_str()]);
    routines.extend(run(&env, "m365_policy", &[]).routines());
    env.emu.reset_faults();
    routines.extend(run(&env, "m365_reader", &reader).routines());

    let declared = companion_routines("msgraph_m365.pks");
    let missing: Vec<&String> = declared.difference(&routines).collect();
    assert!(missing.is_empty(), "MSGRAPH_M365 routines never reached by the agent emulation: {missing:?}");
    println!("{} MSGRAPH_M365 routines exercised", declared.len());
}

fn sync_lines(db: &Path, suffix: &str) -> Vec<Value> {
    std::fs::read_to_string(format!("{}{suffix}", db.display()))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn sync_log(db: &Path) -> Vec<Value> {
    sync_lines(db, ".log")
}

fn sync_state(db: &Path) -> Vec<Value> {
    std::fs::read_to_string(db)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["t"] == "state")
        .collect()
}

/// MSGRAPH_SYNC through the agent emulation (tests/extproc/sync.c, a port
/// of sql/msgraph_sync.pkb with its tables emulated: a transaction locks
/// and reads a file, COMMIT writes it). Each run is a new session, as each
/// scheduler run is; run_parallel's job sessions are processes of their
/// own. After every step the staging tables must equal the mailboxes.
#[test]
fn sync_through_the_agent() {
    let env = start();
    let dir = built().dir.join(format!("syncdb-{}", env.emu.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("sync.db");
    let db_s = db.to_str().unwrap().to_string();
    let go_at = |path: &str, scenario: &str, extra: &[(&'static str, &str)]| -> Run {
        let mut e: Vec<(&str, &str)> = vec![("AGENT_DB", path)];
        e.extend(extra.iter().copied());
        run(&env, scenario, &e)
    };
    let go = |scenario: &str, extra: &[(&'static str, &str)]| -> Run { go_at(&db_s, scenario, extra) };
    let mut routines = BTreeSet::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut absorb = |r: &Run| {
        routines.extend(r.routines());
        for (k, v) in r.callspec_counts() {
            *counts.entry(k).or_default() += v;
        }
    };
    absorb(&go("sync_setup", &[]));
    let u0 = env.emu.user_id(0);

    // 1. First run: full rounds; at most 10 items per engine call, so
    //    USER0's 28 events span several calls (the cursor goes on).
    let r = go("sync_run", &[("AGENT_SYNC_MAX_ITEMS", "10"), ("AGENT_SYNC_PAGE_SIZE", "5")]);
    assert!(r.stdout.contains("RUN failed=0"), "{}", r.stdout);
    absorb(&r);
    let log = sync_log(&db);
    assert_eq!(log.len(), 8, "one log row per collection: {log:?}");
    assert!(log.iter().all(|l| l["status"] == "OK" && l["full_round"] == "Y"));
    let ev0 = log.iter().find(|l| l["mailbox"] == u0 && l["kind"] == "events").unwrap();
    assert_eq!(ev0["upserts"].as_i64(), Some(28), "{ev0}");
    assert!(ev0["pages"].as_i64().unwrap() >= 6, "pages of 5 at most: {ev0}");
    let calls = sync_lines(&db, ".calls");
    let chunk0 = ev0["chunk_no"].as_i64().unwrap();
    let c0: Vec<&Value> = calls.iter().filter(|c| c["chunk_no"].as_i64() == Some(chunk0)).collect();
    assert!(c0.len() >= 3, "the chunk's round took several engine calls: {c0:?}");
    assert!(c0.iter().all(|c| c["items"].as_i64().unwrap() <= 10 && c["status"] == "OK"), "{c0:?}");
    assert!(c0.iter().all(|c| c["requests"].as_i64().unwrap() >= 1 && c["batches"].as_i64().unwrap() >= 1));
    let chunks: BTreeSet<i64> = log.iter().map(|l| l["chunk_no"].as_i64().unwrap()).collect();
    assert_eq!(chunks.len(), 2, "two chunks (a mailbox each)");
    let staged = std::fs::read_to_string(&db).unwrap();
    assert!(staged.contains("李雷") || staged.contains("\\u674e"), "the Chinese user's items are staged");
    go("sync_verify", &[]);

    // 2. Partial failure: the engine's $batch answers 503 (no retries):
    //    the collections of that call fail with the library's verdict
    //    (ORA-20018), keep their deltaLinks; the next run catches up.
    let before = sync_state(&db);
    let n = sync_log(&db).len();
    env.emu.fail_next(2, 503, None);
    let r = go("sync_run", &[]);
    absorb(&r);
    assert!(!r.stdout.contains("RUN failed=0"), "{}", r.stdout);
    let log = sync_log(&db);
    let failed: Vec<&Value> = log[n..].iter().filter(|l| l["status"] == "FAILED").collect();
    assert!(!failed.is_empty(), "{:?}", &log[n..]);
    let after = sync_state(&db);
    for f in failed.iter().filter(|f| f["mailbox"].is_string() && f["collection"] != "-" || f["kind"] != "tasks") {
        if let Some(s) = after.iter().find(|s| s["mailbox"] == f["mailbox"] && s["kind"] == f["kind"] && s["coll"] == f["collection"]) {
            let was = before.iter().find(|b| b["mailbox"] == s["mailbox"] && b["kind"] == s["kind"] && b["coll"] == s["coll"]).unwrap();
            assert_eq!(s["delta_link"], was["delta_link"], "a failed collection keeps its deltaLink: {f}");
        }
    }
    assert!(failed.iter().any(|f| f["error"].as_str().unwrap_or("").contains("503")), "{failed:?}");
    let r = go("sync_run", &[]);
    assert!(r.stdout.contains("RUN failed=0"), "{}", r.stdout);

    // 2b. An application access policy that leaves USER2 out: Graph
    //    answers 403 inside the engine's $batch; the library classifies
    //    those collections (ORA-20013), USER0's go on, the links stay.
    let u2 = env.emu.user_id(2);
    let before = sync_state(&db);
    let n = sync_log(&db).len();
    let client = env.emu.credential_json()["client_id"].as_str().unwrap().to_string();
    let allowed = env.emu.user_upn(0).unwrap();
    env.emu.set_access_policy(&client, &[allowed.as_str()]);
    let r = go("sync_run", &[]);
    env.emu.reset_faults();
    assert!(r.stdout.contains("RUN failed="), "{}", r.stdout);
    let log = sync_log(&db);
    for kind in ["events", "contacts"] {
        let l = log[n..].iter().find(|l| l["mailbox"] == u2 && l["kind"] == kind).unwrap_or_else(|| panic!("{:?}", &log[n..]));
        assert_eq!((l["status"].as_str(), l["ora_error"].as_i64()), (Some("FAILED"), Some(20013)), "{l}");
        assert!(l["error"].as_str().unwrap().contains("ErrorAccessDenied"), "{l}");
        let s = sync_state(&db).into_iter().find(|s| s["mailbox"] == u2 && s["kind"] == kind).unwrap();
        let was = before.iter().find(|b| b["mailbox"] == u2 && b["kind"] == kind).unwrap();
        assert_eq!(s["delta_link"], was["delta_link"], "{kind}: the old link stays");
        assert_eq!(s["last_status"], "FAILED");
    }
    assert!(log[n..].iter().filter(|l| l["mailbox"] == u0).all(|l| l["status"] == "OK"), "{:?}", &log[n..]);
    let r = go("sync_run", &[]);
    assert!(r.stdout.contains("RUN failed=0"), "{}", r.stdout);
    go("sync_verify", &[]);

    // 3. Changes: created, changed and deleted items arrive incrementally.
    go("sync_mutate", &[("AGENT_SYNC_MUTATE", "2")]);
    let n = sync_log(&db).len();
    let r = go("sync_run", &[]);
    assert!(r.stdout.contains("RUN failed=0"), "{}", r.stdout);
    let log = sync_log(&db);
    let round: Vec<&Value> = log[n..].iter().collect();
    assert!(round.iter().all(|l| l["full_round"] == "N"), "incremental rounds: {round:?}");
    let ev = round.iter().find(|l| l["mailbox"] == u0 && l["kind"] == "events").unwrap();
    assert!(ev["upserts"].as_i64().unwrap() >= 2 && ev["deletes"].as_i64().unwrap() >= 1, "{ev:?}");
    go("sync_verify", &[]);

    // 4. A session killed between the two commits of its first engine
    //    call (the changes committed, the links not): the links stand,
    //    the round number moved on; the next run replays and ends equal.
    go("sync_mutate", &[("AGENT_SYNC_MUTATE", "25")]);
    let before = sync_state(&db);
    let r = go("sync_run", &[("AGENT_SYNC_KILL_BETWEEN", "1"), ("AGENT_SYNC_MAX_ITEMS", "10"), ("AGENT_SYNC_PAGE_SIZE", "5")]);
    assert!(r.stdout.contains("SESSION KILLED"), "{}", r.stdout);
    let after = sync_state(&db);
    let ev_before = before.iter().find(|s| s["mailbox"] == u0 && s["kind"] == "events").unwrap();
    let ev_after = after.iter().find(|s| s["mailbox"] == u0 && s["kind"] == "events").unwrap();
    assert_eq!(ev_after["delta_link"], ev_before["delta_link"], "killed mid-round: the old deltaLink stands");
    assert_eq!(ev_after["round_no"].as_i64().unwrap(), ev_before["round_no"].as_i64().unwrap() + 1, "the round had started");
    // ... and once more, killed after a whole call (its links stored).
    let r = go("sync_run", &[("AGENT_SYNC_KILL_AFTER", "1"), ("AGENT_SYNC_MAX_ITEMS", "10"), ("AGENT_SYNC_PAGE_SIZE", "5")]);
    assert!(r.stdout.contains("SESSION KILLED"), "{}", r.stdout);
    let r = go("sync_run", &[]);
    assert!(r.stdout.contains("RUN failed=0"), "{}", r.stdout);
    go("sync_verify", &[]);

    // 5. Resync: every delta token expires, and an event is deleted while
    //    no token is valid: each collection restarts with a full round in
    //    the engine, and the sweep at its end drops the deleted event.
    env.emu.expire_delta_tokens();
    go("sync_mutate", &[("AGENT_SYNC_MUTATE", "0")]);
    let n = sync_log(&db).len();
    let r = go("sync_run", &[("AGENT_SYNC_RESET", "1")]);
    assert!(r.stdout.contains("RUN failed=0") && r.stdout.contains("RESET RUN failed=0"), "{}", r.stdout);
    absorb(&r);
    let log = sync_log(&db);
    let resynced: Vec<&Value> = log[n..].iter().filter(|l| l["resync"] == "Y").collect();
    assert_eq!(resynced.len(), 8, "every collection honoured one resync: {:?}", &log[n..]);
    assert!(log[n..].iter().all(|l| l["status"] == "OK" && l["full_round"] == "Y"), "{:?}", &log[n..]);
    let state = sync_state(&db);
    assert!(state.iter().all(|s| s["resyncs"].as_i64() == Some(1)), "{state:?}");
    assert!(env.emu.stats().expired_delta_tokens > 0);
    go("sync_verify", &[]);

    // 6. Overlapping runs: a chunk held by the first run is skipped by
    //    the second (SKIPPED), the other chunks go on; both end well.
    env.emu.set_latency_ms(150);
    let b = built();
    let c = env.emu.credential_json();
    let options = json!({"authority_host": c["authority_host"], "graph_base_url": c["graph_base_url"]}).to_string();
    let first = Command::new(&b.agent)
        .arg("sync_run")
        .env("MSGRAPH_LIB", library())
        .env("AGENT_OUT_DIR", &dir)
        .env("AGENT_DB", &db)
        .env("MSGRAPH_T_TENANT", c["tenant_id"].as_str().unwrap())
        .env("MSGRAPH_T_CLIENT", c["client_id"].as_str().unwrap())
        .env("MSGRAPH_T_SECRET", c["client_secret"].as_str().unwrap())
        .env("MSGRAPH_T_OPTIONS", options)
        .env("MSGRAPH_POLICY_FILE", env.cred_dir.join("policy.json"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let n = sync_log(&db).len();
    let second = go("sync_run", &[]);
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success());
    let first_out = String::from_utf8_lossy(&out.stdout);
    assert!(first_out.contains("RUN failed=0") || first_out.contains("RUN failed=-1"), "{first_out}");
    assert!(
        sync_log(&db)[n..].iter().any(|l| l["status"] == "SKIPPED"),
        "a held chunk is skipped: {}\n{first_out}",
        second.stdout
    );
    env.emu.set_latency_ms(0);
    go("sync_verify", &[]);

    // 7. run_parallel: DBMS_PARALLEL_EXECUTE runs each chunk in a job
    //    session (a process) of its own.
    go("sync_mutate", &[("AGENT_SYNC_MUTATE", "3")]);
    let n = sync_log(&db).len();
    let r = go("sync_run", &[("AGENT_SYNC_PARALLEL", "2")]);
    assert!(r.stdout.contains("status=DONE") && r.stdout.contains("chunks=2"), "{}", r.stdout);
    absorb(&r);
    let log = sync_log(&db);
    let par: Vec<&Value> = log[n..].iter().collect();
    assert_eq!(par.len(), 8, "{par:?}");
    assert!(par.iter().all(|l| l["status"] == "OK" && l["run_id"] == par[0]["run_id"]), "{par:?}");
    go("sync_verify", &[]);

    // 8. sync_chunk by hand, and a WE8MSWIN1252 database (the change set
    //    comes through the library's \u escapes) on a database of its own.
    absorb(&go("sync_run", &[("AGENT_SYNC_CHUNK", &chunk0.to_string())]));
    let other = dir.join("latin.db");
    let other_s = other.to_str().unwrap();
    // 40 more mailboxes in one chunk: the second round's collections
    // (with their deltaLinks) go up as an upload body.
    go_at(other_s, "sync_setup", &[("AGENT_SYNC_MORE", "40")]);
    for round in 1..=2 {
        let r = go_at(other_s, "sync_run", &[("AGENT_SYNC_CHARSET", "WE8MSWIN1252")]);
        assert!(r.stdout.contains("RUN failed=0"), "{}", r.stdout);
        absorb(&r);
        let log = sync_log(&other);
        assert_eq!(log.len(), 48 * round, "events, contacts, 2 lists of 2 mailboxes and 40 contact folders a round");
        assert!(log.iter().all(|l| l["status"] == "OK"));
    }
    assert!(counts.get("xs_body_append").copied().unwrap_or(0) > 0, "the collections went up in chunks");

    let declared = companion_routines("msgraph_sync.pks");
    let missing: Vec<&String> = declared.difference(&routines).collect();
    assert!(missing.is_empty(), "MSGRAPH_SYNC routines never reached by the agent emulation: {missing:?}");
    // xs_body_free and xs_status_error run only when an upload or the
    // results table fails (not provoked here; the fuzz scenario drives them).
    let error_paths = ["XS_BODY_FREE", "XS_STATUS_ERROR"];
    for s in built().specs.iter().filter(|s| s.file.ends_with("/msgraph_sync.pkb") && !error_paths.contains(&s.plsql_name.as_str())) {
        let n = s.plsql_name.to_lowercase();
        assert!(counts.get(&n).copied().unwrap_or(0) > 0, "call spec {n} never called by MSGRAPH_SYNC's port");
    }
}
