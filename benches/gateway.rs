//! Gateway benchmark: a content provider's page fetched through garake's
//! gateway against the same page fetched through a bare reverse proxy.
//!
//! Run by hand against the release binary (needs `wrk`: `apt-get install wrk`):
//!
//! ```text
//! cargo bench --bench gateway                            # 9 pairs of 3 s runs
//! BENCH_SECS=2 BENCH_PAIRS=2 cargo bench --bench gateway # quick run
//! ```
//!
//! What runs, all on this machine:
//!
//! - The content provider: a bare hyper 1 server (its own thread, a one-worker
//!   tokio runtime) answering every `GET /cp/...` with one fixed page of about
//!   2 KB of Shift_JIS cHTML (`Content-Type: text/html; charset=Shift_JIS`):
//!   a Content-Type `<meta>`, a title, Japanese paragraphs, ten absolute links
//!   `http://UPSTREAM/cp/pageN.html`, a `guid=ON` link and a post form with a
//!   hidden `uid=NULLGWDOCOMO`.
//! - garake (the release binary, `--db :memory:`, `GARAKE_LOG=warn`) with a
//!   temporary copy of the shipped `menus/` plus one unofficial site `bench`
//!   whose upstream is that server. One P903i session
//!   (`DoCoMo/2.0 P903i(c100;TB;W24H12)`, demo line 09012340001) is powered
//!   on once and used by every run; before measuring, the gateway page is
//!   fetched once and checked (200, Shift_JIS, links rewritten into
//!   `/s/{sid}/g/bench/`), and again after the last run.
//! - The baseline: a bare hyper 1 reverse proxy in a process of its own, as
//!   garake is (this executable started again; a tokio runtime with one
//!   worker per core, like garake's), that forwards each request's path and
//!   query (and User-Agent) to the content provider with one shared pooled
//!   `hyper_util` legacy client (`HttpConnector`, http only), collects the
//!   body and answers status, Content-Type and body unchanged. Being a
//!   process apart from the upstream as garake is, it pays the same switches
//!   between address spaces, and its CPU time is read from its own `/proc`
//!   entry as garake's is.
//!
//! The provider's page is the same on every answer, so from the second on
//! garake answers it from its kept rewrite (the template with the session's
//! path spliced in); `GARAKE_GATEWAY_CACHE_MIB=0` in the environment (both
//! garakes inherit it) keeps none and measures the whole pass on every
//! answer.
//!
//! wrk (`-t2 -c32 --latency`, the P903i User-Agent) loads
//! `http://GARAKE/s/{sid}/g/bench/index.html` and `http://PROXY/cp/index.html`
//! alternately: a short warm-up of each, then BENCH_PAIRS pairs (which of the
//! two goes first alternates from pair to pair). The Markdown report gives per
//! pair the requests per second, average and p99 latency of each and the ratio
//! garake/proxy, then the median ratio against the product goal (≥ 0.7× the
//! bare proxy) with the spread of the pairs, and garake's RSS (`VmRSS`) before and after the load. A run
//! with non-2xx answers or more than a handful of socket errors is marked and
//! makes the benchmark exit with status 1 after the report. Progress goes to
//! stderr, one line per run. garake and the proxy end with the benchmark, also
//! when it is interrupted.
//!
//! Environment: `BENCH_SECS` (seconds per measured run, default 3),
//! `BENCH_PAIRS` (default 9; `0` prints only the sanitizer's in-process
//! figure, the quick loop while working on the sanitizer),
//! `BENCH_OTHER_GARAKE` (another garake executable, say a release build of
//! an earlier commit: started the same way beside this build's, each pair
//! becomes a round of three whose order turns from round to round, and the
//! report adds the other's ratio to the proxy and, pair by pair, this
//! build's requests per second and CPU per answer over the other's — a
//! change decided by measurement in one run). Many short pairs
//! rather than a few long ones: on a shared machine the speed of both
//! servers drifts over tens of seconds, and the two runs of a short pair
//! see much the same machine; the median of nine is steadier than of five.

mod common;

use std::convert::Infallible;
use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

use common::{cpu_secs, median, rss_mib};

