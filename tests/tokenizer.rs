//! The gateway's hand-written HTML tokenizer (`garake::html::Lexer`) against
//! html5ever's, the WHATWG tokenizer that browsers implement, on generated
//! pages: what the sanitizer relies on must read the same in both.
//!
//! Compared, token by token: start tags (name, attributes in order with the
//! first of a repeated name kept, their values, self-closing, whether an
//! attribute was repeated), end tags, text, where a comment or doctype stands,
//! and where the content of a raw-text element (`script`, `style`, `title`,
//! `textarea`, `xmp`, `iframe`, `noembed`, `noframes`, `plaintext`) ends. Also
//! checked on every page: the `Lexer::markup` reading (the sanitizer's) gives
//! the same markup at the same places as the full reading, the tokens tile the
//! page, and what the lexer says it read (all but a tag cut off by the end)
//! reads the same to html5ever as the whole page.
//!
//! Where the two readings differ by design, the comparison normalises, each
//! for a reason:
//! - Bytes: the lexer reads bytes, html5ever characters. Each byte is given
//!   to html5ever as the character of the same number (Latin-1): every
//!   encoding a page reaches the lexer in is ASCII-compatible, so a byte of
//!   0x80 or more (alone or in a Shift_JIS, EUC-JP or UTF-8 sequence) never
//!   stands for markup, as no character above U+007F does.
//! - Names: the lexer gives them as written (the sanitizer compares them in
//!   any letter case); they are compared lower-cased, with NUL as U+FFFD, as
//!   html5ever gives them.
//! - Values and text: the lexer gives them raw (entities undecoded; the
//!   sanitizer decodes what it follows). They are decoded for the comparison
//!   by html5ever itself in the context they came from (an attribute value,
//!   text, RCDATA), which also turns NUL into U+FFFD and CR LF into LF where
//!   a browser does; the decoding must itself find nothing but text, so a
//!   stretch the lexer took for text that is markup still fails.
//! - `</>`: the lexer returns it as a token of its own so that its bytes are
//!   accounted for; a browser drops it, so it is left out.
//! - Comments, doctypes and bogus comments: compared as where they stand, not
//!   by their content (the sanitizer never looks inside; what follows each
//!   pins where it ends).
//! - Raw text: which elements switch the tokenizer is the tree builder's
//!   decision, and depends on where the element stands (in a `<select>` or
//!   inside `<svg>` a browser does not switch). The lexer switches on those
//!   names everywhere, and the reference sink here does the same; the
//!   sanitizer takes the other contexts away itself (`svg` and `math` go, no
//!   `<` is left in raw-text content). `noscript` is ordinary markup, as in a
//!   browser without script (the i-mode browser; the emulator's sandbox).
//!
//! The same pages also go through the sanitizer, whose output must keep the
//! promises `support/sanitizer_promises.rs` lists (the HTML fuzz target
//! checks them too, on any bytes).
//!
//! `cargo test --test tokenizer` runs 10,000 pages through each
//! (`TOKENIZER_CASES=N` for more; docs/gateway.md has the long run's command
//! and figures).

use std::cell::RefCell;

use garake::html::{Lexer, RawKind, Token};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::{self, State};
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token as H5Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

#[path = "support/sanitizer_promises.rs"]
mod promises;

/// What a page reads as, in either tokenizer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Start {
        name: String,
        attrs: Vec<(String, String)>,
        self_closing: bool,
        repeated: bool,
    },
    End(String),
    /// Text, runs next to each other joined, entities decoded.
    Text(String),
    /// A comment, a doctype or a bogus comment.
    Other,
}

/// Events as they come, text joined.
#[derive(Default)]
struct Events(Vec<Event>);

impl Events {
    fn text(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some(Event::Text(t)) => t.push_str(s),
            _ => self.0.push(Event::Text(s.to_string())),
        }
    }
}

