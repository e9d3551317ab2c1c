//! Decoding a JWT's payload (the claims) without verifying it: the token came
//! from the token endpoint over TLS, and the claims are only shown to people
//! (roles, app name, expiry), never trusted for a security decision.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::Value;

/// base64url as JWTs use it (RFC 7515), with any trailing padding tolerated.
const BASE64URL: GeneralPurpose =
    GeneralPurpose::new(&base64::alphabet::URL_SAFE, GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent));

/// The claims of a compact JWT (`header.payload.signature`), or None when the
/// token is not a JWT with a JSON object payload (Graph tokens for some
/// resources are opaque).
pub fn claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    parts.next()?;
    let bytes = BASE64URL.decode(payload).ok()?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v @ Value::Object(_)) => Some(v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_payload() {
        // {"alg":"none"} . {"roles":["User.Read.All"],"tid":"t"} . sig
        let t = "eyJhbGciOiJub25lIn0.eyJyb2xlcyI6WyJVc2VyLlJlYWQuQWxsIl0sInRpZCI6InQifQ.c2ln";
        let c = claims(t).unwrap();
        assert_eq!(c["roles"][0], "User.Read.All");
        assert_eq!(c["tid"], "t");
        assert!(claims("not-a-jwt").is_none());
        assert!(claims("a.b!.c").is_none());
    }

    #[test]
    fn payload_padding_is_tolerated() {
        // {"a":1} encodes as eyJhIjoxfQ (no padding) or eyJhIjoxfQ== (padded).
        assert_eq!(claims("e30.eyJhIjoxfQ.c2ln").unwrap()["a"], 1);
        assert_eq!(claims("e30.eyJhIjoxfQ==.c2ln").unwrap()["a"], 1);
    }
}
