//! Server configuration: one struct, from CLI flags and `GARAKE_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Options of `garake serve` (SPEC §1.1).
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "GARAKE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// SQLite database file (`:memory:` for a throw-away one).
    #[arg(long, env = "GARAKE_DB", default_value = "garake.db")]
    pub db: String,
    /// Folder of menu files.
    #[arg(long, env = "GARAKE_MENUS", default_value = "menus")]
    pub menus: PathBuf,
    /// Token for the admin console and the QA API (random if not given).
    #[arg(long, env = "GARAKE_ADMIN_TOKEN")]
    pub admin_token: Option<String>,
    /// Do not load the demo fixtures into a new database.
    #[arg(long)]
    pub no_demo: bool,
    /// The URL mails link back to (partner reset links); default http://ADDR.
    #[arg(long, env = "GARAKE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seconds the gateway waits for a content provider (redirects included).
    #[arg(long, env = "GARAKE_GATEWAY_TIMEOUT", default_value_t = 10)]
    pub gateway_timeout: u64,
    /// Extra root certificates (PEM) the gateway trusts for https upstreams,
    /// e.g. the CA of a content provider's self-signed development site.
    #[arg(long, env = "GARAKE_GATEWAY_CA")]
    pub gateway_ca: Option<PathBuf>,
    /// Relay outbox mail to this SMTP server (HOST:PORT, plain SMTP, e.g. Mailpit).
    #[arg(long, env = "GARAKE_SMTP_RELAY")]
    pub smtp_relay: Option<String>,
}

impl Config {
    /// A config for tests and tools: the given database, the shipped menus.
    pub fn for_db(db: impl Into<String>) -> Config {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: db.into(),
            menus: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("menus"),
            admin_token: None,
            no_demo: false,
            smtp_relay: None,
            public_url: None,
            gateway_timeout: 10,
            gateway_ca: None,
        }
    }

    /// The base of links in mails: `--public-url`, else `http://ADDR`. Never
    /// taken from a request's Host header (that would let anyone mail a member
    /// a reset link to their own host).
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr))
            .trim_end_matches('/')
            .to_string()
    }

    /// The server secret lives next to the database: `garake.db` → `garake.db.secret`.
    pub fn secret_path(&self) -> Option<PathBuf> {
        (self.db != ":memory:").then(|| PathBuf::from(format!("{}.secret", self.db)))
    }
}
