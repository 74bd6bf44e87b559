//! Handset mail pages: inbox, one mail, compose.

use maud::{html, Markup};

use super::menu::{list_page, Item, Nav};
use super::{layout, notice, text, to_imenu, token_field, Ctx};
use crate::store::mail::Received;

/// Bytes of the page frame of an inbox page (layout, title, paging and
/// back links), and of one listed mail at its longest.
const INBOX_FRAME: usize = 700;
const INBOX_ITEM: usize = 120;

/// Mails listed per inbox page on this handset: as many as fit its page
/// target with every label at its longest, at most one per access key 1–8
/// (9 goes back to Mail, 0 to iMenu).
pub fn inbox_page_size(ctx: &Ctx) -> usize {
    (ctx.profile.page_target().saturating_sub(INBOX_FRAME) / INBOX_ITEM).clamp(1, 8)
}

/// `text` cut to `columns` screen columns (full-width characters take two), with … if cut.
pub fn fit_columns(text: &str, columns: usize) -> String {
    let width = |c: char| {
        if (c as u32) < 0x80 || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
            1
        } else {
            2
        }
    };
    if text.chars().map(width).sum::<usize>() <= columns {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + width(c) + 2 > columns {
            break;
        }
        used += width(c);
        out.push(c);
    }
    out.push('…');
    out
}

/// One page of the inbox, newest first; unread mail is marked with ●. Each
/// mail is one label of two screen lines at most; `total` mails in all.
pub fn inbox(
    ctx: &Ctx,
    title: &str,
    mails: &[Received],
    page: usize,
    total: usize,
    foot: &Markup,
) -> Markup {
    let columns = usize::from(ctx.profile.width) * 2;
    let items: Vec<Item> = mails
        .iter()
        .map(|m| Item {
            key: None,
            href: format!("/s/{}/mail/{}", ctx.sid.as_deref().unwrap_or("-"), m.id),
            label: fit_columns(
                &format!(
                    "{}{} {}",
                    if m.read { "" } else { "●" },
                    if m.subject.is_empty() {
                        ctx.t(text::NO_SUBJECT)
                    } else {
                        &m.subject
                    },
                    m.from
                ),
                columns,
            ),
        })
        .collect();
    let head = (total == 0).then(|| html! { (ctx.t(text::INBOX_EMPTY)) br; });
    let base = ctx.action_href("mail-inbox");
    let href = |n: usize| {
        if n <= 1 {
            base.clone()
        } else {
            format!("{base}?p={n}")
        }
    };
    let per_page = inbox_page_size(ctx);
    let prev = (page > 1).then(|| href(page - 1));
    let next = (page * per_page < total).then(|| href(page + 1));
    list_page(
        ctx,
        title,
        head.as_ref(),
        &items,
        Nav {
            prev: prev.as_deref(),
            next: next.as_deref(),
        },
        Some(foot),
    )
}

/// How many characters of a body fit on one page of this handset.
fn body_chars(ctx: &Ctx) -> usize {
    (ctx.profile.page_target().saturating_sub(1000) / 2).max(200)
}

/// One mail, its body split into pages that fit the handset; a delete button.
pub fn read(ctx: &Ctx, mail: &Received, page: usize, token: &str, root: &str) -> Option<Markup> {
    let chars: Vec<char> = mail.body.chars().collect();
    let per_page = body_chars(ctx);
    let pages = chars.len().div_ceil(per_page).max(1);
    if page == 0 || page > pages {
        return None;
    }
    let chunk: String = chars
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let href = |n: usize| {
        format!(
            "/s/{}/mail/{}?p={n}",
            ctx.sid.as_deref().unwrap_or("-"),
            mail.id
        )
    };
    let subject = if mail.subject.is_empty() {
        ctx.t(text::NO_SUBJECT)
    } else {
        &mail.subject
    };
    Some(layout(
        ctx,
        subject,
        html! {
            (ctx.t(text::FROM)) ":" (mail.from) br;
            (ctx.t(text::DATE)) ":" (crate::clock::jst_short(mail.received_unix)) br;
            hr;
            @for line in chunk.split('\n') { (line) br; }
            @if page < pages { a href=(href(page + 1)) accesskey="#" { "[#]" (ctx.t(text::NEXT)) } br; }
            @if page > 1 { a href=(href(page - 1)) accesskey="*" { "[*]" (ctx.t(text::BACK)) } br; }
            hr;
            form method="post" action={ "/s/" (ctx.sid.as_deref().unwrap_or("-")) "/mail/" (mail.id) "/delete" } {
                (token_field(token))
                input type="submit" value=(ctx.t(text::DELETE));
            }
            a href=(ctx.action_href("mail-inbox")) accesskey="9" { (ctx.profile.key_label('9')) (ctx.t(text::TO_INBOX)) } br;
            (to_imenu(ctx, root))
        },
    ))
}

/// The compose form, with an optional message and the values to keep.
pub fn compose(
    ctx: &Ctx,
    message: Option<Markup>,
    token: &str,
    values: (&str, &str, &str),
    root: &str,
) -> Markup {
    html! {
        @if let Some(m) = message { (m) hr; }
        form method="post" action=(ctx.action_href("mail-compose")) {
            (token_field(token))
            (ctx.t(text::TO)) br;
            input type="text" name="to" size="16" istyle=[ctx.istyle("3")] value=(values.0); br;
            (ctx.t(text::SUBJECT)) br;
            input type="text" name="subject" size="16" value=(values.1); br;
            (ctx.t(text::BODY)) br;
            textarea name="body" rows="4" cols="16" { (values.2) } br;
            input type="submit" value=(ctx.t(text::SEND));
        }
        (to_imenu(ctx, root))
    }
}

/// After sending or deleting.
pub fn result(ctx: &Ctx, message: &str, detail: Option<&str>, root: &str) -> Markup {
    html! {
        (notice(message))
        @if let Some(d) = detail { (d) br; }
        a href=(ctx.action_href("mail-inbox")) accesskey="9" { (ctx.profile.key_label('9')) (ctx.t(text::TO_INBOX)) } br;
        (to_imenu(ctx, root))
    }
}
