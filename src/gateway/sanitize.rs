//! One pass over a content provider's page, with a real HTML tokenizer
//! (lol_html, streaming over the page's own bytes and encoding): what the
//! i-mode browser never ran is removed, and every URL the browser would
//! follow is pointed back into the gateway.
//!
//! Removed: `<script>` (and `<noscript>` is opened, as a browser without
//! script shows it), `<style>` sheets and `style` attributes with
//! `expression(…)`, `javascript:`, `behavior` or `-moz-binding`, every `on…`
//! attribute, `javascript:` / `vbscript:` / `data:` URLs, `<base>`, and every
//! `<meta http-equiv>` but Content-Type (made to name the charset the handset
//! gets) and refresh (its URL rewritten; a refresh to anywhere else is
//! dropped). Rewritten: every URL attribute (quoted, single-quoted or
//! unquoted, any letter case, with entities such as `&amp;`), resolved against
//! the page's URL with dot segments normalised; a URL below a configured
//! site goes to that site's gateway path, `utn` links and forms to the
//! serial-number consent, GET forms to the form path, the carrier's
//! registration form to this site's registration endpoint, and anything else
//! to garake's "not a configured site" page.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;

use lol_html::html_content::{ContentType, Element};
use lol_html::{element, text, AsciiCompatibleEncoding, HtmlRewriter, Settings};
use url::{Position, Url};

use super::{gateway_target, plain_target, plain_url, Route, Via};

/// The carrier URL content providers post official-site registrations to.
pub const REGST_URL: &str = "http://docomo.ne.jp/cp/regst";

/// What `transform` needs to know about the page and the session.
pub struct Rules<'a> {
    /// The page's own upstream URL: relative links resolve against it.
    pub page: &'a Url,
    /// Every configured site (`Route::all`).
    pub routes: &'a [Route],
    /// The session whose gateway paths the links get.
    pub sid: &'a str,
    /// Where links to anything else go, the URL appended percent-encoded.
    pub elsewhere: &'a str,
    /// This site's registration endpoint (the carrier's `cp/regst` form).
    pub regst: &'a str,
    /// The charset name the handset gets the page in.
    pub charset: &'a str,
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
/// Attributes dropped whatever they say (no i-mode browser had them, and
/// each can make a browser fetch or run something).
const DROPPED_ATTRIBUTES: &[&str] = &["srcset", "ping", "imagesrcset"];

/// Decodes the entities an attribute value may carry (`&amp;`, `&#38;`, `&#x26;`, …).
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
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
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

