//! The QA JSON API. Every route needs the admin token.

use crate::web::qa::auth::Admin;
use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::domain::Msisdn;
use crate::error::AppError;
use crate::handset::Charset;
use crate::mail::address::valid_address;
use crate::mail::message::{self as message, Unfit};
use crate::services::lines::{LineRequest, Refused};
use crate::services::mail::{Draft, Resend};
use crate::store::mail;
use crate::store::{audit, lines, sites};
use crate::web::page::read_query;
use crate::web::state::AppState;

pub fn routes() -> Router {
    Router::new()
        .route("/lines", get(list_lines).post(create_line))
        .route("/lines/{msisdn}", get(line))
        .route("/lines/{msisdn}/reset", axum::routing::post(reset_line))
        .route("/lines/{msisdn}/billing", get(billing))
        .route("/audit", get(audit_log))
        .route("/mail", axum::routing::post(send_mail))
        .route("/clock", get(clock))
        .route("/handsets", get(handsets))
        .route("/clock/advance", axum::routing::post(advance_clock))
        .route("/reset", axum::routing::post(reset_fixtures))
        .route("/mail-log", get(mail_log))
        .route("/lines/{msisdn}/mail", get(line_mail))
        .route("/lines/{msisdn}/mail/wait", get(wait_line_mail))
        .route("/outbox", get(outbox).delete(clear_outbox))
        .route("/outbox/wait", get(wait_outbox))
        .route("/outbox/{id}", get(outbox_one).delete(delete_outgoing))
        .route("/outbox/{id}/relay", axum::routing::post(relay_again))
        .route("/events", get(events))
        .route("/openapi.json", get(crate::web::qa::openapi::serve))
        .route("/outbox/{id}/raw", get(outbox_raw))
}

/// A number from the query string within bounds, or a 400 naming the field.
fn bounded(
    query: &crate::handset::FormData,
    name: &str,
    default: i64,
    max: i64,
) -> Result<i64, AppError> {
    match query.get(name)? {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=max).contains(n))
            .ok_or_else(|| {
                AppError::BadRequest(format!("`{name}` must be a number from 0 to {max}"))
            }),
    }
}

/// `GET /api/lines[?offset=N&limit=N]`: line states in number order; the total
/// count is in `X-Total-Count`.
async fn list_lines(
    _: Admin,
    state: AppState,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let offset = bounded(&query, "offset", 0, i64::MAX)?;
    let limit = bounded(&query, "limit", 100, 1000)?;
    let now = state.clock.now();
    let (states, total) = state
        .db
        .call(move |conn| {
            let (listing, total) = lines::directory(conn, offset, limit)?;
            let mut states = Vec::with_capacity(listing.len());
            for l in listing {
                states.extend(lines::state(conn, l.id, now)?);
            }
            Ok((states, total))
        })
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    Ok((headers, Json(states)).into_response())
}

fn parse_msisdn(raw: &str) -> Result<Msisdn, AppError> {
    Msisdn::parse(raw).ok_or_else(|| {
        AppError::BadRequest(format!(
            "`{raw}` is not a phone number (11 digits, hyphens allowed)"
        ))
    })
}

/// `GET /api/lines/{msisdn}`: one line's state.
async fn line(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
) -> Result<Json<lines::LineState>, AppError> {
    let msisdn = parse_msisdn(&raw)?;
    let now = state.clock.now();
    let found = state
        .db
        .call(move |conn| Ok(lines::state_by_msisdn(conn, &msisdn, now)?))
        .await?;
    found
        .map(|(_, line)| Json(line))
        .ok_or_else(|| AppError::NotFoundMsg(format!("no line {raw}")))
}

/// A line's fee-based subscriptions and billing ledger.
#[derive(serde::Serialize)]
struct Billing {
    subscriptions: Vec<sites::Subscription>,
    monthly_total: i64,
    ledger: Vec<sites::LedgerEntry>,
}

/// `GET /api/lines/{msisdn}/billing`: active subscriptions, their monthly total,
/// and every ledger entry (one per subscription started).
async fn billing(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
) -> Result<Json<Billing>, AppError> {
    let msisdn = parse_msisdn(&raw)?;
    let found = state
        .db
        .call(move |conn| {
            let Some(id) = lines::find(conn, &msisdn)? else {
                return Ok(None);
            };
            let subscriptions = sites::subscriptions(conn, id)?;
            let monthly_total = subscriptions.iter().map(|s| s.monthly_fee).sum();
            let ledger = sites::ledger(conn, id)?;
            Ok(Some(Billing {
                subscriptions,
                monthly_total,
                ledger,
            }))
        })
        .await?;
    found
        .map(Json)
        .ok_or_else(|| AppError::NotFoundMsg(format!("no line {raw}")))
}

