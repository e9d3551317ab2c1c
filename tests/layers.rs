//! The safe core reads in one direction (issue 14):
//!
//! status ← error ← transport ← config ← credentials ← token ← graph ←
//! {paging, batch} ← api ← ffi
//!
//! with the small helpers placed between them in [`LAYERS`]. This test reads
//! every `crate::NAME` path in src/ (a module `m` is `src/m.rs` plus
//! `src/m/**.rs`), outside comments, and fails when a module names one of a
//! higher layer, or when the module graph has a cycle (which a same-layer
//! pair could still make). A module not in [`LAYERS`] fails too: a new
//! module must be given its place.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lowest first. A module may name modules of its own layer or lower ones.
const LAYERS: &[&[&str]] = &[
    &["status", "sync", "ids"],
    &["secret", "json_pointer", "retry", "mailbox", "jwt"],
    &["error"],
    // `outcome`: what a result means (reason, ORA- number, message, hint),
    // decided once for the C API, the entry points and the CLI; `charset`,
    // `json_text` and `upload` serve the Oracle entry points.
    &["outcome", "charset", "json_text", "upload"],
    &["secure_file"],
    &["transport"],
    &["response"],
    &["assertion"],
    &["config"],
    &["options", "credentials"],
    &["policy"],
    &["token"],
    &["graph"],
    &["paging", "batch"],
    &["results"],
    &["api"],
    &["sync_round"],
    &["ffi"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The modules a source text names as `crate::NAME` (also inside
/// `crate::{a, b::c}` groups), comments left out.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            // `foo_crate::` is not `crate::`.
            let before = rest[..i].chars().last();
            rest = &rest[i + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() {
                        out.insert(name);
                    }
                }
            } else {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

/// module → the crate's modules it names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_str().unwrap().to_string();
        if first == "bin" || first == "lib.rs" {
            continue; // the CLI is another crate; lib.rs only declares
        }
        let module = first.trim_end_matches(".rs").to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        let names = g.entry(module.clone()).or_default();
        for n in named_modules(&text) {
            if n != module {
                names.insert(n);
            }
        }
    }
    // Only the crate's own modules count (`crate::MSGRAPH_OK` and macros are
    // items of lib.rs, not modules).
    let modules: BTreeSet<String> = g.keys().cloned().collect();
    for names in g.values_mut() {
        names.retain(|n| modules.contains(n));
    }
    g
}

#[test]
fn the_scanner_sees_imports() {
    let n = named_modules("use crate::error::{Error, Result};\nuse crate::{a, b::c};\n// use crate::hidden\nlet x = crate::ids::guid(); my_crate::no");
    assert_eq!(n.into_iter().collect::<Vec<_>>(), ["a", "b", "error", "ids"]);
    let g = graph();
    assert!(g["transport"].contains("error"), "{:?}", g["transport"]);
    assert!(g["api"].contains("graph"), "{:?}", g["api"]);
    assert!(g["ffi"].len() > 5, "{:?}", g["ffi"]);
}

#[test]
fn every_module_is_placed_and_reads_downward() {
    let g = graph();
    let mut wrong = Vec::new();
    for (m, names) in &g {
        let Some(lm) = layer_of(m) else {
            wrong.push(format!("module {m} has no layer in tests/layers.rs LAYERS"));
            continue;
        };
        for n in names {
            match layer_of(n) {
                Some(ln) if ln <= lm => {}
                Some(_) => wrong.push(format!("{m} names {n}, a higher layer")),
                None => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_module_graph_has_no_cycle() {
    let g = graph();
    // Depth-first search with colours; reports the first cycle found.
    fn visit(m: &str, g: &BTreeMap<String, BTreeSet<String>>, state: &mut BTreeMap<String, u8>, path: &mut Vec<String>) -> Option<Vec<String>> {
        match state.get(m) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|p| p == m).unwrap();
                let mut c = path[start..].to_vec();
                c.push(m.to_string());
                return Some(c);
            }
            _ => {}
        }
        state.insert(m.to_string(), 1);
        path.push(m.to_string());
        for n in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(n, g, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in g.keys() {
        if let Some(c) = visit(m, &g, &mut state, &mut Vec::new()) {
            panic!("import cycle: {}", c.join(" → "));
        }
    }
}
