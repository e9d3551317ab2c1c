//! URL handling: msgraph::__private::graph::resolve with a registered credential. The
//! invariant: whatever it accepts is on the credential's Graph origin (the
//! bearer token never goes elsewhere).
#![no_main]
use libfuzzer_sys::fuzz_target;
use msgraph::__private::config::CredentialConfig;
use std::sync::{Arc, OnceLock};

fuzz_target!(|data: &[u8]| {
    static CRED: OnceLock<Arc<msgraph::__private::credentials::Credential>> = OnceLock::new();
    let cred = CRED.get_or_init(|| {
        let cfg = CredentialConfig::from_json_text(
            r#"{"tenant_id":"t","client_id":"c","client_secret":"s","graph_base_url":"https://graph.microsoft.com/v1.0"}"#,
        )
        .unwrap();
        msgraph::__private::credentials::set("fz", cfg).unwrap();
        msgraph::__private::credentials::get("fz").unwrap()
    });
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(u) = msgraph::__private::graph::resolve(cred, text) {
        let base = &cred.config.graph_base_url;
        assert!(msgraph::__private::graph::same_origin(&u, base), "{text:?} resolved off the Graph origin: {u}");
        assert_eq!(u.host_str(), Some("graph.microsoft.com"), "{text:?} -> {u}");
        assert_eq!(u.scheme(), "https");
        // reqwest turns user information into an Authorization: Basic header
        // next to the bearer token: never accepted (fixed in 3e194ad).
        assert!(u.username().is_empty() && u.password().is_none(), "{text:?} -> {u} carries userinfo");
    }
});
