//! Worlds: many simulated carriers on one server, each with its own lines,
//! secrets, sessions, PC logins, mail, logs, throttles, clock and events,
//! its pages under `/w/{id}`.
//!
//! The registry keeps every world's row (table `worlds` of the default
//! world's database) and, in memory, what must outlive a closed database:
//! its clock, sessions and logins. A world's database is one SQLite file in
//! the folder beside the server's (`garake.db.worlds/{id}.db`, mode 0600),
//! or an in-memory database when the server runs on `:memory:`. It is made
//! by writing a template prepared once (the demo fixtures hashed once at
//! start, never per world), opened by the first request, and closed again
//! when no request has used it for a minute. The sweep deletes a world
//! `ttl` after its last request, never while a request holds it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::{real_now, Clock};
use crate::error::AppError;
use crate::store::{self, Db};

use super::pc_session;

/// The characters of a world's id: 20 hex digits, 80 random bits.
pub const ID_BYTES: usize = 10;
/// A world's own admin token: 40 hex digits, 160 random bits.
const TOKEN_BYTES: usize = 20;

/// A world's name and the prefix of its pages: the default world has none
/// and its pages at `/`; any other lives under `/w/{id}`.
#[derive(Clone, Debug)]
pub struct Place {
    /// A number for this run of the server (0: the default world).
    pub key: u32,
    pub id: Option<Arc<str>>,
    /// `""` or `/w/{id}`: what every path of this world starts with.
    pub base: Arc<str>,
}

impl Place {
    pub fn default_world() -> Place {
        Place {
            key: 0,
            id: None,
            base: Arc::from(""),
        }
    }
}

/// The caps every world's sessions and logins count against together.
#[derive(Clone)]
pub struct Caps {
    pub max_sessions: usize,
    pub sessions_per_line: usize,
    pub max_pc_logins: usize,
    /// Handset sessions and PC logins of every world.
    pub session_count: Arc<AtomicUsize>,
    pub pc_login_count: Arc<AtomicUsize>,
}

/// The parts of a world kept in memory while its database is closed (an
/// idle world holds no open file, but its sessions and clock go on).
#[derive(Clone)]
pub struct Lasting {
    pub clock: Clock,
    pub sessions: crate::session::Sessions,
    pub pc_logins: pc_session::PcLogins,
    pub cookies: Arc<crate::gateway::CookieJar>,
}

impl Lasting {
    /// A world's lasting parts on `clock`, counted against the server's caps.
    pub fn new(caps: &Caps, clock: Clock) -> Lasting {
        Lasting {
            sessions: crate::session::Sessions::sharing(
                clock.clone(),
                caps.max_sessions,
                caps.sessions_per_line,
                caps.session_count.clone(),
            ),
            pc_logins: pc_session::pc_logins_sharing(
                &clock,
                caps.max_pc_logins,
                caps.pc_login_count.clone(),
            ),
            cookies: Arc::default(),
            clock,
        }
    }
}

/// What a new world starts with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Fixtures {
    /// The demo lines, shop staff and partner members.
    #[default]
    Demo,
    /// No lines at all (the QA API adds them).
    Empty,
}

impl Fixtures {
    pub fn as_str(self) -> &'static str {
        match self {
            Fixtures::Demo => "demo",
            Fixtures::Empty => "empty",
        }
    }

    fn parse(s: &str) -> Option<Fixtures> {
        match s {
            "demo" => Some(Fixtures::Demo),
            "empty" => Some(Fixtures::Empty),
            _ => None,
        }
    }
}

/// How a world is to be made (every part checked before anything is written).
#[derive(Clone)]
pub struct NewWorld {
    pub fixtures: Fixtures,
    pub ttl_secs: i64,
    /// Its clock, if it starts elsewhere than now.
    pub clock: Option<Clock>,
    /// Made from the power-on page's private demo form.
    pub public: bool,
}

/// A world just made: its entry and its token (shown once, never stored).
pub struct Made<W> {
    pub entry: Arc<Entry<W>>,
    pub token: String,
}