const UA: &str = "DoCoMo/2.0 P903i(c100;TB;W24H12)";
const LINE: &str = "09012340001";
const ADMIN_TOKEN: &str = "gateway-bench-admin-token";
const SITE: &str = "bench";
/// The product goal: garake's gateway at least this fraction of the bare proxy.
const GOAL: f64 = 0.7;
/// Socket errors (connect, read, write, timeout) a run may have.
const SOCKET_ERRORS_OK: u64 = 5;
const WARMUP_SECS: u64 = 1;
/// The page's size must fall in this range (bytes).
const PAGE_BYTES: std::ops::RangeInclusive<usize> = 1800..=2300;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------- upstream

/// The content provider's page for an upstream at `addr`, in Shift_JIS.
fn page(addr: &str) -> Bytes {
    let base = format!("http://{addr}/cp");
    let headlines = [
        "今日の天気予報",
        "週間天気",
        "花粉情報",
        "地震・津波情報",
        "交通情報",
        "スポーツ速報",
        "芸能ニュース",
        "占い",
        "待受画像",
        "着メロ新着",
    ];
    let mut html = String::new();
    html.push_str("<html><head>\n");
    html.push_str("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">\n");
    html.push_str("<title>ケータイ天気ニュース</title>\n</head>\n");
    html.push_str("<body bgcolor=\"#ffffff\" text=\"#000000\" link=\"#0000ff\">\n");
    html.push_str("<center><font color=\"#ff6600\">■ケータイ天気ニュース■</font></center>\n<hr>\n");
    html.push_str(
        "<p>本日は全国的に高気圧に覆われ、朝から晴れる所が多いでしょう。\
         ただし、午後は大気の状態が不安定となり、山沿いを中心に雷雨の所がありそうです。\
         お出かけの際は折りたたみ傘があると安心です。</p>\n",
    );
    html.push_str(
        "<p>東京の最高気温は二十八度、大阪は三十度の予想です。\
         熱中症に注意して、こまめに水分を補給してください。\
         明日は西から天気が下り坂となり、夜には九州で雨が降り出すでしょう。</p>\n",
    );
    html.push_str(
        "<p>週末は行楽日和となる見込みです。紅葉の見ごろは北から徐々に南下しており、\
         各地の名所では多くの人出が予想されます。最新の情報は下のメニューからどうぞ。</p>\n",
    );
    html.push_str("<hr>\n");
    for (i, headline) in headlines.iter().enumerate() {
        let n = i + 1;
        let key = if n == 10 { 0 } else { n };
        html.push_str(&format!(
            "<a href=\"{base}/page{n}.html\" accesskey=\"{key}\">{key}.{headline}</a><br>\n"
        ));
    }
    html.push_str("<hr>\n");
    html.push_str(&format!(
        "<a href=\"{base}/my?guid=ON\">マイページ(かんたんログイン)</a><br>\n"
    ));
    html.push_str(&format!(
        "<form action=\"{base}/post\" method=\"post\">\n\
         <input type=\"hidden\" name=\"uid\" value=\"NULLGWDOCOMO\">\n\
         ニックネーム:<input type=\"text\" name=\"nick\" size=\"10\" istyle=\"1\"><br>\n\
         <input type=\"submit\" value=\"会員登録\">\n</form>\n"
    ));
    html.push_str("<hr>\n<center>(c)2006 ケータイ天気ニュース</center>\n</body></html>\n");
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&html);
    assert!(!unmappable, "the page's text is all in Shift_JIS");
    Bytes::from(bytes.into_owned())
}

/// A test server's answer to one request.
type Reply = Pin<Box<dyn Future<Output = Response<Full<Bytes>>> + Send>>;
/// A test server's request handler.
type Handler = Box<dyn Fn(Request<Incoming>) -> Reply + Send + Sync>;

