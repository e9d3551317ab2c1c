//! Outlook and To Do resources under /users/{id}/...

use crate::data::User;
use crate::graph::*;
use crate::mailbox::{email_of, etag, merge, Mailbox};
use crate::state::{lock, Ctx, Resp, Shared};
use crate::token::AppIdentity;
use crate::util::*;
use serde_json::{json, Map, Value};

const R_MAIL_READ: &[&str] = &["Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic", "Mail.ReadBasic.All"];
const R_MAIL_WRITE: &[&str] = &["Mail.ReadWrite"];
const R_MAIL_SEND: &[&str] = &["Mail.Send"];
const R_CAL_READ: &[&str] = &["Calendars.Read", "Calendars.ReadWrite", "Calendars.ReadBasic.All"];
const R_CAL_WRITE: &[&str] = &["Calendars.ReadWrite"];
const R_CONTACTS_READ: &[&str] = &["Contacts.Read", "Contacts.ReadWrite"];
const R_CONTACTS_WRITE: &[&str] = &["Contacts.ReadWrite"];
const R_MBS_READ: &[&str] = &["MailboxSettings.Read", "MailboxSettings.ReadWrite"];
const R_MBS_WRITE: &[&str] = &["MailboxSettings.ReadWrite"];
const R_TASKS_READ: &[&str] = &["Tasks.Read.All", "Tasks.ReadWrite.All"];
const R_TASKS_WRITE: &[&str] = &["Tasks.ReadWrite.All"];

fn item_not_found(ctx: &Ctx) -> Resp {
    ctx.err(404, "ErrorItemNotFound", "The specified object was not found in the store.")
}

fn invalid_user(ctx: &Ctx, key: &str) -> Resp {
    ctx.err(404, "ErrorInvalidUser", &format!("The requested user '{key}' is invalid."))
}

fn access_policy_denied(ctx: &Ctx) -> Resp {
    Resp::json(403, &json!({"error": {"code": "ErrorAccessDenied", "message": "Access to OData is disabled.", "innerError": {"request-id": ctx.request_id, "date": graph_date(now_secs())}}}))
}

fn created(_ctx: &Ctx, v: Value, context: String) -> Resp {
    let mut v = v;
    v["@odata.context"] = json!(context);
    Resp::json(201, &reorder_context(v))
}

fn entity(v: &Value, context: String) -> Resp {
    let mut v = v.clone();
    v["@odata.context"] = json!(context);
    Resp::json(200, &reorder_context(v))
}

#[allow(clippy::too_many_arguments)]
pub fn user_sub(sh: &Shared, ctx: &Ctx, app: &AppIdentity, m: &str, segs: &[String], l: &[&str], q: &Q, body: &[u8]) -> Resp {
    // l[0] == "users", l.len() >= 3
    if l.len() < 3 {
        return bad_segment(ctx, &segs[0]);
    }
    let key = segs[1].clone();
    let rest: Vec<&str> = l[2..].to_vec();
    let rs: Vec<String> = segs[2..].to_vec();
    let needed: (&[&str], &[&str], bool) = match rest[0] {
        "events" | "calendar" | "calendarview" | "calendars" => (R_CAL_READ, R_CAL_WRITE, true),
        "messages" | "mailfolders" => (R_MAIL_READ, R_MAIL_WRITE, true),
        "sendmail" => (R_MAIL_SEND, R_MAIL_SEND, true),
        "contacts" | "contactfolders" => (R_CONTACTS_READ, R_CONTACTS_WRITE, true),
        "mailboxsettings" => (R_MBS_READ, R_MBS_WRITE, true),
        "todo" => (R_TASKS_READ, R_TASKS_WRITE, false),
        "memberof" | "transitivememberof" => {
            if !app.has_any(&["User.Read.All", "Directory.Read.All", "GroupMember.Read.All", "Group.Read.All"]) {
                return forbidden_dir(ctx);
            }
            let t = lock(&sh.tenant);
            let Some(idx) = t.dir.resolve(&key) else { return not_found_dir(ctx, &key) };
            drop(t);
            let groups: Vec<Value> = (0..crate::data::GROUPS.len())
                .filter(|g| crate::data::group_has_member(*g, idx))
                .map(|g| {
                    let mut v = json!({"@odata.type": "#microsoft.graph.group"});
                    if let (Some(o), Value::Object(gj)) = (v.as_object_mut(), crate::data::group_json(g)) {
                        o.extend(gj);
                    }
                    v
                })
                .collect();
            return page_values(sh, ctx, q, groups, &format!("{}/$metadata#directoryObjects", ctx.root()), &format!("/users/{}/{}", key, rs[0]), 100, 999, false);
        }
        x => return bad_segment(ctx, &rs.first().cloned().unwrap_or_else(|| x.to_string())),
    };
    let write = m != "GET";
    let roles = if write { needed.1 } else { needed.0 };
    if !app.has_any(roles) {
        return forbidden_outlook(ctx);
    }
    let resolved = lock(&sh.tenant).dir.resolve(&key);
    let idx = match resolved {
        Some(i) => i,
        None => return if needed.2 { invalid_user(ctx, &key) } else { not_found_dir(ctx, &key) },
    };
    if needed.2 {
        let f = lock(&sh.faults);
        if let Some(p) = f.access_policies.iter().find(|p| p.app_id.eq_ignore_ascii_case(&app.app_id)) {
            let t = lock(&sh.tenant);
            let allowed = p.allowed_users.iter().any(|u| t.dir.resolve(u) == Some(idx));
            if !allowed {
                return access_policy_denied(ctx);
            }
        }
    }
    let uctx = format!("{}/$metadata#users('{}')", ctx.root(), pct_encode(&key));
    let upath = format!("/users/{key}");
    match rest[0] {
        "sendmail" => {
            if m != "POST" {
                return method_not_allowed(ctx);
            }
            send_mail(sh, ctx, idx, body)
        }
        "mailboxsettings" => mailbox_settings(sh, ctx, idx, m, &rest, body, &uctx),
        "todo" => todo(sh, ctx, idx, m, &rest, &rs, q, body, &uctx, &upath),
        "contacts" => contacts(sh, ctx, idx, m, &rest, &rs, q, body, &uctx, &upath),
        "messages" | "mailfolders" => mail(sh, ctx, idx, m, &rest, &rs, q, body, &uctx, &upath),
        _ => calendar(sh, ctx, idx, m, &rest, &rs, q, body, &uctx, &upath),
    }
}

