//! The gateway's HTTP client to content providers: plain http and https
//! (rustls, the Mozilla root certificates plus any `--gateway-ca`), the wait
//! limit of every exchange, and one pool of kept-alive connections for the
//! whole server.
//!
//! An exchange moves its connection on the handset request's own task: the
//! request is written, the answer read and its body collected while that task
//! polls the connection, so no second task is woken (and no worker thread
//! handed the work) on the way. A connection whose answer was read to its end
//! goes back to the pool; the newest idle one is used first, one idle longer
//! than `limits::GATEWAY_IDLE` is closed, and at most
//! `limits::GATEWAY_IDLE_CONNECTIONS` are kept in all (beyond it a connection
//! is closed after its answer instead of kept).
//!
//! A request goes to a site at most once. It is sent again (on another
//! connection) only when it provably never left: a kept connection the site
//! had closed is noticed before the request is written, or the connection
//! hands the request back unwritten. Once it may have been written, any
//! failure (a partial answer, a reset, a close) is the caller's error: the
//! site may have acted on it, and a form posted twice is an order placed twice.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode, Uri};
use http_body_util::Full;
use hyper::body::{Body, Incoming};
use hyper::client::conn::{http1, TrySendError};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tower_service::Service;

use super::budget::{Budget, Charge, WORKING_COPIES};
use crate::limits::{GATEWAY_IDLE, GATEWAY_IDLE_CONNECTIONS};

/// Why the gateway client could not be built (only `--gateway-ca` can fail).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read the gateway CA file {path}: {reason}")]
    Ca { path: String, reason: String },
    #[error("cannot set up TLS for the gateway: {0}")]
    Tls(#[from] rustls::Error),
}

type Sender = http1::SendRequest<Full<Bytes>>;
type Driver = http1::Connection<MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>, Full<Bytes>>;

/// One open connection to a site: the side requests go in by, and the
/// connection itself, which moves only while someone polls it. The
/// connection (its buffers, and TLS state for https) is boxed: a link moves
/// in and out of the pool and through the exchange by a pointer.
struct Link {
    sender: Sender,
    /// The connection; let go (`None`) only to take back a request it
    /// ended without writing.
    driver: Option<Box<Driver>>,
    /// The connection has ended (closed by either side, or broken).
    ended: bool,
}

/// Why a request did not get an answer on a link.
enum Failed {
    /// The request was never written: here it is back.
    NotSent(Box<Request<Full<Bytes>>>),
    /// The request was written, or may have been, and no answer came.
    Sent(SendError),
}

impl From<TrySendError<Request<Full<Bytes>>>> for Failed {
    /// hyper hands a request back only when it never started writing it.
    fn from(mut e: TrySendError<Request<Full<Bytes>>>) -> Failed {
        match e.take_message() {
            Some(req) => Failed::NotSent(Box::new(req)),
            None => Failed::Sent(classify(&e.into_error())),
        }
    }
}

impl Link {
    /// Lets the connection do what it can: write, read, notice its end.
    fn turn(&mut self, cx: &mut Context<'_>) {
        if let (false, Some(driver)) = (self.ended, self.driver.as_mut()) {
            if Pin::new(driver).poll(cx).is_ready() {
                self.ended = true;
            }
        }
    }

