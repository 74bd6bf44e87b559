//! `TestApp`: the real application (cached-page front and router) over a temporary database, driven in-process,
//! with one method per page or endpoint.

use std::path::Path;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use garake::{AppState, Config};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const TOKEN: &str = "test-admin-token";
/// The Host every in-process request names (as a browser would).
pub const HOST: &str = "garake.test";
pub const P501I: &str = "DoCoMo/1.0/P501i";
pub const PC: &str = "Mozilla/5.0 (X11; Linux x86_64)";
pub const TARO: &str = "09012340001";
pub const HANAKO: &str = "09012340002";
pub const ICHIRO: &str = "09012340003";

pub struct TestApp {
    pub state: AppState,
    router: garake::web::front::App,
    pub dir: std::sync::Arc<tempfile::TempDir>,
    /// `""`, or a world's `/w/{id}`: every path this app asks for starts
    /// with it (a path already under `/w/` is sent as it is).
    pub prefix: String,
    /// The admin token `api` and the API helpers send.
    pub token: String,
}

/// A response with its body decoded in the charset its Content-Type names.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub bytes: Vec<u8>,
    pub text: String,
}

impl Resp {
    /// Every header in order but `Date` and `Content-Length` (which the
    /// server writes on the wire from the clock and the body): what two
    /// answers of the same page must share.
    pub fn headers_but_clock_and_length(&self) -> Vec<(String, Vec<u8>)> {
        self.headers
            .iter()
            .filter(|(k, _)| *k != header::DATE && *k != header::CONTENT_LENGTH)
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The href of the link whose text contains `label`.
    pub fn link(&self, label: &str) -> String {
        links(&self.text)
            .into_iter()
            .find(|(_, text)| text.contains(label))
            .map(|(href, _)| href)
            .unwrap_or_else(|| panic!("no link labelled {label:?} in:\n{}", self.text))
    }

    /// Where a redirect points: garake answers every redirect with an
    /// absolute `Location` on the request's host; this is its path.
    pub fn location(&self) -> String {
        let location = self.header("location");
        assert!(
            location.starts_with(&format!("http://{HOST}/")),
            "not an absolute Location on {HOST}: {location:?}"
        );
        path_of(location)
    }

    /// The value of the hidden one-time form token.
    pub fn form_token(&self) -> String {
        let at = self
            .text
            .find("name=\"ft\" value=\"")
            .unwrap_or_else(|| panic!("no form token in:\n{}", self.text));
        let rest = &self.text[at + 17..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

/// The path (and query) of a URL: what garake's absolute redirects point at.
pub fn path_of(url: &str) -> String {
    match url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    {
        Some(rest) => rest
            .find('/')
            .map_or("/".to_string(), |i| rest[i..].to_string()),
        None => url.to_string(),
    }
}

/// Every `<a href="...">text</a>` of a page, in order.
pub fn links(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<a href=\"") {
        rest = &rest[at + 9..];
        let end = rest.find('"').unwrap();
        let href = rest[..end].replace("&amp;", "&");
        let open_end = rest.find('>').unwrap();
        let close = rest.find("</a>").unwrap();
        out.push((href, rest[open_end + 1..close].to_string()));
        rest = &rest[close..];
    }
    out
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with(|_| {}).await
    }

    /// A test app with a config changed by `tweak` (e.g. other menus).
    pub async fn with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_db(dir.path().join("garake.db").to_str().unwrap());
        config.admin_token = Some(TOKEN.into());
        tweak(&mut config);
        let state = tokio::task::spawn_blocking(move || garake::build(&config).unwrap())
            .await
            .unwrap();
        let router = garake::app(state.clone());
        TestApp {
            state,
            router,
            dir: std::sync::Arc::new(dir),
            prefix: String::new(),
            token: TOKEN.to_string(),
        }
    }

    /// Makes a world (`POST /api/worlds` with `body`) and returns this app
    /// as seen from inside it: its paths under the world's prefix, its API
    /// calls with the world's own token, its state the world's.
    pub async fn new_world(&self, body: &str) -> TestApp {
        let req = Request::post("/api/worlds")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let r = self.request(req).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let made = r.json();
        self.world(
            made["id"].as_str().unwrap(),
            made["token"].as_str().unwrap(),
        )
        .await
    }

    /// This app inside the world `id`, using `token`.
    pub async fn world(&self, id: &str, token: &str) -> TestApp {
        let entry = self.state.worlds.get(id).expect("the world is listed");
        let world = self.state.server().open_world(&entry).await.unwrap();
        TestApp {
            state: AppState::of(world),
            router: self.router.clone(),
            dir: self.dir.clone(),
            prefix: format!("/w/{id}"),
            token: token.to_string(),
        }
    }

    /// The router, for tests that fire many requests at once.
    pub fn router(&self) -> garake::web::front::App {
        self.router.clone()
    }

    pub async fn request(&self, mut req: Request<Body>) -> Resp {
        let path = req.uri().to_string();
        if !self.prefix.is_empty() && path.starts_with('/') && !path.starts_with("/w/") {
            *req.uri_mut() = format!("{}{path}", self.prefix).parse().unwrap();
        }
        respond(self.router.clone(), req).await
    }

    pub async fn get(&self, path: &str, ua: &str) -> Resp {
        let req = Request::get(path)
            .header(header::USER_AGENT, ua)
            .body(Body::empty())
            .unwrap();
        self.request(req).await
    }

    pub async fn post(&self, path: &str, ua: &str, body: impl Into<Vec<u8>>) -> Resp {
        let req = Request::post(path)
            .header(header::USER_AGENT, ua)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.into()))
            .unwrap();
        self.request(req).await
    }

    pub async fn api(&self, path: &str) -> Resp {
        let req = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .body(Body::empty())
            .unwrap();
        self.request(req).await
    }

    /// `POST /api/mail` {from, to, subject, body}.
    pub async fn send_mail_req(&self, from: &str, to: &str, subject: &str, body: &str) -> Resp {
        let payload = serde_json::json!({"from": from, "to": to, "subject": subject, "body": body});
        let req = Request::post("/api/mail")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(payload.to_string()))
            .unwrap();
        self.request(req).await
    }

    /// Powers a handset on as `msisdn` and returns it on its iMenu.
    pub async fn handset(&self, msisdn: &str, ua: &str) -> Handset<'_> {
        self.handset_lang(msisdn, ua, "ja").await
    }

    pub async fn handset_lang(&self, msisdn: &str, ua: &str, lang: &str) -> Handset<'_> {
        let r = self.get(&format!("/on/{msisdn}?lang={lang}"), ua).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert!(
            r.headers.get(header::SET_COOKIE).is_none(),
            "sessions never use cookies"
        );
        let location = r.location();
        let sid = location
            .trim_start_matches(self.prefix.as_str())
            .trim_start_matches("/s/")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        Handset {
            app: self,
            ua: ua.to_string(),
            sid,
        }
    }

    pub async fn line(&self, msisdn: &str) -> serde_json::Value {
        let r = self.api(&format!("/api/lines/{msisdn}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json()
    }

    /// The audit log of a line, newest first, as (action, outcome) pairs.
    pub async fn audit(&self, msisdn: &str) -> Vec<(String, String)> {
        let r = self.api(&format!("/api/audit?line={msisdn}")).await;
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_string(),
                    e["outcome"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// Reads (or writes) the database directly, as a test may.
    pub fn sql<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>) -> T {
        self.state
            .db
            .with_conn(|c| Ok(f(c).map_err(garake::store::Error::from)?))
            .unwrap()
    }

    /// The stored i-mode password hash of a line, read directly.
    pub fn pin_hash(&self, msisdn: &str) -> String {
        let msisdn = msisdn.to_string();
        self.sql(move |c| {
            c.query_row(
                "SELECT pin_hash FROM lines WHERE msisdn = ?1",
                [msisdn],
                |r| r.get(0),
            )
        })
    }

    /// Every table's rows as text: to prove a refused request wrote nothing.
    pub fn snapshot(&self) -> String {
        self.tables(&[
            "lines",
            "rejection_list",
            "audit",
            "my_menu",
            "subscriptions",
            "billing_ledger",
        ])
    }

    /// How many wrong admin tokens the audit log holds.
    pub fn wrong_tokens(&self) -> i64 {
        self.sql(|c| {
                c.query_row(
                    "SELECT count(*) FROM audit WHERE action = 'admin_login' AND outcome = 'wrong_token'",
                    [],
                    |r| r.get(0),
                )
            })
    }

    /// Every row of every table but those in `skip`, as text: to prove a
    /// refused request wrote nothing anywhere (throttles, mail, partner
    /// members included).
    pub fn snapshot_all_but(&self, skip: &[&str]) -> String {
        let skip: Vec<String> = skip.iter().map(|t| t.to_string()).collect();
        let names: Vec<String> = self.sql(move |c| {
                let mut stmt = c.prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
                )?;
                let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
                Ok(names
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .filter(|n| !skip.contains(n))
                    .collect())
            });
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        self.tables(&names)
    }

    /// Moves the simulated clock to the start of the next minute, so that a
    /// test's refusals (summarised per minute) all fall in one.
    pub fn start_of_a_minute(&self) {
        let now = self.state.clock.now();
        self.state.clock.advance(60 - now.rem_euclid(60)).unwrap();
    }

    /// The audit log as the API lists it (newest first), every field.
    pub async fn audit_log(&self, query: &str) -> Vec<serde_json::Value> {
        let r = self.api(&format!("/api/audit?limit=10000&{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json().as_array().unwrap().clone()
    }

    fn tables(&self, tables: &[&str]) -> String {
        let tables: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
        self.sql(move |c| {
            let mut out = String::new();
            for table in &tables {
                let mut stmt = c.prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))?;
                let cols = stmt.column_count();
                let rows = stmt.query_map([], |r| {
                    let mut line = String::new();
                    for i in 0..cols {
                        let v: rusqlite::types::Value = r.get(i)?;
                        line.push_str(&format!("{v:?}|"));
                    }
                    Ok(line)
                })?;
                for row in rows {
                    out.push_str(&row?);
                    out.push('\n');
                }
            }
            Ok(out)
        })
    }
}

/// A powered-on handset holding a session.
pub struct Handset<'a> {
    pub app: &'a TestApp,
    pub ua: String,
    pub sid: String,
}

