//! Forwarding handset requests to content providers' own sites (issue 8, first
//! part): only sites with an `upstream` in the menu files, only below it.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http_body_util::{BodyExt, Full, Limited};
use maud::html;

use super::page::Page;
use super::AppState;
use crate::error::AppError;
use crate::gateway::client::SendError;
use crate::gateway::{self, Identity};
use crate::handset::{encode_page, Browser};
use crate::views::{self, Ctx};

/// Largest upstream body read (the biggest handset cache, 500 KB, plus room).
pub const MAX_UPSTREAM_BODY: usize = 600 * 1024;
/// Redirects followed inside the site before giving up.
const MAX_REDIRECTS: usize = 5;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/s/{sid}/g/{site}/", get(forward_any).post(forward_any))
        .route(
            "/s/{sid}/g/{site}/{*rest}",
            get(forward_any).post(forward_any),
        )
        .route("/s/{sid}/u/{site}/", get(consent_any).post(consent_any))
        .route(
            "/s/{sid}/u/{site}/{*rest}",
            get(consent_any).post(consent_any),
        )
}

/// What a gateway URL names: the session, the site, the path below the site
/// (empty for the site's top), the query, and a posted body.
struct Call {
    sid: String,
    site: String,
    rest: String,
    query: Option<String>,
    body: Option<Bytes>,
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
            Some(super::page::body_bytes(body)?)
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

async fn forward_any(
    state: State<AppState>,
    method: Method,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(q): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let c = Call::new(path, q, &method, body)?;
    forward(state, c.sid, c.site, c.rest, c.query, c.body).await
}

async fn consent_any(
    state: State<AppState>,
    method: Method,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(q): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let c = Call::new(path, q, &method, body)?;
    consent_page(state, c.sid, c.site, c.rest, c.query, c.body).await
}

/// The form-token action of the serial-number consent.
const UTN: &str = "utn";
/// The query parameter that carries a consent token to the gateway.
const UTN_PARAM: &str = "__utn";

/// The carrier's question before a `utn` link or form: send the serial number
/// or not. A form's fields come along as hidden fields of two forms, Yes and No.
async fn consent_page(
    State(state): State<AppState>,
    sid: String,
    site_id: String,
    rest: String,
    query: Option<String>,
    form: Option<Bytes>,
) -> Result<Response, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let site = state
        .menu
        .site(&site_id)
        .filter(|s| s.upstream.as_deref().is_some_and(|u| !is_secure(u)))
        .ok_or(AppError::NotFound)?;
    let token = state.sessions.issue_token(&session, UTN);
    let target = format!("/s/{sid}/g/{site_id}/{rest}");
    let q = query.filter(|q| !q.is_empty());
    let no = match &q {
        Some(q) => format!("{target}?{q}"),
        None => target.clone(),
    };
    let yes = match &q {
        Some(q) => format!("{target}?{q}&{UTN_PARAM}={token}"),
        None => format!("{target}?{UTN_PARAM}={token}"),
    };
    let fields = match &form {
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

/// A handset error page from the gateway (502, in the handset's language).
fn failure(ctx: &Ctx, root: &str, text: crate::views::text::Text) -> Response {
    let body = html! { (ctx.t(text)) br; hr; (views::to_imenu(ctx, root)) };
    Page::new(
        ctx,
        views::layout(ctx, ctx.t(("ゲートウェイ", "Gateway")), body),
    )
    .status(StatusCode::BAD_GATEWAY)
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
const TOO_BIG: (&str, &str) = (
    "ページが大きすぎるため表示できません。",
    "This page is too large for your handset.",
);
const CERTIFICATE: (&str, &str) = (
    "サイトの証明書を確認できませんでした。",
    "The site's certificate could not be verified.",
);
const LOOP: (&str, &str) = (
    "転送が多すぎるため表示できません。",
    "The site redirects too many times.",
);

async fn forward(
    State(state): State<AppState>,
    sid: String,
    site_id: String,
    rest: String,
    query: Option<String>,
    body: Option<Bytes>,
) -> Result<Response, AppError> {
    let (session, ctx) = state.session(&sid)?;
    let site = state.menu.site(&site_id).ok_or(AppError::NotFound)?;
    let base = site.upstream.as_deref().ok_or(AppError::NotFound)?;
    // Over https the i-mode center only relayed: no carrier identifier goes
    // to the site (no serial number, no i-mode ID, no user ID).
    let secure = is_secure(base);
    let id = Identity::of(&session.msisdn);
    let ids = (!secure).then_some(&id);
    // A consent token from the utn page: used once, then the serial number goes.
    let (query, consent) = strip_param(query.as_deref(), UTN_PARAM);
    let with_serial = match consent {
        Some(_) if secure => false,
        Some(token) if state.sessions.consume_token(&session, UTN, &token) => true,
        Some(_) => return Err(AppError::StaleForm),
        None => false,
    };
    let user_agent = if with_serial {
        gateway::with_serial(&ctx.profile.user_agent, &id)
    } else {
        ctx.profile.user_agent.clone()
    };
    let mut url =
        gateway::upstream_url(base, &rest, query.as_deref(), ids).ok_or(AppError::NotFound)?;
    let guid = !secure && gateway::wants_guid(query.as_deref());
    let keeps_cookies = ctx.profile.browser == Browser::IMode2;
    let prefix = format!("/s/{sid}/g/{site_id}/");
    let root = state.menu.root.clone();

    let mut method = if body.is_some() {
        Method::POST
    } else {
        Method::GET
    };
    let mut body = match ids {
        Some(id) => {
            body.map(|b| Bytes::from(gateway::replace_uid(&String::from_utf8_lossy(&b), id)))
        }
        None => body,
    };
    let exchange = async {
        for _ in 0..=MAX_REDIRECTS {
            let mut req = hyper::Request::builder()
                .method(method.clone())
                .uri(&url)
                .header(header::USER_AGENT, &user_agent);
            if guid {
                req = req.header("x-dcmguid", &id.guid);
            }
            if body.is_some() {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            }
            // i-mode browser 1.0 had no cookies: nothing is sent for it. For
            // browser 2.0 the handset's cookies for this site ride along.
            if keeps_cookies {
                if let Some(cookie) = state
                    .cookies
                    .header(&session.id, &site_id, state.clock.now())
                {
                    req = req.header(header::COOKIE, cookie);
                }
            }
            let req = req
                .body(Full::new(body.clone().unwrap_or_default()))
                .map_err(|_| GARBAGE)?;
            let resp = state.upstreams.send(req).await.map_err(|e| match e {
                SendError::Certificate => CERTIFICATE,
                SendError::Unreachable => DOWN,
            })?;
            if keeps_cookies {
                for set in resp.headers().get_all(header::SET_COOKIE) {
                    if let Ok(set) = set.to_str() {
                        state
                            .cookies
                            .store(&session.id, &site_id, set, state.clock.now());
                    }
                }
            }
            if resp.status().is_redirection() {
                let location = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or(GARBAGE)?
                    .to_string();
                url = resolve(&url, &location)
                    .filter(|u| u.starts_with(base))
                    .ok_or(GARBAGE)?;
                method = Method::GET;
                body = None;
                continue;
            }
            let status = resp.status();
            let content_type = resp
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("text/html")
                .to_string();
            let bytes = Limited::new(resp.into_body(), MAX_UPSTREAM_BODY)
                .collect()
                .await
                .map_err(|_| TOO_BIG)?
                .to_bytes();
            return Ok((status, content_type, bytes));
        }
        Err(LOOP)
    };
    let (status, content_type, bytes) =
        match tokio::time::timeout(state.upstreams.timeout, exchange).await {
            Err(_) => return Ok(failure(&ctx, &root, SLOW)),
            Ok(Err(text)) => return Ok(failure(&ctx, &root, text)),
            Ok(Ok(done)) => done,
        };
    if !content_type.starts_with("text/html") {
        if bytes.len() > ctx.profile.budget {
            return Ok(failure(&ctx, &root, TOO_BIG));
        }
        return Ok((status, [(header::CONTENT_TYPE, content_type)], bytes).into_response());
    }
    let Some(text) = gateway::decode(&bytes, &content_type) else {
        return Ok(failure(&ctx, &root, GARBAGE));
    };
    let page = gateway::rewrite(&text, base, &prefix);
    let page = if secure {
        page
    } else {
        gateway::route_utn_links(&page, &prefix, &format!("/s/{sid}/u/{site_id}/"))
    };
    // Official-site registration forms post to the carrier, i.e. to this session.
    let page = page.replace(super::regst::REGST_URL, &format!("/s/{sid}/cp/regst"));
    // The page as the handset receives it, in its charset, within its cache.
    let page = set_meta_charset(&page, ctx.profile.charset.name());
    let encoded = encode_page(&page, ctx.profile.charset);
    if encoded.len() > ctx.profile.budget {
        return Ok(failure(&ctx, &root, TOO_BIG));
    }
    let mut response = Page::encoded(ctx.profile.charset, encoded)
        .status(status)
        .into_response();
    if ctx.profile.browser == Browser::IMode1 {
        response.headers_mut().remove(header::SET_COOKIE);
    }
    Ok(response)
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

/// Points an upstream `<meta charset>` at the charset the page is now in.
fn set_meta_charset(html: &str, charset: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let Some(at) = lower.find("charset=") else {
        return html.to_string();
    };
    let start = at + 8;
    let end = start
        + lower[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(lower.len() - start);
    format!("{}{charset}{}", &html[..start], &html[end..])
}

/// Resolves a redirect target against the current URL.
fn resolve(current: &str, location: &str) -> Option<String> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return Some(location.to_string());
    }
    let origin_end = current.find("://")? + 3;
    let origin = &current[..current[origin_end..]
        .find('/')
        .map_or(current.len(), |i| origin_end + i)];
    if location.starts_with('/') {
        return Some(format!("{origin}{location}"));
    }
    let dir = &current[..current.rfind('/')? + 1];
    Some(format!("{dir}{location}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_resolve_like_a_browser() {
        let cur = "http://h:1/cp/a/b.html";
        assert_eq!(resolve(cur, "c.html").unwrap(), "http://h:1/cp/a/c.html");
        assert_eq!(resolve(cur, "/cp/x").unwrap(), "http://h:1/cp/x");
        assert_eq!(resolve(cur, "http://o/").unwrap(), "http://o/");
    }

    #[test]
    fn the_meta_charset_follows_the_page() {
        let html = r#"<meta http-equiv="Content-Type" content="text/html; charset=utf-8">"#;
        assert!(set_meta_charset(html, "Shift_JIS").contains("charset=Shift_JIS\""));
    }
}
