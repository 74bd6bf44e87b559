//! Error pages: every error a handler returns is answered here, as JSON
//! under `/api`, as a PC site's page on the PC sites, else as a handset page
//! in the charset and language of the session (or of the User-Agent).

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::Lang;
use crate::error::{ErrorKind, ErrorMark};
use crate::views::{self, Ctx};

use super::page;
use super::state::{default_lang, AppState};

/// Gives every error response its body: JSON under `/api`, otherwise a handset
/// page in the charset and language of the session (or of the User-Agent).
pub(super) async fn render_errors(state: AppState, req: Request, next: Next) -> Response {
    // Cheap clones (shared buffers): only an error page needs them.
    let uri = req.uri().clone();
    let ua_header = req.headers().get(header::USER_AGENT).cloned();
    let response = next.run(req).await;
    error_page(&state, &uri, ua_header.as_ref(), response)
}

/// The answer to a request for `uri`: `response` itself, or, if it is an
/// error (`AppError`), its page (JSON under `/api`).
pub(crate) fn error_page(
    state: &AppState,
    uri: &axum::http::Uri,
    ua_header: Option<&HeaderValue>,
    mut response: Response,
) -> Response {
    let Some(mark) = response.extensions_mut().remove::<ErrorMark>() else {
        return response;
    };
    if let Some(limit) = mark.limit {
        state.metrics.limit_hit(limit);
    }
    let (path, query) = (uri.path(), uri.query());
    let ua = ua_header.and_then(|v| v.to_str().ok()).unwrap_or("");
    let status = response.status();
    // Headers the error set for the client (e.g. Retry-After) stay on the page.
    let keep = |page: &mut Response| {
        for name in [header::RETRY_AFTER, header::ALLOW, header::CONNECTION] {
            if let Some(v) = response.headers().get(&name) {
                page.headers_mut().insert(name, v.clone());
            }
        }
    };
    if path == "/api" || path.starts_with("/api/") || path == "/metrics" {
        let body = super::qa::schema::ApiError { error: mark.detail };
        let mut json = (status, axum::Json(body)).into_response();
        if mark.kind == ErrorKind::Unauthorized {
            json.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        keep(&mut json);
        return json;
    }
    if let Some((site, home)) = pc_site(path) {
        let mut page = (status, views::errors::pc_page(mark.kind, site, home)).into_response();
        keep(&mut page);
        return page;
    }
    let ctx = error_ctx(state, path, query, ua);
    let mut page = page::Page::new(
        &ctx,
        views::errors::page(&ctx, mark.kind, &mark.detail, &state.menu.root),
    )
    .status(status)
    .into_response();
    keep(&mut page);
    page
}

/// The PC site a path belongs to, for its error pages: its name and top page.
fn pc_site(path: &str) -> Option<(&'static str, &'static str)> {
    const SITES: [(&str, &str, &str); 6] = [
        ("/mydocomo", "My docomo", "/mydocomo"),
        ("/shop", "docomo Shop", "/shop"),
        ("/partners", "garake partner sites", "/partners"),
        ("/p", "garake partner sites", "/partners"),
        ("/admin", "garake admin console", "/admin"),
        ("/outbox", "garake admin console", "/admin"),
    ];
    SITES.iter().find_map(|(prefix, site, home)| {
        let under = path == *prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'));
        under.then_some((*site, *home))
    })
}

/// The context to render an error page in, from whatever the request carried.
fn error_ctx(state: &AppState, path: &str, query: Option<&str>, ua: &str) -> Ctx {
    let sid = path
        .strip_prefix("/s/")
        .and_then(|rest| rest.split('/').next());
    if let Some(Ok((_, ctx))) = sid.map(|sid| state.session(sid)) {
        return ctx;
    }
    let profile = state.handsets.for_user_agent(ua);
    let lang = query
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")))
        .and_then(Lang::parse)
        .unwrap_or_else(|| default_lang(&profile));
    Ctx {
        profile,
        lang,
        sid: None,
        rebase: state.base().len(),
    }
}
