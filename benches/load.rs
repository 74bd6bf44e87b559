//! Load benchmark (run by hand: `cargo bench --bench load`; needs `wrk`).
//!
//! 1. Throughput: the iMenu page of a P501i session against a bare hyper 1
//!    server answering every request with a fixed body of the same size and
//!    only a Content-Type (asked for the same path with the same headers, so
//!    both parse the same request), and against the same bare server
//!    answering with garake's header lines as well (its security policies:
//!    what the page costs to write, send and parse apart from garake's own
//!    work); the three loaded in turn with wrk in the same run. Per pair and
//!    as medians: the ratios garake/bare (the goal: ≥ 0.9) and garake/same
//!    head, and each serving process's CPU time (user + system) per answer.
//! 2. Isolation: menu-page latency while 8 clients flood My docomo logins with
//!    unknown accounts (one Argon2 check each), and the login throughput against
//!    cores ÷ Argon2 time.
//! 3. Scale: startup time, idle RSS, and menu and API latency with 1,000 and
//!    100,000 lines.
//!
//! Environment: BENCH_SECS (seconds per run, default 5), BENCH_PAIRS (default 5).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{baseline, baseline_with, env_num, need_wrk, page_headers, rss_mib, wrk, Against, UA};

/// A running garake and its address.
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

fn garake(db: &std::path::Path) -> (Garake, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_garake"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--admin-token",
            "load-bench-admin-token",
            "--db",
        ])
        .arg(db)
        .args(["--menus", concat!(env!("CARGO_MANIFEST_DIR"), "/menus")])
        .env("GARAKE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("garake starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("readable");
    let took = started.elapsed();
    std::thread::spawn(move || for _ in lines {});
    let addr = first
        .trim_start_matches("garake listening on http://")
        .to_string();
    (Garake { child, addr }, took)
}

/// One GET; returns (status, headers, body).
fn get(addr: &str, path: &str, extra: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {UA}\r\nConnection: close\r\n{extra}\r\n").expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("complete");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head, raw[split + 4..].to_vec())
}

/// Powers on as Taro and returns the iMenu path, its body size and its
/// answer's head.
fn imenu(addr: &str, msisdn: &str) -> (String, usize, String) {
    let (_, head, _) = get(addr, &format!("/on/{msisdn}"), "");
    let location = head
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .expect("a redirect to iMenu");
    // The Location is absolute: keep its path.
    let location = location
        .strip_prefix("http://")
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .unwrap_or_else(|| location.to_string());
    let (status, head, body) = get(addr, &location, "");
    assert_eq!(status, 200);
    (location, body.len(), head)
}

