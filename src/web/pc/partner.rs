//! Partner sites (Plus member, IMS, koku): TOP and login, their recovery procedures, and
//! the new-password page that links and forced changes lead to. Every page is
//! drawn from the site's data; nothing here is specific to one site.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::error::AppError;
use crate::handset::Charset;
use crate::recovery::{self, config::SiteDef, Answer, Change, Login};
use crate::store::partners::TokenState;
use crate::views;
use crate::web::page::{read_form, read_query};
use crate::web::{state::AppState, state::ClientAddr};

pub fn routes() -> Router {
    Router::new()
        .route("/partners", get(index))
        .route("/p/{site}", get(top))
        .route("/p/{site}/login", axum::routing::post(login))
        .route(
            "/p/{site}/r/{procedure}",
            get(procedure_form).post(procedure_submit),
        )
        .route("/p/{site}/change", get(change_form).post(change_submit))
}

fn site<'a>(state: &'a AppState, id: &str) -> Result<&'a SiteDef, AppError> {
    state.partners.site(id).ok_or(AppError::NotFound)
}

fn html(status: StatusCode, markup: maud::Markup) -> Response {
    let mut r = (status, Html(markup.into_string())).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

async fn index(state: AppState) -> Html<String> {
    Html(views::partner::index(&state.partners.sites).into_string())
}

async fn top(state: AppState, Path(id): Path<String>) -> Result<Response, AppError> {
    Ok(html(
        StatusCode::OK,
        views::partner::top(site(&state, &id)?, None),
    ))
}

async fn login(
    state: AppState,
    Path(id): Path<String>,
    ClientAddr(client): ClientAddr,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let site = site(&state, &id)?;
    let form = read_form(body, Charset::Utf8)?;
    let cx = state.recovery(client.map(|ip| ip.to_string()));
    let (login_id, password) = (form.text("login_id")?, form.text("password")?);
    if login_id.len() > 200 || password.len() > 200 {
        return Err(AppError::BadRequest("too long".into()));
    }
    if login_id.trim().is_empty() || password.is_empty() {
        // Not an attempt at all: nothing to count or audit.
        let text = format!(
            "{}とパスワードを入力してください。 / Enter the {} and the password.",
            site.login_label, site.login_label
        );
        return Ok(html(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::partner::top(site, Some(views::pc::message(&text, false))),
        ));
    }
    let failed = |text: &str, status| {
        html(
            status,
            views::partner::top(site, Some(views::pc::message(text, false))),
        )
    };
    Ok(match recovery::login(&cx, site, login_id, password).await? {
        Login::Ok { login_id } => {
            let text = format!("ログインしました({login_id})。 / Logged in as {login_id}.");
            html(StatusCode::OK, views::partner::notice(site, "LOGIN", &text, true, (&format!("/p/{}", site.id), "TOP")))
        }
        Login::MustChange { ticket } => Redirect::to(&format!("/p/{}/change?t={ticket}", site.id)).into_response(),
        Login::Failed => failed(&format!("{}またはパスワードが違います。 / The {} or password is incorrect.", site.login_label, site.login_label), StatusCode::UNAUTHORIZED),
        Login::Throttled(wait) => failed(&format!("{wait}秒後に再度お試しください。 / Too many attempts: try again in {wait} seconds."), StatusCode::TOO_MANY_REQUESTS),
    })
}

async fn procedure_form(
    state: AppState,
    Path((id, proc_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let site = site(&state, &id)?;
    let p = site.procedure(&proc_id).ok_or(AppError::NotFound)?;
    Ok(html(
        StatusCode::OK,
        views::partner::procedure(site, p, &[], &|_| String::new()),
    ))
}

async fn procedure_submit(
    state: AppState,
    Path((id, proc_id)): Path<(String, String)>,
    ClientAddr(client): ClientAddr,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let site = site(&state, &id)?;
    let p = site.procedure(&proc_id).ok_or(AppError::NotFound)?;
    let form = read_form(body, Charset::Utf8)?;
    for name in &p.fields {
        form.get(name)?; // a field sent twice is a 400, not a guess
    }
    let raw = |name: &str| {
        form.text(name)
            .unwrap_or("")
            .chars()
            .take(200)
            .collect::<String>()
    };
    let values = match recovery::read_fields(site, p, &raw) {
        Ok(values) => values,
        Err(refusals) => {
            return Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::partner::procedure(site, p, &refusals, &raw),
            ));
        }
    };
    let cx = state.recovery(client.map(|ip| ip.to_string()));
    Ok(match recovery::submit(&cx, site, p, values).await? {
        Answer::Sent { warning } => html(
            StatusCode::OK,
            views::partner::sent(site, p, warning.as_deref()),
        ),
        Answer::Refused(refusals) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::partner::procedure(site, p, &refusals, &raw),
        ),
        Answer::TooMany(wait) => {
            let refusal = recovery::Refusal {
                field: String::new(),
                message: format!(
                    "この接続元からの送信が多すぎます。{wait}秒後に再度お試しください。 / Too many requests from your address: try again in {wait} seconds."
                ),
            };
            let mut page = html(
                StatusCode::TOO_MANY_REQUESTS,
                views::partner::procedure(site, p, &[refusal], &raw),
            );
            page.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(wait));
            page
        }
        Answer::Full => {
            let refusal = recovery::Refusal {
                field: String::new(),
                message: "ただいま会員数が上限に達しているため、新規登録を受け付けておりません。しばらくしてから再度お試しください。 / The site is full: it takes no new members now. Please try again later.".into(),
            };
            html(
                StatusCode::TOO_MANY_REQUESTS,
                views::partner::procedure(site, p, &[refusal], &raw),
            )
        }
    })
}

