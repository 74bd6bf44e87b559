//! Secrets of a line (i-mode password, network PIN): Argon2id hashing keyed with
//! the server secret on a bounded pool, and the gate every protected action
//! passes through: verify, count failures, lock, audit, then apply the action in
//! the same transaction.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rusqlite::OptionalExtension;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::{Msisdn, Pin};
use crate::error::AppError;
use crate::store::{audit, write_tx, Db};

/// Consecutive wrong entries after which a secret locks.
pub const MAX_FAILURES: i64 = 3;
/// How long a request waits for an Argon2 slot before the "busy" page.
const PERMIT_WAIT: Duration = Duration::from_secs(2);

/// Argon2id with OWASP parameters (m = 19 MiB, t = 2, p = 1), keyed with the
/// server secret so a copied database alone cannot be brute-forced.
#[derive(Clone)]
pub struct PinHasher {
    secret: Arc<[u8]>,
    permits: Arc<Semaphore>,
    /// A hash of nothing in particular, verified against for unknown accounts.
    dummy: Arc<std::sync::OnceLock<String>>,
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
}

impl PinHasher {
    pub fn new(secret: Vec<u8>, permits: usize) -> PinHasher {
        PinHasher {
            secret: secret.into(),
            permits: Arc::new(Semaphore::new(permits.max(1))),
            dummy: Arc::default(),
        }
    }

    /// Reads the server secret at `path`, creating it (32 random bytes, mode
    /// 0600) on first start.
    pub fn load_or_create_secret(path: &Path) -> Result<Vec<u8>, SecretFileError> {
        let io = |source| SecretFileError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read(path) {
            Ok(bytes) if bytes.len() >= 32 => Ok(bytes),
            Ok(_) => Err(SecretFileError::Short(path.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = vec![0u8; 32];
                getrandom::fill(&mut secret).expect("the OS random number generator is available");
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(path).map_err(io)?;
                std::io::Write::write_all(&mut file, &secret).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(secret)
            }
            Err(e) => Err(io(e)),
        }
    }

    fn argon2(&self) -> Argon2<'_> {
        let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP parameters are valid");
        Argon2::new_with_secret(&self.secret, Algorithm::Argon2id, Version::V0x13, params)
            .expect("a 32-byte secret is accepted")
    }

    /// Hashes a secret to a PHC string. Blocking: call inside `blocking::run`.
    pub fn hash(&self, secret: &str) -> String {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).expect("the OS random number generator is available");
        let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
        self.argon2()
            .hash_password(secret.as_bytes(), &salt)
            .expect("hashing a short secret with valid parameters succeeds")
            .to_string()
    }

    /// Checks a secret against a stored PHC string. Blocking.
    pub fn verify(&self, secret: &str, phc: &str) -> bool {
        PasswordHash::new(phc)
            .map(|h| self.argon2().verify_password(secret.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    }

    /// Waits briefly for an Argon2 slot; a saturated pool answers "busy" so that
    /// a flood of PIN checks never delays menu pages.
    pub async fn permit(&self) -> Result<OwnedSemaphorePermit, AppError> {
        tokio::time::timeout(PERMIT_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Busy)?
            .map_err(|_| AppError::Busy)
    }
}

/// Checks a password against a stored hash on the bounded pool. With no stored
/// hash (an unknown account) it still spends one Argon2 verification, so an
/// unknown account and a wrong password take the same time.
pub async fn check_password(
    hasher: &PinHasher,
    stored: Option<String>,
    input: String,
) -> Result<bool, AppError> {
    let permit = hasher.permit().await?;
    let h = hasher.clone();
    Ok(crate::blocking::run(move || {
        let ok = match &stored {
            Some(phc) => h.verify(&input, phc),
            None => {
                let dummy = h
                    .dummy
                    .get_or_init(|| h.hash(&crate::random::token_hex(16)));
                let _ = h.verify(&input, dummy);
                false
            }
        };
        drop(permit);
        ok
    })
    .await)
}

/// Which secret of the line a gate checks, and how its lock behaves.
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

    fn lock_until(self, now: i64) -> i64 {
        match self {
            SecretKind::ImodePassword => crate::clock::next_jst_midnight(now),
            SecretKind::NetworkPin => i64::MAX,
        }
    }
}

/// Who asks, for what, checked against which secret.
#[derive(Clone, Debug)]
pub struct GateRequest {
    pub line_id: i64,
    pub msisdn: Msisdn,
    pub action: &'static str,
    pub source: String,
    pub kind: SecretKind,
}

/// The gate's answer. `Refused` carries the action's own reason for saying no.
#[derive(Debug, PartialEq, Eq)]
pub enum GateOutcome<T, R> {
    Done(T),
    /// Not four digits: nothing was checked or counted.
    InvalidFormat,
    WrongPin,
    /// Locked, either before this attempt or by it.
    Locked,
    Refused(R),
}

