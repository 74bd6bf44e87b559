//! Mailboxes, the mail log and the outbox (with each message's state at the
//! SMTP relay). The rules of who gets what live in `mail::delivery`, the one
//! send path in `services::mail`; this is only what they read and write.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::error::Error;
use super::server::{self, Setting};

/// Outbox size; the oldest messages are dropped beyond it.
pub const OUTBOX_CAP: i64 = 1000;

/// Queues a mail for outside the carrier in the outbox, for the relay when
/// one is configured (else its relay state is `off`), and drops the oldest
/// messages beyond `OUTBOX_CAP`.
pub fn add_outgoing(
    conn: &Connection,
    now: i64,
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
    message_id: &str,
) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT INTO outbox (at, sender, recipient, subject, body, message_id, relay_state, relay_next_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6,
                 CASE WHEN EXISTS (SELECT 1 FROM server_settings WHERE key = 'smtp_relay')
                      THEN 'pending' ELSE 'off' END, ?1)",
    )?
    .execute(rusqlite::params![now, from, to, subject, body, message_id])?;
    conn.execute(
        "DELETE FROM outbox WHERE id <= (SELECT max(id) FROM outbox) - ?1",
        [OUTBOX_CAP],
    )?;
    Ok(())
}

/// Puts a mail in a line's mailbox (`to` as the sender wrote it, lower-cased).
pub fn put_in_mailbox(
    conn: &Connection,
    line_id: i64,
    now: i64,
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO mailbox (line_id, sender, recipient, subject, body, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![line_id, from, to, subject, body, now],
    )?;
    Ok(())
}

/// Whether a line's mailbox holds its limit already (`--mailbox-messages`).
pub fn mailbox_full(conn: &Connection, line_id: i64) -> Result<bool, Error> {
    let limit: i64 = server::get(conn, Setting::MailboxMessages)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(crate::limits::MAILBOX_MESSAGES);
    let held: i64 = conn
        .prepare_cached("SELECT count(*) FROM mailbox WHERE line_id = ?1")?
        .query_row([line_id], |r| r.get(0))?;
    Ok(held >= limit)
}

/// Writes one delivery decision to the mail log: `status` (`delivered`,
/// `rejected`, `outbox`), the recipient line if any, and the reason of a
/// rejection.
pub fn log(
    conn: &Connection,
    now: i64,
    from: &str,
    to: &str,
    line: Option<&str>,
    status: &str,
    reason: Option<&str>,
) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO mail_log (at, sender, recipient, line, status, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![now, from, to, line, status, reason],
    )?;
    Ok(())
}

/// Keeps the newest `keep` rows of the mail log; returns how many went.
pub fn trim_log(conn: &Connection, keep: i64) -> Result<usize, Error> {
    Ok(conn.execute(
        "DELETE FROM mail_log WHERE id <= (SELECT max(id) FROM mail_log) - ?1",
        [keep],
    )?)
}

/// Deletes mail received before `before` (the retention sweep); returns how many.
pub fn expire(conn: &Connection, before: i64) -> Result<usize, Error> {
    Ok(conn.execute("DELETE FROM mailbox WHERE received_at < ?1", [before])?)
}

/// A mail in a mailbox.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Received {
    pub id: i64,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub received_at: String,
    /// The same as Unix time (for Japan time on the handset).
    #[serde(skip)]
    pub received_unix: i64,
    pub read: bool,
}

fn received(r: &rusqlite::Row<'_>) -> rusqlite::Result<Received> {
    Ok(Received {
        id: r.get(0)?,
        from: r.get(1)?,
        to: r.get(2)?,
        subject: r.get(3)?,
        body: r.get(4)?,
        received_at: crate::clock::rfc3339(r.get(5)?),
        received_unix: r.get(5)?,
        read: r.get(6)?,
    })
}

/// One page of a line's inbox, newest first, and how many mails it holds.
pub fn inbox(
    conn: &Connection,
    line_id: i64,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Received>, i64), Error> {
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM mailbox WHERE line_id = ?1")?
        .query_row([line_id], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, sender, recipient, subject, body, received_at, read FROM mailbox
         WHERE line_id = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3",
    )?;
    let mails = stmt
        .query_map([line_id, limit, offset], received)?
        .collect::<Result<_, _>>()?;
    Ok((mails, total))
}

