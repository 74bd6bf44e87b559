//! The three reset routes of a forgotten i-mode password: handset (network PIN), My docomo
//! (d ACCOUNT + network PIN), docomo Shop counter (identity document).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use crate::helpers::*;

/// A PC browser with one cookie jar entry per site.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: String,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            cookie: String::new(),
        }
    }

    async fn get(&mut self, path: &str) -> Resp {
        let req = Request::get(path)
            .header(header::USER_AGENT, PC)
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .unwrap();
        self.keep(self.app.request(req).await)
    }

    async fn post(&mut self, path: &str, body: &str) -> Resp {
        let req = Request::post(path)
            .header(header::USER_AGENT, PC)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.keep(self.app.request(req).await)
    }

    fn keep(&mut self, r: Resp) -> Resp {
        if let Some(c) = r.headers.get(header::SET_COOKIE) {
            self.cookie = c.to_str().unwrap().split(';').next().unwrap().to_string();
        }
        r
    }

    fn csrf(page: &Resp) -> String {
        let at = page
            .text
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf in {}", page.text))
            + 19;
        page.text[at..at + 32].to_string()
    }
}

/// The page names a wait of `secs` (less a second or two of real time passing:
/// the simulated clock runs on real time plus its offset).
fn assert_wait(page: &Resp, secs: i64) {
    let at = page
        .text
        .find("try again in ")
        .unwrap_or_else(|| panic!("no wait in {}", page.text))
        + 13;
    let n: i64 = page.text[at..].split(' ').next().unwrap().parse().unwrap();
    assert!((secs - 2..=secs).contains(&n), "waited {n}, want {secs}");
}

/// Locks a line's i-mode password with three wrong entries.
async fn lock_pin(app: &TestApp, msisdn: &str) {
    let handset = app.handset(msisdn, P501I).await;
    for _ in 0..3 {
        handset.change_pin("9998", "1234", "1234").await;
    }
    assert!(app.line(msisdn).await["pin_locked"].as_bool().unwrap());
}

async fn pin_is(app: &TestApp, msisdn: &str, pin: &str) -> bool {
    let handset = app.handset(msisdn, P501I).await;
    handset.change_pin(pin, pin, pin).await.status == StatusCode::OK
}

