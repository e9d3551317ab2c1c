//! JWT claims decoding (msgraph_token_info shows them) and base64(url).
#![no_main]
use libfuzzer_sys::fuzz_target;
use msgraph::jwt;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(c) = jwt::claims(text) {
        assert!(c.is_object());
    }
    if let Some(bytes) = jwt::base64url_decode(text) {
        // Whatever decodes re-encodes to something that decodes the same.
        assert_eq!(jwt::base64url_decode(&jwt::base64url_encode(&bytes)).as_deref(), Some(&bytes[..]));
    }
    let _ = jwt::base64_decode(text);
});
