//! `AppError`: every way a request can fail, and how each is answered.
//!
//! A handler returns `Err(AppError)`; `into_response` records the kind in the
//! response extensions, and the `render_errors` middleware (web/mod.rs) turns it
//! into a handset page in the handset's charset and language, or JSON for `/api`.
//! Causes of internal errors are logged here and never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::handset::FormError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    NotFoundMsg(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body too large")]
    TooLarge,
    #[error("the request body did not arrive in time")]
    Timeout,
    /// A rate limit: try again in this many seconds.
    #[error("too many requests: try again in {0} seconds")]
    TooMany(i64),
    #[error("form could not be read: {0}")]
    BadForm(#[from] FormError),
    #[error("session unknown or expired")]
    SessionExpired,
    #[error("form token missing, used or forged")]
    StaleForm,
    /// Work that waits (an Argon2 check, a gateway fetch) found its queue
    /// full or waited too long: 503 with `Retry-After`.
    #[error(transparent)]
    Busy(#[from] crate::queue::Busy),
    /// A limit of open streams or waits was reached: 503 with what to do.
    #[error("{0}")]
    Full(String),
    /// The request is fine but the state does not allow it now: 409.
    #[error("{0}")]
    Conflict(String),
    /// A long poll ended without what it waited for: 408 (the connection stays usable).
    #[error("{0}")]
    WaitedTooLong(String),
    #[error("admin token missing or wrong")]
    Unauthorized,
    #[error("{0}")]
    BadRequest(String),
    /// `?profile=` names no model of the handset catalogue (the name, as given).
    #[error("unknown profile `{0}`: the models are listed by GET /api/handsets")]
    UnknownProfile(String),
    /// Well-formed but refused by a rule (e.g. a mail over its size): 422.
    #[error("{0}")]
    Unprocessable(String),
    #[error("internal error")]
    Internal(String),
    /// The server holds its most worlds (`--max-worlds`).
    #[error("this server holds its most worlds ({0}, --max-worlds): delete one (DELETE /api/worlds/ID) or wait until one expires")]
    TooManyWorlds(usize),
}

/// Seconds to wait after a "too many streams or waits" answer.
const FULL_RETRY_AFTER: u64 = 5;
/// A world is deleted or expires in minutes, not seconds.
const WORLDS_RETRY_AFTER: u64 = 60;

/// What the error page renderer needs to know, stored in the response extensions.
#[derive(Clone, Debug)]
pub struct ErrorMark {
    pub kind: ErrorKind,
    pub detail: String,
    /// The limit that refused the request, as the metrics name it.
    pub limit: Option<crate::metrics::Limit>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    MethodNotAllowed,
    TooLarge,
    Timeout,
    TooMany,
    BadForm,
    StaleForm,
    Busy,
    Unauthorized,
    BadRequest,
    /// The page names the model that was asked for (`ErrorMark::detail`).
    UnknownProfile,
    Internal,
}

impl AppError {
    /// Wraps any error as internal; the cause is logged when the response is made.
    pub fn internal(err: impl std::fmt::Display) -> AppError {
        AppError::Internal(err.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound | AppError::NotFoundMsg(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Timeout | AppError::WaitedTooLong(_) => StatusCode::REQUEST_TIMEOUT,
            AppError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadForm(_) | AppError::BadRequest(_) | AppError::UnknownProfile(_) => {
                StatusCode::BAD_REQUEST
            }
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::SessionExpired => StatusCode::SEE_OTHER,
            AppError::StaleForm | AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Busy(_) | AppError::Full(_) | AppError::TooManyWorlds(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<crate::store::error::Error> for AppError {
    fn from(err: crate::store::error::Error) -> AppError {
        AppError::internal(err)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::SessionExpired = self {
            // An unknown or expired session goes back to the power-on page.
            return (
                StatusCode::SEE_OTHER,
                [(axum::http::header::LOCATION, "/?expired=1")],
            )
                .into_response();
        }
        let kind = match &self {
            AppError::NotFound | AppError::NotFoundMsg(_) => ErrorKind::NotFound,
            AppError::MethodNotAllowed => ErrorKind::MethodNotAllowed,
            AppError::TooLarge => ErrorKind::TooLarge,
            AppError::Timeout | AppError::WaitedTooLong(_) => ErrorKind::Timeout,
            AppError::TooMany(_) => ErrorKind::TooMany,
            AppError::BadForm(_) => ErrorKind::BadForm,
            AppError::StaleForm => ErrorKind::StaleForm,
            AppError::Busy(_) | AppError::Full(_) | AppError::TooManyWorlds(_) => ErrorKind::Busy,
            AppError::Unauthorized => ErrorKind::Unauthorized,
            AppError::BadRequest(_) | AppError::Unprocessable(_) | AppError::Conflict(_) => {
                ErrorKind::BadRequest
            }
            AppError::UnknownProfile(_) => ErrorKind::UnknownProfile,
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ErrorKind::Internal
            }
            AppError::SessionExpired => unreachable!("handled above"),
        };
        let detail = match &self {
            AppError::Internal(_) => String::new(),
            AppError::UnknownProfile(name) => name.clone(),
            other => other.to_string(),
        };
        let mut response = self.status().into_response();
        // Every refusal that passes with time says when to try again.
        let retry_after = match &self {
            AppError::TooMany(wait) => Some((*wait).max(1) as u64),
            AppError::Busy(busy) => Some(busy.0.retry_after()),
            AppError::Full(_) => Some(FULL_RETRY_AFTER),
            AppError::TooManyWorlds(_) => Some(WORLDS_RETRY_AFTER),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        if let AppError::Timeout | AppError::Busy(_) = self {
            // The body never came: the connection cannot be reused. And a
            // busy server sheds the connection with the request: a flood's
            // connections do not sit on the server's memory between tries.
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        // A throttle's refusals (`rate_limited`) are counted where the
        // throttle says no, whatever page answers them.
        let limit = match &self {
            AppError::TooLarge => Some(crate::metrics::Limit::BodyTooLarge),
            AppError::Timeout => Some(crate::metrics::Limit::BodyTooSlow),
            AppError::Busy(busy) => Some(busy.0.limit()),
            AppError::Full(_) => Some(crate::metrics::Limit::StreamsOrWaitsFull),
            AppError::TooManyWorlds(_) => Some(crate::metrics::Limit::Worlds),
            _ => None,
        };
        response.extensions_mut().insert(ErrorMark {
            kind,
            detail,
            limit,
        });
        response
    }
}
