//! The state a request runs in: the world it belongs to (its store, clock
//! and events) and, through it, the server every world shares (menus,
//! handset catalogue, Argon2 slots, gateway client and limits, sessions,
//! metrics).

use std::sync::Arc;

use crate::clock::Clock;
use crate::domain::Lang;
use crate::error::AppError;
use crate::handset::Profile;
use crate::menu::Menu;
use crate::pin::PinHasher;
use crate::session::{Session, Sessions};
use crate::store::Db;
use crate::views::Ctx;

use super::worlds::{Caps, Lasting, Place, TemplateMaker, Worlds};
use super::{headers, page, page_cache, pc_session};

/// A world as the registry lists it.
pub type WorldEntry = super::worlds::Entry<World>;

/// The configured parts of the state (from `Config`).
pub struct Options {
    pub admin_token: String,
    /// The base of links in mails (`Config::public_url`).
    pub public_url: String,
    pub upstreams: crate::gateway::client::Upstreams,
    pub limits: crate::limits::Limits,
    pub handsets: crate::handset::Catalogue,
    /// The security headers of each kind of page (`web::policies`).
    pub policies: headers::Policies,
    /// Where worlds keep their database files (`None`: in memory).
    pub worlds_dir: Option<std::path::PathBuf>,
    /// Whether the power-on page offers private demos.
    pub public_worlds: bool,
}

/// What a request handler may use: the world it runs in (cheap to clone).
/// Through the world it reaches the server every world shares, so a handler
/// reads `state.db` (its world's) and `state.menu` (the server's) alike.
#[derive(Clone)]
pub struct AppState {
    world: Arc<World>,
}

/// One simulated carrier: its store (lines, secrets, mailboxes, outbox,
/// audit log, throttles, billing, partner members), its simulated clock,
/// its handset sessions, PC logins and gateway cookies, and its stream of
/// events.
pub struct World {
    pub db: Db,
    pub clock: Clock,
    pub sessions: Sessions,
    /// Every PC site's logins in this world (console, My docomo, shop).
    pub pc_logins: pc_session::PcLogins,
    /// Cookies content providers gave browser-2.0 handsets, per session and site.
    pub cookies: Arc<crate::gateway::CookieJar>,
    /// Committed audit entries, deliveries, outbox messages and relay results.
    pub events: crate::events::Events,
    /// Which world this is and where its pages live.
    pub place: Place,
    /// The base of links in this world's mails: the server's public URL
    /// and the world's prefix.
    pub world_url: String,
    server: Arc<Server>,
}

/// What every world shares: the menus and the handset catalogue, the Argon2
/// slots, the gateway's client and its bounds, the caps on sessions and PC
/// logins, the page cache, the worlds, the limits and the metrics.
pub struct Server {
    pub menu: Menu,
    pub partners: crate::recovery::config::Partners,
    /// Handset sessions and PC logins of every world, against their caps.
    pub session_count: Arc<std::sync::atomic::AtomicUsize>,
    pub pc_login_count: Arc<std::sync::atomic::AtomicUsize>,
    /// Every world but the default one.
    pub worlds: Worlds<World>,
    /// Whether the power-on page offers private demos.
    pub public_worlds: bool,
    pub pins: PinHasher,
    pub admin_token: String,
    /// The base of links in mails (`Config::public_url`).
    pub public_url: String,
    /// The gateway's client to content providers, with its timeout.
    pub upstreams: crate::gateway::client::Upstreams,
    /// Plain menu pages, rendered once per handset kind.
    pub pages: page_cache::PageCache,
    pub limits: crate::limits::Limits,
    /// The security headers of each kind of page.
    pub policies: headers::Policies,
    /// The key the identifiers content providers see are made with.
    pub id_key: [u8; 32],
    /// Every configured site with an upstream, as the gateway's links lead to them.
    pub routes: Vec<crate::gateway::Route>,
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
    /// Provider pages kept rewritten for the next handset.
    pub rewrites: crate::gateway::rewrites::Rewrites,
    /// Every world's events, each with its world's id (for the webhook).
    pub all_events: crate::events::Tap,
}

impl std::ops::Deref for AppState {
    type Target = World;
    fn deref(&self) -> &World {
        &self.world
    }
}

