//! Outbox messages as RFC 5322 text. Japanese is sent as UTF-8: the subject as
//! a MIME encoded-word (RFC 2047, base64) and the body base64-encoded with
//! `Content-Type: text/plain; charset=UTF-8` (RFC 2045), so every line is ASCII.

use crate::store::mail::Outgoing;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The longest header line (RFC 5322's limit for a line a person may read).
const LINE: usize = 78;
/// What every encoded-word adds around its base64: `=?UTF-8?B?` and `?=`.
const WORD_OVERHEAD: usize = 12;

/// A header field with an unstructured value (a subject), `Name: value`,
/// no line over 78 characters. Plain printable ASCII that fits on the line
/// stays as it is; anything else — characters beyond ASCII, controls, an
/// `=?` that a mail reader would decode as if it were an encoded-word, or
/// text too long for the line — goes as encoded-words (RFC 2047, base64 of
/// UTF-8) of whole characters, one a line, each line within the limit.
fn unstructured(name: &str, value: &str) -> String {
    let first = name.len() + 2;
    let plain = value.bytes().all(|b| (0x20..0x7f).contains(&b)) && !value.contains("=?");
    if plain && first + value.len() <= LINE {
        return format!("{name}: {value}");
    }
    let mut out = format!("{name}:");
    let mut chunk = String::new();
    // The first word follows `Name: `, the others a folding space.
    let mut room = payload_bytes(first);
    for c in value.chars() {
        if chunk.len() + c.len_utf8() > room {
            out.push(' ');
            out.push_str(&encoded_word(&chunk));
            out.push_str("\r\n");
            chunk.clear();
            room = payload_bytes(1);
        }
        chunk.push(c);
    }
    out.push(' ');
    out.push_str(&encoded_word(&chunk));
    out
}

/// How many bytes of text one encoded-word may carry after `prefix` characters.
fn payload_bytes(prefix: usize) -> usize {
    // base64 is 4 characters for every 3 bytes.
    (LINE - prefix - WORD_OVERHEAD) / 4 * 3
}

fn encoded_word(text: &str) -> String {
    format!("=?UTF-8?B?{}?=", base64(text.as_bytes()))
}

/// Text with every line break as CRLF (a lone CR or LF included), as a
/// text body's canonical form is.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

/// The full message with CRLF line ends.
pub fn render(m: &Outgoing) -> String {
    let date = chrono::DateTime::parse_from_rfc3339(&m.at)
        .map(|d| d.to_rfc2822())
        .unwrap_or_default();
    let encoded = base64(crlf(&m.body).as_bytes());
    let body: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "Date: {date}\r\nFrom: {}\r\nTo: {}\r\n{}\r\nMessage-ID: <{}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        m.from,
        m.to,
        unstructured("Subject", &m.subject),
        m.message_id,
        body.join("\r\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn a_japanese_message_is_all_ascii_and_decodes_back() {
        let m = Outgoing {
            id: 7,
            at: "2026-11-25T03:00:00Z".into(),
            from: "info@docomo.ne.jp".into(),
            to: "member@example.com".into(),
            subject: "パスワード再設定のご案内".into(),
            body: "以下のURLから再設定してください。".into(),
            message_id: "1795575600.0123456789abcdef0123456789abcdef@garake.invalid".into(),
            relay: crate::store::mail::RelayState {
                state: "off".into(),
                attempts: 0,
                last_error: None,
            },
        };
        let raw = render(&m);
        assert!(raw.is_ascii());
        assert!(raw.contains("Subject: =?UTF-8?B?"));
        assert!(raw.contains(
            "Message-ID: <1795575600.0123456789abcdef0123456789abcdef@garake.invalid>\r\n"
        ));
        assert!(raw.contains("Content-Type: text/plain; charset=UTF-8\r\n"));
        assert!(raw.contains("Date: Wed, 25 Nov 2026 03:00:00 +0000\r\n"));
        assert!(raw.lines().all(|l| l.len() <= 78), "{raw}");
        assert!(raw.contains(&base64("以下のURLから再設定してください。".as_bytes())));
    }

    #[test]
    fn plain_ascii_subjects_are_left_alone() {
        assert_eq!(unstructured("Subject", "Hello"), "Subject: Hello");
    }

    /// The text of a field's encoded-words, decoded again.
    fn decode_words(field: &str) -> String {
        let value = field.split_once(':').unwrap().1;
        let mut bytes = Vec::new();
        for word in value.split_whitespace() {
            let b64 = word
                .strip_prefix("=?UTF-8?B?")
                .and_then(|w| w.strip_suffix("?="))
                .unwrap_or_else(|| panic!("not an encoded-word: {word}"));
            let mut bits = 0u32;
            let mut n = 0;
            for c in b64.bytes().filter(|c| *c != b'=') {
                bits = (bits << 6) | B64.iter().position(|b| *b == c).unwrap() as u32;
                n += 6;
                if n >= 8 {
                    n -= 8;
                    bytes.push((bits >> n) as u8);
                    bits &= (1 << n) - 1;
                }
            }
        }
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_subject_that_looks_encoded_is_encoded_so_it_reads_as_written() {
        // Sent as it is, a mail reader would show this as 偽本.
        let field = unstructured("Subject", "=?UTF-8?B?5YG95pys?=");
        assert!(field.starts_with("Subject: =?UTF-8?B?"), "{field}");
        assert_eq!(decode_words(&field), "=?UTF-8?B?5YG95pys?=");
    }

    #[test]
    fn every_header_line_stays_within_78_characters() {
        for subject in [
            "a".repeat(100),
            "パスワード再設定のご案内".repeat(4),
            "x".repeat(69),
            "ﾃｽﾄ\u{1F600}テスト".repeat(7),
        ] {
            let field = unstructured("Subject", &subject);
            for line in field.split("\r\n") {
                assert!(line.len() <= 78, "{} > 78: {line}", line.len());
            }
            if field.contains("=?") {
                assert_eq!(decode_words(&field), subject);
            } else {
                assert_eq!(field, format!("Subject: {subject}"));
            }
        }
    }

    #[test]
    fn a_body_goes_with_crlf_line_ends_whatever_it_was_written_with() {
        assert_eq!(crlf("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd");
    }
}