/// Runs a protected action: `prepare` (blocking, e.g. hashing a new secret) runs
/// only after the secret verified; `apply` runs inside the write transaction that
/// also resets the failure counter and writes the audit entry. If `apply` refuses
/// (`Ok(Err(reason))`), its changes are rolled back and the refusal is audited;
/// if it fails (`Err`), the whole transaction is rolled back.
pub async fn gate<P, T, R>(
    db: &Db,
    hasher: &PinHasher,
    clock: &crate::clock::Clock,
    req: GateRequest,
    input: &str,
    prepare: impl FnOnce(&PinHasher) -> P + Send + 'static,
    apply: impl FnOnce(&rusqlite::Connection, P, i64) -> Result<Result<T, R>, AppError> + Send + 'static,
) -> Result<GateOutcome<T, R>, AppError>
where
    P: Send + 'static,
    T: Send + 'static,
    R: Send + 'static,
{
    let (hash_col, failures_col, until_col) = req.kind.columns();
    let Ok(pin) = Pin::parse(input) else {
        let (msisdn, action, source) = (req.msisdn.clone(), req.action, req.source.clone());
        let now = clock.now();
        db.call(move |conn| {
            audit::record(
                conn,
                now,
                Some(&msisdn),
                action,
                audit::Outcome::InvalidInput,
                &source,
            )
        })
        .await?;
        return Ok(GateOutcome::InvalidFormat);
    };

    // Read the stored hash, then verify outside any transaction: Argon2 must not
    // hold the database write lock.
    let line_id = req.line_id;
    let stored: String = db
        .call(move |conn| {
            conn.query_row(
                &format!("SELECT {hash_col} FROM lines WHERE id = ?1"),
                [line_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(AppError::NotFound)
        })
        .await?;
    let permit = hasher.permit().await?;
    let h = hasher.clone();
    let checked = stored.clone();
    let (verified, prepared) = crate::blocking::run(move || {
        let ok = h.verify(pin.expose(), &checked);
        let prepared = ok.then(|| prepare(&h));
        drop(permit);
        (ok, prepared)
    })
    .await;

    let now = clock.now();
    db.call(move |conn| {
        let mut tx = write_tx(conn)?;
        let (current, failures, until): (String, i64, Option<i64>) = tx.query_row(
            &format!("SELECT {hash_col}, {failures_col}, {until_col} FROM lines WHERE id = ?1"),
            [line_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        // A lock that has lifted also clears its counter.
        let lock_active = until.is_some_and(|u| u > now);
        let failures = if until.is_some() && !lock_active {
            0
        } else {
            failures
        };
        // If the secret changed while we were verifying, the check was against a
        // stale value: count it as wrong rather than let it through.
        let verified = verified && current == stored;

        let outcome = if lock_active {
            audit::record(
                &tx,
                now,
                Some(&req.msisdn),
                req.action,
                audit::Outcome::Locked,
                &req.source,
            )?;
            GateOutcome::Locked
        } else if !verified {
            let failures = failures + 1;
            let lock = (failures >= MAX_FAILURES).then(|| req.kind.lock_until(now));
            tx.execute(
                &format!("UPDATE lines SET {failures_col} = ?1, {until_col} = ?2 WHERE id = ?3"),
                rusqlite::params![failures, lock, line_id],
            )?;
            audit::record(
                &tx,
                now,
                Some(&req.msisdn),
                req.action,
                audit::Outcome::WrongPin,
                &req.source,
            )?;
            if lock.is_some() {
                GateOutcome::Locked
            } else {
                GateOutcome::WrongPin
            }
        } else {
            tx.execute(
                &format!("UPDATE lines SET {failures_col} = 0, {until_col} = NULL WHERE id = ?1"),
                [line_id],
            )?;
            let prepared = prepared.expect("prepared whenever verified");
            let sp = tx.savepoint()?;
            match apply(&sp, prepared, now)? {
                Ok(done) => {
                    sp.commit()?;
                    audit::record(
                        &tx,
                        now,
                        Some(&req.msisdn),
                        req.action,
                        audit::Outcome::Ok,
                        &req.source,
                    )?;
                    GateOutcome::Done(done)
                }
                Err(refusal) => {
                    drop(sp); // rolls the action back
                    audit::record(
                        &tx,
                        now,
                        Some(&req.msisdn),
                        req.action,
                        audit::Outcome::Refused,
                        &req.source,
                    )?;
                    GateOutcome::Refused(refusal)
                }
            }
        };
        tx.commit()?;
        Ok(outcome)
    })
    .await
}

/// Whether a lock column value means "locked now".
pub fn is_locked(until: Option<i64>, now: i64) -> bool {
    until.is_some_and(|u| u > now)
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
    fn the_secret_file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("garake.secret");
        let first = PinHasher::load_or_create_secret(&path).unwrap();
        let again = PinHasher::load_or_create_secret(&path).unwrap();
        assert_eq!(first, again);
        assert_eq!(first.len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