impl std::ops::Deref for World {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl World {
    /// The world `place` over `db`, with its lasting parts, on `server`.
    pub fn new(db: Db, lasting: Lasting, place: Place, server: Arc<Server>) -> World {
        let events = crate::events::Events::for_world(place.id.clone(), &server.all_events);
        db.watch(events.watcher());
        World {
            world_url: format!("{}{}", server.public_url, place.base),
            db,
            clock: lasting.clock,
            sessions: lasting.sessions,
            pc_logins: lasting.pc_logins,
            cookies: lasting.cookies,
            events,
            place,
            server,
        }
    }

    /// The server this world runs on.
    pub fn server(&self) -> &Arc<Server> {
        &self.server
    }

    /// `""` for the default world, else `/w/{id}`.
    pub fn base(&self) -> &str {
        &self.place.base
    }

    pub fn is_default(&self) -> bool {
        self.place.id.is_none()
    }

    /// The path the PC sites' login cookies are sent under.
    pub fn cookie_path(&self) -> String {
        format!("{}/", self.place.base)
    }

    /// Forgets this world's gateway cookies of forgotten sessions, expired
    /// throttle keys, old mail and log rows: (cookies, throttle keys, mails,
    /// log rows). Blocking.
    pub fn sweep_store(&self) -> Result<(usize, usize, usize, usize), AppError> {
        let cookies = self.cookies.sweep(|sid| self.sessions.exists(sid));
        let now = self.clock.now();
        let mail_before = now - self.limits.mail_retention_secs();
        let (throttle, mail, logs) = self.db.with_conn(move |conn| {
            let throttle = crate::store::throttle::sweep(conn, now)?;
            let mail = crate::store::mail::expire(conn, mail_before)?;
            let logs = crate::store::trim_logs(
                conn,
                crate::limits::LOG_ROWS,
                crate::limits::SECURITY_LOG_ROWS,
            )? + crate::store::partners::trim_inquiries(conn, crate::limits::INQUIRIES)?;
            Ok((throttle, mail, logs))
        })?;
        Ok((cookies, throttle, mail, logs))
    }
}

impl Server {
    pub fn new(
        menu: Menu,
        partners: crate::recovery::config::Partners,
        pins: PinHasher,
        options: Options,
    ) -> Server {
        let limits = options.limits;
        let caps = Caps {
            max_sessions: limits.max_sessions,
            sessions_per_line: limits.sessions_per_line,
            max_pc_logins: limits.max_pc_logins,
            session_count: Arc::default(),
            pc_login_count: Arc::default(),
        };
        let routes = crate::gateway::Route::all(
            menu.sites()
                .filter_map(|s| Some((s.upstream.as_deref()?, s.id.as_str()))),
        );
        Server {
            session_count: caps.session_count.clone(),
            pc_login_count: caps.pc_login_count.clone(),
            worlds: Worlds::new(options.worlds_dir, limits.max_worlds, caps.clone()),
            public_worlds: options.public_worlds,
            all_events: crate::events::Tap::default(),
            menu,
            partners,
            admin_token: options.admin_token,
            public_url: options.public_url,
            pages: page_cache::PageCache::default(),
            upstreams: options.upstreams,
            policies: options.policies,
            handsets: options.handsets,
            id_key: pins.derive_key(crate::gateway::IDENTITY_KEY_LABEL),
            routes,
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
            rewrites: crate::gateway::rewrites::Rewrites::new(
                limits.gateway_cache_mib * 1024 * 1024,
            ),
            pins,
            limits,
        }
    }
}

impl Server {
    /// How this server makes a world's template: the demo fixtures (the
    /// secrets hashed here, once) or none, and the server's settings.
    pub fn template_maker(self: &Arc<Self>) -> TemplateMaker {
        let server = self.clone();
        Arc::new(move |fixtures| server.world_template(fixtures))
    }

    fn world_template(&self, fixtures: super::worlds::Fixtures) -> Result<Db, AppError> {
        let db = Db::open(":memory:")?;
        let now = crate::clock::real_now();
        let mailbox = self.limits.mailbox_messages.to_string();
        db.with_conn(|c| {
            if fixtures == super::worlds::Fixtures::Demo {
                crate::services::fixtures::restore(c, &self.pins, &self.partners, now)?;
            }
            // Outbox mail of a world stays in its outbox (the relay sends the
            // default world's).
            use crate::store::server::{set, Setting};
            set(c, Setting::SmtpRelay, None)?;
            set(c, Setting::MailboxMessages, Some(&mailbox))?;
            Ok(())
        })?;
        self.pins.release_idle(std::time::Duration::ZERO);
        Ok(db)
    }

