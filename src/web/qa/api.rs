//! The QA JSON API. Every route needs the admin token.

use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::Required;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::Msisdn;
use crate::error::AppError;
use crate::handset::{Charset, FormData};
use crate::mail::address::valid_address;
use crate::mail::message::{self as message, Unfit};
use crate::services::lines::{LineRequest, Refused};
use crate::services::mail::{Draft, Resend};
use crate::store::mail;
use crate::store::{audit, lines, sites};
use crate::web::page::read_query;
use crate::web::qa::auth::Admin;
use crate::web::qa::schema::{
    text_param, text_param_with, whole_number, ApiError, Argon2Busy, IntParam, MsisdnPath, NoLine,
    NoMessage, OutboxIdPath, StreamsFull, WaitedTooLong, WaitsFull,
};
use crate::web::state::AppState;

/// Every route of the API (mounted under `/api`), each with its description.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_lines, create_line))
        .routes(routes!(line))
        .routes(routes!(reset_line))
        .routes(routes!(billing))
        .routes(routes!(audit_log))
        .routes(routes!(send_mail))
        .routes(routes!(clock))
        .routes(routes!(handsets))
        .routes(routes!(advance_clock))
        .routes(routes!(reset_fixtures))
        .routes(routes!(mail_log))
        .routes(routes!(line_mail))
        .routes(routes!(wait_line_mail))
        .routes(routes!(outbox, clear_outbox))
        .routes(routes!(wait_outbox))
        .routes(routes!(outbox_one, delete_outgoing))
        .routes(routes!(relay_again))
        .routes(routes!(events))
        .routes(routes!(outbox_raw))
}

/// Where a list starts: entries to skip.
const OFFSET: IntParam = IntParam {
    name: "offset",
    description: "Entries to skip.",
    default: 0,
    min: 0,
    max: i64::MAX,
};

/// Entries per page of a list: `default` unless asked, at most `max`.
const fn limit(default: i64, max: i64) -> IntParam {
    IntParam {
        name: "limit",
        description: "Entries per page.",
        default,
        min: 0,
        max,
    }
}

/// Only messages with a larger id match.
const AFTER: IntParam = IntParam {
    name: "after",
    description: "Only messages with a larger id match (0: any).",
    default: 0,
    min: 0,
    max: i64::MAX,
};

/// How long a wait lasts at most.
const TIMEOUT: IntParam = IntParam {
    name: "timeout",
    description: "Seconds to wait at most.",
    default: crate::limits::WAIT_DEFAULT_SECS as i64,
    min: 1,
    max: crate::limits::WAIT_MAX_SECS as i64,
};

/// A page of a list: `offset`, and `limit` within its bounds.
struct Page {
    offset: i64,
    limit: i64,
}

impl Page {
    fn read(query: &FormData, limit: &IntParam) -> Result<Page, AppError> {
        Ok(Page {
            offset: OFFSET.read(query)?,
            limit: limit.read(query)?,
        })
    }
}

/// The query of a route: read from the query string by `read` and described
/// by `IntoParams` from the same values (each pair side by side below).
macro_rules! params {
    ($name:ident => $($param:expr),* $(,)?) => {
        impl IntoParams for $name {
            fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
                vec![$($param),*]
            }
        }
    };
}

const LINES_LIMIT: IntParam = limit(100, 1000);
const LOG_LIMIT: IntParam = limit(200, 10_000);
const PAGE_LIMIT: IntParam = limit(crate::limits::PAGE_ROWS, 1000);

/// `?offset=&limit=` of the line list.
struct LinesQuery;
params!(LinesQuery => OFFSET.parameter(), LINES_LIMIT.parameter());
impl LinesQuery {
    fn read(raw: Option<&str>) -> Result<Page, AppError> {
        Page::read(&read_query(raw, Charset::Utf8)?, &LINES_LIMIT)
    }
}

/// `?offset=&limit=` of a mailbox.
struct PageQuery;
params!(PageQuery => OFFSET.parameter(), PAGE_LIMIT.parameter());
impl PageQuery {
    fn read(raw: Option<&str>) -> Result<Page, AppError> {
        Page::read(&read_query(raw, Charset::Utf8)?, &PAGE_LIMIT)
    }
}

