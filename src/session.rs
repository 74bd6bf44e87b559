//! Cookieless handset sessions: a 128-bit random id in the URL that carries the
//! line, the profile and the language, and nothing else. Kept in memory: a menu
//! GET never touches the database.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

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
    session: Session,
    last_seen: i64,
    tokens: VecDeque<(String, &'static str)>,
}

#[derive(Clone)]
pub struct Sessions {
    map: Arc<Mutex<HashMap<Arc<str>, Entry>>>,
    clock: Clock,
}

impl Sessions {
    pub fn new(clock: Clock) -> Sessions {
        Sessions {
            map: Arc::default(),
            clock,
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, Entry>> {
        // Entries are replaced whole, so a poisoned map is still consistent.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session for a line and returns it.
    pub fn create(
        &self,
        line_id: i64,
        msisdn: Msisdn,
        profile: Arc<Profile>,
        lang: Lang,
    ) -> Session {
        let now = self.clock.now();
        let id: Arc<str> = crate::random::token_hex(16).into();
        let session = Session {
            id: id.clone(),
            line_id,
            msisdn,
            profile,
            lang,
        };
        let mut map = self.map();
        if map.len() >= 1024 && map.len().is_power_of_two() {
            map.retain(|_, e| now - e.last_seen <= IDLE_SECS);
        }
        map.insert(
            id,
            Entry {
                session: session.clone(),
                last_seen: now,
                tokens: VecDeque::new(),
            },
        );
        session
    }

    /// Looks a session up and marks it used; `None` if unknown or idle too long.
    pub fn touch(&self, id: &str) -> Option<Session> {
        let now = self.clock.now();
        let mut map = self.map();
        let entry = map.get_mut(id)?;
        if now - entry.last_seen > IDLE_SECS {
            map.remove(id);
            return None;
        }
        entry.last_seen = now;
        Some(entry.session.clone())
    }

    /// Issues a one-time token for a form of `action` in this session.
    pub fn issue_token(&self, session: &Session, action: &'static str) -> String {
        let token = crate::random::token_hex(16);
        if let Some(entry) = self.map().get_mut(&session.id) {
            if entry.tokens.len() >= MAX_TOKENS {
                entry.tokens.pop_front();
            }
            entry.tokens.push_back((token.clone(), action));
        }
        token
    }

    /// Consumes a form token: true exactly once for a token issued for `action`.
    pub fn consume_token(&self, session: &Session, action: &'static str, token: &str) -> bool {
        let mut map = self.map();
        let Some(entry) = map.get_mut(&session.id) else {
            return false;
        };
        match entry
            .tokens
            .iter()
            .position(|(t, a)| *a == action && t.as_str() == token)
        {
            Some(i) => {
                entry.tokens.remove(i);
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

    fn start(s: &Sessions, line: i64) -> Session {
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