/// The oldest mail of a line newer than `after` (an id); for waiting on a mail.
pub fn mail_after(conn: &Connection, line_id: i64, after: i64) -> Result<Option<Received>, Error> {
    Ok(conn
        .prepare_cached(
            "SELECT id, sender, recipient, subject, body, received_at, read FROM mailbox
             WHERE line_id = ?1 AND id > ?2 ORDER BY id LIMIT 1",
        )?
        .query_row([line_id, after], received)
        .optional()?)
}

/// Opens one mail of a line and marks it read.
pub fn open(conn: &Connection, line_id: i64, id: i64) -> Result<Option<Received>, Error> {
    conn.execute(
        "UPDATE mailbox SET read = 1 WHERE id = ?1 AND line_id = ?2",
        [id, line_id],
    )?;
    Ok(conn
        .query_row(
            "SELECT id, sender, recipient, subject, body, received_at, read FROM mailbox WHERE id = ?1 AND line_id = ?2",
            [id, line_id],
            received,
        )
        .optional()?)
}

/// Deletes one mail of a line; `false` if there was none.
pub fn delete(conn: &Connection, line_id: i64, id: i64) -> Result<bool, Error> {
    Ok(conn.execute(
        "DELETE FROM mailbox WHERE id = ?1 AND line_id = ?2",
        [id, line_id],
    )? == 1)
}

/// Where an outbox message stands with the SMTP relay.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RelayState {
    /// `off` (no relay when it was queued), `pending`, `relayed` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// A message in the outbox.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Outgoing {
    pub id: i64,
    pub at: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Unique across resets and databases (`<time.random@garake.invalid>`).
    pub message_id: String,
    pub relay: RelayState,
}

const OUTGOING_COLUMNS: &str = "id, at, sender, recipient, subject, body, message_id, relay_state, relay_attempts, relay_error";

fn outgoing(r: &rusqlite::Row<'_>) -> rusqlite::Result<Outgoing> {
    let state: String = r.get(7)?;
    Ok(Outgoing {
        id: r.get(0)?,
        at: crate::clock::rfc3339(r.get(1)?),
        from: r.get(2)?,
        to: r.get(3)?,
        subject: r.get(4)?,
        body: r.get(5)?,
        message_id: r.get::<_, Option<String>>(6)?.unwrap_or_else(|| {
            format!("outbox-{}@garake.invalid", r.get::<_, i64>(0).unwrap_or(0))
        }),
        relay: RelayState {
            // An attempt under way is still pending to whoever looks.
            state: if state == "sending" {
                "pending".into()
            } else {
                state
            },
            attempts: r.get(8)?,
            last_error: r.get(9)?,
        },
    })
}

/// What the outbox is searched by: substrings (case-insensitive) of the
/// sender, recipient and subject, a time range, and a page.
#[derive(Clone, Debug, Default)]
pub struct OutboxFilter {
    pub from: Option<String>,
    pub to: Option<String>,
    pub subject: Option<String>,
    /// Unix times: `since` inclusive, `before` exclusive.
    pub since: Option<i64>,
    pub before: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// `%text%` for LIKE, with the wildcards in `text` taken literally.
fn like(text: &Option<String>) -> Option<String> {
    text.as_deref().filter(|t| !t.is_empty()).map(|t| {
        let escaped = t
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    })
}

/// One page of the outbox, newest first, matching `filter`, and how many match.
pub fn outbox(conn: &Connection, filter: &OutboxFilter) -> Result<(Vec<Outgoing>, i64), Error> {
    let wher = "WHERE (?1 IS NULL OR sender LIKE ?1 ESCAPE '\\')
          AND (?2 IS NULL OR recipient LIKE ?2 ESCAPE '\\')
          AND (?3 IS NULL OR subject LIKE ?3 ESCAPE '\\')
          AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5)";
    let params = rusqlite::params![
        like(&filter.from),
        like(&filter.to),
        like(&filter.subject),
        filter.since,
        filter.before
    ];
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM outbox {wher}"))?
        .query_row(params, |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {OUTGOING_COLUMNS} FROM outbox {wher} ORDER BY id DESC LIMIT ?6 OFFSET ?7"
    ))?;
    let mails = stmt
        .query_map(
            rusqlite::params![
                like(&filter.from),
                like(&filter.to),
                like(&filter.subject),
                filter.since,
                filter.before,
                filter.limit,
                filter.offset
            ],
            outgoing,
        )?
        .collect::<Result<_, _>>()?;
    Ok((mails, total))
}

