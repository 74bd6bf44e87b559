//! i-mode HTML versions (docomo's 「iモード対応HTML」 1.0 … 7.x) and what each
//! knows: the tags and attributes of `html_versions.toml`, and a check of a
//! page against them (for `garake walk` and the emulator).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

/// An i-mode HTML version, e.g. 5.0 or 7.2 (7.2 also stands for i-mode browser 2.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HtmlVersion {
    major: u8,
    minor: u8,
}

impl HtmlVersion {
    pub const ALL: [HtmlVersion; 9] = [
        HtmlVersion::new(1, 0),
        HtmlVersion::new(2, 0),
        HtmlVersion::new(3, 0),
        HtmlVersion::new(4, 0),
        HtmlVersion::new(5, 0),
        HtmlVersion::new(6, 0),
        HtmlVersion::new(7, 0),
        HtmlVersion::new(7, 1),
        HtmlVersion::new(7, 2),
    ];

    pub const fn new(major: u8, minor: u8) -> HtmlVersion {
        HtmlVersion { major, minor }
    }

    /// `"5.0"` → 5.0; only the versions docomo published.
    pub fn parse(s: &str) -> Option<HtmlVersion> {
        HtmlVersion::ALL.into_iter().find(|v| v.to_string() == s)
    }
}

impl fmt::Display for HtmlVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// What each version knows, cumulatively: tags and their attributes.
struct Table {
    /// Per version (in `ALL` order): tag → attributes, and attributes every tag may carry.
    tags: Vec<HashMap<String, HashSet<String>>>,
    any: Vec<HashSet<String>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    version: Vec<VersionDef>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionDef {
    version: String,
    #[serde(default)]
    tags: std::collections::BTreeMap<String, Vec<String>>,
}

const DATA: &str = include_str!("html_versions.toml");

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let file: TableFile =
            toml::from_str(DATA).expect("html_versions.toml is checked by a test");
        let mut tags: Vec<HashMap<String, HashSet<String>>> = Vec::new();
        let mut any: Vec<HashSet<String>> = Vec::new();
        let (mut cur_tags, mut cur_any) =
            (HashMap::<String, HashSet<String>>::new(), HashSet::new());
        for v in HtmlVersion::ALL {
            if let Some(def) = file.version.iter().find(|d| d.version == v.to_string()) {
                for (tag, attrs) in &def.tags {
                    if tag == "*" {
                        cur_any.extend(attrs.iter().cloned());
                    } else {
                        cur_tags
                            .entry(tag.clone())
                            .or_default()
                            .extend(attrs.iter().cloned());
                    }
                }
            }
            tags.push(cur_tags.clone());
            any.push(cur_any.clone());
        }
        Table { tags, any }
    })
}

impl HtmlVersion {
    fn index(self) -> usize {
        HtmlVersion::ALL
            .iter()
            .position(|v| *v == self)
            .expect("only published versions exist")
    }

    pub fn knows_tag(self, tag: &str) -> bool {
        table().tags[self.index()].contains_key(tag)
    }

    pub fn knows_attribute(self, tag: &str, attribute: &str) -> bool {
        let i = self.index();
        table().any[i].contains(attribute)
            || table().tags[i]
                .get(tag)
                .is_some_and(|a| a.contains(attribute))
    }
}

/// A tag, or an attribute of a tag, that a version does not have.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unknown {
    Tag(String),
    Attribute { tag: String, attribute: String },
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unknown::Tag(t) => write!(f, "<{t}>"),
            Unknown::Attribute { tag, attribute } => write!(f, "<{tag} {attribute}>"),
        }
    }
}

/// Every tag and attribute of `page` (decoded text) that `version` does not
/// have, each once, in order of name.
pub fn unknown_in(page: &str, version: HtmlVersion) -> Vec<Unknown> {
    use crate::html::{Lexer, Token};
    let mut found = std::collections::BTreeSet::new();
    let mut lexer = Lexer::new(page.as_bytes());
    while let Some(token) = lexer.next() {
        let Token::Start { name, .. } = token else {
            continue;
        };
        let tag = String::from_utf8_lossy(name).to_ascii_lowercase();
        if !version.knows_tag(&tag) {
            found.insert(Unknown::Tag(tag));
            continue;
        }
        for attr in lexer.attrs() {
            let attribute = String::from_utf8_lossy(attr.name).to_ascii_lowercase();
            if !version.knows_attribute(&tag, &attribute) {
                found.insert(Unknown::Attribute {
                    tag: tag.clone(),
                    attribute,
                });
            }
        }
    }
    found.into_iter().collect()
}

/// The cumulative table as JSON for the emulator: version → tag → attributes
/// (`*`: attributes of every tag).
pub fn table_json() -> String {
    let mut out = serde_json::Map::new();
    for v in HtmlVersion::ALL {
        let i = v.index();
        let mut tags = serde_json::Map::new();
        for (tag, attrs) in &table().tags[i] {
            let mut attrs: Vec<&String> = attrs.iter().collect();
            attrs.sort();
            tags.insert(tag.clone(), serde_json::json!(attrs));
        }
        let mut any: Vec<&String> = table().any[i].iter().collect();
        any.sort();
        tags.insert("*".into(), serde_json::json!(any));
        out.insert(v.to_string(), serde_json::Value::Object(tags));
    }
    serde_json::Value::Object(out).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_of_the_table_loads_and_only_grows() {
        for pair in HtmlVersion::ALL.windows(2) {
            let (old, new) = (pair[0], pair[1]);
            for (tag, attrs) in &table().tags[old.index()] {
                assert!(new.knows_tag(tag), "{new} lost {tag}");
                assert!(
                    attrs.iter().all(|a| new.knows_attribute(tag, a)),
                    "{new} lost an attribute of {tag}"
                );
            }
        }
        assert!(HtmlVersion::new(1, 0).knows_tag("a"));
        assert!(HtmlVersion::new(1, 0).knows_attribute("a", "accesskey"));
        assert!(!HtmlVersion::new(1, 0).knows_tag("marquee"));
        assert!(HtmlVersion::new(2, 0).knows_tag("marquee"));
        assert!(!HtmlVersion::new(2, 0).knows_attribute("a", "utn"));
        assert!(HtmlVersion::new(3, 0).knows_attribute("a", "utn"));
        assert!(!HtmlVersion::new(1, 0).knows_attribute("input", "istyle"));
        assert!(HtmlVersion::new(2, 0).knows_attribute("input", "istyle"));
    }

    #[test]
    fn a_page_is_checked_for_tags_and_attributes() {
        let page = r#"<html><body><marquee>x</marquee><a href="/" utn>y</a><A HREF="/" ACCESSKEY="1">z</A></body></html>"#;
        let v1 = unknown_in(page, HtmlVersion::new(1, 0));
        assert_eq!(
            v1,
            [
                Unknown::Tag("marquee".into()),
                Unknown::Attribute {
                    tag: "a".into(),
                    attribute: "utn".into()
                }
            ]
        );
        assert_eq!(v1[0].to_string(), "<marquee>");
        assert_eq!(unknown_in(page, HtmlVersion::new(3, 0)), []);
    }

    #[test]
    fn versions_parse_and_print() {
        assert_eq!(HtmlVersion::parse("7.2").unwrap().to_string(), "7.2");
        assert!(HtmlVersion::parse("7.3").is_none());
        assert!(HtmlVersion::new(4, 0) > HtmlVersion::new(3, 0));
        assert!(table_json().contains("\"7.2\""));
    }
}
