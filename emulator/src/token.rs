//! The identity platform v2.0 token endpoint (client credentials) and the JWTs it mints.

use crate::data::{TENANT_DOMAIN, TENANT_ID};
use crate::state::{lock, Resp, Shared};
use crate::util::*;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// The same scope in Graph's appId form.
pub const GRAPH_APPID_SCOPE: &str = "00000003-0000-0000-c000-000000000000/.default";

fn sign(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = HmacSha256::new_from_slice(key).expect("hmac key");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// Opaque, tamper-evident tokens for paging/delta state.
pub fn seal(key: &[u8], v: &Value) -> String {
    let payload = serde_json::to_vec(v).unwrap_or_default();
    let mut data = payload.clone();
    data.extend_from_slice(&sign(key, &payload)[..10]);
    b64url(&data)
}

pub fn unseal(key: &[u8], s: &str) -> Option<Value> {
    let data = b64url_decode(s.trim())?;
    if data.len() < 11 {
        return None;
    }
    let (payload, tag) = data.split_at(data.len() - 10);
    if sign(key, payload)[..10] != *tag {
        return None;
    }
    serde_json::from_slice(payload).ok()
}

pub struct AadError {
    pub status: u16,
    pub error: &'static str,
    pub code: u32,
    pub message: String,
}

fn aad(status: u16, error: &'static str, code: u32, message: String) -> AadError {
    AadError { status, error, code, message }
}

pub fn aad_response(e: &AadError) -> Resp {
    aad_response_for(e, None)
}

/// An Entra error; the correlation id is the caller's `client-request-id` when it sent one, as Entra does.
pub fn aad_response_for(e: &AadError, client_request_id: Option<&str>) -> Resp {
    let now = now_secs();
    let trace = random_guid();
    let corr = client_request_id.map(String::from).unwrap_or_else(random_guid);
    let ts = aad_ts(now);
    let body = json!({
        "error": e.error,
        "error_description": format!("AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}", e.code, e.message, trace, corr, ts),
        "error_codes": [e.code],
        "timestamp": ts,
        "trace_id": trace,
        "correlation_id": corr,
        "error_uri": format!("https://login.microsoftonline.com/error?code={}", e.code),
    });
    aad_headers(Resp::json(e.status, &body), &trace)
}

fn aad_headers(r: Resp, trace: &str) -> Resp {
    r.header("Content-Type", "application/json; charset=utf-8")
        .header("Cache-Control", "no-store, no-cache")
        .header("Pragma", "no-cache")
        .header("Expires", "-1")
        .header("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        .header("X-Content-Type-Options", "nosniff")
        .header("P3P", "CP=\"DSP CUR OTPi IND OTRi ONL FIN\"")
        .header("x-ms-request-id", trace)
        .header("x-ms-ests-server", "2.1.emulator - SCUS ProdSlices")
}

/// POST /{tenant}/oauth2/v2.0/token
/// `token_url` is the URL the client used (scheme://host/path), the expected assertion audience.
pub fn token_endpoint(sh: &Shared, method: &str, tenant: &str, token_url: &str, headers: &[(String, String)], body: &[u8]) -> Resp {
    {
        let mut f = lock(&sh.faults);
        let mut c = f.fail_token.take();
        if c.is_none() {
            if let Some(rf) = f.random_faults.clone().filter(|rf| rf.token && rf.rate > 0.0) {
                drop(f);
                c = crate::chaos::random_status(sh, &rf, rf.rate, "POST").map(|status| {
                    lock(&sh.stats).random_errors += 1;
                    crate::state::Countdown { remaining: 0, status, retry_after: (status == 429 || status == 503).then(|| rf.retry_after.clone()) }
                });
                f = lock(&sh.faults);
            }
        }
        if let Some(c) = c {
            drop(f);
            let e = match c.status {
                429 => aad(429, "temporarily_unavailable", 90055, "TenantThrottlingError: There are too many incoming requests. This tenant has been throttled.".into()),
                s if s >= 500 => aad(s, if s == 503 || s == 504 { "temporarily_unavailable" } else { "server_error" }, 50000, "There was an error issuing a token or an issue with our sign-in service.".into()),
                s => aad(s, "invalid_request", 90100, "Invalid request.".into()),
            };
            let mut r = aad_response_for(&e, crid(headers));
            if let Some(ra) = c.retry_after.as_deref() {
                r = r.header("Retry-After", ra);
            } else if e.status == 429 || e.status == 503 {
                r = r.header("Retry-After", "1");
            }
            return r;
        }
    }
    match issue(sh, method, tenant, token_url, headers, body) {
        Ok(r) => r,
        Err(e) => aad_response_for(&e, crid(headers)),
    }
}

fn crid(headers: &[(String, String)]) -> Option<&str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("client-request-id")).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

/// The tenants this emulator knows (its one tenant, by id or by domain).
pub fn known_tenant(tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(TENANT_ID) || tenant.eq_ignore_ascii_case(TENANT_DOMAIN)
}

/// OIDC discovery for a tenant Entra does not know: 400 invalid_tenant (AADSTS90002).
pub fn unknown_tenant_discovery(tenant: &str) -> Resp {
    aad_response(&unknown_tenant(tenant))
}

fn unknown_tenant(tenant: &str) -> AadError {
    aad(
        400,
        "invalid_tenant",
        90002,
        format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."),
    )
}

fn issue(sh: &Shared, method: &str, tenant: &str, token_url: &str, headers: &[(String, String)], body: &[u8]) -> Result<Resp, AadError> {
    if !known_tenant(tenant) {
        return Err(unknown_tenant(tenant));
    }
    if method != "POST" {
        return Err(aad(400, "invalid_request", 900561, format!("The endpoint only accepts POST requests. Received a {method} request.")));
    }
    let form = parse_pairs(&String::from_utf8_lossy(body), true);
    let get = |k: &str| form.iter().find(|(fk, _)| fk == k).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty());
    let missing = |p: &str| aad(400, "invalid_request", 900144, format!("The request body must contain the following parameter: '{p}'."));
    // Credentials may come in HTTP Basic auth.
    let mut basic: Option<(String, String)> = None;
    if let Some((_, v)) = headers.iter().find(|(k, _)| k == "authorization") {
        if let Some(b) = v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")) {
            if let Some(dec) = b64std_decode(b.trim()) {
                let s = String::from_utf8_lossy(&dec).into_owned();
                if let Some((u, p)) = s.split_once(':') {
                    basic = Some((pct_decode(u, true), pct_decode(p, true)));
                }
            }
        }
    }
    let grant = get("grant_type").ok_or_else(|| missing("grant_type"))?;
    if grant != "client_credentials" {
        return Err(aad(
            400,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant}'."),
        ));
    }
    let client_id = get("client_id").map(|s| s.to_string()).or_else(|| basic.as_ref().map(|b| b.0.clone())).ok_or_else(|| missing("client_id"))?;
    let tenant_data = lock(&sh.tenant);
    let Some(app) = tenant_data.app(&client_id).cloned() else {
        return Err(aad(
            400,
            "unauthorized_client",
            700016,
            format!("Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", crate::data::TENANT_NAME),
        ));
    };
    drop(tenant_data);
    let scope = get("scope").ok_or_else(|| missing("scope"))?;
    let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    // Graph's resource may be named by its URI or by its appId, as Entra accepts both.
    let graph_scope = |s: &str| s == GRAPH_SCOPE || s.eq_ignore_ascii_case(GRAPH_APPID_SCOPE);
    if scopes.len() != 1 || !graph_scope(scopes[0]) {
        let bad = scopes.iter().find(|s| !graph_scope(s)).copied().unwrap_or(scope);
        return Err(aad(400, "invalid_scope", 70011, format!("The provided value for the input parameter 'scope' is not valid. The scope {bad} is not valid.")));
    }
    // Entra puts the resource as the scope named it: the appId form gives aud = the appId.
    let aud = if scopes[0].eq_ignore_ascii_case(GRAPH_APPID_SCOPE) { GRAPH_APP_ID } else { GRAPH_AUDIENCE };
    let assertion = get("client_assertion");
    let secret = get("client_secret").map(|s| s.to_string()).or_else(|| basic.as_ref().map(|b| b.1.clone()));
    let now = now_secs();
    if assertion.is_some() && secret.is_some() {
        return Err(aad(
            400,
            "invalid_request",
            9002313,
            "Invalid request. Request is malformed or invalid. The request contains both 'client_secret' and 'client_assertion'; send exactly one client credential.".into(),
        ));
    }
    if let Some(a) = assertion {
        if get("client_assertion_type") != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
            return Err(aad(400, "invalid_request", 700025, "Client assertion type is missing or invalid.".into()));
        }
        let alg = check_assertion(sh, &app.app_id, a, token_url, now)?;
        return Ok(issue_token(sh, &app, now, &format!("client_assertion:{alg}"), aud));
    }
    let Some(secret) = secret else {
        return Err(aad(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".into()));
    };
    let matched = app.secrets.iter().find(|s| s.value.as_deref() == Some(secret.as_str()));
    match matched {
        None => {
            return Err(aad(
                401,
                "invalid_client",
                7000215,
                format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.", app.app_id),
            ))
        }
        Some(s) if s.end <= now => {
            return Err(aad(
                401,
                "invalid_client",
                7000222,
                format!("The provided client secret keys for app '{}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", app.app_id),
            ))
        }
        Some(_) => {}
    }
    Ok(issue_token(sh, &app, now, "client_secret", aud))
}

/// Issue a token for `app` (the credential was checked). `method` is recorded in stats and the log.
fn issue_token(sh: &Shared, app: &crate::data::AppReg, now: i64, method: &str, aud: &str) -> Resp {
    let (lifetime, refresh_in) = {
        let f = lock(&sh.faults);
        (f.token_lifetime_secs, f.refresh_in_secs)
    };
    let serial = sh.next_serial();
    let jwt = mint_for(sh, aud, &app.app_id, &app.display_name, &app.sp_object_id, &app.roles, now, lifetime, serial);
    {
        let mut st = lock(&sh.stats);
        st.tokens_issued += 1;
        if method.starts_with("client_assertion") {
            st.tokens_issued_assertion += 1;
        } else {
            st.tokens_issued_secret += 1;
        }
    }
    let mut body = json!({"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime});
    if let Some(r) = refresh_in {
        body["refresh_in"] = json!(r);
    }
    body["access_token"] = json!(jwt);
    aad_headers(Resp::json(200, &body), &random_guid()).header(AUTH_METHOD_HEADER, method)
}

/// Internal marker header (removed before the response is sent) naming the client credential used.
pub const AUTH_METHOD_HEADER: &str = "x-emulator-client-auth";

/// Maximum accepted assertion lifetime (exp - nbf) and clock skew, seconds.
pub const ASSERTION_MAX_LIFETIME: i64 = 600;
pub const ASSERTION_SKEW: i64 = 300;

/// Validate a client assertion JWT for `client_id` sent to `token_url`. Ok(alg).
fn check_assertion(sh: &Shared, client_id: &str, jwt: &str, token_url: &str, now: i64) -> Result<&'static str, AadError> {
    let malformed = |why: &str| aad(400, "invalid_request", 50027, format!("JWT token is invalid or malformed. [Reason - {why}]"));
    let sig_failed = |why: String| aad(401, "invalid_client", 700027, format!("Client assertion failed signature validation. [Reason - {why}]"));
    let parts: Vec<&str> = jwt.trim().split('.').collect();
    if parts.len() != 3 {
        return Err(malformed("the client assertion is not a JWS compact serialization (header.payload.signature)."));
    }
    let header: Value = b64url_decode(parts[0]).and_then(|b| serde_json::from_slice(&b).ok()).filter(|v: &Value| v.is_object()).ok_or_else(|| malformed("the JWT header is not base64url-encoded JSON."))?;
    let claims: Value = b64url_decode(parts[1]).and_then(|b| serde_json::from_slice(&b).ok()).filter(|v: &Value| v.is_object()).ok_or_else(|| malformed("the JWT payload is not base64url-encoded JSON."))?;
    let sig = b64url_decode(parts[2]).ok_or_else(|| malformed("the JWT signature is not base64url-encoded."))?;
    let alg: &'static str = match header["alg"].as_str() {
        Some("PS256") => "PS256",
        Some("RS256") => "RS256",
        Some(other) => return Err(sig_failed(format!("The algorithm '{other}' is not supported; use PS256 (or RS256)."))),
        None => return Err(malformed("the JWT header has no 'alg'.")),
    };
    // Which key: x5t#S256 (SHA-256) or x5t (SHA-1) thumbprint of the registered certificate.
    let cert = if client_id.eq_ignore_ascii_case(crate::data::CLIENT_ID) { Some(sh.app_cert()) } else { None };
    let (s256, s1) = (header["x5t#S256"].as_str(), header["x5t"].as_str());
    if s256.is_none() && s1.is_none() {
        return Err(sig_failed("The key was not found. The JWT header has neither 'x5t#S256' nor 'x5t'.".into()));
    }
    // Thumbprints are compared as decoded bytes: MSAL for Python pads its base64url (`=`), Entra accepts it.
    let same = |t: &str, ours: &str| b64url_decode(t).is_some() && b64url_decode(t) == b64url_decode(ours);
    let known = cert.as_ref().map(|c| s256.map(|t| same(t, &c.x5t_s256)).unwrap_or(true) && s1.map(|t| same(t, &c.x5t)).unwrap_or(true)).unwrap_or(false);
    let Some(cert) = cert.filter(|_| known) else {
        let used = s256.or(s1).unwrap_or("");
        return Err(aad(
            401,
            "invalid_client",
            700027,
            format!("Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '{used}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{client_id}'.]"),
        ));
    };
    if !crate::cert::verify(&cert.public_key, alg, format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig) {
        return Err(sig_failed("The provided signature value did not match the expected signature value.".into()));
    }
    // Claims.
    let aud_ok = match &claims["aud"] {
        Value::String(a) => a.trim_end_matches('/').eq_ignore_ascii_case(token_url),
        Value::Array(v) => v.iter().any(|a| a.as_str().map(|a| a.trim_end_matches('/').eq_ignore_ascii_case(token_url)).unwrap_or(false)),
        _ => false,
    };
    if !aud_ok {
        return Err(aad(
            401,
            "invalid_client",
            700023,
            format!("Client assertion audience claim does not match Realm issuer. Expected audience '{token_url}', got '{}'.", claims["aud"].as_str().unwrap_or("")),
        ));
    }
    let iss = claims["iss"].as_str().unwrap_or("");
    let sub = claims["sub"].as_str().unwrap_or("");
    if !iss.eq_ignore_ascii_case(client_id) || !sub.eq_ignore_ascii_case(client_id) {
        return Err(aad(401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .".into()));
    }
    let num = |k: &str| claims[k].as_i64().or_else(|| claims[k].as_f64().map(|f| f as i64));
    let exp = num("exp").ok_or_else(|| malformed("the client assertion has no numeric 'exp' claim."))?;
    let nbf = num("nbf").or_else(|| num("iat")).ok_or_else(|| malformed("the client assertion has neither 'nbf' nor 'iat'."))?;
    let time = |why: &str| {
        aad(
            401,
            "invalid_client",
            700024,
            format!("Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, expiry time of assertion {}. [Reason - {why}]", iso(now), iso(nbf), iso(exp)),
        )
    };
    if exp - nbf > ASSERTION_MAX_LIFETIME {
        return Err(time("the assertion lifetime (exp - nbf) is longer than 10 minutes."));
    }
    if exp <= nbf {
        return Err(time("exp is not after nbf."));
    }
    if now >= exp {
        return Err(time("the assertion has expired."));
    }
    if now < nbf - ASSERTION_SKEW {
        return Err(time("the assertion is not yet valid."));
    }
    if num("iat").map(|iat| iat > now + ASSERTION_SKEW).unwrap_or(false) {
        return Err(time("iat is in the future."));
    }
    let jti = claims["jti"].as_str().filter(|j| !j.is_empty()).ok_or_else(|| malformed("the client assertion has no 'jti' claim."))?;
    {
        let mut seen = lock(&sh.seen_jtis);
        seen.retain(|_, e| *e + ASSERTION_SKEW > now);
        if seen.contains_key(jti) {
            return Err(aad(
                401,
                "invalid_client",
                50027,
                format!("JWT token is invalid or malformed. [Reason - The client assertion with jti '{jti}' was already used; assertions cannot be replayed.]"),
            ));
        }
        seen.insert(jti.to_string(), exp);
    }
    Ok(alg)
}

/// Graph's resource URI, the usual `aud` of a Graph token.
pub const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
/// Graph's appId, the `aud` when the scope named Graph in its appId form.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

#[allow(clippy::too_many_arguments)]
pub fn mint(sh: &Shared, app_id: &str, name: &str, oid: &str, roles: &[String], now: i64, lifetime: u64, serial: u64) -> String {
    mint_for(sh, GRAPH_AUDIENCE, app_id, name, oid, roles, now, lifetime, serial)
}

#[allow(clippy::too_many_arguments)]
pub fn mint_for(sh: &Shared, aud: &str, app_id: &str, name: &str, oid: &str, roles: &[String], now: i64, lifetime: u64, serial: u64) -> String {
    use rand::Rng;
    let header = json!({"typ": "JWT", "alg": "HS256"});
    let mut uti = serial.to_le_bytes().to_vec();
    uti.extend_from_slice(&rand::thread_rng().gen::<[u8; 8]>());
    let claims = json!({
        "aud": aud,
        "iss": format!("https://sts.windows.net/{TENANT_ID}/"),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime as i64,
        "aio": b64url(&rand::thread_rng().gen::<[u8; 24]>()),
        "app_displayname": name,
        "appid": app_id,
        "appidacr": "1",
        "idp": format!("https://sts.windows.net/{TENANT_ID}/"),
        "idtyp": "app",
        "oid": oid,
        "rh": "0.AAAA-emulator.",
        "roles": roles,
        "sub": oid,
        "tenant_region_scope": "EU",
        "tid": TENANT_ID,
        "uti": b64url(&uti),
        "ver": "1.0",
        "wids": ["0997a1d0-0d1d-4acb-b408-d5ca73121e90"],
        "xms_tcdt": 1_600_000_000,
    });
    let h = b64url(&serde_json::to_vec(&header).unwrap_or_default());
    let c = b64url(&serde_json::to_vec(&claims).unwrap_or_default());
    let input = format!("{h}.{c}");
    let sig = b64url(&sign(&sh.key, input.as_bytes()));
    format!("{input}.{sig}")
}

/// The identity of a validated app token.
#[derive(Clone, Debug)]
pub struct AppIdentity {
    pub app_id: String,
    pub roles: Vec<String>,
}

impl AppIdentity {
    pub fn has_any(&self, roles: &[&str]) -> bool {
        self.roles.iter().any(|r| roles.iter().any(|x| x.eq_ignore_ascii_case(r)))
    }
}

/// Validate `Authorization: Bearer ...`. Err is the 401 message.
pub fn validate(sh: &Shared, auth: Option<&str>) -> Result<AppIdentity, &'static str> {
    let Some(auth) = auth.map(str::trim).filter(|a| !a.is_empty()) else {
        return Err("Access token is empty.");
    };
    let tok = match auth.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
        _ => return Err("Access token is empty."),
    };
    if tok.is_empty() {
        return Err("Access token is empty.");
    }
    let parts: Vec<&str> = tok.split('.').collect();
    if parts.len() != 3 {
        return Err("IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.");
    }
    let claims: Value = match b64url_decode(parts[1]).and_then(|b| serde_json::from_slice(&b).ok()) {
        Some(c) => c,
        None => return Err("CompactToken parsing failed with error code: 80049217"),
    };
    if b64url_decode(parts[0]).and_then(|b| serde_json::from_slice::<Value>(&b).ok()).is_none() {
        return Err("CompactToken parsing failed with error code: 80049217");
    }
    let expect = sign(&sh.key, format!("{}.{}", parts[0], parts[1]).as_bytes());
    match b64url_decode(parts[2]) {
        Some(sig) if sig == expect => {}
        _ => return Err("Invalid signature."),
    }
    if claims["aud"] != GRAPH_AUDIENCE && claims["aud"] != GRAPH_APP_ID {
        return Err("Access token validation failure. Invalid audience.");
    }
    if claims["tid"] != TENANT_ID {
        return Err("Access token validation failure. Invalid issuer.");
    }
    let now = now_secs();
    let exp = claims["exp"].as_i64().unwrap_or(0);
    let nbf = claims["nbf"].as_i64().unwrap_or(0);
    if now >= exp || now + 300 < nbf {
        return Err("Access token has expired or is not yet valid.");
    }
    let serial = claims["uti"]
        .as_str()
        .and_then(b64url_decode)
        .filter(|b| b.len() >= 8)
        .map(|b| u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8])))
        .unwrap_or(0);
    if serial < lock(&sh.faults).revoked_below_serial {
        return Err("Access token has expired or is not yet valid.");
    }
    Ok(AppIdentity {
        app_id: claims["appid"].as_str().unwrap_or("").to_string(),
        roles: claims["roles"].as_array().map(|a| a.iter().filter_map(|r| r.as_str().map(String::from)).collect()).unwrap_or_default(),
    })
}
