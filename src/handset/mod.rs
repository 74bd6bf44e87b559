//! Handsets: the catalogue of models, profiles, User-Agent parsing, page
//! budgets, charsets, pictograms, i-mode HTML versions and key labels.

pub mod catalogue;
mod charset;
mod form;
pub mod html;
pub mod pictograms;

pub use catalogue::{Bearer, Catalogue};
pub use charset::{encode_page, encode_page_for, Charset};
pub use form::{FormData, FormError};
pub use html::HtmlVersion;

/// Which browser generation the handset has; i-mode browser 1.0 has no cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    IMode1,
    IMode2,
    Pc,
}

/// Which docomo pictograms a handset shows: none (a PC), the 176 basic ones,
/// or basic and the 76 extended (i-mode HTML 4.0 and later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pictograms {
    None,
    Basic,
    Extended,
}

/// Everything the server needs to know to render for one handset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Profile name as shown in pickers and the API (`P501i`, `P-07B`, `PC`, or the UA's model).
    pub name: String,
    /// The User-Agent this handset sends (and the gateway forwards).
    pub user_agent: String,
    /// Cache size: the largest page the handset can hold, in bytes.
    pub budget: usize,
    /// Screen size in half-width characters and lines.
    pub width: u16,
    pub height: u16,
    pub browser: Browser,
    pub charset: Charset,
    pub pictograms: Pictograms,
    /// The i-mode HTML version (none for a PC or a model the catalogue does not know).
    pub html: Option<HtmlVersion>,
    /// Whether the browser has the `utn` attribute (HTML 3.0 and later).
    pub utn: bool,
    /// The link the model browsed over and its packet fee (none for a PC or a
    /// model the catalogue does not know).
    pub bearer: Option<Bearer>,
}

/// The handset catalogue's file in a menu set.
pub const CATALOGUE_FILE: &str = "handsets.toml";
/// Budget when a DoCoMo User-Agent names no cache size (the 501i generation).
pub const DEFAULT_DOCOMO_BUDGET: usize = 5 * 1024;
/// Built-in pages for 5 KB handsets are kept to DoCoMo's advised 2 KB.
pub const SMALL_PAGE_TARGET: usize = 2048;
const PC_BUDGET: usize = 1024 * 1024;

impl Profile {
    /// A profile of the shipped catalogue by name (tests and tools; the server
    /// asks its own loaded catalogue).
    pub fn by_name(name: &str) -> Option<Profile> {
        Catalogue::builtin().by_name(name).map(|p| (*p).clone())
    }

    /// The profile a User-Agent stands for, by the shipped catalogue.
    pub fn from_user_agent(ua: &str) -> Profile {
        (*Catalogue::builtin().for_user_agent(ua)).clone()
    }

    /// Whether the browser keeps cookies (i-mode browser 1.0 does not).
    pub fn cookies(&self) -> bool {
        self.browser != Browser::IMode1
    }

    /// The size garake keeps its own pages under: DoCoMo's advised 2 KB on 5 KB
    /// handsets, otherwise the cache size.
    pub fn page_target(&self) -> usize {
        if self.budget <= DEFAULT_DOCOMO_BUDGET {
            // Never more than the cache itself (a c1 handset holds 1 KB).
            SMALL_PAGE_TARGET.min(self.budget)
        } else {
            self.budget
        }
    }

    pub fn is_handset(&self) -> bool {
        self.browser != Browser::Pc
    }

    /// The label printed before a link with this access key: the docomo keycap
    /// pictogram on a handset, else `[n]`.
    pub fn key_label(&self, key: char) -> String {
        if self.pictograms != Pictograms::None {
            if let Some(p) = keycap(key) {
                return p.to_string();
            }
        }
        format!("[{key}]")
    }
}

/// docomo keycap pictograms. Their Unicode values (U+E6E2…U+E6EB) are the
/// Shift_JIS user-defined area F987…F990 as decoded by the WHATWG Shift_JIS
/// table, so encoding_rs writes exactly the bytes docomo handsets expect.
fn keycap(key: char) -> Option<char> {
    let code = match key {
        '1'..='9' => 0xE6E2 + (key as u32 - '1' as u32),
        '0' => 0xE6EB,
        _ => return None,
    };
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docomo_1_0_without_cache_size_gets_5_kb() {
        let p = Profile::from_user_agent("DoCoMo/1.0/P501i");
        assert_eq!((p.name.as_str(), p.budget), ("P501i", 5120));
        assert_eq!(p.browser, Browser::IMode1);
        assert!(!p.cookies());
        assert_eq!(p.page_target(), 2048);
    }

    #[test]
    fn docomo_2_0_forms_are_read_and_browser_2_0_keeps_cookies() {
        let p = Profile::from_user_agent("DoCoMo/2.0 P903i(c100;TB;W24H12)");
        assert_eq!(
            (p.name.as_str(), p.budget, p.browser),
            ("P903i", 100 * 1024, Browser::IMode1)
        );
        let b = Profile::from_user_agent("DoCoMo/2.0 P07B(c500;TB;W24H16)");
        assert_eq!(
            (b.name.as_str(), b.budget, b.browser),
            ("P-07B", 500 * 1024, Browser::IMode2)
        );
        assert!(b.cookies());
        assert_eq!(Profile::from_user_agent("DoCoMo/2.0 X9999").budget, 5120);
        assert_eq!(
            Profile::from_user_agent("DoCoMo/2.0 N2001").budget,
            10 * 1024,
            "the catalogue knows it"
        );
    }

    #[test]
    fn a_tiny_cache_caps_the_page_target() {
        // Found by the user_agent fuzz target: c1 once meant a 2 KB target.
        let p = Profile::from_user_agent("DoCoMo/1.0/X/c1");
        assert_eq!((p.budget, p.page_target()), (1024, 1024));
    }

    #[test]
    fn anything_else_is_a_pc_in_utf8() {
        let p = Profile::from_user_agent("Mozilla/5.0 (X11)");
        assert_eq!(p.name, "PC");
        assert_eq!(p.charset, Charset::Utf8);
        assert!(!p.is_handset());
    }

    #[test]
    fn keycap_pictograms_encode_to_docomo_shift_jis_bytes() {
        let p = Profile::by_name("P503i").unwrap();
        let bytes = encode_page(&p.key_label('1'), Charset::ShiftJis);
        assert_eq!(bytes, vec![0xF9, 0x87]);
        assert_eq!(
            encode_page(&p.key_label('0'), Charset::ShiftJis),
            vec![0xF9, 0x90]
        );
        assert_eq!(Profile::by_name("PC").unwrap().key_label('1'), "[1]");
        assert_eq!(p.key_label('#'), "[#]");
    }
}
