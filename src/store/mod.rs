//! SQLite storage: opening with pragmas, migrations, a small connection pool.

pub mod audit;
pub mod error;
pub mod fixtures;
pub mod lines;
pub mod mail;
pub mod partners;
pub mod server;
pub mod sites;
pub mod staff;
pub mod throttle;
pub mod worlds;

use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Migrations, M};

use crate::error::AppError;

pub use error::Error;

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
        M::up(include_str!("migrations/0010_worlds.sql")),
    ])
}

/// A pool of connections to one database. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    uri: String,
    flags: OpenFlags,
    idle: Mutex<Vec<Conn>>,
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
/// of a pooled connection that were committed (nothing rolled back, whether
/// by a whole transaction or back to a savepoint).
pub type Watcher = Box<dyn Fn(&Connection, &[Change]) + Send + Sync>;

/// Changes one use of a connection may collect before the rest are dropped
/// (a fixture restore writes no watched rows; no request writes more than a few).
const MAX_CHANGES: usize = 10_000;

/// What a connection's hooks collected: the changes of the transaction under
/// way, and those committed since the connection was lent out.
#[derive(Default)]
struct Changes {
    pending: Vec<Change>,
    committed: Vec<Change>,
}

impl Changes {
    fn lock(changes: &Mutex<Changes>) -> std::sync::MutexGuard<'_, Changes> {
        // A panic while holding this lock cannot leave the Vecs half-updated.
        changes.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A pooled connection, as `Db::call` lends it out: reads through it
/// directly (it derefs to a `rusqlite::Connection`), writes that span
/// statements through `write_tx`. Its hooks note the watched rows each
/// statement writes; a change is reported once its transaction commits, and
/// forgotten if the transaction, or the savepoint it was written under,
/// rolls back.
pub struct Conn {
    conn: Connection,
    changes: Arc<Mutex<Changes>>,
}

impl std::ops::Deref for Conn {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl Conn {
    fn new(conn: Connection) -> Result<Conn, rusqlite::Error> {
        let changes: Arc<Mutex<Changes>> = Arc::default();
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
                let mut seen = Changes::lock(&seen);
                if seen.pending.len() + seen.committed.len() < MAX_CHANGES {
                    seen.pending.push(Change { table, rowid, op });
                }
            },
        ))?;
        // Every commit, of a transaction or of a single statement outside
        // one, makes what it wrote news.
        let done = changes.clone();
        conn.commit_hook(Some(move || {
            let mut done = Changes::lock(&done);
            let pending = std::mem::take(&mut done.pending);
            done.committed.extend(pending);
            false // let the commit go ahead
        }))?;
        // A whole rollback undoes what its transaction wrote. (A rollback to
        // a savepoint calls no hook: `Savepoint` forgets its own changes.)
        let undone = changes.clone();
        conn.rollback_hook(Some(move || {
            Changes::lock(&undone).pending.clear();
        }))?;
        Ok(Conn { conn, changes })
    }

    /// The committed changes since the last call; anything still pending
    /// (never committed) is forgotten.
    fn take_committed(&self) -> Vec<Change> {
        let mut changes = Changes::lock(&self.changes);
        changes.pending.clear();
        std::mem::take(&mut changes.committed)
    }
}

/// A write transaction (`write_tx`): reads and writes through it (it derefs
/// to a `rusqlite::Connection`), then `commit`; dropped without a commit it
/// rolls back.
pub struct Tx<'c> {
    tx: rusqlite::Transaction<'c>,
    changes: Arc<Mutex<Changes>>,
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.tx
    }
}

impl Tx<'_> {
    pub fn commit(self) -> Result<(), Error> {
        Ok(self.tx.commit()?)
    }

    /// A savepoint inside the transaction: what is written under it is kept
    /// by `Savepoint::commit`, and undone (and never reported) when it is
    /// dropped without one.
    pub fn savepoint(&mut self) -> Result<Savepoint<'_>, Error> {
        let mark = Changes::lock(&self.changes).pending.len();
        Ok(Savepoint {
            sp: Some(self.tx.savepoint()?),
            changes: self.changes.clone(),
            mark,
        })
    }
}

