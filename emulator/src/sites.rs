//! /sites.

use crate::data::*;
use crate::errors::*;
use crate::query::*;
use crate::state::{lock, Ctx, Resp, Shared};
use crate::util::*;
use serde_json::{json, Value};

pub const R_SITES: &[&str] = &["Sites.Read.All", "Sites.ReadWrite.All", "Sites.Manage.All", "Sites.FullControl.All"];

pub(crate) fn sites_route(sh: &Shared, ctx: &Ctx, m: &str, segs: &[String], l: &[&str], q: &Q) -> Resp {
    if m != "GET" {
        return ctx.err(403, "accessDenied", "Access denied");
    }
    let t = lock(&sh.tenant);
    let find_site = |key: &str| -> Option<usize> {
        if key.eq_ignore_ascii_case("root") {
            return Some(0);
        }
        t.sites.iter().position(|s| s.id.eq_ignore_ascii_case(key) || s.id.split(',').nth(1).map(|g| g.eq_ignore_ascii_case(key)).unwrap_or(false))
    };
    let item_not_found = || ctx.err(404, "itemNotFound", "Item not found");
    match l {
        ["sites"] => {
            let items: Vec<Value> = t.sites.iter().map(site_json).collect();
            drop(t);
            page_values(sh, ctx, q, items, &format!("{}/$metadata#sites", ctx.root()), "/sites", 200, 999, false)
        }
        ["sites", _] => {
            let Some(s) = find_site(&segs[1]) else { return item_not_found() };
            let mut v = site_json(&t.sites[s]);
            v["@odata.context"] = json!(format!("{}/$metadata#sites/$entity", ctx.root()));
            Resp::json(200, &reorder_context(v))
        }
        ["sites", _, "lists"] => {
            let Some(s) = find_site(&segs[1]) else { return item_not_found() };
            let site = &t.sites[s];
            let items = site_lists(site);
            let ctxs = format!("{}/$metadata#sites('{}')/lists", ctx.root(), pct_encode(&site.id));
            drop(t);
            page_values(sh, ctx, q, items, &ctxs, &format!("/sites/{}/lists", segs[1]), 200, 999, false)
        }
        ["sites", _, "lists", _, rest @ ..] => {
            let Some(s) = find_site(&segs[1]) else { return item_not_found() };
            let site = &t.sites[s];
            let lists = site_lists(site);
            let Some(li) = lists.iter().position(|x| {
                x["id"].as_str().map(|i| i.eq_ignore_ascii_case(&segs[3])).unwrap_or(false) || x["displayName"].as_str().map(|n| n.eq_ignore_ascii_case(&segs[3])).unwrap_or(false)
            }) else {
                return item_not_found();
            };
            let expand_fields = q.get("expand").map(|e| e.to_lowercase().starts_with("fields")).unwrap_or(false);
            let list_ctx = format!("{}/$metadata#sites('{}')/lists('{}')", ctx.root(), pct_encode(&site.id), lists[li]["id"].as_str().unwrap_or(""));
            let strip = |mut v: Value| {
                if !expand_fields {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("fields");
                    }
                }
                v
            };
            match rest {
                [] => {
                    let mut v = lists[li].clone();
                    v["@odata.context"] = json!(format!("{}/$metadata#sites('{}')/lists/$entity", ctx.root(), pct_encode(&site.id)));
                    Resp::json(200, &reorder_context(v))
                }
                ["items"] => {
                    let items: Vec<Value> = list_items(site, li).into_iter().map(strip).collect();
                    drop(t);
                    page_values(sh, ctx, q, items, &format!("{list_ctx}/items"), &format!("/sites/{}/lists/{}/items", segs[1], segs[3]), 200, 999, false)
                }
                ["items", id] => match list_items(site, li).into_iter().find(|i| i["id"] == *id) {
                    Some(v) => {
                        let mut v = strip(v);
                        v["@odata.context"] = json!(format!("{list_ctx}/items/$entity"));
                        Resp::json(200, &reorder_context(v))
                    }
                    None => item_not_found(),
                },
                [x, ..] => bad_segment(ctx, x),
            }
        }
        ["sites", _, x, ..] => bad_segment(ctx, x),
        _ => bad_segment(ctx, &segs[0]),
    }
}
