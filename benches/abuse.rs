//! Abuse benchmark: what eight kinds of abuse do to one garake process.
//!
//! Run by hand against the release binary:
//!
//! ```text
//! cargo bench --bench abuse                  # full run, about 4 minutes
//! ABUSE_SECS=3 cargo bench --bench abuse     # quick run, every attack capped at 3 s
//! ```
//!
//! Every attack gets a fresh `garake serve` on a fresh temporary database.
//! A seeded database is made by starting the server once on the new file (so
//! that it gets the demo fixtures, which the probe needs) and then running
//! `garake seed` on it: seeding first would make it an existing database,
//! which never gets the fixtures.
//! While it runs, a sampler reads the server's RSS (`/proc/PID/status`,
//! `VmRSS`) and counts its open file descriptors (`/proc/PID/fd`) every
//! 100 ms, and a probe handset (a P501i powered on as 09012340001) fetches
//! its iMenu page every 10 ms over its own keep-alive connection. For the two
//! connection attacks a second probe opens a new connection every 250 ms and
//! sends `GET /`. The status line of every answer is counted.
//!
//! 1. power-ons: 200,000 `GET /on/{msisdn}` over 5,000 seeded lines, 32 keep-alive clients (60 s).
//! 2. wrong PINs: 32 clients posting wrong i-mode passwords, half on the demo
//!    line (locked after 3), half on fresh seeded lines (an Argon2 check each) (20 s).
//! 3. unknown logins: 32 clients alternating My docomo and IMS logins of unknown accounts (20 s).
//! 4. slow bodies: 1,100 connections sending a login body one byte every 2 s (30 s).
//! 5. idle connections: 1,100 connections that send nothing (30 s).
//! 6. mail flood: 8 seeded handsets sending 10,000-byte mails to taro-demo (15 s),
//!    the body (5,000 `あ`) percent-encoded in Shift_JIS as a handset sends it.
//! 7. inquiries: 8 clients posting Plus member support-desk inquiries (15 s).
//! 8. mail flood, `:memory:`: attack 6 against `--db :memory:` from the demo lines (15 s).
//!
//! Before them, "first start" is the RSS of a fresh server starting on a new
//! database (it hashes the demo fixtures' secrets) and idling for 2 s.
//!
//! The report is a Markdown table (one row per attack) with the goals under it
//! and the answers by status per attack; progress goes to stderr.
//!
//! Environment: `ABUSE_SECS` caps every duration (each attack and the
//! first-start idle) at that many seconds; `ABUSE_ONLY` runs only the attacks
//! whose names contain one of its comma-separated words (e.g.
//! `ABUSE_ONLY=slow,idle`; the first start is always measured).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const UA: &str = "DoCoMo/1.0/P501i";
const ADMIN_TOKEN: &str = "abuse-bench-admin-token";
/// The probe's line (Taro, a demo line) and the demo lines that can send mail.
const PROBE_LINE: &str = "09012340001";
const DEMO_SENDERS: [&str; 2] = ["09012340002", "09012340003"];
const MAIL_TO: &str = "taro-demo%40docomo.ne.jp";

/// The goals every row is checked against.
const RSS_GOAL_MIB: f64 = 64.0;
const P99_GOAL_MS: f64 = 10.0;
const FRESH_GOAL: Duration = Duration::from_secs(1);

const SAMPLE_EVERY: Duration = Duration::from_millis(100);
const PROBE_EVERY: Duration = Duration::from_millis(10);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
const FRESH_EVERY: Duration = Duration::from_millis(250);
/// How long the fresh-connection probe waits (past the goal, to see the worst).
const FRESH_TIMEOUT: Duration = Duration::from_secs(3);
/// Attack clients give up on one answer after this.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// Attack sizes.
const POWER_ON_LINES: u64 = 5_000;
const POWER_ONS: u64 = 200_000;
const PIN_LINES: u64 = 2_000;
const PIN_TRIES_PER_LINE: u32 = 3;
const HELD_CONNECTIONS: usize = 1_100;
const SLOW_BODY_LENGTH: usize = 1_000;
const DRIP_EVERY: Duration = Duration::from_secs(2);
const MAIL_SENDERS: usize = 8;
/// `あ` in Shift_JIS, and how many of them a flood mail's body holds
/// (10,000 bytes: the largest body a mail may have).
const MAIL_BODY_CHARS: usize = 5_000;

fn main() {
    raise_file_limit();
    let settings = Settings::from_env();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let plans = plans();
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let mut results = vec![first_start(dir.path(), &settings)];
    let chosen: Vec<&Plan> = plans.iter().filter(|p| settings.wants(p.name)).collect();
    for (i, plan) in chosen.iter().enumerate() {
        results.push(run_plan(i + 1, chosen.len(), plan, dir.path(), &settings));
    }
    print_report(cores, &settings, &results);
}

// ---------------------------------------------------------------- settings

/// What the environment asks for.
struct Settings {
    /// `ABUSE_SECS`: the longest any attack (or the first-start idle) runs.
    cap: Option<u64>,
    /// `ABUSE_ONLY`: words naming the attacks to run (all if empty).
    only: Vec<String>,
}

