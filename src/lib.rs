//! garake: an i-mode style carrier gateway simulator.
//!
//! `build` turns a [`Config`] into an [`AppState`]; [`app`] is the router that
//! `serve` runs and tests drive in-process.

pub mod blocking;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod gateway;
pub mod handset;
pub mod mail;
pub mod menu;
pub mod pin;
pub mod random;
pub mod recovery;
pub mod session;
pub mod store;
pub mod views;
pub mod walk;
pub mod web;

use std::path::Path;

pub use config::Config;
pub use web::{app, AppState};

use clock::Clock;
use menu::{Menu, Problem};
use pin::PinHasher;
use store::Db;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the menu files have {} problem(s):\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Menus(Vec<Problem>),
    #[error(transparent)]
    Store(#[from] store::StoreError),
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
    #[error(transparent)]
    Gateway(#[from] gateway::client::ClientError),
}

/// Argon2 slots: one per core, so PIN checks never take the whole machine.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Opens the database and its server secret (creating both on first start).
pub fn open_store(config: &Config) -> Result<(Db, PinHasher, bool), StartError> {
    let is_new = config.db == ":memory:" || !Path::new(&config.db).exists();
    let db = Db::open(&config.db)?;
    let secret = match config.secret_path() {
        Some(path) => PinHasher::load_or_create_secret(&path)?,
        None => random::token_hex(32).into_bytes(),
    };
    Ok((db, PinHasher::new(secret, cores()), is_new))
}

/// Loads menus and storage; a new database gets the demo fixtures (never an
/// existing one).
pub fn build(config: &Config) -> Result<AppState, StartError> {
    let menu = Menu::load(&config.menus, &web::KNOWN).map_err(StartError::Menus)?;
    let partners = load_partners(&config.menus)?;
    // Every configuration check before the database is touched.
    let upstreams = gateway::client::Upstreams::new(
        config.gateway_ca.as_deref(),
        std::time::Duration::from_secs(config.gateway_timeout),
    )?;
    let (db, pins, is_new) = open_store(config)?;
    let clock = Clock::default();
    if is_new && !config.no_demo {
        restore_fixtures(&db, &pins, &partners, &clock)?;
    }
    let token = config
        .admin_token
        .clone()
        .unwrap_or_else(|| random::token_hex(16));
    Ok(AppState::new(
        db,
        clock,
        menu,
        partners,
        pins,
        web::Options {
            admin_token: token,
            public_url: config.public_url(),
            upstreams,
        },
    ))
}

/// The partner sites of `menus/partners/`.
pub fn load_partners(menus: &Path) -> Result<recovery::config::Partners, StartError> {
    recovery::config::Partners::load(&menus.join("partners")).map_err(StartError::Menus)
}

/// Replaces all lines with the demo fixtures.
pub fn restore_fixtures(
    db: &Db,
    pins: &PinHasher,
    partners: &recovery::config::Partners,
    clock: &Clock,
) -> Result<(), StartError> {
    db.with_conn(|conn| store::fixtures::restore(conn, pins, partners, clock.now()))
        .map_err(StartError::Fixtures)
}

/// Serves until SIGINT or SIGTERM, then finishes in-flight requests and returns.
pub async fn serve(mut config: Config) -> Result<(), StartError> {
    let relay = config
        .smtp_relay
        .as_deref()
        .map(mail::relay::Relay::new)
        .transpose()
        .map_err(StartError::Relay)?;
    // Menus first: an invalid tree must fail before anything else happens.
    Menu::load(&config.menus, &web::KNOWN).map_err(StartError::Menus)?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    config.addr = addr;
    let state = build(&config)?;
    println!("garake listening on http://{addr}");
    println!("  power-on page : http://{addr}/");
    println!("  emulator      : http://{addr}/emulator");
    println!("  admin console : http://{addr}/admin");
    println!("  QA API        : http://{addr}/api/lines  (Authorization: Bearer <admin token>)");
    if config.admin_token.is_some() {
        println!("  admin token   : (as given by --admin-token / GARAKE_ADMIN_TOKEN)");
    } else {
        println!("  admin token   : {}", state.admin_token);
    }
    if let (Some(relay), Some(target)) = (relay, &config.smtp_relay) {
        println!("  SMTP relay    : outbox mail is sent to {target}");
        tokio::spawn(mail::relay::run(
            state.db.clone(),
            relay,
            state.clock.clone(),
        ));
    }
    tracing::info!(%addr, db = %config.db, "serving");
    // The longest a request may rightly take is a gateway exchange; shutdown
    // waits that long and a little more for in-flight requests.
    let grace = std::time::Duration::from_secs(config.gateway_timeout + 2);
    run_http1(listener, app(state), grace).await;
    tracing::info!("stopped");
    Ok(())
}

/// The accept loop: HTTP/1.1 only (what handsets and the tools speak), each
/// connection served by hyper directly with the client's address attached to
/// every routed request; on SIGINT/SIGTERM stops accepting and lets in-flight
/// requests finish, for at most `grace`. (axum::serve also detects HTTP/2 and
/// upgrades on every connection; serving HTTP/1 directly was part of the
/// change that took menu pages from 0.68× to 0.88× of a bare hyper server —
/// README, "Load benchmark".)
async fn run_http1(
    listener: tokio::net::TcpListener,
    app: web::front::App,
    grace: std::time::Duration,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // A client that stops in the middle of a request head is dropped.
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                app.respond_from(req, Some(remote))
            });
        let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open {} s after the signal: closing them",
            grace.as_secs()
        );
    }
}

/// How long a client may take to send a request head.
const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

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
