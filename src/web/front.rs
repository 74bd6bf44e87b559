//! The front of the application: what `serve` runs and tests drive.
//!
//! Plain menu pages are most of what a handset asks for. Once a page has been
//! rendered for a kind of handset (`page_cache`), a later `GET /s/{sid}/m/{node}`
//! for it is answered here, before the router: the session is looked up and
//! touched exactly as the menu handler would, and the cached bytes go out with
//! the session id spliced in. Anything else — another method or path, an
//! unknown or expired session, a node with an action or a panel, a page not
//! yet rendered, a query other than `p=N` — goes to the router unchanged,
//! which renders (and caches) it or answers the error page. The answers are
//! byte-identical either way (tested in `tests/it/menus.rs`); the benchmark
//! (`benches/handler.rs`, `benches/load.rs`) shows what the shortcut saves.
//!
//! A plain gateway link (`GET /s/{sid}/g/{site}/…` without a body or
//! percent-escapes in the path) is likewise handed straight to the gateway's
//! handler, its errors rendered by the router's own error-page function
//! (`tests/it/gateway.rs` compares both ways; `benches/gateway.rs`).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::future::RouteFuture;
use axum::Router;
use tower_service::Service;

use crate::web::headers::Kind;
use crate::web::state::AppState;

/// The application: the cached-page shortcut in front of the router.
#[derive(Clone)]
pub struct App {
    state: AppState,
    router: Router,
}

impl App {
    pub fn new(state: AppState, router: Router) -> App {
        App { state, router }
    }

    /// Answers one request (what `Service::call` does, from a shared reference).
    pub fn respond<B>(&self, req: Request<B>) -> AppFuture
    where
        B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        self.respond_from(req, None)
    }

    /// The same for a request from a client at `remote`: the address is
    /// attached (as axum's `ConnectInfo`) only to requests the router answers,
    /// so a cached page costs no extension map. A path under `/w/{id}` is
    /// answered in that world.
    pub fn respond_from<B>(&self, req: Request<B>, remote: Option<SocketAddr>) -> AppFuture
    where
        B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        if req.uri().path().starts_with("/w/") {
            return self.in_world(req, remote);
        }
        self.respond_in(&self.state, req, remote)
    }

    /// Answers `req` in the world of `state`.
    fn respond_in<B>(
        &self,
        state: &AppState,
        mut req: Request<B>,
        remote: Option<SocketAddr>,
    ) -> AppFuture
    where
        B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        if let Some(mut page) = cached_menu_page(state, &req) {
            if !state.is_default() {
                // Answered through `in_world`'s rebasing: already based.
                page.extensions_mut().insert(super::page::Based);
            }
            // Answered from memory in well under the first bucket's bound:
            // counted there without reading the clock twice.
            state.metrics.request(
                Kind::Handset,
                page.status().as_u16(),
                std::time::Duration::ZERO,
            );
            return AppFuture::Cached(Some(page));
        }
        let started = std::time::Instant::now();
        if req.method() == Method::GET {
            if let Some(answer) = self.gateway_link(state, &req, started) {
                return answer;
            }
        }
        if let Some(remote) = remote {
            req.extensions_mut().insert(ConnectInfo(remote));
        }
        if !state.is_default() {
            req.extensions_mut().insert(state.clone());
        }
        let kind = Kind::of(req.uri().path());
        let host = req.headers().get(axum::http::header::HOST).cloned();
        AppFuture::Routed {
            answer: self.router.clone().call(req),
            finish: Some(Finish {
                state: state.clone(),
                kind,
                host,
                started,
            }),
        }
    }

    /// A request under `/w/{id}`: the world is looked up (an unknown one is
    /// a 404 page or JSON), opened if its database is closed, and the rest
    /// of the path answered in it as the default world answers its own;
    /// the answer's links and redirects then get the world's prefix.
    fn in_world<B>(&self, req: Request<B>, remote: Option<SocketAddr>) -> AppFuture
    where
        B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        let path = req.uri().path();
        let after = &path["/w/".len()..];
        let (id, rest) =
            after.split_at(memchr::memchr(b'/', after.as_bytes()).unwrap_or(after.len()));
        let query = || {
            req.uri()
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default()
        };
        let Some(entry) = self.state.worlds.get(id) else {
            let shown = if rest.is_empty() { "/" } else { rest };
            return AppFuture::Cached(Some(self.no_such_world(&req, shown)));
        };
        if rest.is_empty() {
            let to = format!("/w/{id}/{}", query());
            return AppFuture::Cached(Some(
                axum::response::Redirect::permanent(&to).into_response(),
            ));
        }
        entry.touch();
        // A plain menu page of an open world, already rendered: answered
        // here, its prefix spliced in with the session id.
        if req.method() == Method::GET {
            if let Some(world) = entry.open_now() {
                let state = AppState::of(world);
                if let Some(page) = cached_menu_page_at(&state, rest, req.uri().query()) {
                    state.metrics.request(
                        Kind::Handset,
                        page.status().as_u16(),
                        std::time::Duration::ZERO,
                    );
                    return AppFuture::Cached(Some(page));
                }
            }
        }
        let Ok(uri) = format!("{rest}{}", query()).parse::<axum::http::Uri>() else {
            return AppFuture::Cached(Some(crate::error::AppError::NotFound.into_response()));
        };
        let (mut parts, body) = req.into_parts();
        parts.uri = uri;
        let req = Request::from_parts(parts, body);
        let app = self.clone();
        AppFuture::Gateway(Box::pin(async move {
            let world = match app.state.server().open_world(&entry).await {
                Ok(world) => world,
                Err(e) => return e.into_response(),
            };
            let state = AppState::of(world);
            let answer = match app.respond_in(&state, req, remote).await {
                Ok(answer) => answer,
                Err(never) => match never {},
            };
            rebase_answer(answer, state.base()).await
        }))
    }

    /// The 404 for a world that is not (or no longer) there.
    fn no_such_world<B>(&self, req: &Request<B>, rest: &str) -> Response {
        let uri = rest.parse().unwrap_or_default();
        let ua = req.headers().get(axum::http::header::USER_AGENT);
        let error = crate::error::AppError::NotFoundMsg(
            "no such world: it was deleted, it expired, or the address is wrong".into(),
        );
        let mut page = crate::web::errors::error_page(&self.state, &uri, ua, error.into_response());
        self.state
            .policies
            .apply(Kind::of(rest), page.headers_mut());
        page
    }
}