/// Serves on 127.0.0.1 from its own thread and tokio runtime (`workers`
/// worker threads) the handler `make` builds from the address; returns the address.
fn serve(workers: usize, make: impl FnOnce(&str) -> Handler + Send + 'static) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr").to_string();
            let handler: Arc<Handler> = Arc::new(make(&addr));
            tx.send(addr).expect("send addr");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let handler = handler.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let answer = handler(req);
                        async move { Ok::<_, Infallible>(answer.await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    rx.recv().expect("server address")
}

/// The content provider: every `GET /cp/...` gets the page; returns (address, page size).
fn upstream() -> (String, usize) {
    let (size_tx, size_rx) = std::sync::mpsc::channel();
    let addr = serve(1, move |addr| {
        let body = page(addr);
        size_tx.send(body.len()).expect("send size");
        Box::new(move |req: Request<Incoming>| -> Reply {
            let body = body.clone();
            Box::pin(async move {
                if req.method() != hyper::Method::GET || !req.uri().path().starts_with("/cp/") {
                    let mut r = Response::new(Full::new(Bytes::from_static(b"not found")));
                    *r.status_mut() = StatusCode::NOT_FOUND;
                    return r;
                }
                let mut r = Response::new(Full::new(body));
                r.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    "text/html; charset=Shift_JIS".parse().expect("valid"),
                );
                r
            })
        })
    });
    (addr, size_rx.recv().expect("page size"))
}

/// Set in the environment of this benchmark's own executable started again
/// as the proxy: the upstream's address.
const PROXY_FOR: &str = "GATEWAY_BENCH_PROXY_FOR";

/// The baseline in a process of its own, as garake is: this executable
/// started again with `PROXY_FOR` set, which prints its address and serves
/// until killed.
fn proxy_process(upstream: &str) -> Spawned {
    let mut command = Command::new(std::env::current_exe().expect("this executable"));
    let (child, addr) = start(command.env(PROXY_FOR, upstream), "the proxy");
    Spawned { child, addr }
}

/// Starts `command` with its output piped; returns it and the first line it
/// prints (the rest is read and dropped, so it never waits on a full pipe).
/// The server ends with this process, even when the benchmark is interrupted.
fn start(command: &mut Command, what: &str) -> (Child, String) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec and makes
    // one system call (prctl sets the signal the child gets when its parent
    // ends); it allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("{what} printed nothing (see its errors above)"))
        .expect("readable");
    std::thread::spawn(move || for _ in lines {});
    (child, first)
}

/// The baseline: a bare reverse proxy to `upstream` with one pooled client.
fn proxy(upstream: String) -> String {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    serve(workers, move |_| {
        let client: Client<HttpConnector, Empty<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        Box::new(move |req: Request<Incoming>| -> Reply {
            let client = client.clone();
            let pq = req
                .uri()
                .path_and_query()
                .map_or("/", |pq| pq.as_str())
                .to_string();
            let url = format!("http://{upstream}{pq}");
            let ua = req.headers().get(hyper::header::USER_AGENT).cloned();
            Box::pin(async move {
                let mut out = Request::get(url);
                if let Some(ua) = ua {
                    out = out.header(hyper::header::USER_AGENT, ua);
                }
                let out = out.body(Empty::new()).expect("a request");
                let failed = || {
                    let mut r = Response::new(Full::new(Bytes::from_static(b"bad gateway")));
                    *r.status_mut() = StatusCode::BAD_GATEWAY;
                    r
                };
                let Ok(resp) = client.request(out).await else {
                    return failed();
                };
                let status = resp.status();
                let content_type = resp.headers().get(hyper::header::CONTENT_TYPE).cloned();
                let Ok(body) = resp.into_body().collect().await else {
                    return failed();
                };
                let mut r = Response::new(Full::new(body.to_bytes()));
                *r.status_mut() = status;
                if let Some(ct) = content_type {
                    r.headers_mut().insert(hyper::header::CONTENT_TYPE, ct);
                }
                r
            })
        })
    })
}

// ------------------------------------------------------------------ garake

/// A server in a process of its own (garake, or the proxy) and its
/// address; killed when dropped.
struct Spawned {
    child: Child,
    addr: String,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies a folder recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the menus copy");
    for entry in std::fs::read_dir(from).expect("read menus") {
        let entry = entry.expect("a menus entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a menus file");
        }
    }
}

/// The shipped menus plus the unofficial site `bench` at `upstream`.
fn menus(dir: &Path, upstream: &str) -> std::path::PathBuf {
    let menus = dir.join("menus");
    copy_dir(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/menus")),
        &menus,
    );
    let sites = menus.join("sites.toml");
    let mut text = std::fs::read_to_string(&sites).expect("read sites.toml");
    text.push_str(&format!(
        "\n[[site]]\nid = \"{SITE}\"\nja = \"ベンチ天気\"\nen = \"Bench Weather\"\n\
         about_ja = \"ゲートウェイの計測用サイト。\"\nabout_en = \"The gateway benchmark's site.\"\n\
         upstream = \"http://{upstream}/cp/\"\nofficial = false\n"
    ));
    std::fs::write(&sites, text).expect("write sites.toml");
    menus
}