async fn inbox_subjects(app: &TestApp, msisdn: &str) -> Vec<String> {
    let mails = app.api(&format!("/api/lines/{msisdn}/mail")).await.json();
    mails
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_handset_route_resets_a_locked_password_and_mails_a_notice() {
    let app = TestApp::new().await;
    lock_pin(&app, TARO).await;
    let handset = app.handset(TARO, P501I).await;
    assert_eq!(handset.reset_pin("1234").await.status, StatusCode::OK);
    assert!(inbox_subjects(&app, TARO).await[0].contains("reset"));
    assert!(pin_is(&app, TARO, "0000").await);
}

#[tokio::test]
async fn the_power_on_page_links_my_docomo_and_the_shop() {
    let app = TestApp::new().await;
    let page = app.get("/", P501I).await;
    assert_eq!(page.link("My docomo"), "/mydocomo");
    assert_eq!(page.link("ドコモショップ"), "/shop");
    assert_eq!(page.link("提携サイト"), "/partners");
    assert!(page.bytes.len() <= 2048);
}

#[tokio::test]
async fn my_docomo_resets_a_locked_password_with_d_account_and_network_pin() {
    let app = TestApp::new().await;
    lock_pin(&app, HANAKO).await;
    let bystander = app.handset(HANAKO, P501I).await;
    let mut pc = Browser::new(&app);
    let login = pc
        .post(
            "/mydocomo/login",
            "daccount_id=hanako.docomo&daccount_password=Demo-Pass-0002",
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.text);
    // The carrier's documented path: (My docomo log in) → (Subscription details/procedures)
    // → (docomo Online Application).
    let home = pc.get(&login.location()).await;
    assert!(home.text.contains("<title>My docomo"), "{}", home.text);
    let procedures = pc.get(&home.link("Subscription details/procedures")).await;
    assert_eq!(procedures.status, StatusCode::OK, "{}", procedures.text);
    assert!(
        procedures
            .text
            .contains("<h1>ご契約内容確認・変更 / Subscription details/procedures"),
        "{}",
        procedures.text
    );
    let online = pc.get(&procedures.link("docomo Online Application")).await;
    assert_eq!(online.status, StatusCode::OK, "{}", online.text);
    let form = pc.get(&online.link("Reset i-mode password")).await;
    assert_eq!(form.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(form.header("cache-control"), "no-store");
    assert!(!form.text.contains("<script"));
    let csrf = Browser::csrf(&form);

    let before = app.line(HANAKO).await;
    let wrong = pc
        .post("/mydocomo/reset", &format!("network_pin=0000&csrf={csrf}"))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.text.contains("check the network PIN"));
    assert_eq!(app.line(HANAKO).await, before);

    let done = pc
        .post("/mydocomo/reset", &format!("network_pin=5678&csrf={csrf}"))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(!app.line(HANAKO).await["pin_locked"].as_bool().unwrap());
    assert_eq!(
        bystander.node("imenu").await.status,
        StatusCode::SEE_OTHER,
        "handset sessions ended"
    );
    assert!(inbox_subjects(&app, HANAKO).await[0].contains("reset"));
    let audit = app.api("/api/audit?line=09012340002&limit=1").await.json();
    assert_eq!(audit[0]["action"], "reset_imode_password");
    assert_eq!(audit[0]["source"], "mydocomo");
    assert!(pin_is(&app, HANAKO, "0000").await);
}

#[tokio::test]
async fn an_unknown_d_account_and_a_wrong_password_get_identical_answers() {
    let app = TestApp::new().await;
    let mut pc = Browser::new(&app);
    let unknown = pc
        .post(
            "/mydocomo/login",
            "daccount_id=nobody&daccount_password=Demo-Pass-0001",
        )
        .await;
    let wrong = pc
        .post(
            "/mydocomo/login",
            "daccount_id=taro.docomo&daccount_password=nope",
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!((unknown.status, &unknown.text), (wrong.status, &wrong.text));
    assert!(unknown.headers.get("set-cookie").is_none());
    let page = pc.get("/mydocomo").await;
    assert!(page
        .text
        .contains("A line without a d ACCOUNT can reset its i-mode password from the handset"));
}

#[tokio::test]
async fn failed_logins_are_throttled_with_growing_waits_on_the_simulated_clock() {
    let app = TestApp::new().await;
    let mut pc = Browser::new(&app);
    for _ in 0..3 {
        assert_eq!(
            pc.post(
                "/mydocomo/login",
                "daccount_id=taro.docomo&daccount_password=x"
            )
            .await
            .status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Now even the right password must wait 30 seconds.
    let right = "daccount_id=taro.docomo&daccount_password=Demo-Pass-0001";
    let waiting = pc.post("/mydocomo/login", right).await;
    assert_eq!(waiting.status, StatusCode::TOO_MANY_REQUESTS);
    assert_wait(&waiting, 30);
    app.state.clock.advance(31).unwrap();
    assert_eq!(
        pc.post(
            "/mydocomo/login",
            "daccount_id=taro.docomo&daccount_password=y"
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    let longer = pc.post("/mydocomo/login", right).await;
    assert_wait(&longer, 60);
    // Unknown accounts are throttled the same way.
    for _ in 0..3 {
        pc.post("/mydocomo/login", "daccount_id=ghost&daccount_password=x")
            .await;
    }
    assert_eq!(
        pc.post("/mydocomo/login", "daccount_id=ghost&daccount_password=x")
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    app.state.clock.advance(61).unwrap();
    assert_eq!(
        pc.post("/mydocomo/login", right).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn my_docomo_pages_need_a_login_and_a_csrf_token() {
    let app = TestApp::new().await;
    let mut pc = Browser::new(&app);
    for page in [
        "/mydocomo/reset",
        "/mydocomo/procedures",
        "/mydocomo/online-application",
    ] {
        assert_eq!(pc.get(page).await.location(), "/mydocomo", "{page}");
    }
    let before = app.snapshot();
    assert_eq!(
        pc.post("/mydocomo/reset", "network_pin=1234").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.snapshot(), before, "not logged in: nothing written");
    pc.post(
        "/mydocomo/login",
        "daccount_id=taro.docomo&daccount_password=Demo-Pass-0001",
    )
    .await;
    let (line, audit) = (app.line(TARO).await, app.audit(TARO).await);
    let forged = pc
        .post("/mydocomo/reset", "network_pin=1234&csrf=forged")
        .await;
    assert_eq!(forged.status, StatusCode::CONFLICT);
    assert_eq!(app.line(TARO).await, line);
    assert_eq!(
        app.audit(TARO).await,
        audit,
        "a forged form is not even an attempt"
    );
}

#[tokio::test]
async fn a_locked_network_pin_is_refused_on_my_docomo_too() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    for _ in 0..3 {
        handset.reset_pin("0000").await;
    }
    let mut pc = Browser::new(&app);
    pc.post(
        "/mydocomo/login",
        "daccount_id=taro.docomo&daccount_password=Demo-Pass-0001",
    )
    .await;
    let form = pc.get("/mydocomo/reset").await;
    let r = pc
        .post(
            "/mydocomo/reset",
            &format!("network_pin=1234&csrf={}", Browser::csrf(&form)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("please visit a docomo Shop"));
    let malformed = pc
        .post(
            "/mydocomo/reset",
            &format!("network_pin=12a&csrf={}", Browser::csrf(&form)),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn staff_login(app: &TestApp) -> Browser<'_> {
    let mut pc = Browser::new(app);
    let r = pc
        .post(
            "/shop/login",
            "staff_id=staff01&staff_password=Shop-Pass-01",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    pc
}

#[tokio::test]
async fn the_shop_needs_a_staff_login() {
    let app = TestApp::new().await;
    let mut pc = Browser::new(&app);
    assert!(pc.get("/shop").await.text.contains("Staff log in"));
    assert_eq!(
        pc.get("/shop/line?msisdn=09012340001").await.location(),
        "/shop"
    );
    let before = app.snapshot();
    let r = pc
        .post(
            "/shop/line/09012340001/reset",
            "doc_type=drivers_license&doc_number=DL-1234-0001&csrf=x",
        )
        .await;
    assert_eq!(r.location(), "/shop");
    assert_eq!(
        app.snapshot(),
        before,
        "nothing changed without a staff login"
    );
    let wrong = pc
        .post("/shop/login", "staff_id=staff01&staff_password=nope")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_shop_resets_the_password_and_unlocks_the_network_pin_on_a_matching_document() {
    let app = TestApp::new().await;
    lock_pin(&app, TARO).await;
    let handset = app.handset(TARO, P501I).await;
    for _ in 0..3 {
        handset.reset_pin("0000").await;
    }
    assert!(app.line(TARO).await["network_pin_locked"]
        .as_bool()
        .unwrap());
    let mut pc = staff_login(&app).await;
    let page = pc.get("/shop/line?msisdn=090-1234-0001").await;
    assert!(page.text.contains("ドコモ太郎"), "{}", page.text);
    let csrf = Browser::csrf(&page);

    // A mismatch changes nothing.
    let before = app.line(TARO).await;
    let refused = pc
        .post(
            "/shop/line/09012340001/reset",
            &format!("doc_type=passport&doc_number=DL-1234-0001&csrf={csrf}"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused
        .text
        .contains("The shop cannot verify your identity as the subscriber."));
    let wrong_number = pc
        .post(
            "/shop/line/09012340001/reset",
            &format!("doc_type=drivers_license&doc_number=DL-9999-0001&csrf={csrf}"),
        )
        .await;
    assert_eq!(wrong_number.status, StatusCode::FORBIDDEN);
    assert_eq!(app.line(TARO).await, before);

    // The registered document matches (case and spacing do not matter).
    let done = pc
        .post(
            "/shop/line/09012340001/reset",
            &format!("doc_type=drivers_license&doc_number=dl-1234+0001&csrf={csrf}"),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.text.contains("Identity verified"));
    let line = app.line(TARO).await;
    assert!(!line["pin_locked"].as_bool().unwrap());
    assert!(!line["network_pin_locked"].as_bool().unwrap());
    assert!(inbox_subjects(&app, TARO).await[0].contains("reset"));
    let audit = app.api("/api/audit?line=09012340001&limit=4").await.json();
    assert_eq!(
        (audit[0]["action"].as_str(), audit[0]["outcome"].as_str()),
        (Some("shop_reset"), Some("ok"))
    );
    assert_eq!(audit[0]["source"], "shop:staff01");
    assert_eq!(audit[1]["outcome"], "refused");
    assert_eq!(audit[3]["action"], "shop_lookup");
    assert!(pin_is(&app, TARO, "0000").await);
    assert_eq!(
        app.handset(TARO, P501I)
            .await
            .reset_pin("1234")
            .await
            .status,
        StatusCode::OK,
        "network PIN works again"
    );
}

#[tokio::test]
async fn the_shop_refuses_unknown_numbers_and_empty_documents_clearly() {
    let app = TestApp::new().await;
    let mut pc = staff_login(&app).await;
    let unknown = pc.get("/shop/line?msisdn=09099999999").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.text.contains("No line has that phone number."));
    assert_eq!(
        pc.get("/shop/line?msisdn=abc").await.status,
        StatusCode::NOT_FOUND
    );
    let page = pc.get("/shop/line?msisdn=09012340003").await;
    let csrf = Browser::csrf(&page);
    let before = app.line(ICHIRO).await;
    let empty = pc
        .post(
            "/shop/line/09012340003/reset",
            &format!("doc_type=passport&doc_number=+&csrf={csrf}"),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text.contains("enter its number"));
    let bad_type = pc
        .post(
            "/shop/line/09012340003/reset",
            &format!("doc_type=library_card&doc_number=X1&csrf={csrf}"),
        )
        .await;
    assert_eq!(bad_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    let forged = pc
        .post(
            "/shop/line/09012340003/reset",
            "doc_type=passport&doc_number=TK1234567&csrf=forged",
        )
        .await;
    assert_eq!(forged.status, StatusCode::CONFLICT);
    assert_eq!(app.line(ICHIRO).await, before);
}

#[tokio::test]
async fn the_clock_and_fixtures_can_be_driven_from_scripts() {
    let app = TestApp::new().await;
    let post = |path: &str, body: &str| {
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let r = app
        .request(post("/api/clock/advance", r#"{"seconds":3600}"#))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["offset_seconds"].as_i64().unwrap() >= 3600);
    assert_eq!(
        app.request(post("/api/clock/advance", r#"{"seconds":-5}"#))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    lock_pin(&app, TARO).await;
    let r = app.request(post("/api/reset", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!app.line(TARO).await["pin_locked"].as_bool().unwrap());
    assert!(app
        .api("/api/audit")
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
}
