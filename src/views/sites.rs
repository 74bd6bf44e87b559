//! Site pages of the Menu list, My Menu, and the fee-based services summary.

use maud::{html, Markup};

use super::menu::{paged, Item};
use super::{key_link, text, to_imenu, Ctx};
use crate::menu::{Site, SITE_ACTION};
use crate::store::sites::Subscription;

/// "Monthly 330 yen" or "Free".
pub fn fee(ctx: &Ctx, fee: u32) -> String {
    if fee == 0 {
        ctx.t(text::FREE).to_string()
    } else {
        format!("{}{fee}{}", ctx.t(text::MONTHLY), ctx.t(text::YEN))
    }
}

fn site_href(ctx: &Ctx, id: &str) -> String {
    ctx.action_href(&format!("{SITE_ACTION}{id}"))
}

/// A site page: what it is, its fee, and register / subscribe links.
pub fn site_page(ctx: &Ctx, site: &Site, registered: bool, subscribed: bool, root: &str) -> Markup {
    let op = |action: &str| format!("{}/{}", ctx.action_href(action), site.id);
    html! {
        (site.about(ctx.lang)) br;
        (fee(ctx, site.fee)) br;
        @if registered { (ctx.t(text::IN_MY_MENU)) br; }
        @if subscribed { (ctx.t(text::SUBSCRIBED)) br; }
        hr;
        @if registered {
            (key_link(ctx, '1', &op("my-menu-unregister"), ctx.t(text::MY_MENU_UNREGISTER)))
        } @else {
            (key_link(ctx, '1', &op("my-menu-register"), ctx.t(text::MY_MENU_REGISTER)))
        }
        @if site.upstream.is_some() {
            (key_link(ctx, '3', &format!("/s/{}/g/{}/", ctx.sid.as_deref().unwrap_or("-"), site.id), ctx.t(("サイトへ", "Open the site"))))
        }
        @if site.is_fee_based() {
            @if subscribed {
                (key_link(ctx, '2', &op("unsubscribe"), ctx.t(text::UNSUBSCRIBE)))
            } @else {
                (key_link(ctx, '2', &op("subscribe"), ctx.t(text::SUBSCRIBE)))
            }
        }
        (to_imenu(ctx, root))
    }
}

/// My Menu: the registered sites, paged, each with a link to remove it.
pub fn my_menu(
    ctx: &Ctx,
    title: &str,
    sites: &[&Site],
    page: usize,
    foot: &Markup,
) -> Option<Markup> {
    let items: Vec<Item> = sites
        .iter()
        .map(|s| Item {
            key: None,
            href: site_href(ctx, &s.id),
            label: s.label(ctx.lang).to_string(),
        })
        .collect();
    let head = sites
        .is_empty()
        .then(|| html! { (ctx.t(text::MY_MENU_EMPTY)) br; });
    let base = ctx.action_href("my-menu");
    paged(
        ctx,
        title,
        head.as_ref(),
        &items,
        page,
        |n| page_href(&base, n),
        Some(foot),
    )
}

/// My Menu and fee-based services: the subscriptions and the monthly total.
pub fn fee_services(
    ctx: &Ctx,
    title: &str,
    subs: &[(Subscription, &Site)],
    page: usize,
    foot: &Markup,
) -> Option<Markup> {
    let total: i64 = subs.iter().map(|(s, _)| s.monthly_fee).sum();
    let head = html! {
        (ctx.t(text::SUBSCRIPTIONS)) br;
        @if subs.is_empty() { (ctx.t(text::NO_SUBSCRIPTIONS)) br; }
        (ctx.t(text::MONTHLY_TOTAL)) ":" (total) (ctx.t(text::YEN)) br;
    };
    let items: Vec<Item> = subs
        .iter()
        .map(|(s, site)| Item {
            key: None,
            href: site_href(ctx, &site.id),
            label: format!(
                "{} {}{} ({}{})",
                site.label(ctx.lang),
                s.monthly_fee,
                ctx.t(text::YEN).trim(),
                crate::clock::jst_short(s.started_unix),
                ctx.t(text::SINCE)
            ),
        })
        .collect();
    let base = ctx.action_href("fee-services");
    paged(
        ctx,
        title,
        Some(&head),
        &items,
        page,
        |n| page_href(&base, n),
        Some(foot),
    )
}

fn page_href(base: &str, n: usize) -> String {
    if n <= 1 {
        base.to_string()
    } else {
        format!("{base}?p={n}")
    }
}

/// The URL entry form, with the unofficial sites as bookmarks.
pub fn url_entry(
    ctx: &Ctx,
    message: Option<Markup>,
    bookmarks: &[(&str, &str)],
    root: &str,
) -> Markup {
    let sid = ctx.sid.as_deref().unwrap_or("-");
    html! {
        @if let Some(m) = message { (m) hr; }
        form method="get" action={ "/s/" (sid) "/url" } {
            (ctx.t(text::URL_PROMPT)) br;
            input type="text" name="url" size="16" istyle=[ctx.istyle("3")] value="http://"; br;
            input type="submit" value=(ctx.t(text::GO));
        }
        @if !bookmarks.is_empty() {
            hr;
            @for (i, (label, url)) in bookmarks.iter().take(8).enumerate() {
                (key_link(ctx, char::from(b'1' + i as u8), &format!("/s/{sid}/url?url={}", crate::gateway::percent_encode(url)), label))
            }
        }
        (to_imenu(ctx, root))
    }
}
