//! Logins of the PC sites (admin console, My docomo, docomo Shop counter): a
//! random id in an HttpOnly, SameSite=Strict cookie, what it stands for, a CSRF
//! token for its forms, and an idle expiry in real time (moving the simulated
//! clock forward must not log QA out of the console). All sites' logins share
//! one bounded store (the oldest forgotten beyond its capacity, expired ones
//! swept). Handset pages never use this: they carry their session in the URL.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue};

use crate::clock::Clock;
use crate::session::{Bounds, SessionId, Store, Time};

/// The longest a PC login may sit idle on any site.
pub const MAX_IDLE_SECS: i64 = 8 * 3600;

/// One logged-in PC session.
#[derive(Clone, Debug)]
pub struct PcSession<T> {
    pub id: SessionId,
    pub who: T,
    pub csrf: String,
}

/// What the shared store keeps per login: the site (by its cookie name), who,
/// and the CSRF token.
pub struct PcLogin {
    cookie: &'static str,
    who: Box<dyn Any + Send + Sync>,
    csrf: String,
}

/// The one store of every PC site's logins.
pub type PcLogins = Arc<Store<PcLogin>>;

/// A store for `capacity` logins in all.
pub fn pc_logins(clock: &Clock, capacity: usize) -> PcLogins {
    pc_logins_sharing(clock, capacity, Arc::default())
}

/// One world's store of PC logins, counted against a capacity shared with
/// every world (`total`).
pub fn pc_logins_sharing(
    clock: &Clock,
    capacity: usize,
    total: Arc<std::sync::atomic::AtomicUsize>,
) -> PcLogins {
    Arc::new(Store::sharing(
        Bounds {
            capacity,
            per_group: None,
            idle_secs: MAX_IDLE_SECS,
        },
        Time::Real(clock.clone()),
        total,
    ))
}

/// The logins of one PC site, under one cookie name, in the shared store.
pub struct PcSessions<T> {
    cookie: &'static str,
    /// The cookie's `Path`: `/`, or a world's prefix (its logins stay in it).
    path: Arc<str>,
    lifetime: i64,
    store: PcLogins,
    who: PhantomData<fn() -> T>,
}

impl<T> Clone for PcSessions<T> {
    fn clone(&self) -> Self {
        PcSessions {
            cookie: self.cookie,
            path: self.path.clone(),
            lifetime: self.lifetime,
            store: self.store.clone(),
            who: PhantomData,
        }
    }
}

impl<T: Clone + Send + Sync + 'static> PcSessions<T> {
    /// `lifetime`: idle seconds after which a login of this site ends (at
    /// most `MAX_IDLE_SECS`).
    pub fn new(store: PcLogins, cookie: &'static str, lifetime: i64) -> PcSessions<T> {
        PcSessions {
            cookie,
            path: Arc::from("/"),
            lifetime: lifetime.min(MAX_IDLE_SECS),
            store,
            who: PhantomData,
        }
    }

    /// The same logins with their cookie sent only below `path`.
    pub fn under(mut self, path: &str) -> PcSessions<T> {
        self.path = Arc::from(path);
        self
    }

    /// Starts a session; returns it and its `Set-Cookie` value.
    pub fn start(&self, who: T) -> (PcSession<T>, HeaderValue) {
        let csrf = crate::random::token_hex(16);
        let id = self.store.insert(
            0,
            PcLogin {
                cookie: self.cookie,
                who: Box::new(who.clone()),
                csrf: csrf.clone(),
            },
        );
        let cookie = format!(
            "{}={id}; HttpOnly; SameSite=Strict; Path={}",
            self.cookie, self.path
        );
        let value = HeaderValue::from_str(&cookie).expect("hex ids make a valid header");
        (PcSession { id, who, csrf }, value)
    }

    /// The session named by the request's cookie, if it is live.
    pub fn find(&self, headers: &HeaderMap) -> Option<PcSession<T>> {
        let prefix = format!("{}=", self.cookie);
        // A browser sends every cookie of that name whose path covers the
        // request (the default world's and a world's own): the first one
        // this store knows is the login.
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().strip_prefix(&prefix).and_then(SessionId::parse))
            .find_map(|id| {
                let (who, csrf) = self
                    .store
                    .touch_within(&id, self.lifetime, |login| {
                        (login.cookie == self.cookie)
                            .then(|| login.who.downcast_ref::<T>().cloned())
                            .flatten()
                            .map(|who| (who, login.csrf.clone()))
                    })
                    .flatten()?;
                Some(PcSession { id, who, csrf })
            })
    }

    /// Ends a session; returns the `Set-Cookie` value that clears the cookie.
    pub fn end(&self, id: &SessionId) -> HeaderValue {
        self.store.remove(id);
        let cookie = format!(
            "{}=; HttpOnly; SameSite=Strict; Path={}; Max-Age=0",
            self.cookie, self.path
        );
        HeaderValue::from_str(&cookie).expect("a fixed cookie is a valid header")
    }

    /// Ends every session of this site for which `pred` holds.
    pub fn end_where(&self, pred: impl Fn(&T) -> bool) {
        let cookie = self.cookie;
        self.store.remove_where(|login| {
            login.cookie == cookie && login.who.downcast_ref::<T>().is_some_and(&pred)
        });
    }
}

