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
//!
//! A connection not being answered must send a whole request head within the
//! head deadline of becoming ready for one (of opening, or of its last
//! answer): a watcher looks at every connection a few times a second and
//! closes those past it. That one pass keeps idle keep-alives and slow heads
//! alike from holding a connection, without a timer per request.

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
    /// `coarse_ms` at the last byte read from the client.
    last_read: AtomicU64,
    /// ... and when it became ready for its next request head (opened, or
    /// the last byte of its last answer handed on); `u64::MAX` while a
    /// request is being answered.
    head_since: AtomicU64,
    /// A request is being answered...
    in_flight: AtomicBool,
    /// ...but its body has not all arrived yet (so the client is the slow side).
    body_pending: AtomicBool,
    evict: Eviction,
}

/// What a connection's task is told: to close at once (to make room, or
/// past its head deadline), or to finish the request it is answering and
/// then close (the server is stopping). Each word is given once and wakes the
/// task; looking for it costs two loads and a waker registration per wake.
#[derive(Default)]
struct Eviction {
    told: AtomicBool,
    winding: AtomicBool,
    waker: futures_util::task::AtomicWaker,
}

/// A word a connection's task was told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Word {
    Close,
    WindDown,
}

impl Eviction {
    fn tell(&self) {
        self.told.store(true, Ordering::Release);
        self.waker.wake();
    }

    fn wind_down(&self) {
        self.winding.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// The word given, if any; a wind-down already acted on (`wound`) is
    /// not given again, and only a close is then waited for.
    fn poll_word(&self, cx: &mut Context<'_>, wound: bool) -> Poll<Word> {
        let look = || {
            if self.told.load(Ordering::Acquire) {
                Some(Word::Close)
            } else if !wound && self.winding.load(Ordering::Acquire) {
                Some(Word::WindDown)
            } else {
                None
            }
        };
        if let Some(word) = look() {
            return Poll::Ready(word);
        }
        self.waker.register(cx.waker());
        // Told between the first look and the registration: seen here.
        look().map_or(Poll::Pending, Poll::Ready)
    }

    /// `fut`, unless told anything first (then `None`).
    async fn unless_told<F: Future>(&self, fut: F) -> Option<F::Output> {
        let mut fut = std::pin::pin!(fut);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                return Poll::Ready(Some(out));
            }
            self.poll_word(cx, false).map(|_| None)
        })
        .await
    }
}

impl Conn {
    fn evictable(&self) -> bool {
        !self.in_flight.load(Ordering::Relaxed) || self.body_pending.load(Ordering::Relaxed)
    }

    /// Waiting for a request head for longer than `deadline_ms` at `now`.
    fn head_overdue(&self, now: u64, deadline_ms: u64) -> bool {
        now.saturating_sub(self.head_since.load(Ordering::Relaxed)) > deadline_ms
    }
}

