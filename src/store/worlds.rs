//! The registry of worlds (table `worlds` of the default world's database).

use rusqlite::{params, Connection};

use super::error::Error;

/// One world as the registry keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub token_sha256: String,
    pub fixtures: String,
    pub created: i64,
    pub last_used: i64,
    pub ttl_secs: i64,
    pub clock_offset: i64,
    pub public: bool,
}

pub fn insert(conn: &Connection, row: &Row) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT INTO worlds (id, token_sha256, fixtures, created, last_used, ttl_secs,
                             clock_offset, public)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        row.id,
        row.token_sha256,
        row.fixtures,
        row.created,
        row.last_used,
        row.ttl_secs,
        row.clock_offset,
        row.public,
    ])?;
    Ok(())
}

/// Every world, oldest first.
pub fn all(conn: &Connection) -> Result<Vec<Row>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, token_sha256, fixtures, created, last_used, ttl_secs, clock_offset, public
         FROM worlds ORDER BY created, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Row {
            id: r.get(0)?,
            token_sha256: r.get(1)?,
            fixtures: r.get(2)?,
            created: r.get(3)?,
            last_used: r.get(4)?,
            ttl_secs: r.get(5)?,
            clock_offset: r.get(6)?,
            public: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records when each world was last used and where its clock stands.
pub fn touch(conn: &mut super::Conn, seen: &[(String, i64, i64)]) -> Result<(), Error> {
    let tx = super::write_tx(conn)?;
    {
        let mut stmt = tx.prepare_cached(
            "UPDATE worlds SET last_used = max(last_used, ?2), clock_offset = ?3 WHERE id = ?1",
        )?;
        for (id, last_used, offset) in seen {
            stmt.execute(params![id, last_used, offset])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Forgets a world; whether it was there.
pub fn delete(conn: &Connection, id: &str) -> Result<bool, Error> {
    Ok(conn
        .prepare_cached("DELETE FROM worlds WHERE id = ?1")?
        .execute([id])?
        > 0)
}