/// `GET /api/audit[?line=MSISDN&action=&outcome=&limit=N&offset=N]`: newest
/// first; how many match is in `X-Total-Count`.
async fn audit_log(_: Admin, state: AppState, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let line = query.get("line")?.map(parse_msisdn).transpose()?;
    let action = query.get("action")?.map(str::to_owned);
    let outcome = query.get("outcome")?.map(str::to_owned);
    let limit = bounded(&query, "limit", 200, 10_000)?;
    let offset = bounded(&query, "offset", 0, i64::MAX)?;
    let (entries, total) = state
        .db
        .call(move |conn| {
            let filter = audit::Filter {
                line: line.as_ref(),
                action: action.as_deref(),
                outcome: outcome.as_deref(),
            };
            Ok(audit::filtered(conn, &filter, offset, limit)?)
        })
        .await?;
    Ok(with_total(total, Json(entries)))
}

/// Reads a JSON body: too large → 413, malformed → 400, both as JSON errors.
fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, AppError> {
    body.map(|Json(value)| value)
        .map_err(|r| crate::web::page::body_error(&r, r.status(), r.body_text()))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SendMail {
    from: String,
    to: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
}

/// `POST /api/mail` {from, to, subject, body} → {status, reason}: through the
/// same delivery rules as handset mail.
async fn send_mail(
    _: Admin,
    state: AppState,
    client: crate::web::state::ClientAddr,
    body: Result<Json<SendMail>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<message::Outcome>, AppError> {
    let m = json_body(body)?;
    for (name, addr) in [("from", &m.from), ("to", &m.to)] {
        if !valid_address(addr) {
            return Err(AppError::BadRequest(format!(
                "`{name}` is not a mail address"
            )));
        }
    }
    if let Err(unfit) = message::check(&m.subject, &m.body) {
        let what = match unfit {
            Unfit::SubjectTooLong => format!(
                "`subject` is over {} bytes in Shift_JIS",
                crate::limits::MAIL_SUBJECT_BYTES
            ),
            Unfit::BodyTooLong => format!(
                "`body` is over {} bytes in Shift_JIS",
                crate::limits::MAIL_BODY_BYTES
            ),
            Unfit::SubjectLineBreak => {
                "`subject` contains a line break (CR or LF); a subject is one line".to_string()
            }
        };
        return Err(AppError::Unprocessable(what));
    }
    let draft = Draft {
        to: m.to,
        subject: m.subject,
        body: m.body,
    };
    let rate = state.limits.mail_rate();
    let source = format!("api:{}", client.name());
    let outcome = crate::services::mail::send_as(&state.services(), m.from, draft, rate, source)
        .await?
        .map_err(|wait| {
            state.metrics.limit_hit(crate::metrics::Limit::RateLimited);
            AppError::TooMany(wait)
        })?;
    Ok(Json(outcome))
}

/// `GET /api/lines/{msisdn}/mail[?offset=N&limit=N]`: one page of the line's
/// inbox, newest first; the mailbox's size is in `X-Total-Count`.
async fn line_mail(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let msisdn = parse_msisdn(&raw)?;
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let offset = bounded(&query, "offset", 0, i64::MAX)?;
    let limit = bounded(&query, "limit", crate::limits::PAGE_ROWS, 1000)?;
    let (mails, total) = state
        .db
        .call(move |conn| match lines::find(conn, &msisdn)? {
            Some(id) => Ok(Some(mail::inbox(conn, id, offset, limit)?)),
            None => Ok(None),
        })
        .await?
        .ok_or_else(|| AppError::NotFoundMsg(format!("no line {raw}")))?;
    Ok(with_total(total, Json(mails)))
}

/// A JSON page with the count of everything in `X-Total-Count`.
fn with_total(total: i64, body: impl IntoResponse) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    (headers, body).into_response()
}

/// `GET /api/mail-log[?limit=N&offset=N]`: every delivery decision, newest
/// first; how many there are is in `X-Total-Count`.
async fn mail_log(_: Admin, state: AppState, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let limit = bounded(&query, "limit", 200, 10_000)?;
    let offset = bounded(&query, "offset", 0, i64::MAX)?;
    let (entries, total) = state
        .db
        .call(move |conn| Ok(mail::mail_log(conn, offset, limit)?))
        .await?;
    Ok(with_total(total, Json(entries)))
}

/// A time in a query: RFC 3339 (`2026-12-01T09:00:00+09:00`) or Unix seconds.
fn query_time(query: &crate::handset::FormData, name: &str) -> Result<Option<i64>, AppError> {
    let Some(raw) = query.get(name)?.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Ok(secs) = raw.parse::<i64>() {
        return Ok(Some(secs));
    }
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| Some(t.timestamp()))
        .map_err(|_| {
            AppError::BadRequest(format!(
                "`{name}` must be an RFC 3339 time (2026-12-01T09:00:00+09:00) or Unix seconds"
            ))
        })
}

