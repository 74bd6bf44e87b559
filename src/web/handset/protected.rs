//! The protected actions ("When to Enter Your i-mode Password"), all
//! through one flow: input page → confirmation page that shows what will change
//! and asks for the i-mode password → the PIN gate applies it in one transaction.
//!
//! Each action is a row of `ACTIONS` plus arms in `parse` and `describe` here,
//! and its `Change` and how it applies in `services::protected`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};

use crate::domain::Pin;
use crate::error::AppError;
use crate::handset::FormData;
use crate::mail::address::MailLocal;
use crate::mail::rejection::{self, ListError, Mode};
use crate::menu::Site;
use crate::services::gate::GateOutcome;
use crate::services::protected::{self, Change, Refusal};
use crate::session::Session;
use crate::store::audit::Action;
use crate::store::lines;
use crate::views::text::{self, Text};
use crate::views::{self, Ctx};
use crate::web::page::Page;
use crate::web::{state::take_form, state::AppState};

/// One protected action: its URL name, audit name and page title.
pub struct ActionDef {
    pub name: &'static str,
    pub audit: Action<'static>,
    pub title: Text,
    /// Site actions take the site id from the URL and have no input page.
    pub on_site: bool,
}

pub use crate::domain::actions::*;

pub const ACTIONS: &[ActionDef] = &[
    ActionDef {
        name: MAIL_REJECTION,
        audit: Action::MailRejection,
        title: text::MAIL_REJECTION,
        on_site: false,
    },
    ActionDef {
        name: CHANGE_ADDRESS,
        audit: Action::ChangeMailAddress,
        title: text::MAIL_ADDRESS,
        on_site: false,
    },
    ActionDef {
        name: SUSPEND_MAIL,
        audit: Action::SuspendMail,
        title: text::SUSPEND_Q,
        on_site: false,
    },
    ActionDef {
        name: SECRET_CODE,
        audit: Action::RegisterSecretCode,
        title: text::SECRET_CODE,
        on_site: false,
    },
    ActionDef {
        name: MESSAGE_SERVICE,
        audit: Action::MessageService,
        title: ("メッセージサービス", "Message Service"),
        on_site: false,
    },
    ActionDef {
        name: ID_NOTIFICATION,
        audit: Action::IdNotification,
        title: text::ID_NOTIFICATION,
        on_site: false,
    },
    ActionDef {
        name: MY_MENU_REGISTER,
        audit: Action::MyMenuRegister,
        title: text::MY_MENU_REGISTER,
        on_site: true,
    },
    ActionDef {
        name: MY_MENU_UNREGISTER,
        audit: Action::MyMenuUnregister,
        title: text::MY_MENU_UNREGISTER,
        on_site: true,
    },
    ActionDef {
        name: SUBSCRIBE,
        audit: Action::Subscribe,
        title: text::SUBSCRIBE,
        on_site: true,
    },
    ActionDef {
        name: UNSUBSCRIBE,
        audit: Action::Unsubscribe,
        title: text::UNSUBSCRIBE,
        on_site: true,
    },
];

fn def(name: &str) -> Result<&'static ActionDef, AppError> {
    ACTIONS
        .iter()
        .find(|d| d.name == name)
        .ok_or(AppError::NotFound)
}

pub fn routes() -> Router {
    Router::new()
        .route("/s/{sid}/a/{action}", get(input_page).post(apply_settings))
        .route("/s/{sid}/c/{action}", post(confirm_settings))
        .route(
            "/s/{sid}/a/{action}/{site}",
            get(confirm_site).post(apply_site),
        )
}

/// Why input was refused: a message, and the offending value if it helps.
struct Invalid(Text, Option<String>);

fn on_off(form: &FormData, name: &str) -> Result<Result<bool, Invalid>, AppError> {
    Ok(match form.get(name)? {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        _ => Err(Invalid(text::CHOOSE_ON_OFF, None)),
    })
}