fn mb<R>(sh: &Shared, idx: usize, f: impl FnOnce(&mut Mailbox) -> R) -> R {
    with_mailbox(sh, idx, f).expect("resolved user has a mailbox")
}

#[allow(clippy::too_many_arguments)]
fn calendar(sh: &Shared, ctx: &Ctx, idx: usize, m: &str, rest: &[&str], rs: &[String], q: &Q, body: &[u8], uctx: &str, upath: &str) -> Resp {
    // normalize calendar/events -> events, calendar/calendarView -> calendarview
    let r: Vec<&str> = if rest.first() == Some(&"calendar") { rest[1..].to_vec() } else { rest.to_vec() };
    let rsn: Vec<String> = if rest.first() == Some(&"calendar") { rs[1..].to_vec() } else { rs.to_vec() };
    match (m, r.as_slice()) {
        ("GET", []) => {
            let v = json!({"id": outlook_id("calendar", idx as u64, 0), "name": "Calendar", "color": "auto", "isDefaultCalendar": true, "canEdit": true, "canShare": true, "canViewPrivateItems": true, "owner": {"name": "", "address": ""}});
            entity(&v, format!("{uctx}/calendar/$entity"))
        }
        ("GET", ["events"]) => {
            let items = mb(sh, idx, |b| b.events.clone());
            let items = match filter_sort(ctx, q, items) {
                Ok(i) => i,
                Err(r) => return r,
            };
            let sel = q.get("select").map(crate::odata::parse_select);
            let c = format!("{uctx}/events{}", sel.map(|s| format!("({})", s.join(","))).unwrap_or_default());
            page_values(sh, ctx, q, items, &c, &format!("{upath}/{}", rs.join("/")), 10, 1000, true)
        }
        ("POST", ["events"]) => {
            let p = match parse_json_body(ctx, body) {
                Ok(p) => p,
                Err(r) => return r,
            };
            for k in ["start", "end"] {
                match p.get(k).and_then(|v| v.get("dateTime")).and_then(|v| v.as_str()) {
                    Some(s) if parse_iso(s).is_some() => {}
                    Some(_) => return ctx.err(400, "UnableToDeserializePostBody", "were unable to deserialize "),
                    None => return ctx.err(400, "ErrorInvalidRequest", "Your request can't be completed. An event must have a start and end time."),
                }
            }
            let owner = lock(&sh.tenant).dir.get(idx);
            let Some(owner) = owner else { return item_not_found(ctx) };
            let ev = mb(sh, idx, |b| {
                let n = b.next_n();
                let id = outlook_id("event", idx as u64, n);
                let now = now_secs();
                let mut ev = json!({
                    "@odata.etag": etag(hash_str(&id)),
                    "id": id,
                    "createdDateTime": iso7(now, 1000000),
                    "lastModifiedDateTime": iso7(now, 1000000),
                    "categories": [],
                    "subject": "",
                    "bodyPreview": "",
                    "importance": "normal",
                    "sensitivity": "normal",
                    "isAllDay": false,
                    "isCancelled": false,
                    "isOrganizer": true,
                    "isDraft": false,
                    "showAs": "busy",
                    "type": "singleInstance",
                    "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
                    "body": {"contentType": "html", "content": ""},
                    "location": {"displayName": "", "locationType": "default", "uniqueIdType": "unknown"},
                    "locations": [],
                    "attendees": [],
                    "organizer": {"emailAddress": {"name": owner.display_name(), "address": owner.mail()}},
                });
                merge(&mut ev, &p);
                ev["id"] = json!(id);
                if let Some(c) = ev["body"]["content"].as_str() {
                    let pv: String = crate::mailbox::strip_tags(c).chars().take(255).collect();
                    ev["bodyPreview"] = json!(pv);
                }
                b.events.push(ev.clone());
                b.log_change("event", "", &id, false);
                ev
            });
            let id = ev["id"].as_str().unwrap_or("").to_string();
            created(ctx, ev, format!("{uctx}/events/$entity")).header("Location", &format!("{}/users('{}')/events('{}')", ctx.root(), pct_encode(&rs_user(upath)), id))
        }
        ("GET", ["events", "delta"]) | ("GET", ["calendarview", "delta"]) => {
            let window = match (q.get("startdatetime"), q.get("enddatetime")) {
                (Some(s), Some(e)) => match (parse_iso(s), parse_iso(e)) {
                    (Some(s), Some(e)) => Some((s, e)),
                    _ => return ctx.err(400, "ErrorInvalidParameter", "The value of parameter 'StartDateTime' or 'EndDateTime' is invalid."),
                },
                _ if r[0] == "calendarview" && q.get("skiptoken").is_none() && q.get("deltatoken").is_none() => {
                    return ctx.err(400, "ErrorInvalidParameter", "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.");
                }
                _ => None,
            };
            let scope = String::new();
            let link = match window {
                Some((ws, we)) => format!("{upath}/{}/delta?startDateTime={}&endDateTime={}", rsn[0], iso(ws), iso(we)),
                None => format!("{upath}/{}/delta", rsn[0]),
            };
            outlook_delta(sh, ctx, q, idx, "event", &scope, "#microsoft.graph.event", &link, move |b| {
                b.events
                    .iter()
                    .filter(|ev| match window {
                        None => true,
                        Some((s, e)) => {
                            let es = ev["start"]["dateTime"].as_str().and_then(parse_iso);
                            let ee = ev["end"]["dateTime"].as_str().and_then(parse_iso);
                            matches!((es, ee), (Some(es), Some(ee)) if es < e && ee > s)
                        }
                    })
                    .cloned()
                    .collect()
            })
        }
        (_, ["events", "delta"]) => method_not_allowed(ctx),
        (_, ["events", _]) => {
            let eid = rsn[1].clone();
            mb(sh, idx, |b| {
                let Some(pos) = b.events.iter().position(|e| e["id"] == eid.as_str()) else { return item_not_found(ctx) };
                match m {
                    "GET" => {
                        let v = match q.get("select").map(crate::odata::parse_select) {
                            Some(s) => project_value(&b.events[pos], &s),
                            None => b.events[pos].clone(),
                        };
                        entity(&v, format!("{uctx}/events/$entity"))
                    }
                    "PATCH" => {
                        let p = match parse_json_body(ctx, body) {
                            Ok(p) => p,
                            Err(r) => return r,
                        };
                        merge(&mut b.events[pos], &p);
                        b.events[pos]["id"] = json!(eid);
                        b.events[pos]["lastModifiedDateTime"] = json!(iso7(now_secs(), 1000000));
                        b.log_change("event", "", &eid, false);
                        entity(&b.events[pos].clone(), format!("{uctx}/events/$entity"))
                    }
                    "DELETE" => {
                        b.events.remove(pos);
                        b.log_change("event", "", &eid, true);
                        Resp::empty(204)
                    }
                    _ => method_not_allowed(ctx),
                }
            })
        }
        ("GET", ["calendarview"]) => {
            let (Some(s), Some(e)) = (q.get("startdatetime"), q.get("enddatetime")) else {
                return ctx.err(400, "ErrorInvalidParameter", "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.");
            };
            let Some(s) = parse_iso(s) else {
                return ctx.err(400, "ErrorInvalidParameter", &format!("The value '{s}' of parameter 'StartDateTime' is invalid."));
            };
            let Some(e) = parse_iso(e) else {
                return ctx.err(400, "ErrorInvalidParameter", &format!("The value '{e}' of parameter 'EndDateTime' is invalid."));
            };
            let items: Vec<Value> = mb(sh, idx, |b| {
                b.events
                    .iter()
                    .filter(|ev| {
                        let es = ev["start"]["dateTime"].as_str().and_then(parse_iso);
                        let ee = ev["end"]["dateTime"].as_str().and_then(parse_iso);
                        matches!((es, ee), (Some(es), Some(ee)) if es < e && ee > s)
                    })
                    .cloned()
                    .collect()
            });
            let mut items = match filter_sort(ctx, q, items) {
                Ok(i) => i,
                Err(r) => return r,
            };
            if q.get("orderby").is_none() {
                items.sort_by(|a, b| a["start"]["dateTime"].as_str().cmp(&b["start"]["dateTime"].as_str()));
            }
            page_values(sh, ctx, q, items, &format!("{uctx}/calendarView"), &format!("{upath}/{}", rs.join("/")), 10, 1000, true)
        }
        (_, ["events"] | ["calendarview"] | []) => method_not_allowed(ctx),
        (_, [x, ..]) => bad_segment(ctx, x),
    }
}

