//! What the benchmarks share: the bare hyper 1 baselines, wrk and its
//! figures, and a process's RSS and CPU time.
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
    baseline_with(
        size,
        vec![(
            "content-type".to_string(),
            "text/html; charset=Shift_JIS".to_string(),
        )],
    )
}

/// The same bare hyper 1 server answering with the header lines `headers`
/// (besides hyper's own `content-length` and `date`); its address.
pub fn baseline_with(size: usize, headers: Vec<(String, String)>) -> String {
    let headers: hyper::HeaderMap = headers
        .into_iter()
        .map(|(name, value)| {
            (
                hyper::header::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                hyper::header::HeaderValue::from_str(&value).expect("a header value"),
            )
        })
        .collect();
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
                let (body, headers) = (body.clone(), headers.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |_req| {
                        let mut r = Response::new(Full::new(body.clone()));
                        *r.headers_mut() = headers.clone();
                        async move { Ok::<_, Infallible>(r) }
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

/// The header lines of an answer's head (its status line skipped), but for
/// those `own_headers` leaves out: what `baseline_with` is given to answer
/// with the same head as garake.
pub fn page_headers(head: &str) -> Vec<(String, String)> {
    own_headers(
        head.lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string())),
    )
}

/// Header lines (names in lower case) without the two hyper writes itself
/// and those about the connection rather than the page.
pub fn own_headers(lines: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    lines
        .into_iter()
        .filter(|(name, _)| {
            ![
                "content-length",
                "date",
                "connection",
                "keep-alive",
                "transfer-encoding",
            ]
            .contains(&name.as_str())
        })
        .collect()
}

/// CPU time (user + system) process `pid` has used, in seconds.
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    // SAFETY: sysconf only reads a system constant.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / per_sec
}

/// A wrk run (`wrk(url, 32, secs, None)`) and the CPU time the serving
/// process `pid` spent per answer in it, in µs. The baselines serve from
/// this process, which does nothing else meanwhile (wrk is a child process:
/// its time is never in this process's own user and system time).
pub fn wrk_cpu(url: &str, secs: u64, pid: u32) -> (Run, f64) {
    let before = cpu_secs(pid);
    let run = wrk(url, 32, secs, None);
    (
        run,
        (cpu_secs(pid) - before) * 1e6 / run.requests.max(1) as f64,
    )
}

/// What wrk measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Run {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub non_2xx: u64,
    /// Answers in all.
    pub requests: u64,
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
        } else if let Some((n, _)) = t.split_once(" requests in ") {
            run.requests = n.trim().parse().unwrap_or(0);
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

/// The middle value (the mean of the two middle ones for an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
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

/// Garake's page against the two bare servers (`baseline`, and
/// `baseline_with` garake's own header lines), round by round.
#[derive(Default)]
pub struct Against {
    to_bare: Vec<f64>,
    to_same: Vec<f64>,
    /// CPU µs per answer of the bare server, the same-head one and garake.
    cpu: [Vec<f64>; 3],
}

impl Against {
    /// The columns of `round`'s rows.
    pub const COLUMNS: &'static str = "bare req/s  CPU µs | same head req/s  CPU µs \
        | garake req/s  p50 ms  p99 ms  CPU µs | ratio to bare | to same head";

    /// One round: `path` asked of the bare server, the same-head one and
    /// garake (process `pid`) in turn, `secs` each; the row of figures.
    pub fn round(
        &mut self,
        bare: &str,
        same: &str,
        garake: &str,
        pid: u32,
        path: &str,
        secs: u64,
    ) -> String {
        let own = std::process::id();
        let (b, b_cpu) = wrk_cpu(&format!("http://{bare}{path}"), secs, own);
        let (h, h_cpu) = wrk_cpu(&format!("http://{same}{path}"), secs, own);
        let (g, g_cpu) = wrk_cpu(&format!("http://{garake}{path}"), secs, pid);
        assert_eq!(g.non_2xx, 0, "garake answered errors: the session expired?");
        let (ratio, same_ratio) = (g.rps / b.rps, g.rps / h.rps);
        self.to_bare.push(ratio);
        self.to_same.push(same_ratio);
        for (list, v) in self.cpu.iter_mut().zip([b_cpu, h_cpu, g_cpu]) {
            list.push(v);
        }
        format!(
            "{:>10.0}  {b_cpu:>6.2} | {:>15.0}  {h_cpu:>6.2} | {:>12.0}  {:>6.2}  {:>6.2}  {g_cpu:>6.2} \
             | {ratio:>13.2} | {same_ratio:>12.2}",
            b.rps, h.rps, g.rps, g.p50_ms, g.p99_ms
        )
    }

    /// The median ratio garake/bare: the figure the goal is about.
    pub fn to_bare(&self) -> f64 {
        median(self.to_bare.clone())
    }

    /// The medians (and the rounds' ranges) of the ratios and CPU times.
    pub fn summary(&self) -> String {
        let range = |v: &[f64]| {
            let lo = v.iter().copied().fold(f64::NAN, f64::min);
            let hi = v.iter().copied().fold(f64::NAN, f64::max);
            format!("{lo:.2}–{hi:.2}")
        };
        let [b, h, g] = self.cpu.clone().map(median);
        format!(
            "median ratio garake/bare {:.2} (rounds {}), garake/same head {:.2} (rounds {}); \
             median CPU µs per answer: bare {b:.2}, same head {h:.2}, garake {g:.2}",
            self.to_bare(),
            range(&self.to_bare),
            median(self.to_same.clone()),
            range(&self.to_same)
        )
    }
}
