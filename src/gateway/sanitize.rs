//! One pass over a content provider's page with the HTML tokenizer of
//! `crate::html` (over the page's own bytes, in its own charset): what the
//! i-mode browser never ran is removed, and every URL the browser would
//! follow is pointed back into the gateway. A tag nothing changes keeps its
//! bytes; a changed one is written again from what the tokenizer read, so a
//! browser reads exactly the attributes that were checked.
//!
//! Where a browser's parser could read the same bytes differently, the pass
//! takes the difference away: `<svg>` and `<math>` go (no foreign content,
//! whose rules differ), the content of raw-text elements (`style`,
//! `textarea`, `title`, `xmp`, `iframe`, …) keeps no `<` (a browser that
//! ignores such a start tag, as inside a `<select>`, then finds no markup
//! there), a repeated attribute counts once (the first, as in a browser) and
//! a tag cut off by the end of the page is dropped.
//!
//! Removed: `<script>` (and `<noscript>` is opened, as a browser without
//! script shows it), `<style>` sheets and `style` attributes with
//! `expression(…)`, `javascript:`, `behavior` or `-moz-binding`, every `on…`
//! attribute, `javascript:` / `vbscript:` / `data:` URLs, `<base>`, frames
//! (`iframe` with its content, `frame`, `frameset`), `srcdoc`, `srcset`,
//! `ping` and `referrerpolicy` attributes, `<meta name=referrer>`, and every
//! `<meta http-equiv>` but Content-Type (made to name the charset the handset
//! gets) and refresh (kept only as `N` or `N;URL=…`, its URL rewritten; a
//! refresh in any looser form, or to anywhere else, is dropped). Rewritten: every URL attribute (quoted, single-quoted or
//! unquoted, any letter case, with entities such as `&amp;`), resolved against
//! the page's URL with dot segments normalised; a URL below a configured
//! site goes to that site's gateway path, `utn` links and forms to the
//! serial-number consent, GET forms to the form path, the carrier's
//! registration form to this site's registration endpoint, and anything else
//! to garake's "not a configured site" page.

use std::borrow::Cow;
use std::collections::BTreeMap;

use url::{Position, Url};

use super::{gateway_target, plain_url, write_plain_target, Route, Via};
use crate::html::{Attr, Lexer, RawKind, Token};

/// The carrier URL content providers post official-site registrations to.
pub const REGST_URL: &str = "http://docomo.ne.jp/cp/regst";

/// What `transform` needs to know about the page and the session.
pub struct Rules<'a> {
    /// The page's own upstream URL: relative links resolve against it.
    pub page: &'a PageUrl,
    /// Every configured site (`Route::all`).
    pub routes: &'a [Route],
    /// The path of the session whose gateway paths the links get
    /// (`/s/{sid}`, or `/w/{id}/s/{sid}` in a world).
    pub session: &'a str,
    /// Where links to anything else go, the URL appended percent-encoded.
    pub elsewhere: &'a str,
    /// This site's registration endpoint (the carrier's `cp/regst` form).
    pub regst: &'a str,
    /// The charset name the handset gets the page in.
    pub charset: &'a str,
}

/// A page's URL: its text, parsed only when a link needs the URL parser.
pub struct PageUrl {
    text: String,
    /// Set when the text is not already in the parser's own form.
    parsed: std::cell::OnceCell<Url>,
}

impl PageUrl {
    /// `text` as the page's URL; `None` if it does not parse. A URL that
    /// passes `plain_url` (the gateway builds them from a parsed base and a
    /// plain path) is not parsed unless a link needs it.
    pub fn new(text: String) -> Option<PageUrl> {
        let page = PageUrl {
            parsed: std::cell::OnceCell::new(),
            text,
        };
        if !plain_url(&page.text) {
            let url = Url::parse(&page.text).ok()?;
            let _ = page.parsed.set(url);
        }
        Some(page)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed URL (parsed now if it was not yet).
    fn url(&self) -> Option<&Url> {
        if let Some(url) = self.parsed.get() {
            return Some(url);
        }
        let url = Url::parse(&self.text).ok()?;
        Some(self.parsed.get_or_init(|| url))
    }

    /// Resolves a link against the page.
    fn join(&self, value: &str) -> Result<Url, url::ParseError> {
        match self.url() {
            Some(url) => url.join(value),
            None => Url::parse(&self.text),
        }
    }
}

/// What a pass removed, by kind (for the `X-Garake-Removed` header and tests).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub removed: BTreeMap<&'static str, usize>,
}

impl Report {
    fn count(&mut self, what: &'static str) {
        *self.removed.entry(what).or_default() += 1;
    }

