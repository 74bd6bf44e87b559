//! Loading and validating menu files: collect every problem, then give up.

use std::collections::{HashMap, HashSet, VecDeque};

use toml::Spanned;

use super::files::{MenuFile, MenuSource};
use super::schema::{self, NodeDef, SiteDef};
use super::tree::{Entry, Menu, Node, Site, Target, SITE_ACTION};
use crate::problem::{Problem, Source};

/// The built-in actions and panels the server implements; menus may name no others.
pub struct Known {
    pub actions: &'static [&'static str],
    pub panels: &'static [&'static str],
}

impl Menu {
    /// Validates menu files given as (name, text) pairs, as `load` does for a set.
    pub fn from_sources(files: &[(&str, &str)], known: &Known) -> Result<Menu, Vec<Problem>> {
        from_sources(files, known)
    }

    /// Loads and validates the menu files of a set: every `*.toml` at its top
    /// but the handset catalogue.
    pub fn load(source: &dyn MenuSource, known: &Known) -> Result<Menu, Vec<Problem>> {
        load(source, known)
    }
}

/// The keys a menu entry may claim (9 goes back, 0 to iMenu, `*` `#` page).
const ALLOWED_KEYS: &str = "12345678";

/// Loads the menu files of `source`: every file at its top but the handset
/// catalogue.
pub fn load(source: &dyn MenuSource, known: &Known) -> Result<Menu, Vec<Problem>> {
    let files: Vec<Source> = source
        .files()?
        .iter()
        // The handset catalogue lives beside the menus but is not a menu file.
        .filter(|f| f.is_top() && f.path != super::files::CATALOGUE_FILE)
        .map(MenuFile::to_source)
        .collect();
    let mut problems = Vec::new();
    if files.is_empty() {
        problems.push(Problem {
            file: source.name(),
            line: 1,
            col: 1,
            message: "no .toml menu files".into(),
        });
    }
    match validate(&files, known, problems) {
        (Some(menu), p) if p.is_empty() => Ok(menu),
        (_, p) => Err(p),
    }
}

/// Validates (name, text) pairs as if they were files.
pub fn from_sources(files: &[(&str, &str)], known: &Known) -> Result<Menu, Vec<Problem>> {
    let sources: Vec<Source> = files
        .iter()
        .map(|(name, text)| Source {
            name: name.to_string(),
            text: text.to_string(),
        })
        .collect();
    match validate(&sources, known, Vec::new()) {
        (Some(menu), p) if p.is_empty() => Ok(menu),
        (_, p) => Err(p),
    }
}

