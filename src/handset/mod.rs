//! Handsets: the catalogue of models, profiles, User-Agent parsing, page
//! budgets, charsets, pictograms, i-mode HTML versions and key labels.

pub mod catalogue;
mod charset;
mod form;
pub mod html;
pub mod pictograms;

mod profile;

pub use catalogue::Catalogue;
pub use charset::{encode_page, encode_page_for, Charset};
pub use form::{FormData, FormError};
pub use html::HtmlVersion;
pub use pictograms::Pictograms;
pub use profile::{Bearer, Browser, Profile, DEFAULT_DOCOMO_BUDGET, SMALL_PAGE_TARGET};

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
