//! Subscriber lines: lookup, the state the API and settings pages show, inserts.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::error::Error;
use crate::domain::Msisdn;
use crate::mail::address::MAIL_DOMAIN;
use crate::pin::is_locked;

/// A line's public state: settings and lock flags, never a secret.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
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

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MailRejection {
    pub mode: String,
    pub list: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
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
        let msisdn = Msisdn::parse(&msisdn)
            .ok_or_else(|| Error::Corrupt(format!("stored msisdn {msisdn} is malformed")))?;
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
