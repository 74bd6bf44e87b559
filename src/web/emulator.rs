//! The handset emulator for PC browsers: a phone-shaped shell (the only page with
//! script) around the real handset pages.

use axum::response::Html;
use axum::routing::get;
use axum::Router;

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/emulator", get(shell))
}

async fn shell() -> Html<&'static str> {
    Html(include_str!("emulator.html"))
}
