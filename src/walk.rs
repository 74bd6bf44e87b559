//! `garake walk`: crawl every handset page reachable from the power-on page as
//! one handset, GET links only (it never submits a form), and report broken
//! links, over-budget pages, charset errors, pages without a way back (dead
//! ends), tags and attributes the handset's i-mode HTML version does not
//! have, and menu nodes never reached.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io::Write;

use crate::handset::Charset;
use crate::menu::{Menu, MenuSource, Target, SITE_ACTION};

/// Paths that are PC sites or tools, not handset pages.
const NOT_HANDSET: &[&str] = &[
    "/mydocomo",
    "/shop",
    "/partners",
    "/p/",
    "/admin",
    "/outbox",
    "/emulator",
    "/api",
    "/assets",
];
/// A crawl stops after this many pages (a loop guard).
const MAX_PAGES: usize = 5000;

use crate::browse::{get, path_of};

/// Every link of a page, as `browse` reads it.
fn hrefs(html: &str) -> Vec<String> {
    crate::browse::read(html)
        .links
        .into_iter()
        .map(|l| l.href)
        .collect()
}

/// `/s/<sid>/...` with the session id replaced, so pages of two sessions compare.
fn page_key(path: &str) -> String {
    match path.strip_prefix("/s/").and_then(|r| r.split_once('/')) {
        Some((_, rest)) => format!("/s/{{sid}}/{rest}"),
        None => path.to_string(),
    }
}

/// What the crawl found.
#[derive(Default)]
pub struct Report {
    pub pages: usize,
    pub broken: Vec<String>,
    pub over_budget: Vec<String>,
    pub charset: Vec<String>,
    /// Pages with no link to iMenu, the power-on page or the page they were reached from.
    pub dead_ends: Vec<String>,
    /// The handset's i-mode HTML version, and what pages used that it does not have.
    pub html_version: Option<String>,
    pub unknown_html: Vec<String>,
    pub unreached: Vec<String>,
    /// Links and redirects of a world's pages that lead out of it.
    pub outside: Vec<String>,
}

impl Report {
    pub fn problems(&self) -> usize {
        self.broken.len()
            + self.over_budget.len()
            + self.charset.len()
            + self.dead_ends.len()
            + self.unknown_html.len()
            + self.unreached.len()
            + self.outside.len()
    }
}

/// Options of `garake walk`.
pub struct Options<'a> {
    pub base: &'a str,
    pub profile: &'a str,
    pub line: Option<&'a str>,
    /// The menu set whose nodes must all be reached.
    pub menus: &'a dyn MenuSource,
    /// Redraw one progress line as pages come (a terminal); otherwise only
    /// the closing count is written, with no control characters.
    pub live_progress: bool,
}