impl Settings {
    fn from_env() -> Settings {
        Settings {
            cap: std::env::var("ABUSE_SECS")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|s| *s > 0),
            only: std::env::var("ABUSE_ONLY")
                .unwrap_or_default()
                .split(',')
                .map(|w| w.trim().to_lowercase())
                .filter(|w| !w.is_empty())
                .collect(),
        }
    }

    /// Whether the attack named `name` is to run.
    fn wants(&self, name: &str) -> bool {
        self.only.is_empty()
            || self
                .only
                .iter()
                .any(|w| name.to_lowercase().contains(w.as_str()))
    }

    /// A default duration, capped.
    fn secs(&self, default: u64) -> Duration {
        Duration::from_secs(self.cap.map_or(default, |cap| cap.min(default)))
    }
}

/// Raises this process's open-file limit to its hard limit (the connection
/// attacks hold over a thousand sockets).
fn raise_file_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed in.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

// ------------------------------------------------------------------ server

/// Where a server keeps its data.
enum Db {
    File(PathBuf),
    Memory,
}

impl Db {
    fn arg(&self) -> &std::ffi::OsStr {
        match self {
            Db::File(path) => path.as_os_str(),
            Db::Memory => std::ffi::OsStr::new(":memory:"),
        }
    }
}

/// A `garake serve` process; killed when dropped.
struct Server {
    child: Child,
    stdout: Option<ChildStdout>,
    addr: String,
}

impl Server {
    /// Starts the server; `log` receives its stderr (warnings and errors).
    fn spawn(db: &Db, log: &Path) -> Server {
        let log = std::fs::File::create(log).expect("a log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_garake"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--admin-token",
                ADMIN_TOKEN,
            ])
            .arg("--db")
            .arg(db.arg())
            .args(["--menus", concat!(env!("CARGO_MANIFEST_DIR"), "/menus")])
            .env("GARAKE_LOG", "warn")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("garake starts");
        let stdout = child.stdout.take();
        Server {
            child,
            stdout,
            addr: String::new(),
        }
    }

    /// Waits for `garake listening on http://ADDR` and keeps draining stdout.
    fn wait_listening(&mut self) {
        let stdout = self.stdout.take().expect("not waited for yet");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines
            .next()
            .expect("garake printed a line")
            .expect("readable");
        thread::spawn(move || for _ in lines {});
        self.addr = first
            .strip_prefix("garake listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_string();
    }

    fn start(db: &Db, log: &Path) -> Server {
        let mut server = Server::spawn(db, log);
        server.wait_listening();
        server
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How an attack's database is made.
#[derive(Clone, Copy)]
enum DbSetup {
    /// A new file: the server loads the demo fixtures.
    Fresh,
    /// A new file with the demo fixtures and this many seeded lines.
    Seeded(u64),
    Memory,
}

impl DbSetup {
    fn prepare(self, dir: &Path, name: &str) -> Db {
        let path = dir.join(format!("{name}.db"));
        match self {
            DbSetup::Fresh => Db::File(path),
            DbSetup::Memory => Db::Memory,
            DbSetup::Seeded(lines) => {
                let db = Db::File(path);
                // `seed` on a new file would make it an existing database, which
                // never gets the demo fixtures: start once on it first.
                drop(Server::start(&db, &dir.join(format!("{name}-setup.log"))));
                seed(&db, lines);
                db
            }
        }
    }
}

fn seed(db: &Db, lines: u64) {
    let status = Command::new(env!("CARGO_BIN_EXE_garake"))
        .args(["seed", "--lines", &lines.to_string(), "--db"])
        .arg(db.arg())
        .env("GARAKE_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .expect("garake seed runs");
    assert!(status.success(), "garake seed failed");
}

/// The synthetic line `n` of `garake seed`.
fn seeded_msisdn(n: u64) -> String {
    format!("070{n:08}")
}

/// Warnings and errors the server logged.
#[derive(Default)]
struct LogSummary {
    warnings: usize,
    errors: usize,
    first: Option<String>,
}

impl LogSummary {
    fn read(path: &Path) -> LogSummary {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut summary = LogSummary::default();
        for line in text.lines().map(strip_ansi) {
            let line = line.as_str();
            let error = line.contains("ERROR") || line.contains("panicked");
            if error {
                summary.errors += 1;
            } else if line.contains("WARN") {
                summary.warnings += 1;
            } else {
                continue;
            }
            if summary.first.is_none() || (error && summary.errors == 1) {
                summary.first = Some(line.chars().take(240).collect());
            }
        }
        summary
    }
}

/// A log line without terminal colour codes (`ESC [ ... m`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------- sampling

/// One look at the server process.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    rss_mib: f64,
    fds: usize,
}

fn sample(pid: u32) -> Sample {
    let rss_mib = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
    Sample { rss_mib, fds }
}

/// Samples a process every 100 ms until finished.
struct Sampler {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Vec<Sample>>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = thread::spawn(move || {
            let mut samples = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                samples.push(sample(pid));
                thread::sleep(SAMPLE_EVERY);
            }
            samples.push(sample(pid));
            samples
        });
        Sampler { stop, handle }
    }

    fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("the sampler finished")
    }
}

/// The memory columns of a row.
#[derive(Clone, Copy, Debug)]
struct Memory {
    /// `None` when there was no "before" (the first start).
    before: Option<f64>,
    peak: f64,
    after: f64,
    fds_peak: usize,
}

impl Memory {
    fn of(before: Option<Sample>, samples: &[Sample], after: Sample) -> Memory {
        let all = || before.iter().chain(samples).chain([&after]);
        Memory {
            before: before.map(|s| s.rss_mib),
            peak: all().map(|s| s.rss_mib).fold(f64::NAN, f64::max),
            after: after.rss_mib,
            fds_peak: all().map(|s| s.fds).max().unwrap_or(0),
        }
    }
}

