//! The msgraph-emulator binary: --cert-out, --cert/--key, --faults, --credentials-out.
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str], port_file: &std::path::Path) -> (Proc, u16) {
    let child = Command::new(env!("CARGO_BIN_EXE_msgraph-emulator")).args(args).arg("--quiet").arg("--port-file").arg(port_file).stdout(Stdio::null()).spawn().unwrap();
    let p = Proc(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(s) = std::fs::read_to_string(port_file) {
            return (p, s.trim().parse().unwrap());
        }
        assert!(Instant::now() < deadline, "emulator did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("msgraph-emu-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn cert_out_then_load_and_faults_flag() {
    let dir = tmpdir("certs");
    let out = dir.join("out");
    let creds = dir.join("creds.json");
    let (p1, port1) = spawn(&["--cert-out", out.to_str().unwrap(), "--credentials-out", creds.to_str().unwrap()], &dir.join("port1"));
    let cert = std::fs::read_to_string(out.join("app-cert.pem")).unwrap();
    let key = std::fs::read_to_string(out.join("app-key.pem")).unwrap();
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(out.join("app-key.pem")).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let c: Value = serde_json::from_str(&std::fs::read_to_string(&creds).unwrap()).unwrap();
    assert!(c["emulator"]["certificate_file"].as_str().unwrap().ends_with("app-cert.pem"));
    assert_eq!(c["emulator"]["certificate_thumbprint"].as_str().unwrap().len(), 40);
    assert!(port1 > 0);
    drop(p1);
    // A second process loads the same pair and applies a fault document at start.
    let (_p2, port2) = spawn(
        &["--cert", out.join("app-cert.pem").to_str().unwrap(), "--key", out.join("app-key.pem").to_str().unwrap(), "--faults", r#"{"random_faults":{"rate":1.0,"statuses":[502]}}"#],
        &dir.join("port2"),
    );
    let client = reqwest::blocking::Client::builder().no_proxy().build().unwrap();
    let r = client.get(format!("http://127.0.0.1:{port2}/v1.0/users")).send().unwrap();
    assert_eq!(r.status(), 502);
    let f: Value = client.get(format!("http://127.0.0.1:{port2}/_emulator/faults")).send().unwrap().json().unwrap();
    assert_eq!(f["random_faults"]["statuses"][0], 502);
    let _ = std::fs::remove_dir_all(&dir);
}
