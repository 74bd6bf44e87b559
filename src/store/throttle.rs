//! Login throttling per account: after a few failures each further failure
//! doubles the wait before the next try (on the simulated clock).

use rusqlite::{Connection, OptionalExtension};

use crate::error::AppError;

/// Failures allowed before waits begin.
pub const FREE_FAILURES: i64 = 3;
/// The first wait, doubled on each further failure.
pub const FIRST_WAIT: i64 = 30;
/// The longest wait.
pub const MAX_WAIT: i64 = 3600;

/// The wait after `failures` consecutive failures.
pub fn wait_after(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        0
    } else {
        let doublings = (failures - FREE_FAILURES).min(20) as u32;
        (FIRST_WAIT << doublings).min(MAX_WAIT)
    }
}

/// Seconds to wait before `key` may try again (0: go ahead).
pub fn wait(conn: &Connection, key: &str, now: i64) -> Result<i64, AppError> {
    let next: Option<i64> = conn
        .query_row(
            "SELECT next_try_at FROM login_throttle WHERE key = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()?;
    Ok(next.map_or(0, |t| (t - now).max(0)))
}

/// Records a failure; returns the wait it imposes.
pub fn fail(conn: &Connection, key: &str, now: i64) -> Result<i64, AppError> {
    let failures: i64 = conn
        .query_row(
            "SELECT failures FROM login_throttle WHERE key = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0)
        + 1;
    let wait = wait_after(failures);
    conn.execute(
        "INSERT INTO login_throttle (key, failures, next_try_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET failures = ?2, next_try_at = ?3",
        rusqlite::params![key, failures, now + wait],
    )?;
    Ok(wait)
}

/// A success forgets the failures.
pub fn clear(conn: &Connection, key: &str) -> Result<(), AppError> {
    conn.execute("DELETE FROM login_throttle WHERE key = ?1", [key])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_after_three_failures_and_are_capped() {
        let waits: Vec<i64> = (1..=10).map(wait_after).collect();
        assert_eq!(waits, [0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600]);
        assert_eq!(wait_after(1000), 3600);
    }
}
