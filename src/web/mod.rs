//! HTTP routes by feature, the shared application state, and error rendering.

pub mod admin;
pub mod api;
mod emulator;
pub mod front;
mod gateway;
mod imenu;
mod mail;
pub mod mydocomo;
pub mod page;
pub mod page_cache;
pub mod partner;
pub mod pc_session;
mod power_on;
pub mod procedures;
pub mod protected;
mod regst;
mod settings;
pub mod shop;
mod sites;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::clock::Clock;
use crate::domain::Lang;
use crate::error::{AppError, ErrorKind, ErrorMark};
use crate::handset::Profile;
use crate::menu::{Known, Menu};
use crate::pin::PinHasher;
use crate::session::{Session, Sessions};
use crate::store::Db;
use crate::views::{self, Ctx};

/// Built-in actions and panels that menu files may name. Each action has a route
/// below; `every_known_action_has_a_page` checks it.
pub const KNOWN: Known = Known {
    actions: &[
        settings::CHANGE_PIN,
        procedures::RESET_PIN,
        sites::MY_MENU,
        mail::INBOX,
        mail::COMPOSE,
        sites::FEE_SERVICES,
        protected::MAIL_REJECTION,
        protected::CHANGE_ADDRESS,
        protected::SUSPEND_MAIL,
        protected::SECRET_CODE,
        protected::MESSAGE_SERVICE,
    ],
    panels: &[imenu::LINE_SETTINGS],
};

/// The configured parts of the state (from `Config`).
pub struct Options {
    pub admin_token: String,
    /// The base of links in mails (`Config::public_url`).
    pub public_url: String,
    pub upstreams: crate::gateway::client::Upstreams,
}

/// Everything a request handler may use. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

pub struct Inner {
    pub db: Db,
    pub clock: Clock,
    pub menu: Menu,
    pub partners: crate::recovery::config::Partners,
    pub sessions: Sessions,
    pub pins: PinHasher,
    pub admin_token: String,
    /// The base of links in mails (`Config::public_url`).
    pub public_url: String,
    pub consoles: pc_session::PcSessions<()>,
    /// Cookies content providers gave browser-2.0 handsets, per session and site.
    pub cookies: crate::gateway::CookieJar,
    /// The gateway's client to content providers, with its timeout.
    pub upstreams: crate::gateway::client::Upstreams,
    /// Plain menu pages, rendered once per handset kind.
    pub pages: page_cache::PageCache,
    pub mydocomo: pc_session::PcSessions<mydocomo::Subscriber>,
    pub shop: pc_session::PcSessions<String>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl AppState {
    pub fn new(
        db: Db,
        clock: Clock,
        menu: Menu,
        partners: crate::recovery::config::Partners,
        pins: PinHasher,
        options: Options,
    ) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                sessions: Sessions::new(clock.clone()),
                db,
                clock,
                menu,
                partners,
                pins,
                admin_token: options.admin_token,
                public_url: options.public_url,
                consoles: admin::consoles(),
                pages: page_cache::PageCache::default(),
                upstreams: options.upstreams,
                cookies: crate::gateway::CookieJar::default(),
                mydocomo: mydocomo::sessions(),
                shop: shop::sessions(),
            }),
        }
    }

    /// The title of a built-in page: its label in the menu files, else `fallback`.
    pub fn action_title(
        &self,
        action: &str,
        lang: Lang,
        fallback: crate::views::text::Text,
    ) -> &str {
        self.menu
            .action_node(action)
            .map_or(lang.pick(fallback.0, fallback.1), |n| n.label(lang))
    }

    /// What the recovery mechanisms need, for a request from `source`.
    pub fn recovery(&self, source: Option<String>) -> crate::recovery::Ctx<'_> {
        crate::recovery::Ctx {
            db: &self.db,
            pins: &self.pins,
            clock: &self.clock,
            base_url: &self.public_url,
            source,
        }
    }

    /// The session behind an id in the URL, or back to the power-on page.
    pub fn session(&self, sid: &str) -> Result<(Arc<Session>, Ctx), AppError> {
        let session = self.sessions.touch(sid).ok_or(AppError::SessionExpired)?;
        let ctx = Ctx {
            profile: session.profile.clone(),
            lang: session.lang,
            sid: Some(session.id.clone()),
        };
        Ok((session, ctx))
    }
}

