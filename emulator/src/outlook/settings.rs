//! mailboxSettings.

use crate::errors::*;
use crate::mailbox::*;
use crate::state::{Ctx, Resp, Shared};
use crate::outlook::common::*;
use serde_json::{json, Map, Value};

pub(crate) const MBS_PROPS: &[&str] = &["automaticRepliesSetting", "dateFormat", "language", "timeFormat", "timeZone", "workingHours", "delegateMeetingMessageDeliveryOptions", "archiveFolder", "userPurpose"];

pub(crate) fn mailbox_settings(sh: &Shared, ctx: &Ctx, idx: usize, m: &str, rest: &[&str], body: &[u8], uctx: &str) -> Resp {
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
