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

    /// The `Content-Type` of an HTML page written in this charset.
    pub fn html_content_type(self) -> &'static str {
        match self {
            Charset::ShiftJis => "text/html; charset=Shift_JIS",
            Charset::Utf8 => "text/html; charset=UTF-8",
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

/// 〓 in Shift_JIS.
const GETA_SJIS: [u8; 2] = [0x81, 0xAC];

/// Characters whose Shift_JIS form differs by encoder: the JIS-era mapping
/// (as Shift_JIS handsets and most Japanese text use it) and the WHATWG one
/// (encoding_rs) give different code points for the same Shift_JIS bytes.
/// Each is written as its WHATWG twin's bytes, the character the handset
/// shows there, instead of 〓.
const TWINS: [(char, char); 7] = [
    ('\u{301C}', '\u{FF5E}'), // 〜 wave dash → 0x8160
    ('\u{2016}', '\u{2225}'), // ‖ double vertical line → 0x8161
    ('\u{2212}', '\u{FF0D}'), // − minus sign → 0x817C
    ('\u{00A2}', '\u{FFE0}'), // ¢ → 0x8191
    ('\u{00A3}', '\u{FFE1}'), // £ → 0x8192
    ('\u{00AC}', '\u{FFE2}'), // ¬ → 0x81CA
    ('\u{2014}', '\u{2015}'), // — em dash → 0x815C
];

/// The Shift_JIS bytes of a character the WHATWG encoder refuses but whose
/// twin it knows.
fn twin_bytes(c: char) -> Option<[u8; 2]> {
    let twin = TWINS.iter().find(|(from, _)| *from == c)?.1;
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(twin.encode_utf8(&mut buf));
    match (&*bytes, unmappable) {
        (&[lead, trail], false) => Some([lead, trail]),
        _ => None,
    }
}

/// Encodes a rendered page for a handset with every pictogram.
pub fn encode_page(html: &str, charset: Charset) -> Vec<u8> {
    encode_page_for(html, charset, super::pictograms::Pictograms::Extended)
}

/// Encodes a rendered page. In Shift_JIS, a pictogram the handset has is
/// written in the user-defined area (the WHATWG encoder refuses it, so by
/// hand), and any other character Shift_JIS cannot carry, a pictogram of a
/// set the handset lacks included, becomes 〓, as the handset showed it.
pub fn encode_page_for(
    html: &str,
    charset: Charset,
    pictograms: super::pictograms::Pictograms,
) -> Vec<u8> {
    use encoding_rs::EncoderResult;
    match charset {
        Charset::Utf8 => html.as_bytes().to_vec(),
        Charset::ShiftJis => {
            let mut encoder = encoding_rs::SHIFT_JIS.new_encoder();
            let mut out = Vec::with_capacity(html.len() + 16);
            let mut rest = html;
            let mut buf = [0u8; 1024];
            loop {
                let (result, read, written) =
                    encoder.encode_from_utf8_without_replacement(rest, &mut buf, true);
                out.extend_from_slice(&buf[..written]);
                rest = &rest[read..];
                match result {
                    EncoderResult::InputEmpty => break,
                    EncoderResult::OutputFull => {}
                    EncoderResult::Unmappable(c) => {
                        if let Some(bytes) = twin_bytes(c) {
                            out.extend_from_slice(&bytes);
                            continue;
                        }
                        let shown = match super::pictograms::of(c) {
                            Some(p)
                                if pictograms == super::pictograms::Pictograms::Extended
                                    || (pictograms == super::pictograms::Pictograms::Basic
                                        && !p.extended) =>
                            {
                                true
                            }
                            Some(_) => false,
                            None => {
                                EUDC.contains(&c)
                                    && pictograms != super::pictograms::Pictograms::None
                            }
                        };
                        if shown {
                            out.extend_from_slice(&eudc_bytes(c));
                        } else {
                            out.extend_from_slice(&GETA_SJIS);
                        }
                    }
                }
            }
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
    fn what_shift_jis_cannot_carry_becomes_geta_never_a_character_reference() {
        let bytes = encode_page("a😀b\u{00E9}", Charset::ShiftJis);
        assert_eq!(bytes, [b'a', 0x81, 0xAC, b'b', 0x81, 0xAC]);
        assert!(!String::from_utf8_lossy(&bytes).contains("&#"));
        // An extended pictogram (F9B1 = U+E70C) on a handset with the basic set only.
        let basic = encode_page_for(
            "\u{E70C}\u{E63E}",
            Charset::ShiftJis,
            crate::handset::Pictograms::Basic,
        );
        assert_eq!(basic, [0x81, 0xAC, 0xF8, 0x9F]);
        let extended = encode_page_for(
            "\u{E70C}",
            Charset::ShiftJis,
            crate::handset::Pictograms::Extended,
        );
        assert_eq!(extended, [0xF9, 0xB1]);
        // A long page with a character to replace across the buffer boundary.
        let long = format!("{}😀{}", "あ".repeat(700), "い".repeat(700));
        let encoded = encode_page(&long, Charset::ShiftJis);
        assert_eq!(encoded.len(), 2 * 1401);
    }

    #[test]
    fn characters_whose_shift_jis_form_differs_by_encoder_reach_the_handset_as_themselves() {
        let bytes = encode_page("3〜30文字‖−¢£¬—", Charset::ShiftJis);
        assert_eq!(
            bytes,
            [
                b'3', 0x81, 0x60, b'3', b'0', 0x95, 0xB6, 0x8E, 0x9A, 0x81, 0x61, 0x81, 0x7C, 0x81,
                0x91, 0x81, 0x92, 0x81, 0xCA, 0x81, 0x5C
            ]
        );
        assert!(!bytes.windows(2).any(|w| w == GETA_SJIS), "no 〓");
        // And they read back as the characters the handset shows.
        assert_eq!(
            Charset::ShiftJis.decode_strict(&bytes).unwrap(),
            "3～30文字∥－￠￡￢―"
        );
    }

    #[test]
    fn invalid_bytes_do_not_decode() {
        assert!(Charset::ShiftJis.decode_strict(&[0x82]).is_none());
        assert!(Charset::Utf8.decode_strict(&[0xff, 0xfe]).is_none());
    }
}