/// One world as the registry holds it; `W` is the open world.
pub struct Entry<W> {
    pub place: Place,
    token_sha256: [u8; 32],
    pub fixtures: Fixtures,
    pub created: i64,
    pub ttl_secs: i64,
    pub public: bool,
    /// Real time of the last request, and the last one written to the registry.
    last_used: AtomicI64,
    saved_used: AtomicI64,
    /// The clock's offset as the registry last recorded it.
    saved_offset: AtomicI64,
    clock: Clock,
    lasting: OnceLock<Lasting>,
    /// The open world, while requests use it.
    open: Mutex<Option<Arc<W>>>,
    /// An in-memory world's database (never closed: it is the only copy).
    memory: Option<Db>,
    /// A private demo's token until its power-on page has shown it once.
    unshown: Mutex<Option<String>>,
}

impl<W> Entry<W> {
    pub fn id(&self) -> &str {
        self.place.id.as_deref().unwrap_or_default()
    }

    /// Marks the world used now (its time to live starts again).
    pub fn touch(&self) {
        self.last_used.store(real_now(), Ordering::Relaxed);
    }

    pub fn last_used(&self) -> i64 {
        self.last_used.load(Ordering::Relaxed)
    }

    pub fn expires_at(&self) -> i64 {
        self.last_used() + self.ttl_secs
    }

    /// Whether `given` is this world's own admin token.
    pub fn token_matches(&self, given: &str) -> bool {
        crate::random::constant_time_eq(&sha256(given), &self.token_sha256)
    }

    /// The private demo's token, the first time it is asked for.
    pub fn take_unshown_token(&self) -> Option<String> {
        lock(&self.unshown).take()
    }

    /// Its last use and clock, if they moved since the registry recorded them.
    fn unsaved(&self) -> Option<(String, i64, i64)> {
        let used = self.last_used();
        let offset = self.clock.offset();
        let moved = self.saved_used.swap(used, Ordering::Relaxed) != used;
        let turned = self.saved_offset.swap(offset, Ordering::Relaxed) != offset;
        (moved || turned).then(|| (self.id().to_string(), used, offset))
    }

    /// The open world, if its database is open now.
    pub fn open_now(&self) -> Option<Arc<W>> {
        lock(&self.open).clone()
    }

