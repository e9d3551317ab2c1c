//! Fidelity details (issue 12): `$count` segments on directory collections (advanced queries:
//! ConsistencyLevel: eventual), If-Match on directory objects refused as not emulated, and the
//! token's `aud` in Graph's appId form when the scope named Graph that way.
mod common;
use common::*;
use msgraph_emulator::*;
use serde_json::Value;

fn count(emu: &Emulator, tok: &str, path: &str, eventual: bool) -> (u16, String) {
    let mut b = client().get(format!("{}{}", emu.graph_base_url(), path)).bearer_auth(tok);
    if eventual {
        b = b.header("ConsistencyLevel", "eventual");
    }
    let r = b.send().unwrap();
    let s = r.status().as_u16();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let body = r.text().unwrap();
    if s == 200 {
        assert!(ct.starts_with("text/plain"), "{path}: {ct}");
    }
    (s, body)
}

#[test]
fn count_segments_on_directory_collections() {
    let emu = start();
    let t = token(&emu);
    let list_len = |path: &str| {
        let (s, v) = get(&emu, &t, path);
        assert_eq!(s, 200, "{path}: {v}");
        v["value"].as_array().unwrap().len()
    };
    let groups = list_len("/groups?$top=999");
    let apps = list_len("/applications?$top=999");
    let gid = get(&emu, &t, "/groups?$top=1").1["value"][0]["id"].as_str().unwrap().to_string();
    let members = list_len(&format!("/groups/{gid}/members?$top=999"));
    let uid = emu.user_id(0);
    let member_of = list_len(&format!("/users/{uid}/memberOf?$top=999"));
    for (path, want) in [
        ("/groups/$count".to_string(), groups),
        ("/applications/$count".to_string(), apps),
        (format!("/groups/{gid}/members/$count"), members),
        (format!("/groups/{gid}/transitiveMembers/$count"), members),
        (format!("/users/{uid}/memberOf/$count"), member_of),
        ("/users/$count".to_string(), 250),
    ] {
        assert_eq!(count(&emu, &t, &path, true), (200, want.to_string()), "{path}");
        // without ConsistencyLevel: eventual, Graph refuses a $count segment on directory objects
        let (s, body) = count(&emu, &t, &path, false);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((s, graph_error(&v)), (400, ("Request_BadRequest", "$count is not currently supported.")), "{path}");
    }
    assert!(groups > 0 && apps > 0 && members > 0);
    // $filter applies to the count
    let (s, n) = count(&emu, &t, "/groups/$count?$filter=securityEnabled%20eq%20true", true);
    let secure = get(&emu, &t, "/groups?$top=999&$filter=securityEnabled%20eq%20true").1["value"].as_array().unwrap().len();
    assert_eq!((s, n), (200, secure.to_string()));
    // not a collection: no $count
    assert_eq!(count(&emu, &t, &format!("/groups/{gid}/$count"), true).0, 400);
}

#[test]
fn if_match_on_directory_objects_is_not_emulated() {
    let emu = start();
    let t = token(&emu);
    let uid = emu.user_id(3);
    let (s, u) = get(&emu, &t, &format!("/users/{uid}"));
    assert_eq!(s, 200);
    assert!(u.get("@odata.etag").is_none(), "v1.0 directory objects carry no etag: {u}");
    let r = client()
        .patch(format!("{}/users/{uid}", emu.graph_base_url()))
        .bearer_auth(&t)
        .header("If-Match", "W/\"x\"")
        .json(&serde_json::json!({"jobTitle": "Engineer"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 501);
    let v: Value = r.json().unwrap();
    assert_eq!(graph_error(&v).0, "NotImplemented");
    assert!(graph_error(&v).1.contains("not emulated"), "{v}");
    // the change was not made
    assert_ne!(get(&emu, &t, &format!("/users/{uid}")).1["jobTitle"], "Engineer");
    let (s, _) = send(&emu, &t, "PATCH", &format!("/users/{uid}"), &serde_json::json!({"jobTitle": "Engineer"}));
    assert_eq!(s, 204);
}

#[test]
fn token_audience_follows_the_scope_form() {
    let emu = start();
    for (scope, aud) in [("https://graph.microsoft.com/.default", "https://graph.microsoft.com"), ("00000003-0000-0000-c000-000000000000/.default", "00000003-0000-0000-c000-000000000000")] {
        let r = client()
            .post(emu.token_url())
            .form(&[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET), ("scope", scope), ("grant_type", "client_credentials")])
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        let tok = r.json::<Value>().unwrap()["access_token"].as_str().unwrap().to_string();
        assert_eq!(jwt_claims(&tok)["aud"], aud, "{scope}");
        // both audiences are accepted by Graph
        assert_eq!(get(&emu, &tok, "/users?$top=1").0, 200);
    }
}

#[test]
fn count_segments_on_messages() {
    let emu = start();
    let t = token(&emu);
    let uid = emu.user_id(0);
    let all = get(&emu, &t, &format!("/users/{uid}/messages?$top=1000")).1["value"].as_array().unwrap().len();
    let inbox = get(&emu, &t, &format!("/users/{uid}/mailFolders/inbox/messages?$top=1000")).1["value"].as_array().unwrap().len();
    // Outlook's $count needs no ConsistencyLevel
    assert_eq!(count(&emu, &t, &format!("/users/{uid}/messages/$count"), false), (200, all.to_string()));
    assert_eq!(count(&emu, &t, &format!("/users/{uid}/mailFolders/inbox/messages/$count"), false), (200, inbox.to_string()));
    let unread = get(&emu, &t, &format!("/users/{uid}/messages?$top=1000&$filter=isRead%20eq%20false")).1["value"].as_array().unwrap().len();
    assert_eq!(count(&emu, &t, &format!("/users/{uid}/messages/$count?$filter=isRead%20eq%20false"), false), (200, unread.to_string()));
    assert!(all > inbox && inbox > 0, "{all} {inbox}");
}

/// Enum values are read case-insensitively and answered in the schema's spelling (found by the
/// recorded-body schema check: an event created with "contentType": "Text" was echoed as "Text").
#[test]
fn enum_values_are_answered_in_schema_spelling() {
    let emu = start();
    let t = token(&emu);
    let uid = emu.user_id(1);
    let ev = serde_json::json!({"subject": "x", "importance": "HIGH", "showAs": "Oof", "body": {"contentType": "Text", "content": "hi"},
        "start": {"dateTime": "2026-12-04T10:00:00", "timeZone": "UTC"}, "end": {"dateTime": "2026-12-04T11:00:00", "timeZone": "UTC"}});
    let (s, v) = send(&emu, &t, "POST", &format!("/users/{uid}/events"), &ev);
    assert_eq!(s, 201, "{v}");
    let (_, got) = get(&emu, &t, &format!("/users/{uid}/events/{}", v["id"].as_str().unwrap()));
    for x in [&v, &got] {
        assert_eq!((x["body"]["contentType"].as_str(), x["importance"].as_str(), x["showAs"].as_str()), (Some("text"), Some("high"), Some("oof")), "{x}");
    }
}
