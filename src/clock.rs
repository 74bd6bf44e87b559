//! The one source of time: the real clock plus an offset that the QA API can advance.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Japan Standard Time is UTC+9 all year (no daylight saving).
pub const JST_OFFSET_SECS: i64 = 9 * 3600;

/// Simulated clock. `now()` is real time plus whatever the QA API advanced it by.
#[derive(Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    /// Seconds since the Unix epoch, as the simulation sees it.
    pub fn now(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        real + self.offset_secs.load(Ordering::Relaxed)
    }

    /// Moves simulated time forward (QA API, tests).
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
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

/// RFC 3339 in UTC, the format of every timestamp in the API.
pub fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
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
        clock.advance(3600);
        assert!(clock.now() >= before + 3600);
    }
}