    fn in_use(&self) -> bool {
        lock(&self.open)
            .as_ref()
            .is_some_and(|w| Arc::strong_count(w) > 1)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every value behind these locks is replaced whole: a poisoned one is consistent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn sha256(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A template a world's database is made from.
enum Template {
    /// The bytes of a database file.
    Image(Vec<u8>),
    /// An in-memory database to copy.
    Memory(Db),
}

struct Templates {
    demo: Template,
    empty: Template,
}

/// The registry of worlds; `W` is an open world.
pub struct Worlds<W> {
    dir: Option<PathBuf>,
    max: usize,
    /// The default world's database, where the registry's rows are.
    registry: OnceLock<Db>,
    templates: tokio::sync::OnceCell<Arc<Templates>>,
    /// Ids are random and drawn here, so the cheap hasher is safe.
    entries: RwLock<HashMap<Arc<str>, Arc<Entry<W>>, FxBuildHasher>>,
    caps: Caps,
    /// Worlds being made, counted against the cap until they are listed.
    making: AtomicUsize,
    next_key: AtomicU32,
    /// Fails the next copy of a template (tests prove a failed copy leaves nothing).
    #[doc(hidden)]
    pub fail_next_copy: std::sync::atomic::AtomicBool,
}

/// What makes a template database: `Fixtures` in, an in-memory database
/// with them (and the server's settings) out.
pub type TemplateMaker = Arc<dyn Fn(Fixtures) -> Result<Db, AppError> + Send + Sync>;

impl<W: Send + Sync + 'static> Worlds<W> {
    pub fn new(dir: Option<PathBuf>, max: usize, caps: Caps) -> Worlds<W> {
        Worlds {
            caps,
            dir,
            max,
            registry: OnceLock::new(),
            templates: tokio::sync::OnceCell::new(),
            entries: RwLock::default(),
            making: AtomicUsize::new(0),
            next_key: AtomicU32::new(1),
            fail_next_copy: Default::default(),
        }
    }

    /// Keeps the registry in `db` (the default world's database).
    pub fn attach(&self, db: Db) {
        let _ = self.registry.set(db);
    }

    fn registry(&self) -> Result<&Db, AppError> {
        self.registry
            .get()
            .ok_or_else(|| AppError::Internal("the worlds' registry is not attached".into()))
    }

    /// The most worlds there may be.
    pub fn max(&self) -> usize {
        self.max
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The caps every world's sessions and logins count against.
    pub fn caps(&self) -> &Caps {
        &self.caps
    }

    fn read(
        &self,
    ) -> std::sync::RwLockReadGuard<'_, HashMap<Arc<str>, Arc<Entry<W>>, FxBuildHasher>> {
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, HashMap<Arc<str>, Arc<Entry<W>>, FxBuildHasher>> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether world `id`'s database is open now.
    pub fn is_open(&self, id: &str) -> bool {
        self.get(id).is_some_and(|e| lock(&e.open).is_some())
    }

    /// The world named `id`, if there is one.
    pub fn get(&self, id: &str) -> Option<Arc<Entry<W>>> {
        self.read().get(id).cloned()
    }

    /// Every world, oldest first.
    pub fn list(&self) -> Vec<Arc<Entry<W>>> {
        let mut all: Vec<_> = self.read().values().cloned().collect();
        all.sort_by(|a, b| (a.created, a.id()).cmp(&(b.created, b.id())));
        all
    }

    fn file_of(&self, id: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{id}.db")))
    }

    /// Reads the registry at start: every world still there is listed again
    /// (its database stays closed until a request comes); a row whose file
    /// is gone is forgotten, a file without a row removed.
    pub fn load(&self) -> Result<usize, AppError> {
        let registry = self.registry()?.clone();
        let rows = registry.with_conn(|c| Ok(store::worlds::all(c)?))?;
        let mut listed = 0;
        for row in rows {
            let file = self.file_of(&row.id);
            let fixtures = Fixtures::parse(&row.fixtures);
            let usable = match (&file, fixtures) {
                (Some(f), Some(_)) => f.exists(),
                // In memory nothing outlives the process.
                _ => false,
            };
            if !usable {
                let id = row.id.clone();
                registry.with_conn(move |c| Ok(store::worlds::delete(c, &id)?))?;
                continue;
            }
            let key = self.next_key.fetch_add(1, Ordering::Relaxed);
            let mut token = [0u8; 32];
            for (i, b) in token.iter_mut().enumerate() {
                *b = u8::from_str_radix(row.token_sha256.get(2 * i..2 * i + 2).unwrap_or("00"), 16)
                    .unwrap_or(0);
            }
            let entry = Entry {
                place: place(key, &row.id),
                token_sha256: token,
                fixtures: fixtures.unwrap_or_default(),
                created: row.created,
                ttl_secs: row.ttl_secs,
                public: row.public,
                last_used: AtomicI64::new(row.last_used),
                saved_used: AtomicI64::new(row.last_used),
                saved_offset: AtomicI64::new(row.clock_offset),
                clock: Clock::with_offset(row.clock_offset),
                lasting: OnceLock::new(),
                open: Mutex::new(None),
                memory: None,
                unshown: Mutex::new(None),
            };
            let _ = entry
                .lasting
                .set(Lasting::new(&self.caps, entry.clock.clone()));
            self.write()
                .insert(Arc::from(row.id.as_str()), Arc::new(entry));
            listed += 1;
        }
        if let Some(dir) = &self.dir {
            if let Ok(files) = std::fs::read_dir(dir) {
                for file in files.flatten() {
                    let name = file.file_name().to_string_lossy().into_owned();
                    let id = name.split('.').next().unwrap_or_default();
                    if self.get(id).is_none() {
                        let _ = std::fs::remove_file(file.path());
                    }
                }
            }
        }
        Ok(listed)
    }

    /// Prepares the templates (once; the first world waits for it): the
    /// demo fixtures' secrets are hashed here, and never again per world.
    async fn templates(&self, maker: &TemplateMaker) -> Result<Arc<Templates>, AppError> {
        self.templates
            .get_or_try_init(|| {
                let maker = maker.clone();
                let memory = self.dir.is_none();
                crate::blocking::run(move || {
                    let template = |fixtures| -> Result<Template, AppError> {
                        let db = maker(fixtures)?;
                        Ok(if memory {
                            Template::Memory(db)
                        } else {
                            Template::Image(db.image()?)
                        })
                    };
                    Ok(Arc::new(Templates {
                        demo: template(Fixtures::Demo)?,
                        empty: template(Fixtures::Empty)?,
                    }))
                })
            })
            .await
            .cloned()
    }

    /// Prepares the templates now (at start, so the first world is quick).
    pub async fn make_templates(&self, maker: &TemplateMaker) -> Result<(), AppError> {
        self.templates(maker).await.map(drop)
    }

    /// Makes a world: refused at the cap (nothing written), else its
    /// database from the template, its row, its entry. A failure at any
    /// step leaves nothing behind.
    pub async fn create(&self, maker: &TemplateMaker, new: NewWorld) -> Result<Made<W>, AppError> {
        let templates = self.templates(maker).await?;
        // Room is taken before anything is written, and given back on failure.
        {
            let entries = self.read();
            let making = self.making.fetch_add(1, Ordering::SeqCst);
            if entries.len() + making >= self.max {
                self.making.fetch_sub(1, Ordering::SeqCst);
                return Err(AppError::TooManyWorlds(self.max));
            }
        }
        let made = self.make(new, templates).await;
        self.making.fetch_sub(1, Ordering::SeqCst);
        made
    }

    async fn make(&self, new: NewWorld, templates: Arc<Templates>) -> Result<Made<W>, AppError> {
        let id = crate::random::token_hex(ID_BYTES);
        let token = crate::random::token_hex(TOKEN_BYTES);
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        let now = real_now();
        let clock = new.clock.unwrap_or_default();
        let row = store::worlds::Row {
            id: id.clone(),
            token_sha256: hex(&sha256(&token)),
            fixtures: new.fixtures.as_str().to_string(),
            created: now,
            last_used: now,
            ttl_secs: new.ttl_secs,
            clock_offset: clock.offset(),
            public: new.public,
        };
        let file = self.file_of(&id);
        let dir = self.dir.clone();
        let registry = self.registry()?.clone();
        let fail = self.fail_next_copy.swap(false, Ordering::Relaxed);
        let memory = crate::blocking::run(move || {
            let template = match new.fixtures {
                Fixtures::Demo => &templates.demo,
                Fixtures::Empty => &templates.empty,
            };
            let db = match (template, &file) {
                (Template::Image(image), Some(file)) => {
                    if let Some(dir) = &dir {
                        make_private_dir(dir)?;
                    }
                    let image = if fail {
                        &image[..image.len() / 2]
                    } else {
                        &image[..]
                    };
                    let db = Db::create_from_image(file, image)?;
                    drop(db); // opened again by the first request
                    None
                }
                (Template::Memory(template), _) => {
                    if fail {
                        return Err(AppError::Internal("the template copy failed (test)".into()));
                    }
                    Some(Db::copy_in_memory(template)?)
                }
                (Template::Image(_), None) => {
                    return Err(AppError::Internal(
                        "a file template without a folder".into(),
                    ))
                }
            };
            let inserted = registry.with_conn(|c| Ok(store::worlds::insert(c, &row)?));
            if let Err(e) = inserted {
                if let Some(file) = &file {
                    store::remove_files(file);
                }
                return Err(e);
            }
            Ok(db)
        })
        .await?;
        let entry = Arc::new(Entry {
            place: place(key, &id),
            token_sha256: sha256(&token),
            fixtures: new.fixtures,
            created: now,
            ttl_secs: new.ttl_secs,
            public: new.public,
            last_used: AtomicI64::new(now),
            saved_used: AtomicI64::new(now),
            saved_offset: AtomicI64::new(clock.offset()),
            lasting: OnceLock::new(),
            clock,
            open: Mutex::new(None),
            memory,
            unshown: Mutex::new(new.public.then(|| token.clone())),
        });
        let _ = entry
            .lasting
            .set(Lasting::new(&self.caps, entry.clock.clone()));
        self.write().insert(Arc::from(id.as_str()), entry.clone());
        Ok(Made { entry, token })
    }

    /// The open world behind `entry`, opening its database if it is closed
    /// (`make` builds the world from its database, lasting parts and place).
    pub async fn open(
        &self,
        entry: &Arc<Entry<W>>,
        make: impl FnOnce(Db, Lasting, Place) -> W,
    ) -> Result<Arc<W>, AppError> {
        if let Some(world) = lock(&entry.open).as_ref() {
            return Ok(world.clone());
        }
        let db = match (&entry.memory, self.file_of(entry.id())) {
            (Some(db), _) => db.clone(),
            (None, Some(file)) => {
                let path = file.to_string_lossy().into_owned();
                crate::blocking::run(move || Ok::<_, AppError>(Db::open(&path)?)).await?
            }
            (None, None) => return Err(AppError::NotFound),
        };
        let mut open = lock(&entry.open);
        // Another request may have opened it meanwhile: one world, one database.
        if let Some(world) = open.as_ref() {
            return Ok(world.clone());
        }
        let lasting = entry
            .lasting
            .get_or_init(|| Lasting::new(&self.caps, entry.clock.clone()))
            .clone();
        let world = Arc::new(make(db, lasting, entry.place.clone()));
        *open = Some(world.clone());
        Ok(world)
    }

    /// Deletes a world: it is unlisted at once, its row and files removed.
    /// Requests under way finish against what they hold; none can start.
    pub async fn delete(&self, id: &str) -> Result<bool, AppError> {
        let Some(entry) = self.write().remove(id) else {
            return Ok(false);
        };
        self.forget(entry).await?;
        Ok(true)
    }

    async fn forget(&self, entry: Arc<Entry<W>>) -> Result<(), AppError> {
        lock(&entry.open).take();
        if let Some(lasting) = entry.lasting.get() {
            lasting.sessions.clear();
            lasting.pc_logins.clear();
        }
        let registry = self.registry()?.clone();
        let file = self.file_of(entry.id());
        let id = entry.id().to_string();
        crate::blocking::run(move || {
            registry.with_conn(|c| Ok(store::worlds::delete(c, &id)?))?;
            if let Some(file) = file {
                store::remove_files(&file);
            }
            Ok(())
        })
        .await
    }

    /// Once a minute: deletes the worlds whose time ran out (never one a
    /// request holds), closes the databases no request used for a minute,
    /// sweeps the open worlds' sessions and stores, and writes each world's
    /// last use and clock to the registry.
    /// `sweep_open` forgets what expired in one open world's store.
    pub async fn sweep(
        &self,
        sweep_open: impl Fn(&W) -> Result<(), AppError> + Send + 'static,
    ) -> Result<WorldSweep, AppError> {
        self.sweep_at(real_now(), sweep_open).await
    }

    /// The sweep as it would run at real time `now` (tests look ahead).
    pub async fn sweep_at(
        &self,
        now: i64,
        sweep_open: impl Fn(&W) -> Result<(), AppError> + Send + 'static,
    ) -> Result<WorldSweep, AppError> {
        let idle = crate::limits::WORLD_IDLE.as_secs() as i64;
        let mut report = WorldSweep::default();
        let expired: Vec<Arc<str>> = self
            .read()
            .iter()
            .filter(|(_, e)| e.expires_at() <= now && !e.in_use())
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            if self.delete(&id).await? {
                report.deleted += 1;
            }
        }
        let mut seen = Vec::new();
        let mut open = Vec::new();
        for entry in self.read().values() {
            if let Some(lasting) = entry.lasting.get() {
                report.sessions += lasting.sessions.sweep() + lasting.pc_logins.sweep();
            }
            seen.extend(entry.unsaved());
            let mut slot = lock(&entry.open);
            if let Some(world) = slot.as_ref() {
                let unused = Arc::strong_count(world) == 1 && now - entry.last_used() >= idle;
                if unused && entry.memory.is_none() {
                    slot.take();
                    report.closed += 1;
                } else {
                    open.push(world.clone());
                }
            }
        }
        let registry = self.registry()?.clone();
        crate::blocking::run(move || {
            if !seen.is_empty() {
                registry.with_conn(|c| Ok(store::worlds::touch(c, &seen)?))?;
            }
            for world in open {
                sweep_open(&world)?;
            }
            Ok::<_, AppError>(())
        })
        .await?;
        Ok(report)
    }
}

impl<W: Send + Sync + 'static> Worlds<W> {
    /// Writes every world's last use and clock to the registry (the sweep
    /// does it each minute; `serve` once more when it stops).
    pub fn save(&self) -> Result<(), AppError> {
        let seen: Vec<_> = self.read().values().filter_map(|e| e.unsaved()).collect();
        if seen.is_empty() {
            return Ok(());
        }
        self.registry()?
            .with_conn(|c| Ok(store::worlds::touch(c, &seen)?))
    }
}

/// What one sweep of the worlds did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WorldSweep {
    pub deleted: usize,
    pub closed: usize,
    pub sessions: usize,
}

fn place(key: u32, id: &str) -> Place {
    Place {
        key,
        id: Some(Arc::from(id)),
        base: Arc::from(format!("/w/{id}")),
    }
}

/// Makes the worlds' folder, readable by this user only.
fn make_private_dir(dir: &Path) -> Result<(), AppError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| {
        AppError::from(store::Error::File {
            path: dir.display().to_string(),
            source,
        })
    })
}
