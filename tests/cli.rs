//! The `msgraph` command-line program, run as a process against an
//! in-process emulator: output, --json validity and exit codes of every
//! command and failure class.

use msgraph_emulator::{Emulator, Options, CLIENT_ID, CLIENT_SECRET_ID, EXPIRED_CLIENT_ID, EXPIRED_CLIENT_SECRET, READER_CLIENT_ID, READER_CLIENT_SECRET};
use serde_json::{json, Value};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

const ZOE: &str = "zoe.mueller@contoso.onmicrosoft.com";
const JOSE: &str = "jose.nunez@contoso.onmicrosoft.com";

struct Env {
    emu: Emulator,
    dir: PathBuf,
    creds: PathBuf,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!("msgraph-cli-{tag}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_private(path: &Path, v: &Value) {
    std::fs::write(path, v.to_string()).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// An emulator and a credentials file (chmod 600) with the primary app
/// ("emulator"), its secret ID as secret ("wrong-secret"), the expired app,
/// the reader app, and a no-retry variant.
fn setup(tag: &str) -> Env {
    let emu = Emulator::start(Options::default()).expect("emulator starts");
    let dir = temp_dir(tag);
    let base = emu.credential_json();
    let with = |pairs: &[(&str, Value)]| {
        let mut c = base.clone();
        for (k, v) in pairs {
            c[*k] = v.clone();
        }
        c
    };
    let creds = dir.join("credentials.json");
    write_private(
        &creds,
        &json!({
            "emulator": base,
            "wrong-secret": with(&[("client_secret", json!(CLIENT_SECRET_ID))]),
            "expired": with(&[("client_id", json!(EXPIRED_CLIENT_ID)), ("client_secret", json!(EXPIRED_CLIENT_SECRET))]),
            "reader": with(&[("client_id", json!(READER_CLIENT_ID)), ("client_secret", json!(READER_CLIENT_SECRET))]),
            "no-retry": with(&[("max_retries", json!(0))]),
        }),
    );
    Env { emu, dir, creds }
}

fn command(env: &Env, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_msgraph"));
    for (k, _) in std::env::vars() {
        if k.starts_with("MSGRAPH_") {
            c.env_remove(k);
        }
    }
    c.env("MSGRAPH_CREDENTIALS", &env.creds).current_dir(&env.dir).args(args);
    c
}

fn finish(out: std::process::Output) -> Out {
    Out {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

fn run(env: &Env, args: &[&str]) -> Out {
    finish(command(env, args).output().expect("msgraph runs"))
}

fn run_stdin(env: &Env, args: &[&str], input: &str) -> Out {
    let mut child = command(env, args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    finish(child.wait_with_output().unwrap())
}

fn expect(o: &Out, code: i32) {
    assert_eq!(o.code, code, "exit code; stdout:\n{}\nstderr:\n{}", o.stdout, o.stderr);
}

/// The display column where `needle` starts in `line` (wide chars count 2).
fn column_of(line: &str, needle: &str) -> usize {
    let at = line.find(needle).unwrap_or_else(|| panic!("'{needle}' not in '{line}'"));
    line[..at].chars().map(|c| if ('\u{4E00}'..='\u{9FFF}').contains(&c) { 2 } else { 1 }).sum()
}

#[test]
fn help_version_and_usage_errors() {
    let env = setup("help");
    let h = run(&env, &["help"]);
    expect(&h, 0);
    for text in ["test-access", "secrets", "--expiring-within", "exit codes", "7  delta", "8  access denied"] {
        assert!(h.stdout.contains(text), "help mentions {text}:\n{}", h.stdout);
    }
    let h = run(&env, &["help", "secrets"]);
    expect(&h, 0);
    assert!(h.stdout.contains("--expiring-within") && !h.stdout.contains("test-access"), "{}", h.stdout);
    let v = run(&env, &["--version"]);
    expect(&v, 0);
    assert!(v.stdout.starts_with("msgraph "));
    expect(&run(&env, &["frobnicate"]), 1);
    expect(&run(&env, &["get"]), 1);
    expect(&run(&env, &["get", "/users", "--bogus"]), 1);
    expect(&run(&env, &["get", "/users", "--user", "x", "--name", "emulator"]), 1);
    expect(&run(&env, &["get", "/users", "--name"]), 1);
    let o = run(&env, &["get", "/users", "--max-items", "many", "--name", "emulator"]);
    expect(&o, 1);
    let o = run(&env, &["secrets", "--expiring-within", "soon", "--name", "emulator"]);
    expect(&o, 1);
    assert!(o.stderr.contains("duration"), "{}", o.stderr);
}

#[test]
fn credential_selection_and_config_errors() {
    let env = setup("creds");
    // Several credentials and no --name: a usage error naming them.
    let o = run(&env, &["token"]);
    expect(&o, 1);
    assert!(o.stderr.contains("emulator") && o.stderr.contains("--name"), "{}", o.stderr);
    // MSGRAPH_CREDENTIAL picks one.
    let o = finish(command(&env, &["token"]).env("MSGRAPH_CREDENTIAL", "emulator").output().unwrap());
    expect(&o, 0);
    // Unknown name.
    let o = run(&env, &["token", "--name", "nope"]);
    expect(&o, 4);
    assert!(o.stderr.contains("no credential 'nope'"), "{}", o.stderr);
    // The only entry of a file is the default; --credentials overrides the environment.
    let single = env.dir.join("single.json");
    write_private(&single, &json!({"prod": env.emu.credential_json()}));
    let o = run(&env, &["token", "--credentials", single.to_str().unwrap()]);
    expect(&o, 0);
    assert!(o.stdout.contains("prod"), "{}", o.stdout);
    // A file others can read is refused by the library.
    std::fs::set_permissions(&single, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = run(&env, &["token", "--credentials", single.to_str().unwrap()]);
    expect(&o, 4);
    assert!(o.stderr.contains("chmod 600"), "{}", o.stderr);
    // A missing file.
    let o = run(&env, &["token", "--credentials", "/nonexistent/credentials.json"]);
    expect(&o, 4);
    // An invalid entry.
    let bad = env.dir.join("bad.json");
    write_private(&bad, &json!({"x": {"tenant_id": "t", "client_id": "c", "client_secret": "s", "colour": "blue"}}));
    let o = run(&env, &["token", "--credentials", bad.to_str().unwrap()]);
    expect(&o, 4);
    assert!(o.stderr.contains("colour"), "{}", o.stderr);
}

#[test]
fn credential_from_flags_and_environment() {
    let env = setup("flags");
    let (graph, authority) = (env.emu.graph_base_url(), env.emu.authority_host());
    let args = [
        "token",
        "--tenant",
        msgraph_emulator::TENANT_ID,
        "--client-id",
        CLIENT_ID,
        "--client-secret-env",
        "MY_SECRET",
        "--graph-base-url",
        &graph,
        "--authority-host",
        &authority,
    ];
    let o = finish(command(&env, &args).env("MY_SECRET", msgraph_emulator::CLIENT_SECRET).output().unwrap());
    expect(&o, 0);
    assert!(o.stdout.contains("msgraph-extproc"), "{}", o.stdout);
    // The variable is not set: a configuration error that says so.
    let o = run(&env, &args);
    expect(&o, 4);
    assert!(o.stderr.contains("MY_SECRET"), "{}", o.stderr);
    // All from the environment, secret in the default variable.
    let o = finish(
        command(&env, &["token", "--json"])
            .env_remove("MSGRAPH_CREDENTIALS")
            .env("MSGRAPH_TENANT_ID", msgraph_emulator::TENANT_ID)
            .env("MSGRAPH_CLIENT_ID", READER_CLIENT_ID)
            .env("MSGRAPH_CLIENT_SECRET", READER_CLIENT_SECRET)
            .env("MSGRAPH_GRAPH_BASE_URL", &graph)
            .env("MSGRAPH_AUTHORITY_HOST", &authority)
            .output()
            .unwrap(),
    );
    expect(&o, 0);
    assert_eq!(o.json()["claims"]["appid"], READER_CLIENT_ID);
}

#[test]
fn token_shows_claims_not_the_token() {
    let env = setup("token");
    let o = run(&env, &["token", "--name", "emulator"]);
    expect(&o, 0);
    for text in ["msgraph-extproc", CLIENT_ID, "(12) User.Read.All", "MailboxSettings.ReadWrite", "expires", "identity_provider"] {
        assert!(o.stdout.contains(text), "token output has {text}:\n{}", o.stdout);
    }
    assert!(!o.stdout.contains("eyJ"), "no raw token without --show-token");
    let j = run(&env, &["token", "--name", "emulator", "--json"]).json();
    assert_eq!(j["claims"]["appid"], CLIENT_ID);
    assert!(j.get("access_token").is_none());
    let j = run(&env, &["token", "--name", "emulator", "--json", "--show-token", "--refresh"]).json();
    assert!(j["access_token"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(j["source"], "identity_provider");
    let o = run(&env, &["token", "--name", "emulator", "--show-token"]);
    assert!(o.stdout.contains("access_token eyJ"));
}

#[test]
fn get_tables_pages_and_json() {
    let env = setup("get");
    let o = run(&env, &["get", "/users?$top=5", "--name", "emulator"]);
    expect(&o, 0);
    let lines: Vec<&str> = o.stdout.lines().collect();
    let zoe = lines.iter().find(|l| l.contains("Zoë Müller")).unwrap();
    let lei = lines.iter().find(|l| l.contains("李雷")).unwrap();
    assert_eq!(column_of(zoe, ZOE), column_of(lei, "lei.li@"), "columns align with wide characters:\n{}", o.stdout);
    assert!(o.stdout.contains("5 items in 1 page (more pages: add --all)"), "{}", o.stdout);
    // Every page, as JSON.
    let o = run(&env, &["get", "/users?$select=id,displayName", "--all", "--json", "--name", "emulator"]);
    expect(&o, 0);
    let j = o.json();
    assert_eq!(j["value"].as_array().unwrap().len(), 250);
    assert_eq!(j["value"][2]["displayName"], "李雷");
    assert!(j.get("@odata.nextLink").is_none());
    assert!(!o.stderr.contains("page"), "no progress line when stderr is not a terminal: {}", o.stderr);
    // --max-items stops early.
    let o = run(&env, &["get", "/users", "--all", "--max-items", "120", "--json", "--name", "emulator"]);
    assert_eq!(o.json()["value"].as_array().unwrap().len(), 120);
    let o = run(&env, &["get", "/users?$select=displayName,accountEnabled", "--all", "--name", "emulator", "--columns", "displayName,accountEnabled"]);
    expect(&o, 0);
    let first = o.stdout.lines().next().unwrap();
    assert!(first.starts_with("displayName ") && first.ends_with("  accountEnabled"), "{}", o.stdout);
    assert!(o.stdout.contains("false"), "some accounts are disabled:\n{}", o.stdout);
    assert!(o.stdout.contains("250 items in 3 pages"), "{}", o.stdout);
    // An entity.
    let o = run(&env, &["get", &format!("/users/{ZOE}"), "--name", "emulator"]);
    expect(&o, 0);
    assert!(o.stdout.contains("\"displayName\": \"Zoë Müller\""), "{}", o.stdout);
    // Graph's errors and the library's refusals.
    let o = run(&env, &["get", "/users/nobody@contoso.onmicrosoft.com", "--name", "emulator"]);
    expect(&o, 2);
    assert!(o.stderr.contains("HTTP 404 Request_ResourceNotFound"), "{}", o.stderr);
    let o = run(&env, &["get", "/users/nobody@contoso.onmicrosoft.com", "--name", "emulator", "--json"]);
    expect(&o, 2);
    assert_eq!(o.json()["error"]["code"], "Request_ResourceNotFound");
    let o = run(&env, &["get", "https://graph.example.com/v1.0/users", "--name", "emulator"]);
    expect(&o, 4);
    assert!(o.stderr.contains("MSGRAPH_ERR_REFUSED"), "{}", o.stderr);
    let o = run(&env, &["get", "/me", "--name", "emulator"]);
    expect(&o, 2);
    // Reader app: directory 403.
    let o = run(&env, &["get", "/applications", "--name", "reader"]);
    expect(&o, 2);
    assert!(o.stderr.contains("Authorization_RequestDenied"), "{}", o.stderr);
}

#[test]
fn failure_classes_have_their_exit_codes() {
    let env = setup("classes");
    // Authentication.
    let o = run(&env, &["get", "/users", "--name", "wrong-secret"]);
    expect(&o, 3);
    assert!(o.stderr.contains("MSGRAPH_ERR_AUTH") && o.stderr.contains("VALUE"), "{}", o.stderr);
    // Throttled after the retries (none here).
    env.emu.throttle_next(5, "0");
    let o = run(&env, &["get", "/users", "--name", "no-retry"]);
    expect(&o, 6);
    assert!(o.stderr.contains("429"), "{}", o.stderr);
    env.emu.reset_faults();
    // Transport: nothing listens on the port.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead = env.dir.join("dead.json");
    let mut c = env.emu.credential_json();
    c["authority_host"] = json!(format!("http://127.0.0.1:{closed}"));
    c["graph_base_url"] = json!(format!("http://127.0.0.1:{closed}/v1.0"));
    c["max_retries"] = json!(0);
    write_private(&dead, &json!({ "dead": c }));
    let o = run(&env, &["get", "/users", "--credentials", dead.to_str().unwrap()]);
    expect(&o, 5);
    assert!(o.stderr.contains("MSGRAPH_ERR_TRANSPORT"), "{}", o.stderr);
    let o = run(&env, &["check", "--credentials", dead.to_str().unwrap()]);
    expect(&o, 5);
    assert!(o.stdout.contains("verdict: FAILED"), "{}", o.stdout);
}

#[test]
fn request_with_bodies_from_file_and_stdin() {
    let env = setup("request");
    let body = env.dir.join("patch.json");
    std::fs::write(&body, r#"{"jobTitle":"Database Administrator"}"#).unwrap();
    let o = run(&env, &["request", "PATCH", &format!("/users/{ZOE}"), "--body", body.to_str().unwrap(), "--name", "emulator"]);
    expect(&o, 0);
    assert!(o.stdout.starts_with("HTTP 204"), "{}", o.stdout);
    let j = run(&env, &["get", &format!("/users/{ZOE}?$select=jobTitle"), "--json", "--name", "emulator"]).json();
    assert_eq!(j["jobTitle"], "Database Administrator");
    // sendMail from stdin, then the message is in the recipient's Inbox.
    let mail = json!({"message": {"subject": "Nächtlicher Export fertig", "body": {"contentType": "Text", "content": "ok"},
        "toRecipients": [{"emailAddress": {"address": JOSE}}]}, "saveToSentItems": false});
    let o = run_stdin(&env, &["request", "post", &format!("/users/{ZOE}/sendMail"), "--body", "-", "--name", "emulator"], &mail.to_string());
    expect(&o, 0);
    assert!(o.stdout.starts_with("HTTP 202"), "{}", o.stdout);
    let o = run(&env, &["get", &format!("/users/{JOSE}/mailFolders/inbox/messages?$top=50&$select=subject"), "--all", "--json", "--name", "emulator"]);
    assert!(o.json()["value"].as_array().unwrap().iter().any(|m| m["subject"] == "Nächtlicher Export fertig"));
    // A malformed body: Graph's 400.
    let o = run_stdin(&env, &["request", "POST", &format!("/users/{ZOE}/sendMail"), "--body", "-", "--name", "emulator"], "{not json");
    expect(&o, 2);
    // Headers pass through; an unsupported method is a usage error.
    let o = run(&env, &["request", "GET", "/users?$count=true&$filter=endswith(mail,'contoso.onmicrosoft.com')&$top=1", "--header", "ConsistencyLevel: eventual", "--json", "--name", "emulator"]);
    expect(&o, 0);
    assert!(o.json()["@odata.count"].as_u64().unwrap() > 0);
    expect(&run(&env, &["request", "BREW", "/users", "--name", "emulator"]), 1);
    expect(&run(&env, &["request", "GET", "/users", "--header", "nocolon", "--name", "emulator"]), 1);
    expect(&run(&env, &["request", "POST", "/users", "--body", "/nonexistent", "--name", "emulator"]), 1);
}

#[test]
fn batch_from_a_file() {
    let env = setup("batch");
    let file = env.dir.join("batch.json");
    let reqs = json!([
        {"id": "zoe", "method": "GET", "url": format!("/users/{ZOE}?$select=displayName")},
        {"id": "org", "method": "GET", "url": "/organization"},
        {"id": "lei", "method": "GET", "url": "/users/lei.li@contoso.onmicrosoft.com"},
    ]);
    std::fs::write(&file, reqs.to_string()).unwrap();
    let o = run(&env, &["batch", file.to_str().unwrap(), "--name", "emulator"]);
    expect(&o, 0);
    assert!(o.stdout.contains("Zoë Müller") && o.stdout.contains("李雷") && o.stdout.contains("3 responses, 0 failed"), "{}", o.stdout);
    let j = run(&env, &["batch", file.to_str().unwrap(), "--name", "emulator", "--json"]).json();
    let ids: Vec<&str> = j["responses"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["zoe", "org", "lei"]);
    // 25 requests (two $batch calls), one failing: exit 2, order kept.
    let many: Vec<Value> = (0..25)
        .map(|i| if i == 21 { json!({"method": "GET", "url": "/users/nobody@contoso.onmicrosoft.com"}) } else { json!({"method": "GET", "url": format!("/users?$top=1&$skip={i}")}) })
        .collect();
    let o = run_stdin(&env, &["batch", "-", "--name", "emulator"], &Value::Array(many).to_string());
    expect(&o, 2);
    assert!(o.stdout.contains("25 responses, 1 failed") && o.stdout.contains("22  404     Request_ResourceNotFound"), "{}", o.stdout);
    assert_eq!(env.emu.stats().batch_requests, 4);
    // Not JSON: refused before sending, a usage error.
    let o = run_stdin(&env, &["batch", "-", "--name", "emulator"], "[{");
    expect(&o, 1);
}

#[test]
fn delta_with_a_stored_link_and_resync() {
    let env = setup("delta");
    let state = env.dir.join("users.delta");
    let st = state.to_str().unwrap();
    let o = run(&env, &["delta", "/users/delta?$select=displayName,jobTitle", "--state", st, "--name", "emulator"]);
    expect(&o, 0);
    assert!(o.stdout.contains("250 changes in 3 pages"), "{}", o.stdout);
    let link = std::fs::read_to_string(&state).unwrap().trim().to_string();
    assert!(link.contains("$deltatoken="), "{link}");
    assert!(o.stdout.contains(&format!("deltaLink: {link}")));
    assert_eq!(std::fs::metadata(&state).unwrap().permissions().mode() & 0o777, 0o600);
    // Nothing changed yet.
    let o = run(&env, &["delta", "--link", &link, "--json", "--name", "emulator"]);
    expect(&o, 0);
    assert_eq!(o.json()["value"].as_array().unwrap().len(), 0);
    // One change, seen through the stored link (twice: --link does not move the state).
    let o = run_stdin(&env, &["request", "PATCH", &format!("/users/{ZOE}"), "--body", "-", "--name", "emulator"], r#"{"jobTitle":"DBA"}"#);
    expect(&o, 0);
    let o = run(&env, &["delta", "--link", &link, "--name", "emulator"]);
    expect(&o, 0);
    assert!(o.stdout.contains("changed") && o.stdout.contains("Zoë Müller") && o.stdout.contains("1 change in 1 page"), "{}", o.stdout);
    let o = run(&env, &["delta", "--state", st, "--json", "--name", "emulator"]);
    expect(&o, 0);
    let j = o.json();
    assert_eq!(j["value"][0]["jobTitle"], "DBA");
    let next = j["@odata.deltaLink"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(&state).unwrap().trim(), next);
    assert_ne!(next, link);
    // A link the service no longer knows: its own exit code and message.
    let bad = format!("{}garbage", &link[..link.find("$deltatoken=").unwrap() + "$deltatoken=".len()]);
    let o = run(&env, &["delta", "--link", &bad, "--name", "emulator"]);
    expect(&o, 7);
    assert!(o.stderr.contains("full resync required") && o.stderr.contains("syncStateNotFound"), "{}", o.stderr);
    // With --state and the URL, the stored link is cleared so the next run resyncs.
    write_private(&state, &json!(null));
    std::fs::write(&state, &bad).unwrap();
    let o = run(&env, &["delta", "/users/delta", "--state", st, "--name", "emulator"]);
    expect(&o, 7);
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "");
    let o = run(&env, &["delta", "/users/delta", "--state", st, "--name", "emulator"]);
    expect(&o, 0);
    assert!(o.stdout.contains("250 changes"), "{}", o.stdout);
    // Not a delta query; no start at all.
    expect(&run(&env, &["delta", "/users?$top=2", "--name", "emulator"]), 1);
    expect(&run(&env, &["delta", "--name", "emulator"]), 1);
}

#[test]
fn check_ok_and_json() {
    let env = setup("check");
    let o = run(&env, &["check", "--name", "emulator"]);
    expect(&o, 0);
    for text in ["[ OK ]  token", "msgraph-extproc", "GET /users?$top=1: HTTP 200 (1 item)", "verdict: OK"] {
        assert!(o.stdout.contains(text), "check output has {text}:\n{}", o.stdout);
    }
    let j = run(&env, &["check", "--name", "emulator", "--json", "--call", "/organization"]).json();
    assert_eq!(j["verdict"], "OK");
    assert_eq!(j["exit_code"], 0);
    assert_eq!(j["token"]["roles"].as_array().unwrap().len(), 12);
    assert_eq!(j["steps"].as_array().unwrap().len(), 4);
}

#[test]
fn check_explains_each_token_refusal() {
    let env = setup("check-auth");
    let o = run(&env, &["check", "--name", "wrong-secret"]);
    expect(&o, 3);
    assert!(o.stdout.contains("AADSTS7000215") && o.stdout.contains("verdict: FAILED"), "{}", o.stdout);
    assert!(o.stdout.contains("fix: ") && o.stdout.contains("VALUE") && o.stdout.contains("not its Secret ID"), "{}", o.stdout);
    let j = run(&env, &["check", "--name", "wrong-secret", "--json"]).json();
    assert_eq!(j["error"]["aadsts"], 7000215);
    assert_eq!(j["error"]["error"], "invalid_client");
    assert!(j["error"]["hint"].as_str().unwrap().contains("VALUE"));
    assert_eq!(j["exit_code"], 3);

    let o = run(&env, &["check", "--name", "expired"]);
    expect(&o, 3);
    assert!(o.stdout.contains("AADSTS7000222") && o.stdout.contains("has expired") && o.stdout.contains("msgraph secrets"), "{}", o.stdout);

    // Unknown tenant and unknown app: their own fixes.
    let other = env.dir.join("other.json");
    let mut t = env.emu.credential_json();
    t["tenant_id"] = json!("00000000-0000-0000-0000-000000000000");
    let mut a = env.emu.credential_json();
    a["client_id"] = json!("11111111-1111-1111-1111-111111111111");
    write_private(&other, &json!({"tenant": t, "app": a}));
    let o = run(&env, &["check", "--credentials", other.to_str().unwrap(), "--name", "tenant"]);
    expect(&o, 3);
    assert!(o.stdout.contains("90002") && o.stdout.contains("fix: the tenant was not found"), "{}", o.stdout);
    let o = run(&env, &["check", "--credentials", other.to_str().unwrap(), "--name", "app"]);
    expect(&o, 3);
    assert!(o.stdout.contains("700016") && o.stdout.contains("Application (client) ID"), "{}", o.stdout);
}

#[test]
fn check_names_the_missing_role_and_the_policy() {
    let env = setup("check-roles");
    let call = format!("/users/{ZOE}/mailboxSettings");
    let o = run(&env, &["check", "--name", "reader", "--call", &call]);
    expect(&o, 2);
    assert!(o.stdout.contains("[WARN]  roles") && o.stdout.contains("(1) User.Read.All"), "{}", o.stdout);
    assert!(o.stdout.contains("HTTP 403 ErrorAccessDenied: Access is denied"), "{}", o.stdout);
    assert!(o.stdout.contains("MailboxSettings.Read") && o.stdout.contains("Grant admin consent"), "{}", o.stdout);
    // The reader app's own call works.
    expect(&run(&env, &["check", "--name", "reader"]), 0);
    // A mailbox an access policy excludes.
    env.emu.set_access_policy(CLIENT_ID, &[ZOE]);
    expect(&run(&env, &["check", "--name", "emulator", "--call", &call]), 0);
    let o = run(&env, &["check", "--name", "emulator", "--call", &format!("/users/{JOSE}/calendar")]);
    expect(&o, 8);
    assert!(o.stdout.contains("access policy"), "{}", o.stdout);
}

#[test]
fn test_access_granted_denied_and_why() {
    let env = setup("access");
    // No policy: every mailbox.
    let o = run(&env, &["test-access", "--user", JOSE, "--name", "emulator"]);
    expect(&o, 0);
    assert!(o.stdout.contains("AccessCheckResult: Granted"), "{}", o.stdout);
    env.emu.set_access_policy(CLIENT_ID, &[ZOE]);
    let o = run(&env, &["test-access", "--user", ZOE, "--name", "emulator"]);
    expect(&o, 0);
    assert!(o.stdout.contains("mailboxSettings  Granted") && o.stdout.contains("calendar         Granted"), "{}", o.stdout);
    let o = run(&env, &["test-access", "--user", JOSE, "--name", "emulator"]);
    expect(&o, 8);
    assert!(o.stdout.contains("AccessCheckResult: Denied") && o.stdout.contains("Access to OData is disabled."), "{}", o.stdout);
    assert!(o.stdout.contains("Test-ApplicationAccessPolicy"), "{}", o.stdout);
    let j = run(&env, &["test-access", "--user", JOSE, "--name", "emulator", "--json"]).json();
    assert_eq!(j["AccessCheckResult"], "Denied");
    assert_eq!(j["AppId"], CLIENT_ID);
    assert_eq!(j["probes"][0]["status"], 403);
    assert_eq!(j["probes"][1]["error"]["code"], "ErrorAccessDenied");
    // Missing roles are a different reason (and exit code).
    let o = run(&env, &["test-access", "--user", ZOE, "--name", "reader"]);
    expect(&o, 2);
    assert!(o.stdout.contains("missing permission MailboxSettings.Read") && o.stdout.contains("Calendars.Read"), "{}", o.stdout);
    // Unknown user.
    let o = run(&env, &["test-access", "--user", "nobody@contoso.onmicrosoft.com", "--name", "emulator"]);
    expect(&o, 2);
    assert!(o.stdout.contains("AccessCheckResult: Error") && o.stdout.contains("ErrorInvalidUser"), "{}", o.stdout);
    // Token refused: the fix, exit 3.
    let o = run(&env, &["test-access", "--user", ZOE, "--name", "wrong-secret"]);
    expect(&o, 3);
    assert!(o.stderr.contains("fix:") && o.stderr.contains("VALUE"), "{}", o.stderr);
    expect(&run(&env, &["test-access", "--name", "emulator"]), 1);
}

#[test]
fn secrets_soonest_first_with_the_window_filter() {
    let env = setup("secrets");
    let j = run(&env, &["secrets", "--name", "emulator", "--json"]).json();
    let all = j["credentials"].as_array().unwrap().clone();
    assert_eq!(j["applications"], 9);
    assert_eq!(all.len(), 17);
    let days: Vec<i64> = all.iter().map(|c| c["daysLeft"].as_i64().unwrap()).collect();
    let mut sorted = days.clone();
    sorted.sort();
    assert_eq!(days, sorted, "soonest first");
    assert_eq!(days[0], -35);
    assert!(all.iter().all(|c| c["expired"].as_bool().unwrap() == (c["daysLeft"].as_i64().unwrap() < 0)));
    assert!(all.iter().any(|c| c["type"] == "certificate") && all.iter().any(|c| c["type"] == "secret"));
    // Within 10 days (expired ones included, marked).
    let j = run(&env, &["secrets", "--name", "emulator", "--json", "--expiring-within", "10d"]).json();
    let soon = j["credentials"].as_array().unwrap();
    assert_eq!(soon.len(), 10);
    assert!(soon.iter().all(|c| c["daysLeft"].as_i64().unwrap() <= 10));
    assert_eq!(soon.iter().filter(|c| c["expired"] == true).count(), 4);
    let o = run(&env, &["secrets", "--name", "emulator", "--expiring-within", "10d", "--hide-expired"]);
    expect(&o, 0);
    assert!(!o.stdout.contains("EXPIRED") && o.stdout.contains("6 of 17 credentials ending within 10d (0 expired)"), "{}", o.stdout);
    // The table: header, soonest first, expired marked.
    let o = run(&env, &["secrets", "--name", "emulator"]);
    expect(&o, 0);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert!(lines[0].starts_with("ends") && lines[0].contains("days") && lines[0].contains("application"), "{}", o.stdout);
    assert!(lines[1].contains("EXPIRED") && lines[1].contains("old secret") && lines[1].contains("-35"), "{}", o.stdout);
    assert!(o.stdout.contains("17 of 17 credentials (4 expired) in 9 applications"), "{}", o.stdout);
    // The reader app may not read applications.
    let o = run(&env, &["secrets", "--name", "reader"]);
    expect(&o, 2);
    assert!(o.stderr.contains("Authorization_RequestDenied"), "{}", o.stderr);
}
