//! Domain newtypes that can only hold valid values: parse, don't validate.

pub mod actions;
mod msisdn;
pub mod patterns;
mod pin;

pub use msisdn::Msisdn;
pub use pin::{Pin, PinError};

/// The carrier's mail domain: every line's address is `local@MAIL_DOMAIN`.
pub const MAIL_DOMAIN: &str = "docomo.ne.jp";

/// The i-mode password of a new line, and what every reset returns to.
pub const DEFAULT_PIN: &str = "0000";

/// Identity documents a line may have registered (the shop's list).
pub const DOCUMENT_TYPES: [&str; 4] = [
    "drivers_license",
    "my_number_card",
    "passport",
    "health_insurance_card",
];

/// The handset's display language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    /// Parses the `lang` query value; anything but `en` / `ja` is `None`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// Picks the text for this language.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}
