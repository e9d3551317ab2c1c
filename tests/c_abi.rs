//! The C contract, exercised through the exported functions against the
//! bundled emulator on an ephemeral loopback port.

mod common;
#[path = "common/fake.rs"]
mod fake;
use fake::FakeServer;
use common::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};


// ---------------------------------------------------------------- library

#[test]
fn version_and_status_names_are_static() {
    assert_eq!(text(msgraph_version()).unwrap(), env!("CARGO_PKG_VERSION"));
    let codes = [
        (MSGRAPH_OK, "MSGRAPH_OK"),
        (MSGRAPH_ERR_ARGUMENT, "MSGRAPH_ERR_ARGUMENT"),
        (MSGRAPH_ERR_NOT_FOUND, "MSGRAPH_ERR_NOT_FOUND"),
        (MSGRAPH_ERR_CONFIG, "MSGRAPH_ERR_CONFIG"),
        (MSGRAPH_ERR_AUTH, "MSGRAPH_ERR_AUTH"),
        (MSGRAPH_ERR_TRANSPORT, "MSGRAPH_ERR_TRANSPORT"),
        (MSGRAPH_ERR_TIMEOUT, "MSGRAPH_ERR_TIMEOUT"),
        (MSGRAPH_ERR_THROTTLED, "MSGRAPH_ERR_THROTTLED"),
        (MSGRAPH_ERR_REFUSED, "MSGRAPH_ERR_REFUSED"),
        (MSGRAPH_ERR_TOO_LARGE, "MSGRAPH_ERR_TOO_LARGE"),
        (MSGRAPH_ERR_LIMIT, "MSGRAPH_ERR_LIMIT"),
        (MSGRAPH_ERR_INTERNAL, "MSGRAPH_ERR_INTERNAL"),
    ];
    let expected_numbers = [0, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -99];
    for ((code, name), n) in codes.iter().zip(expected_numbers) {
        assert_eq!(*code, n, "{name} is part of the ABI");
        assert_eq!(text(msgraph_status_name(*code)).unwrap(), *name);
        assert!(!text(msgraph_status_message(*code)).unwrap().is_empty());
        // The same pointer every time: static storage.
        assert_eq!(msgraph_status_name(*code), msgraph_status_name(*code));
    }
    assert_eq!(text(msgraph_status_name(200)).unwrap(), "MSGRAPH_UNKNOWN_STATUS");
}