pub fn outbox_one(conn: &Connection, id: i64) -> Result<Option<Outgoing>, Error> {
    Ok(conn
        .query_row(
            &format!("SELECT {OUTGOING_COLUMNS} FROM outbox WHERE id = ?1"),
            [id],
            outgoing,
        )
        .optional()?)
}

/// The newest outbox message after `after` (an id) matching `filter`'s
/// sender, recipient and subject; for waiting on a mail.
pub fn outbox_first_after(
    conn: &Connection,
    after: i64,
    filter: &OutboxFilter,
) -> Result<Option<Outgoing>, Error> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {OUTGOING_COLUMNS} FROM outbox
             WHERE id > ?1 AND (?2 IS NULL OR sender LIKE ?2 ESCAPE '\\')
               AND (?3 IS NULL OR recipient LIKE ?3 ESCAPE '\\')
               AND (?4 IS NULL OR subject LIKE ?4 ESCAPE '\\')
             ORDER BY id LIMIT 1"
        ))?
        .query_row(
            rusqlite::params![
                after,
                like(&filter.from),
                like(&filter.to),
                like(&filter.subject)
            ],
            outgoing,
        )
        .optional()?)
}

pub fn clear_outbox(conn: &Connection) -> Result<usize, Error> {
    Ok(conn.execute("DELETE FROM outbox", [])?)
}

/// Deletes one outbox message; `false` if there was none.
pub fn delete_outgoing(conn: &Connection, id: i64) -> Result<bool, Error> {
    Ok(conn.execute("DELETE FROM outbox WHERE id = ?1", [id])? == 1)
}

/// Waits after each failed relay attempt: 1 s, 5 s, 30 s, 2 min, 10 min;
/// the attempt after the last wait is the last one.
pub const RELAY_WAITS: [i64; 5] = [1, 5, 30, 120, 600];

/// Outbox messages due for the relay now, oldest first.
pub fn relay_due(conn: &Connection, now: i64, limit: i64) -> Result<Vec<Outgoing>, Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {OUTGOING_COLUMNS} FROM outbox
         WHERE relay_state = 'pending' AND relay_next_at <= ?1 ORDER BY id LIMIT ?2"
    ))?;
    let mails = stmt
        .query_map(rusqlite::params![now, limit], outgoing)?
        .collect::<Result<_, _>>()?;
    Ok(mails)
}

/// Records an attempt before it is made (so an attempt garake stops in the
/// middle of is known, and not made again): pending → sending. False if it
/// was not pending any more.
pub fn claim_relay(conn: &Connection, id: i64) -> Result<bool, Error> {
    Ok(conn.execute(
        "UPDATE outbox SET relay_state = 'sending', relay_attempts = relay_attempts + 1
         WHERE id = ?1 AND relay_state = 'pending'",
        [id],
    )? == 1)
}

/// How one relay attempt ended.
pub enum Attempt {
    /// The relay confirmed the message.
    Relayed,
    /// The relay did not take it (a refusal, or a failure before the
    /// message's end was written): tried again after the next wait.
    NotTaken(String),
    /// The whole message was handed over and nothing confirmed it: the
    /// relay may hold it, so it is never sent again automatically.
    Unconfirmed,
}

/// The last error of a message the relay may hold but did not confirm.
pub const UNCONFIRMED: &str = "the relay took the message but did not confirm it";

/// Records how an attempt ended: relayed; not taken, with the next attempt's
/// time (or failed for good after the last wait); or failed at once when the
/// relay may hold the message.
pub fn relay_done(conn: &Connection, id: i64, now: i64, attempt: &Attempt) -> Result<(), Error> {
    let failed = "UPDATE outbox SET relay_state = 'failed', relay_error = ?2 WHERE id = ?1";
    match attempt {
        Attempt::Relayed => conn.execute(
            "UPDATE outbox SET relay_state = 'relayed', relayed_at = ?2, relay_error = NULL WHERE id = ?1",
            rusqlite::params![id, now],
        )?,
        Attempt::Unconfirmed => conn.execute(failed, rusqlite::params![id, UNCONFIRMED])?,
        Attempt::NotTaken(e) => {
            let attempts: i64 = conn.query_row(
                "SELECT relay_attempts FROM outbox WHERE id = ?1",
                [id],
                |r| r.get(0),
            )?;
            let wait = usize::try_from(attempts - 1)
                .ok()
                .and_then(|i| RELAY_WAITS.get(i));
            match wait {
                Some(wait) => conn.execute(
                    "UPDATE outbox SET relay_state = 'pending', relay_next_at = ?2, relay_error = ?3 WHERE id = ?1",
                    rusqlite::params![id, now + wait, e],
                )?,
                None => conn.execute(failed, rusqlite::params![id, e])?,
            }
        }
    };
    Ok(())
}

