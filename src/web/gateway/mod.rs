//! Forwarding handset requests to content providers' own sites: only sites
//! with an `upstream` in the menu files, only below it. Each handset request
//! is one request to the site; a redirect is answered to the handset (its
//! `Location` pointed into the gateway) so that the handset makes the next
//! request itself, through the same rules. Every HTML answer passes through
//! `gateway::sanitize` before the handset sees it.

pub mod regst;

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use http_body_util::Full;
use maud::html;
use url::Url;

use crate::error::AppError;
use crate::gateway::budget::{Charge, Charged};
use crate::gateway::client::{BodyError, SendError};
use crate::gateway::rewrites::{self, Rewritten};
use crate::gateway::sanitize::{self, Rules};
use crate::gateway::{self, Answer, Identity, Via};
use crate::handset::{encode_page, Browser, Charset};
use crate::menu::Site;
use crate::queue::{self, Busy};
use crate::session::Session;
use crate::views::{self, Ctx};
use crate::web::page::Page;
use crate::web::state::AppState;

/// Largest upstream body read (the biggest handset cache, 500 KB, plus room).
pub const MAX_UPSTREAM_BODY: usize = 600 * 1024;

pub fn routes() -> Router {
    Router::new()
        .route("/s/{sid}/g/{site}/", get(link).post(link))
        .route("/s/{sid}/g/{site}/{*rest}", get(link).post(link))
        .route("/s/{sid}/f/{site}/", get(form))
        .route("/s/{sid}/f/{site}/{*rest}", get(form))
        .route("/s/{sid}/u/{site}/", get(consent_any).post(consent_any))
        .route(
            "/s/{sid}/u/{site}/{*rest}",
            get(consent_any).post(consent_any),
        )
        .route("/s/{sid}/url", get(elsewhere))
}

/// What a gateway URL names: the session, the site, the path below the site
/// (empty for the site's top), the query, and a posted body.
pub(super) struct Call {
    pub sid: String,
    pub site: String,
    pub rest: String,
    pub query: Option<String>,
    pub body: Option<Bytes>,
}