/// `?limit=&offset=` of the mail log.
struct LogQuery;
params!(LogQuery => LOG_LIMIT.parameter(), OFFSET.parameter());
impl LogQuery {
    fn read(raw: Option<&str>) -> Result<Page, AppError> {
        Page::read(&read_query(raw, Charset::Utf8)?, &LOG_LIMIT)
    }
}

/// `?line=&action=&outcome=&limit=&offset=` of the audit log.
struct AuditQuery {
    line: Option<Msisdn>,
    action: Option<String>,
    outcome: Option<String>,
    page: Page,
}
params!(AuditQuery =>
    text_param_with(
        "line",
        "Only this line's entries.",
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(crate::domain::patterns::MSISDN)),
    ),
    text_param("action", "Only this action, e.g. `change_imode_password`."),
    text_param(
        "outcome",
        "Only this outcome: `ok`, `wrong_pin`, `locked`, `invalid_input`, `refused`, `wrong_token`, `throttled`.",
    ),
    LOG_LIMIT.parameter(),
    OFFSET.parameter(),
);
impl AuditQuery {
    fn read(raw: Option<&str>) -> Result<AuditQuery, AppError> {
        let query = read_query(raw, Charset::Utf8)?;
        Ok(AuditQuery {
            line: query.get("line")?.map(parse_msisdn).transpose()?,
            action: query.get("action")?.map(str::to_owned),
            outcome: query.get("outcome")?.map(str::to_owned),
            page: Page::read(&query, &LOG_LIMIT)?,
        })
    }
}

/// The outbox search (`outbox_filter`).
struct OutboxQuery;
params!(OutboxQuery =>
    text_param("from", "Substring of the sender, any case."),
    text_param(
        "to",
        "Substring of the recipient, any case (`example.com` matches a domain).",
    ),
    text_param("subject", "Substring of the subject, any case."),
    time_param("since", "Sent at or after this time."),
    time_param("before", "Sent before this time."),
    PAGE_LIMIT.parameter(),
    OFFSET.parameter(),
);

/// `?from=&to=&subject=&after=&timeout=` of an outbox wait.
struct OutboxWaitQuery {
    filter: mail::OutboxFilter,
    after: i64,
    timeout: std::time::Duration,
}
params!(OutboxWaitQuery =>
    text_param("from", "Substring of the sender, any case."),
    text_param("to", "Substring of the recipient, any case."),
    text_param("subject", "Substring of the subject, any case."),
    AFTER.parameter(),
    TIMEOUT.parameter(),
);
impl OutboxWaitQuery {
    fn read(raw: Option<&str>) -> Result<OutboxWaitQuery, AppError> {
        let query = read_query(raw, Charset::Utf8)?;
        Ok(OutboxWaitQuery {
            filter: mail::OutboxFilter {
                from: query.get("from")?.map(str::to_string),
                to: query.get("to")?.map(str::to_string),
                subject: query.get("subject")?.map(str::to_string),
                ..Default::default()
            },
            after: AFTER.read(&query)?,
            timeout: wait_timeout(&query)?,
        })
    }
}

/// `?after=&timeout=` of a line's mail wait.
struct LineWaitQuery {
    after: i64,
    timeout: std::time::Duration,
}
params!(LineWaitQuery => AFTER.parameter(), TIMEOUT.parameter());
impl LineWaitQuery {
    fn read(raw: Option<&str>) -> Result<LineWaitQuery, AppError> {
        let query = read_query(raw, Charset::Utf8)?;
        Ok(LineWaitQuery {
            after: AFTER.read(&query)?,
            timeout: wait_timeout(&query)?,
        })
    }
}

/// A time query parameter, as `query_time` reads it.
fn time_param(name: &str, description: &str) -> Parameter {
    use utoipa::openapi::schema::AnyOfBuilder;
    use utoipa::openapi::{KnownFormat, SchemaFormat};
    let schema = AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .description(Some(
            "Unix seconds or an RFC 3339 time (`2026-12-01T09:00:00+09:00`); empty: none.",
        ));
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// Every line's state, in number order.
///
/// `GET /api/lines[?offset=N&limit=N]`: the total count is in `X-Total-Count`.
#[utoipa::path(get, path = "/lines", tag = "lines", params(LinesQuery), responses(
    (status = 200, description = "One page of lines.", body = Vec<lines::LineState>, headers(("X-Total-Count" = i64, description = "How many entries match in all."))),
    (status = 400, description = "`offset` or `limit` is not a number in its range.", body = ApiError),
))]
async fn list_lines(
    _: Admin,
    state: AppState,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let Page { offset, limit } = LinesQuery::read(q.as_deref())?;
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

/// One line's state.
#[utoipa::path(get, path = "/lines/{msisdn}", tag = "lines", params(MsisdnPath), responses(
    (status = 200, description = "The line.", body = lines::LineState),
    (status = 400, description = "`msisdn` is not a phone number.", body = ApiError),
    NoLine,
))]
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
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Billing {
    subscriptions: Vec<sites::Subscription>,
    monthly_total: i64,
    ledger: Vec<sites::LedgerEntry>,
}

