//! An HTML tokenizer over a page's own bytes: the gateway's sanitizer and
//! the report of tags a handset's HTML version lacks read pages with it.
//!
//! It follows the HTML tokenizer's rules for the parts a sanitizer depends
//! on: where a tag starts and ends, its name, its attributes (quoted,
//! single-quoted, unquoted, or without a value; a repeated attribute is
//! ignored as a browser ignores it), comments, doctypes and bogus comments,
//! and the elements whose content is not markup (`script` with its escape
//! rules, `style`, `textarea`, `title`, `xmp`, `iframe`, `noembed`,
//! `noframes`, `plaintext`). A tag cut off by the end of the page is dropped,
//! as a browser drops it.
//!
//! It reads bytes, not characters: every encoding a page may come in here is
//! ASCII-compatible (Shift_JIS, EUC-JP, UTF-8), so the bytes that delimit
//! markup (`<`, `>`, quotes, `=`, `/`, white space, all below 0x40) never
//! occur inside a multi-byte character. That keeps the page's bytes as they
//! are wherever nothing is changed, and costs one pass with no decoding.

/// One attribute as written: its name and raw value (entities undecoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr<'a> {
    pub name: &'a [u8],
    pub value: Option<&'a [u8]>,
    /// `"` or `'` for a quoted value, `None` for an unquoted one or none.
    pub quote: Option<u8>,
}

impl Attr<'_> {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

/// What the page is made of, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// Text, with its entities as written.
    Text(&'a [u8]),
    /// A start tag, `raw` as written from `<` to `>`; its attributes are
    /// `Lexer::attrs` until the next call. `repeated` says an attribute was
    /// written twice (only its first is there).
    Start {
        name: &'a [u8],
        self_closing: bool,
        repeated: bool,
        raw: &'a [u8],
    },
    /// An end tag; `plain` when it is exactly `</name>`.
    End {
        name: &'a [u8],
        plain: bool,
        raw: &'a [u8],
    },
    /// A comment, a doctype, a processing instruction or a bogus comment,
    /// as written (a browser shows none of them).
    Other(&'a [u8]),
    /// The content of the raw-text element that just started, and its end
    /// tag (`end_name` is empty when the page ended first, before the end
    /// tag or inside it; `end_plain` when the end tag is exactly `</name>`).
    RawText {
        element: RawKind,
        content: &'a [u8],
        end_name: &'a [u8],
        end_plain: bool,
    },
}

/// The elements whose content is not markup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawKind {
    Script,
    Style,
    /// `textarea`, `title`: text with entities.
    Rcdata,
    /// `xmp`, `iframe`, `noembed`, `noframes`: text without entities.
    Rawtext,
    /// `plaintext`: everything to the end of the page.
    Plaintext,
}

