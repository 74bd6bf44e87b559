//! i-mode mail end to end: API, handset inbox and compose, notices, outbox.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use crate::helpers::*;

async fn send(app: &TestApp, from: &str, to: &str, subject: &str, body: &str) -> serde_json::Value {
    let payload = serde_json::json!({"from": from, "to": to, "subject": subject, "body": body});
    let r = post_json(app, "/api/mail", &payload.to_string()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

async fn post_json(app: &TestApp, path: &str, body: &str) -> Resp {
    let req = Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.request(req).await
}

async fn inbox(app: &TestApp, msisdn: &str) -> Vec<serde_json::Value> {
    app.api(&format!("/api/lines/{msisdn}/mail"))
        .await
        .json()
        .as_array()
        .unwrap()
        .clone()
}

fn outcome(v: &serde_json::Value) -> (String, Option<String>) {
    (
        v["status"].as_str().unwrap().to_string(),
        v["reason"].as_str().map(str::to_owned),
    )
}

fn rejected(reason: &str) -> (String, Option<String>) {
    ("rejected".into(), Some(reason.into()))
}

fn delivered() -> (String, Option<String>) {
    ("delivered".into(), None)
}

#[tokio::test]
async fn api_mail_is_delivered_to_the_inbox_and_read_on_the_handset() {
    let app = TestApp::new().await;
    let r = send(
        &app,
        "friend@example.com",
        "Taro-Demo@docomo.ne.jp",
        "こんにちは",
        "元気ですか?\n2行目",
    )
    .await;
    assert_eq!(outcome(&r), delivered());
    let mails = inbox(&app, TARO).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["subject"], "こんにちは");
    assert_eq!(mails[0]["read"], false);

    let handset = app.handset(TARO, P501I).await;
    let list = handset.get(&handset.action("mail-inbox")).await;
    assert!(
        list.text.contains("●こんにちは friend@example.com"),
        "{}",
        list.text
    );
    let mail = handset.get(&list.link("こんにちは")).await;
    assert!(mail.text.contains("元気ですか?<br>2行目"), "{}", mail.text);
    assert_eq!(inbox(&app, TARO).await[0]["read"], true);
    let list = handset.get(&handset.action("mail-inbox")).await;
    assert!(!list.text.contains("●"));
}

#[tokio::test]
async fn delivery_obeys_each_lines_settings_at_that_moment() {
    let app = TestApp::new().await;
    // Hanako: receive designated (only Taro), secret code 7777 on her number address.
    assert_eq!(
        outcome(
            &send(
                &app,
                "taro-demo@docomo.ne.jp",
                "09012340002.7777@docomo.ne.jp",
                "s",
                "b"
            )
            .await
        ),
        delivered()
    );
    assert_eq!(
        outcome(
            &send(
                &app,
                "taro-demo@docomo.ne.jp",
                "09012340002.1111@docomo.ne.jp",
                "s",
                "b"
            )
            .await
        ),
        rejected("wrong_secret_code")
    );
    assert_eq!(
        outcome(
            &send(
                &app,
                "taro-demo@docomo.ne.jp",
                "09012340002@docomo.ne.jp",
                "s",
                "b"
            )
            .await
        ),
        rejected("secret_code_required")
    );
    assert_eq!(
        outcome(
            &send(
                &app,
                "x@example.com",
                "09012340002.7777@docomo.ne.jp",
                "s",
                "b"
            )
            .await
        ),
        rejected("not_designated")
    );
    // Ichiro: suspended.
    assert_eq!(
        outcome(&send(&app, "a@example.com", "ichiro-demo@docomo.ne.jp", "s", "b").await),
        rejected("suspended")
    );
    assert_eq!(
        outcome(&send(&app, "a@example.com", "nobody@docomo.ne.jp", "s", "b").await),
        rejected("unknown_address")
    );
    assert_eq!(inbox(&app, HANAKO).await.len(), 1);
    assert!(inbox(&app, ICHIRO).await.is_empty());

    // Taro changes his address: the old one becomes unknown at once.
    let handset = app.handset(TARO, P501I).await;
    let (_, done) = handset
        .protect("change-mail-address", "new_address=taro-new", "0000")
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(
        outcome(&send(&app, "a@example.com", "taro-demo@docomo.ne.jp", "s", "b").await),
        rejected("unknown_address")
    );
    assert_eq!(
        outcome(&send(&app, "a@example.com", "taro-new@docomo.ne.jp", "s", "b").await),
        delivered()
    );

    // Taro turns on reject-all: refused from then on.
    handset
        .protect("mail-rejection", "mode=reject_all&list=", "0000")
        .await;
    assert_eq!(
        outcome(&send(&app, "a@example.com", "taro-new@docomo.ne.jp", "s", "b").await),
        rejected("reject_all")
    );

    // Every decision is in the mail log, newest first.
    let log = app.api("/api/mail-log").await.json();
    assert_eq!(log[0]["status"], "rejected");
    assert_eq!(log[0]["reason"], "reject_all");
    assert_eq!(log[0]["line"], TARO);
}

#[tokio::test]
async fn a_handset_composes_japanese_mail_in_shift_jis() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let form = handset.get(&handset.action("mail-compose")).await;
    handset.check_size(&form);
    let body = format!(
        "to={}&subject={}&body={}&ft={}",
        enc("09012340002.7777@docomo.ne.jp"),
        enc("明日の予定"),
        enc("駅で10時に待ち合わせ。"),
        form.form_token()
    );
    let sent = handset.post(&handset.action("mail-compose"), body).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert!(sent.text.contains("送信しました"), "{}", sent.text);
    let mails = inbox(&app, HANAKO).await;
    assert_eq!(mails[0]["subject"], "明日の予定");
    assert_eq!(mails[0]["body"], "駅で10時に待ち合わせ。");
    assert_eq!(mails[0]["from"], "taro-demo@docomo.ne.jp");

    // Refused mail says so on the handset.
    let form = handset.get(&handset.action("mail-compose")).await;
    let body = format!(
        "to=ichiro-demo%40docomo.ne.jp&subject=x&body=y&ft={}",
        form.form_token()
    );
    let refused = handset.post(&handset.action("mail-compose"), body).await;
    assert!(
        refused.text.contains("送信できませんでした"),
        "{}",
        refused.text
    );
    // A bad address is refused before anything is sent.
    let before = app.snapshot();
    let form = handset.get(&handset.action("mail-compose")).await;
    let bad = handset
        .post(
            &handset.action("mail-compose"),
            format!("to=nobody&subject=&body=&ft={}", form.form_token()),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.snapshot(), before);
}

