//! Subscriber lines and their rejection lists: lookup, the state the API and
//! settings pages show, inserts; each line's secrets (the i-mode password,
//! the network PIN, the d ACCOUNT password) with their failure counters and
//! locks; and the settings the protected actions change.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::error::Error;
use crate::domain::{Msisdn, MAIL_DOMAIN};

/// A line's public state: settings and lock flags, never a secret.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LineState {
    pub msisdn: String,
    pub name: String,
    pub name_en: String,
    pub mail_address: String,
    pub mail_suspended: bool,
    pub mail_rejection: MailRejection,
    pub secret_code_registered: bool,
    pub message_service: MessageService,
    /// Whether content providers may receive the i-mode ID (`X-DCMGUID`).
    pub id_notification: bool,
    /// Site ids registered in My Menu.
    pub my_menu: Vec<String>,
    /// Site ids with an active fee-based subscription.
    pub subscriptions: Vec<String>,
    pub pin_locked: bool,
    pub network_pin_locked: bool,
    pub has_daccount: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MailRejection {
    pub mode: String,
    pub list: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MessageService {
    pub message_r: bool,
    pub message_f: bool,
}

/// A line as the power-on page lists it.
#[derive(Clone, Debug)]
pub struct Listing {
    pub id: i64,
    pub msisdn: Msisdn,
    pub name_ja: String,
    pub name_en: String,
}

/// Everything needed to create a line; secrets already hashed.
pub struct NewLine<'a> {
    pub msisdn: &'a Msisdn,
    pub name_ja: &'a str,
    pub name_en: &'a str,
    pub mail_local: &'a str,
    pub pin_hash: &'a str,
    pub network_pin_hash: &'a str,
    pub daccount: Option<(&'a str, &'a str)>,
    pub id_doc: Option<(&'a str, &'a str)>,
    pub mail_suspended: bool,
    pub rejection: (&'a str, &'a [&'a str]),
    pub secret_code: Option<&'a str>,
}

pub fn insert(conn: &Connection, line: &NewLine<'_>, now: i64) -> Result<i64, Error> {
    conn.execute(
        "INSERT INTO lines (msisdn, name_ja, name_en, mail_local, pin_hash, network_pin_hash,
             daccount_id, daccount_hash, id_doc_type, id_doc_number, mail_suspended,
             rejection_mode, secret_code, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        rusqlite::params![
            line.msisdn.as_str(),
            line.name_ja,
            line.name_en,
            line.mail_local,
            line.pin_hash,
            line.network_pin_hash,
            line.daccount.map(|d| d.0),
            line.daccount.map(|d| d.1),
            line.id_doc.map(|d| d.0),
            line.id_doc.map(|d| d.1),
            line.mail_suspended,
            line.rejection.0,
            line.secret_code,
            now,
        ],
    )?;
    let id = conn.last_insert_rowid();
    for (position, entry) in line.rejection.1.iter().enumerate() {
        conn.execute(
            "INSERT INTO rejection_list (line_id, position, entry) VALUES (?1, ?2, ?3)",
            rusqlite::params![id, position as i64, entry],
        )?;
    }
    Ok(id)
}

/// The line's row id, if the number is a line of ours.
pub fn find(conn: &Connection, msisdn: &Msisdn) -> Result<Option<i64>, Error> {
    Ok(conn
        .prepare_cached("SELECT id FROM lines WHERE msisdn = ?1")?
        .query_row([msisdn.as_str()], |r| r.get(0))
        .optional()?)
}

/// The line with number `msisdn`: its id and public state.
pub fn state_by_msisdn(
    conn: &Connection,
    msisdn: &Msisdn,
    now: i64,
) -> Result<Option<(i64, LineState)>, Error> {
    let Some(id) = find(conn, msisdn)? else {
        return Ok(None);
    };
    Ok(state(conn, id, now)?.map(|line| (id, line)))
}

/// Lines in number order, `limit` from `offset`, and the total count.
pub fn directory(conn: &Connection, offset: i64, limit: i64) -> Result<(Vec<Listing>, i64), Error> {
    let total: i64 = conn.query_row("SELECT count(*) FROM lines", [], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, msisdn, name_ja, name_en FROM lines ORDER BY msisdn LIMIT ?1 OFFSET ?2",
    )?;
    let rows = stmt.query_map([limit, offset], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get(2)?,
            r.get(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, msisdn, name_ja, name_en) = row?;
        let msisdn = stored_msisdn(&msisdn)?;
        out.push(Listing {
            id,
            msisdn,
            name_ja,
            name_en,
        });
    }
    Ok((out, total))
}

/// The full public state of one line.
pub fn state(conn: &Connection, id: i64, now: i64) -> Result<Option<LineState>, Error> {
    let row = conn
        .prepare_cached(
            "SELECT msisdn, name_ja, name_en, mail_local, mail_suspended, rejection_mode,
                    secret_code IS NOT NULL, message_r, message_f, pin_locked_until,
                    network_pin_locked_until, daccount_id IS NOT NULL, id_notification
             FROM lines WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(LineState {
                msisdn: r.get(0)?,
                name: r.get(1)?,
                name_en: r.get(2)?,
                mail_address: format!("{}@{MAIL_DOMAIN}", r.get::<_, String>(3)?),
                mail_suspended: r.get(4)?,
                mail_rejection: MailRejection {
                    mode: r.get(5)?,
                    list: Vec::new(),
                },
                secret_code_registered: r.get(6)?,
                message_service: MessageService {
                    message_r: r.get(7)?,
                    message_f: r.get(8)?,
                },
                id_notification: r.get(12)?,
                my_menu: Vec::new(),
                subscriptions: Vec::new(),
                pin_locked: is_locked(r.get(9)?, now),
                network_pin_locked: is_locked(r.get(10)?, now),
                has_daccount: r.get(11)?,
            })
        })
        .optional()?;
    let Some(mut state) = row else {
        return Ok(None);
    };
    let mut stmt = conn
        .prepare_cached("SELECT entry FROM rejection_list WHERE line_id = ?1 ORDER BY position")?;
    state.mail_rejection.list = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    state.my_menu = crate::store::sites::my_menu(conn, id)?;
    state.subscriptions = crate::store::sites::subscriptions(conn, id)?
        .into_iter()
        .map(|s| s.site)
        .collect();
    Ok(Some(state))
}

/// Sets the i-mode password to the default (`default_hash` is its hash) and
/// clears its lock and failure count. Runs in the caller's transaction.
pub fn reset_password(conn: &Connection, line_id: i64, default_hash: &str) -> Result<(), Error> {
    conn.execute(
        "UPDATE lines SET pin_hash = ?1, pin_failures = 0, pin_locked_until = NULL WHERE id = ?2",
        rusqlite::params![default_hash, line_id],
    )?;
    Ok(())
}

/// Unlocks a locked network PIN (a docomo Shop visit).
pub fn unlock_network_pin(conn: &Connection, line_id: i64) -> Result<(), Error> {
    conn.execute(
        "UPDATE lines SET network_pin_failures = 0, network_pin_locked_until = NULL WHERE id = ?1",
        [line_id],
    )?;
    Ok(())
}

/// What delivery needs to know of the line whose address is `local@`: as
/// stored (the rejection mode by its stored name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailSettings {
    pub line_id: i64,
    pub msisdn: String,
    /// The current local part of the line's address.
    pub mail_local: String,
    pub suspended: bool,
    pub rejection_mode: String,
    /// The rejection list, in its order.
    pub list: Vec<String>,
    pub secret_code: Option<String>,
}

