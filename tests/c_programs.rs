//! Builds the C programs (tests/c/*.c and examples/*.c) against
//! include/msgraph.h and libmsgraph.so with -Wall -Wextra -Wpedantic
//! -Werror, and runs them against the emulator: plainly, and under valgrind
//! memcheck when valgrind is installed (required when
//! MSGRAPH_REQUIRE_VALGRIND=1, as .ci/run sets it).

mod common;
use common::*;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>/, where cargo puts libmsgraph.so.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn newest_source(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let t = if p.is_dir() { newest_source(&p) } else { e.metadata().unwrap().modified().unwrap() };
        newest = newest.max(t);
    }
    newest
}

/// The shared library, refusing a stale one: `cargo test` does not rebuild
/// the cdylib, README's test command builds it first.
fn library() -> PathBuf {
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

fn compile(source: &str, out: &Path) {
    library();
    let status = Command::new("gcc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-g", "-O1"])
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
    assert!(status.success(), "{source} compiles cleanly with -Wall -Wextra -Wpedantic -Werror");
}

struct Setup {
    _emu: Emulator,
    dir: PathBuf,
    creds: PathBuf,
}

fn setup(tag: &str) -> Setup {
    use std::os::unix::fs::PermissionsExt;
    let emu = emulator();
    let dir = std::env::temp_dir().join(unique(&format!("msgraph-c-{tag}")));
    std::fs::create_dir_all(&dir).unwrap();
    let mut wrong = emu.credential_json();
    wrong["client_secret"] = json!(msgraph_emulator::CLIENT_SECRET_ID);
    let creds = dir.join("credentials.json");
    std::fs::write(&creds, json!({"emulator": emu.credential_json(), "wrong-secret": wrong}).to_string()).unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    Setup { _emu: emu, dir, creds }
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("program runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn valgrind() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("valgrind")).find(|p| p.is_file()));
    if found.is_none() && std::env::var("MSGRAPH_REQUIRE_VALGRIND").as_deref() == Ok("1") {
        panic!("valgrind is required (MSGRAPH_REQUIRE_VALGRIND=1) but not installed");
    }
    found
}

#[test]
fn c_test_program_passes() {
    let s = setup("plain");
    let exe = s.dir.join("test_msgraph");
    compile("tests/c/test_msgraph.c", &exe);
    let (ok, out) = run(Command::new(&exe).arg(&s.creds));
    println!("{out}");
    assert!(ok, "{out}");
    assert!(out.contains(" passed, 0 failed"), "{out}");
    std::fs::remove_dir_all(&s.dir).ok();
}

#[test]
fn c_test_program_is_clean_under_valgrind() {
    let Some(vg) = valgrind() else {
        eprintln!("valgrind not installed: skipped (set MSGRAPH_REQUIRE_VALGRIND=1 to require it)");
        return;
    };
    let s = setup("valgrind");
    let exe = s.dir.join("test_msgraph");
    compile("tests/c/test_msgraph.c", &exe);
    let log = s.dir.join("valgrind.log");
    let (ok, out) = run(Command::new(vg)
        .args(["--tool=memcheck", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99"])
        .arg(format!("--log-file={}", log.display()))
        .arg(&exe)
        .arg(&s.creds));
    let report = std::fs::read_to_string(&log).unwrap_or_default();
    println!("{out}\n{report}");
    assert!(ok, "valgrind found errors or leaks:\n{report}");
    assert!(report.contains("ERROR SUMMARY: 0 errors"), "{report}");
    assert!(report.contains("definitely lost: 0 bytes") || report.contains("All heap blocks were freed"), "{report}");
    assert!(out.contains(" passed, 0 failed"), "{out}");
    std::fs::remove_dir_all(&s.dir).ok();
}

#[test]
fn quickstart_example_runs() {
    let s = setup("quickstart");
    let exe = s.dir.join("quickstart");
    compile("examples/quickstart.c", &exe);
    let (ok, out) = run(Command::new(&exe).arg(&s.creds).arg("emulator"));
    assert!(ok, "{out}");
    assert!(out.contains("users: 250 (in 3 pages)"), "{out}");
    assert!(out.contains("User.Read.All"), "roles printed: {out}");
    let (ok, out) = run(Command::new(&exe).arg(&s.creds).arg("wrong-secret"));
    assert!(!ok);
    assert!(out.contains("MSGRAPH_ERR_AUTH"), "{out}");
    std::fs::remove_dir_all(&s.dir).ok();
}
