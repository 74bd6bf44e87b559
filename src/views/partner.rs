//! Pages of the partner sites (PC pages, UTF-8, no script), drawn from each
//! site's data.

use maud::{html, Markup};

use super::pc::{layout, message};
use crate::recovery::config::{ProcedureDef, SiteDef};
use crate::recovery::Refusal;

/// The list of partner sites.
pub fn index(sites: &[SiteDef]) -> Markup {
    layout(
        "garake",
        "提携サイト / Partner sites",
        html! { ul { @for s in sites { li { a href={ "/p/" (s.id) } { (s.name) } } } } },
    )
}

/// TOP: the site's text, the login form and its procedures.
pub fn top(site: &SiteDef, note: Option<Markup>) -> Markup {
    layout(
        &site.name,
        "TOP",
        html! {
            @if let Some(n) = note { (n) }
            p { (site.top_text) }
            h2 { "LOGIN" }
            form method="post" action={ "/p/" (site.id) "/login" } {
                label { (site.login_label) " " input name="login_id" autocomplete="username"; }
                @if let Some(note) = &site.login_id_note { p { small { (note) } } }
                label { (site.password_label) " " input type="password" name="password" autocomplete="current-password"; }
                button { "ログイン / Log in" }
            }
            ul {
                @for p in &site.procedures {
                    li { a href={ "/p/" (site.id) "/r/" (p.id) } { (p.title) } }
                }
            }
        },
    )
}

/// A procedure's form, with refusals and the values to keep.
pub fn procedure(
    site: &SiteDef,
    p: &ProcedureDef,
    refusals: &[Refusal],
    value: &dyn Fn(&str) -> String,
) -> Markup {
    layout(
        &site.name,
        &p.title,
        html! {
            @for r in refusals { (message(&r.message, false)) }
            @for line in p.intro.lines() { p { (line) } }
            @if let (Some(text), Some(fallback)) = (&p.unavailable_text, &p.fallback) {
                p.note { (text) " " a href={ "/p/" (site.id) "/r/" (fallback) } { "»" (site.procedure(fallback).map_or(fallback.as_str(), |f| f.title.as_str())) } }
            }
            @if let Some(w) = &p.warning { p { strong { (w) } } }
            form method="post" action={ "/p/" (site.id) "/r/" (p.id) } {
                @for name in &p.fields {
                    @if name == "login_id" {
                        label { (site.login_label) " " input name="login_id" value=(value(name)); }
                        @if let Some(note) = &site.login_id_note { p { small { (note) } } }
                    } @else if let Some(f) = site.field(name) {
                        label {
                            (f.label) " "
                            @if f.options.is_empty() {
                                input name=(f.name) value=(value(name));
                            } @else {
                                select name=(f.name) {
                                    option value="" { "—" }
                                    @for o in &f.options { option value=(o) selected[value(name) == *o] { (o) } }
                                }
                            }
                        }
                        @if let Some(help) = &f.help { p { small { (help) } } }
                    }
                }
                button { "送信 / Send" }
            }
            p { a href={ "/p/" (site.id) } { "戻る / Back" } }
        },
    )
}

/// The identical answer to a procedure.
pub fn sent(site: &SiteDef, p: &ProcedureDef, warning: Option<&str>) -> Markup {
    layout(
        &site.name,
        &p.title,
        html! {
            @if let Some(w) = warning { (message(w, false)) }
            @for line in p.sent_text.lines() { p { (line) } }
            p { a href={ "/p/" (site.id) } { "TOP" } }
        },
    )
}

/// The new-password form of a link or a forced change.
pub fn change(site: &SiteDef, token: &str, error: Option<&str>) -> Markup {
    layout(
        &site.name,
        "パスワード再設定 / Set a new password",
        html! {
            @if let Some(e) = error { (message(e, false)) }
            p { (site.policy_text) }
            form method="post" action={ "/p/" (site.id) "/change" } {
                input type="hidden" name="t" value=(token);
                label { "新しいパスワード / New password " input type="password" name="new_password" autocomplete="new-password"; }
                label { "新しいパスワード(確認) / New password (again) " input type="password" name="new_password_confirm" autocomplete="new-password"; }
                button { "変更する / Change" }
            }
        },
    )
}

/// A plain message page with a link back.
pub fn notice(site: &SiteDef, title: &str, text: &str, ok: bool, back: (&str, &str)) -> Markup {
    layout(
        &site.name,
        title,
        html! { (message(text, ok)) p { a href=(back.0) { (back.1) } } },
    )
}