fn rs_user(upath: &str) -> String {
    upath.trim_start_matches("/users/").to_string()
}

#[allow(clippy::too_many_arguments)]
fn contacts(sh: &Shared, ctx: &Ctx, idx: usize, m: &str, rest: &[&str], rs: &[String], q: &Q, body: &[u8], uctx: &str, upath: &str) -> Resp {
    match (m, rest) {
        ("GET", ["contacts"]) => {
            let items = mb(sh, idx, |b| b.contacts.clone());
            let items = match filter_sort(ctx, q, items) {
                Ok(i) => i,
                Err(r) => return r,
            };
            page_values(sh, ctx, q, items, &format!("{uctx}/contacts"), &format!("{upath}/contacts"), 10, 1000, true)
        }
        ("POST", ["contacts"]) => {
            let p = match parse_json_body(ctx, body) {
                Ok(p) => p,
                Err(r) => return r,
            };
            if let Some(e) = p.get("emailAddresses") {
                if !e.is_array() {
                    return ctx.err(400, "UnableToDeserializePostBody", "were unable to deserialize ");
                }
            }
            let c = mb(sh, idx, |b| {
                let n = b.next_n();
                let id = outlook_id("contact", idx as u64, n);
                let now = now_secs();
                let mut c = json!({
                    "@odata.etag": etag(hash_str(&id)),
                    "id": id,
                    "createdDateTime": iso(now),
                    "lastModifiedDateTime": iso(now),
                    "categories": [],
                    "parentFolderId": outlook_id("folder", idx as u64, 99),
                    "birthday": null, "fileAs": "", "displayName": "", "givenName": null, "initials": null, "middleName": null,
                    "nickName": null, "surname": null, "title": null, "jobTitle": null, "companyName": null, "department": null,
                    "officeLocation": null, "businessHomePage": null, "homePhones": [], "mobilePhone": null, "businessPhones": [],
                    "personalNotes": "", "emailAddresses": [], "homeAddress": {}, "businessAddress": {}, "otherAddress": {},
                });
                merge(&mut c, &p);
                c["id"] = json!(id);
                if c["displayName"] == "" {
                    let dn = format!("{} {}", c["givenName"].as_str().unwrap_or(""), c["surname"].as_str().unwrap_or("")).trim().to_string();
                    c["displayName"] = json!(dn);
                }
                b.contacts.push(c.clone());
                b.log_change("contact", "", &id, false);
                c
            });
            created(ctx, c, format!("{uctx}/contacts/$entity"))
        }
        ("GET", ["contacts", "delta"]) => outlook_delta(sh, ctx, q, idx, "contact", "", "#microsoft.graph.contact", &format!("{upath}/contacts/delta"), |b| b.contacts.clone()),
        (_, ["contacts", _]) => {
            let cid = rs[1].clone();
            mb(sh, idx, |b| {
                let Some(pos) = b.contacts.iter().position(|e| e["id"] == cid.as_str()) else { return item_not_found(ctx) };
                match m {
                    "GET" => entity(&b.contacts[pos], format!("{uctx}/contacts/$entity")),
                    "PATCH" => {
                        let p = match parse_json_body(ctx, body) {
                            Ok(p) => p,
                            Err(r) => return r,
                        };
                        merge(&mut b.contacts[pos], &p);
                        b.contacts[pos]["id"] = json!(cid);
                        b.log_change("contact", "", &cid, false);
                        entity(&b.contacts[pos].clone(), format!("{uctx}/contacts/$entity"))
                    }
                    "DELETE" => {
                        b.contacts.remove(pos);
                        b.log_change("contact", "", &cid, true);
                        Resp::empty(204)
                    }
                    _ => method_not_allowed(ctx),
                }
            })
        }
        (_, ["contacts"]) => method_not_allowed(ctx),
        (_, [_, x, ..]) => bad_segment(ctx, x),
        _ => bad_segment(ctx, &rs[0]),
    }
}

