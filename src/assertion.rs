//! Certificate credentials: a client assertion JWT signed with the app's
//! private key, as the identity platform documents it.
//!
//! Header: `alg` PS256 with `x5t#S256` (base64url SHA-256 of the
//! certificate's DER), or RS256 with `x5t` (SHA-1) where PS256 is not wanted.
//! Claims: `aud` = the token URL, `iss` = `sub` = client_id, a fresh `jti`,
//! `nbf` = `iat` = now, `exp` = now + 10 minutes.
//!
//! Signing, digests and key parsing are ring's (the provider rustls already
//! links); PEM is read by rustls-pki-types and the certificate by webpki.

use crate::error::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::signature::{KeyPair as _, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
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
    key: RsaKeyPair,
    alg: Algorithm,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Certificate {{ x5t#S256: {}, alg: {:?}, key: [redacted] }}", self.thumbprint_sha256(), self.alg)
    }
}

/// Whether the certificate's SubjectPublicKeyInfo carries `public_key` (the
/// DER RSAPublicKey of the key pair): its BIT STRING holds no unused bits
/// followed by exactly those bytes, at the end of the SPKI.
fn certificate_holds_key(cert: &CertificateDer<'_>, public_key: &[u8]) -> Result<bool> {
    let parsed = webpki::EndEntityCert::try_from(cert)
        .map_err(|_| Error::config("'certificate_file' holds no X.509 certificate that can be parsed"))?;
    let spki = parsed.subject_public_key_info();
    let spki = spki.as_ref();
    Ok(spki.len() > public_key.len() && spki.ends_with(public_key) && spki[spki.len() - public_key.len() - 1] == 0)
}

impl Certificate {
    /// Loads a PEM certificate and its PEM private key (PKCS#8 "PRIVATE KEY"
    /// or PKCS#1 "RSA PRIVATE KEY", unencrypted, RSA 2048 to 8192 bits), and
    /// checks they match.
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
        let cert_pem = read(cert_file, "certificate_file", CERTIFICATE_FILE)?;
        let cert = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .find_map(|c| c.ok())
            .ok_or_else(|| Error::config(format!("'certificate_file' {} holds no PEM certificate", cert_file.display())))?;
        let key_pem = read(key_file, "private_key_file", PRIVATE_KEY_FILE)?;
        let key_pem = key_pem.as_bytes();
        if key_pem.windows(9).any(|w| w == b"ENCRYPTED") {
            return Err(Error::config("'private_key_file' is encrypted: give an unencrypted PEM key protected by file permissions (chmod 600)"));
        }
        let parsed = if let Ok(k) = PrivatePkcs8KeyDer::from_pem_slice(key_pem) {
            Some(RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()))
        } else if let Ok(k) = PrivatePkcs1KeyDer::from_pem_slice(key_pem) {
            Some(RsaKeyPair::from_der(k.secret_pkcs1_der()))
        } else {
            None
        };
        // ring's reason (e.g. "TooSmall", "InvalidEncoding") names no key material.
        let key = match parsed {
            Some(Ok(k)) => k,
            Some(Err(why)) => {
                return Err(Error::config(format!(
                    "'private_key_file' {} holds an RSA private key that cannot be used ({why}; RSA 2048 to 8192 bits expected)",
                    key_file.display()
                )))
            }
            None => return Err(Error::config(format!("'private_key_file' {} holds no RSA private key in PEM", key_file.display()))),
        };
        if !certificate_holds_key(&cert, key.public_key().as_ref())? {
            return Err(Error::config("the certificate does not belong to the private key (different public key)"));
        }
        Ok(Certificate { der: cert.as_ref().to_vec(), key, alg })
    }

    /// base64url SHA-256 of the certificate (`x5t#S256`).
    pub fn thumbprint_sha256(&self) -> String {
        URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, &self.der))
    }

    /// base64url SHA-1 of the certificate (`x5t`): a thumbprint naming the
    /// certificate, which is what the identity platform's `x5t` asks for.
    pub fn thumbprint_sha1(&self) -> String {
        URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &self.der))
    }

    /// A fresh signed assertion for `client_id` at `token_url`.
    pub fn assertion(&self, client_id: &str, token_url: &str) -> Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let (header, padding): (_, &'static dyn ring::signature::RsaEncoding) = match self.alg {
            Algorithm::Ps256 => {
                (json!({"alg": "PS256", "typ": "JWT", "x5t#S256": self.thumbprint_sha256()}), &ring::signature::RSA_PSS_SHA256)
            }
            Algorithm::Rs256 => {
                (json!({"alg": "RS256", "typ": "JWT", "x5t": self.thumbprint_sha1()}), &ring::signature::RSA_PKCS1_SHA256)
            }
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
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(padding, &ring::rand::SystemRandom::new(), signing_input.as_bytes(), &mut signature)
            .map_err(|_| Error::internal("signing the client assertion failed"))?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(&signature)))
    }

    /// The certificate's DER, for the cache fingerprint.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A copy of tests/fixtures/cert/NAME (a test certificate or key made
    /// with OpenSSL), mode 600 as key files must be.
    fn fixture(name: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        // A folder per copy: tests run in parallel and must not read a
        // file another test is still writing.
        static COPIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COPIES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("msgraph-assertion-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let to = dir.join(name);
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cert").join(name), &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
        to
    }

    fn b64(part: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(part).unwrap()
    }

    fn parts(jwt: &str) -> (serde_json::Value, serde_json::Value, Vec<u8>, String) {
        let p: Vec<&str> = jwt.split('.').collect();
        assert_eq!(p.len(), 3);
        let h = serde_json::from_slice(&b64(p[0])).unwrap();
        let c = serde_json::from_slice(&b64(p[1])).unwrap();
        (h, c, b64(p[2]), format!("{}.{}", p[0], p[1]))
    }

    #[test]
    fn assertions_are_signed_and_shaped_as_documented() {
        // The expected thumbprints are `openssl x509 -outform DER | openssl
        // dgst -sha256` (and -sha1) of the fixture, in base64url.
        for (alg, key) in [(Algorithm::Ps256, "app-key.pem"), (Algorithm::Rs256, "app-key-pkcs1.pem")] {
            let cert = Certificate::load(&fixture("app-cert.pem"), &fixture(key), alg).unwrap();
            let public = cert.key.public_key().as_ref().to_vec();
            let jwt = cert.assertion("client-1", "https://login.example/t/oauth2/v2.0/token").unwrap();
            let (h, c, sig, input) = parts(&jwt);
            assert_eq!(c["aud"], "https://login.example/t/oauth2/v2.0/token");
            assert_eq!(c["iss"], "client-1");
            assert_eq!(c["sub"], "client-1");
            assert_eq!(c["exp"].as_u64().unwrap() - c["nbf"].as_u64().unwrap(), 600);
            assert_eq!(sig.len(), 256, "RSA 2048 signature");
            let again = parts(&cert.assertion("client-1", "x").unwrap()).1;
            assert_ne!(c["jti"], again["jti"], "a fresh jti every time");
            let verifier: &dyn ring::signature::VerificationAlgorithm = match alg {
                Algorithm::Ps256 => {
                    assert_eq!(h["alg"], "PS256");
                    assert_eq!(h["x5t#S256"], "WHubEoOelbpUY2s2Kwbr_9FZEXudnpca0XUC_8_UFz4");
                    &ring::signature::RSA_PSS_2048_8192_SHA256
                }
                Algorithm::Rs256 => {
                    assert_eq!(h["alg"], "RS256");
                    assert_eq!(h["x5t"], "o76Sjma8AU-HYTf7Y_3OjeezoYg");
                    assert!(h.get("x5t#S256").is_none());
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256
                }
            };
            let pk = ring::signature::UnparsedPublicKey::new(verifier, &public);
            pk.verify(input.as_bytes(), &sig).expect("the signature verifies");
            let mut tampered = input.clone().into_bytes();
            tampered[0] ^= 1;
            assert!(pk.verify(&tampered, &sig).is_err(), "a changed input does not verify");
            assert!(!format!("{cert:?}").contains("PRIVATE"));
        }
    }

    #[test]
    fn keys_that_cannot_sign_for_the_certificate_are_refused() {
        let load = |cert: &str, key: &str| Certificate::load(&fixture(cert), &fixture(key), Algorithm::Ps256).unwrap_err().to_string();
        assert!(load("app-cert.pem", "stranger-key.pem").contains("does not belong"));
        assert!(load("app-cert.pem", "small-key.pem").contains("cannot be used"));
        assert!(load("app-key.pem", "app-key.pem").contains("holds no PEM certificate"));
        assert!(load("app-cert.pem", "app-cert.pem").contains("holds no RSA private key"));
        for e in [load("app-cert.pem", "stranger-key.pem"), load("app-cert.pem", "small-key.pem")] {
            assert!(!e.contains("PRIVATE KEY") && !e.contains("MII"), "{e}");
        }
    }
}