impl RawKind {
    fn of(name: &[u8]) -> Option<RawKind> {
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        if is("script") {
            Some(RawKind::Script)
        } else if is("style") {
            Some(RawKind::Style)
        } else if is("textarea") || is("title") {
            Some(RawKind::Rcdata)
        } else if is("xmp") || is("iframe") || is("noembed") || is("noframes") {
            Some(RawKind::Rawtext)
        } else if is("plaintext") {
            Some(RawKind::Plaintext)
        } else {
            None
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// What ends a run inside a tag, by byte: a tag's name (white space, `/`,
/// `>`), an attribute's name (those and `=`), an unquoted value (white
/// space, `>`). One table lookup per byte of the tag.
const ENDS_TAG_NAME: u8 = 1;
const ENDS_ATTR_NAME: u8 = 2;
const ENDS_UNQUOTED: u8 = 4;
static ENDS: [u8; 256] = {
    let mut t = [0u8; 256];
    let spaces = [b'\t', b'\n', b'\x0c', b'\r', b' '];
    let mut i = 0;
    while i < spaces.len() {
        t[spaces[i] as usize] = ENDS_TAG_NAME | ENDS_ATTR_NAME | ENDS_UNQUOTED;
        i += 1;
    }
    t[b'/' as usize] = ENDS_TAG_NAME | ENDS_ATTR_NAME;
    t[b'>' as usize] = ENDS_TAG_NAME | ENDS_ATTR_NAME | ENDS_UNQUOTED;
    t[b'=' as usize] = ENDS_ATTR_NAME;
    t
};

/// Where the run from `i` ends: the first byte of class `ends`, or the end.
fn run_end(src: &[u8], mut i: usize, ends: u8) -> usize {
    while i < src.len() && ENDS[src[i] as usize] & ends == 0 {
        i += 1;
    }
    i
}

/// Where the first `b` at or after `from` is. Most runs a page has between
/// tags, and most quoted values, are a few bytes long: their first 32 bytes
/// are tried eight at a time in a word (a zero byte of `word ^ [b; 8]` is a
/// match), which costs less than setting up the vector search that takes
/// over for a longer one.
fn find(src: &[u8], from: usize, b: u8) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const SHORT: usize = 32;
    let rest = src.get(from..)?;
    let wanted = u64::from_ne_bytes([b; 8]);
    let mut i = 0;
    while i < SHORT {
        let Some(word) = rest.get(i..i + 8) else {
            // Fewer than eight bytes left: one by one.
            return rest[i..].iter().position(|&c| c == b).map(|j| from + i + j);
        };
        let x = u64::from_le_bytes(word.try_into().expect("eight bytes")) ^ wanted;
        // The lowest byte flagged is the first zero byte of `x` (borrows
        // only run upwards, so they can flag only bytes after it).
        let zero = x.wrapping_sub(ONES) & !x & HIGH;
        if zero != 0 {
            return Some(from + i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr(b, &rest[SHORT..]).map(|j| from + SHORT + j)
}

/// A tag as read: where its name is, its attributes and where it ends.
struct TagRead {
    name_end: usize,
    self_closing: bool,
    repeated: bool,
    /// Just past the `>`.
    end: usize,
}

/// Walks a page token by token.
pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    attrs: Vec<Attr<'a>>,
    /// The attribute names of a tag with many (see `seen`).
    names: std::collections::HashSet<Vec<u8>>,
    /// The raw-text element whose content comes next, with its name.
    raw: Option<(RawKind, &'a [u8])>,
    /// Whether text between tags is returned as tokens.
    text: bool,
    /// Where the token just returned starts.
    start: usize,
    /// How much of the page is read: the tokens so far and the text after
    /// them, not a tag the end of the page cut off.
    read: usize,
}

impl<'a> Lexer<'a> {
    /// Every token, text included.
    pub fn new(src: &'a [u8]) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            attrs: Vec::with_capacity(8),
            names: std::collections::HashSet::new(),
            raw: None,
            text: true,
            start: 0,
            read: 0,
        }
    }

    /// Only the markup: text between tags (and a `<` that opens nothing) is
    /// stepped over, for a reader that leaves text as it is.
    pub fn markup(src: &'a [u8]) -> Lexer<'a> {
        Lexer {
            text: false,
            ..Lexer::new(src)
        }
    }

    /// Where the token just returned starts.
    pub fn start(&self) -> usize {
        self.start
    }

    /// How much of the page has been read: up to the end of the last token,
    /// or at the end of the page, all of it but a tag the end cut off (which
    /// a browser drops).
    pub fn read(&self) -> usize {
        self.read
    }

    /// The attributes of the start tag just returned.
    pub fn attrs(&self) -> &[Attr<'a>] {
        &self.attrs
    }

    /// Where the next token starts (after the last one returned).
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// `<!…>`, `<?…>`, `</…>`: up to the first `>` (or the end of the page).
    fn bogus_comment(&mut self, lt: usize) -> Token<'a> {
        let end = memchr::memchr(b'>', &self.src[lt..]).map_or(self.src.len(), |i| lt + i + 1);
        self.pos = end;
        Token::Other(&self.src[lt..end])
    }

    /// `<!--…-->`, also ended by `--!>`; `<!-->` and `<!--->` are empty.
    fn comment(&mut self, lt: usize) -> Token<'a> {
        let src = self.src;
        let body = lt + 4;
        let end = if src[body..].starts_with(b">") {
            body + 1
        } else if src[body..].starts_with(b"->") {
            body + 2
        } else {
            let mut i = body;
            loop {
                match memchr::memchr(b'-', &src[i..]) {
                    None => break src.len(),
                    Some(d) => {
                        let at = i + d;
                        let rest = &src[at..];
                        if rest.starts_with(b"-->") {
                            break at + 3;
                        }
                        if rest.starts_with(b"--!>") {
                            break at + 4;
                        }
                        i = at + 1;
                    }
                }
            }
        };
        self.pos = end;
        Token::Other(&src[lt..end])
    }

    /// Reads a tag whose name starts at `at`, filling `self.attrs`; `None`
    /// when the page ends inside it.
    fn read_tag(&mut self, at: usize) -> Option<TagRead> {
        let src = self.src;
        self.attrs.clear();
        if !self.names.is_empty() {
            self.names.clear();
        }
        let mut i = run_end(src, at, ENDS_TAG_NAME);
        let name_end = i;
        let mut repeated = false;
        let mut self_closing = false;
        loop {
            // Before an attribute's name.
            while i < src.len() && is_space(src[i]) {
                i += 1;
            }
            match *src.get(i)? {
                b'>' => {
                    return Some(TagRead {
                        name_end,
                        self_closing,
                        repeated,
                        end: i + 1,
                    })
                }
                b'/' => {
                    i += 1;
                    if src.get(i) == Some(&b'>') {
                        self_closing = true;
                    }
                    continue;
                }
                _ => {}
            }
            self_closing = false;
            // The name: a first `=` belongs to it.
            let name_start = i;
            i = run_end(src, i + 1, ENDS_ATTR_NAME);
            let name = &src[name_start..i];
            while i < src.len() && is_space(src[i]) {
                i += 1;
            }
            let (value, quote) = if src.get(i) == Some(&b'=') {
                i += 1;
                while i < src.len() && is_space(src[i]) {
                    i += 1;
                }
                match *src.get(i)? {
                    q @ (b'"' | b'\'') => {
                        let close = find(src, i + 1, q)?;
                        let v = &src[i + 1..close];
                        i = close + 1;
                        (Some(v), Some(q))
                    }
                    // `name=>`: an empty value.
                    b'>' => (Some(&src[i..i]), None),
                    _ => {
                        let s = i;
                        i = run_end(src, i, ENDS_UNQUOTED);
                        (Some(&src[s..i]), None)
                    }
                }
            } else {
                (None, None)
            };
            let attr = Attr { name, value, quote };
            if self.seen(name) {
                repeated = true;
            } else {
                self.attrs.push(attr);
            }
        }
    }

    /// Whether the tag being read already has an attribute `name`: a scan of
    /// the few a tag has, a set once a page writes many (so a tag with
    /// thousands of attributes costs linear time, not quadratic).
    fn seen(&mut self, name: &[u8]) -> bool {
        const SCAN: usize = 16;
        if self.attrs.len() < SCAN {
            return self.attrs.iter().any(|a| a.name.eq_ignore_ascii_case(name));
        }
        if self.names.len() < self.attrs.len() {
            self.names.clear();
            let known: Vec<Vec<u8>> = self
                .attrs
                .iter()
                .map(|a| a.name.to_ascii_lowercase())
                .collect();
            self.names.extend(known);
        }
        !self.names.insert(name.to_ascii_lowercase())
    }

    /// The content of a raw-text element and its end tag.
    fn raw_text(&mut self, element: RawKind, name: &'a [u8]) -> Token<'a> {
        let src = self.src;
        let start = self.pos;
        let found = match element {
            RawKind::Plaintext => None,
            RawKind::Script => script_end(src, start),
            _ => end_tag_from(src, start, name),
        };
        // The end tag, read like any tag (its attributes mean nothing).
        let end_tag = found.and_then(|lt| Some((lt, self.read_tag(lt + 2)?)));
        let Some((lt, tag)) = end_tag else {
            // No end tag, or one the end of the page cuts off: the content
            // runs up to it, and the cut tag is dropped as any cut tag is
            // (a browser reads no end tag there either).
            let end = found.unwrap_or(src.len());
            self.pos = end;
            return Token::RawText {
                element,
                content: &src[start..end],
                end_name: &src[end..end],
                end_plain: true,
            };
        };
        let content = &src[start..lt];
        let end_name = &src[lt + 2..lt + 2 + name.len()];
        let end_plain = tag.end == tag.name_end + 1;
        self.pos = tag.end;
        Token::RawText {
            element,
            content,
            end_name,
            end_plain,
        }
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    /// The next token, `None` at the end of the page.
    fn next(&mut self) -> Option<Token<'a>> {
        if let Some((element, name)) = self.raw.take() {
            self.start = self.pos;
            let token = self.raw_text(element, name);
            self.read = self.pos;
            return Some(token);
        }
        let src = self.src;
        let mut start = self.pos;
        loop {
            if start >= src.len() {
                self.pos = src.len();
                self.read = src.len();
                return None;
            }
            let Some(lt) = find(src, start, b'<') else {
                self.pos = src.len();
                self.read = src.len();
                if !self.text {
                    return None;
                }
                self.start = start;
                return Some(Token::Text(&src[start..]));
            };
            if lt > start {
                self.read = lt;
                if self.text {
                    // Text first; the `<` is looked at on the next call.
                    self.start = start;
                    self.pos = lt;
                    return Some(Token::Text(&src[start..lt]));
                }
            }
            match self.markup_at(lt) {
                Some(token) => {
                    self.start = lt;
                    if token.is_some() {
                        self.read = self.pos;
                    }
                    return token;
                }
                // A `<` that opens nothing is text.
                None if self.text => {
                    self.start = lt;
                    self.pos = lt + 1;
                    self.read = self.pos;
                    return Some(Token::Text(&src[lt..lt + 1]));
                }
                None => {
                    self.read = lt + 1;
                    start = lt + 1;
                }
            }
        }
    }
}

impl<'a> Lexer<'a> {
    /// The markup that the `<` at `lt` opens: `Some(None)` when the end of
    /// the page cuts off a tag (a browser drops it), `None` when the `<`
    /// opens nothing.
    fn markup_at(&mut self, lt: usize) -> Option<Option<Token<'a>>> {
        let src = self.src;
        let token = match src.get(lt + 1).copied() {
            Some(b) if b.is_ascii_alphabetic() => {
                let Some(tag) = self.read_tag(lt + 1) else {
                    self.pos = src.len();
                    return Some(None);
                };
                self.pos = tag.end;
                let name = &src[lt + 1..tag.name_end];
                if let Some(kind) = RawKind::of(name) {
                    self.raw = Some((kind, name));
                }
                Token::Start {
                    name,
                    self_closing: tag.self_closing,
                    repeated: tag.repeated,
                    raw: &src[lt..tag.end],
                }
            }
            Some(b'/') => match src.get(lt + 2).copied() {
                Some(b) if b.is_ascii_alphabetic() => {
                    let Some(tag) = self.read_tag(lt + 2) else {
                        self.pos = src.len();
                        return Some(None);
                    };
                    self.pos = tag.end;
                    Token::End {
                        name: &src[lt + 2..tag.name_end],
                        plain: tag.end == tag.name_end + 1,
                        raw: &src[lt..tag.end],
                    }
                }
                // `</>`: a browser ignores it.
                Some(b'>') => {
                    self.pos = lt + 3;
                    Token::Other(&src[lt..lt + 3])
                }
                // `</` at the end of the page is text, as a browser reads it.
                None => return None,
                // `</` and anything else: a comment to the next `>`.
                _ => self.bogus_comment(lt),
            },
            Some(b'!') if src[lt..].starts_with(b"<!--") => self.comment(lt),
            Some(b'!' | b'?') => self.bogus_comment(lt),
            _ => return None,
        };
        Some(Some(token))
    }
}

/// Whether `</name` followed by white space, `/` or `>` starts at `at`.
fn end_tag_at(src: &[u8], at: usize, name: &[u8]) -> bool {
    let after = at + 2 + name.len();
    src.len() > after
        && src[at + 1] == b'/'
        && src[at + 2..after].eq_ignore_ascii_case(name)
        && (is_space(src[after]) || src[after] == b'/' || src[after] == b'>')
}

/// The first end tag of `name` from `from`.
fn end_tag_from(src: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    while let Some(d) = memchr::memchr(b'<', &src[i..]) {
        let at = i + d;
        if end_tag_at(src, at, name) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Where a script's content ends (the `<` of its end tag), following the
/// escape rules: inside `<!--`, a nested `<script>` hides the next
/// `</script>` until `-->`.
fn script_end(src: &[u8], from: usize) -> Option<usize> {
    #[derive(PartialEq)]
    enum State {
        Data,
        Escaped,
        DoubleEscaped,
    }
    const NAME: &[u8] = b"script";
    let mut state = State::Data;
    let mut i = from;
    // Consecutive dashes just read (for `-->`).
    let mut dashes = 0usize;
    while i < src.len() {
        let b = src[i];
        match b {
            b'-' if state != State::Data => {
                dashes += 1;
                i += 1;
                continue;
            }
            b'>' if state != State::Data && dashes >= 2 => {
                state = State::Data;
            }
            b'<' => match state {
                State::Data => {
                    if end_tag_at(src, i, NAME) {
                        return Some(i);
                    }
                    if src[i..].starts_with(b"<!--") {
                        state = State::Escaped;
                        // `<!--` counts as two dashes: `<!-->` closes at once.
                        dashes = 2;
                        i += 4;
                        continue;
                    }
                }
                State::Escaped => {
                    if end_tag_at(src, i, NAME) {
                        return Some(i);
                    }
                    let after = i + 1 + NAME.len();
                    if src.len() > after
                        && src[i + 1..after].eq_ignore_ascii_case(NAME)
                        && (is_space(src[after]) || src[after] == b'/' || src[after] == b'>')
                    {
                        state = State::DoubleEscaped;
                        i = after;
                        dashes = 0;
                        continue;
                    }
                }
                State::DoubleEscaped => {
                    if end_tag_at(src, i, NAME) {
                        state = State::Escaped;
                        i += 2 + NAME.len();
                        dashes = 0;
                        continue;
                    }
                }
            },
            _ => {}
        }
        dashes = 0;
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokens of a page, written out readably.
    fn tokens(page: &str) -> Vec<String> {
        let mut lexer = Lexer::new(page.as_bytes());
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let mut out = Vec::new();
        while let Some(t) = lexer.next() {
            out.push(match t {
                Token::Text(t) => format!("text {}", s(t)),
                Token::Start {
                    name,
                    self_closing,
                    repeated,
                    ..
                } => {
                    let attrs: Vec<String> = lexer
                        .attrs()
                        .iter()
                        .map(|a| match a.value {
                            Some(v) => format!("{}={}", s(a.name), s(v)),
                            None => s(a.name),
                        })
                        .collect();
                    format!(
                        "<{} {}{}{}>",
                        s(name),
                        attrs.join(" "),
                        if self_closing { " /" } else { "" },
                        if repeated { " (repeated)" } else { "" }
                    )
                }
                Token::End { name, .. } => format!("</{}>", s(name)),
                Token::Other(o) => format!("other {}", s(o)),
                Token::RawText {
                    element,
                    content,
                    end_name,
                    ..
                } => format!("raw {element:?} {} end {}", s(content), s(end_name)),
            });
        }
        out
    }

    #[test]
    fn attributes_are_read_as_a_browser_reads_them() {
        assert_eq!(
            tokens("<A HREF=x.html title='a \"b\"' data-x=\"1>2\" checked/><br/>"),
            [
                "<A HREF=x.html title=a \"b\" data-x=1>2 checked />",
                "<br  />"
            ]
        );
        assert_eq!(
            tokens("<a href=\"1\"title=2 =odd x = y z=>t"),
            ["<a href=1 title=2 =odd x=y z=>", "text t"]
        );
        // A repeated attribute is ignored, the first one counts.
        assert_eq!(
            tokens("<a href=ok HREF=javascript:x>"),
            ["<a href=ok (repeated)>"]
        );
        // `/` inside an unquoted value belongs to it.
        assert_eq!(tokens("<a href=x/>"), ["<a href=x/>"]);
    }

    #[test]
    fn what_is_not_a_tag_is_text_or_a_comment() {
        assert_eq!(
            tokens("a < b <3 </> c </3x> <!-- <a> --> <!DOCTYPE html><?php x ?><!-->d"),
            [
                "text a ",
                "text <",
                "text  b ",
                "text <",
                "text 3 ",
                "other </>",
                "text  c ",
                "other </3x>",
                "text  ",
                "other <!-- <a> -->",
                "text  ",
                "other <!DOCTYPE html>",
                "other <?php x ?>",
                "other <!-->",
                "text d"
            ]
        );
        assert_eq!(
            tokens("<!-- a --!> <b>"),
            ["other <!-- a --!>", "text  ", "<b >"]
        );
        // A tag the page cuts off is dropped; an unclosed comment runs to the end.
        assert_eq!(tokens("x<a href=\"y"), ["text x"]);
        assert_eq!(tokens("x<!-- y <a>"), ["text x", "other <!-- y <a>"]);
    }

    #[test]
    fn raw_text_elements_end_only_at_their_own_end_tag() {
        assert_eq!(
            tokens("<style>a<b>c</stylex></STYLE >d"),
            ["<style >", "raw Style a<b>c</stylex> end STYLE", "text d"]
        );
        assert_eq!(
            tokens("<textarea><a href=x></textarea>"),
            ["<textarea >", "raw Rcdata <a href=x> end textarea"]
        );
        assert_eq!(
            tokens("<title>t</title foo=\">\">after"),
            ["<title >", "raw Rcdata t end title", "text after"]
        );
        assert_eq!(
            tokens("<plaintext></plaintext><a>"),
            ["<plaintext >", "raw Plaintext </plaintext><a> end "]
        );
        assert_eq!(tokens("<xmp>x"), ["<xmp >", "raw Rawtext x end "]);
    }

    #[test]
    fn an_end_tag_cut_off_by_the_end_of_the_page_ends_nothing() {
        // A browser reads no end tag there: the content runs up to it, and
        // the cut tag is dropped as any cut tag is.
        assert_eq!(
            tokens("<title>t</title x"),
            ["<title >", "raw Rcdata t end "]
        );
        assert_eq!(
            tokens("<script>s</script a='>"),
            ["<script >", "raw Script s end "]
        );
        let page = "<style>x</style ";
        assert_eq!(spans(Lexer::markup(page.as_bytes())).1, page.len() - 8);
        assert_eq!(spans(Lexer::new(page.as_bytes())).1, page.len() - 8);
    }

    #[test]
    fn a_slash_after_a_lt_at_the_end_of_the_page_is_text() {
        assert_eq!(tokens("a</"), ["text a", "text <", "text /"]);
        assert_eq!(spans(Lexer::markup(b"a</")), (vec![], 3));
    }

    #[test]
    fn scripts_end_where_a_browser_ends_them() {
        assert_eq!(
            tokens("<script>a</script>b"),
            ["<script >", "raw Script a end script", "text b"]
        );
        // Inside an escape, a nested <script> hides one </script>.
        let page = "<script><!--<script>x</script>y--></script>z";
        assert_eq!(
            tokens(page),
            [
                "<script >",
                "raw Script <!--<script>x</script>y--> end script",
                "text z"
            ]
        );
        // An escape without a nested script ends at the first </script>.
        assert_eq!(
            tokens("<script><!--x</script>y"),
            ["<script >", "raw Script <!--x end script", "text y"]
        );
        // `<!-->` closes its own escape.
        assert_eq!(
            tokens("<script><!--><script></script>z"),
            ["<script >", "raw Script <!--><script> end script", "text z"]
        );
        // No end tag: the script runs to the end of the page.
        assert_eq!(
            tokens("<script>x</scrip"),
            ["<script >", "raw Script x</scrip end "]
        );
    }

    /// Each token with where it starts and ends, and how much of the page
    /// was read at the end.
    fn spans(mut lexer: Lexer<'_>) -> (Vec<(usize, usize, String)>, usize) {
        let mut out = Vec::new();
        while let Some(t) = lexer.next() {
            if !matches!(t, Token::Text(_)) {
                out.push((lexer.start(), lexer.pos(), format!("{t:?}")));
            }
        }
        (out, lexer.read())
    }

    #[test]
    fn a_byte_is_found_where_it_first_is() {
        // Pages of every length around the word and the short stretch, made
        // of `<` and the bytes a word's arithmetic could mistake for it.
        let alphabet = [
            b'<',
            b'<' ^ 0x80,
            b'<' + 1,
            b'<' - 1,
            0x00,
            0x01,
            0xff,
            b'a',
        ];
        let mut seed = 7u32;
        for len in 0..100 {
            for _ in 0..20 {
                let hay: Vec<u8> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        // Mostly not `<`, so that matches lie far in too.
                        let pick = (seed >> 16) as usize % 40;
                        alphabet[if pick < 39 { 1 + pick % 7 } else { 0 }]
                    })
                    .collect();
                for from in 0..=len {
                    let want = hay[from..]
                        .iter()
                        .position(|&c| c == b'<')
                        .map(|i| from + i);
                    assert_eq!(find(&hay, from, b'<'), want, "{hay:?} from {from}");
                }
            }
        }
        assert_eq!(find(b"ab", 3, b'<'), None);
    }

    #[test]
    fn the_markup_alone_is_the_same_markup_at_the_same_places() {
        let pages = [
            "plain text, no tags",
            "<p>a<br>b</p>tail",
            "a < b <3 </> c </3x> <!-- <a> --> <!DOCTYPE html><?php x ?><!-->d",
            "<<a href=x>y</a>< <",
            "<script>if (a < b) {}</script>z<title>x<y</title>",
            "text then a tag cut off <a href=\"x",
            "text then a stray < and a cut tag <b",
            "<a>",
            "",
            "<",
            "x<",
        ];
        for page in pages {
            let (with_text, read_text) = spans(Lexer::new(page.as_bytes()));
            let (markup, read_markup) = spans(Lexer::markup(page.as_bytes()));
            assert_eq!(markup, with_text, "{page}");
            assert_eq!(read_markup, read_text, "{page}");
        }
        // What was read stops before a tag the end cut off, not before the
        // text and stray `<` ahead of it.
        let page = "a < b <i";
        assert_eq!(spans(Lexer::markup(page.as_bytes())).1, page.len() - 2);
        assert_eq!(spans(Lexer::markup(b"ab")).1, 2);
    }
}
