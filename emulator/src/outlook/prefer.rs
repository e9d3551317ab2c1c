//! Outlook's `Prefer` headers, applied to a response and echoed in `Preference-Applied`:
//! `outlook.body-content-type="text"|"html"` and `outlook.timezone="…"`.
//! Time zones: UTC, zones with a fixed offset, and common zones with daylight saving, by
//! their Windows names (as Outlook uses them) or IANA names, with today's rules (EU, US,
//! south-east Australia, New Zealand; no historical rule changes). A zone not in the table
//! is not emulated: times stay in UTC and the preference is not echoed as applied (RFC 7240
//! lets a client tell from Preference-Applied).

use crate::mailbox::strip_tags;
use crate::state::{Ctx, Resp};
use crate::util::{days_from_civil, outlook_dt, parse_iso, parts};
use serde_json::{json, Value};

/// When daylight saving (one hour ahead) is in force.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Dst {
    None,
    /// last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC
    Eu,
    /// second Sunday of March 02:00 local to first Sunday of November 02:00 local
    Us,
    /// first Sunday of October 02:00 local standard to first Sunday of April 03:00 local daylight
    AuSouth,
    /// last Sunday of September 02:00 local standard to first Sunday of April 03:00 local daylight
    Nz,
}

/// Zones (Windows and IANA names): standard offset in minutes east of UTC, and the DST rule.
const ZONES: &[(&str, i64, Dst)] = &[
    ("UTC", 0, Dst::None),
    ("Etc/UTC", 0, Dst::None),
    ("Etc/GMT", 0, Dst::None),
    ("Greenwich Standard Time", 0, Dst::None),
    ("India Standard Time", 330, Dst::None),
    ("Asia/Kolkata", 330, Dst::None),
    ("China Standard Time", 480, Dst::None),
    ("Asia/Shanghai", 480, Dst::None),
    ("Singapore Standard Time", 480, Dst::None),
    ("Asia/Singapore", 480, Dst::None),
    ("Tokyo Standard Time", 540, Dst::None),
    ("Asia/Tokyo", 540, Dst::None),
    ("Arabian Standard Time", 240, Dst::None),
    ("Asia/Dubai", 240, Dst::None),
    ("SA Pacific Standard Time", -300, Dst::None),
    ("America/Bogota", -300, Dst::None),
    ("US Mountain Standard Time", -420, Dst::None),
    ("America/Phoenix", -420, Dst::None),
    ("Hawaiian Standard Time", -600, Dst::None),
    ("Pacific/Honolulu", -600, Dst::None),
    ("E. Australia Standard Time", 600, Dst::None),
    ("Australia/Brisbane", 600, Dst::None),
    ("GMT Standard Time", 0, Dst::Eu),
    ("Europe/London", 0, Dst::Eu),
    ("Europe/Dublin", 0, Dst::Eu),
    ("W. Europe Standard Time", 60, Dst::Eu),
    ("Europe/Berlin", 60, Dst::Eu),
    ("Europe/Amsterdam", 60, Dst::Eu),
    ("Europe/Rome", 60, Dst::Eu),
    ("Europe/Vienna", 60, Dst::Eu),
    ("Europe/Zurich", 60, Dst::Eu),
    ("Europe/Stockholm", 60, Dst::Eu),
    ("Romance Standard Time", 60, Dst::Eu),
    ("Europe/Paris", 60, Dst::Eu),
    ("Europe/Madrid", 60, Dst::Eu),
    ("Europe/Brussels", 60, Dst::Eu),
    ("Europe/Copenhagen", 60, Dst::Eu),
    ("Central Europe Standard Time", 60, Dst::Eu),
    ("Europe/Budapest", 60, Dst::Eu),
    ("Europe/Prague", 60, Dst::Eu),
    ("Central European Standard Time", 60, Dst::Eu),
    ("Europe/Warsaw", 60, Dst::Eu),
    ("GTB Standard Time", 120, Dst::Eu),
    ("Europe/Bucharest", 120, Dst::Eu),
    ("Europe/Athens", 120, Dst::Eu),
    ("FLE Standard Time", 120, Dst::Eu),
    ("Europe/Helsinki", 120, Dst::Eu),
    ("Eastern Standard Time", -300, Dst::Us),
    ("America/New_York", -300, Dst::Us),
    ("Central Standard Time", -360, Dst::Us),
    ("America/Chicago", -360, Dst::Us),
    ("Mountain Standard Time", -420, Dst::Us),
    ("America/Denver", -420, Dst::Us),
    ("Pacific Standard Time", -480, Dst::Us),
    ("America/Los_Angeles", -480, Dst::Us),
    ("Alaskan Standard Time", -540, Dst::Us),
    ("America/Anchorage", -540, Dst::Us),
    ("AUS Eastern Standard Time", 600, Dst::AuSouth),
    ("Australia/Sydney", 600, Dst::AuSouth),
    ("Australia/Melbourne", 600, Dst::AuSouth),
    ("Cen. Australia Standard Time", 570, Dst::AuSouth),
    ("Australia/Adelaide", 570, Dst::AuSouth),
    ("New Zealand Standard Time", 720, Dst::Nz),
    ("Pacific/Auckland", 720, Dst::Nz),
];

