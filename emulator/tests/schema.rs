//! Schema conformance (issue 12): every JSON body served by a walk over the emulator's
//! routes is checked against Graph's v1.0 CSDL (tests/data/cleanMetadata.v1.0.xml.gz, from
//! microsoftgraph/msgraph-metadata): property names (nothing beta-only or invented), types,
//! nullability (non-nullable collections are [], never null) and enum members.
mod common;
mod csdl;
use common::*;
use csdl::load;

#[test]
fn served_bodies_match_graph_v1_csdl() {
    let csdl = load();
    assert!(csdl.types.contains_key("user") && csdl.enums.contains_key("importance"), "CSDL loaded");
    let emu = start();
    let t = token(&emu);
    let uid = emu.user_id(0);
    let (_, lists) = get(&emu, &t, &format!("/users/{uid}/todo/lists"));
    let lid = lists["value"][0]["id"].as_str().unwrap().to_string();
    let (_, sites) = get(&emu, &t, "/sites?search=*");
    let routes: Vec<(String, &str)> = vec![
        ("/users?$top=20".into(), "user"),
        (format!("/users/{uid}"), "user"),
        ("/users/delta".into(), "user"),
        ("/groups".into(), "group"),
        ("/applications".into(), "application"),
        ("/organization".into(), "organization"),
        (format!("/users/{uid}/memberOf"), "directoryObject"),
        (format!("/users/{uid}/messages?$top=20"), "message"),
        (format!("/users/{uid}/mailFolders"), "mailFolder"),
        (format!("/users/{uid}/mailFolders/inbox/messages/delta"), "message"),
        (format!("/users/{uid}/events"), "event"),
        (format!("/users/{uid}/contacts"), "contact"),
        (format!("/users/{uid}/mailboxSettings"), "mailboxSettings"),
        (format!("/users/{uid}/todo/lists"), "todoTaskList"),
        (format!("/users/{uid}/todo/lists/{lid}/tasks"), "todoTask"),
    ];
    let mut routes = routes;
    let sid = sites["value"][0]["id"].as_str().unwrap_or_else(|| panic!("sites search: {sites}"));
    {
        routes.push((format!("/sites/{sid}"), "site"));
        routes.push((format!("/sites/{sid}/lists"), "list"));
    }
    let mut errs = vec![];
    let mut checked = 0;
    for (path, ty) in &routes {
        let (s, v) = get(&emu, &t, path);
        assert_eq!(s, 200, "{path}: {v}");
        match v.get("value").and_then(|x| x.as_array()) {
            Some(items) if v.get("id").is_none() => {
                for (i, it) in items.iter().enumerate() {
                    csdl.check_obj(ty, it, &format!("{path}[{i}]"), &mut errs);
                    checked += 1;
                }
            }
            _ => {
                csdl.check_obj(ty, &v, path, &mut errs);
                checked += 1;
            }
        }
    }
    errs.sort();
    errs.dedup_by(|a, b| a.split(": ").nth(1) == b.split(": ").nth(1));
    assert!(checked > 100, "only {checked} bodies checked");
    assert!(errs.is_empty(), "{} schema deviations in {checked} entities:\n{}", errs.len(), errs.join("\n"));
}
