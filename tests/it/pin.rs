//! The i-mode password: change, gate, lock, reset with the network PIN.

use axum::http::StatusCode;

use crate::helpers::*;

fn ok(action: &str) -> (String, String) {
    (action.to_string(), "ok".to_string())
}

fn outcome(action: &str, outcome: &str) -> (String, String) {
    (action.to_string(), outcome.to_string())
}

#[tokio::test]
async fn changing_the_password_makes_the_new_one_work_and_the_old_one_fail() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let done = handset.change_pin("0000", "4321", "4321").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.text.contains("Your i-mode password has been changed."));
    let old = handset.change_pin("0000", "1111", "1111").await;
    assert_eq!(old.status, StatusCode::FORBIDDEN);
    assert!(old.text.contains("The i-mode password is incorrect."));
    let new = handset.change_pin("4321", "1111", "1111").await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.text);
    assert_eq!(
        app.audit(TARO).await,
        [
            ok("change_imode_password"),
            outcome("change_imode_password", "wrong_pin"),
            ok("change_imode_password")
        ]
    );
}

#[tokio::test]
async fn full_width_digits_are_normalised() {
    let app = TestApp::new().await;
    let handset = app.handset(HANAKO, P501I).await;
    let r = handset.change_pin("２５８０", "１２３４", "1234").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("変更しました"));
    assert_eq!(
        handset.change_pin("1234", "2580", "2580").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_malformed_new_password_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let before = app.pin_hash(TARO);
    for (new, confirm, message) in [
        ("123", "123", "Enter the new password as exactly 4 digits."),
        (
            "12345",
            "12345",
            "Enter the new password as exactly 4 digits.",
        ),
        (
            "12a4",
            "12a4",
            "Enter the new password as exactly 4 digits.",
        ),
        ("", "", "Enter the new password as exactly 4 digits."),
        (
            "1234",
            "1235",
            "The new password and its confirmation differ.",
        ),
    ] {
        let r = handset.change_pin("0000", new, confirm).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{new}");
        assert!(r.text.contains(message), "{new}: {}", r.text);
        assert!(
            r.text.contains("name=\"new_pin\""),
            "the form is shown again"
        );
    }
    assert_eq!(app.pin_hash(TARO), before);
    assert!(
        !app.line(TARO).await["pin_locked"].as_bool().unwrap(),
        "format errors are not failures"
    );
    assert_eq!(
        handset.change_pin("0000", "9999", "9999").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_malformed_current_password_is_not_counted_as_a_failure() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    for bad in ["abc", "00000", "", "0 0 0"] {
        let r = handset.change_pin(bad, "1234", "1234").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text.contains("Enter the password as exactly 4 digits."),
            "{}",
            r.text
        );
    }
    assert_eq!(
        app.audit(TARO)
            .await
            .iter()
            .filter(|(_, o)| o == "invalid_input")
            .count(),
        4
    );
    assert_eq!(
        handset.change_pin("0000", "1234", "1234").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_wrong_password_changes_nothing() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let before = app.pin_hash(TARO);
    let r = handset.change_pin("9999", "1234", "1234").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("iモードパスワードが違います。"));
    assert_eq!(app.pin_hash(TARO), before);
}