/// The outbox search of a query string (API and console alike): `from`,
/// `to`, `subject` (substrings, any case), `since`, `before`, `limit`, `offset`.
pub fn outbox_filter(query: &crate::handset::FormData) -> Result<mail::OutboxFilter, AppError> {
    let text = |name: &str| -> Result<Option<String>, AppError> {
        Ok(query
            .get(name)?
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned))
    };
    Ok(mail::OutboxFilter {
        from: text("from")?,
        to: text("to")?,
        subject: text("subject")?,
        since: query_time(query, "since")?,
        before: query_time(query, "before")?,
        limit: bounded(query, "limit", crate::limits::PAGE_ROWS, 1000)?,
        offset: bounded(query, "offset", 0, i64::MAX)?,
    })
}

/// `GET /api/outbox[?from=&to=&subject=&since=&before=&limit=&offset=]`:
/// newest first; how many match is in `X-Total-Count`.
async fn outbox(_: Admin, state: AppState, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let filter = outbox_filter(&query)?;
    let (mails, total) = state
        .db
        .call(move |conn| Ok(mail::outbox(conn, &filter)?))
        .await?;
    Ok(with_total(total, Json(mails)))
}

fn outbox_id(raw: &str) -> Result<i64, AppError> {
    raw.parse()
        .map_err(|_| AppError::BadRequest(format!("`{raw}` is not an outbox id")))
}

async fn find_outgoing(state: &AppState, raw: &str) -> Result<mail::Outgoing, AppError> {
    let id = outbox_id(raw)?;
    state
        .db
        .call(move |conn| Ok(mail::outbox_one(conn, id)?))
        .await?
        .ok_or_else(|| AppError::NotFoundMsg(format!("no outbox message {raw}")))
}

/// `GET /metrics`: requests, latencies and limit hits since start, and the
/// sizes of what is kept now, in Prometheus text format.
pub async fn metrics(_: Admin, state: AppState) -> Result<Response, AppError> {
    let mail::Counts {
        outbox,
        relay_pending: pending,
        relay_failed: failed,
        mailbox_full,
    } = state.db.call(|conn| Ok(mail::counts(conn)?)).await?;
    let (forgotten, expired) = state.sessions.stats();
    let (pc_forgotten, _) = state.pc_logins.stats();
    let (argon_waits, argon_busy) = state.pins.pool_stats();
    let open =
        |sem: &tokio::sync::Semaphore, max: usize| (max - sem.available_permits().min(max)) as f64;
    let gauges = [
        (
            "garake_sessions",
            "Handset sessions kept, in every world.",
            state
                .session_count
                .load(std::sync::atomic::Ordering::Relaxed) as f64,
        ),
        (
            "garake_worlds",
            "Worlds besides the default one.",
            state.worlds.len() as f64,
        ),
        (
            "garake_sessions_forgotten_total",
            "Handset sessions forgotten to make room (a session limit bit).",
            forgotten as f64,
        ),
        (
            "garake_sessions_expired_total",
            "Handset sessions that expired.",
            expired as f64,
        ),
        (
            "garake_pc_logins",
            "PC logins kept (console, My docomo, docomo Shop), in every world.",
            state
                .pc_login_count
                .load(std::sync::atomic::Ordering::Relaxed) as f64,
        ),
        (
            "garake_pc_logins_forgotten_total",
            "PC logins forgotten to make room.",
            pc_forgotten as f64,
        ),
        (
            "garake_argon2_waits_total",
            "Password checks that waited for an Argon2 slot.",
            argon_waits as f64,
        ),
        (
            "garake_argon2_busy_total",
            "Password checks refused with 503 because every Argon2 slot stayed busy.",
            argon_busy as f64,
        ),
        (
            "garake_outbox_messages",
            "Messages in the outbox.",
            outbox as f64,
        ),
        (
            "garake_outbox_relay_pending",
            "Outbox messages waiting for the SMTP relay.",
            pending as f64,
        ),
        (
            "garake_relay_failures",
            "Outbox messages the SMTP relay gave up on.",
            failed as f64,
        ),
        (
            "garake_mailbox_full_in_log",
            "Mails refused as mailbox_full, in the kept mail log.",
            mailbox_full as f64,
        ),
        (
            "garake_event_streams",
            "Open event streams.",
            open(&state.streams, state.limits.max_event_streams),
        ),
        (
            "garake_waits",
            "Open mail waits.",
            open(&state.waits, state.limits.max_waits),
        ),
    ];
    let text = state.metrics.render(&gauges);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response())
}