fn main() {
    need_wrk();
    let secs = env_num("BENCH_SECS", 5);
    let pairs = env_num("BENCH_PAIRS", 5);
    let dir = tempfile::tempdir().expect("temp dir");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "# garake load benchmark: {cores} cores, {secs} s per run, {pairs} rounds, wrk -t2 -c32"
    );

    // 1. Throughput against the baselines.
    let (server, _) = garake(&dir.path().join("bench.db"));
    let (path, size, head) = imenu(&server.addr, "09012340001");
    let base = baseline(size);
    let headers = page_headers(&head);
    let same = baseline_with(size, headers.clone());
    println!("\n## iMenu page ({size} bytes, Shift_JIS) vs bare hyper 1 with a {size}-byte body");
    println!(
        "bare: Content-Type only; same head: also garake's {} other header lines ({}); \
         CPU: the serving process's user + system time per answer",
        headers.len() - 1,
        headers
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| *n != "content-type")
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("round | {}", Against::COLUMNS);
    let mut against = Against::default();
    let pid = server.child.id();
    for round in 1..=pairs {
        let row = against.round(&base, &same, &server.addr, pid, &path, secs);
        println!("{round:>5} | {row}");
    }
    println!("{} (goal: garake/bare ≥ 0.9)", against.summary());

    // 2. Isolation: menu pages while PIN checks flood the Argon2 pool.
    let script = dir.path().join("logins.lua");
    std::fs::write(
        &script,
        "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n\
         request = function()\n  return wrk.format(nil, \"/mydocomo/login\", nil, \"daccount_id=bench\" .. math.random(1, 1000000000) .. \"&daccount_password=not-the-password\")\nend\n",
    )
    .expect("write the lua script");
    let hasher = garake::pin::PinHasher::new(vec![7; 32], 1);
    let t = Instant::now();
    let phc = hasher.hash("0000");
    for _ in 0..10 {
        hasher.verify("1111", &phc);
    }
    let argon_ms = t.elapsed().as_secs_f64() * 1000.0 / 11.0;
    // The pool's real ceiling: one verification per core at once (they share
    // memory bandwidth, so this is below cores ÷ single-check time).
    let t = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..cores {
            scope.spawn(|| {
                for _ in 0..10 {
                    hasher.verify("1111", &phc);
                }
            });
        }
    });
    let parallel_rate = (cores * 10) as f64 / t.elapsed().as_secs_f64();
    let flood_url = format!("http://{}/", server.addr);
    let flood_script = script.to_string_lossy().to_string();
    // First the flood alone: what the Argon2 pool delivers with the cores to itself.
    let alone = wrk(&flood_url, 8, secs, Some(&flood_script));
    let flood = std::thread::spawn(move || wrk(&flood_url, 8, secs * 2, Some(&flood_script)));
    std::thread::sleep(Duration::from_millis(500));
    let menu = wrk(&format!("http://{}{path}", server.addr), 8, secs, None);
    let logins = flood.join().expect("flood finished");
    println!("\n## Isolation: 8 clients flooding My docomo logins (1 Argon2 check each)");
    println!("Argon2id verify (m=19 MiB, t=2, p=1): {argon_ms:.1} ms; cores ÷ Argon2 time = {:.0} checks/s", cores as f64 * 1000.0 / argon_ms);
    println!("{cores} verifications at once, in-process: {parallel_rate:.0} checks/s");
    println!(
        "login checks over HTTP alone: {:.0} /s ({:.0}% of cores ÷ Argon2 time, {:.0}% of the in-process parallel rate)",
        alone.rps,
        alone.rps * argon_ms / (cores as f64 * 10.0),
        alone.rps * 100.0 / parallel_rate
    );
    println!(
        "login checks while the menu load runs: {:.0} /s ({} answers in all, each a 401 refusal or a 503 busy page)",
        logins.rps, logins.non_2xx
    );
    println!(
        "menu page meanwhile: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms (goal: p99 < 10 ms)",
        menu.rps, menu.p50_ms, menu.p99_ms
    );
    drop(server);

    // 3. Scale.
    println!("\n## Scale");
    println!("lines    seed s  startup ms  idle RSS MiB | menu p50/p99 ms | API p50/p99 ms");
    for lines in [1_000u32, 100_000] {
        let db = dir.path().join(format!("scale-{lines}.db"));
        let t = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_garake"))
            .args(["seed", "--lines", &lines.to_string(), "--db"])
            .arg(&db)
            .stdout(Stdio::null())
            .status()
            .expect("seed runs");
        assert!(status.success());
        let seeded = t.elapsed().as_secs_f64();
        let (server, startup) = garake(&db);
        std::thread::sleep(Duration::from_millis(500));
        let rss = rss_mib(server.child.id());
        // The last seeded line: the far end of the table.
        let last = format!("070{:08}", lines - 1);
        let (path, _, _) = imenu(&server.addr, &last);
        let menu = wrk(&format!("http://{}{path}", server.addr), 8, secs, None);
        let api_script = dir.path().join("api.lua");
        std::fs::write(
            &api_script,
            "wrk.headers[\"Authorization\"] = \"Bearer load-bench-admin-token\"\n",
        )
        .expect("write");
        let api = wrk(
            &format!("http://{}/api/lines/{last}", server.addr),
            8,
            secs,
            Some(&api_script.to_string_lossy()),
        );
        println!(
            "{lines:>7}  {seeded:>6.2}  {:>10.1}  {rss:>12.1} | {:>6.2} / {:>6.2} | {:>5.2} / {:>5.2}",
            startup.as_secs_f64() * 1000.0,
            menu.p50_ms,
            menu.p99_ms,
            api.p50_ms,
            api.p99_ms
        );
    }
}