    /// `script=1, on*=2`, or `None` if nothing was removed.
    pub fn summary(&self) -> Option<String> {
        (!self.removed.is_empty()).then(|| {
            self.removed
                .iter()
                .map(|(k, n)| format!("{k}={n}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
    }
}

/// Whether `name` (any case) is one of `names` (lower case).
fn one_of(name: &[u8], names: &[&str]) -> bool {
    find_lower(name, names, |n| n).is_some()
}

/// The first entry of `table` whose key (lower case) is `name` in any case:
/// `name` is lower-cased once, as most names are short.
fn find_lower<'k, T: Copy>(name: &[u8], table: &[T], key: impl Fn(T) -> &'k str) -> Option<T> {
    let mut buf = [0u8; 16];
    let lower = buf.get_mut(..name.len())?;
    for (to, from) in lower.iter_mut().zip(name) {
        *to = from.to_ascii_lowercase();
    }
    let lower = &*lower;
    table.iter().copied().find(|&t| key(t).as_bytes() == lower)
}

/// Attributes that hold a URL a browser follows or loads.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "background",
    "lowsrc",
    "dynsrc",
    "poster",
    "cite",
    "longdesc",
    "usemap",
    "codebase",
    "classid",
    "xlink:href",
    "manifest",
    "icon",
];
/// Attributes dropped whatever they say, with the name the report gives
/// them: no i-mode browser had them, and each can make a browser fetch,
/// show or send something the pass never looked at (`srcdoc` is a whole
/// page, `referrerpolicy` would send the handset's gateway URL along).
const DROPPED_ATTRIBUTES: &[(&str, &str)] = &[
    ("srcset", "srcset/ping"),
    ("ping", "srcset/ping"),
    ("imagesrcset", "srcset/ping"),
    ("srcdoc", "srcdoc"),
    ("referrerpolicy", "referrerpolicy"),
];

/// Frames: no i-mode browser had them, and each shows another page (or,
/// with `srcdoc`, markup) that this pass does not read.
const FRAMES: &[&str] = &["iframe", "frame", "frameset"];

/// White space as HTML reads it.
const HTML_SPACE: &[char] = &[' ', '\t', '\n', '\x0c', '\r'];

/// A refresh's content in the one form kept: `N` alone, or `N;URL=…` —
/// digits, optional white space, a semicolon, optional white space, `url=`
/// in any case, then the URL (its quotes taken away as a browser takes
/// them). Gives the delay's digits and the URL. A browser's refresh parser
/// also takes a comma or white space after the delay and reads what follows
/// as the URL (`0,http://other/?;url=ok.html`, `0 http://other/`), so any
/// other form is `None` and the refresh goes.
fn refresh_parts(content: &str) -> Option<(&str, Option<&str>)> {
    let s = content.trim_matches(HTML_SPACE);
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if digits == 0 {
        return None;
    }
    let (delay, rest) = s.split_at(digits);
    let rest = rest.trim_start_matches(HTML_SPACE);
    if rest.is_empty() {
        return Some((delay, None));
    }
    let rest = rest.strip_prefix(';')?.trim_start_matches(HTML_SPACE);
    let url = rest
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("url="))
        .map(|_| &rest[4..])?;
    let url = match url.as_bytes().first() {
        Some(&q @ (b'\'' | b'"')) => {
            let inner = &url[1..];
            inner.find(q as char).map_or(inner, |end| &inner[..end])
        }
        _ => url,
    };
    Some((delay, Some(url)))
}

/// Every named character reference that stands for an ASCII character,
/// but the four a browser also reads without their `;` (`amp`, `lt`, `gt`,
/// `quot`, in either case): with these, what a scheme or a style says reads
/// as the browser reads it (`javascript&colon;`, `expression&lpar;`). The
/// other references stand for characters beyond ASCII, which spell no
/// scheme and no CSS keyword.
const ASCII_REFERENCES: &[(&str, char)] = &[
    ("Tab", '\t'),
    ("NewLine", '\n'),
    ("excl", '!'),
    ("num", '#'),
    ("dollar", '$'),
    ("percnt", '%'),
    ("apos", '\''),
    ("lpar", '('),
    ("rpar", ')'),
    ("ast", '*'),
    ("midast", '*'),
    ("plus", '+'),
    ("comma", ','),
    ("period", '.'),
    ("sol", '/'),
    ("colon", ':'),
    ("semi", ';'),
    ("equals", '='),
    ("quest", '?'),
    ("commat", '@'),
    ("lsqb", '['),
    ("lbrack", '['),
    ("bsol", '\\'),
    ("rsqb", ']'),
    ("rbrack", ']'),
    ("Hat", '^'),
    ("lowbar", '_'),
    ("UnderBar", '_'),
    ("grave", '`'),
    ("DiacriticalGrave", '`'),
    ("lcub", '{'),
    ("lbrace", '{'),
    ("verbar", '|'),
    ("vert", '|'),
    ("VerticalLine", '|'),
    ("rcub", '}'),
    ("rbrace", '}'),
];

/// Decodes the entities an attribute value may carry (`&amp;`, `&#38;`, `&#x26;`,
/// `&colon;`, …).
pub fn decode_entities(value: &str) -> Cow<'_, str> {
    if !value.contains('&') {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '#')
            .map(|e| e + 1);
        let (name, after) = match end {
            Some(e) => (&rest[1..e], &rest[e..]),
            None => (&rest[1..], ""),
        };
        let decoded = match name {
            "amp" | "AMP" => Some('&'),
            "lt" | "LT" => Some('<'),
            "gt" | "GT" => Some('>'),
            "quot" | "QUOT" => Some('"'),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            // The others a browser reads only with their `;`.
            n if after.starts_with(';') => ASCII_REFERENCES
                .iter()
                .find(|(name, _)| *name == n)
                .map(|&(_, c)| c),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = after.strip_prefix(';').unwrap_or(after);
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The scheme of a URL as a browser would see it: leading whitespace and
/// control characters, and tabs or newlines inside, are ignored.
fn scheme_of(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take_while(|c| *c != ':' && *c != '/' && *c != '?' && *c != '#')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Whether CSS text could run something.
fn dangerous_css(css: &str) -> bool {
    let flat: String = css
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\\')
        .collect::<String>()
        .to_ascii_lowercase();
    [
        "expression(",
        "javascript:",
        "vbscript:",
        "behavior:",
        "-moz-binding",
        "url(data:",
    ]
    .iter()
    .any(|bad| flat.contains(bad))
}

/// The page's URL as relative links resolve against it.
struct Base<'a> {
    /// `http://host:port`
    origin: &'a str,
    /// The page's URL up to the last `/` of its path.
    dir: &'a str,
}

impl<'a> Base<'a> {
    fn of(page: &'a PageUrl) -> Base<'a> {
        let (origin, path) = match page.parsed.get() {
            Some(url) => (&url[..Position::BeforePath], &url[..Position::AfterPath]),
            // In the parser's form already (`PageUrl::new`): cut as text.
            None => {
                let text = page.as_str();
                let after = text.find("://").map_or(0, |i| i + 3);
                let path_at = text[after..].find('/').map_or(text.len(), |i| after + i);
                let end = text.find(['?', '#']).unwrap_or(text.len());
                (&text[..path_at], &text[..end])
            }
        };
        let dir = path.rfind('/').map_or(path, |i| &path[..=i]);
        Base { origin, dir }
    }

    /// `value` made absolute by text when that gives what the URL parser
    /// would (see `plain_url`); `None` when it must be parsed.
    fn plain(&self, value: &'a str) -> Option<Cow<'a, str>> {
        let absolute = if value.starts_with("http://") || value.starts_with("https://") {
            Cow::Borrowed(value)
        } else if value.starts_with('/') {
            if value.starts_with("//") {
                return None;
            }
            Cow::Owned(format!("{}{value}", self.origin))
        } else {
            // A scheme (or what could be one) goes to the parser.
            let head = value.find(['/', '?', '#']).unwrap_or(value.len());
            if value[..head].contains(':')
                || !value.starts_with(|c: char| c.is_ascii_alphanumeric())
            {
                return None;
            }
            Cow::Owned(format!("{}{value}", self.dir))
        };
        plain_url(&absolute).then_some(absolute)
    }
}

/// A URL attribute's value without the C0 controls and spaces around it,
/// which a browser's URL parser strips (and nothing else: a full-width
/// space is part of the URL).
fn url_trim(value: &str) -> &str {
    let b = value.as_bytes();
    let start = b.iter().position(|&c| c > b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c > b' ').map_or(start, |i| i + 1);
    // Both ends are next to ASCII bytes: character boundaries.
    &value[start..end]
}

/// Where a URL attribute's value leads now, written at the end of `out`;
/// `false` drops the attribute.
fn follow(
    value: &str,
    via: Via,
    rules: &Rules<'_>,
    base: &Base<'_>,
    report: &mut Report,
    out: &mut String,
) -> bool {
    let value = decode_entities(url_trim(value));
    if value.starts_with('#') || value.is_empty() {
        out.push_str(&value);
        return true;
    }
    // Most links are plain URLs below a configured site: matched as text.
    if let Some(url) = base.plain(&value) {
        if write_plain_target(&url, rules.routes, rules.session, via, out) {
            return true;
        }
    }
    let scheme = scheme_of(&value);
    if matches!(scheme.as_str(), "javascript" | "vbscript" | "data") {
        report.count("script URL");
        return false;
    }
    // The handset's own schemes (mail, phone) are the handset's business.
    if matches!(scheme.as_str(), "mailto" | "tel" | "telto" | "sms") && value.contains(':') {
        out.push_str(&value);
        return true;
    }
    match rules.page.join(&value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            out.push_str(&gateway_target(
                &url,
                rules.routes,
                rules.session,
                via,
                rules.elsewhere,
            ));
            true
        }
        Ok(url) => {
            out.push_str(rules.elsewhere);
            out.push_str(&super::percent_encode(url.as_str()));
            true
        }
        Err(_) => {
            report.count("broken URL");
            false
        }
    }
}

/// What becomes of one attribute of a tag.
enum Fate {
    Keep,
    Drop,
    /// A new value: its place in the pass's `values` (text; entities and
    /// the page's charset are applied when written).
    Set(std::ops::Range<usize>),
}

/// One pass over a page: the report and the page as the handset gets it.
///
/// What nothing changes is not copied token by token: `out` is the page up
/// to `copied`, then each change (`cut`) copies the unchanged bytes before
/// it in one piece and writes its replacement.
struct Pass<'r, 'a, 'p> {
    rules: &'r Rules<'a>,
    base: Base<'a>,
    encoding: &'static encoding_rs::Encoding,
    report: Report,
    page: &'p [u8],
    /// How much of `page` is accounted for in `out`.
    copied: usize,
    /// Where the token at hand starts and ends in `page`.
    span: (usize, usize),
    out: Vec<u8>,
    /// The fate of each attribute of the tag at hand (kept between tags).
    fates: Vec<Fate>,
    /// The new attribute values of the tag at hand, one after another.
    values: String,
    /// The raw-text content that comes next goes with its removed start tag
    /// (an `iframe`'s).
    drop_content: bool,
}

/// `name` written in any case is `want` (lower case).
fn is(name: &[u8], want: &str) -> bool {
    name.eq_ignore_ascii_case(want.as_bytes())
}

impl<'a> Pass<'_, 'a, '_> {
    /// The token at hand is replaced (by what is written next, if anything):
    /// the unchanged page before it goes out first.
    ///
    /// A `<` right before the token is text (the token's own `<` kept it
    /// from opening anything); with the token gone it would open whatever
    /// follows (`<<script>…</script>img onerror=…>` would become `<img
    /// onerror=…>`), so it goes out as `&lt;`, which reads as the same text.
    fn cut(&mut self) {
        let (start, end) = self.span;
        match self.page[self.copied..start].split_last() {
            Some((b'<', before)) => {
                self.out.extend_from_slice(before);
                self.out.extend_from_slice(b"&lt;");
            }
            _ => self.out.extend_from_slice(&self.page[self.copied..start]),
        }
        self.copied = end;
    }

    /// An attribute's raw value as text (in the page's charset, entities undecoded).
    fn text<'v>(&self, raw: &'v [u8]) -> Cow<'v, str> {
        match raw.is_ascii().then(|| std::str::from_utf8(raw)) {
            Some(Ok(s)) => Cow::Borrowed(s),
            _ => self.encoding.decode_without_bom_handling(raw).0,
        }
    }

