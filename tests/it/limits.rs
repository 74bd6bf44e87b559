//! Every resource a stranger can grow is bounded: one test per limit, each
//! showing the bound holds, what the client is told when it bites, and that a
//! refused request wrote nothing. (The connection and body deadlines need a
//! real socket: they are in `binary.rs`.)

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tokio::task::JoinSet;

use crate::helpers::*;
use crate::partners::{inquiry, post};

async fn power_on(app: &TestApp, msisdn: &str) -> String {
    let r = app.get(&format!("/on/{msisdn}"), P501I).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "a power-on is never refused"
    );
    r.location()
}

/// Where a session's menu page leads now: 200, or back to power-on (expired).
async fn page_status(app: &TestApp, imenu: &str) -> (StatusCode, String) {
    let r = app.get(imenu, P501I).await;
    let location = if r.status.is_redirection() {
        r.location()
    } else {
        String::new()
    };
    (r.status, location)
}

#[tokio::test]
async fn beyond_max_sessions_the_least_recently_used_session_is_forgotten() {
    let app = TestApp::with(|c| c.limits.max_sessions = 3).await;
    let a = power_on(&app, TARO).await;
    let b = power_on(&app, HANAKO).await;
    let c = power_on(&app, ICHIRO).await;
    // a is used again: b is now the least recently used.
    assert_eq!(page_status(&app, &a).await.0, StatusCode::OK);
    let d = power_on(&app, TARO).await;
    assert_eq!(
        page_status(&app, &b).await,
        (StatusCode::SEE_OTHER, "/?expired=1".to_string()),
        "the forgotten session's next page is the expired page"
    );
    for alive in [&a, &c, &d] {
        assert_eq!(page_status(&app, alive).await.0, StatusCode::OK, "{alive}");
    }
    assert_eq!(app.state.sessions.len(), 3);
}

#[tokio::test]
async fn one_line_keeps_at_most_its_share_of_sessions() {
    let app = TestApp::with(|c| c.limits.sessions_per_line = 2).await;
    let first = power_on(&app, TARO).await;
    let other_line = power_on(&app, HANAKO).await;
    let _second = power_on(&app, TARO).await;
    let _third = power_on(&app, TARO).await;
    assert_eq!(page_status(&app, &first).await.0, StatusCode::SEE_OTHER);
    assert_eq!(page_status(&app, &other_line).await.0, StatusCode::OK);
    assert_eq!(app.state.sessions.len(), 3);
}

#[tokio::test]
async fn the_sweep_forgets_idle_sessions_and_pc_logins() {
    let app = TestApp::new().await;
    let imenu = power_on(&app, TARO).await;
    let login = app.post("/admin/login", PC, format!("token={TOKEN}")).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_eq!(app.state.sessions.len(), 1);
    assert_eq!(app.state.pc_logins.len(), 1);
    // Not yet idle long enough: nothing goes.
    assert!(app.state.sweep().unwrap().sessions == 0);
    app.state.clock.advance(31 * 60).unwrap();
    let swept = app.state.sweep().unwrap();
    assert_eq!(swept.sessions, 1);
    assert_eq!(app.state.sessions.len(), 0);
    assert_eq!(page_status(&app, &imenu).await.0, StatusCode::SEE_OTHER);
    // The console login lives on real time: moving the simulated clock keeps it.
    assert_eq!(app.state.pc_logins.len(), 1);
}

#[tokio::test]
async fn beyond_max_pc_logins_the_oldest_login_is_forgotten() {
    let app = TestApp::with(|c| c.limits.max_pc_logins = 2).await;
    let cookie = |r: &Resp| {
        r.header("set-cookie")
            .split(';')
            .next()
            .unwrap()
            .to_string()
    };
    let mut cookies = Vec::new();
    for _ in 0..3 {
        let r = app.post("/admin/login", PC, format!("token={TOKEN}")).await;
        cookies.push(cookie(&r));
    }
    let console = |c: String| {
        Request::get("/admin")
            .header(header::COOKIE, c)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        app.request(console(cookies[0].clone())).await.status,
        StatusCode::SEE_OTHER,
        "the oldest login must log in again"
    );
    for c in &cookies[1..] {
        assert_eq!(app.request(console(c.clone())).await.status, StatusCode::OK);
    }
    assert_eq!(app.state.pc_logins.len(), 2);
}

