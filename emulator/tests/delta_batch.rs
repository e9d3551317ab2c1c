mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::HashSet;

fn follow(emu: &msgraph_emulator::Emulator, t: &str, first: &str) -> (Vec<Value>, String, usize) {
    let (s, mut p) = get(emu, t, first);
    assert_eq!(s, 200, "{p}");
    let mut items = vec![];
    let mut pages = 1;
    loop {
        items.extend(p["value"].as_array().unwrap().iter().cloned());
        if let Some(n) = p["@odata.nextLink"].as_str() {
            assert!(n.contains("$skiptoken="));
            assert!(p.get("@odata.deltaLink").is_none());
            p = get(emu, t, n).1;
            pages += 1;
        } else {
            let d = p["@odata.deltaLink"].as_str().expect("deltaLink on last page").to_string();
            assert!(d.contains("$deltatoken="));
            return (items, d, pages);
        }
    }
}

#[test]
fn user_delta_chain_and_incremental() {
    let emu = start();
    let t = token(&emu);
    let (items, delta, pages) = follow(&emu, &t, "/users/delta?$select=displayName,jobTitle");
    assert_eq!(items.len(), 250);
    assert_eq!(pages, 3);
    let ids: HashSet<&str> = items.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 250);
    assert!(items[0].get("mail").is_none());
    // nothing changed yet
    let (s, v) = get(&emu, &t, &delta);
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().unwrap().len(), 0);
    let delta2 = v["@odata.deltaLink"].as_str().unwrap().to_string();
    // change three users: create, patch, delete
    let (s, created) = send(&emu, &t, "POST", "/users", &json!({"accountEnabled": true, "displayName": "Åsa Berg", "mailNickname": "asa.berg.x", "userPrincipalName": "asa.berg.x@contoso.onmicrosoft.com", "passwordProfile": {"password": "p"}}));
    assert_eq!(s, 201);
    assert_eq!(send(&emu, &t, "PATCH", &format!("/users/{}", emu.user_id(10)), &json!({"jobTitle": "CEO"})).0, 204);
    assert_eq!(send(&emu, &t, "DELETE", &format!("/users/{}", emu.user_id(11)), &Value::Null).0, 204);
    let (items, delta3, _) = follow(&emu, &t, &delta2);
    assert_eq!(items.len(), 3, "{items:?}");
    let patched = items.iter().find(|u| u["id"] == emu.user_id(10)).unwrap();
    assert_eq!(patched["jobTitle"], "CEO");
    let removed = items.iter().find(|u| u["id"] == emu.user_id(11)).unwrap();
    assert_eq!(removed["@removed"]["reason"], "changed");
    assert!(items.iter().any(|u| u["id"] == created["id"]));
    // the old delta link replays the same changes; the new one is empty
    let (_, v) = get(&emu, &t, &delta2);
    assert_eq!(v["value"].as_array().unwrap().len(), 3);
    let (_, v) = get(&emu, &t, &delta3);
    assert_eq!(v["value"].as_array().unwrap().len(), 0);
    // bad tokens
    let (s, v) = get(&emu, &t, "/users/delta?$deltatoken=bogus");
    assert_eq!((s, graph_error(&v).0), (400, "syncStateNotFound"));
    let (s, _) = get(&emu, &t, "/users/delta?$skiptoken=AAAA");
    assert_eq!(s, 400);
    // latest
    let (_, v) = get(&emu, &t, "/users/delta?$deltatoken=latest");
    assert_eq!(v["value"].as_array().unwrap().len(), 0);
    assert!(v["@odata.deltaLink"].is_string());
}

fn batch(emu: &msgraph_emulator::Emulator, t: &str, body: &Value) -> (u16, Value) {
    send(emu, t, "POST", "/$batch", body)
}

