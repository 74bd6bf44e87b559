//! What QA testers use: the JSON API (and its OpenAPI document), the admin
//! console, the emulator, and the admin token both check.

pub mod admin;
pub mod api;
pub mod auth;
pub mod emulator;
pub mod openapi;

use axum::routing::get;
use axum::Router;

use crate::web::state::AppState;

/// Every QA route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(admin::routes())
        .merge(emulator::routes())
        .nest("/api", api::routes())
        .route("/metrics", get(api::metrics))
}