impl Call {
    fn new(
        mut path: HashMap<String, String>,
        query: Option<String>,
        method: &Method,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<Call, AppError> {
        let mut take = |k: &str| path.remove(k).unwrap_or_default();
        let (sid, site, rest) = (take("sid"), take("site"), take("rest"));
        let body = if method == Method::POST {
            Some(crate::web::page::body_bytes(body)?)
        } else {
            None
        };
        Ok(Call {
            sid,
            site,
            rest,
            query,
            body,
        })
    }
}

async fn link(
    state: AppState,
    method: Method,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(q): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    forward(state, Call::new(path, q, &method, body)?, Via::Link).await
}

/// A plain `GET /s/{sid}/g/{site}/{rest}` as `front` read it from the path
/// (no percent-escapes, so the parts are as the router would extract them):
/// what `front` answers before the router, the gateway's most frequent request.
pub(super) async fn link_get(state: AppState, call: Call) -> Result<Response, AppError> {
    forward(state, call, Via::Link).await
}

/// The parts of a gateway link path, `(sid, site, rest)`, when no decoding is
/// needed to read them; `None` sends the request to the router.
pub(super) fn plain_link_path(path: &str) -> Option<(&str, &str, &str)> {
    let (sid, after) = path.strip_prefix("/s/")?.split_once("/g/")?;
    let (site, rest) = after.split_once('/')?;
    let plain = |p: &str| !p.is_empty() && !p.contains(['/', '%']);
    (plain(sid) && plain(site) && !rest.contains('%')).then_some((sid, site, rest))
}

/// A GET form's submission: its query is form data.
async fn form(
    state: AppState,
    method: Method,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(q): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    forward(state, Call::new(path, q, &method, body)?, Via::GetForm).await
}

async fn consent_any(
    state: AppState,
    method: Method,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(q): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    consent_page(state, Call::new(path, q, &method, body)?).await
}

/// The form-token action of the serial-number consent.
const UTN: &str = "utn";
/// The query parameter that carries a consent token to the gateway.
const UTN_PARAM: &str = "__utn";

/// The carrier's question before a `utn` link or form: send the serial number
/// or not. A form's fields come along as hidden fields of two forms, Yes and No.
async fn consent_page(state: AppState, c: Call) -> Result<Response, AppError> {
    let (session, ctx) = state.session(&c.sid)?;
    let site = state
        .menu
        .site(&c.site)
        .filter(|s| s.upstream.as_deref().is_some_and(|u| !is_secure(u)))
        .ok_or(AppError::NotFound)?;
    let token = state.sessions.issue_token(&session, UTN);
    let target = format!("/s/{}/g/{}/{}", c.sid, c.site, c.rest);
    let q = c.query.filter(|q| !q.is_empty());
    let no = match &q {
        Some(q) => format!("{target}?{q}"),
        None => target.clone(),
    };
    let yes = match &q {
        Some(q) => format!("{target}?{q}&{UTN_PARAM}={token}"),
        None => format!("{target}?{UTN_PARAM}={token}"),
    };
    let fields = match &c.body {
        Some(bytes) => Some(crate::handset::FormData::parse(bytes, ctx.profile.charset)?),
        None => None,
    };
    let question = ctx.t((
        "このサイトに携帯電話の製造番号を送信します。よろしいですか?",
        "This site asks for your handset's serial number. Send it?",
    ));
    let body = match &fields {
        None => html! {
            (question) br;
            (site.label(ctx.lang)) br; hr;
            (views::key_link(&ctx, '1', &yes, ctx.t(("はい", "Yes"))))
            (views::key_link(&ctx, '2', &no, ctx.t(("いいえ", "No"))))
        },
        Some(fields) => html! {
            (question) br;
            (site.label(ctx.lang)) br; hr;
            @for (action, label) in [(&yes, ctx.t(("はい", "Yes"))), (&no, ctx.t(("いいえ", "No")))] {
                form method="post" action=(action) {
                    @for (name, value) in fields.pairs() { input type="hidden" name=(name) value=(value); }
                    input type="submit" value=(label);
                }
            }
        },
    };
    Ok(Page::new(
        &ctx,
        views::layout(&ctx, ctx.t(("製造番号の送信", "Serial number")), body),
    )
    .no_store()
    .into_response())
}

/// A handset page from the gateway (502 unless said otherwise), in the handset's language.
fn failure(ctx: &Ctx, root: &str, text: crate::views::text::Text) -> Response {
    failure_with(ctx, root, text, StatusCode::BAD_GATEWAY)
}

/// The "too large for your handset" page, naming the page's size in a header.
fn too_large(ctx: &Ctx, root: &str, size: &str) -> Response {
    let mut r = failure(ctx, root, TOO_BIG);
    if let Ok(v) = HeaderValue::from_str(size) {
        r.headers_mut().insert(gateway::TOO_LARGE_HEADER, v);
    }
    r
}

fn failure_with(
    ctx: &Ctx,
    root: &str,
    text: crate::views::text::Text,
    status: StatusCode,
) -> Response {
    let body = html! { (ctx.t(text)) br; hr; (views::to_imenu(ctx, root)) };
    Page::new(
        ctx,
        views::layout(ctx, ctx.t(("ゲートウェイ", "Gateway")), body),
    )
    .status(status)
    .into_response()
}

const DOWN: (&str, &str) = (
    "サイトに接続できませんでした。",
    "The site could not be reached.",
);
const SLOW: (&str, &str) = (
    "サイトからの応答がありませんでした。",
    "The site did not answer in time.",
);
const GARBAGE: (&str, &str) = (
    "サイトの応答を表示できません。",
    "The site's answer cannot be shown.",
);
const INCOMPLETE: (&str, &str) = (
    "サイトの応答が途中で切れました。",
    "The site's answer was incomplete.",
);
const TOO_BIG: (&str, &str) = (
    "ページが大きすぎるため表示できません。",
    "This page is too large for your handset.",
);
const NOT_SHOWN: (&str, &str) = (
    "この種類のデータは携帯電話では表示できません。",
    "This kind of content cannot be shown on a handset.",
);
const CERTIFICATE: (&str, &str) = (
    "サイトの証明書を確認できませんでした。",
    "The site's certificate could not be verified.",
);

/// The image types a handset can show: GIF on every i-mode handset, JPEG
/// from i-mode HTML 4.0 (the 504i), PNG from 6.0 (the 902i); a PC shows all.
fn images(ctx: &Ctx) -> &'static [&'static str] {
    const ALL: &[&str] = &["image/gif", "image/jpeg", "image/png"];
    if !ctx.profile.is_handset() {
        return ALL;
    }
    use crate::handset::HtmlVersion;
    match ctx.profile.html {
        Some(v) if v >= HtmlVersion::new(6, 0) => ALL,
        Some(v) if v >= HtmlVersion::new(4, 0) => &ALL[..2],
        _ => &ALL[..1],
    }
}