    /// A start tag: dropped, written as it was, or written again with its
    /// attributes changed.
    fn start(&mut self, name: &[u8], attrs: &[Attr<'_>], self_closing: bool, repeated: bool) {
        if is(name, "script") {
            // Its content comes next as raw text and goes too.
            self.report.count("script");
            return self.cut();
        }
        // A browser without script shows what is inside a noscript.
        if is(name, "noscript") {
            return self.cut();
        }
        // No i-mode browser drew SVG or MathML; without them a page has no
        // foreign content, whose parsing rules differ.
        if is(name, "svg") || is(name, "math") {
            self.report.count("svg/math");
            return self.cut();
        }
        if is(name, "base") {
            self.report.count("base");
            return self.cut();
        }
        if one_of(name, FRAMES) {
            self.report.count("frame");
            // An iframe's content is raw text, next: it goes too.
            self.drop_content = is(name, "iframe");
            return self.cut();
        }
        let mut fates = std::mem::take(&mut self.fates);
        fates.clear();
        self.values.clear();
        fates.extend(attrs.iter().map(|a| self.attribute_fate(a)));
        if is(name, "meta") && self.meta(attrs, &mut fates).is_none() {
            self.fates = fates;
            return self.cut();
        }
        // Every URL attribute, on any tag (a kept `<meta>`'s too).
        let extra = self.links(name, attrs, &mut fates);
        let unchanged =
            !repeated && extra.is_none() && fates.iter().all(|f| matches!(f, Fate::Keep));
        if !unchanged {
            self.cut();
            self.out.push(b'<');
            self.out.extend_from_slice(name);
            for (a, fate) in attrs.iter().zip(&fates) {
                match fate {
                    Fate::Drop => {}
                    Fate::Keep => {
                        self.out.push(b' ');
                        self.out.extend_from_slice(a.name);
                        if let Some(v) = a.value {
                            self.out.push(b'=');
                            write_raw_value(&mut self.out, v, a.quote);
                        }
                    }
                    Fate::Set(v) => {
                        self.out.push(b' ');
                        self.out.extend_from_slice(a.name);
                        self.out.push(b'=');
                        write_value(&mut self.out, self.encoding, &self.values[v.clone()]);
                    }
                }
            }
            if let Some((name, value)) = &extra {
                self.out.push(b' ');
                self.out.extend_from_slice(name.as_bytes());
                self.out.push(b'=');
                write_value(&mut self.out, self.encoding, value);
            }
            if self_closing {
                self.out.push(b'/');
            }
            self.out.push(b'>');
        }
        self.fates = fates;
    }

    /// What any tag's attribute gets: event handlers, attributes that fetch
    /// something, and style that runs something go.
    fn attribute_fate(&mut self, a: &Attr<'_>) -> Fate {
        let name = a.name;
        if name.len() >= 2 && name[..2].eq_ignore_ascii_case(b"on") {
            self.report.count("on* attribute");
            return Fate::Drop;
        }
        // A name that starts with `=` (`<a p/=x>` has `p` and `=x`) means
        // nothing to a browser, and written again after an attribute without
        // a value (` p =x`) it would read as that one's value, with what
        // follows read anew: it goes.
        if name.first() == Some(&b'=') {
            self.report.count("malformed attribute");
            return Fate::Drop;
        }
        if let Some((_, kind)) = find_lower(name, DROPPED_ATTRIBUTES, |(n, _)| n) {
            self.report.count(kind);
            return Fate::Drop;
        }
        if is(name, "style") {
            let css = self.text(a.value.unwrap_or_default());
            if dangerous_css(&decode_entities(&css)) {
                self.report.count("style expression");
                return Fate::Drop;
            }
        }
        Fate::Keep
    }

    /// URL attributes, with the form's own rules; returns an attribute to
    /// add (a form without an action posts to its own page).
    fn links(
        &mut self,
        name: &[u8],
        attrs: &[Attr<'_>],
        fates: &mut [Fate],
    ) -> Option<(&'static str, String)> {
        let utn = attrs.iter().any(|a| a.is("utn"));
        let form = is(name, "form");
        let mut extra = None;
        if form {
            let action = attrs.iter().position(|a| a.is("action"));
            let value = action
                .and_then(|i| attrs[i].value)
                .map(|v| self.text(v).into_owned())
                .unwrap_or_default();
            let post = attrs
                .iter()
                .find(|a| a.is("method"))
                .and_then(|a| a.value)
                .is_some_and(|m| self.text(m).trim().eq_ignore_ascii_case("post"));
            let trimmed = url_trim(&value);
            let fate = if decode_entities(trimmed).eq_ignore_ascii_case(REGST_URL) {
                self.set(self.rules.regst)
            } else {
                let via = match (utn, post) {
                    (true, _) => Via::Consent,
                    (false, true) => Via::Link,
                    (false, false) => Via::GetForm,
                };
                // A form without an action posts to its own page.
                let rules = self.rules;
                let target = if trimmed.is_empty() {
                    rules.page.as_str()
                } else {
                    &value
                };
                self.follow(target, via)
            };
            match action {
                Some(i) => fates[i] = fate,
                None => {
                    if let Fate::Set(v) = fate {
                        extra = Some(("action", self.values[v].to_string()));
                    }
                }
            }
        }
        for (i, a) in attrs.iter().enumerate() {
            if !matches!(fates[i], Fate::Keep) || (form && a.is("action")) {
                continue;
            }
            if !one_of(a.name, URL_ATTRIBUTES) {
                continue;
            }
            let via = if utn && a.is("href") {
                Via::Consent
            } else {
                Via::Link
            };
            let value = self.text(a.value.unwrap_or_default());
            fates[i] = self.follow(&value, via);
        }
        extra
    }

    /// What a URL attribute becomes: its new value (kept in `values`), or dropped.
    fn follow(&mut self, value: &str, via: Via) -> Fate {
        let start = self.values.len();
        let rules = self.rules;
        match follow(
            value,
            via,
            rules,
            &self.base,
            &mut self.report,
            &mut self.values,
        ) {
            true => Fate::Set(start..self.values.len()),
            false => Fate::Drop,
        }
    }

    /// `<meta>`: only Content-Type (naming the handset's charset) and refresh
    /// (in the strict form, to a configured site) survive as http-equiv; a
    /// referrer policy never does. `None` drops the tag.
    fn meta(&mut self, attrs: &[Attr<'_>], fates: &mut [Fate]) -> Option<()> {
        let find = |name: &str| attrs.iter().position(|a| a.is(name));
        // The page's own referrer policy would override the one garake
        // sends, and send the handset's gateway URL to another host.
        if let Some(i) = find("name") {
            let name = self.text(attrs[i].value.unwrap_or_default());
            if decode_entities(&name)
                .trim_matches(HTML_SPACE)
                .eq_ignore_ascii_case("referrer")
            {
                self.report.count("meta referrer");
                return None;
            }
        }
        if let Some(i) = find("charset") {
            fates[i] = self.set(self.rules.charset);
        }
        let Some(equiv) = find("http-equiv") else {
            return Some(());
        };
        let equiv = self
            .text(attrs[equiv].value.unwrap_or_default())
            .trim()
            .to_ascii_lowercase();
        let content = find("content");
        match equiv.as_str() {
            "content-type" => {
                let value = format!("text/html; charset={}", self.rules.charset);
                match content {
                    Some(i) => fates[i] = self.set(&value),
                    None => return Some(()),
                }
                Some(())
            }
            "refresh" => {
                let Some(i) = content else { return Some(()) };
                let text = self.text(attrs[i].value.unwrap_or_default()).into_owned();
                let content = decode_entities(&text);
                let Some((delay, url)) = refresh_parts(&content) else {
                    self.report.count("malformed refresh");
                    return None;
                };
                // A delay alone reloads the page itself.
                let Some(url) = url else { return Some(()) };
                let mut v = String::new();
                match follow(
                    url,
                    Via::Link,
                    self.rules,
                    &self.base,
                    &mut self.report,
                    &mut v,
                ) {
                    true if !v.starts_with(self.rules.elsewhere) => {
                        fates[i] = self.set(&format!("{delay};URL={v}"));
                        Some(())
                    }
                    _ => {
                        self.report.count("refresh elsewhere");
                        None
                    }
                }
            }
            _ => {
                self.report.count("meta http-equiv");
                None
            }
        }
    }

    /// An end tag: the ones whose start tags went go too.
    fn end(&mut self, name: &[u8], plain: bool) {
        if ["script", "noscript", "svg", "math", "base"]
            .iter()
            .any(|n| is(name, n))
            || one_of(name, FRAMES)
        {
            return self.cut();
        }
        if !plain {
            // Attributes on an end tag mean nothing: written without them.
            self.cut();
            self.end_tag(name);
        }
    }

    fn end_tag(&mut self, name: &[u8]) {
        if !name.is_empty() {
            self.out.extend_from_slice(b"</");
            self.out.extend_from_slice(name);
            self.out.push(b'>');
        }
    }

    /// The content of a raw-text element. A script's goes. Elsewhere no `<`
    /// is left: a browser that did not take the element as raw text (as in
    /// a `<select>`, where most start tags are ignored) must not find
    /// markup there that this pass never looked at.
    fn raw_text(&mut self, element: RawKind, content: &[u8], end_name: &[u8], end_plain: bool) {
        if std::mem::take(&mut self.drop_content) {
            return self.cut();
        }
        let with: &[u8] = match element {
            RawKind::Script => return self.cut(),
            RawKind::Style if dangerous_css(&self.text(content)) => {
                self.report.count("style expression");
                self.cut();
                return self.end_tag(end_name);
            }
            // `\3c ` is `<` to CSS.
            RawKind::Style => b"\\3c ",
            RawKind::Rcdata | RawKind::Rawtext | RawKind::Plaintext => b"&lt;",
        };
        if end_plain && memchr::memchr(b'<', content).is_none() {
            return;
        }
        self.cut();
        escape_lt(&mut self.out, content, with);
        self.end_tag(end_name);
    }

    /// `value` kept in `values` as an attribute's new value.
    fn set(&mut self, value: &str) -> Fate {
        let start = self.values.len();
        self.values.push_str(value);
        Fate::Set(start..self.values.len())
    }
}

/// A new attribute value, double-quoted, in the page's charset.
fn write_value(out: &mut Vec<u8>, encoding: &'static encoding_rs::Encoding, value: &str) {
    if value.is_ascii() && memchr::memchr2(b'&', b'"', value.as_bytes()).is_none() {
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
        return;
    }
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            c => escaped.push(c),
        }
    }
    out.push(b'"');
    if escaped.is_ascii() {
        out.extend_from_slice(escaped.as_bytes());
    } else {
        // Characters the charset lacks become numeric references.
        let (bytes, _, _) = encoding.encode(&escaped);
        out.extend_from_slice(&bytes);
    }
    out.push(b'"');
}

/// A kept attribute value as written, quoted so that it reads the same.
fn write_raw_value(out: &mut Vec<u8>, raw: &[u8], quote: Option<u8>) {
    let quote = match quote {
        Some(q) => q,
        None if !raw.contains(&b'"') => b'"',
        None if !raw.contains(&b'\'') => b'\'',
        None => {
            out.push(b'"');
            for &b in raw {
                if b == b'"' {
                    out.extend_from_slice(b"&quot;");
                } else {
                    out.push(b);
                }
            }
            out.push(b'"');
            return;
        }
    };
    out.push(quote);
    out.extend_from_slice(raw);
    out.push(quote);
}

/// `content` with every `<` written as `with`.
fn escape_lt(out: &mut Vec<u8>, content: &[u8], with: &[u8]) {
    let mut rest = content;
    while let Some(i) = memchr::memchr(b'<', rest) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(with);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
}

/// Runs the pass over `page` (bytes in `encoding`, which the output keeps).
pub fn transform(
    page: &[u8],
    encoding: &'static encoding_rs::Encoding,
    rules: &Rules<'_>,
) -> Result<(Vec<u8>, Report), String> {
    if !encoding.is_ascii_compatible()
        || encoding == encoding_rs::UTF_16BE
        || encoding == encoding_rs::UTF_16LE
    {
        return Err(format!(
            "{} is not an ASCII-compatible encoding",
            encoding.name()
        ));
    }
    let mut pass = Pass {
        rules,
        base: Base::of(rules.page),
        encoding,
        report: Report::default(),
        page,
        copied: 0,
        span: (0, 0),
        // Links grow by their gateway prefix.
        out: Vec::with_capacity(page.len() + page.len() / 2),
        fates: Vec::new(),
        values: String::new(),
        drop_content: false,
    };
    // Text stays as it is: only the markup is looked at.
    let mut lexer = Lexer::markup(page);
    while let Some(token) = lexer.next() {
        pass.span = (lexer.start(), lexer.pos());
        match token {
            Token::Text(_) | Token::Other(_) => {}
            Token::Start {
                name,
                self_closing,
                repeated,
                ..
            } => pass.start(name, lexer.attrs(), self_closing, repeated),
            Token::End { name, plain, .. } => pass.end(name, plain),
            Token::RawText {
                element,
                content,
                end_name,
                end_plain,
            } => pass.raw_text(element, content, end_name, end_plain),
        }
    }
    // The rest of the page, but a tag the end cut off.
    let last = lexer.read();
    if last > pass.copied {
        pass.out.extend_from_slice(&page[pass.copied..last]);
    }
    Ok((pass.out, pass.report))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value as an attribute gets it back (`&` written as `&amp;`).
    fn encode_attr(value: &str) -> Cow<'_, str> {
        if value.contains('&') {
            Cow::Owned(value.replace('&', "&amp;"))
        } else {
            Cow::Borrowed(value)
        }
    }

