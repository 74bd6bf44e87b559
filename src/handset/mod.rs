//! Handsets: profiles, User-Agent parsing, page budgets, charsets and key labels.

mod charset;
mod form;

pub use charset::{encode_page, Charset};
pub use form::{FormData, FormError};

use std::sync::Arc;

/// Which browser generation the handset has; i-mode browser 1.0 has no cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    IMode1,
    IMode2,
    Pc,
}

/// Everything the server needs to know to render for one handset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Profile name as shown in pickers and the API (`P501i`, `PC`, or the model).
    pub name: String,
    /// A User-Agent this profile sends (used by the crawler and the emulator).
    pub user_agent: String,
    /// Cache size: the largest page the handset can hold, in bytes.
    pub budget: usize,
    /// Screen width in half-width characters.
    pub width: u16,
    pub browser: Browser,
    pub charset: Charset,
    /// Whether the handset shows docomo pictograms (keycaps for access keys).
    pub pictograms: bool,
}

/// The named profiles shipped with garake: (name, User-Agent, width, pictograms).
const NAMED: &[(&str, &str, u16, bool)] = &[
    ("P501i", "DoCoMo/1.0/P501i", 16, false),
    ("P503i", "DoCoMo/1.0/P503i/c10", 20, true),
    ("N505i", "DoCoMo/1.0/N505i/c20/TB/W20H10", 20, true),
    ("P903i", "DoCoMo/2.0 P903i(c100;TB;W24H12)", 24, true),
    ("P-07B", "DoCoMo/2.0 P07B(c500;TB;W24H16)", 24, true),
    (
        "PC",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
        80,
        false,
    ),
];

/// The handset catalogue's file in the menu folder.
pub const CATALOGUE_FILE: &str = "handsets.toml";

/// Budget when a DoCoMo User-Agent names no cache size (the 501i generation).
pub const DEFAULT_DOCOMO_BUDGET: usize = 5 * 1024;
/// Built-in pages for 5 KB handsets are kept to DoCoMo's advised 2 KB.
pub const SMALL_PAGE_TARGET: usize = 2048;
const PC_BUDGET: usize = 1024 * 1024;

impl Profile {
    /// All shipped profiles, in the order pickers show them.
    pub fn named() -> Vec<Arc<Profile>> {
        NAMED
            .iter()
            .map(|(_, ua, ..)| Arc::new(Profile::from_user_agent(ua)))
            .collect()
    }

    /// The shipped profile with this name (case-insensitive), if any.
    pub fn by_name(name: &str) -> Option<Profile> {
        NAMED
            .iter()
            .find(|(n, ..)| n.eq_ignore_ascii_case(name))
            .map(|(_, ua, ..)| Profile::from_user_agent(ua))
    }

    /// Detects the profile from a User-Agent. `DoCoMo/1.0/MODEL[/cNN][/...]` and
    /// `DoCoMo/2.0 MODEL(cNN;...)` are handsets; anything else is a PC browser.
    pub fn from_user_agent(ua: &str) -> Profile {
        let (model, cache_kb, browser) = if let Some(rest) = ua.strip_prefix("DoCoMo/1.0/") {
            let mut parts = rest.split('/');
            let model = parts.next().unwrap_or("").to_string();
            let cache = parts.find_map(cache_size);
            (model, cache, Browser::IMode1)
        } else if let Some(rest) = ua.strip_prefix("DoCoMo/2.0 ") {
            let (model, params) = match rest.split_once('(') {
                Some((m, p)) => (m.trim(), p.trim_end_matches(')')),
                None => (rest.trim(), ""),
            };
            let cache = params.split(';').find_map(|p| cache_size(p.trim()));
            // The full browser (2.0) arrived with cache sizes of 500 KB and up.
            let browser = if cache.unwrap_or(0) >= 500 {
                Browser::IMode2
            } else {
                Browser::IMode1
            };
            (model.to_string(), cache, browser)
        } else {
            return Profile {
                name: "PC".into(),
                user_agent: ua.into(),
                budget: PC_BUDGET,
                width: 80,
                browser: Browser::Pc,
                charset: Charset::Utf8,
                pictograms: false,
            };
        };
        let model: String = model
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(16)
            .collect();
        let named = NAMED
            .iter()
            .find(|(n, ..)| n.replace('-', "") == model.replace('-', ""));
        let (name, width, pictograms) = match named {
            Some((n, _, w, p)) => (n.to_string(), *w, *p),
            None if model.is_empty() => ("DoCoMo".to_string(), 16, false),
            None => (model.clone(), 20, true),
        };
        Profile {
            name,
            user_agent: ua.chars().take(200).collect(),
            budget: cache_kb.map_or(DEFAULT_DOCOMO_BUDGET, |kb| kb * 1024),
            width,
            browser,
            charset: Charset::ShiftJis,
            pictograms,
        }
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

    /// The i-mode HTML version of the shipped handsets (none for other models
    /// and for the PC).
    pub fn html_version(&self) -> Option<&'static str> {
        match self.name.as_str() {
            "P501i" => Some("1.0"),
            "P503i" => Some("3.0"),
            "N505i" => Some("5.0"),
            "P903i" => Some("7.0"),
            "P-07B" => Some("7.2"),
            _ => None,
        }
    }

