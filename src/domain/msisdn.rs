//! `Msisdn`: a subscriber's 11-digit mobile number.

use std::fmt;

/// An 11-digit Japanese mobile number starting with 070, 080 or 090.
/// Hyphens and spaces are accepted on input and dropped.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Msisdn(String);

impl Msisdn {
    pub fn parse(input: &str) -> Option<Msisdn> {
        let digits: String = input.chars().filter(|c| *c != '-' && *c != ' ').collect();
        let ok = digits.len() == 11
            && digits.bytes().all(|b| b.is_ascii_digit())
            && ["070", "080", "090"].iter().any(|p| digits.starts_with(p));
        ok.then_some(Msisdn(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as printed on a contract: `090-1234-0001`.
    pub fn display(&self) -> String {
        format!("{}-{}-{}", &self.0[..3], &self.0[3..7], &self.0[7..])
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
