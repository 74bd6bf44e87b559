//! Worlds: many simulated carriers on one server. Each kind of state is
//! proven apart (a lockout, a setting, a mail, the outbox, the audit log,
//! the clock, a reset, a session id under another prefix), and so are the
//! tokens, every link of a world's pages, the cap, the sweep, a restart, a
//! failed copy and the private demos.

use std::collections::{BTreeSet, VecDeque};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use super::helpers::*;

async fn api_as(app: &TestApp, method: &str, path: &str, token: &str, body: &str) -> Resp {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.request(req).await
}

fn world_files(app: &TestApp) -> Vec<String> {
    let dir = app.dir.path().join("garake.db.worlds");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|f| f.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_world_is_made_listed_and_deleted_with_its_file() {
    let app = TestApp::new().await;
    let r = api_as(&app, "POST", "/api/worlds", TOKEN, r#"{"ttl_minutes": 30}"#).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let made = r.json();
    let id = made["id"].as_str().unwrap().to_string();
    let token = made["token"].as_str().unwrap().to_string();
    assert!(
        id.len() >= 20
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    assert!(token.len() >= 32);
    assert_eq!(made["url"], format!("http://{HOST}/w/{id}/"));
    assert_eq!(made["fixtures"], "demo");
    assert!(made["expires_at"].as_str().unwrap().ends_with('Z'));
    // Its file, readable by this user only.
    assert_eq!(world_files(&app), [format!("{id}.db")]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = app.dir.path().join(format!("garake.db.worlds/{id}.db"));
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let list = app.api("/api/worlds").await;
    assert_eq!(list.status, StatusCode::OK);
    let worlds = list.json()["worlds"].as_array().unwrap().clone();
    assert_eq!(worlds.len(), 1);
    assert_eq!(worlds[0]["id"], id.as_str());
    assert!(!list.text.contains(&token), "a token is never listed");

    // Its power-on page lists the demo lines.
    let page = app.get(&format!("/w/{id}/"), P501I).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("090-1234-0001") || page.text.contains("09012340001"),
        "{}",
        page.text
    );

    let gone = api_as(&app, "DELETE", &format!("/api/worlds/{id}"), TOKEN, "").await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    assert!(world_files(&app).is_empty(), "{:?}", world_files(&app));
    assert_eq!(
        app.api("/api/worlds").await.json()["worlds"],
        serde_json::json!([])
    );
    // Deleted: a 404 page for a handset, JSON for the API.
    let page = app.get(&format!("/w/{id}/"), P501I).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let api = api_as(&app, "GET", &format!("/w/{id}/api/lines"), TOKEN, "").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(
        api.json()["error"]
            .as_str()
            .unwrap()
            .contains("no such world"),
        "{}",
        api.text
    );
    let again = api_as(&app, "DELETE", &format!("/api/worlds/{id}"), TOKEN, "").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_requests_name_the_field_and_make_nothing() {
    let app = TestApp::new().await;
    for (body, field) in [
        (r#"{"fixtures": "full"}"#, "fixtures"),
        (r#"{"ttl_minutes": 0}"#, "ttl_minutes"),
        (r#"{"ttl_minutes": 1441}"#, "ttl_minutes"),
        (r#"{"clock": "yesterday"}"#, "clock"),
        (r#"{"clock": "10000-01-01T00:00:00Z"}"#, "clock"),
        (r#"{"colour": "red"}"#, "colour"),
        ("[1,2", "body"),
    ] {
        let r = api_as(&app, "POST", "/api/worlds", TOKEN, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert!(r.text.contains(field), "{body}: {}", r.text);
    }
    assert_eq!(app.state.worlds.len(), 0);
    assert!(world_files(&app).is_empty());
    // A world only takes its own worlds' routes: it cannot make one.
    let world = app.new_world("{}").await;
    let inner = api_as(&world, "POST", "/api/worlds", TOKEN, "{}").await;
    assert_eq!(inner.status, StatusCode::NOT_FOUND, "{}", inner.text);
    assert_eq!(app.state.worlds.len(), 1);
}

#[tokio::test]
async fn a_failed_copy_leaves_nothing_behind() {
    let app = TestApp::new().await;
    app.state
        .worlds
        .fail_next_copy
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let r = api_as(&app, "POST", "/api/worlds", TOKEN, "{}").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text);
    assert_eq!(app.state.worlds.len(), 0);
    assert!(world_files(&app).is_empty(), "{:?}", world_files(&app));
    let rows: i64 = app.sql(|c| c.query_row("SELECT count(*) FROM worlds", [], |r| r.get(0)));
    assert_eq!(rows, 0);
    // The next one is made whole.
    let ok = api_as(&app, "POST", "/api/worlds", TOKEN, "{}").await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
}

#[tokio::test]
async fn a_world_token_opens_its_world_only() {
    let app = TestApp::new().await;
    let a = app.new_world("{}").await;
    let b = app.new_world("{}").await;
    // Its own API and, with the server's token, every world's.
    assert_eq!(a.api("/api/lines").await.status, StatusCode::OK);
    assert_eq!(
        api_as(&a, "GET", "/api/lines", TOKEN, "").await.status,
        StatusCode::OK
    );
    // Another world's, the default world's, and making worlds: 401.
    for (on, path) in [
        (&b, "/api/lines"),
        (&app, "/api/lines"),
        (&app, "/api/worlds"),
    ] {
        let r = api_as(on, "GET", path, &a.token, "").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}: {}", r.text);
    }
    let make = api_as(&app, "POST", "/api/worlds", &a.token, "{}").await;
    assert_eq!(make.status, StatusCode::UNAUTHORIZED);
    // Each wrong guess is audited where it was made.
    assert_eq!(b.wrong_tokens(), 1);
    assert_eq!(app.wrong_tokens(), 3);
    assert_eq!(a.wrong_tokens(), 0);
    // It may delete its own world, not another.
    let id_a = a.prefix.trim_start_matches("/w/").to_string();
    let id_b = b.prefix.trim_start_matches("/w/").to_string();
    let other = api_as(&app, "DELETE", &format!("/api/worlds/{id_b}"), &a.token, "").await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    let own = api_as(&app, "DELETE", &format!("/api/worlds/{id_a}"), &a.token, "").await;
    assert_eq!(own.status, StatusCode::NO_CONTENT);
    assert!(app.state.worlds.get(&id_b).is_some());
}

#[tokio::test]
async fn a_world_s_console_logs_in_with_its_token_and_stays_in_it() {
    let app = TestApp::new().await;
    let a = app.new_world("{}").await;
    let login = a
        .post("/admin/login", PC, format!("token={}", a.token))
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.text);
    assert_eq!(login.location(), format!("{}/admin", a.prefix));
    let cookie = login.header("set-cookie").to_string();
    assert!(cookie.contains(&format!("Path={}/", a.prefix)), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    let console = |path: &str| {
        Request::get(path)
            .header(header::COOKIE, pair.clone())
            .body(Body::empty())
            .unwrap()
    };
    let page = a.request(console("/admin")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains(a.prefix.trim_start_matches("/w/")),
        "names its world"
    );
    // The same cookie is no login in the default world.
    let elsewhere = app.request(console("/admin")).await;
    assert_eq!(elsewhere.status, StatusCode::SEE_OTHER);
    // The server's token does not log into the default console as the world's does.
    let wrong = app
        .post("/admin/login", PC, format!("token={}", a.token))
        .await;
    assert_ne!(wrong.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_lockout_in_one_world_locks_nobody_elsewhere() {
    let app = TestApp::new().await;
    let a = app.new_world("{}").await;
    let b = app.new_world("{}").await;
    let handset = a.handset_lang(TARO, P501I, "en").await;
    for _ in 0..3 {
        handset.change_pin("1111", "2222", "2222").await;
    }
    assert!(a.line(TARO).await["pin_locked"].as_bool().unwrap());
    assert!(!b.line(TARO).await["pin_locked"].as_bool().unwrap());
    assert!(!app.line(TARO).await["pin_locked"].as_bool().unwrap());
    // In the other worlds, Taro's password works.
    for other in [&app, &b] {
        let h = other.handset_lang(TARO, P501I, "en").await;
        let done = h.change_pin("0000", "4321", "4321").await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    }
    // And the audit logs are apart.
    assert_eq!(a.audit(TARO).await.len(), 3);
    assert_eq!(b.audit(TARO).await.len(), 1);
    assert_eq!(app.audit(TARO).await.len(), 1);
}

#[tokio::test]
async fn mail_outbox_clock_and_reset_stay_in_their_world() {
    let app = TestApp::new().await;
    let a = app.new_world("{}").await;
    // A mail between lines, and one to the Internet (the outbox), in A.
    let r = send_mail(
        &a,
        "taro-demo@docomo.ne.jp",
        "09012340002.7777@docomo.ne.jp",
        "hi",
        "in A",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let out = send_mail(
        &a,
        "taro-demo@docomo.ne.jp",
        "friend@example.com",
        "out",
        "in A",
    )
    .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text);
    assert_eq!(inbox(&a).await.as_array().unwrap().len(), 1);
    assert_eq!(inbox(&app).await.as_array().unwrap().len(), 0);
    assert_eq!(
        a.api("/api/outbox").await.json().as_array().unwrap().len(),
        1
    );
    assert_eq!(
        app.api("/api/outbox")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // The clock.
    let before = app.state.clock.now();
    let moved = api_as(
        &a,
        "POST",
        "/api/clock/advance",
        &a.token,
        r#"{"seconds": 86400}"#,
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert!(a.state.clock.now() >= before + 86_400);
    assert!(app.state.clock.now() < before + 60);

    // A reset in A ends A's sessions only (two QA suites at once).
    let h_default = app.handset(TARO, P501I).await;
    let h_a = a.handset(TARO, P501I).await;
    let reset = api_as(&a, "POST", "/api/reset", &a.token, "").await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);
    assert_eq!(h_default.node("imenu").await.status, StatusCode::OK);
    assert_eq!(h_a.node("imenu").await.status, StatusCode::SEE_OTHER);
    assert_eq!(inbox(&a).await.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_session_id_under_another_world_s_prefix_is_unknown() {
    let app = TestApp::new().await;
    let a = app.new_world("{}").await;
    let b = app.new_world("{}").await;
    let h = a.handset(TARO, P501I).await;
    assert_eq!(h.node("imenu").await.status, StatusCode::OK);
    for other in [&b, &app] {
        let r = other.get(&format!("/s/{}/m/imenu", h.sid), P501I).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert_eq!(r.location(), format!("{}/?expired=1", other.prefix));
    }
    // And a setting made in A shows in A only.
    let (before_b, before_default) = (b.pin_hash(TARO), app.pin_hash(TARO));
    let done = h.change_pin("0000", "4321", "4321").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_ne!(a.pin_hash(TARO), before_b);
    assert_eq!(b.pin_hash(TARO), before_b);
    assert_eq!(app.pin_hash(TARO), before_default);
}

/// Every link, form and redirect of a world's pages, handset and PC,
/// crawled from its power-on page, the console and the emulator.
#[tokio::test]
async fn every_link_of_a_world_s_pages_stays_in_it() {
    let app = TestApp::new().await;
    let a = app.new_world("{}").await;
    let prefix = a.prefix.clone();
    for ua in [P501I, PC] {
        let mut queue: VecDeque<String> = [
            format!("{prefix}/"),
            format!("{prefix}/?lang=en"),
            format!("{prefix}/emulator"),
            format!("{prefix}/mydocomo"),
            format!("{prefix}/shop"),
            format!("{prefix}/partners"),
            format!("{prefix}/admin/login"),
        ]
        .into();
        let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
        let mut pages = 0;
        while let Some(path) = queue.pop_front() {
            if pages > 150 {
                break;
            }
            pages += 1;
            let r = a.get(&path, ua).await;
            let location = r.header("location").to_string();
            if !location.is_empty() {
                assert!(
                    location.starts_with(&format!("http://{HOST}{prefix}/")),
                    "{path} redirects out of its world: {location}"
                );
                let next = path_of(&location);
                if seen.insert(next.clone()) {
                    queue.push_back(next);
                }
                continue;
            }
            for attr in ["href=\"", "action=\"", "src=\""] {
                for value in r.text.split(attr).skip(1) {
                    let value = value.split('"').next().unwrap().replace("&amp;", "&");
                    if !value.starts_with('/') || value.starts_with("//") {
                        continue;
                    }
                    assert!(
                        value.starts_with(&format!("{prefix}/")),
                        "{path} ({ua}) leads out of its world: {attr}{value}"
                    );
                    let follow = attr == "href=\""
                        && !value.contains("/logout")
                        && !value.contains("/raw")
                        && !value.contains("/assets/");
                    if follow && seen.insert(value.clone()) {
                        queue.push_back(value);
                    }
                }
            }
        }
        assert!(pages > 20, "crawled only {pages} pages as {ua}");
    }
}

#[tokio::test]
async fn at_the_cap_a_new_world_is_refused_and_none_is_deleted() {
    let app = TestApp::with(|c| c.limits.max_worlds = 2).await;
    let a = app.new_world("{}").await;
    let _b = app.new_world("{}").await;
    let r = api_as(&app, "POST", "/api/worlds", TOKEN, "{}").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(r.text.contains("--max-worlds"), "{}", r.text);
    assert!(!r.header("retry-after").is_empty());
    assert_eq!(app.state.worlds.len(), 2);
    assert_eq!(a.api("/api/lines").await.status, StatusCode::OK);
    // The demo form at the cap: a page, not a world, and the visitor's hour
    // is not counted.
    let throttle_rows =
        || app.sql(|c| c.query_row("SELECT count(*) FROM throttle", [], |r| r.get::<_, i64>(0)));
    let before = throttle_rows();
    let demo = app.post("/demo", PC, "").await;
    assert_eq!(
        demo.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        demo.text
    );
    assert!(demo.header("content-type").starts_with("text/html"));
    assert_eq!(app.state.worlds.len(), 2);
    assert_eq!(throttle_rows(), before);
}

#[tokio::test]
async fn the_sweep_deletes_a_world_after_its_time_and_closes_an_idle_one() {
    let app = TestApp::new().await;
    let made = api_as(&app, "POST", "/api/worlds", TOKEN, r#"{"ttl_minutes": 1}"#).await;
    let id = made.json()["id"].as_str().unwrap().to_string();
    let long = api_as(&app, "POST", "/api/worlds", TOKEN, r#"{"ttl_minutes": 60}"#).await;
    let long_id = long.json()["id"].as_str().unwrap().to_string();
    // Used: opened.
    assert_eq!(
        app.get(&format!("/w/{long_id}/"), P501I).await.status,
        StatusCode::OK
    );
    assert!(app.state.worlds.is_open(&long_id));
    let now = garake::clock::real_now();
    // Not yet.
    let report = app.state.server().sweep_worlds_at(now + 30).await.unwrap();
    assert_eq!(report.deleted, 0);
    assert!(app.state.worlds.get(&id).is_some());
    // Past its minute: deleted with its file; the other closed, kept.
    let report = app.state.server().sweep_worlds_at(now + 90).await.unwrap();
    assert_eq!((report.deleted, report.closed), (1, 1));
    assert!(app.state.worlds.get(&id).is_none());
    assert!(!app.state.worlds.is_open(&long_id));
    assert_eq!(world_files(&app), [format!("{long_id}.db")]);
    // A closed world opens again on its next request, as it was.
    assert_eq!(
        app.get(&format!("/w/{long_id}/"), P501I).await.status,
        StatusCode::OK
    );
    assert!(app.state.worlds.is_open(&long_id));
}

#[tokio::test]
async fn a_world_in_use_is_never_swept() {
    let app = TestApp::new().await;
    let made = api_as(&app, "POST", "/api/worlds", TOKEN, r#"{"ttl_minutes": 1}"#).await;
    let id = made.json()["id"].as_str().unwrap().to_string();
    let token = made.json()["token"].as_str().unwrap().to_string();
    // A request holding the world (as an event stream would).
    let held = app.world(&id, &token).await;
    let report = app
        .state
        .server()
        .sweep_worlds_at(garake::clock::real_now() + 3600)
        .await
        .unwrap();
    assert_eq!(report.deleted, 0);
    assert_eq!(held.api("/api/lines").await.status, StatusCode::OK);
}

#[tokio::test]
async fn worlds_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("garake.db");
    let config = || {
        let mut c = garake::Config::for_db(db.to_str().unwrap());
        c.admin_token = Some(TOKEN.into());
        c
    };
    let (id, token) = {
        let c = config();
        let state = tokio::task::spawn_blocking(move || garake::build(&c).unwrap())
            .await
            .unwrap();
        let app = garake::app(state.clone());
        let req = Request::post("/api/worlds")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::from("{}"))
            .unwrap();
        let made = respond(app.clone(), req).await.json();
        let (id, token) = (
            made["id"].as_str().unwrap().to_string(),
            made["token"].as_str().unwrap().to_string(),
        );
        let req = Request::post(format!("/w/{id}/api/clock/advance"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"seconds": 3600}"#))
            .unwrap();
        assert_eq!(respond(app.clone(), req).await.status, StatusCode::OK);
        // Lines made in the world.
        let req = Request::post(format!("/w/{id}/api/lines"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                r#"{"msisdn": "09099990001", "name": "Kept", "network_pin": "4444"}"#,
            ))
            .unwrap();
        let line = respond(app.clone(), req).await;
        assert_eq!(line.status, StatusCode::CREATED, "{}", line.text);
        state
            .server()
            .sweep_worlds_at(garake::clock::real_now())
            .await
            .unwrap();
        (id, token)
    };
    let c = config();
    let state = tokio::task::spawn_blocking(move || garake::build(&c).unwrap())
        .await
        .unwrap();
    let app = garake::app(state.clone());
    assert!(state.worlds.get(&id).is_some());
    let req = Request::get(format!("/w/{id}/api/lines/09099990001"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let line = respond(app.clone(), req).await;
    assert_eq!(line.status, StatusCode::OK, "{}", line.text);
    let req = Request::get(format!("/w/{id}/api/clock"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let clock = respond(app, req).await.json();
    assert!(clock["offset_seconds"].as_i64().unwrap() >= 3600, "{clock}");
}

#[tokio::test]
async fn a_private_demo_shows_its_token_once_and_is_rate_limited() {
    let app = TestApp::with(|c| c.limits.public_worlds_per_hour = 2).await;
    let home = app.get("/?lang=en", PC).await;
    assert!(home.text.contains("Start a private demo"));
    assert!(home.text.contains("action=\"/demo\""));
    let r = app.post("/demo", PC, "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.location();
    assert!(to.starts_with("/w/") && to.ends_with('/'), "{to}");
    let id = to
        .trim_start_matches("/w/")
        .trim_end_matches('/')
        .to_string();
    let first = app.get(&format!("{to}?lang=en"), PC).await;
    assert!(
        first.text.contains("shown this once only"),
        "{}",
        first.text
    );
    assert!(first.text.contains(&id));
    assert!(
        !first.text.contains("Start a private demo"),
        "no demo inside a demo"
    );
    let token = first
        .text
        .split("code class=\"token\">")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .unwrap()
        .to_string();
    let second = app.get(&format!("{to}?lang=en"), PC).await;
    assert!(!second.text.contains(&token), "the token is shown once");
    // The token opens the demo's API.
    let lines = api_as(&app, "GET", &format!("{to}api/lines"), &token, "").await;
    assert_eq!(lines.status, StatusCode::OK);
    // Two an hour from one address: the third is a 429 page.
    assert_eq!(
        app.post("/demo", PC, "").await.status,
        StatusCode::SEE_OTHER
    );
    let third = app.post("/demo", PC, "").await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!third.header("retry-after").is_empty());
    assert_eq!(app.state.worlds.len(), 2);
}

#[tokio::test]
async fn private_demos_can_be_turned_off() {
    let app = TestApp::with(|c| c.public_worlds = garake::config::Switch::Off).await;
    let home = app.get("/?lang=en", PC).await;
    assert!(!home.text.contains("Start a private demo"));
    assert_eq!(
        app.post("/demo", PC, "").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.state.worlds.len(), 0);
}

#[tokio::test]
async fn menu_pages_inside_a_world_keep_the_handset_s_budget() {
    let app = TestApp::new().await;
    let a = app.new_world("{}").await;
    let h = a.handset(TARO, P501I).await;
    let root = h.node("imenu").await;
    assert_eq!(root.status, StatusCode::OK);
    h.check_size(&root);
    for (href, _) in links(&root.text) {
        if href.contains("/m/") {
            let page = h.get(&href).await;
            assert_eq!(page.status, StatusCode::OK, "{href}");
            h.check_size(&page);
        }
    }
    // The cached copy is the same answer, every header too but the clock's
    // and the length.
    let again = h.node("imenu").await;
    assert_eq!(again.bytes, root.bytes);
    assert_eq!(
        again.headers_but_clock_and_length(),
        root.headers_but_clock_and_length()
    );
}

async fn inbox(app: &TestApp) -> serde_json::Value {
    app.api(&format!("/api/lines/{HANAKO}/mail")).await.json()
}

#[tokio::test]
async fn with_an_in_memory_database_worlds_are_in_memory_too() {
    let app = TestApp::with(|c| c.db = ":memory:".into()).await;
    let a = app.new_world("{}").await;
    let b = app.new_world(r#"{"fixtures": "empty"}"#).await;
    assert_eq!(a.line(TARO).await["msisdn"], TARO);
    let none = b.api(&format!("/api/lines/{TARO}")).await;
    assert_eq!(
        none.status,
        StatusCode::NOT_FOUND,
        "an empty world has no lines"
    );
    let h = a.handset(TARO, P501I).await;
    assert_eq!(
        h.change_pin("0000", "4321", "4321").await.status,
        StatusCode::OK
    );
    assert_eq!(a.audit(TARO).await.len(), 1);
    assert_eq!(app.audit(TARO).await.len(), 0);
    // No files anywhere.
    assert!(world_files(&app).is_empty());
    // An in-memory world is never closed (it is the only copy), only deleted.
    let id = a.prefix.trim_start_matches("/w/").to_string();
    drop(a);
    let report = app
        .state
        .server()
        .sweep_worlds_at(garake::clock::real_now() + 600)
        .await
        .unwrap();
    assert_eq!(report.closed, 0);
    assert!(app.state.worlds.is_open(&id));
}