// -------------------------------------------------------------------- http

/// What a request was, for the counts ("power-on", "form", "mail", ...).
type Kind = &'static str;

/// Status 0 in a tally: the request got no answer (refused, reset, timed out).
const NO_ANSWER: u16 = 0;

/// Answers by kind of request and status, and what some answers said.
#[derive(Clone, Debug, Default)]
struct Tally {
    statuses: BTreeMap<Kind, BTreeMap<u16, u64>>,
    /// Outcomes read from answer bodies (e.g. a mail "sent" or "not delivered").
    outcomes: BTreeMap<&'static str, u64>,
}

impl Tally {
    fn status(&mut self, kind: Kind, status: u16) {
        *self
            .statuses
            .entry(kind)
            .or_default()
            .entry(status)
            .or_default() += 1;
    }

    fn outcome(&mut self, what: &'static str) {
        *self.outcomes.entry(what).or_default() += 1;
    }

    fn merge(&mut self, other: &Tally) {
        for (kind, statuses) in &other.statuses {
            for (status, n) in statuses {
                *self
                    .statuses
                    .entry(kind)
                    .or_default()
                    .entry(*status)
                    .or_default() += n;
            }
        }
        for (what, n) in &other.outcomes {
            *self.outcomes.entry(what).or_default() += n;
        }
    }

    fn server_errors(&self) -> u64 {
        self.statuses
            .values()
            .flat_map(|s| s.range(500..600))
            .map(|(_, n)| n)
            .sum()
    }

    /// `kind: 403 × 12, no answer × 1; ...`, then the outcomes.
    fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .statuses
            .iter()
            .map(|(kind, statuses)| {
                let counts: Vec<String> = statuses
                    .iter()
                    .map(|(status, n)| match *status {
                        NO_ANSWER => format!("no answer × {n}"),
                        s => format!("{s} × {n}"),
                    })
                    .collect();
                format!("{kind} {}", counts.join(", "))
            })
            .collect();
        if !self.outcomes.is_empty() {
            let outcomes: Vec<String> = self
                .outcomes
                .iter()
                .map(|(what, n)| format!("{what} × {n}"))
                .collect();
            parts.push(format!("({})", outcomes.join(", ")));
        }
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join("; ")
        }
    }
}

/// One HTTP answer.
struct Reply {
    status: u16,
    /// Names in lower case.
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

    fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

fn eof() -> io::Error {
    io::Error::from(io::ErrorKind::UnexpectedEof)
}

fn broken(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// The status of an `HTTP/1.1 NNN reason` line.
fn parse_status(line: &str) -> Option<u16> {
    line.strip_prefix("HTTP/1.")?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

/// A line of the head; a closed connection is an error.
fn head_line(r: &mut impl BufRead, line: &mut String) -> io::Result<()> {
    line.clear();
    if r.read_line(line)? == 0 {
        return Err(eof());
    }
    Ok(())
}

/// Reads one response: status line, headers, and a body by length or chunks.
fn read_reply(r: &mut BufReader<TcpStream>) -> io::Result<Reply> {
    let mut line = String::new();
    head_line(r, &mut line)?;
    let status = parse_status(&line).ok_or_else(|| broken("bad status line"))?;
    let mut headers = Vec::new();
    loop {
        head_line(r, &mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
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
        reply.body = read_chunked(r)?;
    } else if let Some(len) = reply.header("content-length") {
        let len: usize = len.parse().map_err(|_| broken("bad content-length"))?;
        reply.body = vec![0; len];
        r.read_exact(&mut reply.body)?;
    } else if !(status < 200 || status == 204 || status == 304) {
        r.read_to_end(&mut reply.body)?;
        reply.headers.push(("connection".into(), "close".into()));
    }
    Ok(reply)
}

fn read_chunked(r: &mut BufReader<TcpStream>) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        head_line(r, &mut line)?;
        let size = line.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size, 16).map_err(|_| broken("bad chunk size"))?;
        if size == 0 {
            break;
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])?;
        head_line(r, &mut line)?;
    }
    // Trailers, up to the blank line.
    loop {
        head_line(r, &mut line)?;
        if line.trim_end().is_empty() {
            return Ok(body);
        }
    }
}

