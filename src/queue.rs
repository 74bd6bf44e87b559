//! Bounded waiting for the work that waits: Argon2 checks (a few slots of
//! 19 MiB) and gateway fetches (a content provider that may answer slowly).
//!
//! Each kind of such work has one `Queue`. A request whose work can start at
//! once never queues. One that cannot joins its kind's queue if there is room
//! and waits there at most the queue's patience; one that finds the queue full
//! is told "busy" at once, and so is one that waited its patience out. A flood
//! of one kind therefore holds at most `running + room` connections busy:
//! every other connection is answered (a 503 busy page with `Retry-After`) and
//! freed, so a plain menu page or `GET /` always finds a connection.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::FutureExt;

/// The kinds of work that wait, as the metrics and the busy answers name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An Argon2 check or hash (a slot, and the turn of the secret checked).
    Argon2,
    /// A request to a content provider through the gateway.
    Gateway,
    /// Room in the gateway's budget of page bytes held at once.
    GatewayBytes,
}

impl Kind {
    /// The name of the limit in `/metrics` (`garake_limit_hits_total{limit=…}`).
    pub fn limit(self) -> crate::metrics::Limit {
        use crate::metrics::Limit;
        match self {
            Kind::Argon2 => Limit::Argon2Busy,
            Kind::Gateway => Limit::GatewayBusy,
            Kind::GatewayBytes => Limit::GatewayBytesBusy,
        }
    }

    /// Seconds a client is asked to wait before trying again.
    pub fn retry_after(self) -> u64 {
        match self {
            Kind::Argon2 => 2,
            Kind::Gateway | Kind::GatewayBytes => 5,
        }
    }
}

/// The work could not start in time: answered 503 with `Retry-After`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("busy: {} (try again in {} s)", .0.limit().as_str(), .0.retry_after())]
pub struct Busy(pub Kind);

/// One kind's queue: how many may wait, and how long.
pub struct Queue {
    kind: Kind,
    room: usize,
    patience: Duration,
    waiting: AtomicUsize,
    /// Requests that had to wait, and those told "busy" (since start).
    waited: AtomicU64,
    busy: AtomicU64,
}

/// Holds a place in the queue; given back when dropped (also when the
/// waiting request is dropped because its client went away).
struct Place<'a>(&'a AtomicUsize);

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Queue {
    pub fn new(kind: Kind, room: usize, patience: Duration) -> Queue {
        Queue {
            kind,
            room,
            patience,
            waiting: AtomicUsize::new(0),
            waited: AtomicU64::new(0),
            busy: AtomicU64::new(0),
        }
    }

    /// Waits for `ready` (the acquisition of what the work needs) as this
    /// queue allows: at once if it is ready now, else in the queue if there is
    /// room, for at most the patience.
    pub async fn wait<T>(&self, ready: impl Future<Output = T>) -> Result<T, Busy> {
        let mut ready = std::pin::pin!(ready);
        if let Some(value) = ready.as_mut().now_or_never() {
            return Ok(value);
        }
        let place = self.join()?;
        self.waited.fetch_add(1, Ordering::Relaxed);
        let waited = tokio::time::timeout(self.patience, ready).await;
        drop(place);
        waited.map_err(|_| self.refuse())
    }

    /// Waits for `turn` (a lock that others hold one after another, e.g. the
    /// checks of one secret) and then for `ready` (the slot). The turn has no
    /// time limit of its own — the queue's room bounds how many wait for it,
    /// and each holder is bounded by the patience — the slot is waited for at
    /// most the patience. Nothing ready at once takes a place in the queue.
    pub async fn wait_in_turn<T, U>(
        &self,
        turn: impl Future<Output = T>,
        ready: impl Future<Output = U>,
    ) -> Result<(T, U), Busy> {
        let mut turn = std::pin::pin!(turn);
        let (mut place, turn) = match turn.as_mut().now_or_never() {
            Some(turn) => (None, turn),
            None => {
                let place = self.join()?;
                self.waited.fetch_add(1, Ordering::Relaxed);
                (Some(place), turn.await)
            }
        };
        let mut ready = std::pin::pin!(ready);
        if let Some(value) = ready.as_mut().now_or_never() {
            return Ok((turn, value));
        }
        if place.is_none() {
            place = Some(self.join()?);
            self.waited.fetch_add(1, Ordering::Relaxed);
        }
        let waited = tokio::time::timeout(self.patience, ready).await;
        drop(place);
        waited.map(|value| (turn, value)).map_err(|_| self.refuse())
    }

    /// Takes a place in the queue, or refuses when it is full.
    fn join(&self) -> Result<Place<'_>, Busy> {
        let before = self.waiting.fetch_add(1, Ordering::AcqRel);
        let place = Place(&self.waiting);
        if before >= self.room {
            drop(place);
            return Err(self.refuse());
        }
        Ok(place)
    }

    fn refuse(&self) -> Busy {
        self.busy.fetch_add(1, Ordering::Relaxed);
        Busy(self.kind)
    }

    /// Requests waiting now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// (requests that waited, requests told "busy") since start.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.waited.load(Ordering::Relaxed),
            self.busy.load(Ordering::Relaxed),
        )
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }
}