/// The open connections.
struct Registry {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    max: usize,
    /// Closed to make room, and refused because all were busy (since the last log line).
    shed: AtomicU64,
    refused: AtomicU64,
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl Registry {
    /// Closes every connection past the head deadline; how many.
    fn close_overdue(&self, deadline: Duration) -> usize {
        let (now, deadline_ms) = (coarse_ms(), deadline.as_millis() as u64);
        let conns = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        let mut closed = 0;
        for conn in conns.values().filter(|c| c.head_overdue(now, deadline_ms)) {
            conn.evict.tell();
            closed += 1;
        }
        closed
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
                    conn.evict.tell();
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
        let now = coarse_ms();
        let conn = Arc::new(Conn {
            last_read: AtomicU64::new(now),
            head_since: AtomicU64::new(now),
            in_flight: AtomicBool::new(false),
            body_pending: AtomicBool::new(false),
            evict: Eviction::default(),
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

    /// `f` of every open connection.
    fn each(&self, f: impl Fn(&Conn)) {
        for conn in self
            .conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            f(conn);
        }
    }

    fn open(&self) -> usize {
        self.conns.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// Milliseconds of a monotonic clock read cheaply: the kernel's coarse
/// clock on Linux (a few milliseconds' resolution, no more is needed to tell
/// how long a connection has been silent), read on every socket read.
fn coarse_ms() -> u64 {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime only writes the struct passed in.
        if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) } == 0 {
            return ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000;
        }
    }
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
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
    B: Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<axum::BoxError>,
{
    let registry = Arc::new(Registry {
        conns: Mutex::default(),
        max: options.max_connections.max(1),
        shed: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        metrics: options.metrics.clone(),
    });
    let logger = tokio::spawn(log_pressure(registry.clone()));
    let deadlines = tokio::spawn(close_overdue(registry.clone(), options.header_timeout));
    let mut http = hyper::server::conn::http1::Builder::new();
    // Request heads have their deadline from `close_overdue`, not from a
    // timer of hyper's armed for every request.
    http.header_read_timeout(None);
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
        };
        let service = {
            let (app, conn, body_timeout) =
                (service_for(remote), conn.clone(), options.body_timeout);
            hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                conn.in_flight.store(true, Ordering::Relaxed);
                conn.body_pending
                    .store(!req.body().is_end_stream(), Ordering::Relaxed);
                let limit = crate::limits::body_limit(req.uri().path());
                conn.head_since.store(u64::MAX, Ordering::Relaxed);
                let req = req.map(|body| TimedBody::new(body, body_timeout, limit, conn.clone()));
                let answer = tower_service::Service::call(&mut app.clone(), req);
                let conn = conn.clone();
                async move {
                    let response = answer.await;
                    conn.in_flight.store(false, Ordering::Relaxed);
                    conn.body_pending.store(false, Ordering::Relaxed);
                    response.map(|response| response.map(|inner| Answered { inner, conn }))
                }
            })
        };
        let (registry, http) = (registry.clone(), http.clone());
        tokio::spawn(async move {
            // hyper gives a connection its buffers (16 KiB) as it takes it
            // over: a connection that has sent nothing yet waits here without
            // them, until the head deadline's watcher closes it.
            let spoke = conn.evict.unless_told(io.io.readable()).await;
            if matches!(spoke, Some(Ok(()))) {
                let connection = http.serve_connection(hyper_util::rt::TokioIo::new(io), service);
                serve_until_told(connection, &conn.evict).await;
            }
            registry.forget(id);
        });
    }
    drop(listener);
    logger.abort();
    deadlines.abort();
    // Idle connections close now, busy ones after their answer.
    registry.each(|conn| conn.evict.wind_down());
    let drained = tokio::time::timeout(options.grace, async {
        while registry.open() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    if drained.await.is_err() {
        tracing::warn!(
            "connections still open {} s after the signal: closing them",
            options.grace.as_secs()
        );
        registry.each(|conn| conn.evict.tell());
    }
}

/// Serves one connection until it ends, or until its task is told to close
/// (then dropping it closes the socket) or to wind down (then it closes
/// after the request it is answering, at once if idle).
async fn serve_until_told<C>(connection: C, evict: &Eviction)
where
    C: Future + GracefulConnection,
{
    let mut connection = std::pin::pin!(connection);
    let mut wound = false;
    std::future::poll_fn(|cx| loop {
        if connection.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        match evict.poll_word(cx, wound) {
            Poll::Ready(Word::Close) => return Poll::Ready(()),
            Poll::Ready(Word::WindDown) => {
                wound = true;
                connection.as_mut().wind_down();
                // Polled again: an idle connection ends at once.
            }
            Poll::Pending => return Poll::Pending,
        }
    })
    .await
}

/// A connection that can be asked to close once its answer is given.
trait GracefulConnection {
    fn wind_down(self: Pin<&mut Self>);
}

impl<I, S, B> GracefulConnection for hyper::server::conn::http1::Connection<I, S>
where
    S: hyper::service::HttpService<Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    B: Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn wind_down(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// Closes the connections past the head deadline, looking a few times
/// within each deadline (so one closes at most a quarter late).
async fn close_overdue(registry: Arc<Registry>, deadline: Duration) {
    let mut tick = tokio::time::interval(
        (deadline / 4).clamp(Duration::from_millis(10), Duration::from_secs(1)),
    );
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let closed = registry.close_overdue(deadline);
        if closed > 0 {
            tracing::debug!(
                closed,
                "closed connections that sent no whole request head in time"
            );
        }
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

/// An answer's body, marking its connection ready for the next request head
/// once it is all handed on (or given up).
struct Answered<B> {
    inner: B,
    conn: Arc<Conn>,
}

impl<B> Drop for Answered<B> {
    fn drop(&mut self) {
        self.conn.head_since.store(coarse_ms(), Ordering::Relaxed);
    }
}

impl<B: Body + Unpin> Body for Answered<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The client's socket, noting when it last sent a byte.
struct Tracked {
    io: TcpStream,
    conn: Arc<Conn>,
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
            let now = coarse_ms();
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

    /// Reads until the server closes the connection or `within` passes:
    /// what was read, and whether it closed.
    async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
        use tokio::io::AsyncReadExt;
        let mut got = Vec::new();
        let closed = tokio::time::timeout(within, async {
            let mut buf = [0u8; 4096];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await
        .is_ok();
        (String::from_utf8_lossy(&got).into_owned(), closed)
    }

    /// A server on loopback with `/` ("ok"), `/slow` (900 ms to answer) and
    /// `/trickle` (three parts 350 ms apart), stopping when `shutdown` does.
    async fn serve_test_app(
        header_timeout: Duration,
        grace: Duration,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
        use futures_util::StreamExt;
        let app = axum::Router::new()
            .route("/", axum::routing::get(|| async { "ok" }))
            .route(
                "/slow",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_millis(900)).await;
                    "slow answer"
                }),
            )
            .route(
                "/trickle",
                axum::routing::get(|| async {
                    axum::body::Body::from_stream(futures_util::stream::iter(0..3).then(
                        |i| async move {
                            tokio::time::sleep(Duration::from_millis(350)).await;
                            Ok::<_, std::convert::Infallible>(format!("part{i} "))
                        },
                    ))
                }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let options = Options {
            max_connections: 16,
            header_timeout,
            body_timeout: Duration::from_secs(5),
            grace,
            metrics: None,
        };
        let server = tokio::spawn(run(listener, move |_| app.clone(), options, shutdown));
        (addr, server)
    }

    /// A connection that got one answer and stays open (keep-alive).
    async fn answered_once(addr: std::net::SocketAddr) -> TcpStream {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut answer = [0u8; 512];
        let n = stream.read(&mut answer).await.unwrap();
        assert!(String::from_utf8_lossy(&answer[..n]).ends_with("ok"));
        stream
    }

    #[tokio::test]
    async fn a_request_head_is_due_within_the_deadline_of_the_connection_being_ready_for_one() {
        use tokio::io::AsyncWriteExt;
        let (addr, server) = serve_test_app(
            Duration::from_millis(400),
            Duration::from_secs(1),
            std::future::pending(),
        )
        .await;
        let late = Duration::from_millis(1500);

        // Silent from the start, and stopped in the middle of a head.
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let mut partial = TcpStream::connect(addr).await.unwrap();
        partial.write_all(b"GET / HTTP/1.1\r\nHo").await.unwrap();
        let (said, closed) = read_until_closed(&mut silent, late).await;
        assert!(closed && said.is_empty(), "a silent connection is closed");
        let (said, closed) = read_until_closed(&mut partial, late).await;
        assert!(closed && said.is_empty(), "a half head is closed: {said:?}");

        // Answered, then idle on keep-alive: closed a deadline after the answer.
        let mut idle = answered_once(addr).await;
        let answered = std::time::Instant::now();
        let (said, closed) = read_until_closed(&mut idle, late).await;
        assert!(closed && said.is_empty(), "an idle keep-alive is closed");
        assert!(
            answered.elapsed() >= Duration::from_millis(300),
            "not before its deadline: {:?}",
            answered.elapsed()
        );

        // Answers that take longer than the deadline, to make or to send,
        // are given whole.
        for (path, want) in [("/slow", "slow answer"), ("/trickle", "part0 part1 part2 ")] {
            let mut busy = TcpStream::connect(addr).await.unwrap();
            busy.write_all(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            )
            .await
            .unwrap();
            let (said, closed) = read_until_closed(&mut busy, Duration::from_secs(5)).await;
            assert!(closed, "{path}: answered and closed");
            assert!(said.starts_with("HTTP/1.1 200"), "{path}: {said}");
            let body: String = said
                .split("\r\n\r\n")
                .nth(1)
                .unwrap()
                .lines()
                .filter(|l| !l.chars().all(|c| c.is_ascii_hexdigit()))
                .collect();
            assert_eq!(body, want, "{path}: the whole body");
        }
        server.abort();
    }

    #[tokio::test]
    async fn at_shutdown_idle_connections_close_at_once_and_busy_ones_after_their_answer() {
        use tokio::io::AsyncWriteExt;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (addr, server) =
            serve_test_app(Duration::from_secs(30), Duration::from_secs(5), async {
                let _ = stopped.await;
            })
            .await;
        // An idle keep-alive after one answer, a silent one, and one being answered.
        let mut idle = answered_once(addr).await;
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let mut busy = TcpStream::connect(addr).await.unwrap();
        busy.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;

        let asked = std::time::Instant::now();
        stop.send(()).unwrap();
        for (name, stream) in [("idle", &mut idle), ("silent", &mut silent)] {
            let (said, closed) = read_until_closed(stream, Duration::from_millis(300)).await;
            assert!(closed && said.is_empty(), "{name}: closed at once");
        }
        let (said, closed) = read_until_closed(&mut busy, Duration::from_secs(3)).await;
        assert!(closed, "the busy one closes after its answer");
        assert!(said.starts_with("HTTP/1.1 200"), "{said}");
        assert!(said.ends_with("slow answer"), "{said}");
        tokio::time::timeout(Duration::from_secs(2), server)
            .await
            .expect("run returns once every connection is closed")
            .unwrap();
        assert!(asked.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_timeout_is_recognised_through_wrapping_errors() {
        let wrapped = axum::Error::new(BodyTimeout);
        assert!(is_body_timeout(&wrapped));
        let other = axum::Error::new(std::io::Error::other("x"));
        assert!(!is_body_timeout(&other));
    }
}