/// Active subscriptions, their monthly total and the ledger.
///
/// Every ledger entry: one per subscription started.
#[utoipa::path(get, path = "/lines/{msisdn}/billing", tag = "lines", params(MsisdnPath), responses(
    (status = 200, description = "The bill.", body = Billing),
    (status = 400, description = "`msisdn` is not a phone number.", body = ApiError),
    NoLine,
))]
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

/// The audit log, newest first.
///
/// `GET /api/audit[?line=MSISDN&action=&outcome=&limit=N&offset=N]`: how many
/// match is in `X-Total-Count`.
#[utoipa::path(get, path = "/audit", tag = "logs", params(AuditQuery), responses(
    (status = 200, description = "One page of entries.", body = Vec<audit::Entry>, headers(("X-Total-Count" = i64, description = "How many entries match in all."))),
    (status = 400, description = "`line` is not a phone number, or `limit` or `offset` not a number in its range.", body = ApiError),
))]
async fn audit_log(_: Admin, state: AppState, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let AuditQuery {
        line,
        action,
        outcome,
        page: Page { offset, limit },
    } = AuditQuery::read(q.as_deref())?;
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

/// A mail to send. `subject` and `body` are counted in Shift_JIS bytes
/// (pictograms and kanji two each): over their size, 422.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewMail)]
struct SendMail {
    /// The sender's address.
    #[schema(schema_with = address_schema)]
    from: String,
    /// The recipient's address.
    #[schema(schema_with = address_schema)]
    to: String,
    /// One line of at most 100 bytes in Shift_JIS (so at most 100 characters).
    #[serde(default)]
    #[schema(schema_with = subject_schema)]
    subject: String,
    /// At most 10,000 bytes in Shift_JIS (so at most 10,000 characters).
    #[serde(default)]
    #[schema(schema_with = mail_body_schema)]
    body: String,
}

fn address_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(254))
        .pattern(Some(crate::domain::patterns::MAIL_ADDRESS))
        .examples(["taro-demo@docomo.ne.jp"])
}

fn subject_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(crate::limits::MAIL_SUBJECT_BYTES))
        .pattern(Some("^[^\\r\\n]*$"))
}

fn mail_body_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(crate::limits::MAIL_BODY_BYTES))
}

/// Send a mail through the same delivery rules as handset mail.
///
/// `POST /api/mail` {from, to, subject, body} → {status, reason}.
#[utoipa::path(post, path = "/mail", tag = "mail", request_body = SendMail, responses(
    (status = 200, description = "What became of it.", body = message::Outcome),
    (status = 400, description = "The body is not JSON of the schema, or an address is not valid.", body = ApiError),
    (status = 422, description = "The subject or the body is over its size in Shift_JIS bytes, or the subject has a line break.", body = ApiError),
    (status = 429, description = "The sending line sent its most mail this minute (`--mail-per-minute`), or too many wrong admin tokens.", body = ApiError,
        headers(("Retry-After" = u64, description = "Seconds to wait before trying again."))),
))]
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