/// A fixed number of slots for one kind of work, and its queue.
pub struct Gate {
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    size: usize,
    queue: Queue,
}

impl Gate {
    /// `running` slots (at least one), `room` waiting, each for at most `patience`.
    pub fn new(kind: Kind, running: usize, room: usize, patience: Duration) -> Gate {
        let size = running.max(1);
        Gate {
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(size)),
            size,
            queue: Queue::new(kind, room, patience),
        }
    }

    /// A slot, as the queue allows; held until dropped.
    pub async fn enter(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Busy> {
        let slot = self.queue.wait(self.slots.clone().acquire_owned()).await?;
        Ok(slot.expect("the slots are never closed"))
    }

    /// Slots in use now.
    pub fn running(&self) -> usize {
        self.size - self.slots.available_permits().min(self.size)
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::sync::Semaphore;

    #[tokio::test]
    async fn work_that_can_start_at_once_never_queues() {
        let q = Queue::new(Kind::Gateway, 0, Duration::from_millis(10));
        let slots = Arc::new(Semaphore::new(1));
        let permit = q.wait(slots.clone().acquire_owned()).await.unwrap();
        assert!(permit.is_ok());
        assert_eq!(q.stats(), (0, 0), "no room was needed");
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once_and_a_long_wait_answers_busy_in_time() {
        let q = Arc::new(Queue::new(Kind::Argon2, 2, Duration::from_millis(300)));
        let slots = Arc::new(Semaphore::new(1));
        let held = slots.clone().acquire_owned().await.unwrap();
        // Two wait (the room), the third is refused without waiting.
        let mut waiters = Vec::new();
        for _ in 0..2 {
            let (q, slots) = (q.clone(), slots.clone());
            waiters.push(tokio::spawn(async move {
                q.wait(slots.acquire_owned()).await.map(|_| ())
            }));
        }
        while q.waiting() < 2 {
            tokio::task::yield_now().await;
        }
        let started = std::time::Instant::now();
        let third = q.wait(slots.clone().acquire_owned()).await;
        assert_eq!(third.err(), Some(Busy(Kind::Argon2)));
        assert!(started.elapsed() < Duration::from_millis(100), "at once");
        // Nobody gives the slot back: both waiters give up after the patience.
        for w in waiters {
            assert_eq!(w.await.unwrap(), Err(Busy(Kind::Argon2)));
        }
        assert_eq!(q.waiting(), 0, "places given back");
        assert_eq!(q.stats(), (2, 3));
        drop(held);
        assert!(q.wait(slots.acquire_owned()).await.is_ok());
    }

    #[tokio::test]
    async fn a_turn_is_waited_for_in_the_queue_and_the_slot_within_the_patience() {
        let q = Arc::new(Queue::new(Kind::Argon2, 1, Duration::from_millis(200)));
        let turn = Arc::new(tokio::sync::Mutex::new(()));
        let slots = Arc::new(Semaphore::new(1));
        let mine = turn.clone().lock_owned().await;
        // Waits for the turn (room for one), longer than the patience.
        let waiter = {
            let (q, turn, slots) = (q.clone(), turn.clone(), slots.clone());
            tokio::spawn(async move {
                q.wait_in_turn(turn.lock_owned(), slots.acquire_owned())
                    .await
                    .map(|_| ())
            })
        };
        while q.waiting() < 1 {
            tokio::task::yield_now().await;
        }
        // A second waiter finds no room.
        let second = q
            .wait_in_turn(turn.clone().lock_owned(), slots.clone().acquire_owned())
            .await;
        assert_eq!(second.err(), Some(Busy(Kind::Argon2)));
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(mine);
        assert_eq!(
            waiter.await.unwrap(),
            Ok(()),
            "the turn came after the patience"
        );
        // With the turn free but no slot, the patience applies.
        let held = slots.clone().acquire_owned().await.unwrap();
        let started = std::time::Instant::now();
        let third = q
            .wait_in_turn(turn.clone().lock_owned(), slots.clone().acquire_owned())
            .await;
        assert_eq!(third.err(), Some(Busy(Kind::Argon2)));
        assert!(started.elapsed() >= Duration::from_millis(200));
        drop(held);
        assert_eq!(q.waiting(), 0);
    }

    #[tokio::test]
    async fn a_waiter_whose_client_went_away_gives_its_place_back() {
        let q = Arc::new(Queue::new(Kind::Gateway, 1, Duration::from_secs(60)));
        let slots = Arc::new(Semaphore::new(0));
        let waiter = {
            let (q, slots) = (q.clone(), slots.clone());
            tokio::spawn(async move { q.wait(slots.acquire_owned()).await.map(|_| ()) })
        };
        while q.waiting() < 1 {
            tokio::task::yield_now().await;
        }
        waiter.abort();
        let _ = waiter.await;
        assert_eq!(q.waiting(), 0);
        slots.add_permits(1);
        assert!(q.wait(slots.acquire_owned()).await.is_ok());
    }
}
