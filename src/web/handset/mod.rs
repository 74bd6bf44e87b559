//! The pages a handset browses: power-on, iMenu, the settings and the
//! protected actions, mail, sites and My Menu, the online procedure.

pub mod imenu;
pub mod mail;
pub mod power_on;
pub mod procedures;
pub mod protected;
pub mod settings;
pub mod sites;

use axum::routing::get;
use axum::Router;

/// Every handset route.
pub fn routes() -> Router {
    Router::new()
        .route("/", get(power_on::page))
        .route("/on/{msisdn}", get(power_on::start))
        .route(
            crate::views::power_on::STYLESHEET_PATH,
            get(power_on::stylesheet),
        )
        .route("/s/{sid}/m/{node}", get(imenu::node))
        .merge(settings::routes())
        .merge(procedures::routes())
        .merge(sites::routes())
        .merge(mail::routes())
        .merge(protected::routes())
}
