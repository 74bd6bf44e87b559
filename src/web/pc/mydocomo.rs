//! My docomo (PC site): d ACCOUNT login → the top page → Subscription
//! details/procedures → docomo Online Application → reset the i-mode password
//! with the network PIN.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup};

use crate::domain::Msisdn;
use crate::error::AppError;
use crate::handset::Charset;
use crate::services::gate::GateOutcome;
use crate::services::logins::{self, Login};
use crate::services::resets::{self, Online};
use crate::services::Line;
use crate::views::pc::{self, csrf, layout, logout, message};
use crate::web::page::read_form;
use crate::web::pc_session::{check_csrf, see_other, PcSession, PcSessions};
use crate::web::state::AppState;

const SITE: &str = "My docomo";
/// Idle-free lifetime of a My docomo login.
const LOGIN_SECS: i64 = 30 * 60;

/// Who is logged in: the line of the d ACCOUNT.
#[derive(Clone, Debug)]
pub struct Subscriber {
    pub line_id: i64,
    pub msisdn: Msisdn,
}

pub fn sessions(state: &AppState) -> PcSessions<Subscriber> {
    PcSessions::new(state.pc_logins.clone(), "garake_mydocomo", LOGIN_SECS)
        .under(&state.cookie_path())
}

pub fn routes() -> Router {
    Router::new()
        .route("/mydocomo", get(home))
        .route("/mydocomo/login", post(login))
        .route("/mydocomo/logout", post(logout_post))
        .route("/mydocomo/procedures", get(procedures))
        .route("/mydocomo/online-application", get(online_application))
        .route("/mydocomo/reset", get(reset_form).post(reset))
}

fn page(title: &str, body: Markup) -> Html<String> {
    Html(layout(SITE, title, body).into_string())
}

fn login_page(error: Option<&str>) -> Html<String> {
    page(
        "ログイン / Log in",
        html! {
            @if let Some(e) = error { (message(e, false)) }
            form method="post" action="/mydocomo/login" {
                label { "dアカウントID / d ACCOUNT ID " input name="daccount_id" autocomplete="username"; }
                label { "パスワード / Password " input type="password" name="daccount_password" autocomplete="current-password"; }
                button { "ログイン / Log in" }
            }
            p {
                "dアカウントをお持ちでない回線は、iモードの「ドコモオンライン手続き」(ネットワーク暗証番号)またはドコモショップでiモードパスワードを初期化できます。"
                br;
                "A line without a d ACCOUNT can reset its i-mode password from the handset (Customer support → Applications/procedures → docomo Online Application, with the network PIN) or at a docomo Shop."
            }
        },
    )
}

fn logged_in(state: &AppState, headers: &HeaderMap) -> Option<PcSession<Subscriber>> {
    sessions(state).find(headers)
}

/// `GET /mydocomo`: the login form, or Subscription details/procedures.
async fn home(state: AppState, headers: HeaderMap) -> Html<String> {
    let Some(s) = logged_in(&state, &headers) else {
        return login_page(None);
    };
    page(
        "My docomo",
        html! {
            p { (s.who.msisdn.display()) }
            ul { li { a href="/mydocomo/procedures" { "ご契約内容確認・変更 / Subscription details/procedures" } } }
            (logout("/mydocomo/logout", &s.csrf))
        },
    )
}

/// `GET /mydocomo/procedures`: Subscription details/procedures, the step
/// between the top page and docomo Online Application.
async fn procedures(state: AppState, headers: HeaderMap) -> Response {
    let Some(s) = logged_in(&state, &headers) else {
        return Redirect::to("/mydocomo").into_response();
    };
    page(
        "ご契約内容確認・変更 / Subscription details/procedures",
        html! {
            p { (s.who.msisdn.display()) }
            ul { li { a href="/mydocomo/online-application" { "ドコモオンライン手続き / docomo Online Application" } } }
            p { a href="/mydocomo" { "My docomo トップ / My docomo top" } }
        },
    )
    .into_response()
}

const LOGIN_FAILED: &str =
    "dアカウントIDまたはパスワードが違います。 / The d ACCOUNT ID or password is incorrect.";

