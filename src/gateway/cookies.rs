//! The cookies content providers set for i-mode browser 2.0 handsets, kept
//! by the gateway per session and site (the handset's side of the
//! conversation), within bounds: 20 cookies a site (the oldest dropped), 4 KB
//! each, `Expires` / `Max-Age` honoured, and a byte budget for the whole jar
//! (the least recently used site's cookies dropped first).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::limits::{COOKIES_PER_SITE, COOKIE_BYTES, COOKIE_JAR_BYTES};
use crate::session::SessionId;

struct Cookie {
    name: String,
    value: String,
    /// Unix time after which the cookie is gone (none: until the session ends).
    expires: Option<i64>,
}

#[derive(Default)]
struct Site {
    cookies: Vec<Cookie>,
    /// Use counter at the last store or read (least recently used goes first).
    used: u64,
}

impl Site {
    fn bytes(&self) -> usize {
        self.cookies
            .iter()
            .map(|c| c.name.len() + c.value.len())
            .sum()
    }
}

type Key = (SessionId, String);

#[derive(Default)]
struct Jar {
    sites: HashMap<Key, Site>,
    by_use: BTreeMap<u64, Key>,
    bytes: usize,
    uses: u64,
}

impl Jar {
    fn touch(&mut self, key: &Key) {
        self.uses += 1;
        let used = self.uses;
        if let Some(site) = self.sites.get_mut(key) {
            self.by_use.remove(&site.used);
            site.used = used;
            self.by_use.insert(used, key.clone());
        }
    }

    fn drop_site(&mut self, key: &Key) {
        if let Some(site) = self.sites.remove(key) {
            self.by_use.remove(&site.used);
            self.bytes -= site.bytes();
        }
    }
}

/// The jar. Cheap to share behind the application state.
#[derive(Default)]
pub struct CookieJar {
    jar: Mutex<Jar>,
}

/// The parts of a `Set-Cookie` the handset keeps: name, value, expiry.
fn parse(set_cookie: &str, now: i64) -> Option<Cookie> {
    let mut parts = set_cookie.split(';');
    let (name, value) = parts.next()?.trim().split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let mut expires = None;
    let mut max_age = None;
    for attr in parts {
        let (k, v) = attr.trim().split_once('=').unwrap_or((attr.trim(), ""));
        if k.eq_ignore_ascii_case("max-age") {
            max_age = v.trim().parse::<i64>().ok();
        } else if k.eq_ignore_ascii_case("expires") {
            expires = http_date(v.trim());
        }
    }
    // Max-Age wins over Expires (RFC 6265 §5.3).
    let expires = match max_age {
        Some(secs) => Some(now.saturating_add(secs)),
        None => expires,
    };
    Some(Cookie {
        name: name.to_string(),
        value: value.trim().to_string(),
        expires,
    })
}

/// `Wed, 21 Oct 2015 07:28:00 GMT` and the older `Wed, 21-Oct-2015 07:28:00 GMT`.
fn http_date(s: &str) -> Option<i64> {
    if let Ok(d) = chrono::DateTime::parse_from_rfc2822(s) {
        return Some(d.timestamp());
    }
    chrono::NaiveDateTime::parse_from_str(s, "%a, %d-%b-%Y %H:%M:%S GMT")
        .ok()
        .map(|d| d.and_utc().timestamp())
}

impl CookieJar {
    fn jar(&self) -> std::sync::MutexGuard<'_, Jar> {
        // Every change leaves the jar consistent, so a poisoned one is usable.
        self.jar.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a `Set-Cookie` from `site` for this session at `now`.
    pub fn store(&self, session: &SessionId, site: &str, set_cookie: &str, now: i64) {
        let Some(cookie) = parse(set_cookie, now) else {
            return;
        };
        let mut jar = self.jar();
        let key = (*session, site.to_string());
        let entry = jar.sites.entry(key.clone()).or_default();
        let before = entry.bytes();
        entry.cookies.retain(|c| c.name != cookie.name);
        let gone = cookie.expires.is_some_and(|e| e <= now);
        let fits = cookie.name.len() + cookie.value.len() <= COOKIE_BYTES;
        if !gone && fits {
            if entry.cookies.len() >= COOKIES_PER_SITE {
                entry.cookies.remove(0);
            }
            entry.cookies.push(cookie);
        }
        let after = entry.bytes();
        let empty = entry.cookies.is_empty();
        jar.bytes = jar.bytes + after - before;
        if empty {
            jar.drop_site(&key);
        } else {
            jar.touch(&key);
        }
        // Over budget: the least recently used sites lose their cookies.
        while jar.bytes > COOKIE_JAR_BYTES {
            let Some((_, oldest)) = jar.by_use.iter().next().map(|(u, k)| (*u, k.clone())) else {
                break;
            };
            jar.drop_site(&oldest);
        }
    }

