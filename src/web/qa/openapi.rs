//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the QA API (and of
//! `/metrics`), generated from the handlers themselves. Each handler carries
//! `#[utoipa::path]` and is mounted with utoipa-axum's `routes!`, so the
//! router and the document are built together from one list (`router`): a
//! route cannot be served without being described. Request and response
//! bodies derive `ToSchema`; the query and path parameters are described by
//! the same values that read them (`IntParam`, `MsisdnPath`); every error is
//! an `ApiError`, as `web::errors` writes it.

use axum::response::{IntoResponse, Response};
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::qa::api;
use crate::web::qa::auth::Admin;
use crate::web::qa::schema::{error, ApiError, RETRY_AFTER};
use crate::web::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "garake QA API",
        description = "Lines, mail, the outbox, the audit log, the simulated clock and events of a garake server. Every route needs `Authorization: Bearer <admin token>`. Every error answers `ApiError` JSON.",
    ),
    components(schemas(ApiError)),
    security(("admin" = [])),
    modifiers(&Common),
)]
struct Doc;

/// The QA API's routes (under `/api`) and `/metrics`, with their document.
fn documented() -> OpenApiRouter {
    OpenApiRouter::with_openapi(Doc::openapi())
        .nest(
            "/api",
            api::router()
                .merge(crate::web::qa::worlds::router())
                .routes(routes!(serve)),
        )
        .routes(routes!(api::metrics))
}

/// The routes, for the application's router.
pub fn router() -> Router {
    documented().split_for_parts().0
}

/// The document (built once: it never changes while the server runs).
pub fn document() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = documented().split_for_parts().1;
        every_operation(&mut doc);
        cross_field_rules(&mut doc);
        serde_json::to_value(&doc).expect("the document is JSON")
    })
}

/// This description.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document.", content_type = "application/json", body = Object)))]
pub async fn serve(_: Admin, _state: AppState) -> Response {
    axum::Json(document()).into_response()
}

/// The admin token's scheme, and the request-wide pieces of the document.
struct Common;

impl utoipa::Modify for Common {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The admin token (`--admin-token`)."))
                    .build(),
            ),
        );
        doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    }
}

/// The rules across a body's fields, which no field's schema can say:
/// added to the derived schema as `allOf`.
fn cross_field_rules(doc: &mut OpenApi) {
    use utoipa::openapi::{schema::Schema, RefOr};
    let schemas = &mut doc.components.get_or_insert_with(Default::default).schemas;
    let Some(RefOr::T(Schema::Object(new_line))) = schemas.get_mut("NewLine") else {
        panic!("the NewLine schema is an object");
    };
    new_line
        .extensions
        .get_or_insert_with(Default::default)
        .insert("allOf".into(), crate::services::lines::schema::pairs());
}

/// The answers every route can give whatever it does, added to each
/// operation (a route's own description of a status is kept): the admin
/// token's (401, 429), the body limit's (413, and 400 for a `Content-Length`
/// that is not a number: checked before any route) and an internal error
/// (500); and for a route that reads a body, 408 when it comes too slowly.
fn every_operation(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let reads_body = op.request_body.is_some();
            let answers = &mut op.responses.responses;
            let mut add = |status: &str, answer: utoipa::openapi::Response| {
                answers.entry(status.to_string()).or_insert(answer.into());
            };
            add(
                "401",
                error(
                    "The admin token is missing or wrong.",
                    &[("WWW-Authenticate", "`Bearer`.")],
                ),
            );
            add(
                "429",
                error(
                    "Too many wrong admin tokens from this address this minute: refused whatever the token (a request without one is not counted).",
                    &[RETRY_AFTER],
                ),
            );
            add(
                "400",
                error("The `Content-Length` header is not a number.", &[]),
            );
            add(
                "413",
                error(
                    &format!(
                        "The body is over {} bytes (refused by its `Content-Length` before it is read).",
                        crate::limits::BODY_LIMIT
                    ),
                    &[],
                ),
            );
            add(
                "500",
                error("An internal error (logged by the server).", &[]),
            );
            if reads_body {
                add(
                    "408",
                    error(
                        "The body did not arrive in time (`--body-timeout`); the connection is closed.",
                        &[("Connection", "`close`.")],
                    ),
                );
            }
        }
    }
}
