//! What happened, as it happens: every committed audit entry, delivery
//! decision, outbox message and relay result becomes an event on one
//! broadcast channel, read by the event stream (`GET /api/events`), the
//! webhook (`--webhook URL`) and the long polls that wait for a mail.
//!
//! Events come from the database itself (`Db::watch`): a write that is
//! rolled back produces none, and no handler has to remember to send one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::store::{Change, Op, Table};

/// How many events a slow reader may fall behind before it misses some.
pub const BACKLOG: usize = 1024;

/// One event: its kind (`audit`, `delivery`, `outbox`, `relay`), a number
/// that grows with each event of this server's run, and its data.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    pub id: u64,
    pub kind: &'static str,
    pub data: serde_json::Value,
}

/// The broadcast of events, and the switch that ends every stream at shutdown.
#[derive(Clone)]
pub struct Events {
    tx: broadcast::Sender<Arc<Event>>,
    next: Arc<AtomicU64>,
    closed: watch::Sender<bool>,
    /// Where every event also goes, with the world's id (the webhook reads it).
    tap: Arc<std::sync::OnceLock<(Option<Arc<str>>, Tap)>>,
}

/// Every world's events on one channel, each with its world's id (`None`
/// for the default world): what the webhook sends on. Cheap to clone.
#[derive(Clone)]
pub struct Tap {
    tx: broadcast::Sender<(Option<Arc<str>>, Arc<Event>)>,
    closed: watch::Sender<bool>,
}

impl Default for Tap {
    fn default() -> Tap {
        Tap {
            tx: broadcast::channel(BACKLOG).0,
            closed: watch::channel(false).0,
        }
    }
}

impl Tap {
    pub fn subscribe(&self) -> broadcast::Receiver<(Option<Arc<str>>, Arc<Event>)> {
        self.tx.subscribe()
    }

    /// Ends the webhook and every world's streams and waits (the server is
    /// stopping).
    pub fn close(&self) {
        let _ = self.closed.send(true);
    }
}

impl Default for Events {
    fn default() -> Events {
        Events::new()
    }
}

impl Events {
    pub fn new() -> Events {
        Events {
            tx: broadcast::channel(BACKLOG).0,
            next: Arc::new(AtomicU64::new(1)),
            closed: watch::channel(false).0,
            tap: Arc::default(),
        }
    }

    /// World `world`'s events: each also sent to `tap`, and ended with it.
    pub fn for_world(world: Option<Arc<str>>, tap: &Tap) -> Events {
        let mut events = Events::new();
        events.closed = tap.closed.clone();
        let _ = events.tap.set((world, tap.clone()));
        events
    }

    /// Sends an event to every reader there is (none is fine).
    pub fn publish(&self, kind: &'static str, data: serde_json::Value) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let event = Arc::new(Event { id, kind, data });
        if let Some((world, tap)) = self.tap.get() {
            if tap.tx.receiver_count() > 0 {
                let _ = tap.tx.send((world.clone(), event.clone()));
            }
        }
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Resolves when the server is shutting down.
    pub fn closed(&self) -> watch::Receiver<bool> {
        self.closed.subscribe()
    }

    /// Ends every stream and wait (the server is stopping).
    pub fn close(&self) {
        let _ = self.closed.send(true);
    }

    /// The database watcher that turns committed rows into events.
    pub fn watcher(&self) -> crate::store::Watcher {
        let events = self.clone();
        Box::new(move |conn: &Connection, changes: &[Change]| {
            for change in changes {
                match events.event_of(conn, change) {
                    Ok(Some((kind, data))) => events.publish(kind, data),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = ?e, ?change, "cannot read a changed row"),
                }
            }
        })
    }