/// A 303 to `location` that also sets (or clears) a session cookie.
pub fn see_other(cookie: HeaderValue, location: &'static str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (header::LOCATION, HeaderValue::from_static(location)),
        ],
    )
        .into_response()
}

/// Reads a posted PC form (UTF-8) and checks its CSRF field.
pub fn check_csrf(
    csrf: &str,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<crate::handset::FormData, crate::error::AppError> {
    let form = crate::web::page::read_form(body, crate::handset::Charset::Utf8)?;
    if !crate::random::constant_time_eq(form.text("csrf")?.as_bytes(), csrf.as_bytes()) {
        return Err(crate::error::AppError::StaleForm);
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(value: String) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&value).unwrap());
        headers
    }

    #[test]
    fn a_session_is_found_by_its_cookie_and_survives_a_simulated_clock_jump() {
        let clock = Clock::default();
        let sessions = PcSessions::new(pc_logins(&clock, 10), "t", 60);
        let (s, cookie) = sessions.start(7);
        assert!(cookie
            .to_str()
            .unwrap()
            .contains("HttpOnly; SameSite=Strict"));
        let headers = with_cookie(format!("other=1; t={}", s.id));
        assert_eq!(sessions.find(&headers).unwrap().who, 7);
        clock.advance(86_400).unwrap();
        assert!(sessions.find(&headers).is_some());
    }

    #[test]
    fn an_expired_session_is_not_found() {
        let clock = Clock::default();
        let sessions = PcSessions::new(pc_logins(&clock, 10), "t", 0);
        let (s, _) = sessions.start(7);
        assert!(sessions.find(&with_cookie(format!("t={}", s.id))).is_none());
    }

    #[test]
    fn an_ended_session_is_gone() {
        let clock = Clock::default();
        let sessions = PcSessions::new(pc_logins(&clock, 10), "t", 60);
        let (s, _) = sessions.start("x".to_string());
        sessions.end(&s.id);
        assert!(sessions.find(&with_cookie(format!("t={}", s.id))).is_none());
    }

    #[test]
    fn sites_share_one_bounded_store_and_never_see_each_others_logins() {
        let clock = Clock::default();
        let store = pc_logins(&clock, 2);
        let admin: PcSessions<()> = PcSessions::new(store.clone(), "a", 60);
        let shop: PcSessions<String> = PcSessions::new(store.clone(), "s", 60);
        let (first, _) = admin.start(());
        let (staff, _) = shop.start("staff01".into());
        assert!(shop.find(&with_cookie(format!("s={}", first.id))).is_none());
        assert!(admin
            .find(&with_cookie(format!("a={}", staff.id)))
            .is_none());
        let (third, _) = admin.start(());
        assert_eq!(store.len(), 2, "the oldest login was forgotten");
        assert!(admin
            .find(&with_cookie(format!("a={}", first.id)))
            .is_none());
        assert!(admin
            .find(&with_cookie(format!("a={}", third.id)))
            .is_some());
        assert!(shop.find(&with_cookie(format!("s={}", staff.id))).is_some());
    }
}
