//! Schema check of every recorded body (issue 12). An emulator started with
//! MSGRAPH_EMULATOR_RECORD_DIR (or Options::record_dir) appends each JSON Graph response it
//! serves, with its method, route and status, to `<dir>/emulator-*.jsonl` (at most 12 per
//! route shape and status; `$batch` answers split per inner response). This test checks such a
//! directory against Graph's v1.0 CSDL (tests/csdl): .ci/run records the whole test suite and
//! then runs this test with MSGRAPH_SCHEMA_CHECK_DIR set to that directory. Without it, the
//! test records and checks a run of its own, and shows the checker refuses a bad body.
mod common;
mod csdl;
use common::*;
use csdl::Csdl;
use msgraph_emulator::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The entity type a route answers with, and whether it answers a collection (`value`).
/// None: not a body the CSDL describes by route (actions, $count, control answers).
fn route_type(route: &str) -> Option<(String, bool)> {
    let path = route.split('?').next().unwrap_or("");
    let mut cur: Option<(String, bool)> = None;
    let mut prev = String::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        // key forms users('id') and function calls delta()
        let (name, key) = match raw.split_once('(') {
            Some((n, k)) => (n.to_ascii_lowercase(), !k.trim_end_matches(')').is_empty()),
            None => (raw.to_ascii_lowercase(), false),
        };
        let single = |t: &str| Some((t.to_string(), false));
        let coll = |t: &str| Some((t.to_string(), true));
        let next = match name.as_str() {
            "users" => coll("user"),
            "groups" => coll("group"),
            "applications" => coll("application"),
            "serviceprincipals" => coll("servicePrincipal"),
            "organization" => coll("organization"),
            "memberof" | "transitivememberof" | "members" | "transitivemembers" => coll("directoryObject"),
            "messages" => coll("message"),
            "mailfolders" | "childfolders" => coll("mailFolder"),
            "events" | "calendarview" | "instances" => coll("event"),
            "calendars" => coll("calendar"),
            "calendar" => single("calendar"),
            "contacts" => coll("contact"),
            "contactfolders" => coll("contactFolder"),
            "attachments" => coll("attachment"),
            "mailboxsettings" => single("mailboxSettings"),
            "todo" => single("todo"),
            "lists" if prev == "todo" => coll("todoTaskList"),
            "lists" => coll("list"),
            "tasks" => coll("todoTask"),
            "sites" => coll("site"),
            "items" => coll("listItem"),
            "columns" => coll("columnDefinition"),
            "delta" => cur.clone(),
            "v1.0" | "beta" => None,
            n if n.starts_with('$') => return None, // $count, $value, $ref: no entity body
            _ => match &cur {
                Some((t, true)) => Some((t.clone(), false)), // an id in a collection
                _ => return None,                            // an action, $count, or unknown
            },
        };
        if next.is_none() && !matches!(name.as_str(), "v1.0" | "beta") {
            return None;
        }
        cur = match (next, key) {
            (Some((t, true)), true) => Some((t, false)),
            (n, _) => n,
        };
        prev = name;
    }
    cur
}

#[derive(Default)]
struct Report {
    lines: usize,
    entities: usize,
    errors_checked: usize,
    skipped: BTreeMap<String, usize>,
    deviations: Vec<String>,
}

fn check_line(csdl: &Csdl, line: &Value, rep: &mut Report) {
    rep.lines += 1;
    let (route, status, body) = (line["route"].as_str().unwrap_or(""), line["status"].as_u64().unwrap_or(0), &line["body"]);
    let at = format!("{} {} {}", line["method"].as_str().unwrap_or(""), route, status);
    if status >= 400 {
        // Graph's error envelope: {"error": {"code": string, "message": string, "innerError"?: object}}
        let e = &body["error"];
        if !(e["code"].is_string() && e["message"].is_string() && (e.get("innerError").is_none() || e["innerError"].is_object())) {
            rep.deviations.push(format!("{at}: not Graph's error envelope: {body}"));
        }
        rep.errors_checked += 1;
        return;
    }
    if !(200..300).contains(&status) {
        return;
    }
    let Some((ty, is_coll)) = route_type(route) else {
        *rep.skipped.entry(route_shape(route)).or_default() += 1;
        return;
    };
    // a POST to a collection answers with the created entity
    let is_coll = is_coll && !line["method"].as_str().is_some_and(|m| m.eq_ignore_ascii_case("POST"));
    let mut errs = vec![];
    match (is_coll, body.get("value").and_then(|v| v.as_array())) {
        (true, Some(items)) => {
            for (i, it) in items.iter().enumerate() {
                csdl.check_obj(&ty, it, &format!("{at}[{i}]"), &mut errs);
                rep.entities += 1;
            }
        }
        (true, None) => errs.push(format!("{at}: a collection answer without a 'value' array")),
        (false, _) => {
            csdl.check_obj(&ty, body, &at, &mut errs);
            rep.entities += 1;
        }
    }
    rep.deviations.extend(errs);
}

fn route_shape(route: &str) -> String {
    route.split('?').next().unwrap_or("").split('/').map(|s| if s.len() > 20 || s.contains('@') { "{id}" } else { s }).collect::<Vec<_>>().join("/")
}

