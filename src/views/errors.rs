//! The error pages: a handset's (a short message in its language) and a PC
//! site's (both languages, the site's own frame, a link to its top).

use maud::{html, Markup};

use super::{layout, text, Ctx};
use crate::error::ErrorKind;

/// `detail` is what the page names (the model of an unknown profile).
pub fn page(ctx: &Ctx, kind: ErrorKind, detail: &str, root: &str) -> Markup {
    if kind == ErrorKind::UnknownProfile {
        return unknown_profile(ctx, detail, root);
    }
    with_way_home(ctx, root, html! { (ctx.t(message(kind))) })
}

/// What each kind of error says.
fn message(kind: ErrorKind) -> text::Text {
    match kind {
        ErrorKind::NotFound => text::ERR_NOT_FOUND,
        ErrorKind::MethodNotAllowed => text::ERR_METHOD,
        ErrorKind::TooLarge => text::ERR_TOO_LARGE,
        ErrorKind::Timeout => text::ERR_TIMEOUT,
        ErrorKind::TooMany => text::ERR_TOO_MANY,
        ErrorKind::BadForm => text::ERR_BAD_FORM,
        ErrorKind::StaleForm => text::FORM_USED,
        ErrorKind::Busy => text::BUSY,
        ErrorKind::Unauthorized => text::ERR_UNAUTHORIZED,
        ErrorKind::BadRequest | ErrorKind::UnknownProfile => text::ERR_BAD_REQUEST,
        ErrorKind::Internal => text::ERR_INTERNAL,
    }
}

/// A PC site's error page (My docomo, the shop counter, the partner sites,
/// the console): `site` names the site, `home` is its top page.
pub fn pc_page(kind: ErrorKind, site: &str, home: &str) -> Markup {
    let (ja, en) = message(kind);
    super::pc::layout(
        site,
        "エラー / Error",
        html! {
            p lang="ja" { (ja) }
            p lang="en" { (en) }
            p { a href=(home) { "トップへ / Back to the top" } }
        },
    )
}

/// A model the catalogue does not have: which one, and where the models are listed.
fn unknown_profile(ctx: &Ctx, name: &str, root: &str) -> Markup {
    let (before, after) = (
        ctx.t(text::UNKNOWN_PROFILE.0),
        ctx.t(text::UNKNOWN_PROFILE.1),
    );
    with_way_home(ctx, root, html! { (before) (name) (after) })
}

/// The error page's layout: the message, then a link home (key 0).
fn with_way_home(ctx: &Ctx, root: &str, message: Markup) -> Markup {
    let home = match &ctx.sid {
        Some(_) => ctx.node_href(root),
        None => format!("/?lang={}", ctx.lang.code()),
    };
    layout(
        ctx,
        ctx.t(text::APP_TITLE),
        html! { (message) br; hr; a href=(home) accesskey="0" { (ctx.profile.key_label('0')) (ctx.t(text::TO_IMENU)) } br; },
    )
}
