//! Optional relay of outbox mail to a real SMTP server (`--smtp-relay HOST:PORT`,
//! e.g. Mailpit). A background worker sends each outbox message once, exactly
//! the RFC 5322 text the outbox shows, and records success or the error.
//! Without the flag no mail ever leaves the machine.

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

/// Sends every outbox message not yet tried; returns how many were sent.
pub async fn relay_pending(db: &Db, relay: &Relay, now: i64) -> Result<usize, AppError> {
    let pending = db.call(|conn| store::unrelayed(conn, 50)).await?;
    let mut sent = 0;
    for m in pending {
        let result = relay.send(&m).await;
        if let Err(e) = &result {
            tracing::warn!(id = m.id, to = %m.to, error = %e, "SMTP relay failed");
        } else {
            sent += 1;
        }
        let id = m.id;
        db.call(move |conn| store::mark_relayed(conn, id, now, result.err().as_deref()))
            .await?;
    }
    Ok(sent)
}

/// The worker: relays new outbox mail until the runtime stops.
pub async fn run(db: Db, relay: Relay, clock: crate::clock::Clock) {
    loop {
        if let Err(e) = relay_pending(&db, &relay, clock.now()).await {
            tracing::warn!(error = %e, "SMTP relay pass failed");
        }
        tokio::time::sleep(POLL).await;
    }
}