#[allow(clippy::too_many_arguments)]
fn mail(sh: &Shared, ctx: &Ctx, idx: usize, m: &str, rest: &[&str], rs: &[String], q: &Q, body: &[u8], uctx: &str, upath: &str) -> Resp {
    let list = |folder: Option<usize>, context: String, link: String| -> Resp {
        let items = mb(sh, idx, |b| {
            let mut v: Vec<Value> = b
                .messages
                .iter()
                .filter(|msg| folder.map(|f| msg["parentFolderId"] == b.folder_ids[f].as_str()).unwrap_or(true))
                .cloned()
                .collect();
            v.sort_by(|a, b| b["receivedDateTime"].as_str().cmp(&a["receivedDateTime"].as_str()));
            v
        });
        let items = match filter_sort(ctx, q, items) {
            Ok(i) => i,
            Err(r) => return r,
        };
        page_values(sh, ctx, q, items, &context, &link, 10, 1000, true)
    };
    let one = |mid: &str| -> Resp {
        let mid = mid.to_string();
        mb(sh, idx, |b| {
            let Some(pos) = b.messages.iter().position(|e| e["id"] == mid.as_str()) else { return item_not_found(ctx) };
            match m {
                "GET" => {
                    let v = match q.get("select").map(crate::odata::parse_select) {
                        Some(s) => project_value(&b.messages[pos], &s),
                        None => b.messages[pos].clone(),
                    };
                    entity(&v, format!("{uctx}/messages/$entity"))
                }
                "PATCH" => {
                    let p = match parse_json_body(ctx, body) {
                        Ok(p) => p,
                        Err(r) => return r,
                    };
                    merge(&mut b.messages[pos], &p);
                    b.messages[pos]["id"] = json!(mid);
                    let f = b.messages[pos]["parentFolderId"].as_str().unwrap_or("").to_string();
                    b.log_change("message", &f, &mid, false);
                    entity(&b.messages[pos].clone(), format!("{uctx}/messages/$entity"))
                }
                "DELETE" => {
                    let removed = b.messages.remove(pos);
                    let f = removed["parentFolderId"].as_str().unwrap_or("").to_string();
                    b.log_change("message", &f, &mid, true);
                    Resp::empty(204)
                }
                _ => method_not_allowed(ctx),
            }
        })
    };
    let delta = |folder: Option<usize>, link: String| -> Resp {
        let scope = match folder {
            Some(f) => mb(sh, idx, |b| b.folder_ids[f].clone()),
            None => "*".to_string(),
        };
        let fid = if scope == "*" { None } else { Some(scope.clone()) };
        outlook_delta(sh, ctx, q, idx, "message", &scope, "#microsoft.graph.message", &link, move |b| {
            let mut v: Vec<Value> = b.messages.iter().filter(|msg| fid.as_ref().map(|f| msg["parentFolderId"] == f.as_str()).unwrap_or(true)).cloned().collect();
            v.sort_by(|a, b| b["receivedDateTime"].as_str().cmp(&a["receivedDateTime"].as_str()));
            v
        })
    };
    match (m, rest) {
        ("GET", ["messages", "delta"]) => delta(None, format!("{upath}/messages/delta")),
        ("GET", ["messages"]) => list(None, format!("{uctx}/messages"), format!("{upath}/messages")),
        (_, ["messages", _]) => one(&rs[1]),
        ("GET", ["mailfolders"]) => {
            let items = mb(sh, idx, |b| b.folders_json());
            page_values(sh, ctx, q, items, &format!("{uctx}/mailFolders"), &format!("{upath}/mailFolders"), 10, 1000, true)
        }
        (_, ["mailfolders", f, tail @ ..]) => {
            let Some(fi) = mb(sh, idx, |b| b.folder_index(&rs[1])) else { return item_not_found(ctx) };
            let _ = f;
            match (m, tail) {
                ("GET", []) => {
                    let v = mb(sh, idx, |b| b.folders_json()[fi].clone());
                    entity(&v, format!("{uctx}/mailFolders/$entity"))
                }
                ("GET", ["messages"]) => list(Some(fi), format!("{uctx}/mailFolders('{}')/messages", rs[1]), format!("{upath}/mailFolders/{}/messages", rs[1])),
                ("GET", ["messages", "delta"]) => delta(Some(fi), format!("{upath}/mailFolders/{}/messages/delta", rs[1])),
                (_, ["messages", _]) => one(&rs[3]),
                (_, [x, ..]) if *x != "messages" => bad_segment(ctx, x),
                _ => method_not_allowed(ctx),
            }
        }
        (_, [_, x, ..]) => bad_segment(ctx, x),
        _ => method_not_allowed(ctx),
    }
}

