//! A world's prefix on garake's own pages. Every page is written with links
//! from the server's root (`href="/s/…"`); the front puts the world's
//! prefix (`/w/{id}`) before each one on the way out, once for every page
//! of every site. Page sizes are measured with that prefix counted
//! (`root_links`), so a world's pages keep to the handset's budget.
//!
//! Only attribute values garake itself writes are touched: `href`,
//! `action` and `src`, double-quoted (maud's way), starting with one `/`.
//! The bytes matched (`="/`, the attribute names) are ASCII below 0x40 or
//! letters after a space, which no Shift_JIS or UTF-8 character contains
//! as a trail byte next to a `="`, so the scan works on encoded pages.

use std::borrow::Cow;

/// The attributes whose root-relative values get the prefix.
const ATTRIBUTES: [&[u8]; 3] = [b" href", b" action", b" src"];

/// Where each root-relative link value starts (at its `/`): the positions
/// the prefix goes before.
fn link_starts(html: &[u8]) -> impl Iterator<Item = usize> + '_ {
    (0..html.len().saturating_sub(2))
        .filter(move |&i| {
            html[i] == b'='
                && html[i + 1] == b'"'
                && html[i + 2] == b'/'
                && html.get(i + 3) != Some(&b'/')
                && ATTRIBUTES.iter().any(|a| html[..i].ends_with(a))
        })
        .map(|i| i + 2)
}

/// How many links of `html` get a world's prefix.
pub fn root_links(html: &[u8]) -> usize {
    link_starts(html).count()
}

/// `html` with `base` before every root-relative link that does not
/// already start with it.
pub fn rebase<'a>(html: &'a [u8], base: &str) -> Cow<'a, [u8]> {
    if base.is_empty() {
        return Cow::Borrowed(html);
    }
    let based = |at: usize| {
        let rest = &html[at..];
        rest.starts_with(base.as_bytes())
            && matches!(rest.get(base.len()), Some(b'/' | b'"' | b'?'))
    };
    let starts: Vec<usize> = link_starts(html).filter(|&at| !based(at)).collect();
    if starts.is_empty() {
        return Cow::Borrowed(html);
    }
    let mut out = Vec::with_capacity(html.len() + starts.len() * base.len());
    let mut from = 0;
    for at in starts {
        out.extend_from_slice(&html[from..at]);
        out.extend_from_slice(base.as_bytes());
        from = at;
    }
    out.extend_from_slice(&html[from..]);
    Cow::Owned(out)
}

/// A root-relative URL (a `Location`) with `base` before it, unless it
/// already has it or is not root-relative.
pub fn rebase_url(url: &str, base: &str) -> Option<String> {
    let root_relative = url.starts_with('/') && !url.starts_with("//");
    let based = url
        .strip_prefix(base)
        .is_some_and(|r| r.is_empty() || r.starts_with(['/', '?']));
    (!base.is_empty() && root_relative && !based).then(|| format!("{base}{url}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_forms_and_sources_get_the_prefix_and_nothing_else_does() {
        let page = concat!(
            r#"<a href="/s/x/m/a">a</a><form action="/mydocomo/login" method="post">"#,
            r#"<img src="/assets/x.png"><a href="//other/x">o</a><a href="http://h/x">h</a>"#,
            r##"<a href="#top">t</a><p data-x="/keep">text</p>"##,
            r#"<a href="/w/abc/s/y">already</a><a href='/single'>s</a>"#,
        );
        let out = rebase(page.as_bytes(), "/w/abc");
        let out = std::str::from_utf8(&out).unwrap();
        assert!(out.contains(r#"href="/w/abc/s/x/m/a""#));
        assert!(out.contains(r#"action="/w/abc/mydocomo/login""#));
        assert!(out.contains(r#"src="/w/abc/assets/x.png""#));
        assert!(out.contains(r#"href="//other/x""#));
        assert!(out.contains(r#"href="http://h/x""#));
        assert!(out.contains(r##"href="#top""##));
        assert!(out.contains(r#"data-x="/keep""#));
        assert!(out.contains(r#"href="/w/abc/s/y""#) && !out.contains("/w/abc/w/abc"));
        // Single quotes are not garake's writing.
        assert!(out.contains(r#"href='/single'"#));
        assert_eq!(root_links(page.as_bytes()), 4);
    }

    #[test]
    fn the_default_world_is_left_as_it_is() {
        let page = br#"<a href="/s/x">x</a>"#;
        assert!(matches!(rebase(page, ""), Cow::Borrowed(_)));
    }

    #[test]
    fn a_location_gets_the_prefix_once() {
        assert_eq!(
            rebase_url("/s/x/m/a", "/w/abc").as_deref(),
            Some("/w/abc/s/x/m/a")
        );
        assert_eq!(
            rebase_url("/?expired=1", "/w/abc").as_deref(),
            Some("/w/abc/?expired=1")
        );
        assert_eq!(rebase_url("/w/abc/admin", "/w/abc"), None);
        assert_eq!(rebase_url("http://h/x", "/w/abc"), None);
        assert_eq!(rebase_url("//h/x", "/w/abc"), None);
        assert_eq!(rebase_url("/x", ""), None);
    }
}
