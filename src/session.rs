//! The one bounded session store, and what lives in it.
//!
//! `Store` keeps sessions by a 128-bit random id, with a capacity, an
//! optional cap per group (a handset line), an idle time, least-recently-used
//! eviction and a sweep that forgets expired sessions in small batches. Every
//! page view only takes a read lock (`touch` marks use with two atomics); the
//! write lock is held for one insert or one batch of a sweep.
//!
//! Handset sessions (`Sessions`: line, profile, language, one-time form
//! tokens) and the PC sites' logins (`web::pc_session`) are both kept in one.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::clock::Clock;
use crate::domain::{Lang, Msisdn};
use crate::handset::Profile;
use rustc_hash::FxBuildHasher;

/// Idle time after which a handset session is forgotten.
pub const IDLE_SECS: i64 = 30 * 60;
/// One-time form tokens a session may have outstanding (older ones stop working).
const TOKEN_WINDOW: u32 = 64;
/// Sessions a sweep forgets under one hold of the write lock.
const SWEEP_BATCH: usize = 512;

/// The value of each lower-case hex digit; 0x80 for any other byte.
const HEX: [u8; 256] = {
    let mut table = [0x80u8; 256];
    let mut c = 0;
    while c < 10 {
        table[b'0' as usize + c] = c as u8;
        c += 1;
    }
    let mut c = 0;
    while c < 6 {
        table[b'a' as usize + c] = 10 + c as u8;
        c += 1;
    }
    table
};

/// A session id: 128 random bits, written as 32 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId([u8; 16]);

impl SessionId {
    fn random() -> SessionId {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).expect("the OS random number generator is available");
        SessionId(id)
    }

    /// Reads an id as written in a URL; `None` for anything else.
    pub fn parse(s: &str) -> Option<SessionId> {
        let hex = s.as_bytes();
        if hex.len() != 32 {
            return None;
        }
        // Every menu page reads one: a table lookup per digit, and one test
        // of all of them at the end.
        let mut id = [0u8; 16];
        let mut bad = 0u8;
        for (byte, pair) in id.iter_mut().zip(hex.chunks_exact(2)) {
            let (hi, lo) = (HEX[pair[0] as usize], HEX[pair[1] as usize]);
            bad |= hi | lo;
            *byte = hi << 4 | lo;
        }
        (bad & 0x80 == 0).then_some(SessionId(id))
    }

    fn bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionId({self})")
    }
}

/// Where a store's time comes from.
#[derive(Clone)]
pub enum Time {
    /// The simulated clock (handset sessions: the QA API can age them).
    Simulated(Clock),
    /// Real time (PC logins: moving the simulated clock must not log QA out).
    Real(Clock),
}

impl Time {
    fn now(&self) -> i64 {
        match self {
            Time::Simulated(c) => c.now(),
            Time::Real(c) => c.now() - c.offset(),
        }
    }
}

/// How big a store may grow and how long its sessions live.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub capacity: usize,
    /// Sessions one group may hold; the group's least recently used goes first.
    pub per_group: Option<usize>,
    pub idle_secs: i64,
}

struct Entry<V> {
    value: V,
    group: i64,
    /// The tick under which `order` lists this entry.
    indexed: u64,
    /// The tick of the last use (a global counter: an exact LRU order).
    last_tick: AtomicU64,
    last_seen: AtomicI64,
}

struct Table<V> {
    /// Ids are random and drawn here, so the cheap hasher is safe.
    map: HashMap<SessionId, Entry<V>, FxBuildHasher>,
    /// Entries by the tick they were listed under, oldest first. A use only
    /// moves `last_tick`; eviction and sweeps re-list stale entries lazily.
    order: BTreeMap<u64, SessionId>,
    groups: HashMap<i64, Vec<SessionId>>,
    /// The count of every store sharing one capacity (each world keeps its
    /// own store; the cap is the whole server's).
    total: Arc<AtomicUsize>,
}

