//! Provider pages as rewritten for handsets, kept for the next handset that
//! fetches the same page.
//!
//! Rewriting a page (checking it decodes, the sanitizer's pass, the handset's
//! charset) is most of what the gateway spends on it, and many handsets
//! fetch the same pages: a site's top page, its menus. A rewritten page
//! depends on the provider's bytes, the charset they were read in, the
//! page's URL (relative links resolve against it), the site, the handset's
//! charset and the configured sites, and on one thing per handset: the
//! session path its links lead into (`/s/{sid}`, `/w/{id}/s/{sid}` in a
//! world). So a page is rewritten once with a placeholder in place of that
//! path, the result kept as a template, and each handset's page is the
//! template with its own session path put where the placeholder stands.
//!
//! The placeholder holds a random token made at start that never leaves the
//! process: no provider can write it into a page (in any spelling, raw or as
//! references the sanitizer decodes), so every place it appears in a
//! template is one the rewrite put a session path. A page whose bytes hold
//! the token anyway is rewritten for its handset directly and not kept.
//! That splicing the template gives exactly the page a direct rewrite would
//! is checked against the rewrite itself over many generated pages (tests).
//!
//! A page is kept only when the same URL returns the same bytes: the entry
//! keeps the provider's bytes and a hit compares them whole. The cache is
//! bounded in bytes (`--gateway-cache-mib`: the provider's page and its
//! template are counted), least recently used pages going first; 0 turns it
//! off.

use std::sync::Arc;

use axum::http::HeaderValue;
use memchr::memmem;
use quick_cache::sync::Cache;

use crate::handset::Charset;

/// What identifies a page apart from its bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    site: Box<str>,
    url: Box<str>,
    /// The charset the provider's bytes were read in (by name: `Encoding`s
    /// are statics).
    encoding: &'static str,
    charset: Charset,
}

/// A `Key` to look up without copying its strings: its fields in the same
/// order, so it hashes as the `Key` it stands for (a `Box<str>` hashes as
/// its `str`).
#[derive(Hash)]
struct Lookup<'a> {
    site: &'a str,
    url: &'a str,
    encoding: &'static str,
    charset: Charset,
}

impl quick_cache::Equivalent<Key> for Lookup<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        *key.site == *self.site
            && *key.url == *self.url
            && key.encoding == self.encoding
            && key.charset == self.charset
    }
}

/// One page: the provider's bytes, the template, and the `X-Garake-Removed`
/// value of what the pass removed.
struct Entry {
    source: Box<[u8]>,
    template: Box<[u8]>,
    removed: Option<HeaderValue>,
}

/// An entry weighs the bytes it holds.
#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<Key, Arc<Entry>> for ByBytes {
    fn weight(&self, key: &Key, entry: &Arc<Entry>) -> u64 {
        (key.url.len() + entry.source.len() + entry.template.len()) as u64
    }
}

/// A page rewritten for one handset, and what its pass removed.
pub struct Rewritten {
    pub page: Vec<u8>,
    pub removed: Option<HeaderValue>,
}

/// The kept pages of the whole server (every world: the session path,
/// world prefix included, is what the placeholder stands for).
pub struct Rewrites {
    cache: Option<Cache<Key, Arc<Entry>, ByBytes>>,
    placeholder: String,
    finder: memmem::Finder<'static>,
    /// The token alone: a page holding it is never made a template.
    token: memmem::Finder<'static>,
}

/// The page being asked for: everything a rewrite depends on but its bytes
/// and the session path.
#[derive(Clone, Copy)]
pub struct Page<'a> {
    pub site: &'a str,
    pub url: &'a str,
    pub encoding: &'static encoding_rs::Encoding,
    pub charset: Charset,
}

/// Entries are expected to be about this size, for the cache's first sizing.
const TYPICAL_ENTRY: u64 = 8 * 1024;

impl Rewrites {
    /// A cache of at most `bytes` bytes (0: none).
    pub fn new(bytes: usize) -> Rewrites {
        let token = crate::random::token_hex(16);
        let placeholder = format!("/garake-session-{token}");
        let cache = (bytes > 0).then(|| {
            let bytes = bytes as u64;
            let items = (bytes / TYPICAL_ENTRY).max(1) as usize;
            Cache::with_weighter(items, bytes, ByBytes)
        });
        Rewrites {
            cache,
            finder: memmem::Finder::new(placeholder.as_bytes()).into_owned(),
            token: memmem::Finder::new(token.as_bytes()).into_owned(),
            placeholder,
        }
    }