impl Handset<'_> {
    pub async fn get(&self, path: &str) -> Resp {
        self.app.get(path, &self.ua).await
    }

    pub async fn post(&self, path: &str, body: impl Into<Vec<u8>>) -> Resp {
        self.app.post(path, &self.ua, body).await
    }

    pub async fn node(&self, id: &str) -> Resp {
        self.get(&format!("/s/{}/m/{id}", self.sid)).await
    }

    pub fn action(&self, action: &str) -> String {
        format!("/s/{}/a/{action}", self.sid)
    }

    /// Opens the change-password form and submits it.
    pub async fn change_pin(&self, pin: &str, new_pin: &str, confirm: &str) -> Resp {
        let form = self.get(&self.action("change-imode-password")).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.text);
        let body = format!(
            "pin={}&new_pin={}&new_pin_confirm={}&ft={}",
            enc(pin),
            enc(new_pin),
            enc(confirm),
            form.form_token()
        );
        self.post(&self.action("change-imode-password"), body).await
    }

    /// A protected settings action through its pages: input page, confirmation
    /// (POST of `fields`), then the password. Returns (confirmation, result).
    pub async fn protect(&self, action: &str, fields: &str, pin: &str) -> (Resp, Resp) {
        let input = self.get(&self.action(action)).await;
        assert_eq!(input.status, StatusCode::OK, "{}", input.text);
        self.check_size(&input);
        let confirm = self
            .post(&format!("/s/{}/c/{action}", self.sid), fields.to_string())
            .await;
        self.check_size(&confirm);
        if confirm.status != StatusCode::OK {
            return (confirm, input);
        }
        let body = format!("{fields}&pin={}&ft={}", enc(pin), confirm.form_token());
        let result = self.post(&self.action(action), body).await;
        self.check_size(&result);
        (confirm, result)
    }

    /// A site action: its confirmation page, then the password.
    pub async fn site_action(&self, op: &str, site: &str, pin: &str) -> (Resp, Resp) {
        let path = format!("{}/{site}", self.action(op));
        let confirm = self.get(&path).await;
        self.check_size(&confirm);
        if confirm.status != StatusCode::OK {
            return (confirm.clone(), confirm);
        }
        let result = self
            .post(
                &path,
                format!("pin={}&ft={}", enc(pin), confirm.form_token()),
            )
            .await;
        self.check_size(&result);
        (confirm, result)
    }

    /// P501i pages must stay within DoCoMo's advised 2 KB.
    pub fn check_size(&self, page: &Resp) {
        if self.ua == P501I {
            assert!(
                page.bytes.len() <= 2048,
                "{} bytes:\n{}",
                page.bytes.len(),
                page.text
            );
        }
    }

    /// Opens the network-PIN reset form and submits it.
    pub async fn reset_pin(&self, network_pin: &str) -> Resp {
        let form = self.get(&self.action("reset-imode-password")).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.text);
        let body = format!("network_pin={}&ft={}", enc(network_pin), form.form_token());
        self.post(&self.action("reset-imode-password"), body).await
    }
}

