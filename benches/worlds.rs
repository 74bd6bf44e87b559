//! Worlds benchmark (run by hand: `cargo bench --bench worlds`; needs `wrk`).
//!
//! One release binary on a file database in a temporary folder (its worlds'
//! files in `bench.db.worlds/` beside it):
//!
//! 1. Making a world: 200 `POST /api/worlds` (demo fixtures) one after
//!    another on one keep-alive connection; p50, p99 and max in ms.
//! 2. A thousand worlds: the rest made (to 1,000 in all, the default
//!    `--max-worlds`), then 50 of them in use, each by one handset that
//!    powers on (Taro, `09012340001`) and fetches its world's menu pages in
//!    turn on its own keep-alive connection, a pause between fetches, for
//!    the sample period; then every world left idle until its database is
//!    closed (60 s without a request, closed by the sweep that runs each
//!    minute). The server's RSS and open file descriptors (all of them, and
//!    those open on a file in the worlds' folder) are sampled every 100 ms
//!    from `/proc` throughout.
//! 3. Menu pages: a world's iMenu page and the default world's, each against
//!    a bare hyper 1 server answering every request with a fixed body of the
//!    same size and only a Content-Type, and against the same server
//!    answering with garake's header lines as well, asked for the same path
//!    with the same headers, loaded in turn with `wrk -t2 -c32` in the same
//!    run; the ratios garake/bare (the goal) and garake/same head per pair
//!    and their medians, and each serving process's CPU time per answer.
//!
//! Goals: making a world p50 ≤ 5 ms and p99 ≤ 25 ms; RSS ≤ 128 MiB with
//! 1,000 worlds and 50 in use; no open file for an idle world; a world's menu
//! page at ≥ 0.9× the bare hyper server.
//!
//! Environment: BENCH_SECS (seconds per wrk run, default 5), BENCH_PAIRS
//! (default 5), BENCH_TIMED (worlds made in part 1, default 200),
//! BENCH_WORLDS (worlds in all, default 1000), BENCH_IN_USE (default 50),
//! BENCH_USE_SECS (the sample period with worlds in use, default 20),
//! BENCH_PAUSE_MS (each handset's pause between fetches, default 10),
//! BENCH_IDLE_SECS (how long to wait at most for every world's file to be
//! closed, default 150; 0 skips the wait).

mod common;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::{baseline, baseline_with, env_num, need_wrk, own_headers, rss_mib, Against, UA};

const ADMIN_TOKEN: &str = "worlds-bench-admin-token";
/// Taro, a demo line of every world made with the demo fixtures.
const LINE: &str = "09012340001";
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// The goals.
const CREATE_P50_GOAL_MS: f64 = 5.0;
const CREATE_P99_GOAL_MS: f64 = 25.0;
const RSS_GOAL_MIB: f64 = 128.0;
const RATIO_GOAL: f64 = 0.9;

// ------------------------------------------------------------------ server

/// A running `garake serve`; killed when dropped.
struct Garake {
    child: Child,
    addr: String,
}

impl Drop for Garake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn garake(db: &Path, max_worlds: u64, log: &Path) -> Garake {
    let log = std::fs::File::create(log).expect("a log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_garake"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--admin-token",
            ADMIN_TOKEN,
            "--max-worlds",
            &max_worlds.to_string(),
            "--db",
        ])
        .arg(db)
        .args(["--menus", concat!(env!("CARGO_MANIFEST_DIR"), "/menus")])
        .env("GARAKE_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("garake starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("readable");
    thread::spawn(move || for _ in lines {});
    let addr = first
        .trim_start_matches("garake listening on http://")
        .to_string();
    Garake { child, addr }
}

// -------------------------------------------------------------------- http

/// One answer.
struct Reply {
    status: u16,
    /// Header names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A keep-alive HTTP/1.1 client (it reconnects if the server closed).
struct Conn {
    addr: String,
    stream: Option<BufReader<std::net::TcpStream>>,
}

impl Conn {
    fn new(addr: &str) -> Conn {
        Conn {
            addr: addr.to_string(),
            stream: None,
        }
    }

    fn get(&mut self, path: &str) -> io::Result<Reply> {
        self.send("GET", path, "", b"")
    }