    /// `page` as `session`'s handset gets it: from the kept template if the
    /// provider sent the same bytes as last time, else by `rewrite` (given
    /// the session path the links lead into), keeping its result.
    pub fn page<E>(
        &self,
        page: Page<'_>,
        source: &[u8],
        session: &str,
        rewrite: impl FnOnce(&str) -> Result<(Vec<u8>, Option<HeaderValue>), E>,
    ) -> Result<Rewritten, E> {
        let Some(cache) = &self.cache else {
            return direct(session, rewrite);
        };
        let lookup = Lookup {
            site: page.site,
            url: page.url,
            encoding: page.encoding.name(),
            charset: page.charset,
        };
        if let Some(entry) = cache.get(&lookup) {
            // A kept source never holds the token: it was looked for below.
            if *entry.source == *source {
                return Ok(self.splice(&entry, session));
            }
        }
        if self.token.find(source).is_some() {
            return direct(session, rewrite);
        }
        let (template, removed) = rewrite(&self.placeholder)?;
        let entry = Entry {
            source: source.into(),
            template: template.into(),
            removed,
        };
        let rewritten = self.splice(&entry, session);
        let key = Key {
            site: page.site.into(),
            url: page.url.into(),
            encoding: lookup.encoding,
            charset: page.charset,
        };
        cache.insert(key, Arc::new(entry));
        Ok(rewritten)
    }

    /// The template with `session` wherever the placeholder stands.
    fn splice(&self, entry: &Entry, session: &str) -> Rewritten {
        let template = &entry.template[..];
        let mut page = Vec::with_capacity(template.len() + 16 * session.len());
        let mut copied = 0;
        for at in self.finder.find_iter(template) {
            page.extend_from_slice(&template[copied..at]);
            page.extend_from_slice(session.as_bytes());
            copied = at + self.placeholder.len();
        }
        page.extend_from_slice(&template[copied..]);
        Rewritten {
            page,
            removed: entry.removed.clone(),
        }
    }
}

