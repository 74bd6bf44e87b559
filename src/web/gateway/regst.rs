//! Official-site registration through the gateway (docomo's `cp/regst`): a
//! content provider's page posts `ci`, `act`, `uid`, `nl`, `rl` to the carrier
//! (the gateway points the form at `/s/{sid}/cp/regst/{site}`, naming the
//! site whose page it was; `ci` must be that site, and it must be official);
//! the carrier shows its own confirmation page, asks for the i-mode password
//! through the same gate as every protected action, records the subscription in
//! the same ledger, and sends the handset on to `nl` (done) or `rl` (cancelled
//! or refused).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use maud::{html, Markup};

use crate::error::AppError;
use crate::handset::FormData;
use crate::menu::Site;
use crate::services::gate::GateOutcome;
use crate::services::protected::{self, Change};
use crate::session::Session;
use crate::store::audit::Action;
use crate::views::{self, text, Ctx};
use crate::web::page::Page;
use crate::web::{state::take_form, state::AppState};

const TOKEN: &str = "cp-regst";

pub fn routes() -> Router {
    Router::new()
        .route("/s/{sid}/cp/regst/{site}", post(ask))
        .route("/s/{sid}/cp/regst/{site}/confirm", post(confirm))
}

/// A checked registration request.
struct Request<'a> {
    site: &'a Site,
    register: bool,
    /// Where to go next (done) and back (cancel or refusal), as gateway paths.
    next: String,
    back: String,
    /// The raw fields, carried through the confirmation page.
    raw: [(&'static str, String); 4],
}

/// Maps a provider URL under the site's upstream to its gateway path.
fn inside(url: &str, site: &Site, sid: &str) -> Option<String> {
    let base = site.upstream.as_deref()?;
    let tail = url.strip_prefix(base)?;
    crate::gateway::stays_inside(tail.split('?').next().unwrap_or(""))
        .then(|| format!("/s/{sid}/g/{}/{tail}", site.id))
}

fn read<'a>(
    state: &'a AppState,
    sid: &str,
    posted_by: &str,
    form: &FormData,
) -> Result<Request<'a>, AppError> {
    let bad = |what: &str| AppError::BadRequest(format!("cp/regst: {what}"));
    let ci = form.text("ci")?.to_string();
    let act = form.text("act")?.to_string();
    let (nl, rl) = (form.text("nl")?.to_string(), form.text("rl")?.to_string());
    if ci != posted_by {
        return Err(bad("`ci` must be the site whose page posted the form"));
    }
    let site = state
        .menu
        .site(&ci)
        .filter(|s| s.upstream.is_some() && s.is_fee_based())
        .ok_or_else(|| bad("`ci` is not a fee-based site behind the gateway"))?;
    if !site.official {
        return Err(bad(
            "unofficial sites cannot use the carrier's registration",
        ));
    }
    let register = match act.as_str() {
        "reg" => true,
        "rel" => false,
        _ => return Err(bad("`act` must be reg or rel")),
    };
    let next = inside(&nl, site, sid).ok_or_else(|| bad("`nl` must be a page of the site"))?;
    let back = inside(&rl, site, sid).ok_or_else(|| bad("`rl` must be a page of the site"))?;
    Ok(Request {
        site,
        register,
        next,
        back,
        raw: [("ci", ci), ("act", act), ("nl", nl), ("rl", rl)],
    })
}

/// The carrier's confirmation page.
fn page(
    state: &AppState,
    session: &Session,
    ctx: &Ctx,
    req: &Request<'_>,
    message: Option<Markup>,
    status: StatusCode,
) -> Page {
    let token = state.sessions.issue_token(session, TOKEN);
    let action = format!("/s/{}/cp/regst/{}/confirm", session.id, req.site.id);
    let fee = views::sites::fee(ctx, req.site.fee);
    let question = if req.register {
        ctx.t((
            "に登録します。登録月から月額料金がかかります。",
            ": subscribe, charged monthly from this month?",
        ))
    } else {
        ctx.t(("の登録を解除します。", ": end your subscription?"))
    };
    let body = html! {
        @if let Some(m) = message { (m) hr; }
        "「" (req.site.label(ctx.lang)) "」(" (fee) ")" (question) br;
        (ctx.t(text::ENTER_PIN)) br;
        form method="post" action=(action) {
            (views::token_field(&token))
            @for (name, value) in &req.raw { input type="hidden" name=(name) value=(value); }
            input type="hidden" name="uid" value="NULLGWDOCOMO";
            (ctx.t(text::IMODE_PASSWORD)) br; (views::pin_input(ctx, "pin"))
            input type="submit" value=(ctx.t(text::SUBMIT));
        }
        hr;
        (views::key_link(ctx, '9', &req.back, ctx.t(("やめる", "Cancel"))))
    };
    Page::new(
        ctx,
        views::layout(ctx, ctx.t(("ドコモ 登録確認", "docomo registration")), body),
    )
    .no_store()
    .status(status)
}

/// `POST /s/{sid}/cp/regst`: the provider's form arrives; ask the user.
async fn ask(
    state: AppState,
    Path((sid, posted_by)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let form = crate::web::page::read_form(body, ctx.profile.charset)?;
    let req = read(&state, &sid, &posted_by, &form)?;
    Ok(page(&state, &session, &ctx, &req, None, StatusCode::OK))
}

/// `POST /s/{sid}/cp/regst/confirm`: the i-mode password decides.
async fn confirm(
    state: AppState,
    Path((sid, posted_by)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let form = take_form(&state, &session, TOKEN, body)?;
    let req = read(&state, &sid, &posted_by, &form)?;
    let audit = if req.register {
        Action::CpRegister
    } else {
        Action::CpRelease
    };
    let source = format!("gateway:{}", req.site.id);
    let change = Change::subscription(req.site, req.register);
    let line = crate::web::state::session_line(&session);
    let pin = form.text("pin")?;
    let outcome = protected::apply(&state.services(), &line, audit, source, change, pin).await?;
    let again =
        |m: Markup, status| page(&state, &session, &ctx, &req, Some(m), status).into_response();
    Ok(match outcome {
        GateOutcome::Done(()) => Redirect::to(&req.next).into_response(),
        // Already subscribed (or not subscribed): back to the provider, nothing charged.
        GateOutcome::Refused(_) => Redirect::to(&req.back).into_response(),
        GateOutcome::InvalidFormat => again(
            views::notice(ctx.t(text::PIN_FORMAT)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        GateOutcome::WrongPin => {
            again(views::notice(ctx.t(text::WRONG_PIN)), StatusCode::FORBIDDEN)
        }
        GateOutcome::Locked => again(views::settings::locked_message(&ctx), StatusCode::FORBIDDEN),
    })
}
