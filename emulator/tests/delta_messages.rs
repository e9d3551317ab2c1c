//! Delta for messages (per folder and mailbox-wide) and expired delta tokens.
mod common;
use common::*;
use msgraph_emulator::*;
use serde_json::{json, Value};

/// Follow nextLinks to the end of a round: (items, deltaLink).
fn round(emu: &Emulator, t: &str, first: &str) -> (Vec<Value>, String) {
    let mut url = first.to_string();
    let mut items = vec![];
    loop {
        let (s, v) = get(emu, t, &url);
        assert_eq!(s, 200, "{url}: {v}");
        items.extend(v["value"].as_array().unwrap().iter().cloned());
        if let Some(n) = v["@odata.nextLink"].as_str() {
            url = n.to_string();
        } else {
            return (items, v["@odata.deltaLink"].as_str().expect("deltaLink").to_string());
        }
    }
}

#[test]
fn message_delta_per_folder_and_mailbox() {
    let emu = start();
    let t = token(&emu);
    let u = emu.user_id(0);
    let (inbox, d_inbox) = round(&emu, &t, &format!("/users/{u}/mailFolders/inbox/messages/delta"));
    assert_eq!(inbox.len(), 11);
    assert!(inbox.iter().all(|m| m["@odata.type"] == "#microsoft.graph.message"));
    assert!(d_inbox.contains("/mailFolders/inbox/messages/delta?$deltatoken="), "{d_inbox}");
    let (all, d_all) = round(&emu, &t, &format!("/users/{u}/messages/delta"));
    assert_eq!(all.len(), 12);
    let (sent, d_sent) = round(&emu, &t, &format!("/users/{u}/mailFolders/sentitems/messages/delta"));
    assert_eq!(sent.len(), 1);
    // No changes yet.
    assert_eq!(get(&emu, &t, &d_inbox).1["value"].as_array().unwrap().len(), 0);
    // Change one inbox message, delete another, receive a new one.
    let m1 = inbox[0]["id"].as_str().unwrap();
    let m2 = inbox[1]["id"].as_str().unwrap();
    assert_eq!(send(&emu, &t, "PATCH", &format!("/users/{u}/messages/{m1}"), &json!({"isRead": true})).0, 200);
    assert_eq!(client().delete(format!("{}/users/{u}/messages/{m2}", emu.graph_base_url())).bearer_auth(&t).send().unwrap().status(), 204);
    let sender = emu.user_id(5);
    let mail = json!({"message": {"subject": "delta test", "body": {"contentType": "Text", "content": "hi"}, "toRecipients": [{"emailAddress": {"address": emu.user_upn(0).unwrap()}}]}});
    assert_eq!(send(&emu, &t, "POST", &format!("/users/{sender}/sendMail"), &mail).0, 202);
    let (changes, d_inbox2) = round(&emu, &t, &d_inbox);
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert!(changes.iter().any(|c| c["id"] == m1 && c["isRead"] == true));
    assert!(changes.iter().any(|c| c["id"] == m2 && c["@removed"]["reason"] == "deleted"));
    assert!(changes.iter().any(|c| c["subject"] == "delta test"));
    assert_eq!(round(&emu, &t, &d_all).0.len(), 3);
    assert_eq!(round(&emu, &t, &d_sent).0.len(), 0, "inbox changes are not in Sent Items");
    assert_eq!(round(&emu, &t, &d_inbox2).0.len(), 0);
    // Paging with Prefer: odata.maxpagesize.
    let r = client().get(format!("{}/users/{u}/messages/delta", emu.graph_base_url())).bearer_auth(&t).header("Prefer", "odata.maxpagesize=5").send().unwrap();
    let v: Value = r.json().unwrap();
    assert_eq!(v["value"].as_array().unwrap().len(), 5);
    assert!(v["@odata.nextLink"].as_str().unwrap().contains("$skiptoken="));
    // A token of one folder is not valid for another.
    let tok = d_inbox2.split("$deltatoken=").nth(1).unwrap();
    let (s, v) = get(&emu, &t, &format!("/users/{u}/mailFolders/sentitems/messages/delta?$deltatoken={tok}"));
    assert_eq!((s, graph_error(&v).0), (400, "syncStateNotFound"));
}

#[test]
fn expired_delta_tokens() {
    let emu = start();
    let t = token(&emu);
    let u = emu.user_id(1);
    let (_, d_users) = round(&emu, &t, "/users/delta?$select=displayName");
    let (_, d_msgs) = round(&emu, &t, &format!("/users/{u}/mailFolders/inbox/messages/delta"));
    let (_, d_events) = round(&emu, &t, &format!("/users/{u}/events/delta"));
    // A nextLink in the middle of a round also expires.
    let (s, first) = get(&emu, &t, "/users/delta");
    assert_eq!(s, 200);
    let next = first["@odata.nextLink"].as_str().unwrap().to_string();
    emu.expire_delta_tokens();
    // Directory: 410 Gone + Location with an empty token, which starts a new round.
    for link in [&d_users, &next] {
        let r = client().get(link.as_str()).bearer_auth(&t).send().unwrap();
        assert_eq!(r.status(), 410);
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        assert!(loc.starts_with(&format!("{}/users/delta?", emu.graph_base_url())) && loc.ends_with("$deltatoken="), "{loc}");
        let v: Value = r.json().unwrap();
        assert_eq!(graph_error(&v).0, "resyncRequired");
        if link == &d_users {
            assert!(loc.contains("$select=displayName"));
            let (s, v) = get(&emu, &t, &loc);
            assert_eq!(s, 200);
            assert_eq!(v["value"].as_array().unwrap().len(), 100, "full resync, first page");
        }
    }
    // Outlook: 400 syncStateNotFound.
    for link in [&d_msgs, &d_events] {
        let (s, v) = get(&emu, &t, link);
        assert_eq!((s, graph_error(&v).0), (400, "syncStateNotFound"));
    }
    // New rounds work and their tokens stay valid (also across reset).
    let (_, d_new) = round(&emu, &t, &format!("/users/{u}/mailFolders/inbox/messages/delta"));
    emu.reset_faults();
    assert_eq!(get(&emu, &t, &d_new).0, 200);
    assert_eq!(get(&emu, &t, &d_msgs).0, 400, "old tokens stay expired after reset");
    // resyncRequired variant via the control JSON.
    emu.apply_faults_json(&json!({"expire_delta_tokens": {"outlook_code": "resyncRequired"}})).unwrap();
    let (s, v) = get(&emu, &t, &d_new);
    assert_eq!((s, graph_error(&v).0), (400, "resyncRequired"));
    assert!(emu.apply_faults_json(&json!({"expire_delta_tokens": {"outlook_code": "nope"}})).is_err());
    assert_eq!(emu.stats().expired_delta_tokens, 6);
}
