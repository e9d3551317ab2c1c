//! Messages, mail folders and sendMail.

use crate::data::*;
use crate::errors::*;
use crate::mailbox::*;
use crate::query::*;
use crate::state::{lock, Ctx, Resp, Shared};
use crate::util::*;
use crate::outlook::common::*;
use serde_json::{json, Value};

#[allow(clippy::too_many_arguments)]
pub(crate) fn mail(sh: &Shared, ctx: &Ctx, idx: usize, m: &str, rest: &[&str], rs: &[String], q: &Q, body: &[u8], uctx: &str, upath: &str) -> Resp {
    // `…/messages/$count` (Outlook: no ConsistencyLevel needed; $filter applies): text/plain
    let count = |folder: Option<usize>| -> Resp {
        let items: Vec<Value> = mb(sh, idx, |b| b.messages.iter().filter(|msg| folder.map(|f| msg["parentFolderId"] == b.folder_ids[f].as_str()).unwrap_or(true)).cloned().collect());
        match filter_sort(ctx, q, items) {
            Ok(i) => Resp { status: 200, headers: vec![("Content-Type".into(), "text/plain".into())], body: i.len().to_string().into_bytes() },
            Err(r) => r,
        }
    };
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
                    if let Some(r) = precondition(ctx, &b.messages[pos]) {
                        return r;
                    }
                    let p = match parse_json_body(ctx, body) {
                        Ok(p) => p,
                        Err(r) => return r,
                    };
                    merge(&mut b.messages[pos], &p);
                    bump_etag(&mut b.messages[pos]);
                    b.messages[pos]["id"] = json!(mid);
                    let f = b.messages[pos]["parentFolderId"].as_str().unwrap_or("").to_string();
                    b.log_change("message", &f, &mid, false);
                    entity(&b.messages[pos].clone(), format!("{uctx}/messages/$entity"))
                }
                "DELETE" => {
                    if let Some(r) = precondition(ctx, &b.messages[pos]) {
                        return r;
                    }
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
        ("GET", ["messages", "$count"]) => count(None),
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
                ("GET", ["messages", "$count"]) => count(Some(fi)),
                (_, ["messages", _]) => one(&rs[3]),
                (_, [x, ..]) if *x != "messages" => bad_segment(ctx, x),
                _ => method_not_allowed(ctx),
            }
        }
        (_, [_, x, ..]) => bad_segment(ctx, x),
        _ => method_not_allowed(ctx),
    }
}

pub(crate) fn recipients(v: &Value) -> Result<Vec<(String, String)>, ()> {
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

pub(crate) fn valid_address(a: &str) -> bool {
    let a = a.trim();
    match a.split_once('@') {
        Some((l, d)) => !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !a.contains(' ') && !d.contains('@'),
        None => false,
    }
}

pub(crate) fn send_mail(sh: &Shared, ctx: &Ctx, idx: usize, body: &[u8]) -> Resp {
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
        // Action parameters are matched case-insensitively, as Graph does (the SDK sends `Message`/`SaveToSentItems`, the schema spelling).
        let param = |name: &str| p.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
        let Some(msg) = param("message").and_then(|m| m.as_object()) else {
            return ctx.err(400, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.");
        };
        let save = match param("saveToSentItems") {
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
