mod common;
use common::*;
use msgraph_emulator::*;
use serde_json::{json, Value};
use std::collections::HashSet;

#[test]
fn auth_failures_are_401() {
    let emu = start();
    let url = format!("{}/users", emu.graph_base_url());
    let r = client().get(&url).send().unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    assert!(r.headers().get("request-id").is_some());
    let v: Value = r.json().unwrap();
    assert_eq!(graph_error(&v), ("InvalidAuthenticationToken", "Access token is empty."));
    let (s, v) = get(&emu, "not-a-jwt", "/users");
    assert_eq!(s, 401);
    assert_eq!(graph_error(&v).0, "InvalidAuthenticationToken");
    // forged: valid shape, wrong signature
    let t = token(&emu);
    let mut parts: Vec<&str> = t.split('.').collect();
    parts[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let (s, v) = get(&emu, &parts.join("."), "/users");
    assert_eq!((s, graph_error(&v).1), (401, "Invalid signature."));
    // a token from another emulator instance is forged too
    let other = start();
    let (s, _) = get(&emu, &token(&other), "/users");
    assert_eq!(s, 401);
    // expired
    emu.set_token_lifetime(0, None);
    let expired = token(&emu);
    let (s, v) = get(&emu, &expired, "/users");
    assert_eq!((s, graph_error(&v).1), (401, "Access token has expired or is not yet valid."));
    emu.reset_faults();
    // revoked
    let t = token(&emu);
    assert_eq!(get(&emu, &t, "/users?$top=1").0, 200);
    emu.revoke_tokens();
    let (s, v) = get(&emu, &t, "/users?$top=1");
    assert_eq!((s, graph_error(&v).1), (401, "Access token has expired or is not yet valid."));
    assert_eq!(get(&emu, &token(&emu), "/users?$top=1").0, 200);
}

#[test]
fn graph_headers_and_client_request_id() {
    let emu = start();
    let t = token(&emu);
    let r = client().get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(&t).header("client-request-id", "abc-123").send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["client-request-id"], "abc-123");
    assert!(r.headers()["request-id"].to_str().unwrap().len() == 36);
    assert_eq!(r.headers()["content-type"], "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8");
    let r = client().get(format!("{}/users?$top=1", emu.graph_base_url())).bearer_auth(&t).send().unwrap();
    assert_eq!(r.headers()["client-request-id"].to_str().unwrap().len(), 36);
    // beta alias
    let (s, v) = get(&emu, &t, &format!("{}/beta/users?$top=1", emu.base_url()));
    assert_eq!(s, 200);
    assert!(v["@odata.context"].as_str().unwrap().contains("/beta/$metadata#users"));
}

#[test]
fn paging_all_users() {
    let emu = start();
    let t = token(&emu);
    let (s, mut page) = get(&emu, &t, "/users?$top=37&$select=id,displayName");
    assert_eq!(s, 200);
    let mut ids = HashSet::new();
    let mut pages = 1;
    loop {
        for u in page["value"].as_array().unwrap() {
            assert!(ids.insert(u["id"].as_str().unwrap().to_string()));
            assert!(u.get("mail").is_none());
        }
        let Some(next) = page["@odata.nextLink"].as_str().map(String::from) else { break };
        assert!(next.starts_with(&emu.graph_base_url()), "{next}");
        assert!(next.contains("$top=37") && next.contains("$select=id,displayName") && next.contains("$skiptoken="), "{next}");
        let (s, p) = get(&emu, &t, &next);
        assert_eq!(s, 200);
        page = p;
        pages += 1;
    }
    assert_eq!(ids.len(), 250);
    assert_eq!(pages, 7);
    // default page size is 100
    let (_, p) = get(&emu, &t, "/users");
    assert_eq!(p["value"].as_array().unwrap().len(), 100);
    let u = &p["value"][0];
    for k in ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"] {
        assert!(u.get(k).is_some(), "{k}");
    }
    let (s, v) = get(&emu, &t, "/users?$top=1000");
    assert_eq!((s, graph_error(&v).0), (400, "Request_BadRequest"));
    let (s, v) = get(&emu, &t, "/users?$skiptoken=garbage");
    assert_eq!(s, 400, "{v}");
}

