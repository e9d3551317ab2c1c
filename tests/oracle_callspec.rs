//! Call-spec conformance: every `LANGUAGE C` call spec in sql/ against the
//! exported prototypes of include/msgraph.h, by Oracle's external-procedure
//! mapping rules (tests/extproc/callspec.rs). A mismatch here is a crashed
//! extproc agent (ORA-28576) in production, so drift must fail loudly; the
//! mutation tests show that it does.

#[path = "extproc/callspec.rs"]
mod callspec;

use callspec::*;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header() -> std::collections::BTreeMap<String, CProto> {
    parse_header(&std::fs::read_to_string(root().join("include/msgraph.h")).unwrap())
}

fn body_src() -> String {
    std::fs::read_to_string(root().join("sql/msgraph.pkb")).unwrap()
}

fn problems_of(src: &str) -> Vec<String> {
    let specs = match parse_call_specs("sql/msgraph.pkb", src) {
        Ok(s) => s,
        Err(e) => return vec![e],
    };
    let h = header();
    specs.iter().flat_map(|s| check_against_header(s, &h)).collect()
}

#[test]
fn every_call_spec_matches_the_header() {
    let specs = sql_call_specs(&root());
    assert!(specs.len() >= 18, "expected the package's call specs, found {}", specs.len());
    let h = header();
    let problems: Vec<String> = specs.iter().flat_map(|s| check_against_header(s, &h)).collect();
    assert!(problems.is_empty(), "call specs drifted from include/msgraph.h:\n{}", problems.join("\n"));
    for s in &specs {
        assert_eq!(s.library, "MSGRAPH_LIB", "{s}: every call spec uses library MSGRAPH_LIB");
        assert!(!s.with_context, "{s}: the package raises from PL/SQL, not through OCI");
    }
    // Every Oracle-shaped entry point is used by the package (no dead ABI).
    for name in h.keys().filter(|n| n.starts_with("msgraph_xp_")) {
        assert!(specs.iter().any(|s| &s.symbol == name), "{name} is exported but no call spec uses it");
    }
    println!("{} call specs match include/msgraph.h", specs.len());
}

/// Each mutation is a realistic slip; the checker must report every one.
#[test]
fn broken_call_specs_are_caught() {
    let good = body_src();
    assert!(problems_of(&good).is_empty());
    let mutations: &[(&str, &str, &str)] = &[
        ("indicator and length swapped",
         "p_chunk raw, p_chunk indicator short, p_chunk length sb4, return int",
         "p_chunk raw, p_chunk length sb4, p_chunk indicator short, return int"),
        ("MAXLEN dropped from an OUT buffer",
         "p_buf raw, p_buf indicator short, p_buf length sb4, p_buf maxlen sb4,\n    return int);\n\n  function xp_result_headers_read",
         "p_buf raw, p_buf indicator short, p_buf length sb4,\n    return int);\n\n  function xp_result_headers_read"),
        ("indicator declared INT instead of SHORT",
         "parameters (p_name raw, p_name indicator short, p_name length sb4, return int);\n\n  function xp_credential_clear_tokens",
         "parameters (p_name raw, p_name indicator int, p_name length sb4, return int);\n\n  function xp_credential_clear_tokens"),
        ("handle passed as LONG (64-bit on Linux)",
         "parameters (p_body int, return int);", "parameters (p_body long, return int);"),
        ("misspelt symbol", "name \"msgraph_xp_request\"", "name \"msgraph_xp_requets\""),
        ("unquoted symbol folds to upper case", "name \"msgraph_xp_version\"", "name msgraph_xp_version"),
        ("a parameter left out of PARAMETERS",
         "    p_all_pages int,\n    p_max_items int,", "    p_max_items int,"),
        ("two parameters in the wrong order",
         "    p_all_pages int,\n    p_max_items int,", "    p_max_items int,\n    p_all_pages int,"),
        ("an IN RAW without its indicator",
         "p_url raw, p_url indicator short, p_url length sb4,", "p_url raw, p_url length sb4,"),
        ("OUT INT becomes IN (by value instead of by pointer)",
         "p_result in pls_integer, p_status out pls_integer,", "p_result in pls_integer, p_status in pls_integer,"),
        ("RETURN not last", "p_result int, p_offset int,\n    p_buf raw, p_buf indicator short, p_buf length sb4, p_buf maxlen sb4,\n    return int);\n\n  function xp_result_headers_read",
         "return int, p_result int, p_offset int,\n    p_buf raw, p_buf indicator short, p_buf length sb4, p_buf maxlen sb4);\n\n  function xp_result_headers_read"),
        ("missing comma", "parameters (p_result int, return int);", "parameters (p_result int return int);"),
        ("MAXLEN on an IN parameter",
         "parameters (p_body int, p_chunk raw, p_chunk indicator short, p_chunk length sb4, return int);",
         "parameters (p_body int, p_chunk raw, p_chunk indicator short, p_chunk length sb4, p_chunk maxlen sb4, return int);"),
        ("extra C argument", "parameters (return int);\n\n  function xp_body_append",
         "parameters (p_x int, return int);\n\n  function xp_body_append"),
    ];
    let mut missed = Vec::new();
    for (what, from, to) in mutations {
        assert!(good.contains(from), "mutation '{what}' no longer applies: update the test");
        let broken = good.replacen(from, to, 1);
        let p = problems_of(&broken);
        if p.is_empty() {
            missed.push(*what);
        } else {
            println!("caught '{what}': {}", p[0]);
        }
    }
    assert!(missed.is_empty(), "the checker missed: {missed:?}");
}

