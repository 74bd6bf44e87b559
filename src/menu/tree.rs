//! The validated menu tree as the pages read it: nodes, their entries, the
//! Menu-list sites.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

/// Where a menu entry leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Node(String),
    Action(String),
}

/// One line of a menu page.
#[derive(Clone, Debug)]
pub struct Entry {
    pub ja: String,
    pub en: String,
    /// The access key written in the menu file, if any; others are assigned per page.
    pub key: Option<char>,
    pub target: Target,
}

/// A page of the tree: a list of entries, or a built-in action.
#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    /// A small number unique to this node, for cheap cache keys.
    pub index: usize,
    pub ja: String,
    pub en: String,
    pub entries: Vec<Entry>,
    pub action: Option<String>,
    pub panel: Option<String>,
    /// The page that lists this one (none for the root): where "back" goes.
    pub parent: Option<String>,
}

impl Node {
    pub fn label(&self, lang: crate::domain::Lang) -> &str {
        lang.pick(&self.ja, &self.en)
    }
}

/// A site of the Menu list.
#[derive(Clone, Debug)]
pub struct Site {
    pub id: String,
    pub ja: String,
    pub en: String,
    pub about_ja: String,
    pub about_en: String,
    /// Monthly fee in yen; 0 means free.
    pub fee: u32,
    /// The content provider's site behind the gateway, ending in `/`.
    pub upstream: Option<String>,
    /// An official (iMenu) site; `false` for an unofficial one (勝手サイト).
    pub official: bool,
}

impl Site {
    pub fn label(&self, lang: crate::domain::Lang) -> &str {
        lang.pick(&self.ja, &self.en)
    }

    pub fn about(&self, lang: crate::domain::Lang) -> &str {
        lang.pick(&self.about_ja, &self.about_en)
    }

    pub fn is_fee_based(&self) -> bool {
        self.fee > 0
    }
}

/// The action prefix that opens a site page: `site:<id>`.
pub const SITE_ACTION: &str = "site:";

/// The validated, prepared tree.
#[derive(Debug)]
pub struct Menu {
    pub root: String,
    // Ids come from the operator's menu files, never from a stranger, so the
    // fast hash needs no protection against chosen collisions.
    pub(super) nodes: HashMap<String, Node, FxBuildHasher>,
    pub(super) sites: HashMap<String, Site, FxBuildHasher>,
}

impl Menu {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.get(id)
    }

    pub fn sites(&self) -> impl Iterator<Item = &Site> {
        self.sites.values()
    }

    /// The parent page of the node whose action is `action` (where an
    /// action page's "back" goes).
    pub fn action_parent(&self, action: &str) -> Option<&Node> {
        self.action_node(action)
            .and_then(|n| n.parent.as_deref())
            .and_then(|p| self.node(p))
    }

    /// The node whose action is `action` (for titles of action pages).
    pub fn action_node(&self, action: &str) -> Option<&Node> {
        self.nodes
            .values()
            .find(|n| n.action.as_deref() == Some(action))
    }
}
