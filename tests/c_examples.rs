//! The C examples (examples/secrets.c, test_access.c, send_mail.c,
//! delta_sync.c, batch.c), built with -std=c11 -Wall -Wextra -Wpedantic
//! -Werror against include/msgraph.h and libmsgraph.so and run against the
//! emulator; two of them also under valgrind memcheck when it is installed.
//! Run `cargo build --lib` first (library() refuses a stale libmsgraph.so).

mod common;
use common::cprog::*;
use common::{credential, get_json};
use std::path::{Path, PathBuf};
use std::process::Command;

const ZOE: &str = "zoe.mueller@contoso.onmicrosoft.com";
const JOSE: &str = "jose.nunez@contoso.onmicrosoft.com";

fn build(s: &Setup, name: &str) -> PathBuf {
    let exe = s.dir.join(name);
    compile(&format!("examples/{name}.c"), &exe);
    exe
}

/// Runs a program; returns its exit code and output.
fn exec(exe: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(exe).args(args).output().expect("program runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// Runs a program under valgrind memcheck, if installed; asserts it is clean.
fn memcheck(s: &Setup, exe: &Path, args: &[&str]) {
    let Some(vg) = valgrind() else {
        eprintln!("valgrind not installed: memcheck skipped");
        return;
    };
    let log = s.dir.join("valgrind.log");
    let (_, out) = run(Command::new(vg)
        .args(["--tool=memcheck", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99"])
        .arg(format!("--log-file={}", log.display()))
        .arg(exe)
        .args(args));
    let report = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(report.contains("ERROR SUMMARY: 0 errors"), "{out}\n{report}");
    assert!(report.contains("definitely lost: 0 bytes") || report.contains("All heap blocks were freed"), "{report}");
}

#[test]
fn secrets_example_lists_soonest_first() {
    let s = setup("ex-secrets");
    let exe = build(&s, "secrets");
    let creds = s.creds.to_str().unwrap();
    let (code, out) = exec(&exe, &[creds, "emulator"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("17 of 17 credentials shown, 4 expired, 9 applications"), "{out}");
    let rows: Vec<&str> = out.lines().skip(1).filter(|l| l.contains("secret") || l.contains("certificate")).collect();
    assert!(rows[0].contains("EXPIRED") && rows[0].contains("old secret"), "soonest first: {out}");
    let days: Vec<i64> = rows.iter().map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap()).collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "sorted by end date: {days:?}");
    let (code, out) = exec(&exe, &[creds, "emulator", "10"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("10 of 17 credentials shown, 4 expired"), "{out}");
    let (code, out) = exec(&exe, &[creds, "wrong-secret"]);
    assert_eq!(code, 1);
    assert!(out.contains("listing applications failed: status -4"), "{out}");
    memcheck(&s, &exe, &[creds, "emulator"]);
    std::fs::remove_dir_all(&s.dir).ok();
}

#[test]
fn test_access_example_granted_and_denied() {
    let s = setup("ex-access");
    let exe = build(&s, "test_access");
    let creds = s.creds.to_str().unwrap();
    let (code, out) = exec(&exe, &[creds, "emulator", JOSE]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("AccessCheckResult: Granted"), "{out}");
    s.emu.set_access_policy(msgraph_emulator::CLIENT_ID, &[ZOE]);
    let (code, out) = exec(&exe, &[creds, "emulator", ZOE]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = exec(&exe, &[creds, "emulator", JOSE]);
    assert_eq!(code, 8, "{out}");
    assert!(out.contains("Access to OData is disabled.") && out.contains("AccessCheckResult: Denied"), "{out}");
    let (code, out) = exec(&exe, &[creds, "emulator", "nobody@contoso.onmicrosoft.com"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("404"), "{out}");
    let (code, out) = exec(&exe, &[creds, "wrong-secret", ZOE]);
    assert_eq!(code, 1);
    assert!(out.contains("VALUE"), "the hint is in the message: {out}");
    std::fs::remove_dir_all(&s.dir).ok();
}

#[test]
fn send_mail_example_delivers() {
    let s = setup("ex-mail");
    let exe = build(&s, "send_mail");
    let creds = s.creds.to_str().unwrap();
    let subject = "Export \"nightly\" fertig: 100 % ✓";
    let (code, out) = exec(&exe, &[creds, "emulator", ZOE, JOSE, subject, "line 1\nline 2"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("accepted:") && out.contains("request-id"), "{out}");
    // Check the recipient's Inbox through the library.
    let cred = credential(&s.emu, serde_json::json!({}));
    let inbox = get_json(&cred, &format!("/users/{JOSE}/mailFolders/inbox/messages?$top=100&$select=subject,body"));
    let found = inbox["value"].as_array().unwrap().iter().find(|m| m["subject"] == subject).expect("delivered");
    assert!(found["body"]["content"].as_str().unwrap().contains("line 1\nline 2"));
    // Graph's own validation error.
    let (code, out) = exec(&exe, &[creds, "emulator", ZOE, "not-an-address", "x"]);
    assert_eq!(code, 1);
    assert!(out.contains("not sent: status 400"), "{out}");
    std::fs::remove_dir_all(&s.dir).ok();
}

#[test]
fn delta_sync_example_full_incremental_and_resync() {
    let s = setup("ex-delta");
    let exe = build(&s, "delta_sync");
    let creds = s.creds.to_str().unwrap();
    let state = s.dir.join("users.delta");
    let st = state.to_str().unwrap();
    let (code, out) = exec(&exe, &[creds, "emulator", st]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("full sync") && out.contains("changes: 250 (in 3 pages)"), "{out}");
    assert!(std::fs::read_to_string(&state).unwrap().contains("$deltatoken="));
    // One change.
    let cred = credential(&s.emu, serde_json::json!({}));
    let g = common::request(&cred, "PATCH", &format!("/users/{ZOE}"), Some(r#"{"jobTitle":"Datenbankadministratorin"}"#), None);
    assert_eq!(g.status, 204, "{}", g.body);
    let (code, out) = exec(&exe, &[creds, "emulator", st]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("incremental") && out.contains("changed  Zoë Müller, Datenbankadministratorin") && out.contains("changes: 1 "), "{out}");
    memcheck(&s, &exe, &[creds, "emulator", st]);
    // A stale link: resync (exit 7, state emptied), then a full sync again.
    let link = std::fs::read_to_string(&state).unwrap();
    let bad = format!("{}stale", &link[..link.find("$deltatoken=").unwrap() + "$deltatoken=".len()]);
    std::fs::write(&state, bad).unwrap();
    let (code, out) = exec(&exe, &[creds, "emulator", st]);
    assert_eq!(code, 7, "{out}");
    assert!(out.contains("MSGRAPH_ERR_RESYNC"), "{out}");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "");
    let (code, out) = exec(&exe, &[creds, "emulator", st]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("full sync") && out.contains("changes: 250"), "{out}");
    std::fs::remove_dir_all(&s.dir).ok();
}

#[test]
fn batch_example_in_order() {
    let s = setup("ex-batch");
    let exe = build(&s, "batch");
    let creds = s.creds.to_str().unwrap();
    let (code, out) = exec(&exe, &[creds, "emulator", ZOE, "lei.li@contoso.onmicrosoft.com"]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("org  200  Contoso"), "{out}");
    assert!(lines[1].starts_with("u1   200  Zoë Müller") && lines[2].starts_with("u2   200  李雷"), "{out}");
    assert!(out.contains("3 responses, 0 failed"), "{out}");
    // 25 users: two $batch calls; one unknown user fails alone.
    let mut args: Vec<String> = vec![creds.to_string(), "emulator".into()];
    for i in 0..24 {
        args.push(s.emu.user_upn(i).unwrap());
    }
    args.insert(12, "nobody@contoso.onmicrosoft.com".into());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    s.emu.reset_stats();
    let (code, out) = exec(&exe, &refs);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("26 responses, 1 failed") && out.contains("u11  404  Request_ResourceNotFound"), "{out}");
    assert_eq!(s.emu.stats().batch_requests, 2);
    std::fs::remove_dir_all(&s.dir).ok();
}
