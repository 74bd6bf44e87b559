//! What QA testers use: the JSON API (and its OpenAPI document), the admin
//! console, the emulator, and the admin token both check.

pub mod admin;
pub mod api;
pub mod auth;
pub mod emulator;
pub mod openapi;
pub mod worlds;

use axum::routing::get;
use axum::Router;

/// Every QA route.
pub fn routes() -> Router {
    Router::new()
        .merge(admin::routes())
        .merge(emulator::routes())
        .nest("/api", api::routes().merge(worlds::routes()))
        .route("/metrics", get(api::metrics))
        .merge(worlds::demo_routes())
}