    fn run(html: &str) -> (String, Report) {
        let page = PageUrl::new("http://cp.example:9000/cp/dir/page.html".into()).unwrap();
        let routes = [
            Route::new("http://cp.example:9000/cp/", "news").unwrap(),
            Route::new("http://other.example/x/", "other").unwrap(),
        ];
        let rules = Rules {
            page: &page,
            routes: &routes,
            session: "/s/SID",
            elsewhere: "/s/SID/url?url=",
            regst: "/s/SID/cp/regst/news",
            charset: "Shift_JIS",
        };
        let (out, report) = transform(html.as_bytes(), encoding_rs::UTF_8, &rules).unwrap();
        (String::from_utf8(out).unwrap(), report)
    }

    #[test]
    fn scripts_handlers_and_script_urls_are_removed() {
        let (out, report) = run(concat!(
            "<p onclick=\"x()\" ONMOUSEOVER='y()'>hi</p><script>alert(1)</script>",
            "<SCRIPT type=text/javascript>steal()</SCRIPT><a href=\"javascript:alert(1)\">j</a>",
            "<a href=\" JaVa\tScript:evil()\">t</a><img src=data:image/gif;base64,AAAA>",
            "<noscript>shown</noscript><a href=vbscript:x>v</a>"
        ));
        for gone in [
            "onclick",
            "ONMOUSEOVER",
            "onmouseover",
            "alert",
            "steal",
            "javascript",
            "JaVa",
            "data:",
            "vbscript",
        ] {
            assert!(!out.contains(gone), "{gone} in {out}");
        }
        assert!(out.contains("<p>hi</p>") && out.contains("shown"), "{out}");
        assert_eq!(report.removed["script"], 2);
        assert_eq!(report.removed["on* attribute"], 2);
        assert_eq!(report.removed["script URL"], 4);
    }

