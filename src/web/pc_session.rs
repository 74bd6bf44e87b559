//! Logins of the PC sites (admin console, My docomo, docomo Shop counter): a
//! random id in an HttpOnly, SameSite=Strict cookie, what it stands for, a CSRF
//! token for its forms, and an expiry in real time (moving the simulated clock
//! forward must not log QA out of the console). Handset pages never use this:
//! they carry their session in the URL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{header, HeaderMap, HeaderValue};

use crate::clock::Clock;

/// Real time: the simulated clock without the QA offset.
fn real_now(clock: &Clock) -> i64 {
    clock.now() - clock.offset()
}

/// One logged-in PC session.
#[derive(Clone, Debug)]
pub struct PcSession<T> {
    pub id: String,
    pub who: T,
    pub csrf: String,
}

/// A live session: who, CSRF token, expiry.
type Entry<T> = (T, String, i64);

/// The sessions of one PC site, under one cookie name.
#[derive(Clone)]
pub struct PcSessions<T> {
    cookie: &'static str,
    lifetime: i64,
    map: Arc<Mutex<HashMap<String, Entry<T>>>>,
}

impl<T: Clone> PcSessions<T> {
    pub fn new(cookie: &'static str, lifetime: i64) -> PcSessions<T> {
        PcSessions {
            cookie,
            lifetime,
            map: Arc::default(),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<T>>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session; returns it and its `Set-Cookie` value.
    pub fn start(&self, who: T, clock: &Clock) -> (PcSession<T>, HeaderValue) {
        let id = crate::random::token_hex(16);
        let csrf = crate::random::token_hex(16);
        self.map().insert(
            id.clone(),
            (who.clone(), csrf.clone(), real_now(clock) + self.lifetime),
        );
        let cookie = format!("{}={id}; HttpOnly; SameSite=Strict; Path=/", self.cookie);
        let value = HeaderValue::from_str(&cookie).expect("hex ids make a valid header");
        (PcSession { id, who, csrf }, value)
    }

    /// The session named by the request's cookie, if it is live.
    pub fn find(&self, headers: &HeaderMap, clock: &Clock) -> Option<PcSession<T>> {
        let prefix = format!("{}=", self.cookie);
        let id = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix(&prefix).map(str::to_owned))?;
        let mut map = self.map();
        match map.get(&id) {
            Some((who, csrf, expires)) if *expires > real_now(clock) => Some(PcSession {
                who: who.clone(),
                csrf: csrf.clone(),
                id,
            }),
            Some(_) => {
                map.remove(&id);
                None
            }
            None => None,
        }
    }

    /// Ends a session; returns the `Set-Cookie` value that clears the cookie.
    pub fn end(&self, id: &str) -> HeaderValue {
        self.map().remove(id);
        let cookie = format!(
            "{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
            self.cookie
        );
        HeaderValue::from_str(&cookie).expect("a fixed cookie is a valid header")
    }

    /// Ends every session for which `pred` holds.
    pub fn end_where(&self, pred: impl Fn(&T) -> bool) {
        self.map().retain(|_, (who, _, _)| !pred(who));
    }
}

/// The outcome of a throttled password login.
pub enum LoginCheck<T> {
    /// Too many failures: try again in this many seconds (nothing was checked).
    Wait(i64),
    Ok(T),
    /// Unknown account or wrong password: the same answer, the same Argon2 work.
    Failed,
}

/// Checks a password login, throttled per `key` (waits grow after failures on
/// the simulated clock). `lookup` finds the account: what to hand back on
/// success, and its stored hash.
pub async fn check_login<T: Send + 'static>(
    state: &super::AppState,
    key: String,
    password: String,
    lookup: impl FnOnce(&rusqlite::Connection) -> Result<Option<(T, String)>, crate::error::AppError>
        + Send
        + 'static,
) -> Result<LoginCheck<T>, crate::error::AppError> {
    use crate::store::throttle;
    let now = state.clock.now();
    let wait_key = key.clone();
    let (wait, account) = state
        .db
        .call(move |conn| Ok((throttle::wait(conn, &wait_key, now)?, lookup(conn)?)))
        .await?;
    if wait > 0 {
        return Ok(LoginCheck::Wait(wait));
    }
    let (who, stored) = match account {
        Some((who, hash)) => (Some(who), Some(hash)),
        None => (None, None),
    };
    let ok = crate::pin::check_password(&state.pins, stored, password).await?;
    match who.filter(|_| ok) {
        Some(who) => {
            state
                .db
                .call(move |conn| throttle::clear(conn, &key))
                .await?;
            Ok(LoginCheck::Ok(who))
        }
        None => {
            state
                .db
                .call(move |conn| throttle::fail(conn, &key, now).map(|_| ()))
                .await?;
            Ok(LoginCheck::Failed)
        }
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
    let form = super::page::read_form(body, crate::handset::Charset::Utf8)?;
    if !super::api::constant_time_eq(form.text("csrf")?.as_bytes(), csrf.as_bytes()) {
        return Err(crate::error::AppError::StaleForm);
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_by_its_cookie_and_survives_a_simulated_clock_jump() {
        let clock = Clock::default();
        let sessions = PcSessions::new("t", 60);
        let (s, cookie) = sessions.start(7, &clock);
        assert!(cookie
            .to_str()
            .unwrap()
            .contains("HttpOnly; SameSite=Strict"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; t={}", s.id)).unwrap(),
        );
        assert_eq!(sessions.find(&headers, &clock).unwrap().who, 7);
        clock.advance(86_400);
        assert!(sessions.find(&headers, &clock).is_some());
    }

    #[test]
    fn an_expired_session_is_not_found() {
        let clock = Clock::default();
        let sessions = PcSessions::new("t", 0);
        let (s, _) = sessions.start(7, &clock);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("t={}", s.id)).unwrap(),
        );
        assert!(sessions.find(&headers, &clock).is_none());
    }

    #[test]
    fn an_ended_session_is_gone() {
        let clock = Clock::default();
        let sessions = PcSessions::new("t", 60);
        let (s, _) = sessions.start("x".to_string(), &clock);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("t={}", s.id)).unwrap(),
        );
        sessions.end(&s.id);
        assert!(sessions.find(&headers, &clock).is_none());
    }
}
