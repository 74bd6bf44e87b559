//! docomo Shop counter (staff console): staff log in, find a line by phone
//! number, record the identity document shown and compare it with the
//! subscriber's registered one (the third reset route). Every action is audited
//! with the staff id.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};

use crate::domain::Msisdn;
use crate::error::AppError;
use crate::handset::Charset;
use crate::services::logins::{self, Login};
use crate::services::resets;
use crate::services::Line;
use crate::store::audit::{self, Action, Outcome};
use crate::store::lines;
use crate::views::pc::{csrf, layout, logout, message};
use crate::web::page::{read_form, read_query};
use crate::web::pc_session::{check_csrf, see_other, PcSession, PcSessions};
use crate::web::state::AppState;

const SITE: &str = "ドコモショップ / docomo Shop";
const LOGIN_SECS: i64 = 8 * 3600;

/// Identity documents the counter accepts: (value, label).
pub const DOCUMENTS: &[(&str, &str)] = &[
    ("drivers_license", "運転免許証 / Driver's license"),
    ("my_number_card", "マイナンバーカード / My Number card"),
    ("passport", "パスポート / Passport"),
    (
        "health_insurance_card",
        "健康保険証 / Health insurance card",
    ),
];

const CANNOT_VERIFY: &str = "ご契約者さまご本人であることが確認できません。 / The shop cannot verify your identity as the subscriber.";

pub fn sessions(state: &AppState) -> PcSessions<String> {
    PcSessions::new(state.pc_logins.clone(), "garake_shop", LOGIN_SECS).under(&state.cookie_path())
}

pub fn routes() -> Router {
    Router::new()
        .route("/shop", get(home))
        .route("/shop/login", post(login))
        .route("/shop/logout", post(logout_post))
        .route("/shop/line", get(find_line))
        .route("/shop/line/{msisdn}/reset", post(reset))
}

fn page(title: &str, body: Markup) -> Html<String> {
    Html(layout(SITE, title, body).into_string())
}

fn login_page(error: Option<&str>) -> Html<String> {
    page(
        "スタッフログイン / Staff log in",
        html! {
            @if let Some(e) = error { (message(e, false)) }
            form method="post" action="/shop/login" {
                label { "スタッフID / Staff ID " input name="staff_id" autocomplete="username"; }
                label { "パスワード / Password " input type="password" name="staff_password" autocomplete="current-password"; }
                button { "ログイン / Log in" }
            }
        },
    )
}

fn staff(state: &AppState, headers: &HeaderMap) -> Option<PcSession<String>> {
    sessions(state).find(headers)
}

fn lookup_form(s: &PcSession<String>, error: Option<&str>) -> Markup {
    html! {
        p { "担当 / Staff: " (s.who) }
        @if let Some(e) = error { (message(e, false)) }
        form method="get" action="/shop/line" {
            label { "電話番号 / Phone number " input name="msisdn" placeholder="090-1234-0001"; }
            button { "検索 / Find" }
        }
        (logout("/shop/logout", &s.csrf))
    }
}

async fn home(state: AppState, headers: HeaderMap) -> Html<String> {
    match staff(&state, &headers) {
        Some(s) => page("お客様検索 / Find a line", lookup_form(&s, None)),
        None => login_page(None),
    }
}

const LOGIN_FAILED: &str =
    "スタッフIDまたはパスワードが違います。 / The staff ID or password is incorrect.";

async fn login(
    state: AppState,
    client: crate::web::state::ClientAddr,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let form = read_form(body, Charset::Utf8)?;
    let id = form.text("staff_id")?.trim().to_string();
    let password = form.text("staff_password")?.to_string();
    if id.is_empty() || id.len() > 64 || password.len() > 100 {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            login_page(Some(LOGIN_FAILED)),
        )
            .into_response());
    }
    let check = logins::shop_staff(&state.services(), id.clone(), password, &client.name()).await?;
    Ok(match check {
        Login::Wait(wait) => {
            state.metrics.limit_hit(crate::metrics::Limit::RateLimited);
            let text = format!("{wait}秒後に再度お試しください。 / Too many failed logins: try again in {wait} seconds.");
            (StatusCode::TOO_MANY_REQUESTS, login_page(Some(&text))).into_response()
        }
        Login::Ok(()) => {
            let (_, cookie) = sessions(&state).start(id);
            see_other(cookie, "/shop")
        }
        Login::Failed => (StatusCode::UNAUTHORIZED, login_page(Some(LOGIN_FAILED))).into_response(),
    })
}

async fn logout_post(
    state: AppState,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let Some(s) = staff(&state, &headers) else {
        return Ok(Redirect::to("/shop").into_response());
    };
    check_csrf(&s.csrf, body)?;
    Ok(see_other(sessions(&state).end(&s.id), "/shop"))
}

/// What the counter shows of a line.
struct Found {
    line_id: i64,
    msisdn: Msisdn,
    name: String,
    state: lines::LineState,
}

async fn find(state: &AppState, msisdn: Msisdn) -> Result<Option<Found>, AppError> {
    let now = state.clock.now();
    state
        .db
        .call(move |conn| {
            let Some((line_id, line)) = lines::state_by_msisdn(conn, &msisdn, now)? else {
                return Ok(None);
            };
            Ok(Some(Found {
                line_id,
                name: format!("{} / {}", line.name, line.name_en),
                state: line,
                msisdn,
            }))
        })
        .await
}

