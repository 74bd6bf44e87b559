//! Every bound on what a client can grow without a secret, with its default,
//! in one place. The ones a QA team may want to change are flags (and
//! `GARAKE_*` variables); the rest are constants. Each says what happens when
//! it bites; docs/operations.md lists them all.

use std::time::Duration;

use crate::store::throttle::Policy;

pub const MAX_SESSIONS: usize = 100_000;
pub const SESSIONS_PER_LINE: usize = 64;
pub const MAX_PC_LOGINS: usize = 10_000;
pub const MAX_CONNECTIONS: usize = 1024;
pub const BODY_TIMEOUT_SECS: u64 = 10;
pub const MAILBOX_MESSAGES: i64 = 1000;
pub const MAIL_RETENTION_HOURS: i64 = 720;
pub const MAIL_PER_MINUTE: i64 = 60;
pub const PARTNER_REQUESTS_PER_MINUTE: i64 = 10;
pub const ADMIN_GUESSES_PER_MINUTE: i64 = 10;
pub const MAX_PARTNER_MEMBERS: i64 = 10_000;
pub const MAX_EVENT_STREAMS: usize = 32;
pub const MAX_WAITS: usize = 256;
/// The longest a mail wait may be asked to last, and its default.
pub const WAIT_MAX_SECS: u64 = 60;
pub const WAIT_DEFAULT_SECS: u64 = 30;

/// Seconds a client may take to send a request head, from the connection
/// opening or its last answer (then the connection closes).
pub const HEADER_TIMEOUT_SECS: u64 = 20;
/// Largest request body; a larger `Content-Length` is refused before reading.
pub const BODY_LIMIT: usize = 16 * 1024;
/// The compose form's: a whole 10,000-byte mail percent-encoded (three bytes
/// each) and its other fields.
pub const MAIL_FORM_LIMIT: usize = 32 * 1024;

/// The body limit of a path.
pub fn body_limit(path: &str) -> usize {
    if path.starts_with("/s/") && path.ends_with("/a/mail-compose") {
        MAIL_FORM_LIMIT
    } else {
        BODY_LIMIT
    }
}
/// File descriptors kept free for the database, the log and the gateway.
pub const SPARE_FILES: u64 = 64;
/// One mail: the subject and the body in Shift_JIS bytes (Decomail 1.0's
/// limit for a whole message is 10,000 bytes).
pub const MAIL_SUBJECT_BYTES: usize = 100;
pub const MAIL_BODY_BYTES: usize = 10_000;
/// Rows of the admin console's and the API's lists per page.
pub const PAGE_ROWS: i64 = 50;
/// The audit log and the mail log keep their newest rows (the sweep trims them).
pub const LOG_ROWS: i64 = 100_000;
/// The audit log's security events, trimmed apart from its ordinary rows.
pub const SECURITY_LOG_ROWS: i64 = 200_000;
/// Support-desk inquiries kept (the oldest handled ones go first).
pub const INQUIRIES: i64 = 10_000;
/// An Argon2 slot unused this long gives its memory back at the next sweep.
pub const ARGON2_IDLE: Duration = Duration::from_secs(60);
/// How often the background sweep runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// The gateway's cookie jar: per session and site, and in all.
pub const COOKIES_PER_SITE: usize = 20;
pub const COOKIE_BYTES: usize = 4096;
pub const COOKIE_JAR_BYTES: usize = 8 * 1024 * 1024;
/// Connections to content providers kept open for the next request, per site
/// (the sites are those of the menu files; beyond it a connection is closed
/// once its answer is read), and how long one may sit unused before it is
/// closed.
pub const GATEWAY_IDLE_CONNECTIONS: usize = 32;
pub const GATEWAY_IDLE: Duration = Duration::from_secs(30);

/// Threads of the blocking pool (SQLite calls, Argon2, large page rewrites).
pub const BLOCKING_THREADS: usize = 32;
/// How often free heap pages are given back to the system.
pub const TRIM_EVERY: Duration = Duration::from_secs(1);
/// The page cache of each pooled database connection, in KiB.
pub const SQLITE_CACHE_KIB: usize = 512;
/// The listen queue: connections the kernel holds until garake accepts them.
pub const LISTEN_BACKLOG: u32 = 1024;

