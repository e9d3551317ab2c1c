//! Microsoft's own clients (msal, azure-identity, msgraph-sdk for Python) against the
//! emulator in TLS mode: tests/conformance/clients.py. The clients come from PyPI via
//! tools/install-conformance.sh into a private venv; without it this test skips with a
//! message, unless MSGRAPH_REQUIRE_CONFORMANCE=1 (set by .ci/run), where it fails.
use msgraph_emulator::*;
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;

fn venv_python() -> PathBuf {
    let venv = std::env::var_os("MSGRAPH_CONFORMANCE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/msgraph-conformance-venv"));
    venv.join("bin/python")
}

#[test]
fn microsoft_clients_conform() {
    let py = venv_python();
    if !py.exists() {
        let msg = format!("conformance clients not installed ({} missing): run tools/install-conformance.sh", py.display());
        if std::env::var("MSGRAPH_REQUIRE_CONFORMANCE").as_deref() == Ok("1") {
            panic!("{msg} (MSGRAPH_REQUIRE_CONFORMANCE=1)");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    }
    let emu = Emulator::start(Options { tls: true, ..Options::default() }).expect("start emulator");
    let dir = std::env::temp_dir().join(format!("msgraph-conformance-{}-{}", std::process::id(), emu.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca, cert, key, creds) = (dir.join("ca.pem"), dir.join("app-cert.pem"), dir.join("app-key.pem"), dir.join("credentials.json"));
    std::fs::write(&ca, emu.ca_pem().expect("tls mode")).unwrap();
    std::fs::write(&cert, emu.certificate_pem()).unwrap();
    std::fs::write(&key, emu.private_key_pem()).unwrap();
    let mut c = emu.credential_json();
    c["ca_file"] = json!(ca.to_string_lossy());
    c["certificate_file"] = json!(cert.to_string_lossy());
    c["private_key_file"] = json!(key.to_string_lossy());
    c["certificate_thumbprint"] = json!(emu.certificate_thumbprint());
    std::fs::write(&creds, serde_json::to_vec_pretty(&json!({ "emulator": c })).unwrap()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/clients.py");
    let out = Command::new(&py).arg(&script).arg(&creds).env("PYTHONDONTWRITEBYTECODE", "1").output().expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "conformance script failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    let oks = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(stdout.contains("all conformance checks passed") && oks >= 17, "only {oks} checks ran:\n{stdout}");
    // The clients really met this emulator: tokens by secret and by certificate, Graph calls, one $batch.
    let st = emu.stats();
    assert!(st.token_requests >= 5, "token requests: {}", st.token_requests);
    assert!(st.batch_requests >= 1, "batch requests: {}", st.batch_requests);
    assert!(st.tokens_issued_assertion >= 3, "certificate tokens: {}", st.tokens_issued_assertion);
    assert!(st.tokens_issued_secret >= 3, "secret tokens: {}", st.tokens_issued_secret);
    eprintln!("{stdout}");
}