    /// A request with more header lines (each ending in CRLF) and a body.
    fn send(&mut self, method: &str, path: &str, extra: &str, body: &[u8]) -> io::Result<Reply> {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {UA}\r\n{extra}",
            self.addr
        )
        .into_bytes();
        if !body.is_empty() {
            req.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        req.extend_from_slice(b"\r\n");
        req.extend_from_slice(body);
        let reused = self.stream.is_some();
        match self.exchange(&req) {
            Err(e) if reused => {
                // A kept connection the server had closed: once more on a new one.
                let _ = e;
                self.exchange(&req)
            }
            other => other,
        }
    }

    fn exchange(&mut self, req: &[u8]) -> io::Result<Reply> {
        let mut conn = match self.stream.take() {
            Some(c) => c,
            None => {
                let s = std::net::TcpStream::connect(&self.addr)?;
                s.set_nodelay(true)?;
                s.set_read_timeout(Some(Duration::from_secs(10)))?;
                BufReader::new(s)
            }
        };
        conn.get_mut().write_all(req)?;
        let reply = read_reply(&mut conn)?;
        if !reply
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
        {
            self.stream = Some(conn);
        }
        Ok(reply)
    }
}

fn line(r: &mut impl BufRead, buf: &mut String) -> io::Result<()> {
    buf.clear();
    if r.read_line(buf)? == 0 {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
    }
    Ok(())
}

fn read_reply(r: &mut BufReader<std::net::TcpStream>) -> io::Result<Reply> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let mut buf = String::new();
    line(r, &mut buf)?;
    let status = buf
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("status line"))?;
    let mut headers = Vec::new();
    loop {
        line(r, &mut buf)?;
        let l = buf.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let mut reply = Reply {
        status,
        headers,
        body: Vec::new(),
    };
    if reply
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            line(r, &mut buf)?;
            let size = usize::from_str_radix(buf.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| bad("chunk size"))?;
            if size == 0 {
                line(r, &mut buf)?;
                break;
            }
            let at = reply.body.len();
            reply.body.resize(at + size, 0);
            r.read_exact(&mut reply.body[at..])?;
            line(r, &mut buf)?;
        }
    } else if let Some(len) = reply.header("content-length") {
        let len: usize = len.parse().map_err(|_| bad("content-length"))?;
        reply.body = vec![0; len];
        r.read_exact(&mut reply.body)?;
    } else if !(status < 200 || status == 204 || status == 304) {
        r.read_to_end(&mut reply.body)?;
        reply.headers.push(("connection".into(), "close".into()));
    }
    Ok(reply)
}

/// The path of a URL (`http://host/s/x` is `/s/x`); a path stays as it is.
fn path_of(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/".into(), |i| rest[i..].to_string()),
        None => url.to_string(),
    }
}

/// Powers on Taro under `base` (`""` or `/w/{id}`): the iMenu path and its page.
fn power_on(conn: &mut Conn, base: &str) -> (String, Reply) {
    let reply = conn
        .get(&format!("{base}/on/{LINE}"))
        .expect("a power-on answer");
    assert_eq!(reply.status, 303, "power-on under {base:?}");
    let path = path_of(reply.header("location").expect("a Location"));
    let page = conn.get(&path).expect("the iMenu page");
    assert_eq!(page.status, 200, "{path}");
    (path, page)
}

/// The menu pages a page links to (`href="…/m/…"`), the page itself first.
fn menu_links(first: &str, page: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(page);
    let mut paths = vec![first.to_string()];
    for part in text.split("href=\"").skip(1) {
        let href = part.split('"').next().unwrap_or("").replace("&amp;", "&");
        if href.starts_with('/') && href.contains("/m/") && !paths.contains(&href) {
            paths.push(href);
        }
    }
    paths
}

// ---------------------------------------------------------------- sampling

/// One look at the server.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    phase: usize,
    rss_mib: f64,
    fds: usize,
    /// Descriptors open on a file in the worlds' folder.
    world_fds: usize,
    /// Worlds with at least one file open.
    open_worlds: usize,
}

const PHASES: [&str; 5] = [
    "before any world",
    "making worlds",
    "worlds made, none used",
    "in use",
    "idle",
];

