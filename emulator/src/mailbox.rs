//! Per-user Outlook/To Do data, generated deterministically the first time a mailbox is touched.

use crate::data::{seed_user, User, TENANT_DOMAIN};
use crate::util::*;
use serde_json::{json, Map, Value};

pub const WELL_KNOWN_FOLDERS: &[(&str, &str)] = &[
    ("inbox", "Inbox"),
    ("sentitems", "Sent Items"),
    ("drafts", "Drafts"),
    ("deleteditems", "Deleted Items"),
    ("archive", "Archive"),
];

#[derive(Clone, Debug)]
pub struct TodoList {
    pub meta: Value,
    pub tasks: Vec<Value>,
}

/// A change-log entry for Outlook-style delta (kind, item id, seq, deleted).
#[derive(Clone, Debug)]
pub struct ItemChange {
    pub kind: &'static str,
    pub scope: String,
    pub id: String,
    pub seq: u64,
    #[allow(dead_code)] // kept for messages delta (removal reasons)
    pub deleted: bool,
}

#[derive(Clone, Debug)]
pub struct Mailbox {
    pub idx: usize,
    pub folder_ids: Vec<String>,
    pub events: Vec<Value>,
    pub messages: Vec<Value>,
    pub contacts: Vec<Value>,
    pub todo: Vec<TodoList>,
    pub settings: Value,
    pub counter: u64,
    pub seq: u64,
    pub changes: Vec<ItemChange>,
}

const SUBJECTS: &[&str] = &[
    "Quarterly review", "Lunch on Friday?", "Re: Budget 2025", "Projektplan Überarbeitung", "Reunión de equipo", "会议纪要", "週次ミーティング",
    "Kaffepause ☕", "Invoice #4711", "Welcome aboard!", "Mark 8 launch checklist", "Déjeuner d'équipe",
];
const IMPORTANCE: [&str; 3] = ["low", "normal", "high"];
const TASK_TITLES: [&str; 5] = ["Prepare slides", "Renew certificate", "Reisekosten einreichen", "回复客户邮件", "Ærø trip booking"];
const LOCATIONS: &[&str] = &["Assembly Hall", "Conf Room Adams", "Konferenzraum Zugspitze", "Sala Málaga", "会议室 3", "Microsoft Teams Meeting"];

fn email(u: &User) -> Value {
    json!({"emailAddress": {"name": u.display_name(), "address": u.mail()}})
}

pub fn email_of(name: &str, addr: &str) -> Value {
    json!({"emailAddress": {"name": name, "address": addr}})
}

pub fn etag(seed: u64) -> String {
    let b: Vec<u8> = (0..16u64).map(|i| (splitmix(seed ^ i) & 0xff) as u8).collect();
    format!("W/\"{}\"", b64std(&b))
}

pub fn day_start(now: i64) -> i64 {
    now - now.rem_euclid(86400)
}

