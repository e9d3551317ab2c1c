//! Production behaviour through the C ABI: throttling (Outlook's mailbox
//! limits), token-endpoint protection, delta resync, proxies.

mod common;
use common::*;
use msgraph_emulator::OutlookThrottling;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};

fn token_requests(emu: &Emulator) -> Vec<msgraph_emulator::RecordedRequest> {
    emu.requests().into_iter().filter(|r| r.path.contains("/oauth2/v2.0/token")).collect()
}

#[test]
fn outlook_throttling_with_batch_concurrency_loses_nothing() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    assert_eq!(token_info(&cred, None).status, 200);
    emu.set_outlook_throttling(Some(OutlookThrottling { concurrency: 4, ..Default::default() }));
    emu.set_latency_ms(20);
    // 200 mailboxes, then 60 requests to a single mailbox.
    let mut reqs: Vec<Value> =
        (0..200).map(|i| json!({"method": "GET", "url": format!("/users/{}/mailboxSettings", emu.user_id(i))})).collect();
    let one = emu.user_id(3);
    reqs.extend((0..60).map(|_| json!({"method": "GET", "url": format!("/users/{one}/mailboxSettings")})));
    let g = batch(&cred, &Value::from(reqs).to_string(), Some(r#"{"concurrency":4}"#));
    assert_eq!(g.status, 200, "{}", g.body);
    let out = g.json();
    let failed: Vec<&Value> = out["responses"].as_array().unwrap().iter().filter(|r| r["status"] != 200).collect();
    assert!(failed.is_empty(), "{} items failed: {:?}", failed.len(), failed.first());
    let stats = emu.stats();
    assert!(stats.peak_concurrency <= 4, "never more than 4 in flight per mailbox: {}", stats.peak_concurrency);
    assert!(stats.outlook_throttled <= 10, "few 429s: {}", stats.outlook_throttled);
}

#[test]
fn threads_sharing_one_mailbox_queue_instead_of_being_throttled() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    assert_eq!(token_info(&cred, None).status, 200);
    emu.set_outlook_throttling(Some(OutlookThrottling { concurrency: 4, ..Default::default() }));
    emu.set_latency_ms(30);
    let mailbox = emu.user_id(0);
    std::thread::scope(|s| {
        for _ in 0..10 {
            s.spawn(|| {
                for _ in 0..4 {
                    let g = request(&cred, "GET", &format!("/users/{mailbox}/mailboxSettings"), None, None);
                    assert_eq!(g.status, 200, "{}", g.body);
                }
            });
        }
    });
    let s = emu.stats();
    assert_eq!(s.outlook_throttled, 0, "the library kept to 4 in flight per mailbox");
    assert_eq!(s.peak_concurrency, 4, "and used all four");
    // Other mailboxes are not held back by a busy one.
    let lower = credential(&emu, json!({"mailbox_concurrency": 2}));
    emu.reset_stats();
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| assert_eq!(request(&lower, "GET", &format!("/users/{mailbox}/calendar"), None, None).status, 200));
        }
    });
    assert!(emu.stats().peak_concurrency <= 2, "mailbox_concurrency lowers the cap");
}

#[test]
fn an_http_date_retry_after_is_honoured() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    assert_eq!(token_info(&cred, None).status, 200);
    let when = SystemTime::now() + Duration::from_secs(2);
    let secs = when.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    emu.throttle_next(1, &http_date(secs));
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, 200);
    let reqs = graph_requests(&emu);
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].at_ms - reqs[0].at_ms >= 900, "waited until the date: {} ms", reqs[1].at_ms - reqs[0].at_ms);
}

fn http_date(secs: u64) -> String {
    let days = secs / 86400;
    let (h, m, s) = ((secs % 86400) / 3600, (secs % 3600) / 60, secs % 60);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if mo <= 2 { 1 } else { 0 };
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][(mo - 1) as usize];
    format!("{wd}, {d:02} {mon} {y} {h:02}:{m:02}:{s:02} GMT")
}