/// How one exchange with a site ended.
enum Exchange {
    /// A redirect: where the handset goes next (a gateway path or the
    /// "not configured" page).
    Redirect(StatusCode, String),
    /// An answer: its status, headers (the Content-Type lines are read
    /// from them), body, and what the body holds of the gateway's budget.
    Answer(StatusCode, axum::http::HeaderMap, Bytes, Charge),
}

/// Why an exchange gave no page.
enum Failed {
    /// The handset is told this on the gateway's page.
    Shown(crate::views::text::Text),
    /// The gateway's budget had no room for the page in time.
    Busy,
}

impl From<crate::views::text::Text> for Failed {
    fn from(text: crate::views::text::Text) -> Failed {
        Failed::Shown(text)
    }
}

async fn forward(state: AppState, c: Call, via: Via) -> Result<Response, AppError> {
    let (session, ctx) = state.session(&c.sid)?;
    let site = state.menu.site(&c.site).ok_or(AppError::NotFound)?;
    let base = site.upstream.as_deref().ok_or(AppError::NotFound)?;
    // Over https the i-mode centre only relayed: no carrier identifier goes
    // to the site (no serial number, no i-mode ID, no user ID).
    let secure = is_secure(base);
    // The user ID replaces `uid=NULLGWDOCOMO` for official sites only.
    let gives_uid = !secure && site.official;
    let asks_uid = |text: &[u8]| gives_uid && gateway::has_uid_placeholder(text);
    // A consent token from the utn page: used once, then the serial number goes.
    let (query, consent) = strip_param(c.query.as_deref(), UTN_PARAM);
    let with_serial = match consent {
        Some(_) if secure => false,
        Some(token) if state.sessions.consume_token(&session, UTN, &token) => true,
        Some(_) => return Err(AppError::StaleForm),
        None => false,
    };
    // guid=ON in a link's query asks for the i-mode ID; a GET form's fields do not.
    let guid = !secure && via != Via::GetForm && gateway::wants_guid(query.as_deref());
    // ... and goes only while the line's i-mode ID notification is on.
    let guid = guid && {
        let line_id = session.line_id;
        state
            .db
            .call(move |conn| Ok(crate::store::lines::id_notification(conn, line_id)?))
            .await?
    };
    let uid_in_query = query.as_deref().is_some_and(|q| asks_uid(q.as_bytes()));
    let uid_in_body = c.body.as_deref().is_some_and(asks_uid);
    // The identifiers are MACs: made only when this request sends one.
    let id = (with_serial || guid || uid_in_query || uid_in_body)
        .then(|| Identity::of(&session.msisdn, &state.id_key));
    let user_agent: std::borrow::Cow<'_, str> = match &id {
        Some(id) if with_serial => gateway::with_serial(&ctx.profile.user_agent, id).into(),
        _ => ctx.profile.user_agent.as_str().into(),
    };
    let url = gateway::upstream_url(
        base,
        &c.rest,
        query.as_deref(),
        id.as_ref().filter(|_| uid_in_query),
    )
    .ok_or(AppError::NotFound)?;
    let body = match (c.body, &id) {
        (Some(b), Some(id)) if uid_in_body => Some(Bytes::from(gateway::replace_uid(&b, id))),
        (body, _) => body,
    };
    let root = state.menu.root.as_str();
    // A slot among the fetches under way, as the gateway's queue allows.
    let _slot = state.fetches.enter().await?;
    let exchange = exchange(
        &state,
        &session,
        site,
        &url,
        &user_agent,
        id.as_ref().filter(|_| guid),
        body,
    );
    let (status, headers, bytes, mut charge) =
        match tokio::time::timeout(state.upstreams.timeout, exchange).await {
            Err(_) => return Ok(failure(&ctx, root, SLOW)),
            Ok(Err(Failed::Shown(text))) if text == TOO_BIG => {
                return Ok(too_large(
                    &ctx,
                    root,
                    &format!("more than {MAX_UPSTREAM_BODY}"),
                ))
            }
            Ok(Err(Failed::Shown(text))) => return Ok(failure(&ctx, root, text)),
            Ok(Err(Failed::Busy)) => return Err(Busy(queue::Kind::GatewayBytes).into()),
            Ok(Ok(Exchange::Redirect(status, location))) => {
                return Ok(redirect(status, &location));
            }
            Ok(Ok(Exchange::Answer(status, headers, bytes, charge))) => {
                (status, headers, bytes, charge)
            }
        };
    let content_type = headers
        .get_all(header::CONTENT_TYPE)
        .into_iter()
        .map(HeaderValue::as_bytes);
    // The provider's Content-Type is never passed on: each kind of answer
    // goes with the one media type garake names for it.
    let encoding = match gateway::classify(content_type, &bytes, images(&ctx)) {
        Answer::Refused => {
            return Ok(failure_with(
                &ctx,
                root,
                NOT_SHOWN,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ))
        }
        Answer::Text(encoding) => {
            let named = HeaderValue::from_str(&["text/plain; charset=", encoding.name()].concat())
                .expect("encoding names are header-safe");
            return Ok(passed(&state, &ctx, status, bytes, charge, named));
        }
        Answer::Image(kind) => {
            let named = HeaderValue::from_static(kind);
            return Ok(passed(&state, &ctx, status, bytes, charge, named));
        }
        Answer::Html(encoding) => encoding,
    };
    let page_url = sanitize::PageUrl::new(url).ok_or(AppError::NotFound)?;
    let charset = ctx.profile.charset;
    let rewritten = if bytes.len() <= INLINE_REWRITE {
        rewrite(
            &state, &bytes, encoding, &page_url, &c.sid, &site.id, charset,
        )
    } else {
        // A large page takes tens of milliseconds to rewrite: done on the
        // heavy-work threads, below the runtime's, so they go on answering
        // menu pages.
        let (state, bytes) = (state.clone(), bytes.clone());
        let (sid, site_id) = (c.sid.clone(), site.id.clone());
        crate::blocking::run_heavy(move || {
            rewrite(&state, &bytes, encoding, &page_url, &sid, &site_id, charset)
        })
        .await
    };
    let Rewritten { page, removed } = match rewritten {
        Ok(done) => done,
        Err(text) => return Ok(failure(&ctx, root, text)),
    };
    if page.len() > ctx.profile.budget {
        return Ok(too_large(&ctx, root, &page.len().to_string()));
    }
    // The bytes on their way to the handset keep their share of the budget.
    state.budget.shrink(&mut charge, page.len());
    drop(bytes);
    let mut response = Page::encoded(ctx.profile.charset, Vec::new())
        .status(status)
        .into_response();
    *response.body_mut() = Body::new(Charged::new(Bytes::from(page), charge));
    // Its links were written with the world's prefix (`rewrite`).
    response.extensions_mut().insert(crate::web::page::Based);
    if let Some(removed) = removed {
        response.headers_mut().insert("x-garake-removed", removed);
    }
    Ok(response)
}

