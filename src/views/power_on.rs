//! The power-on page: pick a demo line and a language.

use maud::{html, Markup};

use super::menu::{list_page, Item, Nav};
use super::{text, Ctx};
use crate::store::lines::Listing;

/// The lines of one page, the language switch, paging links.
pub fn page(
    ctx: &Ctx,
    lines: &[Listing],
    expired: bool,
    query: &str,
    prev: Option<&str>,
    next: Option<&str>,
) -> Markup {
    let items: Vec<Item> = lines
        .iter()
        .map(|l| Item {
            key: None,
            href: format!("/on/{}?lang={}{query}", l.msisdn, ctx.lang.code()),
            label: format!(
                "{} {}",
                l.msisdn.display(),
                ctx.lang.pick(&l.name_ja, &l.name_en)
            ),
        })
        .collect();
    let head = html! {
        @if expired { (ctx.t(text::SESSION_EXPIRED)) br; }
        (ctx.t(text::LANGUAGE)) ":"
        a href={ "/?lang=ja" (query) } { "日本語" } "/"
        a href={ "/?lang=en" (query) } { "English" } br;
        @if lines.is_empty() { (ctx.t(text::NO_LINES)) br; }
        @else { (ctx.t(text::CHOOSE_LINE)) br; }
    };
    let foot = pc_links(ctx);
    list_page(
        ctx,
        ctx.t(text::APP_TITLE),
        Some(&head),
        &items,
        Nav { prev, next },
        Some(&foot),
    )
}

/// Links to the PC sites, at the foot of the power-on page.
pub fn pc_links(ctx: &Ctx) -> Markup {
    html! {
        hr;
        a href="/mydocomo" { "My docomo" } "/"
        a href="/shop" { (ctx.t(("ドコモショップ", "docomo Shop"))) } "/"
        a href="/partners" { (ctx.t(("提携サイト", "Partner sites"))) }
    }
}