fn garake(binary: &Path, menus: &Path) -> Spawned {
    let mut command = Command::new(binary);
    command
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            ":memory:",
            "--admin-token",
            ADMIN_TOKEN,
            "--menus",
        ])
        .arg(menus)
        .env("GARAKE_LOG", "warn")
        .env("NO_COLOR", "1");
    let (child, first) = start(&mut command, "garake");
    let addr = first
        .strip_prefix("garake listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .trim()
        .to_string();
    Spawned { child, addr }
}

/// One answer: status, head (lower-cased header names as sent), body.
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }
}

/// A chunked body, unchunked.
fn unchunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = std::str::from_utf8(&raw[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 || raw.len() < eol + 2 + size {
            return out;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[(eol + 4 + size).min(raw.len())..];
    }
}

/// One GET as the P903i, on its own connection.
fn get(addr: &str, path: &str) -> Answer {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {UA}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete answer");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut answer = Answer {
        status,
        head,
        body: raw[split + 4..].to_vec(),
    };
    if answer
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        answer.body = unchunk(&answer.body);
    }
    answer
}

/// Powers the P903i on and returns its session id.
fn power_on(addr: &str) -> String {
    let on = get(addr, &format!("/on/{LINE}"));
    assert_eq!(on.status, 303, "power-on redirects: {}", on.head);
    let location = on.header("location").expect("a Location").to_string();
    let path = location
        .find("/s/")
        .map(|i| &location[i..])
        .unwrap_or_else(|| panic!("a session path in {location}"));
    let sid = path["/s/".len()..]
        .split('/')
        .next()
        .expect("a session id")
        .to_string();
    assert!(!sid.is_empty(), "a session id in {location}");
    sid
}

/// Fetches the gateway page once and checks it really went through the
/// gateway: 200, Shift_JIS, every link rewritten. Returns its size.
fn check_gateway(addr: &str, path: &str, sid: &str, upstream: &str) -> usize {
    let a = get(addr, path);
    assert_eq!(
        a.status,
        200,
        "the gateway page: {}\n{}",
        a.head,
        String::from_utf8_lossy(&a.body)
    );
    let ct = a.header("content-type").unwrap_or_default().to_string();
    assert!(
        ct.to_ascii_lowercase().contains("shift_jis"),
        "a Shift_JIS page, got Content-Type {ct}"
    );
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&a.body);
    assert!(!bad, "the gateway page decodes as Shift_JIS");
    assert!(
        text.contains("ケータイ天気ニュース"),
        "the page's title came through"
    );
    let prefix = format!("/s/{sid}/g/{SITE}/");
    for n in 1..=10 {
        assert!(
            text.contains(&format!("{prefix}page{n}.html")),
            "link {n} rewritten into {prefix}:\n{text}"
        );
    }
    assert!(
        text.contains(&format!("{prefix}post")),
        "the form's action rewritten into {prefix}:\n{text}"
    );
    assert!(
        text.contains(&format!("{prefix}my?guid=ON")),
        "the guid=ON link rewritten into {prefix}:\n{text}"
    );
    assert!(
        !text.contains(&format!("http://{upstream}")),
        "no link to the upstream left:\n{text}"
    );
    a.body.len()
}

// --------------------------------------------------------------------- wrk

/// What wrk measured.
#[derive(Clone, Copy, Debug, Default)]
struct Run {
    rps: f64,
    avg_ms: f64,
    p99_ms: f64,
    requests: u64,
    non_2xx: u64,
    socket_errors: u64,
}

impl Run {
    fn problem(&self) -> Option<String> {
        let mut p = Vec::new();
        if self.requests == 0 || self.rps <= 0.0 {
            p.push("no answers".to_string());
        }
        if self.non_2xx > 0 {
            p.push(format!("{} non-2xx", self.non_2xx));
        }
        if self.socket_errors > SOCKET_ERRORS_OK {
            p.push(format!("{} socket errors", self.socket_errors));
        }
        (!p.is_empty()).then(|| p.join(", "))
    }
}

