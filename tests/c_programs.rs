//! Builds the C programs (tests/c/*.c and examples/*.c) against
//! include/msgraph.h and libmsgraph.so with -Wall -Wextra -Wpedantic
//! -Werror, and runs them against the emulator: plainly, and under valgrind
//! memcheck when valgrind is installed (required when
//! MSGRAPH_REQUIRE_VALGRIND=1, as .ci/run sets it).

mod common;
use common::cprog::*;
use std::process::Command;

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
