//! JWT claims decoding (msgraph_token_info shows them). Base64 itself is the
//! base64 crate's since the hand-written decoder went (issue 14).
#![no_main]
use libfuzzer_sys::fuzz_target;
use msgraph::__private::jwt;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(c) = jwt::claims(text) {
        assert!(c.is_object());
    }
});