#[tokio::test]
async fn three_wrong_passwords_lock_until_the_next_midnight_jst() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    for _ in 0..2 {
        assert!(handset
            .change_pin("1111", "2222", "2222")
            .await
            .text
            .contains("incorrect"));
    }
    let third = handset.change_pin("1111", "2222", "2222").await;
    assert_eq!(third.status, StatusCode::FORBIDDEN);
    assert!(
        third.text.contains("The i-mode password is incorrect."),
        "locked reads like wrong"
    );
    assert!(
        third.text.contains("locked until midnight"),
        "{}",
        third.text
    );
    assert!(
        third.text.contains("reset-imode-password"),
        "points at the reset routes"
    );
    assert!(app.line(TARO).await["pin_locked"].as_bool().unwrap());

    // Even the right password is refused while locked, and nothing changes.
    let before = app.pin_hash(TARO);
    let right = handset.change_pin("0000", "2222", "2222").await;
    assert_eq!(right.status, StatusCode::FORBIDDEN);
    assert!(right.text.contains("locked until midnight"));
    assert_eq!(app.pin_hash(TARO), before);

    // The lock lifts at the next 00:00 JST.
    let now = app.state.clock.now();
    let midnight = garake::clock::next_jst_midnight(now);
    app.state.clock.advance(midnight - now - 60).unwrap();
    assert!(
        app.line(TARO).await["pin_locked"].as_bool().unwrap(),
        "still locked a minute before"
    );
    app.state.clock.advance(61).unwrap();
    assert!(!app.line(TARO).await["pin_locked"].as_bool().unwrap());
    let handset = app.handset_lang(TARO, P501I, "en").await;
    assert_eq!(
        handset.change_pin("0000", "2222", "2222").await.status,
        StatusCode::OK
    );
    let audit = app.audit(TARO).await;
    assert_eq!(audit[0], ok("change_imode_password"));
    assert_eq!(audit[1], outcome("change_imode_password", "locked"));
    assert_eq!(audit.iter().filter(|(_, o)| o == "wrong_pin").count(), 3);
}

#[tokio::test]
async fn a_correct_entry_resets_the_failure_counter() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    handset.change_pin("1111", "0000", "0000").await;
    handset.change_pin("1111", "0000", "0000").await;
    assert_eq!(
        handset.change_pin("0000", "0000", "0000").await.status,
        StatusCode::OK
    );
    handset.change_pin("1111", "0000", "0000").await;
    handset.change_pin("1111", "0000", "0000").await;
    assert!(
        !app.line(TARO).await["pin_locked"].as_bool().unwrap(),
        "2 + 2 failures, not 4 in a row"
    );
}

#[tokio::test]
async fn a_replayed_form_changes_nothing() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let form = handset.get(&handset.action("change-imode-password")).await;
    let body = format!(
        "pin=1111&new_pin=2222&new_pin_confirm=2222&ft={}",
        form.form_token()
    );
    let first = handset
        .post(&handset.action("change-imode-password"), body.clone())
        .await;
    assert_eq!(first.status, StatusCode::FORBIDDEN);
    let before = app.snapshot();
    let replay = handset
        .post(&handset.action("change-imode-password"), body)
        .await;
    assert_eq!(replay.status, StatusCode::CONFLICT);
    assert!(replay.text.contains("already sent"), "{}", replay.text);
    assert_eq!(
        app.snapshot(),
        before,
        "the replay wrote nothing, not even a failure"
    );
}

#[tokio::test]
async fn a_forged_or_missing_token_changes_nothing() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let before = app.snapshot();
    for body in [
        "pin=0000&new_pin=2222&new_pin_confirm=2222&ft=0123456789abcdef0123456789abcdef"
            .to_string(),
        "pin=0000&new_pin=2222&new_pin_confirm=2222".to_string(),
    ] {
        let r = handset
            .post(&handset.action("change-imode-password"), body)
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.header("content-type"), "text/html; charset=Shift_JIS");
    }
    // A token from another session does not work either.
    let other = app.handset(TARO, P501I).await;
    let token = other
        .get(&other.action("change-imode-password"))
        .await
        .form_token();
    let r = handset
        .post(
            &handset.action("change-imode-password"),
            format!("pin=0000&new_pin=2222&new_pin_confirm=2222&ft={token}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(app.snapshot(), before);
}

#[tokio::test]
async fn password_pages_are_never_cached() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let form = handset.get(&handset.action("change-imode-password")).await;
    assert_eq!(form.header("cache-control"), "no-store");
    let result = handset.change_pin("0000", "1234", "1234").await;
    assert_eq!(result.header("cache-control"), "no-store");
    let reset = handset.get(&handset.action("reset-imode-password")).await;
    assert_eq!(reset.header("cache-control"), "no-store");
}

#[tokio::test]
async fn the_password_is_stored_only_as_a_keyed_argon2id_hash() {
    let app = TestApp::new().await;
    let hash = app.pin_hash(TARO);
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains("0000"));
    let secret = app.dir.path().join("garake.db.secret");
    let meta = std::fs::metadata(&secret).expect("the server secret sits next to the db");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
}

