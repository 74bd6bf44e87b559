//! A problem in a data file (menus, partner sites, the handset catalogue),
//! printed as `file:line:col: message`, and the file text it points into.

use std::fmt;

/// One problem, printed as `file:line:col: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

/// A parsed file and where its text is, for turning byte offsets into line:col.
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    /// A problem at byte `offset` of this file.
    pub fn problem(&self, offset: usize, message: impl Into<String>) -> Problem {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Problem {
            file: self.name.clone(),
            line,
            col,
            message: message.into(),
        }
    }
}
