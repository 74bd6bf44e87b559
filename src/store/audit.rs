//! The audit log: every secret check and every protected action, newest first.

use rusqlite::Connection;
use serde::Serialize;

use crate::domain::Msisdn;
use crate::error::AppError;

/// The outcome words of the audit log (as the API and console show them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    WrongPin,
    Locked,
    InvalidInput,
    Refused,
    /// A wrong admin token (console or API).
    WrongToken,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::WrongPin => "wrong_pin",
            Outcome::Locked => "locked",
            Outcome::InvalidInput => "invalid_input",
            Outcome::Refused => "refused",
            Outcome::WrongToken => "wrong_token",
        }
    }
}

/// One audit entry as the API shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Entry {
    pub at: String,
    pub line: Option<String>,
    pub action: String,
    pub outcome: String,
    pub source: String,
}

/// The columns an `Entry` is read from, in `Entry::from_row`'s order.
const COLUMNS: &str = "at, line, action, outcome, source";

impl Entry {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
        Ok(Entry {
            at: crate::clock::rfc3339(r.get(0)?),
            line: r.get(1)?,
            action: r.get(2)?,
            outcome: r.get(3)?,
            source: r.get(4)?,
        })
    }
}

/// Appends an entry. Takes a `Connection` so it joins the caller's transaction.
pub fn record(
    conn: &Connection,
    at: i64,
    line: Option<&Msisdn>,
    action: &str,
    outcome: Outcome,
    source: &str,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO audit (at, line, action, outcome, source) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![
        at,
        line.map(Msisdn::as_str),
        action,
        outcome.as_str(),
        source
    ])?;
    Ok(())
}

/// Newest entries first, optionally for one line.
pub fn list(conn: &Connection, line: Option<&Msisdn>, limit: i64) -> Result<Vec<Entry>, AppError> {
    Ok(filtered(
        conn,
        &Filter {
            line,
            ..Filter::default()
        },
        0,
        limit,
    )?
    .0)
}

/// What the audit log is filtered by (each optional).
#[derive(Clone, Copy, Default)]
pub struct Filter<'a> {
    pub line: Option<&'a Msisdn>,
    pub action: Option<&'a str>,
    pub outcome: Option<&'a str>,
}

/// One page of entries, newest first, matching `filter`, and how many match.
pub fn filtered(
    conn: &Connection,
    filter: &Filter<'_>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Entry>, i64), AppError> {
    const WHERE: &str = "WHERE (?1 IS NULL OR line = ?1) AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR outcome = ?3)";
    let keys = (
        filter.line.map(Msisdn::as_str),
        filter.action,
        filter.outcome,
    );
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM audit {WHERE}"))?
        .query_row(rusqlite::params![keys.0, keys.1, keys.2], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM audit {WHERE} ORDER BY id DESC LIMIT ?4 OFFSET ?5"
    ))?;
    let rows = stmt.query_map(
        rusqlite::params![keys.0, keys.1, keys.2, limit, offset],
        Entry::from_row,
    )?;
    Ok((rows.collect::<Result<_, _>>()?, total))
}

/// The entry with row id `id`, if it is still kept.
pub fn entry(conn: &Connection, id: i64) -> Result<Option<Entry>, AppError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM audit WHERE id = ?1"))?
        .query_row([id], Entry::from_row)
        .optional()?)
}