    /// Makes a world (`Worlds::create` with this server's templates).
    pub async fn create_world(
        self: &Arc<Self>,
        new: super::worlds::NewWorld,
    ) -> Result<super::worlds::Made<World>, AppError> {
        self.worlds.create(&self.template_maker(), new).await
    }

    /// The open world of `entry`, opened on this server if it was closed.
    pub async fn open_world(
        self: &Arc<Self>,
        entry: &Arc<WorldEntry>,
    ) -> Result<Arc<World>, AppError> {
        let server = self.clone();
        self.worlds
            .open(entry, move |db, lasting, place| {
                World::new(db, lasting, place, server)
            })
            .await
    }

    /// The worlds' sweep as at real time `now`, each open world's store swept too.
    pub async fn sweep_worlds_at(&self, now: i64) -> Result<super::worlds::WorldSweep, AppError> {
        self.worlds
            .sweep_at(now, |world: &World| world.sweep_store().map(drop))
            .await
    }
}

impl AppState {
    /// The server and its default world (the database garake was started with).
    pub fn new(
        db: Db,
        clock: Clock,
        menu: Menu,
        partners: crate::recovery::config::Partners,
        pins: PinHasher,
        options: Options,
    ) -> AppState {
        let server = Arc::new(Server::new(menu, partners, pins, options));
        server.worlds.attach(db.clone());
        let lasting = Lasting::new(server.worlds.caps(), clock);
        AppState::of(Arc::new(World::new(
            db,
            lasting,
            Place::default_world(),
            server,
        )))
    }

    /// The state of a request that runs in `world`.
    pub fn of(world: Arc<World>) -> AppState {
        AppState { world }
    }

    /// The world this state runs in.
    pub fn world(&self) -> &Arc<World> {
        &self.world
    }

    /// Forgets everything that has expired or outgrown its bound in this
    /// world: sessions, PC logins, cookies of forgotten sessions, throttle
    /// keys, old mail and log rows; and the server's idle Argon2 slots (the
    /// gateway's client closes its idle connections itself). Blocking (it runs
    /// a database transaction); `serve` calls it every minute, tests call it
    /// directly.
    pub fn sweep(&self) -> Result<Sweep, AppError> {
        let sessions = self.sessions.sweep();
        let pc_logins = self.pc_logins.sweep();
        self.pins.release_idle(crate::limits::ARGON2_IDLE);
        let (cookies, throttle, mail, logs) = self.world.sweep_store()?;
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

    /// What the services need: the store, the Argon2 slots, the clock.
    pub fn services(&self) -> crate::services::Ctx<'_> {
        crate::services::Ctx {
            db: &self.db,
            pins: &self.pins,
            clock: &self.clock,
        }
    }

    /// What the recovery mechanisms need, for a request from `source`.
    pub fn recovery(&self, source: Option<String>) -> crate::recovery::Ctx<'_> {
        crate::recovery::Ctx {
            db: &self.db,
            pins: &self.pins,
            clock: &self.clock,
            base_url: &self.world_url,
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
            rebase: self.base().len(),
        };
        Ok((session, ctx))
    }
}

/// The state of the world a request runs in, as `front` attached it (the
/// router's own layer attaches the default world's to a request that
/// reached it without one, as in tests that drive the router alone).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AppState {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<AppState, AppError> {
        parts.extensions.get::<AppState>().cloned().ok_or_else(|| {
            AppError::Internal("a request reached a handler without its world".into())
        })
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

/// The line a handset session acts for, as the services name it.
pub(crate) fn session_line(session: &Session) -> crate::services::Line {
    crate::services::Line {
        id: session.line_id,
        msisdn: session.msisdn.clone(),
    }
}

/// Records an attempt refused for its input before any secret was checked.
pub async fn audit_invalid(
    state: &AppState,
    session: &Session,
    action: crate::store::audit::Action<'static>,
) -> Result<(), AppError> {
    let (msisdn, now) = (session.msisdn.clone(), state.clock.now());
    state
        .db
        .call(move |conn| {
            Ok(crate::store::audit::record(
                conn,
                now,
                Some(&msisdn),
                action,
                crate::store::audit::Outcome::InvalidInput,
                "handset",
            )?)
        })
        .await
}

/// The default language: Japanese on DoCoMo handsets, English on a PC.
pub fn default_lang(profile: &Profile) -> Lang {
    if profile.is_handset() {
        Lang::Ja
    } else {
        Lang::En
    }
}
