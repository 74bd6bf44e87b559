//! docomo Shop staff: their ids and password hashes.

use rusqlite::{Connection, OptionalExtension};

use super::error::Error;

/// The password hash of staff member `id`, if there is one.
pub fn password_hash(conn: &Connection, id: &str) -> Result<Option<String>, Error> {
    Ok(conn
        .query_row("SELECT password_hash FROM staff WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Adds a staff member.
pub fn insert(conn: &Connection, id: &str, password_hash: &str) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO staff (id, password_hash) VALUES (?1, ?2)",
        [id, password_hash],
    )?;
    Ok(())
}
