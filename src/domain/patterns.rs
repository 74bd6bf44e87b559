//! The input rules of the domain's parsers as regular expressions, for the
//! OpenAPI document: each pattern accepts exactly what its parser accepts
//! (the tests below hold each against its parser). They use only what
//! ECMAScript, Python and Rust regular expressions share.

/// What `str::trim` removes: Unicode `White_Space` (`char::is_whitespace`).
/// Not `\s`, which differs between regex engines (Python's also has
/// U+001C–U+001F).
pub const SPACE: &str = r"[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// Anything `str::trim` keeps at an end.
pub const NOT_SPACE: &str =
    r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// `Msisdn::parse`: 11 digits starting 070, 080 or 090, with any hyphens
/// and spaces between.
pub const MSISDN: &str = r"^[- ]*0[- ]*[789][- ]*0(?:[- ]*[0-9]){8}[- ]*$";

/// `Pin::parse`: four digits (full-width ones too), spaces around.
pub fn pin() -> String {
    format!("^{SPACE}*[0-9\u{ff10}-\u{ff19}]{{4}}{SPACE}*$")
}

/// A text that, trimmed, has `min` (0 or 1) to `max` characters (`max` ≥ 2).
pub fn trimmed(min: usize, max: usize) -> String {
    let core = format!("{NOT_SPACE}(?:[\\s\\S]{{0,{}}}{NOT_SPACE})?", max - 2);
    let core = if min == 0 {
        format!("(?:{core})?")
    } else {
        core
    };
    format!("^{SPACE}*{core}{SPACE}*$")
}

/// Only spaces (or nothing): what a trimmed field treats as absent.
pub fn blank() -> String {
    format!("^{SPACE}*$")
}

/// `mail::address::valid_address`: printable ASCII, a non-empty local part
/// before the last `@`, a domain with a dot, neither starting nor ending
/// with one (the length, at most 254, is `maxLength`).
pub const MAIL_ADDRESS: &str = r"^[!-~]+@[!-\-/-?A-~](?:[!-?A-~]*\.[!-?A-~]*)[!-\-/-?A-~]$";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Msisdn, Pin};
    use proptest::prelude::*;

    fn re(pattern: &str) -> regex::Regex {
        regex::Regex::new(pattern).unwrap()
    }

    /// Strings from the characters each rule cares about.
    fn text(alphabet: &'static [char], max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(alphabet), 0..max)
            .prop_map(|cs| cs.into_iter().collect())
    }

    const NUMBER_CHARS: &[char] = &['0', '1', '7', '8', '9', '-', ' ', 'a', '\u{ff10}'];
    const TEXT_CHARS: &[char] = &[
        'a', ' ', '\t', '\n', '\u{3000}', '\u{a0}', '\u{1c}', '\u{85}', '漢', '.',
    ];
    const ADDRESS_CHARS: &[char] = &['a', '@', '.', '-', '/', ' ', '\u{7f}', 'é', '~'];

    proptest! {
        #[test]
        fn the_msisdn_pattern_is_msisdn_parse(s in text(NUMBER_CHARS, 16)) {
            prop_assert_eq!(re(MSISDN).is_match(&s), Msisdn::parse(&s).is_some(), "{:?}", s);
        }

        #[test]
        fn the_pin_pattern_is_pin_parse(s in text(&['0', '9', '\u{ff11}', ' ', '\u{3000}', 'x', '\u{1c}'], 7)) {
            prop_assert_eq!(re(&pin()).is_match(&s), Pin::parse(&s).is_ok(), "{:?}", s);
        }

        #[test]
        fn the_trimmed_pattern_is_trim_and_count(s in text(TEXT_CHARS, 8), min in 0usize..2, max in 2usize..5) {
            let n = s.trim().chars().count();
            prop_assert_eq!(re(&trimmed(min, max)).is_match(&s), (min..=max).contains(&n), "{:?}", s);
            prop_assert_eq!(re(&blank()).is_match(&s), n == 0, "{:?}", s);
        }

        #[test]
        fn the_address_pattern_is_valid_address(s in text(ADDRESS_CHARS, 9)) {
            prop_assert_eq!(
                re(MAIL_ADDRESS).is_match(&s),
                crate::mail::address::valid_address(&s),
                "{:?}", s
            );
        }
    }

    #[test]
    fn the_patterns_accept_what_the_parsers_accept() {
        assert!(re(MSISDN).is_match("090-1234-0001"));
        assert!(re(&pin()).is_match(" ０１２３ "));
        assert!(re(&trimmed(1, 40)).is_match(" 山田 太郎 "));
        assert!(!re(&trimmed(1, 40)).is_match(" \u{3000} "));
        assert!(re(MAIL_ADDRESS).is_match("a@b@docomo.ne.jp"));
        assert!(!re(MAIL_ADDRESS).is_match("a@b@docomo.ne."));
    }
}
