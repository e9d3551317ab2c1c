//! Outlook's `Prefer` headers, applied to a response and echoed in `Preference-Applied`:
//! `outlook.body-content-type="text"|"html"` and `outlook.timezone="…"`.
//! Time zones: UTC and zones with a fixed offset (no daylight saving) are applied; a zone
//! with daylight saving is not emulated: times stay in UTC and the preference is not echoed
//! as applied (RFC 7240 lets a client tell from Preference-Applied).

use crate::mailbox::strip_tags;
use crate::state::{Ctx, Resp};
use crate::util::{outlook_dt, parse_iso};
use serde_json::{json, Value};

/// Fixed-offset zones (Windows and IANA names), minutes east of UTC.
const FIXED: &[(&str, i64)] = &[
    ("UTC", 0),
    ("Etc/UTC", 0),
    ("Etc/GMT", 0),
    ("Greenwich Standard Time", 0),
    ("India Standard Time", 330),
    ("Asia/Kolkata", 330),
    ("China Standard Time", 480),
    ("Asia/Shanghai", 480),
    ("Singapore Standard Time", 480),
    ("Asia/Singapore", 480),
    ("Tokyo Standard Time", 540),
    ("Asia/Tokyo", 540),
    ("Arabian Standard Time", 240),
    ("Asia/Dubai", 240),
    ("SA Pacific Standard Time", -300),
    ("America/Bogota", -300),
];

fn prefs(ctx: &Ctx) -> Vec<(String, String)> {
    let Some(p) = ctx.hdr("prefer") else { return vec![] };
    p.split(',')
        .filter_map(|x| x.trim().split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string()))
        .collect()
}

pub(crate) fn apply(ctx: &Ctx, mut r: Resp) -> Resp {
    let ps = prefs(ctx);
    let body_type = ps.iter().find(|(k, _)| k == "outlook.body-content-type").map(|(_, v)| v.to_ascii_lowercase());
    let tz = ps.iter().find(|(k, _)| k == "outlook.timezone").map(|(_, v)| v.clone());
    if (body_type.is_none() && tz.is_none()) || r.status >= 300 || r.body.is_empty() {
        return r;
    }
    let Ok(mut v) = serde_json::from_slice::<Value>(&r.body) else { return r };
    let mut applied = vec![];
    if let Some(bt) = body_type.filter(|b| b == "text" || b == "html") {
        walk(&mut v, &mut |o| {
            for key in ["body", "uniqueBody"] {
                if let Some(b) = o.get_mut(key).filter(|b| b.is_object()) {
                    let is_html = b["contentType"].as_str().map(|c| c.eq_ignore_ascii_case("html")).unwrap_or(false);
                    if bt == "text" && is_html {
                        let text = strip_tags(b["content"].as_str().unwrap_or(""));
                        b["content"] = json!(text);
                        b["contentType"] = json!("text");
                    }
                }
            }
        });
        applied.push(format!("outlook.body-content-type=\"{bt}\""));
    }
    if let Some(zone) = tz {
        if let Some(off) = FIXED.iter().find(|(n, _)| n.eq_ignore_ascii_case(&zone)).map(|(_, o)| *o) {
            walk(&mut v, &mut |o| {
                for (_, x) in o.iter_mut() {
                    let is_dt = x.get("dateTime").and_then(|d| d.as_str()).is_some() && x.get("timeZone").and_then(|z| z.as_str()).map(|z| z.eq_ignore_ascii_case("UTC")).unwrap_or(false);
                    if is_dt {
                        if let Some(secs) = parse_iso(x["dateTime"].as_str().unwrap_or("")) {
                            x["dateTime"] = json!(outlook_dt(secs + off * 60));
                            x["timeZone"] = json!(zone);
                        }
                    }
                }
            });
            applied.push(format!("outlook.timezone=\"{zone}\""));
        }
    }
    if applied.is_empty() {
        return r;
    }
    r.body = serde_json::to_vec(&v).unwrap_or(r.body);
    r.header("Preference-Applied", &applied.join(", "))
}

fn walk(v: &mut Value, f: &mut impl FnMut(&mut serde_json::Map<String, Value>)) {
    match v {
        Value::Object(o) => {
            f(o);
            for (_, x) in o.iter_mut() {
                walk(x, f);
            }
        }
        Value::Array(a) => {
            for x in a {
                walk(x, f);
            }
        }
        _ => {}
    }
}