impl Mailbox {
    pub fn generate(idx: usize, owner: &User, directory_size: usize) -> Mailbox {
        let n = idx as u64;
        let now = now_secs();
        let today = day_start(now);
        let folder_ids: Vec<String> = WELL_KNOWN_FOLDERS.iter().enumerate().map(|(i, _)| outlook_id("folder", n, i as u64)).collect();
        let peer = |k: u64| -> User {
            let m = directory_size.max(1);
            seed_user((splitmix(n ^ k) % m as u64) as usize)
        };
        let mut mb = Mailbox {
            idx,
            folder_ids,
            events: vec![],
            messages: vec![],
            contacts: vec![],
            todo: vec![],
            settings: Value::Null,
            counter: 100,
            seq: 1,
            changes: vec![],
        };
        // Events: past, today and the next days.
        for k in 0..5u64 {
            let start = today + ((k as i64) - 1) * 86400 + (9 + (splitmix(n ^ k) % 8) as i64) * 3600;
            let end = start + 3600;
            let subject = SUBJECTS[((n + k) % SUBJECTS.len() as u64) as usize];
            let loc = LOCATIONS[((n * 3 + k) % LOCATIONS.len() as u64) as usize];
            let other = peer(k + 10);
            let id = outlook_id("event", n, k);
            let ev = json!({
                "@odata.etag": etag(n * 1000 + k),
                "id": id,
                "createdDateTime": iso7(start - 7 * 86400, 1234567),
                "lastModifiedDateTime": iso7(start - 6 * 86400, 7654321),
                "changeKey": etag(n * 1000 + k).trim_start_matches("W/\"").trim_end_matches('"'),
                "categories": [],
                "transactionId": null,
                "originalStartTimeZone": "UTC",
                "originalEndTimeZone": "UTC",
                "iCalUId": format!("040000008200E00074C5B7101A82E008000000{:032X}", splitmix(n ^ k) as u128 * 7),
                "reminderMinutesBeforeStart": 15,
                "isReminderOn": true,
                "hasAttachments": false,
                "subject": subject,
                "bodyPreview": format!("{subject} — agenda to follow."),
                "importance": "normal",
                "sensitivity": "normal",
                "isAllDay": false,
                "isCancelled": false,
                "isOrganizer": k % 2 == 0,
                "responseRequested": true,
                "seriesMasterId": null,
                "showAs": "busy",
                "type": "singleInstance",
                "webLink": format!("https://outlook.office365.com/owa/?itemid={}&exvsurl=1&path=/calendar/item", pct_encode(&id)),
                "onlineMeetingUrl": null,
                "isOnlineMeeting": false,
                "onlineMeetingProvider": "unknown",
                "allowNewTimeProposals": true,
                "isDraft": false,
                "hideAttendees": false,
                "responseStatus": {"response": if k % 2 == 0 { "organizer" } else { "accepted" }, "time": "0001-01-01T00:00:00Z"},
                "body": {"contentType": "html", "content": format!("<html><head></head><body><p>{subject} — agenda to follow.</p></body></html>")},
                "start": {"dateTime": outlook_dt(start), "timeZone": "UTC"},
                "end": {"dateTime": outlook_dt(end), "timeZone": "UTC"},
                "location": {"displayName": loc, "locationType": "default", "uniqueId": loc, "uniqueIdType": "private"},
                "locations": [{"displayName": loc, "locationType": "default", "uniqueIdType": "unknown"}],
                "recurrence": null,
                "attendees": [{"type": "required", "status": {"response": "none", "time": "0001-01-01T00:00:00Z"}, "emailAddress": {"name": other.display_name(), "address": other.mail()}}],
                "organizer": if k % 2 == 0 { email(owner) } else { email(&other) },
                "onlineMeeting": null,
            });
            mb.events.push(ev);
        }
        // Messages: inbox from peers, one in sent items.
        for k in 0..12u64 {
            let from = peer(k + 100);
            let received = now - (k as i64 + 1) * 5400 - (splitmix(n ^ k) % 1800) as i64;
            let folder = if k == 11 { 1 } else { 0 };
            let subject = SUBJECTS[((n * 7 + k) % SUBJECTS.len() as u64) as usize];
            let (sender, to) = if folder == 1 { (owner.clone(), from.clone()) } else { (from.clone(), owner.clone()) };
            let id = outlook_id("message", n, k);
            let body = format!("Hi {},\n\n{subject}: please see the notes.\n\n{}", to.str("givenName"), sender.str("givenName"));
            let msg = mb.make_message(&id, received, subject, &body, "text", &sender, &[email(&to)], &[], folder, k % 3 == 0);
            mb.messages.push(msg);
        }
        // Contacts.
        for k in 0..4u64 {
            let p = peer(k + 200);
            let id = outlook_id("contact", n, k);
            mb.contacts.push(json!({
                "@odata.etag": etag(n * 3000 + k),
                "id": id,
                "createdDateTime": iso(now - 90 * 86400 + k as i64 * 3600),
                "lastModifiedDateTime": iso(now - 30 * 86400 + k as i64 * 3600),
                "changeKey": etag(n * 3000 + k).trim_start_matches("W/\"").trim_end_matches('"'),
                "categories": [],
                "parentFolderId": outlook_id("folder", n, 99),
                "birthday": null,
                "fileAs": "",
                "displayName": p.display_name(),
                "givenName": p.str("givenName"),
                "initials": null,
                "middleName": null,
                "nickName": null,
                "surname": p.str("surname"),
                "title": null,
                "yomiGivenName": null,
                "yomiSurname": null,
                "yomiCompanyName": null,
                "generation": null,
                "imAddresses": [],
                "jobTitle": p.str("jobTitle"),
                "companyName": "Contoso",
                "department": p.str("department"),
                "officeLocation": p.str("officeLocation"),
                "profession": null,
                "businessHomePage": null,
                "assistantName": null,
                "manager": null,
                "homePhones": [],
                "mobilePhone": p.props.get("mobilePhone").cloned().unwrap_or(Value::Null),
                "businessPhones": p.props.get("businessPhones").cloned().unwrap_or(json!([])),
                "spouseName": null,
                "personalNotes": "",
                "children": [],
                "emailAddresses": [{"name": p.display_name(), "address": p.mail()}],
                "homeAddress": {},
                "businessAddress": {},
                "otherAddress": {},
            }));
        }
        // To Do.
        let lists = [("Tasks", "defaultList"), ("Monthly Tasks", "none")];
        for (li, (name, wk)) in lists.iter().enumerate() {
            let lid = outlook_id("todolist", n, li as u64);
            let mut tasks = vec![];
            for k in 0..(3 + li as u64) {
                let created = now - (10 - k as i64) * 86400;
                tasks.push(json!({
                    "@odata.etag": etag(n * 5000 + li as u64 * 100 + k),
                    "importance": IMPORTANCE[(k % 3) as usize],
                    "isReminderOn": false,
                    "status": if k == 0 { "completed" } else { "notStarted" },
                    "title": TASK_TITLES[(k as usize + li) % 5],
                    "createdDateTime": iso7(created, 9359889),
                    "lastModifiedDateTime": iso7(created + 600, 614375),
                    "hasAttachments": false,
                    "categories": [],
                    "id": outlook_id("todotask", n, li as u64 * 100 + k),
                    "body": {"content": "", "contentType": "text"},
                    "dueDateTime": {"dateTime": outlook_dt(day_start(now) + (k as i64 + 1) * 86400), "timeZone": "UTC"},
                }));
            }
            mb.todo.push(TodoList {
                meta: json!({
                    "@odata.etag": etag(n * 4000 + li as u64),
                    "displayName": name,
                    "isOwner": true,
                    "isShared": false,
                    "wellknownListName": wk,
                    "id": lid,
                }),
                tasks,
            });
        }
        mb.settings = json!({
            "archiveFolder": mb.folder_ids[4],
            "timeZone": "UTC",
            "automaticRepliesSetting": {
                "status": "disabled",
                "externalAudience": "all",
                "internalReplyMessage": "",
                "externalReplyMessage": "",
                "scheduledStartDateTime": {"dateTime": outlook_dt(today), "timeZone": "UTC"},
                "scheduledEndDateTime": {"dateTime": outlook_dt(today + 86400), "timeZone": "UTC"},
            },
            "language": {"locale": owner.str("preferredLanguage"), "displayName": owner.str("preferredLanguage")},
            "workingHours": {
                "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                "startTime": "08:00:00.0000000",
                "endTime": "17:00:00.0000000",
                "timeZone": {"name": "UTC"},
            },
            "userPurpose": "user",
            "dateFormat": "MM/dd/yyyy",
            "timeFormat": "hh:mm tt",
            "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
        });
        mb
    }