/// html5ever's tokenizer with a sink that switches to raw text as the
/// lexer does (see the module's comment).
#[derive(Default)]
struct Sink {
    events: RefCell<Events>,
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: H5Token, _line: u64) -> TokenSinkResult<()> {
        let mut events = self.events.borrow_mut();
        match token {
            H5Token::TagToken(tag) => {
                let name = tag.name.to_string();
                if tag.kind == TagKind::EndTag {
                    events.0.push(Event::End(name));
                    return TokenSinkResult::Continue;
                }
                let attrs = tag
                    .attrs
                    .iter()
                    .map(|a| (a.name.local.to_string(), a.value.to_string()))
                    .collect();
                events.0.push(Event::Start {
                    name: name.clone(),
                    attrs,
                    self_closing: tag.self_closing,
                    repeated: tag.had_duplicate_attributes,
                });
                // The tree builder's list of elements whose content is not
                // markup (scripting disabled: `noscript` is markup).
                match name.as_str() {
                    "script" => TokenSinkResult::RawData(states::ScriptData),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                        TokenSinkResult::RawData(states::Rawtext)
                    }
                    "title" | "textarea" => TokenSinkResult::RawData(states::Rcdata),
                    "plaintext" => TokenSinkResult::Plaintext,
                    _ => TokenSinkResult::Continue,
                }
            }
            H5Token::CharacterTokens(t) => {
                events.text(&t);
                TokenSinkResult::Continue
            }
            H5Token::NullCharacterToken => {
                events.text("\0");
                TokenSinkResult::Continue
            }
            H5Token::CommentToken(_) | H5Token::DoctypeToken(_) => {
                events.0.push(Event::Other);
                TokenSinkResult::Continue
            }
            H5Token::EOFToken | H5Token::ParseError(_) => TokenSinkResult::Continue,
        }
    }
}

/// Each byte as the character of the same number.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// What html5ever reads in `text`, from `state` (`last` the raw-text
/// element whose end tag would end it).
fn reference_from(text: &str, state: Option<State>, last: Option<&str>) -> Vec<Event> {
    let tokenizer = Tokenizer::new(
        Sink::default(),
        TokenizerOpts {
            discard_bom: false,
            initial_state: state,
            last_start_tag_name: last.map(str::to_string),
            ..TokenizerOpts::default()
        },
    );
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(text));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.events.into_inner().0
}

/// What html5ever reads in a page.
fn reference(page: &[u8]) -> Vec<Event> {
    reference_from(&latin1(page), None, None)
}

/// `raw` decoded by html5ever from `state`; anything but text is an error.
fn decode_in(raw: &[u8], state: State, last: Option<&str>) -> Result<String, String> {
    let events = reference_from(&latin1(raw), Some(state), last);
    match events.as_slice() {
        [] => Ok(String::new()),
        [Event::Text(t)] => Ok(t.clone()),
        other => Err(format!(
            "{:?} read from {state:?} is not text: {other:?}",
            latin1(raw)
        )),
    }
}

/// Text as a browser reads it: entities decoded, NUL kept (the tree builder,
/// not the tokenizer, drops it), CR LF as LF.
fn decode_text(raw: &[u8]) -> Result<String, String> {
    if !raw.iter().any(|b| matches!(b, b'&' | b'\r')) {
        return Ok(latin1(raw));
    }
    decode_in(raw, states::Data, None)
}

/// A raw-text element's content as a browser reads it: entities decoded in
/// `title` and `textarea` only, NUL as U+FFFD, CR LF as LF.
fn decode_raw(raw: &[u8], element: RawKind, name: &str) -> Result<String, String> {
    let entities = element == RawKind::Rcdata && raw.contains(&b'&');
    if !entities && !raw.iter().any(|b| matches!(b, b'\r' | b'\0')) {
        return Ok(latin1(raw));
    }
    let state = match element {
        RawKind::Script => states::RawData(states::ScriptData),
        RawKind::Style | RawKind::Rawtext => states::RawData(states::Rawtext),
        RawKind::Rcdata => states::RawData(states::Rcdata),
        RawKind::Plaintext => states::Plaintext,
    };
    decode_in(raw, state, Some(name))
}

