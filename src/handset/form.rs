//! Form bodies and query strings in the page's charset.
//!
//! axum's `Form` assumes UTF-8, but a DoCoMo handset percent-encodes Shift_JIS
//! bytes, so the body is percent-decoded to bytes first and then decoded strictly
//! in the charset of the page that carried the form.

use super::charset::Charset;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("broken percent-encoding")]
    BadPercent,
    #[error("bytes that do not decode in the page's charset")]
    Undecodable,
    #[error("a field was sent more than once")]
    Duplicate,
}

/// Decoded `name=value` pairs.
#[derive(Debug, Default)]
pub struct FormData {
    pairs: Vec<(String, String)>,
}

impl FormData {
    /// Parses `application/x-www-form-urlencoded` bytes in `charset`.
    pub fn parse(body: &[u8], charset: Charset) -> Result<FormData, FormError> {
        let mut pairs = Vec::new();
        for part in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match part.iter().position(|b| *b == b'=') {
                Some(i) => (&part[..i], &part[i + 1..]),
                None => (part, &b""[..]),
            };
            let name = charset
                .decode_strict(&percent_decode(name)?)
                .ok_or(FormError::Undecodable)?;
            let value = charset
                .decode_strict(&percent_decode(value)?)
                .ok_or(FormError::Undecodable)?;
            pairs.push((name, value));
        }
        Ok(FormData { pairs })
    }

    /// The single value of `name`; a field sent twice is an error, not a guess.
    pub fn get(&self, name: &str) -> Result<Option<&str>, FormError> {
        let mut found = self.pairs.iter().filter(|(n, _)| n == name);
        let first = found.next().map(|(_, v)| v.as_str());
        if found.next().is_some() {
            return Err(FormError::Duplicate);
        }
        Ok(first)
    }

    /// Every field in the order sent.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of `name`, or "" when absent.
    pub fn text(&self, name: &str) -> Result<&str, FormError> {
        Ok(self.get(name)?.unwrap_or(""))
    }
}

/// Strict percent-decoding: `+` is a space, `%` must be followed by two hex digits.
fn percent_decode(input: &[u8]) -> Result<Vec<u8>, FormError> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = input.get(i + 1..i + 3).ok_or(FormError::BadPercent)?;
                let hi = (hex[0] as char).to_digit(16).ok_or(FormError::BadPercent)?;
                let lo = (hex[1] as char).to_digit(16).ok_or(FormError::BadPercent)?;
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_jis_percent_encoded_values_decode() {
        // "テスト" in Shift_JIS is 83 65 83 58 83 67.
        let form = FormData::parse(b"to=a%40b.jp&subject=%83e%83X%83g", Charset::ShiftJis).unwrap();
        assert_eq!(form.get("subject").unwrap(), Some("テスト"));
        assert_eq!(form.get("to").unwrap(), Some("a@b.jp"));
        assert_eq!(form.get("missing").unwrap(), None);
    }

    #[test]
    fn plus_is_space_and_empty_values_are_kept() {
        let form = FormData::parse(b"a=x+y&b=&c", Charset::Utf8).unwrap();
        assert_eq!(form.text("a").unwrap(), "x y");
        assert_eq!(form.get("b").unwrap(), Some(""));
        assert_eq!(form.get("c").unwrap(), Some(""));
    }

    #[test]
    fn broken_percent_encoding_is_an_error() {
        for bad in [&b"pin=%"[..], b"pin=%4", b"pin=%zz", b"p%G0=1"] {
            assert_eq!(
                FormData::parse(bad, Charset::Utf8).unwrap_err(),
                FormError::BadPercent
            );
        }
    }

    #[test]
    fn undecodable_bytes_are_an_error() {
        assert_eq!(
            FormData::parse(b"pin=%82", Charset::ShiftJis).unwrap_err(),
            FormError::Undecodable
        );
        assert_eq!(
            FormData::parse(b"pin=%FF", Charset::Utf8).unwrap_err(),
            FormError::Undecodable
        );
    }

    #[test]
    fn duplicated_fields_are_refused() {
        let form = FormData::parse(b"pin=1111&pin=2222", Charset::Utf8).unwrap();
        assert_eq!(form.get("pin").unwrap_err(), FormError::Duplicate);
    }
}
