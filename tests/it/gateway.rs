//! The gateway to content providers' own sites, against a real upstream on a
//! loopback port (issue 8): http and https upstreams.

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;

use crate::helpers::*;

/// `probe=` forms the provider has received (only `size_limits_hold_both_ways` sends them).
static HITS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A content provider: echoes what it received, links around, misbehaves on demand.
/// Served over http by `upstream` and over https by `secure_upstream`.
fn cp_app() -> Router {
    async fn echo(headers: HeaderMap, RawQuery(q): RawQuery) -> impl IntoResponse {
        let h = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_string()
        };
        let body = format!(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body>\
             天気予報<br>ua={}<br>guid={}<br>cookie={}<br>query={}<br>\
             <a href=\"http://{}/cp/next.html\">next</a><a href=\"/cp/form\">form</a><a href=\"rel.html\">rel</a><a href=\"/cp/echo?who=me\" utn>serial</a>\
             <form action=\"/cp/form\" method=\"post\" utn><input type=\"hidden\" name=\"a\" value=\"1\"></form></body></html>",
            h("user-agent"),
            h("x-dcmguid"),
            h("cookie"),
            q.unwrap_or_default(),
            h("host")
        );
        ([("content-type", "text/html; charset=utf-8")], body)
    }
    async fn form(headers: HeaderMap, body: String) -> impl IntoResponse {
        if body.starts_with("probe=") {
            HITS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        let ua = headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_string();
        (
            [("content-type", "text/html; charset=utf-8")],
            format!("<html><body>posted={body}<br>ua={ua}<br></body></html>"),
        )
    }
    let app = Router::new()
        .route("/cp/", get(echo))
        .route("/cp/echo", get(echo))
        .route("/cp/setcookie", get(|| async { ([("set-cookie", "visit=1; Path=/cp/"), ("content-type", "text/html; charset=utf-8")], "<html><body>set</body></html>") }))
        .route("/cp/join", get(|headers: HeaderMap| async move {
            let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let body = format!(
                "<html><body><form action=\"http://docomo.ne.jp/cp/regst\" method=\"post\">\
                 <input type=\"hidden\" name=\"ci\" value=\"cp\"><input type=\"hidden\" name=\"act\" value=\"reg\">\
                 <input type=\"hidden\" name=\"uid\" value=\"NULLGWDOCOMO\">\
                 <input type=\"hidden\" name=\"nl\" value=\"http://{host}/cp/echo?joined=1&amp;uid=NULLGWDOCOMO\">\
                 <input type=\"hidden\" name=\"rl\" value=\"http://{host}/cp/\"><input type=\"submit\"></form></body></html>"
            );
            ([("content-type", "text/html; charset=utf-8")], body)
        }))
        .route("/cp/form", axum::routing::post(form))
        .route("/cp/go", get(|| async { Redirect::to("/cp/echo?from=go") }))
        .route("/cp/loop", get(|| async { Redirect::to("/cp/loop") }))
        .route("/cp/slow", get(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            "late"
        }))
        .route(
            "/cp/away",
            get(|| async { Redirect::to("http://example.com/") }),
        )
        .route(
            "/cp/big",
            get(|| async {
                (
                    [("content-type", "text/html; charset=utf-8")],
                    format!("<html><body>{}</body></html>", "x".repeat(6000)),
                )
            }),
        )
        .route(
            "/cp/huge",
            get(|| async {
                (
                    [("content-type", "text/html; charset=utf-8")],
                    "x".repeat(700 * 1024),
                )
            }),
        )
        .route(
            "/cp/garbage",
            get(|| async {
                (
                    [("content-type", "text/html; charset=Shift_JIS")],
                    vec![0x82u8, 0x82, 0xff, 0x82],
                )
            }),
        )
        .route("/cp/hostile", get(|headers: HeaderMap| async move {
            let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let body = format!(
                "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\
                 <meta http-equiv=\"refresh\" content=\"3;URL=http://evil.example/steal\">\
                 <meta http-equiv=\"Set-Cookie\" content=\"x=1\">\
                 <style>p{{width:expression(alert(1))}}</style></head><body>\
                 <p onclick=\"steal()\">kept text</p><script>fetch('/admin')</script>\
                 <a href=\"javascript:steal()\">js</a><div style=\"background:url(javascript:steal())\">d</div>\
                 <a href=http://{host}/cp/unquoted.html>unquoted</a><a href=\"http://{host}/cp\">root</a>\
                 <a href=\"serial\" utn>relative utn</a><a href=\"../../secret\">dots</a>\
                 <a href=\"/cp/e?x=1&amp;guid=ON\">amp</a></body></html>"
            );
            ([("content-type", "text/html; charset=utf-8")], body)
        }))
        .route("/cp/upper", get(|| async {
            ([("content-type", "TEXT/HTML; Charset=UTF-8")], "<html><body><script>steal()</script>upper<a href=\"/cp/x\" onmouseover=\"steal()\">x</a></body></html>")
        }))
        .route("/cp/script.js", get(|| async { ([("content-type", "application/javascript")], "steal()") }))
        .route("/cp/logo.gif", get(|| async { ([("content-type", "image/gif")], b"GIF89a\x01\x00\x01\x00".to_vec()) }))
        .route("/cp/photo.png", get(|| async { ([("content-type", "image/png")], b"\x89PNG\r\n".to_vec()) }))
        .route("/cp/goguid", get(|| async { Redirect::to("/cp/echo?guid=ON&uid=NULLGWDOCOMO") }))
        .route("/cp/escape", get(|| async { Redirect::to("/cp/../secret") }))
        .route("/cp/raw", axum::routing::post(|body: axum::body::Bytes| async move {
            let hex: String = body.iter().map(|b| format!("{b:02x}")).collect();
            ([("content-type", "text/html; charset=utf-8")], format!("<html><body>hex={hex}</body></html>"))
        }))
        .route("/cp/guidforms", get(|| async {
            ([("content-type", "text/html; charset=utf-8")],
             "<html><body><form action=\"/cp/echo\" method=\"get\"><input type=\"hidden\" name=\"guid\" value=\"ON\"></form>\
              <form action=\"/cp/form\" method=\"post\"><input type=\"hidden\" name=\"guid\" value=\"ON\"></form></body></html>")
        }))
        .route("/cp/bom/{kind}", get(|headers: HeaderMap, Path(kind): Path<String>| async move {
            let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let page = hostile_markup(&host);
            // The declared charset is not the one the mark names.
            let (declared, body) = match kind.as_str() {
                "utf-16le" => ("windows-1252", bom_encoded(&page, Bom::Utf16Le)),
                "utf-16be" => ("windows-1252", bom_encoded(&page, Bom::Utf16Be)),
                _ => ("Shift_JIS", bom_encoded(&page, Bom::Utf8)),
            };
            ([("content-type", format!("text/html; charset={declared}"))], body)
        }))
        .route("/cp/uncovered", get(|| async {
            // Only once the script before it is removed does the page start
            // with a UTF-16 mark; what follows reads as markup only in UTF-16.
            let mut body = b"<script></script>".to_vec();
            body.extend(bom_encoded("<script>steal()</script><p>x</p>", Bom::Utf16Le));
            ([("content-type", "text/html; charset=windows-1252")], body)
        }))
        .route("/cp/uncovered8", get(|| async {
            ([("content-type", "text/html; charset=utf-8")], "<script></script>\u{feff}<p>after the mark</p>")
        }))
        .route("/cp/typed/{n}", get(|Path(n): Path<usize>| async move {
            let mut r = axum::response::Response::new(axum::body::Body::from(
                "<html><body><script>steal()</script><a href=\"http://evil.example/\">away</a></body></html>",
            ));
            r.headers_mut().insert("content-type", axum::http::HeaderValue::from_static(NOT_ONE_TYPE[n]));
            r
        }))
        .route("/cp/twotypes", get(|| async {
            let mut r = axum::response::Response::new(axum::body::Body::from("<script>steal()</script>"));
            r.headers_mut().append("content-type", axum::http::HeaderValue::from_static("text/plain"));
            r.headers_mut().append("content-type", axum::http::HeaderValue::from_static("text/html"));
            r
        }))
        .route("/cp/notes.txt", get(|| async {
            let (euc, _, _) = encoding_rs::EUC_JP.encode("天気 <b>not markup</b>");
            ([("content-type", "Text/Plain; Charset=\"euc-jp\"; format=flowed")], euc.into_owned())
        }))
        .route("/cp/plain.txt", get(|| async { ([("content-type", "text/plain")], "plain <b>text</b>") }))
        .route("/cp/bom.txt", get(|| async {
            ([("content-type", "text/plain; charset=windows-1252")], bom_encoded("天気", Bom::Utf16Le))
        }))
        .route("/cp/upper.gif", get(|| async { ([("content-type", "IMAGE/GIF; name=\"logo.gif\"")], b"GIF89a\x01\x00\x01\x00".to_vec()) }))
        .route("/cp/frames", get(|| async {
            ([("content-type", "text/html; charset=utf-8")],
             "<html><head><meta name=\"Referrer\" content=\"unsafe-url\"><META NAME=referr&#101;r CONTENT=origin>\
              <meta http-equiv=\"refresh\" content=\"0,http://evil.example/?;url=ok.html\">\
              <meta http-equiv=\"refresh\" content=\"0 http://evil.example/\">\
              <meta http-equiv=\"refresh\" content=\"5; url=next.html\">\
              <meta http-equiv=\"Refresh\" content=\"10\"></head><body>before\
              <iframe src=\"http://evil.example/f\" srcdoc=\"&lt;a href=http://evil.example/&gt;\">inner <b>steal</b></iframe>\
              <frameset cols=\"50%,50%\"><frame src=\"http://evil.example/a\"><FRAME src=\"/cp/b\"></frameset>\
              <div SrcDoc=\"steal\">div</div><p>after</p></body></html>")
        }))
        .route("/katte/", get(echo))
        .route("/katte/join", get(|headers: HeaderMap| async move {
            let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let body = format!(
                "<html><body><form action=\"http://docomo.ne.jp/cp/regst\" method=\"post\">\
                 <input type=\"hidden\" name=\"ci\" value=\"katte\"><input type=\"hidden\" name=\"act\" value=\"reg\">\
                 <input type=\"hidden\" name=\"nl\" value=\"http://{host}/katte/\"><input type=\"hidden\" name=\"rl\" value=\"http://{host}/katte/\"></form></body></html>"
            );
            ([("content-type", "text/html; charset=utf-8")], body)
        }));
    app
}

