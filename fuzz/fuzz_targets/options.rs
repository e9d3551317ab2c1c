//! The call options parser (request and batch) and token_info's.
#![no_main]
use libfuzzer_sys::fuzz_target;
use msgraph::__private::config::CredentialConfig;
use msgraph::__private::options::{CallOptions, TokenInfoOptions};
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static CFG: OnceLock<CredentialConfig> = OnceLock::new();
    let cfg = CFG.get_or_init(|| {
        CredentialConfig::from_json_text(r#"{"tenant_id":"t","client_id":"c","client_secret":"s"}"#).unwrap()
    });
    let Ok(text) = std::str::from_utf8(data) else { return };
    for batch in [false, true] {
        if let Ok(o) = CallOptions::parse(Some(text), cfg, batch) {
            assert!((1..=16).contains(&o.concurrency));
            assert!(o.max_retries <= 10);
            assert!(o.max_items.is_none() || o.all_pages);
            for (k, v) in &o.headers {
                assert!(!k.eq_ignore_ascii_case("authorization"), "Authorization is the library's");
                assert!(!k.contains(['\r', '\n']) && !v.contains(['\r', '\n']), "header injection: {k:?}: {v:?}");
            }
        }
    }
    let _ = TokenInfoOptions::parse(Some(text));
});
