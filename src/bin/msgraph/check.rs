//! check (a credential end to end) and test-access (the
//! Test-ApplicationAccessPolicy analog).

use crate::args::Args;
use crate::out::{cell, pairs, table};
use crate::*;
use msgraph::outcome::{self, Outcome};
use serde_json::{json, Value};

/// The fix for a token endpoint refusal: the library's advice for the
/// AADSTS code (msgraph::outcome), or its own hint.
pub fn aadsts_fix(code: Option<u64>, lib_hint: Option<&str>) -> String {
    let fix = code.and_then(outcome::aadsts_hint).or(lib_hint).unwrap_or(
        "read error_description above; the AADSTS code is documented in Microsoft's 'AADSTS error codes' reference.",
    );
    if code == Some(7000222) {
        // Where the CLI can help further.
        return format!("{fix} `msgraph secrets --expiring-within 30d` lists the next secrets to expire.");
    }
    fix.to_string()
}

/// The application permission a Graph URL most likely needs.
pub fn needed_permission(url: &str, method: &str) -> &'static str {
    let path = url.split('?').next().unwrap_or("").to_ascii_lowercase();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let write = !method.eq_ignore_ascii_case("GET");
    let has = |s: &str| segs.contains(&s);
    let pick = |r: &'static str, w: &'static str| if write { w } else { r };
    if has("mailboxsettings") {
        pick("MailboxSettings.Read", "MailboxSettings.ReadWrite")
    } else if has("sendmail") {
        "Mail.Send"
    } else if has("messages") || has("mailfolders") {
        pick("Mail.Read", "Mail.ReadWrite")
    } else if has("calendar") || has("events") || has("calendarview") || has("calendars") {
        pick("Calendars.Read", "Calendars.ReadWrite")
    } else if has("contacts") || has("contactfolders") {
        pick("Contacts.Read", "Contacts.ReadWrite")
    } else if has("todo") {
        pick("Tasks.Read.All", "Tasks.ReadWrite.All")
    } else if has("sites") {
        pick("Sites.Read.All", "Sites.ReadWrite.All")
    } else if has("applications") || has("serviceprincipals") {
        pick("Application.Read.All", "Application.ReadWrite.All")
    } else if has("groups") || has("memberof") {
        pick("Group.Read.All", "Group.ReadWrite.All")
    } else if has("organization") {
        "Organization.Read.All"
    } else {
        pick("User.Read.All", "User.ReadWrite.All")
    }
}

/// An Exchange application access policy block, as the library marks it.
pub fn is_policy_block(r: &msgraph::response::Response) -> bool {
    Outcome::of_response(r).reason == Some(outcome::Reason::AccessPolicy)
}

struct Steps {
    rows: Vec<Vec<String>>,
    json: Vec<Value>,
}

impl Steps {
    fn add(&mut self, ok: &str, step: &str, detail: String) {
        self.rows.push(vec![format!("[{ok}]"), step.to_string(), detail.clone()]);
        self.json.push(json!({"step": step, "result": ok.trim().to_ascii_lowercase(), "detail": detail}));
    }
}

fn finish(ctx: &Ctx, steps: Steps, verdict: &str, problem: Option<String>, fix: Option<String>, extra: Value, code: i32) -> i32 {
    if ctx.json {
        let mut d = json!({
            "credential": ctx.cred,
            "verdict": verdict,
            "exit_code": code,
            "steps": steps.json,
        });
        if let Some(p) = &problem {
            d["problem"] = json!(p);
        }
        if let Some(f) = &fix {
            d["fix"] = json!(f);
        }
        if let Value::Object(m) = extra {
            for (k, v) in m {
                d[k] = v;
            }
        }
        print_json(&d);
    } else {
        print!("{}", table(&["", "step", "detail"], &steps.rows));
        println!();
        match &problem {
            None => println!("verdict: {verdict}"),
            Some(p) => println!("verdict: {verdict}: {p}"),
        }
        if let Some(f) = &fix {
            println!("fix: {f}");
        }
    }
    code
}

