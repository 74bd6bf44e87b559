//! The admin console: login with the admin token, then lines, audit log, mail
//! log and outbox. A PC tool, so it keeps its session in a cookie (HttpOnly,
//! SameSite=Strict) and its forms carry a CSRF token.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, RawQuery};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::domain::Msisdn;
use crate::error::AppError;
use crate::handset::Charset;
use crate::store::mail;
use crate::store::{audit, lines};
use crate::views;
use crate::web::page::{read_form, read_query};
use crate::web::pc_session::{see_other, PcSession, PcSessions};
use crate::web::state::AppState;

/// How long a console login lasts.
const LOGIN_SECS: i64 = 8 * 3600;

/// Logged-in consoles.
pub fn consoles(state: &AppState) -> PcSessions<()> {
    PcSessions::new(state.pc_logins.clone(), "garake_admin", LOGIN_SECS).under(&state.cookie_path())
}

/// A logged-in console and its CSRF token.
pub struct Console(PcSession<()>);

impl<S: Send + Sync> FromRequestParts<S> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Console, Response> {
        let state = &AppState::from_request_parts(parts, s)
            .await
            .map_err(IntoResponse::into_response)?;
        consoles(state)
            .find(&parts.headers)
            .map(Console)
            .ok_or_else(|| Redirect::to("/admin/login").into_response())
    }
}

impl Console {
    /// Who the console's pages are for.
    pub fn who<'a>(&'a self, state: &'a AppState) -> views::admin::Who<'a> {
        views::admin::Who {
            csrf: &self.0.csrf,
            world: state.place.id.as_deref(),
        }
    }

    /// Checks the CSRF field of a posted console form.
    fn check(
        &self,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<crate::handset::FormData, AppError> {
        crate::web::pc_session::check_csrf(&self.0.csrf, body)
    }
}

pub fn routes() -> Router {
    Router::new()
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin", get(lines_page))
        .route("/admin/audit", get(audit_page))
        .route("/admin/lines", post(new_line))
        .route("/admin/lines/{msisdn}", get(line_page))
        .route(
            "/admin/lines/{msisdn}/reset",
            get(confirm_reset_line).post(reset_line),
        )
        .route("/admin/clock", post(advance_clock))
        .route("/admin/restore", get(confirm_restore).post(restore))
        .route("/admin/mail-log", get(mail_log_page))
        .route("/admin/support", get(support_page))
        .route("/admin/support/{id}/reset", post(support_reset))
        .route("/outbox", get(outbox_page))
        .route(
            "/outbox/clear",
            get(confirm_clear_outbox).post(clear_outbox),
        )
        .route("/outbox/{id}", get(outbox_one))
        .route("/outbox/{id}/raw", get(outbox_eml))
        .route("/outbox/{id}/relay", post(outbox_relay))
        .route("/outbox/{id}/delete", post(outbox_delete))
}

async fn login_page() -> Html<String> {
    Html(views::admin::login(None).into_string())
}

async fn login(
    state: AppState,
    client: crate::web::state::ClientAddr,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let form = read_form(body, Charset::Utf8)?;
    let token = form.text("token")?;
    match crate::web::qa::auth::check_admin_token(&state, token, &client, "console").await {
        Ok(()) => {}
        Err(AppError::Unauthorized) => {
            // An empty form guessed nothing (and was not counted): say what is missing.
            let text = if token.is_empty() {
                views::admin::NO_TOKEN
            } else {
                views::admin::WRONG_TOKEN
            };
            return Ok((
                StatusCode::UNAUTHORIZED,
                Html(views::admin::login(Some(text)).into_string()),
            )
                .into_response());
        }
        Err(AppError::TooMany(wait)) => {
            let text =
                format!("Too many wrong tokens from your address: try again in {wait} seconds.");
            let mut page = (
                StatusCode::TOO_MANY_REQUESTS,
                Html(views::admin::login(Some(&text)).into_string()),
            )
                .into_response();
            page.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(wait),
            );
            return Ok(page);
        }
        Err(other) => return Err(other),
    }
    let (_, cookie) = consoles(&state).start(());
    Ok(see_other(cookie, "/admin"))
}

async fn logout(
    state: AppState,
    console: Console,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    console.check(body)?;
    let cookie = consoles(&state).end(&console.0.id);
    Ok(see_other(cookie, "/admin/login"))
}

async fn lines_page(state: AppState, console: Console) -> Result<Html<String>, AppError> {
    lines_view(&state, &console, None).await
}

