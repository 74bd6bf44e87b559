//! Sending mail: the one path every mail takes (handset compose, the API, system
//! notices). Carrier addresses go through the delivery rules into a mailbox;
//! anything else lands in the outbox. Every decision is logged.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::delivery::{self, Decision, Recipient};
use super::rejection::Mode;
use crate::error::AppError;
use crate::store::lines::MAIL_DOMAIN;

/// Outbox size; the oldest messages are dropped beyond it.
pub const OUTBOX_CAP: i64 = 1000;
/// The sender of system notices.
pub const NOTICE_SENDER: &str = "info@docomo.ne.jp";
pub const MAX_SUBJECT: usize = 100;
pub const MAX_BODY: usize = 5000;

/// The answer of `POST /api/mail` and of the compose page.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Outcome {
    pub status: &'static str,
    pub reason: Option<&'static str>,
}

/// A mail to send.
pub struct Mail<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// A carrier notice: skips rejection lists and secret codes, not suspension.
    pub system: bool,
}

/// Checks an address enough to route it: `local@domain`, a dot in the domain,
/// printable ASCII, at most 254 characters.
pub fn valid_address(addr: &str) -> bool {
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return false;
    };
    addr.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && addr.bytes().all(|b| b.is_ascii_graphic())
}

fn recipient(conn: &Connection, local: &str) -> Result<Option<Recipient>, AppError> {
    let row = conn
        .prepare_cached(
            "SELECT id, msisdn, mail_local, mail_suspended, rejection_mode, secret_code FROM lines WHERE mail_local = ?1",
        )?
        .query_row([local], |r| {
            Ok(Recipient {
                line_id: r.get(0)?,
                msisdn: r.get(1)?,
                mail_local: r.get(2)?,
                suspended: r.get(3)?,
                mode: Mode::parse(&r.get::<_, String>(4)?).unwrap_or(Mode::Off),
                list: Vec::new(),
                secret_code: r.get(5)?,
            })
        })
        .optional()?;
    let Some(mut line) = row else { return Ok(None) };
    let mut stmt = conn
        .prepare_cached("SELECT entry FROM rejection_list WHERE line_id = ?1 ORDER BY position")?;
    line.list = stmt
        .query_map([line.line_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Some(line))
}

/// Sends one mail inside the caller's transaction. The caller has checked the
/// addresses with `valid_address`.
pub fn send(conn: &Connection, now: i64, mail: &Mail<'_>) -> Result<Outcome, AppError> {
    let (local, domain) = mail.to.rsplit_once('@').unwrap_or((mail.to, ""));
    if !domain.eq_ignore_ascii_case(MAIL_DOMAIN) {
        conn.execute(
            "INSERT INTO outbox (at, sender, recipient, subject, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![now, mail.from, mail.to, mail.subject, mail.body],
        )?;
        conn.execute(
            "DELETE FROM outbox WHERE id <= (SELECT max(id) FROM outbox) - ?1",
            [OUTBOX_CAP],
        )?;
        log(conn, now, mail, None, "outbox", None)?;
        return Ok(Outcome {
            status: "outbox",
            reason: None,
        });
    }
    // The rules are pure; a database error during a look-up is kept and
    // returned instead of the decision.
    let mut failure = None;
    let decision = delivery::decide(local, mail.from, mail.system, |l| {
        match recipient(conn, &l.to_ascii_lowercase()) {
            Ok(found) => found,
            Err(e) => {
                failure = Some(e);
                None
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    match decision {
        Decision::Deliver { line_id, msisdn } => {
            conn.execute(
                "INSERT INTO mailbox (line_id, sender, recipient, subject, body, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![line_id, mail.from, mail.to.to_ascii_lowercase(), mail.subject, mail.body, now],
            )?;
            log(conn, now, mail, Some(&msisdn), "delivered", None)?;
            Ok(Outcome {
                status: "delivered",
                reason: None,
            })
        }
        Decision::Reject { reason, msisdn } => {
            log(
                conn,
                now,
                mail,
                msisdn.as_deref(),
                "rejected",
                Some(reason.as_str()),
            )?;
            Ok(Outcome {
                status: "rejected",
                reason: Some(reason.as_str()),
            })
        }
    }
}

fn log(
    conn: &Connection,
    now: i64,
    mail: &Mail<'_>,
    line: Option<&str>,
    status: &str,
    reason: Option<&str>,
) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO mail_log (at, sender, recipient, line, status, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![now, mail.from, mail.to, line, status, reason],
    )?;
    Ok(())
}

/// Sends a system notice to a line's current address.
pub fn notify_line(
    conn: &Connection,
    line_id: i64,
    now: i64,
    subject: &str,
    body: &str,
) -> Result<Outcome, AppError> {
    let local: String = conn.query_row(
        "SELECT mail_local FROM lines WHERE id = ?1",
        [line_id],
        |r| r.get(0),
    )?;
    let to = format!("{local}@{MAIL_DOMAIN}");
    send(
        conn,
        now,
        &Mail {
            from: NOTICE_SENDER,
            to: &to,
            subject,
            body,
            system: true,
        },
    )
}

/// A mail in a mailbox.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Received {
    pub id: i64,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub received_at: String,
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
        read: r.get(6)?,
    })
}

/// A line's inbox, newest first.
pub fn inbox(conn: &Connection, line_id: i64) -> Result<Vec<Received>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, sender, recipient, subject, body, received_at, read FROM mailbox WHERE line_id = ?1 ORDER BY id DESC",
    )?;
    let mails = stmt
        .query_map([line_id], received)?
        .collect::<Result<_, _>>()?;
    Ok(mails)
}

