//! Every protected action behind the i-mode password, as the carrier's help
//! page "When to Enter Your i-mode Password" lists them.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

use crate::helpers::*;

/// A settings action: its name, the fields of a valid change, and a check of the
/// line state once it is applied.
struct Case {
    action: &'static str,
    fields: &'static str,
    applied: fn(&serde_json::Value) -> bool,
}

const CASES: &[Case] = &[
    Case {
        action: "mail-rejection",
        fields: "mode=reject_designated&list=spam.example.com%0D%0AJunk%40Ads.jp",
        applied: |l| {
            l["mail_rejection"]
                == serde_json::json!({"mode": "reject_designated", "list": ["spam.example.com", "junk@ads.jp"]})
        },
    },
    Case {
        action: "change-mail-address",
        fields: "new_address=taro.new-2026",
        applied: |l| l["mail_address"] == "taro.new-2026@docomo.ne.jp",
    },
    Case {
        action: "suspend-mail",
        fields: "suspend=on",
        applied: |l| l["mail_suspended"] == true,
    },
    Case {
        action: "secret-code",
        fields: "secret_code=4321",
        applied: |l| l["secret_code_registered"] == true,
    },
    Case {
        action: "message-service",
        fields: "message_r=off&message_f=on",
        applied: |l| {
            l["message_service"] == serde_json::json!({"message_r": false, "message_f": true})
        },
    },
];

#[tokio::test]
async fn every_settings_action_applies_with_the_right_password_only() {
    for case in CASES {
        let app = TestApp::new().await;
        let handset = app.handset_lang(TARO, P501I, "en").await;
        let before = app.line(TARO).await;
        assert!(
            !(case.applied)(&before),
            "{}: fixture already in the target state",
            case.action
        );

        // Wrong password: refused, the whole line state unchanged, audited.
        let (confirm, wrong) = handset.protect(case.action, case.fields, "9999").await;
        assert_eq!(
            confirm.status,
            StatusCode::OK,
            "{}: {}",
            case.action,
            confirm.text
        );
        assert!(
            confirm.text.contains("enter your i-mode password"),
            "{}",
            confirm.text
        );
        assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{}", case.action);
        assert!(wrong.text.contains("The i-mode password is incorrect."));
        assert_eq!(
            app.line(TARO).await,
            before,
            "{}: wrong password changed something",
            case.action
        );
        assert_eq!(app.audit(TARO).await[0].1, "wrong_pin");

        // Right password: applied, audited, and the result page shows the new state.
        let (_, done) = handset.protect(case.action, case.fields, "0000").await;
        assert_eq!(
            done.status,
            StatusCode::OK,
            "{}: {}",
            case.action,
            done.text
        );
        assert!(done.text.contains("Your settings have been changed."));
        let after = app.line(TARO).await;
        assert!(
            (case.applied)(&after),
            "{}: not applied: {after}",
            case.action
        );
        assert_eq!(app.audit(TARO).await[0].1, "ok");
        assert!(
            done.text.contains("Current settings"),
            "the result shows the state"
        );
    }
}

#[tokio::test]
async fn a_replayed_settings_submission_changes_nothing() {
    for case in CASES {
        let app = TestApp::new().await;
        let handset = app.handset(TARO, P501I).await;
        let confirm = handset
            .post(
                &format!("/s/{}/c/{}", handset.sid, case.action),
                case.fields,
            )
            .await;
        let body = format!("{}&pin=0000&ft={}", case.fields, confirm.form_token());
        assert_eq!(
            handset
                .post(&handset.action(case.action), body.clone())
                .await
                .status,
            StatusCode::OK
        );
        // Undo through the API-visible state: restore, then replay the old submission.
        let applied = app.line(TARO).await;
        let replay = handset.post(&handset.action(case.action), body).await;
        assert_eq!(replay.status, StatusCode::CONFLICT, "{}", case.action);
        assert_eq!(app.line(TARO).await, applied);
        assert_eq!(
            app.audit(TARO).await.len(),
            1,
            "{}: the replay was not even counted",
            case.action
        );
    }
}

#[tokio::test]
async fn a_locked_password_refuses_like_a_wrong_one_and_points_at_the_reset() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    for _ in 0..3 {
        handset.protect("suspend-mail", "suspend=on", "1111").await;
    }
    let before = app.line(TARO).await;
    let (_, locked) = handset.protect("suspend-mail", "suspend=on", "0000").await;
    assert_eq!(locked.status, StatusCode::FORBIDDEN);
    assert!(locked.text.contains("The i-mode password is incorrect."));
    assert!(locked.text.contains("reset-imode-password"));
    assert_eq!(app.line(TARO).await, before);
    assert_eq!(app.audit(TARO).await[0].1, "locked");
}

/// Reads the billing of a line through the API.
async fn billing(app: &TestApp, msisdn: &str) -> serde_json::Value {
    app.api(&format!("/api/lines/{msisdn}/billing"))
        .await
        .json()
}

