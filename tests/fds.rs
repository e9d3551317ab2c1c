//! Issue 10: per-thread HTTP clients are bounded and dropped when no
//! credential uses them: open descriptors stay flat over 300 replacements
//! of one credential. Own binary, so descriptor counts are this test's.

mod common;
#[path = "common/script.rs"]
mod script;
use common::*;

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn descriptors_stay_flat_over_300_credential_replacements() {
    let srv = script::ScriptServer::start(|kind, _, _| match kind {
        "token" => script::token_ok(3599),
        _ => script::Answer::new("200 OK", r#"{"value":[]}"#),
    });
    // Other servers the credential moves between (new pooled hosts).
    let others: Vec<script::ScriptServer> = (0..5)
        .map(|_| {
            script::ScriptServer::start(|kind, _, _| match kind {
                "token" => script::token_ok(3599),
                _ => script::Answer::new("200 OK", r#"{"value":[]}"#),
            })
        })
        .collect();
    let name = unique("fds");
    let mut counts = Vec::new();
    for i in 0..300 {
        // Each replacement has other client settings (a new client key)
        // and, every third time, another server.
        let mut cfg = srv.config();
        cfg["connect_timeout_ms"] = serde_json::json!(1000 + i);
        if i % 3 == 0 {
            cfg["graph_base_url"] = serde_json::json!(format!("http://127.0.0.1:{}/v1.0", others[i % 5].port));
        }
        assert_eq!(msgraph_credential_set(cs(&name).as_ptr(), cs(&cfg.to_string()).as_ptr()), MSGRAPH_OK);
        let g = request(&name, "GET", "/users", None, None);
        assert_eq!(g.status, 200, "{}", g.body);
        if i == 49 || i == 299 {
            std::thread::sleep(std::time::Duration::from_millis(200));
            counts.push(fds());
        }
    }
    eprintln!("open descriptors after 50 and 300 replacements: {counts:?}");
    assert!(counts[1] <= counts[0] + 10, "descriptors grew: {counts:?}");
    assert!(counts[1] < 60, "{counts:?}");
}
