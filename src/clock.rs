//! The one source of time: the real clock plus an offset that the QA API can advance.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Japan Standard Time is UTC+9 all year (no daylight saving).
pub const JST_OFFSET_SECS: i64 = 9 * 3600;

/// 9999-12-31T23:59:59Z: the last second RFC 3339 and RFC 5322 dates carry
/// with four-digit years. The simulated clock never passes it.
pub const LATEST: i64 = 253_402_300_799;

/// 0000-01-01T00:00:00Z, the first second RFC 3339 can carry.
const EARLIEST: i64 = -62_167_219_200;

/// The most one advance may move the clock: 10 years of 366 days.
pub const MAX_STEP: i64 = 10 * 366 * 86_400;

/// Why the clock was not moved (nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("`seconds` must be from 1 to {MAX_STEP} (the clock only moves forward, at most 10 years at a time)")]
    Step,
    #[error("the clock cannot pass 9999-12-31T23:59:59Z: it can move at most {room} more seconds")]
    PastLatest { room: i64 },
}

/// Real time in seconds since the Unix epoch.
///
/// Every handset page reads it (a session's last use), so on Linux it is
/// the system's real-time clock read directly: the same clock as
/// `SystemTime::now`, without its conversion to a `Duration` and back, a
/// third of the menu page's time-keeping.
pub fn real_now() -> i64 {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime only writes the struct passed in.
        if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) } == 0 {
            // time_t is 32 bits wide on some Linux targets.
            #[allow(clippy::useless_conversion)]
            return i64::from(ts.tv_sec);
        }
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Simulated clock. `now()` is real time plus whatever the QA API advanced it by.
#[derive(Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    /// Seconds since the Unix epoch, as the simulation sees it.
    pub fn now(&self) -> i64 {
        real_now().saturating_add(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Moves simulated time forward by `secs` (QA API, console, tests), or
    /// refuses and changes nothing: the step must be 1 s to `MAX_STEP`, and
    /// the clock never passes `LATEST`. Every caller gets the same checks.
    pub fn advance(&self, secs: i64) -> Result<(), Refused> {
        if !(1..=MAX_STEP).contains(&secs) {
            return Err(Refused::Step);
        }
        let real = real_now();
        self.offset_secs
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                let moved = offset.checked_add(secs)?;
                (real.checked_add(moved)? <= LATEST).then_some(moved)
            })
            .map(drop)
            .map_err(|offset| Refused::PastLatest {
                room: LATEST.saturating_sub(real.saturating_add(offset)).max(0),
            })
    }

    /// A clock `offset_secs` ahead of real time (a world's, from where it stood).
    pub fn with_offset(offset_secs: i64) -> Clock {
        Clock {
            offset_secs: Arc::new(AtomicI64::new(offset_secs)),
        }
    }

    /// A clock that reads `start` now (RFC 3339), or why not: the time must
    /// be a valid RFC 3339 date from year 0000 to 9999.
    pub fn starting_at(start: &str) -> Result<Clock, String> {
        let at = chrono::DateTime::parse_from_rfc3339(start)
            .map_err(|e| {
                format!("`clock` must be an RFC 3339 time such as 2026-12-01T08:00:00+09:00 ({e})")
            })?
            .timestamp();
        if !(EARLIEST..=LATEST).contains(&at) {
            return Err("`clock` must be from year 0000 to 9999".into());
        }
        Ok(Clock::with_offset(at - real_now()))
    }

    pub fn offset(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }
}

/// The Unix time of the first 00:00 JST strictly after `t`.
pub fn next_jst_midnight(t: i64) -> i64 {
    let local = t + JST_OFFSET_SECS;
    (local.div_euclid(86_400) + 1) * 86_400 - JST_OFFSET_SECS
}

/// RFC 3339 in UTC, the format of every timestamp in the API. A time
/// outside years 0000–9999 (which RFC 3339 cannot carry) is written as the
/// nearest one it can, so the text is always valid.
pub fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t.clamp(EARLIEST, LATEST), 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Japan time as a handset shows it on a narrow screen: `12/01 23:59`.
pub fn jst_short(t: i64) -> String {
    chrono::DateTime::from_timestamp(t + JST_OFFSET_SECS, 0)
        .map(|d| d.format("%m/%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Japan time in full, as the admin console shows it beside UTC:
/// `2026-12-02 08:59 JST`.
pub fn jst_long(t: i64) -> String {
    chrono::DateTime::from_timestamp(t + JST_OFFSET_SECS, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M JST").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_clock_is_the_system_clock_in_seconds() {
        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let read = real_now();
        let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        assert!(
            (before.as_secs() as i64..=after.as_secs() as i64).contains(&read),
            "{before:?} {read} {after:?}"
        );
    }

    #[test]
    fn japan_time_is_shown_short_on_handsets_and_in_full_on_the_console() {
        // 2026-12-01T14:59:00Z is 23:59 JST the same day; a minute later it is the 2nd.
        let t = 1_796_137_140;
        assert_eq!(rfc3339(t), "2026-12-01T14:59:00Z");
        assert_eq!(jst_short(t), "12/01 23:59");
        assert_eq!(jst_short(t + 60), "12/02 00:00");
        assert_eq!(jst_long(t + 60), "2026-12-02 00:00 JST");
    }

    #[test]
    fn next_midnight_is_at_15_00_utc() {
        // 2026-11-25T03:00:00Z is 12:00 JST; next midnight JST is 2026-11-25T15:00:00Z.
        let noon_jst = 1_795_575_600;
        assert_eq!(rfc3339(noon_jst), "2026-11-25T03:00:00Z");
        assert_eq!(rfc3339(next_jst_midnight(noon_jst)), "2026-11-25T15:00:00Z");
    }

    #[test]
    fn exactly_midnight_moves_to_the_following_day() {
        let midnight = next_jst_midnight(1_795_575_600);
        assert_eq!(next_jst_midnight(midnight), midnight + 86_400);
    }

    #[test]
    fn advancing_moves_now_forward() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(3600).unwrap();
        assert!(clock.now() >= before + 3600);
    }

    #[test]
    fn the_clock_never_passes_the_last_second_of_9999_and_a_refusal_changes_nothing() {
        let clock = Clock::default();
        assert_eq!(rfc3339(LATEST), "9999-12-31T23:59:59Z");
        while clock.now() < LATEST - MAX_STEP {
            clock.advance(MAX_STEP).unwrap();
        }
        let offset = clock.offset();
        assert!(matches!(
            clock.advance(MAX_STEP),
            Err(Refused::PastLatest { .. })
        ));
        assert_eq!(clock.offset(), offset);
        // Up to the last second is fine; one more is not.
        let room = LATEST - clock.now();
        if room > 5 {
            clock.advance(room - 5).unwrap();
        }
        assert!(clock.advance(10).is_err());
        assert!(rfc3339(clock.now()).starts_with("9999-12-31T23:59:"));
    }

    #[test]
    fn negative_zero_and_oversized_steps_are_refused() {
        let clock = Clock::default();
        for secs in [0, -1, i64::MIN, MAX_STEP + 1, i64::MAX] {
            assert_eq!(clock.advance(secs), Err(Refused::Step), "{secs}");
        }
        assert_eq!(clock.offset(), 0);
    }

    #[test]
    fn times_rfc_3339_cannot_carry_are_written_as_the_nearest_it_can() {
        assert_eq!(rfc3339(LATEST + 86_400), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MIN), "0000-01-01T00:00:00Z");
    }
}