fn millis(s: &str) -> f64 {
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

fn parse_wrk(text: &str) -> Run {
    let mut run = Run::default();
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            run.rps = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = t
            .strip_prefix("Latency")
            .filter(|v| !v.trim_start().starts_with("Distribution"))
        {
            // "Latency   1.23ms  456.00us  12.34ms   89.01%": the average first.
            if let Some(avg) = v.split_whitespace().next() {
                run.avg_ms = millis(avg);
            }
        } else if let Some(v) = t.strip_prefix("99%") {
            run.p99_ms = millis(v);
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            run.non_2xx = v.trim().parse().unwrap_or(u64::MAX);
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            // "Socket errors: connect 0, read 0, write 0, timeout 0"
            run.socket_errors = v
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
        } else if let Some((n, _)) = t.split_once(" requests in ") {
            run.requests = n.trim().parse().unwrap_or(0);
        }
    }
    run
}

fn wrk(url: &str, secs: u64) -> Run {
    let out = Command::new("wrk")
        .args([
            "-t2",
            "-c32",
            &format!("-d{secs}s"),
            "--latency",
            "-H",
            &format!("User-Agent: {UA}"),
            url,
        ])
        .output()
        .expect("wrk runs (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "wrk failed: {}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    parse_wrk(&text)
}

/// One run with its progress line on stderr.
fn measured(label: &str, url: &str, secs: u64) -> Run {
    let run = wrk(url, secs);
    eprintln!(
        "{label}: {:.0} req/s, avg {:.2} ms, p99 {:.2} ms, {} answers{}",
        run.rps,
        run.avg_ms,
        run.p99_ms,
        run.requests,
        run.problem().map(|p| format!(" — {p}")).unwrap_or_default()
    );
    run
}

/// The sanitizer alone, in-process on this thread: microseconds per pass over
/// the page (the median of 5 rounds of 2,000), for the same page and rules
/// the gateway applies. No sockets, so it is the steady figure a change to
/// the sanitizer moves.
fn sanitizer_us(page: &[u8], upstream: &str) -> f64 {
    use garake::gateway::sanitize::{transform, PageUrl, Rules};
    use garake::gateway::Route;
    let page_url = PageUrl::new(format!("{upstream}index.html")).expect("the page's URL");
    let routes = Route::all([(upstream, SITE)].into_iter());
    let sid = "0123456789abcdef0123456789abcdef";
    let elsewhere = format!("/s/{sid}/url?url=");
    let regst = format!("/s/{sid}/cp/regst/{SITE}");
    let session = format!("/s/{sid}");
    let rules = Rules {
        page: &page_url,
        routes: &routes,
        session: &session,
        elsewhere: &elsewhere,
        regst: &regst,
        charset: "Shift_JIS",
    };
    let rounds: Vec<f64> = (0..5)
        .map(|_| {
            let started = std::time::Instant::now();
            for _ in 0..2000 {
                let (out, _) = transform(page, encoding_rs::SHIFT_JIS, &rules).expect("the page");
                std::hint::black_box(out);
            }
            started.elapsed().as_secs_f64() * 1e6 / 2000.0
        })
        .collect();
    median(rounds)
}

/// One server wrk loads: its name in the report, its URL and process id,
/// and for a garake its address, gateway path and session (to check the
/// page again after the load).
struct Target {
    name: &'static str,
    url: String,
    pid: u32,
    gateway: Option<(String, String, String)>,
}

/// One run of one target and the CPU time its process spent per answer.
#[derive(Clone, Copy)]
struct Sample {
    run: Run,
    cpu_us: f64,
}

/// A run of `target` with its progress line; its process's CPU time per
/// answer is read around it (steadier than requests per second on a shared
/// machine, and what a change to garake moves).
fn sample(label: &str, target: &Target, secs: u64) -> Sample {
    let before = cpu_secs(target.pid);
    let run = measured(label, &target.url, secs);
    let cpu_us = (cpu_secs(target.pid) - before) * 1e6 / run.requests.max(1) as f64;
    Sample { run, cpu_us }
}

/// The median of `ratios`, their lowest and highest, and how many reach `goal`.
fn spread(ratios: &[f64], goal: f64) -> (f64, f64, f64, usize) {
    let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let high = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let met = ratios.iter().filter(|&&r| r >= goal).count();
    (median(ratios.to_vec()), low, high, met)
}

/// A garake server started from `binary`, its session powered on and its
/// gateway page checked; returns it with the page's URL and size.
fn start_garake(
    name: &'static str,
    binary: &Path,
    menus: &Path,
    upstream: &str,
) -> (Spawned, Target, usize) {
    let server = garake(binary, menus);
    let sid = power_on(&server.addr);
    let path = format!("/s/{sid}/g/{SITE}/index.html");
    let size = check_gateway(&server.addr, &path, &sid, upstream);
    let target = Target {
        name,
        url: format!("http://{}{path}", server.addr),
        pid: server.child.id(),
        gateway: Some((server.addr.clone(), path, sid)),
    };
    (server, target, size)
}

fn main() {
    if let Ok(upstream) = std::env::var(PROXY_FOR) {
        // Started by `proxy_process`: serve until killed.
        println!("{}", proxy(upstream));
        loop {
            std::thread::park();
        }
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("the benchmark needs wrk: apt-get install wrk");
        std::process::exit(2);
    }
    let secs = env_num("BENCH_SECS", 3).max(1);
    let pairs = env_num("BENCH_PAIRS", 9);
    let other = std::env::var_os("BENCH_OTHER_GARAKE").map(std::path::PathBuf::from);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let dir = tempfile::tempdir().expect("a temporary directory");

    let (up, page_size) = upstream();
    let upstream_page = get(&up, "/cp/index.html").body;
    let sanitizer = sanitizer_us(&upstream_page, &format!("http://{up}/cp/"));
    if pairs == 0 {
        // The quick loop for work on the sanitizer: its figure alone.
        println!("the sanitizer alone, in-process: {sanitizer:.2} µs per page");
        return;
    }
    assert!(
        PAGE_BYTES.contains(&page_size),
        "the content provider's page is {page_size} bytes, not 1.8–2.3 KB"
    );
    let proxy_server = proxy_process(&up);
    let proxy_addr = proxy_server.addr.clone();
    let menus = menus(dir.path(), &up);
    let (server, garake_target, gateway_size) = start_garake(
        "garake",
        Path::new(env!("CARGO_BIN_EXE_garake")),
        &menus,
        &up,
    );
    let mut targets = vec![garake_target];
    let other_server = other.as_deref().map(|binary| {
        let (server, target, size) = start_garake("other", binary, &menus, &up);
        assert_eq!(size, gateway_size, "both garakes give the same page");
        targets.push(target);
        server
    });
    let via_proxy = get(&proxy_addr, "/cp/index.html");
    assert_eq!(
        via_proxy.status, 200,
        "the proxy answers: {}",
        via_proxy.head
    );
    assert_eq!(
        via_proxy.body.len(),
        page_size,
        "the proxy passes the page unchanged"
    );
    // garake, the other garake if any, the proxy last.
    targets.push(Target {
        name: "proxy",
        url: format!("http://{proxy_addr}/cp/index.html"),
        pid: proxy_server.child.id(),
        gateway: None,
    });
    let garakes = targets.len() - 1;
    let rss_before: Vec<f64> = targets[..garakes].iter().map(|t| rss_mib(t.pid)).collect();

    for t in &targets {
        eprintln!("{} {} (pid {})", t.name, t.url, t.pid);
    }
    for t in &targets {
        measured(&format!("warm-up {}", t.name), &t.url, WARMUP_SECS);
    }

    // Each pair (a round of three with another garake) runs every target
    // once; which goes first turns from pair to pair.
    let mut rows: Vec<Vec<Sample>> = Vec::new();
    for pair in 1..=pairs {
        let n = targets.len();
        let mut row: Vec<Option<Sample>> = vec![None; n];
        for k in 0..n {
            let i = (k + (pair as usize - 1)) % n;
            let label = format!("pair {pair}/{pairs} {}", targets[i].name);
            row[i] = Some(sample(&label, &targets[i], secs));
        }
        rows.push(
            row.into_iter()
                .map(|s| s.expect("every target ran"))
                .collect(),
        );
    }
    let rss_after: Vec<f64> = targets[..garakes].iter().map(|t| rss_mib(t.pid)).collect();
    // The sessions are still alive and the page still goes through the gateway.
    for (addr, path, sid) in targets.iter().filter_map(|t| t.gateway.as_ref()) {
        check_gateway(addr, path, sid, &up);
    }

    println!("# garake gateway benchmark");
    println!();
    println!(
        "{cores} cores; wrk -t2 -c32, {secs} s per run, {pairs} pairs (after {WARMUP_SECS} s warm-up of each); \
         upstream page {page_size} bytes Shift_JIS cHTML, {gateway_size} bytes as the P903i gets it through garake."
    );
    if let Some(binary) = &other {
        println!();
        println!(
            "garake: this tree's build; other: {} — each pair is a round of the three, \
             which goes first turning from round to round.",
            binary.display()
        );
    }
    println!();
    let mut head = String::from("| pair |");
    let mut rule = String::from("|---:|");
    for t in &targets {
        head.push_str(&format!(
            " {0} req/s | avg ms | p99 ms | {0} CPU µs/answer |",
            t.name
        ));
        rule.push_str("---:|---:|---:|---:|");
    }
    for t in &targets[..garakes] {
        head.push_str(&format!(" {}/proxy |", t.name));
        rule.push_str("---:|");
    }
    if garakes == 2 {
        head.push_str(" garake/other | CPU garake/other |");
        rule.push_str("---:|---:|");
    }
    println!("{head}");
    println!("{rule}");
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    let mut problems = Vec::new();
    let mut to_proxy = vec![Vec::new(); garakes];
    let mut cpus = vec![Vec::new(); targets.len()];
    let (mut between, mut cpu_between) = (Vec::new(), Vec::new());
    for (i, row) in rows.iter().enumerate() {
        let mut line = format!("| {} |", i + 1);
        for (k, (t, s)) in targets.iter().zip(row).enumerate() {
            cpus[k].push(s.cpu_us);
            if let Some(problem) = s.run.problem() {
                problems.push(format!("pair {}: {}: {problem}", i + 1, t.name));
            }
            line.push_str(&format!(
                " {:.0} | {:.2} | {:.2} | {:.1} |",
                s.run.rps, s.run.avg_ms, s.run.p99_ms, s.cpu_us
            ));
        }
        let proxy = row[garakes].run.rps;
        for (k, list) in to_proxy.iter_mut().enumerate() {
            let r = ratio(row[k].run.rps, proxy);
            list.push(r);
            line.push_str(&format!(" {r:.2} |"));
        }
        if garakes == 2 {
            let r = ratio(row[0].run.rps, row[1].run.rps);
            let c = ratio(row[0].cpu_us, row[1].cpu_us);
            between.push(r);
            cpu_between.push(c);
            line.push_str(&format!(" {r:.3} | {c:.3} |"));
        }
        println!("{line}");
    }
    println!();
    let cpu_medians: Vec<String> = targets
        .iter()
        .zip(&cpus)
        .map(|(t, c)| format!("{} {:.1} µs", t.name, median(c.clone())))
        .collect();
    println!(
        "CPU per answer (user + system of each server's process, from /proc), medians: {}; \
         the sanitizer alone, in-process: {sanitizer:.1} µs per page.",
        cpu_medians.join(", ")
    );
    for (t, list) in targets.iter().zip(&to_proxy) {
        let (med, low, high, met) = spread(list, GOAL);
        println!(
            "Median ratio {}/proxy: **{med:.2}×** (goal ≥ {GOAL}×) {}; single pairs \
             {low:.2}–{high:.2}×, {met} of {pairs} at the goal or above.",
            t.name,
            if med >= GOAL { "✓" } else { "✗" }
        );
    }
    if garakes == 2 {
        let (med, low, high, _) = spread(&between, 1.0);
        let (cpu_med, cpu_low, cpu_high, _) = spread(&cpu_between, 1.0);
        println!(
            "garake/other, pair by pair: req/s median **{med:.3}×** ({low:.3}–{high:.3}×); \
             CPU per answer median {cpu_med:.3}× ({cpu_low:.3}–{cpu_high:.3}×)."
        );
    }
    println!();
    for (k, t) in targets[..garakes].iter().enumerate() {
        println!(
            "{} RSS: {:.1} MiB before the load, {:.1} MiB after.",
            t.name, rss_before[k], rss_after[k]
        );
    }
    if !problems.is_empty() {
        println!();
        println!("**Invalid runs** (non-2xx answers or socket errors):");
        for p in &problems {
            println!("- {p}");
        }
        drop(server);
        drop(other_server);
        drop(proxy_server);
        std::process::exit(1);
    }
}
