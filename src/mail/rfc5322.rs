//! Outbox messages as RFC 5322 text. Japanese is sent as UTF-8: the subject as
//! a MIME encoded-word (RFC 2047, base64) and the body base64-encoded with
//! `Content-Type: text/plain; charset=UTF-8` (RFC 2045), so every line is ASCII.

use super::store::Outgoing;

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

/// An unstructured header value: as-is if plain ASCII, else encoded-words of
/// whole characters, each short enough for a 78-column line.
fn header_text(value: &str) -> String {
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return value.to_string();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in value.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// The full message with CRLF line ends.
pub fn render(m: &Outgoing) -> String {
    let date = chrono::DateTime::parse_from_rfc3339(&m.at)
        .map(|d| d.to_rfc2822())
        .unwrap_or_default();
    let encoded = base64(m.body.as_bytes());
    let body: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "Date: {date}\r\nFrom: {}\r\nTo: {}\r\nSubject: {}\r\nMessage-ID: <{}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        m.from,
        m.to,
        header_text(&m.subject),
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
            relay: crate::mail::store::RelayState {
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
        assert_eq!(header_text("Hello"), "Hello");
    }
}