/// `DELETE /api/outbox/{id}`: 204, or 404 if there is no such message.
async fn delete_outgoing(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
) -> Result<axum::http::StatusCode, AppError> {
    let id = outbox_id(&raw)?;
    if state
        .db
        .call(move |conn| Ok(mail::delete_outgoing(conn, id)?))
        .await?
    {
        Ok(axum::http::StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFoundMsg(format!("no outbox message {raw}")))
    }
}

/// `POST /api/outbox/{id}/relay`: sends the message again through the SMTP
/// relay (its state back to pending, its attempts from zero): 202 with the
/// message; 409 without a relay or while an attempt is under way.
async fn relay_again(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let id = outbox_id(&raw)?;
    match crate::services::mail::resend(&state.services(), id).await? {
        Resend::NoSuchMessage => Err(AppError::NotFoundMsg(format!("no outbox message {raw}"))),
        Resend::NoRelay => Err(AppError::Conflict(
            "no SMTP relay is configured (start with --smtp-relay HOST:PORT)".into(),
        )),
        Resend::UnderWay => Err(AppError::Conflict(
            "a relay attempt for this message is under way; try again when it ends".into(),
        )),
        Resend::Queued => {
            let message = find_outgoing(&state, &raw).await?;
            Ok((axum::http::StatusCode::ACCEPTED, Json(message)).into_response())
        }
    }
}

/// The `timeout` of a wait: 1 to 60 seconds, 30 if not given.
fn wait_timeout(query: &crate::handset::FormData) -> Result<std::time::Duration, AppError> {
    use crate::limits::{WAIT_DEFAULT_SECS, WAIT_MAX_SECS};
    let secs = bounded(
        query,
        "timeout",
        WAIT_DEFAULT_SECS as i64,
        WAIT_MAX_SECS as i64,
    )?;
    if secs < 1 {
        return Err(AppError::BadRequest(format!(
            "timeout must be 1 to {WAIT_MAX_SECS} seconds"
        )));
    }
    Ok(std::time::Duration::from_secs(secs as u64))
}

/// A message as a wait answers it: its usual fields plus `links` and `codes`
/// taken from its body.
fn with_extracts(
    message: impl serde::Serialize,
    body: &str,
) -> Result<Json<serde_json::Value>, AppError> {
    let mut value = serde_json::to_value(message).map_err(AppError::internal)?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "links".into(),
            serde_json::json!(crate::mail::extract::links(body)),
        );
        obj.insert(
            "codes".into(),
            serde_json::json!(crate::mail::extract::codes(body)),
        );
    }
    Ok(Json(value))
}

/// Long poll: runs `find` now and again after each event of `kind`, until it
/// finds something or `timeout` passes (408), or the server stops (503).
async fn wait_for<T, F, Fut>(
    state: &AppState,
    kind: &'static str,
    timeout: std::time::Duration,
    mut find: F,
) -> Result<T, AppError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, AppError>>,
{
    let _permit = state.waits.clone().try_acquire_owned().map_err(|_| {
        AppError::Full(format!(
            "too many waits open (limit {}, --max-waits); try again shortly",
            state.limits.max_waits
        ))
    })?;
    // Listen before looking, so a message that arrives in between is not missed.
    let mut events = state.events.subscribe();
    let mut closed = state.events.closed();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(found) = find().await? {
            return Ok(found);
        }
        // Until an event of the kind (or a gap in them) says to look again.
        loop {
            tokio::select! {
                got = events.recv() => match got {
                    Ok(event) if event.kind == kind => break,
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return Err(shutting_down()),
                },
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(AppError::WaitedTooLong(format!(
                        "no matching message within {} s",
                        timeout.as_secs()
                    )));
                }
                _ = closed.changed() => return Err(shutting_down()),
            }
        }
    }
}

