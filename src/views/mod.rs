//! maud page functions for handset pages: the layout, partials and pagination.

pub mod admin;
pub mod errors;
pub mod mail;
pub mod menu;
pub mod paging;
pub mod partner;
pub mod pc;
pub mod power_on;
pub mod protected;
pub mod rebase;
pub mod settings;
pub mod sites;
pub mod text;

use std::sync::Arc;

use maud::{html, Markup};

use crate::domain::Lang;
use crate::handset::Profile;
use text::Text;

/// Who a page is rendered for: the handset profile, language and session.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub profile: Arc<Profile>,
    pub lang: Lang,
    pub sid: Option<Arc<str>>,
    /// The length of the prefix the front puts before each root-relative
    /// link of the page (a world's `/w/{id}`; 0 in the default world), so
    /// page sizes are measured as the handset gets them.
    pub rebase: usize,
}

impl Ctx {
    /// The text in this page's language.
    pub fn t(&self, text: Text) -> &'static str {
        self.lang.pick(text.0, text.1)
    }

    /// The `istyle` input mode (`1` kana, `3` alphabet, `4` digits) if this
    /// handset's i-mode HTML has the attribute (2.0 and later), else none.
    pub fn istyle(&self, mode: &'static str) -> Option<&'static str> {
        match self.profile.html {
            Some(v) if !v.knows_attribute("input", "istyle") => None,
            _ => Some(mode),
        }
    }

    /// URL of a menu node page in this session.
    pub fn node_href(&self, id: &str) -> String {
        format!("/s/{}/m/{id}", self.sid.as_deref().unwrap_or("-"))
    }

    /// URL of a built-in action page in this session (`site:<id>` opens a site page).
    pub fn action_href(&self, action: &str) -> String {
        let sid = self.sid.as_deref().unwrap_or("-");
        match action.strip_prefix(crate::menu::SITE_ACTION) {
            Some(site) => format!("/s/{sid}/site/{site}"),
            None => format!("/s/{sid}/a/{action}"),
        }
    }
}

/// The cHTML page frame: charset meta, a title, the body. No script, style,
/// table, frame or external resource.
pub fn layout(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let content_type = format!("text/html; charset={}", ctx.profile.charset.name());
    html! {
        html {
            head {
                meta http-equiv="Content-Type" content=(content_type);
                title { (title) }
            }
            body {
                (title) br; hr;
                (body)
            }
        }
    }
}

/// A link with an access key, its key shown before the label.
pub fn key_link(ctx: &Ctx, key: char, href: &str, label: &str) -> Markup {
    html! {
        a href=(href) accesskey=(key) { (ctx.profile.key_label(key)) (label) } br;
    }
}

/// A message line, followed by a rule.
pub fn notice(message: &str) -> Markup {
    html! { (message) br; }
}

/// The link back to iMenu at the foot of action pages.
pub fn to_imenu(ctx: &Ctx, root: &str) -> Markup {
    html! { hr; (key_link(ctx, '0', &ctx.node_href(root), ctx.t(text::TO_IMENU))) }
}

/// A numeric password box: `istyle="4"` opens the handset keypad in digit
/// mode (on handsets whose i-mode HTML has it).
pub fn pin_input(ctx: &Ctx, name: &str) -> Markup {
    html! { input type="password" name=(name) size="4" maxlength="4" istyle=[ctx.istyle("4")]; br; }
}

/// A hidden form token field.
pub fn token_field(token: &str) -> Markup {
    html! { input type="hidden" name="ft" value=(token); }
}

/// A read-only `label:value` line.
pub fn label_value(label: &str, value: &str) -> Markup {
    html! { (label) ":" (value) br; }
}