impl<V> Drop for Table<V> {
    /// A store that goes (its world deleted) gives its share back.
    fn drop(&mut self) {
        self.total.fetch_sub(self.map.len(), Ordering::Relaxed);
    }
}

impl<V> Table<V> {
    fn remove(&mut self, id: &SessionId) -> Option<Entry<V>> {
        let entry = self.map.remove(id)?;
        self.total.fetch_sub(1, Ordering::Relaxed);
        self.order.remove(&entry.indexed);
        if let Some(ids) = self.groups.get_mut(&entry.group) {
            ids.retain(|i| i != id);
            if ids.is_empty() {
                self.groups.remove(&entry.group);
            }
        }
        Some(entry)
    }

    /// The least recently used entry, after re-listing stale ones.
    fn oldest(&mut self) -> Option<SessionId> {
        loop {
            let (&tick, &id) = self.order.iter().next()?;
            let entry = self
                .map
                .get_mut(&id)
                .expect("order lists only live entries");
            let last = entry.last_tick.load(Ordering::Relaxed);
            if last == tick {
                return Some(id);
            }
            self.order.remove(&tick);
            entry.indexed = last;
            self.order.insert(last, id);
        }
    }
}

/// The bounded store. Cheap to share (`Arc`).
pub struct Store<V> {
    table: RwLock<Table<V>>,
    tick: AtomicU64,
    bounds: Bounds,
    time: Time,
    /// Sessions forgotten to make room, and expired ones swept, since start.
    evicted: AtomicU64,
    expired: AtomicU64,
}

impl<V> Store<V> {
    pub fn new(bounds: Bounds, time: Time) -> Store<V> {
        Store::sharing(bounds, time, Arc::default())
    }

