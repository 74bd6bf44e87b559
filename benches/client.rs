//! The gateway's client to content providers alone (`Upstreams::fetch`),
//! in-process: GETs of a 2,000-byte page from a bare hyper 1 server on this
//! machine (its own thread, a one-worker tokio runtime), the client on a
//! tokio runtime with one worker per core, as garake's.
//!
//! ```text
//! cargo bench --bench client                  # 5 rounds
//! BENCH_ROUNDS=3 cargo bench --bench client   # quicker
//! ```
//!
//! Each round: 10,000 GETs one after another on one task (the time of one
//! exchange on a kept connection), then 32 tasks doing 500 GETs each at once
//! (requests per second through the pool). One line of figures, the medians
//! of the rounds, each with the CPU time (user + system, from
//! `/proc/self/stat`) per request of the whole process, the server's
//! included. To compare two states of the client, build this benchmark at
//! each and run the two executables (under `target/release/deps/client-*`)
//! alternately, a pair at a time.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use garake::gateway::client::Upstreams;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

const PAGE_BYTES: usize = 2000;
const SEQUENTIAL: usize = 10_000;
const TASKS: usize = 32;
const PER_TASK: usize = 500;

/// The server: every request gets the page. Returns its address.
fn server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr").to_string())
                .expect("send addr");
            let page = Bytes::from(vec![b'x'; PAGE_BYTES]);
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let page = page.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |_: Request<Incoming>| {
                        let page = page.clone();
                        async move { Ok::<_, Infallible>(Response::new(Full::new(page))) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    rx.recv().expect("the server's address")
}

/// CPU time (user + system) this process has used, in seconds.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    // SAFETY: sysconf only reads a system constant.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    // utime and stime: fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11).unwrap_or(f64::NAN) + ticks(12).unwrap_or(f64::NAN)) / per_sec
}

/// One GET of the page through the client, checked.
async fn one(client: &Upstreams, url: &str) {
    let build = || {
        Request::get(url)
            .header(hyper::header::USER_AGENT, "client-bench")
            .body(Full::new(Bytes::new()))
            .ok()
    };
    let reply = client
        .fetch(build, 600 * 1024, None)
        .await
        .expect("an answer");
    assert_eq!(reply.body.expect("the page").len(), PAGE_BYTES);
}

/// `tasks` tasks doing `each` GETs; returns (seconds, CPU µs per request).
fn timed(
    rt: &tokio::runtime::Runtime,
    client: &Arc<Upstreams>,
    url: &str,
    tasks: usize,
    each: usize,
) -> (f64, f64) {
    let (cpu, started) = (cpu_secs(), Instant::now());
    rt.block_on(async {
        let running: Vec<_> = (0..tasks)
            .map(|_| {
                let (client, url) = (client.clone(), url.to_string());
                tokio::spawn(async move {
                    for _ in 0..each {
                        one(&client, &url).await;
                    }
                })
            })
            .collect();
        for task in running {
            task.await.expect("the task ends");
        }
    });
    let n = (tasks * each) as f64;
    (
        started.elapsed().as_secs_f64(),
        (cpu_secs() - cpu) * 1e6 / n,
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    let rounds = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5usize)
        .max(1);
    let url = format!("http://{}/page", server());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let client = Arc::new(Upstreams::new(None, Duration::from_secs(5)).expect("the client"));
    // Warm-up: the connections opened, the allocator settled.
    timed(&rt, &client, &url, TASKS, 20);
    let (mut seq_us, mut seq_cpu, mut rps, mut conc_cpu) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        let (secs, cpu) = timed(&rt, &client, &url, 1, SEQUENTIAL);
        seq_us.push(secs * 1e6 / SEQUENTIAL as f64);
        seq_cpu.push(cpu);
        let (secs, cpu) = timed(&rt, &client, &url, TASKS, PER_TASK);
        rps.push((TASKS * PER_TASK) as f64 / secs);
        conc_cpu.push(cpu);
    }
    println!(
        "one at a time: {:.1} µs per request (CPU {:.1} µs); {TASKS} at once: {:.0} requests/s (CPU {:.1} µs per request); median of {rounds} rounds",
        median(seq_us),
        median(seq_cpu),
        median(rps),
        median(conc_cpu)
    );
}