fn recipients(v: &Value) -> Result<Vec<(String, String)>, ()> {
    match v {
        Value::Null => Ok(vec![]),
        Value::Array(a) => a
            .iter()
            .map(|r| {
                let addr = r.get("emailAddress").and_then(|e| e.get("address")).and_then(|a| a.as_str()).ok_or(())?;
                let name = r.get("emailAddress").and_then(|e| e.get("name")).and_then(|a| a.as_str()).unwrap_or(addr);
                Ok((name.to_string(), addr.to_string()))
            })
            .collect(),
        _ => Err(()),
    }
}

fn valid_address(a: &str) -> bool {
    let a = a.trim();
    match a.split_once('@') {
        Some((l, d)) => !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !a.contains(' ') && !d.contains('@'),
        None => false,
    }
}

fn send_mail(sh: &Shared, ctx: &Ctx, idx: usize, body: &[u8]) -> Resp {
    let sender = lock(&sh.tenant).dir.get(idx);
    let sender: User = match sender {
        Some(u) => u,
        None => return item_not_found(ctx),
    };
    let ct = ctx.hdr("content-type").unwrap_or("application/json").to_ascii_lowercase();
    let (subject, content, ctype, to, cc, bcc, save) = if ct.starts_with("text/plain") {
        // MIME message, base64 encoded
        let Some(raw) = b64std_decode(&String::from_utf8_lossy(body)) else {
            return ctx.err(400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.");
        };
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, content) = text.split_once("\r\n\r\n").or_else(|| text.split_once("\n\n")).unwrap_or((&text, ""));
        let mut subject = String::new();
        let mut to = vec![];
        for line in head.lines() {
            if let Some((k, v)) = line.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "subject" => subject = v.trim().to_string(),
                    "to" => {
                        for a in v.split(',') {
                            let a = a.trim();
                            let addr = a.rsplit_once('<').map(|(_, r)| r.trim_end_matches('>')).unwrap_or(a).to_string();
                            to.push((addr.clone(), addr));
                        }
                    }
                    _ => {}
                }
            }
        }
        (subject, content.to_string(), "text".to_string(), to, vec![], vec![], true)
    } else {
        let p = match parse_json_body(ctx, body) {
            Ok(p) => p,
            Err(r) => return r,
        };
        let Some(msg) = p.get("message").and_then(|m| m.as_object()) else {
            return ctx.err(400, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.");
        };
        let save = match p.get("saveToSentItems") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
            _ => return ctx.err(400, "UnableToDeserializePostBody", "were unable to deserialize "),
        };
        let (content, ctype) = match msg.get("body") {
            None | Some(Value::Null) => (String::new(), "text".to_string()),
            Some(b) => {
                let ct = b.get("contentType").and_then(|c| c.as_str()).unwrap_or("text");
                if !ct.eq_ignore_ascii_case("text") && !ct.eq_ignore_ascii_case("html") {
                    return ctx.err(400, "UnableToDeserializePostBody", "were unable to deserialize ");
                }
                (b.get("content").and_then(|c| c.as_str()).unwrap_or("").to_string(), ct.to_ascii_lowercase())
            }
        };
        let subject = match msg.get("subject") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            _ => return ctx.err(400, "UnableToDeserializePostBody", "were unable to deserialize "),
        };
        let get = |k: &str| recipients(msg.get(k).unwrap_or(&Value::Null));
        let (Ok(to), Ok(cc), Ok(bcc)) = (get("toRecipients"), get("ccRecipients"), get("bccRecipients")) else {
            return ctx.err(400, "UnableToDeserializePostBody", "were unable to deserialize ");
        };
        if let Some(atts) = msg.get("attachments").and_then(|a| a.as_array()) {
            for a in atts {
                if let Some(cb) = a.get("contentBytes").and_then(|c| c.as_str()) {
                    if b64std_decode(cb).is_none() {
                        return ctx.err(400, "ErrorInvalidParameter", "The value of the parameter 'ContentBytes' is invalid.");
                    }
                }
            }
        }
        (subject, content, ctype, to, cc, bcc, save)
    };
    if to.is_empty() && cc.is_empty() && bcc.is_empty() {
        return ctx.err(400, "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be sent because it contains no recipients.");
    }
    for (_, a) in to.iter().chain(cc.iter()).chain(bcc.iter()) {
        if !valid_address(a) {
            return ctx.err(400, "ErrorInvalidRecipients", &format!("At least one recipient isn't valid., Recipient '{a}' isn't resolved. All recipients must be resolved before a message can be saved or sent."));
        }
    }
    let to_v: Vec<Value> = to.iter().map(|(n, a)| email_of(n, a)).collect();
    let cc_v: Vec<Value> = cc.iter().map(|(n, a)| email_of(n, a)).collect();
    let now = now_secs();
    // deliver
    let targets: Vec<usize> = {
        let t = lock(&sh.tenant);
        let mut v: Vec<usize> = to.iter().chain(cc.iter()).chain(bcc.iter()).filter_map(|(_, a)| t.dir.resolve_mail(a)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    for r in targets {
        let (s, c, ty, tv, cv) = (subject.clone(), content.clone(), ctype.clone(), to_v.clone(), cc_v.clone());
        let sender = sender.clone();
        with_mailbox(sh, r, move |b| {
            let n = b.next_n();
            let id = outlook_id("message", r as u64, n);
            let msg = b.make_message(&id, now, &s, &c, &ty, &sender, &tv, &cv, 0, false);
            b.messages.push(msg);
            let f = b.folder_ids[0].clone();
            b.log_change("message", &f, &id, false);
        });
    }
    if save {
        with_mailbox(sh, idx, |b| {
            let n = b.next_n();
            let id = outlook_id("message", idx as u64, n);
            let mut msg = b.make_message(&id, now, &subject, &content, &ctype, &sender, &to_v, &cc_v, 1, true);
            msg["bccRecipients"] = Value::Array(bcc.iter().map(|(n, a)| email_of(n, a)).collect());
            b.messages.push(msg);
            let f = b.folder_ids[1].clone();
            b.log_change("message", &f, &id, false);
        });
    }
    Resp::empty(202)
}

const MBS_PROPS: &[&str] = &["automaticRepliesSetting", "dateFormat", "language", "timeFormat", "timeZone", "workingHours", "delegateMeetingMessageDeliveryOptions", "archiveFolder", "userPurpose"];

fn mailbox_settings(sh: &Shared, ctx: &Ctx, idx: usize, m: &str, rest: &[&str], body: &[u8], uctx: &str) -> Resp {
    match (m, rest) {
        ("GET", ["mailboxsettings"]) => {
            let s = mb(sh, idx, |b| b.settings.clone());
            entity(&s, format!("{uctx}/mailboxSettings"))
        }
        ("GET", ["mailboxsettings", p]) => {
            let s = mb(sh, idx, |b| b.settings.clone());
            match s.as_object().and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(p))) {
                Some((k, v)) => {
                    if v.is_object() {
                        entity(v, format!("{uctx}/mailboxSettings/{k}"))
                    } else {
                        Resp::json(200, &json!({"@odata.context": format!("{uctx}/mailboxSettings/{k}"), "value": v}))
                    }
                }
                None => bad_segment(ctx, p),
            }
        }
        ("PATCH", ["mailboxsettings"]) => {
            let p = match parse_json_body(ctx, body) {
                Ok(p) => p,
                Err(r) => return r,
            };
            for (k, v) in &p {
                if k.starts_with('@') {
                    continue;
                }
                if !MBS_PROPS.contains(&k.as_str()) {
                    return ctx.err(400, "RequestBodyRead", &format!("The property '{k}' does not exist on type 'microsoft.graph.mailboxSettings'. Make sure to only use property names that are defined by the type or mark the type as open type."));
                }
                if k == "automaticRepliesSetting" {
                    if let Some(st) = v.get("status") {
                        let ok = st.as_str().map(|s| ["disabled", "alwaysenabled", "scheduled"].contains(&s.to_ascii_lowercase().as_str())).unwrap_or(false);
                        if !ok {
                            return ctx.err(400, "RequestBodyRead", &format!("Cannot convert the literal '{}' to the expected type 'microsoft.graph.automaticRepliesStatus'.", st.as_str().unwrap_or(&st.to_string())));
                        }
                    }
                }
            }
            let p: Map<String, Value> = p.into_iter().filter(|(k, _)| !k.starts_with('@')).collect();
            let out = mb(sh, idx, |b| {
                let mut p2 = p.clone();
                if let Some(ars) = p2.get_mut("automaticRepliesSetting").and_then(|v| v.as_object_mut()) {
                    if let Some(Value::String(s)) = ars.get("status").cloned() {
                        let canon = match s.to_ascii_lowercase().as_str() {
                            "alwaysenabled" => "alwaysEnabled",
                            "scheduled" => "scheduled",
                            _ => "disabled",
                        };
                        ars.insert("status".into(), json!(canon));
                    }
                }
                merge(&mut b.settings, &p2);
                let mut out = Map::new();
                for k in p2.keys() {
                    out.insert(k.clone(), b.settings[k].clone());
                }
                Value::Object(out)
            });
            entity(&out, format!("{uctx}/mailboxSettings"))
        }
        _ => method_not_allowed(ctx),
    }
}