    /// Sends one request and waits for the answer's head.
    async fn send(
        &mut self,
        req: Request<Full<Bytes>>,
    ) -> Result<hyper::Response<Incoming>, Failed> {
        // The connection is turned first, so that a close by the site while
        // it sat idle is read before the request is handed over. An ended
        // connection's sender would wait for ever: it is not asked.
        let ready = poll_fn(|cx| {
            self.turn(cx);
            match self.ended {
                true => Poll::Ready(false),
                false => self.sender.poll_ready(cx).map(|r| r.is_ok()),
            }
        })
        .await;
        if !ready {
            return Err(Failed::NotSent(Box::new(req)));
        }
        let answer = self.sender.try_send_request(req);
        let mut answer = std::pin::pin!(answer);
        poll_fn(|cx| {
            self.turn(cx);
            match answer.as_mut().poll(cx) {
                Poll::Ready(result) => Poll::Ready(result.map_err(Failed::from)),
                // The connection ended and said nothing of the request.
                // Letting the connection go settles it: a request it never
                // took up comes back, any other is failed.
                Poll::Pending if self.ended => {
                    self.driver = None;
                    Poll::Ready(match answer.as_mut().poll(cx) {
                        Poll::Ready(result) => result.map_err(Failed::from),
                        Poll::Pending => Err(Failed::Sent(SendError::Unreachable)),
                    })
                }
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    /// Reads an answer's body to its end, or to `limit` bytes, charging the
    /// budget (if any) for its bytes: for the whole body at once when its
    /// length is declared (so that no page holds part of the budget while it
    /// waits for the rest, which would let many pages hold it all and none
    /// finish), else as they arrive.
    async fn body(
        &mut self,
        mut body: Incoming,
        limit: usize,
        declared: Option<usize>,
        budget: Option<(&Budget, &mut Charge)>,
    ) -> Result<Bytes, BodyError> {
        let mut budget = budget;
        if let (Some((budget, charge)), Some(declared)) = (&mut budget, declared) {
            budget
                .charge(charge, declared * WORKING_COPIES)
                .await
                .map_err(|_| BodyError::Busy)?;
        }
        let mut first: Option<Bytes> = None;
        let mut more: Vec<u8> = Vec::new();
        let mut len = 0usize;
        loop {
            let frame = poll_fn(|cx| {
                self.turn(cx);
                match Pin::new(&mut body).poll_frame(cx) {
                    Poll::Pending if self.ended => Poll::Ready(Some(Err(()))),
                    other => other.map(|f| f.map(|f| f.map_err(|_| ()))),
                }
            })
            .await;
            let data = match frame {
                None => break,
                // The connection ended before the body did.
                Some(Err(_)) => return Err(BodyError::Incomplete),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => data,
                    Err(_) => continue,
                },
            };
            len += data.len();
            if len > limit {
                return Err(BodyError::TooBig);
            }
            if let Some((budget, charge)) = &mut budget {
                // What the bytes so far need, beyond what is held already.
                let owed = (len * WORKING_COPIES).saturating_sub(charge.bytes());
                if owed > 0 {
                    budget
                        .charge(charge, owed)
                        .await
                        .map_err(|_| BodyError::Busy)?;
                }
            }
            // One chunk (the usual case for a page) is kept as it came.
            match &first {
                None => first = Some(data),
                Some(head) => {
                    if more.is_empty() {
                        more.reserve_exact(declared.unwrap_or(0).max(head.len() + data.len()));
                        more.extend_from_slice(head);
                    }
                    more.extend_from_slice(&data);
                }
            }
        }
        Ok(match first {
            Some(_) if !more.is_empty() => Bytes::from(more),
            Some(only) => only,
            None => Bytes::new(),
        })
    }

    /// Whether the link can carry another request.
    fn reusable(&self) -> bool {
        !self.ended && !self.sender.is_closed()
    }
}

/// Where a connection goes: the scheme and the host with its port.
#[derive(PartialEq, Eq)]
struct Origin {
    secure: bool,
    authority: Box<str>,
}

struct Idle {
    link: Link,
    since: Instant,
}

/// The kept-alive connections, per origin (oldest first).
#[derive(Default)]
struct Pool {
    origins: Vec<(Origin, VecDeque<Idle>)>,
}

impl Pool {
    /// How many connections are kept (the origins are the configured sites: few).
    fn idle(&self) -> usize {
        self.origins.iter().map(|(_, list)| list.len()).sum()
    }

    fn list(&mut self, secure: bool, authority: &str) -> Option<&mut VecDeque<Idle>> {
        self.origins
            .iter_mut()
            .find(|(o, _)| o.secure == secure && &*o.authority == authority)
            .map(|(_, list)| list)
    }

    /// Takes out every connection idle for `idle_for` or more.
    fn expired(&mut self, now: Instant, idle_for: Duration) -> Vec<Idle> {
        let mut gone = Vec::new();
        for (_, list) in &mut self.origins {
            while list
                .front()
                .is_some_and(|i| now.duration_since(i.since) >= idle_for)
            {
                gone.extend(list.pop_front());
            }
        }
        gone
    }
}

/// An answer: its status and headers, its body read within the limit, and
/// what the body holds of the gateway's budget.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Result<Bytes, BodyError>,
    pub charge: Charge,
}

/// Why an answer's body could not be read whole.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// It is (or says it is) larger than the limit.
    TooBig,
    /// The connection ended before the body did.
    Incomplete,
    /// The gateway's budget of page bytes had no room for it in time.
    Busy,
}

/// The client and its timeout, built once at start.
pub struct Upstreams {
    connector: HttpsConnector<HttpConnector>,
    pool: Mutex<Pool>,
    /// The pool's bounds: connections kept in all, and for how long unused.
    max_idle: usize,
    idle_for: Duration,
    /// How long one handset request may wait for the site (redirects included).
    pub timeout: Duration,
}

impl Upstreams {
    /// A client trusting the Mozilla roots and, if given, the certificates of
    /// a PEM file (for a content provider's self-signed development site).
    pub fn new(extra_ca: Option<&Path>, timeout: Duration) -> Result<Upstreams, ClientError> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = extra_ca {
            let ca_error = |reason: String| ClientError::Ca {
                path: path.display().to_string(),
                reason,
            };
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| ca_error(e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ca_error(e.to_string()))?;
            if certs.is_empty() {
                return Err(ca_error("no certificate in it".into()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| ca_error(e.to_string()))?;
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Upstreams {
            connector,
            pool: Mutex::new(Pool::default()),
            max_idle: GATEWAY_IDLE_CONNECTIONS,
            idle_for: GATEWAY_IDLE,
            timeout,
        })
    }

    /// The same client with other pool bounds (for tests of the pool).
    #[cfg(test)]
    fn with_pool(mut self, max_idle: usize, idle_for: Duration) -> Upstreams {
        self.max_idle = max_idle;
        self.idle_for = idle_for;
        self
    }

    /// Sends one request (no redirects followed here) and reads the answer's
    /// body up to `limit` bytes. `build` makes the request (an absolute URL).
    /// The request goes to the site at most once: it is tried on another
    /// connection only when a kept one turns out closed before it was written.
    /// Any failure after it may have been written is an error, never a
    /// second send.
    pub async fn fetch(
        &self,
        build: impl FnOnce() -> Option<Request<Full<Bytes>>>,
        limit: usize,
        budget: Option<&Budget>,
    ) -> Result<Reply, SendError> {
        let mut req = build().ok_or(SendError::Unsendable)?;
        let secure = req.uri().scheme() == Some(&axum::http::uri::Scheme::HTTPS);
        let authority = req.uri().authority().ok_or(SendError::Unsendable)?.clone();
        let (mut link, answer) = loop {
            let (mut link, kept) = match self.checkout(secure, authority.as_str()) {
                Some(link) => (link, true),
                None => (self.connect(secure, &authority).await?, false),
            };
            match link.send(origin_form(req, &authority)).await {
                Ok(answer) => break (link, answer),
                // A kept connection the site had closed: the request, never
                // written, goes on the next one.
                Err(Failed::NotSent(back)) if kept => req = *back,
                Err(Failed::NotSent(_)) => return Err(SendError::Unreachable),
                Err(Failed::Sent(e)) => return Err(e),
            }
        };
        let (head, body) = answer.into_parts();
        let declared = head
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let mut charge = Charge::default();
        let body = if declared.is_some_and(|n| n > limit as u64) {
            // Not read: the connection is dropped with it.
            Err(BodyError::TooBig)
        } else {
            let body = link
                .body(
                    body,
                    limit,
                    declared.and_then(|n| usize::try_from(n).ok()),
                    budget.map(|b| (b, &mut charge)),
                )
                .await;
            if body.is_ok() {
                self.checkin(secure, &authority, link);
            }
            body
        };
        if body.is_err() {
            charge = Charge::default();
        }
        Ok(Reply {
            status: head.status,
            headers: head.headers,
            body,
            charge,
        })
    }

    /// The newest idle connection to an origin that is still open.
    fn checkout(&self, secure: bool, authority: &str) -> Option<Link> {
        let now = Instant::now();
        let mut stale = Vec::new();
        let found = {
            let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            let mut found = None;
            if let Some(list) = pool.list(secure, authority) {
                while let Some(idle) = list.pop_back() {
                    if now.duration_since(idle.since) < self.idle_for && idle.link.reusable() {
                        found = Some(idle.link);
                        break;
                    }
                    stale.push(idle);
                }
            }
            found
        };
        // Closed outside the lock.
        drop(stale);
        found
    }

    /// Keeps a connection whose answer was read to its end, if there is room.
    fn checkin(&self, secure: bool, authority: &axum::http::uri::Authority, link: Link) {
        if !link.reusable() {
            return;
        }
        let now = Instant::now();
        let (expired, refused) = {
            let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            let expired = pool.expired(now, self.idle_for);
            if pool.idle() >= self.max_idle {
                (expired, Some(link))
            } else {
                let idle = Idle { link, since: now };
                match pool.list(secure, authority.as_str()) {
                    Some(list) => list.push_back(idle),
                    None => pool.origins.push((
                        Origin {
                            secure,
                            authority: authority.as_str().into(),
                        },
                        VecDeque::from([idle]),
                    )),
                }
                (expired, None)
            }
        };
        drop((expired, refused));
    }

    /// Closes the connections idle too long (the background sweep's part);
    /// returns how many.
    pub fn sweep(&self) -> usize {
        let expired = self
            .pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .expired(Instant::now(), self.idle_for);
        expired.len()
    }

    /// How many connections are kept idle now.
    pub fn idle(&self) -> usize {
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).idle()
    }