/// Argon2 checks that may wait for a slot (beyond them "busy" at once), and
/// how long one waits before "busy".
pub const ARGON2_QUEUE: usize = 64;
pub const ARGON2_PATIENCE: Duration = Duration::from_secs(2);
/// Requests to content providers under way at once, how many more may wait
/// for one of them, and how long.
pub const GATEWAY_FETCHES: usize = 64;
pub const GATEWAY_QUEUE: usize = 128;
pub const GATEWAY_PATIENCE: Duration = Duration::from_secs(2);
/// The gateway's budget of page bytes held at once (MiB), and how long a
/// page waits for room in it.
pub const GATEWAY_MEMORY_MIB: usize = 16;
pub const GATEWAY_MEMORY_PATIENCE: Duration = Duration::from_secs(1);
/// Provider pages kept rewritten for the next handset that fetches them
/// (MiB; the provider's bytes and the rewritten template both count).
pub const GATEWAY_CACHE_MIB: usize = 4;

/// Worlds a server holds at once (the default world not counted).
pub const MAX_WORLDS: usize = 1000;
/// Private demos one client address may start an hour.
pub const PUBLIC_WORLDS_PER_HOUR: i64 = 10;
/// How long a world lives after its last request unless made with another
/// `ttl_minutes` (minutes), and the longest it may be given.
pub const WORLD_TTL_MINUTES: i64 = 120;
pub const MAX_WORLD_TTL_MINUTES: i64 = 1440;
/// A world with no request for this long closes its database (its data
/// stays on disk; the next request opens it again).
pub const WORLD_IDLE: Duration = Duration::from_secs(60);

