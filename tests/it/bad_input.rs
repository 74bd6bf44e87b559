//! Bad input gets a clear page in the handset's charset and language, and writes nothing.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

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
    assert_eq!(r.location(), "/?expired=1");
    assert_eq!(app.snapshot(), before);
}

/// Every POST route of the app, with a live session where one is needed.
async fn post_routes(app: &TestApp) -> Vec<String> {
    let handset = app.handset(TARO, P501I).await;
    let s = |p: &str| format!("/s/{}/{p}", handset.sid);
    let mut routes: Vec<String> = [
        "a/change-imode-password",
        "a/reset-imode-password",
        "a/mail-rejection",
        "c/mail-rejection",
        "a/change-mail-address",
        "c/change-mail-address",
        "a/suspend-mail",
        "a/secret-code",
        "a/message-service",
        "a/subscribe/business",
        "a/my-menu-register/weather",
        "a/mail-compose",
        "mail/1/delete",
    ]
    .iter()
    .map(|p| s(p))
    .collect();
    routes.extend(
        [
            "/mydocomo/login",
            "/mydocomo/reset",
            "/shop/login",
            "/shop/line/09012340001/reset",
            "/p/plus-member/login",
            "/p/plus-member/r/forgot",
            "/p/plus-member/r/inquiry",
            "/p/ims/r/recovery",
            "/p/koku/change",
            "/admin/login",
            "/admin/lines",
            "/outbox/clear",
        ]
        .map(String::from),
    );
    routes
}

#[tokio::test]
async fn hostile_bodies_on_every_form_get_a_4xx_and_write_nothing() {
    let app = TestApp::new().await;
    let routes = post_routes(&app).await;
    let before = app.snapshot();
    let huge = format!("pin=0000&list={}", "a".repeat(15_000));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("oversized", vec![b'x'; 17 * 1024]),
        ("undecodable Shift_JIS", b"pin=%82&ft=%82".to_vec()),
        ("undecodable UTF-8", b"pin=%FF%FE&daccount_id=%C3".to_vec()),
        ("broken percent-encoding", b"pin=%G0&ft=%".to_vec()),
        (
            "duplicated fields",
            b"ft=a&ft=b&pin=1&pin=2&csrf=a&csrf=b&login_id=a&login_id=b&token=a&token=b&t=a&t=b"
                .to_vec(),
        ),
        ("missing fields", b"".to_vec()),
        (
            "forged token",
            b"pin=0000&ft=00000000000000000000000000000000&csrf=00000000000000000000000000000000"
                .to_vec(),
        ),
        ("huge value", huge.into_bytes()),
        ("binary junk", vec![0u8, 1, 2, 255, 254, b'=', b'&', b'=']),
    ];
    for route in &routes {
        for (what, body) in &bodies {
            let r = app.post(route, P501I, body.clone()).await;
            let code = r.status.as_u16();
            assert!(
                (300..500).contains(&code),
                "{what} to {route}: {code} {}",
                r.text
            );
        }
    }
    // Nothing written: no body carried an admin token to the console login,
    // and a login without one guesses nothing.
    assert_eq!(app.snapshot(), before, "no hostile request wrote anything");
    assert_eq!(app.wrong_tokens(), 0, "no token, no guess");
    assert_eq!(
        app.get("/", P501I).await.status,
        StatusCode::OK,
        "still serving"
    );
}

#[tokio::test]
async fn hostile_api_requests_get_json_4xx_and_write_nothing() {
    let app = TestApp::new().await;
    let before = app.snapshot();
    let posts = [
        "/api/mail",
        "/api/lines",
        "/api/clock/advance",
        "/api/reset",
        "/api/lines/09012340001/reset",
    ];
    for path in posts {
        // No token at all.
        let r = app
            .request(Request::post(path).body(Body::from("{}")).unwrap())
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(r.json()["error"].is_string());
    }
    for (path, body) in [
        ("/api/mail", "{"),
        ("/api/mail", "[]"),
        ("/api/mail", r#"{"from":1,"to":2}"#),
        (
            "/api/mail",
            r#"{"from":"a@b.jp","to":"c@d.jp","from":"x@y.jp"}"#,
        ),
        ("/api/lines", r#"{"msisdn":"x"}"#),
        ("/api/clock/advance", r#"{"seconds":"soon"}"#),
        ("/api/clock/advance", r#"{"seconds":99999999999}"#),
    ] {
        let req = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let r = app.request(req).await;
        assert!(r.status.is_client_error(), "{path} {body}: {}", r.status);
        assert!(r.json()["error"].is_string(), "{path} {body}");
    }
    let wrong_type = Request::post("/api/mail")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"from":"a@b.jp","to":"c@d.jp"}"#))
        .unwrap();
    assert!(app.request(wrong_type).await.status.is_client_error());
    for (method, path) in [
        ("PUT", "/api/lines"),
        ("DELETE", "/api/lines/09012340001"),
        ("PATCH", "/api/audit"),
    ] {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            app.request(req).await.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
    }
    assert_eq!(
        app.snapshot(),
        before,
        "a request without a token writes nothing"
    );
}

#[tokio::test]
async fn path_tricks_find_nothing() {
    let app = TestApp::new().await;
    for path in [
        "/s/../admin",
        "/%2e%2e/admin",
        "//admin",
        "/admin/../api/lines",
        "/api/../api/lines",
        "/p/../../etc/passwd",
        "/p/%2e%2e/r/x",
        "/s/%00/m/imenu",
    ] {
        let r = app.get(path, PC).await;
        let code = r.status.as_u16();
        assert!((300..500).contains(&code), "{path}: {code}");
        assert!(!r.text.contains("09012340002"), "{path} leaked data");
    }
}

#[tokio::test]
async fn an_error_on_a_pc_site_is_that_sites_page_in_both_languages_not_a_handset_page() {
    let app = TestApp::new().await;
    for (path, site, home) in [
        ("/mydocomo/login", "My docomo", "/mydocomo"),
        ("/shop/login", "docomo Shop", "/shop"),
        ("/p/plus-member/login", "garake partner sites", "/partners"),
    ] {
        let r = app.post(path, PC, vec![b'x'; 17 * 1024]).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(r.header("content-type"), "text/html; charset=utf-8");
        assert!(r.text.contains(site), "{path}: {}", r.text);
        assert!(
            r.text.contains("What you sent is too large."),
            "{path}: {}",
            r.text
        );
        assert!(r.text.contains(&format!("href=\"{home}\"")), "{path}");
        assert!(!r.text.contains("iMenu"), "no handset way home: {}", r.text);
    }
}
