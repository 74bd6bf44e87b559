//! Work that waits, bounded: a body dripped a byte at a time, gateway fetches
//! and Argon2 checks past their queues, pages past the gateway's byte budget.
//! Each refused request is told "busy" (503, `Retry-After`) and changes
//! nothing, and the rest of the server keeps answering.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use super::binary::Server;
use super::gateway::menus_with_upstream;
use super::helpers::*;

/// The handset the gateway tests fetch as: i-mode browser 2.0, a 500 KB cache.
const P07B: &str = "DoCoMo/2.0 P07B(c500;TB;W24H16)";

/// A content provider on a loopback port: every request (counted) is
/// answered after `delay` with an HTML page of about `size` bytes whose last
/// byte comes `last_byte` later.
struct Provider {
    addr: String,
    requests: Arc<AtomicUsize>,
}

async fn provider(size: usize, delay: Duration, last_byte: Duration) -> Provider {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let mut page = b"<html><body>".to_vec();
    page.resize(size.saturating_sub(14), b'a');
    page.extend_from_slice(b"</body></html>");
    let page: Arc<[u8]> = page.into();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let (counted, page) = (counted.clone(), page.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    while let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                        head.drain(..end + 4);
                        counted.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(delay).await;
                        let start = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=Shift_JIS\r\nContent-Length: {}\r\n\r\n",
                            page.len()
                        );
                        let (most, last) = page.split_at(page.len() - 1);
                        if tcp.write_all(start.as_bytes()).await.is_err()
                            || tcp.write_all(most).await.is_err()
                        {
                            return;
                        }
                        tokio::time::sleep(last_byte).await;
                        if tcp.write_all(last).await.is_err() {
                            return;
                        }
                    }
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
            });
        }
    });
    Provider { addr, requests }
}

/// An app whose site `cp` is `provider`, with its gateway limits tweaked.
async fn app_with(
    provider: &Provider,
    tweak: impl FnOnce(&mut garake::Config) + Send + 'static,
) -> (TestApp, tempfile::TempDir) {
    let menus = menus_with_upstream(&provider.addr, None, None);
    let path = menus.path().to_path_buf();
    let app = TestApp::with(move |c| {
        c.menus = Some(path);
        c.gateway_timeout = 5;
        tweak(c);
    })
    .await;
    (app, menus)
}

fn limit_hits(metrics: &str, limit: &str) -> u64 {
    let key = format!("garake_limit_hits_total{{limit=\"{limit}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&key))
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test]
async fn a_gateway_fetch_that_finds_the_queue_full_is_told_busy_at_once() {
    let site = provider(2_000, Duration::from_millis(800), Duration::ZERO).await;
    let (app, _menus) = app_with(&site, |c| {
        c.limits.gateway_fetches = 1;
        c.limits.gateway_queue = 0;
    })
    .await;
    let first = app.handset(TARO, P07B).await;
    let second = app.handset(HANAKO, P07B).await;
    let first_site = format!("/s/{}/g/cp/", first.sid);
    let (fetched, (busy, menu, waited)) = tokio::join!(first.get(&first_site), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        let busy = second.get(&format!("/s/{}/g/cp/", second.sid)).await;
        let waited = started.elapsed();
        (busy, second.node("imenu").await, waited)
    });
    assert_eq!(fetched.status, StatusCode::OK, "{}", fetched.text);
    assert_eq!(
        busy.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        busy.text
    );
    assert!(
        waited < Duration::from_millis(400),
        "told at once: {waited:?}"
    );
    assert_eq!(busy.header("retry-after"), "5");
    assert!(
        busy.text.contains("ただいま混み合っております"),
        "{}",
        busy.text
    );
    assert_eq!(
        menu.status,
        StatusCode::OK,
        "menus never wait for the gateway"
    );
    assert_eq!(
        site.requests.load(Ordering::SeqCst),
        1,
        "the refused request never reached the site"
    );
    let metrics = app.api("/metrics").await.text;
    assert_eq!(limit_hits(&metrics, "gateway_busy"), 1, "{metrics}");
    // With the first fetch done, the slot is free again.
    assert_eq!(
        second.get(&format!("/s/{}/g/cp/", second.sid)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_page_that_finds_no_room_in_the_gateways_budget_waits_briefly_then_is_busy() {
    // 400 KB pages, charged four times over while worked on (1.6 MB): a
    // 2 MiB budget holds one at a time. The site sends each last byte late.
    let site = provider(400_000, Duration::ZERO, Duration::from_millis(1_500)).await;
    let (app, _menus) = app_with(&site, |c| c.limits.gateway_memory_mib = 2).await;
    let first = app.handset(TARO, P07B).await;
    let second = app.handset(HANAKO, P07B).await;
    let first_site = format!("/s/{}/g/cp/", first.sid);
    let (fetched, (busy, waited)) = tokio::join!(first.get(&first_site), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        (
            second.get(&format!("/s/{}/g/cp/", second.sid)).await,
            started.elapsed(),
        )
    });
    assert_eq!(fetched.status, StatusCode::OK, "{}", fetched.text);
    assert!(fetched.bytes.len() >= 399_000, "the whole page");
    assert_eq!(
        busy.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        busy.text
    );
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_millis(1_400),
        "a brief wait for room, then busy: {waited:?}"
    );
    assert_eq!(busy.header("retry-after"), "5");
    assert!(busy.text.contains("ただいま混み合っております"));
    let metrics = app.api("/metrics").await.text;
    assert_eq!(limit_hits(&metrics, "gateway_bytes_busy"), 1, "{metrics}");
    assert_eq!(app.state.budget.held(), 0, "every charge given back");
    // Alone, the second handset gets the page.
    assert_eq!(
        second.get(&format!("/s/{}/g/cp/", second.sid)).await.status,
        StatusCode::OK
    );
    assert_eq!(app.state.budget.held(), 0);
}

// ------------------------------------------------ against the real binary

/// A handset session on a spawned server: the path after power-on.
fn power_on(server: &Server, msisdn: &str) -> String {
    let (status, head, _) = server.send("GET", &format!("/on/{msisdn}"), "");
    assert_eq!(status, 303, "{head}");
    let location = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or(l.strip_prefix("Location: "))
        })
        .unwrap()
        .trim();
    let path = location.splitn(4, '/').nth(3).unwrap();
    format!("/{}", path.split('/').take(2).collect::<Vec<_>>().join("/"))
}

