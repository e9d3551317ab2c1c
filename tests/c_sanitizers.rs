//! The C programs (tests/c/test_msgraph.c, examples/quickstart.c) built with
//! gcc's AddressSanitizer and UndefinedBehaviorSanitizer
//! (`-fsanitize=address,undefined -fno-sanitize-recover=all`) against
//! libmsgraph.so, run against the emulator. Leak detection (LeakSanitizer)
//! stays on, with no suppressions: the library's process-wide state (client
//! pool, token cache, result table) stays reachable from its statics, which
//! LeakSanitizer does not report.
//!
//! Skipped with a message when gcc's sanitizer runtimes (libasan, libubsan)
//! are missing; required when MSGRAPH_REQUIRE_SANITIZERS=1.

mod common;
use common::cprog::*;
use std::process::Command;

const SANITIZE: &[&str] = &["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"];
/// Any sanitizer report fails the program with this exit code.
const ASAN_EXIT: i32 = 86;

/// True when gcc can build and run a sanitized program here.
fn sanitizers_available() -> bool {
    let dir = std::env::temp_dir().join(common::unique("msgraph-san-probe"));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("probe.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").unwrap();
    let exe = dir.join("probe");
    let built = Command::new("gcc").args(SANITIZE).arg(&src).arg("-o").arg(&exe).output().is_ok_and(|o| o.status.success());
    let ran = built && Command::new(&exe).output().is_ok_and(|o| o.status.success());
    std::fs::remove_dir_all(&dir).ok();
    if !ran {
        if std::env::var("MSGRAPH_REQUIRE_SANITIZERS").as_deref() == Ok("1") {
            panic!("gcc's AddressSanitizer/UndefinedBehaviorSanitizer runtimes are required (MSGRAPH_REQUIRE_SANITIZERS=1) but -fsanitize=address,undefined does not build or run");
        }
        eprintln!("gcc cannot build with -fsanitize=address,undefined (libasan/libubsan missing): skipped (set MSGRAPH_REQUIRE_SANITIZERS=1 to require it)");
    }
    ran
}

/// Runs a sanitized program with reports made fatal and leak detection on.
fn run_sanitized(exe: &std::path::Path, args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = Command::new(exe)
        .args(args)
        .env("ASAN_OPTIONS", format!("detect_leaks=1:halt_on_error=1:exitcode={ASAN_EXIT}:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1"))
        .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        .env("LSAN_OPTIONS", format!("exitcode={ASAN_EXIT}"))
        .output()
        .expect("program runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn assert_no_reports(out: &str) {
    for marker in ["ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: "] {
        assert!(!out.contains(marker), "sanitizer report ({marker}):\n{out}");
    }
}

#[test]
fn c_test_program_is_clean_under_asan_and_ubsan() {
    if !sanitizers_available() {
        return;
    }
    let s = setup("asan");
    let exe = s.dir.join("test_msgraph_asan");
    compile_with("tests/c/test_msgraph.c", &exe, SANITIZE);
    let (code, out) = run_sanitized(&exe, &[s.creds.as_os_str()]);
    println!("{out}");
    assert_no_reports(&out);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(" passed, 0 failed"), "{out}");
    std::fs::remove_dir_all(&s.dir).ok();
}

#[test]
fn quickstart_example_is_clean_under_asan_and_ubsan() {
    if !sanitizers_available() {
        return;
    }
    let s = setup("asan-quickstart");
    let exe = s.dir.join("quickstart_asan");
    compile_with("examples/quickstart.c", &exe, SANITIZE);
    let (code, out) = run_sanitized(&exe, &[s.creds.as_os_str(), "emulator".as_ref()]);
    assert_no_reports(&out);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("users: 250 (in 3 pages)"), "{out}");
    // The failure path too: a refused token, reported and freed.
    let (code, out) = run_sanitized(&exe, &[s.creds.as_os_str(), "wrong-secret".as_ref()]);
    assert_no_reports(&out);
    assert!(code != Some(0) && code != Some(ASAN_EXIT), "exit {code:?}: {out}");
    assert!(out.contains("MSGRAPH_ERR_AUTH"), "{out}");
    std::fs::remove_dir_all(&s.dir).ok();
}

#[test]
fn sanitizer_reports_are_caught() {
    // The harness itself: a heap overflow, a leak and undefined behaviour in
    // a sanitized program must each fail it (leak detection really is on).
    if !sanitizers_available() {
        return;
    }
    let dir = std::env::temp_dir().join(common::unique("msgraph-san-bad"));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, body, report) in [
        ("overflow", "char *p = malloc(4); p[c + 3] = 1; int r = p[0]; free(p); return r;", "heap-buffer-overflow"),
        ("leak", "void *p = malloc(64 + c); p = 0; return p != 0;", "detected memory leaks"),
        ("ub", "int x = 2147483647; x += c; return x == 0;", "signed integer overflow"),
    ] {
        let src = dir.join(format!("{name}.c"));
        std::fs::write(&src, format!("#include <stdlib.h>\nint main(int c, char **v) {{ (void)v; {body} }}\n")).unwrap();
        let exe = dir.join(name);
        assert!(Command::new("gcc").args(SANITIZE).arg(&src).arg("-o").arg(&exe).status().unwrap().success());
        let (code, out) = run_sanitized(&exe, &[]);
        assert_ne!(code, Some(0), "{name}: {out}");
        assert!(out.contains(report), "{name}: {out}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
