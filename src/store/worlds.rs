//! The registry of worlds (table `worlds` of the default world's database)
//! and the copying of a template database into a new world's.

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

/// The whole database behind `conn` as one image (what a new world's file
/// starts as), marked for write-ahead logging as every file database of
/// garake is: a file written from it opens in WAL mode as it is. (An
/// in-memory database serializes as a rollback-journal one; switching such
/// a file to WAL when it is first opened rewrites its header through a
/// rollback journal, four fsyncs of a world's making out of six.)
pub fn image(conn: &Connection) -> Result<Vec<u8>, Error> {
    let mut image = conn.serialize(rusqlite::MAIN_DB)?.to_vec();
    // The file format's write and read versions: 1 legacy, 2 WAL.
    if let Some(versions) = image.get_mut(WAL_VERSION_BYTES) {
        versions.copy_from_slice(&[2, 2]);
    }
    Ok(image)
}

/// Where a database file's header says whether it is in WAL mode.
const WAL_VERSION_BYTES: std::ops::Range<usize> = 18..20;

/// Copies the database behind `from` into the one behind `to` (an empty
/// in-memory database).
pub fn copy(from: &Connection, to: &mut Connection) -> Result<(), Error> {
    let backup = rusqlite::backup::Backup::new(from, to)?;
    // All pages in one step: the template is small and no one writes it.
    backup.run_to_completion(i32::MAX, std::time::Duration::ZERO, None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small database in memory, as a world's template is made.
    fn template() -> crate::store::Db {
        let db = crate::store::Db::open(":memory:").expect("an in-memory database");
        db.with_conn(|c| {
            c.execute_batch("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('kept');")
                .map_err(Error::from)?;
            Ok(())
        })
        .expect("written");
        db
    }

    #[test]
    fn an_image_is_marked_for_wal_and_opens_as_it_is() {
        let db = template();
        let image = db.image().expect("an image");
        assert_eq!(&image[..16], b"SQLite format 3\0");
        assert_eq!(image[WAL_VERSION_BYTES], [2, 2]);
        let dir = tempfile::tempdir().expect("a folder");
        let file = dir.path().join("w.db");
        std::fs::write(&file, &image).expect("written");
        // A plain connection, without garake's pragmas: the header alone says WAL.
        let conn = Connection::open(&file).expect("opened");
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("a mode");
        assert_eq!(mode, "wal");
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("checked");
        assert_eq!(ok, "ok");
        let x: String = conn
            .query_row("SELECT x FROM t", [], |r| r.get(0))
            .expect("the row");
        assert_eq!(x, "kept");
    }

    #[test]
    fn a_file_made_from_an_image_takes_writes_and_keeps_them() {
        let image = template().image().expect("an image");
        let dir = tempfile::tempdir().expect("a folder");
        let file = dir.path().join("w.db");
        let db = crate::store::Db::create_from_image(&file, &image).expect("made");
        // Opened without a write: its header (file change counter, bytes
        // 24..28, included) is still the image's, where switching a legacy
        // file to WAL would have rewritten it.
        let on_disk = std::fs::read(&file).expect("the file");
        assert_eq!(on_disk[..100], image[..100]);
        db.with_conn(|c| {
            c.execute("INSERT INTO t VALUES ('written')", [])
                .map_err(Error::from)?;
            Ok(())
        })
        .expect("a write");
        drop(db);
        let again = crate::store::Db::open(file.to_str().expect("UTF-8")).expect("reopened");
        let n: i64 = again
            .with_conn(|c| {
                Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                    .map_err(Error::from)?)
            })
            .expect("counted");
        assert_eq!(n, 2);
    }
}