    /// The `Cookie` header for a request, if any live cookies are kept.
    pub fn header(&self, session: &SessionId, site: &str, now: i64) -> Option<String> {
        let mut jar = self.jar();
        let key = (*session, site.to_string());
        let entry = jar.sites.get_mut(&key)?;
        let before = entry.bytes();
        entry.cookies.retain(|c| c.expires.is_none_or(|e| e > now));
        let after = entry.bytes();
        let header = (!entry.cookies.is_empty()).then(|| {
            entry
                .cookies
                .iter()
                .map(|c| format!("{}={}", c.name, c.value))
                .collect::<Vec<_>>()
                .join("; ")
        });
        jar.bytes -= before - after;
        match header {
            Some(_) => jar.touch(&key),
            None => jar.drop_site(&key),
        }
        header
    }

    /// Drops the cookies of sessions that no longer exist; returns how many sites' worth.
    pub fn sweep(&self, alive: impl Fn(&SessionId) -> bool) -> usize {
        let mut jar = self.jar();
        let dead: Vec<Key> = jar
            .sites
            .keys()
            .filter(|(sid, _)| !alive(sid))
            .cloned()
            .collect();
        for key in &dead {
            jar.drop_site(key);
        }
        dead.len()
    }

    /// The bytes of names and values kept in all.
    pub fn bytes(&self) -> usize {
        self.jar().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sid(n: u8) -> SessionId {
        SessionId::parse(&format!("{n:02x}").repeat(16)).unwrap()
    }

    #[test]
    fn the_jar_keeps_replaces_and_deletes() {
        let jar = CookieJar::default();
        let s = sid(1);
        assert_eq!(jar.header(&s, "cp", 0), None);
        jar.store(&s, "cp", "a=1; Path=/", 0);
        jar.store(&s, "cp", "b=2", 0);
        jar.store(&s, "cp", "a=3", 0);
        assert_eq!(jar.header(&s, "cp", 0).unwrap(), "b=2; a=3");
        jar.store(&s, "cp", "b=; Max-Age=0", 0);
        assert_eq!(jar.header(&s, "cp", 0).unwrap(), "a=3");
        assert_eq!(jar.header(&sid(2), "cp", 0), None, "per session");
        assert_eq!(jar.header(&s, "other", 0), None, "per site");
    }

    #[test]
    fn max_age_and_expires_are_honoured() {
        let jar = CookieJar::default();
        let s = sid(1);
        let now = 1_795_575_600; // 2026-11-25T03:00:00Z
        jar.store(&s, "cp", "short=1; Max-Age=60", now);
        jar.store(
            &s,
            "cp",
            "dated=1; Expires=Wed, 25 Nov 2026 04:00:00 GMT",
            now,
        );
        jar.store(
            &s,
            "cp",
            "old=1; expires=Tue, 24-Nov-2026 04:00:00 GMT",
            now,
        );
        assert_eq!(jar.header(&s, "cp", now).unwrap(), "short=1; dated=1");
        assert_eq!(jar.header(&s, "cp", now + 61).unwrap(), "dated=1");
        assert_eq!(jar.header(&s, "cp", now + 3601), None);
        assert_eq!(jar.bytes(), 0);
    }

    #[test]
    fn a_site_keeps_20_cookies_of_4_kb_and_drops_the_oldest() {
        let jar = CookieJar::default();
        let s = sid(1);
        for i in 0..25 {
            jar.store(&s, "cp", &format!("c{i}=v"), 0);
        }
        let header = jar.header(&s, "cp", 0).unwrap();
        assert_eq!(header.split("; ").count(), 20);
        assert!(header.starts_with("c5=v"), "{header}");
        jar.store(&s, "cp", &format!("big={}", "x".repeat(5000)), 0);
        assert!(!jar.header(&s, "cp", 0).unwrap().contains("big="));
    }

    #[test]
    fn the_whole_jar_stays_within_its_budget() {
        let jar = CookieJar::default();
        let value = "x".repeat(4000);
        for n in 0..=255u8 {
            for i in 0..20 {
                jar.store(&sid(n), "cp", &format!("c{i}={value}"), 0);
            }
        }
        assert!(jar.bytes() <= COOKIE_JAR_BYTES);
        assert!(
            jar.header(&sid(255), "cp", 0).is_some(),
            "the newest are kept"
        );
        assert_eq!(jar.header(&sid(0), "cp", 0), None, "the oldest went");
        assert!(jar.sweep(|s| *s == sid(255)) > 0);
        assert!(jar.header(&sid(255), "cp", 0).is_some());
        assert!(jar.bytes() <= 20 * 4010);
    }
}
