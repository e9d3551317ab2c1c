//! Certificate credentials: the primary app's RSA key + self-signed X.509 certificate, and
//! validation of `client_assertion` JWTs (private_key_jwt) at the token endpoint.

use crate::util::*;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::io;
use std::sync::{Arc, OnceLock};

/// The certificate registered on the primary app (CLIENT_ID).
#[derive(Debug)]
pub struct AppCert {
    pub public_key: RsaPublicKey,
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    /// PKCS#8 PEM ("BEGIN PRIVATE KEY")
    pub key_pem: String,
    /// base64url SHA-1 of the certificate DER (JWT header `x5t`)
    pub x5t: String,
    /// base64url SHA-256 of the certificate DER (JWT header `x5t#S256`)
    pub x5t_s256: String,
    /// hex SHA-1 thumbprint, upper case (as the portal shows it)
    pub thumbprint_hex: String,
}

static DEFAULT: OnceLock<Arc<AppCert>> = OnceLock::new();

/// The process-wide generated certificate (RSA 2048 generation is slow in debug builds, so
/// every emulator in a process shares one key pair; it is made on first use).
pub fn default_cert() -> Arc<AppCert> {
    DEFAULT
        .get_or_init(|| {
            let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key generation");
            Arc::new(from_key(key, None).expect("self-signed certificate"))
        })
        .clone()
}

fn pem_blocks(pem: &str, label: &str) -> Vec<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = vec![];
    let mut rest = pem;
    while let Some(b) = rest.find(&begin) {
        let after = &rest[b + begin.len()..];
        let Some(e) = after.find(&end) else { break };
        if let Some(d) = b64std_decode(&after[..e]) {
            out.push(d);
        }
        rest = &after[e + end.len()..];
    }
    out
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b = b64std(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

fn self_signed(key: &RsaPrivateKey) -> io::Result<Vec<u8>> {
    use rcgen::{date_time_ymd, CertificateParams, DnType, KeyPair, PKCS_RSA_SHA256};
    let e = |x: rcgen::Error| io::Error::other(x.to_string());
    let der = key.to_pkcs8_der().map_err(io::Error::other)?;
    let pk = tokio_rustls::rustls::pki_types::PrivatePkcs8KeyDer::from(der.as_bytes().to_vec());
    let kp = KeyPair::from_pkcs8_der_and_sign_algo(&pk, &PKCS_RSA_SHA256).map_err(e)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    params.distinguished_name.push(DnType::CommonName, "msgraph-emulator app certificate");
    params.distinguished_name.push(DnType::OrganizationName, "msgraph-extproc emulator");
    let (y, m, d, _, _, _) = parts(now_secs() - 86400);
    params.not_before = date_time_ymd(y as i32, m as u8, d as u8);
    params.not_after = date_time_ymd(y as i32 + 2, m as u8, d.min(28) as u8);
    let cert = params.self_signed(&kp).map_err(e)?;
    Ok(cert.der().to_vec())
}

fn from_key(key: RsaPrivateKey, cert_der: Option<Vec<u8>>) -> io::Result<AppCert> {
    let public_key = RsaPublicKey::from(&key);
    let cert_der = match cert_der {
        Some(d) => {
            // The certificate must carry this key: look for the SubjectPublicKeyInfo bytes.
            let spki = public_key.to_public_key_der().map_err(io::Error::other)?;
            let spki = spki.as_bytes();
            if !d.windows(spki.len()).any(|w| w == spki) {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "the certificate does not hold the public key of the given private key"));
            }
            d
        }
        None => self_signed(&key)?,
    };
    let key_pem = key.to_pkcs8_pem(LineEnding::LF).map_err(io::Error::other)?.to_string();
    let sha1 = Sha1::digest(&cert_der);
    let sha256 = Sha256::digest(&cert_der);
    Ok(AppCert {
        public_key,
        cert_pem: pem_encode("CERTIFICATE", &cert_der),
        key_pem,
        x5t: b64url(&sha1),
        x5t_s256: b64url(&sha256),
        thumbprint_hex: sha1.iter().map(|b| format!("{b:02X}")).collect(),
        cert_der,
    })
}

/// Load a certificate PEM and its RSA private key PEM (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY").
pub fn load(cert_pem: &str, key_pem: &str) -> io::Result<AppCert> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
    let cert_der = pem_blocks(cert_pem, "CERTIFICATE").into_iter().next().ok_or_else(|| bad("no CERTIFICATE block in the certificate PEM"))?;
    let key = if key_pem.contains("BEGIN RSA PRIVATE KEY") {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        RsaPrivateKey::from_pkcs1_pem(key_pem.trim()).map_err(|e| bad(&format!("bad RSA private key: {e}")))?
    } else {
        RsaPrivateKey::from_pkcs8_pem(key_pem.trim()).map_err(|e| bad(&format!("bad PKCS#8 private key (RSA expected): {e}")))?
    };
    from_key(key, Some(cert_der))
}

/// Verify a JWS signature (PS256 or RS256) over `input`.
pub fn verify(pk: &RsaPublicKey, alg: &str, input: &[u8], sig: &[u8]) -> bool {
    use rsa::signature::Verifier;
    match alg {
        "PS256" => {
            let Ok(s) = rsa::pss::Signature::try_from(sig) else { return false };
            rsa::pss::VerifyingKey::<Sha256>::new(pk.clone()).verify(input, &s).is_ok()
        }
        "RS256" => {
            let Ok(s) = rsa::pkcs1v15::Signature::try_from(sig) else { return false };
            rsa::pkcs1v15::VerifyingKey::<Sha256>::new(pk.clone()).verify(input, &s).is_ok()
        }
        _ => false,
    }
}
