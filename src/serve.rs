//! The accept loop: HTTP/1.1 connections served by hyper directly, counted
//! and bounded, with deadlines for request heads and bodies, and a graceful
//! shutdown.
//!
//! At most `max` connections are open. When a new one arrives at the limit,
//! the open connection that has sent nothing for longest and is not being
//! answered (an idle keep-alive, a stalled head, a stalled body) is closed to
//! make room, so idle or slow clients never starve a fresh request; if every
//! open connection is being answered, the new one is closed at once. Both are
//! counted and logged once a second.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// A request body that took longer than the body deadline.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimeout;

/// Whether an error (e.g. axum's rejection of a body) comes from `BodyTimeout`.
pub fn is_body_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.is::<BodyTimeout>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// Settings of the accept loop.
#[derive(Clone, Debug)]
pub struct Options {
    /// Connections open at once.
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    /// How long shutdown waits for in-flight requests.
    pub grace: Duration,
    /// Where connections closed or refused at the limit are counted.
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
}

/// One open connection, as the accept loop sees it.
struct Conn {
    /// Milliseconds since the loop started, at the last byte read from the client.
    last_read: AtomicU64,
    /// A request is being answered...
    in_flight: AtomicBool,
    /// ...but its body has not all arrived yet (so the client is the slow side).
    body_pending: AtomicBool,
    evict: Notify,
}

impl Conn {
    fn evictable(&self) -> bool {
        !self.in_flight.load(Ordering::Relaxed) || self.body_pending.load(Ordering::Relaxed)
    }
}

/// The open connections.
struct Registry {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    epoch: Instant,
    max: usize,
    /// Closed to make room, and refused because all were busy (since the last log line).
    shed: AtomicU64,
    refused: AtomicU64,
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl Registry {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Registers a new connection, making room if needed; `None` if every
    /// open connection is busy.
    fn admit(&self, id: u64) -> Option<Arc<Conn>> {
        let mut conns = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        if conns.len() >= self.max {
            let victim = conns
                .iter()
                .filter(|(_, c)| c.evictable())
                .min_by_key(|(_, c)| c.last_read.load(Ordering::Relaxed))
                .map(|(id, _)| *id);
            match victim.and_then(|v| conns.remove(&v)) {
                Some(conn) => {
                    conn.evict.notify_one();
                    self.shed.fetch_add(1, Ordering::Relaxed);
                    if let Some(m) = &self.metrics {
                        m.limit_hit(crate::metrics::Limit::ConnectionsClosed);
                    }
                }
                None => {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    if let Some(m) = &self.metrics {
                        m.limit_hit(crate::metrics::Limit::ConnectionsRefused);
                    }
                    return None;
                }
            }
        }
        let conn = Arc::new(Conn {
            last_read: AtomicU64::new(self.now_ms()),
            in_flight: AtomicBool::new(false),
            body_pending: AtomicBool::new(false),
            evict: Notify::new(),
        });
        conns.insert(id, conn.clone());
        Some(conn)
    }

    fn forget(&self, id: u64) {
        self.conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }

    fn open(&self) -> usize {
        self.conns.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// The connection limit the process can really hold: `wanted`, but never
/// above the file limit (raised to its hard limit first) less the spares.
pub fn connection_limit(wanted: usize) -> usize {
    match raise_file_limit() {
        Some(files) => {
            let room = files.saturating_sub(crate::limits::SPARE_FILES).max(1) as usize;
            if wanted > room {
                tracing::warn!(
                    wanted,
                    room,
                    "--max-connections is above the file limit less {}: using {room}",
                    crate::limits::SPARE_FILES
                );
            }
            wanted.min(room)
        }
        None => wanted,
    }
}

/// Raises the soft limit of open files to the hard limit; returns the limit in force.
#[cfg(unix)]
fn raise_file_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed in.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim = raised;
            }
        }
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 everywhere
    Some(lim.rlim_cur as u64)
}

#[cfg(not(unix))]
fn raise_file_limit() -> Option<u64> {
    None
}

