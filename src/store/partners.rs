//! Partner sites' member accounts, their single-use tokens and temporary
//! passwords (stored only as hashes), and the support desk's inquiries.
//! The mechanisms that use them are in `recovery`.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::error::Error;

/// A member account of a partner site.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: i64,
    pub login_id: String,
    pub password_hash: String,
    pub pending_hash: Option<String>,
    pub must_change: bool,
    pub fields: BTreeMap<String, String>,
}

impl Account {
    /// A field's value; `login_id` is the account's login ID.
    pub fn value(&self, name: &str) -> Option<&str> {
        if name == "login_id" {
            Some(&self.login_id)
        } else {
            self.fields
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        }
    }
}

fn account(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let fields: String = r.get(5)?;
    Ok(Account {
        id: r.get(0)?,
        login_id: r.get(1)?,
        password_hash: r.get(2)?,
        pending_hash: r.get(3)?,
        must_change: r.get(4)?,
        fields: serde_json::from_str(&fields).unwrap_or_default(),
    })
}

const ACCOUNT_COLUMNS: &str = "id, login_id, password_hash, pending_hash, must_change, fields";

pub fn accounts(conn: &Connection, site: &str) -> Result<Vec<Account>, Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM partner_accounts WHERE site = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([site], account)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// How many members a site holds.
pub fn members(conn: &Connection, site: &str) -> Result<i64, Error> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM partner_accounts WHERE site = ?1")?
        .query_row([site], |r| r.get(0))?)
}

pub fn by_login(conn: &Connection, site: &str, login_id: &str) -> Result<Option<Account>, Error> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {ACCOUNT_COLUMNS} FROM partner_accounts WHERE site = ?1 AND login_id = ?2"
            ),
            [site, login_id],
            account,
        )
        .optional()?)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<Account>, Error> {
    Ok(conn
        .query_row(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM partner_accounts WHERE id = ?1"),
            [id],
            account,
        )
        .optional()?)
}

pub fn insert(
    conn: &Connection,
    site: &str,
    login_id: &str,
    password_hash: &str,
    fields: &BTreeMap<String, String>,
) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO partner_accounts (site, login_id, password_hash, fields) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![site, login_id, password_hash, serde_json::to_string(fields).expect("a map of strings is JSON")],
    )?;
    Ok(())
}

/// The stored form of a token: SHA-256, hex. Tokens are 128 random bits, so a
/// fast hash is enough; the database never holds a usable token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Creates a single-use token; returns it (the only time it exists in clear).
pub fn new_token(
    conn: &Connection,
    account_id: i64,
    purpose: &str,
    expires_at: i64,
) -> Result<String, Error> {
    let token = crate::random::token_hex(16);
    conn.execute(
        "INSERT INTO partner_tokens (hash, account_id, purpose, expires_at) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![token_hash(&token), account_id, purpose, expires_at],
    )?;
    Ok(token)
}

/// What a token is, without using it.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenState {
    Valid(i64),
    Expired,
    Used,
    Unknown,
}

