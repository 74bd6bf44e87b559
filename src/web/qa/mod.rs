//! What QA testers use: the JSON API (and its OpenAPI document), the admin
//! console, the emulator, the worlds, and the admin token they check.

pub mod admin;
pub mod api;
pub mod auth;
pub mod emulator;
pub mod openapi;
pub mod schema;
pub mod worlds;

use axum::Router;

/// Every QA route.
pub fn routes() -> Router {
    Router::new()
        .merge(admin::routes())
        .merge(emulator::routes())
        // `/api/…` and `/metrics`, with their OpenAPI document.
        .merge(openapi::router())
        .merge(worlds::demo_routes())
}
