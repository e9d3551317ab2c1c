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
fn a_proxy_carries_the_requests() {
    let emu = emulator();
    // A forwarding proxy that records what it relays.
    let proxy = ProxyServer::start(emu.port());
    let cred = credential(&emu, json!({"proxy": format!("http://127.0.0.1:{}", proxy.port)}));
    let g = request(&cred, "GET", "/users?$top=1", None, None);
    assert_eq!(g.status, 200, "{}", g.body);
    let lines = proxy.lines();
    assert!(lines.iter().any(|l| l.contains("/oauth2/v2.0/token")), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("GET http://127.0.0.1:") && l.contains("/v1.0/users")), "{lines:?}");
}

/// A minimal HTTP proxy for absolute-form requests to the emulator.
struct ProxyServer {
    port: u16,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ProxyServer {
    fn start(upstream: u16) -> ProxyServer {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(client.try_clone().unwrap());
                    let mut out = client;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let line = line.trim_end().to_string();
                        log.lock().unwrap().push(line.clone());
                        let mut head = Vec::new();
                        let mut len = 0usize;
                        loop {
                            let mut h = String::new();
                            reader.read_line(&mut h).unwrap();
                            if h.trim_end().is_empty() {
                                break;
                            }
                            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                                len = v.trim().parse().unwrap_or(0);
                            }
                            if !h.to_ascii_lowercase().starts_with("proxy-") {
                                head.push(h);
                            }
                        }
                        let mut body = vec![0; len];
                        reader.read_exact(&mut body).unwrap();
                        // Rewrite the absolute URL to origin form and relay.
                        let mut parts = line.splitn(3, ' ');
                        let (method, target, version) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
                        let path = target.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or("/".into());
                        let mut up = std::net::TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                        let mut req = format!("{method} {path} {version}\r\n");
                        for h in head {
                            if !h.to_ascii_lowercase().starts_with("connection:") {
                                req.push_str(&h);
                            }
                        }
                        req.push_str("connection: close\r\n\r\n");
                        up.write_all(req.as_bytes()).unwrap();
                        up.write_all(&body).unwrap();
                        let mut resp = Vec::new();
                        up.read_to_end(&mut resp).unwrap();
                        // Relay and close (the library opens a new connection).
                        let _ = out.write_all(&resp);
                        return;
                    }
                });
            }
        });
        ProxyServer { port, seen }
    }
    fn lines(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}