/// A token is only good on the site of its account.
pub fn peek_token(
    conn: &Connection,
    site: &str,
    token: &str,
    purpose: &str,
    now: i64,
) -> Result<TokenState, Error> {
    let row: Option<(i64, i64, Option<i64>)> = conn
        .query_row(
            "SELECT t.account_id, t.expires_at, t.used_at FROM partner_tokens t
             JOIN partner_accounts a ON a.id = t.account_id
             WHERE t.hash = ?1 AND t.purpose = ?2 AND a.site = ?3",
            [token_hash(token), purpose.to_string(), site.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(match row {
        None => TokenState::Unknown,
        Some((_, _, Some(_))) => TokenState::Used,
        Some((_, expires, None)) if expires <= now => TokenState::Expired,
        Some((account, _, None)) => TokenState::Valid(account),
    })
}

/// Uses a token: exactly one caller ever gets `Some(account_id)`.
pub fn consume_token(
    conn: &Connection,
    site: &str,
    token: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<i64>, Error> {
    Ok(conn
        .query_row(
            "UPDATE partner_tokens SET used_at = ?3
             WHERE hash = ?1 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3
               AND account_id IN (SELECT id FROM partner_accounts WHERE site = ?4)
             RETURNING account_id",
            rusqlite::params![token_hash(token), purpose, now, site],
            |r| r.get(0),
        )
        .optional()?)
}

/// Unused, unexpired temporary passwords of an account: (id, hash).
pub fn live_temps(
    conn: &Connection,
    account_id: i64,
    now: i64,
) -> Result<Vec<(i64, String)>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, hash FROM partner_temp_passwords WHERE account_id = ?1 AND used_at IS NULL AND expires_at > ?2 ORDER BY id DESC LIMIT 5",
    )?;
    let rows = stmt
        .query_map([account_id, now], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn add_temp(
    conn: &Connection,
    account_id: i64,
    hash: &str,
    expires_at: i64,
) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO partner_temp_passwords (account_id, hash, expires_at) VALUES (?1, ?2, ?3)",
        rusqlite::params![account_id, hash, expires_at],
    )?;
    Ok(())
}

/// Uses a temporary password once (atomic); false if someone else did first.
pub fn consume_temp(conn: &Connection, id: i64, now: i64) -> Result<bool, Error> {
    Ok(conn.execute(
        "UPDATE partner_temp_passwords SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL AND expires_at > ?2",
        [id, now],
    )? == 1)
}

pub fn set_password(conn: &Connection, account_id: i64, hash: &str) -> Result<(), Error> {
    conn.execute(
        "UPDATE partner_accounts SET password_hash = ?2, pending_hash = NULL, must_change = 0 WHERE id = ?1",
        rusqlite::params![account_id, hash],
    )?;
    Ok(())
}

pub fn set_pending(conn: &Connection, account_id: i64, hash: &str) -> Result<(), Error> {
    conn.execute(
        "UPDATE partner_accounts SET pending_hash = ?2 WHERE id = ?1",
        rusqlite::params![account_id, hash],
    )?;
    Ok(())
}

/// The initialized password was used: it becomes the password, and must be changed.
pub fn promote_pending(conn: &Connection, account_id: i64) -> Result<(), Error> {
    conn.execute(
        "UPDATE partner_accounts SET password_hash = pending_hash, pending_hash = NULL, must_change = 1
         WHERE id = ?1 AND pending_hash IS NOT NULL",
        [account_id],
    )?;
    Ok(())
}

pub fn require_change(conn: &Connection, account_id: i64) -> Result<(), Error> {
    conn.execute(
        "UPDATE partner_accounts SET must_change = 1 WHERE id = ?1",
        [account_id],
    )?;
    Ok(())
}

/// A support-desk inquiry.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Inquiry {
    pub id: i64,
    pub site: String,
    pub procedure: String,
    pub fields: BTreeMap<String, String>,
    pub created_at: String,
    pub status: String,
    pub handled_by: Option<String>,
}

pub fn add_inquiry(
    conn: &Connection,
    site: &str,
    procedure: &str,
    fields: &BTreeMap<String, String>,
    now: i64,
) -> Result<i64, Error> {
    conn.execute(
        "INSERT INTO support_inquiries (site, procedure, fields, created_at) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![site, procedure, serde_json::to_string(fields).expect("a map of strings is JSON"), now],
    )?;
    Ok(conn.last_insert_rowid())
}

fn inquiry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Inquiry> {
    let fields: String = r.get(3)?;
    Ok(Inquiry {
        id: r.get(0)?,
        site: r.get(1)?,
        procedure: r.get(2)?,
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        created_at: crate::clock::rfc3339(r.get(4)?),
        status: r.get(5)?,
        handled_by: r.get(6)?,
    })
}

/// One page of the support-desk queue, newest first, and how many there are.
pub fn inquiries(conn: &Connection, offset: i64, limit: i64) -> Result<(Vec<Inquiry>, i64), Error> {
    let total: i64 = conn.query_row("SELECT count(*) FROM support_inquiries", [], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, site, procedure, fields, created_at, status, handled_by FROM support_inquiries
         ORDER BY id DESC LIMIT ?1 OFFSET ?2",
    )?;
    let rows = stmt
        .query_map([limit, offset], inquiry)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// Keeps the newest `keep` inquiries, dropping handled ones before open ones;
/// returns how many went.
pub fn trim_inquiries(conn: &Connection, keep: i64) -> Result<usize, Error> {
    Ok(conn.execute(
        "DELETE FROM support_inquiries WHERE id IN (
             SELECT id FROM support_inquiries
             ORDER BY (status = 'open'), id
             LIMIT max(0, (SELECT count(*) FROM support_inquiries) - ?1))",
        [keep],
    )?)
}

pub fn inquiry_by_id(conn: &Connection, id: i64) -> Result<Option<Inquiry>, Error> {
    Ok(conn
        .query_row(
            "SELECT id, site, procedure, fields, created_at, status, handled_by FROM support_inquiries WHERE id = ?1",
            [id],
            inquiry,
        )
        .optional()?)
}

/// Closes an open inquiry; false if it was not open (handled twice).
pub fn close_inquiry(
    conn: &Connection,
    id: i64,
    status: &str,
    by: &str,
    now: i64,
) -> Result<bool, Error> {
    Ok(conn.execute(
        "UPDATE support_inquiries SET status = ?2, handled_by = ?3, handled_at = ?4 WHERE id = ?1 AND status = 'open'",
        rusqlite::params![id, status, by, now],
    )? == 1)
}