/// Crawls and prints; returns the report, or an error that stops the crawl.
pub fn walk(
    opts: &Options<'_>,
    out: &mut dyn Write,
    progress: &mut dyn Write,
) -> Result<Report, String> {
    let catalogue = crate::handset::Catalogue::load(opts.menus).map_err(|p| {
        format!(
            "cannot load the handset catalogue ({} problem(s), the first: {}); run `garake check`",
            p.len(),
            p.first().map(ToString::to_string).unwrap_or_default()
        )
    })?;
    let profile = catalogue.by_name(opts.profile).ok_or_else(|| {
        format!(
            "unknown profile `{}` (a model of the handset catalogue, e.g. P501i, P503i, N505i, P903i, P-07B, or PC)",
            opts.profile
        )
    })?;
    let base = opts
        .base
        .strip_prefix("http://")
        .ok_or_else(|| format!("--base must be an http:// URL, got `{}`", opts.base))?
        .trim_end_matches('/');
    // A base with a path (`http://HOST/w/ID`) walks that world: every path
    // below is the world's, its prefix taken off what pages say and put
    // back on what is asked for; a link without it leaves the world.
    let (host, prefix) = match base.find('/') {
        Some(i) => (base[..i].to_string(), base[i..].to_string()),
        None => (base.to_string(), String::new()),
    };
    let get = |host: &str, path: &str, ua: &str| get(host, &format!("{prefix}{path}"), ua);
    let inside = |url: &str| -> Option<String> {
        if prefix.is_empty() {
            return Some(url.to_string());
        }
        url.strip_prefix(prefix.as_str())
            .filter(|rest| rest.starts_with(['/', '?']))
            .map(|rest| {
                if rest.starts_with('?') {
                    format!("/{rest}")
                } else {
                    rest.to_string()
                }
            })
    };
    let menu = Menu::load(opts.menus, &crate::web::KNOWN).ok();
    let line = opts
        .line
        .map(|l| {
            crate::domain::Msisdn::parse(l).ok_or_else(|| format!("`{l}` is not a phone number"))
        })
        .transpose()?;
    let target = profile.page_target();
    let ua = profile.user_agent.clone();

    let mut report = Report {
        html_version: profile.html.map(|v| v.to_string()),
        ..Report::default()
    };
    let home = format!(
        "/s/{{sid}}/m/{}",
        menu.as_ref().map_or("imenu", |m| m.root.as_str())
    );
    // Where each queued page was linked from (its "back").
    let mut came_from: HashMap<String, String> = HashMap::new();
    let mut seen: BTreeSet<String> =
        ["ja:/?lang=ja".to_string(), "en:/?lang=en".to_string()].into();
    // Page paths reached, by language: every menu node is due in both.
    let mut reached: BTreeSet<(String, String)> = BTreeSet::new();
    // Each queued page with the language of the session it belongs to.
    let mut queue: VecDeque<(String, String)> = VecDeque::from([
        ("/?lang=ja".to_string(), "ja".to_string()),
        ("/?lang=en".to_string(), "en".to_string()),
    ]);
    // Lines chosen on the power-on page: the given one, else the first listed.
    let mut chosen: Option<String> = line.map(|l| l.as_str().to_string());
    // The language of each session: the one it was powered on with.
    let mut sessions: HashMap<String, String> = HashMap::new();

    while let Some((path, queued_lang)) = queue.pop_front() {
        if report.pages >= MAX_PAGES {
            break;
        }
        let mut fetched = get(&host, &path, &ua)?;
        let mut shown = path.clone();
        let mut hops = 0;
        while matches!(fetched.status, 301 | 302 | 303 | 307 | 308) && hops < 5 {
            let Some(location) = fetched.header("location").map(path_of) else {
                break;
            };
            let Some(location) = inside(&location) else {
                report
                    .outside
                    .push(format!("{} redirects to {location}", page_key(&path)));
                break;
            };
            // A power-on starts a session in the language it was asked for;
            // a redirect inside a session (the URL entry, a provider's
            // redirect) keeps that session's language.
            if let Some(rest) = location.strip_prefix("/s/") {
                let sid = rest.split('/').next().unwrap_or("").to_string();
                sessions.entry(sid).or_insert_with(|| queued_lang.clone());
            }
            shown = location.clone();
            fetched = get(&host, &location, &ua)?;
            hops += 1;
        }
        report.pages += 1;
        let lang = shown
            .strip_prefix("/s/")
            .and_then(|r| r.split('/').next())
            .and_then(|sid| sessions.get(sid))
            .cloned()
            .unwrap_or_else(|| queued_lang.clone());
        // A redirect's target counts as seen too (the power-on link lands on iMenu).
        seen.insert(format!("{lang}:{}", page_key(&shown)));
        if opts.live_progress {
            let _ = write!(
                progress,
                "\r\x1b[K[{} pages, {} queued] {}",
                report.pages,
                queue.len(),
                page_key(&shown)
            );
            let _ = progress.flush();
        }
        let _ = writeln!(
            out,
            "{}\t{}\t{}",
            page_key(&shown),
            fetched.body.len(),
            target
        );
        // The gateway answers a provider's page too large for the handset
        // with a page of its own that names the size: over budget, not broken.
        if let Some(size) = fetched.header(crate::gateway::TOO_LARGE_HEADER) {
            let size = match size.parse::<usize>() {
                Ok(n) => format!("{n} > {} bytes", profile.budget),
                Err(_) => format!("{size} bytes, over {}", profile.budget),
            };
            // The same page in the other language says the same.
            let found = format!("{} ({size}, the provider's page)", page_key(&shown));
            if !report.over_budget.contains(&found) {
                report.over_budget.push(found);
            }
            continue;
        }
        if fetched.status >= 400 {
            report
                .broken
                .push(format!("{} ({})", page_key(&path), fetched.status));
            continue;
        }
        if fetched.body.len() > target {
            report.over_budget.push(format!(
                "{} ({} > {} bytes)",
                page_key(&shown),
                fetched.body.len(),
                target
            ));
        }
        let want = profile.charset.name();
        let content_type = fetched.header("content-type").unwrap_or("").to_string();
        let text = match profile.charset.decode_strict(&fetched.body) {
            Some(t) => t,
            None => {
                report
                    .charset
                    .push(format!("{}: body is not valid {want}", page_key(&shown)));
                continue;
            }
        };
        if !content_type
            .to_ascii_lowercase()
            .contains(&format!("charset={}", want.to_ascii_lowercase()))
        {
            report.charset.push(format!(
                "{}: Content-Type `{content_type}`, want charset={want}",
                page_key(&shown)
            ));
        }
        // (A provider's page may name its charset in the header only.)
        let is_provider = crate::gateway::is_gateway_path(&page_key(&shown));
        if profile.charset == Charset::ShiftJis
            && !is_provider
            && !text.contains("charset=Shift_JIS")
        {
            report
                .charset
                .push(format!("{}: no Shift_JIS <meta>", page_key(&shown)));
        }
        reached.insert((
            lang.clone(),
            page_key(&shown).split('?').next().unwrap_or("").to_string(),
        ));
        let key = page_key(&shown);
        let links: Vec<String> = hrefs(&text)
            .into_iter()
            .filter_map(|href| {
                if !href.starts_with('/') || href.starts_with("//") {
                    return Some(href);
                }
                let found = inside(&href);
                if found.is_none() {
                    let out = format!("{key} links to {href}");
                    if !report.outside.contains(&out) {
                        report.outside.push(out);
                    }
                }
                found
            })
            .collect();
        let is_entry = shown == "/" || shown.starts_with("/?");
        // A content provider's page behind the gateway is the provider's
        // business (the handset's own keys lead back from it); its tags are
        // still checked below.
        if !is_entry && !is_provider && key.split('?').next() != Some(home.as_str()) {
            let from = came_from.get(&page_key(&path));
            let way_back = links.iter().any(|h| {
                let k = page_key(h);
                k.split('?').next() == Some(home.as_str())
                    || h == "/"
                    || h.starts_with("/?")
                    || from.is_some_and(|f| *f == k)
            });
            if !way_back {
                report.dead_ends.push(key.clone());
            }
        }
        if let Some(version) = profile.html {
            for unknown in crate::handset::html::unknown_in(&text, version) {
                // The same page in the other language says the same.
                let found = format!("{unknown} on {key}");
                if !report.unknown_html.contains(&found) {
                    report.unknown_html.push(found);
                }
            }
        }
        for href in links {
            if !href.starts_with('/') || NOT_HANDSET.iter().any(|p| href.starts_with(p)) {
                continue;
            }
            if let Some(rest) = href.strip_prefix("/on/") {
                let number = rest.split('?').next().unwrap_or("").to_string();
                let pick = chosen.get_or_insert_with(|| number.clone());
                if *pick != number {
                    continue;
                }
            }
            let link_lang = if href.contains("lang=en") {
                "en"
            } else if href.contains("lang=ja") {
                "ja"
            } else {
                lang.as_str()
            };
            let seen_key = format!("{link_lang}:{}", page_key(&href));
            if seen.insert(seen_key) {
                came_from.insert(page_key(&href), key.clone());
                queue.push_back((href, link_lang.to_string()));
            }
        }
    }
    if opts.live_progress {
        let _ = write!(progress, "\r\x1b[K");
    }
    let _ = writeln!(progress, "[{} pages] done", report.pages);
    if let Some(menu) = &menu {
        for node in menu.nodes() {
            let expected = match &node.action {
                Some(a) => match a.strip_prefix(SITE_ACTION) {
                    Some(site) => format!("/s/{{sid}}/site/{site}"),
                    None => format!("/s/{{sid}}/a/{a}"),
                },
                None => format!("/s/{{sid}}/m/{}", node.id),
            };
            let linked = node
                .entries
                .iter()
                .all(|e| matches!(e.target, Target::Node(_) | Target::Action(_)));
            if !linked {
                continue;
            }
            let missing: Vec<&str> = ["ja", "en"]
                .into_iter()
                .filter(|l| !reached.contains(&(l.to_string(), expected.clone())))
                .collect();
            match missing.as_slice() {
                [] => {}
                [only] => report
                    .unreached
                    .push(format!("{} ({expected}, in {only})", node.id)),
                _ => report.unreached.push(format!("{} ({expected})", node.id)),
            }
        }
    }
    Ok(report)
}