    #[test]
    fn style_expressions_go_and_plain_styles_stay() {
        let (out, _) = run(concat!(
            "<style>p{width:expression(alert(1))}</style><style>b{color:red}</style>",
            "<div style=\"background:url(javascript:alert(1))\">a</div><div style=\"color:blue\">b</div>",
            "<div style=\"x:e&#x78;pression(1)\">c</div>"
        ));
        assert!(
            !out.contains("expression") && !out.contains("javascript") && !out.contains("&#x78;"),
            "{out}"
        );
        assert!(
            out.contains("b{color:red}") && out.contains("color:blue"),
            "{out}"
        );
    }

    #[test]
    fn meta_http_equiv_keeps_only_content_type_and_refresh_inside() {
        let (out, report) = run(concat!(
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">",
            "<meta http-equiv=\"Set-Cookie\" content=\"a=1\"><meta http-equiv=refresh content=\"0;URL=http://evil.example/\">",
            "<meta http-equiv=\"Refresh\" content=\"5; url=next.html\"><meta charset=utf-8>"
        ));
        assert!(
            out.contains("content=\"text/html; charset=Shift_JIS\""),
            "{out}"
        );
        assert!(
            !out.contains("Set-Cookie") && !out.contains("evil"),
            "{out}"
        );
        assert!(
            out.contains("content=\"5;URL=/s/SID/g/news/dir/next.html\""),
            "{out}"
        );
        assert!(out.contains("<meta charset=\"Shift_JIS\">"), "{out}");
        assert_eq!(report.removed["refresh elsewhere"], 1);
        assert_eq!(report.removed["meta http-equiv"], 1);
    }

    #[test]
    fn frames_srcdoc_and_referrer_policies_are_removed() {
        let (out, report) = run(concat!(
            "<meta name=\"referrer\" content=\"unsafe-url\"><META NAME=' Referrer ' CONTENT=origin>",
            "<meta name=referr&#x65;r content=no-referrer-when-downgrade><meta name=viewport content=x>",
            "a<iframe src=\"/cp/f\" srcdoc=\"<script>x()</script>\"><b>inner</b></iframe>b",
            "<IFRAME/>still inner</IFRAME>c<iframe>to the end",
        ));
        assert_eq!(out, "<meta name=viewport content=x>abc", "{out}");
        assert_eq!(report.removed["meta referrer"], 3);
        assert_eq!(report.removed["frame"], 3);
        let (out, report) = run(concat!(
            "<frameset rows=\"*,*\"><frame src=\"/cp/a\"><FRAME SRC=/cp/b></frameset>",
            "<noframes>shown</noframes><div srcdoc=\"&lt;p&gt;\" SRCDOC=x>d</div>",
            "<a href=\"/cp/x\" referrerpolicy=unsafe-url>x</a><img src=\"/cp/i.gif\" ReferrerPolicy=origin>",
        ));
        for gone in [
            "<frame",
            "<FRAME",
            "frameset>",
            "srcdoc",
            "SRCDOC",
            "referrerpolicy",
            "ReferrerPolicy",
        ] {
            assert!(!out.contains(gone), "{gone} in {out}");
        }
        assert!(out.contains("<div>d</div>"), "{out}");
        assert!(out.contains("<a href=\"/s/SID/g/news/x\">x</a>"), "{out}");
        assert_eq!(report.removed["frame"], 3);
        assert_eq!(report.removed["srcdoc"], 1);
        assert_eq!(report.removed["referrerpolicy"], 2);
    }

