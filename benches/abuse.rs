//! Abuse benchmark: what sixteen attacks do to one garake process.
//!
//! Run by hand against the release binary:
//!
//! ```text
//! cargo bench --bench abuse                  # full run, about 9 minutes
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
//! its iMenu page every 10 ms over its own keep-alive connection. For the
//! connection attacks (4, 5 and 9 to 16) a second probe opens a new
//! connection every 250 ms and sends `GET /`. The status line of every
//! answer is counted; the documented 5xx pages (the busy page: 503 with
//! `Retry-After`; the gateway's page for a site that did not answer in time:
//! 502) are counted apart from the other 5xx, which are failures. The cores
//! used by the server, by this benchmark and by every other process of the
//! machine while the attack ran are reported with it (`/proc`).
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
//! 9. fast drip: 500 connections each posting a My docomo login announced at
//!    `Content-Length: 16000`, its body sent one byte every 20 ms (15 s; the
//!    body limit of 10 s answers each with 408, and the connection starts again).
//! 10. fast drip, 1,000: attack 9 with 1,000 connections (15 s).
//! 11. big gateway pages, 1 handset: one P-07B handset fetching a 590 KiB
//!     page through the gateway again and again (15 s): the cost of the page
//!     itself, without a crowd.
//! 12. big gateway pages: 300 P-07B handsets, each its own session on its own
//!     seeded line and its own connection, fetching that page at once, again
//!     and again (15 s).
//! 13. big gateway pages, late last byte: 600 handsets, the provider sending
//!     each page's last byte 2 s after the rest (15 s).
//! 14. busy gateway: 1,100 handsets (one connection each) fetching a page the
//!     provider answers only after 120 s, again and again (15 s; the gateway
//!     gives up on a site after `--gateway-timeout`, 10 s).
//! 15. busy logins: 1,100 connections each posting a My docomo login of an
//!     unknown account (a new one each time, a PC browser), again and again (15 s).
//! 16. audit flood: 11 wrong admin tokens from 127.0.0.2 (10 are audited as
//!     `admin_login`, the 11th is throttled), then 8 clients sending partner
//!     requests in turn, each past its rate: Plus member inquiries and joins
//!     (10 a minute per address, then 429), "Forgot your password?" for
//!     unknown IDs (30 per address, then refused without a sign), logins of
//!     one unknown ID (3, then 429) (20 s). The audit log's row counts
//!     (`GET /api/audit`, `X-Total-Count`) are read before and after.
//!
//! The connection attacks 9 to 15 drive their connections from one thread
//! without blocking: each connection sends its request, reads the whole
//! answer, and sends the next within a sweep (10 ms) of it, on the same
//! connection while the server keeps it open, else on a new one. Attacks 11
//! to 14 have a content provider of their own: a small HTTP server in this
//! process, a thread per connection, behind the site `cp` that a copy of the
//! shipped menus adds to the Menu list (`upstream = "http://ADDR/cp/"`);
//! their handsets are powered on (`GET /on/{msisdn}?lang=en` with the P-07B's
//! User-Agent) before the attack. The page is 590 KiB of UTF-8 HTML, mostly
//! Japanese text with a link every 20 lines: in Shift_JIS about 440 KB, so
//! it fits the P-07B's 500 KB cache and the handset gets the whole page.
//!
//! Before them, "first start" is the RSS of a fresh server starting on a new
//! database (it hashes the demo fixtures' secrets) and idling for 2 s.
//!
//! The report is a Markdown table (one row per attack) with the goals under it
//! and the answers by status per attack; progress goes to stderr. Attack 16
//! has goals of its own, listed under its answers (its name is marked ✗ when
//! it misses one): the audit log grows by at most one row per 100 refused
//! requests (a summary row per source and minute, not a row per refusal),
//! the `admin_login` rows are all still there after the flood, and the flood
//! itself reaches 1,300 partner requests a second (26,000 in 20 s).
//!
//! Environment: `ABUSE_SECS` caps every duration (each attack and the
//! first-start idle) at that many seconds; `ABUSE_ONLY` runs only the attacks
//! whose names contain one of its comma-separated words (e.g.
//! `ABUSE_ONLY=slow,idle`, or `ABUSE_ONLY=drip,gateway,busy,audit` for
//! attacks 9 to 16; the first start is always measured); `ABUSE_IN_WORLD=1`
//! runs every attack inside a world.
//!
//! Inside a world (`ABUSE_IN_WORLD=1`), each attack's server gets one world
//! (`POST /api/worlds`, demo fixtures) as soon as it listens, and the attack,
//! its handsets and both probes go to that world's pages (`/w/{id}/…`); a
//! second menu probe (Taro of the default world) and, for the connection
//! attacks, a second `GET /` probe watch the default world meanwhile, in two
//! more columns. An attack on seeded lines gets them in its world: `garake
//! seed` is run on the world's database file (with the server's secret
//! beside it for the while) before any request opens it. The default world
//! is then a fresh database with the demo fixtures only.

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

/// The handset of the gateway attacks (i-mode browser 2.0, a 500 KB cache)
/// and the browser of the My docomo attacks.
const GATEWAY_UA: &str = "DoCoMo/2.0 P07B(c500;TB;W24H16)";
const PC_UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
/// Fast drip: a login body announced at 16,000 bytes, sent a byte every 20 ms.
const FAST_DRIPS: usize = 500;
const FAST_DRIPS_MORE: usize = 1_000;
const FAST_DRIP_LENGTH: usize = 16_000;
const FAST_DRIP_EVERY: Duration = Duration::from_millis(20);
/// The content provider's big page (in UTF-8; about 440 KB once in Shift_JIS,
/// within the P-07B's cache), the handsets fetching it, and how late its
/// last byte comes in the second variant.
const BIG_PAGE_BYTES: usize = 590 * 1024;
const BIG_PAGE_HANDSETS: usize = 300;
const LATE_PAGE_HANDSETS: usize = 600;
const LATE_LAST_BYTE: Duration = Duration::from_secs(2);
/// The stalled provider answers after this (longer than any attack).
const STALL: Duration = Duration::from_secs(120);
/// Connections of the busy attacks.
const BUSY_CONNECTIONS: usize = 1_100;
/// How often the connections of a swarm are looked after.
const SWEEP_EVERY: Duration = Duration::from_millis(10);
/// Audit flood: wrong admin tokens tried first (from another loopback
/// address, so that the flood's own address is not throttled for the
/// admin API), the flood's clients, and the per-source allowance of the
/// partner sites' "send me something" procedures.
const ADMIN_GUESSES: usize = 11;
const GUESSER: [u8; 4] = [127, 0, 0, 2];
const AUDIT_CLIENTS: usize = 8;
const FORGOT_FREE_PER_SOURCE: u64 = 30;
/// The audit flood's goal: at most one row per this many refused requests.
const REFUSED_PER_AUDIT_ROW: u64 = 100;
/// The audit flood's own size: at least 26,000 partner requests in 20 s.
const PARTNER_REQUESTS_PER_SEC: u64 = 1_300;
/// The newest audit rows the sweep keeps (a constant of garake, no flag).
const AUDIT_LOG_ROWS: u64 = 100_000;

fn main() {
    raise_file_limit();
    let settings = Settings::from_env();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let plans = plans();
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let load = load_average();
    let chosen: Vec<&Plan> = plans.iter().filter(|p| settings.wants(p.name)).collect();
    let mut results = vec![first_start(dir.path(), &settings, chosen.len())];
    for (i, plan) in chosen.iter().enumerate() {
        results.push(run_plan(i + 1, chosen.len(), plan, dir.path(), &settings));
    }
    print_report(cores, load, &settings, &results);
}

// ---------------------------------------------------------------- settings