/// Serves on `listener` until `shutdown` resolves, then lets in-flight
/// requests finish for at most `grace`. `service_for` gives the service that
/// answers a connection's requests, from the client's address; it must be
/// ready at every call (as axum's routers are), and it is cloned per request.
pub async fn run<M, S, B>(
    listener: TcpListener,
    service_for: M,
    options: Options,
    shutdown: impl Future<Output = ()>,
) where
    M: Fn(std::net::SocketAddr) -> S,
    S: tower_service::Service<
            hyper::Request<TimedBody>,
            Response = hyper::Response<B>,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<axum::BoxError>,
{
    let registry = Arc::new(Registry {
        conns: Mutex::default(),
        epoch: Instant::now(),
        max: options.max_connections.max(1),
        shed: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        metrics: options.metrics.clone(),
    });
    let logger = tokio::spawn(log_pressure(registry.clone()));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // A client that stops in the middle of a request head is dropped.
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(options.header_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut next_id: u64 = 0;
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        next_id += 1;
        let id = next_id;
        let Some(conn) = registry.admit(id) else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = Tracked {
            io: stream,
            conn: conn.clone(),
            registry: registry.clone(),
        };
        let service = {
            let (app, conn, body_timeout) =
                (service_for(remote), conn.clone(), options.body_timeout);
            hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                conn.in_flight.store(true, Ordering::Relaxed);
                conn.body_pending
                    .store(!req.body().is_end_stream(), Ordering::Relaxed);
                let limit = crate::limits::body_limit(req.uri().path());
                let req = req.map(|body| TimedBody::new(body, body_timeout, limit, conn.clone()));
                let answer = tower_service::Service::call(&mut app.clone(), req);
                let conn = conn.clone();
                async move {
                    let response = answer.await;
                    conn.in_flight.store(false, Ordering::Relaxed);
                    conn.body_pending.store(false, Ordering::Relaxed);
                    response
                }
            })
        };
        let (registry, http, watcher) = (registry.clone(), http.clone(), graceful.watcher());
        let header_timeout = options.header_timeout;
        tokio::spawn(async move {
            // hyper gives a connection its buffers (16 KiB) as it takes it
            // over: a connection that has sent nothing yet waits here without
            // them, within the head's deadline.
            let spoke = tokio::select! {
                ready = tokio::time::timeout(header_timeout, io.io.readable()) => {
                    matches!(ready, Ok(Ok(())))
                }
                _ = conn.evict.notified() => false,
            };
            if spoke {
                let connection =
                    watcher.watch(http.serve_connection(hyper_util::rt::TokioIo::new(io), service));
                tokio::select! {
                    _ = connection => {}
                    // Closed to make room: dropping the connection closes the socket.
                    _ = conn.evict.notified() => {}
                }
            }
            registry.forget(id);
        });
    }
    drop(listener);
    logger.abort();
    if tokio::time::timeout(options.grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open {} s after the signal: closing them",
            options.grace.as_secs()
        );
    }
}

/// Logs, once a second, how many connections were closed to make room or refused.
async fn log_pressure(registry: Arc<Registry>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let shed = registry.shed.swap(0, Ordering::Relaxed);
        let refused = registry.refused.swap(0, Ordering::Relaxed);
        if shed + refused > 0 {
            tracing::warn!(
                open = registry.open(),
                max = registry.max,
                closed_idle = shed,
                refused_busy = refused,
                "connection limit reached: closed the longest-silent connections to make room"
            );
        }
    }
}