/// A request, head and body in one buffer (one write, no Nagle delay).
fn request(method: &str, path: &str, host: &str, form: Option<&[u8]>) -> Vec<u8> {
    let mut out =
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {UA}\r\n").into_bytes();
    if let Some(body) = form {
        out.extend_from_slice(
            format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(b"\r\n");
    if let Some(body) = form {
        out.extend_from_slice(body);
    }
    out
}

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Whether a reused keep-alive connection had been closed before our request.
fn is_stale(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

/// A keep-alive HTTP/1.1 client that reconnects when its connection closes,
/// and counts every request and answer.
struct Client {
    addr: SocketAddr,
    host: String,
    timeout: Duration,
    conn: Option<BufReader<TcpStream>>,
    requests: u64,
    tally: Tally,
}

impl Client {
    fn new(addr: &str, timeout: Duration) -> Client {
        Client {
            addr: addr.parse().expect("a socket address"),
            host: addr.to_string(),
            timeout,
            conn: None,
            requests: 0,
            tally: Tally::default(),
        }
    }

    fn get(&mut self, kind: Kind, path: &str) -> io::Result<Reply> {
        let req = request("GET", path, &self.host, None);
        self.send(kind, &req)
    }

    fn post(&mut self, kind: Kind, path: &str, form: &[u8]) -> io::Result<Reply> {
        let req = request("POST", path, &self.host, Some(form));
        self.send(kind, &req)
    }

    fn send(&mut self, kind: Kind, req: &[u8]) -> io::Result<Reply> {
        self.requests += 1;
        let reused = self.conn.is_some();
        let mut result = self.exchange(req);
        if reused && result.as_ref().is_err_and(is_stale) {
            result = self.exchange(req);
        }
        match &result {
            Ok(reply) => {
                self.tally.status(kind, reply.status);
                if reply.closes() {
                    self.conn = None;
                }
            }
            Err(_) => self.tally.status(kind, NO_ANSWER),
        }
        result
    }

    fn exchange(&mut self, req: &[u8]) -> io::Result<Reply> {
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => {
                let stream = connect(self.addr)?;
                stream.set_read_timeout(Some(self.timeout))?;
                stream.set_write_timeout(Some(self.timeout))?;
                BufReader::new(stream)
            }
        };
        conn.get_mut().write_all(req)?;
        let reply = read_reply(&mut conn)?;
        self.conn = Some(conn);
        Ok(reply)
    }

    fn outcome(&self) -> AttackOutcome {
        AttackOutcome {
            requests: self.requests,
            tally: self.tally.clone(),
            note: None,
        }
    }
}

// ------------------------------------------------------------------ handset

/// Powers on as a line; returns the session's iMenu path (`/s/{sid}/m/imenu`).
/// `query` picks e.g. the language (`?lang=en`).
fn power_on(client: &mut Client, msisdn: &str, query: &str) -> io::Result<String> {
    let reply = client.get("power-on", &format!("/on/{msisdn}{query}"))?;
    match reply.header("location") {
        Some(location) if reply.status == 303 => Ok(location.to_string()),
        _ => Err(broken(&format!(
            "power-on of {msisdn} answered {}",
            reply.status
        ))),
    }
}

/// A session's prefix `/s/{sid}` from its iMenu path.
fn session_base(menu_path: &str) -> String {
    menu_path
        .find("/m/")
        .map_or(menu_path, |i| &menu_path[..i])
        .to_string()
}

/// Powers on and returns the session prefix.
fn handset_session(client: &mut Client, msisdn: &str, query: &str) -> io::Result<String> {
    power_on(client, msisdn, query).map(|path| session_base(&path))
}

/// The one-time form token of a page (`name="ft" value="..."`).
fn form_token(body: &[u8]) -> Option<String> {
    const MARK: &[u8] = b"name=\"ft\" value=\"";
    let start = body.windows(MARK.len()).position(|w| w == MARK)? + MARK.len();
    let len = body[start..].iter().position(|b| *b == b'"')?;
    String::from_utf8(body[start..start + len].to_vec()).ok()
}

/// GETs a form page and returns its token.
fn fetch_token(client: &mut Client, path: &str) -> io::Result<String> {
    let reply = client.get("form", path)?;
    form_token(&reply.body)
        .ok_or_else(|| broken(&format!("no form token on {path} ({})", reply.status)))
}

/// Percent-encodes UTF-8 form values.
fn form_encode(pairs: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.*".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A small xorshift generator for unknown account names.
struct Rng(u64);

impl Rng {
    fn seeded(stream: usize) -> Rng {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Rng((nanos ^ (stream as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

// ------------------------------------------------------------------ probes

/// The handset probe: its iMenu page every 10 ms.
struct MenuProbe {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<MenuStats>,
}

/// What the handset probe saw.
struct MenuStats {
    latencies_ms: Vec<f64>,
    failures: u64,
    tally: Tally,
}

impl MenuStats {
    /// The latency at or below which a share `p` of the successful fetches came back.
    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }
}

impl MenuProbe {
    /// Powers on (before the attack starts) and starts fetching.
    fn start(addr: &str) -> MenuProbe {
        let mut client = Client::new(addr, PROBE_TIMEOUT);
        let path = power_on(&mut client, PROBE_LINE, "").expect("the probe powers on");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = thread::spawn(move || probe_menu(client, &path, &flag));
        MenuProbe { stop, handle }
    }

    fn finish(self) -> MenuStats {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("the menu probe finished")
    }
}

fn probe_menu(mut client: Client, path: &str, stop: &AtomicBool) -> MenuStats {
    let mut stats = MenuStats {
        latencies_ms: Vec::new(),
        failures: 0,
        tally: Tally::default(),
    };
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let answer = client.get("menu", path);
        let took = started.elapsed();
        match answer {
            Ok(reply) if reply.status == 200 && took <= PROBE_TIMEOUT => {
                stats.latencies_ms.push(took.as_secs_f64() * 1000.0);
            }
            _ => stats.failures += 1,
        }
        next += PROBE_EVERY;
        let now = Instant::now();
        if next > now {
            thread::sleep(next - now);
        } else {
            next = now;
        }
    }
    stats.tally = client.tally;
    stats
}

/// The fresh-connection probe: `GET /` on a new connection every 250 ms.
struct FreshProbe {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<FreshStats>,
}

/// What the fresh-connection probe saw.
#[derive(Default)]
struct FreshStats {
    worst: Duration,
    unanswered: u64,
    tally: Tally,
}

impl FreshProbe {
    fn start(addr: &str) -> FreshProbe {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, addr) = (stop.clone(), addr.to_string());
        let handle = thread::spawn(move || probe_fresh(&addr, &flag));
        FreshProbe { stop, handle }
    }

    fn finish(self) -> FreshStats {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("the connection probe finished")
    }
}

fn probe_fresh(addr: &str, stop: &AtomicBool) -> FreshStats {
    let mut stats = FreshStats::default();
    while !stop.load(Ordering::Relaxed) {
        let tick = Instant::now();
        let mut client = Client::new(addr, FRESH_TIMEOUT);
        let answer = client.get("GET /", "/");
        let took = tick.elapsed();
        stats.worst = stats.worst.max(took);
        if answer.is_err() || took > FRESH_GOAL {
            stats.unanswered += 1;
        }
        stats.tally.merge(&client.tally);
        thread::sleep(FRESH_EVERY.saturating_sub(tick.elapsed()));
    }
    stats
}

// ----------------------------------------------------------------- attacks

/// What an attack's clients did.
#[derive(Default)]
struct AttackOutcome {
    /// Requests sent (connections opened, for the connection attacks).
    requests: u64,
    tally: Tally,
    /// Anything else worth a line in the report.
    note: Option<String>,
}

impl AttackOutcome {
    fn merge(mut self, other: AttackOutcome) -> AttackOutcome {
        self.requests += other.requests;
        self.tally.merge(&other.tally);
        self.note = match (self.note, other.note) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        self
    }
}

type AttackFn = Box<dyn Fn(&str, Instant) -> AttackOutcome>;

/// One attack: its server's database, its duration, and its clients.
struct Plan {
    name: &'static str,
    db: DbSetup,
    secs: u64,
    /// Whether the fresh-connection probe runs too.
    connection_probe: bool,
    run: AttackFn,
}

fn plans() -> Vec<Plan> {
    let seeded_senders: Vec<String> = (0..MAIL_SENDERS as u64).map(seeded_msisdn).collect();
    let demo_senders: Vec<String> = (0..MAIL_SENDERS)
        .map(|i| DEMO_SENDERS[i % DEMO_SENDERS.len()].to_string())
        .collect();
    vec![
        Plan {
            name: "power-ons",
            db: DbSetup::Seeded(POWER_ON_LINES),
            secs: 60,
            connection_probe: false,
            run: Box::new(power_ons),
        },
        Plan {
            name: "wrong PINs",
            db: DbSetup::Seeded(PIN_LINES),
            secs: 20,
            connection_probe: false,
            run: Box::new(wrong_pins),
        },
        Plan {
            name: "unknown logins",
            db: DbSetup::Fresh,
            secs: 20,
            connection_probe: false,
            run: Box::new(unknown_logins),
        },
        Plan {
            name: "slow bodies",
            db: DbSetup::Fresh,
            secs: 30,
            connection_probe: true,
            run: Box::new(|addr, deadline| hold_connections(addr, deadline, true)),
        },
        Plan {
            name: "idle connections",
            db: DbSetup::Fresh,
            secs: 30,
            connection_probe: true,
            run: Box::new(|addr, deadline| hold_connections(addr, deadline, false)),
        },
        Plan {
            name: "mail flood",
            db: DbSetup::Seeded(MAIL_SENDERS as u64),
            secs: 15,
            connection_probe: false,
            run: Box::new(move |addr, deadline| mail_flood(addr, deadline, &seeded_senders)),
        },
        Plan {
            name: "inquiries",
            db: DbSetup::Fresh,
            secs: 15,
            connection_probe: false,
            run: Box::new(inquiries),
        },
        Plan {
            name: "mail flood, :memory:",
            db: DbSetup::Memory,
            secs: 15,
            connection_probe: false,
            run: Box::new(move |addr, deadline| mail_flood(addr, deadline, &demo_senders)),
        },
    ]
}

/// Runs `n` keep-alive clients at once; `client_loop(i, client)` is client i's work.
fn run_clients<F>(addr: &str, n: usize, client_loop: F) -> AttackOutcome
where
    F: Fn(usize, &mut Client) + Sync,
{
    thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let client_loop = &client_loop;
                scope.spawn(move || {
                    let mut client = Client::new(addr, CLIENT_TIMEOUT);
                    client_loop(i, &mut client);
                    client.outcome()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("an attack client finished"))
            .fold(AttackOutcome::default(), AttackOutcome::merge)
    })
}

/// 1. Power-ons, round-robin over the seeded lines.
fn power_ons(addr: &str, deadline: Instant) -> AttackOutcome {
    let next = AtomicU64::new(0);
    run_clients(addr, 32, |_, client| loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= POWER_ONS || Instant::now() >= deadline {
            break;
        }
        let path = format!("/on/{}", seeded_msisdn(i % POWER_ON_LINES));
        let _ = client.get("power-on", &path);
    })
}

/// One wrong i-mode password on a session: fetch the form's token, post it.
fn guess_pin(client: &mut Client, kind: Kind, base: &str) -> io::Result<Reply> {
    let path = format!("{base}/a/change-imode-password");
    let token = fetch_token(client, &path)?;
    let form = format!("pin=1111&new_pin=2222&new_pin_confirm=2222&ft={token}");
    client.post(kind, &path, form.as_bytes())
}

/// 2. Wrong PINs: even clients on the demo line, odd ones on their own seeded lines.
fn wrong_pins(addr: &str, deadline: Instant) -> AttackOutcome {
    let clients = 32;
    let lines_each = PIN_LINES / (clients as u64 / 2);
    run_clients(addr, clients, |i, client| {
        let on_demo_line = i.is_multiple_of(2);
        let own = (i / 2) as u64 * lines_each;
        let mut line = 0;
        let mut tries = 0u32;
        let mut base: Option<String> = None;
        while Instant::now() < deadline {
            let msisdn = if on_demo_line {
                PROBE_LINE.to_string()
            } else {
                seeded_msisdn(own + line % lines_each)
            };
            let Some(b) = base
                .clone()
                .or_else(|| handset_session(client, &msisdn, "").ok())
            else {
                thread::sleep(Duration::from_millis(50));
                continue;
            };
            let kind = if on_demo_line {
                "wrong PIN, demo line"
            } else {
                "wrong PIN, seeded line"
            };
            base = guess_pin(client, kind, &b).ok().map(|_| b);
            tries += 1;
            if !on_demo_line && tries.is_multiple_of(PIN_TRIES_PER_LINE) {
                line += 1;
                base = None;
            }
        }
    })
}

/// 3. Unknown logins: My docomo and IMS in turn, random accounts.
fn unknown_logins(addr: &str, deadline: Instant) -> AttackOutcome {
    run_clients(addr, 32, |i, client| {
        let mut rng = Rng::seeded(i);
        let mut n = 0u64;
        while Instant::now() < deadline {
            let (id, password) = (
                format!("nobody{:x}", rng.next()),
                format!("pw{:x}", rng.next()),
            );
            let _ = if n.is_multiple_of(2) {
                let form = form_encode(&[("daccount_id", &id), ("daccount_password", &password)]);
                client.post("My docomo login", "/mydocomo/login", form.as_bytes())
            } else {
                let form = form_encode(&[("login_id", &id), ("password", &password)]);
                client.post("IMS login", "/p/ims/login", form.as_bytes())
            };
            n += 1;
        }
    })
}

/// One held connection of attacks 4 and 5.
struct Held {
    stream: TcpStream,
    /// What the server sent so far.
    received: Vec<u8>,
    /// Body bytes sent, and when the next is due (slow bodies only).
    dripped: usize,
    next_drip: Option<Instant>,
}

impl Held {
    /// Connects; a slow-body connection sends its request head at once.
    fn open(addr: SocketAddr, host: &str, slow_body: bool) -> io::Result<Held> {
        let mut stream = connect(addr)?;
        if slow_body {
            let head = format!(
                "POST /mydocomo/login HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {UA}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {SLOW_BODY_LENGTH}\r\n\r\n"
            );
            stream.write_all(head.as_bytes())?;
        }
        stream.set_nonblocking(true)?;
        Ok(Held {
            stream,
            received: Vec::new(),
            dripped: 0,
            next_drip: slow_body.then(|| Instant::now() + DRIP_EVERY),
        })
    }

    /// Reads what arrived and sends a body byte when due. `Some` when the
    /// connection is done: with the answer's status, or `None` inside if the
    /// server closed it without one.
    fn tend(&mut self) -> Option<Option<u16>> {
        let mut buf = [0u8; 2048];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return Some(None),
                Ok(n) => self.received.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return Some(None),
            }
        }
        if let Some(end) = self.received.windows(2).position(|w| w == b"\r\n") {
            let line = String::from_utf8_lossy(&self.received[..end]);
            return Some(Some(parse_status(&line).unwrap_or(0)));
        }
        match self.next_drip {
            Some(due) if Instant::now() >= due && self.dripped < SLOW_BODY_LENGTH => {
                if self.stream.write_all(b"a").is_err() {
                    return Some(None);
                }
                self.dripped += 1;
                self.next_drip = Some(due + DRIP_EVERY);
                None
            }
            _ => None,
        }
    }
}

/// 4 and 5. Holds 1,100 connections (slow bodies or silent ones), reopening
/// each one the server closes or answers.
fn hold_connections(addr: &str, deadline: Instant, slow_body: bool) -> AttackOutcome {
    let sock: SocketAddr = addr.parse().expect("a socket address");
    let mut slots: Vec<Option<Held>> = (0..HELD_CONNECTIONS).map(|_| None).collect();
    let kind = if slow_body { "slow body" } else { "idle" };
    let mut out = AttackOutcome::default();
    let (mut closed, mut refused_connects) = (0u64, 0u64);
    while Instant::now() < deadline {
        for slot in &mut slots {
            if slot.is_none() {
                out.requests += 1;
                match Held::open(sock, addr, slow_body) {
                    Ok(held) => *slot = Some(held),
                    Err(_) => refused_connects += 1,
                }
            }
            let done = slot.as_mut().and_then(Held::tend);
            match done {
                Some(Some(status)) => out.tally.status(kind, status),
                Some(None) => closed += 1,
                None => continue,
            }
            *slot = None;
        }
        thread::sleep(Duration::from_millis(20));
    }
    out.note = Some(format!(
        "closed by the server without an answer × {closed}; connects that failed × {refused_connects}"
    ));
    out
}

/// The flood's mail body: 5,000 `あ` percent-encoded as Shift_JIS (`%82%A0`
/// each: a 10,000-byte mail in a 30,000-byte form).
fn mail_body() -> Vec<u8> {
    "%82%A0".repeat(MAIL_BODY_CHARS).into_bytes()
}

/// One mail from a session to taro-demo.
fn send_mail(
    client: &mut Client,
    kind: Kind,
    base: &str,
    n: u64,
    body: &[u8],
) -> io::Result<Reply> {
    let path = format!("{base}/a/mail-compose");
    let token = fetch_token(client, &path)?;
    let mut form = format!("to={MAIL_TO}&subject=flood+{n}&body=").into_bytes();
    form.extend_from_slice(body);
    form.extend_from_slice(format!("&ft={token}").as_bytes());
    let reply = client.post(kind, &path, &form)?;
    if let Some(outcome) = mail_outcome(&reply) {
        client.tally.outcome(outcome);
    }
    Ok(reply)
}

/// What the result page of an English session says about a mail.
fn mail_outcome(reply: &Reply) -> Option<&'static str> {
    let says = |text: &[u8]| reply.body.windows(text.len()).any(|w| w == text);
    if reply.status != 200 {
        None
    } else if says(b"Not delivered") {
        Some("not delivered")
    } else if says(b"Sent.") {
        Some("sent")
    } else {
        Some("200 without a result")
    }
}

