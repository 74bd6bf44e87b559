//! The one throttle of every login and rate limit: an attempt is reserved by a
//! single statement *before* the work it guards (an Argon2 check, a mail), so
//! N simultaneous attempts never get further than N one after another would.

use rusqlite::{Connection, OptionalExtension};

use super::error::Error;

/// How attempts under one key are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// `free` attempts at once; from then on each attempt waits `first_wait`
    /// seconds, doubled with every further one, up to `max_wait`. An attempt
    /// counts as a failure until `clear` says it succeeded. Forgotten after
    /// `forget` seconds without attempts.
    Backoff {
        free: i64,
        first_wait: i64,
        max_wait: i64,
        forget: i64,
    },
    /// At most `limit` attempts in each window of `window` seconds (the window
    /// starts at the first attempt).
    Window { limit: i64, window: i64 },
}

/// Password logins (My docomo, docomo Shop, partner sites): 3 free, then
/// 30 s, 60 s, … up to an hour; forgotten after a day.
pub const LOGIN: Policy = Policy::Backoff {
    free: 3,
    first_wait: 30,
    max_wait: 3600,
    forget: 86_400,
};

/// "Send me something" requests per account on partner sites' procedures.
pub const RECOVERY_PER_ACCOUNT: Policy = Policy::Backoff {
    free: 5,
    first_wait: 30,
    max_wait: 3600,
    forget: 3600,
};

/// What `reserve` decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reserved {
    /// Go ahead: the attempt is counted.
    Go,
    /// Refused: try again in this many seconds (nothing was counted).
    Wait(i64),
}

impl Reserved {
    pub fn is_go(self) -> bool {
        self == Reserved::Go
    }
}

/// A typed throttle key: what is limited (`kind`) and for whom (`subject`:
/// an account, a client address, a line).
pub fn key(kind: &str, subject: &str) -> String {
    format!("{kind}:{}", subject.to_lowercase())
}

/// The wait after the `n`th consecutive attempt of a backoff policy.
pub fn backoff_wait(policy: Policy, n: i64) -> i64 {
    match policy {
        Policy::Backoff {
            free,
            first_wait,
            max_wait,
            ..
        } if n >= free => (first_wait << (n - free).min(20)).min(max_wait),
        _ => 0,
    }
}

/// Reserves one attempt under `key` at `now`, in one statement.
pub fn reserve(conn: &Connection, key: &str, policy: Policy, now: i64) -> Result<Reserved, Error> {
    let counted: Option<i64> = match policy {
        Policy::Backoff {
            free,
            first_wait,
            max_wait,
            forget,
        } => conn
            .prepare_cached(
                "INSERT INTO throttle (key, count, until, forget_at)
                 VALUES (?1, 1, ?2 + CASE WHEN 1 < ?3 THEN 0 ELSE min(?4 << min(1 - ?3, 20), ?5) END, ?2 + ?6)
                 ON CONFLICT (key) DO UPDATE SET
                     count = count + 1,
                     until = ?2 + CASE WHEN count + 1 < ?3 THEN 0
                                       ELSE min(?4 << min(count + 1 - ?3, 20), ?5) END,
                     forget_at = ?2 + ?6
                 WHERE until <= ?2
                 RETURNING count",
            )?
            .query_row(
                rusqlite::params![key, now, free, first_wait, max_wait, forget],
                |r| r.get(0),
            )
            .optional()?,
        Policy::Window { limit, window } => conn
            .prepare_cached(
                "INSERT INTO throttle (key, count, until, forget_at) VALUES (?1, 1, ?2 + ?4, ?2 + ?4)
                 ON CONFLICT (key) DO UPDATE SET
                     count = CASE WHEN until <= ?2 THEN 1 ELSE count + 1 END,
                     until = CASE WHEN until <= ?2 THEN ?2 + ?4 ELSE until END,
                     forget_at = CASE WHEN until <= ?2 THEN ?2 + ?4 ELSE forget_at END
                 WHERE until <= ?2 OR count < ?3
                 RETURNING count",
            )?
            .query_row(rusqlite::params![key, now, limit, window], |r| r.get(0))
            .optional()?,
    };
    if counted.is_some() {
        return Ok(Reserved::Go);
    }
    let until: i64 = conn
        .prepare_cached("SELECT until FROM throttle WHERE key = ?1")?
        .query_row([key], |r| r.get(0))?;
    Ok(Reserved::Wait((until - now).max(1)))
}

