//! The menu tree: loaded from the `*.toml` of a menu set (built in, or a folder),
//! validated as a whole (every problem at once, as `file:line:col: message`), and
//! prepared once at start for rendering.

pub mod files;
mod schema;
mod tree;
mod validate;

pub use crate::problem::{Problem, Source};
pub use files::{source, Builtin, Folder, MenuFile, MenuSource};
pub use tree::{Entry, Menu, Node, Site, Target, SITE_ACTION};
pub use validate::Known;