/// Attempts a previous run left under way (it stopped mid-send): whether the
/// server took them is unknown, so they are not sent again automatically.
pub fn relay_interrupted(conn: &Connection) -> Result<usize, Error> {
    Ok(conn.execute(
        "UPDATE outbox SET relay_state = 'failed',
             relay_error = 'interrupted while sending (garake stopped); not sent again automatically, so it is never sent twice'
         WHERE relay_state = 'sending'",
        [],
    )?)
}

/// Queues a message for the relay again at once (a resend asked for by hand):
/// false if there is no such message.
pub fn relay_again(conn: &Connection, id: i64, now: i64) -> Result<bool, Error> {
    Ok(conn.execute(
        "UPDATE outbox SET relay_state = 'pending', relay_attempts = 0, relay_next_at = ?2, relay_error = NULL
         WHERE id = ?1 AND relay_state != 'sending'",
        rusqlite::params![id, now],
    )? == 1)
}

/// One delivery decision of the mail log.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LogEntry {
    pub at: String,
    pub from: String,
    pub to: String,
    pub line: Option<String>,
    pub status: String,
    pub reason: Option<String>,
}

/// The columns a `LogEntry` is read from, in `LogEntry::from_row`'s order.
const LOG_COLUMNS: &str = "at, sender, recipient, line, status, reason";

impl LogEntry {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LogEntry> {
        Ok(LogEntry {
            at: crate::clock::rfc3339(r.get(0)?),
            from: r.get(1)?,
            to: r.get(2)?,
            line: r.get(3)?,
            status: r.get(4)?,
            reason: r.get(5)?,
        })
    }
}

/// The mail-log entry with row id `id`, if it is still kept.
pub fn log_entry(conn: &Connection, id: i64) -> Result<Option<LogEntry>, Error> {
    Ok(conn
        .prepare_cached(&format!("SELECT {LOG_COLUMNS} FROM mail_log WHERE id = ?1"))?
        .query_row([id], LogEntry::from_row)
        .optional()?)
}

/// Whether a relay attempt on the message is under way right now.
pub fn relay_in_progress(conn: &Connection, id: i64) -> Result<bool, Error> {
    Ok(conn
        .prepare_cached("SELECT relay_state = 'sending' FROM outbox WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// One page of the mail log, newest first, and how many entries it holds.
pub fn mail_log(conn: &Connection, offset: i64, limit: i64) -> Result<(Vec<LogEntry>, i64), Error> {
    let total: i64 = conn.query_row("SELECT count(*) FROM mail_log", [], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LOG_COLUMNS} FROM mail_log ORDER BY id DESC LIMIT ?1 OFFSET ?2"
    ))?;
    let rows = stmt
        .query_map([limit, offset], LogEntry::from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// What `GET /metrics` shows of the outbox and the mail log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub outbox: i64,
    /// Waiting for the relay, or an attempt under way.
    pub relay_pending: i64,
    pub relay_failed: i64,
    /// Mails refused as `mailbox_full` in the kept mail log.
    pub mailbox_full: i64,
}

pub fn counts(conn: &Connection) -> Result<Counts, Error> {
    Ok(conn.query_row(
        "SELECT (SELECT count(*) FROM outbox),
                (SELECT count(*) FROM outbox WHERE relay_state IN ('pending', 'sending')),
                (SELECT count(*) FROM outbox WHERE relay_state = 'failed'),
                (SELECT count(*) FROM mail_log WHERE reason = 'mailbox_full')",
        [],
        |r| {
            Ok(Counts {
                outbox: r.get(0)?,
                relay_pending: r.get(1)?,
                relay_failed: r.get(2)?,
                mailbox_full: r.get(3)?,
            })
        },
    )?)
}
