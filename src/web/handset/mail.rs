//! Handset mail: inbox, reading, deleting and composing, over the one send path.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;

use crate::error::AppError;
use crate::mail::address::valid_address;
use crate::mail::delivery::MAILBOX_FULL;
use crate::mail::message::{self as message, Unfit};
use crate::services::mail::Draft;
use crate::session::Session;
use crate::store::mail;
use crate::views::{self, text, Ctx};
use crate::web::page::{page_param, Page};
use crate::web::{state::take_form, state::AppState};

pub const INBOX: &str = "mail-inbox";
pub const COMPOSE: &str = "mail-compose";
const DELETE: &str = "mail-delete";

pub fn routes() -> Router {
    Router::new()
        .route(&format!("/s/{{sid}}/a/{INBOX}"), get(inbox))
        .route(
            &format!("/s/{{sid}}/a/{COMPOSE}"),
            get(compose_form)
                .post(compose)
                .layer(DefaultBodyLimit::max(crate::limits::MAIL_FORM_LIMIT)),
        )
        .route("/s/{sid}/mail/{id}", get(read))
        .route("/s/{sid}/mail/{id}/delete", post(delete))
}

async fn inbox(
    state: AppState,
    Path(sid): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let page = page_param(q.as_deref(), ctx.profile.charset)?;
    if page == 0 {
        return Err(AppError::NotFound);
    }
    let per_page = views::mail::inbox_page_size(&ctx);
    let (line_id, offset) = (session.line_id, ((page - 1) * per_page) as i64);
    let (mails, total) = state
        .db
        .call(move |conn| Ok(mail::inbox(conn, line_id, offset, per_page as i64)?))
        .await?;
    if page > 1 && mails.is_empty() {
        return Err(AppError::NotFound);
    }
    let foot = views::menu::way_back(&ctx, state.menu.action_parent(INBOX), &state.menu.root);
    let markup = views::mail::inbox(
        &ctx,
        state.action_title(INBOX, ctx.lang, text::TO_INBOX),
        &mails,
        page,
        total as usize,
        &foot,
    );
    Ok(Page::new(&ctx, markup))
}

async fn read(
    state: AppState,
    Path((sid, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let page = page_param(q.as_deref(), ctx.profile.charset)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let line_id = session.line_id;
    let found = state
        .db
        .call(move |conn| Ok(mail::open(conn, line_id, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let token = state.sessions.issue_token(&session, DELETE);
    let markup = views::mail::read(&ctx, &found, page, &token, &state.menu.root)
        .ok_or(AppError::NotFound)?;
    Ok(Page::new(&ctx, markup).no_store())
}

async fn delete(
    state: AppState,
    Path((sid, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    take_form(&state, &session, DELETE, body)?;
    let line_id = session.line_id;
    if !state
        .db
        .call(move |conn| Ok(mail::delete(conn, line_id, id)?))
        .await?
    {
        return Err(AppError::NotFound);
    }
    let body = views::mail::result(&ctx, ctx.t(text::DELETED), None, &state.menu.root);
    Ok(Page::new(
        &ctx,
        views::layout(&ctx, ctx.t(text::TO_INBOX), body),
    ))
}

fn compose_page(
    state: &AppState,
    session: &Session,
    ctx: &Ctx,
    message: Option<maud::Markup>,
    values: (&str, &str, &str),
    status: StatusCode,
) -> Page {
    let token = state.sessions.issue_token(session, COMPOSE);
    let body = views::mail::compose(ctx, message, &token, values, &state.menu.root);
    Page::new(
        ctx,
        views::layout(ctx, state.action_title(COMPOSE, ctx.lang, text::SEND), body),
    )
    .status(status)
}

async fn compose_form(state: AppState, Path(sid): Path<String>) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    Ok(compose_page(
        &state,
        &session,
        &ctx,
        None,
        ("", "", ""),
        StatusCode::OK,
    ))
}

/// Words for a rejection reason, as the sender's handset shows it.
fn reason_text(reason: &str, ctx: &Ctx) -> &'static str {
    ctx.t(match reason {
        "unknown_address" => ("宛先不明", "unknown address"),
        "suspended" => (
            "相手がメール機能を停止中",
            "the recipient has suspended mail",
        ),
        MAILBOX_FULL => (
            "相手のメールボックスがいっぱいです",
            "the recipient's mailbox is full",
        ),
        "secret_code_required" | "wrong_secret_code" => {
            ("シークレットコードが違います", "secret code mismatch")
        }
        _ => ("受信拒否", "refused by the recipient's settings"),
    })
}

async fn compose(
    state: AppState,
    Path(sid): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let form = take_form(&state, &session, COMPOSE, body)?;
    let (to, subject, body) = (
        form.text("to")?.trim().to_string(),
        form.text("subject")?.to_string(),
        form.text("body")?.to_string(),
    );
    let values = (to.as_str(), subject.as_str(), body.as_str());
    if !valid_address(&to) {
        let message = views::notice(ctx.t(text::TO_INVALID));
        return Ok(compose_page(
            &state,
            &session,
            &ctx,
            Some(message),
            values,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    if let Err(unfit) = message::check(&subject, &body) {
        let message = views::notice(ctx.t(match unfit {
            Unfit::SubjectLineBreak => text::SUBJECT_LINE_BREAK,
            Unfit::SubjectTooLong | Unfit::BodyTooLong => text::TOO_LONG,
        }));
        return Ok(compose_page(
            &state,
            &session,
            &ctx,
            Some(message),
            values,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let draft = Draft {
        to: to.clone(),
        subject: subject.clone(),
        body: body.clone(),
    };
    let rate = state.limits.mail_rate();
    let outcome =
        crate::services::mail::compose(&state.services(), session.line_id, draft, rate).await?;
    let Ok(outcome) = outcome else {
        state.metrics.limit_hit(crate::metrics::Limit::RateLimited);
        let message = views::notice(ctx.t(text::MAIL_RATE));
        return Ok(compose_page(
            &state,
            &session,
            &ctx,
            Some(message),
            values,
            StatusCode::TOO_MANY_REQUESTS,
        ));
    };
    let markup = match outcome.reason {
        None => views::mail::result(&ctx, ctx.t(text::SENT), None, &state.menu.root),
        Some(reason) => views::mail::result(
            &ctx,
            ctx.t(text::NOT_DELIVERED),
            Some(reason_text(reason, &ctx)),
            &state.menu.root,
        ),
    };
    Ok(Page::new(
        &ctx,
        views::layout(&ctx, ctx.t(text::SEND), markup),
    ))
}
