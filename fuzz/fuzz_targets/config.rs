//! The credential configuration parser (msgraph_credential_set's JSON), and
//! the http-only-for-loopback rule on what it accepts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use msgraph::__private::config::CredentialConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(cfg) = CredentialConfig::from_json_text(text) {
        for u in [&cfg.graph_base_url, &cfg.token_url] {
            if u.scheme() == "http" {
                assert!(msgraph::__private::config::is_loopback(u), "plain http accepted for a non-loopback host: {u}");
            }
        }
        let _ = cfg.graph_base();
    }
});