fn sample(pid: u32, worlds_dir: &str, phase: usize) -> Sample {
    let mut s = Sample {
        phase,
        rss_mib: rss_mib(pid),
        ..Sample::default()
    };
    let mut worlds = std::collections::HashSet::new();
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for fd in dir.flatten() {
            s.fds += 1;
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy().into_owned();
            if let Some(file) = target.strip_prefix(worlds_dir) {
                s.world_fds += 1;
                let id = file.split(['.', '-']).next();
                worlds.insert(id.unwrap_or_default().to_string());
            }
        }
    }
    s.open_worlds = worlds.len();
    s
}

/// Samples the server every 100 ms, each sample marked with the phase of the run.
struct Sampler {
    stop: Arc<AtomicBool>,
    phase: Arc<AtomicUsize>,
    handle: JoinHandle<Vec<Sample>>,
}

impl Sampler {
    fn start(pid: u32, worlds_dir: String) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let phase = Arc::new(AtomicUsize::new(0));
        let (flag, at) = (stop.clone(), phase.clone());
        let handle = thread::spawn(move || {
            let mut samples = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                samples.push(sample(pid, &worlds_dir, at.load(Ordering::Relaxed)));
                thread::sleep(SAMPLE_EVERY);
            }
            samples
        });
        Sampler {
            stop,
            phase,
            handle,
        }
    }

    fn enter(&self, phase: usize) {
        self.phase.store(phase, Ordering::Relaxed);
    }

    fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("the sampler finished")
    }
}

// ----------------------------------------------------------------- figures

/// The value at rank `p` (nearest rank) of sorted `v`.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

/// Makes `n` worlds one after another on `conn`; their ids and the time each took (ms).
fn make_worlds(conn: &mut Conn, n: u64) -> (Vec<String>, Vec<f64>) {
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: application/json\r\n");
    let mut ids = Vec::new();
    let mut took = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        let reply = conn
            .send("POST", "/api/worlds", &auth, br#"{"fixtures":"demo"}"#)
            .expect("an answer to POST /api/worlds");
        took.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(
            reply.status,
            201,
            "POST /api/worlds: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let made: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
        ids.push(made["id"].as_str().expect("an id").to_string());
    }
    (ids, took)
}

fn latency_line(what: &str, mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&ms, 0.5), percentile(&ms, 0.99));
    println!(
        "{what}: {} worlds, p50 {p50:.2} ms, p99 {p99:.2} ms, max {:.2} ms, mean {:.2} ms",
        ms.len(),
        percentile(&ms, 1.0),
        ms.iter().sum::<f64>() / ms.len().max(1) as f64
    );
    (p50, p99)
}

/// What one handset of part 2 did.
#[derive(Default)]
struct Use {
    latencies_ms: Vec<f64>,
    not_200: u64,
}

