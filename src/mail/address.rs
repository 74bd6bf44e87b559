//! i-mode mail addresses: the carrier's domain, the local part a subscriber
//! may choose (`local@docomo.ne.jp`), and what any address must look like to
//! be routed.

use std::fmt;

/// The carrier's mail domain (defined with the other domain values, where
/// the store reads it too).
pub use crate::domain::MAIL_DOMAIN;

/// Checks an address enough to route it: `local@domain`, a dot in the domain,
/// printable ASCII, at most 254 characters.
pub fn valid_address(addr: &str) -> bool {
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return false;
    };
    addr.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && addr.bytes().all(|b| b.is_ascii_graphic())
}

/// A local part a subscriber may choose. The rules (docomo's, simplified):
/// 3–30 characters; lower-case letters, digits, `.`, `-` and `_` (upper case is
/// folded to lower case); it starts with a letter (so nobody can take another
/// line's phone-number address); no doubled period and no period at the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailLocal(String);

pub const MIN_LEN: usize = 3;
pub const MAX_LEN: usize = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MailLocalError {
    #[error("3 to 30 characters")]
    Length,
    #[error("letters, digits, '.', '-', '_' only")]
    Characters,
    #[error("must start with a letter")]
    Start,
    #[error("no '..' and no '.' at the end")]
    Periods,
}

impl MailLocal {
    pub fn parse(input: &str) -> Result<MailLocal, MailLocalError> {
        let local = input.trim().to_ascii_lowercase();
        // Someone typing the whole address gets the same result as typing the local part.
        let local = local
            .strip_suffix(&format!("@{MAIL_DOMAIN}"))
            .map(str::to_owned)
            .unwrap_or(local);
        if !(MIN_LEN..=MAX_LEN).contains(&local.chars().count()) {
            return Err(MailLocalError::Length);
        }
        if !local
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        {
            return Err(MailLocalError::Characters);
        }
        if !local.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(MailLocalError::Start);
        }
        if local.contains("..") || local.ends_with('.') {
            return Err(MailLocalError::Periods);
        }
        Ok(MailLocal(local))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MailLocal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_local_parts_parse_and_fold_to_lower_case() {
        assert_eq!(
            MailLocal::parse("Taro.Docomo-2026").unwrap().as_str(),
            "taro.docomo-2026"
        );
        assert_eq!(MailLocal::parse("abc").unwrap().as_str(), "abc");
        assert_eq!(
            MailLocal::parse("abc_def@docomo.ne.jp").unwrap().as_str(),
            "abc_def"
        );
    }

    #[test]
    fn each_rule_is_enforced() {
        use MailLocalError::*;
        for (input, err) in [
            ("ab", Length),
            (&"a".repeat(31)[..], Length),
            ("taro+x", Characters),
            ("たろう", Characters),
            ("taro docomo", Characters),
            (".taro", Start),
            ("09012340001", Start),
            ("_taro", Start),
            ("taro..docomo", Periods),
            ("taro.", Periods),
        ] {
            assert_eq!(MailLocal::parse(input), Err(err), "{input:?}");
        }
    }
}