/// Validates parsed sources; returns the menu when there were no problems.
fn validate(
    files: &[Source],
    known: &Known,
    mut problems: Vec<Problem>,
) -> (Option<Menu>, Vec<Problem>) {
    // 1. Parse every file.
    let mut parsed: Vec<(&Source, schema::MenuFile)> = Vec::new();
    for src in files {
        match toml::from_str::<schema::MenuFile>(&src.text) {
            Ok(file) => parsed.push((src, file)),
            Err(e) => {
                let at = e.span().map_or(0, |s| s.start);
                problems.push(src.problem(at, e.message().trim().to_string()));
            }
        }
    }

    // 2. Collect ids; the first definition wins, later ones are duplicates.
    let mut defs: HashMap<&str, (&Source, &NodeDef)> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for (src, file) in &parsed {
        for node in &file.nodes {
            let id = node.id.get_ref().as_str();
            if let Some((first_src, first)) = defs.get(id) {
                let at = first_src.problem(first.id.span().start, "");
                problems.push(src.problem(
                    node.id.span().start,
                    format!(
                        "duplicate id `{id}` (first defined at {}:{}:{})",
                        at.file, at.line, at.col
                    ),
                ));
            } else if id.is_empty() {
                problems.push(src.problem(node.id.span().start, "empty id"));
            } else {
                defs.insert(id, (src, node));
                order.push(id);
            }
        }
    }

    // 2b. Sites of the Menu list.
    let mut sites: HashMap<&str, (&Source, &SiteDef)> = HashMap::new();
    for (src, file) in &parsed {
        for site in &file.sites {
            let id = site.id.get_ref().as_str();
            if let Some((first_src, first)) = sites.get(id) {
                let at = first_src.problem(first.id.span().start, "");
                problems.push(src.problem(
                    site.id.span().start,
                    format!(
                        "duplicate site id `{id}` (first defined at {}:{}:{})",
                        at.file, at.line, at.col
                    ),
                ));
                continue;
            }
            for (name, text) in [
                ("ja", &site.ja),
                ("en", &site.en),
                ("about_ja", &site.about_ja),
                ("about_en", &site.about_en),
            ] {
                if text.as_ref().is_none_or(|t| t.get_ref().trim().is_empty()) {
                    problems.push(
                        src.problem(site.id.span().start, format!("site `{id}` has no `{name}`")),
                    );
                }
            }
            if let Some(up) = &site.upstream {
                let u = up.get_ref();
                let host = u
                    .strip_prefix("http://")
                    .or_else(|| u.strip_prefix("https://"));
                let ok = host.is_some_and(|h| h.len() > 1 && !h.starts_with('/'))
                    && u.ends_with('/')
                    && !u.contains(' ');
                if !ok {
                    problems.push(src.problem(
                        up.span().start,
                        format!("site `{id}`: upstream must be an http:// or https:// URL ending in `/`, got `{u}`"),
                    ));
                }
            }
            let official = site.official.as_ref().is_none_or(|o| *o.get_ref());
            if !official && site.upstream.is_none() {
                problems.push(src.problem(
                    site.id.span().start,
                    format!("site `{id}` is unofficial (`official = false`) but has no `upstream`: nothing could open it"),
                ));
            }
            if !official && site.fee > 0 {
                problems.push(src.problem(
                    site.id.span().start,
                    format!("site `{id}` is unofficial: only official sites are billed by the carrier, so it has no `fee`"),
                ));
            }
            sites.insert(id, (src, site));
        }
    }
    let mut opened: HashSet<&str> = HashSet::new();
    for id in &order {
        let (src, node) = defs[id];
        if let Some(site) = node
            .action
            .as_ref()
            .and_then(|a| a.get_ref().strip_prefix(SITE_ACTION))
        {
            opened.insert(site);
            let at = node.action.as_ref().map_or(0, |a| a.span().start);
            match sites.get(site) {
                None => problems.push(src.problem(
                    at,
                    format!("dangling link: `{id}` opens site `{site}`, which is not defined"),
                )),
                Some((_, def)) if def.official.as_ref().is_some_and(|o| !*o.get_ref()) => {
                    problems.push(src.problem(
                        at,
                        format!("`{id}` lists site `{site}`, which is unofficial: unofficial sites are not in the menus (the handset reaches them by URL entry and links)"),
                    ))
                }
                Some(_) => {}
            }
        }
    }
    for (id, (src, site)) in &sites {
        let official = site.official.as_ref().is_none_or(|o| *o.get_ref());
        if official && !opened.contains(id) {
            problems.push(src.problem(
                site.id.span().start,
                format!("site `{id}` is not opened by any node"),
            ));
        }
    }

    // 3. The root.
    let roots: Vec<(&Source, &Spanned<String>)> = parsed
        .iter()
        .filter_map(|(src, f)| f.root.as_ref().map(|r| (*src, r)))
        .collect();
    let root = match roots.as_slice() {
        [] => {
            if let Some((src, _)) = parsed.first() {
                problems.push(src.problem(0, "no file names the tree's `root`"));
            }
            None
        }
        [(src, r)] => {
            if !defs.contains_key(r.get_ref().as_str()) {
                problems.push(src.problem(
                    r.span().start,
                    format!("dangling link: root `{}` is not defined", r.get_ref()),
                ));
                None
            } else {
                Some(r.get_ref().clone())
            }
        }
        [_, rest @ ..] => {
            for (src, r) in rest {
                problems.push(src.problem(r.span().start, "more than one file names a `root`"));
            }
            None
        }
    };

    // 4. Each node on its own.
    for id in &order {
        let (src, node) = defs[id];
        check_node(src, node, &defs, known, &mut problems);
    }

    // 5. Reachability from the root.
    if let Some(root) = &root {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue = VecDeque::from([root.as_str()]);
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id) {
                continue;
            }
            let Some((_, node)) = defs.get(id) else {
                continue;
            };
            for child in node.children.iter().flat_map(|c| c.get_ref()) {
                queue.push_back(child.get_ref());
            }
            if let Some(link) = &node.link {
                queue.push_back(link.get_ref());
            }
        }
        for id in &order {
            if !seen.contains(id) {
                let (src, node) = defs[id];
                problems.push(src.problem(
                    node.id.span().start,
                    format!("node `{id}` is unreachable from the root `{root}`"),
                ));
            }
        }
    }

    problems.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    if !problems.is_empty() {
        return (None, problems);
    }
    let root = root.expect("no problems means a root");
    (Some(prepare(root, &defs, &sites)), problems)
}