/// Token, roles, then the Graph call the credential is meant for.
pub fn check(ctx: &Ctx, args: &Args) -> i32 {
    let call = args.value("call").unwrap_or("/users?$top=1");
    let mut steps = Steps { rows: Vec::new(), json: Vec::new() };
    let cfg = format!("'{}' {}", ctx.cred, ctx.source);
    steps.add(" OK ", "credential", cfg);
    let t = match msgraph::api::token_info(&ctx.cred, None) {
        Ok(t) => t,
        Err(e) => return report_error("check", &e),
    };
    let td = body_json(&t);
    if t.status != 200 {
        let e = &td["error"];
        let aadsts = e["aadsts"].as_u64();
        let desc = cell(&e["error_description"]);
        let detail = match aadsts {
            Some(_) if desc.starts_with("AADSTS") => format!("{}: {desc}", cell(&e["error"])),
            Some(c) => format!("AADSTS{c} {}: {desc}", cell(&e["error"])),
            None => describe(&t),
        };
        steps.add("FAIL", "token", detail);
        let (problem, fix) = if t.status == msgraph::status::MSGRAPH_ERR_AUTH {
            ("the token endpoint refused the credential".to_string(), aadsts_fix(aadsts, e["hint"].as_str()))
        } else {
            (
                format!("no token: {}", describe(&t)),
                "check that the database server reaches the authority host (proxy, firewall, ca_file) and the authority_host / cloud keys".to_string(),
            )
        };
        let extra = json!({"error": e});
        return finish(ctx, steps, "FAILED", Some(problem), Some(fix), extra, exit_for_status(t.status));
    }
    let c = &td["claims"];
    steps.add(
        " OK ",
        "token",
        format!("app '{}' (appid {}) in tenant {}, expires in {} s", cell(&c["app_displayname"]), cell(&c["appid"]), cell(&c["tid"]), cell(&td["expires_in"])),
    );
    let roles: Vec<String> = c["roles"].as_array().map(|a| a.iter().map(cell).collect()).unwrap_or_default();
    let need = needed_permission(call, "GET");
    if roles.is_empty() {
        steps.add("WARN", "roles", "none: the app has no application permissions with admin consent".into());
    } else {
        let mark = if roles.iter().any(|r| r.eq_ignore_ascii_case(need) || r.eq_ignore_ascii_case(&need.replace(".Read", ".ReadWrite"))) {
            " OK "
        } else {
            "WARN"
        };
        steps.add(mark, "roles", format!("({}) {}", roles.len(), roles.join(", ")));
    }
    let extra = json!({"token": {"appid": c["appid"], "app_displayname": c["app_displayname"], "tid": c["tid"], "roles": roles, "expires_in": td["expires_in"]}, "call": call});
    let what = format!("GET {call}");
    let r = match msgraph::api::request(&ctx.cred, "GET", call, None, None) {
        Ok(r) => r,
        Err(e) => {
            steps.add("FAIL", "graph call", format!("{what}: {e}"));
            let fix = "give --call a path relative to graph_base_url (e.g. /users?$top=1) or an absolute URL on the Graph host".to_string();
            return finish(ctx, steps, "FAILED", Some("the call was refused before it was sent".into()), Some(fix), extra, exit_for_status(e.status));
        }
    };
    if (200..300).contains(&r.status) {
        let d = body_json(&r);
        let detail = match d["value"].as_array() {
            Some(a) => format!("{what}: HTTP {} ({})", r.status, crate::plural(a.len(), "item")),
            None => format!("{what}: HTTP {}", r.status),
        };
        steps.add(" OK ", "graph call", detail);
        return finish(ctx, steps, "OK", None, None, extra, EXIT_OK);
    }
    steps.add("FAIL", "graph call", format!("{what}: {}", describe(&r)));
    let mut extra = extra;
    extra["error"] = body_json(&r)["error"].clone();
    let verdict = Outcome::of_response(&r);
    let hint = verdict.hint.clone().unwrap_or_else(|| "retry later; if it persists, check Microsoft 365 service health".to_string());
    let (problem, fix, code) = if verdict.reason == Some(outcome::Reason::AccessPolicy) {
        ("an Exchange application access policy keeps this app out of that mailbox".to_string(), format!("{hint} `msgraph test-access --user UPN` checks one mailbox."), EXIT_DENIED)
    } else if r.status == 403 {
        let have = if roles.is_empty() { "none".to_string() } else { roles.join(", ") };
        (
            format!("the app lacks the application permission for this call (token roles: {have})"),
            format!("in App registrations > the app > API permissions, add Microsoft Graph > Application permissions > {need}, then 'Grant admin consent'; the next token carries the role (msgraph token --refresh)"),
            EXIT_HTTP,
        )
    } else if r.status == 401 {
        ("Graph rejected the token".to_string(), hint, EXIT_AUTH)
    } else if r.status == 404 {
        ("Graph found no such resource".to_string(), hint, EXIT_HTTP)
    } else if r.status == 400 {
        ("Graph refused the request".to_string(), hint, EXIT_HTTP)
    } else if r.status == 429 || r.status == msgraph::status::MSGRAPH_ERR_THROTTLED {
        ("Graph is throttling this app".to_string(), hint, EXIT_THROTTLED)
    } else {
        (describe(&r), hint, exit_for_status(r.status))
    };
    finish(ctx, steps, "FAILED", Some(problem), Some(fix), extra, code)
}