/// Mail senders' sessions are in English, so that results can be read.
const ENGLISH: &str = "?lang=en";

/// 6 and 8. Each sender (its own session) sends mail as fast as it can.
fn mail_flood(addr: &str, deadline: Instant, senders: &[String]) -> AttackOutcome {
    let body = mail_body();
    let sent_by = Mutex::new(BTreeSet::new());
    let mut flood = run_clients(addr, senders.len(), |i, client| {
        let mut base: Option<String> = None;
        let mut n = 0u64;
        while Instant::now() < deadline {
            let Some(b) = base
                .clone()
                .or_else(|| handset_session(client, &senders[i], ENGLISH).ok())
            else {
                thread::sleep(Duration::from_millis(50));
                continue;
            };
            let answer = send_mail(client, "mail", &b, n, &body);
            if answer
                .as_ref()
                .is_ok_and(|r| mail_outcome(r) == Some("sent"))
            {
                sent_by
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(senders[i].clone());
            }
            base = answer.ok().map(|_| b);
            n += 1;
        }
    });
    let lines: BTreeSet<&String> = senders.iter().collect();
    let sent_by = sent_by.into_inner().unwrap_or_else(|p| p.into_inner());
    flood.note = Some(format!(
        "lines that sent mail: {} of {}",
        sent_by.len(),
        lines.len()
    ));
    flood
}

