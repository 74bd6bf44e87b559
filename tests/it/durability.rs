//! Acknowledged changes survive `kill -9` of the server (SPEC §10): WAL,
//! synchronous=FULL, every change in one transaction.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_garake");

struct Proc {
    child: std::process::Child,
    addr: String,
}

fn start(db: &std::path::Path) -> Proc {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--admin-token",
            TOKEN,
            "--db",
        ])
        .arg(db)
        .arg("--menus")
        .arg(shipped_menus())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = lines
        .next()
        .unwrap()
        .unwrap()
        .trim_start_matches("garake listening on http://")
        .to_string();
    std::thread::spawn(move || for _ in lines {});
    Proc { child, addr }
}

/// One request; returns (status, headers, body as text in its charset).
fn send(addr: &str, method: &str, path: &str, extra: &str, body: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {P501I}\r\nConnection: close\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = encoding_rs::SHIFT_JIS
        .decode(&raw[split + 4..])
        .0
        .into_owned();
    (status, head, body)
}

const FORM: &str = "Content-Type: application/x-www-form-urlencoded\r\n";

fn token(html: &str) -> String {
    let at = html.find("name=\"ft\" value=\"").unwrap() + 17;
    html[at..at + 32].to_string()
}

fn api(addr: &str, path: &str) -> serde_json::Value {
    let (_, _, body) = send(
        addr,
        "GET",
        path,
        &format!("Authorization: Bearer {TOKEN}\r\n"),
        "",
    );
    serde_json::from_str(&body).unwrap()
}

#[test]
fn acknowledged_changes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let server = start(&db);
    let addr = server.addr.clone();

    let (_, head, _) = send(&addr, "GET", "/on/09012340001", "", "");
    let sid_path = head
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap()
        .replace("/m/imenu", "");
    // 1. A setting: mail rejection, acknowledged with 200.
    let (_, _, confirm) = send(
        &addr,
        "POST",
        &format!("{sid_path}/c/mail-rejection"),
        FORM,
        "mode=reject_designated&list=spam.example.com",
    );
    let body = format!(
        "mode=reject_designated&list=spam.example.com&pin=0000&ft={}",
        token(&confirm)
    );
    assert_eq!(
        send(
            &addr,
            "POST",
            &format!("{sid_path}/a/mail-rejection"),
            FORM,
            &body
        )
        .0,
        200
    );
    // 2. A subscription, acknowledged.
    let (_, _, confirm) = send(
        &addr,
        "GET",
        &format!("{sid_path}/a/subscribe/business"),
        "",
        "",
    );
    let body = format!("pin=0000&ft={}", token(&confirm));
    assert_eq!(
        send(
            &addr,
            "POST",
            &format!("{sid_path}/a/subscribe/business"),
            FORM,
            &body
        )
        .0,
        200
    );
    // 3. Outbox mail through the API, acknowledged.
    let mail = r#"{"from":"taro-demo@docomo.ne.jp","to":"keep@example.com","subject":"durable","body":"x"}"#;
    let (status, _, _) = send(
        &addr,
        "POST",
        "/api/mail",
        &format!("Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"),
        mail,
    );
    assert_eq!(status, 200);
    // 4. A password change, acknowledged.
    let (_, _, form) = send(
        &addr,
        "GET",
        &format!("{sid_path}/a/change-imode-password"),
        "",
        "",
    );
    let body = format!(
        "pin=0000&new_pin=7531&new_pin_confirm=7531&ft={}",
        token(&form)
    );
    assert_eq!(
        send(
            &addr,
            "POST",
            &format!("{sid_path}/a/change-imode-password"),
            FORM,
            &body
        )
        .0,
        200
    );

    // kill -9: no shutdown, no flush, no goodbye.
    let mut child = server.child;
    Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();

    let again = start(&db);
    let line = api(&again.addr, "/api/lines/09012340001");
    assert_eq!(line["mail_rejection"]["mode"], "reject_designated");
    assert_eq!(line["mail_rejection"]["list"][0], "spam.example.com");
    assert_eq!(line["subscriptions"][0], "business");
    let billing = api(&again.addr, "/api/lines/09012340001/billing");
    assert_eq!(
        billing["ledger"].as_array().unwrap().len(),
        1,
        "exactly one charge, not half of one"
    );
    assert_eq!(
        api(&again.addr, "/api/outbox?to=keep@example.com")[0]["subject"],
        "durable"
    );
    // The new password is the password.
    let (_, head, _) = send(&again.addr, "GET", "/on/09012340001", "", "");
    let sid_path = head
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap()
        .replace("/m/imenu", "");
    let (_, _, form) = send(
        &again.addr,
        "GET",
        &format!("{sid_path}/a/change-imode-password"),
        "",
        "",
    );
    let body = format!(
        "pin=7531&new_pin=0000&new_pin_confirm=0000&ft={}",
        token(&form)
    );
    assert_eq!(
        send(
            &again.addr,
            "POST",
            &format!("{sid_path}/a/change-imode-password"),
            FORM,
            &body
        )
        .0,
        200
    );
    let mut child = again.child;
    let _ = child.kill();
    let _ = child.wait();
}
