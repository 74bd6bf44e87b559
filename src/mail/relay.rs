//! Optional relay of outbox mail to a real SMTP server (`--smtp-relay HOST:PORT`,
//! e.g. Mailpit). A background worker sends each outbox message, exactly the
//! RFC 5322 text the outbox shows. Each attempt is recorded before it is made
//! (so a message garake stops in the middle of is not sent again). An attempt
//! that fails before the whole message is handed over (no connection, a
//! refused command, a connection lost before the message's end) or that the
//! relay answers with a refusal is tried again after 1 s, 5 s, 30 s, 2 min and
//! 10 min, then given up. Once the message's end is written the relay may hold
//! it, so when no answer confirms it (the connection dropped, or no answer in
//! time) it is failed at once and never sent again automatically: sending it
//! again is left to a person. The state, the attempts and the last error are
//! in the outbox page and API. Without the flag no mail ever leaves the machine.

use std::future::Future;
use std::time::Duration;

use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::Address;

use crate::error::AppError;
use crate::store::mail::{self as outbox, Attempt, Outgoing};
use crate::store::Db;

/// How often the worker looks for new outbox mail.
const POLL: Duration = Duration::from_millis(250);

/// How long each step of an exchange waits for the relay, unless told.
const STEP_WAIT: Duration = Duration::from_secs(10);

/// A plain-SMTP relay target (no TLS, no auth: a local test server).
#[derive(Clone)]
pub struct Relay {
    host: String,
    port: u16,
    /// How long each step (connecting, each command, the message) waits.
    wait: Duration,
}

/// Why an attempt did not relay the message.
#[derive(Debug)]
enum Failure {
    /// The relay did not take it: it refused it, or the exchange failed
    /// before the message's end was written. Worth another try.
    NotTaken(String),
    /// The whole message was handed over and no answer confirmed it: the
    /// relay may hold it. The cause, for the log.
    Unconfirmed(String),
}

impl Relay {
    /// `addr` is `HOST:PORT`.
    pub fn new(addr: &str) -> Result<Relay, String> {
        let (host, port) = addr
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
            .ok_or_else(|| format!("--smtp-relay wants HOST:PORT, got `{addr}`"))?;
        Ok(Relay {
            host: host.to_string(),
            port,
            wait: STEP_WAIT,
        })
    }

    /// The same relay with another wait for each step (10 s unless told).
    pub fn with_wait(mut self, wait: Duration) -> Relay {
        self.wait = wait;
        self
    }

    /// One step of the exchange, within the wait.
    async fn step<T>(
        &self,
        step: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
    ) -> Result<T, String> {
        match tokio::time::timeout(self.wait, step).await {
            Ok(done) => done.map_err(|e| e.to_string()),
            Err(_) => Err(format!("no answer within {} s", self.wait.as_secs_f32())),
        }
    }