/// Reads a posted form and consumes its one-time token: a replayed, forged or
/// missing token is refused before anything else is looked at.
pub fn take_form(
    state: &AppState,
    session: &Session,
    action: &'static str,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<crate::handset::FormData, AppError> {
    let form = page::read_form(body, session.profile.charset)?;
    let token = form.text("ft")?;
    if !state.sessions.consume_token(session, action, token) {
        return Err(AppError::StaleForm);
    }
    Ok(form)
}

/// Records an attempt refused for its input before any secret was checked.
pub async fn audit_invalid(
    state: &AppState,
    session: &Session,
    action: &'static str,
) -> Result<(), AppError> {
    let (msisdn, now) = (session.msisdn.clone(), state.clock.now());
    state
        .db
        .call(move |conn| {
            crate::store::audit::record(
                conn,
                now,
                Some(&msisdn),
                action,
                crate::store::audit::Outcome::InvalidInput,
                "handset",
            )
        })
        .await
}

/// The whole application: what `serve` runs and what tests drive in-process
/// (the router behind the cached-menu-page shortcut of `front`).
pub fn app(state: AppState) -> front::App {
    front::App::new(state.clone(), router(state))
}

/// Every route, with error pages rendered for all of them.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(power_on::page))
        .route("/on/{msisdn}", get(power_on::start))
        .route("/s/{sid}/m/{node}", get(imenu::node))
        .merge(settings::routes())
        .merge(procedures::routes())
        .merge(sites::routes())
        .merge(mail::routes())
        .merge(admin::routes())
        .merge(mydocomo::routes())
        .merge(shop::routes())
        .merge(partner::routes())
        .merge(emulator::routes())
        .merge(gateway::routes())
        .merge(regst::routes())
        .merge(protected::routes())
        .nest("/api", api::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(page::BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            render_errors,
        ))
        .with_state(state)
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// The default language: Japanese on DoCoMo handsets, English on a PC.
pub fn default_lang(profile: &Profile) -> Lang {
    if profile.is_handset() {
        Lang::Ja
    } else {
        Lang::En
    }
}

/// Gives every error response its body: JSON under `/api`, otherwise a handset
/// page in the charset and language of the session (or of the User-Agent).
async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Cheap clones (shared buffers): only an error page needs them.
    let uri = req.uri().clone();
    let ua_header = req.headers().get(header::USER_AGENT).cloned();
    let mut response = next.run(req).await;
    let Some(mark) = response.extensions_mut().remove::<ErrorMark>() else {
        return response;
    };
    let (path, query) = (uri.path(), uri.query());
    let ua = ua_header
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let status = response.status();
    if path == "/api" || path.starts_with("/api/") {
        let mut json = (
            status,
            axum::Json(serde_json::json!({ "error": mark.detail })),
        )
            .into_response();
        if mark.kind == ErrorKind::Unauthorized {
            json.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        return json;
    }
    let ctx = error_ctx(&state, path, query, ua);
    let mut page = page::Page::new(&ctx, views::errors::page(&ctx, mark.kind, &state.menu.root))
        .status(status)
        .into_response();
    if status == StatusCode::METHOD_NOT_ALLOWED {
        if let Some(allow) = response.headers().get(header::ALLOW) {
            page.headers_mut().insert(header::ALLOW, allow.clone());
        }
    }
    page
}

/// The context to render an error page in, from whatever the request carried.
fn error_ctx(state: &AppState, path: &str, query: Option<&str>, ua: &str) -> Ctx {
    let sid = path
        .strip_prefix("/s/")
        .and_then(|rest| rest.split('/').next());
    if let Some(Ok((_, ctx))) = sid.map(|sid| state.session(sid)) {
        return ctx;
    }
    let profile = Arc::new(Profile::from_user_agent(ua));
    let lang = query
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")))
        .and_then(Lang::parse)
        .unwrap_or_else(|| default_lang(&profile));
    Ctx {
        profile,
        lang,
        sid: None,
    }
}