/// Pages up to this size are rewritten on the request's own thread; larger
/// ones on the blocking pool.
const INLINE_REWRITE: usize = 32 * 1024;

/// A provider's HTML page as the handset receives it: read as the browser
/// will (by its byte-order mark, if it has one), what the i-mode browser
/// never ran removed and every link pointed into the gateway, in the
/// handset's charset; with what was removed. The same page fetched again
/// comes from the server's kept rewrites (`gateway::rewrites`).
fn rewrite(
    state: &AppState,
    bytes: &[u8],
    encoding: &'static encoding_rs::Encoding,
    page_url: &sanitize::PageUrl,
    sid: &str,
    site_id: &str,
    charset: Charset,
) -> Result<Rewritten, crate::views::text::Text> {
    // A world's pages carry its prefix: these links are written whole here
    // (the front adds it to garake's own pages only).
    let session = [state.base(), "/s/", sid].concat();
    let page = rewrites::Page {
        site: site_id,
        url: page_url.as_str(),
        encoding,
        charset,
    };
    state.rewrites.page(page, bytes, &session, |session| {
        rewrite_for(state, bytes, page_url, page, session)
    })
}

/// `rewrite` itself, its links leading into `session`.
fn rewrite_for(
    state: &AppState,
    bytes: &[u8],
    page_url: &sanitize::PageUrl,
    page: rewrites::Page<'_>,
    session: &str,
) -> Result<(Vec<u8>, Option<HeaderValue>), crate::views::text::Text> {
    let charset = page.charset;
    // One that does not decode in its own charset cannot be shown.
    let (text, encoding) = gateway::readable(bytes, page.encoding).ok_or(GARBAGE)?;
    // Joined without the formatting machinery: every page needs them.
    let elsewhere = [session, "/url?url="].concat();
    let regst = [session, "/cp/regst/", page.site].concat();
    let rules = Rules {
        page: page_url,
        routes: &state.routes,
        session,
        elsewhere: &elsewhere,
        regst: &regst,
        charset: charset.name(),
    };
    let (page, report) = sanitize::transform(&text, encoding, &rules).map_err(|_| GARBAGE)?;
    let wanted = match charset {
        Charset::ShiftJis => encoding_rs::SHIFT_JIS,
        Charset::Utf8 => encoding_rs::UTF_8,
    };
    // Decoded as the sanitizer read it: a mark its pass uncovered is text.
    let page = if encoding == wanted {
        page
    } else {
        encode_page(&encoding.decode_without_bom_handling(&page).0, charset)
    };
    let removed = report
        .summary()
        .and_then(|s| HeaderValue::from_str(&s).ok());
    Ok((gateway::without_marks(page), removed))
}

