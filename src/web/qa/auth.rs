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
pub async fn check_admin_token(
    state: &AppState,
    given: &str,
    client: &ClientAddr,
    via: &'static str,
) -> Result<(), AppError> {
    use crate::services::logins::{admin_token, Token};
    if given.is_empty() {
        return Err(AppError::Unauthorized);
    }
    let right = crate::random::constant_time_eq(given.as_bytes(), state.admin_token.as_bytes());
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

/// Proof that the request carried `Authorization: Bearer <admin token>`.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin, AppError> {
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("")
            .to_string();
        let client = match ClientAddr::from_request_parts(parts, state).await {
            Ok(c) => c,
            Err(never) => match never {},
        };
        check_admin_token(state, &given, &client, "api").await?;
        Ok(Admin)
    }
}
