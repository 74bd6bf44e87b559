//! What the load and worlds benchmarks share: the bare hyper 1 baseline,
//! wrk and its figures, and the server's RSS.
//!
//! (A module of each benchmark that declares it, not a benchmark itself;
//! each uses only some of it.)
#![allow(dead_code)]

use std::convert::Infallible;
use std::process::Command;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;

/// The handset wrk and the benchmarks' clients present themselves as.
pub const UA: &str = "DoCoMo/1.0/P501i";

pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The baseline: bare hyper 1, one fixed body for every request; its address.
pub fn baseline(size: usize) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr").to_string())
                .expect("send addr");
            let body = Bytes::from(vec![b'x'; size]);
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let body = body.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |_req| {
                        let body = body.clone();
                        async move {
                            let mut r = Response::new(Full::new(body));
                            r.headers_mut().insert(
                                "content-type",
                                "text/html; charset=Shift_JIS".parse().expect("valid"),
                            );
                            Ok::<_, Infallible>(r)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    rx.recv().expect("baseline address")
}

/// What wrk measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Run {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub non_2xx: u64,
}

pub fn millis(s: &str) -> f64 {
    let s = s.trim();
    for (unit, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)] {
        if let Some(n) = s.strip_suffix(unit) {
            if let Ok(v) = n.parse::<f64>() {
                return v * factor;
            }
        }
    }
    f64::NAN
}

/// `wrk -t2 -c{conns} -d{secs}s --latency` with the P501i's User-Agent.
pub fn wrk(url: &str, conns: u32, secs: u64, script: Option<&str>) -> Run {
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t2",
        &format!("-c{conns}"),
        &format!("-d{secs}s"),
        "--latency",
        "-H",
        &format!("User-Agent: {UA}"),
    ]);
    if let Some(s) = script {
        cmd.args(["-s", s]);
    }
    let out = cmd
        .arg(url)
        .output()
        .expect("wrk runs (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut run = Run::default();
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            run.rps = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = t.strip_prefix("50%") {
            run.p50_ms = millis(v);
        } else if let Some(v) = t.strip_prefix("99%") {
            run.p99_ms = millis(v);
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            run.non_2xx = v.trim().parse().unwrap_or(0);
        }
    }
    run
}

/// Exits with a hint when wrk is not installed.
pub fn need_wrk() {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("the benchmark needs wrk: apt-get install wrk");
        std::process::exit(2);
    }
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// A process's resident memory (`VmRSS` of `/proc/PID/status`), in MiB.
pub fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
