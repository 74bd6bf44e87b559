//! SQLite storage: opening with pragmas, migrations, a small connection pool.

pub mod audit;
pub mod fixtures;
pub mod lines;
pub mod provision;
pub mod services;
pub mod settings;
pub mod throttle;

use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Migrations, M};

use crate::error::AppError;

/// Numbered migrations, embedded in the binary and applied at start.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("migrations/0001_lines_and_audit.sql")),
        M::up(include_str!("migrations/0002_my_menu_and_billing.sql")),
        M::up(include_str!("migrations/0003_mail.sql")),
        M::up(include_str!("migrations/0004_outbox_relay.sql")),
        M::up(include_str!("migrations/0005_staff_and_throttle.sql")),
        M::up(include_str!("migrations/0006_partner_sites.sql")),
        M::up(include_str!("migrations/0007_limits.sql")),
        M::up(include_str!("migrations/0008_id_notification.sql")),
        M::up(include_str!("migrations/0009_audit_apart.sql")),
    ])
}

/// Why the store could not do what was asked. The web layer answers every
/// one of them as an internal error (`From<Error> for AppError`); nothing
/// here is the client's fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("cannot migrate database: {0}")]
    Migrate(#[from] rusqlite_migration::Error),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A stored value that cannot be what it stands for (a malformed number,
    /// unreadable JSON): the database was changed behind garake's back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

/// A pool of connections to one database. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    uri: String,
    flags: OpenFlags,
    idle: Mutex<Vec<Pooled>>,
    /// Told about the watched rows each committed use of a connection wrote.
    watcher: std::sync::OnceLock<Watcher>,
    // Keeps a shared in-memory database alive while the pool lends out the others.
    _anchor: Option<Mutex<Connection>>,
}

const MAX_IDLE: usize = 8;

/// The tables whose committed writes are reported to the watcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Audit,
    MailLog,
    Outbox,
}

/// Whether a row was added or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Insert,
    Update,
}

/// A row of a watched table that a committed write touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub table: Table,
    pub rowid: i64,
    pub op: Op,
}

/// Called, on the connection that wrote them, with the changes of each use
/// of a pooled connection that ended committed (nothing for a rollback).
pub type Watcher = Box<dyn Fn(&Connection, &[Change]) + Send + Sync>;

/// Changes one use of a connection may collect before the rest are dropped
/// (a fixture restore writes no watched rows; no request writes more than a few).
const MAX_CHANGES: usize = 10_000;

/// A pooled connection and the changes its hooks collected.
struct Pooled {
    conn: Connection,
    changes: Arc<Mutex<Vec<Change>>>,
}

impl Pooled {
    fn new(conn: Connection) -> Result<Pooled, rusqlite::Error> {
        let changes: Arc<Mutex<Vec<Change>>> = Arc::default();
        let seen = changes.clone();
        conn.update_hook(Some(
            move |action: rusqlite::hooks::Action, _: &str, table: &str, rowid: i64| {
                let table = match table {
                    "audit" => Table::Audit,
                    "mail_log" => Table::MailLog,
                    "outbox" => Table::Outbox,
                    _ => return,
                };
                let op = match action {
                    rusqlite::hooks::Action::SQLITE_INSERT => Op::Insert,
                    rusqlite::hooks::Action::SQLITE_UPDATE => Op::Update,
                    _ => return,
                };
                let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                if seen.len() < MAX_CHANGES {
                    seen.push(Change { table, rowid, op });
                }
            },
        ))?;
        let undone = changes.clone();
        conn.rollback_hook(Some(move || {
            undone.lock().unwrap_or_else(|p| p.into_inner()).clear();
        }))?;
        Ok(Pooled { conn, changes })
    }