/// Drift on the C side (a changed prototype in the header) is caught too.
#[test]
fn header_drift_is_caught() {
    let specs = sql_call_specs(&root());
    let text = std::fs::read_to_string(root().join("include/msgraph.h")).unwrap();
    let drifts: &[(&str, &str)] = &[
        ("int32_t msgraph_xp_body_append(int32_t body,\n                               const uint8_t *chunk,\n                               int16_t chunk_ind,",
         "int32_t msgraph_xp_body_append(int32_t body,\n                               const uint8_t *chunk,\n                               int32_t chunk_ind,"),
        ("int32_t msgraph_xp_body_free(int32_t body);", "int64_t msgraph_xp_body_free(int32_t body);"),
        ("int32_t msgraph_xp_version(uint8_t *buf,", "int32_t msgraph_xp_version_v2(uint8_t *buf,"),
    ];
    for (from, to) in drifts {
        assert!(text.contains(from), "drift '{from}' no longer applies: update the test");
        let h = parse_header(&text.replacen(from, to, 1));
        let problems: Vec<String> = specs.iter().flat_map(|s| check_against_header(s, &h)).collect();
        assert!(!problems.is_empty(), "header drift not caught: {to}");
        println!("caught header drift: {}", problems[0]);
    }
}

/// The C compiler agrees: a pointer typed by each call spec accepts the
/// header's function with -Werror.
#[test]
fn c_compiler_accepts_every_call_spec_type() {
    let specs = sql_call_specs(&root());
    let dir = std::env::temp_dir().join(format!("msgraph-callspec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("typecheck.c");
    std::fs::write(&src, generate_c_typecheck(&specs)).unwrap();
    let out = Command::new("gcc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-c", "-o"])
        .arg(dir.join("typecheck.o"))
        .arg("-I")
        .arg(root().join("include"))
        .arg(&src)
        .output()
        .expect("gcc runs");
    assert!(out.status.success(), "gcc rejected the call-spec types:\n{}", String::from_utf8_lossy(&out.stderr));
    // And it does reject a wrong one.
    let bad = generate_c_typecheck(&specs).replacen("int16_t", "int32_t", 1);
    std::fs::write(&src, bad).unwrap();
    let out = Command::new("gcc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-c", "-o"])
        .arg(dir.join("typecheck.o"))
        .arg("-I")
        .arg(root().join("include"))
        .arg(&src)
        .output()
        .unwrap();
    assert!(!out.status.success(), "gcc accepted a mistyped call spec");
    let _ = std::fs::remove_dir_all(&dir);
}

// The PL/SQL syntax and semantics of sql/ are checked by tests/plsql_gate.rs
// (tools/plsql-gate: ANTLR grammars-v4's PL/SQL grammar).