    /// A store whose capacity is shared with every other store counted in
    /// `total`: at the cap a new session first makes room in its own store
    /// (never in another's), so one store can hold at most one session more
    /// than its share while the others hold the rest.
    pub fn sharing(bounds: Bounds, time: Time, total: Arc<AtomicUsize>) -> Store<V> {
        Store {
            table: RwLock::new(Table {
                map: HashMap::default(),
                order: BTreeMap::new(),
                groups: HashMap::new(),
                total,
            }),
            tick: AtomicU64::new(1),
            bounds,
            time,
            evicted: AtomicU64::new(0),
            expired: AtomicU64::new(0),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Table<V>> {
        // Entries are changed whole under the lock, so a poisoned table is consistent.
        self.table.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Table<V>> {
        self.table.write().unwrap_or_else(|p| p.into_inner())
    }

    fn next_tick(&self) -> u64 {
        self.tick.fetch_add(1, Ordering::Relaxed)
    }

    pub fn now(&self) -> i64 {
        self.time.now()
    }

    /// Adds a value in `group` under a new id, forgetting the least recently
    /// used session of the group, or of the whole store, to make room.
    pub fn insert(&self, group: i64, value: V) -> SessionId {
        let id = SessionId::random();
        let now = self.now();
        let mut t = self.write();
        if let Some(cap) = self.bounds.per_group {
            let full = t.groups.get(&group).filter(|ids| ids.len() >= cap.max(1));
            let victim = full.and_then(|ids| {
                ids.iter()
                    .min_by_key(|i| t.map[*i].last_tick.load(Ordering::Relaxed))
                    .copied()
            });
            if let Some(victim) = victim {
                t.remove(&victim);
                self.evicted.fetch_add(1, Ordering::Relaxed);
            }
        }
        let cap = self.bounds.capacity.max(1);
        while t.map.len() >= cap || t.total.load(Ordering::Relaxed) >= cap {
            let Some(victim) = t.oldest() else { break };
            t.remove(&victim);
            self.evicted.fetch_add(1, Ordering::Relaxed);
        }
        let tick = self.next_tick();
        t.map.insert(
            id,
            Entry {
                value,
                group,
                indexed: tick,
                last_tick: AtomicU64::new(tick),
                last_seen: AtomicI64::new(now),
            },
        );
        t.order.insert(tick, id);
        t.total.fetch_add(1, Ordering::Relaxed);
        if self.bounds.per_group.is_some() {
            t.groups.entry(group).or_default().push(id);
        }
        id
    }

    /// Looks a session up and marks it used: `f` sees its value under the
    /// read lock. `None` if unknown or idle for `idle_secs` or more (then it
    /// is forgotten).
    pub fn touch_within<R>(
        &self,
        id: &SessionId,
        idle_secs: i64,
        f: impl FnOnce(&V) -> R,
    ) -> Option<R> {
        let now = self.now();
        {
            let t = self.read();
            let entry = t.map.get(id)?;
            if now - entry.last_seen.load(Ordering::Relaxed) < idle_secs {
                entry.last_seen.store(now, Ordering::Relaxed);
                entry.last_tick.store(self.next_tick(), Ordering::Relaxed);
                return Some(f(&entry.value));
            }
        }
        if self.write().remove(id).is_some() {
            self.expired.fetch_add(1, Ordering::Relaxed);
        }
        None
    }

    /// `touch_within` the store's own idle time.
    pub fn touch<R>(&self, id: &SessionId, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.touch_within(id, self.bounds.idle_secs, f)
    }

    /// Reads a session without marking it used.
    pub fn peek<R>(&self, id: &SessionId, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.read().map.get(id).map(|e| f(&e.value))
    }

    pub fn remove(&self, id: &SessionId) -> bool {
        self.write().remove(id).is_some()
    }

    /// Forgets every session of `group` except `keep`.
    pub fn remove_group(&self, group: i64, keep: Option<&SessionId>) {
        let mut t = self.write();
        let ids: Vec<SessionId> = match self.bounds.per_group {
            Some(_) => t.groups.get(&group).cloned().unwrap_or_default(),
            None => t
                .map
                .iter()
                .filter(|(_, e)| e.group == group)
                .map(|(id, _)| *id)
                .collect(),
        };
        for id in ids.iter().filter(|id| Some(*id) != keep) {
            t.remove(id);
        }
    }

    /// Forgets every session whose value matches (a scan: for rare admin actions).
    pub fn remove_where(&self, pred: impl Fn(&V) -> bool) {
        let mut t = self.write();
        let ids: Vec<SessionId> = t
            .map
            .iter()
            .filter(|(_, e)| pred(&e.value))
            .map(|(id, _)| *id)
            .collect();
        for id in &ids {
            t.remove(id);
        }
    }

    pub fn clear(&self) {
        let mut t = self.write();
        t.total.fetch_sub(t.map.len(), Ordering::Relaxed);
        t.map.clear();
        t.order.clear();
        t.groups.clear();
    }

    /// Forgets the sessions idle too long, oldest first, a batch per hold of
    /// the write lock; returns how many. Expired sessions are the least
    /// recently used, so the sweep stops at the first live one.
    pub fn sweep(&self) -> usize {
        let now = self.now();
        let mut swept = 0;
        loop {
            let mut t = self.write();
            let mut batch = 0;
            while batch < SWEEP_BATCH {
                let Some(id) = t.oldest() else { break };
                let seen = t.map[&id].last_seen.load(Ordering::Relaxed);
                if now - seen < self.bounds.idle_secs {
                    break;
                }
                t.remove(&id);
                batch += 1;
            }
            drop(t);
            swept += batch;
            if batch < SWEEP_BATCH {
                break;
            }
            // Let page views in between batches.
            std::thread::yield_now();
        }
        self.expired.fetch_add(swept as u64, Ordering::Relaxed);
        swept
    }

    pub fn len(&self) -> usize {
        self.read().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (forgotten to make room, expired) since start.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.evicted.load(Ordering::Relaxed),
            self.expired.load(Ordering::Relaxed),
        )
    }
}

/// A handset session as handlers see it: this handset holds this line.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: SessionId,
    pub line_id: i64,
    pub msisdn: Msisdn,
    pub profile: Arc<Profile>,
    pub lang: Lang,
}

/// What the store keeps per handset session (about 100 bytes).
struct Handset {
    line_id: i64,
    msisdn: Msisdn,
    profile: Arc<Profile>,
    lang: Lang,
    /// The next form token's number, and which of the last 64 are used.
    next_token: AtomicU32,
    used_tokens: AtomicU64,
}

/// Cookieless handset sessions: a 128-bit random id in the URL that carries
/// the line, the profile and the language, and nothing else. In memory: a
/// menu page never touches the database.
#[derive(Clone)]
pub struct Sessions {
    store: Arc<Store<Handset>>,
    /// Keys the one-time form tokens (made at start; tokens die with the process).
    token_key: Arc<[u8; 32]>,
}

impl Sessions {
    pub fn new(clock: Clock, capacity: usize, per_line: usize) -> Sessions {
        Sessions::sharing(clock, capacity, per_line, Arc::default())
    }