/// Text or an image, passed through as it is with the type garake names
/// (`named`), if it fits the handset's cache; it keeps its share of the
/// gateway's budget until the handset has it.
fn passed(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    bytes: Bytes,
    mut charge: Charge,
    named: HeaderValue,
) -> Response {
    if bytes.len() > ctx.profile.budget {
        return too_large(ctx, &state.menu.root, &bytes.len().to_string());
    }
    state.budget.shrink(&mut charge, bytes.len());
    let mut r = (status, Body::new(Charged::new(bytes, charge))).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, named);
    // Not garake's page: nothing in it is changed on the way out.
    r.extensions_mut().insert(crate::web::page::Based);
    r
}

/// One request to the site and its answer, read within the size limit.
async fn exchange(
    state: &AppState,
    session: &Session,
    site: &Site,
    url: &str,
    user_agent: &str,
    guid: Option<&Identity>,
    body: Option<Bytes>,
) -> Result<Exchange, Failed> {
    let keeps_cookies = session.profile.browser == Browser::IMode2;
    // i-mode browser 1.0 had no cookies: nothing is sent for it. For
    // browser 2.0 the handset's cookies for this site ride along.
    let cookie = if keeps_cookies {
        state
            .cookies
            .header(&session.id, &site.id, state.clock.now())
    } else {
        None
    };
    let build = || {
        let mut req = hyper::Request::builder()
            .method(if body.is_some() {
                Method::POST
            } else {
                Method::GET
            })
            .uri(url)
            .header(header::USER_AGENT, user_agent);
        if let Some(id) = guid {
            req = req.header("x-dcmguid", &id.guid);
        }
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        if let Some(cookie) = &cookie {
            req = req.header(header::COOKIE, cookie);
        }
        req.body(Full::new(body.clone().unwrap_or_default())).ok()
    };
    let resp = state
        .upstreams
        .fetch(build, MAX_UPSTREAM_BODY, Some(&state.budget))
        .await
        .map_err(|e| match e {
            SendError::Certificate => CERTIFICATE,
            SendError::Unreachable => DOWN,
            SendError::Unsendable => GARBAGE,
        })?;
    if keeps_cookies {
        for set in resp.headers.get_all(header::SET_COOKIE) {
            if let Ok(set) = set.to_str() {
                state
                    .cookies
                    .store(&session.id, &site.id, set, state.clock.now());
            }
        }
    }
    let status = resp.status;
    if status.is_redirection() {
        let location = resp
            .headers
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .ok_or(GARBAGE)?;
        let target = Url::parse(url)
            .and_then(|u| u.join(location))
            .map_err(|_| GARBAGE)?;
        let path = format!("/s/{}", session.id);
        let elsewhere = format!("{path}/url?url=");
        let next = gateway::gateway_target(&target, &state.routes, &path, Via::Link, &elsewhere);
        return Ok(Exchange::Redirect(status, next));
    }
    let bytes = resp.body.map_err(|e| match e {
        BodyError::TooBig => Failed::Shown(TOO_BIG),
        BodyError::Incomplete => Failed::Shown(INCOMPLETE),
        BodyError::Busy => Failed::Busy,
    })?;
    Ok(Exchange::Answer(status, resp.headers, bytes, resp.charge))
}

