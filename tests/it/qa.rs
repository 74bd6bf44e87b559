//! The QA tooling of the API: outbox search, delete and Message-IDs; waiting
//! for a mail instead of polling; the event stream.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::helpers::*;

fn api_req(method: Method, path: &str, body: Option<serde_json::Value>) -> Request<Body> {
    let b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    match body {
        Some(json) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

async fn send_out(app: &TestApp, to: &str, subject: &str, body: &str) {
    let sent = send_mail(app, "taro-demo@docomo.ne.jp", to, subject, body).await;
    assert_eq!(sent.json()["status"], "outbox", "{}", sent.text);
}

#[tokio::test]
async fn the_outbox_is_searched_by_substrings_in_any_case_and_messages_are_deleted_one_by_one() {
    let app = TestApp::new().await;
    send_out(&app, "Member@Example.com", "Reset your password", "a").await;
    send_out(&app, "friend@example.org", "Dinner", "b").await;
    send_out(&app, "boss@work.example.com", "Report", "c").await;
    let found = app.api("/api/outbox?to=example.com").await;
    assert_eq!(found.header("x-total-count"), "2", "{}", found.text);
    let found = found.json();
    let tos: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["to"].as_str().unwrap())
        .collect();
    assert_eq!(tos, ["boss@work.example.com", "Member@Example.com"]);
    assert_eq!(
        app.api("/api/outbox?subject=PASSWORD").await.json()[0]["subject"],
        "Reset your password"
    );
    assert_eq!(
        app.api("/api/outbox?from=TARO&to=.org")
            .await
            .header("x-total-count"),
        "1"
    );
    // A literal % is a character, not a wildcard.
    assert_eq!(
        app.api("/api/outbox?to=%25").await.header("x-total-count"),
        "0"
    );
    let relay = &found[0]["relay"];
    assert_eq!(relay["state"], "off", "no relay configured: {relay}");
    assert_eq!(relay["attempts"], 0);
    assert!(relay["last_error"].is_null());

    let id = found[0]["id"].as_i64().unwrap();
    let gone = app
        .request(api_req(Method::DELETE, &format!("/api/outbox/{id}"), None))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.api(&format!("/api/outbox/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.api("/api/outbox").await.header("x-total-count"), "2");
    let again = app
        .request(api_req(Method::DELETE, &format!("/api/outbox/{id}"), None))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again.json()["error"]
        .as_str()
        .unwrap()
        .contains("no outbox message"));
    let bad = app
        .request(api_req(Method::DELETE, "/api/outbox/abc", None))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // Without a relay, "send again" says why and changes nothing.
    let other = app.api("/api/outbox").await.json()[0]["id"]
        .as_i64()
        .unwrap();
    let before = app.api("/api/outbox").await.text;
    let resend = app
        .request(api_req(
            Method::POST,
            &format!("/api/outbox/{other}/relay"),
            None,
        ))
        .await;
    assert_eq!(resend.status, StatusCode::CONFLICT, "{}", resend.text);
    assert!(resend.json()["error"]
        .as_str()
        .unwrap()
        .contains("--smtp-relay"));
    assert_eq!(app.api("/api/outbox").await.text, before);
}

#[tokio::test]
async fn message_ids_are_never_reused_after_a_reset_or_in_another_database() {
    let app = TestApp::new().await;
    let other = TestApp::new().await;
    let mut ids = std::collections::HashSet::new();
    for round in 0..3 {
        send_out(&app, "member@example.com", "x", "y").await;
        send_out(&other, "member@example.com", "x", "y").await;
        for a in [&app, &other] {
            let id = a.api("/api/outbox").await.json()[0]["message_id"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(
                id.ends_with("@garake.invalid") && !id.starts_with("outbox-"),
                "{id}"
            );
            assert!(ids.insert(id.clone()), "round {round}: {id} seen before");
        }
        let reset = app.request(api_req(Method::POST, "/api/reset", None)).await;
        assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);
    }
    let m = &app.api("/api/outbox").await.json();
    assert_eq!(
        m.as_array().unwrap().len(),
        0,
        "the reset emptied the outbox"
    );
}

/// Starts a wait request now; answers it when it resolves.
fn start(app: &TestApp, path: &str) -> tokio::task::JoinHandle<(Resp, Duration)> {
    let router = app.router();
    let req = api_req(Method::GET, path, None);
    tokio::spawn(async move {
        let started = Instant::now();
        let r = respond(router, req).await;
        (r, started.elapsed())
    })
}

#[tokio::test]
async fn an_outbox_wait_answers_as_soon_as_a_matching_mail_is_sent_with_its_links_and_codes() {
    let app = TestApp::new().await;
    send_out(&app, "old@example.com", "old", "old").await;
    let last = app.api("/api/outbox").await.json()[0]["id"]
        .as_i64()
        .unwrap();
    let waiting = start(
        &app,
        &format!("/api/outbox/wait?to=member%40example.com&after={last}&timeout=20"),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "nothing matches yet");
    // Another recipient does not end the wait.
    send_out(&app, "someone@else.example", "no", "no").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished());
    let sent_at = Instant::now();
    send_out(
        &app,
        "member@example.com",
        "Your code",
        "Code 482913. Open http://127.0.0.1:8080/p/plus-member/reset?t=abc123 to reset.\nInitialized password: Xy7-pq2R",
    )
    .await;
    let (r, _) = waiting.await.unwrap();
    assert!(
        sent_at.elapsed() < Duration::from_secs(5),
        "answered when the mail came"
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let m = r.json();
    assert_eq!(m["to"], "member@example.com");
    assert!(m["id"].as_i64().unwrap() > last);
    assert_eq!(
        m["links"],
        serde_json::json!(["http://127.0.0.1:8080/p/plus-member/reset?t=abc123"])
    );
    assert_eq!(m["codes"], serde_json::json!(["482913", "Xy7-pq2R"]));
    assert_eq!(m["relay"]["state"], "off", "the message's usual fields too");
    // A message already there answers at once.
    let (now, took) = start(&app, &format!("/api/outbox/wait?to=member&after={last}"))
        .await
        .unwrap();
    assert_eq!(now.status, StatusCode::OK);
    assert!(took < Duration::from_secs(2));
}

#[tokio::test]
async fn a_wait_that_finds_nothing_answers_408_json_and_bad_timeouts_400() {
    let app = TestApp::new().await;
    let (r, took) = start(&app, "/api/outbox/wait?to=nobody%40example.com&timeout=1")
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT, "{}", r.text);
    assert!(r.json()["error"].as_str().unwrap().contains("within 1 s"));
    assert!(took >= Duration::from_millis(900), "{took:?}");
    assert!(
        r.header("connection") != "close",
        "the connection stays usable"
    );
    for bad in ["timeout=0", "timeout=61", "timeout=abc", "after=-1"] {
        let r = app.api(&format!("/api/outbox/wait?{bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
    }
    let r = app.api("/api/lines/09099999999/mail/wait?timeout=1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_line_mail_wait_answers_when_the_mail_arrives() {
    let app = TestApp::new().await;
    let waiting = start(&app, &format!("/api/lines/{TARO}/mail/wait?timeout=20"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished());
    let sent = send_mail(
        &app,
        "shop@example.com",
        "taro-demo@docomo.ne.jp",
        "暗証番号",
        "確認コード 7391 です",
    )
    .await;
    assert_eq!(sent.json()["status"], "delivered");
    let (r, _) = waiting.await.unwrap();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let m = r.json();
    assert_eq!(m["subject"], "暗証番号");
    assert_eq!(m["codes"], serde_json::json!(["7391"]));
    assert_eq!(m["links"], serde_json::json!([]));
    let id = m["id"].as_i64().unwrap();
    // Only newer mail matches `after`.
    let (r, _) = start(
        &app,
        &format!("/api/lines/{TARO}/mail/wait?after={id}&timeout=1"),
    )
    .await
    .unwrap();
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT);
}

#[tokio::test]
async fn the_number_of_open_waits_is_bounded() {
    let app = TestApp::with(|c| c.limits.max_waits = 1).await;
    let first = start(&app, "/api/outbox/wait?to=x%40example.com&timeout=5");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = app
        .api("/api/outbox/wait?to=x%40example.com&timeout=5")
        .await;
    assert_eq!(
        second.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        second.text
    );
    assert!(second.json()["error"]
        .as_str()
        .unwrap()
        .contains("--max-waits"));
    send_out(&app, "x@example.com", "s", "b").await;
    assert_eq!(first.await.unwrap().0.status, StatusCode::OK);
    // The slot is free again.
    assert_eq!(
        app.api("/api/outbox/wait?to=x%40example.com&timeout=1")
            .await
            .status,
        StatusCode::OK
    );
}

/// Reads SSE frames from a streaming body until `want` appears or `limit` passes.
async fn read_until(body: &mut Body, want: &str, limit: Duration) -> Option<String> {
    let deadline = Instant::now() + limit;
    let mut seen = String::new();
    while Instant::now() < deadline {
        let left = deadline - Instant::now();
        match tokio::time::timeout(left, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    seen.push_str(&String::from_utf8_lossy(data));
                    if seen.contains(want) {
                        return Some(seen);
                    }
                }
            }
            _ => break,
        }
    }
    None
}

/// `GET /api/events`, its body left open to read from.
async fn open_events(app: &TestApp) -> axum::response::Response {
    app.router()
        .oneshot(api_req(Method::GET, "/api/events", None))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_event_stream_carries_audit_delivery_and_outbox_events_as_they_happen() {
    let app = TestApp::new().await;
    let response = open_events(&app).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    // An audited action: a wrong password on the handset.
    let handset = app.handset(TARO, P501I).await;
    let acted = Instant::now();
    handset.change_pin("9999", "1234", "1234").await;
    let got = read_until(&mut body, "\n\n", Duration::from_secs(1))
        .await
        .expect("an event within a second of the action");
    assert!(acted.elapsed() < Duration::from_secs(1));
    assert!(got.contains("event: audit\n"), "{got}");
    let data = got.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let entry: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(entry["action"], "change_imode_password");
    assert_eq!(entry["outcome"], "wrong_pin");
    assert_eq!(entry["line"], TARO);
    // A mail to a line and one leaving the carrier.
    send_mail(&app, "a@example.com", "taro-demo@docomo.ne.jp", "in", "x").await;
    send_out(&app, "member@example.com", "out", "y").await;
    let got = read_until(&mut body, "event: outbox", Duration::from_secs(2))
        .await
        .expect("outbox event");
    assert!(got.contains("event: delivery\n"), "{got}");
    let outbox = got
        .split("\n\n")
        .find(|e| e.contains("event: outbox"))
        .and_then(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
        .unwrap();
    let m: serde_json::Value = serde_json::from_str(outbox).unwrap();
    assert_eq!(m["to"], "member@example.com");
    assert_eq!(m["relay"]["state"], "off");
}

#[tokio::test]
async fn a_refused_change_sends_no_event() {
    let app = TestApp::new().await;
    let response = open_events(&app).await;
    let mut body = response.into_body();
    // A mail refused for its size writes nothing: no event.
    let big = "x".repeat(12_000);
    let refused = send_mail(&app, "a@example.com", "taro-demo@docomo.ne.jp", "big", &big).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(read_until(&mut body, "event:", Duration::from_millis(500))
        .await
        .is_none());
    // Streams are bounded too.
    let capped = TestApp::with(|c| c.limits.max_event_streams = 1).await;
    let _open = open_events(&capped).await;
    let second = capped
        .request(api_req(Method::GET, "/api/events", None))
        .await;
    assert_eq!(second.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(second.json()["error"]
        .as_str()
        .unwrap()
        .contains("--max-event-streams"));
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_count_requests_and_limit_hits() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    handset.node("imenu").await;
    app.api("/api/lines").await;
    // A limit bites: an over-long body is refused before it is read.
    let big = Request::post("/api/mail")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "100000")
        .body(Body::from(vec![b' '; 100_000]))
        .unwrap();
    assert_eq!(app.request(big).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    let anonymous = app
        .request(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "the admin token is needed"
    );
    assert!(anonymous.json()["error"].is_string());
    let r = app.api("/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .header("content-type")
        .starts_with("text/plain; version=0.0.4"));
    let lines = r.text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
    let value = |name: &str, label: Option<(&str, &str)>| -> f64 {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
            .unwrap_or_else(|| panic!("no {name} {label:?} in:\n{}", r.text))
    };
    let handset_ok = scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == "garake_requests_total"
                && s.labels.get("kind") == Some("handset")
                && s.labels.get("status") == Some("200")
        })
        .expect("handset 200s counted");
    assert!(matches!(handset_ok.value, prometheus_parse::Value::Counter(n) if n >= 1.0));
    assert!(value("garake_requests_total", Some(("status", "413"))) >= 1.0);
    assert_eq!(
        value("garake_limit_hits_total", Some(("limit", "body_too_large"))),
        1.0
    );
    assert_eq!(
        value("garake_limit_hits_total", Some(("limit", "rate_limited"))),
        0.0
    );
    assert_eq!(value("garake_sessions", None), 1.0);
    assert_eq!(value("garake_outbox_messages", None), 0.0);
    assert!(value("garake_argon2_busy_total", None) >= 0.0);
    let histogram = scrape
        .samples
        .iter()
        .find(|s| s.metric == "garake_request_duration_seconds")
        .expect("the latency histogram");
    match &histogram.value {
        prometheus_parse::Value::Histogram(buckets) => {
            let inf = buckets.iter().find(|b| b.less_than.is_infinite()).unwrap();
            assert!(inf.count >= 4.0, "{buckets:?}");
        }
        other => panic!("not a histogram: {other:?}"),
    }
}

/// Moves the clock ten years at a time until the next ten would pass 9999.
fn near_the_end_of_9999(app: &TestApp) {
    use garake::clock::{LATEST, MAX_STEP};
    while app.state.clock.now() < LATEST - MAX_STEP {
        app.state.clock.advance(MAX_STEP).unwrap();
    }
}

#[tokio::test]
async fn the_clock_cannot_pass_the_end_of_9999_and_a_refused_move_changes_nothing() {
    use garake::clock::{LATEST, MAX_STEP};
    let app = TestApp::new().await;
    let advance = |seconds: serde_json::Value| {
        api_req(
            Method::POST,
            "/api/clock/advance",
            Some(serde_json::json!({ "seconds": seconds })),
        )
    };
    let before = app.snapshot_all_but(&[]);
    // Not a step forward of at most ten years.
    for seconds in [0, -1, i64::MIN, MAX_STEP + 1, i64::MAX] {
        let r = app.request(advance(seconds.into())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{seconds}");
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .contains("must be from 1 to 316224000"),
            "{}",
            r.text
        );
    }
    let overflowing = Request::post("/api/clock/advance")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"seconds":99999999999999999999999}"#))
        .unwrap();
    let r = app.request(overflowing).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].is_string());
    assert_eq!(app.state.clock.offset(), 0, "the clock did not move");
    assert_eq!(app.snapshot_all_but(&[]), before);
    // Past the last second of 9999: refused, naming the limit.
    near_the_end_of_9999(&app);
    let clock = app.api("/api/clock").await.json();
    let r = app.request(advance(MAX_STEP.into())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let error = r.json()["error"].as_str().unwrap().to_string();
    assert!(
        error.contains("cannot pass 9999-12-31T23:59:59Z"),
        "{error}"
    );
    assert_eq!(
        app.api("/api/clock").await.json()["offset_seconds"],
        clock["offset_seconds"],
        "the clock did not move"
    );
    // Up to the last minutes of 9999 it moves, and what garake writes there
    // is valid RFC 3339 and RFC 5322.
    let room = LATEST - app.state.clock.now();
    let r = app.request(advance((room - 120).into())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json()["now"]
        .as_str()
        .unwrap()
        .starts_with("9999-12-31T23:5"));
    send_out(&app, "member@example.com", "the end of time", "x").await;
    let sent = &app.api("/api/outbox?subject=end").await.json()[0];
    let at = chrono::DateTime::parse_from_rfc3339(sent["at"].as_str().unwrap()).unwrap();
    assert!(at.timestamp() <= LATEST);
    let raw = app
        .api(&format!("/api/outbox/{}/raw", sent["id"]))
        .await
        .text;
    let date = raw
        .lines()
        .find_map(|l| l.strip_prefix("Date: "))
        .expect("a Date header");
    assert_eq!(
        chrono::DateTime::parse_from_rfc2822(date).unwrap(),
        at,
        "{raw}"
    );
    let wrong = Request::get("/api/lines")
        .header(header::AUTHORIZATION, "Bearer not-the-admin-token")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.request(wrong).await.status, StatusCode::UNAUTHORIZED);
    let audit = app.api("/api/audit?action=admin_login").await.json();
    assert!(chrono::DateTime::parse_from_rfc3339(audit[0]["at"].as_str().unwrap()).is_ok());
}
