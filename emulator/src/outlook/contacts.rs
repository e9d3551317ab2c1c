//! Contacts.

use crate::errors::*;
use crate::mailbox::*;
use crate::query::*;
use crate::state::{Ctx, Resp, Shared};
use crate::util::*;
use crate::outlook::common::*;
use serde_json::json;

#[allow(clippy::too_many_arguments)]
pub(crate) fn contacts(sh: &Shared, ctx: &Ctx, idx: usize, m: &str, rest: &[&str], rs: &[String], q: &Q, body: &[u8], uctx: &str, upath: &str) -> Resp {
    match (m, rest) {
        ("GET", ["contacts"]) => {
            let items = mb(sh, idx, |b| b.contacts.clone());
            let items = match filter_sort(ctx, q, items) {
                Ok(i) => i,
                Err(r) => return r,
            };
            page_values(sh, ctx, q, items, &format!("{uctx}/contacts"), &format!("{upath}/contacts"), 10, 1000, true)
        }
        ("POST", ["contacts"]) => {
            let p = match parse_json_body(ctx, body) {
                Ok(p) => p,
                Err(r) => return r,
            };
            if let Some(e) = p.get("emailAddresses") {
                if !e.is_array() {
                    return ctx.err(400, "UnableToDeserializePostBody", "were unable to deserialize ");
                }
            }
            let c = mb(sh, idx, |b| {
                let n = b.next_n();
                let id = outlook_id("contact", idx as u64, n);
                let now = now_secs();
                let mut c = json!({
                    "@odata.etag": etag(hash_str(&id)),
                    "id": id,
                    "createdDateTime": iso(now),
                    "lastModifiedDateTime": iso(now),
                    "categories": [],
                    "parentFolderId": outlook_id("folder", idx as u64, 99),
                    "birthday": null, "fileAs": "", "displayName": "", "givenName": null, "initials": null, "middleName": null,
                    "nickName": null, "surname": null, "title": null, "jobTitle": null, "companyName": null, "department": null,
                    "officeLocation": null, "businessHomePage": null, "homePhones": [], "mobilePhone": null, "businessPhones": [],
                    "personalNotes": "", "emailAddresses": [], "homeAddress": {}, "businessAddress": {}, "otherAddress": {},
                });
                merge(&mut c, &p);
                c["id"] = json!(id);
                if c["displayName"] == "" {
                    let dn = format!("{} {}", c["givenName"].as_str().unwrap_or(""), c["surname"].as_str().unwrap_or("")).trim().to_string();
                    c["displayName"] = json!(dn);
                }
                b.contacts.push(c.clone());
                b.log_change("contact", "", &id, false);
                c
            });
            created(ctx, c, format!("{uctx}/contacts/$entity"))
        }
        ("GET", ["contacts", "delta"]) => outlook_delta(sh, ctx, q, idx, "contact", "", "#microsoft.graph.contact", &format!("{upath}/contacts/delta"), |b| b.contacts.clone()),
        (_, ["contacts", _]) => {
            let cid = rs[1].clone();
            mb(sh, idx, |b| {
                let Some(pos) = b.contacts.iter().position(|e| e["id"] == cid.as_str()) else { return item_not_found(ctx) };
                match m {
                    "GET" => entity(&b.contacts[pos], format!("{uctx}/contacts/$entity")),
                    "PATCH" => {
                        if let Some(r) = precondition(ctx, &b.contacts[pos]) {
                            return r;
                        }
                        let p = match parse_json_body(ctx, body) {
                            Ok(p) => p,
                            Err(r) => return r,
                        };
                        merge(&mut b.contacts[pos], &p);
                        bump_etag(&mut b.contacts[pos]);
                        b.contacts[pos]["id"] = json!(cid);
                        b.log_change("contact", "", &cid, false);
                        entity(&b.contacts[pos].clone(), format!("{uctx}/contacts/$entity"))
                    }
                    "DELETE" => {
                        if let Some(r) = precondition(ctx, &b.contacts[pos]) {
                            return r;
                        }
                        b.contacts.remove(pos);
                        b.log_change("contact", "", &cid, true);
                        Resp::empty(204)
                    }
                    _ => method_not_allowed(ctx),
                }
            })
        }
        (_, ["contacts"]) => method_not_allowed(ctx),
        (_, [_, x, ..]) => bad_segment(ctx, x),
        _ => bad_segment(ctx, &rs[0]),
    }
}
