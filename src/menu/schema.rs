//! The menu file format (TOML), exactly as written on disk.

use serde::Deserialize;
use toml::Spanned;

/// One file in `menus/`. The tree's root is named by exactly one file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuFile {
    pub root: Option<Spanned<String>>,
    #[serde(default, rename = "node")]
    pub nodes: Vec<NodeDef>,
    #[serde(default, rename = "site")]
    pub sites: Vec<SiteDef>,
}

/// A `[[site]]` of the Menu list; a node opens it with `action = "site:<id>"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteDef {
    pub id: Spanned<String>,
    pub ja: Option<Spanned<String>>,
    pub en: Option<Spanned<String>>,
    pub about_ja: Option<Spanned<String>>,
    pub about_en: Option<Spanned<String>>,
    /// Monthly fee in yen; 0 (the default) is a free site.
    #[serde(default)]
    pub fee: u32,
    /// A content provider's own site the gateway forwards to (`http://host:port/`).
    pub upstream: Option<Spanned<String>>,
    /// An official (iMenu) site: in the Menu list, gets the user ID for
    /// `uid=NULLGWDOCOMO` and may use the carrier's registration. `false`:
    /// an unofficial site (勝手サイト), reached by URL entry and links only.
    /// Default `true`.
    pub official: Option<Spanned<bool>>,
}

/// A `[[node]]`: labels, an optional access key, and one of children / link / action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDef {
    pub id: Spanned<String>,
    pub ja: Option<Spanned<String>>,
    pub en: Option<Spanned<String>>,
    pub key: Option<Spanned<String>>,
    pub children: Option<Spanned<Vec<Spanned<String>>>>,
    pub link: Option<Spanned<String>>,
    pub action: Option<Spanned<String>>,
    /// A read-only built-in panel shown above the children (e.g. the line's settings).
    pub panel: Option<Spanned<String>>,
}
