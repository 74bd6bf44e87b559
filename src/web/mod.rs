//! HTTP routes by feature, the shared application state, and error rendering.

pub mod admin;
pub mod api;
mod emulator;
pub mod front;
mod gateway;
pub mod headers;
mod imenu;
mod mail;
pub mod mydocomo;
pub mod openapi;
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
use axum::http::{header, HeaderValue};
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
        protected::ID_NOTIFICATION,
        sites::URL_ENTRY,
    ],
    panels: &[imenu::LINE_SETTINGS],
};

/// The configured parts of the state (from `Config`).
pub struct Options {
    pub admin_token: String,
    /// The base of links in mails (`Config::public_url`).
    pub public_url: String,
    pub upstreams: crate::gateway::client::Upstreams,
    pub limits: crate::limits::Limits,
    pub handsets: crate::handset::Catalogue,
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
    /// The one store of every PC site's logins (console, My docomo, shop).
    pub pc_logins: pc_session::PcLogins,
    pub limits: crate::limits::Limits,
    /// The security headers of each kind of page.
    pub policies: headers::Policies,
    /// The key the identifiers content providers see are made with.
    pub id_key: [u8; 32],
    /// Every configured site with an upstream, as the gateway's links lead to them.
    pub routes: Vec<crate::gateway::Route>,
    /// Committed audit entries, deliveries, outbox messages and relay results.
    pub events: crate::events::Events,
    /// Requests, latencies and limit hits for `GET /metrics`.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Open event streams and mail waits, each against its limit.
    pub streams: std::sync::Arc<tokio::sync::Semaphore>,
    pub waits: std::sync::Arc<tokio::sync::Semaphore>,
    /// The handset catalogue: every model a profile can be.
    pub handsets: crate::handset::Catalogue,
    /// Requests to content providers under way, and those waiting for a turn.
    pub fetches: crate::queue::Gate,
    /// The gateway's budget of page bytes held at once.
    pub budget: crate::gateway::budget::Budget,
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
        let limits = options.limits;
        let pc_logins = pc_session::pc_logins(&clock, limits.max_pc_logins);
        let events = crate::events::Events::new();
        db.watch(events.watcher());
        let routes = crate::gateway::Route::all(
            menu.sites()
                .filter_map(|s| Some((s.upstream.as_deref()?, s.id.as_str()))),
        );
        AppState {
            inner: Arc::new(Inner {
                sessions: Sessions::new(
                    clock.clone(),
                    limits.max_sessions,
                    limits.sessions_per_line,
                ),
                db,
                clock,
                menu,
                partners,
                admin_token: options.admin_token,
                public_url: options.public_url,
                consoles: admin::consoles(&pc_logins),
                pages: page_cache::PageCache::default(),
                upstreams: options.upstreams,
                cookies: crate::gateway::CookieJar::default(),
                mydocomo: mydocomo::sessions(&pc_logins),
                shop: shop::sessions(&pc_logins),
                policies: headers::Policies::new(&emulator::script_hash()),
                handsets: options.handsets,
                id_key: pins.derive_key(crate::gateway::IDENTITY_KEY_LABEL),
                routes,
                events,
                metrics: Default::default(),
                streams: std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_event_streams)),
                waits: std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_waits)),
                fetches: crate::queue::Gate::new(
                    crate::queue::Kind::Gateway,
                    limits.gateway_fetches,
                    limits.gateway_queue,
                    crate::limits::GATEWAY_PATIENCE,
                ),
                budget: crate::gateway::budget::Budget::new(
                    limits.gateway_memory_mib * 1024 * 1024,
                    limits.gateway_queue,
                    crate::limits::GATEWAY_MEMORY_PATIENCE,
                ),
                pins,
                pc_logins,
                limits,
            }),
        }
    }

    /// Forgets everything that has expired or outgrown its bound: sessions,
    /// PC logins, cookies of forgotten sessions, throttle keys, old mail and
    /// log rows. Blocking (it runs a database transaction); `serve` calls it
    /// every minute, tests call it directly.
    pub fn sweep(&self) -> Result<Sweep, AppError> {
        let sessions = self.sessions.sweep();
        let pc_logins = self.pc_logins.sweep();
        self.pins.release_idle(crate::limits::ARGON2_IDLE);
        let cookies = self.cookies.sweep(|sid| self.sessions.exists(sid));
        let now = self.clock.now();
        let mail_before = now - self.limits.mail_retention_secs();
        let (throttle, mail, logs) = self.db.with_conn(move |conn| {
            let throttle = crate::store::throttle::sweep(conn, now)?;
            let mail = crate::mail::store::expire(conn, mail_before)?;
            let logs = crate::store::trim_logs(
                conn,
                crate::limits::LOG_ROWS,
                crate::limits::SECURITY_LOG_ROWS,
            )? + crate::recovery::store::trim_inquiries(conn, crate::limits::INQUIRIES)?;
            Ok((throttle, mail, logs))
        })?;
        Ok(Sweep {
            sessions,
            pc_logins,
            cookies,
            throttle,
            mail,
            logs,
        })
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
            partner_rate: self.limits.partner_rate(),
            max_members: self.limits.max_partner_members,
            metrics: &self.metrics,
        }
    }

    /// The session behind an id in the URL, or back to the power-on page.
    pub fn session(&self, sid: &str) -> Result<(Session, Ctx), AppError> {
        let session = self.sessions.touch(sid).ok_or(AppError::SessionExpired)?;
        let ctx = Ctx {
            profile: session.profile.clone(),
            lang: session.lang,
            sid: Some(sid.into()),
        };
        Ok((session, ctx))
    }
}