#[tokio::test]
async fn argon2_memory_is_made_once_per_slot_however_many_checks() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let before = app.state.pins.runs();
    for _ in 0..4 {
        handset.change_pin("0000", "1234", "1234").await;
        handset.change_pin("1234", "0000", "0000").await;
    }
    assert!(app.state.pins.runs() >= before + 8, "the checks ran");
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    assert!(app.state.pins.slots_made() <= cores);
}

#[tokio::test]
async fn a_locked_password_is_answered_without_running_argon2() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    for _ in 0..3 {
        handset.change_pin("9999", "1234", "1234").await;
    }
    assert!(app.line(TARO).await["pin_locked"].as_bool().unwrap());
    let runs = app.state.pins.runs();
    let locked = handset.change_pin("0000", "1234", "1234").await;
    assert_eq!(locked.status, StatusCode::FORBIDDEN);
    assert!(locked.text.contains("locked"), "{}", locked.text);
    assert_eq!(app.state.pins.runs(), runs, "no Argon2 for a locked secret");
    // Only the attempt itself was recorded.
    assert_eq!(
        app.audit(TARO).await[0],
        ("change_imode_password".into(), "locked".into())
    );
}

#[tokio::test]
async fn simultaneous_wrong_passwords_get_no_more_checks_than_three() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    // Twenty forms with their tokens, then all twenty posted at once.
    let path = handset.action("change-imode-password");
    let mut bodies = Vec::new();
    for _ in 0..20 {
        let form = handset.get(&path).await;
        bodies.push(format!(
            "pin=9999&new_pin=1234&new_pin_confirm=1234&ft={}",
            form.form_token()
        ));
    }
    let runs = app.state.pins.runs();
    let mut tasks = JoinSet::new();
    for body in bodies {
        let (router, path) = (app.router(), path.clone());
        tasks.spawn(async move {
            let req = Request::post(&path)
                .header(header::USER_AGENT, P501I)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap();
            respond(router, req).await.status
        });
    }
    let statuses = tasks.join_all().await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::FORBIDDEN),
        "{statuses:?}"
    );
    assert_eq!(app.state.pins.runs() - runs, 3, "three checks, then locked");
    assert!(app.line(TARO).await["pin_locked"].as_bool().unwrap());
}

/// Posts `n` My docomo logins for one account at once; returns their statuses.
async fn simultaneous_logins(app: &TestApp, n: usize, password: &str) -> Vec<StatusCode> {
    let mut tasks = JoinSet::new();
    for _ in 0..n {
        let router = app.router();
        let body = format!("daccount_id=taro.docomo&daccount_password={password}");
        tasks.spawn(async move {
            let req = Request::post("/mydocomo/login")
                .header(header::USER_AGENT, PC)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap();
            respond(router, req).await.status
        });
    }
    tasks.join_all().await
}

#[tokio::test]
async fn simultaneous_logins_get_no_more_checks_than_sequential_ones() {
    let app = TestApp::new().await;
    let runs = app.state.pins.runs();
    let statuses = simultaneous_logins(&app, 30, "wrong-password").await;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let waited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((refused, waited), (3, 27), "{statuses:?}");
    assert_eq!(
        app.state.pins.runs() - runs,
        3,
        "three password checks in all"
    );
    // The right password now waits too: no guess gets through the throttle.
    let right = simultaneous_logins(&app, 1, "Demo-Pass-0001").await;
    assert_eq!(right, [StatusCode::TOO_MANY_REQUESTS]);
}