    /// One attempt: connect, greeting and EHLO, MAIL, RCPT, DATA, the
    /// message. Each failure is told by the step it happened at.
    async fn send(&self, m: &Outgoing) -> Result<(), Failure> {
        let from: Address = m
            .from
            .parse()
            .map_err(|e| Failure::NotTaken(format!("from: {e}")))?;
        let to: Address =
            m.to.parse()
                .map_err(|e| Failure::NotTaken(format!("to: {e}")))?;
        let raw = super::rfc5322::render(m);
        let mut conn = self
            .step(AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(self.wait),
                &ClientId::default(),
                None,
                None,
            ))
            .await
            .map_err(Failure::NotTaken)?;
        let result = self.exchange(&mut conn, from, to, &raw).await;
        // The connection is closed either way; its last words change nothing.
        let _ = tokio::time::timeout(self.wait, async {
            match result {
                Ok(()) => drop(conn.quit().await),
                Err(_) => conn.abort().await,
            }
        })
        .await;
        result
    }

    /// The envelope and the message on an open connection.
    async fn exchange(
        &self,
        conn: &mut AsyncSmtpConnection,
        from: Address,
        to: Address,
        raw: &str,
    ) -> Result<(), Failure> {
        // As lettre's own send: SMTPUTF8 for non-ASCII addresses, 8BITMIME
        // for a non-ASCII message (the outbox renders ASCII, so neither is
        // expected), refused before anything is sent without them.
        let mut options = Vec::new();
        let ascii = |a: &Address| AsRef::<str>::as_ref(a).is_ascii();
        if !(ascii(&from) && ascii(&to)) {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(Failure::NotTaken(
                    "non-ASCII addresses and the relay has no SMTPUTF8".into(),
                ));
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !raw.is_ascii() {
            if !conn.server_info().supports_feature(Extension::EightBitMime) {
                return Err(Failure::NotTaken(
                    "a non-ASCII message and the relay has no 8BITMIME".into(),
                ));
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        self.step(conn.command(Mail::new(Some(from), options)))
            .await
            .map_err(Failure::NotTaken)?;
        self.step(conn.command(Rcpt::new(to, vec![])))
            .await
            .map_err(Failure::NotTaken)?;
        self.step(conn.command(Data))
            .await
            .map_err(Failure::NotTaken)?;
        // The text goes as one part; asking for the part after it means it
        // was written, and only the final dot and the answer are left.
        let mut handed_over = false;
        let text = std::iter::once(raw.as_bytes()).chain(std::iter::from_fn(|| {
            handed_over = true;
            None
        }));
        let answer = tokio::time::timeout(self.wait, conn.message_iter(text)).await;
        match answer {
            Ok(Ok(_)) => Ok(()),
            // A refusal of the message is an answer: the relay did not take it.
            Ok(Err(e)) if e.status().is_some() => Err(Failure::NotTaken(e.to_string())),
            Ok(Err(e)) if handed_over => Err(Failure::Unconfirmed(e.to_string())),
            Ok(Err(e)) => Err(Failure::NotTaken(e.to_string())),
            Err(_) => {
                let waited = format!("no answer within {} s", self.wait.as_secs_f32());
                Err(match handed_over {
                    true => Failure::Unconfirmed(waited),
                    false => Failure::NotTaken(waited),
                })
            }
        }
    }
}

/// Sends every outbox message that is due; returns how many were relayed.
pub async fn relay_due(db: &Db, relay: &Relay, now: i64) -> Result<usize, AppError> {
    let due = db
        .call(move |conn| Ok(outbox::relay_due(conn, now, 50)?))
        .await?;
    let mut sent = 0;
    for m in due {
        let id = m.id;
        // The attempt is on record before the message leaves.
        if !db
            .call(move |conn| Ok(outbox::claim_relay(conn, id)?))
            .await?
        {
            continue;
        }
        let attempt = match relay.send(&m).await {
            Ok(()) => {
                sent += 1;
                Attempt::Relayed
            }
            Err(Failure::NotTaken(e)) => {
                tracing::warn!(id, to = %m.to, error = %e, "SMTP relay failed");
                Attempt::NotTaken(e)
            }
            Err(Failure::Unconfirmed(e)) => {
                tracing::warn!(
                    id,
                    to = %m.to,
                    error = %e,
                    "the SMTP relay took the message but did not confirm it: not sent again automatically"
                );
                Attempt::Unconfirmed
            }
        };
        db.call(move |conn| Ok(outbox::relay_done(conn, id, now, &attempt)?))
            .await?;
    }
    Ok(sent)
}

/// The worker: relays outbox mail as it becomes due, until stopped.
pub async fn run(db: Db, relay: Relay, clock: crate::clock::Clock) {
    match db.call(|conn| Ok(outbox::relay_interrupted(conn)?)).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            n,
            "outbox messages were mid-send when garake last stopped: marked failed, not resent"
        ),
        Err(e) => tracing::warn!(error = ?e, "cannot check for interrupted relay attempts"),
    }
    loop {
        if let Err(e) = relay_due(&db, &relay, clock.now()).await {
            tracing::warn!(error = ?e, "SMTP relay pass failed");
        }
        tokio::time::sleep(POLL).await;
    }
}
