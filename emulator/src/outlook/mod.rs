//! Outlook and To Do resources under /users/{id}/...: permission checks and dispatch.

mod calendar;
pub(crate) mod common;
mod contacts;
mod mail;
mod prefer;
mod settings;
mod todo;

use calendar::*;
use contacts::*;
use mail::*;
use settings::*;
use todo::*;
use crate::errors::*;
use crate::query::*;
use crate::state::{lock, Ctx, Resp, Shared};
use crate::token::AppIdentity;
use crate::util::*;
use serde_json::{json, Value};

pub(crate) const R_MAIL_READ: &[&str] = &["Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic", "Mail.ReadBasic.All"];

pub(crate) const R_MAIL_WRITE: &[&str] = &["Mail.ReadWrite"];

pub(crate) const R_MAIL_SEND: &[&str] = &["Mail.Send"];

pub(crate) const R_CAL_READ: &[&str] = &["Calendars.Read", "Calendars.ReadWrite", "Calendars.ReadBasic.All"];

pub(crate) const R_CAL_WRITE: &[&str] = &["Calendars.ReadWrite"];

pub(crate) const R_CONTACTS_READ: &[&str] = &["Contacts.Read", "Contacts.ReadWrite"];

pub(crate) const R_CONTACTS_WRITE: &[&str] = &["Contacts.ReadWrite"];

pub(crate) const R_MBS_READ: &[&str] = &["MailboxSettings.Read", "MailboxSettings.ReadWrite"];

pub(crate) const R_MBS_WRITE: &[&str] = &["MailboxSettings.ReadWrite"];

pub(crate) const R_TASKS_READ: &[&str] = &["Tasks.Read.All", "Tasks.ReadWrite.All"];

pub(crate) const R_TASKS_WRITE: &[&str] = &["Tasks.ReadWrite.All"];

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
            if rest.get(1) == Some(&"$count") && rest.len() == 2 {
                return crate::directory::count_segment(ctx, || Ok((0..crate::data::GROUPS.len()).filter(|g| crate::data::group_has_member(*g, idx)).count() as u64));
            }
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
    let r = match rest[0] {
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
    };
    crate::outlook::prefer::apply(ctx, r)
}
