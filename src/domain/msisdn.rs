//! `Msisdn`: a subscriber's 11-digit mobile number.

use std::fmt;

/// An 11-digit Japanese mobile number starting with 070, 080 or 090.
/// Hyphens and spaces are accepted on input and dropped. Held inline (11
/// bytes), since every handset session carries one.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Msisdn([u8; 11]);

impl Msisdn {
    pub fn parse(input: &str) -> Option<Msisdn> {
        let mut digits = [0u8; 11];
        let mut n = 0;
        for b in input.bytes().filter(|b| *b != b'-' && *b != b' ') {
            if n == 11 || !b.is_ascii_digit() {
                return None;
            }
            digits[n] = b;
            n += 1;
        }
        let ok = n == 11
            && [b"070", b"080", b"090"]
                .iter()
                .any(|p| digits.starts_with(*p));
        ok.then_some(Msisdn(digits))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a parsed number is ASCII digits")
    }

    /// The number as printed on a contract: `090-1234-0001`.
    pub fn display(&self) -> String {
        let s = self.as_str();
        format!("{}-{}-{}", &s[..3], &s[3..7], &s[7..])
    }
}

impl fmt::Debug for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Msisdn({})", self.as_str())
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyphenated_and_plain_numbers_parse_to_the_same_value() {
        assert_eq!(Msisdn::parse("090-1234-0001"), Msisdn::parse("09012340001"));
        assert_eq!(
            Msisdn::parse("090-1234-0001").unwrap().as_str(),
            "09012340001"
        );
    }

    #[test]
    fn wrong_lengths_letters_and_landlines_are_rejected() {
        for bad in [
            "",
            "0901234000",
            "090123400012",
            "0901234000a",
            "03123400001",
            "０９０１２３４０００１",
        ] {
            assert!(Msisdn::parse(bad).is_none(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn display_form_has_contract_hyphens() {
        assert_eq!(
            Msisdn::parse("09012340001").unwrap().display(),
            "090-1234-0001"
        );
    }
}