fn direct<E>(
    session: &str,
    rewrite: impl FnOnce(&str) -> Result<(Vec<u8>, Option<HeaderValue>), E>,
) -> Result<Rewritten, E> {
    let (page, removed) = rewrite(session)?;
    Ok(Rewritten { page, removed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::sanitize::{self, PageUrl, Rules};
    use crate::gateway::Route;
    use proptest::prelude::*;
    use std::cell::Cell;

    const URL: &str = "http://cp.example/cp/index.html";

    fn routes() -> Vec<Route> {
        Route::all(
            [
                ("http://cp.example/cp/", "cp"),
                ("http://other.example/", "other"),
            ]
            .into_iter(),
        )
    }

    /// The gateway's own pass over `html` (Shift_JIS) for `session`.
    fn rewrite(html: &[u8], session: &str) -> Result<(Vec<u8>, Option<HeaderValue>), String> {
        let page = PageUrl::new(URL.to_string()).unwrap();
        let routes = routes();
        let elsewhere = format!("{session}/url?url=");
        let regst = format!("{session}/cp/regst/cp");
        let rules = Rules {
            page: &page,
            routes: &routes,
            session,
            elsewhere: &elsewhere,
            regst: &regst,
            charset: "Shift_JIS",
        };
        let (out, report) = sanitize::transform(html, encoding_rs::SHIFT_JIS, &rules)?;
        let removed = report.summary().map(|s| HeaderValue::from_str(&s).unwrap());
        Ok((out, removed))
    }

    fn page() -> Page<'static> {
        Page {
            site: "cp",
            url: URL,
            encoding: encoding_rs::SHIFT_JIS,
            charset: Charset::ShiftJis,
        }
    }

    /// The page `session` gets through `cache`, and whether the pass ran.
    fn through(cache: &Rewrites, html: &[u8], session: &str) -> (Rewritten, bool) {
        let ran = Cell::new(false);
        let got = cache
            .page(page(), html, session, |s| {
                ran.set(true);
                rewrite(html, s)
            })
            .unwrap();
        (got, ran.get())
    }

    const HTML: &[u8] = b"<html><body><a href=\"page2.html\">next</a> \
        <a href=\"http://elsewhere.example/x\">out</a> \
        <form action=\"http://docomo.ne.jp/cp/regst\" method=post><input name=a></form> \
        <meta http-equiv=refresh content=\"5;URL=page3.html\"> \
        <script>alert(1)</script></body></html>";

    #[test]
    fn each_handset_gets_its_own_links_from_one_rewrite() {
        let cache = Rewrites::new(1 << 20);
        let (a, ran_a) = through(&cache, HTML, "/s/aaaa");
        let (b, ran_b) = through(&cache, HTML, "/w/w1/s/bbbb");
        assert!(
            ran_a && !ran_b,
            "the second handset's page comes from the template"
        );
        assert_eq!(a.page, rewrite(HTML, "/s/aaaa").unwrap().0);
        assert_eq!(b.page, rewrite(HTML, "/w/w1/s/bbbb").unwrap().0);
        let b_text = String::from_utf8(b.page).unwrap();
        assert!(b_text.contains("/w/w1/s/bbbb/g/cp/page2.html"), "{b_text}");
        assert!(!b_text.contains("aaaa") && !b_text.contains("garake-session"));
        assert_eq!(b.removed, a.removed);
        assert_eq!(b.removed.unwrap(), "script=1");
    }

    #[test]
    fn a_changed_page_or_another_url_is_rewritten_again() {
        let cache = Rewrites::new(1 << 20);
        through(&cache, HTML, "/s/a");
        let changed = [HTML, b"<a href=p4.html>4</a>"].concat();
        let (got, ran) = through(&cache, &changed, "/s/b");
        assert!(ran);
        assert_eq!(got.page, rewrite(&changed, "/s/b").unwrap().0);
        // The changed page is the one kept now.
        assert!(!through(&cache, &changed, "/s/c").1);
        let other = Page {
            url: "http://cp.example/cp/sub/index.html",
            ..page()
        };
        let ran = Cell::new(false);
        cache
            .page(other, &changed, "/s/d", |s| {
                ran.set(true);
                rewrite(&changed, s)
            })
            .unwrap();
        assert!(ran.get(), "a page at another URL is not this one");
    }

    #[test]
    fn a_page_holding_the_token_is_never_a_template() {
        let cache = Rewrites::new(1 << 20);
        let token = &cache.placeholder["/garake-session-".len()..];
        let html = format!("<a href=\"x.html\">{token}</a>");
        for session in ["/s/one", "/s/two"] {
            let (got, ran) = through(&cache, html.as_bytes(), session);
            assert!(ran, "rewritten directly each time");
            assert_eq!(got.page, rewrite(html.as_bytes(), session).unwrap().0);
        }
    }

    #[test]
    fn no_cache_rewrites_every_time_and_a_failure_is_not_kept() {
        let off = Rewrites::new(0);
        assert!(through(&off, HTML, "/s/a").1);
        assert!(through(&off, HTML, "/s/a").1);
        let cache = Rewrites::new(1 << 20);
        let failed: Result<Rewritten, &str> = cache.page(page(), HTML, "/s/a", |_| Err("bad"));
        assert!(failed.is_err());
        assert!(
            through(&cache, HTML, "/s/a").1,
            "nothing was kept by the failure"
        );
    }

    #[test]
    fn the_cache_holds_no_more_than_its_bytes() {
        let cache = Rewrites::new(64 * 1024);
        let big = [&b"<p>"[..], &[b'x'; 20_000], b"<a href=a.html>a</a>"].concat();
        for n in 0..20 {
            let url = format!("http://cp.example/cp/{n}.html");
            let p = Page {
                url: &url,
                ..page()
            };
            cache.page(p, &big, "/s/a", |s| rewrite(&big, s)).unwrap();
        }
        let held = cache.cache.as_ref().unwrap().weight();
        assert!(held <= 64 * 1024, "{held} bytes held");
        assert!(held > 0);
    }

    /// Pages made of the pieces where the session path could go wrong:
    /// links of every kind, forms, refreshes, references, stray markup.
    fn pages() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just("<a href=\"page.html\">".to_string()),
            Just("<a href='/cp/a?b=1&amp;c=2#f'>".to_string()),
            Just("<a href=http://cp.example/cp/x>".to_string()),
            Just("<a href=\"http://other.example/y\">".to_string()),
            Just("<a href=\"http://elsewhere.example/\">".to_string()),
            Just("<a href=\"&#x2f;cp&#47;z.html\">".to_string()),
            Just("<a href=\"javascript:x()\">".to_string()),
            Just("<a href=\"mailto:a@b\">".to_string()),
            Just("<img src=i.gif>".to_string()),
            Just("<form action=f.cgi method=post>".to_string()),
            Just("<form action=\"http://docomo.ne.jp/cp/regst\">".to_string()),
            Just("<form action=\"utn.cgi\" utn>".to_string()),
            Just("<meta http-equiv=refresh content=\"0;URL=r.html\">".to_string()),
            Just("<meta http-equiv=refresh content=\"0;URL=http://x.example/\">".to_string()),
            Just("<base href=\"http://other.example/\">".to_string()),
            Just("<script>document.write('<a href=s>')</script>".to_string()),
            Just("</a>".to_string()),
            Just("<".to_string()),
            Just("\"".to_string()),
            Just("/s/".to_string()),
            Just("/garake-session-".to_string()),
            "[a-z0-9 ./:=&#;?-]{0,12}",
            "\\PC{0,4}",
        ];
        prop::collection::vec(piece, 0..24).prop_map(|ps| {
            let text = ps.concat();
            encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
        })
    }

    proptest! {
        #[test]
        fn a_page_from_the_template_is_the_page_rewritten_directly(
            html in pages(),
            sessions in prop::collection::vec("(/w/[a-z0-9]{1,8})?/s/[0-9a-f]{1,32}", 1..4),
        ) {
            let cache = Rewrites::new(1 << 20);
            for session in &sessions {
                let direct = rewrite(&html, session);
                let cached = cache.page(page(), &html, session, |s| rewrite(&html, s));
                match (direct, cached) {
                    (Ok((page, removed)), Ok(got)) => {
                        prop_assert_eq!(got.page, page);
                        prop_assert_eq!(got.removed, removed);
                    }
                    (Err(a), Err(b)) => prop_assert_eq!(a, b),
                    (a, b) => prop_assert!(false, "direct {:?} cached {:?}", a.is_ok(), b.is_ok()),
                }
            }
        }
    }
}
