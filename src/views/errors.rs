//! The error page a handset sees: a short message in its language.

use maud::{html, Markup};

use super::{layout, text, Ctx};
use crate::error::ErrorKind;

/// `detail` is what the page names (the model of an unknown profile).
pub fn page(ctx: &Ctx, kind: ErrorKind, detail: &str, root: &str) -> Markup {
    if kind == ErrorKind::UnknownProfile {
        return unknown_profile(ctx, detail, root);
    }
    let message = ctx.t(match kind {
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
    });
    with_way_home(ctx, root, html! { (message) })
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
