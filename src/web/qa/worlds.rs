//! The QA API's worlds: `POST /api/worlds` makes one, `GET /api/worlds`
//! lists them, `DELETE /api/worlds/{id}` deletes one. Only the default
//! world has these routes (a world cannot make worlds); the server's admin
//! token opens them, and a world's own token may delete that world.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::{rfc3339, Clock};
use crate::error::AppError;
use crate::web::qa::auth::{check_admin_token_or, Admin};
use crate::web::qa::schema::ApiError;
use crate::web::state::WorldEntry;
use crate::web::state::{AppState, ClientAddr};
use crate::web::worlds::{Fixtures, NewWorld};

/// The API's routes (below `/api`), each with its description.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(remove))
}

/// The power-on page's private demo form.
pub fn demo_routes() -> Router {
    Router::new().route(
        crate::views::power_on::DEMO_PATH,
        axum::routing::post(start_demo),
    )
}

/// `POST /demo`: anyone may make a world with the demo fixtures, a few an
/// hour from one address (`--public-worlds-per-hour`, then 429); the answer
/// is a 303 to its power-on page, which shows its token once.
async fn start_demo(state: AppState, client: ClientAddr) -> Result<Response, AppError> {
    if !state.is_default() || !state.public_worlds {
        return Err(AppError::NotFound);
    }
    // A server at its cap refuses before the visitor's hour is counted.
    // (`create` checks the cap again, as it makes the world.)
    if state.worlds.len() >= state.worlds.max() {
        return Err(AppError::TooManyWorlds(state.worlds.max()));
    }
    let key = crate::store::throttle::key("private_demo", &client.name());
    let policy = crate::store::throttle::Policy::Window {
        limit: state.limits.public_worlds_per_hour,
        window: 3600,
    };
    let now = state.clock.now();
    let reserved = state
        .db
        .call(move |c| Ok(crate::store::throttle::reserve(c, &key, policy, now)?))
        .await?;
    if let crate::store::throttle::Reserved::Wait(wait) = reserved {
        state.metrics.limit_hit(crate::metrics::Limit::RateLimited);
        return Err(AppError::TooMany(wait));
    }
    let new = NewWorld {
        fixtures: Fixtures::Demo,
        ttl_secs: crate::limits::WORLD_TTL_MINUTES * 60,
        clock: None,
        public: true,
    };
    let made = state.server().create_world(new).await?;
    let to = format!("{}/", made.entry.place.base);
    Ok(axum::response::Redirect::to(&to).into_response())
}

/// The body of `POST /api/worlds`, every field optional.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorldRequest {
    /// `demo`: the demo lines, staff and partner members; `empty`: no lines.
    #[schema(value_type = Option<Fixtures>)]
    pub fixtures: Option<String>,
    /// Minutes the world lives after its last request (default 120).
    #[serde(default, deserialize_with = "optional_whole_number")]
    #[schema(minimum = 1, maximum = 1440)]
    pub ttl_minutes: Option<i64>,
    /// Where the world's simulated clock starts (RFC 3339; default now).
    #[schema(format = DateTime)]
    pub clock: Option<String>,
}

/// An optional whole number, `30` and `30.0` alike (as JSON Schema's
/// `integer` counts them).
fn optional_whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "crate::web::qa::schema::whole_number")] i64);
    Ok(Option::<Whole>::deserialize(d)?.map(|w| w.0))
}

/// A world as the API lists it (never its token).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorldInfo {
    pub id: String,
    pub url: String,
    pub fixtures: Fixtures,
    pub created: String,
    pub last_used: String,
    pub expires_at: String,
    /// Made from the power-on page's private demo form.
    pub public: bool,
}

/// What `POST /api/worlds` answers: the world and, once, its token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MadeWorld {
    pub id: String,
    pub token: String,
    pub url: String,
    pub expires_at: String,
    pub fixtures: Fixtures,
}

/// Reads and checks a new world's request; a bad field is a 400 naming it.
pub fn read_request(body: &[u8]) -> Result<NewWorld, AppError> {
    // No body, and a JSON `null`, are the empty request.
    let request: NewWorldRequest = if body.iter().all(u8::is_ascii_whitespace) {
        NewWorldRequest::default()
    } else {
        serde_json::from_slice::<Option<NewWorldRequest>>(body)
            .map_err(|e| AppError::BadRequest(format!("the body is not a world's request: {e}")))?
            .unwrap_or_default()
    };
    let fixtures = match request.fixtures.as_deref() {
        None | Some("demo") => Fixtures::Demo,
        Some("empty") => Fixtures::Empty,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "`fixtures` must be \"demo\" or \"empty\", not {other:?}"
            )))
        }
    };
    let max = crate::limits::MAX_WORLD_TTL_MINUTES;
    let ttl = request
        .ttl_minutes
        .unwrap_or(crate::limits::WORLD_TTL_MINUTES);
    if !(1..=max).contains(&ttl) {
        return Err(AppError::BadRequest(format!(
            "`ttl_minutes` must be from 1 to {max}"
        )));
    }
    let clock = request
        .clock
        .as_deref()
        .map(Clock::starting_at)
        .transpose()
        .map_err(AppError::BadRequest)?;
    Ok(NewWorld {
        fixtures,
        ttl_secs: ttl * 60,
        clock,
        public: false,
    })
}

