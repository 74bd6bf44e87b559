//! The power-on page and cookieless sessions.

use axum::http::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn the_power_on_page_lists_the_demo_lines_and_a_language_switch() {
    let app = TestApp::new().await;
    let page = app.get("/", P501I).await;
    assert_eq!(page.status, StatusCode::OK);
    for line in [
        "090-1234-0001 ドコモ太郎",
        "090-1234-0002 ドコモ花子",
        "090-1234-0003 鈴木一郎",
    ] {
        assert!(page.text.contains(line), "{line} missing:\n{}", page.text);
    }
    assert!(page.text.contains("日本語") && page.text.contains("English"));
    let english = app.get(&page.link("English"), P501I).await;
    assert!(
        english.text.contains("090-1234-0001 Taro Docomo"),
        "{}",
        english.text
    );
}

#[tokio::test]
async fn choosing_a_line_opens_imenu_in_a_cookieless_session() {
    let app = TestApp::new().await;
    let page = app.get("/", P501I).await;
    let start = app.get(&page.link("ドコモ太郎"), P501I).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    assert!(start.headers.get("set-cookie").is_none());
    let location = start.location();
    let sid = location
        .strip_prefix("/s/")
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    assert_eq!(sid.len(), 32, "128 random bits as hex");
    assert!(sid.bytes().all(|b| b.is_ascii_hexdigit()));
    let imenu = app.get(&location, P501I).await;
    assert_eq!(imenu.status, StatusCode::OK);
    assert!(imenu.text.contains("お客様サポート"), "{}", imenu.text);
    assert!(imenu.headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn two_power_ons_get_different_sessions() {
    let app = TestApp::new().await;
    let a = app.handset(TARO, P501I).await;
    let b = app.handset(TARO, P501I).await;
    assert_ne!(a.sid, b.sid);
}

#[tokio::test]
async fn an_unknown_session_goes_back_to_the_power_on_page_with_a_message() {
    let app = TestApp::new().await;
    let r = app
        .get("/s/00000000000000000000000000000000/m/imenu", P501I)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let back = app.get(&r.location(), P501I).await;
    assert_eq!(back.status, StatusCode::OK);
    assert!(
        back.text.contains("回線を選び直してください"),
        "{}",
        back.text
    );
    assert!(back.text.contains("ドコモ太郎"));
}

#[tokio::test]
async fn a_session_expires_after_30_idle_minutes() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    app.state.clock.advance(29 * 60).unwrap();
    assert_eq!(handset.node("imenu").await.status, StatusCode::OK);
    app.state.clock.advance(31 * 60).unwrap();
    let r = handset.node("imenu").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/?expired=1");
}

#[tokio::test]
async fn a_session_carries_its_language() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let imenu = handset.node("imenu").await;
    assert!(imenu.text.contains("Customer support"), "{}", imenu.text);
    assert!(!imenu.text.contains("お客様サポート"));
}

#[tokio::test]
async fn an_unknown_line_is_a_404_page_not_a_session() {
    let app = TestApp::new().await;
    assert_eq!(
        app.get("/on/09099999999", P501I).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/on/not-a-number", P501I).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_profile_can_be_chosen_instead_of_the_user_agent() {
    let app = TestApp::new().await;
    let r = app.get("/on/09012340001?profile=P503i", PC).await;
    let imenu = app.get(&r.location(), PC).await;
    assert_eq!(imenu.header("content-type"), "text/html; charset=Shift_JIS");
    assert!(
        imenu.bytes.windows(2).any(|w| w == [0xF9, 0x87]),
        "P503i shows keycap pictograms"
    );
}

#[tokio::test]
async fn an_unknown_profile_name_is_a_clear_400_not_a_guess() {
    let app = TestApp::new().await;
    let r = app
        .get("/on/09012340001?profile=Nokia3310&lang=en", PC)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text
            .contains("There is no handset model &quot;Nokia3310&quot;"),
        "the page names the value: {}",
        r.text
    );
    assert!(
        r.text.contains("/api/handsets"),
        "and where the models are listed"
    );
    let ja = app
        .get("/?profile=CA31", "DoCoMo/2.0 P903i(c100;TB;W24H12)")
        .await;
    assert_eq!(ja.status, StatusCode::BAD_REQUEST);
    assert!(
        ja.text.contains("機種「CA31」は登録されていません"),
        "{}",
        ja.text
    );
}

#[tokio::test]
async fn a_pc_browser_gets_a_power_on_page_that_says_what_garake_is_and_links_the_emulator() {
    let app = TestApp::new().await;
    let pc = app.get("/?lang=en", PC).await;
    assert_eq!(pc.status, StatusCode::OK);
    assert!(pc.text.contains("i-mode carrier"), "{}", pc.text);
    assert!(pc.text.contains(r#"href="/emulator""#), "{}", pc.text);
    assert!(pc.text.contains("Open the handset emulator"));
    // The same choices as the handset's page: every line, both languages.
    assert!(
        pc.text.contains(r#"href="/on/09012340001?lang=en""#),
        "{}",
        pc.text
    );
    assert!(pc.text.contains("090-1234-0003 Ichiro Suzuki"));
    assert!(pc.text.contains(r#"href="/?lang=ja""#));
    assert!(pc
        .text
        .contains(r#"<link rel="stylesheet" href="/assets/power-on.css">"#));
    let css = app.get("/assets/power-on.css", PC).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    let japanese = app.get("/?lang=ja", PC).await;
    assert!(
        japanese.text.contains("ハンドセット エミュレータを開く"),
        "{}",
        japanese.text
    );

    // A handset's page, and the emulator's PC profile, stay as they were.
    let handset = app.get("/?lang=en", P501I).await;
    assert!(!handset.text.contains("/emulator"), "{}", handset.text);
    assert!(handset.text.contains("Choose a line"));
    let framed = app.get("/?lang=en&profile=PC", PC).await;
    assert!(!framed.text.contains("/emulator"), "{}", framed.text);
    assert!(framed.text.contains("Choose a line"));
}