#[tokio::test]
async fn deleting_a_mail_needs_its_token_once() {
    let app = TestApp::new().await;
    send(&app, "a@example.com", "taro-demo@docomo.ne.jp", "one", "x").await;
    let handset = app.handset(TARO, P501I).await;
    let list = handset.get(&handset.action("mail-inbox")).await;
    let path = list.link("one");
    let mail = handset.get(&path).await;
    let body = format!("ft={}", mail.form_token());
    let done = handset.post(&format!("{path}/delete"), body.clone()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(inbox(&app, TARO).await.is_empty());
    assert_eq!(
        handset.post(&format!("{path}/delete"), body).await.status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn a_password_change_sends_a_notice_but_not_to_a_suspended_line() {
    let app = TestApp::new().await;
    let taro = app.handset(TARO, P501I).await;
    taro.change_pin("0000", "1234", "1234").await;
    let mails = inbox(&app, TARO).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["from"], "info@docomo.ne.jp");
    assert!(mails[0]["subject"]
        .as_str()
        .unwrap()
        .contains("i-mode password changed"));

    let ichiro = app.handset(ICHIRO, P501I).await;
    assert_eq!(
        ichiro.change_pin("0000", "1234", "1234").await.status,
        StatusCode::OK
    );
    assert!(
        inbox(&app, ICHIRO).await.is_empty(),
        "a suspended line gets no notice"
    );
    let log = app.api("/api/mail-log").await.json();
    assert_eq!(log[0]["reason"], "suspended");

    // Hanako's receive-designated list does not hold back a carrier notice.
    let hanako = app.handset(HANAKO, P501I).await;
    hanako.reset_pin("5678").await;
    assert!(inbox(&app, HANAKO).await[0]["subject"]
        .as_str()
        .unwrap()
        .contains("reset"));
}

#[tokio::test]
async fn a_subscription_sends_a_receipt_with_the_settlement_number() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    handset
        .site_action("subscribe", "plus-member", "0000")
        .await;
    let settlement = app.api(&format!("/api/lines/{TARO}/billing")).await.json()["ledger"][0]
        ["settlement_no"]
        .as_str()
        .unwrap()
        .to_string();
    let mails = inbox(&app, TARO).await;
    assert!(mails[0]["body"].as_str().unwrap().contains(&settlement));
}

#[tokio::test]
async fn mail_outside_the_carrier_lands_in_the_outbox() {
    let app = TestApp::new().await;
    let r = send(
        &app,
        "taro-demo@docomo.ne.jp",
        "Member@Example.com",
        "パスワード再設定",
        "本文です",
    )
    .await;
    assert_eq!(r["status"], "outbox");
    send(
        &app,
        "taro-demo@docomo.ne.jp",
        "other@example.org",
        "second",
        "x",
    )
    .await;
    let all = app.api("/api/outbox").await.json();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0]["to"], "other@example.org", "newest first");
    let filtered = app.api("/api/outbox?to=member@example.com").await.json();
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    let id = filtered[0]["id"].as_i64().unwrap();
    let one = app.api(&format!("/api/outbox/{id}")).await.json();
    assert_eq!(one["subject"], "パスワード再設定");
    let raw = app.api(&format!("/api/outbox/{id}/raw")).await;
    assert_eq!(raw.header("content-type"), "message/rfc822");
    assert!(raw.text.is_ascii());
    assert!(raw.text.contains("Subject: =?UTF-8?B?"), "{}", raw.text);
    assert!(raw.text.contains("Content-Transfer-Encoding: base64"));
    let req = Request::delete("/api/outbox")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.request(req).await.json()["deleted"], 2);
    assert!(app
        .api("/api/outbox")
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        app.api("/api/outbox/999").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_outbox_keeps_the_newest_1000() {
    let app = TestApp::new().await;
    app.state
        .db
        .with_conn(|conn| {
            let tx = garake::store::write_tx(conn)?;
            for i in 0..1005 {
                let subject = format!("m{i}");
                let mail = garake::mail::message::Mail {
                    from: "a@docomo.ne.jp",
                    to: "b@example.com",
                    subject: &subject,
                    body: "",
                    system: false,
                };
                garake::services::mail::send(&tx, 0, &mail)?;
            }
            tx.commit()?;
            Ok(())
        })
        .unwrap();
    let page = app.api("/api/outbox?limit=1000").await;
    assert_eq!(page.header("x-total-count"), "1000");
    let all = page.json();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 1000);
    assert_eq!(all[0]["subject"], "m1004");
    assert_eq!(all[999]["subject"], "m5");
}

