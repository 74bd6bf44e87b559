//! The HTTP side, by audience: `handset/` (the pages a handset browses),
//! `pc/` (My docomo, the shop counter, partner sites), `qa/` (the QA API,
//! admin console and emulator) and `gateway/` (content providers' sites);
//! at the top, what they share: the state, the front, error pages, headers,
//! page encoding and PC logins. Nothing below imports this module: it only
//! assembles the router.

// Shared plumbing.
pub mod errors;
pub mod front;
pub mod headers;
pub mod page;
pub mod page_cache;
pub mod pc_session;
pub mod state;
pub mod worlds;
// By audience.
pub mod gateway;
pub mod handset;
pub mod pc;
pub mod qa;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::error::AppError;
use crate::menu::Known;
use handset::{imenu, mail, procedures, protected, settings, sites};
pub use state::AppState;

/// Built-in actions and panels that menu files may name. Each action has a route
/// below; `every_known_action_has_a_page` checks it.
pub const KNOWN: Known = Known {
    actions: &[
        settings::CHANGE_PIN,
        procedures::RESET_PIN,
        sites::MY_MENU,
        mail::INBOX,
        mail::COMPOSE,
        sites::FEE_SERVICES,
        protected::MAIL_REJECTION,
        protected::CHANGE_ADDRESS,
        protected::SUSPEND_MAIL,
        protected::SECRET_CODE,
        protected::MESSAGE_SERVICE,
        protected::ID_NOTIFICATION,
        sites::URL_ENTRY,
    ],
    panels: &[imenu::LINE_SETTINGS],
};

/// The security headers of each kind of page, with the emulator shell's
/// script allowed by its hash.
pub fn policies() -> headers::Policies {
    headers::Policies::new(&qa::emulator::script_hash())
}

/// The whole application: what `serve` runs and what tests drive in-process
/// (the router behind the cached-menu-page shortcut of `front`).
pub fn app(state: AppState) -> front::App {
    front::App::new(state.clone(), router(state))
}

/// Every route, with error pages rendered for all of them.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(handset::routes())
        .merge(pc::routes())
        .merge(qa::routes())
        .merge(gateway::routes())
        .merge(gateway::regst::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(crate::limits::BODY_LIMIT))
        .layer(axum::middleware::from_fn(refuse_large_bodies))
        .layer(axum::middleware::from_fn(errors::render_errors))
        .layer(axum::middleware::map_response(end_json_with_newline))
        .layer(axum::middleware::from_fn_with_state(
            state,
            in_default_world,
        ))
}

/// A request `front` did not place in a world runs in the default one.
async fn in_default_world(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    if req.extensions().get::<AppState>().is_none() {
        req.extensions_mut().insert(state);
    }
    next.run(req).await
}

/// A JSON answer (errors included) ends with a newline, as text for a
/// terminal does: `curl` output then never runs into the next line.
async fn end_json_with_newline(response: Response) -> Response {
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // JSON answers are made whole in memory, never streamed: this reads a
    // buffer that is already there.
    let mut bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => Vec::from(bytes),
        Err(e) => {
            tracing::error!("a JSON answer's body could not be read: {e}");
            let error = serde_json::json!({ "error": "internal error" }).to_string() + "\n";
            return (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "application/json")],
                error,
            )
                .into_response();
        }
    };
    if bytes.last() != Some(&b'\n') {
        bytes.push(b'\n');
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// A `Content-Length` over the body limit gets its 413 before any byte of
/// the body is read.
async fn refuse_large_bodies(req: Request, next: Next) -> Response {
    let limit = crate::limits::body_limit(req.uri().path()) as u64;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().parse::<u64>());
    match declared {
        Some(Ok(n)) if n > limit => AppError::TooLarge.into_response(),
        Some(Err(_)) => {
            AppError::BadRequest("Content-Length is not a number".into()).into_response()
        }
        _ => next.run(req).await,
    }
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}
