//! msgraph-emulator [--bind 127.0.0.1] [--port 0] [--tls] [--http1-only] [--ca-out FILE] [--users N]
//!                  [--port-file FILE] [--credentials-out FILE] [--quiet]
//!                  [--cert FILE --key FILE] [--cert-out DIR] [--faults FILE|JSON]

use msgraph_emulator::{Emulator, Options};
use std::io::Write;
use std::net::IpAddr;

fn usage() -> ! {
    eprintln!("usage: msgraph-emulator [--bind 127.0.0.1] [--port 0] [--tls] [--http1-only] [--ca-out FILE] [--users N] [--port-file FILE] [--credentials-out FILE] [--quiet] [--cert FILE --key FILE] [--cert-out DIR] [--faults FILE|JSON]");
    std::process::exit(2);
}

fn write_atomic(path: &str, data: &[u8], private: bool) -> std::io::Result<()> {
    let tmp = format!("{path}.tmp.{}", std::process::id());
    {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(if private { 0o600 } else { 0o644 });
        }
        let mut f = o.open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

fn main() {
    let mut opts = Options::default();
    let (mut ca_out, mut port_file, mut creds_out, mut quiet) = (None, None, None, false);
    let (mut cert_in, mut key_in, mut cert_out, mut faults) = (None::<String>, None::<String>, None::<String>, None::<String>);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().unwrap_or_else(|| {
            eprintln!("msgraph-emulator: {name} needs a value");
            usage()
        });
        match a.as_str() {
            "--bind" => {
                let v = val("--bind");
                let ip: IpAddr = match v.parse() {
                    Ok(ip) => ip,
                    Err(_) if v == "localhost" => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                    Err(_) => {
                        eprintln!("msgraph-emulator: invalid --bind address '{v}'");
                        std::process::exit(2);
                    }
                };
                if !ip.is_loopback() {
                    eprintln!("msgraph-emulator: refusing to bind non-loopback address {ip}");
                    std::process::exit(2);
                }
                opts.bind = ip;
            }
            "--port" => opts.port = val("--port").parse().unwrap_or_else(|_| usage()),
            "--users" => opts.users = val("--users").parse().unwrap_or_else(|_| usage()),
            "--tls" => opts.tls = true,
            "--http1-only" => opts.http1_only = true,
            "--ca-out" => ca_out = Some(val("--ca-out")),
            "--port-file" => port_file = Some(val("--port-file")),
            "--credentials-out" => creds_out = Some(val("--credentials-out")),
            "--quiet" | "-q" => quiet = true,
            "--cert" => cert_in = Some(val("--cert")),
            "--key" => key_in = Some(val("--key")),
            "--cert-out" => cert_out = Some(val("--cert-out")),
            "--faults" => faults = Some(val("--faults")),
            "--help" | "-h" => usage(),
            other => {
                eprintln!("msgraph-emulator: unknown argument '{other}'");
                usage()
            }
        }
    }
    if ca_out.is_some() && !opts.tls {
        opts.tls = true;
    }
    let read = |p: &str| {
        std::fs::read_to_string(p).unwrap_or_else(|e| {
            eprintln!("msgraph-emulator: cannot read {p}: {e}");
            std::process::exit(2);
        })
    };
    match (&cert_in, &key_in) {
        (Some(c), Some(k)) => {
            opts.app_cert_pem = Some(read(c));
            opts.app_key_pem = Some(read(k));
        }
        (None, None) => {}
        _ => {
            eprintln!("msgraph-emulator: --cert and --key go together");
            std::process::exit(2);
        }
    }
    let faults: Option<serde_json::Value> = faults.map(|f| {
        let text = if f.trim_start().starts_with('{') { f.clone() } else { read(&f) };
        serde_json::from_str(&text).unwrap_or_else(|e| {
            eprintln!("msgraph-emulator: --faults is not valid JSON: {e}");
            std::process::exit(2);
        })
    });
    let emu = match Emulator::start_with_logging(opts, !quiet) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("msgraph-emulator: cannot start: {e}");
            std::process::exit(1);
        }
    };
    if let (Some(path), Some(pem)) = (&ca_out, emu.ca_pem()) {
        if let Err(e) = write_atomic(path, pem.as_bytes(), false) {
            eprintln!("msgraph-emulator: cannot write {path}: {e}");
            std::process::exit(1);
        }
    }
    if let Some(f) = &faults {
        if let Err(e) = emu.apply_faults_json(f) {
            eprintln!("msgraph-emulator: --faults: {e}");
            std::process::exit(2);
        }
    }
    if let Some(dir) = &cert_out {
        let _ = std::fs::create_dir_all(dir);
        let cert = format!("{dir}/app-cert.pem");
        let key = format!("{dir}/app-key.pem");
        for (path, data, private) in [(&cert, emu.certificate_pem(), false), (&key, emu.private_key_pem(), true)] {
            if let Err(e) = write_atomic(path, data.as_bytes(), private) {
                eprintln!("msgraph-emulator: cannot write {path}: {e}");
                std::process::exit(1);
            }
        }
    }
    if let Some(path) = &creds_out {
        let mut c = emu.credential_json();
        if let Some(dir) = &cert_out {
            let abs = |f: &str| std::fs::canonicalize(format!("{dir}/{f}")).map(|p| p.display().to_string()).unwrap_or_else(|_| format!("{dir}/{f}"));
            c["certificate_file"] = serde_json::json!(abs("app-cert.pem"));
            c["private_key_file"] = serde_json::json!(abs("app-key.pem"));
            c["certificate_thumbprint"] = serde_json::json!(emu.certificate_thumbprint());
        }
        if let Some(ca) = &ca_out {
            let abs = std::fs::canonicalize(ca).map(|p| p.display().to_string()).unwrap_or_else(|_| ca.clone());
            c["ca_file"] = serde_json::json!(abs);
        }
        let doc = serde_json::json!({"emulator": c});
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
        if let Err(e) = write_atomic(path, text.as_bytes(), true) {
            eprintln!("msgraph-emulator: cannot write {path}: {e}");
            std::process::exit(1);
        }
    }
    if let Some(path) = &port_file {
        if let Err(e) = write_atomic(path, format!("{}\n", emu.port()).as_bytes(), false) {
            eprintln!("msgraph-emulator: cannot write {path}: {e}");
            std::process::exit(1);
        }
    }
    println!("msgraph-emulator listening on {}", emu.base_url());
    let _ = std::io::stdout().flush();
    // Run until killed (SIGTERM/SIGINT end the process; the OS closes the sockets).
    loop {
        std::thread::park();
    }
}
