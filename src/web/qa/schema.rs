//! The pieces the QA API's handlers describe themselves with, for the
//! OpenAPI document `openapi.rs` assembles: the `ApiError` body of every
//! error, the error answers a route lists, and the query and path
//! parameters described by the same values that read them.

use std::collections::BTreeMap;

use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, Required};
use utoipa::IntoParams;

use crate::error::AppError;
use crate::handset::FormData;

/// The body of every error answer of `/api` and `/metrics`.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    /// What went wrong, for a person (empty for an internal error).
    pub error: String,
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

pub const RETRY_AFTER: (&str, &str) = ("Retry-After", "Seconds to wait before trying again.");

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

/// A JSON number that is a whole number, as an `i64`: `60` and `60.0` alike,
/// as JSON Schema's `integer` counts them.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::{Deserialize, Error};
    let n = serde_json::Number::deserialize(d)?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    // i64::MAX as f64 is 2^63, one past the largest i64.
    const END: f64 = 9_223_372_036_854_775_808.0;
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && (-END..END).contains(&f) => Ok(f as i64),
        _ => Err(D::Error::custom(format!(
            "`{n}` is not a whole number from {} to {}",
            i64::MIN,
            i64::MAX
        ))),
    }
}
