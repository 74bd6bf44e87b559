//! The actions behind the i-mode password ("When to Enter Your i-mode
//! Password"): each checked by the PIN gate and applied in its transaction.
//! The settings and site actions are a `Change` (parsed and shown by
//! `web::protected`); a new i-mode password is its own use case.

use std::convert::Infallible;

use rusqlite::Connection;

use super::gate::{gate, GateOutcome, GateRequest};
use super::{mail, Ctx, Line};
use crate::domain::Pin;
use crate::error::AppError;
use crate::mail::address::MailLocal;
use crate::mail::notices;
use crate::mail::rejection::Mode;
use crate::store::audit::Action;
use crate::store::lines::{self, SecretKind};
use crate::store::{self, sites};

/// A validated change, ready to confirm and apply.
#[derive(Clone, Debug)]
pub enum Change {
    Rejection {
        mode: Mode,
        list: Vec<String>,
    },
    Address(MailLocal),
    Suspend(bool),
    SecretCode(String),
    Messages {
        r: bool,
        f: bool,
    },
    IdNotification(bool),
    MyMenu {
        site: String,
        register: bool,
    },
    Subscription {
        site: String,
        fee: u32,
        subscribe: bool,
    },
}

impl Change {
    /// Subscribing to (or leaving) a fee-based site: also how the gateway's
    /// official-site registration charges, through the same ledger.
    pub fn subscription(site: &crate::menu::Site, subscribe: bool) -> Change {
        Change::Subscription {
            site: site.id.clone(),
            fee: site.fee,
            subscribe,
        }
    }
}

/// Why a change was refused although the password was right: nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Another line has that mail address.
    AddressTaken,
    AlreadyRegistered,
    NotRegistered,
    AlreadySubscribed,
    NotSubscribed,
}

/// Applies a change inside the gate's transaction; `Ok(Err(why))` refuses.
fn apply_change(
    conn: &Connection,
    change: Change,
    line_id: i64,
    now: i64,
) -> Result<Result<(), Refusal>, store::Error> {
    let refuse_unless = |done: bool, why: Refusal| if done { Ok(()) } else { Err(why) };
    Ok(match change {
        Change::Rejection { mode, list } => {
            Ok(lines::set_rejection(conn, line_id, mode.as_str(), &list)?)
        }
        Change::Address(local) => refuse_unless(
            lines::set_mail_local(conn, line_id, local.as_str())?,
            Refusal::AddressTaken,
        ),
        Change::Suspend(b) => Ok(lines::set_suspended(conn, line_id, b)?),
        Change::SecretCode(code) => Ok(lines::set_secret_code(conn, line_id, &code)?),
        Change::Messages { r, f } => Ok(lines::set_message_service(conn, line_id, r, f)?),
        Change::IdNotification(on) => Ok(lines::set_id_notification(conn, line_id, on)?),
        Change::MyMenu {
            site,
            register: true,
        } => refuse_unless(
            sites::register(conn, line_id, &site, now)?,
            Refusal::AlreadyRegistered,
        ),
        Change::MyMenu {
            site,
            register: false,
        } => refuse_unless(
            sites::unregister(conn, line_id, &site)?,
            Refusal::NotRegistered,
        ),
        Change::Subscription {
            site,
            fee,
            subscribe: true,
        } => {
            let Some(settlement_no) = sites::subscribe(conn, line_id, &site, i64::from(fee), now)?
            else {
                return Ok(Err(Refusal::AlreadySubscribed));
            };
            // A subscribed site also appears in My Menu, as on the real service.
            sites::register(conn, line_id, &site, now)?;
            let notice = notices::subscribed(&site, fee, &settlement_no);
            mail::notify(conn, line_id, now, &notice)?;
            Ok(())
        }
        Change::Subscription {
            site,
            subscribe: false,
            ..
        } => {
            let ended = sites::unsubscribe(conn, line_id, &site, now)?;
            sites::unregister(conn, line_id, &site)?;
            refuse_unless(ended, Refusal::NotSubscribed)
        }
    })
}

/// Applies a change behind the line's i-mode password `pin` (as typed):
/// the gate counts, locks and audits it as `action` from `source`, all in
/// one transaction with the change. The protected actions' pages and the
/// gateway's official-site registration.
pub async fn apply(
    cx: &Ctx<'_>,
    line: &Line,
    action: Action<'static>,
    source: String,
    change: Change,
    pin: &str,
) -> Result<GateOutcome<(), Refusal>, AppError> {
    let request = GateRequest {
        line_id: line.id,
        msisdn: line.msisdn.clone(),
        action,
        source,
        kind: SecretKind::ImodePassword,
    };
    let line_id = line.id;
    gate(
        cx,
        request,
        pin,
        |_| (),
        move |conn, (), now| apply_change(conn, change, line_id, now),
    )
    .await
}

/// Sets a new i-mode password behind the current one (`pin`, as typed) and
/// mails the line a notice of it.
pub async fn change_imode_password(
    cx: &Ctx<'_>,
    line: &Line,
    new_pin: Pin,
    pin: &str,
) -> Result<GateOutcome<(), Infallible>, AppError> {
    let request = GateRequest {
        line_id: line.id,
        msisdn: line.msisdn.clone(),
        action: Action::ChangeImodePassword,
        source: "handset".into(),
        kind: SecretKind::ImodePassword,
    };
    let line_id = line.id;
    gate(
        cx,
        request,
        pin,
        move |slot| slot.hash(new_pin.expose()),
        move |conn, new_hash: String, now| {
            lines::set_pin_hash(conn, line_id, &new_hash)?;
            mail::notify(conn, line_id, now, &notices::password_changed())?;
            Ok(Ok(()))
        },
    )
    .await
}
