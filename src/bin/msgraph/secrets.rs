//! secrets: every app registration's client secrets and certificates,
//! soonest end date first.

use crate::args::{parse_duration_secs, Args};
use crate::out::{self, cell, table};
use crate::paging;
use crate::*;
use serde_json::{json, Value};

const URL: &str = "/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials";

struct Row {
    end: Option<i64>,
    app: Value,
    kind: &'static str,
    cred: Value,
}

/// Whole days from now to `end`, rounded to the nearest day.
fn days_left(end: i64, now: i64) -> i64 {
    (end - now + 43_200).div_euclid(86_400)
}

pub fn secrets(ctx: &Ctx, args: &Args) -> i32 {
    let within = match args.value("expiring-within").map(parse_duration_secs).transpose() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("msgraph: secrets: --expiring-within: {e}");
            return EXIT_USAGE;
        }
    };
    let hide_expired = args.switch("hide-expired");
    let p = match paging::fetch(ctx, URL, &[], true, None, "applications") {
        Ok(p) => p,
        Err(f) => return paging::report(ctx, "secrets: GET /applications", &f),
    };
    let apps = p.values();
    let now = out::now_secs();
    let mut rows = Vec::new();
    for app in &apps {
        for (key, kind) in [("passwordCredentials", "secret"), ("keyCredentials", "certificate")] {
            for c in app[key].as_array().into_iter().flatten() {
                let end = c["endDateTime"].as_str().and_then(out::parse_iso);
                rows.push(Row { end, app: app.clone(), kind, cred: c.clone() });
            }
        }
    }
    let total = rows.len();
    rows.retain(|r| match r.end {
        None => within.is_none(),
        Some(e) => within.is_none_or(|w| e <= now + w) && !(hide_expired && e < now),
    });
    rows.sort_by_key(|r| (r.end.is_none(), r.end.unwrap_or(0)));
    let expired = rows.iter().filter(|r| r.end.is_some_and(|e| e < now)).count();
    if ctx.json {
        let items: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "appDisplayName": r.app["displayName"],
                    "appId": r.app["appId"],
                    "applicationObjectId": r.app["id"],
                    "type": r.kind,
                    "displayName": r.cred["displayName"],
                    "keyId": r.cred["keyId"],
                    "hint": r.cred.get("hint").cloned().unwrap_or(Value::Null),
                    "startDateTime": r.cred["startDateTime"],
                    "endDateTime": r.cred["endDateTime"],
                    "daysLeft": r.end.map(|e| days_left(e, now)),
                    "expired": r.end.map(|e| e < now),
                })
            })
            .collect();
        print_json(&json!({
            "applications": apps.len(),
            "expiringWithinDays": within.map(|w| w as f64 / 86_400.0),
            "credentials": items,
        }));
        return EXIT_OK;
    }
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let (ends, days, status) = match r.end {
                None => (cell(&r.cred["endDateTime"]), "?".to_string(), "unknown"),
                Some(e) => {
                    let d = days_left(e, now);
                    let status = if e < now {
                        "EXPIRED"
                    } else if d <= 30 {
                        "soon"
                    } else {
                        "ok"
                    };
                    (out::format_utc(e), d.to_string(), status)
                }
            };
            vec![
                ends,
                days,
                status.to_string(),
                r.kind.to_string(),
                cell(&r.app["displayName"]),
                cell(&r.cred["displayName"]),
                cell(&r.app["appId"]),
            ]
        })
        .collect();
    if !table_rows.is_empty() {
        print!("{}", table(&["ends", "days", "status", "type", "application", "credential", "appId"], &table_rows));
    }
    let filter = match within {
        Some(_) => format!(" ending within {}", args.value("expiring-within").unwrap_or("")),
        None => String::new(),
    };
    println!(
        "{} of {} credentials{filter} ({} expired) in {} applications",
        rows.len(),
        total,
        expired,
        apps.len()
    );
    EXIT_OK
}