/// Prints the report's problems; the caller turns them into the exit code.
pub fn print_problems(report: &Report, out: &mut dyn Write) {
    let unknown = format!(
        "unknown to HTML {}",
        report
            .html_version
            .as_deref()
            .unwrap_or("(none: no version to check)")
    );
    let sections: [(&str, &Vec<String>); 7] = [
        ("broken links", &report.broken),
        ("over-budget pages", &report.over_budget),
        ("charset errors", &report.charset),
        ("dead ends", &report.dead_ends),
        (&unknown, &report.unknown_html),
        ("menu nodes never reached", &report.unreached),
        ("links out of the world", &report.outside),
    ];
    for (title, items) in sections {
        let _ = writeln!(out, "{title}: {}", items.len());
        for item in items {
            let _ = writeln!(out, "  {item}");
        }
    }
    let _ = writeln!(
        out,
        "{} pages, {} problems",
        report.pages,
        report.problems()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_folded_out_of_page_keys() {
        assert_eq!(page_key("/s/0123abcd/m/imenu?p=2"), "/s/{sid}/m/imenu?p=2");
        assert_eq!(page_key("/?lang=en"), "/?lang=en");
    }

    #[test]
    fn hrefs_are_found_and_unescaped() {
        let html = r#"<a href="/a?x=1&amp;y=2">A</a><a href="/b" accesskey="1">B</a>"#;
        assert_eq!(hrefs(html), ["/a?x=1&y=2", "/b"]);
    }
}
