//! Graph's own acceptance and refusal rules (issue 12): key and function-call forms,
//! advanced-query rules, unknown query options and $select names, action-parameter
//! casing, @odata.type in PATCH, optimistic concurrency, OIDC discovery, correlation ids.
mod common;
use common::*;
use msgraph_emulator::*;
use serde_json::{json, Value};

fn req(emu: &Emulator, tok: &str, method: &str, path: &str, hdrs: &[(&str, &str)], body: Option<&Value>) -> (u16, reqwest::header::HeaderMap, Value) {
    let url = format!("{}{}", emu.graph_base_url(), path);
    let mut b = client().request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url).bearer_auth(tok);
    for (k, v) in hdrs {
        b = b.header(*k, *v);
    }
    if let Some(j) = body {
        b = b.json(j);
    }
    let r = b.send().unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    let t = r.text().unwrap();
    (s, h, serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

#[test]
fn key_and_function_forms() {
    let emu = start();
    let t = token(&emu);
    let id = emu.user_id(2);
    let (s, v) = get(&emu, &t, &format!("/users('{id}')"));
    assert_eq!((s, v["id"].as_str()), (200, Some(id.as_str())), "{v}");
    let (s, v) = get(&emu, &t, "/users/delta()");
    assert_eq!(s, 200, "{v}");
    assert!(v["value"].is_array());
    let (s, v) = get(&emu, &t, &format!("/users('{id}')/mailFolders('inbox')/messages/delta()"));
    assert_eq!(s, 200, "{v}");
    let (_, apps) = get(&emu, &t, "/applications");
    let app_id = apps["value"][0]["appId"].as_str().unwrap().to_string();
    let (s, v) = get(&emu, &t, &format!("/applications(appId='{app_id}')"));
    assert_eq!((s, v["appId"].as_str()), (200, Some(app_id.as_str())), "{v}");
    // Not OData: a key segment after a slash.
    let (s, v) = get(&emu, &t, &format!("/applications/(appId='{app_id}')"));
    assert_eq!(s, 400, "{v}");
    assert_eq!(graph_error(&v).0, "BadRequest");
}

#[test]
fn advanced_query_rules() {
    let emu = start();
    let t = token(&emu);
    for q in ["/users?$filter=accountEnabled ne true", "/users?$filter=not(startswith(displayName,'A'))", "/users?$filter=startswith(displayName,'A')&$orderby=displayName"] {
        let (s, _, v) = req(&emu, &t, "GET", q, &[], None);
        assert_eq!(s, 400, "{q}: {v}");
        assert_eq!(graph_error(&v).0, "Request_UnsupportedQuery", "{q}");
        // with eventual but no $count: still refused
        let (s, _, _) = req(&emu, &t, "GET", q, &[("ConsistencyLevel", "eventual")], None);
        assert_eq!(s, 400, "{q}");
        let (s, _, v) = req(&emu, &t, "GET", &format!("{q}&$count=true"), &[("ConsistencyLevel", "eventual")], None);
        assert_eq!(s, 200, "{q}: {v}");
        assert!(v["@odata.count"].is_number(), "{q}");
    }
    let (s, v) = get(&emu, &t, "/users?$frobnicate=1");
    assert_eq!((s, graph_error(&v).0), (400, "BadRequest"), "{v}");
    let (s, v) = get(&emu, &t, "/users?$select=displayName,noSuchProperty");
    assert_eq!((s, graph_error(&v).0), (400, "Request_BadRequest"), "{v}");
    assert!(graph_error(&v).1.contains("noSuchProperty"));
    // unknown non-$ parameters are custom query options: accepted
    assert_eq!(get(&emu, &t, "/users?$top=1&custom=1").0, 200);
}

#[test]
fn sdk_shaped_writes() {
    let emu = start();
    let t = token(&emu);
    let id = emu.user_id(1);
    let (s, _, v) = req(&emu, &t, "PATCH", &format!("/users/{id}"), &[], Some(&json!({"@odata.type": "#microsoft.graph.user", "jobTitle": "Pilot"})));
    assert_eq!(s, 204, "{v}");
    assert_eq!(get(&emu, &t, &format!("/users/{id}")).1["jobTitle"], "Pilot");
    let (s, _, v) = req(&emu, &t, "PATCH", &format!("/users/{id}"), &[], Some(&json!({"@odata.type": "#microsoft.graph.group"})));
    assert_eq!(s, 400, "{v}");
    let to = get(&emu, &t, &format!("/users/{}", emu.user_id(3))).1["userPrincipalName"].as_str().unwrap().to_string();
    let mail = json!({"Message": {"subject": "hi", "body": {"contentType": "Text", "content": "x"}, "toRecipients": [{"emailAddress": {"address": to}}]}, "SaveToSentItems": false});
    let (s, _, v) = req(&emu, &t, "POST", &format!("/users/{id}/sendMail"), &[], Some(&mail));
    assert_eq!(s, 202, "{v}");
}

#[test]
fn etags_change_and_if_match_is_checked() {
    let emu = start();
    let t = token(&emu);
    let id = emu.user_id(0);
    let (_, list) = get(&emu, &t, &format!("/users/{id}/messages?$top=1"));
    let m = &list["value"][0];
    let (mid, tag0) = (m["id"].as_str().unwrap().to_string(), m["@odata.etag"].as_str().unwrap().to_string());
    let path = format!("/users/{id}/messages/{mid}");
    let (s, _, v) = req(&emu, &t, "PATCH", &path, &[("If-Match", &tag0)], Some(&json!({"isRead": true})));
    assert_eq!(s, 200, "{v}");
    let tag1 = v["@odata.etag"].as_str().unwrap().to_string();
    assert_ne!(tag0, tag1);
    assert_ne!(m["changeKey"], v["changeKey"]);
    let (s, _, v) = req(&emu, &t, "PATCH", &path, &[("If-Match", &tag0)], Some(&json!({"isRead": false})));
    assert_eq!(s, 412, "{v}");
    assert_eq!(graph_error(&v).0, "ErrorIrresolvableConflict");
    let (s, _, _) = req(&emu, &t, "DELETE", &path, &[("If-Match", &tag0)], None);
    assert_eq!(s, 412);
    let (s, _, _) = req(&emu, &t, "DELETE", &path, &[("If-Match", &tag1)], None);
    assert_eq!(s, 204);
}

#[test]
fn entra_discovery_scope_and_correlation() {
    let emu = start();
    let base = emu.token_url().split("/oauth2/").next().unwrap().rsplit_once('/').unwrap().0.to_string();
    let r = client().get(format!("{base}/{TENANT_ID}/v2.0/.well-known/openid-configuration")).send().unwrap();
    assert_eq!(r.status(), 200);
    let r = client().get(format!("{base}/no-such-tenant.example/v2.0/.well-known/openid-configuration")).send().unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().unwrap();
    assert_eq!(v["error"], "invalid_tenant");
    assert_eq!(v["error_codes"][0], 90002);
    // Graph's scope in its appId form
    let r = client()
        .post(emu.token_url())
        .form(&[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET), ("scope", "00000003-0000-0000-c000-000000000000/.default"), ("grant_type", "client_credentials")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    // the caller's client-request-id is Entra's correlation id
    let r = client()
        .post(emu.token_url())
        .header("client-request-id", "0f0e0d0c-0b0a-4909-8807-060504030201")
        .form(&[("client_id", CLIENT_ID), ("client_secret", "wrong"), ("scope", "https://graph.microsoft.com/.default"), ("grant_type", "client_credentials")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().unwrap();
    assert_eq!(v["correlation_id"], "0f0e0d0c-0b0a-4909-8807-060504030201");
}

#[test]
fn prefer_headers_applied_and_echoed() {
    let emu = start();
    let t = token(&emu);
    let id = emu.user_id(0);
    let path = format!("/users/{id}/events?$top=3");
    let (_, h, utc) = req(&emu, &t, "GET", &path, &[], None);
    assert!(h.get("preference-applied").is_none());
    let (_, h, tokyo) = req(&emu, &t, "GET", &path, &[("Prefer", "outlook.timezone=\"Tokyo Standard Time\"")], None);
    assert_eq!(h["preference-applied"], "outlook.timezone=\"Tokyo Standard Time\"");
    let (a, b) = (&utc["value"][0]["start"], &tokyo["value"][0]["start"]);
    assert_eq!((a["timeZone"].as_str(), b["timeZone"].as_str()), (Some("UTC"), Some("Tokyo Standard Time")));
    assert_ne!(a["dateTime"], b["dateTime"]);
    // zones with daylight saving: the offset in force at each instant (EU and US rules)
    let ev = serde_json::json!({"subject": "summer", "start": {"dateTime": "2026-07-01T10:00:00", "timeZone": "UTC"}, "end": {"dateTime": "2026-07-01T11:00:00", "timeZone": "UTC"}});
    let (s, _, created) = req(&emu, &t, "POST", &format!("/users/{id}/events"), &[], Some(&ev));
    assert_eq!(s, 201, "{created}");
    let ev = serde_json::json!({"subject": "winter", "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "UTC"}, "end": {"dateTime": "2026-12-01T11:00:00", "timeZone": "UTC"}});
    let (s, _, winter) = req(&emu, &t, "POST", &format!("/users/{id}/events"), &[], Some(&ev));
    assert_eq!(s, 201, "{winter}");
    for (zone, summer, dec) in [("W. Europe Standard Time", "2026-07-01T12:00:00", "2026-12-01T11:00:00"), ("Pacific Standard Time", "2026-07-01T03:00:00", "2026-12-01T02:00:00"), ("AUS Eastern Standard Time", "2026-07-01T20:00:00", "2026-12-01T21:00:00")] {
        let pref = format!("outlook.timezone=\"{zone}\"");
        for (ev, want) in [(&created, summer), (&winter, dec)] {
            let (s, h, got) = req(&emu, &t, "GET", &format!("/users/{id}/events/{}", ev["id"].as_str().unwrap()), &[("Prefer", &pref)], None);
            assert_eq!(s, 200, "{got}");
            assert_eq!(h["preference-applied"], pref.as_str());
            assert_eq!(got["start"]["timeZone"], zone);
            assert!(got["start"]["dateTime"].as_str().unwrap().starts_with(want), "{zone}: {} (want {want})", got["start"]);
        }
    }
    // a zone not in the table is not emulated: UTC times, preference not echoed as applied
    let (_, h, mars) = req(&emu, &t, "GET", &path, &[("Prefer", "outlook.timezone=\"Mars Standard Time\"")], None);
    assert!(h.get("preference-applied").is_none());
    assert_eq!(mars["value"][0]["start"], *a);
    let (_, h, msgs) = req(&emu, &t, "GET", &format!("/users/{id}/messages?$top=5"), &[("Prefer", "outlook.body-content-type=\"text\"")], None);
    assert_eq!(h["preference-applied"], "outlook.body-content-type=\"text\"");
    for m in msgs["value"].as_array().unwrap() {
        if m["body"].is_object() {
            assert_eq!(m["body"]["contentType"], "text", "{m}");
            assert!(!m["body"]["content"].as_str().unwrap_or("").contains("<html"), "{m}");
        }
    }
}

#[test]
fn not_emulated_is_refused_by_name() {
    let emu = start();
    let t = token(&emu);
    let (s, v) = get(&emu, &t, "/users?$expand=manager");
    assert_eq!((s, graph_error(&v).0), (501, "NotImplemented"), "{v}");
    assert!(graph_error(&v).1.contains("not emulated"));
    let (s, _) = get(&emu, &t, "/users?$format=json");
    assert_eq!(s, 501);
}

#[test]
fn filter_literals_of_the_wrong_type_are_refused() {
    let emu = start();
    let t = token(&emu);
    let (s, v) = get(&emu, &t, "/users?$filter=accountEnabled eq 'true'");
    assert_eq!((s, graph_error(&v).0), (400, "BadRequest"), "{v}");
    assert!(graph_error(&v).1.contains("'Edm.Boolean' and 'Edm.String'"), "{v}");
    let (s, v) = get(&emu, &t, "/users?$filter=displayName eq 42");
    assert_eq!(s, 400, "{v}");
    assert_eq!(get(&emu, &t, "/users?$filter=accountEnabled eq true").0, 200);
    assert_eq!(get(&emu, &t, "/users?$filter=displayName eq 'Adele Vance'").0, 200);
}