/// A savepoint of a `Tx`: derefs to a `rusqlite::Connection`; dropped
/// without `commit`, its writes roll back and their changes are forgotten.
pub struct Savepoint<'t> {
    sp: Option<rusqlite::Savepoint<'t>>,
    changes: Arc<Mutex<Changes>>,
    /// How many changes the transaction had pending when it began.
    mark: usize,
}

impl std::ops::Deref for Savepoint<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.sp.as_ref().expect("a savepoint is held until it ends")
    }
}

impl Savepoint<'_> {
    pub fn commit(mut self) -> Result<(), Error> {
        let sp = self.sp.take().expect("a savepoint is held until it ends");
        Ok(sp.commit()?)
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if let Some(sp) = self.sp.take() {
            drop(sp); // rolls back to the savepoint and releases it
            Changes::lock(&self.changes).pending.truncate(self.mark);
        }
    }
}

impl Db {
    /// Opens (creating if needed) the database at `path` and migrates it.
    /// `:memory:` gives a private in-memory database shared by the pool.
    pub fn open(path: &str) -> Result<Db, Error> {
        Db::open_with(path, |_| Ok(()))
    }

    /// Opens the database at `path` (`:memory:`: a new in-memory one), lets
    /// `fill` write its first connection before anything else, and migrates it.
    fn open_with(
        path: &str,
        fill: impl FnOnce(&mut Connection) -> Result<(), Error>,
    ) -> Result<Db, Error> {
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
        fill(&mut first)?;
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
                idle: Mutex::new(vec![Conn::new(first)?]),
                watcher: std::sync::OnceLock::new(),
                _anchor: anchor,
            }),
        })
    }

    /// A new in-memory database holding a copy of `template`'s.
    pub fn copy_in_memory(template: &Db) -> Result<Db, Error> {
        Db::open_with(":memory:", |to| {
            template.with_store(|from| {
                // All pages in one step: the template is small and no one writes it.
                let backup = rusqlite::backup::Backup::new(from, to)?;
                backup.run_to_completion(i32::MAX, std::time::Duration::ZERO, None)?;
                Ok(())
            })
        })
    }

    /// A new database file at `path` (mode 0600) holding `image`: written
    /// beside it under a temporary name, synced, then renamed into place,
    /// so a failure at any step leaves no file behind.
    pub fn create_from_image(path: &std::path::Path, image: &[u8]) -> Result<Db, Error> {
        let file_error = |source| Error::File {
            path: path.display().to_string(),
            source,
        };
        let part = path.with_extension("db.part");
        let written = write_private(&part, image);
        if let Err(e) = written {
            let _ = std::fs::remove_file(&part);
            return Err(file_error(e));
        }
        if let Err(e) = std::fs::rename(&part, path) {
            let _ = std::fs::remove_file(&part);
            return Err(file_error(e));
        }
        let path_text = path.to_str().ok_or_else(|| Error::File {
            path: path.display().to_string(),
            source: std::io::Error::other("the path is not UTF-8"),
        })?;
        Db::open(path_text).inspect_err(|_| remove_files(path))
    }

    /// The whole database as one image (what a new world's file starts
    /// as), marked for write-ahead logging as every file database of garake
    /// is: a file written from it opens in WAL mode as it is. (An in-memory
    /// database serializes as a rollback-journal one; switching such a file
    /// to WAL when it is first opened rewrites its header through a rollback
    /// journal, four fsyncs of a world's making out of six.)
    pub fn image(&self) -> Result<Vec<u8>, Error> {
        let mut image = self.with_store(|c| Ok(c.serialize(rusqlite::MAIN_DB)?.to_vec()))?;
        // The file format's write and read versions: 1 legacy, 2 WAL.
        if let Some(versions) = image.get_mut(WAL_VERSION_BYTES) {
            versions.copy_from_slice(&[2, 2]);
        }
        Ok(image)
    }

    /// Runs `f` with a pooled connection, for the store's own use.
    fn with_store<T>(&self, f: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
        let mut out = None;
        self.with_conn(|c| {
            out = Some(f(c));
            Ok(())
        })
        .map_err(|e| Error::Corrupt(format!("{e:?}")))?;
        out.expect("with_conn ran the closure")
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    pub async fn call<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
    {
        let db = self.clone();
        crate::blocking::run(move || db.with_conn(f)).await
    }

    /// Runs `f` with a pooled connection on this thread (CLI, tests, fixtures).
    pub fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let pooled = self.idle().pop();
        let mut pooled = match pooled {
            Some(c) => c,
            None => connect(
                &self.inner.uri,
                self.inner.flags,
                self.inner._anchor.is_some(),
            )
            .and_then(|c| Conn::new(c).map_err(Error::from))?,
        };
        let result = f(&mut pooled);
        // A connection left inside a transaction by an error path is rolled back
        // before it is lent out again (which also forgets its changes).
        if !pooled.conn.is_autocommit() {
            let _ = pooled.conn.execute_batch("ROLLBACK");
        }
        let changes = pooled.take_committed();
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

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Conn>> {
        // A panic while holding this lock cannot leave the Vec half-updated.
        self.inner.idle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Where a database file's header says whether it is in WAL mode.
const WAL_VERSION_BYTES: std::ops::Range<usize> = 18..20;

/// Writes `bytes` to a new file at `path` readable by this user only, synced.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Removes a database file and its write-ahead log and index, if there.
pub fn remove_files(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm", ".part"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(name));
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
    // Each pooled connection keeps its own page cache: at SQLite's default
    // (2 MiB) the pool alone could hold 16 MiB of a busy database.
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -{};",
        crate::limits::SQLITE_CACHE_KIB
    ))?;
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
    Ok(mail::trim_log(conn, keep)? + audit::trim(conn, keep, keep_security)?)
}

