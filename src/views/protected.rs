//! Pages of the protected actions: input forms, confirmation, result.

use maud::{html, Markup};

use super::{notice, pin_input, text, to_imenu, token_field, Ctx};
use crate::domain::actions;
use crate::mail::address::MAIL_DOMAIN;
use crate::mail::rejection::Mode;
use crate::store::lines::LineState;

/// The label of a mail-rejection mode.
pub fn mode_label(ctx: &Ctx, mode: Mode) -> &'static str {
    ctx.t(match mode {
        Mode::Off => text::REJECT_OFF,
        Mode::RejectAll => text::REJECT_ALL,
        Mode::RejectDesignated => text::REJECT_DESIGNATED,
        Mode::ReceiveDesignated => text::RECEIVE_DESIGNATED,
    })
}

/// An on/off radio pair for `name`, with the current value checked.
fn on_off(ctx: &Ctx, name: &str, current: bool) -> Markup {
    html! {
        input type="radio" name=(name) value="on" checked[current]; (ctx.t(text::ON))
        input type="radio" name=(name) value="off" checked[!current]; (ctx.t(text::OFF)) br;
    }
}

/// The input page of a settings action; it posts to the confirmation step.
pub fn input(
    ctx: &Ctx,
    action: &str,
    line: &LineState,
    message: Option<Markup>,
    root: &str,
) -> Markup {
    let confirm = format!("/s/{}/c/{action}", ctx.sid.as_deref().unwrap_or("-"));
    let fields = match action {
        actions::MAIL_REJECTION => {
            let current = Mode::parse(&line.mail_rejection.mode).unwrap_or(Mode::Off);
            html! {
                @for mode in Mode::ALL {
                    input type="radio" name="mode" value=(mode.as_str()) checked[mode == current]; (mode_label(ctx, mode)) br;
                }
                (ctx.t(text::REJECTION_LIST)) br;
                textarea name="list" rows="4" cols="16" { (line.mail_rejection.list.join("\n")) } br;
            }
        }
        actions::CHANGE_ADDRESS => html! {
            (line.mail_address) br;
            (ctx.t(text::ADDRESS_RULES)) br;
            (ctx.t(text::NEW_ADDRESS)) br;
            input type="text" name="new_address" size="16" maxlength="30" istyle=[ctx.istyle("3")]; "@" (MAIL_DOMAIN) br;
        },
        actions::SUSPEND_MAIL => html! {
            (ctx.t(text::SUSPEND_Q)) br; (on_off(ctx, "suspend", line.mail_suspended))
        },
        actions::SECRET_CODE => html! {
            (ctx.t(text::SECRET_CODE_INTRO)) br;
            (ctx.t(text::MAIL_ADDRESS)) ":" (line.mail_address) br;
            (ctx.t(text::SECRET_CODE)) br; (pin_input(ctx, "secret_code"))
        },
        actions::ID_NOTIFICATION => html! {
            (ctx.t(text::ID_NOTIFICATION_INTRO)) br;
            input type="radio" name="notify" value="on" checked[line.id_notification]; (ctx.t(text::NOTIFY)) br;
            input type="radio" name="notify" value="off" checked[!line.id_notification]; (ctx.t(text::DO_NOT_NOTIFY)) br;
        },
        _ => html! {
            (ctx.t(text::MESSAGE_INTRO)) br;
            "MessageR" br; (on_off(ctx, "message_r", line.message_service.message_r))
            "MessageF" br; (on_off(ctx, "message_f", line.message_service.message_f))
        },
    };
    html! {
        @if let Some(m) = message { (m) hr; }
        form method="post" action=(confirm) {
            (fields)
            input type="submit" value=(ctx.t(text::NEXT_STEP));
        }
        (to_imenu(ctx, root))
    }
}

/// The confirmation page: the change, its hidden fields, the password box.
pub fn confirm(
    ctx: &Ctx,
    message: Option<Markup>,
    change: Markup,
    hidden: &[(&str, String)],
    href: &str,
    token: &str,
    root: &str,
) -> Markup {
    html! {
        @if let Some(m) = message { (m) hr; }
        (change)
        (ctx.t(text::ENTER_PIN)) br;
        form method="post" action=(href) {
            (token_field(token))
            @for (name, value) in hidden { input type="hidden" name=(name) value=(value); }
            (ctx.t(text::IMODE_PASSWORD)) br; (pin_input(ctx, "pin"))
            input type="submit" value=(ctx.t(text::SUBMIT));
        }
        (to_imenu(ctx, root))
    }
}

/// The result page: done, and the line's settings as they are now.
pub fn done(ctx: &Ctx, line: &LineState, site: Option<&str>, root: &str) -> Markup {
    html! {
        (notice(ctx.t(text::CHANGED)))
        @if let Some(site) = site {
            a href=(ctx.action_href(&format!("{}{site}", crate::menu::SITE_ACTION))) accesskey="9" { (ctx.profile.key_label('9')) (site) } br;
        } @else {
            hr; (super::settings::line_panel(ctx, line))
        }
        (to_imenu(ctx, root))
    }
}
