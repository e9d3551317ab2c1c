//! Building and running C programs against libmsgraph and the emulator.
#![allow(dead_code)]

use super::*;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>/, where cargo puts libmsgraph.so.
pub fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

pub fn newest_source(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.ends_with("bin") {
            continue; // programs, not the library
        }
        let t = if p.is_dir() { newest_source(&p) } else { e.metadata().unwrap().modified().unwrap() };
        newest = newest.max(t);
    }
    newest
}

/// The shared library, refusing a stale one: `cargo test` does not rebuild
/// the cdylib, README's test command builds it first.
pub fn library() -> PathBuf {
    let so = lib_dir().join("libmsgraph.so");
    let built = std::fs::metadata(&so)
        .unwrap_or_else(|_| panic!("{} is missing: run `cargo build --lib` first (README's test command does)", so.display()))
        .modified()
        .unwrap();
    assert!(
        built >= newest_source(&root().join("src")),
        "{} is older than src/: run `cargo build --lib` first (README's test command does)",
        so.display()
    );
    so
}

pub fn compile(source: &str, out: &Path) {
    compile_with(source, out, &[]);
}

/// Like [`compile`], with extra gcc flags (e.g. `-fsanitize=address,undefined`),
/// given before the source so they apply to compiling and linking.
pub fn compile_with(source: &str, out: &Path, extra: &[&str]) {
    library();
    let status = Command::new("gcc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-g", "-O1"])
        .args(extra)
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join(source))
        .arg("-L")
        .arg(lib_dir())
        .args(["-lmsgraph", "-lpthread"])
        .arg(format!("-Wl,-rpath,{}", lib_dir().display()))
        .arg("-o")
        .arg(out)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "{source} compiles cleanly with -Wall -Wextra -Wpedantic -Werror {}", extra.join(" "));
}

pub struct Setup {
    pub emu: Emulator,
    pub dir: PathBuf,
    pub creds: PathBuf,
}

pub fn setup(tag: &str) -> Setup {
    use std::os::unix::fs::PermissionsExt;
    let emu = emulator();
    let dir = std::env::temp_dir().join(unique(&format!("msgraph-c-{tag}")));
    std::fs::create_dir_all(&dir).unwrap();
    let mut wrong = emu.credential_json();
    wrong["client_secret"] = json!(msgraph_emulator::CLIENT_SECRET_ID);
    let creds = dir.join("credentials.json");
    std::fs::write(&creds, json!({"emulator": emu.credential_json(), "wrong-secret": wrong}).to_string()).unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    Setup { emu, dir, creds }
}

pub fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("program runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

pub fn valgrind() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("valgrind")).find(|p| p.is_file()));
    if found.is_none() && std::env::var("MSGRAPH_REQUIRE_VALGRIND").as_deref() == Ok("1") {
        panic!("valgrind is required (MSGRAPH_REQUIRE_VALGRIND=1) but not installed");
    }
    found
}