#[tokio::test]
async fn the_network_pin_resets_a_locked_password_to_0000() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(HANAKO, P501I, "en").await;
    for _ in 0..3 {
        handset.change_pin("0000", "1234", "1234").await;
    }
    assert!(app.line(HANAKO).await["pin_locked"].as_bool().unwrap());
    let bystander = app.handset(HANAKO, P501I).await;

    let r = handset.reset_pin("5678").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("reset to 0000"));
    assert!(!app.line(HANAKO).await["pin_locked"].as_bool().unwrap());
    // The line's other sessions ended; this one goes on.
    assert_eq!(bystander.node("imenu").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        handset.change_pin("0000", "2580", "2580").await.status,
        StatusCode::OK
    );
    assert_eq!(app.audit(HANAKO).await[1], ok("reset_imode_password"));
}

#[tokio::test]
async fn three_wrong_network_pins_lock_it_until_a_shop_visit() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let before = app.pin_hash(TARO);
    for _ in 0..2 {
        let r = handset.reset_pin("0000").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.text.contains("The network PIN is incorrect."));
    }
    let third = handset.reset_pin("0000").await;
    assert!(
        third.text.contains("Please visit a docomo Shop."),
        "{}",
        third.text
    );
    assert!(app.line(TARO).await["network_pin_locked"]
        .as_bool()
        .unwrap());
    // The right PIN no longer helps, not even tomorrow.
    app.state.clock.advance(3 * 86_400).unwrap();
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let right = handset.reset_pin("1234").await;
    assert_eq!(right.status, StatusCode::FORBIDDEN);
    assert!(app.line(TARO).await["network_pin_locked"]
        .as_bool()
        .unwrap());
    assert_eq!(app.pin_hash(TARO), before, "nothing was reset");
}

#[tokio::test]
async fn a_malformed_network_pin_is_refused_and_not_counted() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    for bad in ["12", "abcd", "12345"] {
        let r = handset.reset_pin(bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("exactly 4 digits"));
    }
    assert_eq!(handset.reset_pin("1234").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_saturated_argon2_pool_answers_busy_while_menus_keep_working() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let form = handset.get(&handset.action("change-imode-password")).await;
    // Take every Argon2 slot.
    let mut held = Vec::new();
    for _ in 0..std::thread::available_parallelism().map_or(2, |n| n.get()) {
        held.push(app.state.pins.admit(None).await.unwrap());
    }
    let before = app.snapshot();
    let body = format!(
        "pin=0000&new_pin=1234&new_pin_confirm=1234&ft={}",
        form.form_token()
    );
    let path = handset.action("change-imode-password");
    let (busy, menu) = tokio::join!(handset.post(&path, body), async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        handset.node("imenu").await
    });
    assert_eq!(
        menu.status,
        StatusCode::OK,
        "menu pages never queue behind PIN checks"
    );
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(busy.text.contains("busy"), "{}", busy.text);
    assert_eq!(busy.header("retry-after"), "2");
    assert_eq!(app.snapshot(), before);
    drop(held);
    assert_eq!(
        handset.change_pin("0000", "1234", "1234").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn with_the_argon2_queue_full_a_check_is_told_busy_at_once_and_nothing_is_counted() {
    let app = TestApp::with(|c| c.limits.argon2_queue = 0).await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let form = handset.get(&handset.action("change-imode-password")).await;
    let mut held = Vec::new();
    for _ in 0..std::thread::available_parallelism().map_or(2, |n| n.get()) {
        held.push(app.state.pins.admit(None).await.unwrap());
    }
    let before = app.snapshot();
    let body = format!(
        "pin=0000&new_pin=1234&new_pin_confirm=1234&ft={}",
        form.form_token()
    );
    let started = std::time::Instant::now();
    let busy = handset
        .post(&handset.action("change-imode-password"), body)
        .await;
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "no room to wait: refused without waiting for a slot"
    );
    assert_eq!(busy.header("retry-after"), "2");
    assert_eq!(app.snapshot(), before, "a refused check changes nothing");
    let metrics = app.api("/metrics").await.text;
    assert!(
        metrics.contains("garake_limit_hits_total{limit=\"argon2_busy\"} 1\n"),
        "{metrics}"
    );
    drop(held);
}