/// What the environment asks for.
struct Settings {
    /// `ABUSE_SECS`: the longest any attack (or the first-start idle) runs.
    cap: Option<u64>,
    /// `ABUSE_ONLY`: words naming the attacks to run (all if empty).
    only: Vec<String>,
    /// `ABUSE_IN_WORLD=1`: every attack inside a world.
    in_world: bool,
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
            in_world: std::env::var("ABUSE_IN_WORLD").is_ok_and(|v| !v.is_empty() && v != "0"),
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
    /// Starts the server on the menu files in `menus`; `log` receives its
    /// stderr (warnings and errors).
    fn spawn(db: &Db, menus: &Path, log: &Path) -> Server {
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
            .arg("--menus")
            .arg(menus)
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

    /// Starts a server and waits until its start-up work is done (the
    /// worlds' templates are made in the background as it starts listening:
    /// the demo secrets hashed once, on an Argon2 slot, then given back), so
    /// an attack measures the server it attacks, not its start. Its own
    /// cost is "first start"'s row.
    fn start(db: &Db, menus: &Path, log: &Path) -> Server {
        let mut server = Server::spawn(db, menus, log);
        server.wait_listening();
        server.settle();
        server
    }

    /// Waits until the resident size has been steady (within 0.5 MiB) for a
    /// second, two seconds after start at least and ten at most.
    fn settle(&self) {
        let started = Instant::now();
        let mut last = sample(self.pid()).rss_mib;
        let mut steady_since = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(200));
            let now = sample(self.pid()).rss_mib;
            if (now - last).abs() > 0.5 {
                steady_since = Instant::now();
            }
            last = now;
            if started.elapsed() >= Duration::from_secs(2)
                && steady_since.elapsed() >= Duration::from_secs(1)
            {
                break;
            }
        }
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

/// The menu files the repository ships.
fn shipped_menus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("menus")
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
    /// The server's database; with `in_world` its seeded lines are left to
    /// the attack's world (`seed_world`).
    fn prepare(self, dir: &Path, name: &str, in_world: bool) -> Db {
        let path = dir.join(format!("{name}.db"));
        match self {
            DbSetup::Fresh => Db::File(path),
            DbSetup::Seeded(_) if in_world => Db::File(path),
            DbSetup::Memory => Db::Memory,
            DbSetup::Seeded(lines) => {
                let db = Db::File(path);
                // `seed` on a new file would make it an existing database, which
                // never gets the demo fixtures: start once on it first.
                drop(Server::start(
                    &db,
                    &shipped_menus(),
                    &dir.join(format!("{name}-setup.log")),
                ));
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

/// Makes a world (demo fixtures) with the admin token; its id.
fn make_world(addr: &str) -> String {
    let mut admin = Client::new(addr, CLIENT_TIMEOUT);
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}\r\nContent-Length: 0\r\n");
    let req = request("POST", "/api/worlds", addr, UA, &auth, None);
    let reply = admin.send("world", &req).expect("POST /api/worlds answers");
    assert_eq!(
        reply.status,
        201,
        "POST /api/worlds: {}",
        String::from_utf8_lossy(&reply.body)
    );
    let made: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
    made["id"].as_str().expect("the world's id").to_string()
}

/// Adds `lines` seeded lines to world `id` of the server on `db`: `garake
/// seed` on the world's file (closed until a request opens it), with the
/// server's secret beside it while it runs (the PINs are hashed with it).
fn seed_world(db: &Path, id: &str, lines: u64) {
    let file = PathBuf::from(format!("{}.worlds/{id}.db", db.display()));
    let secret = PathBuf::from(format!("{}.secret", file.display()));
    std::fs::copy(format!("{}.secret", db.display()), &secret).expect("the server's secret");
    seed(&Db::File(file), lines);
    std::fs::remove_file(&secret).expect("the secret's copy removed");
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

/// CPU time used so far, in seconds: by the server, by this benchmark (its
/// clients, probes and content provider), and by every process of the
/// machine (the busy time of all cores, from `/proc/stat`).
#[derive(Clone, Copy, Debug)]
struct CpuTimes {
    server: f64,
    bench: f64,
    machine: f64,
    at: Instant,
}

/// Cores used on average during an attack.
#[derive(Clone, Copy, Debug)]
struct CpuUse {
    server: f64,
    bench: f64,
    /// Every other process of the machine.
    others: f64,
}

impl CpuTimes {
    fn now(pid: u32) -> CpuTimes {
        CpuTimes {
            server: process_cpu(&pid.to_string()),
            bench: process_cpu("self"),
            machine: machine_cpu(),
            at: Instant::now(),
        }
    }

    fn used_until(&self, later: &CpuTimes) -> CpuUse {
        let secs = (later.at - self.at).as_secs_f64().max(1e-3);
        let (server, bench, machine) = (
            (later.server - self.server) / secs,
            (later.bench - self.bench) / secs,
            (later.machine - self.machine) / secs,
        );
        CpuUse {
            server,
            bench,
            others: (machine - server - bench).max(0.0),
        }
    }
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// User and system CPU seconds of a process (`/proc/PID/stat`, all threads).
fn process_cpu(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // The fields after the command name (in parentheses, maybe with spaces):
    // the state is field 3, utime and stime are fields 14 and 15.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return f64::NAN;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => (user + system) / clock_ticks(),
        _ => f64::NAN,
    }
}

/// Busy CPU seconds of all cores together (`/proc/stat`: all but idle and iowait).
fn machine_cpu() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return f64::NAN;
    };
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return f64::NAN;
    };
    let ticks: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|t| t.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is in user).
    let busy: f64 = ticks
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    busy / clock_ticks()
}

/// The machine's load average over the last minute (`/proc/loadavg`).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
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
    /// The 5xx answers that are documented pages, by page (see `Documented`).
    documented: BTreeMap<Documented, u64>,
}

/// A 5xx answer that is a documented page, not a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Documented {
    /// The "busy, try again" page: 503 with `Retry-After` (work that waits
    /// found its queue full or waited too long).
    Busy,
    /// The gateway's page for a site that did not answer within
    /// `--gateway-timeout` (502).
    SiteTooSlow,
}

impl Documented {
    /// Which documented page `reply` is, if it is one.
    fn of(reply: &Reply) -> Option<Documented> {
        let says = |text: &[u8]| reply.body.windows(text.len()).any(|w| w == text);
        match reply.status {
            503 if reply.header("retry-after").is_some()
                && busy_texts().iter().any(|t| says(t)) =>
            {
                Some(Documented::Busy)
            }
            502 if slow_site_texts().iter().any(|t| says(t)) => Some(Documented::SiteTooSlow),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Documented::Busy => "busy page",
            Documented::SiteTooSlow => "site did not answer in time",
        }
    }
}

/// A text in English, in Japanese (UTF-8) and in Japanese (Shift_JIS), as
/// the page of a PC, of a UTF-8 handset and of a Shift_JIS handset says it.
fn texts(en: &str, ja: &str) -> Vec<Vec<u8>> {
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(ja);
    vec![
        en.as_bytes().to_vec(),
        ja.as_bytes().to_vec(),
        sjis.into_owned(),
    ]
}

fn busy_texts() -> &'static [Vec<u8>] {
    static TEXTS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    TEXTS.get_or_init(|| texts("The system is busy.", "ただいま混み合っております"))
}

fn slow_site_texts() -> &'static [Vec<u8>] {
    static TEXTS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    TEXTS.get_or_init(|| {
        texts(
            "The site did not answer in time.",
            "サイトからの応答がありませんでした",
        )
    })
}

impl Tally {
    /// Counts an answer by its status, and a documented 5xx page as such.
    fn answer(&mut self, kind: Kind, reply: &Reply) {
        self.status(kind, reply.status);
        if let Some(page) = Documented::of(reply) {
            *self.documented.entry(page).or_default() += 1;
        }
    }

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
        for (page, n) in &other.documented {
            *self.documented.entry(*page).or_default() += n;
        }
    }

    /// 5xx answers that are not documented pages: failures.
    fn server_errors(&self) -> u64 {
        let all: u64 = self
            .statuses
            .values()
            .flat_map(|s| s.range(500..600))
            .map(|(_, n)| n)
            .sum();
        all - self.documented.values().sum::<u64>()
    }

    fn documented(&self, page: Documented) -> u64 {
        self.documented.get(&page).copied().unwrap_or(0)
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
        if !self.documented.is_empty() {
            let pages: Vec<String> = self
                .documented
                .iter()
                .map(|(page, n)| format!("{} × {n}", page.name()))
                .collect();
            parts.push(format!("(of the 5xx: {})", pages.join(", ")));
        }
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
/// `extra` is more header lines, each ending in CRLF.
fn request(
    method: &str,
    path: &str,
    host: &str,
    ua: &str,
    extra: &str,
    form: Option<&[u8]>,
) -> Vec<u8> {
    let mut out =
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {ua}\r\n{extra}")
            .into_bytes();
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
    ua: &'static str,
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
            ua: UA,
            timeout,
            conn: None,
            requests: 0,
            tally: Tally::default(),
        }
    }

    /// The same client with another User-Agent.
    fn with_ua(mut self, ua: &'static str) -> Client {
        self.ua = ua;
        self
    }

    fn get(&mut self, kind: Kind, path: &str) -> io::Result<Reply> {
        self.get_with(kind, path, "")
    }

    /// A GET with more header lines (each ending in CRLF).
    fn get_with(&mut self, kind: Kind, path: &str, extra: &str) -> io::Result<Reply> {
        let req = request("GET", path, &self.host, self.ua, extra, None);
        self.send(kind, &req)
    }

    fn post(&mut self, kind: Kind, path: &str, form: &[u8]) -> io::Result<Reply> {
        let req = request("POST", path, &self.host, self.ua, "", Some(form));
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
                self.tally.answer(kind, reply);
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
            checks: Vec::new(),
        }
    }
}

