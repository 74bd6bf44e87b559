//! Field kinds of the partner sites' forms: how each is checked and normalised
//! before it is compared with an account; password policies.

use serde::Deserialize;

/// How a form field is read.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Free text, trimmed.
    Text,
    /// A mail address, lower-cased.
    Email,
    /// A date as 8 digits (YYYYMMDD), a real calendar date.
    Date8,
    /// "First FAMILY": exactly two words separated by a one-byte or two-byte space.
    Name,
    /// A phone number: digits only, no hyphens.
    Phone,
    /// A country/region calling code: digits, with or without a leading `+`.
    CountryCode,
    /// Exactly 9 digits.
    Digits9,
    /// One of the field's `options`.
    Choice,
    /// A payment reference whose format depends on the carrier field.
    PaymentReference,
}

/// Why a value was refused; the page shows the field's own message if it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldError {
    Missing,
    Invalid,
}

/// Checks and normalises one value. Empty values are `Missing`.
pub fn normalise(kind: Kind, raw: &str, options: &[String]) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::Missing);
    }
    let ok = |v: String| Ok(v);
    match kind {
        Kind::Text => ok(value.to_string()),
        Kind::Email => {
            let v = value.to_ascii_lowercase();
            let valid = crate::mail::address::valid_address(&v) && v.matches('@').count() == 1;
            if valid {
                ok(v)
            } else {
                Err(FieldError::Invalid)
            }
        }
        Kind::Date8 => {
            let valid = value.len() == 8
                && value.bytes().all(|b| b.is_ascii_digit())
                && chrono::NaiveDate::parse_from_str(value, "%Y%m%d").is_ok();
            if valid {
                ok(value.to_string())
            } else {
                Err(FieldError::Invalid)
            }
        }
        Kind::Name => {
            let parts: Vec<&str> = value
                .split([' ', '\u{3000}'])
                .filter(|p| !p.is_empty())
                .collect();
            if parts.len() == 2 {
                ok(format!(
                    "{} {}",
                    parts[0].to_lowercase(),
                    parts[1].to_lowercase()
                ))
            } else {
                Err(FieldError::Invalid)
            }
        }
        Kind::Phone => {
            if value.bytes().all(|b| b.is_ascii_digit()) && (6..=15).contains(&value.len()) {
                ok(value.trim_start_matches('0').to_string())
            } else {
                Err(FieldError::Invalid)
            }
        }
        Kind::CountryCode => {
            let digits = value.trim_start_matches('+');
            if !digits.is_empty() && digits.len() <= 4 && digits.bytes().all(|b| b.is_ascii_digit())
            {
                ok(digits.to_string())
            } else {
                Err(FieldError::Invalid)
            }
        }
        Kind::Digits9 => {
            if value.len() == 9 && value.bytes().all(|b| b.is_ascii_digit()) {
                ok(value.to_string())
            } else {
                Err(FieldError::Invalid)
            }
        }
        Kind::Choice => {
            if options.iter().any(|o| o == value) {
                ok(value.to_string())
            } else {
                Err(FieldError::Invalid)
            }
        }
        // Checked against the carrier's format by the caller.
        Kind::PaymentReference => ok(value.to_string()),
    }
}

/// A reference format: `digits:12`, `digits:11`, `alnum:10-20`.
pub fn reference_matches(format: &str, value: &str) -> bool {
    let Some((class, len)) = format.split_once(':') else {
        return false;
    };
    let (min, max) = match len.split_once('-') {
        Some((a, b)) => (a.parse().unwrap_or(usize::MAX), b.parse().unwrap_or(0)),
        None => {
            let n = len.parse().unwrap_or(usize::MAX);
            (n, n)
        }
    };
    let class_ok = match class {
        "digits" => value.bytes().all(|b| b.is_ascii_digit()),
        "alnum" => value.bytes().all(|b| b.is_ascii_alphanumeric()),
        _ => false,
    };
    class_ok && (min..=max).contains(&value.len())
}

/// A new reference in a format (`digits:12`, `alnum:10-20`), from the OS RNG.
pub fn issue_reference(format: &str) -> Option<String> {
    let (class, len) = format.split_once(':')?;
    let n: usize = len.split('-').next()?.parse().ok()?;
    let alphabet: &[u8] = match class {
        "digits" => b"0123456789",
        "alnum" => b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789",
        _ => return None,
    };
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the OS random number generator is available");
    let value: String = bytes
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect();
    reference_matches(format, &value).then_some(value)
}

/// A password policy from a site's data.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicy {
    pub min: usize,
    pub max: usize,
    /// The symbols allowed besides letters and digits.
    #[serde(default)]
    pub symbols: String,
    /// Each group must be represented by at least one character; a group is a
    /// list of classes: `upper`, `lower`, `digit`, `symbol`.
    #[serde(default)]
    pub require: Vec<Vec<String>>,
}

fn class_of(c: char, symbols: &str) -> Option<&'static str> {
    if c.is_ascii_uppercase() {
        Some("upper")
    } else if c.is_ascii_lowercase() {
        Some("lower")
    } else if c.is_ascii_digit() {
        Some("digit")
    } else if symbols.contains(c) {
        Some("symbol")
    } else {
        None
    }
}

