//! Calendars and events.

use crate::errors::*;
use crate::mailbox::*;
use crate::query::*;
use crate::state::{lock, Ctx, Resp, Shared};
use crate::util::*;
use crate::outlook::common::*;
use serde_json::{json, Value};

#[allow(clippy::too_many_arguments)]
pub(crate) fn calendar(sh: &Shared, ctx: &Ctx, idx: usize, m: &str, rest: &[&str], rs: &[String], q: &Q, body: &[u8], uctx: &str, upath: &str) -> Resp {
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
                        if let Some(r) = precondition(ctx, &b.events[pos]) {
                            return r;
                        }
                        let p = match parse_json_body(ctx, body) {
                            Ok(p) => p,
                            Err(r) => return r,
                        };
                        merge(&mut b.events[pos], &p);
                        bump_etag(&mut b.events[pos]);
                        b.events[pos]["id"] = json!(eid);
                        b.events[pos]["lastModifiedDateTime"] = json!(iso7(now_secs(), 1000000));
                        b.log_change("event", "", &eid, false);
                        entity(&b.events[pos].clone(), format!("{uctx}/events/$entity"))
                    }
                    "DELETE" => {
                        if let Some(r) = precondition(ctx, &b.events[pos]) {
                            return r;
                        }
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