/// The client's socket, noting when it last sent a byte.
struct Tracked {
    io: TcpStream,
    conn: Arc<Conn>,
    registry: Arc<Registry>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let now = self.registry.now_ms();
            self.conn.last_read.store(now, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// A request body that must arrive whole within the body deadline, gathered
/// into one buffer bounded by the path's body limit however it arrives.
///
/// A client that sends its body a byte at a time makes hyper hand over one
/// small chunk per read, each a view into a read buffer of several KiB; kept
/// as they came (as a collecting extractor keeps them), 16,000 one-byte chunks
/// hold tens of MiB. Here each chunk is copied into the buffer and let go at
/// once, so a body costs at most its limit (and one chunk) in memory at any
/// pace. A body that comes in one chunk, the usual case, is passed on as it
/// came, without a copy. A body over the limit is handed on whole as soon as
/// it is over (the router's limit then refuses it with 413), never kept.
pub struct TimedBody<B = Incoming> {
    inner: B,
    /// Set for a request with a body (a GET has none and needs no timer).
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    conn: Arc<Conn>,
    /// What has arrived and not been handed on yet.
    gathered: Vec<u8>,
    limit: usize,
    done: bool,
}

impl<B: Body<Data = Bytes> + Unpin> TimedBody<B> {
    fn new(inner: B, timeout: Duration, limit: usize, conn: Arc<Conn>) -> TimedBody<B> {
        let done = inner.is_end_stream();
        TimedBody {
            done,
            inner,
            deadline: (!done).then(|| Box::pin(tokio::time::sleep(timeout))),
            conn,
            gathered: Vec::new(),
            limit,
        }
    }

    fn finish(&mut self) {
        self.done = true;
        self.conn.body_pending.store(false, Ordering::Relaxed);
    }

    /// What has been gathered, as one frame (none if nothing has).
    fn hand_on(&mut self) -> Option<Result<Frame<Bytes>, axum::BoxError>> {
        (!self.gathered.is_empty())
            .then(|| Ok(Frame::data(Bytes::from(std::mem::take(&mut self.gathered)))))
    }
}

impl<B> Body for TimedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(this.hand_on());
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(None) => {
                    this.finish();
                }
                Poll::Ready(Some(Err(e))) => {
                    this.finish();
                    this.gathered = Vec::new();
                    return Poll::Ready(Some(Err(e.into())));
                }
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        // Trailers: nothing garake reads.
                        continue;
                    };
                    let end = this.inner.is_end_stream();
                    if end && this.gathered.is_empty() {
                        // The whole body in one chunk: passed on as it is.
                        this.finish();
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    this.gathered.extend_from_slice(&data);
                    drop(data);
                    if end || this.gathered.len() > this.limit {
                        this.finish();
                    }
                }
                Poll::Pending => {
                    return match this.deadline.as_mut().map(|d| d.as_mut().poll(cx)) {
                        Some(Poll::Ready(())) => {
                            this.finish();
                            this.gathered = Vec::new();
                            Poll::Ready(Some(Err(Box::new(BodyTimeout))))
                        }
                        _ => Poll::Pending,
                    };
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.gathered.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        if self.done {
            SizeHint::with_exact(self.gathered.len() as u64)
        } else {
            self.inner.size_hint()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(max: usize) -> Registry {
        Registry {
            conns: Mutex::default(),
            epoch: Instant::now(),
            max,
            shed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            metrics: Some(Default::default()),
        }
    }

    #[test]
    fn at_the_limit_the_longest_silent_idle_connection_makes_room() {
        let r = registry(2);
        let a = r.admit(1).unwrap();
        let b = r.admit(2).unwrap();
        a.last_read.store(5, Ordering::Relaxed);
        b.last_read.store(9, Ordering::Relaxed);
        assert!(r.admit(3).is_some());
        let open: Vec<u64> = {
            let mut ids: Vec<u64> = r.conns.lock().unwrap().keys().copied().collect();
            ids.sort();
            ids
        };
        assert_eq!(open, [2, 3], "the one silent longest went");
        assert_eq!(r.shed.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_connection_being_answered_is_kept_unless_its_body_is_still_coming() {
        let r = registry(2);
        let a = r.admit(1).unwrap();
        let b = r.admit(2).unwrap();
        for c in [&a, &b] {
            c.in_flight.store(true, Ordering::Relaxed);
        }
        assert!(r.admit(3).is_none(), "all busy: the new one is refused");
        assert_eq!(r.refused.load(Ordering::Relaxed), 1);
        b.body_pending.store(true, Ordering::Relaxed);
        assert!(r.admit(4).is_some(), "a stalled body may be closed");
        let counted = r.metrics.as_ref().unwrap().render(&[]);
        assert!(counted.contains("garake_limit_hits_total{limit=\"connections_closed\"} 1\n"));
        assert!(counted.contains("garake_limit_hits_total{limit=\"connections_refused\"} 1\n"));
        assert!(r.conns.lock().unwrap().contains_key(&1));
    }

    /// A body of `n` one-byte chunks, counting how many were pulled.
    fn drip(
        n: usize,
        pulled: Arc<AtomicU64>,
    ) -> http_body_util::StreamBody<
        impl futures_util::Stream<Item = Result<Frame<Bytes>, std::convert::Infallible>> + Unpin,
    > {
        http_body_util::StreamBody::new(futures_util::stream::iter((0..n).map(move |i| {
            pulled.fetch_add(1, Ordering::Relaxed);
            Ok(Frame::data(Bytes::from(vec![b'a' + (i % 26) as u8])))
        })))
    }

    fn conn() -> Arc<Conn> {
        registry(1).admit(1).unwrap()
    }

    #[tokio::test]
    async fn a_body_dripped_a_byte_at_a_time_is_handed_on_as_one_buffer() {
        use http_body_util::BodyExt;
        let pulled = Arc::new(AtomicU64::new(0));
        let mut body = TimedBody::new(
            drip(16_000, pulled.clone()),
            Duration::from_secs(10),
            16 * 1024,
            conn(),
        );
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first.len(), 16_000, "every byte in the one frame");
        assert!(first.iter().take(26).copied().eq(b'a'..=b'z'));
        assert!(body.frame().await.is_none());
        assert_eq!(pulled.load(Ordering::Relaxed), 16_000);
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_handed_on_once_over_and_never_read_further() {
        use http_body_util::BodyExt;
        let pulled = Arc::new(AtomicU64::new(0));
        let mut body = TimedBody::new(
            drip(100_000, pulled.clone()),
            Duration::from_secs(10),
            1000,
            conn(),
        );
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(
            first.len(),
            1001,
            "the limit and the chunk that went over it"
        );
        assert!(body.frame().await.is_none());
        assert_eq!(
            pulled.load(Ordering::Relaxed),
            1001,
            "nothing more was read"
        );
    }

    #[test]
    fn a_timeout_is_recognised_through_wrapping_errors() {
        let wrapped = axum::Error::new(BodyTimeout);
        assert!(is_body_timeout(&wrapped));
        let other = axum::Error::new(std::io::Error::other("x"));
        assert!(!is_body_timeout(&other));
    }
}