/// Opens one mail of a line and marks it read.
pub fn open(conn: &Connection, line_id: i64, id: i64) -> Result<Option<Received>, AppError> {
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
pub fn delete(conn: &Connection, line_id: i64, id: i64) -> Result<bool, AppError> {
    Ok(conn.execute(
        "DELETE FROM mailbox WHERE id = ?1 AND line_id = ?2",
        [id, line_id],
    )? == 1)
}

/// A message in the outbox.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Outgoing {
    pub id: i64,
    pub at: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

fn outgoing(r: &rusqlite::Row<'_>) -> rusqlite::Result<Outgoing> {
    Ok(Outgoing {
        id: r.get(0)?,
        at: crate::clock::rfc3339(r.get(1)?),
        from: r.get(2)?,
        to: r.get(3)?,
        subject: r.get(4)?,
        body: r.get(5)?,
    })
}

/// The outbox, newest first, optionally only mail to `to` (case-insensitive).
pub fn outbox(conn: &Connection, to: Option<&str>) -> Result<Vec<Outgoing>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, sender, recipient, subject, body FROM outbox
         WHERE ?1 IS NULL OR lower(recipient) = lower(?1) ORDER BY id DESC",
    )?;
    let mails = stmt.query_map([to], outgoing)?.collect::<Result<_, _>>()?;
    Ok(mails)
}

pub fn outbox_one(conn: &Connection, id: i64) -> Result<Option<Outgoing>, AppError> {
    Ok(conn
        .query_row(
            "SELECT id, at, sender, recipient, subject, body FROM outbox WHERE id = ?1",
            [id],
            outgoing,
        )
        .optional()?)
}

pub fn clear_outbox(conn: &Connection) -> Result<usize, AppError> {
    Ok(conn.execute("DELETE FROM outbox", [])?)
}

/// One delivery decision of the mail log.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LogEntry {
    pub at: String,
    pub from: String,
    pub to: String,
    pub line: Option<String>,
    pub status: String,
    pub reason: Option<String>,
}

pub fn mail_log(conn: &Connection, limit: i64) -> Result<Vec<LogEntry>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, sender, recipient, line, status, reason FROM mail_log ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([limit], |r| {
            Ok(LogEntry {
                at: crate::clock::rfc3339(r.get(0)?),
                from: r.get(1)?,
                to: r.get(2)?,
                line: r.get(3)?,
                status: r.get(4)?,
                reason: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Outbox messages the relay has not tried yet, oldest first.
pub fn unrelayed(conn: &Connection, limit: i64) -> Result<Vec<Outgoing>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, sender, recipient, subject, body FROM outbox
         WHERE relayed_at IS NULL ORDER BY id LIMIT ?1",
    )?;
    let mails = stmt
        .query_map([limit], outgoing)?
        .collect::<Result<_, _>>()?;
    Ok(mails)
}

/// Records a relay attempt: sent, or the error.
pub fn mark_relayed(
    conn: &Connection,
    id: i64,
    now: i64,
    error: Option<&str>,
) -> Result<(), AppError> {
    conn.execute(
        "UPDATE outbox SET relayed_at = ?2, relay_error = ?3 WHERE id = ?1",
        rusqlite::params![id, now, error],
    )?;
    Ok(())
}
