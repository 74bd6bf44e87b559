//! The gate every protected action passes through: the attempt on a line's
//! secret is reserved (counted) before Argon2 runs, then verified; a right
//! secret clears the count and the action is applied, a wrong one stays
//! counted and locks the secret at the limit; every attempt is audited; the
//! action, its count and its audit entry commit together or not at all.

use rusqlite::Connection;

use super::Ctx;
use crate::domain::{Msisdn, Pin};
use crate::error::AppError;
use crate::pin::Slot;
use crate::store::audit::{self, Action};
use crate::store::lines::{self, is_locked, SecretKind};
use crate::store::{self, write_tx, Conn};

/// Consecutive wrong entries after which a secret locks.
pub const MAX_FAILURES: i64 = 3;

/// Until when a secret of `kind` locks when it reaches `MAX_FAILURES` at `now`.
fn lock_until(kind: SecretKind, now: i64) -> i64 {
    match kind {
        SecretKind::ImodePassword => crate::clock::next_jst_midnight(now),
        SecretKind::NetworkPin => i64::MAX,
    }
}

/// Who asks, for what, checked against which secret.
#[derive(Clone, Debug)]
pub(super) struct GateRequest {
    pub line_id: i64,
    pub msisdn: Msisdn,
    pub action: Action<'static>,
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

/// The attempt as reserved before Argon2 runs.
enum Reserved {
    /// The secret is locked: answered without a check.
    Locked,
    /// Counted as a failure until it verifies; checked against this hash.
    Check(String),
}

/// Counts the attempt before it is checked, so that N simultaneous attempts
/// never get more checks than N one after another: the attempt that reaches
/// the limit locks the secret at once, and a correct one unlocks it again.
fn reserve(conn: &mut Conn, req: &GateRequest, now: i64) -> Result<Reserved, AppError> {
    let tx = write_tx(conn)?;
    let secret = lines::secret(&tx, req.line_id, req.kind)?.ok_or(AppError::SessionExpired)?;
    if is_locked(secret.locked_until, now) {
        record_locked(&tx, req, now)?;
        tx.commit()?;
        return Ok(Reserved::Locked);
    }
    // A lock that has lifted also clears its counter.
    let failures = if secret.locked_until.is_some() {
        0
    } else {
        secret.failures
    } + 1;
    let lock = (failures >= MAX_FAILURES).then(|| lock_until(req.kind, now));
    lines::set_failures(&tx, req.line_id, req.kind, failures, lock)?;
    tx.commit()?;
    Ok(Reserved::Check(secret.hash))
}

/// An attempt on a locked secret is refused by the lock: it is counted in
/// the minute's `locked` row of its line, action and source, not written on
/// its own (a flood of attempts on a locked line writes a row a minute).
fn record_locked(conn: &Connection, req: &GateRequest, now: i64) -> Result<(), store::Error> {
    audit::summarise(
        conn,
        now,
        Some(&req.msisdn),
        req.action,
        audit::Outcome::Locked,
        &req.source,
    )
}

/// Whether a line's secret is locked right now (a read; nothing counted).
fn locked_now(conn: &Connection, req: &GateRequest, now: i64) -> Result<bool, AppError> {
    let secret = lines::secret(conn, req.line_id, req.kind)?.ok_or(AppError::SessionExpired)?;
    Ok(is_locked(secret.locked_until, now))
}

/// Runs a protected action: `prepare` (on the Argon2 slot, e.g. hashing a new
/// secret) runs only after the secret verified; `apply` runs inside the write
/// transaction that also resets the failure counter and writes the audit
/// entry. If `apply` refuses (`Ok(Err(reason))`), its changes are rolled back
/// and the refusal is audited; if it fails (`Err`), the whole transaction is
/// rolled back. A locked secret is answered without running Argon2.
pub(super) async fn gate<P, T, R>(
    cx: &Ctx<'_>,
    req: GateRequest,
    input: &str,
    prepare: impl FnOnce(&mut Slot<'_>) -> P + Send + 'static,
    apply: impl FnOnce(&Connection, P, i64) -> Result<Result<T, R>, store::Error> + Send + 'static,
) -> Result<GateOutcome<T, R>, AppError>
where
    P: Send + 'static,
    T: Send + 'static,
    R: Send + 'static,
{
    let (db, hasher, clock) = (cx.db, cx.pins, cx.clock);
    let Ok(pin) = Pin::parse(input) else {
        let (msisdn, action, source) = (req.msisdn.clone(), req.action, req.source.clone());
        let now = clock.now();
        db.call(move |conn| {
            Ok(audit::record(
                conn,
                now,
                Some(&msisdn),
                action,
                audit::Outcome::InvalidInput,
                &source,
            )?)
        })
        .await?;
        return Ok(GateOutcome::InvalidFormat);
    };

    // A locked secret needs no slot: answer it before waiting for one.
    let now = clock.now();
    let probe = req.clone();
    let locked = db
        .call(move |conn| {
            let locked = locked_now(conn, &probe, now)?;
            if locked {
                record_locked(conn, &probe, now)?;
            }
            Ok(locked)
        })
        .await?;
    if locked {
        return Ok(GateOutcome::Locked);
    }
    // One check of this secret at a time, then the slot before the
    // reservation (a busy pool must not count as a failure).
    let admitted = hasher
        .admit(Some(format!("{}:{:?}", req.line_id, req.kind)))
        .await?;
    let r = req.clone();
    let stored = match db.call(move |conn| reserve(conn, &r, now)).await? {
        Reserved::Locked => return Ok(GateOutcome::Locked),
        Reserved::Check(stored) => stored,
    };
    let checked = stored.clone();
    let (verified, prepared) = hasher
        .run_with(admitted.permit, move |slot| {
            let ok = slot.verify(pin.expose(), &checked);
            let prepared = ok.then(|| prepare(slot));
            (ok, prepared)
        })
        .await;

    let now = clock.now();
    db.call(move |conn| {
        let mut tx = write_tx(conn)?;
        let current = lines::secret(&tx, req.line_id, req.kind)?
            .ok_or_else(|| AppError::internal("the line went while its secret was checked"))?;
        let until = current.locked_until;
        // If the secret changed while we were verifying, the check was against a
        // stale value: count it as wrong rather than let it through.
        let verified = verified && current.hash == stored;
        let outcome = if !verified {
            // The reservation already counted the failure (and locked at the limit).
            audit::record(
                &tx,
                now,
                Some(&req.msisdn),
                req.action,
                audit::Outcome::WrongPin,
                &req.source,
            )?;
            if is_locked(until, now) {
                GateOutcome::Locked
            } else {
                GateOutcome::WrongPin
            }
        } else {
            lines::clear_failures(&tx, req.line_id, req.kind)?;
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
