//! Server configuration: one struct, from CLI flags and `GARAKE_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Options of `garake serve`, each a flag and a `GARAKE_*` variable.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "GARAKE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// SQLite database file (`:memory:` for a throw-away one).
    #[arg(long, env = "GARAKE_DB", default_value = "garake.db")]
    pub db: String,
    /// Folder of menu files that replaces the built-in ones (`garake menus
    /// export DIR` writes those out to start from) [default: none, the
    /// built-in menus].
    #[arg(long, env = "GARAKE_MENUS", value_name = "DIR")]
    pub menus: Option<PathBuf>,
    /// Token for the admin console and the QA API, at least 16 characters
    /// (random if not given).
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
    /// POST every event (audit, delivery, outbox, relay) as JSON to this
    /// http(s) URL, retrying a failed one a few times.
    #[arg(long, env = "GARAKE_WEBHOOK")]
    pub webhook: Option<String>,
    /// Make a new server secret even though the database holds hashes made
    /// with the old one (every stored password is then void).
    #[arg(long)]
    pub new_secret: bool,
    /// Offer "Start a private demo" on the power-on page (`off`: only the
    /// QA API makes worlds).
    #[arg(long, env = "GARAKE_PUBLIC_WORLDS", value_enum, default_value_t = Switch::On)]
    pub public_worlds: Switch,
    #[command(flatten)]
    pub limits: crate::limits::Limits,
}

/// A feature turned `on` or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// The shortest admin token `serve` accepts.
pub const MIN_ADMIN_TOKEN: usize = 16;
/// The fewest different characters an admin token may have.
pub const MIN_ADMIN_TOKEN_KINDS: usize = 6;

/// The admin token's rule: at least 16 characters, no white space and at
/// least 6 different characters. A short, blank or repetitive token would
/// open the QA API and the console to guessing. The message names what is
/// wrong and the whole rule (never the token itself).
pub fn check_admin_token(token: &str) -> Result<(), String> {
    let kinds = token
        .chars()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let wrong = if token.chars().count() < MIN_ADMIN_TOKEN {
        "is too short"
    } else if token.chars().any(char::is_whitespace) {
        "contains white space"
    } else if kinds < MIN_ADMIN_TOKEN_KINDS {
        "has too few different characters"
    } else {
        return Ok(());
    };
    Err(format!(
        "--admin-token {wrong}: it must be at least {MIN_ADMIN_TOKEN} characters, with no \
         white space and at least {MIN_ADMIN_TOKEN_KINDS} different characters (a short, blank \
         or repetitive token would open the QA API and the console to guessing); leave it out \
         to get a random one"
    ))
}

impl Config {
    /// A config for tests and tools: the given database, the built-in menus.
    pub fn for_db(db: impl Into<String>) -> Config {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: db.into(),
            menus: None,
            admin_token: None,
            no_demo: false,
            smtp_relay: None,
            webhook: None,
            public_url: None,
            gateway_timeout: 10,
            gateway_ca: None,
            new_secret: false,
            public_worlds: Switch::On,
            limits: crate::limits::Limits::default(),
        }
    }

    /// Checks what the flags alone can tell: a message for the user, or `Ok`.
    pub fn check(&self) -> Result<(), String> {
        if let Some(token) = &self.admin_token {
            check_admin_token(token)?;
        }
        let l = &self.limits;
        for (name, value) in [
            ("--max-sessions", l.max_sessions),
            ("--sessions-per-line", l.sessions_per_line),
            ("--max-pc-logins", l.max_pc_logins),
            ("--max-connections", l.max_connections),
        ] {
            if value == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        for (name, value) in [
            ("--mailbox-messages", l.mailbox_messages),
            ("--mail-retention-hours", l.mail_retention_hours),
            ("--mail-per-minute", l.mail_per_minute),
            (
                "--partner-requests-per-minute",
                l.partner_requests_per_minute,
            ),
            ("--admin-guesses-per-minute", l.admin_guesses_per_minute),
            ("--max-partner-members", l.max_partner_members),
        ] {
            if value < 1 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        if let Some(url) = &self.webhook {
            crate::events::check_webhook(url)?;
        }
        if l.max_event_streams == 0 || l.max_waits == 0 {
            return Err("--max-event-streams and --max-waits must be at least 1".into());
        }
        if l.body_timeout == 0 {
            return Err("--body-timeout must be at least 1 second".into());
        }
        if l.header_timeout == 0 {
            return Err("--header-timeout must be at least 1 second".into());
        }
        Ok(())
    }

    /// The menu files: the `--menus` folder, or the built-in set.
    pub fn menu_source(&self) -> Box<dyn crate::menu::MenuSource> {
        crate::menu::source(self.menus.as_deref())
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

    /// The folder of the worlds' database files, beside the database (none
    /// with `:memory:`: worlds are then kept in memory too).
    pub fn worlds_dir(&self) -> Option<PathBuf> {
        (self.db != ":memory:").then(|| PathBuf::from(format!("{}.worlds", self.db)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admin_token_is_16_characters_without_white_space_and_6_different() {
        assert!(check_admin_token("test-admin-token").is_ok());
        assert!(check_admin_token("abcdefabcdefabcd").is_ok());
        for (token, wrong) in [
            ("", "is too short"),
            ("too-short", "is too short"),
            ("                ", "contains white space"),
            ("demo admin token 01", "contains white space"),
            ("tab\tseparated-token", "contains white space"),
            ("aaaaaaaaaaaaaaaa", "has too few different characters"),
            ("abcdeabcdeabcdeabcde", "has too few different characters"),
        ] {
            let err = check_admin_token(token).unwrap_err();
            assert!(err.contains(wrong), "{token:?}: {err}");
            assert!(err.contains("at least 16 characters"), "{err}");
            if !token.is_empty() {
                assert!(!err.contains(token), "the token is never shown: {err}");
            }
        }
    }

    #[test]
    fn deadlines_of_zero_seconds_are_refused_by_name() {
        let mut config = Config::for_db(":memory:");
        assert!(config.check().is_ok());
        config.limits.header_timeout = 0;
        let err = config.check().unwrap_err();
        assert!(err.contains("--header-timeout"), "{err}");
        config.limits.header_timeout = 1;
        config.limits.body_timeout = 0;
        let err = config.check().unwrap_err();
        assert!(err.contains("--body-timeout"), "{err}");
    }
}