/// `POST /mydocomo/login`: unknown ID and wrong password get the same answer,
/// in the same time; failures per account are throttled with growing waits.
async fn login(
    state: AppState,
    client: crate::web::state::ClientAddr,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let form = read_form(body, Charset::Utf8)?;
    let id = form.text("daccount_id")?.trim().to_ascii_lowercase();
    let password = form.text("daccount_password")?.to_string();
    if id.is_empty() || password.is_empty() || id.len() > 100 || password.len() > 100 {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            login_page(Some(LOGIN_FAILED)),
        )
            .into_response());
    }
    let line = match logins::mydocomo(&state.services(), id, password, &client.name()).await? {
        Login::Wait(wait) => {
            state.metrics.limit_hit(crate::metrics::Limit::RateLimited);
            let text = format!("ログインの失敗が続いたため、{wait}秒後に再度お試しください。 / Too many failed logins: try again in {wait} seconds.");
            return Ok((StatusCode::TOO_MANY_REQUESTS, login_page(Some(&text))).into_response());
        }
        Login::Ok(line) => Some(line),
        Login::Failed => None,
    };
    Ok(match line {
        Some((line_id, msisdn)) => {
            let (_, cookie) = sessions(&state).start(Subscriber { line_id, msisdn });
            see_other(cookie, "/mydocomo")
        }
        None => (StatusCode::UNAUTHORIZED, login_page(Some(LOGIN_FAILED))).into_response(),
    })
}

async fn logout_post(
    state: AppState,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let Some(s) = logged_in(&state, &headers) else {
        return Ok(Redirect::to("/mydocomo").into_response());
    };
    check_csrf(&s.csrf, body)?;
    Ok(see_other(sessions(&state).end(&s.id), "/mydocomo"))
}

async fn online_application(state: AppState, headers: HeaderMap) -> Response {
    if logged_in(&state, &headers).is_none() {
        return Redirect::to("/mydocomo").into_response();
    }
    page(
        "ドコモオンライン手続き / docomo Online Application",
        html! {
            ul { li { a href="/mydocomo/reset" { "iモードパスワード初期化 / Reset i-mode password" } } }
            p { a href="/mydocomo/procedures" { "ご契約内容確認・変更へ戻る / Back to Subscription details/procedures" } }
        },
    )
    .into_response()
}

fn reset_page(s: &PcSession<Subscriber>, note: Option<Markup>) -> Html<String> {
    page(
        "iモードパスワード初期化 / Reset i-mode password",
        html! {
            @if let Some(n) = note { (n) }
            p { (s.who.msisdn.display()) }
            p { "iモードパスワードを0000に戻します。ネットワーク暗証番号を入力してください。 / This resets the i-mode password to 0000. Enter the network PIN." }
            form method="post" action="/mydocomo/reset" {
                (csrf(&s.csrf))
                label { "ネットワーク暗証番号 / Network PIN " input type="password" name="network_pin" inputmode="numeric" maxlength="4"; }
                button { "初期化 / Reset" }
            }
        },
    )
}

async fn reset_form(state: AppState, headers: HeaderMap) -> Response {
    match logged_in(&state, &headers) {
        Some(s) => no_store(reset_page(&s, None).into_response()),
        None => Redirect::to("/mydocomo").into_response(),
    }
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

async fn reset(
    state: AppState,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let Some(s) = logged_in(&state, &headers) else {
        return Ok(Redirect::to("/mydocomo").into_response());
    };
    let form = check_csrf(&s.csrf, body)?;
    let line = Line {
        id: s.who.line_id,
        msisdn: s.who.msisdn.clone(),
    };
    let network_pin = form.text("network_pin")?;
    let outcome =
        resets::reset_online(&state.services(), &line, Online::MyDocomo, network_pin).await?;
    let (status, note) = match outcome {
        GateOutcome::Done(()) => {
            state.sessions.end_line_sessions(line.id, None);
            let done = page(
                "iモードパスワード初期化 / Reset i-mode password",
                html! {
                    (message("iモードパスワードを0000に戻しました。 / The i-mode password has been reset to 0000.", true))
                    p { a href="/mydocomo" { "My docomo" } }
                },
            );
            return Ok(no_store(done.into_response()));
        }
        GateOutcome::InvalidFormat => (StatusCode::UNPROCESSABLE_ENTITY, "ネットワーク暗証番号は4桁の数字です。 / The network PIN is 4 digits."),
        GateOutcome::WrongPin => (StatusCode::FORBIDDEN, "初期化できませんでした。ネットワーク暗証番号をご確認ください。 / The reset failed: check the network PIN."),
        GateOutcome::Locked => (StatusCode::FORBIDDEN, "ネットワーク暗証番号がロックされています。ドコモショップでお手続きください。 / The network PIN is locked: please visit a docomo Shop."),
        GateOutcome::Refused(never) => match never {},
    };
    Ok(no_store(
        (status, reset_page(&s, Some(pc::message(note, false)))).into_response(),
    ))
}
