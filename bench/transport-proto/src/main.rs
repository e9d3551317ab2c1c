//! transport-proto MODE N URL TOKEN
//! MODE: blocking (reqwest::blocking, as libmsgraph) | inthread (async
//! reqwest::Client, block_on on the calling thread's current-thread runtime)
use std::time::{Duration, Instant};

fn rusage() -> (f64, i64) {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let cpu = (u.ru_utime.tv_sec + u.ru_stime.tv_sec) as f64 * 1e6 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) as f64;
    (cpu, u.ru_nvcsw + u.ru_nivcsw)
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (mode, n, url, token) = (a[1].as_str(), a[2].parse::<u32>().unwrap(), a[3].clone(), a[4].clone());
    let auth = format!("Bearer {token}");
    let (t, cpu, csw);
    match mode {
        "blocking" => {
            let c = reqwest::blocking::Client::builder()
                .use_rustls_tls()
                .redirect(reqwest::redirect::Policy::none())
                .pool_idle_timeout(Duration::from_secs(90))
                .tcp_nodelay(true)
                .build()
                .unwrap();
            let get = || {
                let r = c.get(&url).header("authorization", &auth).header("client-request-id", "x").send().unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().unwrap();
            };
            get();
            let (c0, s0) = rusage();
            let t0 = Instant::now();
            for _ in 0..n {
                get();
            }
            t = t0.elapsed();
            let (c1, s1) = rusage();
            (cpu, csw) = (c1 - c0, s1 - s0);
        }
        "inthread" => {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let c = rt.block_on(async {
                reqwest::Client::builder()
                    .use_rustls_tls()
                    .redirect(reqwest::redirect::Policy::none())
                    .pool_idle_timeout(Duration::from_secs(90))
                    .tcp_nodelay(true)
                    .build()
                    .unwrap()
            });
            let get = || {
                rt.block_on(async {
                    let r = c.get(&url).header("authorization", &auth).header("client-request-id", "x").send().await.unwrap();
                    assert_eq!(r.status(), 200);
                    r.bytes().await.unwrap();
                })
            };
            get();
            let (c0, s0) = rusage();
            let t0 = Instant::now();
            for _ in 0..n {
                get();
            }
            t = t0.elapsed();
            let (c1, s1) = rusage();
            (cpu, csw) = (c1 - c0, s1 - s0);
        }
        _ => panic!("mode"),
    }
    println!(
        "{{\"client\":\"reqwest {mode}\",\"calls\":{n},\"us_per_call\":{:.2},\"cpu_us_per_call\":{:.2},\"csw_per_call\":{:.2}}}",
        t.as_secs_f64() * 1e6 / n as f64,
        cpu / n as f64,
        csw as f64 / n as f64
    );
}
