//! The QA API: admin token, line state, audit log.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn the_api_needs_the_admin_token() {
    let app = TestApp::new().await;
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("test-admin-token"),
        Some("Basic dGVzdA=="),
    ] {
        let mut req = Request::get("/api/lines");
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        let r = app.request(req.body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(r.header("content-type"), "application/json");
        assert!(r.json()["error"].as_str().unwrap().contains("admin token"));
    }
}

#[tokio::test]
async fn a_line_state_has_the_spec_fields_and_no_secret() {
    let app = TestApp::new().await;
    let hanako = app.line("090-1234-0002").await;
    assert_eq!(hanako["msisdn"], "09012340002");
    assert_eq!(hanako["name"], "ドコモ花子");
    assert_eq!(hanako["mail_address"], "09012340002@docomo.ne.jp");
    assert_eq!(hanako["mail_suspended"], false);
    assert_eq!(hanako["mail_rejection"]["mode"], "receive_designated");
    assert_eq!(
        hanako["mail_rejection"]["list"][0],
        "taro-demo@docomo.ne.jp"
    );
    assert_eq!(hanako["secret_code_registered"], true);
    assert_eq!(hanako["message_service"]["message_r"], true);
    assert_eq!(hanako["pin_locked"], false);
    assert_eq!(hanako["network_pin_locked"], false);
    let text = hanako.to_string();
    for secret in ["2580", "5678", "7777", "argon2", "Demo-Pass", "MN-5678"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert_eq!(app.line(ICHIRO).await["mail_suspended"], true);
}

#[tokio::test]
async fn lines_are_listed_in_number_order_with_a_total() {
    let app = TestApp::new().await;
    let r = app.api("/api/lines").await;
    assert_eq!(r.header("x-total-count"), "3");
    let numbers: Vec<_> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["msisdn"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(numbers, [TARO, HANAKO, ICHIRO]);
    let page = app.api("/api/lines?offset=1&limit=1").await.json();
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["msisdn"], HANAKO);
    let bad = app.api("/api/lines?limit=5000").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"].as_str().unwrap().contains("limit"));
}

#[tokio::test]
async fn unknown_and_malformed_numbers_get_json_errors() {
    let app = TestApp::new().await;
    let missing = app.api("/api/lines/09099999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error"], "no line 09099999999");
    let bad = app.api("/api/lines/12345").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"]
        .as_str()
        .unwrap()
        .contains("not a phone number"));
    let nowhere = app.api("/api/nothing").await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert!(nowhere.json()["error"].is_string());
}

#[tokio::test]
async fn the_audit_log_is_newest_first_and_filters_by_line() {
    let app = TestApp::new().await;
    let taro = app.handset(TARO, P501I).await;
    let hanako = app.handset(HANAKO, P501I).await;
    taro.change_pin("9999", "1234", "1234").await;
    hanako.change_pin("2580", "1234", "1234").await;
    taro.change_pin("0000", "1234", "1234").await;
    let all = app.api("/api/audit").await.json();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["line"], TARO);
    assert_eq!(all[0]["outcome"], "ok");
    assert_eq!(all[1]["line"], HANAKO);
    assert_eq!(all[2]["outcome"], "wrong_pin");
    assert_eq!(all[2]["source"], "handset");
    assert_eq!(all[2]["action"], "change_imode_password");
    let at = all[0]["at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
    let taro_only = app.api("/api/audit?line=090-1234-0001").await.json();
    assert_eq!(taro_only.as_array().unwrap().len(), 2);
    assert!(
        !app.api("/api/audit").await.text.contains("1234\""),
        "no PIN in the audit log"
    );
}

#[tokio::test]
async fn json_answers_and_json_errors_end_with_a_newline() {
    // So `curl` output ends its line instead of running into the prompt.
    let app = TestApp::new().await;
    for path in ["/api/lines", "/api/clock", "/api/lines/123", "/api/nowhere"] {
        let r = app.api(path).await;
        assert_eq!(r.header("content-type"), "application/json", "{path}");
        assert!(
            r.text.ends_with("}\n") || r.text.ends_with("]\n"),
            "{path}: {:?}",
            r.text
        );
        assert!(!r.text.ends_with("\n\n"), "{path}: one newline");
        let _ = r.json();
    }
    let reset = app.request(
        Request::post("/api/reset")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(reset.await.text, "{\"restored\":\"demo fixtures\"}\n");
}
