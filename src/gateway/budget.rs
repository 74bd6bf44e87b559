//! The gateway's budget of page bytes held at once.
//!
//! A provider's page is held in memory from its first byte until the handset
//! has taken the last: read, rewritten, put in the handset's charset, and
//! queued on the handset's connection. Without a bound, many handsets
//! fetching a large page at once (or a site that sends its last byte slowly)
//! hold as many pages as there are connections. Every byte read from a site
//! is charged here as it arrives, `WORKING_COPIES` times over while the page
//! is rewritten (the page as read, as rewritten, as text and in the handset's
//! charset exist side by side for a moment); once the answer is made, the
//! charge shrinks to the answer's size and goes with it until it is sent. A
//! page that finds no room waits briefly in the `GatewayBytes` queue, then
//! gets the busy page.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::queue::{self, Busy, Queue};

/// How many times a byte read from a site is charged while its page is worked on.
pub const WORKING_COPIES: usize = 4;
/// The budget is kept in units of this many bytes.
const UNIT: usize = 1024;
/// An answer goes to the handset in frames of this size, so that the
/// connection's own write queue holds a few frames, not the whole page.
const FRAME: usize = 4 * 1024;

/// The bytes the gateway may hold, shared by every request.
pub struct Budget {
    units: Arc<Semaphore>,
    total: usize,
    queue: Queue,
}

/// What one request holds of the budget; given back when dropped.
#[derive(Default)]
pub struct Charge {
    permit: Option<OwnedSemaphorePermit>,
}

impl Charge {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.permit.as_ref().map_or(0, |p| p.num_permits() * UNIT)
    }
}

impl Budget {
    /// A budget of `bytes`, with room for `room` pages waiting for it.
    pub fn new(bytes: usize, room: usize, patience: std::time::Duration) -> Budget {
        let total = bytes.div_ceil(UNIT).max(1);
        Budget {
            units: Arc::new(Semaphore::new(total)),
            total,
            queue: Queue::new(queue::Kind::GatewayBytes, room, patience),
        }
    }

    /// Adds `bytes` to what `charge` holds, waiting as the queue allows.
    pub async fn charge(&self, charge: &mut Charge, bytes: usize) -> Result<(), Busy> {
        let units = bytes.div_ceil(UNIT);
        if units == 0 {
            return Ok(());
        }
        // More than the whole budget can never be had: busy at once.
        if units + charge.permit.as_ref().map_or(0, |p| p.num_permits()) > self.total {
            return Err(Busy(queue::Kind::GatewayBytes));
        }
        let units = u32::try_from(units).map_err(|_| Busy(queue::Kind::GatewayBytes))?;
        let more = self
            .queue
            .wait(self.units.clone().acquire_many_owned(units))
            .await?
            .expect("the budget is never closed");
        match &mut charge.permit {
            Some(held) => held.merge(more),
            None => charge.permit = Some(more),
        }
        Ok(())
    }

    /// Gives back all of `charge` beyond `bytes`.
    pub fn shrink(&self, charge: &mut Charge, bytes: usize) {
        let keep = bytes.div_ceil(UNIT);
        if let Some(held) = &mut charge.permit {
            let excess = held.num_permits().saturating_sub(keep);
            if excess > 0 {
                drop(held.split(excess));
            }
        }
    }

    /// Bytes held now by every request.
    pub fn held(&self) -> usize {
        (self.total - self.units.available_permits().min(self.total)) * UNIT
    }

    /// (pages that waited for room, pages told "busy") since start.
    pub fn stats(&self) -> (u64, u64) {
        self.queue.stats()
    }
}

/// An answer's body that holds its charge until the last frame is taken,
/// handed over a few KiB at a time.
pub struct Charged {
    bytes: Bytes,
    _charge: Charge,
}

impl Charged {
    pub fn new(bytes: Bytes, charge: Charge) -> Charged {
        Charged {
            bytes,
            _charge: charge,
        }
    }
}

impl Body for Charged {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.bytes.is_empty() {
            // The charge goes with the last frame.
            self._charge = Charge::default();
            return Poll::Ready(None);
        }
        let n = self.bytes.len().min(FRAME);
        let frame = self.bytes.split_to(n);
        if self.bytes.is_empty() {
            self._charge = Charge::default();
        }
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.bytes.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.bytes.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::time::Duration;

    fn budget(kib: usize) -> Budget {
        Budget::new(kib * UNIT, 4, Duration::from_millis(100))
    }

    #[tokio::test]
    async fn charges_add_up_and_are_given_back_when_dropped() {
        let b = budget(100);
        let mut c = Charge::default();
        b.charge(&mut c, 10 * UNIT).await.unwrap();
        b.charge(&mut c, 1).await.unwrap();
        assert_eq!(c.bytes(), 11 * UNIT);
        assert_eq!(b.held(), 11 * UNIT);
        b.shrink(&mut c, 3 * UNIT);
        assert_eq!(b.held(), 3 * UNIT);
        drop(c);
        assert_eq!(b.held(), 0);
    }

    #[tokio::test]
    async fn a_page_that_finds_no_room_is_busy_after_a_short_wait() {
        let b = budget(100);
        let mut first = Charge::default();
        b.charge(&mut first, 90 * UNIT).await.unwrap();
        let mut second = Charge::default();
        let started = std::time::Instant::now();
        assert_eq!(
            b.charge(&mut second, 20 * UNIT).await,
            Err(Busy(queue::Kind::GatewayBytes))
        );
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert_eq!(second.bytes(), 0, "nothing held by a refused page");
        // More than the whole budget: busy without waiting.
        let started = std::time::Instant::now();
        assert!(b.charge(&mut second, 101 * UNIT).await.is_err());
        assert!(started.elapsed() < Duration::from_millis(50));
        drop(first);
        b.charge(&mut second, 20 * UNIT).await.unwrap();
    }

    #[tokio::test]
    async fn an_answer_holds_its_charge_until_its_last_frame_is_taken() {
        let b = budget(100);
        let mut c = Charge::default();
        b.charge(&mut c, 9 * UNIT).await.unwrap();
        let page = Bytes::from(vec![b'x'; 9 * UNIT]);
        let mut body = Charged::new(page.clone(), c);
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first.len(), FRAME);
        assert_eq!(b.held(), 9 * UNIT, "held while frames remain");
        let mut all = first.to_vec();
        while let Some(frame) = body.frame().await {
            all.extend_from_slice(&frame.unwrap().into_data().unwrap());
        }
        assert_eq!(all, page);
        assert_eq!(b.held(), 0);
    }
}
