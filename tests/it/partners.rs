//! Partner sites and their recovery procedures: Plus member, IMS, koku.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use crate::helpers::*;

/// Percent-encodes a value as a UTF-8 PC browser would.
fn enc(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) async fn post(app: &TestApp, path: &str, body: &str) -> Resp {
    let req = Request::post(path)
        .header(header::USER_AGENT, PC)
        .header(header::HOST, "garake.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.request(req).await
}

/// Outbox mails to `to`, newest first.
async fn mails_to(app: &TestApp, to: &str) -> Vec<serde_json::Value> {
    app.api(&format!("/api/outbox?to={to}"))
        .await
        .json()
        .as_array()
        .unwrap()
        .clone()
}

/// The path of the first link in a mail body (links point at the configured
/// public URL, never at a request's Host header).
fn link_in(mail: &serde_json::Value) -> String {
    let body = mail["body"].as_str().unwrap();
    let at = body
        .find("http://127.0.0.1:0/p/")
        .expect("a link to the public URL")
        + "http://127.0.0.1:0".len();
    body[at..].split_whitespace().next().unwrap().to_string()
}

fn value_after(mail: &serde_json::Value, marker: &str) -> String {
    let body = mail["body"].as_str().unwrap();
    let at = body
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in {body}"))
        + marker.len();
    body[at..].split_whitespace().next().unwrap().to_string()
}

async fn login(app: &TestApp, site: &str, id: &str, password: &str) -> Resp {
    post(
        app,
        &format!("/p/{site}/login"),
        &format!("login_id={}&password={}", enc(id), enc(password)),
    )
    .await
}

/// Sets a new password through a link or ticket path.
async fn set_password(app: &TestApp, site: &str, path: &str, new: &str) -> Resp {
    let token = path.split("t=").nth(1).unwrap();
    post(
        app,
        &format!("/p/{site}/change"),
        &format!(
            "t={token}&new_password={}&new_password_confirm={}",
            enc(new),
            enc(new)
        ),
    )
    .await
}

const HIKARI: &str = "hikari.fan@example.com";
const SORA: &str = "sora.fan@example.com";

#[tokio::test]
async fn the_partner_sites_are_reachable_from_the_power_on_page() {
    let app = TestApp::new().await;
    let index = app.get("/partners", PC).await;
    for site in ["/p/plus-member", "/p/ims", "/p/koku"] {
        assert!(index.text.contains(site), "{site}");
        assert_eq!(app.get(site, PC).await.status, StatusCode::OK);
    }
    assert_eq!(app.get("/p/nosuch", PC).await.status, StatusCode::NOT_FOUND);
}

/// The text of a page with its tags and entities as a browser shows them.
fn shown(page: &Resp) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in page.text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&quot;", "\"").replace("&amp;", "&")
}

#[tokio::test]
async fn each_partner_form_shows_the_help_texts_beside_its_fields() {
    let app = TestApp::new().await;
    let init = app.get("/p/koku/r/initialize", PC).await;
    assert_eq!(init.status, StatusCode::OK);
    let text = shown(&init);
    for help in [
        "Enter the ID (nine digits) of the issued account.",
        "e.g. When the family name is Koku and the first name is Taro, enter \"Taro KOKU\"",
        "without hyphen (-)",
        "You cannot register a new e-mail address.",
        "If you have forgotten your login ID, perform the login ID notification procedure before the password initialization procedure.",
    ] {
        assert!(text.contains(help), "{help:?} in:\n{text}");
    }
    // The pointer leads to the login ID notification.
    assert_eq!(init.link("Login ID notification"), "/p/koku/r/login-id");
    // Each help text sits right after its field.
    let field_then_help = |field: &str, help: &str| {
        let at = init.text.find(&format!("name=\"{field}\"")).unwrap();
        let rest = &init.text[at..];
        rest.find(help)
            .is_some_and(|h| rest[..h].matches("<input").count() <= 1)
    };
    assert!(field_then_help("login_id", "nine digits"));
    assert!(field_then_help("phone", "without hyphen"));
    let top = shown(&app.get("/p/koku", PC).await);
    assert!(
        top.contains("Enter the ID (nine digits) of the issued account."),
        "{top}"
    );
    // IMS: where the login ID is written, and the basic mail address.
    let ims = shown(&app.get("/p/ims/r/recovery", PC).await);
    for help in [
        "ログインIDは、「ご契約内容のご案内」または「登録情報」に記載されております。メールアドレスとは異なります。",
        "1つ目の@より前の英数字をご入力ください。",
        "IMS入会時に払い出されるIMSのメールアドレスです",
    ] {
        assert!(ims.contains(help), "{help:?} in:\n{ims}");
    }
    let ims_top = shown(&app.get("/p/ims", PC).await);
    assert!(ims_top.contains("「会員サポートパスワード」のリカバリーには、IMSの[基本メールアドレス]の設定が必要です。"), "{ims_top}");
}