    /// One world's sessions, on its clock, counted against a capacity shared
    /// with every world (`total`).
    pub fn sharing(
        clock: Clock,
        capacity: usize,
        per_line: usize,
        total: Arc<AtomicUsize>,
    ) -> Sessions {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the OS random number generator is available");
        Sessions {
            store: Arc::new(Store::sharing(
                Bounds {
                    capacity,
                    per_group: Some(per_line),
                    idle_secs: IDLE_SECS,
                },
                Time::Simulated(clock),
                total,
            )),
            token_key: Arc::new(key),
        }
    }

    /// Starts a session for a line and returns it.
    pub fn create(
        &self,
        line_id: i64,
        msisdn: Msisdn,
        profile: Arc<Profile>,
        lang: Lang,
    ) -> Session {
        let id = self.store.insert(
            line_id,
            Handset {
                line_id,
                msisdn: msisdn.clone(),
                profile: profile.clone(),
                lang,
                next_token: AtomicU32::new(0),
                used_tokens: AtomicU64::new(0),
            },
        );
        Session {
            id,
            line_id,
            msisdn,
            profile,
            lang,
        }
    }

    /// Looks a session up by the id in a URL and marks it used; `None` if
    /// unknown, forgotten or idle too long.
    pub fn touch(&self, id: &str) -> Option<Session> {
        let id = SessionId::parse(id)?;
        self.store.touch(&id, |h| Session {
            id,
            line_id: h.line_id,
            msisdn: h.msisdn.clone(),
            profile: h.profile.clone(),
            lang: h.lang,
        })
    }

    /// Looks a session up and marks it used as `touch` does, but hands `f`
    /// only what a cached page depends on (language and handset profile)
    /// under the store's read lock, copying nothing: the menu pages' fast path.
    pub fn touch_with<R>(&self, id: &str, f: impl FnOnce(Lang, &Profile) -> R) -> Option<R> {
        let id = SessionId::parse(id)?;
        self.store.touch(&id, |h| f(h.lang, &h.profile))
    }

    /// Whether a session is still kept (without marking it used).
    pub fn exists(&self, id: &SessionId) -> bool {
        self.store.peek(id, |_| ()).is_some()
    }

    fn mac(&self, id: &SessionId, n: u32, action: &str) -> [u8; 16] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.token_key[..])
            .expect("HMAC takes a key of any length");
        mac.update(id.bytes());
        mac.update(&n.to_le_bytes());
        mac.update(action.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }

    /// Issues a one-time token for a form of `action` in this session: its
    /// number and a MAC of (session, number, action), so a session keeps only
    /// a counter and a bitmap however many forms it opens.
    pub fn issue_token(&self, session: &Session, action: &'static str) -> String {
        let n = self
            .store
            .peek(&session.id, |h| {
                let n = h.next_token.fetch_add(1, Ordering::Relaxed);
                // The bit this number reuses is free again for it.
                h.used_tokens
                    .fetch_and(!(1u64 << (n % TOKEN_WINDOW)), Ordering::Relaxed);
                n
            })
            .unwrap_or(u32::MAX);
        let mac = self.mac(&session.id, n, action);
        let mut token = format!("{n:08x}");
        for b in mac {
            token.push_str(&format!("{b:02x}"));
        }
        token
    }

