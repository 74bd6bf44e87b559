//! Bad input gets a clear page in the handset's charset and language, and writes nothing (SPEC §10).

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::helpers::*;

/// Posts `body` to the change-password form with a fresh, valid token.
async fn post_with_token(handset: &Handset<'_>, body: &[u8]) -> Resp {
    let form = handset.get(&handset.action("change-imode-password")).await;
    let mut full = body.to_vec();
    full.extend_from_slice(format!("&ft={}", form.form_token()).as_bytes());
    handset
        .post(&handset.action("change-imode-password"), full)
        .await
}

#[tokio::test]
async fn bytes_that_do_not_decode_get_a_400_page_in_shift_jis() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let before = app.snapshot();
    // 0x82 alone is half a Shift_JIS character.
    let r = post_with_token(&handset, b"pin=0000&new_pin=%82&new_pin_confirm=1234").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.header("content-type"), "text/html; charset=Shift_JIS");
    assert!(
        r.text.contains("送信内容を読み取れませんでした"),
        "{}",
        r.text
    );
    assert_eq!(app.snapshot(), before);
}

#[tokio::test]
async fn a_pc_gets_its_400_page_in_utf8_and_english() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, PC, "en").await;
    let r = post_with_token(&handset, b"pin=%FF%FE&new_pin=1234&new_pin_confirm=1234").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.header("content-type"), "text/html; charset=UTF-8");
    assert!(r.text.contains("could not be read"), "{}", r.text);
}

#[tokio::test]
async fn broken_percent_encoding_gets_a_400_page() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let before = app.snapshot();
    for body in [&b"pin=%0"[..], b"pin=%zz00", b"pin=00%"] {
        let r = post_with_token(&handset, body).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{:?}",
            String::from_utf8_lossy(body)
        );
        assert!(r.text.contains("送信内容を読み取れませんでした"));
    }
    let q = handset
        .get(&format!("/s/{}/m/imenu?p=%G1", handset.sid))
        .await;
    assert_eq!(q.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.snapshot(), before);
}

#[tokio::test]
async fn a_field_sent_twice_gets_a_400_page() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let before = app.snapshot();
    let r = post_with_token(
        &handset,
        b"pin=0000&pin=1111&new_pin=1234&new_pin_confirm=1234",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.snapshot(), before);
}

#[tokio::test]
async fn a_body_over_16_kib_gets_a_413_page() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let before = app.snapshot();
    let form = handset.get(&handset.action("change-imode-password")).await;
    let body = format!(
        "pin=0000&new_pin=1234&new_pin_confirm=1234&ft={}&pad={}",
        form.form_token(),
        "x".repeat(17 * 1024)
    );
    let r = handset
        .post(&handset.action("change-imode-password"), body)
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text.contains("too large"), "{}", r.text);
    assert_eq!(app.snapshot(), before);
}

#[tokio::test]
async fn a_wrong_method_gets_a_405_page() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let r = handset
        .post(&format!("/s/{}/m/imenu", handset.sid), "x=1")
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.text.contains("この操作はできません"), "{}", r.text);
    assert_eq!(r.header("content-type"), "text/html; charset=Shift_JIS");
    let req = Request::delete(handset.action("change-imode-password"))
        .body(Body::empty())
        .unwrap();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.header("allow").contains("POST"), "{:?}", r.headers);
}

#[tokio::test]
async fn an_unknown_path_gets_a_404_page() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    for path in ["/nowhere", "/s/abc", "/../../etc/passwd", "/%2e%2e/secret"] {
        let r = app.get(path, P501I).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.text.contains("ページが見つかりません"));
    }
    let r = handset.node("no-such-node").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = handset
        .get(&format!("/s/{}/a/launch-missiles", handset.sid))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_post_to_an_unknown_session_goes_back_to_power_on_and_writes_nothing() {
    let app = TestApp::new().await;
    let before = app.snapshot();
    let r = app
        .post(
            "/s/ffffffffffffffffffffffffffffffff/a/change-imode-password",
            P501I,
            "pin=0000&new_pin=1&ft=x",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), "/?expired=1");
    assert_eq!(app.snapshot(), before);
}
