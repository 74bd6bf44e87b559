//! Handsets as they were: the catalogue over the API and as profiles,
//! pictograms through mail, 〓 for what Shift_JIS lacks, Japan time.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn the_api_lists_the_catalogue_with_exactly_its_keys() {
    let app = TestApp::new().await;
    let r = app.api("/api/handsets").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = r.json();
    let list = list.as_array().expect("an array");
    assert!(list.len() >= 40, "{} models", list.len());
    let keys = [
        "browser",
        "cache_kb",
        "cookies",
        "height",
        "html_version",
        "model",
        "pictograms",
        "user_agent",
        "utn",
        "width",
    ];
    for h in list {
        let obj = h.as_object().unwrap();
        let mut have: Vec<&str> = obj.keys().map(String::as_str).collect();
        have.sort();
        assert_eq!(have, keys, "{h}");
        assert!(h["model"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(
            h["user_agent"].as_str().unwrap().starts_with("DoCoMo/"),
            "{h}"
        );
        assert!(h["cache_kb"].as_u64().unwrap() > 0 && h["width"].as_u64().unwrap() > 0);
        assert!(h["height"].as_u64().unwrap() > 0);
        let version = h["html_version"].as_str().unwrap();
        assert!(
            version.len() == 3 && version.as_bytes()[1] == b'.',
            "{version}"
        );
        assert!(matches!(h["browser"].as_str(), Some("1.0" | "2.0")), "{h}");
        assert!(
            matches!(h["pictograms"].as_str(), Some("basic" | "extended")),
            "{h}"
        );
        assert!(h["cookies"].is_boolean() && h["utn"].is_boolean());
        // utn came with i-mode HTML 3.0.
        assert_eq!(h["utn"], version >= "3.0", "{h}");
    }
    let models: Vec<&str> = list.iter().map(|h| h["model"].as_str().unwrap()).collect();
    assert!(
        models.contains(&"P501i") && models.contains(&"P-07B"),
        "{models:?}"
    );
    // The API's token rule holds here too.
    let anonymous = app
        .request(Request::get("/api/handsets").body(Body::empty()).unwrap())
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn any_model_of_the_catalogue_can_be_picked_by_name() {
    let app = TestApp::new().await;
    let list = app.api("/api/handsets").await.json();
    for h in list.as_array().unwrap() {
        let model = h["model"].as_str().unwrap();
        let r = app.get(&format!("/on/{TARO}?profile={model}"), PC).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{model}: {}", r.text);
        let sid = r.location().trim_start_matches("/s/")[..32].to_string();
        let session = app.state.sessions.touch(&sid).expect("a session");
        assert_eq!(session.profile.name, model);
        assert_eq!(
            session.profile.user_agent,
            h["user_agent"].as_str().unwrap()
        );
        let imenu = app.get(&r.location(), PC).await;
        assert_eq!(
            imenu.header("content-type"),
            "text/html; charset=Shift_JIS",
            "{model}"
        );
    }
}

/// Opens the newest mail of the handset's inbox.
async fn newest_mail(handset: &Handset<'_>) -> Resp {
    let inbox = handset.get(&handset.action("mail-inbox")).await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.text);
    let href = links(&inbox.text)
        .into_iter()
        .map(|(href, _)| href)
        .find(|h| h.contains("/mail/"))
        .unwrap_or_else(|| panic!("no mail in:\n{}", inbox.text));
    handset.get(&href).await
}

#[tokio::test]
async fn a_pictogram_goes_handset_to_mail_to_handset_and_leaves_the_carrier_as_geta() {
    let app = TestApp::new().await;
    let taro = app.handset(TARO, P501I).await;
    // 晴れ (Fine, F89F) and a heart (F995) as the handset's Shift_JIS bytes.
    let body = "to=09012340002.7777%40docomo.ne.jp&subject=%F8%9F&body=%83n%81%5B%83g%F9%95";
    let form = taro.get(&taro.action("mail-compose")).await;
    let sent = taro
        .post(
            &taro.action("mail-compose"),
            format!("{body}&ft={}", form.form_token()),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let hanako = app.handset(HANAKO, "DoCoMo/1.0/P503i/c10").await;
    let mail = newest_mail(&hanako).await;
    assert!(
        mail.bytes.windows(2).any(|w| w == [0xF8, 0x9F]),
        "the pictogram arrives as the handset's own code:\n{}",
        mail.text
    );
    assert!(
        mail.bytes.windows(2).any(|w| w == [0xF9, 0x95]),
        "{}",
        mail.text
    );
    assert!(!mail.text.contains("&#"), "{}", mail.text);

    // The same mail to an address outside the carrier: 〓 in the outbox.
    let form = taro.get(&taro.action("mail-compose")).await;
    let out = "to=friend%40example.com&subject=%F8%9F&body=%83n%81%5B%83g%F9%95";
    let sent = taro
        .post(
            &taro.action("mail-compose"),
            format!("{out}&ft={}", form.form_token()),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let outbox = app.api("/api/outbox").await.json();
    let last = &outbox.as_array().unwrap()[0];
    assert_eq!(last["to"], "friend@example.com", "{last}");
    assert_eq!(last["subject"], "〓");
    assert_eq!(last["body"], "ハート〓");
    let id = last["id"].as_i64().unwrap();
    let raw = app.api(&format!("/api/outbox/{id}/raw")).await;
    assert!(!raw.text.contains('\u{E63E}'), "{}", raw.text);
}

#[tokio::test]
async fn a_character_shift_jis_lacks_reaches_a_handset_as_geta() {
    let app = TestApp::new().await;
    let sent = send_mail(
        &app,
        "friend@example.com",
        "taro-demo@docomo.ne.jp",
        "hi 😀",
        "smile 😀 ok",
    )
    .await;
    assert_eq!(sent.json()["status"], "delivered", "{}", sent.text);
    let taro = app.handset(TARO, P501I).await;
    let mail = newest_mail(&taro).await;
    assert!(mail.text.contains("hi 〓"), "{}", mail.text);
    assert!(mail.text.contains("smile 〓 ok"), "{}", mail.text);
    assert!(
        !mail.text.contains("&#"),
        "never a character reference:\n{}",
        mail.text
    );
    // 〓 is the Shift_JIS geta mark itself (81 AC).
    assert!(mail.bytes.windows(2).any(|w| w == [0x81, 0xAC]));
}

#[tokio::test]
async fn handset_pages_show_japan_time_in_the_short_form() {
    let app = TestApp::new().await;
    // Move the clock to 23:59 JST on some day: the mail's time must say so.
    let now = app.state.clock.now();
    let jst_midnight = garake::clock::next_jst_midnight(now);
    let req = Request::post("/api/clock/advance")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::json!({"seconds": jst_midnight - 60 - now}).to_string(),
        ))
        .unwrap();
    assert_eq!(app.request(req).await.status, StatusCode::OK);
    let sent = send_mail(
        &app,
        "friend@example.com",
        "taro-demo@docomo.ne.jp",
        "late",
        "x",
    )
    .await;
    assert_eq!(sent.json()["status"], "delivered", "{}", sent.text);
    let taro = app.handset(TARO, P501I).await;
    let mail = newest_mail(&taro).await;
    let day = garake::clock::jst_short(jst_midnight - 60);
    assert!(day.ends_with(" 23:59"), "{day}");
    assert!(mail.text.contains(&day), "{day} in:\n{}", mail.text);
    assert!(
        !mail.text.contains("Z<"),
        "no ISO time on a handset:\n{}",
        mail.text
    );
    // The API stays UTC.
    let log = app.api("/api/mail-log").await.json();
    let at = log.as_array().unwrap()[0]["at"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(at.ends_with('Z'), "{at}");
}

#[tokio::test]
async fn every_redirect_carries_an_absolute_location() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let sid = handset.sid.clone();
    // One request per kind of redirect garake sends.
    let requests = vec![
        Request::get(format!("/on/{TARO}"))
            .header(header::USER_AGENT, P501I)
            .body(Body::empty())
            .unwrap(),
        Request::get("/s/00000000000000000000000000000000/m/imenu")
            .header(header::USER_AGENT, P501I)
            .body(Body::empty())
            .unwrap(),
        Request::get("/mydocomo/reset")
            .header(header::USER_AGENT, PC)
            .body(Body::empty())
            .unwrap(),
        Request::get("/admin")
            .header(header::USER_AGENT, PC)
            .body(Body::empty())
            .unwrap(),
        Request::post("/mydocomo/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(
                "daccount_id=taro.docomo&daccount_password=Demo-Pass-0001",
            ))
            .unwrap(),
        Request::get(format!(
            "/s/{sid}/url?url={}",
            enc("http://nowhere.example/")
        ))
        .header(header::USER_AGENT, P501I)
        .body(Body::empty())
        .unwrap(),
    ];
    let mut seen = 0;
    for req in requests {
        let what = format!("{} {}", req.method(), req.uri());
        let r = app.request(req).await;
        if !r.status.is_redirection() {
            continue;
        }
        let location = r.header("location");
        assert!(
            location.starts_with(&format!("http://{HOST}/")),
            "{what}: {location:?}"
        );
        seen += 1;
    }
    assert!(seen >= 5, "{seen} redirects seen");
    // Without a Host header, the configured public URL gives the origin.
    let mut req = Request::get(format!("/on/{TARO}"))
        .header(header::USER_AGENT, P501I)
        .body(Body::empty())
        .unwrap();
    req.headers_mut()
        .insert(header::HOST, header::HeaderValue::from_static(""));
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let location = r.header("location");
    assert!(
        location.starts_with("http://") && location.contains("/s/"),
        "{location}"
    );
}

#[tokio::test]
async fn the_wave_dash_reaches_a_shift_jis_handset_as_itself_never_geta() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let page = handset.get(&handset.action("change-mail-address")).await;
    assert_eq!(page.status, StatusCode::OK);
    // 3〜30 in Shift_JIS: the wave dash is 0x8160.
    assert!(
        page.bytes.windows(4).any(|w| w == [b'3', 0x81, 0x60, b'3']),
        "{}",
        page.text
    );
    assert!(!page.text.contains('〓'), "{}", page.text);
}
