//! Many handsets acting on one line at once leave a state equal to some serial
//! order of the acknowledged requests: no lost update, no double charge.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

use crate::helpers::*;

/// Fires all `(path, body)` posts at once; returns their statuses in order.
async fn all_at_once(app: &TestApp, posts: Vec<(String, String)>) -> Vec<StatusCode> {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (path, body)) in posts.into_iter().enumerate() {
        let router = app.router();
        tasks.spawn(async move {
            let req = Request::post(path)
                .header(header::USER_AGENT, P501I)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap();
            (i, router.oneshot(req).await.unwrap().status())
        });
    }
    let mut out = tasks.join_all().await;
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, s)| s).collect()
}

#[tokio::test]
async fn registering_eight_sites_at_once_loses_none() {
    let app = TestApp::new().await;
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
    let mut posts = Vec::new();
    for site in sites {
        let handset = app.handset(TARO, P501I).await;
        let path = format!("{}/{site}", handset.action("my-menu-register"));
        let token = handset.get(&path).await.form_token();
        posts.push((path, format!("pin=0000&ft={token}")));
    }
    let statuses = all_at_once(&app, posts).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let mut registered: Vec<String> = app.line(TARO).await["my_menu"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    registered.sort();
    let mut want: Vec<String> = sites.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(registered, want);
}

#[tokio::test]
async fn concurrent_password_changes_leave_exactly_one_winner() {
    let app = TestApp::new().await;
    let new_pins = ["1111", "2222", "3333"];
    let mut posts = Vec::new();
    for pin in new_pins {
        let handset = app.handset(TARO, P501I).await;
        let path = handset.action("change-imode-password");
        let token = handset.get(&path).await.form_token();
        posts.push((
            path,
            format!("pin=0000&new_pin={pin}&new_pin_confirm={pin}&ft={token}"),
        ));
    }
    let statuses = all_at_once(&app, posts).await;
    let winners: Vec<&str> = new_pins
        .iter()
        .zip(&statuses)
        .filter(|(_, s)| **s == StatusCode::OK)
        .map(|(p, _)| *p)
        .collect();
    assert_eq!(winners.len(), 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::FORBIDDEN),
        "{statuses:?}"
    );
    // In a serial order the losers presented the old password: wrong, as counted.
    let handset = app.handset(TARO, P501I).await;
    assert_eq!(
        handset.change_pin(winners[0], "0000", "0000").await.status,
        StatusCode::OK
    );
    let audit = app.audit(TARO).await;
    assert_eq!(audit.iter().filter(|(_, o)| o == "wrong_pin").count(), 2);
}

#[tokio::test]
async fn subscribe_and_unsubscribe_racing_leave_a_serial_outcome() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    handset.site_action("subscribe", "melody", "0000").await;
    // Unsubscribe and re-subscribe, five of each, all at once.
    let mut posts = Vec::new();
    for i in 0..10 {
        let op = if i % 2 == 0 {
            "unsubscribe"
        } else {
            "subscribe"
        };
        let h = app.handset(TARO, P501I).await;
        let path = format!("{}/melody", h.action(op));
        let token = h.get(&path).await.form_token();
        posts.push((path, format!("pin=0000&ft={token}")));
    }
    let statuses = all_at_once(&app, posts).await;
    let ok_unsub = statuses
        .iter()
        .step_by(2)
        .filter(|s| **s == StatusCode::OK)
        .count();
    let ok_sub = statuses
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|s| **s == StatusCode::OK)
        .count();
    let bill = app.api(&format!("/api/lines/{TARO}/billing")).await.json();
    let active = bill["subscriptions"].as_array().unwrap().len();
    // Starting subscribed, each acknowledged unsubscribe and subscribe alternated.
    assert!(ok_unsub == ok_sub || ok_unsub == ok_sub + 1, "{statuses:?}");
    assert_eq!(active, 1 - (ok_unsub - ok_sub), "{statuses:?}");
    assert_eq!(
        bill["ledger"].as_array().unwrap().len(),
        1 + ok_sub,
        "one charge per acknowledged subscribe"
    );
}
