//! Certificate credentials: client_assertion JWTs (PS256 + x5t#S256, RS256 + x5t) at the token endpoint.
mod common;
use base64::Engine;
use common::*;
use msgraph_emulator::*;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn b64u(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The DER of a PEM certificate, read by the der crate (through rsa's
/// `pem` feature), not by hand.
fn cert_der(pem: &str) -> Vec<u8> {
    let (label, der) = rsa::pkcs8::der::pem::decode_vec(pem.as_bytes()).unwrap();
    assert_eq!(label, "CERTIFICATE");
    der
}

/// Sign header.claims with the emulator's key (PS256 or RS256).
fn sign_jwt(key_pem: &str, header: &Value, claims: &Value) -> String {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(key_pem).unwrap();
    let input = format!("{}.{}", b64u(&serde_json::to_vec(header).unwrap()), b64u(&serde_json::to_vec(claims).unwrap()));
    let sig = match header["alg"].as_str().unwrap() {
        "PS256" => rsa::pss::BlindedSigningKey::<Sha256>::new(key).sign_with_rng(&mut rand::thread_rng(), input.as_bytes()).to_vec(),
        "RS256" => rsa::pkcs1v15::SigningKey::<Sha256>::new(key).sign(input.as_bytes()).to_vec(),
        _ => vec![1, 2, 3],
    };
    format!("{input}.{}", b64u(&sig))
}

fn ps256_header(emu: &Emulator) -> Value {
    let der = cert_der(&emu.certificate_pem());
    json!({"alg": "PS256", "typ": "JWT", "x5t#S256": b64u(&Sha256::digest(&der))})
}

fn rs256_header(emu: &Emulator) -> Value {
    use sha1::Digest as _;
    let der = cert_der(&emu.certificate_pem());
    json!({"alg": "RS256", "typ": "JWT", "x5t": b64u(&sha1::Sha1::digest(&der))})
}

fn claims(emu: &Emulator) -> Value {
    let n = now();
    json!({"aud": emu.token_url(), "iss": CLIENT_ID, "sub": CLIENT_ID, "jti": format!("{:x}", rand::random::<u128>()), "nbf": n, "iat": n, "exp": n + 600})
}

fn post(emu: &Emulator, form: &[(&str, &str)]) -> (u16, Value) {
    let r = client().post(emu.token_url()).form(form).send().unwrap();
    (r.status().as_u16(), r.json().unwrap())
}

fn with_assertion(emu: &Emulator, a: &str) -> (u16, Value) {
    post(
        emu,
        &[("client_id", CLIENT_ID), ("scope", "https://graph.microsoft.com/.default"), ("grant_type", "client_credentials"), ("client_assertion_type", JWT_BEARER), ("client_assertion", a)],
    )
}

fn aadsts(v: &Value) -> u64 {
    assert!(v["error_description"].as_str().unwrap().starts_with(&format!("AADSTS{}:", v["error_codes"][0])), "{v}");
    v["error_codes"][0].as_u64().unwrap()
}

#[test]
fn certificate_and_key_pem() {
    let emu = start();
    let c = emu.certificate_pem();
    assert!(c.starts_with("-----BEGIN CERTIFICATE-----\n"), "{c}");
    let k = emu.private_key_pem();
    assert!(k.starts_with("-----BEGIN PRIVATE KEY-----"), "{k}");
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&k).unwrap();
    use rsa::traits::PublicKeyParts;
    assert_eq!(key.size(), 256, "RSA 2048");
    let der = cert_der(&c);
    assert_eq!(emu.certificate_der(), der);
    assert_eq!(emu.certificate_x5t_s256(), b64u(&Sha256::digest(&der)));
    assert_eq!(emu.certificate_thumbprint().len(), 40);
}

#[test]
fn ps256_and_rs256_assertions_get_tokens() {
    let emu = start();
    let key = emu.private_key_pem();
    for header in [ps256_header(&emu), rs256_header(&emu)] {
        let (s, v) = with_assertion(&emu, &sign_jwt(&key, &header, &claims(&emu)));
        assert_eq!(s, 200, "{header}: {v}");
        assert_eq!(v["token_type"], "Bearer");
        let tok = v["access_token"].as_str().unwrap();
        assert_eq!(jwt_claims(tok)["appid"], CLIENT_ID);
        assert_eq!(get(&emu, tok, "/users?$top=1").0, 200);
    }
    // Both thumbprints at once (as some clients send) are fine when both match.
    let mut h = ps256_header(&emu);
    h["x5t"] = rs256_header(&emu)["x5t"].clone();
    assert_eq!(with_assertion(&emu, &sign_jwt(&key, &h, &claims(&emu))).0, 200);
    // The domain form of the tenant works when aud names the same URL.
    let url = format!("{}/{}/oauth2/v2.0/token", emu.base_url(), TENANT_DOMAIN);
    let mut c = claims(&emu);
    c["aud"] = json!(url);
    let a = sign_jwt(&key, &ps256_header(&emu), &c);
    let r = client()
        .post(&url)
        .form(&[("client_id", CLIENT_ID), ("scope", "https://graph.microsoft.com/.default"), ("grant_type", "client_credentials"), ("client_assertion_type", JWT_BEARER), ("client_assertion", &a)])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let s = emu.stats();
    assert_eq!((s.tokens_issued, s.tokens_issued_assertion, s.tokens_issued_secret), (4, 4, 0));
    token(&emu);
    assert_eq!(emu.stats().tokens_issued_secret, 1);
    let methods: Vec<Option<String>> = emu.requests().into_iter().filter(|r| r.path.contains("/token")).map(|r| r.client_auth).collect();
    assert_eq!(
        methods,
        vec![
            Some("client_assertion:PS256".into()),
            Some("client_assertion:RS256".into()),
            Some("client_assertion:PS256".into()),
            Some("client_assertion:PS256".into()),
            Some("client_secret".into())
        ]
    );
}

#[test]
fn assertion_failures() {
    let emu = start();
    let key = emu.private_key_pem();
    let ps = ps256_header(&emu);
    let n = now();
    let case = |header: &Value, c: &Value| with_assertion(&emu, &sign_jwt(&key, header, c));

    // Signature from another key -> 700027.
    let other = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
    let other_pem = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&other, rsa::pkcs8::LineEnding::LF).unwrap();
    let (s, v) = with_assertion(&emu, &sign_jwt(&other_pem, &ps, &claims(&emu)));
    assert_eq!((s, v["error"].as_str().unwrap(), aadsts(&v)), (401, "invalid_client", 700027));
    assert!(v["error_description"].as_str().unwrap().contains("Client assertion failed signature validation"));
    // Tampered payload -> 700027.
    let good = sign_jwt(&key, &ps, &claims(&emu));
    let p: Vec<&str> = good.split('.').collect();
    let mut c2 = claims(&emu);
    c2["sub"] = json!("someone-else");
    let tampered = format!("{}.{}.{}", p[0], b64u(&serde_json::to_vec(&c2).unwrap()), p[2]);
    assert_eq!(aadsts(&with_assertion(&emu, &tampered).1), 700027);
    // Unknown thumbprint -> 700027 naming it.
    let (s, v) = case(&json!({"alg": "PS256", "typ": "JWT", "x5t#S256": b64u(&[7u8; 32])}), &claims(&emu));
    assert_eq!((s, aadsts(&v)), (401, 700027));
    assert!(v["error_description"].as_str().unwrap().contains("Thumbprint of key used by client"));
    // No thumbprint at all -> 700027; HS256 -> 700027.
    assert_eq!(aadsts(&case(&json!({"alg": "PS256", "typ": "JWT"}), &claims(&emu)).1), 700027);
    assert_eq!(aadsts(&case(&json!({"alg": "HS256", "x5t#S256": ps["x5t#S256"]}), &claims(&emu)).1), 700027);
    // Another app cannot use the primary app's certificate.
    let mut c = claims(&emu);
    c["iss"] = json!(READER_CLIENT_ID);
    c["sub"] = json!(READER_CLIENT_ID);
    let (s, v) = post(
        &emu,
        &[
            ("client_id", READER_CLIENT_ID),
            ("scope", "https://graph.microsoft.com/.default"),
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &sign_jwt(&key, &ps, &c)),
        ],
    );
    assert_eq!((s, aadsts(&v)), (401, 700027));
    // Expired, not yet valid, too long-lived -> 700024.
    for (nbf, exp) in [(n - 900, n - 300), (n + 900, n + 1200), (n, n + 3600)] {
        let mut c = claims(&emu);
        c["nbf"] = json!(nbf);
        c["iat"] = json!(nbf);
        c["exp"] = json!(exp);
        let (s, v) = case(&ps, &c);
        assert_eq!((s, aadsts(&v)), (401, 700024), "nbf {nbf} exp {exp}: {v}");
    }
    // Within the 5-minute skew is fine.
    let mut c = claims(&emu);
    c["nbf"] = json!(n + 120);
    c["iat"] = json!(n + 120);
    c["exp"] = json!(n + 600);
    assert_eq!(case(&ps, &c).0, 200);
    // Wrong audience -> 700023 (e.g. the real login.microsoftonline.com URL).
    let mut c = claims(&emu);
    c["aud"] = json!(format!("https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token"));
    assert_eq!(aadsts(&case(&ps, &c).1), 700023);
    // iss/sub not the client id -> 700021.
    let mut c = claims(&emu);
    c["iss"] = json!(READER_CLIENT_ID);
    assert_eq!(aadsts(&case(&ps, &c).1), 700021);
    // Missing jti / exp -> 50027; malformed JWTs -> 50027.
    for k in ["jti", "exp"] {
        let mut c = claims(&emu);
        c.as_object_mut().unwrap().remove(k);
        let (s, v) = case(&ps, &c);
        assert_eq!((s, aadsts(&v)), (400, 50027), "{k}");
    }
    for bad in ["not-a-jwt", "a.b", "!!.??.**", "e30.e30.e30x"] {
        let (s, v) = with_assertion(&emu, bad);
        assert_eq!((s, aadsts(&v)), (400, 50027), "{bad}");
    }
    // Replay of a good assertion -> 50027.
    let a = sign_jwt(&key, &ps, &claims(&emu));
    assert_eq!(with_assertion(&emu, &a).0, 200);
    let (s, v) = with_assertion(&emu, &a);
    assert_eq!((s, aadsts(&v)), (401, 50027));
    assert!(v["error_description"].as_str().unwrap().contains("already used"));
    // Secret and assertion together -> 9002313; neither -> 7000218; wrong assertion type -> 700025.
    let a = sign_jwt(&key, &ps, &claims(&emu));
    let (s, v) = post(
        &emu,
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &a),
        ],
    );
    assert_eq!((s, v["error"].as_str().unwrap(), aadsts(&v)), (400, "invalid_request", 9002313));
    let (s, v) = post(&emu, &[("client_id", CLIENT_ID), ("scope", "https://graph.microsoft.com/.default"), ("grant_type", "client_credentials")]);
    assert_eq!((s, aadsts(&v)), (401, 7000218));
    let (s, v) = post(
        &emu,
        &[("client_id", CLIENT_ID), ("scope", "https://graph.microsoft.com/.default"), ("grant_type", "client_credentials"), ("client_assertion_type", "jwt"), ("client_assertion", &a)],
    );
    assert_eq!((s, aadsts(&v)), (400, 700025));
    assert_eq!(emu.stats().tokens_issued, 2);
}

#[test]
fn load_certificate_from_options() {
    // Reuse the process key/cert as "files" for a second emulator: same thumbprints.
    let a = start();
    let b = Emulator::start(Options { app_cert_pem: Some(a.certificate_pem()), app_key_pem: Some(a.private_key_pem()), ..Default::default() }).unwrap();
    assert_eq!(a.certificate_x5t(), b.certificate_x5t());
    let mut c = claims(&b);
    c["aud"] = json!(b.token_url());
    assert_eq!(with_assertion(&b, &sign_jwt(&b.private_key_pem(), &rs256_header(&b), &c)).0, 200);
    // A key that does not match the certificate is refused.
    let other = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
    let other_pem = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&other, rsa::pkcs8::LineEnding::LF).unwrap().to_string();
    assert!(Emulator::start(Options { app_cert_pem: Some(a.certificate_pem()), app_key_pem: Some(other_pem), ..Default::default() }).is_err());
}