/// One page of the line's i-mode mailbox, newest first.
///
/// `GET /api/lines/{msisdn}/mail[?offset=N&limit=N]`: the mailbox's size is
/// in `X-Total-Count`.
#[utoipa::path(get, path = "/lines/{msisdn}/mail", tag = "mail", params(MsisdnPath, PageQuery), responses(
    (status = 200, description = "One page of mail.", body = Vec<mail::Received>, headers(("X-Total-Count" = i64, description = "How many entries match in all."))),
    (status = 400, description = "`msisdn` is not a phone number, or `offset` or `limit` not a number in its range.", body = ApiError),
    NoLine,
))]
async fn line_mail(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let msisdn = parse_msisdn(&raw)?;
    let Page { offset, limit } = PageQuery::read(q.as_deref())?;
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

/// Every delivery decision, newest first.
///
/// `GET /api/mail-log[?limit=N&offset=N]`: how many there are is in
/// `X-Total-Count`.
#[utoipa::path(get, path = "/mail-log", tag = "logs", params(LogQuery), responses(
    (status = 200, description = "One page of decisions.", body = Vec<mail::LogEntry>, headers(("X-Total-Count" = i64, description = "How many entries match in all."))),
    (status = 400, description = "`limit` or `offset` is not a number in its range.", body = ApiError),
))]
async fn mail_log(_: Admin, state: AppState, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    let Page { offset, limit } = LogQuery::read(q.as_deref())?;
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
        limit: PAGE_LIMIT.read(query)?,
        offset: OFFSET.read(query)?,
    })
}

/// Search the mail that left the carrier, newest first.
///
/// `GET /api/outbox[?from=&to=&subject=&since=&before=&limit=&offset=]`: how
/// many match is in `X-Total-Count`.
#[utoipa::path(get, path = "/outbox", tag = "outbox", params(OutboxQuery), responses(
    (status = 200, description = "One page of messages.", body = Vec<mail::Outgoing>, headers(("X-Total-Count" = i64, description = "How many entries match in all."))),
    (status = 400, description = "`since` or `before` is not a time, or `limit` or `offset` not a number in its range.", body = ApiError),
))]
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

/// Counters and sizes in Prometheus text format.
///
/// `GET /metrics`: requests, latencies and limit hits since start, and the
/// sizes of what is kept now.
#[utoipa::path(get, path = "/metrics", tag = "meta", responses(
    (status = 200, description = "Prometheus text format 0.0.4.", content_type = "text/plain", body = String),
))]
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

/// Delete one outbox message.
#[utoipa::path(delete, path = "/outbox/{id}", tag = "outbox", params(OutboxIdPath), responses(
    (status = 204, description = "Deleted."),
    (status = 400, description = "`id` is not an outbox id.", body = ApiError),
    NoMessage,
))]
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

/// Send the message again through the SMTP relay.
///
/// Its relay state goes back to pending, its attempts from zero.
#[utoipa::path(post, path = "/outbox/{id}/relay", tag = "outbox", params(OutboxIdPath), responses(
    (status = 202, description = "Queued: the message, its relay state pending again.", body = mail::Outgoing),
    (status = 400, description = "`id` is not an outbox id.", body = ApiError),
    NoMessage,
    (status = 409, description = "No SMTP relay is configured, or an attempt for this message is under way.", body = ApiError),
))]
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

/// The `timeout` of a wait, in seconds (`TIMEOUT`).
fn wait_timeout(query: &FormData) -> Result<std::time::Duration, AppError> {
    let secs = TIMEOUT.read(query)?;
    Ok(std::time::Duration::from_secs(secs.unsigned_abs()))
}

/// An outbox message as a wait answers it: its usual fields plus the
/// `links` and `codes` of its body.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct WaitedOutgoing {
    #[serde(flatten)]
    message: mail::Outgoing,
    #[serde(flatten)]
    extracts: Extracts,
}

/// A mailbox message as a wait answers it: its usual fields plus the
/// `links` and `codes` of its body.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct WaitedMail {
    #[serde(flatten)]
    message: mail::Received,
    #[serde(flatten)]
    extracts: Extracts,
}

/// What a wait takes from a message's body.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Extracts {
    /// Every URL in the body.
    links: Vec<String>,
    /// Every run of 4 to 12 digits and any handed-out password in the body.
    codes: Vec<String>,
}