/// Whether a fresh connection gets `GET /` answered (200) within 1 s.
fn root_answered(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let _ = write!(
        stream,
        "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: {P501I}\r\nConnection: close\r\n\r\n"
    );
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/1.1 200"
}

/// Opens `n` connections that each send `request` and keep reading; returns
/// the status each got within 3 s (0 for none).
fn flood(addr: &str, n: usize, request: String) -> Vec<std::thread::JoinHandle<u16>> {
    (0..n)
        .map(|_| {
            let (addr, request) = (addr.to_string(), request.clone());
            std::thread::spawn(move || {
                let Ok(mut c) = TcpStream::connect(&addr) else {
                    return 0;
                };
                c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
                if c.write_all(request.as_bytes()).is_err() {
                    return 0;
                }
                let mut head = [0u8; 12];
                match c.read_exact(&mut head) {
                    Ok(()) => String::from_utf8_lossy(&head[9..12]).parse().unwrap_or(0),
                    Err(_) => 0,
                }
            })
        })
        .collect()
}

fn statuses(flood: Vec<std::thread::JoinHandle<u16>>) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for t in flood {
        *counts.entry(t.join().unwrap()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_slow_gateway_fetches_never_keeps_a_fresh_request_waiting() {
    let site = provider(2_000, Duration::from_secs(4), Duration::ZERO).await;
    let menus = menus_with_upstream(&site.addr, None, None);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(
        &dir.path().join("g.db"),
        menus.path(),
        &[
            "--max-connections",
            "64",
            "--gateway-fetches",
            "4",
            "--gateway-queue",
            "4",
        ],
    );
    let session = power_on(&server, TARO);
    let request = format!("GET {session}/g/cp/ HTTP/1.1\r\nHost: x\r\nUser-Agent: {P07B}\r\n\r\n");
    let addr = server.addr.clone();
    let (answers, fresh) = tokio::task::spawn_blocking(move || {
        let attack = flood(&addr, 120, request);
        std::thread::sleep(Duration::from_millis(500));
        let fresh: Vec<bool> = (0..5)
            .map(|_| {
                let ok = root_answered(&addr);
                std::thread::sleep(Duration::from_millis(100));
                ok
            })
            .collect();
        (statuses(attack), fresh)
    })
    .await
    .unwrap();
    assert!(fresh.iter().all(|ok| *ok), "GET / within 1 s: {fresh:?}");
    let busy = answers.get(&503).copied().unwrap_or(0);
    assert!(busy >= 50, "most are told busy at once: {answers:?}");
    assert!(
        answers.keys().all(|s| [0, 200, 503].contains(s)),
        "no other status: {answers:?}"
    );
    assert!(
        site.requests.load(Ordering::SeqCst) <= 8,
        "no more than the running and queued fetches reached the site"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_logins_never_keeps_a_fresh_request_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        &dir.path().join("g.db"),
        &["--max-connections", "64", "--argon2-queue", "2"],
    );
    let body = "daccount_id=nobody.here&daccount_password=wrong-password-1";
    let request = format!(
        "POST /mydocomo/login HTTP/1.1\r\nHost: x\r\nUser-Agent: {PC}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let addr = server.addr.clone();
    let (answers, fresh) = tokio::task::spawn_blocking(move || {
        let attack = flood(&addr, 150, request);
        std::thread::sleep(Duration::from_millis(300));
        let fresh: Vec<bool> = (0..5)
            .map(|_| {
                let ok = root_answered(&addr);
                std::thread::sleep(Duration::from_millis(100));
                ok
            })
            .collect();
        (statuses(attack), fresh)
    })
    .await
    .unwrap();
    assert!(fresh.iter().all(|ok| *ok), "GET / within 1 s: {fresh:?}");
    assert!(
        answers.get(&503).copied().unwrap_or(0) >= 50,
        "most are told busy: {answers:?}"
    );
    assert!(
        answers
            .keys()
            .all(|s| [0, 200, 303, 401, 429, 503].contains(s)),
        "no other status: {answers:?}"
    );
}

#[test]
fn a_body_dripped_a_byte_at_a_time_arrives_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("g.db"));
    let body = format!(
        r#"{{"from":"drip@example.com","to":"taro-demo@docomo.ne.jp","subject":"drip","body":"{}"}}"#,
        "x".repeat(200)
    );
    let mut c = TcpStream::connect(&server.addr).unwrap();
    write!(
        c,
        "POST /api/mail HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    c.set_nodelay(true).unwrap();
    for byte in body.as_bytes() {
        c.write_all(std::slice::from_ref(byte)).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut answer = String::new();
    c.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"delivered\""), "{answer}");
    let (_, _, inbox) = server.send_with(
        "GET",
        "/api/lines/09012340001/mail",
        &format!("Authorization: Bearer {TOKEN}\r\n"),
        "",
    );
    assert!(String::from_utf8_lossy(&inbox).contains(&"x".repeat(200)));
}
