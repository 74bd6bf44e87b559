//! Applications/procedures → docomo Online Application: reset the i-mode password
//! to 0000 with the network PIN (the first of the three reset routes).

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use maud::Markup;

use super::page::Page;
use super::{take_form, AppState};
use crate::error::AppError;
use crate::pin::{gate, GateOutcome, GateRequest};
use crate::session::Session;
use crate::store::lines::SecretKind;
use crate::views::{self, notice, text, Ctx};

pub const RESET_PIN: &str = "reset-imode-password";
const AUDIT_ACTION: &str = "reset_imode_password";
use crate::domain::DEFAULT_PIN;

pub fn routes() -> Router<AppState> {
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

async fn reset_form(
    State(state): State<AppState>,
    Path(sid): Path<String>,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    Ok(form_page(&state, &session, &ctx, None, StatusCode::OK))
}

async fn reset(
    State(state): State<AppState>,
    Path(sid): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let form = take_form(&state, &session, RESET_PIN, body)?;
    let request = GateRequest {
        line_id: session.line_id,
        msisdn: session.msisdn.clone(),
        action: AUDIT_ACTION,
        source: "handset".into(),
        kind: SecretKind::NetworkPin,
    };
    let line_id = session.line_id;
    let outcome = gate(
        &state.db,
        &state.pins,
        &state.clock,
        request,
        form.text("network_pin")?,
        |hasher| hasher.hash(DEFAULT_PIN),
        move |tx, default_hash: String, now| {
            crate::pin::reset_to_default(
                tx,
                line_id,
                &default_hash,
                now,
                "docomo Online Application",
            )?;
            Ok(Ok::<(), Infallible>(()))
        },
    )
    .await?;
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