/// A page that tries everything a slip of the sanitizer would let through:
/// a script, a `<base>` pointing away, off-site links and an image, and a
/// referrer policy that would send the handset's session URL along.
fn hostile_markup(host: &str) -> String {
    format!(
        "<html><head><meta name=\"referrer\" content=\"unsafe-url\"><base href=\"http://evil.example/\">\
         <script>fetch('http://evil.example/steal')</script></head><body>天気予報<br>\
         <a href=\"http://evil.example/off\">off</a><a href=\"http://{host}/cp/next.html\">next</a>\
         <a href=\"rel.html\">rel</a><img src=\"http://evil.example/i.gif\"></body></html>"
    )
}

/// Which byte-order mark a page starts with.
#[derive(Clone, Copy)]
enum Bom {
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// `text` after a byte-order mark, in the encoding the mark names.
fn bom_encoded(text: &str, bom: Bom) -> Vec<u8> {
    match bom {
        Bom::Utf8 => [&b"\xef\xbb\xbf"[..], text.as_bytes()].concat(),
        Bom::Utf16Le => [0xfeffu16]
            .into_iter()
            .chain(text.encode_utf16())
            .flat_map(u16::to_le_bytes)
            .collect(),
        Bom::Utf16Be => [0xfeffu16]
            .into_iter()
            .chain(text.encode_utf16())
            .flat_map(u16::to_be_bytes)
            .collect(),
    }
}

/// Content-Type values that are not exactly one media type.
const NOT_ONE_TYPE: &[&str] = &[
    "text/plain;,text/html",
    "text/html, text/plain",
    "text/plain; charset=utf-8, text/html",
    "text/",
    "text",
    "/html",
    "text/html/x",
    "text /html",
    "text/plain; charset",
    "text/plain; charset=",
    "text/plain; =utf-8",
    "text/plain; charset=\"utf-8",
    "text/plain; charset=utf 8",
    "text/plain; charset=utf-8 x",
    "text/plain,",
    "text/h(tml)",
    "",
];

/// An upstream that promises a 1,000-byte page and closes after 10 bytes.
async fn short_upstream() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            // Read the whole request head first, so closing sends a FIN, not a reset.
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match tcp.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = tcp
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<html><bo")
                .await;
            let _ = tcp.shutdown().await;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    });
    addr
}

/// The identifiers a line shows content providers in this app.
fn identity(app: &TestApp, msisdn: &str) -> garake::gateway::Identity {
    garake::gateway::Identity::of(
        &garake::domain::Msisdn::parse(msisdn).unwrap(),
        &app.state.id_key,
    )
}

/// The path of an absolute redirect (garake answers with absolute ones).
fn location_path(r: &Resp) -> String {
    r.location()
}

/// The provider over http; returns its address.
async fn upstream() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, cp_app()).await.unwrap() });
    addr
}

/// The provider over https, with a certificate for 127.0.0.1 issued by a CA
/// made for this test; returns its address and the CA certificate (PEM).
async fn secure_upstream() -> (String, String) {
    use std::sync::Arc;
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "garake test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = cp_app();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(
                        hyper_util::rt::TokioIo::new(stream),
                        hyper_util::service::TowerToHyperService::new(app),
                    )
                    .await;
            });
        }
    });
    (addr, ca.pem())
}

/// The shipped menus plus a site `cp` whose upstream is `base`, a site
/// `dead` whose upstream nobody listens on, and with `secure`, a site `sec`
/// whose upstream is `https://{secure}/cp/`.
pub(super) fn menus_with_upstream(
    base: &str,
    secure: Option<&str>,
    short: Option<&str>,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(shipped_menus()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let mut text = std::fs::read_to_string(&path).unwrap();
            if path.ends_with("sites.toml") {
                let closed = std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap();
                text = text.replace(
                    "children = [\"s-transit\", \"s-gourmet\"]",
                    "children = [\"s-transit\", \"s-gourmet\", \"s-cp\", \"s-dead\"]",
                );
                text.push_str(&format!(
                    "\n[[node]]\nid = \"s-cp\"\nja = \"CPサイト\"\nen = \"CP site\"\naction = \"site:cp\"\n\
                     \n[[node]]\nid = \"s-dead\"\nja = \"停止中\"\nen = \"Dead site\"\naction = \"site:dead\"\n\
                     \n[[site]]\nid = \"cp\"\nja = \"CPサイト\"\nen = \"CP site\"\nabout_ja = \"外部\"\nabout_en = \"Outside\"\nupstream = \"http://{base}/cp/\"\nfee = 300\n\
                     \n[[site]]\nid = \"dead\"\nja = \"停止中\"\nen = \"Dead\"\nabout_ja = \"外部\"\nabout_en = \"Outside\"\nupstream = \"http://{closed}/\"\n\
                     \n[[site]]\nid = \"katte\"\nja = \"勝手サイト\"\nen = \"Unofficial site\"\nabout_ja = \"非公式\"\nabout_en = \"Unofficial\"\nupstream = \"http://{base}/katte/\"\nofficial = false\n"
                ));
                if let Some(short) = short {
                    text.push_str(&format!(
                        "\n[[site]]\nid = \"short\"\nja = \"途中\"\nen = \"Short\"\nabout_ja = \"外部\"\nabout_en = \"Outside\"\nupstream = \"http://{short}/\"\nofficial = false\n"
                    ));
                }
                if let Some(secure) = secure {
                    text = text.replace("\"s-dead\"]", "\"s-dead\", \"s-sec\"]");
                    text.push_str(&format!(
                        "\n[[node]]\nid = \"s-sec\"\nja = \"SSLサイト\"\nen = \"TLS site\"\naction = \"site:sec\"\n\
                         \n[[site]]\nid = \"sec\"\nja = \"SSLサイト\"\nen = \"TLS site\"\nabout_ja = \"外部\"\nabout_en = \"Outside\"\nupstream = \"https://{secure}/cp/\"\n"
                    ));
                }
            }
            std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
        }
    }
    dir
}

