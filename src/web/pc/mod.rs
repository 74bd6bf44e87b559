//! The PC sites: My docomo (a reset route), the docomo Shop counter (a
//! reset route for staff) and the partner sites.

pub mod mydocomo;
pub mod partner;
pub mod shop;

use axum::Router;

/// Every PC site's route.
pub fn routes() -> Router {
    Router::new()
        .merge(mydocomo::routes())
        .merge(shop::routes())
        .merge(partner::routes())
}