    /// Opens a connection (TCP, and TLS for https).
    async fn connect(
        &self,
        secure: bool,
        authority: &axum::http::uri::Authority,
    ) -> Result<Link, SendError> {
        let uri = Uri::builder()
            .scheme(if secure { "https" } else { "http" })
            .authority(authority.clone())
            .path_and_query("/")
            .build()
            .map_err(|_| SendError::Unreachable)?;
        let mut connector = self.connector.clone();
        poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(|e| classify(&*e))?;
        let io = connector.call(uri).await.map_err(|e| classify(&*e))?;
        let (sender, driver) = http1::handshake(io)
            .await
            .map_err(|_| SendError::Unreachable)?;
        Ok(Link {
            sender,
            driver: Some(Box::new(driver)),
            ended: false,
        })
    }
}

/// The request as it goes on a connection: the path and query only, and the
/// host in its `Host` header.
fn origin_form(
    mut req: Request<Full<Bytes>>,
    authority: &axum::http::uri::Authority,
) -> Request<Full<Bytes>> {
    if req.uri().scheme().is_some() {
        let path = req
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| axum::http::uri::PathAndQuery::from_static("/"));
        *req.uri_mut() = Uri::from(path);
    }
    if !req.headers().contains_key(header::HOST) {
        if let Ok(host) = HeaderValue::from_str(authority.as_str()) {
            req.headers_mut().insert(header::HOST, host);
        }
    }
    req
}