/// The client's IP address when the server knows it (`serve` records it;
/// tests driving the router in-process may add it themselves).
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl ClientAddr {
    /// The address as throttles and the audit log name it (`local` in-process).
    pub fn name(&self) -> String {
        self.0
            .map_or_else(|| "local".to_string(), |ip| ip.to_string())
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<ClientAddr, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// Checks an admin token together with its throttle, in one transaction. A
/// request without a token guesses nothing: 401, nothing counted or
/// written. A client address with too many wrong tokens this minute gets 429
/// whatever it sends, counted in the minute's `throttled` summary of
/// `admin_login`, never a row of its own; every wrong token is counted and
/// audited (`admin_login`, `wrong_token`). `via` names the door (`api`,
/// `console`).
pub async fn check_admin_token(
    state: &AppState,
    given: &str,
    client: &ClientAddr,
    via: &'static str,
) -> Result<(), AppError> {
    use crate::store::audit::{self, Outcome};
    use crate::store::throttle::{self, Reserved};
    if given.is_empty() {
        return Err(AppError::Unauthorized);
    }
    let right = crate::random::constant_time_eq(given.as_bytes(), state.admin_token.as_bytes());
    let source = client.name();
    let key = throttle::key("admin-token", &source);
    let (policy, now) = (state.limits.admin_guesses(), state.clock.now());
    let who = format!("{via}:{source}");
    let checked = state
        .db
        .call(move |conn| {
            let tx = crate::store::write_tx(conn)?;
            if let Reserved::Wait(wait) = throttle::allowed(&tx, &key, policy, now)? {
                audit::summarise(&tx, now, None, "admin_login", Outcome::Throttled, &who)?;
                tx.commit()?;
                return Ok(Err(AppError::TooMany(wait)));
            }
            if right {
                return Ok(Ok(()));
            }
            // Inside this transaction the check above said the address may
            // try: the reservation cannot be refused.
            throttle::reserve(&tx, &key, policy, now)?;
            audit::record(&tx, now, None, "admin_login", Outcome::WrongToken, &who)?;
            tx.commit()?;
            Ok(Err(AppError::Unauthorized))
        })
        .await?;
    if let Err(AppError::TooMany(_)) = &checked {
        state.metrics.limit_hit("rate_limited");
    }
    checked
}

/// What one sweep forgot.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub sessions: usize,
    pub pc_logins: usize,
    pub cookies: usize,
    pub throttle: usize,
    pub mail: usize,
    pub logs: usize,
}

impl Sweep {
    pub fn is_empty(&self) -> bool {
        *self == Sweep::default()
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
        .route("/metrics", get(api::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(crate::limits::BODY_LIMIT))
        .layer(axum::middleware::from_fn(refuse_large_bodies))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            render_errors,
        ))
        .with_state(state)
}

/// A `Content-Length` over the body limit gets its 413 before any byte of
/// the body is read.
async fn refuse_large_bodies(req: Request, next: Next) -> Response {
    let limit = crate::limits::body_limit(req.uri().path()) as u64;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().parse::<u64>());
    match declared {
        Some(Ok(n)) if n > limit => AppError::TooLarge.into_response(),
        Some(Err(_)) => {
            AppError::BadRequest("Content-Length is not a number".into()).into_response()
        }
        _ => next.run(req).await,
    }
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
    let response = next.run(req).await;
    error_page(&state, &uri, ua_header.as_ref(), response)
}

/// The answer to a request for `uri`: `response` itself, or, if it is an
/// error (`AppError`), its page (JSON under `/api`).
pub(crate) fn error_page(
    state: &AppState,
    uri: &axum::http::Uri,
    ua_header: Option<&HeaderValue>,
    mut response: Response,
) -> Response {
    let Some(mark) = response.extensions_mut().remove::<ErrorMark>() else {
        return response;
    };
    if let Some(limit) = mark.limit {
        state.metrics.limit_hit(limit);
    }
    let (path, query) = (uri.path(), uri.query());
    let ua = ua_header.and_then(|v| v.to_str().ok()).unwrap_or("");
    let status = response.status();
    // Headers the error set for the client (e.g. Retry-After) stay on the page.
    let keep = |page: &mut Response| {
        for name in [header::RETRY_AFTER, header::ALLOW, header::CONNECTION] {
            if let Some(v) = response.headers().get(&name) {
                page.headers_mut().insert(name, v.clone());
            }
        }
    };
    if path == "/api" || path.starts_with("/api/") || path == "/metrics" {
        let mut json = (
            status,
            axum::Json(serde_json::json!({ "error": mark.detail })),
        )
            .into_response();
        if mark.kind == ErrorKind::Unauthorized {
            json.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        keep(&mut json);
        return json;
    }
    let ctx = error_ctx(state, path, query, ua);
    let mut page = page::Page::new(
        &ctx,
        views::errors::page(&ctx, mark.kind, &mark.detail, &state.menu.root),
    )
    .status(status)
    .into_response();
    keep(&mut page);
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
    let profile = state.handsets.for_user_agent(ua);
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