async fn lines_view(
    state: &AppState,
    console: &Console,
    note: Option<&str>,
) -> Result<Html<String>, AppError> {
    let now = state.clock.now();
    let (states, total) = state
        .db
        .call(move |conn| {
            let (listing, total) = lines::directory(conn, 0, 200)?;
            let mut states = Vec::new();
            for l in listing {
                states.extend(lines::state(conn, l.id, now)?);
            }
            Ok((states, total))
        })
        .await?;
    let now = crate::clock::rfc3339(now);
    Ok(Html(
        views::admin::lines(&console.who(state), &states, total, &now, note).into_string(),
    ))
}

async fn audit_page(
    state: AppState,
    console: Console,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, AppError> {
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let nonempty = |name: &str| -> Result<Option<String>, AppError> {
        Ok(query
            .get(name)?
            .filter(|v| !v.is_empty())
            .map(str::to_owned))
    };
    let (raw, action, outcome) = (nonempty("line")?, nonempty("action")?, nonempty("outcome")?);
    let line = match &raw {
        Some(l) => Some(
            Msisdn::parse(l)
                .ok_or_else(|| AppError::BadRequest(format!("`{l}` is not a phone number")))?,
        ),
        None => None,
    };
    let offset = page_offset(&query)?;
    let (a, o) = (action.clone(), outcome.clone());
    let (entries, total) = state
        .db
        .call(move |conn| {
            let filter = audit::Filter {
                line: line.as_ref(),
                action: a.as_deref(),
                outcome: o.as_deref(),
            };
            Ok(audit::filtered(
                conn,
                &filter,
                offset,
                crate::limits::PAGE_ROWS,
            )?)
        })
        .await?;
    let filter = [raw.as_deref(), action.as_deref(), outcome.as_deref()];
    Ok(Html(
        views::admin::audit(&console.who(&state), &entries, filter, offset, total).into_string(),
    ))
}

/// The `offset` of a console list page (a multiple of the page size, or 0).
fn page_offset(query: &crate::handset::FormData) -> Result<i64, AppError> {
    match query.get("offset")?.filter(|v| !v.is_empty()) {
        None => Ok(0),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| AppError::BadRequest("`offset` must be a number".into())),
    }
}