/// 7. Plus member inquiries with every field filled in (a member's real data).
fn inquiries(addr: &str, deadline: Instant) -> AttackOutcome {
    let form = form_encode(&[
        ("name_kanji", "星野光"),
        ("name_kana", "ホシノヒカリ"),
        ("nickname", "ひかり"),
        ("birth_date", "19900415"),
        ("prefecture", "東京都"),
        ("phone", "09011112222"),
        ("email", "hikari.fan@example.com"),
        ("payment_method", "carrier"),
        ("carrier", "docomo"),
        ("payment_reference", "123456789012"),
        ("member_id", "PM0012345"),
        ("member_number", "M000123"),
    ]);
    run_clients(addr, 8, |_, client| {
        while Instant::now() < deadline {
            let _ = client.post("inquiry", "/p/plus-member/r/inquiry", form.as_bytes());
        }
    })
}

// ------------------------------------------------------------------ running

/// One row of the report.
struct AttackResult {
    name: &'static str,
    /// `None` for the first-start row.
    requests: Option<u64>,
    memory: Memory,
    menu: Option<MenuStats>,
    fresh: Option<FreshStats>,
    /// Answers to the attack clients (the probes' are in `menu` and `fresh`).
    tally: Tally,
    note: Option<String>,
    log: LogSummary,
    took: Duration,
}

