//! Developer commands: `cargo xtask <command>` (an alias in .cargo/config.toml
//! for `cargo run -p xtask --`).
//!
//! - `header`: writes include/msgraph.h from the Rust declarations (src/ffi/,
//!   src/status.rs) with cbindgen and cbindgen.toml, which holds the
//!   header's preamble (the whole C contract).
//! - `header --check`: writes nothing; exits 1 when the committed header
//!   differs from a regenerated one (CI runs it).
//!
//! A command that generates more from the same declarations (e.g. Oracle call
//! specs) is one more arm in `main` and one more function beside `header`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>\n\ncommands:\n  header           write include/msgraph.h from the Rust declarations\n  header --check   exit 1 if include/msgraph.h differs from a regenerated one\n  help             this text\n";

/// The workspace root (this crate lives in `<root>/xtask`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits inside the workspace").to_path_buf()
}

/// The header as generated from the library crate at `root`.
pub fn generate_header(root: &Path) -> Result<String, String> {
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).map_err(|e| format!("cbindgen.toml: {e}"))?;
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .map_err(|e| format!("cbindgen could not generate the header: {e}"))?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).map_err(|_| "cbindgen wrote a header that is not UTF-8".to_string())
}

fn header(check: bool) -> Result<(), String> {
    let root = root();
    let path = root.join("include/msgraph.h");
    let fresh = generate_header(&root)?;
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if check {
        if fresh != committed {
            let line = fresh.lines().zip(committed.lines()).position(|(a, b)| a != b).map_or_else(
                || fresh.lines().count().min(committed.lines().count()) + 1,
                |i| i + 1,
            );
            return Err(format!(
                "include/msgraph.h differs from the regenerated header (first at line {line}): run `cargo xtask header` and commit it"
            ));
        }
        println!("include/msgraph.h matches the Rust declarations");
    } else if fresh != committed {
        std::fs::write(&path, fresh).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    } else {
        println!("{} is up to date", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = match words.as_slice() {
        ["header"] => header(false),
        ["header", "--check"] => header(true),
        ["help"] | ["--help"] | ["-h"] => {
            print!("{USAGE}");
            Ok(())
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(1);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test --workspace` catches a stale header too, not only CI.
    #[test]
    fn the_committed_header_is_the_generated_one() {
        let root = root();
        let fresh = generate_header(&root).unwrap();
        let committed = std::fs::read_to_string(root.join("include/msgraph.h")).unwrap();
        assert!(fresh == committed, "include/msgraph.h is stale: run `cargo xtask header` and commit it");
    }
}
