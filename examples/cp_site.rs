//! A sample content-provider site to put behind garake's gateway.
//!
//! ```sh
//! cargo run --example cp_site -- 127.0.0.1:9000 cp-demo
//! ```
//! then add to menus/sites.toml a fee-based `[[site]]` with `id = "cp-demo"` and
//! `upstream = "http://127.0.0.1:9000/"` (and a node opening it). The site shows
//! every header and parameter it received, and uses `guid=ON`,
//! `uid=NULLGWDOCOMO`, a `utn` link and the official-site registration form.

use axum::extract::RawQuery;
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use axum::Router;

fn page(title: &str, body: String) -> Html<String> {
    Html(format!(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"><title>{title}</title></head>\
         <body>{title}<hr>{body}</body></html>"
    ))
}

/// What this request brought, as the provider sees it.
fn received(headers: &HeaderMap, query: &Option<String>) -> String {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(none)")
            .to_string()
    };
    format!(
        "User-Agent: {}<br>X-DCMGUID: {}<br>Cookie: {}<br>query: {}<br>",
        h("user-agent"),
        h("x-dcmguid"),
        h("cookie"),
        query.clone().unwrap_or_default()
    )
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9000".into());
    let site = args.next().unwrap_or_else(|| "cp-demo".into());
    let base = format!("http://{addr}/");
    let top = {
        let (site, base) = (site.clone(), base.clone());
        move |headers: HeaderMap, RawQuery(q): RawQuery| {
            let (site, base) = (site.clone(), base.clone());
            async move {
                page(
                    "CP demo",
                    format!(
                        "{}<hr>\
                         <a href=\"/?guid=ON\" accesskey=\"1\">[1]i-mode ID (guid=ON)</a><br>\
                         <a href=\"/?uid=NULLGWDOCOMO\" accesskey=\"2\">[2]user ID (uid=NULLGWDOCOMO)</a><br>\
                         <a href=\"/serial\" utn accesskey=\"3\">[3]serial number (utn)</a><br>\
                         <form action=\"http://docomo.ne.jp/cp/regst\" method=\"post\">\
                         <input type=\"hidden\" name=\"ci\" value=\"{site}\"><input type=\"hidden\" name=\"act\" value=\"reg\">\
                         <input type=\"hidden\" name=\"uid\" value=\"NULLGWDOCOMO\">\
                         <input type=\"hidden\" name=\"nl\" value=\"{base}?joined=1&amp;uid=NULLGWDOCOMO\">\
                         <input type=\"hidden\" name=\"rl\" value=\"{base}\">\
                         <input type=\"submit\" value=\"Subscribe\"></form>",
                        received(&headers, &q)
                    ),
                )
            }
        }
    };
    let app = Router::new().route("/", get(top)).route(
        "/serial",
        get(|headers: HeaderMap, RawQuery(q): RawQuery| async move {
            page("Serial", received(&headers, &q))
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .expect("cannot listen");
    println!("sample content provider on {base} (site id {site})");
    axum::serve(listener, app).await.expect("server error");
}
