//! Various settings: change the i-mode password.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use maud::Markup;

use crate::domain::Pin;
use crate::error::AppError;
use crate::services::gate::GateOutcome;
use crate::services::protected;
use crate::session::Session;
use crate::store::audit::Action;
use crate::views::{self, notice, text, Ctx};
use crate::web::page::Page;
use crate::web::{state::audit_invalid, state::take_form, state::AppState};

pub const CHANGE_PIN: &str = "change-imode-password";
const AUDIT_ACTION: Action = Action::ChangeImodePassword;

pub fn routes() -> Router {
    Router::new().route(
        &format!("/s/{{sid}}/a/{CHANGE_PIN}"),
        get(change_pin_form).post(change_pin),
    )
}

fn form_page(
    state: &AppState,
    session: &Session,
    ctx: &Ctx,
    message: Option<Markup>,
    status: StatusCode,
) -> Page {
    let token = state.sessions.issue_token(session, CHANGE_PIN);
    let title = state.action_title(CHANGE_PIN, ctx.lang, text::IMODE_PASSWORD);
    let body = views::settings::change_pin_form(ctx, message, &token, &state.menu.root);
    Page::new(ctx, views::layout(ctx, title, body))
        .no_store()
        .status(status)
}

async fn change_pin_form(state: AppState, Path(sid): Path<String>) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    Ok(form_page(&state, &session, &ctx, None, StatusCode::OK))
}

async fn change_pin(
    state: AppState,
    Path(sid): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let form = take_form(&state, &session, CHANGE_PIN, body)?;
    let message = |t| Some(notice(ctx.t(t)));

    let new_pin = match (
        Pin::parse(form.text("new_pin")?),
        Pin::parse(form.text("new_pin_confirm")?),
    ) {
        (Ok(new), Ok(confirm)) if new == confirm => new,
        (Ok(_), Ok(_)) => {
            audit_invalid(&state, &session, AUDIT_ACTION).await?;
            return Ok(form_page(
                &state,
                &session,
                &ctx,
                message(text::NEW_PIN_MISMATCH),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        _ => {
            audit_invalid(&state, &session, AUDIT_ACTION).await?;
            return Ok(form_page(
                &state,
                &session,
                &ctx,
                message(text::NEW_PIN_FORMAT),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };

    let line = crate::web::state::session_line(&session);
    let outcome =
        protected::change_imode_password(&state.services(), &line, new_pin, form.text("pin")?)
            .await?;
    Ok(match outcome {
        GateOutcome::Done(()) => {
            let title = ctx.t(text::IMODE_PASSWORD);
            let body = views::settings::done(&ctx, ctx.t(text::PIN_CHANGED), &state.menu.root);
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
            message(text::WRONG_PIN),
            StatusCode::FORBIDDEN,
        ),
        GateOutcome::Locked => {
            let locked = views::settings::locked_message(&ctx);
            form_page(&state, &session, &ctx, Some(locked), StatusCode::FORBIDDEN)
        }
        GateOutcome::Refused(never) => match never {},
    })
}