    /// Consumes a form token: true exactly once for a token issued for
    /// `action` in this session, among its last 64.
    pub fn consume_token(&self, session: &Session, action: &'static str, token: &str) -> bool {
        if token.len() != 40 || !token.is_ascii() {
            return false;
        }
        let Ok(n) = u32::from_str_radix(&token[..8], 16) else {
            return false;
        };
        let expected = self.mac(&session.id, n, action);
        let mut given = [0u8; 16];
        for (i, b) in given.iter_mut().enumerate() {
            match u8::from_str_radix(&token[8 + 2 * i..10 + 2 * i], 16) {
                Ok(v) => *b = v,
                Err(_) => return false,
            }
        }
        if !crate::random::constant_time_eq(&given, &expected) {
            return false;
        }
        self.store
            .peek(&session.id, |h| {
                let next = h.next_token.load(Ordering::Relaxed);
                if n >= next || next - n > TOKEN_WINDOW {
                    return false;
                }
                let bit = 1u64 << (n % TOKEN_WINDOW);
                h.used_tokens.fetch_or(bit, Ordering::Relaxed) & bit == 0
            })
            .unwrap_or(false)
    }

    /// Ends every session of a line except `keep` (after a password reset, or
    /// when the line is re-created).
    pub fn end_line_sessions(&self, line_id: i64, keep: Option<&SessionId>) {
        self.store.remove_group(line_id, keep);
    }

    /// Forgets everything (fixtures restored).
    pub fn clear(&self) {
        self.store.clear();
    }

    /// Forgets expired sessions; returns how many.
    pub fn sweep(&self) -> usize {
        self.store.sweep()
    }

