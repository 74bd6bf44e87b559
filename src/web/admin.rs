//! The admin console: login with the admin token, then lines, audit log, mail
//! log and outbox. A PC tool, so it keeps its session in a cookie (HttpOnly,
//! SameSite=Strict) and its forms carry a CSRF token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use super::page::{read_form, read_query};
use super::AppState;
use crate::domain::Msisdn;
use crate::error::AppError;
use crate::handset::Charset;
use crate::mail::store as mail;
use crate::store::{audit, lines};
use crate::views;

const COOKIE: &str = "garake_admin";
/// How long a console login lasts.
const LOGIN_SECS: i64 = 8 * 3600;

/// Logged-in consoles: session id → (CSRF token, expiry).
#[derive(Clone, Default)]
pub struct Consoles {
    map: Arc<Mutex<HashMap<String, (String, i64)>>>,
}

impl Consoles {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, i64)>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A logged-in console and its CSRF token.
pub struct Console {
    id: String,
    pub csrf: String,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Console, Response> {
        let id = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| {
                c.trim()
                    .strip_prefix(&format!("{COOKIE}="))
                    .map(str::to_owned)
            });
        let now = state.clock.now();
        let found = id.and_then(|id| {
            let mut map = state.consoles.map();
            match map.get(&id) {
                Some((csrf, expires)) if *expires > now => Some(Console {
                    csrf: csrf.clone(),
                    id,
                }),
                Some(_) => {
                    map.remove(&id);
                    None
                }
                None => None,
            }
        });
        found.ok_or_else(|| Redirect::to("/admin/login").into_response())
    }
}

impl Console {
    /// Checks the CSRF field of a posted console form.
    fn check(
        &self,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<crate::handset::FormData, AppError> {
        let form = read_form(body, Charset::Utf8)?;
        if form.text("csrf")? != self.csrf {
            return Err(AppError::StaleForm);
        }
        Ok(form)
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin", get(lines_page))
        .route("/admin/audit", get(audit_page))
        .route("/admin/mail-log", get(mail_log_page))
        .route("/outbox", get(outbox_page))
        .route("/outbox/clear", post(clear_outbox))
        .route("/outbox/{id}", get(outbox_one))
}

async fn login_page() -> Html<String> {
    Html(views::admin::login(false).into_string())
}

async fn login(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let form = read_form(body, Charset::Utf8)?;
    if !super::api::constant_time_eq(form.text("token")?.as_bytes(), state.admin_token.as_bytes()) {
        return Ok((
            StatusCode::UNAUTHORIZED,
            Html(views::admin::login(true).into_string()),
        )
            .into_response());
    }
    let id = crate::random::token_hex(16);
    let csrf = crate::random::token_hex(16);
    state
        .consoles
        .map()
        .insert(id.clone(), (csrf, state.clock.now() + LOGIN_SECS));
    let cookie = format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/");
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (header::LOCATION, "/admin".to_string()),
        ],
    )
        .into_response())
}

async fn logout(
    State(state): State<AppState>,
    console: Console,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    console.check(body)?;
    state.consoles.map().remove(&console.id);
    let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (header::LOCATION, "/admin/login".to_string()),
        ],
    )
        .into_response())
}

async fn lines_page(
    State(state): State<AppState>,
    console: Console,
) -> Result<Html<String>, AppError> {
    let now = state.clock.now();
    let (states, total) = state
        .db
        .call(move |conn| {
            let (listing, total) = lines::directory(conn, 0, 200)?;
            let mut states = Vec::new();
            for l in listing {
                states.extend(lines::state(conn, l.id, now)?);
            }
            Ok((states, total))
        })
        .await?;
    Ok(Html(
        views::admin::lines(&console.csrf, &states, total).into_string(),
    ))
}

async fn audit_page(
    State(state): State<AppState>,
    console: Console,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, AppError> {
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let raw = query
        .get("line")?
        .filter(|l| !l.is_empty())
        .map(str::to_owned);
    let line = match &raw {
        Some(l) => Some(
            Msisdn::parse(l)
                .ok_or_else(|| AppError::BadRequest(format!("`{l}` is not a phone number")))?,
        ),
        None => None,
    };
    let entries = state
        .db
        .call(move |conn| audit::list(conn, line.as_ref(), 500))
        .await?;
    Ok(Html(
        views::admin::audit(&console.csrf, &entries, raw.as_deref()).into_string(),
    ))
}

async fn mail_log_page(
    State(state): State<AppState>,
    console: Console,
) -> Result<Html<String>, AppError> {
    let entries = state.db.call(|conn| mail::mail_log(conn, 500)).await?;
    Ok(Html(
        views::admin::mail_log(&console.csrf, &entries).into_string(),
    ))
}

async fn outbox_page(
    State(state): State<AppState>,
    console: Console,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, AppError> {
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let to = query
        .get("to")?
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let filter = to.clone();
    let mails = state
        .db
        .call(move |conn| mail::outbox(conn, filter.as_deref()))
        .await?;
    Ok(Html(
        views::admin::outbox(&console.csrf, &mails, to.as_deref()).into_string(),
    ))
}

async fn outbox_one(
    State(state): State<AppState>,
    console: Console,
    Path(raw): Path<String>,
) -> Result<Html<String>, AppError> {
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    let m = state
        .db
        .call(move |conn| mail::outbox_one(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let rfc = crate::mail::rfc5322::render(&m);
    Ok(Html(
        views::admin::outbox_one(&console.csrf, &m, &rfc).into_string(),
    ))
}

async fn clear_outbox(
    State(state): State<AppState>,
    console: Console,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    console.check(body)?;
    state.db.call(|conn| mail::clear_outbox(conn)).await?;
    Ok(Redirect::to("/outbox").into_response())
}
