//! include/msgraph.h carries the whole contract: every credential key and
//! every option key the library accepts (read from the Rust lists that the
//! parsers check against) is documented at the function that takes it, and
//! the version-number macro is usable by the preprocessor.

use std::path::Path;

fn header() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/msgraph.h")).unwrap()
}

/// The doc comment right before `<type> name(` in the header.
fn doc_of(header: &str, function: &str) -> String {
    let proto = header
        .find(&format!(" {function}("))
        .or_else(|| header.find(&format!("*{function}(")))
        .unwrap_or_else(|| panic!("{function} is not in the header"));
    let before = &header[..proto];
    let start = before.rfind("/**").unwrap_or_else(|| panic!("{function} has no doc comment"));
    let end = before.rfind("*/").unwrap();
    assert!(end > start, "{function}: the doc comment does not stand right before it");
    before[start..end].to_string()
}

fn undocumented(doc: &str, keys: &[&str]) -> Vec<String> {
    keys.iter().filter(|k| !doc.contains(&format!("\"{k}\""))).map(|k| k.to_string()).collect()
}

#[test]
fn every_key_is_documented_where_it_is_accepted() {
    let h = header();
    // msgraph_xp_credential_set refers to msgraph_credential_set's list.
    let cases: [(&str, &[&str]); 4] = [
        ("msgraph_credential_set", msgraph::config::KEYS),
        ("msgraph_request", msgraph::options::REQUEST_KEYS),
        ("msgraph_batch", msgraph::options::BATCH_KEYS),
        ("msgraph_token_info", msgraph::options::TOKEN_INFO_KEYS),
    ];
    let mut problems = Vec::new();
    for (function, keys) in cases {
        assert!(!keys.is_empty());
        let missing = undocumented(&doc_of(&h, function), keys);
        if !missing.is_empty() {
            problems.push(format!("{function}: {}", missing.join(", ")));
        }
    }
    assert!(problems.is_empty(), "keys accepted but not documented in include/msgraph.h:\n{}", problems.join("\n"));
    // The check itself sees a missing key.
    assert_eq!(undocumented("\"tenant_id\" and \"scope\"", &["tenant_id", "scope", "proxy"]), vec!["proxy"]);
    assert!(doc_of(&h, "msgraph_credential_set").contains("\"mailbox_concurrency\""));
}

#[test]
fn the_version_number_macro_works_in_the_preprocessor() {
    let Ok(cc) = std::process::Command::new("cc").arg("--version").output() else {
        eprintln!("no C compiler: skipped");
        return;
    };
    assert!(cc.status.success());
    let v: Vec<u32> = env!("CARGO_PKG_VERSION").split('.').map(|p| p.parse().unwrap()).collect();
    let expected = (v[0] << 16) | (v[1] << 8) | v[2];
    let dir = std::env::temp_dir().join(format!("msgraph-header-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("version.c");
    std::fs::write(
        &src,
        format!(
            "#include \"msgraph.h\"\n#if MSGRAPH_VERSION_NUMBER != {expected:#08x}\n#error wrong MSGRAPH_VERSION_NUMBER\n#endif\nint main(void) {{ return 0; }}\n"
        ),
    )
    .unwrap();
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let out = std::process::Command::new("cc").arg("-fsyntax-only").arg("-I").arg(&include).arg(&src).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn result_handles_have_their_typedef() {
    let h = header();
    assert!(h.contains("typedef int32_t msgraph_result;"));
    for f in ["msgraph_request(", "msgraph_batch(", "msgraph_token_info(", "msgraph_credentials_list(", "msgraph_sync_round("] {
        assert!(h.contains(&format!("msgraph_result {f}")), "{f} returns a msgraph_result");
    }
    for f in ["msgraph_result_status", "msgraph_result_body", "msgraph_result_free", "msgraph_result_json"] {
        assert!(h.contains(&format!("{f}(msgraph_result result")), "{f} takes a msgraph_result");
    }
    // The Oracle entry points keep the INT the call specs map to.
    assert!(h.contains("int32_t msgraph_xp_result_read(int32_t result,"));
    let Ok(cc) = std::process::Command::new("cc").arg("--version").output() else {
        eprintln!("no C compiler: skipped");
        return;
    };
    assert!(cc.status.success());
    let dir = std::env::temp_dir().join(format!("msgraph-typedef-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("typedef.c");
    std::fs::write(
        &src,
        "#include \"msgraph.h\"\n_Static_assert(sizeof(msgraph_result) == sizeof(int32_t), \"an int32_t\");\nint main(void) { msgraph_result r = msgraph_request(\"c\", \"GET\", \"/me\", 0, 0); int32_t s = msgraph_result_status(r); return s + msgraph_result_free(r); }\n",
    )
    .unwrap();
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let out = std::process::Command::new("cc").args(["-fsyntax-only", "-Wall", "-Werror", "-std=c11", "-I"]).arg(&include).arg(&src).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}
