//! The menu tree: loaded from `menus/*.toml`, validated as a whole (every problem
//! at once, as `file:line:col: message`), and prepared once at start for rendering.

mod schema;
mod validate;

use std::collections::HashMap;
use std::path::Path;

pub use validate::{Known, Problem};

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
    pub ja: String,
    pub en: String,
    pub entries: Vec<Entry>,
    pub action: Option<String>,
    pub panel: Option<String>,
}

impl Node {
    pub fn label(&self, lang: crate::domain::Lang) -> &str {
        lang.pick(&self.ja, &self.en)
    }
}

/// The validated, prepared tree.
#[derive(Debug)]
pub struct Menu {
    pub root: String,
    nodes: HashMap<String, Node>,
}

impl Menu {
    /// Loads and validates every `*.toml` in `dir`.
    pub fn load(dir: &Path, known: &Known) -> Result<Menu, Vec<Problem>> {
        validate::load_dir(dir, known)
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    /// The node whose action is `action` (for titles of action pages).
    pub fn action_node(&self, action: &str) -> Option<&Node> {
        self.nodes
            .values()
            .find(|n| n.action.as_deref() == Some(action))
    }
}
