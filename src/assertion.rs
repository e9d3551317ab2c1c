//! Certificate credentials: a client assertion JWT signed with the app's
//! private key, as the identity platform documents it.
//!
//! Header: `alg` PS256 with `x5t#S256` (base64url SHA-256 of the
//! certificate's DER), or RS256 with `x5t` (SHA-1) where PS256 is not wanted.
//! Claims: `aud` = the token URL, `iss` = `sub` = client_id, a fresh `jti`,
//! `nbf` = `iat` = now, `exp` = now + 10 minutes.

use crate::error::{Error, Result};
use crate::jwt::{base64_decode, base64url_encode};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Lifetime of an assertion.
pub(crate) const ASSERTION_LIFETIME_SECS: u64 = 600;

/// The signature algorithm of the assertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PSS with SHA-256 and `x5t#S256` (the default, as MSAL).
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 and `x5t` (SHA-1 thumbprint).
    Rs256,
}

/// A certificate and its private key.
pub struct Certificate {
    der: Vec<u8>,
    key: RsaPrivateKey,
    alg: Algorithm,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Certificate {{ x5t#S256: {}, alg: {:?}, key: [redacted] }}", self.thumbprint_sha256(), self.alg)
    }
}

fn pem_blocks(text: &str, label: &str) -> Vec<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(b) = rest.find(&begin) {
        let after = &rest[b + begin.len()..];
        let Some(e) = after.find(&end) else { break };
        let body: String = after[..e].chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(der) = base64_decode(&body) {
            out.push(der);
        }
        rest = &after[e + end.len()..];
    }
    out
}

impl Certificate {
    /// Loads a PEM certificate and its PEM private key (PKCS#8 "PRIVATE KEY"
    /// or PKCS#1 "RSA PRIVATE KEY", unencrypted), and checks they match.
    pub fn load(cert_file: &Path, key_file: &Path, alg: Algorithm) -> Result<Certificate> {
        Certificate::load_checked(cert_file, key_file, alg, &|_, _| Ok(()))
    }

