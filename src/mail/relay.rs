//! Optional relay of outbox mail to a real SMTP server (`--smtp-relay HOST:PORT`,
//! e.g. Mailpit). A background worker sends each outbox message, exactly the
//! RFC 5322 text the outbox shows. Each attempt is recorded before it is made
//! (so no message is ever sent twice); a failed one is tried again after 1 s,
//! 5 s, 30 s, 2 min and 10 min, then given up; the state, the attempts and the
//! last error are in the outbox page and API. Without the flag no mail ever
//! leaves the machine.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::store::{self, Outgoing};
use crate::error::AppError;
use crate::store::Db;

/// How often the worker looks for new outbox mail.
const POLL: Duration = Duration::from_millis(250);

/// A plain-SMTP relay target (no TLS, no auth: a local test server).
#[derive(Clone)]
pub struct Relay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Relay {
    /// `addr` is `HOST:PORT`.
    pub fn new(addr: &str) -> Result<Relay, String> {
        let (host, port) = addr
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
            .ok_or_else(|| format!("--smtp-relay wants HOST:PORT, got `{addr}`"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(10)))
            .build();
        Ok(Relay { transport })
    }

    async fn send(&self, m: &Outgoing) -> Result<(), String> {
        let from = m.from.parse().map_err(|e| format!("from: {e}"))?;
        let to = m.to.parse().map_err(|e| format!("to: {e}"))?;
        let envelope = Envelope::new(Some(from), vec![to]).map_err(|e| e.to_string())?;
        let raw = super::rfc5322::render(m);
        self.transport
            .send_raw(&envelope, raw.as_bytes())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Sends every outbox message that is due; returns how many were relayed.
pub async fn relay_due(db: &Db, relay: &Relay, now: i64) -> Result<usize, AppError> {
    let due = db.call(move |conn| store::relay_due(conn, now, 50)).await?;
    let mut sent = 0;
    for m in due {
        let id = m.id;
        // The attempt is on record before the message leaves.
        if !db.call(move |conn| store::claim_relay(conn, id)).await? {
            continue;
        }
        let result = relay.send(&m).await;
        match &result {
            Ok(()) => sent += 1,
            Err(e) => tracing::warn!(id, to = %m.to, error = %e, "SMTP relay failed"),
        }
        db.call(move |conn| store::relay_done(conn, id, now, result.err().as_deref()))
            .await?;
    }
    Ok(sent)
}

/// The worker: relays outbox mail as it becomes due, until stopped.
pub async fn run(db: Db, relay: Relay, clock: crate::clock::Clock) {
    match db.call(|conn| store::relay_interrupted(conn)).await {
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