/// Reads one user's mailboxSettings and calendar with the app's permissions.
pub fn test_access(ctx: &Ctx, args: &Args) -> i32 {
    let Some(user) = args.value("user").or(args.positional.first().map(String::as_str)) else {
        eprintln!("msgraph: test-access: give --user UPN");
        return EXIT_USAGE;
    };
    let t = match msgraph::api::token_info(&ctx.cred, None) {
        Ok(t) => t,
        Err(e) => return report_error("test-access", &e),
    };
    let td = body_json(&t);
    if t.status != 200 {
        let code = report(ctx, "test-access: no token", &t);
        let e = &td["error"];
        eprintln!("fix: {}", aadsts_fix(e["aadsts"].as_u64(), e["hint"].as_str()));
        return code;
    }
    let app_id = cell(&td["claims"]["appid"]);
    let app_name = cell(&td["claims"]["app_displayname"]);
    let u = msgraph::graph::path_segment(user);
    let probes = [("mailboxSettings", format!("/users/{u}/mailboxSettings")), ("calendar", format!("/users/{u}/calendar"))];
    let mut rows = Vec::new();
    let mut results = Vec::new();
    let (mut granted, mut policy, mut missing, mut not_found) = (0, false, Vec::new(), false);
    let mut worst = EXIT_OK;
    for (probe, url) in &probes {
        let r = match msgraph::api::request(&ctx.cred, "GET", url, None, None) {
            Ok(r) => r,
            Err(e) => return report_error(&format!("test-access: GET {url}"), &e),
        };
        let (result, why) = if (200..300).contains(&r.status) {
            granted += 1;
            ("Granted", String::new())
        } else if is_policy_block(&r) {
            policy = true;
            ("Denied", "application access policy: Access to OData is disabled.".to_string())
        } else if r.status == 403 {
            let need = needed_permission(url, "GET");
            missing.push(need);
            ("Denied", format!("missing permission {need}: {}", describe(&r)))
        } else if r.status == 404 {
            not_found = true;
            ("Error", format!("no such user or mailbox: {}", describe(&r)))
        } else {
            worst = worst.max(exit_for_status(r.status));
            ("Error", describe(&r))
        };
        rows.push(vec![probe.to_string(), result.to_string(), r.status.to_string(), why.clone()]);
        results.push(json!({"probe": probe, "url": url, "status": r.status, "result": result, "reason": why, "error": body_json(&r)["error"]}));
    }
    let verdict = if granted == probes.len() {
        "Granted"
    } else if policy || !missing.is_empty() {
        "Denied"
    } else {
        "Error"
    };
    let (why, fix, code) = if granted == probes.len() {
        (format!("app {app_id} can read {user}'s mailbox"), None, EXIT_OK)
    } else if policy {
        (
            "an application access policy restricts this app to other mailboxes".to_string(),
            Some(format!(
                "add {user} to the mail-enabled security group named in the app's policy, or change the policy (Exchange Online PowerShell: Get-ApplicationAccessPolicy; Test-ApplicationAccessPolicy -Identity {user} -AppId {app_id} shows the same). Policy changes can take up to an hour to apply."
            )),
            EXIT_DENIED,
        )
    } else if !missing.is_empty() {
        (
            format!("the app lacks {}", missing.join(" and ")),
            Some(format!("add the application permission(s) {} to the app (API permissions), then 'Grant admin consent'", missing.join(", "))),
            EXIT_HTTP,
        )
    } else if not_found {
        (format!("{user} was not found or has no mailbox"), Some("check the user principal name (or use the user's object id)".to_string()), EXIT_HTTP)
    } else {
        ("Graph answered with an error".to_string(), None, worst.max(EXIT_HTTP))
    };
    if ctx.json {
        let mut d = json!({"AppId": app_id, "app_displayname": app_name, "Mailbox": user, "AccessCheckResult": verdict, "reason": why, "exit_code": code, "probes": results});
        if let Some(f) = &fix {
            d["fix"] = json!(f);
        }
        print_json(&d);
    } else {
        print!("{}", pairs(&[("AppId", format!("{app_id} ({app_name})")), ("Mailbox", user.to_string())]));
        println!();
        print!("{}", table(&["probe", "result", "status", "reason"], &rows));
        println!();
        println!("AccessCheckResult: {verdict} ({why})");
        if let Some(f) = &fix {
            println!("fix: {f}");
        }
    }
    code
}