/// Reads and validates an action's fields (the same on the confirm step and on apply).
fn parse(
    def: &ActionDef,
    form: &FormData,
    site: Option<&Site>,
) -> Result<Result<Change, Invalid>, AppError> {
    Ok(Ok(match def.name {
        MAIL_REJECTION => {
            let Some(mode) = form.get("mode")?.and_then(Mode::parse) else {
                return Ok(Err(Invalid(text::MODE_UNKNOWN, None)));
            };
            let list = match rejection::parse_list(form.text("list")?) {
                Ok(list) if list.is_empty() && mode.uses_list() => {
                    return Ok(Err(Invalid(text::LIST_EMPTY, None)))
                }
                Ok(list) => list,
                Err(ListError::Malformed(entry)) => {
                    return Ok(Err(Invalid(text::LIST_MALFORMED, Some(entry))))
                }
                Err(ListError::TooMany) => return Ok(Err(Invalid(text::LIST_TOO_MANY, None))),
                Err(ListError::Empty) => return Ok(Err(Invalid(text::LIST_EMPTY, None))),
            };
            Change::Rejection { mode, list }
        }
        CHANGE_ADDRESS => match MailLocal::parse(form.text("new_address")?) {
            Ok(local) => Change::Address(local),
            Err(_) => return Ok(Err(Invalid(text::ADDRESS_INVALID, None))),
        },
        SUSPEND_MAIL => match on_off(form, "suspend")? {
            Ok(b) => Change::Suspend(b),
            Err(e) => return Ok(Err(e)),
        },
        SECRET_CODE => match Pin::parse(form.text("secret_code")?) {
            Ok(code) => Change::SecretCode(code.expose().to_string()),
            Err(_) => return Ok(Err(Invalid(text::SECRET_CODE_FORMAT, None))),
        },
        MESSAGE_SERVICE => match (on_off(form, "message_r")?, on_off(form, "message_f")?) {
            (Ok(r), Ok(f)) => Change::Messages { r, f },
            (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
        },
        ID_NOTIFICATION => match on_off(form, "notify")? {
            Ok(b) => Change::IdNotification(b),
            Err(e) => return Ok(Err(e)),
        },
        name => {
            let site = site.ok_or(AppError::NotFound)?;
            let subscription = name == SUBSCRIBE || name == UNSUBSCRIBE;
            if subscription && !site.is_fee_based() {
                return Ok(Err(Invalid(text::NOT_FEE_BASED, None)));
            }
            match name {
                MY_MENU_REGISTER | MY_MENU_UNREGISTER => Change::MyMenu {
                    site: site.id.clone(),
                    register: name == MY_MENU_REGISTER,
                },
                _ => Change::Subscription {
                    site: site.id.clone(),
                    fee: site.fee,
                    subscribe: name == SUBSCRIBE,
                },
            }
        }
    }))
}

/// The fields that carry this change from the confirmation page to apply.
fn hidden(change: &Change) -> Vec<(&'static str, String)> {
    let on = |b: bool| if b { "on" } else { "off" }.to_string();
    match change {
        Change::Rejection { mode, list } => {
            vec![("mode", mode.as_str().into()), ("list", list.join(" "))]
        }
        Change::Address(local) => vec![("new_address", local.to_string())],
        Change::Suspend(b) => vec![("suspend", on(*b))],
        Change::SecretCode(code) => vec![("secret_code", code.clone())],
        Change::Messages { r, f } => vec![("message_r", on(*r)), ("message_f", on(*f))],
        Change::IdNotification(b) => vec![("notify", on(*b))],
        Change::MyMenu { .. } | Change::Subscription { .. } => Vec::new(),
    }
}

/// What will change, in the handset's words.
fn describe(change: &Change, ctx: &Ctx, state: &AppState) -> Markup {
    let site_name = |id: &str| {
        state
            .menu
            .site(id)
            .map_or(id.to_string(), |s| s.label(ctx.lang).to_string())
    };
    let on_off = |b: bool| {
        ctx.t(if b {
            text::RECEIVE
        } else {
            text::DO_NOT_RECEIVE
        })
    };
    match change {
        Change::Rejection { mode, list } => html! {
            (ctx.t(text::WILL_SET_REJECTION)) br;
            (views::protected::mode_label(ctx, *mode)) br;
            @if mode.uses_list() { @for e in list { (e) br; } }
        },
        Change::Address(local) => html! {
            (ctx.t(text::WILL_SET_ADDRESS)) br; (local) "@" (crate::mail::address::MAIL_DOMAIN) br;
        },
        Change::Suspend(true) => html! { (ctx.t(text::WILL_SUSPEND)) br; },
        Change::Suspend(false) => html! { (ctx.t(text::WILL_RESUME)) br; },
        Change::SecretCode(_) => html! { (ctx.t(text::WILL_SET_SECRET_CODE)) br; },
        Change::Messages { r, f } => html! {
            (ctx.t(text::WILL_SET_MESSAGES)) br;
            "MessageR:" (on_off(*r)) br; "MessageF:" (on_off(*f)) br;
        },
        Change::IdNotification(true) => html! { (ctx.t(text::WILL_NOTIFY_ID)) br; },
        Change::IdNotification(false) => html! { (ctx.t(text::WILL_NOT_NOTIFY_ID)) br; },
        Change::MyMenu { site, register } => html! {
            "「" (site_name(site)) "」" (ctx.t(if *register { text::WILL_REGISTER } else { text::WILL_UNREGISTER })) br;
        },
        Change::Subscription {
            site,
            fee,
            subscribe,
        } => html! {
            "「" (site_name(site)) "」(" (views::sites::fee(ctx, *fee)) ")"
            (ctx.t(if *subscribe { text::WILL_SUBSCRIBE } else { text::WILL_UNSUBSCRIBE })) br;
        },
    }
}

fn title(def: &ActionDef, ctx: &Ctx, state: &AppState) -> String {
    state
        .action_title(def.name, ctx.lang, def.title)
        .to_string()
}

async fn line_state(state: &AppState, session: &Session) -> Result<lines::LineState, AppError> {
    let (line_id, now) = (session.line_id, state.clock.now());
    state
        .db
        .call(move |conn| Ok(lines::state(conn, line_id, now)?))
        .await?
        .ok_or(AppError::SessionExpired)
}

/// The input page of a settings action, with an optional message.
async fn input(
    state: &AppState,
    session: &Session,
    ctx: &Ctx,
    def: &ActionDef,
    message: Option<Markup>,
    status: StatusCode,
) -> Result<Page, AppError> {
    if def.on_site {
        return Err(AppError::NotFound);
    }
    let line = line_state(state, session).await?;
    let body = views::protected::input(ctx, def.name, &line, message, &state.menu.root);
    Ok(
        Page::new(ctx, views::layout(ctx, &title(def, ctx, state), body))
            .no_store()
            .status(status),
    )
}

/// One request's place in an action's flow: who, where, which action.
struct Step<'a> {
    state: &'a AppState,
    session: &'a Session,
    ctx: &'a Ctx,
    def: &'static ActionDef,
}