fn check_dir(csdl: &Csdl, dir: &std::path::Path) -> Report {
    let mut rep = Report::default();
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "jsonl")).collect();
    files.sort();
    for f in files {
        for l in std::fs::read_to_string(&f).unwrap().lines().filter(|l| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: bad line ({e}): {l}", f.display()));
            check_line(csdl, &v, &mut rep);
        }
    }
    // one line per distinct deviation (route shape + what), not per entity
    let mut seen = std::collections::BTreeSet::new();
    rep.deviations.retain(|d| {
        let (at, what) = d.split_once(": ").unwrap_or((d, ""));
        let shape = route_shape(at.split('[').next().unwrap_or(at));
        seen.insert(format!("{shape}: {what}"))
    });
    rep.deviations.sort();
    rep
}

fn summary(rep: &Report) -> String {
    format!("{} bodies, {} entities and {} error envelopes checked; skipped route shapes: {:?}", rep.lines, rep.entities, rep.errors_checked, rep.skipped)
}

#[test]
fn recorded_bodies_match_graph_v1_csdl() {
    let csdl = csdl::load();
    if let Some(dir) = std::env::var_os("MSGRAPH_SCHEMA_CHECK_DIR").filter(|d| !d.is_empty()) {
        let rep = check_dir(&csdl, std::path::Path::new(&dir));
        eprintln!("recorded_bodies: {}", summary(&rep));
        assert!(rep.lines > 0, "nothing recorded in {dir:?}");
        assert!(rep.deviations.is_empty(), "{} schema deviations in recorded bodies:\n{}", rep.deviations.len(), rep.deviations.join("\n"));
        return;
    }
    // a run of our own: record, then check
    let dir = std::env::temp_dir().join(format!("msgraph-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let emu = Emulator::start(Options { record_dir: Some(dir.clone()), ..Options::default() }).unwrap();
    let t = token(&emu);
    let uid = emu.user_id(0);
    for p in ["/users?$top=5".to_string(), format!("/users('{uid}')"), "/groups".into(), "/applications".into(), format!("/users/{uid}/messages?$top=3"), format!("/users/{uid}/events?$top=3"), "/users/nobody@nowhere".into()] {
        get(&emu, &t, &p);
    }
    let (s, _) = send(&emu, &t, "POST", "/$batch", &json!({"requests": [
        {"id": "1", "method": "GET", "url": format!("/users/{uid}/mailboxSettings")},
        {"id": "2", "method": "GET", "url": "/organization"},
        {"id": "3", "method": "GET", "url": "/users/00000000-0000-0000-0000-000000000000"}]}));
    assert_eq!(s, 200);
    drop(emu);
    let rep = check_dir(&csdl, &dir);
    eprintln!("recorded_bodies (own run): {}", summary(&rep));
    assert!(rep.deviations.is_empty(), "{}", rep.deviations.join("\n"));
    assert_eq!(rep.lines, 10, "7 GETs and 3 $batch items recorded");
    assert!(rep.entities >= 14 && rep.errors_checked == 2, "{}", summary(&rep));
    // the recorder keeps at most 12 bodies per route shape and status
    let emu = Emulator::start(Options { record_dir: Some(dir.clone()), ..Options::default() }).unwrap();
    let t = token(&emu);
    for i in 0..20 {
        get(&emu, &t, &format!("/users/{}", emu.user_id(i)));
    }
    drop(emu);
    assert_eq!(check_dir(&csdl, &dir).lines, 10 + 12);
    std::fs::remove_dir_all(&dir).ok();

    // the checker refuses what Graph v1.0 would not send
    let mut rep = Report::default();
    for (route, body) in [
        ("/groups", json!({"value": [{"id": "x", "displayName": "g", "creationOptions": []}]})), // beta only
        ("/users/x", json!({"id": "x", "businessPhones": null})),                                // null collection
        ("/users/x/messages", json!({"value": [{"id": "m", "importance": "urgent"}]})),          // not an enum member
        ("/users", json!({"items": []})),                                                         // no value array
    ] {
        check_line(&csdl, &json!({"method": "GET", "route": route, "status": 200, "body": body}), &mut rep);
    }
    check_line(&csdl, &json!({"method": "GET", "route": "/users/x", "status": 404, "body": {"message": "no"}}), &mut rep);
    assert_eq!(rep.deviations.len(), 5, "{:#?}", rep.deviations);
}

#[test]
fn route_types() {
    assert_eq!(route_type("/users?$top=5"), Some(("user".into(), true)));
    assert_eq!(route_type("/users('abc')"), Some(("user".into(), false)));
    assert_eq!(route_type("/users/delta()?$select=id"), Some(("user".into(), true)));
    assert_eq!(route_type("/users/u/mailFolders/inbox/messages/delta"), Some(("message".into(), true)));
    assert_eq!(route_type("/users/u/todo/lists/l/tasks/t"), Some(("todoTask".into(), false)));
    assert_eq!(route_type("/sites/s/lists/l/items"), Some(("listItem".into(), true)));
    assert_eq!(route_type("/applications(appId='a')"), Some(("application".into(), false)));
    assert_eq!(route_type("/users/u/sendMail"), None);
    assert_eq!(route_type("/users/$count"), None);
}