    pub fn is_handset(&self) -> bool {
        self.browser != Browser::Pc
    }

    /// The label printed before a link with this access key: the docomo keycap
    /// pictogram where the handset has it, else `[n]`.
    pub fn key_label(&self, key: char) -> String {
        if self.pictograms {
            if let Some(p) = keycap(key) {
                return p.to_string();
            }
        }
        format!("[{key}]")
    }
}

/// `c100` → 100 (KB).
fn cache_size(part: &str) -> Option<usize> {
    let digits = part.strip_prefix('c')?;
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|kb| *kb > 0)
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
    fn docomo_1_0_cache_size_sets_the_budget() {
        let p = Profile::from_user_agent("DoCoMo/1.0/N505i/c20/TB/W20H10");
        assert_eq!((p.name.as_str(), p.budget), ("N505i", 20 * 1024));
        assert_eq!(
            Profile::from_user_agent("DoCoMo/1.0/P503i/c10").budget,
            10 * 1024
        );
    }

    #[test]
    fn docomo_2_0_form_is_parsed() {
        let p = Profile::from_user_agent("DoCoMo/2.0 P903i(c100;TB;W24H12)");
        assert_eq!((p.name.as_str(), p.budget), ("P903i", 100 * 1024));
        assert_eq!(p.browser, Browser::IMode1);
        let b = Profile::from_user_agent("DoCoMo/2.0 P07B(c500;TB;W24H16)");
        assert_eq!((b.name.as_str(), b.budget), ("P-07B", 500 * 1024));
        assert_eq!(b.browser, Browser::IMode2);
        assert!(b.cookies());
    }

    #[test]
    fn docomo_2_0_without_cache_size_gets_5_kb() {
        assert_eq!(Profile::from_user_agent("DoCoMo/2.0 N2001").budget, 5120);
    }

    #[test]
    fn unknown_models_keep_their_name_and_cache_size() {
        let p = Profile::from_user_agent("DoCoMo/1.0/SH505i/c20/TB");
        assert_eq!((p.name.as_str(), p.budget), ("SH505i", 20 * 1024));
        assert_eq!(p.charset, Charset::ShiftJis);
    }

    #[test]
    fn anything_else_is_a_pc_in_utf8() {
        let p = Profile::from_user_agent("Mozilla/5.0 (X11)");
        assert_eq!(p.name, "PC");
        assert_eq!(p.charset, Charset::Utf8);
        assert!(!p.is_handset());
    }

    #[test]
    fn a_tiny_cache_caps_the_page_target() {
        // Found by the user_agent fuzz target: c1 once meant a 2 KB target.
        let p = Profile::from_user_agent("DoCoMo/1.0/X/c1");
        assert_eq!((p.budget, p.page_target()), (1024, 1024));
    }

    #[test]
    fn garbage_cache_sizes_fall_back_to_5_kb() {
        for ua in [
            "DoCoMo/1.0/P501i/c",
            "DoCoMo/1.0/P501i/cXX",
            "DoCoMo/2.0 X(c99999999999)",
        ] {
            assert_eq!(Profile::from_user_agent(ua).budget, 5120, "{ua}");
        }
    }

    #[test]
    fn all_six_named_profiles_exist() {
        let names: Vec<String> = Profile::named().iter().map(|p| p.name.clone()).collect();
        assert_eq!(names, ["P501i", "P503i", "N505i", "P903i", "P-07B", "PC"]);
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
        assert_eq!(Profile::by_name("P501i").unwrap().key_label('1'), "[1]");
        assert_eq!(p.key_label('#'), "[#]");
    }
}