#[test]
fn null_and_invalid_arguments_are_refused_with_a_message() {
    let n = std::ptr::null();
    let a = cs("x");
    assert_eq!(msgraph_credential_set(n, a.as_ptr()), MSGRAPH_ERR_ARGUMENT);
    assert!(last_error().contains("name is NULL"), "{}", last_error());
    assert_eq!(msgraph_credential_set(a.as_ptr(), n), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(msgraph_credentials_load(n), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(msgraph_credential_remove(n), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(msgraph_credential_clear_tokens(n), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(msgraph_request(n, a.as_ptr(), a.as_ptr(), n, n), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(msgraph_request(a.as_ptr(), n, a.as_ptr(), n, n), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(msgraph_request(a.as_ptr(), a.as_ptr(), n, n, n), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(msgraph_request_bytes(a.as_ptr(), a.as_ptr(), a.as_ptr(), std::ptr::null(), 5, n), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(msgraph_batch(a.as_ptr(), n, n), MSGRAPH_ERR_ARGUMENT);
    assert_eq!(msgraph_token_info(n, n), MSGRAPH_ERR_ARGUMENT);
    assert!(msgraph_result_header(1, n).is_null());
    // Invalid UTF-8.
    let bad = [0xffu8, 0xfe, 0];
    assert_eq!(msgraph_credential_set(bad.as_ptr() as *const _, a.as_ptr()), MSGRAPH_ERR_ARGUMENT);
    assert!(last_error().contains("UTF-8"), "{}", last_error());
    // Unknown credential.
    assert_eq!(request_raw("no-such-credential", "GET", "/users", None, None), MSGRAPH_ERR_NOT_FOUND);
    assert!(last_error().contains("no-such-credential"));
}

#[test]
fn unknown_and_freed_handles_never_crash() {
    for h in [-5, 0, 999_999_999, i32::MAX, i32::MIN] {
        assert_eq!(msgraph_result_status(h), MSGRAPH_ERR_NOT_FOUND);
        assert_eq!(msgraph_result_length(h), MSGRAPH_ERR_NOT_FOUND as i64);
        assert!(msgraph_result_body(h).is_null());
        assert!(msgraph_result_headers(h).is_null());
        assert!(msgraph_result_header(h, cs("request-id").as_ptr()).is_null());
        let mut buf = [0i8; 8];
        assert_eq!(msgraph_result_read(h, 0, buf.as_mut_ptr(), 8), MSGRAPH_ERR_NOT_FOUND as i64);
    }
    assert_eq!(msgraph_result_free(0), MSGRAPH_OK, "free(0) is a no-op");
    assert_eq!(msgraph_result_free(-3), MSGRAPH_ERR_NOT_FOUND);
    // A real handle, freed twice.
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let h = msgraph_token_info(cs(&cred).as_ptr(), std::ptr::null());
    assert!(h > 0);
    assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
    assert_eq!(msgraph_result_free(h), MSGRAPH_ERR_NOT_FOUND);
    assert_eq!(msgraph_result_status(h), MSGRAPH_ERR_NOT_FOUND);
    assert!(last_error().contains(&h.to_string()));
}

// ---------------------------------------------------------------- credentials

#[test]
fn credential_configuration_is_validated() {
    let name = cs(&unique("cfg"));
    let set = |cfg: &str| msgraph_credential_set(name.as_ptr(), cs(cfg).as_ptr());
    assert_eq!(set("{"), MSGRAPH_ERR_CONFIG);
    assert_eq!(set(r#"{"tenant_id":"t","client_id":"c","client_secret":"s","tennant":"x"}"#), MSGRAPH_ERR_CONFIG);
    assert!(last_error().contains("'tennant'"), "the unknown key is named: {}", last_error());
    assert_eq!(set(r#"{"tenant_id":"t","client_id":"c"}"#), MSGRAPH_ERR_CONFIG);
    assert_eq!(
        set(r#"{"tenant_id":"t","client_id":"c","client_secret":"s","graph_base_url":"http://graph.example.com/v1.0"}"#),
        MSGRAPH_ERR_REFUSED
    );
    assert_eq!(
        set(r#"{"tenant_id":"t","client_id":"c","client_secret":"s","authority_host":"http://login.example.com"}"#),
        MSGRAPH_ERR_REFUSED
    );
    assert_eq!(set(r#"{"tenant_id":"t","client_id":"c","client_secret":"s"}"#), MSGRAPH_OK);
    let listed = take(msgraph_credentials_list()).json();
    assert!(listed.as_array().unwrap().iter().any(|n| n == name.to_str().unwrap()));
    assert!(!listed.to_string().contains("\"s\""), "names only");
    assert_eq!(msgraph_credential_remove(name.as_ptr()), MSGRAPH_OK);
    assert_eq!(msgraph_credential_remove(name.as_ptr()), MSGRAPH_ERR_NOT_FOUND);
    let listed = take(msgraph_credentials_list()).json();
    assert!(!listed.as_array().unwrap().iter().any(|n| n == name.to_str().unwrap()));
}

#[cfg(unix)]
#[test]
fn credentials_file_must_be_private_and_valid() {
    use std::os::unix::fs::PermissionsExt;
    let emu = emulator();
    let dir = std::env::temp_dir().join(unique("msgraph-creds"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("credentials.json");
    let (a, b) = (unique("file-a"), unique("file-b"));
    let doc = json!({ &a: emu.credential_json(), &b: emu.credential_json() });
    std::fs::write(&path, doc.to_string()).unwrap();
    let p = cs(path.to_str().unwrap());

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(msgraph_credentials_load(p.as_ptr()), MSGRAPH_ERR_CONFIG);
    assert!(last_error().contains("chmod 600"), "{}", last_error());

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(msgraph_credentials_load(p.as_ptr()), 2);
    let claims = token_info(&a, None).json();
    assert_eq!(claims["claims"]["appid"], msgraph_emulator::CLIENT_ID);

    // One bad entry: nothing is loaded.
    let c = unique("file-c");
    let doc = json!({ &c: emu.credential_json(), "broken": {"tenant_id": "t"} });
    std::fs::write(&path, doc.to_string()).unwrap();
    assert_eq!(msgraph_credentials_load(p.as_ptr()), MSGRAPH_ERR_CONFIG);
    assert!(last_error().contains("'broken'"), "{}", last_error());
    assert_eq!(request_raw(&c, "GET", "/users", None, None), MSGRAPH_ERR_NOT_FOUND);

    assert_eq!(msgraph_credentials_load(cs("/nonexistent/creds.json").as_ptr()), MSGRAPH_ERR_CONFIG);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------- tokens

#[test]
fn token_info_decodes_claims_and_hides_the_token() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let g = token_info(&cred, None);
    assert_eq!(g.status, 200);
    let doc = g.json();
    assert_eq!(doc["token_type"], "Bearer");
    assert_eq!(doc["source"], "identity_provider");
    assert_eq!(doc["claims"]["tid"], msgraph_emulator::TENANT_ID);
    let roles: Vec<&str> = doc["claims"]["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(roles.contains(&"User.Read.All"), "{roles:?}");
    assert!(doc.get("access_token").is_none(), "the raw token only on request");
    assert!(doc["expires_on"].as_u64().unwrap() > doc["refresh_on"].as_u64().unwrap());

    let again = token_info(&cred, Some(r#"{"include_token":true}"#)).json();
    assert_eq!(again["source"], "cache");
    let token = again["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "a JWT");
    assert_eq!(emu.stats().tokens_issued, 1);

    let forced = token_info(&cred, Some(r#"{"force_refresh":true}"#)).json();
    assert_eq!(forced["source"], "identity_provider");
    assert_eq!(emu.stats().tokens_issued, 2);
    assert_eq!(msgraph_token_info(cs(&cred).as_ptr(), cs(r#"{"include_tokens":true}"#).as_ptr()), MSGRAPH_ERR_ARGUMENT);
}

#[test]
fn one_token_serves_many_calls_and_many_threads() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..10 {
                    let g = request(&cred, "GET", "/users?$top=1", None, None);
                    assert_eq!(g.status, 200, "{}", g.body);
                }
            });
        }
    });
    let stats = emu.stats();
    assert_eq!(stats.token_requests, 1, "single-flight: one token for 80 calls on 8 threads");
    assert_eq!(stats.graph_requests, 80);
}

#[test]
fn wrong_secret_is_explained_and_not_retried_for_a_minute() {
    let emu = emulator();
    let cred = credential(&emu, json!({"client_secret": msgraph_emulator::CLIENT_SECRET_ID}));
    let g = request(&cred, "GET", "/users", None, None);
    assert_eq!(g.status, MSGRAPH_ERR_AUTH);
    let e = &g.json()["error"];
    assert_eq!(e["code"], "MSGRAPH_ERR_AUTH");
    assert_eq!(e["aadsts"], 7000215);
    assert_eq!(e["error"], "invalid_client");
    assert_eq!(e["http_status"], 401);
    assert!(e["hint"].as_str().unwrap().contains("VALUE"));
    assert!(e["trace_id"].as_str().is_some() && e["correlation_id"].as_str().is_some());
    assert!(e["error_description"].as_str().unwrap().starts_with("AADSTS7000215"));
    assert!(!e["error_description"].as_str().unwrap().contains("Trace ID"), "first line only");
    assert!(last_error().starts_with("MSGRAPH_ERR_AUTH"), "{}", last_error());
    assert!(!g.body.contains(msgraph_emulator::CLIENT_SECRET_ID), "the secret never appears");
    assert!(!last_error().contains(msgraph_emulator::CLIENT_SECRET_ID));
    assert_eq!(emu.stats().token_requests, 1);

    // Asked again at once: answered from memory, no request.
    let again = request(&cred, "GET", "/users", None, None);
    assert_eq!(again.status, MSGRAPH_ERR_AUTH);
    assert_eq!(again.json()["error"]["replayed"], true);
    assert_eq!(emu.stats().token_requests, 1, "a refused credential is not sent again within 60 s");
    assert_eq!(emu.stats().graph_requests, 0);

    // Fixing the secret under the same name works at once.
    let fixed = emu.credential_json().to_string();
    assert_eq!(msgraph_credential_set(cs(&cred).as_ptr(), cs(&fixed).as_ptr()), MSGRAPH_OK);
    assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);
}

#[test]
fn unknown_tenant_and_client_carry_their_aadsts_codes() {
    let emu = emulator();
    let tenant = credential(&emu, json!({"tenant_id": "00000000-0000-0000-0000-000000000bad"}));
    let e = token_info(&tenant, None).json();
    assert_eq!(e["error"]["aadsts"], 90002);
    assert_eq!(e["error"]["status"], MSGRAPH_ERR_AUTH);
    let client = credential(&emu, json!({"client_id": "11111111-2222-3333-4444-555555555555"}));
    let e = token_info(&client, None).json();
    assert_eq!(e["error"]["aadsts"], 700016);
    assert!(e["error"]["hint"].as_str().unwrap().contains("client_id"));
}

#[test]
fn same_name_with_another_secret_never_gets_the_cached_token() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    assert_eq!(token_info(&cred, None).status, 200);
    let mut wrong = emu.credential_json();
    wrong["client_secret"] = json!("not-the-secret");
    assert_eq!(msgraph_credential_set(cs(&cred).as_ptr(), cs(&wrong.to_string()).as_ptr()), MSGRAPH_OK);
    assert_eq!(token_info(&cred, None).status, MSGRAPH_ERR_AUTH, "replacing a credential drops its tokens");
}

#[test]
fn proactive_refresh_and_a_failed_refresh_serves_the_valid_token() {
    let emu = emulator();
    emu.set_token_lifetime(3599, Some(1));
    let cred = credential(&emu, json!({}));
    assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);
    assert_eq!(emu.stats().tokens_issued, 1);
    std::thread::sleep(Duration::from_millis(1100));
    // refresh_in has passed: the next call refreshes.
    assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);
    assert_eq!(emu.stats().tokens_issued, 2);
    std::thread::sleep(Duration::from_millis(1100));
    // The refresh fails (twice: first try and its one retry), the old token
    // is still valid and is used.
    emu.fail_token_next(2, 500);
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(emu.stats().tokens_issued, 2);
}

#[test]
fn revoked_token_is_renewed_once() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);
    emu.revoke_tokens();
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(emu.stats().tokens_issued, 2);
    let reqs = graph_requests(&emu);
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[1].status, 401);
    assert_ne!(header_of(&reqs[1], "authorization"), header_of(&reqs[2], "authorization"));
}

// ---------------------------------------------------------------- requests

#[test]
fn get_sends_token_request_id_and_user_agent() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let g = request(&cred, "GET", "users?$top=5&$select=id,displayName", None, None);
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(g.json()["value"].as_array().unwrap().len(), 5);
    assert!(g.header("request-id").is_some());
    let sent = &graph_requests(&emu)[0];
    assert_eq!(sent.method, "GET");
    assert!(sent.path.starts_with("/v1.0/users?"), "{}", sent.path);
    assert!(header_of(sent, "authorization").unwrap().starts_with("Bearer ey"));
    assert_eq!(header_of(sent, "client-request-id"), g.header("client-request-id").as_deref());
    assert!(header_of(sent, "user-agent").unwrap().starts_with("msgraph-extproc/"));
    assert_eq!(g.header("x-msgraph-retries").as_deref(), Some("0"));
}

#[test]
fn graph_errors_come_back_exactly_as_sent() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let g = request(&cred, "GET", "/users/no-such-user@example.com", None, None);
    assert_eq!(g.status, 404);
    let e = &g.json()["error"];
    assert_eq!(e["code"], "Request_ResourceNotFound");
    assert!(e["innerError"]["request-id"].is_string());
    let sent = graph_requests(&emu);
    assert_eq!(sent.len(), 1, "a 404 is not retried");
}

#[test]
fn send_mail_answers_202_with_an_empty_body_and_lands() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let users = get_json(&cred, "/users?$top=2&$select=id,userPrincipalName");
    let from = users["value"][0]["userPrincipalName"].as_str().unwrap().to_string();
    let to = users["value"][1]["userPrincipalName"].as_str().unwrap().to_string();
    let subject = format!("Grüße {}", unique("mail"));
    let mail = json!({"message": {"subject": subject, "body": {"contentType": "Text", "content": "Zoë says hi 李雷"},
        "toRecipients": [{"emailAddress": {"address": to}}]}, "saveToSentItems": true});
    let g = request(&cred, "POST", &format!("/users/{from}/sendMail"), Some(&mail.to_string()), None);
    assert_eq!(g.status, 202, "{}", g.body);
    assert_eq!(g.body, "");
    let sent = graph_requests(&emu).into_iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(header_of(&sent, "content-type"), Some("application/json"));
    let inbox = get_json(&cred, &format!("/users/{to}/mailFolders/inbox/messages?$top=50"));
    assert!(inbox["value"].as_array().unwrap().iter().any(|m| m["subject"] == subject.as_str()), "the mail landed");
}

#[test]
fn urls_off_the_graph_origin_are_refused_before_sending() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let other = FakeServer::start("127.0.0.1", |_| ("200 OK".into(), vec![], "{}".into()));
    for url in [
        format!("http://127.0.0.1:{}/v1.0/users", other.port),
        format!("https://127.0.0.1:{}/v1.0/users", emu.port()),
        "https://graph.microsoft.com/v1.0/users".to_string(),
        "//evil.example.com/v1.0/users".to_string(),
    ] {
        assert_eq!(request_raw(&cred, "GET", &url, None, None), MSGRAPH_ERR_REFUSED, "{url}");
        assert!(last_error().contains("Graph"), "{}", last_error());
    }
    for url in ["/users me", "ftp://x/y", "", "/us\u{7}ers"] {
        assert_eq!(request_raw(&cred, "GET", url, None, None), MSGRAPH_ERR_ARGUMENT, "{url:?}");
    }
    assert_eq!(request_raw(&cred, "BREW", "/users", None, None), MSGRAPH_ERR_ARGUMENT);
    assert!(other.seen().is_empty());
    assert_eq!(emu.stats().token_requests + emu.stats().graph_requests, 0, "nothing was sent");
    // Absolute URLs on the Graph origin are fine.
    let abs = format!("{}/users?$top=1", emu.graph_base_url());
    assert_eq!(request(&cred, "GET", &abs, None, None).status, 200);
}

#[test]
fn a_next_link_to_another_host_is_refused_and_gets_no_token() {
    let emu = emulator();
    let thief = FakeServer::start("127.0.0.2", |_| ("200 OK".into(), vec![], r#"{"value":[]}"#.into()));
    let next = format!("http://127.0.0.2:{}/v1.0/users?$skiptoken=x", thief.port);
    let graph = FakeServer::start("127.0.0.1", move |_| {
        ("200 OK".into(), vec![("content-type".into(), "application/json".into())],
         json!({"value": [{"id": "1"}], "@odata.nextLink": next}).to_string())
    });
    let cred = credential(&emu, json!({"graph_base_url": format!("http://127.0.0.1:{}/v1.0", graph.port)}));
    let g = request(&cred, "GET", "/users", None, Some(r#"{"all_pages":true}"#));
    assert_eq!(g.status, MSGRAPH_ERR_REFUSED, "{}", g.body);
    assert!(g.json()["error"]["message"].as_str().unwrap().contains("nextLink"));
    assert!(thief.seen().is_empty(), "no request, so no token, reached the other host");
    assert!(graph.seen()[0].header("authorization").is_some());
}

#[test]
fn a_redirect_to_another_host_drops_the_token() {
    let emu = emulator();
    let elsewhere = FakeServer::start("127.0.0.2", |_| ("200 OK".into(), vec![], "file bytes".into()));
    let target = format!("http://127.0.0.2:{}/download/file.bin", elsewhere.port);
    let graph = FakeServer::start("127.0.0.1", move |_| ("302 Found".into(), vec![("location".into(), target.clone())], String::new()));
    let cred = credential(&emu, json!({"graph_base_url": format!("http://127.0.0.1:{}/v1.0", graph.port)}));
    let g = request(&cred, "GET", "/drives/x/items/y/content", None, Some(r#"{"headers":{"x-custom":"kept"}}"#));
    assert_eq!(g.status, 200);
    assert_eq!(g.body, "file bytes");
    assert!(graph.seen()[0].header("authorization").unwrap().starts_with("Bearer "));
    let seen = elsewhere.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].header("authorization").is_none(), "the token never follows a redirect off the Graph origin");
    assert_eq!(seen[0].header("x-custom"), Some("kept"));
}

#[test]
fn redirect_loops_stop_after_five() {
    let emu = emulator();
    let graph = FakeServer::start("127.0.0.1", |_| ("302 Found".into(), vec![("location".into(), "/v1.0/again".into())], String::new()));
    let cred = credential(&emu, json!({"graph_base_url": format!("http://127.0.0.1:{}/v1.0", graph.port)}));
    let g = request(&cred, "GET", "/start", None, None);
    assert_eq!(g.status, MSGRAPH_ERR_TRANSPORT);
    assert!(g.body.contains("redirects"));
    assert_eq!(graph.seen().len(), 6, "the request and five redirects");
}

// ---------------------------------------------------------------- retries

fn gaps_ms(reqs: &[msgraph_emulator::RecordedRequest]) -> Vec<u64> {
    reqs.windows(2).map(|w| w[1].at_ms - w[0].at_ms).collect()
}

#[test]
fn throttling_is_retried_after_retry_after_with_the_same_request_id() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    assert_eq!(token_info(&cred, None).status, 200);
    emu.throttle_next(2, "0.3");
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(g.header("x-msgraph-retries").as_deref(), Some("2"));
    let reqs = graph_requests(&emu);
    assert_eq!(reqs.iter().map(|r| r.status).collect::<Vec<_>>(), vec![429, 429, 200]);
    for gap in gaps_ms(&reqs) {
        assert!(gap >= 300, "never retried before Retry-After (0.3 s): {gap} ms");
    }
    let ids: HashSet<_> = reqs.iter().map(|r| header_of(r, "client-request-id").unwrap().to_string()).collect();
    assert_eq!(ids.len(), 1, "one client-request-id across retries");
    assert_eq!(header_of(&reqs[0], "retry-attempt"), None);
    assert_eq!(header_of(&reqs[1], "retry-attempt"), Some("1"));
    assert_eq!(header_of(&reqs[2], "retry-attempt"), Some("2"));
}

#[test]
fn out_of_retries_returns_the_last_throttled_answer() {
    let emu = emulator();
    let cred = credential(&emu, json!({"max_retries": 1}));
    emu.throttle_next(5, "0.1");
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, 429);
    assert_eq!(g.json()["error"]["code"], "TooManyRequests");
    assert!(g.header("retry-after").is_some());
    assert_eq!(graph_requests(&emu).len(), 2);
    // Per-call option overrides the credential.
    emu.reset_faults();
    emu.throttle_next(1, "0.1");
    let g = request(&cred, "GET", "/users?$top=1", None, Some(r#"{"max_retries":0}"#));
    assert_eq!(g.status, 429);
}

#[test]
fn a_retry_after_beyond_the_budget_is_not_waited_for() {
    let emu = emulator();
    let cred = credential(&emu, json!({"retry_budget_ms": 500}));
    emu.throttle_next(1, "30");
    let started = Instant::now();
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, 429);
    assert!(started.elapsed() < Duration::from_secs(10), "did not sleep 30 s past a 0.5 s budget");
    assert_eq!(graph_requests(&emu).len(), 1);
}

#[test]
fn unavailable_is_retried_but_server_errors_are_not() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    emu.fail_next(1, 503, Some("0.1"));
    assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);
    emu.clear_log();
    emu.fail_next(1, 504, None);
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, 200, "504 without Retry-After: backoff, then success");
    emu.clear_log();
    emu.fail_next(1, 500, None);
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, 500);
    assert_eq!(graph_requests(&emu).len(), 1);
}

#[test]
fn timeouts_are_reported_as_timeouts() {
    let emu = emulator();
    let cred = credential(&emu, json!({"timeout_ms": 300, "max_retries": 0}));
    assert_eq!(token_info(&cred, None).status, 200);
    emu.set_latency_ms(2000);
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, MSGRAPH_ERR_TIMEOUT, "{}", g.body);
    assert!(g.header("client-request-id").is_some());
}

#[test]
fn nothing_listening_is_a_transport_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let name = unique("closed");
    let cfg = json!({"tenant_id": "t", "client_id": "c", "client_secret": "s",
        "authority_host": format!("http://127.0.0.1:{port}"), "graph_base_url": format!("http://127.0.0.1:{port}/v1.0")});
    assert_eq!(msgraph_credential_set(cs(&name).as_ptr(), cs(&cfg.to_string()).as_ptr()), MSGRAPH_OK);
    let g = request(&name, "GET", "/users", None, None);
    assert_eq!(g.status, MSGRAPH_ERR_TRANSPORT, "{}", g.body);
    assert!(!g.body.contains("\"s\""));
}

// ---------------------------------------------------------------- paging

#[test]
fn all_pages_merges_every_user_and_sends_headers_on_every_page() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let g = request(&cred, "GET", "/users?$top=100", None,
        Some(r#"{"all_pages":true,"headers":{"ConsistencyLevel":"eventual","Prefer":"outlook.timezone=\"UTC\""}}"#));
    assert_eq!(g.status, 200, "{}", g.body);
    let doc = g.json();
    let users = doc["value"].as_array().unwrap();
    assert_eq!(users.len(), 250);
    let ids: HashSet<&str> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 250, "no user twice");
    assert!(doc.get("@odata.nextLink").is_none());
    assert_eq!(g.header("x-msgraph-pages").as_deref(), Some("3"));
    assert_eq!(g.header("x-msgraph-items").as_deref(), Some("250"));
    let pages = graph_requests(&emu);
    assert_eq!(pages.len(), 3);
    for p in &pages {
        assert_eq!(header_of(p, "consistencylevel"), Some("eventual"), "caller headers on every page");
        assert!(header_of(p, "authorization").is_some());
    }
    // Non-ASCII names survive the merge.
    assert!(g.body.contains("Zoë") || g.body.contains("李"), "seeded non-ASCII names present");
}

#[test]
fn max_items_stops_fetching_pages() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let g = request(&cred, "GET", "/users?$top=100", None, Some(r#"{"all_pages":true,"max_items":150}"#));
    assert_eq!(g.json()["value"].as_array().unwrap().len(), 150);
    assert_eq!(graph_requests(&emu).len(), 2);
    emu.clear_log();
    let g = request(&cred, "GET", "/users?$top=100", None, Some(r#"{"all_pages":true,"max_items":100}"#));
    assert_eq!(g.json()["value"].as_array().unwrap().len(), 100);
    assert_eq!(graph_requests(&emu).len(), 1, "no page fetched beyond max_items");
    assert_eq!(request_raw(&cred, "POST", "/users", Some("{}"), Some(r#"{"all_pages":true}"#)), MSGRAPH_ERR_ARGUMENT);
}

#[test]
fn delta_rounds_keep_the_delta_link() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let g = request(&cred, "GET", "/users/delta?$select=displayName", None, Some(r#"{"all_pages":true}"#));
    assert_eq!(g.status, 200, "{}", g.body);
    let doc = g.json();
    assert_eq!(doc["value"].as_array().unwrap().len(), 250);
    let delta = doc["@odata.deltaLink"].as_str().expect("the deltaLink of the last page").to_string();
    // Nothing changed: the stored deltaLink gives no changes.
    let g = request(&cred, "GET", &delta, None, Some(r#"{"all_pages":true}"#));
    assert_eq!(g.json()["value"].as_array().unwrap().len(), 0);
}

#[test]
fn a_throttled_page_is_retried_inside_all_pages() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    assert_eq!(token_info(&cred, None).status, 200);
    emu.throttle_next(1, "0.1");
    let g = request(&cred, "GET", "/users?$top=100", None, Some(r#"{"all_pages":true}"#));
    assert_eq!(g.status, 200);
    assert_eq!(g.json()["value"].as_array().unwrap().len(), 250);
    assert_eq!(g.header("x-msgraph-retries").as_deref(), Some("1"));
    assert_eq!(graph_requests(&emu).len(), 4);
}

// ---------------------------------------------------------------- batch

#[test]
fn batch_splits_by_twenty_and_keeps_the_order() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let users = get_json(&cred, "/users?$top=45&$select=id");
    let reqs: Vec<Value> = users["value"].as_array().unwrap().iter().enumerate()
        .map(|(i, u)| json!({"id": format!("r{i}"), "method": "GET", "url": format!("/users/{}?$select=id,displayName", u["id"].as_str().unwrap())}))
        .collect();
    emu.clear_log();
    let g = batch(&cred, &Value::from(reqs.clone()).to_string(), None);
    assert_eq!(g.status, 200, "{}", g.body);
    let out = g.json();
    let responses = out["responses"].as_array().unwrap();
    assert_eq!(responses.len(), 45);
    for (i, r) in responses.iter().enumerate() {
        assert_eq!(r["id"], format!("r{i}"));
        assert_eq!(r["status"], 200);
        assert_eq!(r["body"]["id"], users["value"][i]["id"]);
    }
    let posts = graph_requests(&emu);
    assert_eq!(posts.len(), 3, "45 requests in 3 $batch calls");
    assert!(posts.iter().all(|p| p.path == "/v1.0/$batch" && p.method == "POST"));
    assert_eq!(g.header("x-msgraph-batches").as_deref(), Some("3"));
}

#[test]
fn throttled_batch_items_are_sent_again() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let reqs: Vec<Value> = (0..10).map(|i| json!({"method": "GET", "url": format!("/users?$top=1&$skip={i}")})).collect();
    assert_eq!(token_info(&cred, None).status, 200);
    emu.throttle_batch_items(3, "0.2");
    let g = batch(&cred, &Value::from(reqs).to_string(), None);
    let out = g.json();
    let statuses: Vec<u64> = out["responses"].as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, vec![200; 10], "{}", g.body);
    let ids: Vec<&str> = out["responses"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, (1..=10).map(|i| i.to_string()).collect::<Vec<_>>().iter().map(|s| s.as_str()).collect::<Vec<_>>());
    let posts = graph_requests(&emu);
    assert_eq!(posts.len(), 2);
    assert!(posts[1].at_ms - posts[0].at_ms >= 200, "waited the items' Retry-After");
    let resent: Value = serde_json::from_str(&posts[1].body).unwrap();
    assert_eq!(resent["requests"].as_array().unwrap().len(), 3, "only the throttled items are sent again");
}

#[test]
fn batch_depends_on_across_the_twenty_item_boundary() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let mut reqs: Vec<Value> = (0..20).map(|i| json!({"id": format!("a{i}"), "method": "GET", "url": "/users?$top=1"})).collect();
    reqs[19] = json!({"id": "missing", "method": "GET", "url": "/users/nobody@nowhere.example"});
    reqs.push(json!({"id": "after-ok", "method": "GET", "url": "/users?$top=1", "dependsOn": ["a0"]}));
    reqs.push(json!({"id": "after-fail", "method": "GET", "url": "/users?$top=1", "dependsOn": ["missing"]}));
    let g = batch(&cred, &Value::from(reqs).to_string(), None);
    let out = g.json();
    let r = out["responses"].as_array().unwrap();
    assert_eq!(r[19]["status"], 404);
    assert_eq!(r[20]["id"], "after-ok");
    assert_eq!(r[20]["status"], 200);
    assert_eq!(r[21]["status"], 424, "a failed dependency gives 424");
    // Bad batches are refused before sending.
    for bad in [r#"[{"id":"1","method":"GET","url":"/a"},{"id":"1","method":"GET","url":"/b"}]"#,
                r#"[{"method":"GET"}]"#, r#"{"x":1}"#, r#"[{"id":"2","method":"GET","url":"/a","dependsOn":["3"]},{"id":"3","method":"GET","url":"/b"}]"#] {
        assert_eq!(msgraph_batch(cs(&cred).as_ptr(), cs(bad).as_ptr(), std::ptr::null()), MSGRAPH_ERR_ARGUMENT, "{bad}");
    }
}

// ---------------------------------------------------------------- results

#[test]
fn chunked_reads_never_split_a_character() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let h = request_raw(&cred, "GET", "/users?$top=999&$select=displayName", None, None);
    assert!(h > 0);
    let len = msgraph_result_length(h);
    let whole = unsafe { std::slice::from_raw_parts(msgraph_result_body(h) as *const u8, len as usize) }.to_vec();
    assert!(whole.iter().any(|b| *b >= 0x80), "the body has multi-byte characters");
    for chunk in [4i64, 5, 7, 32, 32767] {
        let mut out = Vec::new();
        let mut buf = vec![0i8; chunk as usize];
        let mut offset = 0i64;
        loop {
            let n = msgraph_result_read(h, offset, buf.as_mut_ptr(), chunk);
            assert!(n >= 0, "read: {}", last_error());
            if n == 0 {
                break;
            }
            let piece: Vec<u8> = buf[..n as usize].iter().map(|b| *b as u8).collect();
            assert!(std::str::from_utf8(&piece).is_ok(), "chunk of {chunk} split a character");
            out.extend(piece);
            offset += n;
        }
        assert_eq!(out, whole);
    }
    // Too small for a multi-byte character: refused, not an endless 0.
    let pos = whole.iter().position(|b| *b >= 0xC0).unwrap() as i64;
    let mut one = [0i8; 1];
    assert_eq!(msgraph_result_read(h, pos, one.as_mut_ptr(), 1), MSGRAPH_ERR_ARGUMENT as i64);
    assert_eq!(msgraph_result_read(h, len + 1, one.as_mut_ptr(), 1), MSGRAPH_ERR_ARGUMENT as i64);
    assert_eq!(msgraph_result_read(h, -1, one.as_mut_ptr(), 1), MSGRAPH_ERR_ARGUMENT as i64);
    assert_eq!(msgraph_result_read(h, 0, std::ptr::null_mut(), 1), MSGRAPH_ERR_ARGUMENT as i64);
    assert_eq!(msgraph_result_read(h, len, one.as_mut_ptr(), 1), 0);
    assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
}

#[test]
fn handles_are_never_reused_and_headers_read_by_name() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let mut seen = HashSet::new();
    for _ in 0..20 {
        let h = request_raw(&cred, "GET", "/users?$top=1", None, None);
        assert!(h > 0 && seen.insert(h), "handle {h} reused");
        let ct = text(msgraph_result_header(h, cs("Content-Type").as_ptr())).unwrap();
        assert!(ct.starts_with("application/json"));
        assert!(msgraph_result_header(h, cs("x-not-there").as_ptr()).is_null());
        assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
    }
}

#[test]
fn binary_bodies_go_as_given() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let body = br#"{"displayName":"Raw \u00e9"}"#;
    let h = msgraph_request_bytes(cs(&cred).as_ptr(), cs("POST").as_ptr(), cs("/users/nobody@x.example/contacts").as_ptr(),
        body.as_ptr(), body.len() as i64, std::ptr::null());
    let g = take(h);
    assert_eq!(g.status, 404);
    assert_eq!(graph_requests(&emu)[0].body.as_bytes(), body);
}

#[test]
fn tls_mode_needs_the_emulator_ca() {
    let emu = Emulator::start(Options { tls: true, ..Options::default() }).expect("TLS emulator");
    assert!(emu.base_url().starts_with("https://"));
    let dir = std::env::temp_dir().join(unique("msgraph-ca"));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, emu.ca_pem().unwrap()).unwrap();
    let untrusted = credential(&emu, json!({}));
    let g = token_info(&untrusted, None);
    assert_eq!(g.status, MSGRAPH_ERR_TRANSPORT, "an unknown CA is refused: {}", g.body);
    let trusted = credential(&emu, json!({"ca_file": ca.to_str().unwrap()}));
    assert_eq!(request(&trusted, "GET", "/users?$top=1", None, None).status, 200);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------- access policies

#[test]
fn an_application_access_policy_block_is_marked() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let allowed = emu.user_upn(0).unwrap();
    let other = emu.user_upn(1).unwrap();
    emu.set_access_policy(msgraph_emulator::CLIENT_ID, &[allowed.as_str()]);
    let ok = request(&cred, "GET", &format!("/users/{allowed}/mailboxSettings"), None, None);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.header("x-msgraph-reason").is_none());
    let denied = request(&cred, "GET", &format!("/users/{other}/mailboxSettings"), None, None);
    assert_eq!(denied.status, 403);
    let e = &denied.json()["error"];
    assert_eq!(e["code"], "ErrorAccessDenied", "Graph's fields are kept");
    assert_eq!(e["message"], "Access to OData is disabled.");
    assert_eq!(e["msgraph_reason"], "application_access_policy");
    assert_eq!(denied.header("x-msgraph-reason").as_deref(), Some("application-access-policy"));
    // Directory reads are not mailbox access: not blocked, not marked.
    assert_eq!(request(&cred, "GET", &format!("/users/{other}"), None, None).status, 200);
    // Inside a batch too.
    let b = batch(&cred, &json!([
        {"method": "GET", "url": format!("/users/{allowed}/mailboxSettings")},
        {"method": "GET", "url": format!("/users/{other}/mailboxSettings")}
    ]).to_string(), None);
    let r = b.json();
    assert_eq!(r["responses"][0]["status"], 200);
    assert_eq!(r["responses"][1]["status"], 403);
    assert_eq!(r["responses"][1]["body"]["error"]["msgraph_reason"], "application_access_policy");
}

// ---------------------------------------------------------------- batch concurrency

fn overlaps(reqs: &[msgraph_emulator::RecordedRequest]) -> usize {
    // Largest number of $batch calls being served at the same moment.
    let mut peak = 0;
    for r in reqs {
        let at = r.at_ms + r.duration_ms / 2;
        let n = reqs.iter().filter(|o| o.at_ms <= at && at < o.at_ms + o.duration_ms.max(1)).count();
        peak = peak.max(n);
    }
    peak
}

#[test]
fn batch_concurrency_runs_batches_side_by_side() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let reqs: Vec<Value> = (0..80)
        .map(|i| json!({"method": "GET", "url": format!("/users/{}/mailboxSettings", emu.user_id(i))}))
        .collect();
    assert_eq!(token_info(&cred, None).status, 200);
    emu.set_latency_ms(150);
    let g = batch(&cred, &Value::from(reqs).to_string(), Some(r#"{"concurrency":4}"#));
    let out = g.json();
    let r = out["responses"].as_array().unwrap();
    assert_eq!(r.len(), 80);
    assert!(r.iter().all(|x| x["status"] == 200), "{}", g.body);
    for (i, x) in r.iter().enumerate() {
        assert_eq!(x["id"], (i + 1).to_string(), "order kept");
    }
    let posts = graph_requests(&emu);
    assert_eq!(posts.len(), 4);
    assert!(overlaps(&posts) >= 2, "several $batch calls were in flight at once: {:?}",
        posts.iter().map(|p| (p.at_ms, p.duration_ms)).collect::<Vec<_>>());
}

#[test]
fn batch_concurrency_respects_four_per_mailbox() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let one = emu.user_id(7);
    let reqs: Vec<Value> = (0..60).map(|_| json!({"method": "GET", "url": format!("/users/{one}/mailboxSettings")})).collect();
    assert_eq!(token_info(&cred, None).status, 200);
    emu.set_latency_ms(100);
    let g = batch(&cred, &Value::from(reqs).to_string(), Some(r#"{"concurrency":4}"#));
    assert!(g.json()["responses"].as_array().unwrap().iter().all(|x| x["status"] == 200));
    let posts = graph_requests(&emu);
    // Graph runs a batch's items at once and Outlook takes 4 per mailbox:
    // 60 independent items for one mailbox go as 15 $batch calls of 4.
    assert_eq!(posts.len(), 15);
    for p in &posts {
        let n = serde_json::from_str::<Value>(&p.body).unwrap()["requests"].as_array().unwrap().len();
        assert_eq!(n, 4, "at most 4 items of one mailbox per $batch");
    }
    assert_eq!(overlaps(&posts), 1, "one mailbox: never two $batch calls of its items at once");
}

// ---------------------------------------------------------------- certificate credentials

fn cert_files(emu: &Emulator) -> (std::path::PathBuf, String, String) {
    let dir = std::env::temp_dir().join(unique("msgraph-cert"));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("app-cert.pem");
    let key = dir.join("app-key.pem");
    std::fs::write(&cert, emu.certificate_pem()).unwrap();
    std::fs::write(&key, emu.private_key_pem()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    (dir, cert.to_str().unwrap().to_string(), key.to_str().unwrap().to_string())
}

fn certificate_credential(emu: &Emulator, cert: &str, key: &str, alg: Option<&str>) -> String {
    let mut cfg = emu.credential_json();
    cfg.as_object_mut().unwrap().remove("client_secret");
    cfg["certificate_file"] = json!(cert);
    cfg["private_key_file"] = json!(key);
    if let Some(a) = alg {
        cfg["assertion_alg"] = json!(a);
    }
    let name = unique("cert");
    let rc = msgraph_credential_set(cs(&name).as_ptr(), cs(&cfg.to_string()).as_ptr());
    assert_eq!(rc, MSGRAPH_OK, "{}", last_error());
    name
}

#[test]
fn certificate_credentials_sign_assertions_the_emulator_verifies() {
    let emu = emulator();
    let (dir, cert, key) = cert_files(&emu);
    for (alg, expected) in [(None, "client_assertion:PS256"), (Some("RS256"), "client_assertion:RS256")] {
        let cred = certificate_credential(&emu, &cert, &key, alg);
        let g = request(&cred, "GET", "/users?$top=1", None, None);
        assert_eq!(g.status, 200, "{}", g.body);
        let token_req = emu.requests().into_iter().rev().find(|r| r.path.contains("/oauth2/v2.0/token")).unwrap();
        assert_eq!(token_req.client_auth.as_deref(), Some(expected));
        assert!(token_req.body.contains("client_assertion="));
        assert!(!token_req.body.contains("client_secret"));
    }
    // Each token request signs a fresh assertion (a replayed jti is refused).
    let cred = certificate_credential(&emu, &cert, &key, None);
    assert_eq!(token_info(&cred, None).status, 200);
    assert_eq!(token_info(&cred, Some(r#"{"force_refresh":true}"#)).status, 200);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn certificate_configuration_is_checked_early() {
    let emu = emulator();
    let (dir, cert, key) = cert_files(&emu);
    let name = cs(&unique("certcfg"));
    let base = emu.credential_json();
    let with = |extra: Value| {
        let mut c = base.clone();
        c.as_object_mut().unwrap().remove("client_secret");
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        msgraph_credential_set(name.as_ptr(), cs(&c.to_string()).as_ptr())
    };
    assert_eq!(with(json!({"certificate_file": cert})), MSGRAPH_ERR_CONFIG, "key file missing");
    assert_eq!(with(json!({"certificate_file": cert, "private_key_file": "/nonexistent.pem"})), MSGRAPH_ERR_CONFIG);
    assert_eq!(with(json!({"certificate_file": key, "private_key_file": key})), MSGRAPH_ERR_CONFIG, "not a certificate");
    assert_eq!(with(json!({"certificate_file": cert, "private_key_file": key, "assertion_alg": "HS256"})), MSGRAPH_ERR_CONFIG);
    assert_eq!(with(json!({"certificate_file": cert, "private_key_file": key, "client_secret": "x"})), MSGRAPH_ERR_CONFIG);
    // A key that does not match the certificate.
    // Keys from tests/fixtures/cert, copied with the mode asked for.
    use std::os::unix::fs::PermissionsExt;
    let fixture = |name: &str, mode: u32| {
        let to = dir.join(format!("fixture-{name}"));
        std::fs::copy(format!("{}/tests/fixtures/cert/{name}", env!("CARGO_MANIFEST_DIR")), &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode)).unwrap();
        to.to_str().unwrap().to_string()
    };
    // A key file group or others can read is refused, even from C.
    let stranger = fixture("stranger-key.pem", 0o644);
    assert_eq!(with(json!({"certificate_file": cert, "private_key_file": stranger})), MSGRAPH_ERR_CONFIG);
    assert!(last_error().contains("mode 644") && last_error().contains("chmod 600"), "{}", last_error());
    let stranger = fixture("stranger-key.pem", 0o600);
    assert_eq!(with(json!({"certificate_file": cert, "private_key_file": stranger})), MSGRAPH_ERR_CONFIG);
    assert!(last_error().contains("does not belong"), "{}", last_error());
    assert!(!last_error().contains("PRIVATE KEY"));
    // A key too small to sign with (RSA 1024) is refused as such.
    assert_eq!(with(json!({"certificate_file": cert, "private_key_file": fixture("small-key.pem", 0o600)})), MSGRAPH_ERR_CONFIG);
    assert!(last_error().contains("cannot be used"), "{}", last_error());
    // A PKCS#1 key ("RSA PRIVATE KEY") with its certificate is accepted.
    let pkcs1 = json!({"certificate_file": fixture("app-cert.pem", 0o644), "private_key_file": fixture("app-key-pkcs1.pem", 0o600)});
    assert_eq!(with(pkcs1), MSGRAPH_OK, "{}", last_error());
    assert_eq!(with(json!({"certificate_file": cert, "private_key_file": key})), MSGRAPH_OK, "{}", last_error());
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------- found by fuzzing

#[test]
fn urls_with_user_information_are_refused() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let url = format!("http://user:pw@127.0.0.1:{}/v1.0/users", emu.port());
    assert_eq!(request_raw(&cred, "GET", &url, None, None), MSGRAPH_ERR_REFUSED);
    assert_eq!(emu.stats().graph_requests, 0);
}

#[test]
fn an_endless_next_link_is_cut_off() {
    let emu = emulator();
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let port = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let (c, p) = (counter.clone(), port.clone());
    let graph = FakeServer::start("127.0.0.1", move |_| {
        let n = c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let next = format!("http://127.0.0.1:{}/v1.0/users?page={}", p.load(std::sync::atomic::Ordering::SeqCst), n + 1);
        let body = json!({"value": [{"id": "x".repeat(200)}], "@odata.nextLink": next});
        ("200 OK".into(), vec![("content-type".into(), "application/json".into())], body.to_string())
    });
    port.store(graph.port as u32, std::sync::atomic::Ordering::SeqCst);
    let base = format!("http://127.0.0.1:{}/v1.0", graph.port);
    let cred = credential(&emu, json!({"graph_base_url": base, "max_response_bytes": 2048}));
    let g = request(&cred, "GET", "/users", None, Some(r#"{"all_pages":true}"#));
    assert_eq!(g.status, MSGRAPH_ERR_TOO_LARGE, "{}", g.body);
    let pages = counter.load(std::sync::atomic::Ordering::SeqCst);
    assert!((9..=11).contains(&pages), "stopped once the merged pages passed 2048 bytes: {pages} pages");
}

#[test]
fn merged_pages_stay_within_max_response_bytes() {
    let emu = emulator();
    let cred = credential(&emu, json!({"max_response_bytes": 20000}));
    let g = request(&cred, "GET", "/users?$top=50", None, Some(r#"{"all_pages":true}"#));
    assert_eq!(g.status, MSGRAPH_ERR_TOO_LARGE, "{}", g.body);
    assert!(g.json()["error"]["message"].as_str().unwrap().contains("max_items"));
    let g = request(&cred, "GET", "/users?$top=50", None, Some(r#"{"all_pages":true,"max_items":20}"#));
    assert_eq!(g.status, 200);
}

#[test]
fn a_next_link_to_the_same_page_is_a_loop() {
    let emu = emulator();
    let port = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let p = port.clone();
    let graph = FakeServer::start("127.0.0.1", move |_| {
        let me = format!("http://127.0.0.1:{}/v1.0/users", p.load(std::sync::atomic::Ordering::SeqCst));
        ("200 OK".into(), vec![("content-type".into(), "application/json".into())],
         json!({"value": [], "@odata.nextLink": me}).to_string())
    });
    port.store(graph.port as u32, std::sync::atomic::Ordering::SeqCst);
    let cred = credential(&emu, json!({"graph_base_url": format!("http://127.0.0.1:{}/v1.0", graph.port)}));
    let g = request(&cred, "GET", "/users", None, Some(r#"{"all_pages":true}"#));
    assert_eq!(g.status, MSGRAPH_ERR_TRANSPORT, "{}", g.body);
    assert!(g.body.contains("itself"));
    assert_eq!(graph.seen().len(), 1);
}

#[test]
fn the_header_exports_only_the_msgraph_namespace() {
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/msgraph.h")).unwrap();
    for line in header.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("#define ") {
            assert!(rest.starts_with("MSGRAPH_"), "a #define outside the namespace: {line}");
        }
        if t.contains('(') && (t.starts_with("int") || t.starts_with("const char") || t.starts_with("void")) {
            let name = t.split('(').next().unwrap().split_whitespace().last().unwrap().trim_start_matches('*');
            assert!(name.starts_with("msgraph_"), "a function outside the namespace: {line}");
        }
    }
}

#[test]
fn json_accessors_agree_on_small_and_big_results() {
    let emu = Emulator::start(Options { users: 4000, ..Options::default() }).unwrap();
    let cred = credential(&emu, json!({}));
    let h = request_raw(&cred, "GET", "/users?$top=999", None, Some(r#"{"all_pages":true}"#));
    assert!(h > 0);
    let len = msgraph_result_length(h);
    assert!(len > (1 << 20), "a body past the tree cache limit: {len}");
    let body = unsafe { std::slice::from_raw_parts(msgraph_result_body(h) as *const u8, len as usize) };
    let tree: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(msgraph_result_json_count(h, cs("/value").as_ptr()), 4000);
    for i in [0usize, 2, 1234, 3999] {
        let p = format!("/value/{i}/displayName");
        assert_eq!(text(msgraph_result_json(h, cs(&p).as_ptr())).unwrap(), tree.pointer(&p).unwrap().as_str().unwrap());
    }
    let p = "/value/17";
    let got: Value = serde_json::from_str(&text(msgraph_result_json(h, cs(p).as_ptr())).unwrap()).unwrap();
    assert_eq!(&got, tree.pointer(p).unwrap());
    assert!(msgraph_result_json(h, cs("/value/4000").as_ptr()).is_null());
    assert_eq!(msgraph_result_json_count(h, cs("/value/4000").as_ptr()), MSGRAPH_ERR_NOT_FOUND as i64);
    assert_eq!(msgraph_result_json_count(h, cs("value").as_ptr()), MSGRAPH_ERR_ARGUMENT as i64);
    assert_eq!(msgraph_result_free(h), MSGRAPH_OK);
    // The same questions on a small result (tree path).
    let g = request_raw(&cred, "GET", "/users?$top=3", None, None);
    assert_eq!(msgraph_result_json_count(g, cs("/value").as_ptr()), 3);
    assert!(msgraph_result_json(g, cs("/value/3").as_ptr()).is_null());
    assert_eq!(msgraph_result_free(g), MSGRAPH_OK);
}
