//! To Do lists and tasks.

use crate::errors::*;
use crate::mailbox::*;
use crate::query::*;
use crate::state::{Ctx, Resp, Shared};
use crate::util::*;
use crate::outlook::common::*;
use serde_json::{json, Value};

#[allow(clippy::too_many_arguments)]
pub(crate) fn todo(sh: &Shared, ctx: &Ctx, idx: usize, m: &str, rest: &[&str], rs: &[String], q: &Q, body: &[u8], uctx: &str, upath: &str) -> Resp {
    match (m, rest) {
        ("GET", ["todo", "lists"]) => {
            let items = mb(sh, idx, |b| {
                b.todo
                    .iter()
                    .map(|l| {
                        let mut v = json!({"@odata.type": "#microsoft.graph.todoTaskList"});
                        if let (Some(o), Value::Object(mm)) = (v.as_object_mut(), l.meta.clone()) {
                            o.extend(mm);
                        }
                        v
                    })
                    .collect::<Vec<_>>()
            });
            page_values(sh, ctx, q, items, &format!("{uctx}/todo/lists"), &format!("{upath}/todo/lists"), 100, 1000, true)
        }
        ("POST", ["todo", "lists"]) => {
            let p = match parse_json_body(ctx, body) {
                Ok(p) => p,
                Err(r) => return r,
            };
            let Some(name) = p.get("displayName").and_then(|d| d.as_str()).filter(|s| !s.trim().is_empty()) else {
                return ctx.err(400, "invalidRequest", "Invalid request.");
            };
            let name = name.to_string();
            let meta = mb(sh, idx, |b| {
                let n = b.next_n();
                let meta = json!({"@odata.etag": etag(n), "displayName": name, "isOwner": true, "isShared": false, "wellknownListName": "none", "id": outlook_id("todolist", idx as u64, n)});
                b.todo.push(crate::mailbox::TodoList { meta: meta.clone(), tasks: vec![] });
                meta
            });
            created(ctx, meta, format!("{uctx}/todo/lists/$entity"))
        }
        (_, ["todo", "lists", _, tail @ ..]) => {
            let lid = rs[2].clone();
            let Some(li) = mb(sh, idx, |b| b.todo.iter().position(|l| l.meta["id"] == lid.as_str())) else { return item_not_found(ctx) };
            let lctx = format!("{uctx}/todo/lists('{}')", lid);
            match (m, tail) {
                ("GET", []) => entity(&mb(sh, idx, |b| b.todo[li].meta.clone()), format!("{uctx}/todo/lists/$entity")),
                ("GET", ["tasks"]) => {
                    let items = mb(sh, idx, |b| b.todo[li].tasks.clone());
                    let items = match filter_sort(ctx, q, items) {
                        Ok(i) => i,
                        Err(r) => return r,
                    };
                    page_values(sh, ctx, q, items, &format!("{lctx}/tasks"), &format!("{upath}/todo/lists/{lid}/tasks"), 10, 1000, true)
                }
                ("POST", ["tasks"]) => {
                    let p = match parse_json_body(ctx, body) {
                        Ok(p) => p,
                        Err(r) => return r,
                    };
                    if let Some(st) = p.get("status") {
                        let ok = st.as_str().map(|s| ["notstarted", "inprogress", "completed", "waitingonothers", "deferred"].contains(&s.to_ascii_lowercase().as_str())).unwrap_or(false);
                        if !ok {
                            return ctx.err(400, "invalidRequest", "Invalid request.");
                        }
                    }
                    let task = mb(sh, idx, |b| {
                        let n = b.next_n();
                        let id = outlook_id("todotask", idx as u64, n);
                        let now = now_secs();
                        let mut t = json!({
                            "@odata.etag": etag(hash_str(&id)),
                            "importance": "normal",
                            "isReminderOn": false,
                            "status": "notStarted",
                            "title": "",
                            "createdDateTime": iso7(now, 1000000),
                            "lastModifiedDateTime": iso7(now, 1000000),
                            "hasAttachments": false,
                            "categories": [],
                            "id": id,
                            "body": {"content": "", "contentType": "text"},
                        });
                        merge(&mut t, &p);
                        t["id"] = json!(id);
                        b.todo[li].tasks.push(t.clone());
                        b.log_change("todoTask", &lid, &id, false);
                        t
                    });
                    created(ctx, task, format!("{lctx}/tasks/$entity"))
                }
                ("GET", ["tasks", "delta"]) => {
                    let lid2 = lid.clone();
                    outlook_delta(sh, ctx, q, idx, "todoTask", &lid, "#microsoft.graph.todoTask", &format!("{upath}/todo/lists/{lid}/tasks/delta"), move |b| {
                        b.todo.iter().find(|l| l.meta["id"] == lid2.as_str()).map(|l| l.tasks.clone()).unwrap_or_default()
                    })
                }
                (_, ["tasks", _]) => {
                    let tid = rs[4].clone();
                    mb(sh, idx, |b| {
                        let Some(pos) = b.todo[li].tasks.iter().position(|t| t["id"] == tid.as_str()) else { return item_not_found(ctx) };
                        match m {
                            "GET" => entity(&b.todo[li].tasks[pos], format!("{lctx}/tasks/$entity")),
                            "PATCH" => {
                                if let Some(r) = precondition(ctx, &b.todo[li].tasks[pos]) {
                                    return r;
                                }
                                let p = match parse_json_body(ctx, body) {
                                    Ok(p) => p,
                                    Err(r) => return r,
                                };
                                merge(&mut b.todo[li].tasks[pos], &p);
                                bump_etag(&mut b.todo[li].tasks[pos]);
                                b.todo[li].tasks[pos]["id"] = json!(tid);
                                b.todo[li].tasks[pos]["lastModifiedDateTime"] = json!(iso7(now_secs(), 1000000));
                                b.log_change("todoTask", &lid, &tid, false);
                                entity(&b.todo[li].tasks[pos].clone(), format!("{lctx}/tasks/$entity"))
                            }
                            "DELETE" => {
                                if let Some(r) = precondition(ctx, &b.todo[li].tasks[pos]) {
                                    return r;
                                }
                                b.todo[li].tasks.remove(pos);
                                b.log_change("todoTask", &lid, &tid, true);
                                Resp::empty(204)
                            }
                            _ => method_not_allowed(ctx),
                        }
                    })
                }
                (_, [x, ..]) if *x != "tasks" => bad_segment(ctx, x),
                _ => method_not_allowed(ctx),
            }
        }
        (_, ["todo"]) | (_, ["todo", "lists"]) => method_not_allowed(ctx),
        (_, ["todo", x, ..]) => bad_segment(ctx, x),
        _ => method_not_allowed(ctx),
    }
}
