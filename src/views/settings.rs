//! Various settings pages: the read-only panel, change and reset of the i-mode password.

use maud::{html, Markup};

use super::{label_value, notice, pin_input, text, to_imenu, token_field, Ctx};
use crate::store::lines::LineState;

/// The line's current settings, read-only (the `line-settings` panel).
pub fn line_panel(ctx: &Ctx, s: &LineState) -> Markup {
    let on_off = |b: bool| {
        ctx.t(if b {
            text::RECEIVE
        } else {
            text::DO_NOT_RECEIVE
        })
    };
    let rejection = match s.mail_rejection.mode.as_str() {
        "reject_all" => ctx.t(text::REJECT_ALL),
        "reject_designated" => ctx.t(text::REJECT_DESIGNATED),
        "receive_designated" => ctx.t(text::RECEIVE_DESIGNATED),
        _ => ctx.t(text::REJECT_OFF),
    };
    let rejection = if s.mail_rejection.list.is_empty() {
        rejection.to_string()
    } else {
        format!(
            "{rejection}({}{})",
            s.mail_rejection.list.len(),
            ctx.t(text::ENTRIES)
        )
    };
    html! {
        (ctx.t(text::CURRENT_SETTINGS)) br;
        (label_value(ctx.t(text::MAIL_ADDRESS), &s.mail_address))
        (label_value(ctx.t(text::MAIL_FUNCTIONS), ctx.t(if s.mail_suspended { text::SUSPENDED } else { text::IN_USE })))
        (label_value(ctx.t(text::MAIL_REJECTION), &rejection))
        (label_value(ctx.t(text::SECRET_CODE), ctx.t(if s.secret_code_registered { text::REGISTERED } else { text::NOT_REGISTERED })))
        (label_value("MessageR", on_off(s.message_service.message_r)))
        (label_value("MessageF", on_off(s.message_service.message_f)))
        (label_value(ctx.t(text::ID_NOTIFICATION), ctx.t(if s.id_notification { text::NOTIFY } else { text::DO_NOT_NOTIFY })))
        (label_value(ctx.t(text::IMODE_PASSWORD), ctx.t(if s.pin_locked { text::LOCKED } else { text::NOT_LOCKED })))
    }
}

/// The change-password form, with an optional message above it.
pub fn change_pin_form(ctx: &Ctx, message: Option<Markup>, token: &str, root: &str) -> Markup {
    html! {
        @if let Some(m) = message { (m) hr; }
        (ctx.t(text::CHANGE_PIN_INTRO)) br;
        form method="post" action=(ctx.action_href("change-imode-password")) {
            (token_field(token))
            (ctx.t(text::CURRENT_PIN)) br; (pin_input(ctx, "pin"))
            (ctx.t(text::NEW_PIN)) br; (pin_input(ctx, "new_pin"))
            (ctx.t(text::NEW_PIN_CONFIRM)) br; (pin_input(ctx, "new_pin_confirm"))
            input type="submit" value=(ctx.t(text::SUBMIT));
        }
        (to_imenu(ctx, root))
    }
}

/// The "locked" answer: like a wrong password, plus where to reset it.
pub fn locked_message(ctx: &Ctx) -> Markup {
    html! {
        (notice(ctx.t(text::PIN_LOCKED)))
        (ctx.t(text::FORGOT_PIN)) br;
        a href=(ctx.action_href("reset-imode-password")) { (ctx.t(text::RESET_VIA_ONLINE)) } br;
    }
}

/// The network-PIN reset form (docomo Online Application on the handset).
pub fn reset_form(ctx: &Ctx, message: Option<Markup>, token: &str, root: &str) -> Markup {
    html! {
        @if let Some(m) = message { (m) hr; }
        (ctx.t(text::RESET_INTRO)) br;
        form method="post" action=(ctx.action_href("reset-imode-password")) {
            (token_field(token))
            (ctx.t(text::NETWORK_PIN)) br; (pin_input(ctx, "network_pin"))
            input type="submit" value=(ctx.t(text::SUBMIT));
        }
        (to_imenu(ctx, root))
    }
}

/// A finished action: its message and the way back to iMenu.
pub fn done(ctx: &Ctx, message: &str, root: &str) -> Markup {
    html! { (notice(message)) (to_imenu(ctx, root)) }
}