    /// As [`Certificate::load`], with each file opened once and checked on
    /// its descriptor (see `secure_file`: the key file owned by the agent's
    /// user, no access for group or others; size caps), and `allow` asked
    /// about the opened file's real path before a byte of it is read.
    pub fn load_checked(
        cert_file: &Path,
        key_file: &Path,
        alg: Algorithm,
        allow: &dyn Fn(&str, &Path) -> Result<()>,
    ) -> Result<Certificate> {
        use crate::secure_file::{open, CERTIFICATE_FILE, PRIVATE_KEY_FILE};
        let read = |p: &Path, key: &str, rule| {
            let f = open(p, rule)?;
            allow(key, f.real_path())?;
            f.read_text()
        };
        let cert_text = read(cert_file, "certificate_file", CERTIFICATE_FILE)?;
        let der = pem_blocks(&cert_text, "CERTIFICATE")
            .into_iter()
            .next()
            .ok_or_else(|| Error::config(format!("'certificate_file' {} holds no PEM certificate", cert_file.display())))?;
        let key_text = read(key_file, "private_key_file", PRIVATE_KEY_FILE)?;
        if key_text.contains("ENCRYPTED") {
            return Err(Error::config("'private_key_file' is encrypted: give an unencrypted PEM key protected by file permissions (chmod 600)"));
        }
        let key = RsaPrivateKey::from_pkcs8_pem(&key_text)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(&key_text))
            .map_err(|_| Error::config(format!("'private_key_file' {} holds no RSA private key in PEM", key_file.display())))?;
        // The certificate's SubjectPublicKeyInfo holds the modulus verbatim.
        let modulus = key.n().to_bytes_be();
        if !der.windows(modulus.len()).any(|w| w == modulus.as_slice()) {
            return Err(Error::config("the certificate does not belong to the private key (different public key)"));
        }
        Ok(Certificate { der, key, alg })
    }

    /// base64url SHA-256 of the certificate (`x5t#S256`).
    pub fn thumbprint_sha256(&self) -> String {
        base64url_encode(&Sha256::digest(&self.der))
    }

    /// base64url SHA-1 of the certificate (`x5t`).
    pub fn thumbprint_sha1(&self) -> String {
        use sha1::Sha1;
        base64url_encode(&Sha1::digest(&self.der))
    }

    /// A fresh signed assertion for `client_id` at `token_url`.
    pub fn assertion(&self, client_id: &str, token_url: &str) -> Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let header = match self.alg {
            Algorithm::Ps256 => json!({"alg": "PS256", "typ": "JWT", "x5t#S256": self.thumbprint_sha256()}),
            Algorithm::Rs256 => json!({"alg": "RS256", "typ": "JWT", "x5t": self.thumbprint_sha1()}),
        };
        let claims = json!({
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": crate::ids::guid(),
            "nbf": now,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            base64url_encode(header.to_string().as_bytes()),
            base64url_encode(claims.to_string().as_bytes())
        );
        let signature = match self.alg {
            Algorithm::Ps256 => {
                let signer = rsa::pss::BlindedSigningKey::<Sha256>::new(self.key.clone());
                signer
                    .try_sign_with_rng(&mut rsa::rand_core::OsRng, signing_input.as_bytes())
                    .map_err(|_| Error::internal("signing the client assertion failed"))?
                    .to_vec()
            }
            Algorithm::Rs256 => {
                let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(self.key.clone());
                signer
                    .try_sign(signing_input.as_bytes())
                    .map_err(|_| Error::internal("signing the client assertion failed"))?
                    .to_vec()
            }
        };
        Ok(format!("{signing_input}.{}", base64url_encode(&signature)))
    }

    /// The certificate's DER, for the cache fingerprint.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use rsa::signature::Verifier;

    fn parts(jwt: &str) -> (serde_json::Value, serde_json::Value, Vec<u8>, String) {
        let p: Vec<&str> = jwt.split('.').collect();
        assert_eq!(p.len(), 3);
        let h = serde_json::from_slice(&base64_decode(p[0]).unwrap()).unwrap();
        let c = serde_json::from_slice(&base64_decode(p[1]).unwrap()).unwrap();
        (h, c, base64_decode(p[2]).unwrap(), format!("{}.{}", p[0], p[1]))
    }

    #[test]
    fn assertions_are_signed_and_shaped_as_documented() {
        let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
        let der = [b"cert".to_vec(), key.n().to_bytes_be()].concat();
        let public = key.to_public_key();
        for alg in [Algorithm::Ps256, Algorithm::Rs256] {
            let cert = Certificate { der: der.clone(), key: key.clone(), alg };
            let jwt = cert.assertion("client-1", "https://login.example/t/oauth2/v2.0/token").unwrap();
            let (h, c, sig, input) = parts(&jwt);
            assert_eq!(c["aud"], "https://login.example/t/oauth2/v2.0/token");
            assert_eq!(c["iss"], "client-1");
            assert_eq!(c["sub"], "client-1");
            assert_eq!(c["exp"].as_u64().unwrap() - c["nbf"].as_u64().unwrap(), 600);
            let again = parts(&cert.assertion("client-1", "x").unwrap()).1;
            assert_ne!(c["jti"], again["jti"], "a fresh jti every time");
            match alg {
                Algorithm::Ps256 => {
                    assert_eq!(h["alg"], "PS256");
                    assert_eq!(h["x5t#S256"], base64url_encode(&Sha256::digest(&der)));
                    let v = rsa::pss::VerifyingKey::<Sha256>::new(public.clone());
                    let s = rsa::pss::Signature::try_from(sig.as_slice()).unwrap();
                    v.verify(input.as_bytes(), &s).expect("PS256 verifies");
                }
                Algorithm::Rs256 => {
                    assert_eq!(h["alg"], "RS256");
                    assert!(h["x5t"].is_string() && h.get("x5t#S256").is_none());
                    let v = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public.clone());
                    let s = rsa::pkcs1v15::Signature::try_from(sig.as_slice()).unwrap();
                    v.verify(input.as_bytes(), &s).expect("RS256 verifies");
                }
            }
            assert!(!format!("{cert:?}").contains("PRIVATE"));
        }
    }

    #[test]
    fn pem_blocks_are_found_between_markers() {
        let text = "junk\n-----BEGIN CERTIFICATE-----\nTWFu\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_blocks(text, "CERTIFICATE"), vec![b"Man".to_vec()]);
        assert!(pem_blocks("nothing", "CERTIFICATE").is_empty());
    }
}