impl Step<'_> {
    /// The confirmation page: what will change, the password box, a fresh token.
    fn confirm(
        &self,
        change: &Change,
        site: Option<&str>,
        message: Option<Markup>,
        status: StatusCode,
    ) -> Page {
        let (state, ctx, def) = (self.state, self.ctx, self.def);
        let token = state.sessions.issue_token(self.session, def.name);
        let href = match site {
            Some(site) => format!("{}/{site}", ctx.action_href(def.name)),
            None => ctx.action_href(def.name),
        };
        let body = views::protected::confirm(
            ctx,
            message,
            describe(change, ctx, state),
            &hidden(change),
            &href,
            &token,
            &state.menu.root,
        );
        Page::new(ctx, views::layout(ctx, &title(def, ctx, state), body))
            .no_store()
            .status(status)
    }
}

fn invalid_markup(ctx: &Ctx, Invalid(message, detail): Invalid) -> Markup {
    html! { (ctx.t(message)) @if let Some(d) = detail { (d) } br; }
}

/// `GET /s/{sid}/a/{action}`: the input page of a settings action.
async fn input_page(
    state: AppState,
    Path((sid, action)): Path<(String, String)>,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    input(&state, &session, &ctx, def(&action)?, None, StatusCode::OK).await
}

/// `POST /s/{sid}/c/{action}`: validate the input, show the confirmation page.
async fn confirm_settings(
    state: AppState,
    Path((sid, action)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let def = def(&action)?;
    let form = crate::web::page::read_form(body, ctx.profile.charset)?;
    match parse(def, &form, None)? {
        Ok(change) => Ok(Step {
            state: &state,
            session: &session,
            ctx: &ctx,
            def,
        }
        .confirm(&change, None, None, StatusCode::OK)),
        Err(invalid) => {
            input(
                &state,
                &session,
                &ctx,
                def,
                Some(invalid_markup(&ctx, invalid)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `GET /s/{sid}/a/{action}/{site}`: the confirmation page of a site action.
async fn confirm_site(
    state: AppState,
    Path((sid, action, site)): Path<(String, String, String)>,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let def = def(&action)?;
    let site_def = state
        .menu
        .site(&site)
        .filter(|_| def.on_site)
        .ok_or(AppError::NotFound)?;
    match parse(def, &FormData::default(), Some(site_def))? {
        Ok(change) => Ok(Step {
            state: &state,
            session: &session,
            ctx: &ctx,
            def,
        }
        .confirm(&change, Some(&site), None, StatusCode::OK)),
        Err(invalid) => Ok(site_result(
            &state,
            &ctx,
            &site,
            invalid_markup(&ctx, invalid),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}

async fn apply_settings(
    state: AppState,
    Path((sid, action)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Page, AppError> {
    apply(state, sid, action, None, body).await
}

async fn apply_site(
    state: AppState,
    Path((sid, action, site)): Path<(String, String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Page, AppError> {
    apply(state, sid, action, Some(site), body).await
}

fn site_result(
    state: &AppState,
    ctx: &Ctx,
    site: &str,
    message: Markup,
    status: StatusCode,
) -> Page {
    let body = html! {
        (message) hr;
        a href=(ctx.action_href(&format!("{}{site}", crate::menu::SITE_ACTION))) accesskey="9" { (ctx.profile.key_label('9')) (state.menu.site(site).map_or(site, |s| s.label(ctx.lang))) } br;
        (views::to_imenu(ctx, &state.menu.root))
    };
    Page::new(ctx, views::layout(ctx, ctx.t(text::APP_TITLE), body))
        .no_store()
        .status(status)
}

/// The words for a change refused although the password was right.
pub(crate) fn refusal_text(why: Refusal) -> Text {
    match why {
        Refusal::AddressTaken => text::ADDRESS_TAKEN,
        Refusal::AlreadyRegistered => text::ALREADY_REGISTERED,
        Refusal::NotRegistered => text::NOT_REGISTERED_SITE,
        Refusal::AlreadySubscribed => text::ALREADY_SUBSCRIBED,
        Refusal::NotSubscribed => text::NOT_SUBSCRIBED,
    }
}

/// `POST /s/{sid}/a/{action}[/{site}]`: the i-mode password decides.
async fn apply(
    state: AppState,
    sid: String,
    action: String,
    site: Option<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Page, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let def = def(&action)?;
    if def.on_site != site.is_some() {
        return Err(AppError::NotFound);
    }
    let site_def = match &site {
        Some(id) => Some(state.menu.site(id).ok_or(AppError::NotFound)?),
        None => None,
    };
    let form = take_form(&state, &session, def.name, body)?;
    let change = match parse(def, &form, site_def)? {
        Ok(change) => change,
        Err(invalid) => {
            crate::web::state::audit_invalid(&state, &session, def.audit).await?;
            let message = invalid_markup(&ctx, invalid);
            return match &site {
                Some(id) => Ok(site_result(
                    &state,
                    &ctx,
                    id,
                    message,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )),
                None => {
                    input(
                        &state,
                        &session,
                        &ctx,
                        def,
                        Some(message),
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await
                }
            };
        }
    };
    let outcome = protected::apply(
        &state.services(),
        &crate::web::state::session_line(&session),
        def.audit,
        "handset".into(),
        change.clone(),
        form.text("pin")?,
    )
    .await?;
    let step = Step {
        state: &state,
        session: &session,
        ctx: &ctx,
        def,
    };
    let again =
        |message: Markup, status| step.confirm(&change, site.as_deref(), Some(message), status);
    Ok(match outcome {
        GateOutcome::Done(()) => {
            let line = line_state(&state, &session).await?;
            let body = views::protected::done(&ctx, &line, site.as_deref(), &state.menu.root);
            Page::new(&ctx, views::layout(&ctx, &title(def, &ctx, &state), body)).no_store()
        }
        GateOutcome::InvalidFormat => again(
            views::notice(ctx.t(text::PIN_FORMAT)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        GateOutcome::WrongPin => {
            again(views::notice(ctx.t(text::WRONG_PIN)), StatusCode::FORBIDDEN)
        }
        GateOutcome::Locked => again(views::settings::locked_message(&ctx), StatusCode::FORBIDDEN),
        GateOutcome::Refused(why) => match &site {
            Some(id) => site_result(
                &state,
                &ctx,
                id,
                views::notice(ctx.t(refusal_text(why))),
                StatusCode::CONFLICT,
            ),
            None => {
                input(
                    &state,
                    &session,
                    &ctx,
                    def,
                    Some(views::notice(ctx.t(refusal_text(why)))),
                    StatusCode::CONFLICT,
                )
                .await?
            }
        },
    })
}