fn line_page(s: &PcSession<String>, found: &Found, note: Option<Markup>) -> Html<String> {
    page(
        "本人確認・iモードパスワード初期化 / Identity check and i-mode password reset",
        html! {
            @if let Some(n) = note { (n) }
            table {
                tr { th { "電話番号 / Number" } td { (found.msisdn.display()) } }
                tr { th { "ご契約者 / Subscriber" } td { (found.name) } }
                tr { th { "iモードパスワード / i-mode password" } td { @if found.state.pin_locked { "ロック中 / locked" } @else { "有効 / active" } } }
                tr { th { "ネットワーク暗証番号 / Network PIN" } td { @if found.state.network_pin_locked { "ロック中 / locked" } @else { "有効 / active" } } }
            }
            h2 { "ご提示の本人確認書類 / Identity document shown" }
            form method="post" action={ "/shop/line/" (found.msisdn) "/reset" } {
                (csrf(&s.csrf))
                label { "種類 / Type "
                    select name="doc_type" {
                        @for (value, label) in DOCUMENTS { option value=(value) { (label) } }
                    }
                }
                label { "番号 / Number " input name="doc_number" autocomplete="off"; }
                button { "照合して初期化 / Verify and reset" }
            }
            p { a href="/shop" { "検索に戻る / Find another line" } }
        },
    )
}

async fn audit_counter(
    state: &AppState,
    staff: &str,
    msisdn: Option<Msisdn>,
    action: Action<'static>,
    outcome: Outcome,
) -> Result<(), AppError> {
    let (source, now) = (format!("shop:{staff}"), state.clock.now());
    state
        .db
        .call(move |conn| {
            Ok(audit::record(
                conn,
                now,
                msisdn.as_ref(),
                action,
                outcome,
                &source,
            )?)
        })
        .await
}

/// `GET /shop/line?msisdn=`: look a line up.
async fn find_line(
    state: AppState,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let Some(s) = staff(&state, &headers) else {
        return Ok(Redirect::to("/shop").into_response());
    };
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let raw = query.text("msisdn")?.to_string();
    let not_found = |s: &PcSession<String>| {
        let text = "該当する回線がありません。 / No line has that phone number.";
        (
            StatusCode::NOT_FOUND,
            page("お客様検索 / Find a line", lookup_form(s, Some(text))),
        )
            .into_response()
    };
    let Some(msisdn) = Msisdn::parse(&raw) else {
        return Ok(not_found(&s));
    };
    match find(&state, msisdn.clone()).await? {
        Some(found) => {
            audit_counter(
                &state,
                &s.who,
                Some(msisdn),
                Action::ShopLookup,
                Outcome::Ok,
            )
            .await?;
            Ok(line_page(&s, &found, None).into_response())
        }
        None => {
            audit_counter(&state, &s.who, None, Action::ShopLookup, Outcome::Refused).await?;
            Ok(not_found(&s))
        }
    }
}

/// `POST /shop/line/{msisdn}/reset`: compare the document; a match resets the
/// i-mode password to 0000 and unlocks the network PIN.
async fn reset(
    state: AppState,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let Some(s) = staff(&state, &headers) else {
        return Ok(Redirect::to("/shop").into_response());
    };
    let form = check_csrf(&s.csrf, body)?;
    let msisdn = Msisdn::parse(&raw).ok_or(AppError::NotFound)?;
    let found = find(&state, msisdn.clone())
        .await?
        .ok_or(AppError::NotFound)?;
    let doc_type = form.text("doc_type")?.to_string();
    let doc_number = form.text("doc_number")?.trim().to_string();
    if !DOCUMENTS.iter().any(|(v, _)| *v == doc_type)
        || doc_number.is_empty()
        || doc_number.len() > 40
    {
        audit_counter(
            &state,
            &s.who,
            Some(msisdn),
            Action::ShopReset,
            Outcome::InvalidInput,
        )
        .await?;
        let note = message(
            "書類の種類と番号を入力してください。 / Choose the document type and enter its number.",
            false,
        );
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            line_page(&s, &found, Some(note)),
        )
            .into_response());
    }
    let line = Line {
        id: found.line_id,
        msisdn: msisdn.clone(),
    };
    let matched =
        resets::reset_at_shop(&state.services(), &s.who, &line, doc_type, doc_number).await?;
    if !matched {
        return Ok((
            StatusCode::FORBIDDEN,
            line_page(&s, &found, Some(message(CANNOT_VERIFY, false))),
        )
            .into_response());
    }
    state.sessions.end_line_sessions(line.id, None);
    crate::web::pc::mydocomo::sessions(&state).end_where(|sub| sub.line_id == line.id);
    let found = find(&state, msisdn).await?.ok_or(AppError::NotFound)?;
    let note = message("ご本人確認ができました。iモードパスワードを0000に戻し、ネットワーク暗証番号のロックを解除しました。 / Identity verified: the i-mode password is 0000 again and the network PIN is unlocked.", true);
    Ok(line_page(&s, &found, Some(note)).into_response())
}