async fn setup() -> (TestApp, String, tempfile::TempDir) {
    let short = short_upstream().await;
    let base = upstream().await;
    let menus = menus_with_upstream(&base, None, Some(&short));
    let path = menus.path().to_path_buf();
    let app = TestApp::with(move |c| {
        c.menus = Some(path);
        c.gateway_timeout = 1;
    })
    .await;
    (app, base, menus)
}

#[tokio::test]
async fn the_site_page_links_through_the_gateway_and_links_are_rewritten() {
    let (app, base, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    let site = handset.get(&format!("/s/{}/site/cp", handset.sid)).await;
    let open = site.link("サイトへ");
    let page = handset.get(&open).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.header("content-type"), "text/html; charset=Shift_JIS");
    assert!(
        page.text.contains("天気予報"),
        "converted from UTF-8 to Shift_JIS: {}",
        page.text
    );
    assert!(
        page.text.contains("charset=Shift_JIS"),
        "the meta follows the new charset"
    );
    let prefix = format!("/s/{}/g/cp/", handset.sid);
    assert!(
        page.text.contains(&format!("href=\"{prefix}next.html\"")),
        "{}",
        page.text
    );
    assert!(page.text.contains(&format!("href=\"{prefix}form\"")));
    assert!(
        page.text.contains(&format!("href=\"{prefix}rel.html\"")),
        "relative links resolve into the gateway too: {}",
        page.text
    );
    assert!(!page.text.contains(&base), "no link leaves the gateway");
}

#[tokio::test]
async fn the_upstream_sees_the_handsets_user_agent_and_no_cookie() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    let page = handset.get(&format!("/s/{}/g/cp/echo", handset.sid)).await;
    assert!(
        page.text.contains("ua=DoCoMo/1.0/P501i<br>"),
        "{}",
        page.text
    );
    assert!(page.text.contains("cookie=-"));
    assert!(page.text.contains("guid=-"), "no i-mode ID unless guid=ON");
}

#[tokio::test]
async fn guid_on_sends_the_stable_i_mode_id() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    let id = identity(&app, TARO);
    let page = handset
        .get(&format!("/s/{}/g/cp/echo?guid=ON", handset.sid))
        .await;
    assert!(
        page.text.contains(&format!("guid={}<br>", id.guid)),
        "{}",
        page.text
    );
    let again = app
        .handset(TARO, P501I)
        .await
        .get(&format!("/s/{}/g/cp/echo?guid=ON", handset.sid))
        .await;
    assert!(again.text.contains(&id.guid), "stable across sessions");
}

#[tokio::test]
async fn the_id_notification_setting_gates_the_i_mode_id_behind_the_password() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let id = identity(&app, TARO);
    let echo = format!("/s/{}/g/cp/echo?guid=ON", handset.sid);
    assert_eq!(
        app.line(TARO).await["id_notification"],
        true,
        "on at purchase"
    );
    // Reached from Various settings, like the other protected actions.
    let settings = handset.node("settings").await;
    assert_eq!(
        settings.link("i-mode ID notification"),
        handset.action("id-notification")
    );
    // A wrong password changes nothing: the ID still goes.
    let before = app.snapshot();
    let (confirm, refused) = handset
        .protect("id-notification", "notify=off", "9999")
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.text);
    assert!(
        confirm
            .text
            .contains("No site will receive your i-mode ID."),
        "{}",
        confirm.text
    );
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert!(handset
        .get(&echo)
        .await
        .text
        .contains(&format!("guid={}<br>", id.guid)));
    assert_eq!(app.line(TARO).await["id_notification"], true);
    assert_ne!(
        app.snapshot(),
        before,
        "only the failed attempt is recorded"
    );
    // The right password turns it off: no X-DCMGUID, even when a site asks.
    let (_, done) = handset
        .protect("id-notification", "notify=off", "0000")
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(
        done.text.contains("i-mode ID notification:Do not notify"),
        "{}",
        done.text
    );
    let page = handset.get(&echo).await;
    assert!(page.text.contains("guid=-<br>"), "{}", page.text);
    assert!(!page.text.contains(&id.guid));
    assert_eq!(app.line(TARO).await["id_notification"], false);
    let audit = app.audit(TARO).await;
    assert!(
        audit.contains(&("id_notification".to_string(), "wrong_pin".to_string()))
            && audit.contains(&("id_notification".to_string(), "ok".to_string())),
        "{audit:?}"
    );
    // And back on.
    let (_, on) = handset
        .protect("id-notification", "notify=on", "0000")
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    assert!(handset
        .get(&echo)
        .await
        .text
        .contains(&format!("guid={}<br>", id.guid)));
}

#[tokio::test]
async fn uid_nullgwdocomo_is_replaced_in_queries_and_forms() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    let id = identity(&app, TARO);
    let page = handset
        .get(&format!(
            "/s/{}/g/cp/echo?uid=NULLGWDOCOMO&x=1",
            handset.sid
        ))
        .await;
    assert!(
        page.text.contains(&format!("query=uid={}&x=1", id.uid)),
        "{}",
        page.text
    );
    let posted = handset
        .post(
            &format!("/s/{}/g/cp/form", handset.sid),
            "uid=NULLGWDOCOMO&name=a",
        )
        .await;
    assert!(
        posted
            .text
            .contains(&format!("posted=uid={}&name=a", id.uid)),
        "{}",
        posted.text
    );
}

