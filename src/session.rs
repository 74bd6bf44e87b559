//! Cookieless handset sessions: a 128-bit random id in the URL that carries the
//! line, the profile and the language, and nothing else. Kept in memory: a menu
//! GET never touches the database.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::clock::Clock;
use crate::domain::{Lang, Msisdn};
use crate::handset::Profile;

/// Idle time after which a session is forgotten.
pub const IDLE_SECS: i64 = 30 * 60;
/// Outstanding form tokens kept per session (oldest dropped first).
const MAX_TOKENS: usize = 16;

/// What a session id stands for.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: Arc<str>,
    pub line_id: i64,
    pub msisdn: Msisdn,
    pub profile: Arc<Profile>,
    pub lang: Lang,
}

struct Entry {
    session: Arc<Session>,
    // Touched on every page under a read lock, so atomic.
    last_seen: AtomicI64,
    tokens: Mutex<VecDeque<(String, &'static str)>>,
}

#[derive(Clone)]
pub struct Sessions {
    // Read-locked for every page view; write-locked only to add or remove.
    map: Arc<RwLock<HashMap<Arc<str>, Entry>>>,
    clock: Clock,
}

impl Sessions {
    pub fn new(clock: Clock) -> Sessions {
        Sessions {
            map: Arc::default(),
            clock,
        }
    }

    fn map(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Arc<str>, Entry>> {
        // Entries are replaced whole, so a poisoned map is still consistent.
        self.map.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Arc<str>, Entry>> {
        self.map.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session for a line and returns it.
    pub fn create(
        &self,
        line_id: i64,
        msisdn: Msisdn,
        profile: Arc<Profile>,
        lang: Lang,
    ) -> Arc<Session> {
        let now = self.clock.now();
        let id: Arc<str> = crate::random::token_hex(16).into();
        let session = Arc::new(Session {
            id: id.clone(),
            line_id,
            msisdn,
            profile,
            lang,
        });
        let mut map = self.map();
        if map.len() >= 1024 && map.len().is_power_of_two() {
            map.retain(|_, e| now - e.last_seen.load(Ordering::Relaxed) <= IDLE_SECS);
        }
        map.insert(
            id,
            Entry {
                session: session.clone(),
                last_seen: AtomicI64::new(now),
                tokens: Mutex::default(),
            },
        );
        session
    }

    /// Looks a session up and marks it used; `None` if unknown or idle too long.
    /// Every page view comes here, so it takes only a read lock.
    pub fn touch(&self, id: &str) -> Option<Arc<Session>> {
        let now = self.clock.now();
        {
            let map = self.read();
            let entry = map.get(id)?;
            if now - entry.last_seen.load(Ordering::Relaxed) <= IDLE_SECS {
                entry.last_seen.store(now, Ordering::Relaxed);
                return Some(entry.session.clone());
            }
        }
        // Idle too long: forget it.
        self.map().remove(id);
        None
    }

    /// Issues a one-time token for a form of `action` in this session.
    pub fn issue_token(&self, session: &Session, action: &'static str) -> String {
        let token = crate::random::token_hex(16);
        if let Some(entry) = self.read().get(&session.id) {
            let mut tokens = entry.tokens.lock().unwrap_or_else(|p| p.into_inner());
            if tokens.len() >= MAX_TOKENS {
                tokens.pop_front();
            }
            tokens.push_back((token.clone(), action));
        }
        token
    }

    /// Consumes a form token: true exactly once for a token issued for `action`.
    pub fn consume_token(&self, session: &Session, action: &'static str, token: &str) -> bool {
        let map = self.read();
        let Some(entry) = map.get(&session.id) else {
            return false;
        };
        let mut tokens = entry.tokens.lock().unwrap_or_else(|p| p.into_inner());
        match tokens
            .iter()
            .position(|(t, a)| *a == action && t.as_str() == token)
        {
            Some(i) => {
                tokens.remove(i);
                true
            }
            None => false,
        }
    }

    /// Ends every session of a line except `keep` (after a password reset).
    pub fn end_line_sessions(&self, line_id: i64, keep: Option<&str>) {
        self.map()
            .retain(|id, e| e.session.line_id != line_id || Some(&**id) == keep);
    }

    /// Ends every session of a phone number (the line was re-created).
    pub fn end_msisdn_sessions(&self, msisdn: &Msisdn) {
        self.map().retain(|_, e| e.session.msisdn != *msisdn);
    }

    /// Forgets everything (fixtures restored).
    pub fn clear(&self) {
        self.map().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions() -> (Sessions, Clock) {
        let clock = Clock::default();
        (Sessions::new(clock.clone()), clock)
    }

    fn start(s: &Sessions, line: i64) -> Arc<Session> {
        let profile = Arc::new(Profile::by_name("P501i").unwrap());
        s.create(
            line,
            Msisdn::parse("09012340001").unwrap(),
            profile,
            Lang::Ja,
        )
    }

    #[test]
    fn ids_are_128_bit_hex_and_distinct() {
        let (s, _) = sessions();
        let a = start(&s, 1);
        let b = start(&s, 1);
        assert_eq!(a.id.len(), 32);
        assert!(a.id.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.id, b.id);
    }

    #[test]
    fn a_session_expires_after_30_idle_minutes() {
        let (s, clock) = sessions();
        let a = start(&s, 1);
        clock.advance(IDLE_SECS - 5);
        assert!(s.touch(&a.id).is_some(), "use keeps it alive");
        clock.advance(IDLE_SECS - 5);
        assert!(s.touch(&a.id).is_some());
        clock.advance(IDLE_SECS + 1);
        assert!(s.touch(&a.id).is_none());
    }

    #[test]
    fn a_form_token_works_once_and_only_for_its_action() {
        let (s, _) = sessions();
        let a = start(&s, 1);
        let t = s.issue_token(&a, "change-imode-password");
        assert!(!s.consume_token(&a, "reset-imode-password", &t));
        assert!(s.consume_token(&a, "change-imode-password", &t));
        assert!(!s.consume_token(&a, "change-imode-password", &t));
        assert!(!s.consume_token(&a, "change-imode-password", "forged"));
    }

    #[test]
    fn ending_a_lines_sessions_keeps_the_current_one_and_other_lines() {
        let (s, _) = sessions();
        let keep = start(&s, 1);
        let other = start(&s, 1);
        let other_line = start(&s, 2);
        s.end_line_sessions(1, Some(&keep.id));
        assert!(s.touch(&keep.id).is_some());
        assert!(s.touch(&other.id).is_none());
        assert!(s.touch(&other_line.id).is_some());
    }
}