impl PasswordPolicy {
    /// Whether a new password satisfies the policy.
    pub fn accepts(&self, password: &str) -> bool {
        let n = password.chars().count();
        if !(self.min..=self.max).contains(&n) {
            return false;
        }
        let classes: Option<Vec<&str>> = password
            .chars()
            .map(|c| class_of(c, &self.symbols))
            .collect();
        let Some(classes) = classes else { return false };
        self.require
            .iter()
            .all(|group| group.iter().any(|g| classes.contains(&g.as_str())))
    }

    /// A random password that satisfies the policy (for temporary and
    /// initialized passwords), from the OS RNG.
    pub fn generate(&self) -> String {
        let upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
        let lower = "abcdefghijkmnpqrstuvwxyz";
        let digits = "23456789";
        let len = self.min.max(10).min(self.max.max(1));
        loop {
            let mut bytes = vec![0u8; len];
            getrandom::fill(&mut bytes).expect("the OS random number generator is available");
            let alphabet: Vec<char> = format!("{upper}{lower}{digits}").chars().collect();
            let mut out: Vec<char> = bytes
                .iter()
                .map(|b| alphabet[*b as usize % alphabet.len()])
                .collect();
            // One of each letter case, a digit and (if the policy has any) a
            // symbol, in the first places.
            let symbols = self.symbols.as_str();
            let picks: Vec<&str> = [upper, lower, digits, symbols]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            for (i, set) in picks.iter().enumerate() {
                if i < out.len() {
                    let set: Vec<char> = set.chars().collect();
                    out[i] = set[bytes[i] as usize % set.len()];
                }
            }
            let candidate: String = out.into_iter().collect();
            if self.accepts(&candidate) {
                return candidate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ims() -> PasswordPolicy {
        PasswordPolicy {
            min: 9,
            max: 20,
            symbols: "-_/@".into(),
            require: vec![
                vec!["upper".into()],
                vec!["lower".into()],
                vec!["digit".into(), "symbol".into()],
            ],
        }
    }

    #[test]
    fn the_ims_policy_as_a_table() {
        let policy = ims();
        for (password, ok) in [
            ("ABCabc123", true),
            ("Abcdefgh-", true),
            ("Abcdefg/@", true),
            ("ABCDEFGH1", false),
            ("abcdefgh1", false),
            ("Abcdefghi", false),
            ("Abc12345", false),
            ("Abcdefghij1234567890X", false),
            ("Abcdef 123", false),
            ("Abcdef!123", false),
            ("Ａbcdefg123", false),
        ] {
            assert_eq!(policy.accepts(password), ok, "{password}");
        }
    }

    #[test]
    fn generated_passwords_satisfy_the_policy() {
        let policy = ims();
        for _ in 0..50 {
            let p = policy.generate();
            assert!(policy.accepts(&p), "{p}");
        }
    }

    #[test]
    fn a_policy_that_requires_a_symbol_still_generates() {
        let policy = PasswordPolicy {
            min: 8,
            max: 12,
            symbols: "#".into(),
            require: vec![vec!["symbol".into()], vec!["digit".into()]],
        };
        assert!(policy.accepts(&policy.generate()));
    }

    #[test]
    fn names_take_one_or_two_byte_spaces() {
        assert_eq!(
            normalise(Kind::Name, "Taro KOKU", &[]),
            normalise(Kind::Name, "taro\u{3000}koku", &[])
        );
        assert_eq!(
            normalise(Kind::Name, "TaroKOKU", &[]),
            Err(FieldError::Invalid)
        );
    }

    #[test]
    fn phones_refuse_hyphens_and_dates_must_exist() {
        assert_eq!(
            normalise(Kind::Phone, "090-1234-5678", &[]),
            Err(FieldError::Invalid)
        );
        assert!(normalise(Kind::Phone, "09012345678", &[]).is_ok());
        assert_eq!(
            normalise(Kind::Date8, "19900231", &[]),
            Err(FieldError::Invalid)
        );
        assert!(normalise(Kind::Date8, "19900228", &[]).is_ok());
        assert_eq!(normalise(Kind::Text, "  ", &[]), Err(FieldError::Missing));
    }

    #[test]
    fn issued_references_match_their_format() {
        for format in ["digits:12", "digits:11", "alnum:10-20"] {
            let r = issue_reference(format).unwrap();
            assert!(reference_matches(format, &r), "{format}: {r}");
        }
        assert!(issue_reference("emoji:3").is_none());
    }

    #[test]
    fn payment_references_follow_their_carriers_format() {
        assert!(reference_matches("digits:12", "123456789012"));
        assert!(!reference_matches("digits:12", "12345678901"));
        assert!(reference_matches("digits:11", "12345678901"));
        assert!(!reference_matches("digits:11", "1234567890a"));
        assert!(reference_matches("alnum:10-20", "SB12345678"));
        assert!(!reference_matches("alnum:10-20", "SB-1234567"));
    }
}