/// An attribute's raw value as a browser reads it: written as the value of
/// a tag for html5ever to read (a `"` in it as `&quot;`, which decodes to
/// the same; a character reference reads the same before any of the
/// characters that can end a value).
fn decode_value(raw: &[u8]) -> Result<String, String> {
    if !raw.iter().any(|b| matches!(b, b'&' | b'\r' | b'\0')) {
        return Ok(latin1(raw));
    }
    let mut tag = b"<x a=\"".to_vec();
    for &b in raw {
        if b == b'"' {
            tag.extend_from_slice(b"&quot;");
        } else {
            tag.push(b);
        }
    }
    tag.extend_from_slice(b"\">");
    match reference(&tag).as_slice() {
        [Event::Start { attrs, .. }] if attrs.len() == 1 => Ok(attrs[0].1.clone()),
        other => Err(format!("value {:?} reads as {other:?}", latin1(raw))),
    }
}

/// A tag or attribute name as html5ever gives it.
fn name_of(raw: &[u8]) -> String {
    raw.iter()
        .map(|&b| match b {
            0 => '\u{fffd}',
            b => b.to_ascii_lowercase() as char,
        })
        .collect()
}

/// What the lexer reads in a page, as the same events.
fn ours(page: &[u8]) -> Result<Vec<Event>, String> {
    let mut events = Events::default();
    let mut lexer = Lexer::new(page);
    while let Some(token) = lexer.next() {
        match token {
            Token::Text(t) => events.text(&decode_text(t)?),
            Token::Start {
                name,
                self_closing,
                repeated,
                ..
            } => {
                let mut attrs = Vec::new();
                for a in lexer.attrs() {
                    attrs.push((name_of(a.name), decode_value(a.value.unwrap_or_default())?));
                }
                events.0.push(Event::Start {
                    name: name_of(name),
                    attrs,
                    self_closing,
                    repeated,
                });
            }
            Token::End { name, .. } => events.0.push(Event::End(name_of(name))),
            // A browser drops `</>` without a token.
            Token::Other(b"</>") => {}
            Token::Other(_) => events.0.push(Event::Other),
            Token::RawText {
                element,
                content,
                end_name,
                ..
            } => {
                // The element's name is the start tag's, just read.
                let name = match events.0.last() {
                    Some(Event::Start { name, .. }) => name.clone(),
                    other => return Err(format!("raw text after {other:?}")),
                };
                events.text(&decode_raw(content, element, &name)?);
                if !end_name.is_empty() {
                    events.0.push(Event::End(name_of(end_name)));
                }
            }
        }
    }
    Ok(events.0)
}

/// Every token with where it starts and ends, and what was read.
fn spans(mut lexer: Lexer<'_>) -> (Vec<(usize, usize, String)>, usize) {
    let mut out = Vec::new();
    while let Some(token) = lexer.next() {
        out.push((lexer.start(), lexer.pos(), format!("{token:?}")));
    }
    (out, lexer.read())
}

/// The whole property on one page.
fn check(page: &[u8]) -> Result<(), String> {
    let theirs = reference(page);
    let mine = ours(page)?;
    if mine != theirs {
        return Err(format!(
            "the lexer reads\n  {mine:?}\nhtml5ever reads\n  {theirs:?}"
        ));
    }
    // The tokens tile the page up to what was read.
    let (all, read) = spans(Lexer::new(page));
    let mut at = 0;
    for (start, end, token) in &all {
        if *start != at || end < start {
            return Err(format!("{token} spans {start}..{end}, after {at}"));
        }
        at = *end;
    }
    if at != read || read > page.len() {
        return Err(format!("tokens end at {at}, read {read} of {}", page.len()));
    }
    // The sanitizer's reading: the same markup at the same places.
    let (markup, markup_read) = spans(Lexer::markup(page));
    let without_text: Vec<_> = all
        .into_iter()
        .filter(|(_, _, t)| !t.starts_with("Text("))
        .collect();
    if markup != without_text || markup_read != read {
        return Err(format!(
            "markup alone: {markup:?} read {markup_read}\nwith text: {without_text:?} read {read}"
        ));
    }
    // What is left out (a tag cut off by the end) a browser drops too.
    if read < page.len() {
        let prefix = reference(&page[..read]);
        if prefix != theirs {
            return Err(format!(
                "the first {read} bytes read\n  {prefix:?}\nthe page\n  {theirs:?}"
            ));
        }
    }
    Ok(())
}

/// A page in a failure message: bytes, escaped.
fn show(page: &[u8]) -> String {
    format!("b\"{}\"", page.escape_ascii())
}

// --- The generator: pages made of the tokenizer's hard parts. ---

