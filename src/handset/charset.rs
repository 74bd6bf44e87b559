//! Page encoding: Shift_JIS for DoCoMo handsets, UTF-8 for PCs.

/// The charset a page is written in and its forms are read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Charset {
    ShiftJis,
    Utf8,
}

impl Charset {
    /// The name used in `Content-Type` and `<meta>`.
    pub fn name(self) -> &'static str {
        match self {
            Charset::ShiftJis => "Shift_JIS",
            Charset::Utf8 => "UTF-8",
        }
    }

    /// Decodes form bytes strictly: `None` if any byte sequence is invalid.
    pub fn decode_strict(self, bytes: &[u8]) -> Option<String> {
        match self {
            Charset::Utf8 => std::str::from_utf8(bytes).ok().map(str::to_owned),
            Charset::ShiftJis => encoding_rs::SHIFT_JIS
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|s| s.into_owned()),
        }
    }
}

/// The user-defined area of Shift_JIS (F040–F9FC) as the WHATWG decoder maps it:
/// docomo put its pictograms there (U+E63E… ↔ F89F…).
const EUDC: std::ops::RangeInclusive<char> = '\u{E000}'..='\u{E757}';

/// Encodes a rendered page. Characters Shift_JIS cannot hold become numeric
/// character references, which handsets show as-is rather than as mojibake.
pub fn encode_page(html: &str, charset: Charset) -> Vec<u8> {
    match charset {
        Charset::Utf8 => html.as_bytes().to_vec(),
        Charset::ShiftJis => {
            // The WHATWG encoder refuses the user-defined area, so pictograms are
            // written by hand and the text between them by encoding_rs.
            let mut out = Vec::with_capacity(html.len());
            let mut rest = html;
            while let Some(at) = rest.find(|c| EUDC.contains(&c)) {
                out.extend_from_slice(&encoding_rs::SHIFT_JIS.encode(&rest[..at]).0);
                let c = rest[at..]
                    .chars()
                    .next()
                    .expect("found a char at this index");
                out.extend_from_slice(&eudc_bytes(c));
                rest = &rest[at + c.len_utf8()..];
            }
            out.extend_from_slice(&encoding_rs::SHIFT_JIS.encode(rest).0);
            out
        }
    }
}

/// The two Shift_JIS bytes of a user-defined-area character (WHATWG pointer maths).
fn eudc_bytes(c: char) -> [u8; 2] {
    let pointer = c as u32 - 0xE000 + 8836;
    let (lead, trail) = (pointer / 188, pointer % 188);
    let lead = lead + if lead < 0x1F { 0x81 } else { 0xC1 };
    let trail = trail + if trail < 0x3F { 0x40 } else { 0x41 };
    [lead as u8, trail as u8]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_round_trips_through_shift_jis() {
        let text = "iモードパスワード変更";
        let bytes = encode_page(text, Charset::ShiftJis);
        assert_eq!(bytes.len(), 1 + 10 * 2);
        assert_eq!(Charset::ShiftJis.decode_strict(&bytes).unwrap(), text);
    }

    #[test]
    fn pictograms_round_trip_through_the_user_defined_area() {
        let text = "a\u{E6E2}b\u{E63E}";
        let bytes = encode_page(text, Charset::ShiftJis);
        assert_eq!(bytes, [b'a', 0xF9, 0x87, b'b', 0xF8, 0x9F]);
        assert_eq!(Charset::ShiftJis.decode_strict(&bytes).unwrap(), text);
    }

    #[test]
    fn invalid_bytes_do_not_decode() {
        assert!(Charset::ShiftJis.decode_strict(&[0x82]).is_none());
        assert!(Charset::Utf8.decode_strict(&[0xff, 0xfe]).is_none());
    }
}