    #[test]
    fn a_kept_meta_has_its_url_attributes_rewritten_too() {
        let (out, report) = run(concat!(
            "<meta http-equiv=refresh src=\"javascript:alert(1)\" href=/cp/a>",
            "<meta name=viewport content=x data=\"http://elsewhere.example/\">",
        ));
        assert_eq!(
            out,
            "<meta http-equiv=\"refresh\" href=\"/s/SID/g/news/a\">\
             <meta name=\"viewport\" content=\"x\" \
             data=\"/s/SID/url?url=http%3A%2F%2Felsewhere.example%2F\">"
        );
        assert_eq!(report.removed["script URL"], 1);
    }

    #[test]
    fn a_refresh_is_kept_only_in_the_strict_form() {
        assert_eq!(refresh_parts("5"), Some(("5", None)));
        assert_eq!(refresh_parts(" 10 \t"), Some(("10", None)));
        assert_eq!(refresh_parts("0;URL=a.html"), Some(("0", Some("a.html"))));
        assert_eq!(
            refresh_parts("0 ;\turl='b.html' x"),
            Some(("0", Some("b.html")))
        );
        assert_eq!(refresh_parts("3; Url=\"c d\""), Some(("3", Some("c d"))));
        for loose in [
            "0,http://other/?;url=ok.html",
            "0 http://other/",
            "0,url=http://other/",
            "0;http://other/",
            "0; url = ok.html",
            "0.5;url=ok.html",
            "url=ok.html",
            ";url=ok.html",
            "",
            "0;",
            "-1;url=ok.html",
        ] {
            assert_eq!(refresh_parts(loose), None, "{loose:?}");
        }
        let (out, report) = run(concat!(
            "<meta http-equiv=refresh content=\"0,http://other.example/?;url=ok.html\">",
            "<meta http-equiv=refresh content=\"0 http://other.example/\">",
            "<meta http-equiv=refresh content=\"0&#44;http://other.example/\">",
            "<meta http-equiv=refresh content=\"7\">",
            "<meta http-equiv=refresh content=\" 2 ; URL='next.html'\">",
        ));
        assert_eq!(
            out,
            "<meta http-equiv=refresh content=\"7\">\
             <meta http-equiv=\"refresh\" content=\"2;URL=/s/SID/g/news/dir/next.html\">"
        );
        assert_eq!(report.removed["malformed refresh"], 3);
    }

    #[test]
    fn every_form_of_link_is_rewritten_into_the_gateway() {
        let (out, _) = run(concat!(
            "<a href=\"http://cp.example:9000/cp/a.html\">1</a>",
            "<a href='http://cp.example:9000/cp/b.html'>2</a>",
            "<a href=http://cp.example:9000/cp/c.html>3</a>",
            "<A HREF=\"HTTP://CP.EXAMPLE:9000/cp/d.html\">4</A>",
            "<a href=\"http://cp.example:9000/cp\">top</a>",
            "<a href=\"/cp/e?x=1&amp;y=2\">5</a>",
            "<a href=\"rel.html\">6</a><a href=\"../up.html\">7</a>",
            "<a href=\"http://other.example/x/o.html\">8</a>",
            "<a href=\"#frag\">9</a><a href=\"mailto:a@b.jp\">m</a>",
        ));
        for want in [
            "href=\"/s/SID/g/news/a.html\"",
            "href=\"/s/SID/g/news/b.html\"",
            "href=\"/s/SID/g/news/c.html\"",
            "HREF=\"/s/SID/g/news/d.html\"",
            "href=\"/s/SID/g/news/\"",
            "href=\"/s/SID/g/news/e?x=1&amp;y=2\"",
            "href=\"/s/SID/g/news/dir/rel.html\"",
            "href=\"/s/SID/g/news/up.html\"",
            "href=\"/s/SID/g/other/o.html\"",
            "href=\"#frag\"",
            "href=\"mailto:a@b.jp\"",
        ] {
            assert!(out.contains(want), "{want} in {out}");
        }
    }

    #[test]
    fn a_link_is_trimmed_as_a_browser_trims_it() {
        // Controls and spaces around the URL go (the URL parser's rule)...
        let (out, report) = run(
            "<a href=\"\t\u{1} http://cp.example:9000/cp/a.html \n\">1</a>\
             <a href=\"\u{1}javascript:alert(1)\">2</a>",
        );
        assert!(out.contains("href=\"/s/SID/g/news/a.html\""), "{out}");
        assert!(!out.contains("javascript"), "{out}");
        assert_eq!(report.removed["script URL"], 1);
        // ... a full-width space is part of it, as a browser reads it.
        let (out, _) = run("<a href=\"http://cp.example:9000/cp/b.html\u{3000}\">3</a>");
        assert!(
            out.contains("href=\"/s/SID/g/news/b.html%E3%80%80\""),
            "{out}"
        );
        // A form's action of spaces posts to its own page; of a full-width
        // space, to that path below the page's folder.
        let (out, _) = run("<form action=\" \t\" method=post></form>");
        assert!(
            out.contains("action=\"/s/SID/g/news/dir/page.html\""),
            "{out}"
        );
        let (out, _) = run("<form action=\"\u{3000}\" method=post></form>");
        assert!(
            out.contains("action=\"/s/SID/g/news/dir/%E3%80%80\""),
            "{out}"
        );
    }

    #[test]
    fn links_that_leave_the_site_go_to_the_not_configured_page() {
        let (out, _) = run(concat!(
            "<a href=\"../../../secret\">dots</a><a href=\"http://elsewhere.example/\">away</a>",
            "<a href=\"//evil.example/x\">proto</a><a href=\"/cp/%2e%2e/secret\">enc</a>"
        ));
        assert!(
            out.contains("href=\"/s/SID/url?url=http%3A%2F%2Fcp.example%3A9000%2Fsecret\""),
            "{out}"
        );
        assert!(
            out.contains("href=\"/s/SID/url?url=http%3A%2F%2Felsewhere.example%2F\""),
            "{out}"
        );
        assert!(
            out.contains("href=\"/s/SID/url?url=http%3A%2F%2Fevil.example%2Fx\""),
            "{out}"
        );
        assert_eq!(out.matches("/s/SID/url?url=").count(), 4, "{out}");
    }