/// Starts a write transaction that takes the write lock at once (`BEGIN IMMEDIATE`),
/// so two writers never both read then both write.
pub fn write_tx(conn: &mut Conn) -> Result<Tx<'_>, Error> {
    let Conn { conn, changes } = conn;
    Ok(Tx {
        tx: conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?,
        changes: changes.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small database in memory, as a world's template is made.
    fn template() -> Db {
        let db = Db::open(":memory:").expect("an in-memory database");
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
        let db = Db::create_from_image(&file, &image).expect("made");
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
        let again = Db::open(file.to_str().expect("UTF-8")).expect("reopened");
        let n: i64 = again
            .with_conn(|c| {
                Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                    .map_err(Error::from)?)
            })
            .expect("counted");
        assert_eq!(n, 2);
    }

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

    /// The watcher's calls, recorded: (table, rowid, op) of each change.
    fn watched(db: &Db) -> Arc<Mutex<Vec<(Table, i64, Op)>>> {
        let seen: Arc<Mutex<Vec<(Table, i64, Op)>>> = Arc::default();
        let log = seen.clone();
        db.watch(Box::new(move |_, changes| {
            let mut log = log.lock().unwrap();
            log.extend(changes.iter().map(|c| (c.table, c.rowid, c.op)));
        }));
        seen
    }

    #[test]
    fn a_write_rolled_back_to_a_savepoint_is_never_reported() {
        let db = Db::open(":memory:").unwrap();
        let seen = watched(&db);
        db.with_conn(|c| {
            let mut tx = write_tx(c)?;
            {
                // Written, then undone: its row id is taken again below.
                let sp = tx.savepoint()?;
                audit::record(
                    &sp,
                    1,
                    None,
                    audit::Action::ShopReset,
                    audit::Outcome::Refused,
                    "t",
                )?;
                drop(sp);
            }
            audit::record(
                &tx,
                2,
                None,
                audit::Action::NewLine,
                audit::Outcome::Ok,
                "t",
            )?;
            tx.commit()?;
            Ok(())
        })
        .unwrap();
        assert_eq!(*seen.lock().unwrap(), [(Table::Audit, 1, Op::Insert)]);
    }

    #[test]
    fn a_committed_write_is_reported_even_if_a_later_one_rolls_back() {
        let db = Db::open(":memory:").unwrap();
        let seen = watched(&db);
        db.with_conn(|c| {
            let tx = write_tx(c)?;
            audit::record(
                &tx,
                1,
                None,
                audit::Action::NewLine,
                audit::Outcome::Ok,
                "t",
            )?;
            tx.commit()?;
            let tx = write_tx(c)?;
            audit::record(
                &tx,
                2,
                None,
                audit::Action::ShopReset,
                audit::Outcome::Ok,
                "t",
            )?;
            drop(tx);
            Ok(())
        })
        .unwrap();
        assert_eq!(*seen.lock().unwrap(), [(Table::Audit, 1, Op::Insert)]);
    }
}