// ------------------------------------------------------------------ handset

/// Powers on as a line in the world at `base` (`""`, or `/w/{id}`); returns
/// the session's iMenu URL (`http://ADDR{base}/s/{sid}/m/imenu`). `query`
/// picks e.g. the language (`?lang=en`).
fn power_on(client: &mut Client, base: &str, msisdn: &str, query: &str) -> io::Result<String> {
    let reply = client.get("power-on", &format!("{base}/on/{msisdn}{query}"))?;
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
fn handset_session(
    client: &mut Client,
    base: &str,
    msisdn: &str,
    query: &str,
) -> io::Result<String> {
    power_on(client, base, msisdn, query).map(|path| session_base(&path))
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
    /// Powers on in the world at `base` (before the attack starts) and starts fetching.
    fn start(addr: &str, base: &str) -> MenuProbe {
        let mut client = Client::new(addr, PROBE_TIMEOUT);
        let path = power_on(&mut client, base, PROBE_LINE, "").expect("the probe powers on");
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
    /// `GET {base}/`: the power-on page of the world at `base`.
    fn start(addr: &str, base: &str) -> FreshProbe {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, addr, path) = (stop.clone(), addr.to_string(), format!("{base}/"));
        let handle = thread::spawn(move || probe_fresh(&addr, &path, &flag));
        FreshProbe { stop, handle }
    }

    fn finish(self) -> FreshStats {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("the connection probe finished")
    }
}

fn probe_fresh(addr: &str, path: &str, stop: &AtomicBool) -> FreshStats {
    let mut stats = FreshStats::default();
    while !stop.load(Ordering::Relaxed) {
        let tick = Instant::now();
        let mut client = Client::new(addr, FRESH_TIMEOUT);
        let answer = client.get("GET /", path);
        let took = tick.elapsed();
        stats.worst = stats.worst.max(took);
        if answer.is_err() || took > FRESH_GOAL {
            stats.unanswered += 1;
        }
        if let Err(e) = &answer {
            client.tally.outcome(failure(e));
        }
        stats.tally.merge(&client.tally);
        thread::sleep(FRESH_EVERY.saturating_sub(tick.elapsed()));
    }
    stats
}

/// What went wrong with a request that got no answer.
fn failure(e: &io::Error) -> &'static str {
    match e.kind() {
        // `connect_timeout` (a full listen queue drops the SYN).
        io::ErrorKind::TimedOut => "connect timed out",
        io::ErrorKind::ConnectionRefused => "connection refused",
        // A read timeout on Linux.
        io::ErrorKind::WouldBlock => "no answer before the timeout",
        io::ErrorKind::UnexpectedEof => "closed by the server without an answer",
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => "reset by the server",
        _ => "other error",
    }
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
    /// Goals of this attack beyond the table's columns.
    checks: Vec<Check>,
}

/// A goal of one attack beyond the table's columns, and whether it was met.
#[derive(Clone, Debug)]
struct Check {
    what: String,
    met: bool,
}

impl AttackOutcome {
    fn merge(mut self, other: AttackOutcome) -> AttackOutcome {
        self.requests += other.requests;
        self.tally.merge(&other.tally);
        self.checks.extend(other.checks);
        self.note = match (self.note, other.note) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        self
    }
}

type AttackFn = Box<dyn Fn(&Target, Instant) -> AttackOutcome>;

/// What an attack is aimed at.
struct Target {
    /// The server's `IP:port`.
    addr: String,
    /// The attacked world's prefix: `""` (the default world), or `/w/{id}`
    /// with `ABUSE_IN_WORLD=1`.
    base: String,
    /// The session prefixes (`/s/{sid}`) of the handsets powered on for it.
    sessions: Vec<String>,
}

/// One attack: its server's database, its duration, and its clients.
struct Plan {
    name: &'static str,
    db: DbSetup,
    secs: u64,
    /// Whether the fresh-connection probe runs too.
    connection_probe: bool,
    /// The content provider of the menus' site `cp`, if the attack needs one.
    upstream: Option<Upstream>,
    /// P-07B handsets powered on (on the seeded lines 0, 1, ...) before the attack.
    handsets: usize,
    run: AttackFn,
}

impl Plan {
    /// An attack on the shipped menus, without a handset of its own.
    fn new(
        name: &'static str,
        db: DbSetup,
        secs: u64,
        run: impl Fn(&Target, Instant) -> AttackOutcome + 'static,
    ) -> Plan {
        Plan {
            name,
            db,
            secs,
            connection_probe: false,
            upstream: None,
            handsets: 0,
            run: Box::new(run),
        }
    }

    /// With the fresh-connection probe.
    fn probing_connections(mut self) -> Plan {
        self.connection_probe = true;
        self
    }

    /// With a content provider behind the site `cp`, and `handsets` P-07B sessions.
    fn through_gateway(mut self, upstream: Upstream, handsets: usize) -> Plan {
        self.upstream = Some(upstream);
        self.handsets = handsets;
        self
    }
}