#[test]
fn token_endpoint_throttling_is_waited_out_once() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    emu.fail_token_next_with_retry_after(1, 429, "0.5");
    assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);
    let t = token_requests(&emu);
    assert_eq!(t.len(), 2);
    assert!(t[1].at_ms - t[0].at_ms >= 500, "Retry-After honoured at the token endpoint");
}

#[test]
fn token_endpoint_server_errors_get_one_retry() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    emu.fail_token_next(1, 503);
    assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);
    assert_eq!(token_requests(&emu).len(), 2);
    let cred = credential(&emu, json!({}));
    emu.clear_log();
    emu.fail_token_next(2, 500);
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, MSGRAPH_ERR_TRANSPORT, "{}", g.body);
    assert_eq!(g.json()["error"]["http_status"], 500);
    assert_eq!(token_requests(&emu).len(), 2, "one retry, no more");
    // Not remembered: the next call asks again and succeeds.
    assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);
}

#[test]
fn a_400_from_the_token_endpoint_is_remembered() {
    let emu = emulator();
    let cred = credential(&emu, json!({"scope": "https://graph.microsoft.com/User.Read"}));
    let e = token_info(&cred, None).json();
    assert_eq!(e["error"]["aadsts"], 70011);
    assert_eq!(e["error"]["http_status"], 400);
    for _ in 0..5 {
        assert_eq!(request(&cred, "GET", "/users", None, None).status, MSGRAPH_ERR_AUTH);
    }
    assert_eq!(emu.stats().token_requests, 1, "six calls, one request to the token endpoint");
}