    fn take_changes(&self) -> Vec<Change> {
        std::mem::take(&mut *self.changes.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Db {
    /// Opens (creating if needed) the database at `path` and migrates it.
    /// `:memory:` gives a private in-memory database shared by the pool.
    pub fn open(path: &str) -> Result<Db, Error> {
        let base = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let (uri, flags, memory) = if path == ":memory:" {
            // SQLite's memdb VFS: one in-memory database that several
            // connections open with ordinary locking (and busy timeouts), as
            // a file database. (A shared-cache memory database answers
            // "table is locked" under concurrent writers instead of waiting.)
            let name = format!("file:/garake-{}?vfs=memdb", crate::random::token_hex(8));
            (name, base | OpenFlags::SQLITE_OPEN_URI, true)
        } else {
            (path.to_string(), base, false)
        };
        let mut first = connect(&uri, flags, memory)?;
        migrations().to_latest(&mut first)?;
        let anchor = if memory {
            Some(Mutex::new(connect(&uri, flags, memory)?))
        } else {
            None
        };
        Ok(Db {
            inner: Arc::new(Inner {
                uri,
                flags,
                idle: Mutex::new(vec![Pooled::new(first)?]),
                watcher: std::sync::OnceLock::new(),
                _anchor: anchor,
            }),
        })
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    pub async fn call<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, AppError> + Send + 'static,
    {
        let db = self.clone();
        crate::blocking::run(move || db.with_conn(f)).await
    }

    /// Runs `f` with a pooled connection on this thread (CLI, tests, fixtures).
    pub fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let pooled = self.idle().pop();
        let mut pooled = match pooled {
            Some(c) => c,
            None => connect(
                &self.inner.uri,
                self.inner.flags,
                self.inner._anchor.is_some(),
            )
            .and_then(|c| Pooled::new(c).map_err(Error::from))?,
        };
        let result = f(&mut pooled.conn);
        // A connection left inside a transaction by an error path is rolled back
        // before it is lent out again (which also forgets its changes).
        if !pooled.conn.is_autocommit() {
            let _ = pooled.conn.execute_batch("ROLLBACK");
        }
        let changes = pooled.take_changes();
        if let (false, Some(watch)) = (changes.is_empty(), self.inner.watcher.get()) {
            watch(&pooled.conn, &changes);
        }
        let mut idle = self.idle();
        if idle.len() < MAX_IDLE {
            idle.push(pooled);
        }
        result
    }

    /// Installs the one watcher of committed writes (later calls are ignored).
    pub fn watch(&self, watcher: Watcher) {
        let _ = self.inner.watcher.set(watcher);
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Pooled>> {
        // A panic while holding this lock cannot leave the Vec half-updated.
        self.inner.idle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn connect(uri: &str, flags: OpenFlags, memory: bool) -> Result<Connection, Error> {
    let conn = Connection::open_with_flags(uri, flags).map_err(|source| Error::Open {
        path: uri.to_string(),
        source,
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    if !memory {
        // WAL returns the mode it ended up in; an error here is a real problem.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    Ok(conn)
}

/// Whether the database holds any password hash made with the server secret.
pub fn holds_hashes(conn: &Connection) -> Result<bool, Error> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM lines) OR EXISTS (SELECT 1 FROM staff)
             OR EXISTS (SELECT 1 FROM partner_accounts)",
        [],
        |r| r.get(0),
    )?)
}

/// Keeps the newest `keep` rows of the mail log and of the audit log's
/// ordinary rows, and the newest `keep_security` security events of the audit
/// log (trimmed apart: ordinary rows never push one out); returns how many
/// older rows went.
pub fn trim_logs(conn: &Connection, keep: i64, keep_security: i64) -> Result<usize, Error> {
    let mail = conn.execute(
        "DELETE FROM mail_log WHERE id <= (SELECT max(id) FROM mail_log) - ?1",
        [keep],
    )?;
    Ok(mail + audit::trim(conn, keep, keep_security)?)
}

/// The server setting naming the SMTP relay (absent: no relay).
pub const SMTP_RELAY: &str = "smtp_relay";

/// Sets (or, with `None`, removes) a setting of the running server.
pub fn set_setting(conn: &Connection, key: &str, value: Option<&str>) -> Result<(), Error> {
    match value {
        Some(v) => conn.execute(
            "INSERT INTO server_settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = ?2",
            [key, v],
        )?,
        None => conn.execute("DELETE FROM server_settings WHERE key = ?1", [key])?,
    };
    Ok(())
}

/// Starts a write transaction that takes the write lock at once (`BEGIN IMMEDIATE`),
/// so two writers never both read then both write.
pub fn write_tx(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>, Error> {
    Ok(conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().expect("migrations validate");
    }

    #[test]
    fn a_file_database_uses_wal_full_sync_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path().join("t.db").to_str().unwrap()).unwrap();
        db.with_conn(|c| {
            let mode: String = c
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
            let fk: i64 = c
                .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
                .unwrap();
            assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn an_in_memory_database_is_shared_by_the_pool() {
        let db = Db::open(":memory:").unwrap();
        db.with_conn(|c| {
            // Hold one connection while another one reads: both see the schema.
            db.with_conn(|c2| {
                let n: i64 = c2
                    .query_row("SELECT count(*) FROM lines", [], |r| r.get(0))
                    .map_err(Error::from)?;
                assert_eq!(n, 0);
                Ok(())
            })?;
            c.execute("SELECT 1", []).ok();
            Ok(())
        })
        .unwrap();
    }
}
