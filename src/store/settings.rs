//! Updates to a line's mail and Message Service settings. Each runs inside the
//! caller's transaction (the PIN gate's).

use rusqlite::{Connection, OptionalExtension};

use super::error::Error;

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