    #[test]
    fn forms_utn_and_registration_go_where_the_centre_sent_them() {
        let (out, _) = run(concat!(
            "<form action=\"/cp/post\" method=\"post\">a</form>",
            "<form action=\"/cp/find\">b</form>",
            "<form action=\"/cp/s\" method=post utn>c</form>",
            "<a href=\"serial\" utn>d</a>",
            "<form action=\"http://docomo.ne.jp/cp/regst\" method=\"post\">e</form>",
            "<form method=post>f</form>",
            "<img src=\"/cp/logo.gif\">",
        ));
        for want in [
            "action=\"/s/SID/g/news/post\"",
            "action=\"/s/SID/f/news/find\"",
            "action=\"/s/SID/u/news/s\"",
            "href=\"/s/SID/u/news/dir/serial\"",
            "action=\"/s/SID/cp/regst/news\"",
            "action=\"/s/SID/g/news/dir/page.html\"",
            "src=\"/s/SID/g/news/logo.gif\"",
        ] {
            assert!(out.contains(want), "{want} in {out}");
        }
    }

    #[test]
    fn shift_jis_text_passes_through_byte_for_byte() {
        let page = PageUrl::new("http://cp.example:9000/cp/".into()).unwrap();
        let routes = [Route::new("http://cp.example:9000/cp/", "news").unwrap()];
        let rules = Rules {
            page: &page,
            routes: &routes,
            session: "/s/SID",
            elsewhere: "/s/SID/url?url=",
            regst: "/r",
            charset: "Shift_JIS",
        };
        // 天気 in Shift_JIS, a pictogram (F89F), and a trail byte that is '\\' (0x5C).
        let html = b"<p>\x93\x56\x8b\x43 \xf8\x9f \x83\x5c</p><a href=\"a.html\">\x83\x5c</a>";
        let (out, _) = transform(html, encoding_rs::SHIFT_JIS, &rules).unwrap();
        assert_eq!(
            out,
            b"<p>\x93\x56\x8b\x43 \xf8\x9f \x83\x5c</p><a href=\"/s/SID/g/news/a.html\">\x83\x5c</a>".to_vec()
        );
    }

    #[test]
    fn links_matched_as_text_lead_where_the_parser_would_send_them() {
        let routes = Route::all(
            [
                ("http://cp.example:9000/cp/", "news"),
                ("http://cp.example:9000/cp/deep/", "deep"),
                ("https://sec.example/", "sec"),
                ("http://127.0.0.1:8080/", "ip"),
            ]
            .into_iter(),
        );
        let mut checked = 0;
        for page in [
            "http://cp.example:9000/cp/dir/page.html?q=1",
            "http://cp.example:9000/cp/",
            "https://sec.example/a/b",
            "http://127.0.0.1:8080/x",
        ] {
            let text = page;
            let page = Url::parse(text).unwrap();
            let lazy = PageUrl::new(text.to_string()).unwrap();
            let base = Base::of(&lazy);
            // Cut as text or from the parsed URL, the base is the same.
            let parsed = PageUrl {
                text: text.to_string(),
                parsed: page.clone().into(),
            };
            let from_url = Base::of(&parsed);
            assert_eq!(
                (base.origin, base.dir),
                (from_url.origin, from_url.dir),
                "{text}"
            );
            for value in [
                "a.html",
                "a.html?x=1&y=2#top",
                "sub/b.html",
                "/cp/c.html",
                "/cp",
                "/cp?x",
                "/cp/deep",
                "/cp/deep/d.html",
                "/cpx/e.html",
                "/",
                "http://cp.example:9000/cp/f.html",
                "http://cp.example:9000/cp",
                "http://cp.example:9000/cp#f",
                "http://cp.example:9000/cp/deep",
                "http://cp.example:9000/cp/deep/",
                "http://cp.example:9000/cpdeep",
                "http://cp.example:9000/cp/a//b",
                "http://cp.example:9000/cp/%7Euser/",
                "http://cp.example:9000/cp/x:y@z;w,v=u!$()*+~",
                "https://sec.example/",
                "https://sec.example",
                "https://sec.example/p?guid=ON",
                "https://sec.example:443/p",
                "http://127.0.0.1:8080/p",
                "http://127.0.0.1:8080",
                "http://127.1:8080/p",
                "http://cp.example:9000@evil.example/cp/",
                "http://cp.example:90000/cp/",
                "http://cp.example.evil/cp/",
                "9.html",
            ] {
                let slow = match page.join(value) {
                    Ok(url) => gateway_target(&url, &routes, "/s/SID", Via::Link, "/else?u="),
                    Err(_) => continue,
                };
                if let Some(url) = base.plain(value) {
                    let mut fast = String::new();
                    if write_plain_target(&url, &routes, "/s/SID", Via::Link, &mut fast) {
                        assert_eq!(fast, slow, "{value} on {page}");
                        checked += 1;
                    }
                }
                let (out, _) = transform(
                    format!("<a href=\"{value}\">x</a>").as_bytes(),
                    encoding_rs::UTF_8,
                    &Rules {
                        page: &lazy,
                        routes: &routes,
                        session: "/s/SID",
                        elsewhere: "/else?u=",
                        regst: "/r",
                        charset: "Shift_JIS",
                    },
                )
                .unwrap();
                let want = format!("<a href=\"{}\">x</a>", encode_attr(&slow));
                assert_eq!(String::from_utf8(out).unwrap(), want, "{value} on {page}");
            }
        }
        assert!(checked > 40, "the text path took {checked} links");
    }

    #[test]
    fn a_site_below_another_owns_the_links_below_it() {
        let routes = Route::all(
            [
                ("http://cp.example/", "outer"),
                ("http://cp.example/inner/", "inner"),
            ]
            .into_iter(),
        );
        let to =
            |u: &str| gateway_target(&Url::parse(u).unwrap(), &routes, "/s/S", Via::Link, "/e?");
        assert_eq!(to("http://cp.example/inner/a"), "/s/S/g/inner/a");
        assert_eq!(to("http://cp.example/inner"), "/s/S/g/inner/");
        assert_eq!(to("http://cp.example/innerx"), "/s/S/g/outer/innerx");
    }

    #[test]
    fn what_a_browser_would_parse_differently_is_closed_off() {
        let (out, report) = run(concat!(
            // Foreign content parses <style> as markup: svg and math go.
            "<svg><style><img src=x onerror=alert(1)></style></svg>",
            "<math><mi>x</mi></math>",
            // In a <select> a browser ignores <noembed> and <title> and reads on as markup
            // (an <iframe> goes whole, content and all).
            "<select><noembed><script>alert(2)</script></noembed><title><b onclick=z()>t</b></title>",
            "<iframe><script>alert(7)</script></iframe></select>",
            "<textarea></textarea><img src=x onerror=alert(3)></textarea>",
            "<xmp><a href=javascript:alert(4)></xmp>",
            // The first of two attributes is the one a browser takes.
            "<a href=\"/cp/ok\" HREF=\"javascript:alert(5)\">two</a>",
            // A tag cut off at the end never reaches a browser.
            "<p>end<a href=\"javascript:alert(6)"
        ));
        // What is left of the attacks is text: no tag carries them.
        for gone in [
            "<svg",
            "</svg",
            "<math",
            "<img src=x",
            "<script",
            "<b ",
            "<a href=javascript",
            "alert(5)",
            "alert(6)",
            "alert(7)",
            "iframe",
        ] {
            assert!(!out.contains(gone), "{gone} in {out}");
        }
        // Raw text keeps what it says, with no `<` a browser could take for a tag.
        assert!(
            out.contains("<style>\\3c img src=x onerror=alert(1)></style>"),
            "{out}"
        );
        assert!(
            out.contains("<noembed>&lt;script>alert(2)&lt;/script></noembed>"),
            "{out}"
        );
        assert!(
            out.contains("<title>&lt;b onclick=z()>t&lt;/b></title>"),
            "{out}"
        );
        assert!(
            out.contains("<a href=\"/s/SID/g/news/ok\">two</a>"),
            "{out}"
        );
        assert!(
            out.contains("</textarea><img src=\"/s/SID/g/news/dir/x\">"),
            "{out}"
        );
        assert!(out.ends_with("<p>end"), "{out}");
        assert_eq!(report.removed["svg/math"], 2);
    }

