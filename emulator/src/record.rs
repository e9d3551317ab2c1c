//! MSGRAPH_EMULATOR_RECORD_DIR: every JSON Graph response body is appended, with its method,
//! route and status, to `<dir>/emulator-<pid>-<port>.jsonl`, one JSON object per line, for a
//! schema check after a test run (emulator/tests/recorded_bodies.rs). `$batch` answers are
//! split into one line per inner response, with the inner request's method and url.
//!
//! To keep a whole test suite's recording cheap, at most `PER_ROUTE` bodies are kept per
//! (method, route shape, status), a route shape being the path with ids replaced by `{id}`.

use crate::state::{lock, Resp};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

const PER_ROUTE: u32 = 12;

pub struct Recorder {
    file: Mutex<std::fs::File>,
    seen: Mutex<HashMap<String, u32>>,
}

impl Recorder {
    pub fn new(dir: &Path, port: u16) -> Option<Recorder> {
        std::fs::create_dir_all(dir).ok()?;
        let name = format!("emulator-{}-{port}.jsonl", std::process::id());
        let file = std::fs::OpenOptions::new().create(true).append(true).open(dir.join(name)).ok()?;
        Some(Recorder { file: Mutex::new(file), seen: Mutex::new(HashMap::new()) })
    }

    pub fn record(&self, method: &str, path_q: &str, req_body: &[u8], resp: &Resp) {
        if !resp.get_header("Content-Type").is_some_and(|c| c.contains("json")) || resp.body.is_empty() {
            return;
        }
        let Ok(body) = serde_json::from_slice::<Value>(&resp.body) else { return };
        let path = path_q.split('?').next().unwrap_or("");
        if path.trim_end_matches('/').ends_with("/$batch") {
            let reqs: Value = serde_json::from_slice(req_body).unwrap_or(Value::Null);
            let by_id: HashMap<&str, &Value> = reqs["requests"].as_array().map(|a| a.iter().filter_map(|r| Some((r["id"].as_str()?, r))).collect()).unwrap_or_default();
            for r in body["responses"].as_array().into_iter().flatten() {
                let Some(q) = r["id"].as_str().and_then(|id| by_id.get(id)) else { continue };
                let (Some(m), Some(u)) = (q["method"].as_str(), q["url"].as_str()) else { continue };
                let status = r["status"].as_u64().unwrap_or(0) as u16;
                if r["body"].is_object() {
                    // relative ("/users/…" or "users/…"), or absolute (scheme://host/v1.0/users/…)
                    let u = match u.find("://") {
                        Some(i) => u[i + 3..].find('/').map(|j| &u[i + 3 + j..]).unwrap_or("/"),
                        None => u,
                    };
                    let u = ["/v1.0/", "/beta/"].iter().find_map(|p| u.strip_prefix(p)).unwrap_or(u);
                    let u = if u.starts_with('/') { u.to_string() } else { format!("/{u}") };
                    self.write(&m.to_ascii_uppercase(), &u, status, &r["body"], true);
                }
            }
            return;
        }
        // path_q starts with /v1.0 or /beta
        let route = path_q.splitn(3, '/').nth(2).map(|r| format!("/{r}")).unwrap_or_default();
        self.write(method, &route, resp.status, &body, false);
    }

    fn write(&self, method: &str, route: &str, status: u16, body: &Value, in_batch: bool) {
        let key = format!("{method} {} {status}", shape(route));
        {
            let mut seen = lock(&self.seen);
            let n = seen.entry(key).or_default();
            if *n >= PER_ROUTE {
                return;
            }
            *n += 1;
        }
        let mut line = serde_json::to_vec(&json!({"method": method, "route": route, "status": status, "batch": in_batch, "body": body})).unwrap_or_default();
        line.push(b'\n');
        // one write per line: appends from several emulators in one process stay whole
        let _ = lock(&self.file).write_all(&line);
    }
}

/// The route with its query removed and every segment that looks like an id replaced by {id}.
pub fn shape(route: &str) -> String {
    let path = route.split('?').next().unwrap_or("");
    path.split('/')
        .map(|s| {
            let idlike = s.len() > 20 || s.contains('@') || s.contains('(') || s.bytes().filter(|b| b.is_ascii_digit()).count() > 3;
            if idlike { "{id}" } else { s }
        })
        .collect::<Vec<_>>()
        .join("/")
}