/// A world's answer with its prefix before every root-relative link of an
/// HTML page (its `Location` got it in `Finish`).
async fn rebase_answer(response: Response, base: &str) -> Response {
    let html = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !html || response.extensions().get::<super::page::Based>().is_some() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // garake's own pages are made whole in memory: this reads a buffer
    // that is already there.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return crate::error::AppError::Internal(format!("a page could not be read: {e}"))
                .into_response()
        }
    };
    let body = match crate::views::rebase::rebase(&bytes, base) {
        std::borrow::Cow::Borrowed(_) => axum::body::Body::from(bytes),
        std::borrow::Cow::Owned(out) => axum::body::Body::from(out),
    };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

impl App {
    /// A plain gateway link, answered without the router: the same handler,
    /// its errors rendered by the same function as the router's.
    fn gateway_link<B>(
        &self,
        state: &AppState,
        req: &Request<B>,
        started: std::time::Instant,
    ) -> Option<AppFuture> {
        let (sid, site, rest) = crate::web::gateway::plain_link_path(req.uri().path())?;
        // A GET with a body is the router's (it refuses a large one unread).
        let headers = req.headers();
        if headers.contains_key(axum::http::header::CONTENT_LENGTH)
            || headers.contains_key(axum::http::header::TRANSFER_ENCODING)
        {
            return None;
        }
        let call = crate::web::gateway::Call {
            sid: sid.to_string(),
            site: site.to_string(),
            rest: rest.to_string(),
            query: req.uri().query().map(str::to_string),
            body: None,
        };
        let state = state.clone();
        let uri = req.uri().clone();
        let ua = req.headers().get(axum::http::header::USER_AGENT).cloned();
        let finish = Finish {
            state: state.clone(),
            kind: Kind::Handset,
            host: req.headers().get(axum::http::header::HOST).cloned(),
            started,
        };
        Some(AppFuture::Gateway(Box::pin(async move {
            let answer = crate::web::gateway::link_get(state.clone(), call)
                .await
                .unwrap_or_else(IntoResponse::into_response);
            let mut response = crate::web::errors::error_page(&state, &uri, ua.as_ref(), answer);
            finish.apply(&mut response);
            response
        })))
    }
}

