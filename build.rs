//! Writes include/msgraph.h from the Rust sources with cbindgen. The header
//! is committed; CI regenerates it and fails if it differs.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let config = cbindgen::Config::from_file(format!("{dir}/cbindgen.toml")).expect("cbindgen.toml is valid");
    match cbindgen::Builder::new().with_crate(&dir).with_config(config).generate() {
        Ok(bindings) => {
            bindings.write_to_file(format!("{dir}/include/msgraph.h"));
        }
        Err(e) => panic!("cbindgen could not generate include/msgraph.h: {e}"),
    }
}
