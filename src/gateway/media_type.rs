//! The media type of a content provider's `Content-Type`, read strictly by
//! HTTP's grammar: `type "/" subtype *( OWS ";" OWS [ parameter ] )`, every
//! name a token and every parameter value a token or a quoted string.
//!
//! A value that is anything more or less than one media type (a second type
//! after a comma, a missing subtype, a stray character) has no single
//! reading: browsers resolve such values by rules of their own (Chromium
//! takes the last of several comma-separated types, so `text/plain;,text/html`
//! renders as HTML), so the gateway refuses the answer rather than guess.

use std::borrow::Cow;

/// One media type, checked whole; its parts are read from the value as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaType<'a> {
    /// `type/subtype` as written.
    essence: &'a [u8],
    /// The rest: the parameters, already checked.
    params: &'a [u8],
}

/// The characters of a token (`tchar`).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Optional white space: spaces and tabs.
fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// One parameter as written: its name, its value (between the quotes, if
/// quoted, escapes still in) and whether it was quoted. An empty parameter
/// (`text/html;`) has an empty name.
struct Param<'a> {
    name: &'a [u8],
    value: &'a [u8],
    quoted: bool,
}

/// A reader over a header value.
struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.i += usize::from(hit);
        hit
    }

    fn ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.i += 1;
        }
    }

    /// A token of at least one character.
    fn token(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        (self.i > start).then(|| &self.s[start..self.i])
    }

    /// A quoted string, the reader on its opening quote: the text between
    /// the quotes as written (backslash escapes still in).
    fn quoted(&mut self) -> Option<&'a [u8]> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.i;
        loop {
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return Some(&self.s[start..self.i - 1]);
                }
                // A quoted pair: any visible character, space, tab or obs-text.
                b'\\' => match self.s.get(self.i + 1)? {
                    b'\t' | b' '..=b'~' | 0x80..=0xff => self.i += 2,
                    _ => return None,
                },
                // qdtext
                b'\t' | b' ' | b'!' | b'#'..=b'[' | b']'..=b'~' | 0x80..=0xff => self.i += 1,
                _ => return None,
            }
        }
    }

    /// The next parameter after the subtype: `Some(None)` at the end,
    /// `None` at anything that is not a parameter.
    fn parameter(&mut self) -> Option<Option<Param<'a>>> {
        self.ows();
        if self.peek().is_none() {
            return Some(None);
        }
        if !self.eat(b';') {
            return None;
        }
        self.ows();
        // An empty parameter (`text/html;` or `;;`) is allowed.
        if matches!(self.peek(), None | Some(b';')) {
            let empty = &self.s[self.i..self.i];
            return Some(Some(Param {
                name: empty,
                value: empty,
                quoted: false,
            }));
        }
        let name = self.token()?;
        if !self.eat(b'=') {
            return None;
        }
        let quoted = self.peek() == Some(b'"');
        let value = if quoted {
            self.quoted()?
        } else {
            self.token()?
        };
        Some(Some(Param {
            name,
            value,
            quoted,
        }))
    }
}

impl<'a> MediaType<'a> {
    /// The value of a `Content-Type` line if it is exactly one media type
    /// (white space around it aside).
    pub fn parse(value: &'a [u8]) -> Option<MediaType<'a>> {
        let start = value.iter().position(|&b| !is_ows(b))?;
        let end = value.iter().rposition(|&b| !is_ows(b))? + 1;
        let mut r = Reader {
            s: &value[start..end],
            i: 0,
        };
        r.token()?;
        if !r.eat(b'/') {
            return None;
        }
        r.token()?;
        let essence = &r.s[..r.i];
        let params_at = r.i;
        while r.parameter()?.is_some() {}
        Some(MediaType {
            essence,
            params: &r.s[params_at..],
        })
    }

    /// Whether this is `essence` (`type/subtype`, lower case), in any letter case.
    pub fn is(&self, essence: &str) -> bool {
        self.essence.eq_ignore_ascii_case(essence.as_bytes())
    }

    /// The first parameter named `name` (any case), its quotes and escapes
    /// taken away.
    pub fn param(&self, name: &str) -> Option<Cow<'a, [u8]>> {
        let mut r = Reader {
            s: self.params,
            i: 0,
        };
        while let Some(Some(Param {
            name: n,
            value,
            quoted,
        })) = r.parameter()
        {
            if !n.eq_ignore_ascii_case(name.as_bytes()) {
                continue;
            }
            if !quoted || !value.contains(&b'\\') {
                return Some(Cow::Borrowed(value));
            }
            let mut out = Vec::with_capacity(value.len());
            let mut bytes = value.iter();
            while let Some(&b) = bytes.next() {
                match b {
                    b'\\' => out.extend(bytes.next()),
                    b => out.push(b),
                }
            }
            return Some(Cow::Owned(out));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Option<MediaType<'_>> {
        MediaType::parse(s.as_bytes())
    }

    #[test]
    fn one_media_type_is_read_with_its_parameters() {
        for ok in [
            "text/html",
            "TEXT/HTML; Charset=UTF-8",
            "text/plain;charset=Shift_JIS",
            "text/plain ; charset=\"euc-jp\"; format=flowed",
            "text/html;",
            "text/html;;charset=utf-8",
            "text/html; charset=utf-8;",
            "  text/html\t",
            "image/gif; name=\"a;b,c\\\"d\"",
            "application/xhtml+xml",
            "text/plain; x=\"\u{e9}\"",
        ] {
            assert!(parse(ok).is_some(), "{ok:?} is one media type");
        }
        let t = parse("TEXT/Plain ; Charset=\"euc\\-jp\"; charset=utf-8").unwrap();
        assert!(t.is("text/plain") && !t.is("text/html"));
        assert_eq!(t.param("CHARSET").as_deref(), Some(&b"euc-jp"[..]));
        assert_eq!(t.param("format"), None);
        let g = parse("image/gif; name=\"a;b,c\\\"d\"; x=1").unwrap();
        assert_eq!(g.param("name").as_deref(), Some(&b"a;b,c\"d"[..]));
        assert_eq!(g.param("x").as_deref(), Some(&b"1"[..]));
    }

    #[test]
    fn anything_more_or_less_than_one_media_type_is_not_one() {
        for bad in [
            "",
            "   ",
            "text",
            "text/",
            "/html",
            "text/html/x",
            "text /html",
            "text/ html",
            "text/plain;,text/html",
            "text/html, text/plain",
            "text/plain,",
            ",text/plain",
            "text/plain; charset=utf-8, text/html",
            "text/plain; charset",
            "text/plain; charset=",
            "text/plain; charset =utf-8",
            "text/plain; charset= utf-8",
            "text/plain; =utf-8",
            "text/plain; charset=\"utf-8",
            "text/plain; charset=\"utf-8\"x",
            "text/plain; charset=utf 8",
            "text/plain; charset=utf-8 x",
            "text/h(tml)",
            "text/html; a=\"\u{1}\"",
            "text/html\u{0}",
            "text/html; charset=utf-8\r\n",
            "text/plain; a=\"\\\"",
        ] {
            assert_eq!(parse(bad), None, "{bad:?} is not one media type");
        }
    }
}