/// The mail settings of the line whose current address has local part
/// `local` (lower case), if any.
pub fn mail_settings(conn: &Connection, local: &str) -> Result<Option<MailSettings>, Error> {
    let row = conn
        .prepare_cached(
            "SELECT id, msisdn, mail_local, mail_suspended, rejection_mode, secret_code FROM lines WHERE mail_local = ?1",
        )?
        .query_row([local], |r| {
            Ok(MailSettings {
                line_id: r.get(0)?,
                msisdn: r.get(1)?,
                mail_local: r.get(2)?,
                suspended: r.get(3)?,
                rejection_mode: r.get(4)?,
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

/// The line whose current address has local part `local` (lower case), if
/// any: its id and number.
pub fn by_mail_local(conn: &Connection, local: &str) -> Result<Option<(i64, String)>, Error> {
    Ok(conn
        .prepare_cached("SELECT id, msisdn FROM lines WHERE mail_local = ?1")?
        .query_row([local], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The local part of a line's current address.
pub fn mail_local(conn: &Connection, line_id: i64) -> Result<String, Error> {
    Ok(conn.query_row(
        "SELECT mail_local FROM lines WHERE id = ?1",
        [line_id],
        |r| r.get(0),
    )?)
}

// The settings the protected actions change. Each runs inside the caller's
// transaction (the PIN gate's).

/// `mode` is a rejection mode's stored name (the mail module's `Mode::as_str`),
/// `list` its validated entries.
pub fn set_rejection(
    conn: &Connection,
    line_id: i64,
    mode: &str,
    list: &[String],
) -> Result<(), Error> {
    conn.execute(
        "UPDATE lines SET rejection_mode = ?1 WHERE id = ?2",
        rusqlite::params![mode, line_id],
    )?;
    conn.execute("DELETE FROM rejection_list WHERE line_id = ?1", [line_id])?;
    for (position, entry) in list.iter().enumerate() {
        conn.execute(
            "INSERT INTO rejection_list (line_id, position, entry) VALUES (?1, ?2, ?3)",
            rusqlite::params![line_id, position as i64, entry],
        )?;
    }
    Ok(())
}

/// Changes the address to `local` (already validated); `false` if another
/// line has it (the UNIQUE constraint decides, so two lines racing for one
/// address cannot both win).
pub fn set_mail_local(conn: &Connection, line_id: i64, local: &str) -> Result<bool, Error> {
    match conn.execute(
        "UPDATE lines SET mail_local = ?1 WHERE id = ?2",
        rusqlite::params![local, line_id],
    ) {
        Ok(_) => Ok(true),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

pub fn set_suspended(conn: &Connection, line_id: i64, suspended: bool) -> Result<(), Error> {
    conn.execute(
        "UPDATE lines SET mail_suspended = ?1 WHERE id = ?2",
        rusqlite::params![suspended, line_id],
    )?;
    Ok(())
}

pub fn set_secret_code(conn: &Connection, line_id: i64, code: &str) -> Result<(), Error> {
    conn.execute(
        "UPDATE lines SET secret_code = ?1 WHERE id = ?2",
        rusqlite::params![code, line_id],
    )?;
    Ok(())
}

pub fn set_message_service(conn: &Connection, line_id: i64, r: bool, f: bool) -> Result<(), Error> {
    conn.execute(
        "UPDATE lines SET message_r = ?1, message_f = ?2 WHERE id = ?3",
        rusqlite::params![r, f, line_id],
    )?;
    Ok(())
}

pub fn set_id_notification(conn: &Connection, line_id: i64, on: bool) -> Result<(), Error> {
    conn.execute(
        "UPDATE lines SET id_notification = ?1 WHERE id = ?2",
        rusqlite::params![on, line_id],
    )?;
    Ok(())
}

/// Whether the line lets content providers receive its i-mode ID.
pub fn id_notification(conn: &Connection, line_id: i64) -> Result<bool, Error> {
    Ok(conn
        .prepare_cached("SELECT id_notification FROM lines WHERE id = ?1")?
        .query_row([line_id], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

// A line's secrets.

/// Which secret of the line: each has its hash, its count of consecutive
/// failures and its lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretKind {
    /// Locks until the next 00:00 JST (or a reset).
    ImodePassword,
    /// Locks until a docomo Shop visit.
    NetworkPin,
}

impl SecretKind {
    fn columns(self) -> (&'static str, &'static str, &'static str) {
        match self {
            SecretKind::ImodePassword => ("pin_hash", "pin_failures", "pin_locked_until"),
            SecretKind::NetworkPin => (
                "network_pin_hash",
                "network_pin_failures",
                "network_pin_locked_until",
            ),
        }
    }
}

/// Whether a lock column value means "locked now".
pub fn is_locked(until: Option<i64>, now: i64) -> bool {
    until.is_some_and(|u| u > now)
}

/// One secret of a line as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    pub hash: String,
    /// Consecutive wrong entries (each attempt counts until it verifies).
    pub failures: i64,
    /// Locked until then (it may have passed).
    pub locked_until: Option<i64>,
}

/// A line's secret of `kind`; `None` if there is no such line.
pub fn secret(conn: &Connection, line_id: i64, kind: SecretKind) -> Result<Option<Secret>, Error> {
    let (hash_col, failures_col, until_col) = kind.columns();
    Ok(conn
        .query_row(
            &format!("SELECT {hash_col}, {failures_col}, {until_col} FROM lines WHERE id = ?1"),
            [line_id],
            |r| {
                Ok(Secret {
                    hash: r.get(0)?,
                    failures: r.get(1)?,
                    locked_until: r.get(2)?,
                })
            },
        )
        .optional()?)
}

/// Sets a secret's count of consecutive failures and its lock (`None`: not
/// locked).
pub fn set_failures(
    conn: &Connection,
    line_id: i64,
    kind: SecretKind,
    failures: i64,
    locked_until: Option<i64>,
) -> Result<(), Error> {
    let (_, failures_col, until_col) = kind.columns();
    conn.execute(
        &format!("UPDATE lines SET {failures_col} = ?1, {until_col} = ?2 WHERE id = ?3"),
        rusqlite::params![failures, locked_until, line_id],
    )?;
    Ok(())
}

/// Clears a secret's failures and lock (it was entered correctly).
pub fn clear_failures(conn: &Connection, line_id: i64, kind: SecretKind) -> Result<(), Error> {
    let (_, failures_col, until_col) = kind.columns();
    conn.execute(
        &format!("UPDATE lines SET {failures_col} = 0, {until_col} = NULL WHERE id = ?1"),
        [line_id],
    )?;
    Ok(())
}

/// Sets a new i-mode password (its hash).
pub fn set_pin_hash(conn: &Connection, line_id: i64, hash: &str) -> Result<(), Error> {
    conn.execute(
        "UPDATE lines SET pin_hash = ?1 WHERE id = ?2",
        rusqlite::params![hash, line_id],
    )?;
    Ok(())
}

/// The line of a d ACCOUNT ID (lower case): its id, number and the
/// password's hash.
pub fn by_daccount(
    conn: &Connection,
    daccount_id: &str,
) -> Result<Option<(i64, Msisdn, String)>, Error> {
    let row: Option<(i64, String, String)> = conn
        .query_row(
            "SELECT id, msisdn, daccount_hash FROM lines WHERE daccount_id = ?1",
            [daccount_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    row.map(|(id, msisdn, hash)| Ok((id, stored_msisdn(&msisdn)?, hash)))
        .transpose()
}

/// Whether a line has this d ACCOUNT ID already.
pub fn daccount_taken(conn: &Connection, daccount_id: &str) -> Result<bool, Error> {
    let taken: i64 = conn.query_row(
        "SELECT count(*) FROM lines WHERE daccount_id = ?1",
        [daccount_id],
        |r| r.get(0),
    )?;
    Ok(taken > 0)
}

/// The identity document a line registered: (type, number), each if any.
pub fn id_document(
    conn: &Connection,
    line_id: i64,
) -> Result<(Option<String>, Option<String>), Error> {
    Ok(conn.query_row(
        "SELECT id_doc_type, id_doc_number FROM lines WHERE id = ?1",
        [line_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// A stored number read back: it was a `Msisdn` when it was written.
fn stored_msisdn(raw: &str) -> Result<Msisdn, Error> {
    Msisdn::parse(raw).ok_or_else(|| Error::Corrupt(format!("stored msisdn {raw} is malformed")))
}

// Resetting a line and synthetic lines.

/// What a reset keeps of a line that is not a demo line.
#[derive(Clone, Debug)]
pub struct Kept {
    pub name_ja: String,
    pub name_en: String,
    pub network_pin_hash: String,
    pub daccount_id: Option<String>,
    pub daccount_hash: Option<String>,
    pub doc_type: Option<String>,
    pub doc_number: Option<String>,
}

/// The parts of a line a reset keeps.
pub fn kept_on_reset(conn: &Connection, line_id: i64) -> Result<Kept, Error> {
    Ok(conn.query_row(
        "SELECT name_ja, name_en, network_pin_hash, daccount_id, daccount_hash, id_doc_type, id_doc_number FROM lines WHERE id = ?1",
        [line_id],
        |r| {
            Ok(Kept {
                name_ja: r.get(0)?,
                name_en: r.get(1)?,
                network_pin_hash: r.get(2)?,
                daccount_id: r.get(3)?,
                daccount_hash: r.get(4)?,
                doc_type: r.get(5)?,
                doc_number: r.get(6)?,
            })
        },
    )?)
}

/// Deletes a line, and with it (by foreign key) everything that is its own.
pub fn delete(conn: &Connection, line_id: i64) -> Result<(), Error> {
    conn.execute("DELETE FROM lines WHERE id = ?1", [line_id])?;
    Ok(())
}

/// Adds a synthetic line with the given hashes unless its number is taken;
/// whether it was added.
pub fn add_synthetic(
    conn: &Connection,
    msisdn: &str,
    name: &str,
    pin_hash: &str,
    network_pin_hash: &str,
    now: i64,
) -> Result<bool, Error> {
    Ok(conn
        .prepare_cached(
            "INSERT OR IGNORE INTO lines (msisdn, name_ja, name_en, mail_local, pin_hash, network_pin_hash, created_at)
             VALUES (?1, ?2, ?2, ?1, ?3, ?4, ?5)",
        )?
        .execute(rusqlite::params![msisdn, name, pin_hash, network_pin_hash, now])?
        == 1)
}