/// What every routed answer gets on its way out: its kind's headers and an
/// absolute `Location`.
pub struct Finish {
    state: AppState,
    kind: Kind,
    host: Option<axum::http::HeaderValue>,
    started: std::time::Instant,
}

impl Finish {
    fn apply(self, response: &mut Response) {
        self.state.metrics.request(
            self.kind,
            response.status().as_u16(),
            self.started.elapsed(),
        );
        self.state.policies.apply(self.kind, response.headers_mut());
        if response
            .headers()
            .contains_key(axum::http::header::LOCATION)
        {
            let location = response.headers().get(axum::http::header::LOCATION);
            let based = location
                .and_then(|l| l.to_str().ok())
                .and_then(|l| crate::views::rebase::rebase_url(l, self.state.base()))
                .and_then(|l| axum::http::HeaderValue::from_str(&l).ok());
            if let Some(based) = based {
                response
                    .headers_mut()
                    .insert(axum::http::header::LOCATION, based);
            }
            let origin = crate::web::headers::origin(self.host.as_ref(), &self.state.public_url);
            crate::web::headers::absolute_location(response, &origin);
        }
    }
}

impl<B> Service<Request<B>> for App
where
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = AppFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> AppFuture {
        self.respond(req)
    }
}

impl App {
    /// The service answering the requests of a client at `remote`.
    pub fn for_peer(&self, remote: SocketAddr) -> Peer {
        Peer {
            app: self.clone(),
            remote,
        }
    }
}

/// The application as one client's connection sees it: its requests carry
/// the client's address.
#[derive(Clone)]
pub struct Peer {
    app: App,
    remote: SocketAddr,
}

impl<B> Service<Request<B>> for Peer
where
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = AppFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> AppFuture {
        self.app.respond_from(req, Some(self.remote))
    }
}

/// The answer: ready at once from the cache, or the router's.
// The routed variant is the big one and the common one; the future is built
// once in place on the connection's task and never moved around, so boxing it
// would only add an allocation per request.
#[allow(clippy::large_enum_variant)]
pub enum AppFuture {
    Cached(Option<Response>),
    /// A gateway link (`App::gateway_link`).
    Gateway(Pin<Box<dyn Future<Output = Response> + Send>>),
    Routed {
        answer: RouteFuture<Infallible>,
        finish: Option<Finish>,
    },
}

impl Future for AppFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            AppFuture::Cached(page) => Poll::Ready(Ok(page.take().unwrap_or_else(|| {
                // Polled again after completion: a caller bug, answered plainly.
                crate::error::AppError::NotFound.into_response()
            }))),
            AppFuture::Gateway(answer) => answer.as_mut().poll(cx).map(Ok),
            AppFuture::Routed { answer, finish } => match Pin::new(answer).poll(cx) {
                Poll::Ready(Ok(mut response)) => {
                    if let Some(finish) = finish.take() {
                        finish.apply(&mut response);
                    }
                    Poll::Ready(Ok(response))
                }
                other => other,
            },
        }
    }
}

/// The cached page for a plain menu request, or `None` to let the router answer.
fn cached_menu_page<B>(state: &AppState, req: &Request<B>) -> Option<Response> {
    if req.method() != Method::GET {
        return None;
    }
    cached_menu_page_at(state, req.uri().path(), req.uri().query())
}

/// `cached_menu_page` for a path (inside its world) and query.
fn cached_menu_page_at(state: &AppState, path: &str, query: Option<&str>) -> Option<Response> {
    // `/s/` a session id of 32 characters `/m/` a node id; anything else,
    // or anything needing decoding or splitting, is the router's.
    let rest = path.strip_prefix("/s/")?;
    let sid = rest.get(..32)?;
    let node_id = rest.get(32..)?.strip_prefix("/m/")?;
    if node_id.bytes().any(|b| b == b'/' || b == b'%') {
        return None;
    }
    let page = match query {
        None => 1,
        Some(q) => {
            let n = q.strip_prefix("p=")?;
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            n.parse().ok()?
        }
    };
    let node = state.menu.node(node_id)?;
    crate::web::handset::imenu::cached_page(state, sid, node, page)
}