/// `POST /api/mail` {from, to, subject, body}.
pub async fn send_mail(app: &TestApp, from: &str, to: &str, subject: &str, body: &str) -> Resp {
    app.send_mail_req(from, to, subject, body).await
}

/// Percent-encodes a value as a Shift_JIS handset would.
pub fn enc(value: &str) -> String {
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(value);
    bytes
        .iter()
        .map(|b| match b {
            b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'.' | b'_' => {
                (*b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Writes menu files into a fresh folder for tests that need their own tree.
pub fn menu_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

pub fn shipped_menus() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/menus"))
}

/// One request to any service of the application (the whole app, or the
/// router alone), its body decoded in the charset its Content-Type names.
/// Two answers to one request by two paths (the front and the router): the
/// same status, content type and bytes.
pub fn assert_same_answer(got: &Resp, want: &Resp, what: &str) {
    assert_eq!(got.status, want.status, "{what}");
    assert_eq!(
        got.header("content-type"),
        want.header("content-type"),
        "{what}"
    );
    assert_eq!(got.bytes, want.bytes, "{what}");
}

pub async fn respond<S>(service: S, req: Request<Body>) -> Resp
where
    S: tower::Service<
        Request<Body>,
        Response = axum::response::Response,
        Error = std::convert::Infallible,
    >,
{
    let mut req = req;
    if !req.headers().contains_key(header::HOST) {
        req.headers_mut()
            .insert(header::HOST, header::HeaderValue::from_static(HOST));
    }
    let response = service.oneshot(req).await.unwrap();

    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let text = if content_type.contains("Shift_JIS") {
        let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
        assert!(!had_errors, "page is not valid Shift_JIS");
        text.into_owned()
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Resp {
        status,
        headers,
        bytes,
        text,
    }
}