    pub fn len(&self) -> usize {
        self.store.len()
    }

    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    /// (forgotten to make room, expired) since start.
    pub fn stats(&self) -> (u64, u64) {
        self.store.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(capacity: usize, per_line: usize) -> (Sessions, Clock) {
        let clock = Clock::default();
        (Sessions::new(clock.clone(), capacity, per_line), clock)
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

    fn alive(s: &Sessions, session: &Session) -> bool {
        s.touch(&session.id.to_string()).is_some()
    }

    #[test]
    fn ids_are_128_bit_hex_and_distinct() {
        let (s, _) = sessions(10, 10);
        let a = start(&s, 1);
        let b = start(&s, 1);
        let text = a.id.to_string();
        assert_eq!(text.len(), 32);
        assert!(text.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(SessionId::parse(&text), Some(a.id));
        assert_ne!(a.id, b.id);
        for bad in ["", "00", &"g".repeat(32), &"A".repeat(32), &"0".repeat(33)] {
            assert!(SessionId::parse(bad).is_none(), "{bad}");
        }
    }

    proptest::proptest! {
        /// The table-driven reading agrees with the standard library's
        /// base-16 parser (lower case only) on any text near an id.
        #[test]
        fn ids_read_as_the_standard_parser_reads_them(
            text in "[0-9a-fA-Fg/%\u{e9}]{30,34}"
        ) {
            let lower = text.len() == 32
                && text.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
            let want = lower
                .then(|| u128::from_str_radix(&text, 16).ok())
                .flatten()
                .map(|n| SessionId(n.to_be_bytes()));
            proptest::prop_assert_eq!(SessionId::parse(&text), want);
        }
    }

    #[test]
    fn a_session_expires_after_30_idle_minutes() {
        let (s, clock) = sessions(10, 10);
        let a = start(&s, 1);
        clock.advance(IDLE_SECS - 5).unwrap();
        assert!(alive(&s, &a), "use keeps it alive");
        clock.advance(IDLE_SECS - 5).unwrap();
        assert!(alive(&s, &a));
        clock.advance(IDLE_SECS + 1).unwrap();
        assert!(!alive(&s, &a));
    }

    #[test]
    fn a_form_token_works_once_and_only_for_its_action() {
        let (s, _) = sessions(10, 10);
        let a = start(&s, 1);
        let t = s.issue_token(&a, "change-imode-password");
        assert!(!s.consume_token(&a, "reset-imode-password", &t));
        assert!(s.consume_token(&a, "change-imode-password", &t));
        assert!(!s.consume_token(&a, "change-imode-password", &t));
        assert!(!s.consume_token(&a, "change-imode-password", "forged"));
        let other = start(&s, 2);
        let t = s.issue_token(&a, "x");
        assert!(!s.consume_token(&other, "x", &t), "bound to its session");
        let mut forged = s.issue_token(&a, "x");
        forged.replace_range(39..40, if forged.ends_with('0') { "1" } else { "0" });
        assert!(!s.consume_token(&a, "x", &forged));
    }

    #[test]
    fn only_the_last_64_tokens_of_a_session_work() {
        let (s, _) = sessions(10, 10);
        let a = start(&s, 1);
        let first = s.issue_token(&a, "x");
        let tokens: Vec<String> = (0..64).map(|_| s.issue_token(&a, "x")).collect();
        assert!(!s.consume_token(&a, "x", &first), "pushed out by 64 newer");
        assert!(tokens.iter().all(|t| s.consume_token(&a, "x", t)));
        assert!(tokens.iter().all(|t| !s.consume_token(&a, "x", t)));
    }

    #[test]
    fn ending_a_lines_sessions_keeps_the_current_one_and_other_lines() {
        let (s, _) = sessions(10, 10);
        let keep = start(&s, 1);
        let other = start(&s, 1);
        let other_line = start(&s, 2);
        s.end_line_sessions(1, Some(&keep.id));
        assert!(alive(&s, &keep));
        assert!(!alive(&s, &other));
        assert!(alive(&s, &other_line));
    }

    #[test]
    fn the_least_recently_used_session_is_forgotten_at_capacity() {
        let (s, _) = sessions(3, 10);
        let a = start(&s, 1);
        let b = start(&s, 2);
        let c = start(&s, 3);
        assert!(alive(&s, &a), "a is now the most recently used");
        let d = start(&s, 4);
        assert_eq!(s.len(), 3);
        assert!(!alive(&s, &b), "b was the least recently used");
        assert!(alive(&s, &a) && alive(&s, &c) && alive(&s, &d));
        assert_eq!(s.stats().0, 1);
    }

    #[test]
    fn a_line_keeps_at_most_its_share_and_loses_its_oldest() {
        let (s, _) = sessions(100, 2);
        let a = start(&s, 1);
        let b = start(&s, 1);
        let elsewhere = start(&s, 2);
        assert!(alive(&s, &a));
        let c = start(&s, 1);
        assert!(!alive(&s, &b), "the line's least recently used");
        assert!(alive(&s, &a) && alive(&s, &c) && alive(&s, &elsewhere));
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn a_flood_of_power_ons_stays_within_the_bound() {
        let (s, _) = sessions(1000, 64);
        for i in 0..20_000 {
            start(&s, i % 50);
        }
        assert_eq!(s.len(), 1000);
        for _ in 0..499 {
            start(&s, 7);
        }
        let one_line = start(&s, 7);
        assert!(alive(&s, &one_line));
        assert!(s.len() <= 1000);
    }

    #[test]
    fn the_sweep_forgets_only_expired_sessions_in_batches() {
        let (s, clock) = sessions(10_000, 10_000);
        let old: Vec<Session> = (0..3000).map(|i| start(&s, i)).collect();
        clock.advance(IDLE_SECS - 10).unwrap();
        let fresh = start(&s, 1);
        assert!(alive(&s, &old[5]), "used again: no longer expiring");
        clock.advance(20).unwrap();
        assert_eq!(s.sweep(), 2999);
        assert_eq!(s.len(), 2);
        assert!(alive(&s, &fresh) && alive(&s, &old[5]));
    }
}