#[allow(clippy::too_many_arguments)]
fn todo(sh: &Shared, ctx: &Ctx, idx: usize, m: &str, rest: &[&str], rs: &[String], q: &Q, body: &[u8], uctx: &str, upath: &str) -> Resp {
    match (m, rest) {
        ("GET", ["todo", "lists"]) => {
            let items = mb(sh, idx, |b| {
                b.todo
                    .iter()
                    .map(|l| {
                        let mut v = json!({"@odata.type": "#microsoft.graph.todoTaskList"});
                        if let (Some(o), Value::Object(mm)) = (v.as_object_mut(), l.meta.clone()) {
                            o.extend(mm);
                        }
                        v
                    })
                    .collect::<Vec<_>>()
            });
            page_values(sh, ctx, q, items, &format!("{uctx}/todo/lists"), &format!("{upath}/todo/lists"), 100, 1000, true)
        }
        ("POST", ["todo", "lists"]) => {
            let p = match parse_json_body(ctx, body) {
                Ok(p) => p,
                Err(r) => return r,
            };
            let Some(name) = p.get("displayName").and_then(|d| d.as_str()).filter(|s| !s.trim().is_empty()) else {
                return ctx.err(400, "invalidRequest", "Invalid request.");
            };
            let name = name.to_string();
            let meta = mb(sh, idx, |b| {
                let n = b.next_n();
                let meta = json!({"@odata.etag": etag(n), "displayName": name, "isOwner": true, "isShared": false, "wellknownListName": "none", "id": outlook_id("todolist", idx as u64, n)});
                b.todo.push(crate::mailbox::TodoList { meta: meta.clone(), tasks: vec![] });
                meta
            });
            created(ctx, meta, format!("{uctx}/todo/lists/$entity"))
        }
        (_, ["todo", "lists", _, tail @ ..]) => {
            let lid = rs[2].clone();
            let Some(li) = mb(sh, idx, |b| b.todo.iter().position(|l| l.meta["id"] == lid.as_str())) else { return item_not_found(ctx) };
            let lctx = format!("{uctx}/todo/lists('{}')", lid);
            match (m, tail) {
                ("GET", []) => entity(&mb(sh, idx, |b| b.todo[li].meta.clone()), format!("{uctx}/todo/lists/$entity")),
                ("GET", ["tasks"]) => {
                    let items = mb(sh, idx, |b| b.todo[li].tasks.clone());
                    let items = match filter_sort(ctx, q, items) {
                        Ok(i) => i,
                        Err(r) => return r,
                    };
                    page_values(sh, ctx, q, items, &format!("{lctx}/tasks"), &format!("{upath}/todo/lists/{lid}/tasks"), 10, 1000, true)
                }
                ("POST", ["tasks"]) => {
                    let p = match parse_json_body(ctx, body) {
                        Ok(p) => p,
                        Err(r) => return r,
                    };
                    if let Some(st) = p.get("status") {
                        let ok = st.as_str().map(|s| ["notstarted", "inprogress", "completed", "waitingonothers", "deferred"].contains(&s.to_ascii_lowercase().as_str())).unwrap_or(false);
                        if !ok {
                            return ctx.err(400, "invalidRequest", "Invalid request.");
                        }
                    }
                    let task = mb(sh, idx, |b| {
                        let n = b.next_n();
                        let id = outlook_id("todotask", idx as u64, n);
                        let now = now_secs();
                        let mut t = json!({
                            "@odata.etag": etag(hash_str(&id)),
                            "importance": "normal",
                            "isReminderOn": false,
                            "status": "notStarted",
                            "title": "",
                            "createdDateTime": iso7(now, 1000000),
                            "lastModifiedDateTime": iso7(now, 1000000),
                            "hasAttachments": false,
                            "categories": [],
                            "id": id,
                            "body": {"content": "", "contentType": "text"},
                        });
                        merge(&mut t, &p);
                        t["id"] = json!(id);
                        b.todo[li].tasks.push(t.clone());
                        b.log_change("todoTask", &lid, &id, false);
                        t
                    });
                    created(ctx, task, format!("{lctx}/tasks/$entity"))
                }
                ("GET", ["tasks", "delta"]) => {
                    let lid2 = lid.clone();
                    outlook_delta(sh, ctx, q, idx, "todoTask", &lid, "#microsoft.graph.todoTask", &format!("{upath}/todo/lists/{lid}/tasks/delta"), move |b| {
                        b.todo.iter().find(|l| l.meta["id"] == lid2.as_str()).map(|l| l.tasks.clone()).unwrap_or_default()
                    })
                }
                (_, ["tasks", _]) => {
                    let tid = rs[4].clone();
                    mb(sh, idx, |b| {
                        let Some(pos) = b.todo[li].tasks.iter().position(|t| t["id"] == tid.as_str()) else { return item_not_found(ctx) };
                        match m {
                            "GET" => entity(&b.todo[li].tasks[pos], format!("{lctx}/tasks/$entity")),
                            "PATCH" => {
                                let p = match parse_json_body(ctx, body) {
                                    Ok(p) => p,
                                    Err(r) => return r,
                                };
                                merge(&mut b.todo[li].tasks[pos], &p);
                                b.todo[li].tasks[pos]["id"] = json!(tid);
                                b.todo[li].tasks[pos]["lastModifiedDateTime"] = json!(iso7(now_secs(), 1000000));
                                b.log_change("todoTask", &lid, &tid, false);
                                entity(&b.todo[li].tasks[pos].clone(), format!("{lctx}/tasks/$entity"))
                            }
                            "DELETE" => {
                                b.todo[li].tasks.remove(pos);
                                b.log_change("todoTask", &lid, &tid, true);
                                Resp::empty(204)
                            }
                            _ => method_not_allowed(ctx),
                        }
                    })
                }
                (_, [x, ..]) if *x != "tasks" => bad_segment(ctx, x),
                _ => method_not_allowed(ctx),
            }
        }
        (_, ["todo"]) | (_, ["todo", "lists"]) => method_not_allowed(ctx),
        (_, ["todo", x, ..]) => bad_segment(ctx, x),
        _ => method_not_allowed(ctx),
    }
}