impl AttackResult {
    /// 5xx answers to the attack clients and the probes together.
    fn server_errors(&self) -> u64 {
        self.tally.server_errors()
            + self.menu.as_ref().map_or(0, |m| m.tally.server_errors())
            + self.fresh.as_ref().map_or(0, |f| f.tally.server_errors())
    }
}

/// "first start": a new server on a new database, starting and idling.
fn first_start(dir: &Path, settings: &Settings) -> AttackResult {
    let idle = settings.secs(2);
    eprintln!(
        "[abuse 0/8] first start: starting (idles {} s)",
        idle.as_secs()
    );
    let started = Instant::now();
    let log = dir.join("first-start.log");
    let mut server = Server::spawn(&Db::File(dir.join("first-start.db")), &log);
    let sampler = Sampler::start(server.pid());
    server.wait_listening();
    let listening = started.elapsed();
    thread::sleep(idle);
    let samples = sampler.finish();
    let after = sample(server.pid());
    drop(server);
    let result = AttackResult {
        name: "first start",
        requests: None,
        memory: Memory::of(None, &samples, after),
        menu: None,
        fresh: None,
        tally: Tally::default(),
        note: Some(format!(
            "listening after {:.0} ms",
            listening.as_secs_f64() * 1000.0
        )),
        log: LogSummary::read(&log),
        took: started.elapsed(),
    };
    eprintln!(
        "[abuse 0/8] first start: done, peak RSS {:.1} MiB",
        result.memory.peak
    );
    result
}