#[tokio::test]
async fn simultaneous_right_logins_all_succeed_one_after_another() {
    let app = TestApp::new().await;
    let statuses = simultaneous_logins(&app, 8, "Demo-Pass-0001").await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::SEE_OTHER),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn an_unknown_login_id_costs_the_same_one_check_as_a_wrong_password() {
    let app = TestApp::new().await;
    let cases = [
        (
            "/mydocomo/login",
            "daccount_id=taro.docomo&daccount_password=wrong-pass",
        ),
        (
            "/mydocomo/login",
            "daccount_id=nobody.here&daccount_password=wrong-pass",
        ),
        ("/shop/login", "staff_id=staff01&staff_password=wrong"),
        ("/shop/login", "staff_id=staff99&staff_password=wrong"),
        ("/p/ims/login", "login_id=abcd&password=wrong-pass"),
        ("/p/ims/login", "login_id=nobody&password=wrong-pass"),
        ("/p/koku/login", "login_id=123456789&password=wrong-pass"),
        ("/p/koku/login", "login_id=000000000&password=wrong-pass"),
    ];
    for (path, body) in cases {
        let runs = app.state.pins.runs();
        let r = app.post(path, PC, body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path} {body}");
        assert_eq!(
            app.state.pins.runs() - runs,
            1,
            "{path} {body}: one Argon2 check"
        );
    }
}

#[tokio::test]
async fn a_full_mailbox_refuses_new_mail_back_to_the_sender_and_keeps_what_it_holds() {
    let app = TestApp::with(|c| c.limits.mailbox_messages = 3).await;
    for i in 0..3 {
        let r = send_mail(
            &app,
            "a@example.com",
            "taro-demo@docomo.ne.jp",
            &format!("m{i}"),
            "x",
        )
        .await;
        assert_eq!(r.json()["status"], "delivered");
    }
    let r = send_mail(&app, "a@example.com", "taro-demo@docomo.ne.jp", "m3", "x").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "rejected");
    assert_eq!(r.json()["reason"], "mailbox_full");
    let log = app.api("/api/mail-log?limit=1").await.json();
    assert_eq!(log[0]["reason"], "mailbox_full");
    let inbox = app.api(&format!("/api/lines/{TARO}/mail")).await;
    assert_eq!(inbox.header("x-total-count"), "3");
    // From a handset, the sender is told why.
    let hanako = app.handset_lang(HANAKO, P501I, "en").await;
    let form = hanako.get(&hanako.action("mail-compose")).await;
    let sent = hanako
        .post(
            &hanako.action("mail-compose"),
            format!(
                "to=taro-demo%40docomo.ne.jp&subject=hi&body=x&ft={}",
                form.form_token()
            ),
        )
        .await;
    assert!(sent.text.contains("mailbox is full"), "{}", sent.text);
}

#[tokio::test]
async fn mail_older_than_720_simulated_hours_is_deleted_by_the_sweep() {
    let app = TestApp::new().await;
    send_mail(&app, "a@example.com", "taro-demo@docomo.ne.jp", "old", "x").await;
    app.state.clock.advance(700 * 3600).unwrap();
    send_mail(&app, "a@example.com", "taro-demo@docomo.ne.jp", "new", "x").await;
    app.state.clock.advance(21 * 3600).unwrap();
    assert_eq!(app.state.sweep().unwrap().mail, 1);
    let inbox = app.api(&format!("/api/lines/{TARO}/mail")).await.json();
    let subjects: Vec<&str> = inbox
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["new"]);
}

