//! The error page a handset sees: a short message in its language.

use maud::{html, Markup};

use super::{layout, text, Ctx};
use crate::error::ErrorKind;

pub fn page(ctx: &Ctx, kind: ErrorKind, root: &str) -> Markup {
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
        ErrorKind::BadRequest => text::ERR_BAD_REQUEST,
        ErrorKind::Internal => text::ERR_INTERNAL,
    });
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