/// Outlook-style delta over a mailbox collection (events, contacts, To Do tasks).
/// `items` lists the collection now; `in_scope` limits the window (calendarView).
#[allow(clippy::too_many_arguments)]
fn outlook_delta(
    sh: &Shared,
    ctx: &Ctx,
    q: &Q,
    idx: usize,
    kind: &'static str,
    scope: &str,
    odata_type: &str,
    link_path: &str,
    items: impl Fn(&Mailbox) -> Vec<Value>,
) -> Resp {
    use crate::token::{seal, unseal};
    let page = ctx
        .hdr("prefer")
        .and_then(|p| p.split(',').find_map(|x| x.trim().strip_prefix("odata.maxpagesize=").and_then(|n| n.trim().parse::<usize>().ok())))
        .filter(|n| *n > 0)
        .unwrap_or(10);
    let bad = || ctx.err(400, "syncStateNotFound", "The sync state generation is not found or has expired. Start a new delta round without a token.");
    let tok = q.get("skiptoken").or_else(|| q.get("deltatoken")).filter(|t| !t.is_empty());
    let (now_items, seq) = mb(sh, idx, |b| (items(b), b.seq));
    let (generation, expired_code) = {
        let f = lock(&sh.faults);
        (f.delta_generation, f.expired_outlook_delta_code.clone())
    };
    let mut st = match tok {
        None => json!({"k": "od", "kind": kind, "scope": scope, "p": "f", "s": seq, "o": 0, "g": generation}),
        Some(t) => match unseal(&sh.key, t) {
            Some(v) if v["k"] == "od" && v["kind"] == kind && v["scope"] == scope => v,
            _ => return bad(),
        },
    };
    if st["g"].as_u64().unwrap_or(0) < generation {
        lock(&sh.stats).expired_delta_tokens += 1;
        return match expired_code.as_deref() {
            Some("resyncRequired") => ctx.err(400, "resyncRequired", "The sync state has expired and a full resync is required. Start a new delta round without a token."),
            _ => bad(),
        };
    }
    if st["p"] == "d" {
        st = json!({"k": "od", "kind": kind, "scope": scope, "p": "i", "from": st["s"], "to": seq, "o": 0, "g": st["g"]});
    }
    let with_type = |v: &Value| {
        let mut m = Map::new();
        m.insert("@odata.type".into(), json!(odata_type));
        if let Value::Object(o) = v {
            m.extend(o.clone());
        }
        Value::Object(m)
    };
    let all: Vec<Value> = if st["p"] == "f" {
        now_items.iter().map(with_type).collect()
    } else {
        let (from, to) = (st["from"].as_u64().unwrap_or(0), st["to"].as_u64().unwrap_or(0));
        let changed: Vec<String> = mb(sh, idx, |b| {
            let mut ids: Vec<String> = vec![];
            for c in b.changes.iter().filter(|c| c.kind == kind && (scope == "*" || c.scope == scope) && c.seq > from && c.seq <= to) {
                if !ids.contains(&c.id) {
                    ids.push(c.id.clone());
                }
            }
            ids
        });
        changed
            .iter()
            .map(|id| match now_items.iter().find(|v| v["id"] == id.as_str()) {
                Some(v) => with_type(v),
                None => json!({"@odata.type": odata_type, "id": id, "@removed": {"reason": "deleted"}}),
            })
            .collect()
    };
    let sep = if link_path.contains('?') { '&' } else { '?' };
    let off = st["o"].as_u64().unwrap_or(0) as usize;
    let value: Vec<Value> = all.iter().skip(off).take(page).cloned().collect();
    let mut out = Map::new();
    out.insert("@odata.context".into(), json!(format!("{}/$metadata#Collection({})", ctx.root(), odata_type.trim_start_matches("#microsoft.graph."))));
    if off + page < all.len() {
        st["o"] = json!(off + page);
        out.insert("@odata.nextLink".into(), json!(format!("{}{}{}$skiptoken={}", ctx.root(), link_path, sep, seal(&sh.key, &st))));
    } else {
        let s = if st["p"] == "f" { st["s"].clone() } else { st["to"].clone() };
        let d = json!({"k": "od", "kind": kind, "scope": scope, "p": "d", "s": s, "g": st["g"]});
        out.insert("@odata.deltaLink".into(), json!(format!("{}{}{}$deltatoken={}", ctx.root(), link_path, sep, seal(&sh.key, &d))));
    }
    out.insert("value".into(), Value::Array(value));
    Resp::json(200, &Value::Object(out))
}