/// The absolute URL of a world's power-on page, on the host the request named.
pub fn world_url(state: &AppState, headers: &HeaderMap, entry: &WorldEntry) -> String {
    let origin = crate::web::headers::origin(headers.get(header::HOST), &state.public_url);
    format!("{origin}{}/", entry.place.base)
}

fn info(state: &AppState, headers: &HeaderMap, entry: &WorldEntry) -> WorldInfo {
    WorldInfo {
        id: entry.id().to_string(),
        url: world_url(state, headers, entry),
        fixtures: entry.fixtures,
        created: rfc3339(entry.created),
        last_used: rfc3339(entry.last_used()),
        expires_at: rfc3339(entry.expires_at()),
        public: entry.public,
    }
}

/// Only the default world makes and lists worlds.
fn in_default(state: &AppState) -> Result<(), AppError> {
    if state.is_default() {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// The list of worlds.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorldList {
    pub worlds: Vec<WorldInfo>,
    /// The most worlds the server holds (`--max-worlds`).
    pub max: usize,
}

/// `POST /api/worlds` → 201 {id, token, url, expires_at, fixtures}.
#[utoipa::path(post, path = "/worlds", tag = "worlds", request_body(content = Option<NewWorldRequest>, description = "Every field optional; no body is `{}`."), responses(
    (status = 201, description = "The world, and its own admin token (shown only here).", body = MadeWorld),
    (status = 400, description = "The body is not JSON of the schema: a field is unknown, or `fixtures`, `ttl_minutes` or `clock` is not a valid value (the message names it); nothing was made.", body = ApiError),
    (status = 404, description = "Asked inside a world: only the server makes worlds.", body = ApiError),
    (status = 503, description = "The server holds its most worlds (`--max-worlds`); none is deleted to make room.", body = ApiError,
        headers(("Retry-After" = i64, description = "Seconds to wait."))),
))]
async fn create(
    _: Admin,
    state: AppState,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    in_default(&state)?;
    let new = read_request(&body)?;
    let made = state.server().create_world(new).await?;
    let entry = &made.entry;
    let answer = MadeWorld {
        id: entry.id().to_string(),
        token: made.token,
        url: world_url(&state, &headers, entry),
        expires_at: rfc3339(entry.expires_at()),
        fixtures: entry.fixtures,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `GET /api/worlds` → {worlds: [...], max}: oldest first, never a token.
#[utoipa::path(get, path = "/worlds", tag = "worlds", responses(
    (status = 200, description = "Every world, oldest first.", body = WorldList),
    (status = 404, description = "Asked inside a world.", body = ApiError),
))]
async fn list(_: Admin, state: AppState, headers: HeaderMap) -> Result<Json<WorldList>, AppError> {
    in_default(&state)?;
    let worlds: Vec<WorldInfo> = state
        .worlds
        .list()
        .iter()
        .map(|e| info(&state, &headers, e))
        .collect();
    Ok(Json(WorldList {
        worlds,
        max: state.worlds.max(),
    }))
}

/// `DELETE /api/worlds/{id}` → 204, with the server's token or that
/// world's own; an unknown world is 404.
#[utoipa::path(delete, path = "/worlds/{id}", tag = "worlds",
    params(("id" = String, Path, description = "The world's id.", pattern = "^[a-z0-9]+$")),
    responses(
    (status = 204, description = "Deleted, with its data."),
    (status = 404, description = "No such world (or asked inside a world).", body = ApiError),
))]
async fn remove(
    state: AppState,
    Path(id): Path<String>,
    mut parts: axum::http::request::Parts,
) -> Result<Response, AppError> {
    in_default(&state)?;
    let client = match ClientAddr::from_request_parts(&mut parts, &()).await {
        Ok(c) => c,
        Err(never) => match never {},
    };
    let given = crate::web::qa::auth::bearer(&parts.headers);
    let entry = state.worlds.get(&id);
    check_admin_token_or(&state, &given, &client, "api", |token| {
        entry.as_ref().is_some_and(|e| e.token_matches(token))
    })
    .await?;
    if entry.is_none() || !state.worlds.delete(&id).await? {
        return Err(AppError::NotFoundMsg(format!("no world `{id}`")));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_body_null_and_an_empty_object_are_the_same_request() {
        for body in ["", "  ", "null", "{}", r#"{"ttl_minutes":null}"#] {
            let new = read_request(body.as_bytes()).unwrap();
            assert_eq!(new.fixtures, Fixtures::Demo, "{body:?}");
            assert_eq!(new.ttl_secs, crate::limits::WORLD_TTL_MINUTES * 60);
            assert!(new.clock.is_none());
        }
    }

    #[test]
    fn a_whole_number_may_be_written_with_a_fraction() {
        let new = read_request(br#"{"ttl_minutes": 30.0}"#).unwrap();
        assert_eq!(new.ttl_secs, 1800);
        assert!(read_request(br#"{"ttl_minutes": 30.5}"#).is_err());
    }

    #[test]
    fn each_bad_field_is_named() {
        for (body, name) in [
            (r#"{"fixtures":"full"}"#, "fixtures"),
            (r#"{"ttl_minutes":0}"#, "ttl_minutes"),
            (r#"{"clock":"soon"}"#, "clock"),
            (r#"{"x":1}"#, "x"),
            ("[]", "request"),
        ] {
            match read_request(body.as_bytes()) {
                Err(AppError::BadRequest(m)) => assert!(m.contains(name), "{body}: {m}"),
                other => panic!("{body}: {:?}", other.map(|_| ())),
            }
        }
    }
}