#[tokio::test]
async fn plus_member_link_works_at_23h59m_once_and_not_at_24h01m() {
    let app = TestApp::new().await;
    // By Plus member ID.
    let sent = post(&app, "/p/plus-member/r/forgot", "login_id=PM0012345").await;
    assert_eq!(sent.status, StatusCode::OK);
    assert!(sent.text.contains("If the details match"));
    let mail = &mails_to(&app, HIKARI).await[0];
    let link = link_in(mail);
    app.state.clock.advance(23 * 3600 + 59 * 60).unwrap();
    let landing = app.get(&link, PC).await;
    assert_eq!(landing.status, StatusCode::OK, "valid at 23h59m");
    assert_eq!(
        landing.header("cache-control"),
        "no-store",
        "recovery pages are never cached"
    );
    assert_eq!(
        set_password(&app, "plus-member", &link, "NewFan-2026")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "plus-member", "PM0012345", "NewFan-2026")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "plus-member", "PM0012345", "Fan-Club-2024")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Once only.
    let again = set_password(&app, "plus-member", &link, "Other-Fan-1").await;
    assert_eq!(again.status, StatusCode::GONE);
    assert_eq!(
        login(&app, "plus-member", "PM0012345", "NewFan-2026")
            .await
            .status,
        StatusCode::OK
    );
    // A notice went to the member.
    assert!(mails_to(&app, HIKARI).await[0]["subject"]
        .as_str()
        .unwrap()
        .contains("password changed"));

    // By e-mail + date of birth; too late at 24h01m.
    post(
        &app,
        "/p/plus-member/r/forgot",
        &format!(
            "email={}&birth_date=19900415",
            enc("Hikari.Fan@example.com")
        ),
    )
    .await;
    let link = link_in(&mails_to(&app, HIKARI).await[0]);
    app.state.clock.advance(24 * 3600 + 60).unwrap();
    let late = app.get(&link, PC).await;
    assert_eq!(late.status, StatusCode::GONE);
    assert!(late.text.contains("24 hours have passed"), "{}", late.text);
    assert!(
        late.text.contains("/p/plus-member/r/forgot"),
        "points back to Forgot your password?"
    );
    assert_eq!(
        set_password(&app, "plus-member", &link, "Late-Fan-1")
            .await
            .status,
        StatusCode::GONE
    );
}

#[tokio::test]
async fn a_member_without_a_date_of_birth_gets_the_same_answer_and_no_link() {
    let app = TestApp::new().await;
    let form = app.get("/p/plus-member/r/forgot", PC).await;
    assert!(form.text.contains("cannot use the standard password reset"));
    assert!(form.text.contains("/p/plus-member/r/inquiry"));
    let with_dob = post(&app, "/p/plus-member/r/forgot", "login_id=PM0012345").await;
    let without = post(&app, "/p/plus-member/r/forgot", "login_id=PM0067890").await;
    let nobody = post(&app, "/p/plus-member/r/forgot", "login_id=PM9999999").await;
    assert_eq!(
        (without.status, &without.text),
        (with_dob.status, &with_dob.text)
    );
    assert_eq!(
        (nobody.status, &nobody.text),
        (with_dob.status, &with_dob.text)
    );
    assert!(
        mails_to(&app, SORA).await.is_empty(),
        "no link for the DOB-less member"
    );
    assert_eq!(mails_to(&app, HIKARI).await.len(), 1);
}