fn run_plan(
    index: usize,
    total: usize,
    plan: &Plan,
    dir: &Path,
    settings: &Settings,
) -> AttackResult {
    let secs = settings.secs(plan.secs);
    eprintln!(
        "[abuse {index}/{total}] {}: starting (up to {} s)",
        plan.name,
        secs.as_secs()
    );
    let file = format!("attack-{index}");
    let db = plan.db.prepare(dir, &file);
    let log = dir.join(format!("{file}.log"));
    let server = Server::start(&db, &log);
    let pid = server.pid();
    let menu = MenuProbe::start(&server.addr);
    let before = sample(pid);
    let sampler = Sampler::start(pid);
    let fresh = plan
        .connection_probe
        .then(|| FreshProbe::start(&server.addr));
    let started = Instant::now();
    let outcome = (plan.run)(&server.addr, started + secs);
    let took = started.elapsed();
    let menu = menu.finish();
    let fresh = fresh.map(FreshProbe::finish);
    let samples = sampler.finish();
    thread::sleep(Duration::from_millis(500));
    let after = sample(pid);
    drop(server);
    let result = AttackResult {
        name: plan.name,
        requests: Some(outcome.requests),
        memory: Memory::of(Some(before), &samples, after),
        menu: Some(menu),
        fresh,
        tally: outcome.tally,
        note: outcome.note,
        log: LogSummary::read(&log),
        took,
    };
    eprintln!(
        "[abuse {index}/{total}] {}: done in {:.1} s, {} requests: {}",
        plan.name,
        took.as_secs_f64(),
        outcome.requests,
        result.tally.describe()
    );
    result
}

// ------------------------------------------------------------------- report

/// A cell, marked `✗` when it misses its goal.
fn mark(text: String, miss: bool) -> String {
    if miss {
        format!("{text} ✗")
    } else {
        text
    }
}

fn mib(v: f64) -> String {
    mark(format!("{v:.1}"), v.is_nan() || v > RSS_GOAL_MIB)
}

fn memory_cell(m: &Memory) -> String {
    let before = m.before.map_or("—".into(), mib);
    format!("{before} / {} / {}", mib(m.peak), mib(m.after))
}

fn menu_cell(menu: Option<&MenuStats>) -> String {
    menu.map_or("—".into(), |m| {
        let p99 = m.percentile(0.99);
        format!(
            "{:.2} / {}",
            m.percentile(0.5),
            mark(format!("{p99:.2}"), p99.is_nan() || p99 >= P99_GOAL_MS)
        )
    })
}

fn failures_cell(menu: Option<&MenuStats>) -> String {
    menu.map_or("—".into(), |m| {
        mark(m.failures.to_string(), m.failures > 0)
    })
}

fn fresh_cell(fresh: Option<&FreshStats>) -> String {
    fresh.map_or("—".into(), |f| {
        mark(
            format!("{:.0} ({})", f.worst.as_secs_f64() * 1000.0, f.unanswered),
            f.worst > FRESH_GOAL || f.unanswered > 0,
        )
    })
}

fn row(r: &AttackResult) -> String {
    let errors = r.server_errors();
    let cells = [
        r.name.to_string(),
        r.requests.map_or("—".into(), |n| n.to_string()),
        memory_cell(&r.memory),
        r.memory.fds_peak.to_string(),
        menu_cell(r.menu.as_ref()),
        failures_cell(r.menu.as_ref()),
        mark(errors.to_string(), errors > 0),
        fresh_cell(r.fresh.as_ref()),
    ];
    format!("| {} |", cells.join(" | "))
}

/// The status lines of one attack, for the list under the table.
fn details(r: &AttackResult) -> String {
    let mut parts = vec![format!("{:.1} s", r.took.as_secs_f64())];
    if r.requests.is_some() {
        parts.push(format!("attack answers: {}", r.tally.describe()));
    }
    if let Some(m) = &r.menu {
        parts.push(format!(
            "menu probe: {} fetches, {}",
            m.latencies_ms.len() as u64 + m.failures,
            m.tally.describe()
        ));
    }
    if let Some(f) = &r.fresh {
        parts.push(format!("GET / probe: {}", f.tally.describe()));
    }
    if let Some(note) = &r.note {
        parts.push(note.clone());
    }
    parts.push(format!(
        "server log: {} warnings, {} errors",
        r.log.warnings, r.log.errors
    ));
    let mut text = format!("- **{}**: {}", r.name, parts.join("; "));
    if let Some(first) = &r.log.first {
        text.push_str(&format!("\n  - first logged: `{first}`"));
    }
    text
}

fn print_report(cores: usize, settings: &Settings, results: &[AttackResult]) {
    let cap = settings
        .cap
        .map_or("default durations".into(), |s| format!("ABUSE_SECS={s}"));
    println!("## garake abuse benchmark ({cores} cores, {cap})\n");
    println!("| attack | requests | RSS MiB before / peak / after | fds peak | menu p50 / p99 ms | probe failures | 5xx | GET / worst ms (no answer in 1 s) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        println!("{}", row(r));
    }
    println!(
        "\nGoals: RSS ≤ {RSS_GOAL_MIB:.0} MiB at every sample, 0 × 5xx, menu p99 < {P99_GOAL_MS:.0} ms \
         (a probe failure is a fetch that failed or took over {} s), GET / within {} s. ✗ marks a miss.\n",
        PROBE_TIMEOUT.as_secs(),
        FRESH_GOAL.as_secs()
    );
    println!("### Answers by status\n");
    for r in results {
        println!("{}", details(r));
    }
}