#[tokio::test]
async fn one_mail_is_at_most_100_and_10000_bytes_in_shift_jis() {
    let app = TestApp::new().await;
    // 5,000 full-width characters are exactly 10,000 bytes: allowed.
    let fits = send_mail(
        &app,
        "a@example.com",
        "taro-demo@docomo.ne.jp",
        &"あ".repeat(50),
        &"あ".repeat(5000),
    )
    .await;
    assert_eq!(fits.json()["status"], "delivered", "{}", fits.text);
    let before = app.snapshot();
    for (subject, body) in [
        ("あ".repeat(51), "x".to_string()),
        ("x".to_string(), format!("{}x", "あ".repeat(5000))),
        // A pictogram is two bytes like a kanji.
        ("x".to_string(), "\u{E63E}".repeat(5001)),
    ] {
        let r = send_mail(
            &app,
            "a@example.com",
            "taro-demo@docomo.ne.jp",
            &subject,
            &body,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.json()["error"].as_str().unwrap().contains("bytes"));
    }
    assert_eq!(app.snapshot(), before);
    let handset = app.handset_lang(HANAKO, P501I, "en").await;
    // The largest mail a handset may send, percent-encoded as handsets do.
    let form = handset.get(&handset.action("mail-compose")).await;
    let body = format!(
        "to=friend%40example.com&subject=big&body={}&ft={}",
        enc(&"あ".repeat(5000)),
        form.form_token()
    );
    let sent = handset.post(&handset.action("mail-compose"), body).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert!(sent.text.contains("Sent"), "{}", sent.text);
    let before = app.snapshot();
    let form = handset.get(&handset.action("mail-compose")).await;
    let body = format!(
        "to=taro-demo%40docomo.ne.jp&subject={}&body=x&ft={}",
        enc(&"あ".repeat(51)),
        form.form_token()
    );
    let r = handset.post(&handset.action("mail-compose"), body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("100 bytes"), "{}", r.text);
    assert_eq!(app.snapshot(), before);
}