/// A site's redirect, answered to the handset (the front makes it absolute).
fn redirect(status: StatusCode, location: &str) -> Response {
    let status = if status.is_redirection() {
        status
    } else {
        StatusCode::FOUND
    };
    let mut r = Redirect::to(location).into_response();
    *r.status_mut() = status;
    r
}

/// Whether an upstream is reached over TLS.
fn is_secure(base: &str) -> bool {
    base.starts_with("https://")
}

/// Splits one parameter out of a query string: (the rest, its value).
fn strip_param(query: Option<&str>, name: &str) -> (Option<String>, Option<String>) {
    let Some(q) = query else { return (None, None) };
    let mut value = None;
    let rest: Vec<&str> = q
        .split('&')
        .filter(
            |p| match p.strip_prefix(name).and_then(|v| v.strip_prefix('=')) {
                Some(v) => {
                    value = Some(v.to_string());
                    false
                }
                None => true,
            },
        )
        .collect();
    let rest = rest.join("&");
    ((!rest.is_empty()).then_some(rest), value)
}

const NOT_CONFIGURED: (&str, &str) = (
    "このサイトはgarakeに設定されていないため表示できません。garakeは設定済みのサイトだけを中継します。",
    "This site is not configured in garake, so it cannot be opened: garake only relays the sites in its menu files.",
);

/// `GET /s/{sid}/url?url=URL`: where a typed URL, or a link to a site that is
/// not configured, leads: into the gateway when the URL is below a
/// configured site's upstream, else a clear page. Never an open proxy.
async fn elsewhere(
    state: AppState,
    Path(sid): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let (_, ctx) = state.session(&sid)?;
    let query = crate::web::page::read_query(q.as_deref(), ctx.profile.charset)?;
    let typed = query.text("url")?.trim().to_string();
    if typed.is_empty() {
        return Ok(crate::web::handset::sites::url_entry_page(&state, &ctx, None).into_response());
    }
    let with_scheme = if typed.contains("://") {
        typed.clone()
    } else {
        format!("http://{typed}")
    };
    let target = Url::parse(&with_scheme).ok();
    let inside = target.as_ref().and_then(|u| {
        state.routes.iter().find_map(|r| {
            r.tail(u)
                .map(|t| r.path(&format!("/s/{sid}"), Via::Link, &t))
        })
    });
    match inside {
        Some(path) => Ok(Redirect::to(&path).into_response()),
        None => {
            let message = html! { (ctx.t(NOT_CONFIGURED)) br; (typed) br; };
            Ok(
                crate::web::handset::sites::url_entry_page(&state, &ctx, Some(message))
                    .status(StatusCode::NOT_FOUND)
                    .into_response(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_is_split_out_of_a_query() {
        assert_eq!(
            strip_param(Some("a=1&__utn=t&b=2"), UTN_PARAM),
            (Some("a=1&b=2".into()), Some("t".into()))
        );
        assert_eq!(
            strip_param(Some("__utn=t"), UTN_PARAM),
            (None, Some("t".into()))
        );
        assert_eq!(strip_param(None, UTN_PARAM), (None, None));
    }
}
