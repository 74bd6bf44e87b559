//! What the sanitizer promises of every page it writes, checked by reading
//! its output back with the tokenizer it reads pages with. Shared by the
//! HTML fuzz target (`fuzz/fuzz_targets/html.rs`) and the property test
//! (`tests/tokenizer.rs`), which include this file as a module.
//!
//! In the output, for a page in Shift_JIS and in UTF-8:
//! - no `script`, frame, `base`, `svg`, `math` or `noscript` start tag (a
//!   `<script` can only be left in text, a comment or raw-text content,
//!   where it is none);
//! - no `on…` attribute, nor `srcdoc`, `srcset`, `ping`, `referrerpolicy`;
//! - every URL attribute, resolved as a browser resolves it against the
//!   page's gateway URL, stays on garake's origin or is a handset scheme
//!   (`mailto:`, `tel:`, …): no `javascript:`, `data:` or off-site link;
//! - a `<meta http-equiv>` is only Content-Type or a refresh into the gateway;
//! - no style (attribute or sheet) with `expression(`, `javascript:`, …;
//! - no `<` in the content of a raw-text element (`style`, `title`, …).
//!
//! A broken promise panics, naming it.

use garake::gateway::sanitize::{decode_entities, transform, PageUrl, Rules};
use garake::gateway::Route;
use garake::html::{Lexer, RawKind, Token};
use url::Url;

/// The page's URL at the content provider, and the same page as the
/// handset's browser sees it (on garake's origin).
const PAGE: &str = "http://cp.example:9000/cp/dir/page.html";
const GATEWAY_PAGE: &str = "http://garake.example/s/SID/g/news/dir/page.html";

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
const DROPPED: &[&str] = &["srcdoc", "srcset", "ping", "imagesrcset", "referrerpolicy"];
const GONE: &[&str] = &[
    "script", "iframe", "frame", "frameset", "base", "svg", "math", "noscript",
];

/// Sanitizes `data` as a page of a configured site, in Shift_JIS and in
/// UTF-8, and checks each output.
pub fn sanitize_and_check(data: &[u8]) {
    let page = PageUrl::new(PAGE.to_string()).expect("the page's URL parses");
    let routes = Route::all(
        [
            ("http://cp.example:9000/cp/", "news"),
            ("http://other.example/x/", "other"),
        ]
        .into_iter(),
    );
    let rules = Rules {
        page: &page,
        routes: &routes,
        session: "/s/SID",
        elsewhere: "/s/SID/url?url=",
        regst: "/s/SID/cp/regst/news",
        charset: "Shift_JIS",
    };
    for encoding in [encoding_rs::SHIFT_JIS, encoding_rs::UTF_8] {
        let (out, _) = transform(data, encoding, &rules).expect("an ASCII-compatible charset");
        keeps_its_promises(&out, encoding);
    }
}

fn is(name: &[u8], want: &str) -> bool {
    name.eq_ignore_ascii_case(want.as_bytes())
}

fn text(raw: &[u8], encoding: &'static encoding_rs::Encoding) -> String {
    encoding.decode_without_bom_handling(raw).0.into_owned()
}

/// Whether CSS could run something (white space and escapes ignored).
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

/// A link as the handset's browser follows it: on garake's origin, or a
/// handset scheme, or nothing at all.
fn stays_in_the_gateway(value: &str) -> bool {
    let gateway = Url::parse(GATEWAY_PAGE).expect("a URL");
    match gateway.join(value) {
        Ok(url) if url.origin() == gateway.origin() => true,
        Ok(url) => matches!(url.scheme(), "mailto" | "tel" | "telto" | "sms"),
        // The browser follows no link it cannot parse.
        Err(_) => true,
    }
}

fn keeps_its_promises(out: &[u8], encoding: &'static encoding_rs::Encoding) {
    let mut lexer = Lexer::new(out);
    while let Some(token) = lexer.next() {
        match token {
            Token::Start { name, .. } => {
                assert!(
                    !GONE.iter().any(|g| is(name, g)),
                    "a {} tag is left",
                    String::from_utf8_lossy(name)
                );
                let mut equiv = None;
                let mut content = None;
                for a in lexer.attrs() {
                    let value = text(a.value.unwrap_or_default(), encoding);
                    let value = decode_entities(&value);
                    assert!(
                        !(a.name.len() >= 2 && is(&a.name[..2], "on")),
                        "an on… attribute is left"
                    );
                    assert!(
                        !DROPPED.iter().any(|d| is(a.name, d)),
                        "a dropped attribute"
                    );
                    if URL_ATTRIBUTES.iter().any(|u| is(a.name, u)) {
                        assert!(stays_in_the_gateway(&value), "a link leaves: {value:?}");
                    }
                    if is(a.name, "style") {
                        assert!(!dangerous_css(&value), "a style runs: {value:?}");
                    }
                    if is(name, "meta") && is(a.name, "http-equiv") {
                        equiv = Some(value.trim().to_ascii_lowercase());
                    }
                    if is(name, "meta") && is(a.name, "content") {
                        content = Some(value.into_owned());
                    }
                }
                match equiv.as_deref() {
                    None | Some("content-type") => {}
                    // Without a content, a refresh does nothing.
                    Some("refresh") if content.is_none() => {}
                    Some("refresh") => {
                        let content = content.unwrap_or_default();
                        let content = content.trim_matches([' ', '\t', '\n', '\x0c', '\r']);
                        let digits = content.bytes().take_while(u8::is_ascii_digit).count();
                        let rest = &content[digits..];
                        assert!(digits > 0, "a refresh without a delay: {content:?}");
                        if !rest.is_empty() {
                            let url = rest.strip_prefix(";URL=").expect("N;URL=…");
                            assert!(stays_in_the_gateway(url), "a refresh leaves: {url:?}");
                        }
                    }
                    Some(other) => panic!("a meta http-equiv={other:?} is left"),
                }
            }
            Token::RawText {
                element, content, ..
            } => match element {
                RawKind::Script => panic!("a script is left"),
                RawKind::Style => {
                    assert!(!dangerous_css(&text(content, encoding)), "a sheet runs");
                    assert!(!content.contains(&b'<'), "a < in a style sheet");
                }
                _ => assert!(!content.contains(&b'<'), "a < in raw text"),
            },
            _ => {}
        }
    }
}
