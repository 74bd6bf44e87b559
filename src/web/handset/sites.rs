//! Site pages of the Menu list, My Menu, and the fee-based services summary.

use axum::extract::{Path, RawQuery};
use axum::routing::get;
use axum::Router;

use crate::error::AppError;
use crate::store::sites;
use crate::views::{self, text};
use crate::web::page::{page_param, Page};
use crate::web::state::AppState;

pub const MY_MENU: &str = "my-menu";
pub const FEE_SERVICES: &str = "fee-services";
pub const URL_ENTRY: &str = "url-entry";

pub fn routes() -> Router {
    Router::new()
        .route("/s/{sid}/site/{site}", get(site_page))
        .route(&format!("/s/{{sid}}/a/{URL_ENTRY}"), get(url_entry))
        .route(&format!("/s/{{sid}}/a/{MY_MENU}"), get(my_menu))
        .route(&format!("/s/{{sid}}/a/{FEE_SERVICES}"), get(fee_services))
}

async fn site_page(
    state: AppState,
    Path((sid, site)): Path<(String, String)>,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let site = state.menu.site(&site).ok_or(AppError::NotFound)?;
    let (line_id, id) = (session.line_id, site.id.clone());
    let (registered, subscribed) = state
        .db
        .call(move |conn| {
            let registered = sites::my_menu(conn, line_id)?.contains(&id);
            let subscribed = sites::subscriptions(conn, line_id)?
                .iter()
                .any(|s| s.site == id);
            Ok((registered, subscribed))
        })
        .await?;
    let body = views::sites::site_page(&ctx, site, registered, subscribed, &state.menu.root);
    Ok(Page::new(
        &ctx,
        views::layout(&ctx, site.label(ctx.lang), body),
    ))
}

async fn my_menu(
    state: AppState,
    Path(sid): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let page = page_param(q.as_deref(), ctx.profile.charset)?;
    let line_id = session.line_id;
    let ids = state
        .db
        .call(move |conn| Ok(sites::my_menu(conn, line_id)?))
        .await?;
    // A site dropped from the menu files simply disappears from My Menu.
    let sites: Vec<_> = ids.iter().filter_map(|id| state.menu.site(id)).collect();
    let title = state.action_title(MY_MENU, ctx.lang, ("マイメニュー", "My Menu"));
    let foot = views::menu::way_back(&ctx, state.menu.action_parent(MY_MENU), &state.menu.root);
    let markup =
        views::sites::my_menu(&ctx, title, &sites, page, &foot).ok_or(AppError::NotFound)?;
    Ok(Page::new(&ctx, markup))
}

async fn fee_services(
    state: AppState,
    Path(sid): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let page = page_param(q.as_deref(), ctx.profile.charset)?;
    let line_id = session.line_id;
    let subs = state
        .db
        .call(move |conn| Ok(sites::subscriptions(conn, line_id)?))
        .await?;
    let subs: Vec<_> = subs
        .into_iter()
        .filter_map(|s| state.menu.site(&s.site).map(|site| (s, site)))
        .collect();
    let title = state.action_title(FEE_SERVICES, ctx.lang, text::SUBSCRIPTIONS);
    let foot = views::menu::way_back(
        &ctx,
        state.menu.action_parent(FEE_SERVICES),
        &state.menu.root,
    );
    let markup =
        views::sites::fee_services(&ctx, title, &subs, page, &foot).ok_or(AppError::NotFound)?;
    Ok(Page::new(&ctx, markup))
}

/// iMenu's URL entry: type the address of a site (an unofficial one, a
/// 勝手サイト, is reached only this way and by links). Only the sites
/// configured in the menu files open; garake is never an open proxy.
pub fn url_entry_page(
    state: &AppState,
    ctx: &crate::views::Ctx,
    message: Option<maud::Markup>,
) -> Page {
    let unofficial: Vec<(&str, &str)> = state
        .menu
        .sites()
        .filter(|s| !s.official)
        .filter_map(|s| Some((s.label(ctx.lang), s.upstream.as_deref()?)))
        .collect();
    let title = state.action_title(URL_ENTRY, ctx.lang, text::URL_ENTRY);
    let body = views::sites::url_entry(ctx, message, &unofficial, &state.menu.root);
    Page::new(ctx, views::layout(ctx, title, body))
}

async fn url_entry(state: AppState, Path(sid): Path<String>) -> Result<Page, AppError> {
    let (_, ctx) = state.session(&sid)?;
    Ok(url_entry_page(&state, &ctx, None))
}