    pub fn next_n(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    pub fn folder_index(&self, name_or_id: &str) -> Option<usize> {
        let l = name_or_id.to_lowercase();
        WELL_KNOWN_FOLDERS
            .iter()
            .position(|(w, _)| *w == l)
            .or_else(|| self.folder_ids.iter().position(|f| f == name_or_id))
    }

    pub fn folders_json(&self) -> Vec<Value> {
        WELL_KNOWN_FOLDERS
            .iter()
            .enumerate()
            .map(|(i, (_, name))| {
                let count = self.messages.iter().filter(|m| m["parentFolderId"] == self.folder_ids[i].as_str()).count();
                let unread = self
                    .messages
                    .iter()
                    .filter(|m| m["parentFolderId"] == self.folder_ids[i].as_str() && m["isRead"] == false)
                    .count();
                json!({
                    "id": self.folder_ids[i],
                    "displayName": name,
                    "parentFolderId": outlook_id("folder", self.idx as u64, 98),
                    "childFolderCount": 0,
                    "unreadItemCount": unread,
                    "totalItemCount": count,
                    "isHidden": false,
                })
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub fn make_message(
        &self,
        id: &str,
        at: i64,
        subject: &str,
        body: &str,
        content_type: &str,
        sender: &User,
        to: &[Value],
        cc: &[Value],
        folder: usize,
        is_read: bool,
    ) -> Value {
        let h = hash_str(id);
        let preview: String = if content_type.eq_ignore_ascii_case("html") {
            strip_tags(body)
        } else {
            body.to_string()
        }
        .chars()
        .take(255)
        .collect();
        json!({
            "@odata.etag": etag(h),
            "id": id,
            "createdDateTime": iso(at),
            "lastModifiedDateTime": iso(at),
            "changeKey": etag(h).trim_start_matches("W/\"").trim_end_matches('"'),
            "categories": [],
            "receivedDateTime": iso(at),
            "sentDateTime": iso(at - 1),
            "hasAttachments": false,
            "internetMessageId": format!("<{}@{}>", b64url(&h.to_le_bytes()), TENANT_DOMAIN.replace(".onmicrosoft.com", ".prod.outlook.com")),
            "subject": subject,
            "bodyPreview": preview,
            "importance": "normal",
            "parentFolderId": self.folder_ids[folder],
            "conversationId": format!("AAQkAG{}=", b64url(&hash_str(subject).to_le_bytes())),
            "conversationIndex": b64std(&h.to_be_bytes()),
            "isDeliveryReceiptRequested": false,
            "isReadReceiptRequested": false,
            "isRead": is_read,
            "isDraft": false,
            "webLink": format!("https://outlook.office365.com/owa/?ItemID={}&exvsurl=1&viewmodel=ReadMessageItem", pct_encode(id)),
            "inferenceClassification": "focused",
            "body": {"contentType": if content_type.eq_ignore_ascii_case("html") { "html" } else { "text" }, "content": body},
            "sender": email(sender),
            "from": email(sender),
            "toRecipients": to,
            "ccRecipients": cc,
            "bccRecipients": [],
            "replyTo": [],
            "flag": {"flagStatus": "notFlagged"},
        })
    }

    pub fn log_change(&mut self, kind: &'static str, scope: &str, id: &str, deleted: bool) {
        self.seq += 1;
        self.changes.push(ItemChange { kind, scope: scope.to_string(), id: id.to_string(), seq: self.seq, deleted });
    }
}

pub fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// Merge a JSON patch object into a target object (one level deep for nested objects).
pub fn merge(target: &mut Value, patch: &Map<String, Value>) {
    if !target.is_object() {
        *target = json!({});
    }
    let t = target.as_object_mut().expect("object");
    for (k, v) in patch {
        match (t.get_mut(k), v) {
            (Some(Value::Object(existing)), Value::Object(p)) => {
                for (k2, v2) in p {
                    existing.insert(k2.clone(), v2.clone());
                }
            }
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
    canonical_enums(t);
}

/// Graph reads enum values case-insensitively and answers with the schema's spelling
/// ("Text" in a request → "text" in every answer; found by the recorded-body schema check).
fn canonical_enums(t: &mut Map<String, Value>) {
    const ENUMS: &[(&str, &[&str])] = &[
        ("importance", &["low", "normal", "high"]),
        ("sensitivity", &["normal", "personal", "private", "confidential"]),
        ("showAs", &["free", "tentative", "busy", "oof", "workingElsewhere", "unknown"]),
        ("status", &["notStarted", "inProgress", "completed", "waitingOnOthers", "deferred"]),
    ];
    let fix = |v: &mut Value, members: &[&str]| {
        if let Some(m) = v.as_str().and_then(|s| members.iter().find(|m| m.eq_ignore_ascii_case(s))) {
            *v = json!(m);
        }
    };
    for (k, members) in ENUMS {
        if let Some(v) = t.get_mut(*k) {
            fix(v, members);
        }
    }
    for k in ["body", "uniqueBody"] {
        if let Some(v) = t.get_mut(k).and_then(|b| b.get_mut("contentType")) {
            fix(v, &["text", "html"]);
        }
    }
}
