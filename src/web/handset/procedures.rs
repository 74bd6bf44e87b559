//! Applications/procedures → docomo Online Application: reset the i-mode password
//! to 0000 with the network PIN (the first of the three reset routes).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use maud::Markup;

use crate::error::AppError;
use crate::services::gate::GateOutcome;
use crate::services::resets::{self, Online};
use crate::session::Session;
use crate::views::{self, notice, text, Ctx};
use crate::web::page::Page;
use crate::web::{state::take_form, state::AppState};

pub const RESET_PIN: &str = "reset-imode-password";

pub fn routes() -> Router {
    Router::new().route(
        &format!("/s/{{sid}}/a/{RESET_PIN}"),
        get(reset_form).post(reset),
    )
}

fn form_page(
    state: &AppState,
    session: &Session,
    ctx: &Ctx,
    message: Option<Markup>,
    status: StatusCode,
) -> Page {
    let token = state.sessions.issue_token(session, RESET_PIN);
    let title = state.action_title(RESET_PIN, ctx.lang, text::RESET_VIA_ONLINE);
    let body = views::settings::reset_form(ctx, message, &token, &state.menu.root);
    Page::new(ctx, views::layout(ctx, title, body))
        .no_store()
        .status(status)
}

async fn reset_form(state: AppState, Path(sid): Path<String>) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    Ok(form_page(&state, &session, &ctx, None, StatusCode::OK))
}

async fn reset(
    state: AppState,
    Path(sid): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let form = take_form(&state, &session, RESET_PIN, body)?;
    let line = crate::web::state::session_line(&session);
    let network_pin = form.text("network_pin")?;
    let outcome =
        resets::reset_online(&state.services(), &line, Online::Handset, network_pin).await?;
    let message = |t| Some(notice(ctx.t(t)));
    Ok(match outcome {
        GateOutcome::Done(()) => {
            // A reset ends the line's other sessions: whoever else held it must start again.
            state
                .sessions
                .end_line_sessions(session.line_id, Some(&session.id));
            let title = ctx.t(text::RESET_VIA_ONLINE);
            let body = views::settings::done(&ctx, ctx.t(text::RESET_DONE), &state.menu.root);
            Page::new(&ctx, views::layout(&ctx, title, body)).no_store()
        }
        GateOutcome::InvalidFormat => form_page(
            &state,
            &session,
            &ctx,
            message(text::PIN_FORMAT),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        GateOutcome::WrongPin => form_page(
            &state,
            &session,
            &ctx,
            message(text::NETWORK_PIN_WRONG),
            StatusCode::FORBIDDEN,
        ),
        GateOutcome::Locked => form_page(
            &state,
            &session,
            &ctx,
            message(text::NETWORK_PIN_LOCKED),
            StatusCode::FORBIDDEN,
        ),
        GateOutcome::Refused(never) => match never {},
    })
}
