//! Secrets of a line (i-mode password, network PIN) and of the PC sites:
//! Argon2id keyed with the server secret, run on a fixed set of slots whose
//! memory is allocated once and reused, and the server secret file. What is
//! checked against what, and what a check counts, is the services' business
//! (`services::gate`).

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use argon2::password_hash::{Ident, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;
use crate::queue::{self, Queue};

/// OWASP's Argon2id parameters: 19 MiB, 2 passes, 1 lane.
const M_COST_KIB: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
/// Length of a stored hash (argon2's default output).
const OUTPUT_LEN: usize = 32;

fn params() -> Params {
    Params::new(M_COST_KIB, T_COST, P_COST, None).expect("OWASP parameters are valid")
}

/// Argon2id keyed with the server secret (so a copied database alone cannot be
/// brute-forced), on `slots` slots of 19 MiB each. Cheap to clone.
#[derive(Clone)]
pub struct PinHasher {
    inner: Arc<Inner>,
}

struct Inner {
    secret: Box<[u8]>,
    /// Async callers take a permit before a slot, so they never queue on the
    /// slots' condvar behind each other (only behind blocking callers).
    permits: Arc<Semaphore>,
    /// Where async callers wait for their turn and a permit: bounded in
    /// number and time, so a flood of checks is answered "busy", not queued.
    queue: Queue,
    slots: Slots,
    /// A PHC string of random salt and output: verifying against it costs one
    /// Argon2 run and never succeeds (unknown accounts).
    dummy: String,
    /// Argon2 computations run (hashes and verifications).
    runs: AtomicU64,
    /// Checks of one secret (a line's, an account's) run one at a time.
    queues: KeyedQueue,
}

/// One async lock per key, made on demand and dropped when nobody holds or
/// waits for it: checks of the same secret then happen one after another,
/// exactly as if the attempts had come in sequence.
#[derive(Default)]
struct KeyedQueue {
    locks: Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Holds a key's turn; the key's lock is dropped with the last holder.
pub struct Turn {
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
    key: String,
    hasher: Arc<Inner>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self
            .hasher
            .queues
            .locks
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if locks
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            locks.remove(&self.key);
        }
    }
}

/// A request's admission to the Argon2 slots: the turn of the secret it
/// checks (held until the check is done and recorded) and a slot's permit.
pub struct Admission {
    _turn: Option<Turn>,
    pub permit: OwnedSemaphorePermit,
}

/// The slots' memory: made on first use, then handed around; a slot left
/// unused for a while gives its memory back (`PinHasher::release_idle`).
struct Slots {
    /// Memory not lent out, with when it came back.
    free: Mutex<Vec<(Box<[Block]>, std::time::Instant)>>,
    /// Slots whose memory exists now (lent out or free).
    made: AtomicUsize,
    size: usize,
    returned: Condvar,
}

impl Slots {
    fn take(&self) -> Box<[Block]> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some((memory, _)) = free.pop() {
                return memory;
            }
            if self.made.load(Ordering::Relaxed) < self.size {
                self.made.fetch_add(1, Ordering::Relaxed);
                drop(free);
                return vec![Block::new(); params().block_count()].into_boxed_slice();
            }
            free = self.returned.wait(free).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn give(&self, memory: Box<[Block]>) {
        self.free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((memory, std::time::Instant::now()));
        self.returned.notify_one();
    }

    /// Frees the memory of every free slot unused for `idle` or longer;
    /// returns how many went.
    fn release(&self, idle: std::time::Duration) -> usize {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        let before = free.len();
        free.retain(|(_, since)| since.elapsed() < idle);
        let gone = before - free.len();
        self.made.fetch_sub(gone, Ordering::Relaxed);
        gone
    }
}

/// One slot's memory, lent for a few Argon2 runs; returned when dropped.
pub struct Slot<'a> {
    inner: &'a Inner,
    memory: Option<Box<[Block]>>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(memory) = self.memory.take() {
            self.inner.slots.give(memory);
        }
    }
}

