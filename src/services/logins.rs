//! Password logins of the PC sites (My docomo with the d ACCOUNT, the docomo
//! Shop counter's staff) and the admin token: each throttled, the attempt
//! reserved before anything is checked, a refusal counted in the audit
//! log's summary of the minute.

use rusqlite::Connection;

use super::Ctx;
use crate::domain::Msisdn;
use crate::error::AppError;
use crate::store::audit::{self, Action, Outcome};
use crate::store::throttle::{self, Reserved};
use crate::store::{self, lines, staff, write_tx};

/// The outcome of a throttled password login.
#[derive(Debug, PartialEq, Eq)]
pub enum Login<T> {
    /// Too many failures: try again in this many seconds (nothing was checked).
    Wait(i64),
    Ok(T),
    /// Unknown account or wrong password: the same answer, the same Argon2 work.
    Failed,
}

/// Checks a password login, throttled per `key`: the attempt is reserved
/// before Argon2 runs (simultaneous attempts get no more checks than
/// sequential ones), and an unknown account costs the same one check as a
/// wrong password. A refused attempt is counted in the audit log's summary
/// of `action` from `source` for the minute, not written on its own.
/// `lookup` finds the account: what to hand back on success, and its stored
/// hash.
async fn check<T: Send + 'static>(
    cx: &Ctx<'_>,
    key: String,
    (action, source): (Action<'static>, String),
    password: String,
    lookup: impl FnOnce(&Connection) -> Result<Option<(T, String)>, store::Error> + Send + 'static,
) -> Result<Login<T>, AppError> {
    let now = cx.clock.now();
    // One check of this account at a time; then a slot (a busy pool answers
    // "busy" without counting an attempt).
    let admitted = cx.pins.admit(Some(key.clone())).await?;
    let reserve_key = key.clone();
    let (reserved, account) = cx
        .db
        .call(move |conn| {
            let reserved = throttle::reserve(conn, &reserve_key, throttle::LOGIN, now)?;
            if !reserved.is_go() {
                audit::summarise(conn, now, None, action, Outcome::Throttled, &source)?;
                return Ok((reserved, None));
            }
            Ok((reserved, lookup(conn)?))
        })
        .await?;
    if let Reserved::Wait(wait) = reserved {
        return Ok(Login::Wait(wait));
    }
    let (who, stored) = match account {
        Some((who, hash)) => (Some(who), Some(hash)),
        None => (None, None),
    };
    let ok = cx
        .pins
        .run_with(admitted.permit, move |slot| {
            slot.verify_or_dummy(&password, stored.as_deref())
        })
        .await;
    match who.filter(|_| ok) {
        Some(who) => {
            cx.db
                .call(move |conn| Ok(throttle::clear(conn, &key)?))
                .await?;
            Ok(Login::Ok(who))
        }
        None => Ok(Login::Failed),
    }
}

/// My docomo's login with a d ACCOUNT ID (lower case) and its password,
/// from the client at address `client`: the line it is of. Audited as
/// `mydocomo_login` (a throttled attempt only in the minute's summary).
pub async fn mydocomo(
    cx: &Ctx<'_>,
    daccount_id: String,
    password: String,
    client: &str,
) -> Result<Login<(i64, Msisdn)>, AppError> {
    let now = cx.clock.now();
    let key = format!("daccount:{daccount_id}");
    let throttled = (Action::MydocomoLogin, format!("mydocomo:{client}"));
    let check = check(cx, key, throttled, password, move |conn| {
        let found = lines::by_daccount(conn, &daccount_id)?;
        Ok(found.map(|(line_id, msisdn, hash)| ((line_id, msisdn), hash)))
    })
    .await?;
    let (outcome, line) = match &check {
        Login::Wait(_) => return Ok(check),
        Login::Ok((_, msisdn)) => (Outcome::Ok, Some(msisdn.clone())),
        Login::Failed => (Outcome::Refused, None),
    };
    cx.db
        .call(move |conn| {
            Ok(audit::record(
                conn,
                now,
                line.as_ref(),
                Action::MydocomoLogin,
                outcome,
                "mydocomo",
            )?)
        })
        .await?;
    Ok(check)
}

/// The docomo Shop counter's staff login, from the client at `client`.
pub async fn shop_staff(
    cx: &Ctx<'_>,
    staff_id: String,
    password: String,
    client: &str,
) -> Result<Login<()>, AppError> {
    let key = format!("staff:{staff_id}");
    let throttled = (Action::ShopLogin, format!("shop:{client}"));
    check(cx, key, throttled, password, move |conn| {
        let stored = staff::password_hash(conn, &staff_id)?;
        Ok(stored.map(|hash| ((), hash)))
    })
    .await
}

/// What an admin token check came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    Right,
    /// Counted against the client address and audited as a wrong token.
    Wrong,
    /// Too many wrong tokens from this address: try again in this many seconds.
    Throttled(i64),
}

/// Checks an admin token together with its throttle, in one transaction. A
/// client address with too many wrong tokens this minute is refused
/// whatever it sends, counted in the minute's `throttled` summary of
/// `admin_login`, never a row of its own; every wrong token is counted and
/// audited (`admin_login`, `wrong_token`). `right`: whether the token given
/// is the admin token; `who` names the door and the client
/// (`api:ADDRESS`, `console:ADDRESS`).
pub async fn admin_token(
    cx: &Ctx<'_>,
    right: bool,
    client: &str,
    who: String,
    policy: throttle::Policy,
) -> Result<Token, AppError> {
    let key = throttle::key("admin-token", client);
    let now = cx.clock.now();
    cx.db
        .call(move |conn| {
            let tx = write_tx(conn)?;
            if let Reserved::Wait(wait) = throttle::allowed(&tx, &key, policy, now)? {
                audit::summarise(&tx, now, None, Action::AdminLogin, Outcome::Throttled, &who)?;
                tx.commit()?;
                return Ok(Token::Throttled(wait));
            }
            if right {
                return Ok(Token::Right);
            }
            // Inside this transaction the check above said the address may
            // try: the reservation cannot be refused.
            throttle::reserve(&tx, &key, policy, now)?;
            audit::record(
                &tx,
                now,
                None,
                Action::AdminLogin,
                Outcome::WrongToken,
                &who,
            )?;
            tx.commit()?;
            Ok(Token::Wrong)
        })
        .await
}
