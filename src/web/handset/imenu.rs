//! Menu pages of the iMenu tree, straight from the prepared menu.

use axum::extract::{Path, RawQuery};
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::AppError;
use crate::menu::Node;
use crate::session::Session;
use crate::store::lines;
use crate::views::{self, Ctx};
use crate::web::page::{page_param, Page};
use crate::web::page_cache::{Pieces, SID_PLACEHOLDER};
use crate::web::state::AppState;

/// The read-only "current settings" panel of Various settings.
pub const LINE_SETTINGS: &str = "line-settings";

/// `GET /s/{sid}/m/{node}[?p=N]`.
pub async fn node(
    state: AppState,
    Path((sid, node_id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let node = state.menu.node(&node_id).ok_or(AppError::NotFound)?;
    if let Some(action) = &node.action {
        return Ok(Redirect::to(&ctx.action_href(action)).into_response());
    }
    let page = page_param(q.as_deref(), ctx.profile.charset)?;
    let parent = node.parent.as_deref().and_then(|p| state.menu.node(p));
    // Only a node with a panel reads the database; plain menu pages never do.
    let panel = match node.panel.as_deref() {
        Some(LINE_SETTINGS) => {
            let (line_id, now) = (session.line_id, state.clock.now());
            let line = state
                .db
                .call(move |conn| Ok(lines::state(conn, line_id, now)?))
                .await?
                .ok_or(AppError::SessionExpired)?;
            Some(views::settings::line_panel(&ctx, &line))
        }
        _ => None,
    };
    let Some(panel) = panel else {
        // (`front` answers this page itself once it is cached: see `cached_page`.)
        // A plain menu page: rendered once per handset kind, then only the
        // session id changes.
        let pieces = state
            .pages
            .get_or_render(node.index, page, ctx.lang, &ctx.profile, ctx.rebase, || {
                let template = Ctx {
                    sid: Some(SID_PLACEHOLDER.into()),
                    ..ctx.clone()
                };
                views::menu::node_page(&template, node, parent, &state.menu.root, None, page)
                    .map(|m| m.into_string())
            })
            .ok_or(AppError::NotFound)?;
        return Ok(plain_page(&state, &session, &sid, &pieces));
    };
    let markup = views::menu::node_page(&ctx, node, parent, &state.menu.root, Some(&panel), page)
        .ok_or(AppError::NotFound)?;
    Ok(Page::new(&ctx, markup).into_response())
}

/// The page of a plain menu node (no action, no panel) for this session, if it
/// has already been rendered for its kind of handset; `None` otherwise. What
/// `front` answers before the router.
pub(crate) fn cached_page(
    state: &AppState,
    sid: &str,
    node: &Node,
    page: usize,
) -> Option<Response> {
    if node.action.is_some() || node.panel.is_some() {
        return None;
    }
    // The session is marked used as any page marks it; only its language and
    // kind of handset choose the page, read in place.
    let (charset, bytes) = state.sessions.touch_with(sid, |lang, profile| {
        let base = state.base();
        state
            .pages
            .with(node.index, page, lang, profile, base.len(), |p| {
                p.fill(base, sid)
            })
            .map(|bytes| (profile.charset, bytes))
    })??;
    // Its links carry the world's prefix already: the callers that rebase
    // a world's answers mark it so (`front::App::respond_in`).
    let mut page = Response::new(axum::body::Body::from(bytes));
    *page.headers_mut() = state.policies.handset_page(charset);
    Some(page)
}

/// A cached menu page with the world's prefix and the session's id (as
/// written in the URL) spliced in: marked as already carrying the prefix.
fn plain_page(state: &AppState, session: &Session, sid: &str, pieces: &Pieces) -> Response {
    let mut page =
        Page::encoded(session.profile.charset, pieces.fill(state.base(), sid)).into_response();
    mark_based(state, &mut page);
    page
}

/// In a world, marks a page whose links already carry its prefix (the
/// default world's pages need no mark, and get no extension map).
fn mark_based(state: &AppState, page: &mut Response) {
    if !state.base().is_empty() {
        page.extensions_mut().insert(crate::web::page::Based);
    }
}
