//! `Pin`: a 4-digit i-mode password or network PIN as typed on a handset.

use std::fmt;

/// Exactly four ASCII digits. Full-width digits (０–９), which Japanese handsets
/// often send, are normalised first; everything else is refused.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("not exactly four digits")]
    Format,
}

impl Pin {
    pub fn parse(input: &str) -> Result<Pin, PinError> {
        let normalised: String = input
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                other => other,
            })
            .collect();
        if normalised.len() == 4 && normalised.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Pin(normalised))
        } else {
            Err(PinError::Format)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

// Never print a secret, even by accident in a log line.
impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_ascii_digits_parse() {
        assert_eq!(Pin::parse("0000").unwrap().expose(), "0000");
        assert_eq!(Pin::parse(" 2580 ").unwrap().expose(), "2580");
    }

    #[test]
    fn full_width_digits_are_normalised() {
        assert_eq!(Pin::parse("１２３４").unwrap().expose(), "1234");
        assert_eq!(Pin::parse("12３４").unwrap().expose(), "1234");
    }

    #[test]
    fn anything_but_four_digits_is_refused() {
        for bad in ["", "123", "12345", "12a4", "abcd", "12 4", "١٢٣٤", "1.23"] {
            assert_eq!(Pin::parse(bad), Err(PinError::Format), "{bad:?}");
        }
    }

    #[test]
    fn debug_output_hides_the_digits() {
        assert_eq!(format!("{:?}", Pin::parse("2580").unwrap()), "Pin(****)");
    }
}