#[tokio::test]
async fn a_redirect_is_answered_to_the_handset_with_an_absolute_rewritten_location() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    let hop = handset.get(&format!("/s/{}/g/cp/go", handset.sid)).await;
    assert!(hop.status.is_redirection(), "{}", hop.status);
    assert_eq!(
        location_path(&hop),
        format!("/s/{}/g/cp/echo?from=go", handset.sid)
    );
    let page = handset.get(&location_path(&hop)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("query=from=go"), "{}", page.text);
    // A redirect away from the configured sites leads to garake's own page.
    let away = handset.get(&format!("/s/{}/g/cp/away", handset.sid)).await;
    let path = location_path(&away);
    assert!(
        path.starts_with(&format!("/s/{}/url?url=", handset.sid)),
        "{path}"
    );
    let refused = app.handset_lang(TARO, P501I, "en").await;
    let page = refused.get(&path.replace(&handset.sid, &refused.sid)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.text.contains("not configured in garake"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn a_page_over_the_handsets_cache_is_cut_off_with_its_error() {
    let (app, _, _menus) = setup().await;
    let small = app.handset_lang(TARO, P501I, "en").await;
    let r = small.get(&format!("/s/{}/g/cp/big", small.sid)).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert!(r.text.contains("too large for your handset"), "{}", r.text);
    // The page's size, for walk: over the 5 KB cache.
    let size: usize = r.header("x-garake-too-large").parse().unwrap();
    assert!(size > 5 * 1024, "{size}");
    let big = app.handset(TARO, "DoCoMo/1.0/N505i/c20/TB/W20H10").await;
    assert_eq!(
        big.get(&format!("/s/{}/g/cp/big", big.sid)).await.status,
        StatusCode::OK,
        "fits in 20 KB"
    );
}

#[tokio::test]
async fn upstream_failures_get_a_clear_handset_page_never_a_500() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    for (path, text) in [
        (
            format!("/s/{}/g/dead/", handset.sid),
            "could not be reached",
        ),
        (
            format!("/s/{}/g/cp/slow", handset.sid),
            "did not answer in time",
        ),
        (
            format!("/s/{}/g/cp/garbage", handset.sid),
            "cannot be shown",
        ),
    ] {
        let r = handset.get(&path).await;
        assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{path}");
        assert!(r.text.contains(text), "{path}: {}", r.text);
    }
}

#[tokio::test]
async fn only_configured_upstreams_are_reachable() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    for path in [
        "g/weather/",
        "g/nosuch/",
        "g/cp/../../etc/passwd",
        "g/cp/%2e%2e/x",
        "g/cp//evil.example/",
    ] {
        let r = handset.get(&format!("/s/{}/{path}", handset.sid)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn a_utn_link_asks_first_and_sends_the_serial_number_once() {
    let (app, _, _menus) = setup().await;
    let id = identity(&app, TARO);
    for (ua, sent) in [
        (
            P501I.to_string(),
            format!("ua=DoCoMo/1.0/P501i/ser{}<br>", id.ser),
        ),
        (
            "DoCoMo/2.0 P903i(c100;TB;W24H12)".to_string(),
            format!(
                "ua=DoCoMo/2.0 P903i(c100;TB;W24H12;ser{};icc{})<br>",
                id.ser_foma, id.icc
            ),
        ),
    ] {
        let handset = app.handset_lang(TARO, &ua, "en").await;
        let top = handset.get(&format!("/s/{}/g/cp/", handset.sid)).await;
        let utn = top.link("serial");
        assert!(
            utn.starts_with(&format!("/s/{}/u/cp/", handset.sid)),
            "{utn}"
        );
        // Without consent nothing is sent: the link goes to the carrier's question.
        let ask = handset.get(&utn).await;
        assert!(ask.text.contains("serial number"), "{}", ask.text);
        let no = handset.get(&ask.link("No")).await;
        assert!(no.text.contains("query=who=me"), "{}", no.text);
        assert!(
            !no.text.contains(&id.ser),
            "no serial without consent: {}",
            no.text
        );
        let yes_link = ask.link("Yes");
        let yes = handset.get(&yes_link).await;
        assert!(yes.text.contains(&sent), "{}", yes.text);
        assert!(
            yes.text.contains("query=who=me<br>"),
            "the consent token is not forwarded: {}",
            yes.text
        );
        // The consent works once.
        assert_eq!(handset.get(&yes_link).await.status, StatusCode::CONFLICT);
    }
}

/// Opens the provider's join page and posts its registration form as the handset would.
async fn register(handset: &Handset<'_>, base: &str) -> Resp {
    let join = handset.get(&format!("/s/{}/g/cp/join", handset.sid)).await;
    assert!(
        join.text
            .contains(&format!("action=\"/s/{}/cp/regst/cp\"", handset.sid)),
        "{}",
        join.text
    );
    let body = format!(
        "ci=cp&act=reg&uid=NULLGWDOCOMO&nl={}&rl={}",
        enc(&format!("http://{base}/cp/echo?joined=1&uid=NULLGWDOCOMO")),
        enc(&format!("http://{base}/cp/"))
    );
    handset
        .post(&format!("/s/{}/cp/regst/cp", handset.sid), body)
        .await
}

fn regst_confirm(ask: &Resp, base: &str, pin: &str) -> String {
    format!(
        "ci=cp&act=reg&uid=NULLGWDOCOMO&nl={}&rl={}&pin={pin}&ft={}",
        enc(&format!("http://{base}/cp/echo?joined=1&uid=NULLGWDOCOMO")),
        enc(&format!("http://{base}/cp/")),
        ask.form_token()
    )
}

#[tokio::test]
async fn official_site_registration_asks_the_password_and_charges_the_same_ledger() {
    let (app, base, _menus) = setup().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let ask = register(&handset, &base).await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.text);
    assert!(
        ask.text.contains("CP site") && ask.text.contains("Monthly 300 yen"),
        "{}",
        ask.text
    );
    let confirm = format!("/s/{}/cp/regst/cp/confirm", handset.sid);

    // Wrong password: nothing charged, asked again.
    let wrong = handset
        .post(&confirm, regst_confirm(&ask, &base, "9999"))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.text.contains("incorrect"));
    assert!(
        app.api(&format!("/api/lines/{TARO}/billing")).await.json()["ledger"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Right password: subscribed in the same ledger, on to `nl` inside the gateway.
    let done = handset
        .post(&confirm, regst_confirm(&wrong, &base, "0000"))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let next = done.location();
    assert!(
        next.starts_with(&format!("/s/{}/g/cp/echo?joined=1", handset.sid)),
        "{next}"
    );
    let bill = app.api(&format!("/api/lines/{TARO}/billing")).await.json();
    assert_eq!(bill["ledger"][0]["site"], "cp");
    assert_eq!(bill["ledger"][0]["monthly_fee"], 300);
    // What the provider then receives: the user ID in place of NULLGWDOCOMO.
    let id = identity(&app, TARO);
    let landed = handset.get(&next).await;
    assert!(
        landed.text.contains(&format!("uid={}", id.uid)),
        "{}",
        landed.text
    );

    // Registering again: back to `rl`, nothing charged twice.
    let ask = register(&handset, &base).await;
    let again = handset
        .post(&confirm, regst_confirm(&ask, &base, "0000"))
        .await;
    assert_eq!(again.location(), format!("/s/{}/g/cp/", handset.sid));
    assert_eq!(
        app.api(&format!("/api/lines/{TARO}/billing")).await.json()["ledger"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_locked_password_refuses_registration_and_bad_requests_are_400() {
    let (app, base, _menus) = setup().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let confirm = format!("/s/{}/cp/regst/cp/confirm", handset.sid);
    let mut ask = register(&handset, &base).await;
    for _ in 0..3 {
        ask = handset
            .post(&confirm, regst_confirm(&ask, &base, "9999"))
            .await;
    }
    let locked = handset
        .post(&confirm, regst_confirm(&ask, &base, "0000"))
        .await;
    assert_eq!(locked.status, StatusCode::FORBIDDEN);
    assert!(locked.text.contains("locked"), "{}", locked.text);
    assert!(
        app.api(&format!("/api/lines/{TARO}/billing")).await.json()["ledger"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // A free or unknown site, a bad act, or a next page outside the site: 400.
    for body in [
        format!(
            "ci=weather&act=reg&nl={0}&rl={0}",
            enc(&format!("http://{base}/cp/"))
        ),
        format!(
            "ci=cp&act=steal&nl={0}&rl={0}",
            enc(&format!("http://{base}/cp/"))
        ),
        format!(
            "ci=cp&act=reg&nl={}&rl={}",
            enc("http://evil.example/"),
            enc(&format!("http://{base}/cp/"))
        ),
    ] {
        assert_eq!(
            handset
                .post(&format!("/s/{}/cp/regst/cp", handset.sid), body.clone())
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{body}"
        );
    }
}

#[tokio::test]
async fn cookies_go_to_the_provider_only_for_browser_2_0() {
    let (app, _, _menus) = setup().await;
    for (ua, expected) in [
        ("DoCoMo/2.0 P07B(c500;TB;W24H16)", "cookie=visit=1<br>"),
        (P501I, "cookie=-<br>"),
    ] {
        let handset = app.handset(TARO, ua).await;
        let set = handset
            .get(&format!("/s/{}/g/cp/setcookie", handset.sid))
            .await;
        assert!(
            set.headers.get("set-cookie").is_none(),
            "the gateway keeps cookies, the handset page carries none"
        );
        let echo = handset.get(&format!("/s/{}/g/cp/echo", handset.sid)).await;
        assert!(echo.text.contains(expected), "{ua}: {}", echo.text);
    }
}

#[tokio::test]
async fn a_utn_form_asks_first_and_posts_its_fields_with_the_serial() {
    let (app, _, _menus) = setup().await;
    let id = identity(&app, TARO);
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let top = handset.get(&format!("/s/{}/g/cp/", handset.sid)).await;
    let consent = format!("/s/{}/u/cp/form", handset.sid);
    assert!(
        top.text.contains(&format!("action=\"{consent}\"")),
        "{}",
        top.text
    );
    let ask = handset.post(&consent, "a=1").await;
    assert!(ask.text.contains("serial number"), "{}", ask.text);
    let yes_action = ask
        .text
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert!(yes_action.contains("__utn="), "{yes_action}");
    assert!(
        ask.text.contains("name=\"a\" value=\"1\""),
        "the fields come along"
    );
    let sent = handset.post(&yes_action, "a=1").await;
    assert!(sent.text.contains("posted=a=1"), "{}", sent.text);
    assert!(
        sent.text.contains(&format!("/ser{}", id.ser)),
        "{}",
        sent.text
    );
    assert_eq!(
        handset.post(&yes_action, "a=1").await.status,
        StatusCode::CONFLICT,
        "consent works once"
    );
}

/// A gateway with the http site `cp` and the https site `sec`; with `trust`,
/// garake is given the test CA (`--gateway-ca`), else it knows only the
/// public roots.
async fn setup_secure(trust: bool) -> (TestApp, tempfile::TempDir) {
    let base = upstream().await;
    let (secure, ca_pem) = secure_upstream().await;
    let menus = menus_with_upstream(&base, Some(&secure), None);
    let ca = menus.path().join("test-ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let path = menus.path().to_path_buf();
    let app = TestApp::with(move |c| {
        c.menus = Some(path);
        c.gateway_timeout = 5;
        c.gateway_ca = trust.then_some(ca);
    })
    .await;
    (app, menus)
}

#[tokio::test]
async fn an_https_upstream_receives_no_carrier_identifier() {
    let (app, _menus) = setup_secure(true).await;
    let ua = "DoCoMo/2.0 P903i(c100;TB;W24H12)";
    let handset = app.handset(TARO, ua).await;
    let id = identity(&app, TARO);
    // The same request to the http site carries both identifiers ...
    let plain = handset
        .get(&format!(
            "/s/{}/g/cp/echo?guid=ON&uid=NULLGWDOCOMO",
            handset.sid
        ))
        .await;
    assert!(
        plain.text.contains(&format!("guid={}<br>", id.guid)),
        "{}",
        plain.text
    );
    assert!(plain
        .text
        .contains(&format!("query=guid=ON&uid={}<br>", id.uid)));
    // ... and to the https site neither: no X-DCMGUID, the placeholder as written.
    let page = handset
        .get(&format!(
            "/s/{}/g/sec/echo?guid=ON&uid=NULLGWDOCOMO",
            handset.sid
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("天気予報"),
        "fetched over TLS and converted: {}",
        page.text
    );
    assert!(page.text.contains("guid=-<br>"), "{}", page.text);
    assert!(
        page.text.contains("query=guid=ON&uid=NULLGWDOCOMO<br>"),
        "{}",
        page.text
    );
    assert!(
        page.text.contains(&format!("ua={ua}<br>")),
        "the handset's UA, no serial: {}",
        page.text
    );
    assert!(!page.text.contains(&id.uid) && !page.text.contains(&id.ser));
    // Links stay inside the gateway; a utn link does not go through the
    // consent page (no serial number is ever sent over TLS), and the consent
    // page does not exist for the site.
    let prefix = format!("/s/{}/g/sec/", handset.sid);
    assert!(
        page.text.contains(&format!("href=\"{prefix}form\"")),
        "{}",
        page.text
    );
    assert!(
        page.text.contains(&format!("href=\"{prefix}echo?who=me\"")),
        "{}",
        page.text
    );
    assert!(!page.text.contains(&format!("/s/{}/u/sec/", handset.sid)));
    let consent = handset
        .get(&format!("/s/{}/u/sec/echo?who=me", handset.sid))
        .await;
    assert_eq!(consent.status, StatusCode::NOT_FOUND);
    // A consent token brought along anyway adds nothing either.
    let forged = handset
        .get(&format!("/s/{}/g/sec/echo?__utn=x", handset.sid))
        .await;
    assert_eq!(forged.status, StatusCode::OK, "{}", forged.text);
    assert!(
        forged.text.contains(&format!("ua={ua}<br>")),
        "{}",
        forged.text
    );
    assert!(
        forged.text.contains("query=<br>"),
        "the token is not passed on: {}",
        forged.text
    );
    // A posted form keeps the placeholder too.
    let posted = handset
        .post(
            &format!("/s/{}/g/sec/form", handset.sid),
            "uid=NULLGWDOCOMO&name=a",
        )
        .await;
    assert!(
        posted.text.contains("posted=uid=NULLGWDOCOMO&name=a"),
        "{}",
        posted.text
    );
}

#[tokio::test]
async fn an_https_upstream_with_an_untrusted_certificate_gets_a_clear_page() {
    let (app, _menus) = setup_secure(false).await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let r = handset.get(&format!("/s/{}/g/sec/echo", handset.sid)).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.text);
    assert!(
        r.text.contains("certificate could not be verified"),
        "{}",
        r.text
    );
    let ok = handset.get(&format!("/s/{}/g/cp/echo", handset.sid)).await;
    assert_eq!(ok.status, StatusCode::OK, "the http site still works");
}

#[tokio::test]
async fn size_limits_hold_both_ways() {
    let (app, _, _menus) = setup().await;
    // An answer over 600 KB is not read to the end, even for the biggest cache.
    let big = app
        .handset_lang(TARO, "DoCoMo/2.0 P07B(c500;TB;W24H16)", "en")
        .await;
    let r = big.get(&format!("/s/{}/g/cp/huge", big.sid)).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert!(r.text.contains("too large for your handset"), "{}", r.text);
    assert_eq!(r.header("x-garake-too-large"), "more than 614400");
    // A posted body over the server's 16 KiB limit never reaches the provider.
    let handset = app.handset(TARO, P501I).await;
    let before = HITS.load(std::sync::atomic::Ordering::SeqCst);
    let r = handset
        .post(
            &format!("/s/{}/g/cp/form", handset.sid),
            format!("probe={}", "x".repeat(20 * 1024)),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let small = handset
        .post(&format!("/s/{}/g/cp/form", handset.sid), "probe=1")
        .await;
    assert!(small.text.contains("posted=probe=1"), "{}", small.text);
    assert_eq!(
        HITS.load(std::sync::atomic::Ordering::SeqCst) - before,
        1,
        "only the small form arrived"
    );
}

// ---- isolation and the i-mode centre's rules

#[tokio::test]
async fn every_kind_of_page_gets_its_security_headers() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    let handset_csp = garake::web::headers::HANDSET_CSP;
    // The menu page twice: rendered, then from the cache in front of the router.
    let rendered = handset.node("imenu").await;
    let cached = handset.node("imenu").await;
    let gateway = handset.get(&format!("/s/{}/g/cp/echo", handset.sid)).await;
    for page in [app.get("/", P501I).await, rendered, cached, gateway] {
        assert_eq!(page.header("content-security-policy"), handset_csp);
        assert_eq!(page.header("x-content-type-options"), "nosniff");
        assert_eq!(page.header("referrer-policy"), "no-referrer");
    }
    assert!(handset_csp.contains("sandbox allow-forms allow-same-origin;"));
    assert!(
        handset_csp.contains("script-src 'none'") && handset_csp.contains("frame-ancestors 'self'")
    );
    for path in ["/mydocomo", "/admin/login", "/p/ims", "/shop"] {
        let page = app.get(path, PC).await;
        let csp = page.header("content-security-policy");
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(page.header("referrer-policy"), "same-origin", "{path}");
        assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
    }
    let api = app.api("/api/lines").await;
    assert!(api
        .header("content-security-policy")
        .contains("default-src 'none'"));
    // The emulator may run its own script and nothing else.
    let shell = app.get("/emulator", PC).await;
    let csp = shell.header("content-security-policy").to_string();
    let script = shell
        .text
        .split_once("<script>")
        .unwrap()
        .1
        .split_once("</script>")
        .unwrap()
        .0;
    use sha2::Digest;
    let hash = garake::mail::rfc5322::base64(&sha2::Sha256::digest(script.as_bytes()));
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}'")),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(
        shell
            .text
            .contains(r#"sandbox="allow-forms allow-same-origin""#),
        "the screen's frame runs nothing"
    );
}

#[tokio::test]
async fn what_the_i_mode_browser_never_ran_is_removed_before_the_handset_sees_it() {
    let (app, base, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    let page = handset
        .get(&format!("/s/{}/g/cp/hostile", handset.sid))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for gone in [
        "<script",
        "fetch(",
        "onclick",
        "steal",
        "javascript",
        "expression",
        "evil.example",
        "Set-Cookie",
    ] {
        assert!(!page.text.contains(gone), "{gone} in {}", page.text);
    }
    assert!(page.text.contains("kept text"));
    let removed = page.header("x-garake-removed");
    assert!(
        removed.contains("script=1") && removed.contains("on* attribute=1"),
        "{removed}"
    );
    // Every link form the browser follows stays in the gateway.
    let sid = &handset.sid;
    for want in [
        format!("href=\"/s/{sid}/g/cp/unquoted.html\""),
        format!("href=\"/s/{sid}/g/cp/\""),
        format!("href=\"/s/{sid}/u/cp/serial\""),
        format!("href=\"/s/{sid}/g/cp/e?x=1&amp;guid=ON\""),
        format!("href=\"/s/{sid}/url?url="),
    ] {
        assert!(page.text.contains(&want), "{want} in {}", page.text);
    }
    assert!(!page.text.contains(&base), "no link leaves the gateway");
    // Upper-case TEXT/HTML is HTML too: rewritten, not passed through.
    let upper = handset.get(&format!("/s/{}/g/cp/upper", handset.sid)).await;
    assert!(
        upper.text.contains("upper") && !upper.text.contains("steal"),
        "{}",
        upper.text
    );
    assert!(upper.text.contains(&format!("/s/{sid}/g/cp/x")));
}

#[tokio::test]
async fn answers_the_handset_cannot_show_are_refused_with_a_clear_page() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let js = handset
        .get(&format!("/s/{}/g/cp/script.js", handset.sid))
        .await;
    assert_eq!(js.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        js.text.contains("cannot be shown on a handset"),
        "{}",
        js.text
    );
    let gif = handset
        .get(&format!("/s/{}/g/cp/logo.gif", handset.sid))
        .await;
    assert_eq!(
        (gif.status, gif.header("content-type")),
        (StatusCode::OK, "image/gif")
    );
    // PNG came with i-mode HTML 6.0: not for a 501i, fine for a 903i.
    let png = handset
        .get(&format!("/s/{}/g/cp/photo.png", handset.sid))
        .await;
    assert_eq!(png.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let newer = app.handset(TARO, "DoCoMo/2.0 P903i(c100;TB;W24H12)").await;
    let png = newer.get(&format!("/s/{}/g/cp/photo.png", newer.sid)).await;
    assert_eq!(png.status, StatusCode::OK);
}

#[tokio::test]
async fn a_redirect_to_guid_on_is_the_handsets_own_request_and_gets_the_identifiers() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    let id = identity(&app, TARO);
    let hop = handset
        .get(&format!("/s/{}/g/cp/goguid", handset.sid))
        .await;
    assert!(hop.status.is_redirection());
    let page = handset.get(&hop.location()).await;
    assert!(
        page.text.contains(&format!("guid={}<br>", id.guid)),
        "{}",
        page.text
    );
    assert!(
        page.text.contains(&format!("uid={}", id.uid)),
        "{}",
        page.text
    );
    // A redirect that leaves the site's base is not followed anywhere.
    let escape = handset
        .get(&format!("/s/{}/g/cp/escape", handset.sid))
        .await;
    assert!(escape
        .location()
        .starts_with(&format!("/s/{}/url?url=", handset.sid)));
}

#[tokio::test]
async fn an_answer_cut_short_is_incomplete_not_too_large() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let r = handset.get(&format!("/s/{}/g/short/", handset.sid)).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert!(r.text.contains("answer was incomplete"), "{}", r.text);
}

/// A provider on a raw socket that answers a GET with a page and keeps the
/// connection, and breaks off each POST after reading it whole: the first
/// with half an answer head, the second with a reset, the rest with a clean
/// close. Returns its address and the count of POSTs it read.
async fn breaking_upstream() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let posts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = posts.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let posts = counted.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let end = loop {
                        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break end + 4;
                        }
                        match tcp.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |n| n.trim().parse::<usize>().unwrap());
                    while buf.len() < end + length {
                        match tcp.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..end + length);
                    if head.starts_with("post ") {
                        match posts.fetch_add(1, Ordering::SeqCst) {
                            0 => {
                                let _ = tcp.write_all(b"HTTP/1.1 200 OK\r\nContent-Ty").await;
                                let _ = tcp.shutdown().await;
                            }
                            1 => tcp.set_zero_linger().unwrap(),
                            _ => {
                                let _ = tcp.shutdown().await;
                            }
                        }
                        return;
                    }
                    let page = "<html><body>order form</body></html>";
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{page}",
                        page.len()
                    );
                    if tcp.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, posts)
}

#[tokio::test]
async fn a_post_the_site_breaks_off_is_a_failure_page_and_reaches_it_once() {
    use std::sync::atomic::Ordering;
    let (breaking, posts) = breaking_upstream().await;
    let base = upstream().await;
    // The breaking provider stands in as the site `short`.
    let menus = menus_with_upstream(&base, None, Some(&breaking));
    let path = menus.path().to_path_buf();
    let app = TestApp::with(move |c| {
        c.menus = Some(path);
        c.gateway_timeout = 5;
    })
    .await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    for (n, how) in ["half a head", "a reset", "a close"].iter().enumerate() {
        // The page is answered and its connection kept; the form goes on it.
        let page = handset.get(&format!("/s/{}/g/short/", handset.sid)).await;
        assert_eq!(page.status, StatusCode::OK, "{how}: {}", page.text);
        let r = handset
            .post(&format!("/s/{}/g/short/order", handset.sid), "item=tea")
            .await;
        assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{how}: {}", r.text);
        assert!(r.text.contains("could not be reached"), "{how}: {}", r.text);
        assert_eq!(posts.load(Ordering::SeqCst), n + 1, "{how}: the POST once");
    }
    // Nothing goes to the provider later either.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(posts.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn posted_shift_jis_bytes_reach_the_site_unchanged() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    let id = identity(&app, TARO);
    let body = b"name=\x82\xa0%82%A0&uid=NULLGWDOCOMO&z=\x83\x5c".to_vec();
    let r = handset
        .post(&format!("/s/{}/g/cp/raw", handset.sid), body)
        .await;
    let expected: String = [
        &b"name=\x82\xa0%82%A0&uid="[..],
        id.uid.as_bytes(),
        b"&z=\x83\x5c",
    ]
    .concat()
    .iter()
    .map(|b| format!("{b:02x}"))
    .collect();
    assert!(r.text.contains(&format!("hex={expected}")), "{}", r.text);
}

#[tokio::test]
async fn identifiers_are_keyed_with_the_server_secret_and_stable_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db").to_str().unwrap().to_string();
    let key_of = |app: &TestApp| app.state.id_key;
    let first = {
        let db = db.clone();
        TestApp::with(move |c| c.db = db).await
    };
    let again = {
        let db = db.clone();
        TestApp::with(move |c| c.db = db).await
    };
    assert_eq!(
        key_of(&first),
        key_of(&again),
        "the same secret file, the same identifiers"
    );
    let other = TestApp::new().await;
    let (a, b) = (identity(&first, TARO), identity(&other, TARO));
    assert_ne!(a.guid, b.guid, "another secret, other identifiers");
    assert_ne!(a.uid, b.uid);
    assert_eq!(a.guid.len(), 7);
    assert!(a.guid.bytes().all(|c| c.is_ascii_alphanumeric()));
}

#[tokio::test]
async fn unofficial_sites_are_reached_by_url_entry_get_no_user_id_and_cannot_register() {
    let (app, base, _menus) = setup().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let id = identity(&app, TARO);
    // Not in the Menu list.
    let mut listed = String::new();
    for node in ["menu-list", "cat-news", "cat-fun", "cat-life"] {
        listed.push_str(&handset.node(node).await.text);
    }
    assert!(!listed.contains("Unofficial site"));
    // iMenu's URL entry opens it (and lists it as a bookmark).
    let entry = handset.get(&handset.action("url-entry")).await;
    assert!(entry.text.contains("name=\"url\""), "{}", entry.text);
    assert!(entry.text.contains("Unofficial site"));
    let typed = handset
        .get(&format!(
            "/s/{}/url?url={}",
            handset.sid,
            enc(&format!("http://{base}/katte/"))
        ))
        .await;
    assert_eq!(typed.location(), format!("/s/{}/g/katte/", handset.sid));
    // guid=ON works there; uid=NULLGWDOCOMO stays as written.
    let page = handset
        .get(&format!(
            "/s/{}/g/katte/?guid=ON&uid=NULLGWDOCOMO",
            handset.sid
        ))
        .await;
    assert!(
        page.text.contains(&format!("guid={}<br>", id.guid)),
        "{}",
        page.text
    );
    assert!(page.text.contains("uid=NULLGWDOCOMO"), "{}", page.text);
    assert!(!page.text.contains(&id.uid));
    // Anything not configured is a clear page, never fetched.
    let away = handset
        .get(&format!(
            "/s/{}/url?url=http%3A%2F%2Fexample.com%2F",
            handset.sid
        ))
        .await;
    assert_eq!(away.status, StatusCode::NOT_FOUND);
    assert!(
        away.text.contains("not configured in garake"),
        "{}",
        away.text
    );
    // Its registration form goes to the carrier, which refuses it.
    let join = handset
        .get(&format!("/s/{}/g/katte/join", handset.sid))
        .await;
    let action = format!("/s/{}/cp/regst/katte", handset.sid);
    assert!(join.text.contains(&action), "{}", join.text);
    let refused = handset
        .post(
            &action,
            format!(
                "ci=katte&act=reg&nl={0}&rl={0}",
                enc(&format!("http://{base}/katte/"))
            ),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn guid_on_counts_in_a_links_query_only_not_as_a_form_field() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    let id = identity(&app, TARO);
    let page = handset
        .get(&format!("/s/{}/g/cp/guidforms", handset.sid))
        .await;
    let get_form = format!("/s/{}/f/cp/echo", handset.sid);
    assert!(
        page.text.contains(&format!("action=\"{get_form}\"")),
        "{}",
        page.text
    );
    // The GET form submitted: guid=ON arrives as form data, and no ID goes.
    let submitted = handset.get(&format!("{get_form}?guid=ON")).await;
    assert!(submitted.text.contains("guid=-<br>"), "{}", submitted.text);
    assert!(
        submitted.text.contains("query=guid=ON"),
        "the field itself is passed on"
    );
    let posted = handset
        .post(&format!("/s/{}/g/cp/form", handset.sid), "guid=ON")
        .await;
    assert!(!posted.text.contains(&id.guid), "{}", posted.text);
}

#[tokio::test]
async fn registration_accepts_only_the_posting_sites_code() {
    let (app, base, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    // The form came from cp's page, but names another fee-based site.
    let forged = handset
        .post(
            &format!("/s/{}/cp/regst/cp", handset.sid),
            format!(
                "ci=business&act=reg&nl={0}&rl={0}",
                enc(&format!("http://{base}/cp/"))
            ),
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(
        app.api(&format!("/api/lines/{TARO}/billing")).await.json()["ledger"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn gateway_links_answered_before_the_router_match_the_routers_answers() {
    let (app, _, _menus) = setup().await;
    let router = garake::web::router(app.state.clone());
    let handset = app.handset(TARO, P501I).await;
    let sid = &handset.sid;
    let mut compared = 0;
    for tail in [
        "g/cp/",
        "g/cp/echo?who=me",
        "g/cp/echo?guid=ON&uid=NULLGWDOCOMO",
        "g/cp/hostile",
        "g/cp/go",
        "g/cp/away",
        "g/cp/garbage",
        "g/cp/big",
        "g/cp/script.js",
        "g/cp/logo.gif",
        "g/cp/missing",
        "g/nosuchsite/",
        "g/cp",
        "g/cp/%2e%2e/secret",
    ] {
        let path = format!("/s/{sid}/{tail}");
        let req = || {
            axum::http::Request::get(&path)
                .header("user-agent", P501I)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let routed = respond(router.clone(), req()).await;
        let front = handset.get(&path).await;
        assert_same_answer(&front, &routed, &path);
        if routed.status.is_redirection() {
            let location = front.header("location");
            assert!(location.starts_with("http://"), "{path}: {location}");
            assert!(location.ends_with(&routed.header("location")), "{path}");
        }
        // The front adds the handset's headers to whatever it answers.
        assert_eq!(
            front.header("content-security-policy"),
            garake::web::headers::HANDSET_CSP,
            "{path}"
        );
        compared += 1;
    }
    assert_eq!(compared, 14);
    // An unknown session is sent to power on, the same both ways.
    let lost = app
        .get("/s/00000000000000000000000000000000/g/cp/", P501I)
        .await;
    assert_eq!(lost.status, StatusCode::SEE_OTHER);
}

// ---- the page as the browser reads it

/// Every URL a browser would follow or load from `page` (attributes and a
/// refresh's content) that leads neither into session `sid`'s gateway nor
/// to garake's "not configured" page. Read with lol_html, as a browser
/// tokenizes it.
fn off_gateway_urls(page: &str, sid: &str) -> Vec<String> {
    use lol_html::{element, HtmlRewriter, Settings};
    let mut urls = Vec::new();
    {
        let mut rewriter = HtmlRewriter::new(
            Settings {
                element_content_handlers: vec![element!("*", |el| {
                    for a in el.attributes() {
                        let name = a.name();
                        if ["href", "src", "action", "background", "data", "srcdoc"]
                            .contains(&name.as_str())
                        {
                            urls.push(a.value());
                        }
                    }
                    if el.tag_name() == "meta" {
                        if let Some(content) = el.get_attribute("content") {
                            if let Some((_, url)) = content.split_once("URL=") {
                                urls.push(url.to_string());
                            }
                        }
                    }
                    Ok(())
                })],
                ..Settings::new()
            },
            |_: &[u8]| {},
        );
        rewriter.write(page.as_bytes()).unwrap();
        rewriter.end().unwrap();
    }
    let inside = [format!("/s/{sid}/g/cp/"), format!("/s/{sid}/url?url=")];
    urls.into_iter()
        .filter(|u| !inside.iter().any(|p| u.starts_with(p.as_str())))
        .collect()
}

/// Whether `bytes` start with a UTF-8, UTF-16LE or UTF-16BE byte-order mark.
fn starts_with_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xef\xbb\xbf")
        || bytes.starts_with(b"\xff\xfe")
        || bytes.starts_with(b"\xfe\xff")
}

#[tokio::test]
async fn a_page_with_a_byte_order_mark_is_read_by_the_mark_whatever_its_charset_says() {
    let (app, _, _menus) = setup().await;
    for ua in [P501I, PC] {
        let handset = app.handset(TARO, ua).await;
        let sid = &handset.sid;
        for kind in ["utf-16le", "utf-16be", "utf-8"] {
            let page = handset.get(&format!("/s/{sid}/g/cp/bom/{kind}")).await;
            let what = format!("{kind} as {ua}");
            assert_eq!(page.status, StatusCode::OK, "{what}: {}", page.text);
            let charset = if ua == PC { "UTF-8" } else { "Shift_JIS" };
            assert_eq!(
                page.header("content-type"),
                format!("text/html; charset={charset}"),
                "{what}"
            );
            assert!(
                !starts_with_bom(&page.bytes),
                "{what}: {:02x?}",
                &page.bytes[..4]
            );
            assert!(!page.bytes.contains(&0), "{what}: no UTF-16 left");
            assert!(page.text.contains("天気予報"), "{what}: {}", page.text);
            for gone in [
                "<script",
                "<base",
                "referrer",
                "unsafe-url",
                "http://",
                "//evil",
            ] {
                assert!(!page.text.contains(gone), "{what}: {gone} in {}", page.text);
            }
            assert_eq!(
                off_gateway_urls(&page.text, sid),
                Vec::<String>::new(),
                "{what}"
            );
            assert!(
                page.text
                    .contains(&format!("href=\"/s/{sid}/g/cp/next.html\""))
                    && page
                        .text
                        .contains(&format!("href=\"/s/{sid}/g/cp/bom/rel.html\"")),
                "{what}: {}",
                page.text
            );
            let removed = page.header("x-garake-removed");
            assert!(
                ["script=1", "base=1", "meta referrer=1"]
                    .iter()
                    .all(|r| removed.contains(r)),
                "{what}: {removed}"
            );
        }
    }
}

#[tokio::test]
async fn a_mark_the_sanitizer_uncovers_is_not_read_as_one() {
    let (app, _, _menus) = setup().await;
    for ua in [P501I, PC] {
        let handset = app.handset(TARO, ua).await;
        let sid = &handset.sid;
        let page = handset.get(&format!("/s/{sid}/g/cp/uncovered")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(!starts_with_bom(&page.bytes), "{ua}: {:02x?}", page.bytes);
        // Read as a browser reads it, by any mark at its start.
        let (read, _) = encoding_rs::SHIFT_JIS.decode_with_bom_removal(&page.bytes);
        assert!(!read.contains("<script"), "{ua}: {read}");
        assert!(!page.text.contains("<script"), "{ua}: {}", page.text);
        let page = handset.get(&format!("/s/{sid}/g/cp/uncovered8")).await;
        assert!(!starts_with_bom(&page.bytes), "{ua}: {:02x?}", page.bytes);
        assert!(page.text.contains("after the mark"), "{ua}: {}", page.text);
    }
}

#[tokio::test]
async fn a_content_type_that_is_not_exactly_one_media_type_is_refused() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    let sid = &handset.sid;
    let mut paths: Vec<String> = (0..NOT_ONE_TYPE.len())
        .map(|n| format!("/s/{sid}/g/cp/typed/{n}"))
        .collect();
    paths.push(format!("/s/{sid}/g/cp/twotypes"));
    for path in &paths {
        let page = handset.get(path).await;
        assert_eq!(
            page.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{path}: {}",
            page.text
        );
        assert!(
            page.text
                .contains("この種類のデータは携帯電話では表示できません。"),
            "{path}: {}",
            page.text
        );
        assert!(!page.text.contains("steal"), "{path}");
        assert_eq!(
            page.header("content-type"),
            "text/html; charset=Shift_JIS",
            "{path}"
        );
    }
}

#[tokio::test]
async fn text_and_images_go_with_a_content_type_garake_chose() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset(TARO, "DoCoMo/2.0 P903i(c100;TB;W24H12)").await;
    let sid = &handset.sid;
    let path = |tail: &str| format!("/s/{sid}/g/cp/{tail}");
    let notes = handset.get(&path("notes.txt")).await;
    assert_eq!(notes.status, StatusCode::OK);
    assert_eq!(notes.header("content-type"), "text/plain; charset=EUC-JP");
    assert_eq!(
        notes.bytes,
        encoding_rs::EUC_JP
            .encode("天気 <b>not markup</b>")
            .0
            .to_vec(),
        "the text itself is passed as it is"
    );
    let plain = handset.get(&path("plain.txt")).await;
    assert_eq!(
        plain.header("content-type"),
        "text/plain; charset=Shift_JIS"
    );
    assert_eq!(plain.text, "plain <b>text</b>");
    // A mark names the text's charset, as the browser will read it.
    let bom = handset.get(&path("bom.txt")).await;
    assert_eq!(bom.header("content-type"), "text/plain; charset=UTF-16LE");
    let gif = handset.get(&path("upper.gif")).await;
    assert_eq!(
        (gif.status, gif.header("content-type")),
        (StatusCode::OK, "image/gif")
    );
    for r in [&notes, &plain, &bom, &gif] {
        assert_eq!(r.headers.get_all("content-type").iter().count(), 1);
        assert_eq!(r.header("x-content-type-options"), "nosniff");
    }
}

#[tokio::test]
async fn frames_srcdoc_referrer_policies_and_loose_refreshes_are_removed() {
    let (app, _, _menus) = setup().await;
    let handset = app.handset(TARO, P501I).await;
    let sid = &handset.sid;
    let page = handset.get(&format!("/s/{sid}/g/cp/frames")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for gone in [
        "iframe",
        "IFRAME",
        "<frame",
        "<FRAME",
        "frameset",
        "srcdoc",
        "SrcDoc",
        "eferr",
        "steal",
        "evil.example",
        "inner",
    ] {
        assert!(!page.text.contains(gone), "{gone} in {}", page.text);
    }
    for kept in ["before", "<div>div</div>", "<p>after</p>"] {
        assert!(page.text.contains(kept), "{kept} in {}", page.text);
    }
    // The one refresh of the strict form is rewritten into the gateway; a
    // refresh with no URL stays; the loose ones are gone.
    assert!(
        page.text
            .contains(&format!("content=\"5;URL=/s/{sid}/g/cp/next.html\"")),
        "{}",
        page.text
    );
    assert!(page.text.contains("content=\"10\""), "{}", page.text);
    assert_eq!(page.text.matches("http-equiv").count(), 2, "{}", page.text);
    assert_eq!(off_gateway_urls(&page.text, sid), Vec::<String>::new());
    let removed = page.header("x-garake-removed");
    for want in [
        "frame=4",
        "srcdoc=1",
        "meta referrer=2",
        "malformed refresh=2",
    ] {
        assert!(removed.contains(want), "{want} in {removed}");
    }
}

/// Inside a world, the gateway writes every link with the world's prefix,
/// whatever quotes the provider used, and its redirects stay in the world.
#[tokio::test]
async fn a_world_s_gateway_links_stay_in_the_world() {
    let (app, base, _menus) = setup().await;
    let world = app.new_world("{}").await;
    let handset = world.handset(TARO, P501I).await;
    let inside = format!("{}/s/{}/", world.prefix, handset.sid);
    for path in ["echo", "hostile", "go"] {
        let page = handset
            .get(&format!("/s/{}/g/cp/{path}", handset.sid))
            .await;
        if path == "go" {
            // The provider's redirect, into the world's gateway path.
            assert!(page.status.is_redirection(), "{}", page.text);
            assert!(page.location().starts_with(&inside), "{}", page.location());
            continue;
        }
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        let mut links = 0;
        for attr in ["href=", "action=", "src="] {
            for value in page.text.split(attr).skip(1) {
                let value = value.trim_start_matches(['"', '\'']);
                if value.starts_with('/') {
                    links += 1;
                    assert!(value.starts_with(&inside), "{path}: {attr}{value}");
                }
            }
        }
        assert!(links > 0, "{path}: {}", page.text);
        assert!(!page.text.contains(&base), "no link leaves the gateway");
    }
    // The same session id is unknown to the default world's gateway.
    let outside = app
        .get(&format!("/s/{}/g/cp/echo", handset.sid), P501I)
        .await;
    assert_eq!(outside.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn handsets_fetching_the_same_page_each_get_it_with_links_into_their_own_session() {
    let (app, _base, menus) = setup().await;
    let world = app.new_world("{}").await;
    let taro = app.handset(TARO, P501I).await;
    let hanako = app.handset(HANAKO, P501I).await;
    let in_world = world.handset(TARO, P501I).await;
    // The same server with no rewritten pages kept: each page made anew.
    let path = menus.path().to_path_buf();
    let uncached = TestApp::with(move |c| {
        c.menus = Some(path);
        c.limits.gateway_cache_mib = 0;
    })
    .await;
    let fresh = uncached.handset(TARO, P501I).await;
    let sessions = [
        (&taro, format!("/s/{}", taro.sid)),
        (&hanako, format!("/s/{}", hanako.sid)),
        (&in_world, format!("{}/s/{}", world.prefix, in_world.sid)),
        (&taro, format!("/s/{}", taro.sid)),
        (&fresh, format!("/s/{}", fresh.sid)),
    ];
    let mut seen = Vec::new();
    for (handset, session) in &sessions {
        let page = handset
            .get(&format!("/s/{}/g/cp/hostile", handset.sid))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for link in ["/g/cp/unquoted.html", "/u/cp/serial", "/url?url=http"] {
            assert!(
                page.text.contains(&format!("href=\"{session}{link}")),
                "{session}{link}: {}",
                page.text
            );
        }
        for (other, other_session) in &sessions {
            if other.sid != handset.sid {
                assert!(
                    !page.text.contains(&other.sid),
                    "{session} sees {other_session}"
                );
            }
        }
        assert!(!page.text.contains("garake-session"), "{}", page.text);
        // Apart from the session path, every handset's page is the same.
        let removed = page.header("x-garake-removed").to_string();
        assert!(removed.contains("script=1"), "{removed}");
        seen.push((page.text.replace(session.as_str(), "SESSION"), removed));
    }
    assert!(seen.iter().all(|p| *p == seen[0]), "{seen:#?}");
}