type Bytes = Vec<u8>;

fn one_of(items: &'static [&'static str]) -> BoxedStrategy<Bytes> {
    prop::sample::select(items)
        .prop_map(|s| s.as_bytes().to_vec())
        .boxed()
}

fn bytes_of(items: &'static [&'static [u8]]) -> BoxedStrategy<Bytes> {
    prop::sample::select(items).prop_map(<[u8]>::to_vec).boxed()
}

/// Some of `part`, one after another.
fn some(part: BoxedStrategy<Bytes>, max: usize) -> BoxedStrategy<Bytes> {
    prop::collection::vec(part, 0..=max)
        .prop_map(|parts| parts.concat())
        .boxed()
}

/// A name from `names` in a random mix of letter cases.
fn mixed_case(names: &'static [&'static str]) -> BoxedStrategy<Bytes> {
    (prop::sample::select(names), any::<u32>())
        .prop_map(|(name, bits)| {
            name.bytes()
                .enumerate()
                .map(|(i, b)| {
                    if bits >> (i % 32) & 1 == 1 {
                        b.to_ascii_uppercase()
                    } else {
                        b
                    }
                })
                .collect()
        })
        .boxed()
}

const RAW_ELEMENTS: &[&str] = &[
    "script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes",
];

const TAG_NAMES: &[&str] = &[
    "a", "img", "br", "p", "div", "form", "input", "meta", "font", "b", "h1", "select", "svg",
    "noscript", "base", "scriptx", "titles", "styl", "a<b", "a\0b", "x=y", "script", "style",
    "title", "textarea", "xmp", "iframe", "noembed", "noframes",
];

const ATTR_NAMES: &[&str] = &[
    "href",
    "src",
    "onclick",
    "onload",
    "style",
    "action",
    "id",
    "class",
    "value",
    "name",
    "http-equiv",
    "content",
    "=",
    "=x",
    "\"q",
    "'q",
    "<x",
    "a\0",
    "x-y",
    "data-a",
    "utn",
    "/",
];

/// Pieces of values and text: entities with and without `;`, the bytes that
/// end things, non-UTF-8 and multi-byte characters.
const PIECES: &[&[u8]] = &[
    b"x",
    b"javascript:alert(1)",
    b"/cp/a.html?x=1&y=2",
    b"&amp;",
    b"&amp",
    b"&ampx",
    b"&amp=",
    b"&lt;",
    b"&gt",
    b"&#60;",
    b"&#x3C",
    b"&#0;",
    b"&#x110000;",
    b"&#128;",
    b"&colon;",
    b"&notin;",
    b"&notit;",
    b"&copy",
    b"&",
    b"&#",
    b"&#x",
    b"&;",
    b"<",
    b">",
    b"/",
    b"/>",
    b"'",
    b"\"",
    b"=",
    b"`",
    b" ",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b"\x0c",
    b"\0",
    b"\x83\x5c",
    b"\x93\x56\x8b\x43",
    b"\xf8\x9f",
    b"\xe3\x81\x82",
    b"\xff",
    b"\x80",
    b"-->",
    b"<script>",
    b"</script>",
];

/// What a page would slip past the sanitizer if it could: script URLs,
/// off-site links, handlers, and text that would make a tag if what stands
/// before it went (`<` + a removed tag + `img onerror=…>`).
const ATTACKS: &[&str] = &[
    "javascript:alert(1)",
    " JaVa\tScript:x",
    "data:text/html,x",
    "vbscript:x",
    "http://elsewhere.example/",
    "//evil.example/x",
    " onclick=alert(1) ",
    "<b onclick=y>",
    "img src=x onerror=alert(1)>",
    "b onclick=y>",
    "script>alert(1)</script>",
    "/script>",
    "svg onload=x>",
    "expression(alert(1))",
    "url(javascript:x)",
];

/// A piece of a value: mostly the tokenizer's hard bytes, sometimes an attack.
fn value_piece() -> BoxedStrategy<Bytes> {
    prop_oneof![4 => bytes_of(PIECES), 1 => one_of(ATTACKS)].boxed()
}

