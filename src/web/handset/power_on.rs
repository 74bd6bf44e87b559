//! The power-on page and starting a handset session on a line.

use std::sync::Arc;

use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::domain::{Lang, Msisdn};
use crate::error::AppError;
use crate::handset::{Charset, FormData, Profile};
use crate::store::lines;
use crate::views::{self, Ctx};
use crate::web::page::{read_query, Page};
use crate::web::{state::default_lang, state::AppState};

/// Lines listed per power-on page (one access key each, 1–8).
const LINES_PER_PAGE: i64 = 8;

/// The handset profile and language a request asks for: `profile=` (the
/// emulator's picker) or the User-Agent; `lang=` or the profile's default.
fn profile_and_lang(
    state: &AppState,
    headers: &HeaderMap,
    query: &FormData,
) -> Result<(Arc<Profile>, Lang, String), AppError> {
    let named =
        match query.get("profile")? {
            None | Some("") => None,
            Some(name) => Some(state.handsets.by_name(name).ok_or_else(|| {
                AppError::UnknownProfile(name.chars().take(20).collect::<String>())
            })?),
        };
    let carried = named
        .as_ref()
        .map(|p| format!("&profile={}", p.name))
        .unwrap_or_default();
    let profile = named.unwrap_or_else(|| {
        let ua = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        state.handsets.for_user_agent(ua)
    });
    let lang = query
        .get("lang")?
        .and_then(Lang::parse)
        .unwrap_or_else(|| default_lang(&profile));
    Ok((profile, lang, carried))
}

/// `GET /`: the demo lines and the language switch.
pub async fn page(
    state: AppState,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Page, AppError> {
    // Query strings on this page are ASCII; read them as UTF-8.
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let (profile, lang, carried) = profile_and_lang(&state, &headers, &query)?;
    let p: i64 = match query.get("p")? {
        None => 1,
        Some(p) => p
            .parse()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or(AppError::NotFound)?,
    };
    let offset = (p - 1) * LINES_PER_PAGE;
    let (listing, total) = state
        .db
        .call(move |conn| Ok(lines::directory(conn, offset, LINES_PER_PAGE)?))
        .await?;
    if p > 1 && offset >= total {
        return Err(AppError::NotFound);
    }
    let ctx = Ctx {
        profile,
        lang,
        sid: None,
        rebase: state.base().len(),
    };
    let link = |n: i64| format!("/?lang={}{carried}&p={n}", lang.code());
    let prev = (p > 1).then(|| link(p - 1));
    let next = (offset + LINES_PER_PAGE < total).then(|| link(p + 1));
    let expired = query.get("expired")?.is_some();
    let place = where_am_i(&state);
    // A PC browser that came here itself, not through the emulator's picker
    // (which names the profile): tell it what garake is. Handsets, and the
    // emulator's PC profile, get the page as it always was.
    if !ctx.profile.is_handset() && carried.is_empty() {
        let markup = views::power_on::welcome(
            &ctx,
            &listing,
            expired,
            prev.as_deref(),
            next.as_deref(),
            &place,
        );
        return Ok(Page::new(&ctx, markup));
    }
    let markup = views::power_on::page(
        &ctx,
        &listing,
        expired,
        &carried,
        prev.as_deref(),
        next.as_deref(),
        &place,
    );
    Ok(Page::new(&ctx, markup))
}

/// What the power-on page says about its world: the default one offers
/// private demos (unless turned off); a world names itself, and a private
/// demo's page shows its token the first time only.
fn where_am_i(state: &AppState) -> views::power_on::Where {
    let entry = state
        .place
        .id
        .as_deref()
        .and_then(|id| state.worlds.get(id));
    match entry {
        None => views::power_on::Where::Default {
            offer_demo: state.is_default() && state.public_worlds,
        },
        Some(entry) => views::power_on::Where::World {
            id: entry.id().to_string(),
            ttl_minutes: entry.ttl_secs / 60,
            expires_at: crate::clock::rfc3339(entry.expires_at()),
            token: entry.take_unshown_token(),
        },
    }
}

/// `GET /on/{msisdn}`: power on as this line: start a session, go to iMenu.
pub async fn start(
    state: AppState,
    Path(msisdn): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let (profile, lang, _) = profile_and_lang(&state, &headers, &query)?;
    let msisdn = Msisdn::parse(&msisdn).ok_or(AppError::NotFound)?;
    let lookup = msisdn.clone();
    let line_id = state
        .db
        .call(move |conn| Ok(lines::find(conn, &lookup)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let session = state.sessions.create(line_id, msisdn, profile, lang);
    let location = format!("/s/{}/m/{}", session.id, state.menu.root);
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
}

/// `GET /assets/power-on.css`: the PC welcome page's style sheet.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        views::power_on::STYLESHEET,
    )
        .into_response()
}