impl Slot<'_> {
    fn run(&mut self, secret: &[u8], salt: &[u8], params: Params, out: &mut [u8]) -> bool {
        let memory = self.memory.as_mut().expect("a slot holds its memory");
        self.inner.runs.fetch_add(1, Ordering::Relaxed);
        Argon2::new_with_secret(
            &self.inner.secret,
            Algorithm::Argon2id,
            Version::V0x13,
            params,
        )
        .and_then(|a| a.hash_password_into_with_memory(secret, salt, out, &mut memory[..]))
        .is_ok()
    }

    /// Hashes a secret to a PHC string.
    pub fn hash(&mut self, secret: &str) -> String {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).expect("the OS random number generator is available");
        let mut out = [0u8; OUTPUT_LEN];
        assert!(
            self.run(secret.as_bytes(), &salt, params(), &mut out),
            "hashing a short secret with valid parameters succeeds"
        );
        phc(&salt, &out)
    }

    /// Checks a secret against a stored PHC string.
    pub fn verify(&mut self, secret: &str, stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
            return false;
        };
        let Ok(params) = Params::try_from(&hash) else {
            return false;
        };
        let mut salt_buf = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
            return false;
        };
        let expected = expected.as_bytes();
        let mut out = vec![0u8; expected.len()];
        hash.algorithm == argon2::ARGON2ID_IDENT
            && hash.version == Some(Version::V0x13.into())
            && self.run(secret.as_bytes(), salt, params, &mut out)
            && crate::random::constant_time_eq(&out, expected)
    }

    /// Checks a secret against a stored hash, or, for an unknown account,
    /// against the dummy hash: the same work either way, and never true then.
    pub fn verify_or_dummy(&mut self, secret: &str, stored: Option<&str>) -> bool {
        match stored {
            Some(phc) => self.verify(secret, phc),
            None => {
                let dummy = self.inner.dummy.clone();
                let _ = self.verify(secret, &dummy);
                false
            }
        }
    }
}

/// A PHC string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
fn phc(salt: &[u8], out: &[u8]) -> String {
    let salt = SaltString::encode_b64(salt).expect("16 bytes make a valid salt");
    let hash = PasswordHash {
        algorithm: Ident::new_unwrap("argon2id"),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params()).expect("the parameters print"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(out).expect("32 bytes are a valid output")),
    };
    hash.to_string()
}

#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error("cannot read or create the server secret {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the server secret {0} is too short (want 32 bytes)")]
    Short(String),
    #[error(
        "the server secret {0} is missing, but the database next to it holds password hashes \
         that only that secret verifies. Put the file back, or start once with --new-secret to \
         make a new one deliberately: every stored password is then void and must be reset \
         (`garake reset` restores the demo fixtures)."
    )]
    Missing(String),
}

impl PinHasher {
    /// A hasher with `slots` slots, and room for `queue` requests waiting
    /// for one (each at most `patience`).
    pub fn new(secret: Vec<u8>, slots: usize) -> PinHasher {
        PinHasher::with_queue(
            secret,
            slots,
            crate::limits::ARGON2_QUEUE,
            crate::limits::ARGON2_PATIENCE,
        )
    }

    pub fn with_queue(
        secret: Vec<u8>,
        slots: usize,
        queue: usize,
        patience: Duration,
    ) -> PinHasher {
        let slots = slots.max(1);
        let mut salt = [0u8; 16];
        let mut out = [0u8; OUTPUT_LEN];
        getrandom::fill(&mut salt).expect("the OS random number generator is available");
        getrandom::fill(&mut out).expect("the OS random number generator is available");
        PinHasher {
            inner: Arc::new(Inner {
                secret: secret.into(),
                permits: Arc::new(Semaphore::new(slots)),
                queue: Queue::new(queue::Kind::Argon2, queue, patience),
                slots: Slots {
                    free: Mutex::default(),
                    made: AtomicUsize::new(0),
                    size: slots,
                    returned: Condvar::new(),
                },
                dummy: phc(&salt, &out),
                runs: AtomicU64::new(0),
                queues: KeyedQueue::default(),
            }),
        }
    }

