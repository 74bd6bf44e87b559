//! Acknowledged changes survive `kill -9` of the server: WAL,
//! synchronous=FULL, every change in one transaction.

use std::process::Command;

use crate::binary::Server;
use crate::helpers::*;

fn token(html: &str) -> String {
    let at = html.find("name=\"ft\" value=\"").unwrap() + 17;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

/// Powers on as Taro: the `/s/{sid}` prefix of the session's pages.
fn power_on(server: &Server) -> String {
    let (_, head, _) = server.send("GET", "/on/09012340001", "");
    head.lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap()
        .replace("/m/imenu", "")
}

fn api(server: &Server, path: &str) -> serde_json::Value {
    let (_, _, body) = server.send_with(
        "GET",
        path,
        &format!("Authorization: Bearer {TOKEN}\r\n"),
        "",
    );
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn acknowledged_changes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let server = Server::start(&db);
    let s = power_on(&server);

    // 1. A setting: mail rejection, acknowledged with 200.
    let (_, _, confirm) = server.send(
        "POST",
        &format!("{s}/c/mail-rejection"),
        "mode=reject_designated&list=spam.example.com",
    );
    let confirm = String::from_utf8_lossy(&confirm).to_string();
    let body = format!(
        "mode=reject_designated&list=spam.example.com&pin=0000&ft={}",
        token(&confirm)
    );
    assert_eq!(
        server
            .send("POST", &format!("{s}/a/mail-rejection"), &body)
            .0,
        200
    );
    // 2. A subscription, acknowledged.
    let (_, _, confirm) = server.page(&format!("{s}/a/subscribe/business"));
    let body = format!("pin=0000&ft={}", token(&confirm));
    assert_eq!(
        server
            .send("POST", &format!("{s}/a/subscribe/business"), &body)
            .0,
        200
    );
    // 3. Outbox mail through the API, acknowledged.
    let mail = r#"{"from":"taro-demo@docomo.ne.jp","to":"keep@example.com","subject":"durable","body":"x"}"#;
    let json = format!("Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n");
    assert_eq!(server.send_with("POST", "/api/mail", &json, mail).0, 200);
    // 4. A password change, acknowledged.
    let (_, _, form) = server.page(&format!("{s}/a/change-imode-password"));
    let body = format!(
        "pin=0000&new_pin=7531&new_pin_confirm=7531&ft={}",
        token(&form)
    );
    assert_eq!(
        server
            .send("POST", &format!("{s}/a/change-imode-password"), &body)
            .0,
        200
    );

    // kill -9: no shutdown, no flush, no goodbye.
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap()
        .success());
    drop(server);

    let again = Server::start(&db);
    let line = api(&again, "/api/lines/09012340001");
    assert_eq!(line["mail_rejection"]["mode"], "reject_designated");
    assert_eq!(line["mail_rejection"]["list"][0], "spam.example.com");
    assert_eq!(line["subscriptions"][0], "business");
    let billing = api(&again, "/api/lines/09012340001/billing");
    assert_eq!(
        billing["ledger"].as_array().unwrap().len(),
        1,
        "exactly one charge, not half of one"
    );
    assert_eq!(
        api(&again, "/api/outbox?to=keep@example.com")[0]["subject"],
        "durable"
    );
    // The new password is the password.
    let s = power_on(&again);
    let (_, _, form) = again.page(&format!("{s}/a/change-imode-password"));
    let body = format!(
        "pin=7531&new_pin=0000&new_pin_confirm=0000&ft={}",
        token(&form)
    );
    assert_eq!(
        again
            .send("POST", &format!("{s}/a/change-imode-password"), &body)
            .0,
        200
    );
}
