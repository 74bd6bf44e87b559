//! The admin console's outbox and logs, and the SMTP relay of outbox mail.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::*;

/// Logs in to the console; returns the cookie and the CSRF token.
async fn login(app: &TestApp) -> (String, String) {
    let r = app.post("/admin/login", PC, format!("token={TOKEN}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let cookie = r
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(r.header("set-cookie").contains("HttpOnly"));
    let page = console(app, &cookie, "/admin").await;
    let at = page.text.find("name=\"csrf\" value=\"").unwrap() + 19;
    (cookie, page.text[at..at + 32].to_string())
}

async fn console(app: &TestApp, cookie: &str, path: &str) -> Resp {
    let req = Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    app.request(req).await
}

async fn console_post(app: &TestApp, cookie: &str, path: &str, body: &str) -> Resp {
    let req = Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.request(req).await
}

async fn send_external(app: &TestApp, to: &str, subject: &str) {
    let payload = serde_json::json!({"from": "taro-demo@docomo.ne.jp", "to": to, "subject": subject, "body": "本文"});
    let req = Request::post("/api/mail")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(payload.to_string()))
        .unwrap();
    assert_eq!(app.request(req).await.json()["status"], "outbox");
}

#[tokio::test]
async fn the_console_needs_the_admin_token() {
    let app = TestApp::new().await;
    let r = app.get("/outbox", PC).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/admin/login");
    let wrong = app.post("/admin/login", PC, "token=nope").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("not the admin token"));
    assert!(wrong.headers.get("set-cookie").is_none());
    let forged = console(
        &app,
        "garake_admin=0123456789abcdef0123456789abcdef",
        "/admin",
    )
    .await;
    assert_eq!(forged.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_outbox_page_lists_shows_and_clears_with_a_csrf_token() {
    let app = TestApp::new().await;
    send_external(&app, "member@example.com", "パスワード再設定").await;
    send_external(&app, "other@example.org", "second").await;
    let (cookie, csrf) = login(&app).await;

    let page = console(&app, &cookie, "/outbox").await;
    assert_eq!(page.status, StatusCode::OK);
    let first = page.text.find("other@example.org").unwrap();
    let second = page.text.find("member@example.com").unwrap();
    assert!(first < second, "newest first");
    let filtered = console(&app, &cookie, "/outbox?to=member%40example.com").await;
    assert!(!filtered.text.contains("other@example.org"));
    let id = app.api("/api/outbox?to=member@example.com").await.json()[0]["id"]
        .as_i64()
        .unwrap();
    let one = console(&app, &cookie, &format!("/outbox/{id}")).await;
    assert!(one.text.contains("パスワード再設定"));
    assert!(one.text.contains("Content-Transfer-Encoding: base64"));

    // Without the CSRF token nothing is deleted.
    let refused = console_post(&app, &cookie, "/outbox/clear", "csrf=forged").await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(
        app.api("/api/outbox")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Delete all asks first: the link opens a confirmation page, and a post
    // without the confirmation goes there and deletes nothing.
    assert!(
        page.text.contains("href=\"/outbox/clear\""),
        "{}",
        page.text
    );
    let ask = console(&app, &cookie, "/outbox/clear").await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(
        ask.text.contains("Delete all outbox mail?")
            && ask.text.contains("name=\"confirm\" value=\"yes\"")
    );
    assert!(ask.text.contains("href=\"/outbox\"") && ask.text.contains("Cancel"));
    let unconfirmed = console_post(&app, &cookie, "/outbox/clear", &format!("csrf={csrf}")).await;
    assert_eq!(unconfirmed.status, StatusCode::SEE_OTHER);
    assert_eq!(unconfirmed.location(), "/outbox/clear");
    assert_eq!(app.api("/api/outbox").await.header("x-total-count"), "2");
    let cleared = console_post(
        &app,
        &cookie,
        "/outbox/clear",
        &format!("csrf={csrf}&confirm=yes"),
    )
    .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert!(app
        .api("/api/outbox")
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn the_console_shows_lines_the_audit_log_and_the_mail_log() {
    let app = TestApp::new().await;
    app.handset(TARO, P501I)
        .await
        .change_pin("9999", "1234", "1234")
        .await;
    let (cookie, _) = login(&app).await;
    let lines = console(&app, &cookie, "/admin").await;
    assert!(lines.text.contains("09012340003") && lines.text.contains("suspended"));
    let audit = console(&app, &cookie, "/admin/audit?line=090-1234-0001").await;
    assert!(audit.text.contains("wrong_pin"), "{}", audit.text);
    send_external(&app, "x@example.com", "s").await;
    let log = console(&app, &cookie, "/admin/mail-log").await;
    assert!(log.text.contains("x@example.com") && log.text.contains("outbox"));
}

/// What a real SMTP server received: each message it read whole (final dot
/// included), confirmed or not, as its envelope and DATA.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// How a test SMTP server treats one connection.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Conduct {
    /// Takes the message and confirms it with `250`.
    Takes,
    /// Refuses the connection with `421` (a temporary failure).
    Refuses,
    /// Accepts MAIL and RCPT, then drops the connection when asked for DATA.
    DropsAfterRcpt,
    /// Reads the whole message, final dot included, then drops the
    /// connection without a word.
    DropsAfterDot,
    /// Reads the whole message, then says nothing more (the connection stays open).
    SilentAfterDot,
    /// Reads the whole message and refuses it with `554`.
    RefusesMessage,
}

/// A minimal SMTP server on a loopback port. Its first connections are
/// treated as `first` says, one each, and every later one `Takes`.
async fn smtp_server(first: Vec<Conduct>) -> (String, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let received: Received = Default::default();
    let store = received.clone();
    tokio::spawn(async move {
        let mut first = first.into_iter();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let conduct = first.next().unwrap_or(Conduct::Takes);
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                if conduct == Conduct::Refuses {
                    let _ = write.write_all(b"421 sink busy, try again later\r\n").await;
                    return;
                }
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let (mut envelope, mut data) = (String::new(), String::new());
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line != "." {
                            data.push_str(&line);
                            data.push('\n');
                            continue;
                        }
                        in_data = false;
                        store.lock().unwrap().push((envelope.clone(), data.clone()));
                        match conduct {
                            Conduct::DropsAfterDot => return,
                            Conduct::SilentAfterDot => {
                                while let Ok(Some(_)) = lines.next_line().await {}
                                return;
                            }
                            Conduct::RefusesMessage => {
                                let _ = write.write_all(b"554 not this one\r\n").await;
                            }
                            _ => {
                                let _ = write.write_all(b"250 queued\r\n").await;
                            }
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if upper.starts_with("DATA") {
                        if conduct == Conduct::DropsAfterRcpt {
                            return;
                        }
                        in_data = true;
                        b"354 go on\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        envelope.push_str(&line);
                        envelope.push('\n');
                        b"250 ok\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, received)
}

/// An SMTP server that refuses its first `refuse` connections with `421`,
/// then takes every message.
async fn smtp_sink(refuse: usize) -> (String, Received) {
    smtp_server(vec![Conduct::Refuses; refuse]).await
}

/// How many copies of the message with this Message-ID a server received.
fn copies(received: &Received, message_id: &str) -> usize {
    let header = format!("Message-ID: <{message_id}>");
    received
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, data)| data.lines().any(|l| l == header))
        .count()
}

/// A test app whose outbox mail is for a relay at `addr`.
async fn relaying(addr: &str) -> (TestApp, garake::mail::relay::Relay) {
    let target = addr.to_string();
    let app = TestApp::with(move |c| c.smtp_relay = Some(target)).await;
    (app, garake::mail::relay::Relay::new(addr).unwrap())
}

async fn relay_pass(app: &TestApp, relay: &garake::mail::relay::Relay) -> usize {
    garake::mail::relay::relay_due(&app.state.db, relay, app.state.clock.now())
        .await
        .unwrap()
}

async fn relay_state(app: &TestApp) -> serde_json::Value {
    app.api("/api/outbox").await.json()[0]["relay"].clone()
}

#[tokio::test]
async fn outbox_mail_is_relayed_to_a_real_smtp_server_once() {
    let (addr, sink) = smtp_sink(0).await;
    let (app, relay) = relaying(&addr).await;
    send_external(&app, "member@example.com", "パスワード再設定").await;
    assert_eq!(relay_state(&app).await["state"], "pending");
    assert_eq!(relay_pass(&app, &relay).await, 1);
    let got = sink.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (envelope, data) = &got[0];
    assert!(
        envelope.contains("MAIL FROM:<taro-demo@docomo.ne.jp>"),
        "{envelope}"
    );
    assert!(
        envelope.contains("RCPT TO:<member@example.com>"),
        "{envelope}"
    );
    assert!(data.contains("Subject: =?UTF-8?B?"), "{data}");
    assert!(data.contains("Content-Type: text/plain; charset=UTF-8"));
    let state = relay_state(&app).await;
    assert_eq!(state["state"], "relayed");
    assert_eq!(state["attempts"], 1);
    assert!(state["last_error"].is_null());
    // Already relayed: later passes send nothing, even much later.
    app.state.clock.advance(3600).unwrap();
    assert_eq!(relay_pass(&app, &relay).await, 0);
    assert_eq!(sink.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_relayed_message_can_be_sent_again_and_each_result_is_a_relay_event() {
    let (addr, sink) = smtp_sink(0).await;
    let (app, relay) = relaying(&addr).await;
    let mut events = app.state.events.subscribe();
    send_external(&app, "member@example.com", "again").await;
    assert_eq!(relay_pass(&app, &relay).await, 1);
    let id = app.api("/api/outbox").await.json()[0]["id"]
        .as_i64()
        .unwrap();
    let req = Request::post(format!("/api/outbox/{id}/relay"))
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let queued = app.request(req).await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.text);
    assert_eq!(queued.json()["relay"]["state"], "pending");
    assert_eq!(queued.json()["relay"]["attempts"], 0);
    assert_eq!(relay_pass(&app, &relay).await, 1);
    assert_eq!(
        sink.lock().unwrap().len(),
        2,
        "sent twice, once per request"
    );
    assert_eq!(relay_state(&app).await["state"], "relayed");
    // outbox, relayed, queued again, relayed: the starts of attempts are not events.
    let mut kinds = Vec::new();
    while let Ok(e) = events.try_recv() {
        if e.kind != "delivery" {
            kinds.push((
                e.kind,
                e.data["relay"]["state"].as_str().unwrap().to_string(),
            ));
        }
    }
    let kinds: Vec<(&str, &str)> = kinds.iter().map(|(k, s)| (*k, s.as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("outbox", "pending"),
            ("relay", "relayed"),
            ("relay", "pending"),
            ("relay", "relayed")
        ]
    );
    let missing = Request::post("/api/outbox/999999/relay")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.request(missing).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refused_relay_attempt_is_retried_after_a_second_and_sent_once() {
    let (addr, sink) = smtp_sink(1).await;
    let (app, relay) = relaying(&addr).await;
    send_external(&app, "member@example.com", "retry me").await;
    assert_eq!(relay_pass(&app, &relay).await, 0);
    let state = relay_state(&app).await;
    assert_eq!(state["state"], "pending");
    assert_eq!(state["attempts"], 1);
    assert!(
        state["last_error"].as_str().unwrap().contains("421"),
        "{state}"
    );
    // Not due again before its wait (1 s) is over.
    assert_eq!(relay_pass(&app, &relay).await, 0);
    assert_eq!(relay_state(&app).await["attempts"], 1);
    app.state.clock.advance(1).unwrap();
    assert_eq!(relay_pass(&app, &relay).await, 1);
    let state = relay_state(&app).await;
    assert_eq!(
        (state["state"].as_str(), state["attempts"].as_i64()),
        (Some("relayed"), Some(2))
    );
    assert!(state["last_error"].is_null());
    assert_eq!(sink.lock().unwrap().len(), 1, "delivered exactly once");
}

#[tokio::test]
async fn a_dead_relay_is_tried_six_times_with_growing_waits_then_given_up() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let (app, relay) = relaying(&closed).await;
    send_external(&app, "member@example.com", "x").await;
    // Passes at chosen times (the real clock keeps moving under the simulated one).
    let pass_at = |now: i64| {
        let (db, relay) = (app.state.db.clone(), relay.clone());
        async move {
            garake::mail::relay::relay_due(&db, &relay, now)
                .await
                .unwrap()
        }
    };
    let mut now = app.state.clock.now();
    for (attempt, wait) in [(1, 1), (2, 5), (3, 30), (4, 120), (5, 600)] {
        assert_eq!(pass_at(now).await, 0);
        let state = relay_state(&app).await;
        assert_eq!(state["state"], "pending", "after attempt {attempt}");
        assert_eq!(state["attempts"], attempt);
        assert!(state["last_error"].is_string());
        assert_eq!(pass_at(now + wait - 1).await, 0);
        assert_eq!(
            relay_state(&app).await["attempts"],
            attempt,
            "not before its wait"
        );
        now += wait;
    }
    assert_eq!(pass_at(now).await, 0);
    let state = relay_state(&app).await;
    assert_eq!(
        (state["state"].as_str(), state["attempts"].as_i64()),
        (Some("failed"), Some(6))
    );
    assert_eq!(pass_at(now + 86_400).await, 0);
    assert_eq!(relay_state(&app).await["attempts"], 6, "given up for good");
    // The mail itself is kept.
    assert_eq!(
        app.api("/api/outbox")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(garake::mail::relay::Relay::new("no-port").is_err());
}

/// The outbox's only message: its id and Message-ID.
async fn only_message(app: &TestApp) -> (i64, String) {
    let m = app.api("/api/outbox").await.json()[0].clone();
    (
        m["id"].as_i64().unwrap(),
        m["message_id"].as_str().unwrap().to_string(),
    )
}

/// Relay passes at the end of every retry wait and a day later, each
/// relaying nothing.
async fn passes_past_every_wait(app: &TestApp, relay: &garake::mail::relay::Relay) {
    let mut now = app.state.clock.now();
    for wait in [1, 5, 30, 120, 600, 86_400] {
        now += wait;
        let relayed = garake::mail::relay::relay_due(&app.state.db, relay, now)
            .await
            .unwrap();
        assert_eq!(relayed, 0, "{wait} s later");
    }
}

/// `POST /api/outbox/{id}/relay`: the resend a person asks for.
async fn resend(app: &TestApp, id: i64) {
    let req = Request::post(format!("/api/outbox/{id}/relay"))
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let queued = app.request(req).await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.text);
}

#[tokio::test]
async fn a_message_the_relay_dropped_after_its_final_dot_is_failed_and_only_sent_again_by_hand() {
    let (addr, server) = smtp_server(vec![Conduct::DropsAfterDot]).await;
    let (app, relay) = relaying(&addr).await;
    send_external(&app, "member@example.com", "once").await;
    let (id, message_id) = only_message(&app).await;
    assert_eq!(relay_pass(&app, &relay).await, 0);
    let state = relay_state(&app).await;
    assert_eq!(
        (state["state"].as_str(), state["attempts"].as_i64()),
        (Some("failed"), Some(1))
    );
    assert_eq!(
        state["last_error"],
        "the relay took the message but did not confirm it"
    );
    assert_eq!(copies(&server, &message_id), 1);
    // No automatic attempt, however long one waits.
    passes_past_every_wait(&app, &relay).await;
    assert_eq!(copies(&server, &message_id), 1, "received exactly once");
    assert_eq!(relay_state(&app).await["attempts"], 1);
    // A person sends it again: once more, and this time it is confirmed.
    resend(&app, id).await;
    assert_eq!(relay_pass(&app, &relay).await, 1);
    assert_eq!(copies(&server, &message_id), 2);
    let state = relay_state(&app).await;
    assert_eq!(
        (state["state"].as_str(), state["attempts"].as_i64()),
        (Some("relayed"), Some(1))
    );
    assert!(state["last_error"].is_null());
}

#[tokio::test]
async fn a_relay_silent_after_the_final_dot_is_failed_after_the_wait_and_not_sent_again() {
    let (addr, server) = smtp_server(vec![Conduct::SilentAfterDot]).await;
    let (app, relay) = relaying(&addr).await;
    let relay = relay.with_wait(std::time::Duration::from_millis(300));
    send_external(&app, "member@example.com", "once").await;
    let (_, message_id) = only_message(&app).await;
    assert_eq!(relay_pass(&app, &relay).await, 0);
    let state = relay_state(&app).await;
    assert_eq!(state["state"], "failed");
    assert_eq!(
        state["last_error"],
        "the relay took the message but did not confirm it"
    );
    passes_past_every_wait(&app, &relay).await;
    assert_eq!(copies(&server, &message_id), 1, "received exactly once");
    assert_eq!(relay_state(&app).await["attempts"], 1);
}

#[tokio::test]
async fn a_relay_that_drops_after_rcpt_is_retried_and_sends_once() {
    let (addr, server) = smtp_server(vec![Conduct::DropsAfterRcpt]).await;
    let (app, relay) = relaying(&addr).await;
    send_external(&app, "member@example.com", "retry me").await;
    let (_, message_id) = only_message(&app).await;
    assert_eq!(relay_pass(&app, &relay).await, 0);
    let state = relay_state(&app).await;
    assert_eq!(
        (state["state"].as_str(), state["attempts"].as_i64()),
        (Some("pending"), Some(1))
    );
    assert!(state["last_error"].is_string(), "{state}");
    assert_eq!(copies(&server, &message_id), 0, "the text never went");
    app.state.clock.advance(1).unwrap();
    assert_eq!(relay_pass(&app, &relay).await, 1);
    assert_eq!(relay_state(&app).await["state"], "relayed");
    assert_eq!(copies(&server, &message_id), 1);
}

#[tokio::test]
async fn a_message_the_relay_refused_after_its_final_dot_is_retried() {
    // A refusal is an answer: the relay did not take the message.
    let (addr, server) = smtp_server(vec![Conduct::RefusesMessage]).await;
    let (app, relay) = relaying(&addr).await;
    send_external(&app, "member@example.com", "refused once").await;
    let (_, message_id) = only_message(&app).await;
    assert_eq!(relay_pass(&app, &relay).await, 0);
    let state = relay_state(&app).await;
    assert_eq!(state["state"], "pending");
    assert!(
        state["last_error"].as_str().unwrap().contains("554"),
        "{state}"
    );
    app.state.clock.advance(1).unwrap();
    assert_eq!(relay_pass(&app, &relay).await, 1);
    assert_eq!(relay_state(&app).await["state"], "relayed");
    assert_eq!(copies(&server, &message_id), 2, "refused, then taken");
}

#[tokio::test]
async fn a_message_mid_send_when_garake_stopped_is_failed_and_not_sent_again() {
    let (addr, server) = smtp_server(vec![]).await;
    let (app, relay) = relaying(&addr).await;
    send_external(&app, "member@example.com", "interrupted").await;
    let (id, message_id) = only_message(&app).await;
    // An attempt on record, as a run that stopped in the middle leaves it.
    let claimed = app
        .state
        .db
        .call(move |conn| Ok(garake::store::mail::claim_relay(conn, id)?))
        .await
        .unwrap();
    assert!(claimed);
    // The worker, starting, finds it.
    let worker = tokio::spawn(garake::mail::relay::run(
        app.state.db.clone(),
        relay,
        app.state.clock.clone(),
    ));
    let mut state = relay_state(&app).await;
    for _ in 0..50 {
        if state["state"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        state = relay_state(&app).await;
    }
    assert_eq!(state["state"], "failed", "{state}");
    assert!(
        state["last_error"]
            .as_str()
            .unwrap()
            .contains("interrupted while sending"),
        "{state}"
    );
    // A few of the worker's passes later, still nothing sent.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    worker.abort();
    assert_eq!(copies(&server, &message_id), 0);
    assert_eq!(relay_state(&app).await["attempts"], 1);
}

#[tokio::test]
async fn without_a_relay_outbox_mail_is_off_and_never_sent() {
    let app = TestApp::new().await;
    send_external(&app, "member@example.com", "x").await;
    let state = relay_state(&app).await;
    assert_eq!(state["state"], "off");
    assert_eq!(state["attempts"], 0);
}

async fn api_post(app: &TestApp, path: &str, body: &str) -> Resp {
    let req = Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.request(req).await
}

#[tokio::test]
async fn a_new_line_is_as_at_purchase() {
    let app = TestApp::new().await;
    let body = r#"{"msisdn":"080-5555-0004","name":"新規四郎","name_en":"Shiro Shinki","network_pin":"4444","daccount_id":"shiro.shinki","daccount_password":"Shiro-Pass-04","id_doc_type":"passport","id_doc_number":"TZ0000004"}"#;
    let r = api_post(&app, "/api/lines", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let line = r.json();
    assert_eq!(line["mail_address"], "08055550004@docomo.ne.jp");
    assert_eq!(line["has_daccount"], true);
    assert_eq!(line["mail_rejection"]["mode"], "off");
    // i-mode password 0000, network PIN as entered, d ACCOUNT works on My docomo.
    let handset = app.handset("08055550004", P501I).await;
    assert_eq!(
        handset.change_pin("0000", "1234", "1234").await.status,
        StatusCode::OK
    );
    assert_eq!(handset.reset_pin("4444").await.status, StatusCode::OK);
    let login = app
        .post(
            "/mydocomo/login",
            PC,
            "daccount_id=shiro.shinki&daccount_password=Shiro-Pass-04",
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    // Taken number, taken d ACCOUNT, bad fields: clear JSON errors, nothing created.
    assert_eq!(
        api_post(&app, "/api/lines", body).await.status,
        StatusCode::CONFLICT
    );
    let taken = body.replace("080-5555-0004", "080-5555-0005");
    assert!(api_post(&app, "/api/lines", &taken).await.json()["error"]
        .as_str()
        .unwrap()
        .contains("d ACCOUNT"));
    for bad in [
        body.replace("080-5555-0004", "12345"),
        body.replace("\"4444\"", "\"44\""),
        body.replace("\"passport\"", "\"library_card\""),
        r#"{"msisdn":"08055550006","name":"","network_pin":"1111"}"#.to_string(),
        r#"{"msisdn":"08055550006","name":"x","network_pin":"1111","colour":"red"}"#.to_string(),
    ] {
        let r = api_post(&app, "/api/lines", &bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
    }
    assert_eq!(app.api("/api/lines").await.header("x-total-count"), "4");
}

#[tokio::test]
async fn resetting_one_line_puts_a_demo_line_back_and_ends_its_sessions() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    handset.protect("suspend-mail", "suspend=on", "0000").await;
    handset.change_pin("0000", "9999", "9999").await;
    let other = app.handset(HANAKO, P501I).await;
    let r = api_post(&app, "/api/lines/090-1234-0001/reset", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["mail_suspended"], false);
    assert_eq!(
        handset.node("imenu").await.status,
        StatusCode::SEE_OTHER,
        "Taro's sessions ended"
    );
    assert_eq!(
        other.node("imenu").await.status,
        StatusCode::OK,
        "Hanako's did not"
    );
    let handset = app.handset(TARO, P501I).await;
    assert_eq!(
        handset.change_pin("0000", "0000", "0000").await.status,
        StatusCode::OK,
        "the demo password again"
    );
    assert_eq!(
        api_post(&app, "/api/lines/09099999999/reset", "")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_console_creates_resets_filters_moves_the_clock_and_restores() {
    let app = TestApp::new().await;
    app.handset(TARO, P501I)
        .await
        .change_pin("9999", "1234", "1234")
        .await;
    app.handset(TARO, P501I)
        .await
        .change_pin("0000", "1234", "1234")
        .await;
    let (cookie, csrf) = login(&app).await;

    let created = console_post(
        &app,
        &cookie,
        "/admin/lines",
        &format!("csrf={csrf}&msisdn=07011112222&name=%E6%96%B0&network_pin=1234"),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    assert!(created.text.contains("Created line 07011112222"));
    let refused = console_post(
        &app,
        &cookie,
        "/admin/lines",
        &format!("csrf={csrf}&msisdn=07011112222&name=x&network_pin=1234"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);

    let filtered = console(
        &app,
        &cookie,
        "/admin/audit?line=&action=change_imode_password&outcome=wrong_pin",
    )
    .await;
    assert!(filtered.text.contains("wrong_pin"));
    assert!(!filtered.text.contains("<td>ok</td>"), "{}", filtered.text);

    let before = app.state.clock.now();
    let moved = console_post(
        &app,
        &cookie,
        "/admin/clock",
        &format!("csrf={csrf}&seconds=86400"),
    )
    .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    assert!(app.state.clock.now() >= before + 86_400);
    let (from, lines, to) = (
        app.state.clock.now(),
        console(&app, &cookie, "/admin").await,
        app.state.clock.now(),
    );
    assert!(lines.text.contains("Simulated time"));
    // Japan time (the rules run on it) with the UTC beside it.
    assert!(
        (from..=to).any(|t| lines.text.contains(&format!(
            "{}</time> <small class=\"utc\">{}",
            garake::clock::jst_long(t),
            garake::clock::rfc3339(t)
        ))),
        "{}",
        lines.text
    );
    let audit = console(&app, &cookie, "/admin/audit").await;
    assert!(audit.text.contains(" JST</time>"), "{}", audit.text);

    // Reset and restore ask first; unconfirmed posts change nothing.
    let ask = console(&app, &cookie, &format!("/admin/lines/{TARO}/reset")).await;
    assert!(
        ask.text.contains(&format!("Reset line {TARO}?")),
        "{}",
        ask.text
    );
    let before = app.snapshot();
    let unconfirmed = console_post(
        &app,
        &cookie,
        &format!("/admin/lines/{TARO}/reset"),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(unconfirmed.location(), format!("/admin/lines/{TARO}/reset"));
    assert_eq!(
        console_post(&app, &cookie, "/admin/restore", &format!("csrf={csrf}"))
            .await
            .location(),
        "/admin/restore"
    );
    assert_eq!(
        app.snapshot(),
        before,
        "nothing changed without the confirmation"
    );
    assert!(console(&app, &cookie, "/admin/restore")
        .await
        .text
        .contains("Restore the demo fixtures?"));
    let reset = console_post(
        &app,
        &cookie,
        &format!("/admin/lines/{TARO}/reset"),
        &format!("csrf={csrf}&confirm=yes"),
    )
    .await;
    assert!(reset.text.contains("was reset"));
    let restored = console_post(
        &app,
        &cookie,
        "/admin/restore",
        &format!("csrf={csrf}&confirm=yes"),
    )
    .await;
    assert!(restored.text.contains("restored"));
    assert_eq!(app.api("/api/lines").await.header("x-total-count"), "3");
    let forged = console_post(&app, &cookie, "/admin/restore", "csrf=forged&confirm=yes").await;
    assert_eq!(forged.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_line_page_shows_its_state_audit_mailbox_and_bill_and_opens_the_emulator() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    handset.change_pin("9999", "1234", "1234").await;
    send_mail(
        &app,
        "shop@example.com",
        "taro-demo@docomo.ne.jp",
        "お知らせ",
        "詳しくは https://shop.example.com/news?id=7 をご覧ください",
    )
    .await;
    let (cookie, _) = login(&app).await;
    let lines = console(&app, &cookie, "/admin").await;
    assert!(
        lines
            .text
            .contains(&format!("href=\"/admin/lines/{TARO}\"")),
        "{}",
        lines.text
    );
    assert!(
        lines
            .text
            .contains("<header class=\"top\"><a class=\"brand\" href=\"/admin\">garake"),
        "the product name"
    );
    assert!(
        lines.text.contains("aria-current=\"page\">Lines</a>"),
        "the current page is marked"
    );
    let page = console(&app, &cookie, &format!("/admin/lines/{TARO}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for want in [
        "taro-demo@docomo.ne.jp",
        "<td>change_imode_password</td><td>wrong_pin</td>",
        "お知らせ",
        "Monthly total",
        &format!("href=\"/emulator?line={TARO}\""),
        &format!("href=\"/admin/audit?line={TARO}\""),
        "aria-current=\"page\">Lines</a>",
    ] {
        assert!(page.text.contains(want), "{want} in:\n{}", page.text);
    }
    // Links in a body are clickable, and only http(s) ones.
    assert!(page.text.contains(
        "<a href=\"https://shop.example.com/news?id=7\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">https://shop.example.com/news?id=7</a>"
    ), "{}", page.text);
    assert_eq!(
        console(&app, &cookie, "/admin/lines/09099999999")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_outbox_message_downloads_as_eml_and_can_be_deleted_or_sent_again() {
    let (addr, sink) = smtp_sink(0).await;
    let (app, relay) = relaying(&addr).await;
    send_external(&app, "member@example.com", "link").await;
    let id = app.api("/api/outbox").await.json()[0]["id"]
        .as_i64()
        .unwrap();
    let (cookie, csrf) = login(&app).await;
    let one = console(&app, &cookie, &format!("/outbox/{id}")).await;
    assert!(
        one.text.contains(&format!("href=\"/outbox/{id}/raw\"")),
        "{}",
        one.text
    );
    assert!(one.text.contains("Send again through the relay"));
    assert!(one.text.contains("class=\"state-pending\""), "{}", one.text);
    let eml = console(&app, &cookie, &format!("/outbox/{id}/raw")).await;
    assert_eq!(eml.header("content-type"), "message/rfc822");
    assert_eq!(
        eml.header("content-disposition"),
        format!("attachment; filename=\"outbox-{id}.eml\"")
    );
    assert!(
        eml.text.contains("Message-ID: <") && eml.text.contains("To: member@example.com"),
        "{}",
        eml.text
    );
    assert_eq!(relay_pass(&app, &relay).await, 1);
    let again = console_post(
        &app,
        &cookie,
        &format!("/outbox/{id}/relay"),
        &format!("csrf={csrf}"),
    )
    .await;
    assert!(
        again.text.contains("Queued for the relay again."),
        "{}",
        again.text
    );
    assert_eq!(relay_pass(&app, &relay).await, 1);
    assert_eq!(sink.lock().unwrap().len(), 2);
    let gone = console_post(
        &app,
        &cookie,
        &format!("/outbox/{id}/delete"),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(gone.location(), "/outbox");
    assert_eq!(app.api("/api/outbox").await.header("x-total-count"), "0");
}

#[tokio::test]
async fn the_console_refuses_to_move_the_clock_past_9999_with_a_clear_page() {
    use garake::clock::{LATEST, MAX_STEP};
    let app = TestApp::new().await;
    let (cookie, csrf) = login(&app).await;
    while app.state.clock.now() < LATEST - MAX_STEP {
        app.state.clock.advance(MAX_STEP).unwrap();
    }
    let offset = app.state.clock.offset();
    let before = app.snapshot_all_but(&[]);
    let advance = |seconds: &str| format!("csrf={csrf}&seconds={seconds}");
    let past = console_post(
        &app,
        &cookie,
        "/admin/clock",
        &advance(&MAX_STEP.to_string()),
    )
    .await;
    assert_eq!(past.status, StatusCode::BAD_REQUEST);
    assert!(
        past.text.contains("The clock was not moved"),
        "{}",
        past.text
    );
    assert!(
        past.text.contains("cannot pass 9999-12-31T23:59:59Z"),
        "{}",
        past.text
    );
    for bad in ["0", "-86400", "soon", "99999999999999999999999"] {
        let r = console_post(&app, &cookie, "/admin/clock", &advance(bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            r.text.contains("must be from 1 to 316224000"),
            "{bad}: {}",
            r.text
        );
    }
    assert_eq!(app.state.clock.offset(), offset, "the clock did not move");
    assert_eq!(app.snapshot_all_but(&[]), before);
    // A step that stays within 9999 still works.
    let day = console_post(&app, &cookie, "/admin/clock", &advance("1")).await;
    assert_eq!(day.status, StatusCode::SEE_OTHER);
    assert_eq!(app.state.clock.offset(), offset + 1);
}

#[tokio::test]
async fn empty_console_lists_say_why_they_are_empty_instead_of_a_bare_header() {
    let app = TestApp::new().await;
    let (cookie, _) = login(&app).await;
    for (path, says) in [
        ("/outbox", "The outbox is empty."),
        (
            "/outbox?to=nobody.example",
            "No message matches this search.",
        ),
        ("/admin/support", "No inquiries."),
        ("/admin/mail-log", "No mail yet."),
        (
            "/admin/audit?action=shop_reset",
            "No audit entry matches this filter.",
        ),
    ] {
        let page = console(&app, &cookie, path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.text.contains(says), "{path}: {}", page.text);
        assert!(!page.text.contains("<th>"), "{path}: no table without rows");
    }
    send_external(&app, "member@example.com", "hello").await;
    let outbox = console(&app, &cookie, "/outbox").await;
    assert!(!outbox.text.contains("The outbox is empty."));
    assert!(outbox.text.contains("member@example.com"));
}