impl Extracts {
    fn of(body: &str) -> Extracts {
        Extracts {
            links: crate::mail::extract::links(body),
            codes: crate::mail::extract::codes(body),
        }
    }
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

/// Wait for the next outbox message matching the filters.
///
/// `GET /api/outbox/wait?to=&from=&subject=&after=ID&timeout=S`: the first
/// outbox message newer than `after` matching the filters (substrings), as
/// soon as it exists.
#[utoipa::path(get, path = "/outbox/wait", tag = "outbox", params(OutboxWaitQuery), responses(
    (status = 200, description = "The message, with the links and codes of its body.", body = WaitedOutgoing),
    (status = 400, description = "`after` or `timeout` is not a number in its range.", body = ApiError),
    WaitedTooLong,
    WaitsFull,
))]
async fn wait_outbox(
    _: Admin,
    state: AppState,
    RawQuery(q): RawQuery,
) -> Result<Json<WaitedOutgoing>, AppError> {
    let OutboxWaitQuery {
        filter,
        after,
        timeout,
    } = OutboxWaitQuery::read(q.as_deref())?;
    let found = wait_for(&state, "outbox", timeout, || {
        let filter = filter.clone();
        state
            .db
            .call(move |conn| Ok(mail::outbox_first_after(conn, after, &filter)?))
    })
    .await?;
    let extracts = Extracts::of(&found.body);
    Ok(Json(WaitedOutgoing {
        message: found,
        extracts,
    }))
}

/// Wait for the next mail to the line's mailbox.
///
/// `GET /api/lines/{msisdn}/mail/wait?after=ID&timeout=S`: the first mail to
/// the line's mailbox newer than `after`, as soon as it arrives.
#[utoipa::path(get, path = "/lines/{msisdn}/mail/wait", tag = "mail", params(MsisdnPath, LineWaitQuery), responses(
    (status = 200, description = "The mail, with the links and codes of its body.", body = WaitedMail),
    (status = 400, description = "`msisdn` is not a phone number, or `after` or `timeout` not a number in its range.", body = ApiError),
    NoLine,
    WaitedTooLong,
    WaitsFull,
))]
async fn wait_line_mail(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<WaitedMail>, AppError> {
    let msisdn = parse_msisdn(&raw)?;
    let LineWaitQuery { after, timeout } = LineWaitQuery::read(q.as_deref())?;
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
    let extracts = Extracts::of(&found.body);
    Ok(Json(WaitedMail {
        message: found,
        extracts,
    }))
}

/// Server-Sent Events: `audit`, `delivery`, `outbox` and `relay`.
///
/// `GET /api/events`: every audit entry, delivery, outbox message and relay
/// result, as they are committed. A reader that falls more than a backlog
/// behind gets a `lagged` event saying how many it missed.
#[utoipa::path(get, path = "/events", tag = "events", responses(
    (status = 200, description = "An endless stream: `event:` is the kind, `data:` one line of JSON (an audit entry, a mail log entry, an outbox message).", content_type = "text/event-stream", body = String),
    StreamsFull,
))]
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

/// One outbox message.
#[utoipa::path(get, path = "/outbox/{id}", tag = "outbox", params(OutboxIdPath), responses(
    (status = 200, description = "The message.", body = mail::Outgoing),
    (status = 400, description = "`id` is not an outbox id.", body = ApiError),
    NoMessage,
))]
async fn outbox_one(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
) -> Result<Json<mail::Outgoing>, AppError> {
    Ok(Json(find_outgoing(&state, &raw).await?))
}

/// One outbox message as RFC 5322 text (an .eml file).
#[utoipa::path(get, path = "/outbox/{id}/raw", tag = "outbox", params(OutboxIdPath), responses(
    (status = 200, description = "The message.", content_type = "message/rfc822", body = String),
    (status = 400, description = "`id` is not an outbox id.", body = ApiError),
    NoMessage,
))]
async fn outbox_raw(
    _: Admin,
    state: AppState,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let m = find_outgoing(&state, &raw).await?;
    let text = crate::mail::rfc5322::render(&m);
    Ok(([(header::CONTENT_TYPE, "message/rfc822")], text).into_response())
}

/// How many messages a clear deleted.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Deleted {
    deleted: usize,
}

/// Empty the outbox.
#[utoipa::path(delete, path = "/outbox", tag = "outbox", responses(
    (status = 200, description = "How many messages went.", body = Deleted),
))]
async fn clear_outbox(_: Admin, state: AppState) -> Result<Json<Deleted>, AppError> {
    let deleted = state.db.call(|conn| Ok(mail::clear_outbox(conn)?)).await?;
    Ok(Json(Deleted { deleted }))
}

/// The simulated time.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Clock {
    /// RFC 3339, in UTC.
    now: String,
    /// Seconds ahead of real time.
    offset_seconds: i64,
}