pub(crate) fn inquiry(overrides: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("name_kanji", "青空蒼"),
        ("name_kana", "アオゾラソウ"),
        ("nickname", "そら"),
        ("birth_date", "19920303"),
        ("prefecture", "大阪府"),
        ("phone", "08033334444"),
        ("email", "sora.fan@example.com"),
        ("payment_method", "carrier"),
        ("carrier", "au"),
        ("payment_reference", "98765432109"),
        ("member_id", "PM0067890"),
        ("member_number", ""),
    ];
    for (k, v) in overrides {
        fields.iter_mut().find(|(n, _)| n == k).unwrap().1 = v;
    }
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn the_inquiry_form_refuses_missing_fields_and_malformed_references_per_carrier() {
    let app = TestApp::new().await;
    let form = app.get("/p/plus-member/r/inquiry", PC).await;
    for field in [
        "name_kanji",
        "name_kana",
        "nickname",
        "birth_date",
        "prefecture",
        "phone",
        "email",
        "payment_method",
        "carrier",
        "payment_reference",
        "member_id",
        "member_number",
    ] {
        assert!(
            form.text.contains(&format!("name=\"{field}\"")),
            "{field} missing from the form"
        );
    }
    let before = app.snapshot();
    for (field, value, message) in [
        ("nickname", "", "is required"),
        ("name_kana", "", "is required"),
        ("birth_date", "1992033", "8 digits"),
        (
            "payment_reference",
            "1234567890",
            "does not match the carrier",
        ),
    ] {
        let r = post(
            &app,
            "/p/plus-member/r/inquiry",
            &inquiry(&[(field, value)]),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(r.text.contains(message), "{field}: {}", r.text);
    }
    for (carrier, good, bad) in [
        ("docomo", "123456789012", "12345678901"),
        ("au", "12345678901", "123456789012"),
        ("SoftBank", "SB1234567890", "SB-123"),
    ] {
        let r = post(
            &app,
            "/p/plus-member/r/inquiry",
            &inquiry(&[("carrier", carrier), ("payment_reference", bad)]),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{carrier} {bad}"
        );
        let _ = good;
    }
    // The bundle course needs the member number.
    let r = post(
        &app,
        "/p/plus-member/r/inquiry",
        &inquiry(&[
            ("payment_method", "bundle"),
            ("carrier", ""),
            ("payment_reference", ""),
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("Member number"));
    assert_eq!(app.snapshot(), before, "refused inquiries store nothing");

    for (carrier, good) in [
        ("docomo", "123456789012"),
        ("au", "12345678901"),
        ("SoftBank", "SB1234567890"),
    ] {
        let r = post(
            &app,
            "/p/plus-member/r/inquiry",
            &inquiry(&[("carrier", carrier), ("payment_reference", good)]),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{carrier}: {}", r.text);
    }
}

#[tokio::test]
async fn an_icloud_address_gets_the_seeds_warning() {
    let app = TestApp::new().await;
    let r = post(
        &app,
        "/p/plus-member/r/inquiry",
        &inquiry(&[("email", "sora@icloud.com")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text
            .contains("please do not inquire from an iCloud address"),
        "{}",
        r.text
    );
    let plain = post(&app, "/p/plus-member/r/inquiry", &inquiry(&[])).await;
    assert!(!plain.text.contains("class=\"err\""));
}

#[tokio::test]
async fn the_support_desk_compares_an_inquiry_and_sends_a_reset_link_never_the_password() {
    let app = TestApp::new().await;
    post(&app, "/p/plus-member/r/inquiry", &inquiry(&[])).await;
    let r = app.post("/admin/login", PC, format!("token={TOKEN}")).await;
    let cookie = r
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let get = Request::get("/admin/support")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let page = app.request(get).await;
    assert!(
        page.text.contains("PM0067890") && page.text.contains("✓ sora.fan@example.com"),
        "{}",
        page.text
    );
    assert!(
        !page.text.contains("Fan-Club-2025"),
        "the password is never shown"
    );
    let csrf = {
        let at = page.text.find("name=\"csrf\" value=\"").unwrap() + 19;
        page.text[at..at + 32].to_string()
    };
    let id = app.sql(|c| {
        c.query_row("SELECT id FROM support_inquiries", [], |r| {
            r.get::<_, i64>(0)
        })
    });
    let reset = |csrf: String| {
        Request::post(format!("/admin/support/{id}/reset"))
            .header(header::COOKIE, &cookie)
            .header(header::HOST, "garake.test")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}&login_id=PM0067890")))
            .unwrap()
    };
    assert_eq!(
        app.request(reset("forged".into())).await.status,
        StatusCode::CONFLICT
    );
    assert!(mails_to(&app, SORA).await.is_empty());
    assert_eq!(
        app.request(reset(csrf.clone())).await.status,
        StatusCode::OK
    );
    let mail = &mails_to(&app, SORA).await[0];
    assert!(!mail["body"].as_str().unwrap().contains("Fan-Club-2025"));
    let link = link_in(mail);
    assert_eq!(
        set_password(&app, "plus-member", &link, "Sora-New-2026")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "plus-member", "PM0067890", "Sora-New-2026")
            .await
            .status,
        StatusCode::OK
    );
    // Handled once only.
    assert_eq!(app.request(reset(csrf)).await.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn ims_login_ids_with_at_signs_use_the_part_before_the_first() {
    let app = TestApp::new().await;
    let r = login(&app, "ims", "abcd@en@wakwak.com", "Imsmember-2024").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("Logged in as abcd"));
    assert_eq!(
        login(&app, "ims", "abcd", "Imsmember-2024").await.status,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "ims", "abcd@en@wakwak.com", "wrong")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_ims_temporary_password_works_once_before_expiry_and_forces_a_new_password() {
    let app = TestApp::new().await;
    let sent = post(
        &app,
        "/p/ims/r/recovery",
        &format!(
            "login_id={}&basic_mail={}",
            enc("abcd@en@wakwak.com"),
            enc("abcd@xxx.mm-m.ne.jp")
        ),
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK);
    let mail = &mails_to(&app, "abcd@xxx.mm-m.ne.jp").await[0];
    let temp = value_after(mail, "【仮パスワード】");
    assert!(mail["body"].as_str().unwrap().contains("【有効期限】"));
    let r = login(&app, "ims", "abcd", &temp).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let change = r.location();
    assert!(change.starts_with("/p/ims/change?t="));
    // Once only.
    assert_eq!(
        login(&app, "ims", "abcd", &temp).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The new password must satisfy the policy.
    let weak = set_password(&app, "ims", &change, "abcdefghi").await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text.contains("9 to 20 characters"));
    assert_eq!(
        set_password(&app, "ims", &change, "NewIms-2026")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "ims", "abcd", "NewIms-2026").await.status,
        StatusCode::OK
    );

    // A second temporary password expires after its lifetime.
    post(
        &app,
        "/p/ims/r/recovery",
        "login_id=abcd&basic_mail=abcd%40xxx.mm-m.ne.jp",
    )
    .await;
    let temp = value_after(
        &mails_to(&app, "abcd@xxx.mm-m.ne.jp").await[0],
        "【仮パスワード】",
    );
    app.state.clock.advance(3601).unwrap();
    assert_eq!(
        login(&app, "ims", "abcd", &temp).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn ims_recovery_needs_the_basic_mail_address_and_answers_the_same_either_way() {
    let app = TestApp::new().await;
    let good = post(
        &app,
        "/p/ims/r/recovery",
        "login_id=abcd&basic_mail=abcd%40xxx.mm-m.ne.jp",
    )
    .await;
    let wrong = post(
        &app,
        "/p/ims/r/recovery",
        "login_id=abcd&basic_mail=other%40xxx.mm-m.ne.jp",
    )
    .await;
    assert_eq!((good.status, &good.text), (wrong.status, &wrong.text));
    assert_eq!(mails_to(&app, "abcd@xxx.mm-m.ne.jp").await.len(), 1);
    assert!(mails_to(&app, "other@xxx.mm-m.ne.jp").await.is_empty());
}

fn koku(login: &str, name: &str, phone: &str, email: &str) -> String {
    format!(
        "login_id={}&name={}&country_code=81&phone={}&email={}",
        enc(login),
        enc(name),
        enc(phone),
        enc(email)
    )
}

#[tokio::test]
async fn initialization_needs_all_four_to_match_and_the_old_password_works_until_the_new_is_used() {
    let app = TestApp::new().await;
    let to = "taro.koku@example.com";
    for (login_id, name, phone, email) in [
        ("123456789", "Jiro KOKU", "9012345678", to),
        ("123456780", "Taro KOKU", "9012345678", to),
        ("123456789", "Taro KOKU", "9099999999", to),
        ("123456789", "Taro KOKU", "9012345678", "other@example.com"),
    ] {
        let r = post(
            &app,
            "/p/koku/r/initialize",
            &koku(login_id, name, phone, email),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert!(
        mails_to(&app, to).await.is_empty(),
        "one mismatch is enough to send nothing"
    );
    let hyphen = post(
        &app,
        "/p/koku/r/initialize",
        &koku("123456789", "Taro KOKU", "90-1234-5678", to),
    )
    .await;
    assert_eq!(hyphen.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(hyphen
        .text
        .contains("Enter the phone number without hyphen (-)."));
    let no_space = post(
        &app,
        "/p/koku/r/initialize",
        &koku("123456789", "TaroKOKU", "9012345678", to),
    )
    .await;
    assert_eq!(no_space.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A two-byte space works as well as a one-byte one.
    let r = post(
        &app,
        "/p/koku/r/initialize",
        &koku("123456789", "Taro\u{3000}KOKU", "9012345678", to),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let initialized = value_after(&mails_to(&app, to).await[0], "Initialized password:");
    // The old password still works until the initialized one is used.
    assert_eq!(
        login(&app, "koku", "123456789", "Koku-Pass-01")
            .await
            .status,
        StatusCode::OK
    );
    let first = login(&app, "koku", "123456789", &initialized).await;
    assert_eq!(
        first.status,
        StatusCode::SEE_OTHER,
        "the first use forces a change"
    );
    assert_eq!(
        login(&app, "koku", "123456789", "Koku-Pass-01")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        set_password(&app, "koku", &first.location(), "Koku-New-2026")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "koku", "123456789", "Koku-New-2026")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_company_account_is_initialized_with_the_person_in_charge() {
    let app = TestApp::new().await;
    let to = "it-admin@sato-trading.example.co.jp";
    let r = post(
        &app,
        "/p/koku/r/initialize",
        &koku("987654321", "hanako sato", "0312345678", to),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(mails_to(&app, to).await.len(), 1);
}

#[tokio::test]
async fn the_login_id_notification_mails_a_forgotten_login_id() {
    let app = TestApp::new().await;
    let body = "name=Taro+KOKU&country_code=%2B81&phone=9012345678&email=taro.koku%40example.com";
    assert_eq!(
        post(&app, "/p/koku/r/login-id", body).await.status,
        StatusCode::OK
    );
    let mail = &mails_to(&app, "taro.koku@example.com").await[0];
    assert!(mail["body"].as_str().unwrap().contains("123456789"));
    let wrong = post(
        &app,
        "/p/koku/r/login-id",
        &body.replace("9012345678", "9000000000"),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert_eq!(mails_to(&app, "taro.koku@example.com").await.len(), 1);
}

#[tokio::test]
async fn recovery_requests_are_rate_limited_per_account() {
    let app = TestApp::new().await;
    for _ in 0..8 {
        assert_eq!(
            post(&app, "/p/plus-member/r/forgot", "login_id=PM0012345")
                .await
                .status,
            StatusCode::OK
        );
    }
    // Five go through; after that the answer stays the same but nothing is sent.
    assert_eq!(mails_to(&app, HIKARI).await.len(), 5);
    app.state.clock.advance(3600).unwrap();
    post(&app, "/p/plus-member/r/forgot", "login_id=PM0012345").await;
    assert_eq!(mails_to(&app, HIKARI).await.len(), 6, "the wait ends");
}

#[tokio::test]
async fn a_link_works_only_on_its_own_site() {
    let app = TestApp::new().await;
    post(&app, "/p/plus-member/r/forgot", "login_id=PM0012345").await;
    let link = link_in(&mails_to(&app, HIKARI).await[0]);
    let elsewhere = link.replace("/p/plus-member/", "/p/ims/");
    assert_eq!(app.get(&elsewhere, PC).await.status, StatusCode::GONE);
    assert_eq!(
        set_password(&app, "ims", &elsewhere, "Abcdefg123")
            .await
            .status,
        StatusCode::GONE
    );
    assert_eq!(
        app.get(&link, PC).await.status,
        StatusCode::OK,
        "still good on its own site"
    );
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let app = TestApp::new().await;
    post(&app, "/p/plus-member/r/forgot", "login_id=PM0012345").await;
    let link = link_in(&mails_to(&app, HIKARI).await[0]);
    let token = link.split("t=").nth(1).unwrap().to_string();
    assert_eq!(token.len(), 32, "128 bits");
    assert!(!app.snapshot().contains(&token));
    let stored: String =
        app.sql(|c| c.query_row("SELECT hash FROM partner_tokens", [], |r| r.get(0)));
    assert_eq!(stored, garake::store::partners::token_hash(&token));
}

const FOURTH: &str = r#"
id = "quiz"
name = "Quiz Club"
mail_from = "club@quiz.example"
top_text = "A fourth site, made of data only."
login_label = "Club ID"
password_label = "Password"
policy_text = "10 or more characters with a digit."

[password_policy]
min = 10
max = 40
require = [["digit"]]

[[field]]
name = "email"
label = "E-mail"
kind = "email"

[[procedure]]
id = "reset"
title = "Lost password"
mechanism = "email_link"
intro = "Enter your club ID and e-mail."
fields = ["login_id", "email"]
match_any = [["login_id", "email"]]
lifetime_secs = 600
sent_text = "If they match, a link is on its way."
mail_subject = "Quiz Club link"
mail_body = "Open {link} within 10 minutes."
expired_text = "More than 10 minutes have passed."

[[member]]
login_id = "Q-1"
password = "quizzical-1"
fields = { email = "q1@quiz.example" }
"#;

/// Copies the shipped menus into a temporary folder and adds `extra` partner files.
fn menus_with(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("partners")).unwrap();
    for entry in std::fs::read_dir(shipped_menus()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    for entry in std::fs::read_dir(shipped_menus().join("partners")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            dir.path().join("partners").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    for (name, text) in extra {
        std::fs::write(dir.path().join("partners").join(name), text).unwrap();
    }
    dir
}

#[tokio::test]
async fn a_fourth_site_needs_only_a_data_file() {
    let dir = menus_with(&[("quiz.toml", FOURTH)]);
    let path = dir.path().to_path_buf();
    let app = TestApp::with(move |c| c.menus = Some(path)).await;
    assert!(app.get("/partners", PC).await.text.contains("Quiz Club"));
    assert_eq!(
        post(
            &app,
            "/p/quiz/r/reset",
            "login_id=Q-1&email=q1%40quiz.example"
        )
        .await
        .status,
        StatusCode::OK
    );
    let link = link_in(&mails_to(&app, "q1@quiz.example").await[0]);
    assert_eq!(
        set_password(&app, "quiz", &link, "nodigitshere")
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        set_password(&app, "quiz", &link, "nowwith1digit")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "quiz", "Q-1", "nowwith1digit").await.status,
        StatusCode::OK
    );
}

#[test]
fn a_broken_partner_file_is_reported_by_check() {
    let broken = FOURTH.replace(
        "match_any = [[\"login_id\", \"email\"]]",
        "match_any = [[\"login_id\", \"phone\"]]",
    );
    let dir = menus_with(&[("quiz.toml", &broken)]);
    let problems = garake::recovery::config::Partners::load(&garake::menu::Folder::new(dir.path()))
        .unwrap_err();
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|p| p.contains("quiz.toml:") && p.contains("unknown field `phone`")),
        "{text:?}"
    );
    let typo = FOURTH.replace(
        "mechanism = \"email_link\"",
        "mechanism = \"carrier_pigeon\"",
    );
    let dir = menus_with(&[("quiz.toml", &typo)]);
    let problems = garake::recovery::config::Partners::load(&garake::menu::Folder::new(dir.path()))
        .unwrap_err();
    assert!(
        problems[0].to_string().contains("carrier_pigeon"),
        "{problems:?}"
    );
}

#[tokio::test]
async fn joining_with_carrier_billing_issues_a_reference_in_the_carriers_format() {
    let app = TestApp::new().await;
    for (id, carrier, format) in [
        ("PM1000001", "docomo", "digits:12"),
        ("PM1000002", "au", "digits:11"),
        ("PM1000003", "SoftBank", "alnum:10-20"),
    ] {
        let email = format!("{}@example.com", id.to_lowercase());
        let body = format!(
            "login_id={id}&email={}&nickname=fan&payment_method=carrier&carrier={carrier}",
            enc(&email)
        );
        let r = post(&app, "/p/plus-member/r/join", &body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let mail = &mails_to(&app, &email).await[0];
        let reference = value_after(mail, "Payment reference:");
        assert!(
            garake::recovery::fields::reference_matches(format, &reference),
            "{carrier}: {reference}"
        );
        // The initial password works once and forces a new one.
        let password = value_after(mail, "Initial password:");
        let first = login(&app, "plus-member", id, &password).await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
        assert_eq!(
            set_password(&app, "plus-member", &first.location(), "MyOwn-Pass-1")
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            login(&app, "plus-member", id, "MyOwn-Pass-1").await.status,
            StatusCode::OK
        );
    }
    // A taken ID is refused clearly.
    let taken = post(
        &app,
        "/p/plus-member/r/join",
        "login_id=PM0012345&email=x%40example.com&nickname=x&payment_method=credit_card",
    )
    .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text.contains("is taken"));
}

#[tokio::test]
async fn recovery_requests_are_rate_limited_per_source_address() {
    let app = TestApp::new().await;
    let from = |ip: &str, body: &str| {
        let mut req = Request::post("/p/plus-member/r/forgot")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string()))
            .unwrap();
        let addr: std::net::SocketAddr = format!("{ip}:40000").parse().unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        req
    };
    // One address tries 30 made-up IDs...
    for i in 0..30 {
        let r = app
            .request(from("192.0.2.7", &format!("login_id=PM90000{i:02}")))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // ...and is then held back even for a real account, with the same page.
    let held = app.request(from("192.0.2.7", "login_id=PM0012345")).await;
    assert_eq!(held.status, StatusCode::OK);
    assert!(mails_to(&app, HIKARI).await.is_empty());
    // Another address is not.
    app.request(from("198.51.100.9", "login_id=PM0012345"))
        .await;
    assert_eq!(mails_to(&app, HIKARI).await.len(), 1);
}

#[tokio::test]
async fn a_full_site_refuses_a_sign_up_with_a_429_page_and_writes_nothing() {
    // Plus member holds its two demo members: room for one more.
    let app = TestApp::with(|c| c.limits.max_partner_members = 3).await;
    let join = |id: &str| {
        format!(
            "login_id={id}&email={}&nickname=fan&payment_method=credit_card",
            enc(&format!("{}@example.com", id.to_lowercase()))
        )
    };
    let first = post(&app, "/p/plus-member/r/join", &join("PM1000001")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let before = app.snapshot_all_but(&[]);
    let full = post(&app, "/p/plus-member/r/join", &join("PM1000002")).await;
    assert_eq!(full.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        full.text.contains("The site is full") && full.text.contains("try again later"),
        "{}",
        full.text
    );
    assert!(
        full.text.contains("会員数が上限"),
        "both languages, as the page"
    );
    assert_eq!(
        app.snapshot_all_but(&[]),
        before,
        "no member, mail, audit row or throttle count"
    );
    assert!(mails_to(&app, "pm1000002@example.com").await.is_empty());
    // The cap is per site: the other procedures of the site still work.
    let inquiry = post(&app, "/p/plus-member/r/inquiry", &inquiry(&[])).await;
    assert_eq!(inquiry.status, StatusCode::OK, "{}", inquiry.text);
    let metrics = app.api("/metrics").await.text;
    assert!(
        metrics.contains("garake_limit_hits_total{limit=\"partner_site_full\"} 1\n"),
        "{metrics}"
    );
}

/// A world's recovery mail links into that world, and the link works there.
#[tokio::test]
async fn a_world_s_reset_link_leads_into_the_world() {
    let app = TestApp::new().await;
    let world = app.new_world("{}").await;
    let sent = post(&world, "/p/plus-member/r/forgot", "login_id=PM0012345").await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let mail = &mails_to(&world, HIKARI).await[0];
    let body = mail["body"].as_str().unwrap();
    let at = body
        .find(&format!("http://127.0.0.1:0{}/p/", world.prefix))
        .unwrap_or_else(|| panic!("no link into the world in {body}"))
        + "http://127.0.0.1:0".len();
    let link = body[at..].split_whitespace().next().unwrap().to_string();
    let landing = world.get(&link, PC).await;
    assert_eq!(landing.status, StatusCode::OK, "{}", landing.text);
    assert!(
        mails_to(&app, HIKARI).await.is_empty(),
        "the default world sent nothing"
    );
    // The world's link is no link in the default world.
    let stripped = link.trim_start_matches(world.prefix.as_str());
    assert_ne!(app.get(stripped, PC).await.status, StatusCode::OK);
}