fn attribute() -> BoxedStrategy<Bytes> {
    let before = one_of(&["", " ", "\n", "\t", "\x0c", "\r\n", "/", " / ", "//"]);
    let around_eq = one_of(&["", " ", "\n", " \t "]);
    let raw = some(value_piece(), 4);
    let value = (0..5u8, raw).prop_map(|(style, raw)| {
        let drop = |out: &mut Bytes, not: &dyn Fn(u8) -> bool| {
            out.extend(raw.iter().copied().filter(|&b| not(b)));
        };
        let mut out = Vec::new();
        match style {
            0 => {
                out.push(b'"');
                drop(&mut out, &|b| b != b'"');
                out.push(b'"');
            }
            1 => {
                out.push(b'\'');
                drop(&mut out, &|b| b != b'\'');
                out.push(b'\'');
            }
            // Unquoted: up to white space or `>`.
            2 | 3 => drop(&mut out, &|b| {
                !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'>')
            }),
            // `name=>`: an empty value.
            _ => {}
        }
        out
    });
    let value =
        prop::option::weighted(0.7, (around_eq.clone(), value, around_eq)).prop_map(|v| match v {
            Some((a, v, b)) => [a, b"=".to_vec(), b, v].concat(),
            None => Vec::new(),
        });
    (before, mixed_case(ATTR_NAMES), value)
        .prop_map(|(before, name, value)| [before, name, value].concat())
        .boxed()
}

/// `<name attributes… [/]>`, its `>` sometimes missing.
fn start_tag(names: BoxedStrategy<Bytes>) -> BoxedStrategy<Bytes> {
    let end = one_of(&[">", ">", ">", " >", "/>", " />", "/ >", "\n>", ""]);
    (names, some(attribute(), 4), end)
        .prop_map(|(name, attrs, end)| [b"<".to_vec(), name, attrs, end].concat())
        .boxed()
}

fn end_tag() -> BoxedStrategy<Bytes> {
    let rest = prop_oneof![
        3 => one_of(&[">"]),
        1 => one_of(&[" >", "/>", " a=\">\">", "\n x=1 y>", "/x>", ""]),
    ];
    (mixed_case(TAG_NAMES), rest)
        .prop_map(|(name, rest)| [b"</".to_vec(), name, rest].concat())
        .boxed()
}

fn comment() -> BoxedStrategy<Bytes> {
    let body = some(
        one_of(&[
            "x",
            " ",
            "-",
            "--",
            "<!--",
            "--!",
            "<a href=x>",
            ">",
            "->",
            "\0",
            "\r\n",
            "!",
        ]),
        4,
    );
    let close = one_of(&[
        "-->", "-->", "--!>", "->", ">", "--->", "-- >", "--!", "-", "",
    ]);
    prop_oneof![
        3 => (body, close).prop_map(|(b, c)| [b"<!--".to_vec(), b, c].concat()),
        1 => one_of(&["<!-->", "<!--->", "<!---->", "<!----!>", "<!-", "<!-x>", "<!--!>"]),
    ]
    .boxed()
}

fn declaration() -> BoxedStrategy<Bytes> {
    one_of(&[
        "<!DOCTYPE html>",
        "<!doctype HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"x>y\">",
        "<!DocType>",
        "<!DOCTYPE html SYSTEM 'a>b'>",
        "<!DOCTYPE",
        "<?xml version=\"1.0\"?>",
        "<?php echo '<b>'; ?>",
        "<!x>",
        "<![CDATA[<b>x</b>]]>",
        "</ x>",
        "</3x>",
        "</>",
        "<!>",
        "<?>",
        "</\n>",
    ])
}

fn text() -> BoxedStrategy<Bytes> {
    prop_oneof![
        3 => bytes_of(PIECES),
        1 => one_of(ATTACKS),
        1 => one_of(&[
            "hello", "< b", "<3", "a<", "</", "<!", "<?", "<>", "<=", "]]>", "&lt;b&gt;",
            "&#12354;",
        ]),
    ]
    .boxed()
}