fn clock_now(state: &AppState) -> Clock {
    Clock {
        now: crate::clock::rfc3339(state.clock.now()),
        offset_seconds: state.clock.offset(),
    }
}

/// The handset catalogue, oldest model first.
///
/// `GET /api/handsets`: one object per model (model, user_agent, cache_kb,
/// width, height, html_version, browser, cookies, utn, pictograms).
#[utoipa::path(get, path = "/handsets", tag = "meta", responses(
    (status = 200, description = "Every model.", body = Vec<crate::handset::catalogue::Handset>),
))]
async fn handsets(_: Admin, state: AppState) -> Json<Vec<crate::handset::catalogue::Handset>> {
    Json(state.handsets.handsets().to_vec())
}

/// The simulated time.
///
/// `GET /api/clock`: the simulated time and how far it is ahead of real time.
#[utoipa::path(get, path = "/clock", tag = "clock", responses(
    (status = 200, description = "Now.", body = Clock),
))]
async fn clock(_: Admin, state: AppState) -> Json<Clock> {
    Json(clock_now(&state))
}

/// How far to move the simulated time.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Advance {
    /// Seconds forward: 1 to 10 years of 366 days.
    #[serde(deserialize_with = "whole_number")]
    #[schema(schema_with = step_schema)]
    seconds: i64,
}

fn step_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
        .minimum(Some(1))
        .maximum(Some(crate::clock::MAX_STEP))
}

/// Move the simulated time forward.
///
/// `POST /api/clock/advance` {"seconds": N}: 1 second to 10 years; it never
/// goes back, nor past 9999-12-31T23:59:59Z.
#[utoipa::path(post, path = "/clock/advance", tag = "clock", request_body = Advance, responses(
    (status = 200, description = "Now.", body = Clock),
    (status = 400, description = "The body is not JSON of the schema (`seconds` missing or not 1 to 10 years), or the move would pass 9999-12-31T23:59:59Z; the clock did not move.", body = ApiError),
))]
async fn advance_clock(
    _: Admin,
    state: AppState,
    body: Result<Json<Advance>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Clock>, AppError> {
    let Advance { seconds } = json_body(body)?;
    state
        .clock
        .advance(seconds)
        .map_err(|refused| AppError::BadRequest(refused.to_string()))?;
    Ok(Json(clock_now(&state)))
}

/// What a reset restored.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Restored {
    /// `demo fixtures`.
    restored: &'static str,
}

/// Restore the demo fixtures and end every session.
#[utoipa::path(post, path = "/reset", tag = "lines", responses(
    (status = 200, description = "Done.", body = Restored),
))]
async fn reset_fixtures(_: Admin, state: AppState) -> Result<Json<Restored>, AppError> {
    restore_fixtures(&state).await?;
    Ok(Json(Restored {
        restored: "demo fixtures",
    }))
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

/// Create a line as at purchase (i-mode password 0000).
///
/// `POST /api/lines` {msisdn, name, name_en?, network_pin, daccount_id?,
/// daccount_password?, id_doc_type?, id_doc_number?} → 201 and the new line's state.
#[utoipa::path(post, path = "/lines", tag = "lines", request_body = LineRequest, responses(
    (status = 201, description = "The new line.", body = lines::LineState),
    (status = 400, description = "The body is not JSON of the schema: a field missing, unknown or not valid (`error` names it).", body = ApiError),
    (status = 409, description = "A line has that number, or that d ACCOUNT ID is taken.", body = ApiError),
    Argon2Busy,
))]
async fn create_line(
    _: Admin,
    state: AppState,
    body: Result<Json<LineRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let req = json_body(body)?;
    match provision_line(&state, req).await? {
        Ok(line) => Ok((axum::http::StatusCode::CREATED, Json(line)).into_response()),
        Err((status, message)) => Ok((status, Json(ApiError { error: message })).into_response()),
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

/// Put one line back as the demo fixtures (or a purchase) had it.
#[utoipa::path(post, path = "/lines/{msisdn}/reset", tag = "lines", params(MsisdnPath), responses(
    (status = 200, description = "The line now.", body = lines::LineState),
    (status = 400, description = "`msisdn` is not a phone number.", body = ApiError),
    NoLine,
    Argon2Busy,
))]
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