/// A value as an attribute gets it back (`&` written as `&amp;`).
fn encode_attr(value: &str) -> Cow<'_, str> {
    if value.contains('&') {
        Cow::Owned(value.replace('&', "&amp;"))
    } else {
        Cow::Borrowed(value)
    }
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
    fn of(page: &'a Url) -> Base<'a> {
        let origin = &page[..Position::BeforePath];
        let path = &page[..Position::AfterPath];
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

/// Where a URL attribute's value leads now, or `None` to drop the attribute.
fn follow(
    value: &str,
    via: Via,
    rules: &Rules<'_>,
    base: &Base<'_>,
    report: &mut Report,
) -> Option<String> {
    let value = decode_entities(value.trim());
    if value.starts_with('#') || value.is_empty() {
        return Some(value.into_owned());
    }
    // Most links are plain URLs below a configured site: matched as text.
    if let Some(url) = base.plain(&value) {
        if let Some(target) = plain_target(&url, rules.routes, rules.sid, via) {
            return Some(target);
        }
    }
    let scheme = scheme_of(&value);
    if matches!(scheme.as_str(), "javascript" | "vbscript" | "data") {
        report.count("script URL");
        return None;
    }
    // The handset's own schemes (mail, phone) are the handset's business.
    if matches!(scheme.as_str(), "mailto" | "tel" | "telto" | "sms") && value.contains(':') {
        return Some(value.into_owned());
    }
    match rules.page.join(&value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(gateway_target(
            &url,
            rules.routes,
            rules.sid,
            via,
            rules.elsewhere,
        )),
        Ok(url) => Some(format!(
            "{}{}",
            rules.elsewhere,
            super::percent_encode(url.as_str())
        )),
        Err(_) => {
            report.count("broken URL");
            None
        }
    }
}

/// An element's attributes, read once: (lower-case name, raw value).
struct Attrs(Vec<(String, String)>);

impl Attrs {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One element: handlers, URL attributes, and its tag's own rules.
fn element_rules(
    el: &mut Element<'_, '_>,
    rules: &Rules<'_>,
    base: &Base<'_>,
    report: &mut Report,
) {
    let tag = el.tag_name();
    match tag.as_str() {
        "script" => {
            el.remove();
            report.count("script");
            return;
        }
        // A browser without script shows what is inside.
        "noscript" => {
            el.remove_and_keep_content();
            return;
        }
        "base" => {
            el.remove();
            report.count("base");
            return;
        }
        _ => {}
    }
    let attrs = Attrs(
        el.attributes()
            .iter()
            .map(|a| (a.name(), a.value()))
            .collect(),
    );
    // Event handlers and attributes that fetch or run something.
    for (name, value) in &attrs.0 {
        if name.starts_with("on") {
            el.remove_attribute(name);
            report.count("on* attribute");
        } else if DROPPED_ATTRIBUTES.contains(&name.as_str()) {
            el.remove_attribute(name);
            report.count("srcset/ping");
        } else if name == "style" && dangerous_css(&decode_entities(value)) {
            el.remove_attribute(name);
            report.count("style expression");
        }
    }
    let utn = attrs.get("utn").is_some();
    match tag.as_str() {
        "meta" => return meta(el, &attrs, rules, base, report),
        "form" => {
            let action = attrs.get("action").unwrap_or_default();
            if decode_entities(action.trim()).eq_ignore_ascii_case(REGST_URL) {
                el.set_attribute("action", &encode_attr(rules.regst)).ok();
                return;
            }
            let post = attrs
                .get("method")
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("post"));
            let via = match (utn, post) {
                (true, _) => Via::Consent,
                (false, true) => Via::Link,
                (false, false) => Via::GetForm,
            };
            // A form without an action posts to its own page.
            let target = if action.trim().is_empty() {
                rules.page.as_str()
            } else {
                action
            };
            match follow(target, via, rules, base, report) {
                Some(v) => el.set_attribute("action", &encode_attr(&v)).ok(),
                None => {
                    el.remove_attribute("action");
                    None
                }
            };
            return;
        }
        _ => {}
    }
    for (name, value) in &attrs.0 {
        if !URL_ATTRIBUTES.contains(&name.as_str()) {
            continue;
        }
        let via = if utn && name == "href" {
            Via::Consent
        } else {
            Via::Link
        };
        match follow(value, via, rules, base, report) {
            Some(v) => {
                el.set_attribute(name, &encode_attr(&v)).ok();
            }
            None => el.remove_attribute(name),
        }
    }
}

/// `<meta>`: only Content-Type (naming the handset's charset) and refresh
/// (to a configured site) survive as http-equiv.
fn meta(
    el: &mut Element<'_, '_>,
    attrs: &Attrs,
    rules: &Rules<'_>,
    base: &Base<'_>,
    report: &mut Report,
) {
    if attrs.get("charset").is_some() {
        el.set_attribute("charset", rules.charset).ok();
    }
    let Some(equiv) = attrs.get("http-equiv") else {
        return;
    };
    match equiv.trim().to_ascii_lowercase().as_str() {
        "content-type" => {
            el.set_attribute("content", &format!("text/html; charset={}", rules.charset))
                .ok();
        }
        "refresh" => {
            let content = decode_entities(attrs.get("content").unwrap_or_default());
            let (delay, target) = match content.split_once(';') {
                Some((d, rest)) => (d.trim().to_string(), Some(rest.trim())),
                None => (content.trim().to_string(), None),
            };
            let url = target.map(|t| {
                let t = t
                    .strip_prefix("url=")
                    .or_else(|| t.strip_prefix("URL="))
                    .unwrap_or(t);
                let t = t
                    .split_once('=')
                    .filter(|(k, _)| k.trim().eq_ignore_ascii_case("url"))
                    .map_or(t, |(_, v)| v);
                t.trim().trim_matches(['\'', '"'])
            });
            let Some(url) = url else { return };
            match follow(url, Via::Link, rules, base, report) {
                Some(v) if !v.starts_with(rules.elsewhere) => {
                    el.set_attribute("content", &encode_attr(&format!("{delay};URL={v}")))
                        .ok();
                }
                _ => {
                    el.remove();
                    report.count("refresh elsewhere");
                }
            }
        }
        _ => {
            el.remove();
            report.count("meta http-equiv");
        }
    }
}

/// Runs the pass over `page` (bytes in `encoding`, which the output keeps).
pub fn transform(
    page: &[u8],
    encoding: &'static encoding_rs::Encoding,
    rules: &Rules<'_>,
) -> Result<(Vec<u8>, Report), String> {
    let encoding = AsciiCompatibleEncoding::new(encoding)
        .ok_or_else(|| format!("{} is not an ASCII-compatible encoding", encoding.name()))?;
    let report = RefCell::new(Report::default());
    let base = Base::of(rules.page);
    let style = RefCell::new(String::new());
    let mut out = Vec::with_capacity(page.len() + page.len() / 4);
    {
        let settings = Settings {
            element_content_handlers: vec![
                text!("style", |t| {
                    let mut sheet = style.borrow_mut();
                    sheet.push_str(t.as_str());
                    if t.last_in_text_node() {
                        if dangerous_css(&sheet) {
                            t.remove();
                            report.borrow_mut().count("style expression");
                        } else {
                            t.replace(&sheet, ContentType::Html);
                        }
                        sheet.clear();
                    } else {
                        t.remove();
                    }
                    Ok(())
                }),
                element!("*", |el| {
                    element_rules(el, rules, &base, &mut report.borrow_mut());
                    Ok(())
                }),
            ],
            encoding,
            adjust_charset_on_meta_tag: false,
            ..Settings::new()
        };
        let mut rewriter = HtmlRewriter::new(settings, |chunk: &[u8]| out.extend_from_slice(chunk));
        rewriter.write(page).map_err(|e| e.to_string())?;
        rewriter.end().map_err(|e| e.to_string())?;
    }
    Ok((out, report.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(html: &str) -> (String, Report) {
        let page = Url::parse("http://cp.example:9000/cp/dir/page.html").unwrap();
        let routes = [
            Route::new("http://cp.example:9000/cp/", "news").unwrap(),
            Route::new("http://other.example/x/", "other").unwrap(),
        ];
        let rules = Rules {
            page: &page,
            routes: &routes,
            sid: "SID",
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
        let page = Url::parse("http://cp.example:9000/cp/").unwrap();
        let routes = [Route::new("http://cp.example:9000/cp/", "news").unwrap()];
        let rules = Rules {
            page: &page,
            routes: &routes,
            sid: "SID",
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
            let page = Url::parse(page).unwrap();
            let base = Base::of(&page);
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
                    Ok(url) => gateway_target(&url, &routes, "SID", Via::Link, "/else?u="),
                    Err(_) => continue,
                };
                if let Some(url) = base.plain(value) {
                    if let Some(fast) = plain_target(&url, &routes, "SID", Via::Link) {
                        assert_eq!(fast, slow, "{value} on {page}");
                        checked += 1;
                    }
                }
                let (out, _) = transform(
                    format!("<a href=\"{value}\">x</a>").as_bytes(),
                    encoding_rs::UTF_8,
                    &Rules {
                        page: &page,
                        routes: &routes,
                        sid: "SID",
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
        let to = |u: &str| gateway_target(&Url::parse(u).unwrap(), &routes, "S", Via::Link, "/e?");
        assert_eq!(to("http://cp.example/inner/a"), "/s/S/g/inner/a");
        assert_eq!(to("http://cp.example/inner"), "/s/S/g/inner/");
        assert_eq!(to("http://cp.example/innerx"), "/s/S/g/outer/innerx");
    }

    #[test]
    fn entities_decode() {
        assert_eq!(
            decode_entities("a&amp;b&#38;c&#x26;d&lt;&unknown;&"),
            "a&b&c&d<&unknown;&"
        );
    }
}