/// The "link expired or used" page, pointing back to the procedure that sends links.
fn gone(site: &SiteDef, expired: bool) -> Response {
    let link_proc = site
        .procedures
        .iter()
        .find(|p| p.mechanism == recovery::config::Mechanism::EmailLink);
    let text = match (expired, link_proc.and_then(|p| p.expired_text.as_deref())) {
        (true, Some(t)) => t.to_string(),
        _ => "このURLは有効期限切れか、使用済みです。 / This link has expired or was already used."
            .to_string(),
    };
    let back = link_proc.map_or(format!("/p/{}", site.id), |p| {
        format!("/p/{}/r/{}", site.id, p.id)
    });
    let label = link_proc.map_or("TOP", |p| p.title.as_str());
    html(
        StatusCode::GONE,
        views::partner::notice(
            site,
            "パスワード再設定 / Set a new password",
            &text,
            false,
            (&back, label),
        ),
    )
}

async fn change_form(
    state: AppState,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let site = site(&state, &id)?;
    let token = read_query(q.as_deref(), Charset::Utf8)?
        .text("t")?
        .to_string();
    let cx = state.recovery(None);
    Ok(match recovery::peek(&cx, site, &token).await? {
        TokenState::Valid(_) => html(StatusCode::OK, views::partner::change(site, &token, None)),
        TokenState::Expired => gone(site, true),
        TokenState::Used | TokenState::Unknown => gone(site, false),
    })
}

async fn change_submit(
    state: AppState,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let site = site(&state, &id)?;
    let form = read_form(body, Charset::Utf8)?;
    let token = form.text("t")?.to_string();
    let (new, confirm) = (
        form.text("new_password")?,
        form.text("new_password_confirm")?,
    );
    let cx = state.recovery(None);
    // An expired link says so even if the new password is also wrong.
    match recovery::peek(&cx, site, &token).await? {
        TokenState::Valid(_) => {}
        TokenState::Expired => return Ok(gone(site, true)),
        TokenState::Used | TokenState::Unknown => return Ok(gone(site, false)),
    }
    Ok(
        match recovery::change_password(&cx, site, &token, new, confirm).await? {
            Change::Done => html(
                StatusCode::OK,
                views::partner::notice(
                    site,
                    "パスワード再設定 / Set a new password",
                    "パスワードを変更しました。 / Your password has been changed.",
                    true,
                    (&format!("/p/{}", site.id), "TOP"),
                ),
            ),
            Change::Refused(why) => html(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::partner::change(site, &token, Some(&why)),
            ),
            Change::Gone => gone(site, false),
        },
    )
}