/// `GET /api/outbox/wait?to=&from=&subject=&after=ID&timeout=S`: the first
/// outbox message newer than `after` matching the filters (substrings),
/// as soon as it exists.
async fn wait_outbox(
    _: Admin,
    state: AppState,
    RawQuery(q): RawQuery,
) -> Result<Json<serde_json::Value>, AppError> {
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let timeout = wait_timeout(&query)?;
    let after = bounded(&query, "after", 0, i64::MAX)?;
    let filter = mail::OutboxFilter {
        from: query.get("from")?.map(str::to_string),
        to: query.get("to")?.map(str::to_string),
        subject: query.get("subject")?.map(str::to_string),
        ..Default::default()
    };
    let found = wait_for(&state, "outbox", timeout, || {
        let filter = filter.clone();
        state
            .db
            .call(move |conn| Ok(mail::outbox_first_after(conn, after, &filter)?))
    })
    .await?;
    let body = found.body.clone();
    with_extracts(found, &body)
}

/// `GET /api/lines/{msisdn}/mail/wait?after=ID&timeout=S`: the first mail
/// to the line's mailbox newer than `after`, as soon as it arrives.
async fn wait_line_mail(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<serde_json::Value>, AppError> {
    let msisdn = parse_msisdn(&raw)?;
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let timeout = wait_timeout(&query)?;
    let after = bounded(&query, "after", 0, i64::MAX)?;
    let line_id = state
        .db
        .call(move |conn| Ok(lines::find(conn, &msisdn)?))
        .await?
        .ok_or_else(|| AppError::NotFoundMsg(format!("no line {raw}")))?;
    let found = wait_for(&state, "delivery", timeout, || {
        state
            .db
            .call(move |conn| Ok(mail::mail_after(conn, line_id, after)?))
    })
    .await?;
    let body = found.body.clone();
    with_extracts(found, &body)
}

/// `GET /api/events`: Server-Sent Events of every audit entry, delivery,
/// outbox message and relay result, as they are committed. A reader that
/// falls more than a backlog behind gets a `lagged` event saying how many
/// it missed.
async fn events(_: Admin, state: AppState) -> Result<Response, AppError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;
    let permit = state.streams.clone().try_acquire_owned().map_err(|_| {
        AppError::Full(format!(
            "too many event streams open (limit {}, --max-event-streams)",
            state.limits.max_event_streams
        ))
    })?;
    let rx = state.events.subscribe();
    let closed = state.events.closed();
    let stream = futures_util::stream::unfold(
        (rx, closed, permit),
        |(mut rx, mut closed, permit)| async move {
            let event = tokio::select! {
                got = rx.recv() => match got {
                    Ok(e) => Event::default()
                        .event(e.kind)
                        .id(e.id.to_string())
                        .data(e.data.to_string()),
                    Err(RecvError::Lagged(missed)) => Event::default()
                        .event("lagged")
                        .data(serde_json::json!({ "missed": missed }).to_string()),
                    Err(RecvError::Closed) => return None,
                },
                _ = closed.changed() => return None,
            };
            Some((
                Ok::<_, std::convert::Infallible>(event),
                (rx, closed, permit),
            ))
        },
    );
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)))
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /api/outbox/{id}`.
async fn outbox_one(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
) -> Result<Json<mail::Outgoing>, AppError> {
    Ok(Json(find_outgoing(&state, &raw).await?))
}

/// `GET /api/outbox/{id}/raw`: the message as RFC 5322 text.
async fn outbox_raw(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let m = find_outgoing(&state, &raw).await?;
    let text = crate::mail::rfc5322::render(&m);
    Ok(([(header::CONTENT_TYPE, "message/rfc822")], text).into_response())
}

/// `DELETE /api/outbox`: empties it; answers how many were deleted.
async fn clear_outbox(_: Admin, state: AppState) -> Result<Json<serde_json::Value>, AppError> {
    let n = state.db.call(|conn| Ok(mail::clear_outbox(conn)?)).await?;
    Ok(Json(serde_json::json!({ "deleted": n })))
}

fn clock_json(state: &AppState) -> serde_json::Value {
    serde_json::json!({ "now": crate::clock::rfc3339(state.clock.now()), "offset_seconds": state.clock.offset() })
}

/// `GET /api/handsets`: the handset catalogue, oldest model first, one object
/// per model (model, user_agent, cache_kb, width, height, html_version,
/// browser, cookies, utn, pictograms).
async fn handsets(_: Admin, state: AppState) -> Json<Vec<crate::handset::catalogue::Handset>> {
    Json(state.handsets.handsets().to_vec())
}

/// `GET /api/clock`: the simulated time and how far it is ahead of real time.
async fn clock(_: Admin, state: AppState) -> Json<serde_json::Value> {
    Json(clock_json(&state))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: i64,
}

/// `POST /api/clock/advance` {"seconds": N}: moves simulated time forward
/// (1 second to 10 years; it never goes back, nor past the end of 9999).
async fn advance_clock(
    _: Admin,
    state: AppState,
    body: Result<Json<Advance>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let Advance { seconds } = json_body(body)?;
    state
        .clock
        .advance(seconds)
        .map_err(|refused| AppError::BadRequest(refused.to_string()))?;
    Ok(Json(clock_json(&state)))
}

/// `POST /api/reset`: restores the demo fixtures and ends every session.
async fn reset_fixtures(_: Admin, state: AppState) -> Result<Json<serde_json::Value>, AppError> {
    restore_fixtures(&state).await?;
    Ok(Json(serde_json::json!({ "restored": "demo fixtures" })))
}

/// Restores the demo fixtures and ends every handset and My docomo session.
pub async fn restore_fixtures(state: &AppState) -> Result<(), AppError> {
    let (pins, now, s) = (state.pins.clone(), state.clock.now(), state.clone());
    state
        .db
        .call(move |conn| crate::services::fixtures::restore(conn, &pins, &s.partners, now))
        .await?;
    state.sessions.clear();
    crate::web::pc::mydocomo::sessions(state).end_where(|_| true);
    Ok(())
}

/// Creates a line as at purchase (shared by the API and the admin console):
/// `Err((status, message))` for a refused request.
pub async fn provision_line(
    state: &AppState,
    req: LineRequest,
) -> Result<Result<lines::LineState, (axum::http::StatusCode, String)>, AppError> {
    use axum::http::StatusCode;
    Ok(crate::services::lines::create(&state.services(), req)
        .await?
        .map_err(|refused| match refused {
            Refused::Invalid(e) => (StatusCode::BAD_REQUEST, e),
            Refused::NumberTaken(msisdn) => (
                StatusCode::CONFLICT,
                format!("line {msisdn} already exists"),
            ),
            Refused::DAccountTaken => (
                StatusCode::CONFLICT,
                "that d ACCOUNT ID is taken".to_string(),
            ),
        }))
}

/// `POST /api/lines` {msisdn, name, name_en?, network_pin, daccount_id?, daccount_password?, id_doc_type?, id_doc_number?}
/// → 201 and the new line's state.
async fn create_line(
    _: Admin,
    state: AppState,
    body: Result<Json<LineRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let req = json_body(body)?;
    match provision_line(&state, req).await? {
        Ok(line) => Ok((axum::http::StatusCode::CREATED, Json(line)).into_response()),
        Err((status, message)) => {
            Ok((status, Json(serde_json::json!({ "error": message }))).into_response())
        }
    }
}

/// Resets one line (shared by the API and the admin console); `None` if unknown.
pub async fn reset_one_line(
    state: &AppState,
    msisdn: Msisdn,
) -> Result<Option<lines::LineState>, AppError> {
    let reset = crate::services::lines::reset(&state.services(), msisdn.clone()).await?;
    Ok(reset.map(|reset| {
        // The line was re-created: every session that held it ends.
        state.sessions.end_line_sessions(reset.old_id, None);
        crate::web::pc::mydocomo::sessions(state).end_where(|sub| sub.msisdn == msisdn);
        reset.line
    }))
}

/// `POST /api/lines/{msisdn}/reset`: the line back to its demo (or purchase) state.
async fn reset_line(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
) -> Result<Json<lines::LineState>, AppError> {
    let msisdn = parse_msisdn(&raw)?;
    reset_one_line(&state, msisdn)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::NotFoundMsg(format!("no line {raw}")))
}

/// The answer to a wait that garake's shutdown ended.
fn shutting_down() -> AppError {
    AppError::Full("garake is shutting down; try again once it is back".into())
}
