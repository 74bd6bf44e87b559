//! Pages of the PC sites a subscriber or shop staff use (My docomo, docomo Shop
//! counter): UTF-8, both languages side by side, plain forms, no script.

use maud::{html, Markup, DOCTYPE};

const CSS: &str = "body{font-family:sans-serif;margin:1.5em;max-width:46em}\
label{display:block;margin:.4em 0}.err{color:#b00}.ok{color:#070}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}";

/// The frame: `site` names the site in the header.
pub fn layout(site: &str, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width";
                title { (title) " — " (site) }
                style { (CSS) }
            }
            body {
                p { strong { (site) } }
                h1 { (title) }
                (body)
            }
        }
    }
}

/// A message line: `ok` green, otherwise red.
pub fn message(text: &str, ok: bool) -> Markup {
    html! { p class=(if ok { "ok" } else { "err" }) { (text) } }
}

/// The hidden CSRF field of a form.
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A logout button.
pub fn logout(action: &str, token: &str) -> Markup {
    html! {
        form method="post" action=(action) { (csrf(token)) button { "ログアウト / Log out" } }
    }
}