/// The flags of `garake serve` that set limits.
#[derive(Clone, Debug, clap::Args)]
pub struct Limits {
    /// Handset sessions kept in all; beyond it the least recently used is forgotten.
    #[arg(long, env = "GARAKE_MAX_SESSIONS", default_value_t = MAX_SESSIONS)]
    pub max_sessions: usize,
    /// Handset sessions one line may hold; beyond it its least recently used is forgotten.
    #[arg(long, env = "GARAKE_SESSIONS_PER_LINE", default_value_t = SESSIONS_PER_LINE)]
    pub sessions_per_line: usize,
    /// PC logins (admin console, My docomo, docomo Shop) kept in all; the oldest goes first.
    #[arg(long, env = "GARAKE_MAX_PC_LOGINS", default_value_t = MAX_PC_LOGINS)]
    pub max_pc_logins: usize,
    /// Open connections (never more than the file limit less 64).
    #[arg(long, env = "GARAKE_MAX_CONNECTIONS", default_value_t = MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Seconds a connection may wait for a whole request head, from opening
    /// or from its last answer (then it is closed).
    #[arg(long, env = "GARAKE_HEADER_TIMEOUT", default_value_t = HEADER_TIMEOUT_SECS)]
    pub header_timeout: u64,
    /// Seconds a client may take to send a whole request body (then 408).
    #[arg(long, env = "GARAKE_BODY_TIMEOUT", default_value_t = BODY_TIMEOUT_SECS)]
    pub body_timeout: u64,
    /// Messages one i-mode mailbox holds; further mail is refused (`mailbox_full`).
    #[arg(long, env = "GARAKE_MAILBOX_MESSAGES", default_value_t = MAILBOX_MESSAGES)]
    pub mailbox_messages: i64,
    /// Hours (simulated time) mail stays in a mailbox.
    #[arg(long, env = "GARAKE_MAIL_RETENTION_HOURS", default_value_t = MAIL_RETENTION_HOURS)]
    pub mail_retention_hours: i64,
    /// Mails one line may send a minute (simulated time).
    #[arg(long, env = "GARAKE_MAIL_PER_MINUTE", default_value_t = MAIL_PER_MINUTE)]
    pub mail_per_minute: i64,
    /// Partner-site inquiries and joins a minute from one client address.
    #[arg(long, env = "GARAKE_PARTNER_REQUESTS_PER_MINUTE", default_value_t = PARTNER_REQUESTS_PER_MINUTE)]
    pub partner_requests_per_minute: i64,
    /// Members one partner site holds in all; a further sign-up gets 429.
    #[arg(long, env = "GARAKE_MAX_PARTNER_MEMBERS", default_value_t = MAX_PARTNER_MEMBERS)]
    pub max_partner_members: i64,
    /// Wrong admin tokens a minute from one client address before 429.
    #[arg(long, env = "GARAKE_ADMIN_GUESSES_PER_MINUTE", default_value_t = ADMIN_GUESSES_PER_MINUTE)]
    pub admin_guesses_per_minute: i64,
    /// Event streams (`GET /api/events`) open at once; one more gets 503.
    #[arg(long, env = "GARAKE_MAX_EVENT_STREAMS", default_value_t = MAX_EVENT_STREAMS)]
    pub max_event_streams: usize,
    /// Mail waits (`…/wait`) open at once; one more gets 503.
    #[arg(long, env = "GARAKE_MAX_WAITS", default_value_t = MAX_WAITS)]
    pub max_waits: usize,
    /// Password checks that may wait for an Argon2 slot (2 s at most); one
    /// more gets the 503 busy page at once.
    #[arg(long, env = "GARAKE_ARGON2_QUEUE", default_value_t = ARGON2_QUEUE)]
    pub argon2_queue: usize,
    /// Requests to content providers under way at once.
    #[arg(long, env = "GARAKE_GATEWAY_FETCHES", default_value_t = GATEWAY_FETCHES)]
    pub gateway_fetches: usize,
    /// Gateway requests that may wait for one of those (2 s at most); one
    /// more gets the 503 busy page at once.
    #[arg(long, env = "GARAKE_GATEWAY_QUEUE", default_value_t = GATEWAY_QUEUE)]
    pub gateway_queue: usize,
    /// MiB of provider pages the gateway holds at once (read, rewritten,
    /// and on their way to handsets); a page that finds no room within 1 s
    /// gets the 503 busy page.
    #[arg(long, env = "GARAKE_GATEWAY_MEMORY_MIB", default_value_t = GATEWAY_MEMORY_MIB,
          value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(1..=4096), usize::from))]
    pub gateway_memory_mib: usize,
    /// MiB of provider pages kept rewritten, so that the next handset
    /// fetching the same page (same URL, same bytes) gets it without a new
    /// pass; the least recently used go first; 0 keeps none.
    #[arg(long, env = "GARAKE_GATEWAY_CACHE_MIB", default_value_t = GATEWAY_CACHE_MIB,
          value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(0..=1024), usize::from))]
    pub gateway_cache_mib: usize,
    /// Worlds held at once (`POST /api/worlds`, private demos); one more is
    /// refused with 503 until one is deleted or expires.
    #[arg(long, env = "GARAKE_MAX_WORLDS", default_value_t = MAX_WORLDS)]
    pub max_worlds: usize,
    /// Private demos one client address may start an hour (then 429).
    #[arg(long, env = "GARAKE_PUBLIC_WORLDS_PER_HOUR", default_value_t = PUBLIC_WORLDS_PER_HOUR,
          value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub public_worlds_per_hour: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_sessions: MAX_SESSIONS,
            sessions_per_line: SESSIONS_PER_LINE,
            max_pc_logins: MAX_PC_LOGINS,
            max_connections: MAX_CONNECTIONS,
            header_timeout: HEADER_TIMEOUT_SECS,
            body_timeout: BODY_TIMEOUT_SECS,
            mailbox_messages: MAILBOX_MESSAGES,
            mail_retention_hours: MAIL_RETENTION_HOURS,
            mail_per_minute: MAIL_PER_MINUTE,
            partner_requests_per_minute: PARTNER_REQUESTS_PER_MINUTE,
            max_partner_members: MAX_PARTNER_MEMBERS,
            admin_guesses_per_minute: ADMIN_GUESSES_PER_MINUTE,
            max_event_streams: MAX_EVENT_STREAMS,
            max_waits: MAX_WAITS,
            argon2_queue: ARGON2_QUEUE,
            gateway_fetches: GATEWAY_FETCHES,
            gateway_queue: GATEWAY_QUEUE,
            gateway_memory_mib: GATEWAY_MEMORY_MIB,
            gateway_cache_mib: GATEWAY_CACHE_MIB,
            max_worlds: MAX_WORLDS,
            public_worlds_per_hour: PUBLIC_WORLDS_PER_HOUR,
        }
    }
}

impl Limits {
    /// Mail sent by one line.
    pub fn mail_rate(&self) -> Policy {
        Policy::Window {
            limit: self.mail_per_minute,
            window: 60,
        }
    }

    /// Partner inquiries and joins from one client address.
    pub fn partner_rate(&self) -> Policy {
        Policy::Window {
            limit: self.partner_requests_per_minute,
            window: 60,
        }
    }

    /// Wrong admin tokens from one client address.
    pub fn admin_guesses(&self) -> Policy {
        Policy::Window {
            limit: self.admin_guesses_per_minute,
            window: 60,
        }
    }

    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout)
    }

    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout)
    }

    /// The mail-retention time in seconds.
    pub fn mail_retention_secs(&self) -> i64 {
        self.mail_retention_hours.saturating_mul(3600)
    }
}