    /// Reads the server secret at `path`. A missing file is created (32 random
    /// bytes, mode 0600) when nothing depends on the old one (`has_hashes`
    /// false) or when asked to (`replace`); otherwise it is an error, never a
    /// silent new secret. `replace` also replaces an existing file.
    pub fn load_secret(
        path: &Path,
        has_hashes: bool,
        replace: bool,
    ) -> Result<Vec<u8>, SecretFileError> {
        let io = |source| SecretFileError::Io {
            path: path.display().to_string(),
            source,
        };
        if !replace {
            match std::fs::read(path) {
                Ok(bytes) if bytes.len() >= 32 => return Ok(bytes),
                Ok(_) => return Err(SecretFileError::Short(path.display().to_string())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && has_hashes => {
                    return Err(SecretFileError::Missing(path.display().to_string()))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
        let mut secret = vec![0u8; 32];
        getrandom::fill(&mut secret).expect("the OS random number generator is available");
        // Written beside the target and renamed over it: never half a secret.
        let fresh = path.with_extension("secret.new");
        let _ = std::fs::remove_file(&fresh);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&fresh).map_err(io)?;
        std::io::Write::write_all(&mut file, &secret).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&fresh, path).map_err(io)?;
        Ok(secret)
    }

    /// A slot for this thread, waiting for one if all are lent out. Blocking:
    /// for the CLI, fixtures and work already on a blocking thread.
    pub fn slot(&self) -> Slot<'_> {
        Slot {
            inner: &self.inner,
            memory: Some(self.inner.slots.take()),
        }
    }

    /// Hashes a secret (blocking; takes a slot).
    pub fn hash(&self, secret: &str) -> String {
        self.slot().hash(secret)
    }

    /// Checks a secret against a stored hash (blocking; takes a slot).
    pub fn verify(&self, secret: &str, stored: &str) -> bool {
        self.slot().verify(secret, stored)
    }

    /// Waits, as the Argon2 queue allows, for the turn of `key` (the secret
    /// to be checked, if any: checks of one secret never overlap) and then a
    /// slot's permit (at most 2 s). A full queue answers "busy" at once, so
    /// a flood of secret checks never holds every connection and never
    /// delays menu pages.
    pub async fn admit(&self, key: Option<String>) -> Result<Admission, AppError> {
        let permits = self.inner.permits.clone();
        let turn = async move {
            match key {
                Some(key) => Some(self.turn(key).await),
                None => None,
            }
        };
        let permit = async move {
            permits
                .acquire_owned()
                .await
                .expect("the permits are never closed")
        };
        let (turn, permit) = self.inner.queue.wait_in_turn(turn, permit).await?;
        Ok(Admission {
            _turn: turn,
            permit,
        })
    }

    /// Runs Argon2 work on a slot, off the async runtime, with a permit
    /// already taken (`permit`).
    pub async fn run_with<T, F>(&self, permit: OwnedSemaphorePermit, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut Slot<'_>) -> T + Send + 'static,
    {
        let h = self.clone();
        crate::blocking::run_heavy(move || {
            let result = f(&mut h.slot());
            drop(permit);
            result
        })
        .await
    }

    /// Runs Argon2 work on a slot: the one entry point of request handlers.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Slot<'_>) -> T + Send + 'static,
    {
        let admitted = self.admit(None).await?;
        Ok(self.run_with(admitted.permit, f).await)
    }

    /// Waits for `key`'s turn: checks of one secret never overlap, so that
    /// reserving each attempt before its check (throttles, the PIN gate)
    /// gives exactly what sequential attempts would.
    async fn turn(&self, key: String) -> Turn {
        let lock = self
            .inner
            .queues
            .locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.clone())
            .or_default()
            .clone();
        Turn {
            guard: Some(lock.lock_owned().await),
            key,
            hasher: self.inner.clone(),
        }
    }

    /// (requests that waited for a slot, requests answered "busy") since start.
    pub fn pool_stats(&self) -> (u64, u64) {
        self.inner.queue.stats()
    }

    /// A key for another purpose, derived from the server secret (HMAC of
    /// `label`): the secret itself never leaves this type.
    pub fn derive_key(&self, label: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.inner.secret)
            .expect("HMAC takes a key of any length");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Argon2 computations run since start.
    pub fn runs(&self) -> u64 {
        self.inner.runs.load(Ordering::Relaxed)
    }

    /// Gives back the memory of slots unused for `idle` (the sweep does this
    /// every minute, and the start after hashing the fixtures): a quiet server
    /// holds no Argon2 memory, a busy one keeps what it uses.
    pub fn release_idle(&self, idle: std::time::Duration) -> usize {
        self.inner.slots.release(idle)
    }

    /// How many slots' memory exists now (never more than the slots).
    pub fn slots_made(&self) -> usize {
        self.inner.slots.made.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_own_secret_and_key() {
        let hasher = PinHasher::new(vec![7; 32], 1);
        let phc = hasher.hash("2580");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify("2580", &phc));
        assert!(!hasher.verify("2581", &phc));
        let other_key = PinHasher::new(vec![8; 32], 1);
        assert!(
            !other_key.verify("2580", &phc),
            "the server secret is part of the hash"
        );
    }

    #[test]
    fn hashes_agree_with_the_argon2_crate() {
        // The slot computes exactly what argon2's own PasswordHasher does.
        use argon2::password_hash::PasswordVerifier;
        let secret = [9u8; 32];
        let hasher = PinHasher::new(secret.to_vec(), 1);
        let phc = hasher.hash("0000");
        let reference =
            Argon2::new_with_secret(&secret, Algorithm::Argon2id, Version::V0x13, params())
                .unwrap();
        assert!(reference
            .verify_password(b"0000", &PasswordHash::new(&phc).unwrap())
            .is_ok());
        assert!(reference
            .verify_password(b"0001", &PasswordHash::new(&phc).unwrap())
            .is_err());
    }

    #[test]
    fn the_slots_memory_is_made_once_and_reused() {
        let hasher = PinHasher::new(vec![7; 32], 2);
        let first = hasher.hash("1");
        assert_eq!(hasher.slots_made(), 1, "one slot for one check at a time");
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let h = hasher.clone();
                std::thread::spawn(move || h.hash(&i.to_string()))
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert!(hasher.verify("1", &first));
        assert!(hasher.slots_made() <= 2, "never more than the slots");
        assert_eq!(
            hasher.inner.slots.free.lock().unwrap().len(),
            hasher.slots_made()
        );
        // Busy a moment ago: kept. Idle long enough: given back, and made again on need.
        assert_eq!(hasher.release_idle(std::time::Duration::from_secs(60)), 0);
        let made = hasher.slots_made();
        assert_eq!(hasher.release_idle(std::time::Duration::ZERO), made);
        assert_eq!(hasher.slots_made(), 0);
        assert!(hasher.verify("1", &first));
        assert_eq!(hasher.slots_made(), 1);
    }

    #[test]
    fn an_unknown_account_never_verifies_but_costs_a_check() {
        let hasher = PinHasher::new(vec![7; 32], 1);
        let mut slot = hasher.slot();
        assert!(!slot.verify_or_dummy("0000", None));
        let phc = slot.hash("0000");
        assert!(slot.verify_or_dummy("0000", Some(&phc)));
        assert!(!slot.verify("0000", "not a hash"));
    }

    #[test]
    fn the_secret_file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("garake.secret");
        let first = PinHasher::load_secret(&path, false, false).unwrap();
        let again = PinHasher::load_secret(&path, true, false).unwrap();
        assert_eq!(first, again);
        assert_eq!(first.len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_missing_secret_beside_stored_hashes_is_an_error_unless_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("garake.db.secret");
        let err = PinHasher::load_secret(&path, true, false).unwrap_err();
        assert!(matches!(err, SecretFileError::Missing(_)));
        assert!(err.to_string().contains("--new-secret"), "{err}");
        assert!(!path.exists(), "nothing was written");
        let made = PinHasher::load_secret(&path, true, true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), made);
        let replaced = PinHasher::load_secret(&path, true, true).unwrap();
        assert_ne!(made, replaced, "--new-secret replaces it deliberately");
    }
}