    #[test]
    fn a_stray_lt_before_what_goes_opens_nothing_after_it() {
        // `<<script>` is the text `<` and a script: with the script gone, the
        // `<` must not open what followed it.
        let (out, report) = run(concat!(
            "<<script>x</script>img src=x onerror=alert(1)>",
            "<</script>b onclick=y()>",
            "a<<svg>iframe srcdoc=z>"
        ));
        assert_eq!(
            out,
            "&lt;img src=x onerror=alert(1)>&lt;b onclick=y()>a&lt;iframe srcdoc=z>"
        );
        assert_eq!(report.removed["script"], 1);
        // Before a tag written again, the `<` is text either way.
        let (out, _) = run("<<a href=\"/cp/x\" onclick=y>");
        assert_eq!(out, "&lt;<a href=\"/s/SID/g/news/x\">");
    }

    #[test]
    fn an_attribute_named_with_an_equals_sign_goes() {
        // `p`, `=` and `q`: written again as ` p = q=…`, `q=…` would be p's
        // value and the onclick in q's value an attribute.
        let page = "<a href=/cp/x p/=/q=\"<b onclick=y>\">t</a>";
        let (out, report) = run(page);
        assert_eq!(
            out,
            "<a href=\"/s/SID/g/news/x\" p q=\"<b onclick=y>\">t</a>"
        );
        assert_eq!(report.removed["malformed attribute"], 1);
        let mut lexer = Lexer::new(out.as_bytes());
        lexer.next();
        let names: Vec<&[u8]> = lexer.attrs().iter().map(|a| a.name).collect();
        assert_eq!(names, [&b"href"[..], b"p", b"q"]);
    }

    #[test]
    fn untouched_markup_keeps_its_bytes() {
        let page = concat!(
            "<!DOCTYPE html><html><!-- note --><body bgcolor=#ffffff>",
            "<font COLOR='red' size=2>x</font><br/><hr noshade>",
            "<input type=text name=q istyle=3 value=\"a&amp;b\"></body></html>"
        );
        let (out, report) = run(page);
        assert_eq!(out, page);
        assert_eq!(report.summary(), None);
    }

    #[test]
    fn a_tag_with_thousands_of_attributes_is_read_in_one_pass() {
        let attrs: String = (0..20_000).map(|i| format!(" a{i}=v")).collect();
        let page = format!("<p{attrs} a7=again onclick=x>t</p>");
        let (out, report) = run(&page);
        assert!(out.starts_with("<p a0=\"v\" a1=\"v\""), "{}", &out[..40]);
        assert!(out.contains(" a19999=\"v\">t</p>"));
        assert!(!out.contains("again") && !out.contains("onclick"));
        assert_eq!(report.removed["on* attribute"], 1);
    }

    #[test]
    fn the_tokenizer_sees_the_tags_lol_html_sees() {
        use lol_html::{element, HtmlRewriter, Settings};
        let pages = [
            "<A HREF=x.html title='a \"b\"' data-x=\"1>2\" checked/><br/>",
            "<a href=\"1\"title=2 x = y z=>t</a>",
            "a < b <3 </> c </3x> <!-- <a href=no> --> <!DOCTYPE html><?php <b> ?>d<i>",
            "<style>a<b>c</stylex></STYLE >d<textarea><a></textarea><u>",
            "<title>t</title foo=\">\"><em>after</em>",
            "<script><!--<script>x</script><s>--></script><q>z</q>",
            "<script>a</script\t><kbd><xmp><a></xmp><var>",
            "<img src=a.gif alt=\"\" width=10 height=\"20\" align=left/>",
            "<form action=/cp/p method=post><input type=submit value=送信 istyle=1></form>",
            "<p\nclass=a\r\nid=b\x0cstyle=c>x</p><br / ><hr/ size=1>",
            "<a href=x/>y</a><a href='' name>n</a><a =odd>o</a>",
            "<marquee behavior=alternate>m</marquee><blink>b</blink><plaintext><a>",
        ];
        for page in pages {
            let mut seen = Vec::new();
            {
                let mut rewriter = HtmlRewriter::new(
                    Settings {
                        element_content_handlers: vec![element!("*", |el| {
                            let attrs: Vec<(String, String)> = el
                                .attributes()
                                .iter()
                                .map(|a| (a.name(), a.value()))
                                .collect();
                            seen.push((el.tag_name(), attrs, el.is_self_closing()));
                            Ok(())
                        })],
                        ..Settings::new()
                    },
                    |_: &[u8]| {},
                );
                rewriter.write(page.as_bytes()).unwrap();
                rewriter.end().unwrap();
            }
            let mut ours = Vec::new();
            let mut lexer = Lexer::new(page.as_bytes());
            while let Some(token) = lexer.next() {
                if let Token::Start {
                    name, self_closing, ..
                } = token
                {
                    let attrs = lexer.attrs();
                    let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
                    let attrs: Vec<(String, String)> = attrs
                        .iter()
                        .map(|a| {
                            (
                                text(a.name).to_ascii_lowercase(),
                                text(a.value.unwrap_or_default()),
                            )
                        })
                        .collect();
                    ours.push((text(name).to_ascii_lowercase(), attrs, self_closing));
                }
            }
            assert_eq!(ours, seen, "{page}");
        }
    }

    #[test]
    fn entities_decode() {
        assert_eq!(
            decode_entities("a&amp;b&#38;c&#x26;d&lt;&unknown;&"),
            "a&b&c&d<&unknown;&"
        );
        // Every reference of an ASCII character, as a browser reads it: the
        // four legacy ones without `;` too, the others only with it.
        assert_eq!(
            decode_entities("javascript&colon;x&lpar;1&rpar;&AMP&LT;&Tab;&colon&apos"),
            "javascript:x(1)&<\t&colon&apos"
        );
    }

    #[test]
    fn a_style_or_link_spelled_with_references_reads_as_a_browser_reads_it() {
        let (out, report) = run(concat!(
            "<div style=\"width:expression&lpar;alert(1))\">a</div>",
            "<div style=\"background:url(javascript&colon;alert(1))\">b</div>",
            "<a href=\"javascript&colon;alert(1)\">c</a>",
            "<a href=\"a&sol;b.html\">d</a>",
        ));
        assert_eq!(
            out,
            "<div>a</div><div>b</div><a>c</a><a href=\"/s/SID/g/news/dir/a/b.html\">d</a>"
        );
        assert_eq!(report.removed["style expression"], 2);
        assert_eq!(report.removed["script URL"], 1);
    }
}