/// A raw-text element: its start tag, content with near misses of its end
/// tag (and of a script's escapes), and one of the ways it may end.
fn raw_element() -> BoxedStrategy<Bytes> {
    (
        prop::sample::select(RAW_ELEMENTS),
        some(attribute(), 2),
        prop::collection::vec((0..20u8, any::<u32>(), bytes_of(PIECES)), 0..8),
        0..9u8,
        any::<u32>(),
    )
        .prop_map(|(name, attrs, content, end, bits)| {
            let cased = |bits: u32| -> Bytes {
                name.bytes()
                    .enumerate()
                    .map(|(i, b)| {
                        if bits >> i & 1 == 1 {
                            b.to_ascii_uppercase()
                        } else {
                            b
                        }
                    })
                    .collect()
            };
            let mut page = [b"<".to_vec(), cased(bits), attrs, b">".to_vec()].concat();
            for (kind, bits, piece) in content {
                let n = cased(bits);
                let part: Bytes = match kind {
                    0 => [b"</", &n[..], b"x>"].concat(),
                    1 => [b"</", &n[..], b" "].concat(),
                    2 => [b"</", &n[..], b"/"].concat(),
                    3 => [b"</", &n[..]].concat(),
                    4 => [b"<", &n[..], b">"].concat(),
                    5 => [b"<", &n[..], b" "].concat(),
                    6 => b"<!--".to_vec(),
                    7 => b"-->".to_vec(),
                    8 => b"<!-->".to_vec(),
                    9 => b"--!>".to_vec(),
                    10 => b"<script>".to_vec(),
                    11 => b"</script>".to_vec(),
                    12 => b"</scriptx".to_vec(),
                    13 => b"</SCRIPT ".to_vec(),
                    14 => b"</script/".to_vec(),
                    15 => b"<script/".to_vec(),
                    16 => b"-".to_vec(),
                    _ => piece,
                };
                page.extend(part);
            }
            let n = cased(bits.rotate_left(9));
            let close: Bytes = match end {
                0 | 1 => [b"</", &n[..], b">"].concat(),
                2 => [b"</", &n[..], b" >"].concat(),
                3 => [b"</", &n[..], b"/>"].concat(),
                4 => [b"</", &n[..], b" a=\">\">"].concat(),
                5 => [b"</", &n[..], b"\t"].concat(),
                6 => [b"</", &n[..], b"\n/ x='<'>"].concat(),
                // No end tag: what follows is content.
                _ => Vec::new(),
            };
            page.extend(close);
            page
        })
        .boxed()
}

fn structured() -> BoxedStrategy<Bytes> {
    let fragment = prop_oneof![
        6 => text(),
        6 => start_tag(mixed_case(TAG_NAMES)),
        3 => end_tag(),
        2 => comment(),
        1 => declaration(),
        4 => raw_element(),
        1 => (mixed_case(&["plaintext"]), some(text(), 3))
            .prop_map(|(n, rest)| [b"<".to_vec(), n, b">".to_vec(), rest].concat()),
        // A stray `<` right before markup, and text after it: what the
        // sanitizer must not join into a tag when it removes the markup.
        2 => (
            one_of(&["<", "a<", "<<"]),
            prop_oneof![start_tag(mixed_case(TAG_NAMES)), end_tag(), raw_element()],
            one_of(ATTACKS),
        )
            .prop_map(|(lt, markup, after)| [lt, markup, after].concat()),
    ];
    some(fragment.boxed(), 12)
}

/// Markup's bytes in any order: what no grammar thinks of.
fn soup() -> BoxedStrategy<Bytes> {
    some(
        one_of(&[
            "<",
            "<",
            ">",
            "/",
            "!",
            "-",
            "--",
            "=",
            "\"",
            "'",
            " ",
            "\n",
            "\r",
            "&",
            "&amp",
            ";",
            "#",
            "a",
            "A",
            "script",
            "SCRIPT",
            "title",
            "style",
            "textarea",
            "plaintext",
            "\0",
            "<!--",
            "-->",
            "</",
            "x",
            "?",
        ]),
        40,
    )
}

fn page() -> BoxedStrategy<Bytes> {
    let whole = prop_oneof![
        6 => structured(),
        3 => soup(),
        1 => prop::collection::vec(any::<u8>(), 0..96),
    ];
    // A quarter of them cut off anywhere (mid-tag, mid-value, mid-comment).
    (
        whole,
        prop::option::weighted(0.25, any::<prop::sample::Index>()),
    )
        .prop_map(|(mut page, cut)| {
            if let Some(at) = cut {
                page.truncate(at.index(page.len() + 1));
            }
            page
        })
        .boxed()
}