#[tokio::test]
async fn a_line_sends_at_most_its_rate_a_minute_and_then_is_told_to_wait() {
    let app = TestApp::with(|c| c.limits.mail_per_minute = 2).await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let compose = |n: usize| {
        let handset = &handset;
        async move {
            let form = handset.get(&handset.action("mail-compose")).await;
            let body = format!(
                "to=friend%40example.com&subject=m{n}&body=x&ft={}",
                form.form_token()
            );
            handset.post(&handset.action("mail-compose"), body).await
        }
    };
    assert_eq!(compose(1).await.status, StatusCode::OK);
    assert_eq!(compose(2).await.status, StatusCode::OK);
    let outbox = app
        .api("/api/outbox")
        .await
        .header("x-total-count")
        .to_string();
    let waited = compose(3).await;
    assert_eq!(waited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(waited.text.contains("please wait"), "{}", waited.text);
    assert_eq!(
        app.api("/api/outbox").await.header("x-total-count"),
        outbox,
        "nothing sent"
    );
    // The API on the line's behalf shares the line's allowance.
    let api = send_mail(
        &app,
        "taro-demo@docomo.ne.jp",
        "friend@example.com",
        "api",
        "x",
    )
    .await;
    assert_eq!(api.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(api.header("retry-after").parse::<i64>().unwrap() > 0);
    assert!(api.json()["error"].is_string());
    // Each refusal is counted in the minute's summary of its door, nothing more.
    let refused: Vec<(String, String, i64)> = app
        .audit_log(&format!("line={TARO}&action=send_mail"))
        .await
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap().into(),
                e["source"].as_str().unwrap().into(),
                e["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            ("throttled".into(), "api:local".into(), 1),
            ("throttled".into(), "handset".into(), 1)
        ]
    );
    app.state.clock.advance(60).unwrap();
    assert_eq!(compose(4).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_throttled_login_is_counted_in_a_summary_and_writes_no_row_of_its_own() {
    let app = TestApp::new().await;
    app.start_of_a_minute();
    let login = || {
        app.post(
            "/mydocomo/login",
            PC,
            "daccount_id=taro.docomo&daccount_password=wrong",
        )
    };
    for _ in 0..3 {
        assert_eq!(login().await.status, StatusCode::UNAUTHORIZED);
    }
    let waited = login().await;
    assert_eq!(waited.status, StatusCode::TOO_MANY_REQUESTS);
    let before = app.snapshot_all_but(&["audit"]);
    for _ in 0..20 {
        assert_eq!(login().await.status, StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(
        app.snapshot_all_but(&["audit"]),
        before,
        "nothing counted twice"
    );
    let rows: Vec<(String, i64)> = app
        .audit_log("action=mydocomo_login")
        .await
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap().into(),
                e["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("throttled".into(), 21),
            ("refused".into(), 1),
            ("refused".into(), 1),
            ("refused".into(), 1)
        ]
    );
}

#[tokio::test]
async fn the_inbox_reads_one_page_and_the_mailbox_api_pages_with_a_total() {
    let app = TestApp::new().await;
    for i in 0..12 {
        send_mail(
            &app,
            "a@example.com",
            "taro-demo@docomo.ne.jp",
            &format!("m{i:02}"),
            "x",
        )
        .await;
    }
    let r = app
        .api(&format!("/api/lines/{TARO}/mail?limit=3&offset=2"))
        .await;
    assert_eq!(r.header("x-total-count"), "12");
    let subjects: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(subjects, ["m09", "m08", "m07"]);
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let first = handset.get(&handset.action("mail-inbox")).await;
    assert!(first.bytes.len() <= 2048, "{}", first.bytes.len());
    assert!(first.text.contains("m11") && !first.text.contains("m00"));
    let mut page = first;
    let mut seen = 0;
    loop {
        seen += (0..12)
            .filter(|i| page.text.contains(&format!("m{i:02}")))
            .count();
        let Some(next) = links(&page.text)
            .into_iter()
            .find(|(_, t)| t.contains("Next"))
        else {
            break;
        };
        page = handset.get(&next.0).await;
        assert_eq!(page.status, StatusCode::OK);
    }
    assert_eq!(seen, 12, "every mail on some page, none twice");
}

#[tokio::test]
async fn partner_inquiries_are_limited_per_client_address_and_a_refusal_writes_nothing() {
    let app = TestApp::with(|c| c.limits.partner_requests_per_minute = 2).await;
    for _ in 0..2 {
        let r = post(&app, "/p/plus-member/r/inquiry", &inquiry(&[])).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let count = |app: &TestApp| -> i64 {
        app.sql(|c| c.query_row("SELECT count(*) FROM support_inquiries", [], |r| r.get(0)))
    };
    assert_eq!(count(&app), 2);
    let refused = post(&app, "/p/plus-member/r/inquiry", &inquiry(&[])).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused.text.contains("Too many requests"),
        "{}",
        refused.text
    );
    assert!(refused.header("retry-after").parse::<i64>().unwrap() > 0);
    assert_eq!(count(&app), 2, "nothing written");
    // Joining is counted with the inquiries.
    let join = post(
        &app,
        "/p/plus-member/r/join",
        "login_id=newfan01&email=new%40example.com&birth_date=19950101&nickname=new&payment_method=credit_card&carrier=",
    )
    .await;
    assert_eq!(join.status, StatusCode::TOO_MANY_REQUESTS);
    app.state.clock.advance(60).unwrap();
    assert_eq!(
        post(&app, "/p/plus-member/r/inquiry", &inquiry(&[]))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn admin_token_guesses_are_limited_per_address_and_every_failure_is_audited() {
    let app = TestApp::with(|c| c.limits.admin_guesses_per_minute = 3).await;
    app.start_of_a_minute();
    let bearer = |token: &str| {
        Request::get("/api/lines")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(
            app.request(bearer("guess-guess-guess")).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = app.request(bearer("guess-guess-guess")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.json()["error"].is_string());
    assert!(limited.header("retry-after").parse::<i64>().unwrap() > 0);
    // Even the right token waits now: guessing gets no further.
    assert_eq!(
        app.request(bearer(TOKEN)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let console = app.post("/admin/login", PC, format!("token={TOKEN}")).await;
    assert_eq!(console.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.wrong_tokens(), 3, "each failure audited, the waits not");
    app.state.clock.advance(60).unwrap();
    assert_eq!(app.request(bearer(TOKEN)).await.status, StatusCode::OK);
    // The refusals are counted in one summary per door and minute.
    let audit = app.api("/api/audit?action=admin_login").await.json();
    let rows: Vec<(&str, &str, i64)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap(),
                e["source"].as_str().unwrap(),
                e["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("throttled", "console:local", 1),
            ("throttled", "api:local", 2),
            ("wrong_token", "api:local", 1),
            ("wrong_token", "api:local", 1),
            ("wrong_token", "api:local", 1),
        ]
    );
}

#[tokio::test]
async fn the_logs_and_the_consoles_lists_are_paginated_50_a_page() {
    let app = TestApp::new().await;
    for i in 0..55 {
        send_mail(&app, "a@example.com", "taro-demo@docomo.ne.jp", "s", "x").await;
        let body = format!("daccount_id=nobody{i}&daccount_password=b");
        let login = app.post("/mydocomo/login", PC, body).await;
        assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    }
    let log = app.api("/api/mail-log?limit=50").await;
    assert_eq!(log.json().as_array().unwrap().len(), 50);
    assert_eq!(log.header("x-total-count"), "55");
    let second = app.api("/api/mail-log?limit=50&offset=50").await;
    assert_eq!(second.json().as_array().unwrap().len(), 5);
    let audit = app
        .api("/api/audit?action=mydocomo_login&limit=10&offset=50")
        .await;
    assert_eq!(audit.header("x-total-count"), "55");
    assert_eq!(audit.json().as_array().unwrap().len(), 5);
    // The console shows 50 and a link to the rest.
    let login = app.post("/admin/login", PC, format!("token={TOKEN}")).await;
    let cookie = login
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = |path: &str| {
        Request::get(path)
            .header(header::COOKIE, cookie.clone())
            .body(Body::empty())
            .unwrap()
    };
    let first = app
        .request(page("/admin/audit?action=mydocomo_login"))
        .await;
    assert_eq!(first.text.matches("<td>mydocomo_login</td>").count(), 50);
    assert!(first.text.contains("Showing 1–50 of 55"), "{}", first.text);
    let older = links(&first.text)
        .into_iter()
        .find(|(_, t)| t.contains("Older"))
        .unwrap()
        .0;
    let rest = app.request(page(&older)).await;
    assert_eq!(rest.text.matches("<td>mydocomo_login</td>").count(), 5);
    let mail_log = app.request(page("/admin/mail-log")).await;
    assert!(mail_log.text.contains("Showing 1–50 of 55"));
}

#[tokio::test]
async fn an_in_memory_database_takes_concurrent_writers_without_a_5xx() {
    let app = TestApp::with(|c| c.db = ":memory:".into()).await;
    let mut tasks = JoinSet::new();
    for i in 0..8 {
        let router = app.router();
        tasks.spawn(async move {
            let mut statuses = Vec::new();
            for n in 0..15 {
                let payload = serde_json::json!({
                    "from": format!("sender{i}@example.com"),
                    "to": "taro-demo@docomo.ne.jp",
                    "subject": format!("{i}-{n}"),
                    "body": "あ".repeat(2000),
                });
                let req = Request::post("/api/mail")
                    .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(payload.to_string()))
                    .unwrap();
                statuses.push(respond(router.clone(), req).await.status);
            }
            statuses
        });
    }
    let statuses: Vec<StatusCode> = tasks.join_all().await.into_iter().flatten().collect();
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let inbox = app.api(&format!("/api/lines/{TARO}/mail")).await;
    assert_eq!(inbox.header("x-total-count"), "120");
}

/// A request to the API from `ip`, with `Authorization` set to `auth` (if any).
fn api_from(ip: &str, auth: Option<&str>) -> Request<Body> {
    let mut req = Request::get("/api/lines");
    if let Some(auth) = auth {
        req = req.header(header::AUTHORIZATION, auth);
    }
    let mut req = req.body(Body::empty()).unwrap();
    let addr: std::net::SocketAddr = format!("{ip}:40000").parse().unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    req
}

#[tokio::test]
async fn a_request_without_a_token_is_401_and_no_guess_and_only_wrong_tokens_are_audited() {
    let app = TestApp::new().await;
    let before = app.snapshot_all_but(&[]);
    // An API fuzzer without the token: no header, another scheme, an empty bearer.
    for i in 0..100 {
        let auth = [None, Some("Basic dXNlcjpwYXNz"), Some("Bearer ")][i % 3];
        let r = app.request(api_from("192.0.2.1", auth)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(r.header("www-authenticate"), "Bearer");
        assert!(r.json()["error"].is_string());
    }
    // The console's login form sent empty.
    let empty = app.post("/admin/login", PC, "token=").await;
    assert_eq!(empty.status, StatusCode::UNAUTHORIZED);
    assert!(
        empty.text.contains("Enter the admin token."),
        "{}",
        empty.text
    );
    assert_eq!(
        app.snapshot_all_but(&[]),
        before,
        "no guess was counted or audited"
    );
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(
        app.request(api_from("192.0.2.1", Some(&bearer)))
            .await
            .status,
        StatusCode::OK,
        "the address was not locked out"
    );
    // Wrong tokens are guesses: ten are answered 401, the eleventh 429.
    for _ in 0..10 {
        let r = app
            .request(api_from("192.0.2.1", Some("Bearer not-the-admin-token")))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let limited = app
        .request(api_from("192.0.2.1", Some("Bearer not-the-admin-token")))
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.header("retry-after").parse::<i64>().unwrap() > 0);
    // Audited: every wrong token, and the refusal in the minute's summary.
    let audit = app.audit_log("action=admin_login").await;
    assert_eq!(audit.len(), 11, "{audit:?}");
    assert_eq!(audit[0]["outcome"], "throttled");
    assert_eq!(audit[0]["count"], 1);
    assert!(audit[1..].iter().all(|e| e["outcome"] == "wrong_token"
        && e["source"] == "api:192.0.2.1"
        && e["count"] == 1));
    assert_eq!(app.wrong_tokens(), 10);
    assert_eq!(
        app.audit_log("").await.len(),
        11,
        "nothing else was written"
    );
}

#[tokio::test]
async fn throttled_requests_write_one_summary_a_minute_and_no_row_of_their_own() {
    let app = TestApp::new().await;
    app.start_of_a_minute();
    let from = |ip: &str, body: String| {
        let mut req = Request::post("/p/plus-member/r/forgot")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let addr: std::net::SocketAddr = format!("{ip}:40000").parse().unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        req
    };
    // An address uses up its free requests, each audited as before...
    for i in 0..30 {
        let r = app
            .request(from("192.0.2.7", format!("login_id=PM8{i:06}")))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let forgot = "action=partner:plus-member:forgot";
    assert_eq!(app.audit_log(forgot).await.len(), 30);
    // ...then is held back: the first refusal adds the minute's summary...
    app.request(from("192.0.2.7", "login_id=PM9000000".into()))
        .await;
    let before = app.snapshot_all_but(&["audit"]);
    let rows_before = app.audit_log("").await.len();
    // ...and the flood that follows adds nothing but its count.
    for i in 1..200 {
        let r = app
            .request(from("192.0.2.7", format!("login_id=PM9{i:06}")))
            .await;
        assert_eq!(r.status, StatusCode::OK, "the page stays the same");
    }
    assert_eq!(
        app.snapshot_all_but(&["audit"]),
        before,
        "no throttle key, mail or token written"
    );
    assert_eq!(app.audit_log("").await.len(), rows_before);
    let summary = &app.audit_log(forgot).await[0];
    assert_eq!(summary["outcome"], "throttled");
    assert_eq!(summary["source"], "partner:192.0.2.7");
    assert_eq!(summary["count"], 200);
    // After the wait one more request goes through; the next refusal is
    // another minute's, in a row of its own.
    app.state.clock.advance(60).unwrap();
    for id in ["PM9999998", "PM9999999"] {
        app.request(from("192.0.2.7", format!("login_id={id}")))
            .await;
    }
    let summaries: Vec<(String, i64)> = app
        .audit_log(&format!("{forgot}&outcome=throttled"))
        .await
        .iter()
        .map(|e| {
            (
                e["source"].as_str().unwrap().to_string(),
                e["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summaries,
        [
            ("partner:192.0.2.7".to_string(), 1),
            ("partner:192.0.2.7".to_string(), 200)
        ]
    );
    // Each refusal is a limit hit in the metrics.
    let metrics = app.api("/metrics").await.text;
    assert!(
        metrics.contains("garake_limit_hits_total{limit=\"rate_limited\"} 201\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn attempts_on_a_locked_password_are_counted_in_one_row_a_minute() {
    let app = TestApp::new().await;
    app.start_of_a_minute();
    let handset = app.handset_lang(TARO, P501I, "en").await;
    for _ in 0..3 {
        handset.change_pin("9999", "1234", "1234").await;
    }
    for _ in 0..20 {
        let r = handset.change_pin("0000", "1234", "1234").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let audit = app.audit_log(&format!("line={TARO}")).await;
    let rows: Vec<(&str, i64)> = audit
        .iter()
        .map(|e| (e["outcome"].as_str().unwrap(), e["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            ("locked", 20),
            ("wrong_pin", 1),
            ("wrong_pin", 1),
            ("wrong_pin", 1)
        ]
    );
}

#[tokio::test]
async fn security_events_outlive_a_flood_of_ordinary_rows() {
    let app = TestApp::new().await;
    // Security events: wrong admin tokens, a lockout, a reset with the network PIN.
    for _ in 0..3 {
        let r = app
            .request(api_from("192.0.2.66", Some("Bearer not-the-admin-token")))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let handset = app.handset_lang(HANAKO, P501I, "en").await;
    for _ in 0..4 {
        handset.change_pin("1111", "1234", "1234").await;
    }
    assert_eq!(handset.reset_pin("5678").await.status, StatusCode::OK);
    let kept = |app: &TestApp| -> (i64, i64) {
        app.sql(|c| {
                c.query_row(
                    "SELECT count(*) FILTER (WHERE security = 0), count(*) FILTER (WHERE security = 1) FROM audit",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
    };
    let (_, security) = kept(&app);
    assert_eq!(
        security,
        3 + 3 + 1 + 1,
        "wrong tokens, wrong PINs, the lock, the reset"
    );
    let security_rows: Vec<serde_json::Value> = app
        .audit_log("")
        .await
        .into_iter()
        .filter(|e| e["outcome"] != "ok" || e["action"] == "reset_imode_password")
        .collect();
    // A flood of ordinary rows past the cap (as a flood of refused logins writes).
    let flood = garake::limits::LOG_ROWS + 500;
    app.sql(move |c| {
        c.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
                 INSERT INTO audit (at, line, action, outcome, source)
                 SELECT 1796137140 + i, NULL, 'mydocomo_login', 'refused', 'mydocomo' FROM n",
            [flood],
        )?;
        Ok(())
    });
    let swept = app.state.sweep().unwrap();
    assert!(swept.logs >= 500, "{swept:?}");
    assert_eq!(kept(&app), (garake::limits::LOG_ROWS, security));
    // The API lists every kind, newest first: the flood's newest row, and
    // every security event still there.
    let newest = app.api("/api/audit?limit=1").await;
    assert_eq!(newest.json()[0]["action"], "mydocomo_login");
    assert_eq!(
        newest.header("x-total-count"),
        (garake::limits::LOG_ROWS + security).to_string()
    );
    for event in &security_rows {
        let action = event["action"].as_str().unwrap();
        let found = app.audit_log(&format!("action={action}")).await;
        assert!(found.contains(event), "{event} was rotated out");
    }
    assert_eq!(app.wrong_tokens(), 3);
}
