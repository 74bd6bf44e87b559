//! The admin token: the QA API's extractor and the one check both the API
//! and the console make (with its throttle and audit).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::error::AppError;
use crate::web::state::{AppState, ClientAddr};

/// Checks an admin token together with its throttle, in one transaction. A
/// request without a token guesses nothing: 401, nothing counted or
/// written. A client address with too many wrong tokens this minute gets 429
/// whatever it sends, counted in the minute's `throttled` summary of
/// `admin_login`, never a row of its own; every wrong token is counted and
/// audited (`admin_login`, `wrong_token`). `via` names the door (`api`,
/// `console`).
///
/// The server's token opens every world; a world's own token opens that
/// world only (another world, or the default one, answers it 401).
pub async fn check_admin_token(
    state: &AppState,
    given: &str,
    client: &ClientAddr,
    via: &'static str,
) -> Result<(), AppError> {
    check_admin_token_or(state, given, client, via, |_| false).await
}

/// `check_admin_token` that also takes what `also` accepts (a world's own
/// token where the default world's API deletes that world).
pub async fn check_admin_token_or(
    state: &AppState,
    given: &str,
    client: &ClientAddr,
    via: &'static str,
    also: impl FnOnce(&str) -> bool,
) -> Result<(), AppError> {
    use crate::services::logins::{admin_token, Token};
    if given.is_empty() {
        return Err(AppError::Unauthorized);
    }
    let server = crate::random::constant_time_eq(given.as_bytes(), state.admin_token.as_bytes());
    let own = state
        .place
        .id
        .as_deref()
        .and_then(|id| state.worlds.get(id))
        .is_some_and(|world| world.token_matches(given));
    let right = server || own || also(given);
    let source = client.name();
    let who = format!("{via}:{source}");
    let policy = state.limits.admin_guesses();
    match admin_token(&state.services(), right, &source, who, policy).await? {
        Token::Right => Ok(()),
        Token::Wrong => Err(AppError::Unauthorized),
        Token::Throttled(wait) => {
            state.metrics.limit_hit(crate::metrics::Limit::RateLimited);
            Err(AppError::TooMany(wait))
        }
    }
}

/// The token of an `Authorization: Bearer …` header, or `""`.
pub fn bearer(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_string()
}

/// Proof that the request carried `Authorization: Bearer <admin token>`.
pub struct Admin;

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Admin, AppError> {
        let state = &AppState::from_request_parts(parts, s).await?;
        let given = bearer(&parts.headers);
        let client = match ClientAddr::from_request_parts(parts, s).await {
            Ok(c) => c,
            Err(never) => match never {},
        };
        check_admin_token(state, &given, &client, "api").await?;
        Ok(Admin)
    }
}
