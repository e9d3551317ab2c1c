//! No export without the boundary: every `extern "C" fn` under src/ffi/ is
//! `pub`, `#[no_mangle]` (so cbindgen and the call-spec generator see it)
//! and has a body that is exactly one `ffi_fn!` (src/ffi/boundary.rs), the
//! panic and error boundary whose fallback follows from the return type.
//! A hand-written `catch_unwind` or a bare body fails here.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn has_attr(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| match &a.meta {
        syn::Meta::Path(p) => p.is_ident(name),
        // #[unsafe(no_mangle)] (edition 2024 spelling).
        syn::Meta::List(l) => l.path.is_ident("unsafe") && l.tokens.to_string() == name,
        _ => false,
    })
}

/// Whether a body is one `ffi_fn!(…)` and nothing else.
fn is_boundary(block: &syn::Block) -> bool {
    let is_ffi_fn = |m: &syn::Macro| m.path.is_ident("ffi_fn");
    match block.stmts.as_slice() {
        [syn::Stmt::Macro(m)] => m.semi_token.is_none() && is_ffi_fn(&m.mac),
        [syn::Stmt::Expr(syn::Expr::Macro(m), None)] => is_ffi_fn(&m.mac),
        _ => false,
    }
}

#[derive(Default)]
struct Found {
    exports: Vec<String>,
    problems: Vec<String>,
}

fn check_fn(file: &Path, attrs: &[syn::Attribute], vis: &syn::Visibility, sig: &syn::Signature, block: &syn::Block, found: &mut Found) {
    let name = sig.ident.to_string();
    let is_extern = sig.abi.is_some();
    let no_mangle = has_attr(attrs, "no_mangle") || attrs.iter().any(|a| a.path().is_ident("export_name"));
    let at = format!("{}: {name}", file.display());
    if !is_extern {
        if no_mangle {
            found.problems.push(format!("{at}: #[no_mangle] on a function that is not extern \"C\""));
        }
        return;
    }
    found.exports.push(name);
    if !no_mangle {
        found.problems.push(format!("{at}: extern \"C\" without #[no_mangle] (cbindgen would skip it)"));
    }
    if !matches!(vis, syn::Visibility::Public(_)) {
        found.problems.push(format!("{at}: extern \"C\" fn is not pub"));
    }
    if !is_boundary(block) {
        found.problems.push(format!("{at}: the body is not exactly one ffi_fn!({{ … }})"));
    }
}

fn walk(file: &Path, items: &[syn::Item], found: &mut Found) {
    for item in items {
        match item {
            syn::Item::Fn(f) => check_fn(file, &f.attrs, &f.vis, &f.sig, &f.block, found),
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    walk(file, inner, found);
                }
            }
            syn::Item::Impl(i) => {
                for it in &i.items {
                    if let syn::ImplItem::Fn(f) = it {
                        check_fn(file, &f.attrs, &f.vis, &f.sig, &f.block, found);
                    }
                }
            }
            _ => {}
        }
    }
}

fn scan(dir: &Path) -> Found {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    files.sort();
    let mut found = Found::default();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        walk(f, &ast.items, &mut found);
    }
    found
}

#[test]
fn every_export_runs_inside_the_boundary() {
    let found = scan(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ffi"));
    assert!(found.problems.is_empty(), "exports without the boundary:\n{}", found.problems.join("\n"));
    // The scan sees the exports at all: the header lists the same names.
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/msgraph.h")).unwrap();
    assert!(found.exports.len() >= 40, "{} exports found", found.exports.len());
    for name in &found.exports {
        let declared = header.lines().any(|l| !l.trim_start().starts_with('*') && (l.contains(&format!(" {name}(")) || l.contains(&format!("*{name}("))));
        assert!(declared, "{name} is not declared in include/msgraph.h");
    }
}

#[test]
fn the_check_catches_an_export_without_it() {
    let dir = std::env::temp_dir().join(format!("msgraph-boundary-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("sub/bad.rs"),
        r#"
#[no_mangle]
pub extern "C" fn bare(x: i32) -> i32 { x }
#[no_mangle]
pub extern "C" fn hand_guard() -> i32 { std::panic::catch_unwind(|| 0).unwrap_or(-99) }
pub extern "C" fn unmangled() -> i32 { ffi_fn!({ Ok(0) }) }
#[no_mangle]
extern "C" fn private() -> i32 { ffi_fn!({ Ok(0) }) }
#[no_mangle]
pub extern "C" fn extra() -> i32 { let _a = 1; ffi_fn!({ Ok(0) }) }
#[no_mangle]
pub extern "C" fn good() -> i32 { ffi_fn!({ Ok(0) }) }
#[no_mangle]
pub extern "C" fn good_fallback() -> *const u8 { ffi_fn!(panic = b"\0".as_ptr(), { Ok(b"\0".as_ptr()) }) }
mod inner { #[no_mangle] fn not_extern() {} }
"#,
    )
    .unwrap();
    let found = scan(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    let flagged = |name: &str| found.problems.iter().any(|p| p.contains(&format!(": {name}:")));
    for bad in ["bare", "hand_guard", "unmangled", "private", "extra", "not_extern"] {
        assert!(flagged(bad), "{bad} not flagged: {:?}", found.problems);
    }
    assert!(!flagged("good") && !flagged("good_fallback"), "{:?}", found.problems);
}
