mod common;
use common::*;
use msgraph_emulator::*;
use serde_json::Value;

fn aad_error(r: reqwest::blocking::Response, status: u16, error: &str, code: u64) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert!(r.headers().get("x-ms-request-id").is_some());
    let v: Value = r.json().unwrap();
    assert_eq!(v["error"], error, "{v}");
    assert_eq!(v["error_codes"][0].as_u64(), Some(code), "{v}");
    let d = v["error_description"].as_str().unwrap();
    assert!(d.starts_with(&format!("AADSTS{code}: ")), "{d}");
    assert!(d.contains("\r\nTrace ID: ") && d.contains("\r\nCorrelation ID: ") && d.contains("\r\nTimestamp: "), "{d}");
    assert!(d.contains(v["trace_id"].as_str().unwrap()));
    assert!(d.contains(v["correlation_id"].as_str().unwrap()));
    assert_eq!(v["error_uri"], format!("https://login.microsoftonline.com/error?code={code}"));
    assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
    v
}

fn post_form(emu: &Emulator, tenant: &str, body: &str) -> reqwest::blocking::Response {
    client()
        .post(format!("{}/{}/oauth2/v2.0/token", emu.base_url(), tenant))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .unwrap()
}

#[test]
fn token_success_and_claims() {
    let emu = start();
    let r = token_for(&emu, CLIENT_ID, CLIENT_SECRET);
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json; charset=utf-8");
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("no-store"));
    let v: Value = r.json().unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3599);
    assert_eq!(v["ext_expires_in"], 3599);
    assert!(v.get("refresh_in").is_none());
    let tok = v["access_token"].as_str().unwrap();
    let c = jwt_claims(tok);
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    assert_eq!(c["iss"], format!("https://sts.windows.net/{TENANT_ID}/"));
    assert_eq!(c["tid"], TENANT_ID);
    assert_eq!(c["appid"], CLIENT_ID);
    assert_eq!(c["idtyp"], "app");
    assert_eq!(c["ver"], "1.0");
    assert_eq!(c["appidacr"], "1");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 3599);
    let roles: Vec<&str> = c["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    for r in ["User.Read.All", "Mail.Send", "Sites.Read.All", "Tasks.ReadWrite.All"] {
        assert!(roles.contains(&r));
    }
    // uti is unique per token
    let t2 = token(&emu);
    assert_ne!(jwt_claims(&t2)["uti"], c["uti"]);
    // tenant domain and Basic auth are accepted too
    let r = client()
        .post(format!("{}/{}/oauth2/v2.0/token", emu.base_url(), TENANT_DOMAIN))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("scope", "https://graph.microsoft.com/.default"), ("grant_type", "client_credentials")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let s = emu.stats();
    assert_eq!(s.token_requests, 3);
    assert_eq!(s.tokens_issued, 3);
}

#[test]
fn token_errors() {
    let emu = start();
    let v = aad_error(token_for(&emu, CLIENT_ID, CLIENT_SECRET_ID), 401, "invalid_client", 7000215);
    assert!(v["error_description"].as_str().unwrap().contains("client secret value, not the client secret ID"));
    aad_error(token_for(&emu, CLIENT_ID, "wrong"), 401, "invalid_client", 7000215);
    aad_error(token_for(&emu, EXPIRED_CLIENT_ID, EXPIRED_CLIENT_SECRET), 401, "invalid_client", 7000222);
    aad_error(token_for(&emu, "11111111-2222-3333-4444-555555555555", "x"), 400, "unauthorized_client", 700016);
    aad_error(post_form(&emu, "00000000-0000-0000-0000-000000000001", "grant_type=client_credentials"), 400, "invalid_tenant", 90002);
    let scope_bad = format!("client_id={CLIENT_ID}&client_secret=x&grant_type=client_credentials&scope=https%3A%2F%2Ffoo.microsoft.com%2F.default");
    let v = aad_error(post_form(&emu, TENANT_ID, &scope_bad), 400, "invalid_scope", 70011);
    assert!(v["error_description"].as_str().unwrap().contains("The scope https://foo.microsoft.com/.default is not valid."));
    aad_error(post_form(&emu, TENANT_ID, &format!("client_id={CLIENT_ID}&grant_type=client_credentials&scope=User.Read")), 400, "invalid_scope", 70011);
    let v = aad_error(post_form(&emu, TENANT_ID, "client_id=x"), 400, "invalid_request", 900144);
    assert!(v["error_description"].as_str().unwrap().contains("'grant_type'"));
    aad_error(post_form(&emu, TENANT_ID, "grant_type=client_credentials"), 400, "invalid_request", 900144);
    aad_error(post_form(&emu, TENANT_ID, &format!("grant_type=client_credentials&client_id={CLIENT_ID}")), 400, "invalid_request", 900144);
    let no_secret = format!("client_id={CLIENT_ID}&grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");
    aad_error(post_form(&emu, TENANT_ID, &no_secret), 401, "invalid_client", 7000218);
    aad_error(post_form(&emu, TENANT_ID, "grant_type=password&client_id=x"), 400, "unsupported_grant_type", 70003);
    aad_error(client().get(emu.token_url()).send().unwrap(), 400, "invalid_request", 900561);
    // garbage bodies never crash the server
    aad_error(post_form(&emu, TENANT_ID, "%%%&&==&%zz"), 400, "invalid_request", 900144);
    let r = client().post(emu.token_url()).body(vec![0xffu8, 0xfe, 0x00, 0x80]).send().unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(emu.stats().tokens_issued, 0);
}

#[test]
fn reader_and_refresh_in() {
    let emu = Emulator::start(Options { token_lifetime_secs: 600, refresh_in_secs: Some(300), ..Default::default() }).unwrap();
    let v: Value = token_for(&emu, READER_CLIENT_ID, READER_CLIENT_SECRET).json().unwrap();
    assert_eq!(v["expires_in"], 600);
    assert_eq!(v["refresh_in"], 300);
    assert_eq!(jwt_claims(v["access_token"].as_str().unwrap())["roles"], serde_json::json!(["User.Read.All"]));
    emu.set_token_lifetime(120, None);
    let v: Value = token_for(&emu, CLIENT_ID, CLIENT_SECRET).json().unwrap();
    assert_eq!(v["expires_in"], 120);
    assert!(v.get("refresh_in").is_none());
}