fn plans() -> Vec<Plan> {
    let seeded_senders: Vec<String> = (0..MAIL_SENDERS as u64).map(seeded_msisdn).collect();
    let demo_senders: Vec<String> = (0..MAIL_SENDERS)
        .map(|i| DEMO_SENDERS[i % DEMO_SENDERS.len()].to_string())
        .collect();
    let big = Upstream::BigPage {
        last_byte_late: Duration::ZERO,
    };
    let big_late = Upstream::BigPage {
        last_byte_late: LATE_LAST_BYTE,
    };
    vec![
        Plan::new(
            "power-ons",
            DbSetup::Seeded(POWER_ON_LINES),
            60,
            |t, deadline| power_ons(&t.addr, &t.base, deadline),
        ),
        Plan::new(
            "wrong PINs",
            DbSetup::Seeded(PIN_LINES),
            20,
            |t, deadline| wrong_pins(&t.addr, &t.base, deadline),
        ),
        Plan::new("unknown logins", DbSetup::Fresh, 20, |t, deadline| {
            unknown_logins(&t.addr, &t.base, deadline)
        }),
        Plan::new("slow bodies", DbSetup::Fresh, 30, |t, deadline| {
            hold_connections(&t.addr, &t.base, deadline, true)
        })
        .probing_connections(),
        Plan::new("idle connections", DbSetup::Fresh, 30, |t, deadline| {
            hold_connections(&t.addr, &t.base, deadline, false)
        })
        .probing_connections(),
        Plan::new(
            "mail flood",
            DbSetup::Seeded(MAIL_SENDERS as u64),
            15,
            move |t, deadline| mail_flood(&t.addr, &t.base, deadline, &seeded_senders),
        ),
        Plan::new("inquiries", DbSetup::Fresh, 15, |t, deadline| {
            inquiries(&t.addr, &t.base, deadline)
        }),
        Plan::new(
            "mail flood, :memory:",
            DbSetup::Memory,
            15,
            move |t, deadline| mail_flood(&t.addr, &t.base, deadline, &demo_senders),
        ),
        Plan::new("fast drip", DbSetup::Fresh, 15, |t, deadline| {
            fast_drip(&t.addr, &t.base, deadline, FAST_DRIPS)
        })
        .probing_connections(),
        Plan::new("fast drip, 1,000", DbSetup::Fresh, 15, |t, deadline| {
            fast_drip(&t.addr, &t.base, deadline, FAST_DRIPS_MORE)
        })
        .probing_connections(),
        Plan::new(
            "big gateway pages, 1 handset",
            DbSetup::Seeded(1),
            15,
            gateway_pages,
        )
        .through_gateway(big, 1)
        .probing_connections(),
        Plan::new(
            "big gateway pages",
            DbSetup::Seeded(BIG_PAGE_HANDSETS as u64),
            15,
            gateway_pages,
        )
        .through_gateway(big, BIG_PAGE_HANDSETS)
        .probing_connections(),
        Plan::new(
            "big gateway pages, late last byte",
            DbSetup::Seeded(LATE_PAGE_HANDSETS as u64),
            15,
            gateway_pages,
        )
        .through_gateway(big_late, LATE_PAGE_HANDSETS)
        .probing_connections(),
        Plan::new(
            "busy gateway",
            DbSetup::Seeded(BUSY_CONNECTIONS as u64),
            15,
            gateway_pages,
        )
        .through_gateway(Upstream::Stalled, BUSY_CONNECTIONS)
        .probing_connections(),
        Plan::new("busy logins", DbSetup::Fresh, 15, |t, deadline| {
            busy_logins(&t.addr, &t.base, deadline)
        })
        .probing_connections(),
        Plan::new("audit flood", DbSetup::Fresh, 20, audit_flood).probing_connections(),
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
fn power_ons(addr: &str, base: &str, deadline: Instant) -> AttackOutcome {
    let next = AtomicU64::new(0);
    run_clients(addr, 32, |_, client| loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= POWER_ONS || Instant::now() >= deadline {
            break;
        }
        let path = format!("{base}/on/{}", seeded_msisdn(i % POWER_ON_LINES));
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
fn wrong_pins(addr: &str, world: &str, deadline: Instant) -> AttackOutcome {
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
                .or_else(|| handset_session(client, world, &msisdn, "").ok())
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
fn unknown_logins(addr: &str, base: &str, deadline: Instant) -> AttackOutcome {
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
                client.post(
                    "My docomo login",
                    &format!("{base}/mydocomo/login"),
                    form.as_bytes(),
                )
            } else {
                let form = form_encode(&[("login_id", &id), ("password", &password)]);
                client.post("IMS login", &format!("{base}/p/ims/login"), form.as_bytes())
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
    fn open(addr: SocketAddr, host: &str, base: &str, slow_body: bool) -> io::Result<Held> {
        let mut stream = connect(addr)?;
        if slow_body {
            let head = format!(
                "POST {base}/mydocomo/login HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {UA}\r\n\
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
fn hold_connections(addr: &str, base: &str, deadline: Instant, slow_body: bool) -> AttackOutcome {
    let sock: SocketAddr = addr.parse().expect("a socket address");
    let mut slots: Vec<Option<Held>> = (0..HELD_CONNECTIONS).map(|_| None).collect();
    let kind = if slow_body { "slow body" } else { "idle" };
    let mut out = AttackOutcome::default();
    let (mut closed, mut refused_connects) = (0u64, 0u64);
    while Instant::now() < deadline {
        for slot in &mut slots {
            if slot.is_none() {
                out.requests += 1;
                match Held::open(sock, addr, base, slow_body) {
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
fn mail_flood(addr: &str, world: &str, deadline: Instant, senders: &[String]) -> AttackOutcome {
    let body = mail_body();
    let sent_by = Mutex::new(BTreeSet::new());
    let mut flood = run_clients(addr, senders.len(), |i, client| {
        let mut base: Option<String> = None;
        let mut n = 0u64;
        while Instant::now() < deadline {
            let Some(b) = base
                .clone()
                .or_else(|| handset_session(client, world, &senders[i], ENGLISH).ok())
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
fn inquiries(addr: &str, base: &str, deadline: Instant) -> AttackOutcome {
    let form = inquiry_form();
    let path = format!("{base}/p/plus-member/r/inquiry");
    run_clients(addr, 8, |_, client| {
        while Instant::now() < deadline {
            let _ = client.post("inquiry", &path, form.as_bytes());
        }
    })
}

/// A Plus member support-desk inquiry with every field filled in.
fn inquiry_form() -> String {
    form_encode(&[
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
    ])
}

/// Attacks 9 and 10, fast drip: connections each posting a My docomo login
/// whose body (16,000 bytes announced) comes one byte every 20 ms.
fn fast_drip(addr: &str, base: &str, deadline: Instant, connections: usize) -> AttackOutcome {
    let head = format!(
        "POST {base}/mydocomo/login HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {PC_UA}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {FAST_DRIP_LENGTH}\r\n\r\n"
    )
    .into_bytes();
    swarm(
        addr,
        deadline,
        Swarm {
            kind: "fast drip",
            connections,
            request: Box::new(move |_| head.clone()),
            drip: Some((FAST_DRIP_LENGTH, FAST_DRIP_EVERY)),
        },
    )
}

/// Attacks 11 to 14: each handset, on its own connection, fetches the
/// site's page through the gateway again and again.
fn gateway_pages(t: &Target, deadline: Instant) -> AttackOutcome {
    let requests: Vec<Vec<u8>> = t
        .sessions
        .iter()
        .map(|s| request("GET", &format!("{s}/g/cp/"), &t.addr, GATEWAY_UA, "", None))
        .collect();
    swarm(
        &t.addr,
        deadline,
        Swarm {
            kind: "gateway page",
            connections: requests.len(),
            request: Box::new(move |i| requests[i].clone()),
            drip: None,
        },
    )
}

/// Attack 15, busy logins: My docomo logins of unknown accounts (a new one
/// each time, so that no account's throttle answers first: each asks for
/// an Argon2 check).
fn busy_logins(addr: &str, base: &str, deadline: Instant) -> AttackOutcome {
    let mut rng = Rng::seeded(0);
    let host = addr.to_string();
    let path = format!("{base}/mydocomo/login");
    swarm(
        addr,
        deadline,
        Swarm {
            kind: "My docomo login",
            connections: BUSY_CONNECTIONS,
            request: Box::new(move |_| {
                let (id, password) = (
                    format!("nobody{:x}", rng.next()),
                    format!("pw{:x}", rng.next()),
                );
                let form = form_encode(&[("daccount_id", &id), ("daccount_password", &password)]);
                request("POST", &path, &host, PC_UA, "", Some(form.as_bytes()))
            }),
            drip: None,
        },
    )
}

/// The partner requests of the audit flood, taken in turn. Each is refused
/// past a rate: inquiries and joins after 10 a minute from one address (429),
/// "Forgot your password?" after 30 from one address (the same page, nothing
/// sent), logins of one account after 3 (429).
const PARTNER_KINDS: [Kind; 4] = ["inquiry", "join", "forgot", "login"];

fn partner_request(
    client: &mut Client,
    base: &str,
    which: usize,
    rng: &mut Rng,
) -> io::Result<Reply> {
    let kind = PARTNER_KINDS[which % PARTNER_KINDS.len()];
    let site = format!("{base}/p/plus-member");
    match kind {
        "inquiry" => client.post(
            kind,
            &format!("{site}/r/inquiry"),
            inquiry_form().as_bytes(),
        ),
        "join" => {
            let n = rng.next() % 10_000_000;
            let form = form_encode(&[
                ("login_id", &format!("PM{n:07}")),
                ("email", &format!("flood{n}@example.com")),
                ("nickname", "flood"),
                ("payment_method", "credit_card"),
            ]);
            client.post(kind, &format!("{site}/r/join"), form.as_bytes())
        }
        "forgot" => {
            let form = format!("login_id=PM{:07}", rng.next() % 10_000_000);
            client.post(kind, &format!("{site}/r/forgot"), form.as_bytes())
        }
        _ => client.post(
            kind,
            &format!("{site}/login"),
            b"login_id=PM9999999&password=Wrong-Password-1",
        ),
    }
}

/// The audit log's row count (`X-Total-Count`) for a query such as
/// `&action=admin_login`, read with the admin token.
fn audit_rows(admin: &mut Client, base: &str, query: &str) -> Option<u64> {
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}\r\n");
    let reply = admin
        .get_with(
            "audit read",
            &format!("{base}/api/audit?limit=1{query}"),
            &auth,
        )
        .ok()?;
    reply.header("x-total-count")?.parse().ok()
}

/// One wrong admin token, sent from `GUESSER` (another loopback address, so
/// that the throttle it earns is not the benchmark's own); its status.
fn guess_admin_token(addr: &str, base: &str) -> io::Result<u16> {
    let sock: SocketAddr = addr.parse().map_err(|_| broken("not a socket address"))?;
    let stream = connect_from(GUESSER, sock)?;
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    let mut conn = BufReader::new(stream);
    let req = request(
        "GET",
        &format!("{base}/api/audit?limit=1"),
        addr,
        UA,
        "Authorization: Bearer not-the-admin-token-1234\r\nConnection: close\r\n",
        None,
    );
    conn.get_mut().write_all(&req)?;
    Ok(read_reply(&mut conn)?.status)
}

/// A TCP connection to `to` from the loopback address `from` (any of
/// 127.0.0.0/8 on Linux).
fn connect_from(from: [u8; 4], to: SocketAddr) -> io::Result<TcpStream> {
    use std::os::fd::FromRawFd;
    let SocketAddr::V4(to) = to else {
        return Err(broken("an IPv4 address is needed"));
    };
    let sockaddr = |ip: [u8; 4], port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(ip),
        },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    let (local, remote) = (sockaddr(from, 0), sockaddr(to.ip().octets(), to.port()));
    // SAFETY: a new socket is owned by the TcpStream at once (closed on every
    // error path); bind and connect only read the addresses passed in.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let stream = TcpStream::from_raw_fd(fd);
        if libc::bind(fd, (&local as *const libc::sockaddr_in).cast(), len) != 0
            || libc::connect(fd, (&remote as *const libc::sockaddr_in).cast(), len) != 0
        {
            return Err(io::Error::last_os_error());
        }
        Ok(stream)
    }
}

/// Attack 16, audit flood: 11 wrong admin tokens first (10 are audited as
/// `admin_login`, the 11th is throttled), then 8 clients sending the
/// partner requests in turn; the audit log is read before and after.
fn audit_flood(t: &Target, deadline: Instant) -> AttackOutcome {
    let (addr, base) = (t.addr.as_str(), t.base.as_str());
    let mut out = AttackOutcome::default();
    for _ in 0..ADMIN_GUESSES {
        out.requests += 1;
        let status = guess_admin_token(addr, base).unwrap_or(NO_ANSWER);
        out.tally.status("wrong admin token", status);
    }
    let mut admin = Client::new(addr, CLIENT_TIMEOUT);
    let rows_before = audit_rows(&mut admin, base, "");
    let admin_rows_before = audit_rows(&mut admin, base, "&action=admin_login");
    let flood_started = Instant::now();
    let flood = run_clients(addr, AUDIT_CLIENTS, |i, client| {
        let mut rng = Rng::seeded(i);
        let mut n = i;
        while Instant::now() < deadline {
            let _ = partner_request(client, base, n, &mut rng);
            n += 1;
        }
    });
    let flood_secs = flood_started.elapsed().as_secs_f64();
    let rows_after = audit_rows(&mut admin, base, "");
    let admin_rows_after = audit_rows(&mut admin, base, "&action=admin_login");
    let by_action: Vec<String> = PARTNER_KINDS
        .iter()
        .map(|kind| {
            let rows = audit_rows(
                &mut admin,
                base,
                &format!("&action=partner:plus-member:{kind}"),
            );
            format!("{kind} {}", rows.map_or("?".into(), |n| n.to_string()))
        })
        .collect();
    // Refused: every 429, and every "Forgot" past the address's free ones.
    let answered = |kind: Kind, status: u16| {
        flood
            .tally
            .statuses
            .get(kind)
            .and_then(|s| s.get(&status))
            .copied()
            .unwrap_or(0)
    };
    let refused: u64 = PARTNER_KINDS.iter().map(|k| answered(k, 429)).sum::<u64>()
        + answered("forgot", 200).saturating_sub(FORGOT_FREE_PER_SOURCE);
    let count = |n: Option<u64>| n.map_or("?".into(), |n| n.to_string());
    let written = rows_after
        .zip(rows_before)
        .map(|(a, b)| a.saturating_sub(b));
    let guessed = answered_in(&out.tally, "wrong admin token", 401);
    let wanted = (PARTNER_REQUESTS_PER_SEC as f64 * flood_secs) as u64;
    out.checks = vec![
        Check {
            what: format!(
                "the flood's size: {} partner requests in {flood_secs:.1} s (at least {wanted})",
                flood.requests
            ),
            met: flood.requests >= wanted,
        },
        Check {
            what: format!(
                "audit rows written during the flood: {} for {refused} refused requests \
                 (goal: at most one per {REFUSED_PER_AUDIT_ROW})",
                count(written)
            ),
            met: written.is_some_and(|w| w * REFUSED_PER_AUDIT_ROW <= refused),
        },
        Check {
            what: format!(
                "admin_login rows: {} before the flood ({guessed} wrong tokens answered 401), {} after",
                count(admin_rows_before),
                count(admin_rows_after)
            ),
            met: guessed > 0
                && admin_rows_before.is_some_and(|b| b >= guessed)
                && admin_rows_after >= admin_rows_before,
        },
    ];
    // The sweep (once a minute) keeps the newest LOG_ROWS rows; a 20 s flood
    // meets no sweep, so say when this one would have pushed the oldest out.
    let fills = written.filter(|w| *w > 0).map_or("never".into(), |w| {
        format!("{:.0} s", AUDIT_LOG_ROWS as f64 / (w as f64 / flood_secs))
    });
    out.note = Some(format!(
        "audit rows by action after the flood: {}; rows in the log: {} before the flood, {} after; \
         at this rate the log holds its {AUDIT_LOG_ROWS} rows (the sweep, once a minute, deletes \
         the oldest beyond them) after {fills}",
        by_action.join(", "),
        count(rows_before),
        count(rows_after)
    ));
    out.tally.merge(&admin.tally);
    out.requests += admin.requests;
    out.merge(flood)
}

/// How many `kind` requests a tally has answered `status`.
fn answered_in(tally: &Tally, kind: Kind, status: u16) -> u64 {
    tally
        .statuses
        .get(kind)
        .and_then(|s| s.get(&status))
        .copied()
        .unwrap_or(0)
}

// --------------------------------------------------------------- swarms

/// Many connections, each sending one kind of request again and again: its
/// request, the whole answer read, the next request within a sweep (10 ms)
/// of the answer, on the same connection while the server keeps it open,
/// else on a new one.
struct Swarm<'a> {
    kind: Kind,
    connections: usize,
    /// Connection i's next request: its head and whatever body goes at once.
    request: Box<dyn FnMut(usize) -> Vec<u8> + 'a>,
    /// Body bytes sent after the request, one every this often (fast drip).
    drip: Option<(usize, Duration)>,
}

/// A connection of a swarm.
struct Wire {
    stream: TcpStream,
    /// The request being written, and how much of it has been.
    out: Vec<u8>,
    written: usize,
    /// Body bytes still to drip, how often, and when the next one is due.
    drip_left: usize,
    drip_every: Duration,
    next_drip: Option<Instant>,
    /// When the request went out, while its answer has not come.
    waiting: Option<Instant>,
    incoming: Incoming,
}

/// What looking after a wire found.
enum Step {
    Nothing,
    /// An answer, the bytes of its body, and how long it took.
    Answered(Reply, usize, Duration),
    /// The server closed the connection, while an answer was due or not.
    Closed {
        mid_request: bool,
    },
}

impl Wire {
    fn open(addr: SocketAddr) -> io::Result<Wire> {
        let stream = connect(addr)?;
        stream.set_nonblocking(true)?;
        Ok(Wire {
            stream,
            out: Vec::new(),
            written: 0,
            drip_left: 0,
            drip_every: Duration::ZERO,
            next_drip: None,
            waiting: None,
            incoming: Incoming::default(),
        })
    }

    fn send(&mut self, request: Vec<u8>, drip: Option<(usize, Duration)>) {
        let now = Instant::now();
        self.out = request;
        self.written = 0;
        self.waiting = Some(now);
        (self.drip_left, self.drip_every) = drip.unwrap_or_default();
        self.next_drip = drip.map(|(_, every)| now + every);
    }

    /// Reads what arrived, then writes what is due.
    fn tend(&mut self, buf: &mut [u8]) -> Step {
        loop {
            match self.stream.read(buf) {
                Ok(0) => {
                    return match self.incoming.at_close() {
                        Some((reply, len)) => self.answered(reply, len),
                        None => Step::Closed {
                            mid_request: self.waiting.is_some(),
                        },
                    };
                }
                Ok(n) => {
                    if let Some((reply, len)) = self.incoming.feed(&buf[..n]) {
                        return self.answered(reply, len);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    return Step::Closed {
                        mid_request: self.waiting.is_some(),
                    }
                }
            }
        }
        let closed = Step::Closed {
            mid_request: self.waiting.is_some(),
        };
        if self.written < self.out.len() {
            match self.stream.write(&self.out[self.written..]) {
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return closed,
            }
        } else if let Some(due) = self.next_drip.filter(|due| Instant::now() >= *due) {
            match self.stream.write(b"a") {
                Ok(1) => {
                    self.drip_left -= 1;
                    self.next_drip = (self.drip_left > 0).then(|| due + self.drip_every);
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return closed,
            }
        }
        Step::Nothing
    }

    fn answered(&mut self, reply: Reply, len: usize) -> Step {
        let took = self
            .waiting
            .take()
            .map_or(Duration::ZERO, |at| at.elapsed());
        self.out.clear();
        self.written = 0;
        self.next_drip = None;
        Step::Answered(reply, len, took)
    }
}

/// Runs a swarm until the deadline.
fn swarm(addr: &str, deadline: Instant, mut attack: Swarm) -> AttackOutcome {
    let sock: SocketAddr = addr.parse().expect("a socket address");
    let mut wires: Vec<Option<Wire>> = (0..attack.connections).map(|_| None).collect();
    let mut out = AttackOutcome::default();
    let (mut opened, mut failed, mut closed_mid, mut closed_between) = (0u64, 0u64, 0u64, 0u64);
    let (mut pages, mut page_bytes) = (0u64, 0u64);
    let mut waits_ms: Vec<f64> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while Instant::now() < deadline {
        for (i, slot) in wires.iter_mut().enumerate() {
            if slot.is_none() {
                match Wire::open(sock) {
                    Ok(wire) => {
                        opened += 1;
                        *slot = Some(wire);
                    }
                    Err(_) => {
                        failed += 1;
                        continue;
                    }
                }
            }
            let Some(wire) = slot.as_mut() else { continue };
            if wire.waiting.is_none() {
                out.requests += 1;
                wire.send((attack.request)(i), attack.drip);
            }
            match wire.tend(&mut buf) {
                Step::Nothing => {}
                Step::Answered(reply, len, took) => {
                    out.tally.answer(attack.kind, &reply);
                    waits_ms.push(took.as_secs_f64() * 1000.0);
                    if reply.status == 200 {
                        pages += 1;
                        page_bytes += len as u64;
                    }
                    if reply.closes() {
                        *slot = None;
                    }
                }
                Step::Closed { mid_request } => {
                    if mid_request {
                        closed_mid += 1;
                    } else {
                        closed_between += 1;
                    }
                    *slot = None;
                }
            }
        }
        thread::sleep(SWEEP_EVERY);
    }
    let unanswered = wires
        .iter()
        .flatten()
        .filter(|w| w.waiting.is_some())
        .count();
    waits_ms.sort_by(f64::total_cmp);
    let at = |p: f64| {
        waits_ms
            .get(((p * waits_ms.len() as f64).ceil() as usize).clamp(1, waits_ms.len().max(1)) - 1)
            .map_or("—".into(), |ms| format!("{ms:.0}"))
    };
    let mut note = format!(
        "connections opened × {opened} (connects that failed × {failed}); closed by the server \
         without an answer × {closed_mid}, between requests × {closed_between}; \
         still waiting at the end × {unanswered}; answers came after p50 {} / p99 {} / max {} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    );
    if page_bytes > 0 {
        note.push_str(&format!(
            "; 200 answers × {pages}, {:.1} MB of body",
            page_bytes as f64 / 1e6
        ));
    }
    out.note = Some(note);
    out
}

/// An answer being read from a non-blocking connection. Of a body sent with
/// its length only the first `KEEP_BODY` bytes are kept (enough to tell a
/// page), and the rest counted.
#[derive(Default)]
struct Incoming {
    head: Vec<u8>,
    reply: Option<(Reply, Framing)>,
    /// Body bytes that arrived.
    seen: usize,
}

/// How the end of a body is known.
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

const KEEP_BODY: usize = 8 * 1024;

impl Incoming {
    /// Takes bytes that arrived: the answer and the length of its body once whole.
    fn feed(&mut self, data: &[u8]) -> Option<(Reply, usize)> {
        if self.reply.is_some() {
            return self.body(data);
        }
        self.head.extend_from_slice(data);
        let end = find(&self.head, b"\r\n\r\n")? + 4;
        let rest = self.head.split_off(end);
        self.reply = Some(parse_head(&std::mem::take(&mut self.head)));
        self.body(&rest)
    }

    fn body(&mut self, data: &[u8]) -> Option<(Reply, usize)> {
        let (reply, framing) = self.reply.as_mut()?;
        self.seen += data.len();
        let keep = match framing {
            Framing::Chunked => data.len(),
            _ => data.len().min(KEEP_BODY.saturating_sub(reply.body.len())),
        };
        reply.body.extend_from_slice(&data[..keep]);
        let whole = match framing {
            Framing::Length(n) => self.seen >= *n,
            Framing::Chunked => dechunk(&reply.body).is_some(),
            Framing::UntilClose => false,
        };
        if whole {
            self.finish()
        } else {
            None
        }
    }

    fn finish(&mut self) -> Option<(Reply, usize)> {
        let (mut reply, framing) = self.reply.take()?;
        let seen = std::mem::take(&mut self.seen);
        if let Framing::Chunked = framing {
            reply.body = dechunk(&reply.body).unwrap_or_default();
        }
        Some((reply, seen))
    }

    /// The connection closed: an answer that runs to the close is whole.
    fn at_close(&mut self) -> Option<(Reply, usize)> {
        if !matches!(self.reply, Some((_, Framing::UntilClose))) {
            return None;
        }
        let (mut reply, len) = self.finish()?;
        reply.headers.push(("connection".into(), "close".into()));
        Some((reply, len))
    }
}

/// An answer's status line and headers, and how its body ends.
fn parse_head(head: &[u8]) -> (Reply, Framing) {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status = lines.next().and_then(parse_status).unwrap_or(NO_ANSWER);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let reply = Reply {
        status,
        headers,
        body: Vec::new(),
    };
    let framing = if reply
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        Framing::Chunked
    } else if let Some(len) = reply.header("content-length").and_then(|v| v.parse().ok()) {
        Framing::Length(len)
    } else if status < 200 || status == 204 || status == 304 {
        Framing::Length(0)
    } else {
        Framing::UntilClose
    };
    (reply, framing)
}

/// A chunked body decoded, once all of it (to the last chunk and the
/// trailers' end) has arrived.
fn dechunk(raw: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let line_end = at + find(&raw[at..], b"\r\n")?;
        let size = std::str::from_utf8(&raw[at..line_end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        at = line_end + 2;
        if size == 0 {
            loop {
                let end = at + find(&raw[at..], b"\r\n")?;
                if end == at {
                    return Some(body);
                }
                at = end + 2;
            }
        }
        if raw.len() < at + size + 2 {
            return None;
        }
        body.extend_from_slice(&raw[at..at + size]);
        at += size + 2;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ------------------------------------------------------------- provider

/// How the benchmark's content provider (the site `cp`) answers.
#[derive(Clone, Copy)]
enum Upstream {
    /// The big page at once, its last byte `last_byte_late` after the rest.
    BigPage { last_byte_late: Duration },
    /// Nothing until `STALL` has passed: the request is held.
    Stalled,
}

/// A content provider on a loopback port, a thread per connection; stopped
/// when dropped.
struct Provider {
    addr: String,
    stop: Arc<AtomicBool>,
    /// Requests that reached it.
    requests: Arc<AtomicU64>,
    accept: Option<JoinHandle<()>>,
}

impl Provider {
    fn start(upstream: Upstream) -> Provider {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port for the provider");
        let addr = listener.local_addr().expect("its address").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        let page: Arc<[u8]> = big_page().into();
        let (flag, counted) = (stop.clone(), requests.clone());
        let accept = thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let (flag, counted, page) = (flag.clone(), counted.clone(), page.clone());
                thread::spawn(move || provide(stream, upstream, &page, &flag, &counted));
            }
        });
        Provider {
            addr,
            stop,
            requests,
            accept: Some(accept),
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect(&self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Serves one connection of the gateway: every request head (the gateway's
/// GETs have no body) gets its answer.
fn provide(
    mut stream: TcpStream,
    upstream: Upstream,
    page: &[u8],
    stop: &AtomicBool,
    requests: &AtomicU64,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        if let Some(end) = find(&head, b"\r\n\r\n") {
            head.drain(..end + 4);
            requests.fetch_add(1, Ordering::Relaxed);
            let answered = match upstream {
                Upstream::BigPage { last_byte_late } => {
                    send_big_page(&mut stream, page, last_byte_late)
                }
                Upstream::Stalled => stall(&mut stream, stop),
            };
            if answered.is_err() {
                return;
            }
            continue;
        }
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if timed_out(&e) => {}
            Err(_) => return,
        }
    }
}

fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn send_big_page(stream: &mut TcpStream, page: &[u8], late: Duration) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
        page.len()
    );
    let (most, last) = page.split_at(page.len() - 1);
    stream.write_all(head.as_bytes())?;
    stream.write_all(most)?;
    if !late.is_zero() {
        thread::sleep(late);
    }
    stream.write_all(last)
}

/// Holds a request until `STALL` has passed (then answers a small page), or
/// until the gateway gives up on it.
fn stall(stream: &mut TcpStream, stop: &AtomicBool) -> io::Result<()> {
    let since = Instant::now();
    let mut buf = [0u8; 1024];
    while since.elapsed() < STALL {
        if stop.load(Ordering::Relaxed) {
            return Err(eof());
        }
        match stream.read(&mut buf) {
            Ok(0) => return Err(eof()),
            Ok(_) => {}
            Err(e) if timed_out(&e) => {}
            Err(e) => return Err(e),
        }
    }
    stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: 11\r\n\r\n<p>late</p>",
    )
}

/// The provider's page: `BIG_PAGE_BYTES` of UTF-8 HTML, mostly Japanese
/// text (two bytes a character in Shift_JIS against three in UTF-8, so that
/// the handset's copy fits its 500 KB cache), with a link every 20 lines
/// for the gateway to rewrite.
fn big_page() -> Vec<u8> {
    let mut page =
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">\
                    <title>天気</title></head><body>\n"
            .as_bytes()
            .to_vec();
    let tail = b"</body></html>\n";
    for n in 0u32.. {
        let line = if n.is_multiple_of(20) {
            format!("<a href=\"day{n}.html\">{n}日目の天気</a><br>\n")
        } else {
            format!("{n}:今日の天気は晴れのち曇り、降水確率は三十パーセントです。<br>\n")
        };
        if page.len() + line.len() + tail.len() > BIG_PAGE_BYTES {
            break;
        }
        page.extend_from_slice(line.as_bytes());
    }
    page.resize(BIG_PAGE_BYTES - tail.len(), b' ');
    page.extend_from_slice(tail);
    page
}

/// A copy of the shipped menus in `dir` whose Menu list has one more site,
/// `cp` ("CP site", free, official), at `upstream`.
fn menus_with_site(dir: &Path, upstream: &str) -> PathBuf {
    copy_dir(&shipped_menus(), dir);
    let sites = dir.join("sites.toml");
    let text = std::fs::read_to_string(&sites).expect("the shipped sites.toml");
    let node = "children = [\"s-transit\", \"s-gourmet\"]";
    assert!(
        text.contains(node),
        "menus/sites.toml no longer has the node this benchmark adds its site to"
    );
    let mut text = text.replace(node, "children = [\"s-transit\", \"s-gourmet\", \"s-cp\"]");
    text.push_str(&format!(
        "\n[[node]]\nid = \"s-cp\"\nja = \"CPサイト\"\nen = \"CP site\"\naction = \"site:cp\"\n\
         \n[[site]]\nid = \"cp\"\nja = \"CPサイト\"\nen = \"CP site\"\nabout_ja = \"外部\"\n\
         about_en = \"Outside\"\nupstream = \"http://{upstream}/cp/\"\n"
    ));
    std::fs::write(&sites, text).expect("the menus copy is writable");
    dir.to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a folder for the menus");
    for entry in std::fs::read_dir(from).expect("the shipped menus") {
        let path = entry.expect("a menu file").path();
        let target = to.join(path.file_name().expect("a file name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("a menu file copied");
        }
    }
}

/// Powers on `n` P-07B handsets on the seeded lines 0..n (pages in English)
/// in the world at `world`; returns their session prefixes (`{world}/s/{sid}`).
fn power_on_handsets(addr: &str, world: &str, n: usize) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let threads = 8;
    let sessions = Mutex::new(vec![String::new(); n]);
    thread::scope(|scope| {
        for first in 0..threads {
            let sessions = &sessions;
            scope.spawn(move || {
                let mut client = Client::new(addr, CLIENT_TIMEOUT).with_ua(GATEWAY_UA);
                for i in (first..n).step_by(threads) {
                    let base =
                        handset_session(&mut client, world, &seeded_msisdn(i as u64), ENGLISH)
                            .expect("a seeded line powers on");
                    sessions.lock().unwrap_or_else(|p| p.into_inner())[i] = path_of(&base);
                }
            });
        }
    });
    sessions.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// The path of a URL (`http://host/s/x` is `/s/x`); a path stays as it is.
fn path_of(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/".into(), |i| rest[i..].to_string()),
        None => url.to_string(),
    }
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
    /// The same probes in the default world, while an attack runs in another.
    menu_default: Option<MenuStats>,
    fresh_default: Option<FreshStats>,
    /// Answers to the attack clients (the probes' are in `menu` and `fresh`).
    tally: Tally,
    note: Option<String>,
    /// The attack's own goals beyond the table's columns.
    checks: Vec<Check>,
    /// Cores used while the attack ran.
    cpu: Option<CpuUse>,
    log: LogSummary,
    took: Duration,
}

impl AttackResult {
    /// 5xx answers (other than documented pages) to the attack clients and
    /// the probes together.
    fn server_errors(&self) -> u64 {
        self.tallies().map(Tally::server_errors).sum()
    }

    /// Documented 5xx pages of one kind, to the attack clients and the probes together.
    fn documented(&self, page: Documented) -> u64 {
        self.tallies().map(|t| t.documented(page)).sum()
    }

    fn tallies(&self) -> impl Iterator<Item = &Tally> {
        [
            Some(&self.tally),
            self.menu.as_ref().map(|m| &m.tally),
            self.fresh.as_ref().map(|f| &f.tally),
            self.menu_default.as_ref().map(|m| &m.tally),
            self.fresh_default.as_ref().map(|f| &f.tally),
        ]
        .into_iter()
        .flatten()
    }
}

/// "first start": a new server on a new database, starting and idling.
fn first_start(dir: &Path, settings: &Settings, total: usize) -> AttackResult {
    let idle = settings.secs(2);
    eprintln!(
        "[abuse 0/{total}] first start: starting (idles {} s)",
        idle.as_secs()
    );
    let started = Instant::now();
    let log = dir.join("first-start.log");
    let mut server = Server::spawn(
        &Db::File(dir.join("first-start.db")),
        &shipped_menus(),
        &log,
    );
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
        menu_default: None,
        fresh_default: None,
        tally: Tally::default(),
        note: Some(format!(
            "listening after {:.0} ms",
            listening.as_secs_f64() * 1000.0
        )),
        checks: Vec::new(),
        cpu: None,
        log: LogSummary::read(&log),
        took: started.elapsed(),
    };
    eprintln!(
        "[abuse 0/{total}] first start: done, peak RSS {:.1} MiB",
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
    let db = plan.db.prepare(dir, &file, settings.in_world);
    let log = dir.join(format!("{file}.log"));
    let provider = plan.upstream.map(Provider::start);
    let menus = match &provider {
        Some(p) => menus_with_site(&dir.join(format!("{file}-menus")), &p.addr),
        None => shipped_menus(),
    };
    let server = Server::start(&db, &menus, &log);
    let pid = server.pid();
    let base = if settings.in_world {
        let id = make_world(&server.addr);
        if let (DbSetup::Seeded(lines), Db::File(path)) = (plan.db, &db) {
            seed_world(path, &id, lines);
        }
        format!("/w/{id}")
    } else {
        String::new()
    };
    let target = Target {
        addr: server.addr.clone(),
        sessions: power_on_handsets(&server.addr, &base, plan.handsets),
        base,
    };
    let menu = MenuProbe::start(&server.addr, &target.base);
    let menu_default = settings
        .in_world
        .then(|| MenuProbe::start(&server.addr, ""));
    let before = sample(pid);
    let sampler = Sampler::start(pid);
    let fresh = plan
        .connection_probe
        .then(|| FreshProbe::start(&server.addr, &target.base));
    let fresh_default =
        (plan.connection_probe && settings.in_world).then(|| FreshProbe::start(&server.addr, ""));
    let started = Instant::now();
    let cpu_before = CpuTimes::now(pid);
    let outcome = (plan.run)(&target, started + secs);
    let took = started.elapsed();
    let cpu = cpu_before.used_until(&CpuTimes::now(pid));
    let menu = menu.finish();
    let fresh = fresh.map(FreshProbe::finish);
    let menu_default = menu_default.map(MenuProbe::finish);
    let fresh_default = fresh_default.map(FreshProbe::finish);
    let samples = sampler.finish();
    thread::sleep(Duration::from_millis(500));
    let after = sample(pid);
    let limits = limits_hit(&server.addr);
    drop(server);
    let mut note = outcome.note;
    let limits = format!(
        "limits hit (/metrics): {}",
        limits.as_deref().unwrap_or("not read")
    );
    note = Some(note.map_or(limits.clone(), |n| format!("{n}; {limits}")));
    if let Some(provider) = provider {
        let reached = format!(
            "requests that reached the provider × {}",
            provider.requests.load(Ordering::Relaxed)
        );
        note = Some(note.map_or(reached.clone(), |n| format!("{n}; {reached}")));
    }
    let result = AttackResult {
        name: plan.name,
        requests: Some(outcome.requests),
        memory: Memory::of(Some(before), &samples, after),
        menu: Some(menu),
        fresh,
        menu_default,
        fresh_default,
        tally: outcome.tally,
        note,
        checks: outcome.checks,
        cpu: Some(cpu),
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

/// The limits that bit since the server started, from `/metrics`
/// (`garake_limit_hits_total`, those above zero), read with the admin token.
fn limits_hit(addr: &str) -> Option<String> {
    let mut admin = Client::new(addr, CLIENT_TIMEOUT);
    let auth = format!("Authorization: Bearer {ADMIN_TOKEN}\r\n");
    let reply = admin.get_with("metrics", "/metrics", &auth).ok()?;
    if reply.status != 200 {
        return None;
    }
    let text = String::from_utf8_lossy(&reply.body);
    let hits: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("garake_limit_hits_total{limit=\""))
        .filter_map(|rest| {
            let (limit, n) = rest.split_once("\"} ")?;
            let n: u64 = n.trim().parse().ok()?;
            (n > 0).then(|| format!("{limit} × {n}"))
        })
        .collect();
    Some(if hits.is_empty() {
        "none".into()
    } else {
        hits.join(", ")
    })
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

/// The documented 5xx pages: busy pages (503), and the gateway's page for a
/// site that did not answer in time (502) after them when there were any.
fn documented_cell(r: &AttackResult) -> String {
    let (busy, slow) = (
        r.documented(Documented::Busy),
        r.documented(Documented::SiteTooSlow),
    );
    if slow > 0 {
        format!("{busy} · {slow}")
    } else {
        busy.to_string()
    }
}

fn row(r: &AttackResult, in_world: bool) -> String {
    let errors = r.server_errors();
    let mut cells = vec![
        mark(r.name.to_string(), r.checks.iter().any(|c| !c.met)),
        r.requests.map_or("—".into(), |n| n.to_string()),
        memory_cell(&r.memory),
        r.memory.fds_peak.to_string(),
        menu_cell(r.menu.as_ref()),
        failures_cell(r.menu.as_ref()),
        mark(errors.to_string(), errors > 0),
        documented_cell(r),
        fresh_cell(r.fresh.as_ref()),
    ];
    if in_world {
        let failures = r
            .menu_default
            .as_ref()
            .map_or(String::new(), |m| format!(" ({})", failures_cell(Some(m))));
        cells.push(format!("{}{failures}", menu_cell(r.menu_default.as_ref())));
        cells.push(fresh_cell(r.fresh_default.as_ref()));
    }
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
    if let Some(m) = &r.menu_default {
        parts.push(format!(
            "default world's menu probe: {} fetches, {}",
            m.latencies_ms.len() as u64 + m.failures,
            m.tally.describe()
        ));
    }
    if let Some(f) = &r.fresh_default {
        parts.push(format!(
            "default world's GET / probe: {}",
            f.tally.describe()
        ));
    }
    if let Some(note) = &r.note {
        parts.push(note.clone());
    }
    if let Some(cpu) = &r.cpu {
        parts.push(format!(
            "cores used: server {:.2}, benchmark {:.2}, other processes {:.2}",
            cpu.server, cpu.bench, cpu.others
        ));
    }
    parts.push(format!(
        "server log: {} warnings, {} errors",
        r.log.warnings, r.log.errors
    ));
    let mut text = format!("- **{}**: {}", r.name, parts.join("; "));
    for check in &r.checks {
        let verdict = if check.met { "met" } else { "missed ✗" };
        text.push_str(&format!("\n  - goal {verdict}: {}", check.what));
    }
    if let Some(first) = &r.log.first {
        text.push_str(&format!("\n  - first logged: `{first}`"));
    }
    text
}

fn print_report(cores: usize, load: Option<f64>, settings: &Settings, results: &[AttackResult]) {
    let cap = settings
        .cap
        .map_or("default durations".into(), |s| format!("ABUSE_SECS={s}"));
    let load = load.map_or(String::new(), |l| {
        format!(", load average {l:.2} at the start")
    });
    let inside = if settings.in_world {
        ", every attack inside a world: its pages and the first probes under /w/{id}"
    } else {
        ""
    };
    println!("## garake abuse benchmark ({cores} cores{load}, {cap}{inside})\n");
    if settings.in_world {
        println!("| attack | requests | RSS MiB before / peak / after | fds peak | menu p50 / p99 ms | probe failures | 5xx | busy 503 (· site 502) | GET / worst ms (no answer in 1 s) | default world: menu p50 / p99 ms (failures) | default world: GET / worst ms (no answer in 1 s) |");
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    } else {
        println!("| attack | requests | RSS MiB before / peak / after | fds peak | menu p50 / p99 ms | probe failures | 5xx | busy 503 (· site 502) | GET / worst ms (no answer in 1 s) |");
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    }
    for r in results {
        println!("{}", row(r, settings.in_world));
    }
    println!(
        "\nGoals: RSS ≤ {RSS_GOAL_MIB:.0} MiB at every sample, 0 × 5xx, menu p99 < {P99_GOAL_MS:.0} ms \
         (a probe failure is a fetch that failed or took over {} s), GET / within {} s. ✗ marks a miss. \
         The documented 5xx pages are counted apart, not in the 5xx column: the busy page \
         (503 with `Retry-After`) and the gateway's page for a site that did not answer in \
         time (502). An attack with goals of its own lists them under its answers, and its \
         name is marked ✗ if it missed one.\n",
        PROBE_TIMEOUT.as_secs(),
        FRESH_GOAL.as_secs()
    );
    println!("### Answers by status\n");
    for r in results {
        println!("{}", details(r));
    }
}