fn main() {
    need_wrk();
    let secs = env_num("BENCH_SECS", 5);
    let pairs = env_num("BENCH_PAIRS", 5);
    let timed = env_num("BENCH_TIMED", 200);
    let total = env_num("BENCH_WORLDS", 1000).max(timed);
    let in_use = env_num("BENCH_IN_USE", 50).min(total) as usize;
    let use_secs = env_num("BENCH_USE_SECS", 20);
    let pause = Duration::from_millis(env_num("BENCH_PAUSE_MS", 10));
    let idle_secs = env_num("BENCH_IDLE_SECS", 150);
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let dir = tempfile::tempdir().expect("temp dir");
    // As /proc shows the files a descriptor is open on.
    let root = dir.path().canonicalize().expect("the temp dir");
    let db = root.join("bench.db");
    let log = root.join("garake.log");
    let worlds_dir: PathBuf = PathBuf::from(format!("{}.worlds", db.display()));
    let in_worlds = format!("{}/", worlds_dir.display());
    let server = garake(&db, total.max(1000), &log);
    let pid = server.child.id();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "# garake worlds benchmark: {cores} cores, load average {} at the start; database in {}",
        load.split_whitespace().next().unwrap_or("?"),
        dir.path().display()
    );

    // 1. Making worlds. The server prepares the worlds' templates once it
    // listens (hashing the demo fixtures' secrets): "before" is after that.
    let sampler = Sampler::start(pid, in_worlds.clone());
    thread::sleep(Duration::from_secs(3));
    sampler.enter(1);
    let mut api = Conn::new(&server.addr);
    println!("\n## 1. Making a world: POST /api/worlds (demo fixtures), one after another on one keep-alive connection");
    let (mut ids, first) = make_worlds(&mut api, timed);
    let (p50, p99) = latency_line("the first worlds", first);
    let made_ok = p50 <= CREATE_P50_GOAL_MS && p99 <= CREATE_P99_GOAL_MS;
    let (more, rest) = make_worlds(&mut api, total - timed);
    ids.extend(more);
    if !rest.is_empty() {
        latency_line(&format!("then up to {total}"), rest);
    }
    println!(
        "goal p50 ≤ {CREATE_P50_GOAL_MS} ms and p99 ≤ {CREATE_P99_GOAL_MS} ms (the first {timed}): {}",
        met(made_ok)
    );
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}\r\n");
    let listed = api
        .send("GET", "/api/worlds", &auth, b"")
        .expect("the list");
    let listed: serde_json::Value = serde_json::from_slice(&listed.body).expect("JSON");
    let listed = listed["worlds"].as_array().map_or(0, Vec::len);
    assert_eq!(listed, total as usize, "GET /api/worlds lists every world");
    let files = std::fs::read_dir(&worlds_dir).map_or(0, |d| d.count());

    // 2. A thousand worlds, some in use.
    sampler.enter(2);
    thread::sleep(Duration::from_secs(2));
    sampler.enter(3);
    let use_started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let handsets: Vec<JoinHandle<Use>> = ids
        .iter()
        .take(in_use)
        .map(|id| {
            let (addr, base, stop) = (server.addr.clone(), format!("/w/{id}"), stop.clone());
            thread::spawn(move || {
                let mut conn = Conn::new(&addr);
                let (menu, page) = power_on(&mut conn, &base);
                let pages = menu_links(&menu, &page.body);
                let mut done = Use::default();
                for path in pages.iter().cycle() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let t = Instant::now();
                    match conn.get(path) {
                        Ok(r) if r.status == 200 => {
                            done.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0)
                        }
                        _ => done.not_200 += 1,
                    }
                    thread::sleep(pause);
                }
                done
            })
        })
        .collect();
    thread::sleep(Duration::from_secs(use_secs));
    stop.store(true, Ordering::Relaxed);
    let mut fetched = Vec::new();
    let mut not_200 = 0;
    for h in handsets {
        let used = h.join().expect("a handset finished");
        fetched.extend(used.latencies_ms);
        not_200 += used.not_200;
    }
    let used_for = use_started.elapsed();
    let last_request = Instant::now();
    sampler.enter(4);
    let mut closed_after = None;
    if idle_secs > 0 {
        while last_request.elapsed() < Duration::from_secs(idle_secs) {
            thread::sleep(Duration::from_secs(1));
            let now = sample(pid, &in_worlds, 4);
            if now.world_fds == 0 && closed_after.is_none() {
                closed_after = Some(last_request.elapsed());
                // A few seconds more, to see it stay so.
            }
            if closed_after.is_some_and(|t| last_request.elapsed() > t + Duration::from_secs(3)) {
                break;
            }
        }
    }
    let samples = sampler.finish();
    let end = sample(pid, &in_worlds, 4);
    println!(
        "\n## 2. {total} worlds ({files} files in the worlds' folder), {in_use} in use for {:.0} s",
        used_for.as_secs_f64()
    );
    fetched.sort_by(f64::total_cmp);
    println!(
        "{in_use} handsets, one per world, each fetching its world's menu pages in turn ({} ms pause): \
         {} pages ({:.0}/s), p50 {:.2} ms, p99 {:.2} ms, {not_200} not 200",
        pause.as_millis(),
        fetched.len(),
        fetched.len() as f64 / used_for.as_secs_f64(),
        percentile(&fetched, 0.5),
        percentile(&fetched, 0.99)
    );
    println!("phase                    RSS MiB first / peak / last | fds peak | fds in the worlds' folder peak | worlds with a file open, peak");
    for (i, name) in PHASES.iter().enumerate() {
        let of: Vec<&Sample> = samples.iter().filter(|s| s.phase == i).collect();
        let (Some(first), Some(last)) = (of.first(), of.last()) else {
            continue;
        };
        let peak = of.iter().map(|s| s.rss_mib).fold(f64::NAN, f64::max);
        println!(
            "{name:<24} {:>8.1} / {peak:>6.1} / {:>6.1} | {:>8} | {:>30} | {:>5}",
            first.rss_mib,
            last.rss_mib,
            of.iter().map(|s| s.fds).max().unwrap_or(0),
            of.iter().map(|s| s.world_fds).max().unwrap_or(0),
            of.iter().map(|s| s.open_worlds).max().unwrap_or(0),
        );
    }
    let rss_peak = samples
        .iter()
        .chain([&end])
        .map(|s| s.rss_mib)
        .fold(f64::NAN, f64::max);
    let before = samples
        .iter()
        .rfind(|s| s.phase == 0)
        .map_or(f64::NAN, |s| s.rss_mib);
    let made = samples
        .iter()
        .rfind(|s| s.phase == 2)
        .map_or(f64::NAN, |s| s.rss_mib);
    let peak_in_use = samples
        .iter()
        .filter(|s| s.phase == 3)
        .map(|s| s.rss_mib)
        .fold(f64::NAN, f64::max);
    println!(
        "RSS MiB: before {before:.1} / after making {made:.1} / peak while in use {peak_in_use:.1} / after {:.1}; \
         goal ≤ {RSS_GOAL_MIB} MiB at every sample: {}",
        end.rss_mib,
        met(rss_peak <= RSS_GOAL_MIB)
    );
    let never_used_open = samples
        .iter()
        .filter(|s| s.phase == 2)
        .map(|s| s.world_fds)
        .max()
        .unwrap_or(0);
    if idle_secs > 0 {
        println!(
            "after the idle period: {} fds, {} in the worlds' folder, {} worlds with a file open \
             (none left {} after the last request); worlds made but never used held {never_used_open}; \
             goal no open file per idle world: {}",
            end.fds,
            end.world_fds,
            end.open_worlds,
            closed_after.map_or("never, within BENCH_IDLE_SECS".into(), |t| format!(
                "{:.0} s",
                t.as_secs_f64()
            )),
            met(end.world_fds == 0 && never_used_open == 0)
        );
    } else {
        println!(
            "the idle period was skipped (BENCH_IDLE_SECS=0): {} fds, {} in the worlds' folder",
            end.fds, end.world_fds
        );
    }

    // 3. Menu pages in a world and in the default world against bare hyper.
    let mut conn = Conn::new(&server.addr);
    let (world_path, world_page) = power_on(&mut conn, &format!("/w/{}", ids[0]));
    let (default_path, default_page) = power_on(&mut conn, "");
    drop(conn);
    let (world_size, default_size) = (world_page.body.len(), default_page.body.len());
    // Per page: the bare server, the one answering with garake's head, garake.
    let targets = [
        (
            baseline(world_size),
            baseline_with(world_size, own_headers(world_page.headers)),
            world_path,
        ),
        (
            baseline(default_size),
            baseline_with(default_size, own_headers(default_page.headers)),
            default_path,
        ),
    ];
    let pid = server.child.id();
    println!(
        "\n## 3. iMenu page in a world ({world_size} bytes) and in the default world ({default_size} bytes), \
         each vs bare hyper 1 with a body of the same size (bare: Content-Type only; same head: \
         garake's header lines too); wrk -t2 -c32, {secs} s per run, {pairs} rounds; CPU: the serving \
         process's user + system time per answer"
    );
    println!("page    round | {}", Against::COLUMNS);
    let mut figures = [Against::default(), Against::default()];
    for round in 1..=pairs {
        for ((name, (bare, same, path)), against) in ["world", "default"]
            .iter()
            .zip(&targets)
            .zip(figures.iter_mut())
        {
            let row = against.round(bare, same, &server.addr, pid, path, secs);
            println!("{name:<7} {round:>5} | {row}");
        }
    }
    for (name, against) in ["in a world", "in the default world"].iter().zip(&figures) {
        println!("{name}: {}", against.summary());
    }
    println!(
        "goal ≥ {RATIO_GOAL}× bare in a world: {}",
        met(figures[0].to_bare() >= RATIO_GOAL)
    );
    let warnings = std::fs::read_to_string(&log).unwrap_or_default();
    let logged = warnings.lines().filter(|l| !l.trim().is_empty()).count();
    println!("\nserver log: {logged} lines (warnings and errors)");
    if let Some(first) = warnings.lines().next() {
        println!("first: {}", first.chars().take(240).collect::<String>());
    }
}