#[test]
fn expired_delta_tokens_ask_for_a_resync() {
    let emu = emulator();
    let cred = credential(&emu, json!({}));
    let first = request(&cred, "GET", "/users/delta?$select=displayName", None, Some(r#"{"all_pages":true}"#));
    let link = first.json()["@odata.deltaLink"].as_str().unwrap().to_string();
    emu.expire_delta_tokens();
    let g = request(&cred, "GET", &link, None, Some(r#"{"all_pages":true}"#));
    assert_eq!(g.status, MSGRAPH_ERR_RESYNC, "{}", g.body);
    let e = &g.json()["error"];
    assert_eq!(e["code"], "MSGRAPH_ERR_RESYNC");
    assert_eq!(e["http_status"], 410);
    assert!(e["location"].as_str().unwrap().contains("delta"), "the fresh round's URL: {e}");
    assert!(last_error().starts_with("MSGRAPH_ERR_RESYNC"));
    // One page at a time, the answer is Graph's, marked.
    let single = request(&cred, "GET", &link, None, None);
    assert_eq!(single.status, 410);
    assert_eq!(single.header("x-msgraph-reason").as_deref(), Some("resync-required"));
    // Outlook resources answer syncStateNotFound.
    let mailbox = emu.user_id(1);
    let url = format!("/users/{mailbox}/contacts/delta");
    let round = request(&cred, "GET", &url, None, Some(r#"{"all_pages":true}"#));
    assert_eq!(round.status, 200, "{}", round.body);
    let link = round.json()["@odata.deltaLink"].as_str().unwrap().to_string();
    emu.expire_delta_tokens();
    let g = request(&cred, "GET", &link, None, Some(r#"{"all_pages":true}"#));
    assert_eq!(g.status, MSGRAPH_ERR_RESYNC, "{}", g.body);
    assert_eq!(g.json()["error"]["graph_error"]["error"]["code"], "syncStateNotFound");
}

#[test]
fn a_proxy_tunnels_https_and_never_sees_plain_http() {
    let emu = Emulator::start(Options { tls: true, ..Options::default() }).unwrap();
    let dir = std::env::temp_dir().join(unique("msgraph-proxy"));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, emu.ca_pem().unwrap()).unwrap();
    let proxy = ConnectProxy::start();
    let cred = credential(&emu, json!({"proxy": format!("http://127.0.0.1:{}", proxy.port), "ca_file": ca.to_str().unwrap()}));
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, 200, "{}", g.body);
    let lines = proxy.lines();
    assert!(!lines.is_empty() && lines.iter().all(|l| l.starts_with(&format!("CONNECT 127.0.0.1:{} ", emu.port()))), "{lines:?}");
    // The plain-http emulator is never reached through a proxy.
    let plain = emulator();
    let cred = credential(&plain, json!({"proxy": format!("http://127.0.0.1:{}", proxy.port)}));
    let before = proxy.lines().len();
    assert_eq!(request(&cred, "GET", "/users?$top=1", None, None).status, 200);
    assert_eq!(proxy.lines().len(), before, "no clear-text token through a proxy");
    std::fs::remove_dir_all(&dir).ok();
}

/// A minimal CONNECT proxy that records the tunnels it opens.
struct ConnectProxy {
    port: u16,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ConnectProxy {
    fn start() -> ConnectProxy {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(client.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    log.lock().unwrap().push(line.trim_end().to_string());
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim_end().is_empty() {
                            break;
                        }
                    }
                    let Some(target) = line.strip_prefix("CONNECT ").and_then(|r| r.split(' ').next()) else {
                        let mut c = client;
                        let _ = c.write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n");
                        return;
                    };
                    let upstream = std::net::TcpStream::connect(target).unwrap();
                    let mut c = client;
                    c.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").unwrap();
                    let (mut c_read, mut c_write) = (c.try_clone().unwrap(), c);
                    let (mut u_read, mut u_write) = (upstream.try_clone().unwrap(), upstream);
                    let up = std::thread::spawn(move || {
                        let _ = std::io::copy(&mut c_read, &mut u_write);
                        let _ = u_write.shutdown(std::net::Shutdown::Write);
                    });
                    let _ = std::io::copy(&mut u_read, &mut c_write);
                    let _ = c_write.shutdown(std::net::Shutdown::Write);
                    let _ = up.join();
                });
            }
        });
        ConnectProxy { port, seen }
    }
    fn lines(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

#[test]
fn resets_are_retried_only_for_idempotent_methods_and_stalls_time_out() {
    let emu = emulator();
    let cred = credential(&emu, json!({"max_retries": 2, "timeout_ms": 400}));
    assert_eq!(token_info(&cred, None).status, 200);
    let every: msgraph_emulator::RandomFaults = serde_json::from_value(json!({"connection_reset_rate": 1.0})).unwrap();
    emu.set_random_faults(Some(every));
    let mailbox = emu.user_id(2);
    let g = request(&cred, "POST", &format!("/users/{mailbox}/contacts"), Some(r#"{"givenName":"Once"}"#), None);
    assert_eq!(g.status, MSGRAPH_ERR_TRANSPORT, "{}", g.body);
    assert_eq!(graph_requests(&emu).len(), 1, "a POST is never sent twice after a lost answer");
    emu.clear_log();
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, MSGRAPH_ERR_TRANSPORT);
    assert_eq!(graph_requests(&emu).len(), 3, "a GET is tried 1 + max_retries times");
    assert_eq!(g.header("x-msgraph-retries").as_deref(), Some("2"));
    emu.clear_log();
    let stall: msgraph_emulator::RandomFaults = serde_json::from_value(json!({"stall_rate": 1.0, "stall_ms": 5000})).unwrap();
    emu.set_random_faults(Some(stall));
    let started = std::time::Instant::now();
    let g = request(&cred, "GET", "/users?$top=1", None, Some(r#"{"max_retries":0}"#));
    assert_eq!(g.status, MSGRAPH_ERR_TIMEOUT, "{}", g.body);
    assert!(started.elapsed() < Duration::from_millis(4000), "gave up at its budget, not at the stall's end");
    emu.set_random_faults(None);
}

#[test]
fn an_expired_secret_says_to_rotate_it() {
    let emu = emulator();
    let cred = credential(&emu, json!({"client_id": msgraph_emulator::EXPIRED_CLIENT_ID,
        "client_secret": msgraph_emulator::EXPIRED_CLIENT_SECRET}));
    let e = token_info(&cred, None).json();
    assert_eq!(e["error"]["aadsts"], 7000222);
    assert!(e["error"]["hint"].as_str().unwrap().contains("expired"), "{e}");
}
