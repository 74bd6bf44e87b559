//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the QA API (and of
//! `/metrics`), generated from the handlers themselves. Each handler carries
//! `#[utoipa::path]` and is mounted with utoipa-axum's `routes!`, so the
//! router and the document are built together from one list (`router`): a
//! route cannot be served without being described. Request and response
//! bodies derive `ToSchema`; the query and path parameters are described by
//! the same values that read them (`IntParam`, `MsisdnPath`); every error is
//! an `ApiError`, as `web::errors` writes it.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use axum::Router;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, Required};
use utoipa::{IntoParams, OpenApi as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::handset::FormData;
use crate::web::qa::api;
use crate::web::qa::auth::Admin;
use crate::web::state::AppState;

/// The body of every error answer of `/api` and `/metrics`.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    /// What went wrong, for a person (empty for an internal error).
    pub error: String,
}

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
            api::router().merge(crate::web::qa::worlds::router()),
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

/// An error answer: `ApiError` JSON, with headers.
pub fn error(description: &str, headers: &[(&str, &str)]) -> utoipa::openapi::Response {
    let mut answer = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ApiError")))
            .build(),
    );
    for (name, what) in headers {
        answer = answer.header(
            *name,
            utoipa::openapi::HeaderBuilder::new()
                .schema(
                    ObjectBuilder::new()
                        .schema_type(if *name == "Retry-After" {
                            Type::Integer
                        } else {
                            Type::String
                        })
                        .build(),
                )
                .description(Some(*what))
                .build(),
        );
    }
    answer.build()
}

const RETRY_AFTER: (&str, &str) = ("Retry-After", "Seconds to wait before trying again.");

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

/// The error answers of a route's own, as `#[utoipa::path]` lists them:
/// each type is one status.
macro_rules! answers {
    ($($name:ident => $status:literal, $description:expr, [$($header:expr),*];)*) => {
        $(
            pub struct $name;
            impl utoipa::IntoResponses for $name {
                fn responses() -> BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
                    BTreeMap::from([($status.to_string(), error($description, &[$($header),*]).into())])
                }
            }
        )*
    };
}

answers! {
    BadQuery => "400", "A query parameter is not valid (`error` names it).", [];
    BadMsisdn => "400", "`msisdn` is not a phone number.", [];
    BadId => "400", "`id` is not an outbox id.", [];
    BadBody => "400", "The body is not JSON of the schema (a field missing, unknown or not valid; `error` names it), or is not sent as `application/json`.", [];
    NoLine => "404", "No line has that number.", [];
    NoMessage => "404", "No outbox message has that id.", [];
    WaitedTooLong => "408", "Nothing matching came within `timeout` (the connection stays usable).", [];
    WaitsFull => "503", "Too many waits open (`--max-waits`), or the server is shutting down.", [RETRY_AFTER];
    StreamsFull => "503", "Too many event streams open (`--max-event-streams`).", [RETRY_AFTER];
    Argon2Busy => "503", "Every password-hashing slot stayed busy.", [RETRY_AFTER, ("Connection", "`close`.")];
}

/// An integer query parameter within bounds: the handler reads it with
/// `read` and the document describes it with `parameter`, from these values.
pub struct IntParam {
    pub name: &'static str,
    pub description: &'static str,
    pub default: i64,
    pub min: i64,
    pub max: i64,
}

impl IntParam {
    /// The value in the query, or the default; a 400 naming the parameter
    /// for anything but a whole number from `min` to `max`.
    pub fn read(&self, query: &FormData) -> Result<i64, AppError> {
        let (name, min, max) = (self.name, self.min, self.max);
        match query.get(name)? {
            None => Ok(self.default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    AppError::BadRequest(format!("`{name}` must be a number from {min} to {max}"))
                }),
        }
    }

    pub fn parameter(&self) -> Parameter {
        let schema = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(self.min))
            .maximum(Some(self.max))
            .default(Some(self.default.into()));
        ParameterBuilder::new()
            .name(self.name)
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(self.description))
            .schema(Some(schema))
            .build()
    }
}

/// A text query parameter (any string).
pub fn text_param(name: &str, description: &str) -> Parameter {
    text_param_with(
        name,
        description,
        ObjectBuilder::new().schema_type(Type::String),
    )
}

pub fn text_param_with(name: &str, description: &str, schema: ObjectBuilder) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// The `{msisdn}` of a path, as `api::parse_msisdn` reads it.
pub struct MsisdnPath;

impl IntoParams for MsisdnPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![ParameterBuilder::new()
            .name("msisdn")
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some(
                "The line's number: 11 digits starting 070, 080 or 090 (hyphens and spaces allowed), e.g. 090-1234-0001.",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(crate::domain::patterns::MSISDN))
                    .examples(["09012340001"]),
            ))
            .build()]
    }
}

/// The `{id}` of an outbox path, as `api::outbox_id` reads it.
pub struct OutboxIdPath;

impl IntoParams for OutboxIdPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![ParameterBuilder::new()
            .name("id")
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some("The outbox message's id."))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Int64,
                    )))
                    .examples([1]),
            ))
            .build()]
    }
}