/// Day number (days since 1970-01-01) of the `n`th (1-based) Sunday of a month, or of the
/// last one when `n` is 0.
fn sunday(y: i64, m: i64, n: i64) -> i64 {
    // 1970-01-01 was a Thursday: weekday (0 = Sunday) of day d is (d + 4) mod 7
    let wd = |d: i64| (d + 4).rem_euclid(7);
    if n == 0 {
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        // Valid by construction (the first of a month); 0 only out of range.
        let last = days_from_civil(ny, nm, 1).unwrap_or(0) - 1;
        last - wd(last)
    } else {
        let first = days_from_civil(y, m, 1).unwrap_or(0);
        first + (7 - wd(first)) % 7 + 7 * (n - 1)
    }
}

/// Offset (minutes east of UTC) of a zone at a UTC instant.
fn offset_at(std_min: i64, rule: Dst, utc: i64) -> i64 {
    let y = parts(utc + std_min * 60).0;
    let (h, d) = (3600, 86400);
    let std = std_min * 60;
    let dst = match rule {
        Dst::None => false,
        Dst::Eu => (sunday(y, 3, 0) * d + h..sunday(y, 10, 0) * d + h).contains(&utc),
        Dst::Us => (sunday(y, 3, 2) * d + 2 * h - std..sunday(y, 11, 1) * d + 2 * h - std - h).contains(&utc),
        // southern hemisphere: in force from spring to autumn, across the new year
        Dst::AuSouth => !(sunday(y, 4, 1) * d + 2 * h - std..sunday(y, 10, 1) * d + 2 * h - std).contains(&utc),
        Dst::Nz => !(sunday(y, 4, 1) * d + 2 * h - std..sunday(y, 9, 0) * d + 2 * h - std).contains(&utc),
    };
    std_min + if dst { 60 } else { 0 }
}

/// Minutes east of UTC for `zone` at `utc`, None for a zone not emulated.
pub(crate) fn zone_offset(zone: &str, utc: i64) -> Option<i64> {
    ZONES.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(zone)).map(|(_, off, rule)| offset_at(*off, *rule, utc))
}

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
        if zone_offset(&zone, 0).is_some() {
            walk(&mut v, &mut |o| {
                for (_, x) in o.iter_mut() {
                    let is_dt = x.get("dateTime").and_then(|d| d.as_str()).is_some() && x.get("timeZone").and_then(|z| z.as_str()).map(|z| z.eq_ignore_ascii_case("UTC")).unwrap_or(false);
                    if is_dt {
                        if let Some(secs) = parse_iso(x["dateTime"].as_str().unwrap_or("")) {
                            let off = zone_offset(&zone, secs).unwrap_or(0);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::parse_iso;

    fn at(zone: &str, iso: &str) -> i64 {
        zone_offset(zone, parse_iso(iso).unwrap()).unwrap()
    }

    #[test]
    fn daylight_saving_transitions() {
        // EU 2026: 29 March 01:00 UTC to 25 October 01:00 UTC
        assert_eq!(at("W. Europe Standard Time", "2026-03-29T00:59:59Z"), 60);
        assert_eq!(at("W. Europe Standard Time", "2026-03-29T01:00:00Z"), 120);
        assert_eq!(at("W. Europe Standard Time", "2026-10-25T00:59:59Z"), 120);
        assert_eq!(at("W. Europe Standard Time", "2026-10-25T01:00:00Z"), 60);
        assert_eq!(at("GMT Standard Time", "2026-07-01T12:00:00Z"), 60);
        // US 2026: 8 March 02:00 PST (10:00 UTC) to 1 November 02:00 PDT (09:00 UTC)
        assert_eq!(at("Pacific Standard Time", "2026-03-08T09:59:59Z"), -480);
        assert_eq!(at("Pacific Standard Time", "2026-03-08T10:00:00Z"), -420);
        assert_eq!(at("Pacific Standard Time", "2026-11-01T08:59:59Z"), -420);
        assert_eq!(at("Pacific Standard Time", "2026-11-01T09:00:00Z"), -480);
        assert_eq!(at("Eastern Standard Time", "2026-12-02T12:00:00Z"), -300);
        assert_eq!(at("US Mountain Standard Time", "2026-07-01T12:00:00Z"), -420);
        // Sydney 2026: DST ends 5 April 03:00 AEDT (4 April 16:00 UTC), starts 4 October 02:00 AEST (3 October 16:00 UTC)
        assert_eq!(at("AUS Eastern Standard Time", "2026-04-04T15:59:59Z"), 660);
        assert_eq!(at("AUS Eastern Standard Time", "2026-04-04T16:00:00Z"), 600);
        assert_eq!(at("AUS Eastern Standard Time", "2026-10-03T15:59:59Z"), 600);
        assert_eq!(at("AUS Eastern Standard Time", "2026-10-03T16:00:00Z"), 660);
        assert_eq!(at("AUS Eastern Standard Time", "2026-12-31T20:00:00Z"), 660);
        // Auckland 2026: ends 5 April 03:00 NZDT (4 April 14:00 UTC), starts 27 September 02:00 NZST (26 September 14:00 UTC)
        assert_eq!(at("New Zealand Standard Time", "2026-04-04T13:59:59Z"), 780);
        assert_eq!(at("New Zealand Standard Time", "2026-04-04T14:00:00Z"), 720);
        assert_eq!(at("New Zealand Standard Time", "2026-09-26T14:00:00Z"), 780);
        assert_eq!(zone_offset("Mars Standard Time", 0), None);
    }
}