#[test]
fn filter_select_count_orderby() {
    let emu = start();
    let t = token(&emu);
    let (s, v) = get(&emu, &t, "/users?$filter=startswith(displayName,'Zo')");
    assert_eq!(s, 200);
    let names: Vec<&str> = v["value"].as_array().unwrap().iter().map(|u| u["displayName"].as_str().unwrap()).collect();
    assert!(names.contains(&"Zoë Müller"), "{names:?}");
    assert!(names.iter().all(|n| n.to_lowercase().starts_with("zo")));
    let (_, v) = get(&emu, &t, "/users?$filter=userPrincipalName%20eq%20'zoe.mueller@contoso.onmicrosoft.com'");
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    let id = v["value"][0]["id"].as_str().unwrap().to_string();
    let (_, v) = get(&emu, &t, &format!("/users?$filter=id eq '{id}'&$select=displayName,accountEnabled"));
    assert_eq!(v["value"][0]["displayName"], "Zoë Müller");
    assert!(v["value"][0].get("accountEnabled").is_some());
    assert!(v["@odata.context"].as_str().unwrap().ends_with("$metadata#users(displayName,accountEnabled)"));
    let (_, v) = get(&emu, &t, "/users?$filter=accountEnabled eq false&$top=999");
    assert!(!v["value"].as_array().unwrap().is_empty());
    // $count requires ConsistencyLevel: eventual
    let (s, _) = get(&emu, &t, "/users?$count=true");
    assert_eq!(s, 400);
    let r = client()
        .get(format!("{}/users?$filter=startswith(displayName,'a')&$orderby=displayName&$count=true&$top=1", emu.graph_base_url()))
        .bearer_auth(&t)
        .header("ConsistencyLevel", "eventual")
        .send()
        .unwrap();
    let v: Value = r.json().unwrap();
    assert!(v["@odata.count"].as_u64().unwrap() > 1);
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    assert!(v["@odata.nextLink"].as_str().unwrap().contains("$orderby=displayName"));
    // orderby pages are sorted
    let (_, v) = get(&emu, &t, "/users?$orderby=displayName&$top=999&$select=displayName");
    let names: Vec<String> = v["value"].as_array().unwrap().iter().map(|u| u["displayName"].as_str().unwrap().to_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let (s, v) = get(&emu, &t, "/users?$filter=startswith(displayName");
    assert_eq!(s, 400, "{v}");
    let (s, v) = get(&emu, &t, "/users?$filter=foo eq 'x'");
    assert_eq!((s, graph_error(&v).0), (400, "Request_UnsupportedQuery"));
}

#[test]
fn single_user_errors_and_permissions() {
    let emu = start();
    let t = token(&emu);
    let (s, v) = get(&emu, &t, "/users/LEI.LI@contoso.onmicrosoft.com");
    assert_eq!(s, 200);
    assert_eq!(v["displayName"], "李雷");
    let (s, v) = get(&emu, &t, &format!("/users/{}", emu.user_id(3)));
    assert_eq!((s, v["displayName"].as_str()), (200, Some("Ōta Hiroshi")));
    let (s, v) = get(&emu, &t, "/users/nobody@contoso.onmicrosoft.com");
    assert_eq!(s, 404);
    assert_eq!(graph_error(&v), ("Request_ResourceNotFound", "Resource 'nobody@contoso.onmicrosoft.com' does not exist or one of its queried reference-property objects are not present."));
    let (s, v) = get(&emu, &t, "/me");
    assert_eq!((s, graph_error(&v)), (400, ("BadRequest", "/me request is only valid with delegated authentication flow.")));
    let (s, v) = get(&emu, &t, "/frobnicate");
    assert_eq!((s, graph_error(&v)), (400, ("BadRequest", "Resource not found for the segment 'frobnicate'.")));
    let r = reader_token(&emu);
    assert_eq!(get(&emu, &r, "/users?$top=2").0, 200);
    let (s, v) = get(&emu, &r, "/groups");
    assert_eq!((s, graph_error(&v)), (403, ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")));
    let (s, v) = get(&emu, &r, &format!("/users/{}/messages", emu.user_id(0)));
    assert_eq!((s, graph_error(&v)), (403, ("ErrorAccessDenied", "Access is denied. Check credentials and try again.")));
    let (s, v) = get(&emu, &t, "/users/nobody@contoso.onmicrosoft.com/messages");
    assert_eq!(s, 404, "{v}");
    let (s, v) = get(&emu, &t, &format!("/users/{}/messages/AAMkAGnope", emu.user_id(0)));
    assert_eq!((s, graph_error(&v).0), (404, "ErrorItemNotFound"));
}

#[test]
fn user_crud() {
    let emu = start();
    let t = token(&emu);
    let body = json!({"accountEnabled": true, "displayName": "Ingrid Ærø", "mailNickname": "ingrid.new", "userPrincipalName": "ingrid.new@contoso.onmicrosoft.com", "passwordProfile": {"password": "x", "forceChangePasswordNextSignIn": true}});
    let (s, v) = send(&emu, &t, "POST", "/users", &body);
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let (s, _) = send(&emu, &t, "POST", "/users", &body);
    assert_eq!(s, 400);
    let (s, _) = send(&emu, &t, "POST", "/users", &json!({"displayName": "x"}));
    assert_eq!(s, 400);
    let (s, _) = send(&emu, &t, "PATCH", &format!("/users/{id}"), &json!({"jobTitle": "Skipper"}));
    assert_eq!(s, 204);
    let (_, v) = get(&emu, &t, &format!("/users/{id}"));
    assert_eq!(v["jobTitle"], "Skipper");
    let (s, _) = send(&emu, &t, "PATCH", &format!("/users/{id}"), &json!({"noSuchProp": 1}));
    assert_eq!(s, 400);
    let (s, _) = send(&emu, &t, "DELETE", &format!("/users/{id}"), &Value::Null);
    assert_eq!(s, 204);
    assert_eq!(get(&emu, &t, &format!("/users/{id}")).0, 404);
    let r = reader_token(&emu);
    assert_eq!(send(&emu, &r, "PATCH", &format!("/users/{}", emu.user_id(1)), &json!({"jobTitle": "x"})).0, 403);
}

#[test]
fn groups_apps_sites_org() {
    let emu = start();
    let t = token(&emu);
    let (s, v) = get(&emu, &t, "/groups");
    assert_eq!(s, 200);
    let gid = v["value"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(v["value"][0]["displayName"], "All Company");
    let (s, _) = get(&emu, &t, &format!("/groups/{gid}"));
    assert_eq!(s, 200);
    let mut n = 0;
    let (_, mut p) = get(&emu, &t, &format!("/groups/{gid}/members?$top=60"));
    loop {
        n += p["value"].as_array().unwrap().len();
        assert_eq!(p["value"][0]["@odata.type"], "#microsoft.graph.user");
        match p["@odata.nextLink"].as_str() {
            Some(l) => p = get(&emu, &t, l).1,
            None => break,
        }
    }
    assert_eq!(n, 250);
    let (s, v) = get(&emu, &t, "/applications");
    assert_eq!(s, 200);
    let apps = v["value"].as_array().unwrap();
    assert!(apps.len() >= 6);
    let primary = apps.iter().find(|a| a["appId"] == CLIENT_ID).unwrap();
    assert!(primary["passwordCredentials"].as_array().unwrap().iter().any(|p| p["keyId"] == CLIENT_SECRET_ID));
    let ends: Vec<&str> = apps.iter().flat_map(|a| a["passwordCredentials"].as_array().unwrap().iter().map(|p| p["endDateTime"].as_str().unwrap())).collect();
    assert!(ends.len() >= 8);
    let (s, v) = get(&emu, &t, &format!("/applications/{}", primary["id"].as_str().unwrap()));
    assert_eq!((s, v["appId"].as_str()), (200, Some(CLIENT_ID)));
    let (s, v) = get(&emu, &t, "/sites/root");
    assert_eq!(s, 200);
    assert_eq!(v["id"], ROOT_SITE_ID);
    let (_, v) = get(&emu, &t, &format!("/sites/{ROOT_SITE_ID}/lists"));
    let lid = v["value"][1]["id"].as_str().unwrap().to_string();
    let (s, v) = get(&emu, &t, &format!("/sites/{ROOT_SITE_ID}/lists/{lid}/items?$expand=fields"));
    assert_eq!(s, 200);
    assert_eq!(v["value"][0]["fields"]["Name"], "Gadget");
    let (_, v) = get(&emu, &t, &format!("/sites/{ROOT_SITE_ID}/lists/{lid}/items"));
    assert!(v["value"][0].get("fields").is_none());
    let (s, v) = get(&emu, &t, "/organization");
    assert_eq!((s, v["value"][0]["id"].as_str()), (200, Some(TENANT_ID)));
    assert_eq!(get(&emu, &reader_token(&emu), "/organization").0, 403);
}

#[test]
fn outlook_resources() {
    let emu = start();
    let t = token(&emu);
    let u = emu.user_id(5);
    let (s, v) = get(&emu, &t, &format!("/users/{u}/events"));
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().unwrap().len(), 5);
    let (s, ev) = send(&emu, &t, "POST", &format!("/users/{u}/calendar/events"), &json!({"subject": "Fika ☕", "start": {"dateTime": "2030-01-01T10:00:00", "timeZone": "UTC"}, "end": {"dateTime": "2030-01-01T11:00:00", "timeZone": "UTC"}}));
    assert_eq!(s, 201, "{ev}");
    assert_eq!(ev["subject"], "Fika ☕");
    let (_, v) = get(&emu, &t, &format!("/users/{u}/calendarView?startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-01-02T00:00:00Z"));
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    let (s, v) = get(&emu, &t, &format!("/users/{u}/calendarView"));
    assert_eq!((s, graph_error(&v).0), (400, "ErrorInvalidParameter"));
    let (s, v) = get(&emu, &t, &format!("/users/{u}/messages"));
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().unwrap().len(), 10);
    assert!(v["@odata.nextLink"].as_str().unwrap().contains("skip=10"));
    let (s, v) = get(&emu, &t, v["@odata.nextLink"].as_str().unwrap());
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().unwrap().len(), 2);
    let (s, v) = get(&emu, &t, &format!("/users/{u}/mailFolders/inbox/messages?$top=50"));
    assert_eq!((s, v["value"].as_array().unwrap().len()), (200, 11));
    let (s, c) = send(&emu, &t, "POST", &format!("/users/{u}/contacts"), &json!({"givenName": "Pavel", "surname": "Bansky", "emailAddresses": [{"address": "pavelb@fabrikam.onmicrosoft.com", "name": "Pavel Bansky"}]}));
    assert_eq!(s, 201);
    assert_eq!(c["displayName"], "Pavel Bansky");
    assert_eq!(get(&emu, &t, &format!("/users/{u}/contacts?$top=100")).1["value"].as_array().unwrap().len(), 5);
    let (s, v) = get(&emu, &t, &format!("/users/{u}/mailboxSettings"));
    assert_eq!(s, 200);
    assert_eq!(v["automaticRepliesSetting"]["status"], "disabled");
    assert!(v["workingHours"]["daysOfWeek"].is_array());
    let (s, v) = send(&emu, &t, "PATCH", &format!("/users/{u}/mailboxSettings"), &json!({"automaticRepliesSetting": {"status": "alwaysEnabled", "internalReplyMessage": "Bin im Urlaub"}}));
    assert_eq!(s, 200, "{v}");
    let (_, v) = get(&emu, &t, &format!("/users/{u}/mailboxSettings/automaticRepliesSetting"));
    assert_eq!(v["status"], "alwaysEnabled");
    assert_eq!(v["internalReplyMessage"], "Bin im Urlaub");
    let (s, _) = send(&emu, &t, "PATCH", &format!("/users/{u}/mailboxSettings"), &json!({"automaticRepliesSetting": {"status": "sometimes"}}));
    assert_eq!(s, 400);
    let (s, v) = get(&emu, &t, &format!("/users/{u}/todo/lists"));
    assert_eq!(s, 200);
    let lid = v["value"][0]["id"].as_str().unwrap().to_string();
    let (s, task) = send(&emu, &t, "POST", &format!("/users/{u}/todo/lists/{lid}/tasks"), &json!({"title": "Zahnarzt", "importance": "high"}));
    assert_eq!(s, 201);
    assert_eq!(task["status"], "notStarted");
    let (_, v) = get(&emu, &t, &format!("/users/{u}/todo/lists/{lid}/tasks?$top=50"));
    assert_eq!(v["value"].as_array().unwrap().len(), 4);
}

#[test]
fn send_mail_delivers() {
    let emu = start();
    let t = token(&emu);
    let from = emu.user_id(0);
    let to_upn = emu.user_upn(7).unwrap();
    let to = emu.user_id(7);
    let before = get(&emu, &t, &format!("/users/{to}/mailFolders/inbox/messages?$top=100")).1["value"].as_array().unwrap().len();
    let msg = json!({"message": {"subject": "Grüße aus Ærø", "body": {"contentType": "Text", "content": "Hej!"}, "toRecipients": [{"emailAddress": {"address": to_upn}}, {"emailAddress": {"address": "someone@example.com"}}]}, "saveToSentItems": "true"});
    let r = client().post(format!("{}/users/{from}/sendMail", emu.graph_base_url())).bearer_auth(&t).json(&msg).send().unwrap();
    assert_eq!(r.status(), 202);
    assert!(r.text().unwrap().is_empty());
    let (_, v) = get(&emu, &t, &format!("/users/{to}/mailFolders/inbox/messages?$top=100"));
    let inbox = v["value"].as_array().unwrap();
    assert_eq!(inbox.len(), before + 1);
    let m = inbox.iter().find(|m| m["subject"] == "Grüße aus Ærø").unwrap();
    assert_eq!(m["from"]["emailAddress"]["address"], emu.user_upn(0).unwrap());
    assert_eq!(m["isRead"], false);
    let (_, v) = get(&emu, &t, &format!("/users/{from}/mailFolders/sentitems/messages"));
    assert!(v["value"].as_array().unwrap().iter().any(|m| m["subject"] == "Grüße aus Ærø"));
    // saveToSentItems false
    let msg2 = json!({"message": {"subject": "nosave", "toRecipients": [{"emailAddress": {"address": to_upn}}]}, "saveToSentItems": false});
    assert_eq!(send(&emu, &t, "POST", &format!("/users/{from}/sendMail"), &msg2).0, 202);
    let (_, v) = get(&emu, &t, &format!("/users/{from}/mailFolders/sentitems/messages?$top=100"));
    assert!(!v["value"].as_array().unwrap().iter().any(|m| m["subject"] == "nosave"));
    // validation
    let (s, v) = send(&emu, &t, "POST", &format!("/users/{from}/sendMail"), &json!({"message": {"subject": "x"}}));
    assert_eq!((s, graph_error(&v).0), (400, "ErrorInvalidRecipients"));
    let (s, _) = send(&emu, &t, "POST", &format!("/users/{from}/sendMail"), &json!({"message": {"subject": "x", "toRecipients": [{"emailAddress": {"address": "not an address"}}]}}));
    assert_eq!(s, 400);
    let (s, _) = send(&emu, &t, "POST", &format!("/users/{from}/sendMail"), &json!({"message": {"body": {"contentType": "pdf", "content": "x"}, "toRecipients": [{"emailAddress": {"address": to_upn}}]}}));
    assert_eq!(s, 400);
    let r = client().post(format!("{}/users/{from}/sendMail", emu.graph_base_url())).bearer_auth(&t).header("Content-Type", "application/json").body("{not json").send().unwrap();
    assert_eq!(r.status(), 400);
    let r = client().post(format!("{}/users/{from}/sendMail", emu.graph_base_url())).bearer_auth(&t).header("Content-Type", "text/plain").body("!!!notbase64").send().unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().unwrap();
    assert_eq!(v["error"]["code"], "ErrorMimeContentInvalidBase64String");
    assert_eq!(send(&emu, &reader_token(&emu), "POST", &format!("/users/{from}/sendMail"), &msg2).0, 403);
}

#[test]
fn access_policy_blocks_other_mailboxes() {
    let emu = start();
    let t = token(&emu);
    emu.set_access_policy(CLIENT_ID, &[&emu.user_upn(1).unwrap()]);
    assert_eq!(get(&emu, &t, &format!("/users/{}/messages", emu.user_id(1))).0, 200);
    let (s, v) = get(&emu, &t, &format!("/users/{}/messages", emu.user_id(2)));
    assert_eq!(s, 403);
    assert_eq!(v["error"]["code"], "ErrorAccessDenied");
    assert_eq!(v["error"]["message"], "Access to OData is disabled.");
    // directory calls are unaffected
    assert_eq!(get(&emu, &t, &format!("/users/{}", emu.user_id(2))).0, 200);
    emu.reset_faults();
    assert_eq!(get(&emu, &t, &format!("/users/{}/messages", emu.user_id(2))).0, 200);
}

#[test]
fn large_tenant_is_fast() {
    let t0 = std::time::Instant::now();
    let emu = Emulator::start(Options { users: 100_000, ..Default::default() }).unwrap();
    assert!(t0.elapsed().as_secs() < 10);
    let t = token(&emu);
    let (s, v) = get(&emu, &t, &format!("/users/{}", emu.user_id(99_999)));
    assert_eq!(s, 200, "{v}");
    let (s, v) = get(&emu, &t, "/users?$top=999&$select=id");
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().unwrap().len(), 999);
    let (_, v) = get(&emu, &t, &format!("/users/{}/events", emu.user_id(99_998)));
    assert_eq!(v["value"].as_array().unwrap().len(), 5);
}
