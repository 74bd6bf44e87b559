//! In-process cost of one iMenu request (run by hand: `cargo bench --bench handler`).
//!
//! The load benchmark measures whole servers over TCP; this one calls the
//! router directly, without sockets, so the application's own share of a
//! request shows: garake's full router on the iMenu path against an axum
//! router with one route answering a fixed body of the same size.

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

const UA: &str = "DoCoMo/1.0/P501i";

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = garake::Config::for_db(dir.path().join("b.db").to_str().expect("utf-8"));
        config.admin_token = Some("handler-bench-admin-token".into());
        let state = tokio::task::spawn_blocking(move || garake::build(&config).expect("build"))
            .await
            .expect("join");
        let app = garake::app(state);
        let on = app
            .clone()
            .oneshot(
                Request::get("/on/09012340001")
                    .header("user-agent", UA)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        let path = on.headers()["location"].to_str().expect("ascii").to_string();
        let size = fetch(&app, &path).await;
        let body = axum::body::Bytes::from(vec![b'x'; size]);
        let bare = axum::Router::new().route(
            "/",
            axum::routing::get(move || {
                let body = body.clone();
                async move { ([("content-type", "text/html; charset=Shift_JIS")], body) }
            }),
        );
        let n = std::env::var("BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200_000u32);
        for round in 1..=3 {
            let t = Instant::now();
            for _ in 0..n {
                fetch(&bare, "/").await;
            }
            let b = t.elapsed().as_secs_f64() * 1e9 / f64::from(n);
            let t = Instant::now();
            for _ in 0..n {
                fetch(&app, &path).await;
            }
            let g = t.elapsed().as_secs_f64() * 1e9 / f64::from(n);
            println!("round {round}: one-route axum {b:.0} ns/request, garake iMenu {g:.0} ns/request ({size} bytes)");
        }
    });
}

async fn fetch<S>(app: &S, path: &str) -> usize
where
    S: tower::Service<
            Request<Body>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone,
{
    let resp = app
        .clone()
        .oneshot(
            Request::get(path)
                .header("user-agent", UA)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .len()
}
