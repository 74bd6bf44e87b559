//! Menu pages: a node's entries as access-keyed links, paged to the budget.

use maud::{html, Markup};

use super::paging::{assign_keys, paginate};
use super::{key_link, layout, text, Ctx};
use crate::handset::encode_page;
use crate::menu::{Node, Target};

/// One link of a list page.
pub struct Item {
    pub key: Option<char>,
    pub href: String,
    pub label: String,
}

/// Where a list page sits among its pages: the URLs of the previous and next.
#[derive(Default)]
pub struct Nav<'a> {
    pub prev: Option<&'a str>,
    pub next: Option<&'a str>,
}

/// A list page: optional panel, the items with their keys, `[*] Back` /
/// `[#] Next` when there are more pages, and an optional foot.
pub fn list_page(
    ctx: &Ctx,
    title: &str,
    head: Option<&Markup>,
    items: &[Item],
    nav: Nav<'_>,
    foot: Option<&Markup>,
) -> Markup {
    let Nav { prev, next } = nav;
    let keys = assign_keys(&items.iter().map(|i| i.key).collect::<Vec<_>>());
    layout(
        ctx,
        title,
        html! {
            @if let Some(head) = head { (head) hr; }
            @for (item, key) in items.iter().zip(keys) {
                (key_link(ctx, key, &item.href, &item.label))
            }
            @if prev.is_some() || next.is_some() {
                hr;
                @if let Some(href) = next {
                    a href=(href) accesskey="#" { "[#]" (ctx.t(text::NEXT)) } br;
                }
                @if let Some(href) = prev {
                    a href=(href) accesskey="*" { "[*]" (ctx.t(text::BACK)) } br;
                }
            }
            @if let Some(foot) = foot { (foot) }
        },
    )
}

/// Renders page `page` (1-based) of a list of items, split to fit the handset's
/// page target, with `foot` under every page. `page_href(n)` is the URL of
/// page n. `None` if there is no such page.
pub fn paged(
    ctx: &Ctx,
    title: &str,
    head: Option<&Markup>,
    items: &[Item],
    page: usize,
    page_href: impl Fn(usize) -> String,
    foot: Option<&Markup>,
) -> Option<Markup> {
    let target = ctx.profile.page_target();
    let render = |range: std::ops::Range<usize>, prev: bool, next: bool, index: usize| {
        let prev = prev.then(|| page_href(index - 1));
        let next = next.then(|| page_href(index + 1));
        let nav = Nav {
            prev: prev.as_deref(),
            next: next.as_deref(),
        };
        list_page(ctx, title, head, &items[range], nav, foot)
    };
    // Measure with a two-digit page number so links never grow after measuring.
    let pages = paginate(items.len(), target, |range, prev, next| {
        let html = render(range, prev, next, 10).into_string();
        let prefixes = ctx.rebase * super::rebase::root_links(html.as_bytes());
        encode_page(&html, ctx.profile.charset).len() + prefixes
    });
    let range = pages.get(page.checked_sub(1)?)?.clone();
    Some(render(range, page > 1, page < pages.len(), page))
}

/// A menu node's page: its entries, and the way back to the page above
/// (`parent`) and to iMenu (`root`), which the root itself does without.
pub fn node_page(
    ctx: &Ctx,
    node: &Node,
    parent: Option<&Node>,
    root: &str,
    panel: Option<&Markup>,
    page: usize,
) -> Option<Markup> {
    let items: Vec<Item> = node
        .entries
        .iter()
        .map(|e| Item {
            key: e.key,
            href: match &e.target {
                Target::Node(id) => ctx.node_href(id),
                Target::Action(a) => ctx.action_href(a),
            },
            label: ctx.lang.pick(&e.ja, &e.en).to_string(),
        })
        .collect();
    let base = ctx.node_href(&node.id);
    let foot = (node.id != root).then(|| way_back(ctx, parent, root));
    paged(
        ctx,
        node.label(ctx.lang),
        panel,
        &items,
        page,
        |n| {
            if n <= 1 {
                base.clone()
            } else {
                format!("{base}?p={n}")
            }
        },
        foot.as_ref(),
    )
}

/// The way back at the foot of a page: `[9]` to the page above (unless that
/// is iMenu) and `[0]` to iMenu.
pub fn way_back(ctx: &Ctx, parent: Option<&Node>, root: &str) -> Markup {
    html! {
        hr;
        @if let Some(p) = parent.filter(|p| p.id != root) {
            (key_link(ctx, '9', &ctx.node_href(&p.id), p.label(ctx.lang)))
        }
        (key_link(ctx, '0', &ctx.node_href(root), ctx.t(text::TO_IMENU)))
    }
}
