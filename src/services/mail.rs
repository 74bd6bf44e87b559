//! Sending mail: the one path every mail takes (handset compose, the API,
//! carrier notices, partner sites' mail). Carrier addresses go through the
//! delivery rules (`mail::delivery`, pure) into a mailbox; anything else
//! lands in the outbox. Every decision is logged.

use rusqlite::Connection;

use super::Ctx;
use crate::error::AppError;
use crate::mail::address::MAIL_DOMAIN;
use crate::mail::delivery::{self, Decision, Recipient, MAILBOX_FULL};
use crate::mail::message::{new_message_id, Mail, Outcome};
use crate::mail::notices::{Notice, NOTICE_SENDER};
use crate::mail::rejection::Mode;
use crate::store::{self, audit, lines, throttle, write_tx};

/// The line whose current address has local part `local`, as the delivery
/// rules see it.
fn recipient(conn: &Connection, local: &str) -> Result<Option<Recipient>, store::Error> {
    Ok(lines::mail_settings(conn, local)?.map(|line| Recipient {
        line_id: line.line_id,
        msisdn: line.msisdn,
        mail_local: line.mail_local,
        suspended: line.suspended,
        mode: Mode::parse(&line.rejection_mode).unwrap_or(Mode::Off),
        list: line.list,
        secret_code: line.secret_code,
    }))
}