    /// The event a changed row makes, read back after the commit.
    fn event_of(
        &self,
        conn: &Connection,
        change: &Change,
    ) -> Result<Option<(&'static str, serde_json::Value)>, crate::store::Error> {
        use crate::store::mail;
        let json = |v: serde_json::Result<serde_json::Value>| v.ok();
        Ok(match (change.table, change.op) {
            (Table::Audit, Op::Insert) => crate::store::audit::entry(conn, change.rowid)?
                .and_then(|e| json(serde_json::to_value(e)))
                .map(|d| ("audit", d)),
            (Table::MailLog, Op::Insert) => mail::log_entry(conn, change.rowid)?
                .and_then(|e| json(serde_json::to_value(e)))
                .map(|d| ("delivery", d)),
            (Table::Outbox, op) => {
                // The start of a relay attempt is not news; its end is.
                if op == Op::Update && mail::relay_in_progress(conn, change.rowid)? {
                    return Ok(None);
                }
                let kind = if op == Op::Insert { "outbox" } else { "relay" };
                mail::outbox_one(conn, change.rowid)?
                    .and_then(|m| json(serde_json::to_value(m)))
                    .map(|d| (kind, d))
            }
            _ => None,
        })
    }
}

/// Waits between webhook attempts for one event: it is tried once, then
/// again after each of these waits, then dropped (and logged).
pub const WEBHOOK_WAITS: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(30),
];

/// How long one webhook POST may take.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);
/// The most of a webhook answer's body that is read.
const WEBHOOK_ANSWER: usize = 64 * 1024;

/// POSTs `{"event": KIND, "world": ID or null, "data": {...}}` for every
/// event of every world to `url`, in order, retrying a failed one
/// (`WEBHOOK_WAITS`); an answer other than 2xx counts as a failure. Runs
/// until the server stops.
pub async fn webhook(events: Tap, url: String, client: crate::gateway::client::Upstreams) {
    let mut rx = events.subscribe();
    let mut closed = events.closed.subscribe();
    loop {
        let (world, event) = tokio::select! {
            got = rx.recv() => match got {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the webhook fell behind: events dropped");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = closed.changed() => return,
        };
        let body =
            serde_json::json!({"event": event.kind, "world": world.as_deref(), "data": event.data})
                .to_string();
        let mut waits = WEBHOOK_WAITS.iter();
        loop {
            match post(&client, &url, &body).await {
                Ok(()) => break,
                Err(why) => match waits.next() {
                    Some(wait) => {
                        tracing::info!(id = event.id, kind = event.kind, %why, "webhook failed, trying again");
                        tokio::time::sleep(*wait).await;
                    }
                    None => {
                        tracing::warn!(id = event.id, kind = event.kind, %why, "webhook failed: event dropped");
                        break;
                    }
                },
            }
        }
    }
}

async fn post(
    client: &crate::gateway::client::Upstreams,
    url: &str,
    body: &str,
) -> Result<(), String> {
    let body = axum::body::Bytes::from(body.to_string());
    let build = || {
        hyper::Request::post(url)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::USER_AGENT, "garake-webhook")
            .body(http_body_util::Full::new(body.clone()))
            .ok()
    };
    // The answer's body is read (so the connection can be kept) and not looked at.
    let answer = tokio::time::timeout(WEBHOOK_TIMEOUT, client.fetch(build, WEBHOOK_ANSWER, None))
        .await
        .map_err(|_| "no answer in time".to_string())?
        .map_err(|e| format!("{e:?}"))?;
    let status = answer.status;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("answered {status}"))
    }
}

/// Checks a webhook URL at start: http or https with a host.
pub fn check_webhook(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("--webhook `{url}`: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!(
            "--webhook wants an http:// or https:// URL, got `{url}`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{audit, write_tx, Db};

    #[test]
    fn a_row_undone_with_its_savepoint_is_no_event_and_a_kept_one_is_one() {
        let db = Db::open(":memory:").unwrap();
        let events = Events::new();
        db.watch(events.watcher());
        let mut rx = events.subscribe();
        db.with_conn(|c| {
            let mut tx = write_tx(c)?;
            let undone = tx.savepoint()?;
            audit::record(
                &undone,
                60,
                None,
                audit::Action::ShopReset,
                audit::Outcome::Refused,
                "t",
            )?;
            drop(undone);
            // The kept row takes the undone row's id.
            audit::record(
                &tx,
                60,
                None,
                audit::Action::NewLine,
                audit::Outcome::Ok,
                "t",
            )?;
            tx.commit()?;
            Ok(())
        })
        .unwrap();
        let event = rx.try_recv().unwrap();
        assert_eq!(
            (event.kind, event.data["action"].as_str()),
            ("audit", Some("new_line"))
        );
        assert!(rx.try_recv().is_err(), "one committed row, one event");
    }
}
