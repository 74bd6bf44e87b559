//! A receiver for garake's webhook: prints each event it is sent, one line of
//! JSON each, and answers 204 so garake does not send it again.
//!
//! ```sh
//! cargo run --example webhook_sink -- 127.0.0.1:9000
//! ```
//! then start garake with `--webhook http://127.0.0.1:9000/garake-events`.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9000".into());
    // Any path: the webhook URL's path is the operator's choice.
    let app = Router::new().fallback(post(|body: Bytes| async move {
        println!("{}", String::from_utf8_lossy(&body));
        StatusCode::NO_CONTENT
    }));
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .expect("cannot listen");
    println!("webhook sink on http://{addr}/: each event it receives follows, one a line");
    axum::serve(listener, app).await.expect("server error");
}
