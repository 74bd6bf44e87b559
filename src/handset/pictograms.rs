//! docomo's 252 i-mode pictograms (絵文字) as data (`pictograms.tsv`): the
//! Shift_JIS code, the private-use code point the WHATWG Shift_JIS decoder
//! gives it, its set (basic 176, extended 76) and its names. Pages and mail
//! carry pictograms as those code points; what leaves the carrier carries
//! `〓` in their place.

use std::collections::HashMap;
use std::sync::OnceLock;

/// One pictogram.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pictogram {
    /// The two Shift_JIS bytes, e.g. 0xF89F.
    pub sjis: u16,
    /// The code point in a Rust string, e.g. U+E63E.
    #[serde(serialize_with = "as_hex")]
    pub unicode: char,
    pub extended: bool,
    pub name_ja: &'static str,
    pub name_en: &'static str,
    /// The standard Unicode character or sequence for the same symbol, as a
    /// PC shows it (the eight carrier marks have none).
    pub equivalent: Option<String>,
    /// What the emulator writes in a badge for a pictogram without an equivalent.
    pub mark: Option<&'static str>,
}

fn as_hex<S: serde::Serializer>(c: &char, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{:04X}", *c as u32))
}

/// The geta mark (〓) a handset or a mail shows for a character it cannot carry.
pub const GETA: char = '\u{3013}';

const DATA: &str = include_str!("pictograms.tsv");

struct Table {
    all: Vec<Pictogram>,
    by_char: HashMap<char, usize>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let all: Vec<Pictogram> = DATA
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|line| {
                let f: Vec<&'static str> = line.split('\t').collect();
                let hex = |s: &str| {
                    u32::from_str_radix(s, 16).expect("pictograms.tsv is checked by a test")
                };
                Pictogram {
                    sjis: hex(f[0]) as u16,
                    unicode: char::from_u32(hex(f[1])).expect("a private-use code point"),
                    extended: f[2] == "extended",
                    name_ja: f[3],
                    name_en: f[4],
                    equivalent: (f[5] != "-").then(|| {
                        f[5].split(' ')
                            .map(|h| char::from_u32(hex(h)).expect("a Unicode scalar"))
                            .collect()
                    }),
                    mark: (f[6] != "-").then_some(f[6]),
                }
            })
            .collect();
        let by_char = all
            .iter()
            .enumerate()
            .map(|(i, p)| (p.unicode, i))
            .collect();
        Table { all, by_char }
    })
}

/// Every pictogram, in Shift_JIS order.
pub fn all() -> &'static [Pictogram] {
    &table().all
}

/// The pictogram a character is, if it is one.
pub fn of(c: char) -> Option<&'static Pictogram> {
    // Pictograms sit in U+E63E..=U+E757; a cheap test first.
    if !('\u{E63E}'..='\u{E757}').contains(&c) {
        return None;
    }
    table().by_char.get(&c).map(|i| &table().all[*i])
}

/// The table as the emulator draws it: `{"E63E": ["☀", "Fine", "晴れ"], …}`
/// (a badge text instead of a character for the carrier marks).
pub fn drawing_json() -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = all()
        .iter()
        .map(|p| {
            let face = p.equivalent.as_deref().or(p.mark).unwrap_or("?");
            (
                format!("{:04X}", p.unicode as u32),
                serde_json::json!([face, p.name_en, p.name_ja, p.equivalent.is_none()]),
            )
        })
        .collect();
    serde_json::Value::Object(map)
}

/// `text` with every pictogram replaced by 〓 (mail leaving the carrier).
pub fn to_geta(text: &str) -> String {
    text.chars()
        .map(|c| if of(c).is_some() { GETA } else { c })
        .collect()
}

/// Which docomo pictograms a handset shows: none (a PC), the 176 basic ones,
/// or basic and the 76 extended (i-mode HTML 4.0 and later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pictograms {
    None,
    Basic,
    Extended,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The WHATWG Shift_JIS decoder's mapping of the user-defined area.
    fn whatwg(sjis: u16) -> char {
        let (lead, trail) = ((sjis >> 8) as u32, (sjis & 0xFF) as u32);
        let pointer = (lead - if lead < 0xA0 { 0x81 } else { 0xC1 }) * 188
            + (trail - if trail < 0x7F { 0x40 } else { 0x41 });
        char::from_u32(0xE000 + pointer - 8836).unwrap()
    }

    #[test]
    fn all_252_are_there_176_basic_and_76_extended() {
        assert_eq!(all().len(), 252);
        assert_eq!(all().iter().filter(|p| !p.extended).count(), 176);
        assert_eq!(all().iter().filter(|p| p.extended).count(), 76);
        let codes: std::collections::HashSet<u16> = all().iter().map(|p| p.sjis).collect();
        assert_eq!(codes.len(), 252, "no code twice");
        assert!(all()
            .iter()
            .all(|p| !p.name_ja.is_empty() && !p.name_en.is_empty()));
        // Every one can be drawn on a PC: a Unicode equivalent or a badge.
        assert_eq!(all().iter().filter(|p| p.equivalent.is_some()).count(), 244);
        assert!(all()
            .iter()
            .all(|p| p.equivalent.is_some() != p.mark.is_some()));
        assert_eq!(
            of('\u{E63E}').unwrap().equivalent.as_deref(),
            Some("\u{2600}")
        );
        assert_eq!(
            of('\u{E6E2}').unwrap().equivalent.as_deref(),
            Some("1\u{20E3}")
        );
        assert_eq!(drawing_json().as_object().unwrap().len(), 252);
    }

    #[test]
    fn every_code_point_is_what_the_shift_jis_decoder_gives() {
        for p in all() {
            assert_eq!(p.unicode, whatwg(p.sjis), "{:04X}", p.sjis);
            let bytes = [(p.sjis >> 8) as u8, p.sjis as u8];
            let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
            assert!(!bad && text.starts_with(p.unicode), "{:04X}", p.sjis);
        }
        // The keycaps 1–9, 0 the menus print.
        assert_eq!(of('\u{E6E2}').unwrap().sjis, 0xF987);
        assert_eq!(of('\u{E6EB}').unwrap().sjis, 0xF990);
        assert_eq!(of('\u{E63E}').unwrap().name_en, "Fine");
    }

    #[test]
    fn pictograms_become_geta_leaving_the_carrier() {
        assert_eq!(to_geta("晴れ\u{E63E}です"), "晴れ〓です");
        assert_eq!(to_geta("plain"), "plain");
        assert!(of('a').is_none() && of('\u{E000}').is_none());
    }
}
