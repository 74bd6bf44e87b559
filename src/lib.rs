//! garake: an i-mode style carrier gateway simulator.
//!
//! `build` turns a [`Config`] into an [`AppState`]; [`app`] is the router that
//! `serve` runs and tests drive in-process.

pub mod blocking;
pub mod browse;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod gateway;
pub mod handset;
pub mod html;
pub mod limits;
pub mod mail;
pub mod menu;
pub mod metrics;
pub mod pin;
pub mod problem;
pub mod queue;
pub mod random;
pub mod recovery;
pub mod scenario;
pub mod serve;
pub mod services;
pub mod session;
pub mod store;
pub mod views;
pub mod walk;
pub mod web;

use std::path::Path;

pub use config::Config;
pub use web::{app, AppState};

use clock::Clock;
use menu::{Menu, MenuSource, Problem};
use pin::PinHasher;
use store::Db;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the menu files have {} problem(s):\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Menus(Vec<Problem>),
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Secret(#[from] pin::SecretFileError),
    #[error("cannot load the demo fixtures: {0:?}")]
    Fixtures(error::AppError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Relay(String),
    /// A flag that cannot work (exit 2, like a usage error).
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Gateway(#[from] gateway::client::ClientError),
}

/// Argon2 slots: one per core, so PIN checks never take the whole machine.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Opens the database and its server secret (creating both on first start).
/// An existing database that holds password hashes never gets a new secret
/// unless `--new-secret` asks for one.
pub fn open_store(config: &Config) -> Result<(Db, PinHasher, bool), StartError> {
    let is_new = config.db == ":memory:" || !Path::new(&config.db).exists();
    let db = Db::open(&config.db)?;
    let secret = match config.secret_path() {
        Some(path) => {
            let has_hashes = db
                .with_conn(|c| Ok(store::holds_hashes(c)?))
                .map_err(StartError::Fixtures)?;
            PinHasher::load_secret(&path, has_hashes, config.new_secret)?
        }
        None => random::token_hex(32).into_bytes(),
    };
    let pins = PinHasher::with_queue(
        secret,
        cores(),
        config.limits.argon2_queue,
        limits::ARGON2_PATIENCE,
    );
    Ok((db, pins, is_new))
}

/// Loads menus and storage; a new database gets the demo fixtures (never an
/// existing one).
pub fn build(config: &Config) -> Result<AppState, StartError> {
    let menus = config.menu_source();
    let menu = Menu::load(menus.as_ref(), &web::KNOWN).map_err(StartError::Menus)?;
    let partners = load_partners(menus.as_ref())?;
    let handsets = handset::Catalogue::load(menus.as_ref()).map_err(StartError::Menus)?;
    // Every configuration check before the database is touched.
    let upstreams = gateway::client::Upstreams::new(
        config.gateway_ca.as_deref(),
        std::time::Duration::from_secs(config.gateway_timeout),
    )?;
    config.check().map_err(StartError::Usage)?;
    let (db, pins, is_new) = open_store(config)?;
    let clock = Clock::default();
    if is_new && !config.no_demo {
        restore_fixtures(&db, &pins, &partners, &clock)?;
        // The slot that hashed them is not needed until someone logs in.
        pins.release_idle(std::time::Duration::ZERO);
    }
    // Whether outbox mail queued from now on is for a relay.
    let relay = config.smtp_relay.clone();
    let mailbox = config.limits.mailbox_messages.to_string();
    db.with_conn(move |c| {
        use store::server::{set, Setting};
        set(c, Setting::SmtpRelay, relay.as_deref())?;
        Ok(set(c, Setting::MailboxMessages, Some(&mailbox))?)
    })
    .map_err(StartError::Fixtures)?;
    let token = config
        .admin_token
        .clone()
        .unwrap_or_else(|| random::token_hex(16));
    let state = AppState::new(
        db,
        clock,
        menu,
        partners,
        pins,
        web::state::Options {
            admin_token: token,
            public_url: config.public_url(),
            upstreams,
            limits: config.limits.clone(),
            handsets,
            policies: web::policies(),
            worlds_dir: config.worlds_dir(),
            public_worlds: config.public_worlds == config::Switch::On,
        },
    );
    // Worlds made before a restart are listed again (their files stay closed).
    state.worlds.load().map_err(StartError::Fixtures)?;
    Ok(state)
}

/// The partner sites of the menu set (`partners/*.toml`).
pub fn load_partners(menus: &dyn MenuSource) -> Result<recovery::config::Partners, StartError> {
    recovery::config::Partners::load(menus).map_err(StartError::Menus)
}

/// Replaces all lines with the demo fixtures.
pub fn restore_fixtures(
    db: &Db,
    pins: &PinHasher,
    partners: &recovery::config::Partners,
    clock: &Clock,
) -> Result<(), StartError> {
    db.with_conn(|conn| services::fixtures::restore(conn, pins, partners, clock.now()))
        .map_err(StartError::Fixtures)
}

/// Serves until SIGINT or SIGTERM, then finishes in-flight requests and returns.
pub async fn serve(mut config: Config) -> Result<(), StartError> {
    config.check().map_err(StartError::Usage)?;
    let relay = config
        .smtp_relay
        .as_deref()
        .map(mail::relay::Relay::new)
        .transpose()
        .map_err(StartError::Relay)?;
    // Menus first: an invalid tree must fail before anything else happens.
    let menus = config.menu_source();
    Menu::load(menus.as_ref(), &web::KNOWN).map_err(StartError::Menus)?;
    handset::Catalogue::load(menus.as_ref()).map_err(StartError::Menus)?;
    let listener = listen(config.addr).map_err(|source| StartError::Bind {
        addr: config.addr,
        source,
    })?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    config.addr = addr;
    let max_connections = serve::connection_limit(config.limits.max_connections);
    let state = build(&config)?;
    println!("garake listening on http://{addr}");
    println!("  power-on page : http://{addr}/");
    println!("  emulator      : http://{addr}/emulator");
    println!("  admin console : http://{addr}/admin");
    println!("  QA API        : http://{addr}/api/lines  (Authorization: Bearer <admin token>)");
    println!(
        "  worlds        : POST http://{addr}/api/worlds makes one (at most {})",
        config.limits.max_worlds
    );
    if config.admin_token.is_some() {
        println!("  admin token   : (as given by --admin-token / GARAKE_ADMIN_TOKEN)");
    } else {
        println!("  admin token   : {}", state.admin_token);
    }
    let mut tasks = Vec::new();
    if let (Some(relay), Some(target)) = (relay, &config.smtp_relay) {
        println!("  SMTP relay    : outbox mail is sent to {target}");
        tasks.push(tokio::spawn(mail::relay::run(
            state.db.clone(),
            relay,
            state.clock.clone(),
        )));
    }
    if let Some(url) = &config.webhook {
        println!("  webhook       : events are POSTed to {url}");
        let client = gateway::client::Upstreams::new(
            config.gateway_ca.as_deref(),
            std::time::Duration::from_secs(5),
        )
        .map_err(StartError::Gateway)?;
        tasks.push(tokio::spawn(events::webhook(
            state.all_events.clone(),
            url.clone(),
            client,
        )));
    }
    tasks.push(tokio::spawn(sweeper(state.clone())));
    // The worlds' templates are made once, now, so that the first world is quick.
    let preparing = state.clone();
    tasks.push(tokio::spawn(async move {
        if let Err(e) = preparing
            .worlds
            .make_templates(&preparing.server().template_maker())
            .await
        {
            tracing::warn!(error = ?e, "the worlds' templates could not be made");
        }
    }));
    tasks.push(tokio::spawn(give_back_memory()));
    tracing::info!(%addr, db = %config.db, max_connections, "serving");
    let options = serve::Options {
        max_connections,
        header_timeout: config.limits.header_timeout(),
        body_timeout: config.limits.body_timeout(),
        // The longest a request may rightly take is a gateway exchange; shutdown
        // waits that long and a little more for in-flight requests.
        grace: std::time::Duration::from_secs(config.gateway_timeout + 2),
        metrics: Some(state.metrics.clone()),
    };
    // At the signal, event streams and mail waits end first, so that the
    // connections they hold can close within the grace period.
    let events = state.all_events.clone();
    let shutdown = async move {
        shutdown_signal().await;
        events.close();
    };
    let worlds = state.clone();
    let app = app(state);
    serve::run(
        listener,
        move |remote| app.for_peer(remote),
        options,
        shutdown,
    )
    .await;
    for task in tasks {
        task.abort();
    }
    if let Err(e) = worlds.worlds.save() {
        tracing::warn!(error = ?e, "the worlds' last use could not be written");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Listens on `addr` with a listen queue of `LISTEN_BACKLOG` (the default,
/// 128, overflows in a flood and a dropped connection attempt is only
/// retried by the client a second later).
fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(limits::LISTEN_BACKLOG)
}

/// Gives the heap's free pages back to the system every second. glibc keeps
/// freed memory in the heap (a flood of requests leaves many pages free
/// between a few live blocks, which it cannot trim from the top); without
/// this, the resident size after a flood stays near its peak.
async fn give_back_memory() {
    let mut tick = tokio::time::interval(limits::TRIM_EVERY);
    loop {
        tick.tick().await;
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: malloc_trim only returns free pages of the allocator's own
        // heaps to the system; it takes the allocator's locks itself.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

/// Forgets what has expired, every minute (`AppState::sweep`).
async fn sweeper(state: AppState) {
    let mut tick = tokio::time::interval(limits::SWEEP_EVERY);
    tick.tick().await;
    loop {
        tick.tick().await;
        let s = state.clone();
        match tokio::task::spawn_blocking(move || s.sweep()).await {
            Ok(Ok(report)) if report.is_empty() => {}
            Ok(Ok(report)) => tracing::debug!(?report, "swept"),
            Ok(Err(e)) => tracing::warn!(error = ?e, "sweep failed"),
            Err(e) => tracing::warn!(error = %e, "sweep panicked"),
        }
        match state.server().sweep_worlds_at(clock::real_now()).await {
            Ok(report) if report == Default::default() => {}
            Ok(report) => tracing::debug!(?report, "worlds swept"),
            Err(e) => tracing::warn!(error = ?e, "the worlds' sweep failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    println!("garake: shutting down, finishing in-flight requests");
}