/// How many pages: `TOKENIZER_CASES`, or 10,000.
fn cases() -> u32 {
    std::env::var("TOKENIZER_CASES")
        .ok()
        .and_then(|n| n.replace(['_', ','], "").parse().ok())
        .unwrap_or(10_000)
}

#[test]
fn the_tokenizer_reads_generated_pages_as_html5ever_does() {
    let cases = cases();
    let mut runner = TestRunner::new(Config {
        cases,
        // A failure is shrunk and shown; it becomes a fixed page below.
        failure_persistence: None,
        ..Config::default()
    });
    let started = std::time::Instant::now();
    let result = runner.run(&page(), |page| {
        check(&page).map_err(|e| TestCaseError::fail(format!("{}\n{e}", show(&page))))
    });
    let took = started.elapsed();
    eprintln!(
        "tokenizer: {cases} generated pages read alike in {:.1} s",
        took.as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn the_sanitizer_keeps_its_promises_on_generated_pages() {
    let cases = cases();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let started = std::time::Instant::now();
    let result = runner.run(&page(), |page| {
        let checked = std::panic::catch_unwind(|| promises::sanitize_and_check(&page));
        checked.map_err(|e| {
            let why = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            TestCaseError::fail(format!("{}\n{why}", show(&page)))
        })
    });
    eprintln!(
        "sanitizer: {cases} generated pages kept its promises in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Pages that once read differently, the lol_html comparison's pages, and
/// the hard parts written out.
#[test]
fn fixed_pages_read_as_html5ever_reads_them() {
    let pages: &[&[u8]] = &[
        // The pages the sanitizer's lol_html comparison reads.
        b"<A HREF=x.html title='a \"b\"' data-x=\"1>2\" checked/><br/>",
        b"<a href=\"1\"title=2 x = y z=>t</a>",
        b"a < b <3 </> c </3x> <!-- <a href=no> --> <!DOCTYPE html><?php <b> ?>d<i>",
        b"<style>a<b>c</stylex></STYLE >d<textarea><a></textarea><u>",
        b"<title>t</title foo=\">\"><em>after</em>",
        b"<script><!--<script>x</script><s>--></script><q>z</q>",
        b"<script>a</script\t><kbd><xmp><a></xmp><var>",
        b"<img src=a.gif alt=\"\" width=10 height=\"20\" align=left/>",
        "<form action=/cp/p method=post><input type=submit value=送信 istyle=1></form>".as_bytes(),
        b"<p\nclass=a\r\nid=b\x0cstyle=c>x</p><br / ><hr/ size=1>",
        b"<a href=x/>y</a><a href='' name>n</a><a =odd>o</a>",
        b"<marquee behavior=alternate>m</marquee><blink>b</blink><plaintext><a>",
        // Shift_JIS with a trail byte that is `\` and a pictogram.
        b"<p title=\"\x83\x5c\">\x93\x56\x8b\x43 \xf8\x9f</p>",
        // Duplicates in any case, the first kept; entities in values.
        b"<a href=ok HREF=javascript:x Href='y' onclick=1 ONCLICK=2>",
        b"<a href=\"&#106;avascript&colon;x\" title=&amp;&ampx&amp=>",
        // Comments' odd ends.
        b"<!--><!---><!----><!----!><!-- a --!> <!-- b --!x --> <b>",
        b"<!-x><!><?><!DOCTYPE x \"y>z\">w",
        // Script escapes.
        b"<script><!--<script></script>--></script>x",
        b"<script><!--<SCRIPT >a</script>b--><!--</script>c",
        b"<script><!--><script></script>z",
        b"<script></scriptx></SCRIPT/></script >",
        // Raw text cut off in its end tag, or by the end of the page.
        b"<title>a&amp;b</title x",
        b"<textarea>a</textare",
        b"<script>x</script",
        b"<style>x</style a='",
        // `</` and other openings at the end of the page.
        b"a</",
        b"a<",
        b"a<!",
        b"a<?",
        b"a<b",
        b"a</b",
        b"a<!--",
        b"a<!-",
    ];
    for page in pages {
        if let Err(e) = check(page) {
            panic!("{}\n{e}", show(page));
        }
    }
}