#[tokio::test]
async fn bad_mail_requests_get_json_errors_and_send_nothing() {
    let app = TestApp::new().await;
    let before = app.snapshot();
    for body in [
        r#"{"from":"a@x.jp"}"#,
        r#"{"from":"a@x.jp","to":"nobody","subject":"","body":""}"#,
        r#"{"from":"not an address","to":"taro-demo@docomo.ne.jp"}"#,
        r#"{"from":"a@x.jp","to":"taro-demo@docomo.ne.jp","bcc":"x"}"#,
        "not json",
    ] {
        let r = post_json(&app, "/api/mail", body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert!(r.json()["error"].is_string());
    }
    let huge = serde_json::json!({"from": "a@x.jp", "to": "taro-demo@docomo.ne.jp", "body": "x".repeat(20_000)}).to_string();
    assert_eq!(
        post_json(&app, "/api/mail", &huge).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(app.snapshot(), before);
    assert!(inbox(&app, TARO).await.is_empty());
}

#[tokio::test]
async fn a_subject_with_a_line_break_is_refused_by_compose_and_the_api_and_nothing_is_sent() {
    let app = TestApp::new().await;
    let before = app.snapshot();
    for subject in ["two\r\nlines", "bare\nfeed", "bare\rreturn"] {
        let payload = serde_json::json!({
            "from": "someone@example.com",
            "to": "taro-demo@docomo.ne.jp",
            "subject": subject,
            "body": "x"
        });
        let r = post_json(&app, "/api/mail", &payload.to_string()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.json()["error"].as_str().unwrap().contains("line break"));
    }
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let form = handset.get(&handset.action("mail-compose")).await;
    let body = format!(
        "to={}&subject={}&body=y&ft={}",
        enc("other@example.com"),
        enc("Bcc: victim@example.com\r\nX: y"),
        form.form_token()
    );
    let refused = handset.post(&handset.action("mail-compose"), body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains("cannot contain a line break"),
        "{}",
        refused.text
    );
    assert_eq!(app.snapshot(), before, "nothing sent, nothing written");
}

#[tokio::test]
async fn outbox_mail_reads_as_written_in_any_mail_client() {
    let app = TestApp::new().await;
    // An ASCII subject that looks like an encoded-word, and a long one.
    for subject in ["=?UTF-8?B?5YG95pys?=", &"long subject ".repeat(7)] {
        let r = send(
            &app,
            "taro-demo@docomo.ne.jp",
            "member@example.com",
            subject,
            "line one\nline two",
        )
        .await;
        assert_eq!(r["status"], "outbox");
        let id = app.api("/api/outbox").await.json()[0]["id"]
            .as_i64()
            .unwrap();
        let raw = app.api(&format!("/api/outbox/{id}/raw")).await.text;
        let head = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            head.split("\r\n").all(|l| l.len() <= 78),
            "every header line within 78: {head}"
        );
        assert!(
            !head.contains(&format!("Subject: {subject}")),
            "sent encoded, not as written: {head}"
        );
        // The body's line break is CRLF once decoded.
        let body64: String = raw
            .split("\r\n\r\n")
            .nth(1)
            .unwrap()
            .split("\r\n")
            .collect();
        assert_eq!(
            body64, "bGluZSBvbmUNCmxpbmUgdHdv",
            "base64 of `line one\\r\\nline two`"
        );
    }
}