/// A failure as the handset is told it.
fn classify(e: &(dyn std::error::Error + 'static)) -> SendError {
    if is_certificate_problem(e) {
        SendError::Certificate
    } else {
        SendError::Unreachable
    }
}

/// How a request to a content provider failed.
#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    /// Nobody answered, or the connection broke.
    Unreachable,
    /// The TLS handshake failed: an untrusted, expired or wrong-name certificate.
    Certificate,
    /// The request cannot be written (a header value HTTP does not allow, a
    /// URL without a host): nothing was sent.
    Unsendable,
}

/// Whether a rustls error sits anywhere in the chain. `io::Error` hides its
/// inner error from `source()` (and the connector wraps one io::Error in
/// another), so io errors are looked into by hand.
fn is_certificate_problem(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        next = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// What a test site saw: connections opened, requests read, connections
    /// that ended (closed by garake or by the site).
    #[derive(Default)]
    struct Seen {
        opened: AtomicUsize,
        requests: AtomicUsize,
        ended: AtomicUsize,
        /// POSTs read whole (head and body).
        posts: AtomicUsize,
    }

    /// How the test site answers.
    #[derive(Clone, Copy)]
    enum Site {
        /// Keeps the connection open after each answer.
        KeepsOpen,
        /// Closes the connection a moment after each answer, without having
        /// said so in it (as a site's idle timeout does).
        ClosesSilently,
        /// Waits this long before answering (to make requests overlap).
        Slow(Duration),
    }

    const PAGE: &str = "<html>ok</html>";

    /// A site on a loopback port answering every request with `PAGE`.
    async fn site(how: Site) -> (String, Arc<Seen>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Seen::default());
        let counts = seen.clone();
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                counts.opened.fetch_add(1, Ordering::SeqCst);
                let counts = counts.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        let n = socket.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            buf.drain(..end + 4);
                            counts.requests.fetch_add(1, Ordering::SeqCst);
                            if let Site::Slow(wait) = how {
                                tokio::time::sleep(wait).await;
                            }
                            let answer = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{PAGE}",
                                PAGE.len()
                            );
                            if socket.write_all(answer.as_bytes()).await.is_err() {
                                break;
                            }
                            if let Site::ClosesSilently = how {
                                tokio::time::sleep(Duration::from_millis(20)).await;
                                let _ = socket.shutdown().await;
                                counts.ended.fetch_add(1, Ordering::SeqCst);
                                return;
                            }
                        }
                    }
                    counts.ended.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        (format!("http://{addr}/page"), seen)
    }

    /// How a site breaks off a POST it has read whole.
    #[derive(Clone, Copy, Debug)]
    enum BreakOff {
        /// Sends the start of an answer's head, then closes.
        PartialHead,
        /// Resets the connection (a zero linger: RST, no FIN).
        Reset,
        /// Closes the connection cleanly without a word.
        Close,
    }

    /// A site on a loopback port that answers a GET with `PAGE` and keeps the
    /// connection, and breaks off every POST after reading it whole.
    async fn breaking_site(how: BreakOff) -> (String, Arc<Seen>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Seen::default());
        let counts = seen.clone();
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                counts.opened.fetch_add(1, Ordering::SeqCst);
                let counts = counts.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        // One request: its head, then as many bytes as it declares.
                        let end = loop {
                            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break end + 4;
                            }
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => {
                                    counts.ended.fetch_add(1, Ordering::SeqCst);
                                    return;
                                }
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |n| n.trim().parse::<usize>().unwrap());
                        while buf.len() < end + length {
                            let n = socket.read(&mut chunk).await.unwrap();
                            assert!(n > 0, "the body came whole");
                            buf.extend_from_slice(&chunk[..n]);
                        }
                        buf.drain(..end + length);
                        counts.requests.fetch_add(1, Ordering::SeqCst);
                        if head.starts_with("post ") {
                            counts.posts.fetch_add(1, Ordering::SeqCst);
                            match how {
                                BreakOff::PartialHead => {
                                    let _ =
                                        socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Ty").await;
                                    let _ = socket.shutdown().await;
                                }
                                BreakOff::Reset => socket.set_zero_linger().unwrap(),
                                BreakOff::Close => {
                                    let _ = socket.shutdown().await;
                                }
                            }
                            counts.ended.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{PAGE}",
                            PAGE.len()
                        );
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (format!("http://{addr}/page"), seen)
    }

    fn client() -> Upstreams {
        Upstreams::new(None, Duration::from_secs(5)).unwrap()
    }

    /// What `fetch` is given to make a plain GET of `url`.
    fn get_request(url: &str) -> impl Fn() -> Option<Request<Full<Bytes>>> + '_ {
        move || {
            Request::get(url)
                .header(header::USER_AGENT, "test")
                .body(Full::new(Bytes::new()))
                .ok()
        }
    }

    /// What `fetch` is given to make a form POST of `url`.
    fn post_request(url: &str) -> impl FnOnce() -> Option<Request<Full<Bytes>>> + '_ {
        move || {
            Request::post(url)
                .header(header::USER_AGENT, "test")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from_static(b"order=1&item=tea")))
                .ok()
        }
    }

    async fn get(client: &Upstreams, url: &str) -> Reply {
        client
            .fetch(get_request(url), 1024, None)
            .await
            .expect("an answer")
    }

    async fn settle() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    #[tokio::test]
    async fn a_kept_connection_carries_the_next_requests() {
        let (url, seen) = site(Site::KeepsOpen).await;
        let client = client();
        for _ in 0..5 {
            let reply = get(&client, &url).await;
            assert_eq!(reply.status, StatusCode::OK);
            assert_eq!(reply.body.unwrap(), PAGE.as_bytes());
        }
        assert_eq!(seen.requests.load(Ordering::SeqCst), 5);
        assert_eq!(
            seen.opened.load(Ordering::SeqCst),
            1,
            "one connection for all five"
        );
        assert_eq!(client.idle(), 1);
    }

    #[tokio::test]
    async fn a_connection_the_site_closed_is_replaced_without_an_error() {
        let (url, seen) = site(Site::ClosesSilently).await;
        let client = client();
        for n in 1..=5 {
            let reply = get(&client, &url).await;
            assert_eq!(reply.body.unwrap(), PAGE.as_bytes(), "request {n}");
            // The connection is kept, and closed by the site meanwhile.
            assert_eq!(client.idle(), 1);
            settle().await;
        }
        assert_eq!(seen.requests.load(Ordering::SeqCst), 5, "each request once");
        assert_eq!(seen.opened.load(Ordering::SeqCst), 5);
    }

    /// A POST on a kept connection that the site breaks off after reading
    /// it: an error for the caller, and the site saw it once.
    async fn a_post_broken_off(how: BreakOff) {
        let (url, seen) = breaking_site(how).await;
        let client = client();
        assert_eq!(get(&client, &url).await.body.unwrap(), PAGE.as_bytes());
        assert_eq!(client.idle(), 1, "the first answer's connection is kept");
        let result = client.fetch(post_request(&url), 1024, None).await;
        assert!(
            matches!(result, Err(SendError::Unreachable)),
            "{how:?}: an error, not a reply"
        );
        settle().await;
        assert_eq!(
            seen.posts.load(Ordering::SeqCst),
            1,
            "{how:?}: the POST once"
        );
        assert_eq!(
            seen.requests.load(Ordering::SeqCst),
            2,
            "{how:?}: GET, POST"
        );
        assert_eq!(
            seen.opened.load(Ordering::SeqCst),
            1,
            "{how:?}: no second connection"
        );
        assert_eq!(client.idle(), 0);
    }

    #[tokio::test]
    async fn a_post_answered_with_half_a_head_is_an_error_and_not_sent_again() {
        a_post_broken_off(BreakOff::PartialHead).await;
    }

    #[tokio::test]
    async fn a_post_the_site_resets_is_an_error_and_not_sent_again() {
        a_post_broken_off(BreakOff::Reset).await;
    }

    #[tokio::test]
    async fn a_post_the_site_closes_on_is_an_error_and_not_sent_again() {
        a_post_broken_off(BreakOff::Close).await;
    }

    #[tokio::test]
    async fn idle_connections_are_bounded_and_closed_when_unused_too_long() {
        let (url, seen) = site(Site::Slow(Duration::from_millis(200))).await;
        let client = Arc::new(client().with_pool(2, Duration::from_millis(300)));
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let (client, url) = (client.clone(), url.clone());
            tasks.push(tokio::spawn(async move { get(&client, &url).await.body }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), PAGE.as_bytes());
        }
        settle().await;
        assert_eq!(seen.opened.load(Ordering::SeqCst), 4, "four at once");
        assert_eq!(client.idle(), 2, "two kept");
        assert_eq!(seen.ended.load(Ordering::SeqCst), 2, "the others closed");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(client.sweep(), 2);
        assert_eq!(client.idle(), 0);
        settle().await;
        assert_eq!(
            seen.ended.load(Ordering::SeqCst),
            4,
            "all closed at the site"
        );
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_too_big_and_its_connection_not_kept() {
        let (url, seen) = site(Site::KeepsOpen).await;
        let client = client();
        let reply = client
            .fetch(get_request(&url), PAGE.len() - 1, None)
            .await
            .unwrap();
        assert_eq!(reply.body, Err(BodyError::TooBig));
        assert_eq!(client.idle(), 0);
        settle().await;
        assert_eq!(seen.ended.load(Ordering::SeqCst), 1);
        // The next request opens a new connection and is answered whole.
        assert_eq!(get(&client, &url).await.body.unwrap(), PAGE.as_bytes());
        assert_eq!(seen.opened.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_request_that_cannot_be_written_is_unsendable_and_nothing_goes_out() {
        let (url, seen) = site(Site::KeepsOpen).await;
        let client = client();
        // A header value HTTP does not allow: the builder refuses it.
        let bad_header = || {
            Request::get(url.as_str())
                .header(header::USER_AGENT, "line\nbreak")
                .body(Full::new(Bytes::new()))
                .ok()
        };
        assert!(matches!(
            client.fetch(bad_header, 1024, None).await,
            Err(SendError::Unsendable)
        ));
        let no_host = || Request::get("/page").body(Full::new(Bytes::new())).ok();
        assert!(matches!(
            client.fetch(no_host, 1024, None).await,
            Err(SendError::Unsendable)
        ));
        settle().await;
        assert_eq!(seen.opened.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn nobody_listening_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        assert!(matches!(
            client().fetch(get_request(&url), 1024, None).await,
            Err(SendError::Unreachable)
        ));
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_a_clear_start_error() {
        let missing = Upstreams::new(
            Some(Path::new("/nonexistent/ca.pem")),
            Duration::from_secs(1),
        );
        assert!(matches!(missing, Err(ClientError::Ca { .. })));
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = Upstreams::new(Some(&empty), Duration::from_secs(1))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("no certificate"), "{err}");
    }
}