async fn mail_log_page(
    state: AppState,
    console: Console,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, AppError> {
    let offset = page_offset(&read_query(q.as_deref(), Charset::Utf8)?)?;
    let (entries, total) = state
        .db
        .call(move |conn| Ok(mail::mail_log(conn, offset, crate::limits::PAGE_ROWS)?))
        .await?;
    Ok(Html(
        views::admin::mail_log(&console.who(&state), &entries, offset, total).into_string(),
    ))
}

async fn outbox_page(
    state: AppState,
    console: Console,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, AppError> {
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let filter = crate::web::qa::api::outbox_filter(&query)?;
    let shown = filter.clone();
    let (mails, total) = state
        .db
        .call(move |conn| Ok(mail::outbox(conn, &filter)?))
        .await?;
    Ok(Html(
        views::admin::outbox(&console.who(&state), &mails, total, &shown).into_string(),
    ))
}

/// Whether outbox mail goes to an SMTP relay.
async fn has_relay(state: &AppState) -> Result<bool, AppError> {
    state
        .db
        .call(|conn| {
            use crate::store::server::{has, Setting};
            Ok(has(conn, Setting::SmtpRelay)?)
        })
        .await
}

async fn find_outgoing(state: &AppState, raw: &str) -> Result<mail::Outgoing, AppError> {
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    state
        .db
        .call(move |conn| Ok(mail::outbox_one(conn, id)?))
        .await?
        .ok_or(AppError::NotFound)
}

async fn outbox_view(
    state: &AppState,
    console: &Console,
    raw: &str,
    note: Option<&str>,
) -> Result<Html<String>, AppError> {
    let m = find_outgoing(state, raw).await?;
    let rfc = crate::mail::rfc5322::render(&m);
    let relay = has_relay(state).await?;
    Ok(Html(
        views::admin::outbox_one(&console.who(state), &m, &rfc, relay, note).into_string(),
    ))
}

async fn outbox_one(
    state: AppState,
    console: Console,
    Path(raw): Path<String>,
) -> Result<Html<String>, AppError> {
    outbox_view(&state, &console, &raw, None).await
}

/// `GET /outbox/{id}/raw`: the message as an .eml file.
async fn outbox_eml(
    state: AppState,
    _: Console,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let m = find_outgoing(&state, &raw).await?;
    let disposition = format!("attachment; filename=\"outbox-{}.eml\"", m.id);
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "message/rfc822".to_string(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        crate::mail::rfc5322::render(&m),
    )
        .into_response())
}

/// `POST /outbox/{id}/relay`: queues the message for the relay again.
async fn outbox_relay(
    state: AppState,
    console: Console,
    Path(raw): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    console.check(body)?;
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    use crate::services::mail::{resend, Resend};
    let note = match resend(&state.services(), id).await? {
        Resend::NoSuchMessage => return Err(AppError::NotFound),
        Resend::NoRelay => {
            "No SMTP relay is configured (start with --smtp-relay HOST:PORT): nothing was sent."
        }
        Resend::Queued => "Queued for the relay again.",
        Resend::UnderWay => "A relay attempt is under way; try again when it ends.",
    };
    Ok(outbox_view(&state, &console, &raw, Some(note))
        .await?
        .into_response())
}

/// `POST /outbox/{id}/delete`: deletes one message.
async fn outbox_delete(
    state: AppState,
    console: Console,
    Path(raw): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    console.check(body)?;
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    if !state
        .db
        .call(move |conn| Ok(mail::delete_outgoing(conn, id)?))
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/outbox").into_response())
}

/// Whether a posted form confirmed a destructive action; if not, the
/// answer that sends the browser to the confirmation page instead.
fn confirmed(form: &crate::handset::FormData, page: &str) -> Result<Option<Response>, AppError> {
    Ok((form.get("confirm")? != Some("yes")).then(|| Redirect::to(page).into_response()))
}

async fn confirm_clear_outbox(state: AppState, console: Console) -> Html<String> {
    Html(
        views::admin::confirm(
            &console.who(&state),
            "Outbox",
            "Delete all outbox mail?",
            "Every message in the outbox will be deleted, relayed or not.",
            "/outbox/clear",
            "Delete all",
            "/outbox",
        )
        .into_string(),
    )
}

async fn clear_outbox(
    state: AppState,
    console: Console,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let form = console.check(body)?;
    if let Some(ask) = confirmed(&form, "/outbox/clear")? {
        return Ok(ask);
    }
    state.db.call(|conn| Ok(mail::clear_outbox(conn)?)).await?;
    Ok(Redirect::to("/outbox").into_response())
}

async fn support_view(
    state: &AppState,
    who: &views::admin::Who<'_>,
    note: Option<&str>,
    offset: i64,
) -> Result<Html<String>, AppError> {
    let ((inquiries, total), accounts) = {
        let sites: Vec<String> = state.partners.sites.iter().map(|s| s.id.clone()).collect();
        state
            .db
            .call(move |conn| {
                let inquiries =
                    crate::store::partners::inquiries(conn, offset, crate::limits::PAGE_ROWS)?;
                let mut accounts = Vec::new();
                for site in &sites {
                    for a in crate::store::partners::accounts(conn, site)? {
                        accounts.push((site.clone(), a));
                    }
                }
                Ok((inquiries, accounts))
            })
            .await?
    };
    let items: Vec<views::admin::InquiryView<'_>> = inquiries
        .iter()
        .map(|i| {
            let member_id = i.fields.get("member_id");
            let member = accounts
                .iter()
                .find(|(site, a)| *site == i.site && Some(&a.login_id) == member_id)
                .map(|(_, a)| (a.login_id.as_str(), &a.fields));
            views::admin::InquiryView { inquiry: i, member }
        })
        .collect();
    Ok(Html(
        views::admin::support(who, &items, note, offset, total).into_string(),
    ))
}

async fn support_page(
    state: AppState,
    console: Console,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, AppError> {
    let offset = page_offset(&read_query(q.as_deref(), Charset::Utf8)?)?;
    support_view(&state, &console.who(&state), None, offset).await
}

async fn support_reset(
    state: AppState,
    console: Console,
    Path(raw): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let form = console.check(body)?;
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    let login_id = form.text("login_id")?.to_string();
    let cx = state.recovery(None);
    let sent =
        crate::recovery::resolve_inquiry(&cx, &state.partners, id, &login_id, "admin").await?;
    let note = if sent {
        format!("A reset link was mailed to {login_id}.")
    } else {
        "Nothing was sent: the inquiry is already handled or the member does not exist.".to_string()
    };
    let status = if sent {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    Ok((
        status,
        support_view(&state, &console.who(&state), Some(&note), 0).await?,
    )
        .into_response())
}

async fn new_line(
    state: AppState,
    console: Console,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let form = console.check(body)?;
    let field =
        |name: &str| -> Result<Option<String>, AppError> { Ok(form.get(name)?.map(str::to_owned)) };
    let req = crate::services::lines::LineRequest {
        msisdn: field("msisdn")?.unwrap_or_default(),
        name: field("name")?.unwrap_or_default(),
        name_en: field("name_en")?.unwrap_or_default(),
        network_pin: field("network_pin")?.unwrap_or_default(),
        daccount_id: field("daccount_id")?,
        daccount_password: field("daccount_password")?,
        id_doc_type: field("id_doc_type")?,
        id_doc_number: field("id_doc_number")?,
    };
    match crate::web::qa::api::provision_line(&state, req).await? {
        Ok(line) => Ok(lines_view(
            &state,
            &console,
            Some(&format!("Created line {}.", line.msisdn)),
        )
        .await?
        .into_response()),
        Err((status, message)) => {
            Ok((status, lines_view(&state, &console, Some(&message)).await?).into_response())
        }
    }
}

/// `GET /admin/lines/{msisdn}`: the line's state, audit, mailbox and bill.
async fn line_page(
    state: AppState,
    console: Console,
    Path(raw): Path<String>,
) -> Result<Html<String>, AppError> {
    let msisdn = Msisdn::parse(&raw).ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let found = state
        .db
        .call(move |conn| {
            let Some((id, line)) = lines::state_by_msisdn(conn, &msisdn, now)? else {
                return Ok(None);
            };
            let filter = audit::Filter {
                line: Some(&msisdn),
                action: None,
                outcome: None,
            };
            let (entries, _) = audit::filtered(conn, &filter, 0, 20)?;
            let (mails, mail_total) = mail::inbox(conn, id, 0, 20)?;
            let subscriptions = crate::store::sites::subscriptions(conn, id)?;
            let ledger = crate::store::sites::ledger(conn, id)?;
            Ok(Some((
                line,
                entries,
                mails,
                mail_total,
                subscriptions,
                ledger,
            )))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let (line, entries, mails, mail_total, subscriptions, ledger) = found;
    let view = views::admin::LineView {
        state: &line,
        audit: &entries,
        mails: &mails,
        mail_total,
        subscriptions: &subscriptions,
        ledger: &ledger,
    };
    Ok(Html(
        views::admin::line_page(&console.who(&state), &view).into_string(),
    ))
}

async fn confirm_reset_line(
    state: AppState,
    console: Console,
    Path(raw): Path<String>,
) -> Result<Html<String>, AppError> {
    let msisdn = Msisdn::parse(&raw).ok_or(AppError::NotFound)?;
    Ok(Html(
        views::admin::confirm(
            &console.who(&state),
            "Lines",
            &format!("Reset line {}?", msisdn.as_str()),
            "The line goes back to its demo state (or, for a line made here, as at purchase): \
             its settings, passwords, locks, My Menu, subscriptions and mailbox.",
            &format!("/admin/lines/{}/reset", msisdn.as_str()),
            "Reset the line",
            &format!("/admin/lines/{}", msisdn.as_str()),
        )
        .into_string(),
    ))
}

async fn reset_line(
    state: AppState,
    console: Console,
    Path(raw): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let form = console.check(body)?;
    let msisdn = Msisdn::parse(&raw).ok_or(AppError::NotFound)?;
    if let Some(ask) = confirmed(&form, &format!("/admin/lines/{}/reset", msisdn.as_str()))? {
        return Ok(ask);
    }
    let line = crate::web::qa::api::reset_one_line(&state, msisdn)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(lines_view(
        &state,
        &console,
        Some(&format!("Line {} was reset.", line.msisdn)),
    )
    .await?
    .into_response())
}

async fn advance_clock(
    state: AppState,
    console: Console,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let form = console.check(body)?;
    // The clock checks the step itself; a number it cannot read is no step.
    let moved = match form.text("seconds")?.trim().parse::<i64>() {
        Ok(seconds) => state.clock.advance(seconds),
        Err(_) => Err(crate::clock::Refused::Step),
    };
    match moved {
        Ok(()) => Ok(Redirect::to("/admin").into_response()),
        Err(refused) => {
            let note = format!("The clock was not moved: {refused}.");
            Ok((
                StatusCode::BAD_REQUEST,
                lines_view(&state, &console, Some(&note)).await?,
            )
                .into_response())
        }
    }
}

async fn confirm_restore(state: AppState, console: Console) -> Html<String> {
    Html(
        views::admin::confirm(
            &console.who(&state),
            "Lines",
            "Restore the demo fixtures?",
            "Every line, partner member, mailbox, outbox message and log is replaced by the demo fixtures, and every session ends.",
            "/admin/restore",
            "Restore demo fixtures",
            "/admin",
        )
        .into_string(),
    )
}

async fn restore(
    state: AppState,
    console: Console,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let form = console.check(body)?;
    if let Some(ask) = confirmed(&form, "/admin/restore")? {
        return Ok(ask);
    }
    crate::web::qa::api::restore_fixtures(&state).await?;
    Ok(
        lines_view(&state, &console, Some("The demo fixtures were restored."))
            .await?
            .into_response(),
    )
}