#[test]
fn batch_basics_limits_and_depends_on() {
    let emu = start();
    let t = token(&emu);
    let u = emu.user_id(0);
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/users?$top=2&$select=id"},
        {"id": "2", "method": "GET", "url": format!("users/{u}/messages?$top=1")},
        {"id": "3", "method": "GET", "url": "/users/nobody@contoso.onmicrosoft.com"},
        {"id": "4", "dependsOn": ["3"], "method": "GET", "url": "/organization"},
        {"id": "5", "dependsOn": ["1"], "method": "GET", "url": "/organization"},
        {"id": "6", "method": "POST", "url": format!("/users/{u}/todo/lists"), "body": {"displayName": "Batch list"}, "headers": {"Content-Type": "application/json"}},
        {"id": "7", "method": "GET", "url": "/users/$count", "headers": {"ConsistencyLevel": "eventual"}}
    ]});
    let (s, v) = batch(&emu, &t, &body);
    assert_eq!(s, 200, "{v}");
    let r = v["responses"].as_array().unwrap();
    let ids: Vec<&str> = r.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6", "7"]);
    assert_eq!(r[0]["status"], 200);
    assert_eq!(r[0]["body"]["value"].as_array().unwrap().len(), 2);
    assert!(r[0]["headers"]["Content-Type"].as_str().unwrap().starts_with("application/json"));
    assert_eq!(r[1]["status"], 200);
    assert_eq!(r[2]["status"], 404);
    assert_eq!(r[2]["body"]["error"]["code"], "Request_ResourceNotFound");
    assert_eq!(r[3]["status"], 424);
    assert_eq!(r[4]["status"], 200);
    assert_eq!(r[5]["status"], 201);
    assert_eq!(r[6]["status"], 200);
    assert_eq!(r[6]["body"], "250");
    assert_eq!(emu.stats().batch_requests, 1);
    // 21 requests
    let many: Vec<Value> = (1..=21).map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/organization"})).collect();
    let (s, v) = batch(&emu, &t, &json!({"requests": many}));
    assert_eq!((s, graph_error(&v).0), (400, "BadRequest"));
    let twenty: Vec<Value> = (1..=20).map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/organization"})).collect();
    assert_eq!(batch(&emu, &t, &json!({"requests": twenty})).0, 200);
    // duplicate ids
    let (s, _) = batch(&emu, &t, &json!({"requests": [{"id": "1", "method": "GET", "url": "/organization"}, {"id": "1", "method": "GET", "url": "/organization"}]}));
    assert_eq!(s, 400);
    // body without Content-Type
    let (s, _) = batch(&emu, &t, &json!({"requests": [{"id": "1", "method": "POST", "url": "/users", "body": {}}]}));
    assert_eq!(s, 400);
    // malformed
    let r = client().post(format!("{}/$batch", emu.graph_base_url())).bearer_auth(&t).header("Content-Type", "application/json").body("{]").send().unwrap();
    assert_eq!(r.status(), 400);
    // batch needs a token
    let r = client().post(format!("{}/$batch", emu.graph_base_url())).json(&json!({"requests": []})).send().unwrap();
    assert_eq!(r.status(), 401);
}

#[test]
fn outlook_delta_events_contacts_tasks() {
    let emu = start();
    let t = token(&emu);
    let u = emu.user_id(9);
    // events (calendarView delta with a window)
    let (s, v) = get(&emu, &t, &format!("/users/{u}/calendarView/delta"));
    assert_eq!(s, 400, "{v}");
    let (items, d, _) = follow(&emu, &t, &format!("/users/{u}/calendarView/delta?startDateTime=2000-01-01T00:00:00Z&endDateTime=2100-01-01T00:00:00Z"));
    assert_eq!(items.len(), 5);
    assert_eq!(items[0]["@odata.type"], "#microsoft.graph.event");
    let (s, ev) = send(&emu, &t, "POST", &format!("/users/{u}/events"), &json!({"subject": "new", "start": {"dateTime": "2030-01-01T10:00:00", "timeZone": "UTC"}, "end": {"dateTime": "2030-01-01T11:00:00", "timeZone": "UTC"}}));
    assert_eq!(s, 201);
    let old = items[1]["id"].as_str().unwrap().to_string();
    assert_eq!(send(&emu, &t, "DELETE", &format!("/users/{u}/events/{old}"), &Value::Null).0, 204);
    let (items, _, _) = follow(&emu, &t, &d);
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items.iter().any(|i| i["id"] == ev["id"] && i["subject"] == "new"));
    assert!(items.iter().any(|i| i["id"] == old.as_str() && i["@removed"]["reason"] == "deleted"));
    // contacts
    let (items, d, _) = follow(&emu, &t, &format!("/users/{u}/contacts/delta"));
    assert_eq!(items.len(), 4);
    assert_eq!(send(&emu, &t, "POST", &format!("/users/{u}/contacts"), &json!({"givenName": "Neu"})).0, 201);
    let (items, _, _) = follow(&emu, &t, &d);
    assert_eq!(items.len(), 1);
    // To Do tasks, paged with odata.maxpagesize
    let (_, lists) = get(&emu, &t, &format!("/users/{u}/todo/lists"));
    let lid = lists["value"][1]["id"].as_str().unwrap().to_string();
    let r = client().get(format!("{}/users/{u}/todo/lists/{lid}/tasks/delta", emu.graph_base_url())).bearer_auth(&t).header("Prefer", "odata.maxpagesize=2").send().unwrap();
    let v: Value = r.json().unwrap();
    assert_eq!(v["value"].as_array().unwrap().len(), 2);
    let next = v["@odata.nextLink"].as_str().unwrap().to_string();
    let (items, d, _) = follow(&emu, &t, &next);
    assert_eq!(items.len(), 2);
    let tid = items[0]["id"].as_str().unwrap().to_string();
    assert_eq!(send(&emu, &t, "PATCH", &format!("/users/{u}/todo/lists/{lid}/tasks/{tid}"), &json!({"status": "completed"})).0, 200);
    let (items, _, _) = follow(&emu, &t, &d);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "completed");
    let (s, _) = get(&emu, &t, &format!("/users/{u}/contacts/delta?$deltatoken=nope"));
    assert_eq!(s, 400);
}