/// Whether `key` may try now, without counting anything: for a check done
/// inside the caller's write transaction together with `reserve`.
pub fn allowed(conn: &Connection, key: &str, policy: Policy, now: i64) -> Result<Reserved, Error> {
    let row: Option<(i64, i64)> = conn
        .prepare_cached("SELECT count, until FROM throttle WHERE key = ?1")?
        .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let blocked = match (policy, row) {
        (_, None) => false,
        (Policy::Backoff { .. }, Some((_, until))) => until > now,
        (Policy::Window { limit, .. }, Some((count, until))) => until > now && count >= limit,
    };
    Ok(match row {
        Some((_, until)) if blocked => Reserved::Wait((until - now).max(1)),
        _ => Reserved::Go,
    })
}

/// A success forgets the attempts (backoff policies).
pub fn clear(conn: &Connection, key: &str) -> Result<(), Error> {
    conn.prepare_cached("DELETE FROM throttle WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

/// Forgets every key whose attempts no longer matter; returns how many.
pub fn sweep(conn: &Connection, now: i64) -> Result<usize, Error> {
    Ok(conn.execute("DELETE FROM throttle WHERE forget_at < ?1", [now])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> crate::store::Db {
        crate::store::Db::open(":memory:").unwrap()
    }

    #[test]
    fn waits_grow_after_three_failures_and_are_capped() {
        let waits: Vec<i64> = (1..=10).map(|n| backoff_wait(LOGIN, n)).collect();
        assert_eq!(waits, [0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600]);
        assert_eq!(backoff_wait(LOGIN, 1000), 3600);
    }

    #[test]
    fn backoff_reserves_three_then_asks_to_wait_and_a_success_clears() {
        db().with_conn(|c| {
            let now = 1_000;
            let tries: Vec<Reserved> = (0..5)
                .map(|_| reserve(c, "k", LOGIN, now).unwrap())
                .collect();
            assert_eq!(
                tries,
                [
                    Reserved::Go,
                    Reserved::Go,
                    Reserved::Go,
                    Reserved::Wait(30),
                    Reserved::Wait(30)
                ]
            );
            // After the wait, one more attempt, and the next wait doubles.
            assert_eq!(reserve(c, "k", LOGIN, now + 30)?, Reserved::Go);
            assert_eq!(reserve(c, "k", LOGIN, now + 31)?, Reserved::Wait(59));
            clear(c, "k")?;
            assert_eq!(reserve(c, "k", LOGIN, now + 31)?, Reserved::Go);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_window_allows_its_limit_then_starts_again() {
        let policy = Policy::Window {
            limit: 2,
            window: 60,
        };
        db().with_conn(|c| {
            assert!(reserve(c, "w", policy, 100)?.is_go());
            assert!(reserve(c, "w", policy, 110)?.is_go());
            assert_eq!(reserve(c, "w", policy, 120)?, Reserved::Wait(40));
            assert!(reserve(c, "other", policy, 120)?.is_go(), "per key");
            assert!(reserve(c, "w", policy, 160)?.is_go(), "a new window");
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn the_sweep_forgets_old_keys_only() {
        db().with_conn(|c| {
            reserve(c, "old", LOGIN, 0)?;
            reserve(c, "new", LOGIN, 90_000)?;
            assert_eq!(sweep(c, 90_000)?, 1);
            let left: i64 = c
                .query_row("SELECT count(*) FROM throttle", [], |r| r.get(0))
                .map_err(Error::from)?;
            assert_eq!(left, 1);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn simultaneous_attempts_get_no_more_than_sequential_ones() {
        // Eight threads, one database file: exactly three reservations succeed.
        let dir = tempfile::tempdir().unwrap();
        let db = crate::store::Db::open(dir.path().join("t.db").to_str().unwrap()).unwrap();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let db = db.clone();
                std::thread::spawn(move || {
                    db.with_conn(|c| Ok(reserve(c, "race", LOGIN, 5)?)).unwrap()
                })
            })
            .collect();
        let go = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|r| r.is_go())
            .count();
        assert_eq!(go, 3);
    }
}