/// Sends one mail inside the caller's transaction. The caller has checked the
/// addresses with `valid_address`.
pub fn send(conn: &Connection, now: i64, mail: &Mail<'_>) -> Result<Outcome, store::Error> {
    let log = |line: Option<&str>, status: &str, reason: Option<&str>| {
        store::mail::log(conn, now, mail.from, mail.to, line, status, reason)
    };
    let (local, domain) = mail.to.rsplit_once('@').unwrap_or((mail.to, ""));
    if !domain.eq_ignore_ascii_case(MAIL_DOMAIN) {
        // Pictograms exist only inside the carrier: what leaves it carries 〓.
        let subject = crate::handset::pictograms::to_geta(mail.subject);
        let body = crate::handset::pictograms::to_geta(mail.body);
        let message_id = new_message_id(now);
        store::mail::add_outgoing(conn, now, mail.from, mail.to, &subject, &body, &message_id)?;
        log(None, "outbox", None)?;
        return Ok(Outcome {
            status: "outbox",
            reason: None,
        });
    }
    // The rules are pure; a database error during a look-up is kept and
    // returned instead of the decision.
    let mut failure = None;
    let decision = delivery::decide(local, mail.from, mail.system, |l| {
        match recipient(conn, &l.to_ascii_lowercase()) {
            Ok(found) => found,
            Err(e) => {
                failure = Some(e);
                None
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    match decision {
        Decision::Deliver { line_id, msisdn } if store::mail::mailbox_full(conn, line_id)? => {
            log(Some(&msisdn), "rejected", Some(MAILBOX_FULL))?;
            Ok(Outcome {
                status: "rejected",
                reason: Some(MAILBOX_FULL),
            })
        }
        Decision::Deliver { line_id, msisdn } => {
            let to = mail.to.to_ascii_lowercase();
            store::mail::put_in_mailbox(
                conn,
                line_id,
                now,
                mail.from,
                &to,
                mail.subject,
                mail.body,
            )?;
            log(Some(&msisdn), "delivered", None)?;
            Ok(Outcome {
                status: "delivered",
                reason: None,
            })
        }
        Decision::Reject { reason, msisdn } => {
            log(msisdn.as_deref(), "rejected", Some(reason.as_str()))?;
            Ok(Outcome {
                status: "rejected",
                reason: Some(reason.as_str()),
            })
        }
    }
}

/// The line whose current address `from` is, if any: its id and number.
fn sender_line(conn: &Connection, from: &str) -> Result<Option<(i64, String)>, store::Error> {
    let Some((local, domain)) = from.rsplit_once('@') else {
        return Ok(None);
    };
    if !domain.eq_ignore_ascii_case(MAIL_DOMAIN) {
        return Ok(None);
    }
    lines::by_mail_local(conn, &local.to_ascii_lowercase())
}

/// Sends a mail a subscriber wrote (the handset, or the API on a line's
/// behalf), inside the caller's transaction, counted first against the
/// sending line's rate. `Err(wait)`: the line has sent its limit for now and
/// nothing was sent; the refusal is counted in the audit log's summary of
/// `send_mail` from `source` for the minute.
pub fn send_limited(
    conn: &Connection,
    now: i64,
    mail: &Mail<'_>,
    rate: throttle::Policy,
    source: &str,
) -> Result<Result<Outcome, i64>, store::Error> {
    if let Some((line, msisdn)) = sender_line(conn, mail.from)? {
        let key = throttle::key("mail-line", &line.to_string());
        if let throttle::Reserved::Wait(wait) = throttle::reserve(conn, &key, rate, now)? {
            let msisdn = crate::domain::Msisdn::parse(&msisdn);
            let outcome = audit::Outcome::Throttled;
            audit::summarise(
                conn,
                now,
                msisdn.as_ref(),
                audit::Action::SendMail,
                outcome,
                source,
            )?;
            return Ok(Err(wait));
        }
    }
    send(conn, now, mail).map(Ok)
}

/// Sends a system notice to a line's current address, inside the caller's
/// transaction.
pub fn notify(
    conn: &Connection,
    line_id: i64,
    now: i64,
    notice: &Notice,
) -> Result<Outcome, store::Error> {
    let to = format!("{}@{MAIL_DOMAIN}", lines::mail_local(conn, line_id)?);
    send(
        conn,
        now,
        &Mail {
            from: NOTICE_SENDER,
            to: &to,
            subject: notice.subject,
            body: &notice.body,
            system: true,
        },
    )
}

/// A mail as its writer gave it (checked by the caller: `valid_address`,
/// `mail::message::check`).
#[derive(Clone, Debug)]
pub struct Draft {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Sends a mail written on a line's handset, from the line's current
/// address, within the line's rate. `Err(wait)`: the line has sent its
/// limit for now; nothing was sent.
pub async fn compose(
    cx: &Ctx<'_>,
    line_id: i64,
    draft: Draft,
    rate: throttle::Policy,
) -> Result<Result<Outcome, i64>, AppError> {
    let now = cx.clock.now();
    cx.db
        .call(move |conn| {
            let tx = write_tx(conn)?;
            let from = format!("{}@{MAIL_DOMAIN}", lines::mail_local(&tx, line_id)?);
            let outcome = send_limited(&tx, now, &mail_of(&from, &draft), rate, "handset")?;
            tx.commit()?;
            Ok(outcome)
        })
        .await
}

/// Sends a mail from any address (the QA API), within the rate of the line
/// it is from, if it is from one; `source` names the client in the audit
/// log. `Err(wait)`: that line has sent its limit for now; nothing was sent.
pub async fn send_as(
    cx: &Ctx<'_>,
    from: String,
    draft: Draft,
    rate: throttle::Policy,
    source: String,
) -> Result<Result<Outcome, i64>, AppError> {
    let now = cx.clock.now();
    cx.db
        .call(move |conn| {
            let tx = write_tx(conn)?;
            let outcome = send_limited(&tx, now, &mail_of(&from, &draft), rate, &source)?;
            tx.commit()?;
            Ok(outcome)
        })
        .await
}

fn mail_of<'a>(from: &'a str, draft: &'a Draft) -> Mail<'a> {
    Mail {
        from,
        to: &draft.to,
        subject: &draft.subject,
        body: &draft.body,
        system: false,
    }
}

/// What asking to relay an outbox message again came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resend {
    NoSuchMessage,
    /// No SMTP relay is configured: nothing was queued.
    NoRelay,
    /// A relay attempt is under way: try again when it ends.
    UnderWay,
    /// Queued for the relay again, its attempts from zero.
    Queued,
}

/// Queues an outbox message for the SMTP relay again at once (a resend asked
/// for by hand, from the API or the console).
pub async fn resend(cx: &Ctx<'_>, id: i64) -> Result<Resend, AppError> {
    use crate::store::server::{self, Setting};
    let now = cx.clock.now();
    cx.db
        .call(move |conn| {
            let tx = write_tx(conn)?;
            if store::mail::outbox_one(&tx, id)?.is_none() {
                return Ok(Resend::NoSuchMessage);
            }
            let answer = if !server::has(&tx, Setting::SmtpRelay)? {
                Resend::NoRelay
            } else if store::mail::relay_again(&tx, id, now)? {
                Resend::Queued
            } else {
                Resend::UnderWay
            };
            tx.commit()?;
            Ok(answer)
        })
        .await
}