#[tokio::test]
async fn subscribing_records_the_subscription_and_one_ledger_entry() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let site = handset
        .get(&format!("/s/{}/site/business", handset.sid))
        .await;
    assert!(
        site.text.contains("Business Flash") && site.text.contains("Monthly 330 yen"),
        "{}",
        site.text
    );

    let before = app.line(TARO).await;
    let (_, wrong) = handset.site_action("subscribe", "business", "1234").await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(app.line(TARO).await, before);
    assert_eq!(
        billing(&app, TARO).await["ledger"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let (confirm, done) = handset.site_action("subscribe", "business", "0000").await;
    assert!(confirm.text.contains("Monthly 330 yen"), "{}", confirm.text);
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let line = app.line(TARO).await;
    assert_eq!(line["subscriptions"], serde_json::json!(["business"]));
    assert_eq!(
        line["my_menu"],
        serde_json::json!(["business"]),
        "a subscribed site joins My Menu"
    );
    let bill = billing(&app, TARO).await;
    let entry = &bill["ledger"][0];
    assert_eq!(entry["site"], "business");
    assert_eq!(entry["monthly_fee"], 330);
    let settlement = entry["settlement_no"].as_str().unwrap();
    assert_eq!(settlement.len(), 12);
    assert!(settlement.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(entry["start_date"].as_str().unwrap().len(), 10);
    assert_eq!(bill["monthly_total"], 330);

    // Subscribing again is refused and charges nothing.
    let (_, again) = handset.site_action("subscribe", "business", "0000").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text.contains("already subscribed"));
    assert_eq!(
        billing(&app, TARO).await["ledger"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The fee-services page shows it with the total.
    let fees = handset.get(&handset.action("fee-services")).await;
    assert!(fees.text.contains("Monthly total:330 yen"), "{}", fees.text);
    assert!(fees.text.contains("Business Flash"));
}

#[tokio::test]
async fn unsubscribing_ends_the_subscription_and_keeps_the_ledger() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    handset.site_action("subscribe", "melody", "0000").await;
    let (_, wrong) = handset.site_action("unsubscribe", "melody", "9999").await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.line(TARO).await["subscriptions"],
        serde_json::json!(["melody"])
    );
    let (_, done) = handset.site_action("unsubscribe", "melody", "0000").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let line = app.line(TARO).await;
    assert_eq!(line["subscriptions"], serde_json::json!([]));
    let bill = billing(&app, TARO).await;
    assert_eq!(bill["monthly_total"], 0);
    assert_eq!(
        bill["ledger"].as_array().unwrap().len(),
        1,
        "this month stays charged"
    );
    let (_, again) = handset.site_action("unsubscribe", "melody", "0000").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn twenty_simultaneous_subscribe_requests_charge_once() {
    let app = TestApp::new().await;
    let mut requests = Vec::new();
    for _ in 0..20 {
        let handset = app.handset(TARO, P501I).await;
        let path = format!("{}/comics", handset.action("subscribe"));
        let token = handset.get(&path).await.form_token();
        requests.push((path, format!("pin=0000&ft={token}")));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (path, body) in requests {
        let router = app.router();
        tasks.spawn(async move {
            let req = Request::post(path)
                .header(header::USER_AGENT, P501I)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap();
            router.oneshot(req).await.unwrap().status()
        });
    }
    let statuses: Vec<StatusCode> = tasks.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let bill = billing(&app, TARO).await;
    assert_eq!(bill["subscriptions"].as_array().unwrap().len(), 1);
    assert_eq!(bill["ledger"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn my_menu_registers_lists_pages_and_unregisters() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let empty = handset.get(&handset.action("my-menu")).await;
    assert!(empty.text.contains("No sites are registered."));
    let sites = [
        "weather",
        "news",
        "business",
        "melody",
        "plus-member",
        "comics",
        "transit",
        "gourmet",
    ];
    for site in sites {
        let (_, done) = handset.site_action("my-menu-register", site, "0000").await;
        assert_eq!(done.status, StatusCode::OK, "{site}: {}", done.text);
    }
    assert_eq!(app.line(TARO).await["my_menu"].as_array().unwrap().len(), 8);
    // The list pages within the budget and every site is reachable.
    let mut page = handset.get(&handset.action("my-menu")).await;
    let mut listed = Vec::new();
    loop {
        handset.check_size(&page);
        listed.extend(
            links(&page.text)
                .into_iter()
                .filter(|(h, _)| h.contains("/site/"))
                .map(|(h, _)| h),
        );
        if !page.text.contains("accesskey=\"#\"") {
            break;
        }
        page = handset.get(&page.link("[#]")).await;
    }
    assert_eq!(listed.len(), 8, "{listed:?}");
    // Un-register from the site page reached from My Menu.
    let weather = handset.get(&listed[0]).await;
    assert!(
        weather.text.contains("Remove from My Menu"),
        "{}",
        weather.text
    );
    let (_, done) = handset
        .site_action("my-menu-unregister", "weather", "0000")
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(!app.line(TARO).await["my_menu"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("weather")));
    let (_, again) = handset
        .site_action("my-menu-unregister", "weather", "0000")
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_wrong_password_on_a_site_action_changes_nothing() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let (line, bill) = (app.line(TARO).await, billing(&app, TARO).await);
    for op in ["my-menu-register", "subscribe"] {
        let (_, r) = handset.site_action(op, "plus-member", "1111").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(app.line(TARO).await, line);
    assert_eq!(billing(&app, TARO).await, bill);
}

/// Posts `fields` to the confirmation step and expects the input page again.
async fn refused(handset: &Handset<'_>, action: &str, fields: &str, message: &str) {
    let app = handset.app;
    let before = app.snapshot();
    let r = handset
        .post(&format!("/s/{}/c/{action}", handset.sid), fields)
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{action} {fields}: {}",
        r.text
    );
    assert!(
        r.text.contains(message),
        "{action} {fields}: want {message:?} in {}",
        r.text
    );
    handset.check_size(&r);
    assert_eq!(app.snapshot(), before, "{action} {fields}");
}

#[tokio::test]
async fn bad_settings_input_gets_a_clear_message_and_changes_nothing() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    refused(
        &handset,
        "mail-rejection",
        "mode=block&list=",
        "Choose a setting.",
    )
    .await;
    refused(&handset, "mail-rejection", "list=a.jp", "Choose a setting.").await;
    refused(
        &handset,
        "mail-rejection",
        "mode=reject_designated&list=not-an-address",
        "Not a mail address or domain:not-an-address",
    )
    .await;
    let many: Vec<String> = (0..21).map(|i| format!("d{i}.example.jp")).collect();
    refused(
        &handset,
        "mail-rejection",
        &format!("mode=reject_designated&list={}", many.join("%0A")),
        "At most 20 entries.",
    )
    .await;
    refused(
        &handset,
        "mail-rejection",
        "mode=receive_designated&list=",
        "needs at least one entry",
    )
    .await;
    refused(
        &handset,
        "change-mail-address",
        "new_address=ab",
        "This address cannot be used.",
    )
    .await;
    refused(
        &handset,
        "change-mail-address",
        "new_address=taro..x",
        "This address cannot be used.",
    )
    .await;
    refused(
        &handset,
        "change-mail-address",
        "new_address=",
        "This address cannot be used.",
    )
    .await;
    refused(
        &handset,
        "secret-code",
        "secret_code=123",
        "exactly 4 digits",
    )
    .await;
    refused(
        &handset,
        "secret-code",
        "secret_code=12345",
        "exactly 4 digits",
    )
    .await;
    refused(&handset, "suspend-mail", "", "Choose on or off.").await;
    refused(
        &handset,
        "message-service",
        "message_r=on",
        "Choose on or off.",
    )
    .await;
}

#[tokio::test]
async fn bad_input_sent_straight_to_apply_is_refused_too() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let confirm = handset
        .post(
            &format!("/s/{}/c/secret-code", handset.sid),
            "secret_code=1234",
        )
        .await;
    let before = app.line(TARO).await;
    let r = handset
        .post(
            &handset.action("secret-code"),
            format!("secret_code=123&pin=0000&ft={}", confirm.form_token()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("4桁"), "{}", r.text);
    assert_eq!(app.line(TARO).await, before);
}

#[tokio::test]
async fn a_taken_address_is_refused_in_the_database_and_changes_nothing() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let before = app.line(TARO).await;
    let (_, r) = handset
        .protect("change-mail-address", "new_address=Ichiro-Demo", "0000")
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("This address is already taken."));
    assert_eq!(app.line(TARO).await, before);
    assert_eq!(app.audit(TARO).await[0].1, "refused");
}

#[tokio::test]
async fn an_unknown_site_is_a_404_page() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    assert_eq!(
        handset
            .get(&format!("/s/{}/site/nosuch", handset.sid))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        handset
            .get(&format!("{}/nosuch", handset.action("subscribe")))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = handset
        .post(
            &format!("{}/nosuch", handset.action("subscribe")),
            "pin=0000&ft=x",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A free site cannot be subscribed to.
    let (r, _) = handset.site_action("subscribe", "weather", "0000").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_line_state_has_every_spec_field_with_its_type() {
    let app = TestApp::new().await;
    let line = app.line(HANAKO).await;
    let obj = line.as_object().unwrap();
    for (key, kind) in [
        ("msisdn", "string"),
        ("name", "string"),
        ("mail_address", "string"),
        ("mail_suspended", "bool"),
        ("mail_rejection", "object"),
        ("secret_code_registered", "bool"),
        ("message_service", "object"),
        ("my_menu", "array"),
        ("subscriptions", "array"),
        ("pin_locked", "bool"),
        ("network_pin_locked", "bool"),
    ] {
        let v = obj.get(key).unwrap_or_else(|| panic!("{key} missing"));
        let ok = match kind {
            "string" => v.is_string(),
            "bool" => v.is_boolean(),
            "object" => v.is_object(),
            _ => v.is_array(),
        };
        assert!(ok, "{key} is not a {kind}: {v}");
    }
    assert!(line["mail_rejection"]["list"].is_array());
    assert!(line["message_service"]["message_f"].is_boolean());
}