fn check_node(
    src: &Source,
    node: &NodeDef,
    defs: &HashMap<&str, (&Source, &NodeDef)>,
    known: &Known,
    problems: &mut Vec<Problem>,
) {
    let id = node.id.get_ref();
    let at = node.id.span().start;
    for (lang, label) in [("ja", &node.ja), ("en", &node.en)] {
        match label {
            None => problems.push(src.problem(at, format!("node `{id}` has no `{lang}` label"))),
            Some(l) if l.get_ref().trim().is_empty() => problems.push(src.problem(
                l.span().start,
                format!("node `{id}` has an empty `{lang}` label"),
            )),
            Some(_) => {}
        }
    }
    let kinds = [
        node.children.is_some(),
        node.link.is_some(),
        node.action.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() != 1 {
        problems.push(src.problem(
            at,
            format!("node `{id}` must have exactly one of `children`, `link`, `action`"),
        ));
    }
    if let Some(key) = &node.key {
        let k = key.get_ref();
        if k.chars().count() != 1 || !ALLOWED_KEYS.contains(k.as_str()) {
            problems.push(src.problem(
                key.span().start,
                format!("accesskey `{k}` of `{id}` must be one digit 1-8 (9 goes back to the page above, 0 to iMenu, `*` and `#` page through lists)"),
            ));
        }
    }
    if let Some(action) = &node.action {
        let is_site = action.get_ref().starts_with(SITE_ACTION);
        if !is_site && !known.actions.contains(&action.get_ref().as_str()) {
            problems.push(src.problem(
                action.span().start,
                format!(
                    "unknown action `{}` (known: {})",
                    action.get_ref(),
                    known.actions.join(", ")
                ),
            ));
        }
    }
    if let Some(panel) = &node.panel {
        if !known.panels.contains(&panel.get_ref().as_str()) {
            problems.push(src.problem(
                panel.span().start,
                format!(
                    "unknown panel `{}` (known: {})",
                    panel.get_ref(),
                    known.panels.join(", ")
                ),
            ));
        }
    }
    if let Some(link) = &node.link {
        if !defs.contains_key(link.get_ref().as_str()) {
            problems.push(src.problem(
                link.span().start,
                format!(
                    "dangling link: `{id}` links to `{}`, which is not defined",
                    link.get_ref()
                ),
            ));
        }
    }
    if let Some(children) = &node.children {
        if children.get_ref().is_empty() {
            problems.push(src.problem(
                children.span().start,
                format!("node `{id}` has no children"),
            ));
        }
        let mut keys: HashMap<String, &str> = HashMap::new();
        for child in children.get_ref() {
            let cid = child.get_ref().as_str();
            let Some((_, def)) = defs.get(cid) else {
                problems.push(src.problem(
                    child.span().start,
                    format!("dangling link: `{id}` lists child `{cid}`, which is not defined"),
                ));
                continue;
            };
            if let Some(key) = &def.key {
                if let Some(other) = keys.insert(key.get_ref().clone(), cid) {
                    problems.push(src.problem(
                        child.span().start,
                        format!(
                            "duplicate accesskey `{}` on page `{id}`: `{other}` and `{cid}`",
                            key.get_ref()
                        ),
                    ));
                }
            }
        }
    }
}

/// Turns validated definitions into render-ready nodes; links are resolved to
/// their targets so a page never follows a chain at request time.
fn prepare(
    root: String,
    defs: &HashMap<&str, (&Source, &NodeDef)>,
    sites: &HashMap<&str, (&Source, &SiteDef)>,
) -> Menu {
    let label =
        |s: &Option<Spanned<String>>| s.as_ref().map(|l| l.get_ref().clone()).unwrap_or_default();
    let target_of = |id: &str| -> Target {
        let mut id = id;
        // Follow link chains (bounded, in case links form a loop).
        for _ in 0..16 {
            let (_, def) = defs[id];
            if let Some(action) = &def.action {
                return Target::Action(action.get_ref().clone());
            }
            match &def.link {
                Some(link) => id = link.get_ref(),
                None => break,
            }
        }
        Target::Node(id.to_string())
    };
    // Each node's parent: the first page that lists it, walking from the root.
    let mut parents: HashMap<String, String> = HashMap::new();
    let mut queue = VecDeque::from([root.clone()]);
    while let Some(id) = queue.pop_front() {
        let Some((_, def)) = defs.get(id.as_str()) else {
            continue;
        };
        for child in def.children.iter().flat_map(|c| c.get_ref()) {
            let child = child.get_ref();
            if *child != root && !parents.contains_key(child) {
                parents.insert(child.clone(), id.clone());
                queue.push_back(child.clone());
            }
        }
    }
    let nodes = defs
        .iter()
        .enumerate()
        .map(|(index, (id, (_, def)))| {
            let entries = def
                .children
                .iter()
                .flat_map(|c| c.get_ref())
                .map(|child| {
                    let (_, cdef) = defs[child.get_ref().as_str()];
                    Entry {
                        ja: label(&cdef.ja),
                        en: label(&cdef.en),
                        key: cdef.key.as_ref().and_then(|k| k.get_ref().chars().next()),
                        target: target_of(child.get_ref()),
                    }
                })
                .collect();
            let node = Node {
                id: id.to_string(),
                index,
                ja: label(&def.ja),
                en: label(&def.en),
                entries,
                action: def.action.as_ref().map(|a| a.get_ref().clone()),
                panel: def.panel.as_ref().map(|p| p.get_ref().clone()),
                parent: parents.get(*id).cloned(),
            };
            (id.to_string(), node)
        })
        .collect();
    let text =
        |s: &Option<Spanned<String>>| s.as_ref().map(|l| l.get_ref().clone()).unwrap_or_default();
    let sites = sites
        .iter()
        .map(|(id, (_, def))| {
            let site = Site {
                id: id.to_string(),
                ja: text(&def.ja),
                en: text(&def.en),
                about_ja: text(&def.about_ja),
                about_en: text(&def.about_en),
                fee: def.fee,
                upstream: def.upstream.as_ref().map(|u| u.get_ref().clone()),
                official: def.official.as_ref().is_none_or(|o| *o.get_ref()),
            };
            (id.to_string(), site)
        })
        .collect();
    Menu { root, nodes, sites }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: Known = Known {
        actions: &["change-imode-password"],
        panels: &["line-settings"],
    };

    fn check(files: &[(&str, &str)]) -> Result<Menu, Vec<String>> {
        let sources: Vec<Source> = files
            .iter()
            .map(|(n, t)| Source {
                name: n.to_string(),
                text: t.to_string(),
            })
            .collect();
        match validate(&sources, &KNOWN, Vec::new()) {
            (Some(m), p) if p.is_empty() => Ok(m),
            (_, p) => Err(p.iter().map(ToString::to_string).collect()),
        }
    }

    const GOOD: &str = r#"root = "top"

[[node]]
id = "top"
ja = "トップ"
en = "Top"
children = ["pw", "alias"]

[[node]]
id = "pw"
ja = "パスワード"
en = "Password"
action = "change-imode-password"

[[node]]
id = "alias"
ja = "別名"
en = "Alias"
link = "pw"
"#;

    #[test]
    fn a_good_tree_loads_with_links_resolved() {
        let menu = check(&[("a.toml", GOOD)]).unwrap();
        let top = menu.node("top").unwrap();
        assert_eq!(top.entries.len(), 2);
        assert_eq!(
            top.entries[1].target,
            Target::Action("change-imode-password".into())
        );
        assert_eq!(top.entries[1].en, "Alias");
    }

    #[test]
    fn a_parse_error_names_file_line_and_column() {
        let err = check(&[("bad.toml", "root = \"top\"\n[[node]]\nid = \n")]).unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(err[0].starts_with("bad.toml:3:"), "{err:?}");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let text = GOOD.replace("en = \"Top\"", "en = \"Top\"\ncolour = \"red\"");
        let err = check(&[("a.toml", &text)]).unwrap_err();
        assert!(err[0].contains("unknown field `colour`"), "{err:?}");
        assert!(err[0].starts_with("a.toml:7:1:"), "{err:?}");
    }

    #[test]
    fn duplicate_ids_are_reported_with_both_places() {
        let second =
            "[[node]]\nid = \"pw\"\nja = \"x\"\nen = \"x\"\naction = \"change-imode-password\"\n";
        let err = check(&[("a.toml", GOOD), ("b.toml", second)]).unwrap_err();
        assert_eq!(
            err,
            ["b.toml:2:6: duplicate id `pw` (first defined at a.toml:10:6)"]
        );
    }

    #[test]
    fn dangling_links_and_children_are_reported() {
        let text = GOOD
            .replace("link = \"pw\"", "link = \"nowhere\"")
            .replace("[\"pw\", \"alias\"]", "[\"pw\", \"alias\", \"ghost\"]");
        let err = check(&[("a.toml", &text)]).unwrap_err();
        assert_eq!(err.len(), 2, "{err:?}");
        assert!(
            err[0].contains("lists child `ghost`, which is not defined"),
            "{err:?}"
        );
        assert!(err[1].contains("`alias` links to `nowhere`"), "{err:?}");
    }

    #[test]
    fn unknown_actions_and_panels_are_reported() {
        let text = GOOD
            .replace(
                "action = \"change-imode-password\"",
                "action = \"launch-missiles\"",
            )
            .replace(
                "children = [\"pw\"",
                "panel = \"weather\"\nchildren = [\"pw\"",
            );
        let err = check(&[("a.toml", &text)]).unwrap_err();
        assert_eq!(err.len(), 2, "{err:?}");
        assert!(err
            .iter()
            .any(|e| e.contains("unknown action `launch-missiles`")));
        assert!(err.iter().any(|e| e.contains("unknown panel `weather`")));
    }

    #[test]
    fn duplicate_accesskeys_on_one_page_are_reported() {
        let text = GOOD
            .replace("en = \"Password\"", "en = \"Password\"\nkey = \"1\"")
            .replace("en = \"Alias\"", "en = \"Alias\"\nkey = \"1\"");
        let err = check(&[("a.toml", &text)]).unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(
            err[0].contains("duplicate accesskey `1` on page `top`: `pw` and `alias`"),
            "{err:?}"
        );
    }

    #[test]
    fn missing_and_empty_labels_are_reported() {
        let text = GOOD
            .replace("ja = \"トップ\"\n", "")
            .replace("en = \"Alias\"", "en = \" \"");
        let err = check(&[("a.toml", &text)]).unwrap_err();
        assert_eq!(err.len(), 2, "{err:?}");
        assert!(err
            .iter()
            .any(|e| e.contains("node `top` has no `ja` label")));
        assert!(err
            .iter()
            .any(|e| e.contains("node `alias` has an empty `en` label")));
    }

    #[test]
    fn unreachable_nodes_are_reported() {
        let extra = "[[node]]\nid = \"island\"\nja = \"島\"\nen = \"Island\"\naction = \"change-imode-password\"\n";
        let err = check(&[("a.toml", GOOD), ("b.toml", extra)]).unwrap_err();
        assert_eq!(
            err,
            ["b.toml:2:6: node `island` is unreachable from the root `top`"]
        );
    }

    #[test]
    fn every_problem_is_reported_in_one_run() {
        let text = GOOD
            .replace("link = \"pw\"", "link = \"nowhere\"")
            .replace("ja = \"パスワード\"\n", "")
            .replace("action = \"change-imode-password\"", "action = \"nope\"");
        let dup =
            "[[node]]\nid = \"top\"\nja = \"x\"\nen = \"x\"\naction = \"change-imode-password\"\n";
        let err = check(&[("a.toml", &text), ("b.toml", dup)]).unwrap_err();
        assert_eq!(err.len(), 4, "{err:?}");
    }

    const SITE: &str = "\n[[site]]\nid = \"news\"\nja = \"ニュース\"\nen = \"News\"\nabout_ja = \"毎日のニュース\"\nabout_en = \"Daily news\"\nfee = 110\n";

    #[test]
    fn upstreams_are_http_or_https_urls_ending_in_a_slash() {
        let text = GOOD.replace("link = \"pw\"", "action = \"site:news\"");
        for good in ["http://127.0.0.1:9000/", "https://cp.example/imode/"] {
            let site = SITE.replace("fee = 110", &format!("upstream = \"{good}\""));
            let menu = check(&[("a.toml", &text), ("s.toml", &site)]).unwrap();
            assert_eq!(menu.site("news").unwrap().upstream.as_deref(), Some(good));
        }
        for bad in [
            "ftp://cp.example/",
            "https://cp.example",
            "https:///",
            "http://a b/",
        ] {
            let site = SITE.replace("fee = 110", &format!("upstream = \"{bad}\""));
            let err = check(&[("a.toml", &text), ("s.toml", &site)]).unwrap_err();
            assert!(
                err[0].contains("upstream must be an http:// or https:// URL"),
                "{bad}: {err:?}"
            );
            assert!(err[0].starts_with("s.toml:8:"), "{err:?}");
        }
    }

    #[test]
    fn a_site_opened_by_a_node_loads_with_its_fee() {
        let text = GOOD.replace("link = \"pw\"", "action = \"site:news\"");
        let menu = check(&[("a.toml", &text), ("s.toml", SITE)]).unwrap();
        assert_eq!(menu.site("news").unwrap().fee, 110);
        assert_eq!(
            menu.node("top").unwrap().entries[1].target,
            Target::Action("site:news".into())
        );
    }

    #[test]
    fn an_unknown_site_and_an_unopened_site_are_reported() {
        let text = GOOD.replace("link = \"pw\"", "action = \"site:ghost\"");
        let err = check(&[("a.toml", &text), ("s.toml", SITE)]).unwrap_err();
        assert_eq!(err.len(), 2, "{err:?}");
        assert!(
            err[0].contains("opens site `ghost`, which is not defined"),
            "{err:?}"
        );
        assert!(
            err[1].contains("site `news` is not opened by any node"),
            "{err:?}"
        );
    }

    #[test]
    fn a_site_needs_both_labels_and_descriptions() {
        let text = GOOD.replace("link = \"pw\"", "action = \"site:news\"");
        let site = SITE.replace("about_en = \"Daily news\"\n", "");
        let err = check(&[("a.toml", &text), ("s.toml", &site)]).unwrap_err();
        assert_eq!(err, ["s.toml:3:6: site `news` has no `about_en`"]);
    }

    #[test]
    fn a_node_needs_exactly_one_of_children_link_action() {
        let text = GOOD.replace(
            "link = \"pw\"",
            "link = \"pw\"\naction = \"change-imode-password\"",
        );
        let err = check(&[("a.toml", &text)]).unwrap_err();
        assert!(err[0].contains("exactly one of"), "{err:?}");
    }

    #[test]
    fn paging_keys_cannot_be_claimed_by_menus() {
        let text = GOOD.replace("en = \"Password\"", "en = \"Password\"\nkey = \"#\"");
        let err = check(&[("a.toml", &text)]).unwrap_err();
        assert!(err[0].contains("accesskey `#`"), "{err:?}");
    }
}
