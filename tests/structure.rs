//! The crate's structure, checked on its source: no import circle between
//! modules, SQL only under `src/store/`, views that never reach into `web`,
//! and a store that never reaches into `web`, `mail` or `services`.
//!
//! The source is read as tokens (comments skipped, string literals kept
//! apart), not compiled: every `use` and every path in code that starts at
//! `crate`, `self`, `super`, a child module or a module brought in by a `use`
//! is resolved to the module file it lands in. A path through a re-export
//! (`pub use state::AppState` in `web/mod.rs`) lands where the item is
//! defined. Every module file is a node; each such path is an edge from the
//! file's module to the module it lands in. A module's `pub use` of its own
//! descendants' items is no edge unless the module itself uses the name: a
//! `mod.rs` that declares its children and re-exports them depends on none of
//! them. Code in a `#[cfg(test)]` module is no edge either (a module's tests
//! may set up what its parent owns); the SQL and layer checks read it too. A
//! strongly connected component of more than one module is a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

// ------------------------------------------------------------------ tokens

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
    /// A string literal's text (escapes left as written).
    Str(String),
    /// A number, a char literal or a lifetime: nothing a check looks into.
    Other,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    line: usize,
}

/// Splits Rust source into tokens, skipping comments.
fn lex(src: &str) -> Vec<Token> {
    let s: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0usize, 1usize);
    let ident_start = |c: char| c == '_' || c.is_alphabetic();
    let ident_char = |c: char| c == '_' || c.is_alphanumeric();
    while i < s.len() {
        let c = s[i];
        let at = line;
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && s.get(i + 1) == Some(&'/') {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && s.get(i + 1) == Some(&'*') {
            let mut depth = 0usize;
            while i < s.len() {
                if s[i] == '/' && s.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && s.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if s[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if let Some((text, end)) = raw_string(&s, i) {
            line += text.matches('\n').count();
            out.push(Token {
                tok: Tok::Str(text),
                line: at,
            });
            i = end;
        } else if c == '"' || (c == 'b' && s.get(i + 1) == Some(&'"')) {
            i += if c == 'b' { 2 } else { 1 };
            let mut text = String::new();
            while i < s.len() && s[i] != '"' {
                if s[i] == '\\' && i + 1 < s.len() {
                    text.push(s[i]);
                    i += 1;
                }
                if s[i] == '\n' {
                    line += 1;
                }
                text.push(s[i]);
                i += 1;
            }
            i += 1;
            out.push(Token {
                tok: Tok::Str(text),
                line: at,
            });
        } else if c == '\'' || (c == 'b' && s.get(i + 1) == Some(&'\'')) {
            // A char literal ('a', '\n', '\u{1F600}', b'x') or a lifetime ('a, 'static).
            let q = if c == 'b' { i + 1 } else { i };
            if s.get(q + 1) == Some(&'\\') {
                // The escaped character, then up to the closing quote.
                i = q + 3;
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if s.get(q + 2) == Some(&'\'') {
                i = q + 3;
            } else {
                i = q + 1;
                while i < s.len() && ident_char(s[i]) {
                    i += 1;
                }
            }
            out.push(Token {
                tok: Tok::Other,
                line: at,
            });
        } else if c == 'r'
            && s.get(i + 1) == Some(&'#')
            && s.get(i + 2).is_some_and(|&c| ident_start(c))
        {
            // A raw identifier: r#type.
            let start = i + 2;
            i = start;
            while i < s.len() && ident_char(s[i]) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(s[start..i].iter().collect()),
                line: at,
            });
        } else if ident_start(c) {
            let start = i;
            while i < s.len() && ident_char(s[i]) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(s[start..i].iter().collect()),
                line: at,
            });
        } else if c.is_ascii_digit() {
            while i < s.len()
                && (ident_char(s[i])
                    || s[i] == '.' && s.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
            {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Other,
                line: at,
            });
        } else if c == ':' && s.get(i + 1) == Some(&':') {
            out.push(Token {
                tok: Tok::PathSep,
                line: at,
            });
            i += 2;
        } else {
            out.push(Token {
                tok: Tok::Punct(c),
                line: at,
            });
            i += 1;
        }
    }
    out
}

/// A raw string (`r"…"`, `r#"…"#`, `br##"…"##`) starting at `i`: its text
/// and the index after it.
fn raw_string(s: &[char], i: usize) -> Option<(String, usize)> {
    let mut j = i;
    if s.get(j) == Some(&'b') {
        j += 1;
    }
    if s.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while s.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if s.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    let start = j;
    while j < s.len() {
        if s[j] == '"' && (1..=hashes).all(|k| s.get(j + k) == Some(&'#')) {
            return Some((s[start..j].iter().collect(), j + 1 + hashes));
        }
        j += 1;
    }
    None
}

// ----------------------------------------------------------------- modules

/// A module as its path from the crate root (`[]` is the root).
type Module = Vec<String>;

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "crate".to_string()
    } else {
        m.join("::")
    }
}

/// The module a file under `src/` is (`lib.rs` the root, `a/mod.rs` and
/// `a.rs` both `a`); `None` for files of other crates (`main.rs`, `bin/`).
fn module_of(rel: &str) -> Option<Module> {
    let rel = rel.strip_suffix(".rs")?;
    if rel == "lib" {
        return Some(Vec::new());
    }
    if rel == "main" || rel.starts_with("bin/") {
        return None;
    }
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    Some(parts)
}

/// One leaf of a `use` tree.
#[derive(Clone, Debug)]
struct UseLeaf {
    /// The path as written (`self` of a group already joined to its prefix).
    path: Vec<String>,
    /// The name it brings in (`None` for a glob or `as _`).
    local: Option<String>,
    glob: bool,
    public: bool,
    line: usize,
    /// Written inside a `#[cfg(test)]` module.
    test: bool,
}

/// A path in code outside `use`: its segments and line.
#[derive(Clone, Debug)]
struct CodePath {
    path: Vec<String>,
    line: usize,
    /// Written inside a `#[cfg(test)]` module.
    test: bool,
}

/// What one file says: its `use` leaves, the paths in its code (with the
/// inline module they are written in), the identifiers of its code, and its
/// string literals.
#[derive(Default)]
struct Parsed {
    /// Each leaf with the inline module (`mod tests { … }`) it is in.
    uses: Vec<(UseLeaf, Vec<String>)>,
    paths: Vec<(CodePath, Vec<String>)>,
    idents: BTreeSet<String>,
    strings: Vec<(String, usize)>,
    calls: Vec<(String, usize)>,
}

/// rusqlite's calls that run SQL: reported outside the store when the SQL is
/// written into the call (a string literal, or `format!` of one, as the
/// first argument); SQL kept in a constant is caught as a string of SQL.
const SQL_CALLS: &[&str] = &[
    "execute",
    "execute_batch",
    "prepare",
    "prepare_cached",
    "query_row",
    "query_map",
];

fn parse(src: &str) -> Parsed {
    let toks = lex(src);
    let mut p = Parsed::default();
    // Inline modules open at a brace depth: (name, depth inside it, whether
    // it is a `#[cfg(test)]` module).
    let mut inline: Vec<(String, usize, bool)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let ident = |k: usize| match toks.get(k).map(|t| &t.tok) {
        Some(Tok::Ident(s)) => Some(s.as_str()),
        _ => None,
    };
    let is = |k: usize, t: Tok| toks.get(k).map(|x| &x.tok) == Some(&t);
    while i < toks.len() {
        let here: Vec<String> = inline.iter().map(|(n, _, _)| n.clone()).collect();
        let test = inline.iter().any(|(_, _, t)| *t);
        match &toks[i].tok {
            Tok::Punct('{') => {
                depth += 1;
                i += 1;
            }
            Tok::Punct('}') => {
                if inline.last().is_some_and(|(_, d, _)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            Tok::Ident(w) if w == "mod" && ident(i + 1).is_some() && is(i + 2, Tok::Punct('{')) => {
                let cfg_test = [
                    Tok::Punct('#'),
                    Tok::Punct('['),
                    Tok::Ident("cfg".into()),
                    Tok::Punct('('),
                    Tok::Ident("test".into()),
                    Tok::Punct(')'),
                    Tok::Punct(']'),
                ];
                let before = if is(i.wrapping_sub(1), Tok::Ident("pub".into())) {
                    i - 1
                } else {
                    i
                };
                let marked = before >= cfg_test.len()
                    && toks[before - cfg_test.len()..before]
                        .iter()
                        .map(|t| &t.tok)
                        .eq(cfg_test.iter());
                inline.push((ident(i + 1).unwrap().to_string(), depth + 1, marked));
                i += 2;
            }
            Tok::Ident(w) if w == "use" && !is(i.wrapping_sub(1), Tok::PathSep) => {
                let public = is_public(&toks, i);
                let line = toks[i].line;
                let mut k = i + 1;
                let mut leaves = Vec::new();
                use_tree(&toks, &mut k, Vec::new(), (public, test), line, &mut leaves);
                while k < toks.len() && !is(k, Tok::Punct(';')) {
                    k += 1;
                }
                p.uses.extend(leaves.into_iter().map(|l| (l, here.clone())));
                i = k + 1;
            }
            Tok::Ident(w) => {
                let starts = !is(i.wrapping_sub(1), Tok::PathSep)
                    && !is(i.wrapping_sub(1), Tok::Punct('$'))
                    && is(i + 1, Tok::PathSep);
                if starts {
                    let mut path = vec![w.clone()];
                    let mut k = i + 1;
                    while is(k, Tok::PathSep) {
                        match ident(k + 1) {
                            Some(seg) => {
                                path.push(seg.to_string());
                                k += 2;
                            }
                            None => break,
                        }
                    }
                    let last = path.last().expect("a segment");
                    if is(k, Tok::Punct('('))
                        && SQL_CALLS.contains(&last.as_str())
                        && sql_argument(&toks, k + 1)
                    {
                        p.calls.push((last.clone(), toks[i].line));
                    }
                    for t in &toks[i..k] {
                        if let Tok::Ident(s) = &t.tok {
                            p.idents.insert(s.clone());
                        }
                    }
                    p.paths.push((
                        CodePath {
                            path,
                            line: toks[i].line,
                            test,
                        },
                        here.clone(),
                    ));
                    i = k;
                } else {
                    p.idents.insert(w.clone());
                    let called = is(i + 1, Tok::Punct('('))
                        && (is(i.wrapping_sub(1), Tok::Punct('.'))
                            || is(i.wrapping_sub(1), Tok::PathSep));
                    if called && SQL_CALLS.contains(&w.as_str()) && sql_argument(&toks, i + 2) {
                        p.calls.push((w.clone(), toks[i].line));
                    }
                    i += 1;
                }
            }
            Tok::Str(text) => {
                p.strings.push((text.clone(), toks[i].line));
                i += 1;
            }
            _ => i += 1,
        }
    }
    p
}

/// Whether the argument starting at `k` is written text: a string literal
/// (`"…"`, `&"…"`) or `format!` (`format!("…")`, `&format!(…)`).
fn sql_argument(toks: &[Token], mut k: usize) -> bool {
    if toks.get(k).map(|t| &t.tok) == Some(&Tok::Punct('&')) {
        k += 1;
    }
    match toks.get(k).map(|t| &t.tok) {
        Some(Tok::Str(_)) => true,
        Some(Tok::Ident(m)) if m == "format" => {
            toks.get(k + 1).map(|t| &t.tok) == Some(&Tok::Punct('!'))
        }
        _ => false,
    }
}

/// Whether the `use` at `i` is `pub`, `pub(crate)`, `pub(super)`, ….
fn is_public(toks: &[Token], i: usize) -> bool {
    let mut k = i;
    if k >= 1 && toks[k - 1].tok == Tok::Punct(')') {
        // pub(crate) / pub(super) / pub(in path)
        while k >= 1 && toks[k - 1].tok != Tok::Punct('(') {
            k -= 1;
        }
        k = k.saturating_sub(1);
    }
    k >= 1 && toks[k - 1].tok == Tok::Ident("pub".into())
}

/// Reads one use tree at `*k` under `prefix`.
fn use_tree(
    toks: &[Token],
    k: &mut usize,
    prefix: Vec<String>,
    (public, test): (bool, bool),
    line: usize,
    out: &mut Vec<UseLeaf>,
) {
    let mut path = prefix;
    if toks.get(*k).map(|t| &t.tok) == Some(&Tok::PathSep) {
        // `use ::extern_crate::…`: never this crate.
        path.push("::".into());
        *k += 1;
    }
    loop {
        match toks.get(*k).map(|t| &t.tok) {
            Some(Tok::Ident(seg)) => {
                path.push(seg.clone());
                *k += 1;
                if toks.get(*k).map(|t| &t.tok) == Some(&Tok::PathSep) {
                    *k += 1;
                    continue;
                }
                // The end of this leaf: `as name`?
                let mut local = if path.last().is_some_and(|s| s == "self") {
                    path.pop();
                    path.last().cloned()
                } else {
                    path.last().cloned()
                };
                if let Some(Tok::Ident(w)) = toks.get(*k).map(|t| &t.tok) {
                    if w == "as" {
                        local = match toks.get(*k + 1).map(|t| &t.tok) {
                            Some(Tok::Ident(n)) if n != "_" => Some(n.clone()),
                            _ => None,
                        };
                        *k += 2;
                    }
                }
                out.push(UseLeaf {
                    path,
                    local,
                    glob: false,
                    public,
                    line,
                    test,
                });
                return;
            }
            Some(Tok::Punct('*')) => {
                *k += 1;
                out.push(UseLeaf {
                    path,
                    local: None,
                    glob: true,
                    public,
                    line,
                    test,
                });
                return;
            }
            Some(Tok::Punct('{')) => {
                *k += 1;
                loop {
                    match toks.get(*k).map(|t| &t.tok) {
                        None => return,
                        Some(Tok::Punct('}')) => {
                            *k += 1;
                            return;
                        }
                        Some(Tok::Punct(',')) => *k += 1,
                        _ => {
                            let before = *k;
                            use_tree(toks, k, path.clone(), (public, test), line, out);
                            if *k == before {
                                *k += 1;
                            }
                        }
                    }
                }
            }
            _ => return,
        }
    }
}

// ------------------------------------------------------------------- graph

/// One reference from a file to the crate: the module it lands in and
/// where it was written.
#[derive(Clone, Debug)]
struct Reference {
    /// The absolute path (from the crate root) as resolved.
    target: Vec<String>,
    /// The module file it lands in.
    module: Module,
    file: String,
    line: usize,
    written: String,
    /// Counted as a dependency: not a re-export of a descendant's item, not
    /// in a `#[cfg(test)]` module.
    edge: bool,
}

/// What the checks found.
#[derive(Debug, Default)]
struct Report {
    /// Each circle: its modules, and one reference per edge inside it.
    circles: Vec<(Vec<String>, Vec<String>)>,
    /// SQL outside `src/store/`.
    sql: Vec<String>,
    /// References a layer may not make.
    layers: Vec<String>,
    /// Every module and the modules it depends on (for the curious).
    graph: BTreeMap<String, BTreeSet<String>>,
}

struct Crate {
    files: Vec<(String, Module, Parsed)>,
    modules: BTreeSet<Module>,
    /// Per module, the names its `use` leaves bring in (public or not: a
    /// path through either lands where the item is defined) and their targets.
    reexports: BTreeMap<Module, BTreeMap<String, Vec<String>>>,
    /// Per file, the names its `use` leaves bring in (resolved), for paths
    /// that start with them.
    aliases: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl Crate {
    fn new(sources: &[(String, String)]) -> Crate {
        let mut files = Vec::new();
        let mut modules = BTreeSet::new();
        for (rel, src) in sources {
            if let Some(m) = module_of(rel) {
                modules.insert(m.clone());
                files.push((rel.clone(), m, parse(src)));
            }
        }
        let mut krate = Crate {
            files,
            modules,
            reexports: BTreeMap::new(),
            aliases: BTreeMap::new(),
        };
        // Aliases may start with other aliases: settle them in a few rounds.
        for _ in 0..4 {
            let mut aliases = BTreeMap::new();
            let mut reexports: BTreeMap<Module, BTreeMap<String, Vec<String>>> = BTreeMap::new();
            for (rel, m, parsed) in &krate.files {
                let mut names = BTreeMap::new();
                for (leaf, inline) in &parsed.uses {
                    let (Some(local), false) = (&leaf.local, leaf.glob) else {
                        continue;
                    };
                    let Some(abs) = krate.absolute(rel, m, inline, &leaf.path) else {
                        continue;
                    };
                    names.insert(local.clone(), abs.clone());
                    if inline.is_empty() {
                        reexports
                            .entry(m.clone())
                            .or_default()
                            .insert(local.clone(), abs);
                    }
                }
                aliases.insert(rel.clone(), names);
            }
            krate.aliases = aliases;
            krate.reexports = reexports;
        }
        krate
    }

    /// A path as written in `rel` (module `m`, inside the inline modules
    /// `inline`) made absolute from the crate root; `None` when it is not
    /// this crate's.
    fn absolute(
        &self,
        rel: &str,
        m: &Module,
        inline: &[String],
        path: &[String],
    ) -> Option<Vec<String>> {
        let first = path.first()?;
        let mut here: Vec<String> = m.iter().chain(inline).cloned().collect();
        let rest = &path[1..];
        let abs = match first.as_str() {
            "crate" => rest.to_vec(),
            "self" => here.into_iter().chain(rest.iter().cloned()).collect(),
            "super" => {
                here.pop()?;
                let mut k = 1;
                while path.get(k).is_some_and(|s| s == "super") {
                    here.pop()?;
                    k += 1;
                }
                here.into_iter().chain(path[k..].iter().cloned()).collect()
            }
            _ => {
                let mut child = m.clone();
                child.push(first.clone());
                // Inside an inline module a child of the file's module is
                // reached through `use super::*` (taken as always there).
                if self.modules.contains(&child) {
                    child.into_iter().chain(rest.iter().cloned()).collect()
                } else if let Some(target) = self.aliases.get(rel).and_then(|a| a.get(first)) {
                    target.iter().chain(rest).cloned().collect()
                } else {
                    return None;
                }
            }
        };
        Some(abs)
    }

    /// The module file an absolute path lands in, through re-exports.
    fn land(&self, abs: &[String]) -> Module {
        let mut abs = abs.to_vec();
        for _ in 0..8 {
            let mut m: Module = Vec::new();
            for seg in &abs {
                let mut next = m.clone();
                next.push(seg.clone());
                if !self.modules.contains(&next) {
                    break;
                }
                m = next;
            }
            let rest = &abs[m.len()..];
            let through = rest
                .first()
                .and_then(|n| self.reexports.get(&m).and_then(|r| r.get(n)));
            match through {
                Some(target) if !target.is_empty() && target.as_slice() != &abs[..m.len() + 1] => {
                    abs = target.iter().chain(&rest[1..]).cloned().collect();
                }
                _ => return m,
            }
        }
        Vec::new()
    }

    /// Every reference each file makes to this crate.
    fn references(&self) -> Vec<Reference> {
        let mut refs = Vec::new();
        for (rel, m, parsed) in &self.files {
            for (leaf, inline) in &parsed.uses {
                let Some(abs) = self.absolute(rel, m, inline, &leaf.path) else {
                    continue;
                };
                let module = self.land(&abs);
                // A module brought in by name is a dependency only through
                // the paths that use it (below).
                if !leaf.glob && module.len() == abs.len() && self.modules.contains(&abs) {
                    continue;
                }
                let descendant = module.len() > m.len() && module.starts_with(m);
                let edge = !leaf.test
                    && (!(leaf.public && descendant)
                        || leaf
                            .local
                            .as_ref()
                            .is_some_and(|n| parsed.idents.contains(n)));
                refs.push(Reference {
                    target: abs,
                    module,
                    file: rel.clone(),
                    line: leaf.line,
                    written: format!("use {}", leaf.path.join("::")),
                    edge,
                });
            }
            for (path, inline) in &parsed.paths {
                let Some(abs) = self.absolute(rel, m, inline, &path.path) else {
                    continue;
                };
                refs.push(Reference {
                    module: self.land(&abs),
                    target: abs,
                    file: rel.clone(),
                    line: path.line,
                    written: path.path.join("::"),
                    edge: !path.test,
                });
            }
        }
        refs
    }
}

/// Strongly connected components (Tarjan), each sorted; singletons included.
fn components(nodes: &[String], edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit(v: &str, st: &mut State) {
        st.index.insert(v.to_string(), st.next);
        st.low.insert(v.to_string(), st.next);
        st.next += 1;
        st.stack.push(v.to_string());
        st.on_stack.insert(v.to_string());
        let succ: Vec<String> = st
            .edges
            .get(v)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for w in succ {
            if !st.index.contains_key(&w) {
                visit(&w, st);
                let low = st.low[v].min(st.low[&w]);
                st.low.insert(v.to_string(), low);
            } else if st.on_stack.contains(&w) {
                let low = st.low[v].min(st.index[&w]);
                st.low.insert(v.to_string(), low);
            }
        }
        if st.low[v] == st.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = st.stack.pop().expect("on the stack");
                st.on_stack.remove(&w);
                let done = w == v;
                comp.push(w);
                if done {
                    break;
                }
            }
            comp.sort();
            st.out.push(comp);
        }
    }
    let mut st = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in nodes {
        if !st.index.contains_key(v) {
            visit(v, &mut st);
        }
    }
    st.out
}

/// Whether a string literal reads as SQL: the statement keywords in capitals
/// (as this crate writes its SQL), whole words, in statement order.
fn looks_like_sql(text: &str) -> bool {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    let pair = |a: &str, b: &str| words.windows(2).any(|p| p[0] == a && p[1] == b);
    let then = |a: &str, b: &str| {
        words
            .iter()
            .position(|w| *w == a)
            .is_some_and(|i| words[i + 1..].contains(&b))
    };
    (has("SELECT") && then("SELECT", "FROM"))
        || pair("INSERT", "INTO")
        || pair("INSERT", "OR")
        || pair("DELETE", "FROM")
        || (has("UPDATE") && then("UPDATE", "SET"))
        || pair("CREATE", "TABLE")
        || pair("CREATE", "INDEX")
        || pair("ALTER", "TABLE")
        || pair("DROP", "TABLE")
        || has("PRAGMA")
}

/// Runs every check on `sources`: (path under `src/`, text).
fn check(sources: &[(String, String)]) -> Report {
    let krate = Crate::new(sources);
    let mut report = Report::default();
    let refs = krate.references();

    // The module graph and its circles.
    let nodes: Vec<String> = krate.modules.iter().map(|m| name(m)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut evidence: BTreeMap<(String, String), String> = BTreeMap::new();
    for (rel, m, _) in &krate.files {
        edges.entry(name(m)).or_default();
        let _ = rel;
    }
    for r in refs.iter().filter(|r| r.edge) {
        let from = name(&module_of(&r.file).expect("a module file"));
        let to = name(&r.module);
        if from == to {
            continue;
        }
        edges.entry(from.clone()).or_default().insert(to.clone());
        evidence
            .entry((from, to))
            .or_insert_with(|| format!("src/{}:{} `{}`", r.file, r.line, r.written));
    }
    for comp in components(&nodes, &edges) {
        if comp.len() < 2 {
            continue;
        }
        let inside: BTreeSet<&String> = comp.iter().collect();
        let mut why = Vec::new();
        for from in &comp {
            for to in edges.get(from).into_iter().flatten() {
                if inside.contains(to) {
                    why.push(format!(
                        "{from} → {to}: {}",
                        evidence[&(from.clone(), to.clone())]
                    ));
                }
            }
        }
        report.circles.push((comp, why));
    }
    report.graph = edges;

    // SQL only in the store.
    for (rel, _, parsed) in &krate.files {
        if rel.starts_with("store/") {
            continue;
        }
        for (call, line) in &parsed.calls {
            report
                .sql
                .push(format!("src/{rel}:{line}: a call of `{call}(`"));
        }
        for (text, line) in &parsed.strings {
            if looks_like_sql(text) {
                report.sql.push(format!(
                    "src/{rel}:{line}: a string of SQL: {:?}",
                    text.chars().take(60).collect::<String>()
                ));
            }
        }
    }
    // main.rs is another crate, but its SQL would be outside the store too.
    for (rel, src) in sources {
        if module_of(rel).is_none() {
            let parsed = parse(src);
            for (call, line) in &parsed.calls {
                report
                    .sql
                    .push(format!("src/{rel}:{line}: a call of `{call}(`"));
            }
            for (text, line) in &parsed.strings {
                if looks_like_sql(text) {
                    report
                        .sql
                        .push(format!("src/{rel}:{line}: a string of SQL"));
                }
            }
        }
    }

    // Layers: what views and the store may not reach.
    let forbidden: &[(&str, &[&str])] =
        &[("views", &["web"]), ("store", &["web", "mail", "services"])];
    for r in &refs {
        let from = module_of(&r.file).expect("a module file");
        for (layer, banned) in forbidden {
            if from.first().map(String::as_str) != Some(*layer) {
                continue;
            }
            let reached = [r.target.first(), r.module.first()];
            for b in *banned {
                if reached.iter().any(|s| s.is_some_and(|s| s == b)) {
                    report.layers.push(format!(
                        "src/{}:{}: `{}` — {layer} may not use crate::{b}",
                        r.file, r.line, r.written
                    ));
                }
            }
        }
    }
    report
}

// ------------------------------------------------------------------- tests

/// Every `.rs` file under `dir`, as (path relative to `root`, text).
fn read_tree(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a readable source folder")
        .map(|e| e.expect("an entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_tree(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            out.push((rel, text));
        }
    }
}

fn this_crate() -> Report {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = Vec::new();
    read_tree(&root, &root, &mut sources);
    assert!(sources.len() > 50, "the crate's source was found");
    check(&sources)
}

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, s)| (p.to_string(), s.to_string()))
        .collect()
}

#[test]
fn no_import_circle_between_modules() {
    let report = this_crate();
    let circles: Vec<String> = report
        .circles
        .iter()
        .map(|(modules, why)| format!("{}\n    {}", modules.join(", "), why.join("\n    ")))
        .collect();
    assert!(
        circles.is_empty(),
        "import circles between modules:\n  {}",
        circles.join("\n  ")
    );
    // The graph was built: the gateway's handlers reach the gateway.
    assert!(report.graph["web::gateway"].contains("gateway"));
}

#[test]
fn no_sql_outside_the_store() {
    let report = this_crate();
    assert!(
        report.sql.is_empty(),
        "SQL outside src/store/:\n  {}",
        report.sql.join("\n  ")
    );
}

#[test]
fn views_never_reach_web_and_the_store_never_reaches_web_mail_or_services() {
    let report = this_crate();
    assert!(
        report.layers.is_empty(),
        "references across layers:\n  {}",
        report.layers.join("\n  ")
    );
}

#[test]
fn the_checker_finds_a_circle_of_two_and_of_three() {
    let report = check(&files(&[
        ("lib.rs", "pub mod a; pub mod b; pub mod c; pub mod d;"),
        ("a.rs", "use crate::b::f;\npub fn g() { f() }"),
        ("b.rs", "pub fn f() { crate::a::g() }"),
        // c → d → c/x → c, through a module alias and `super`.
        ("c/mod.rs", "mod x;\nuse crate::d;\npub fn h() { d::k() }"),
        ("c/x.rs", "pub fn y() { super::h() }"),
        ("d.rs", "pub fn k() { crate::c::x::y() }"),
    ]));
    let circles: Vec<Vec<String>> = report.circles.iter().map(|(m, _)| m.clone()).collect();
    assert_eq!(
        circles.len(),
        2,
        "two circles: {circles:?}, graph {:?}",
        report.graph
    );
    assert!(circles.contains(&vec!["a".to_string(), "b".to_string()]));
    assert!(circles.contains(&vec!["c".to_string(), "c::x".to_string(), "d".to_string()]));
    let (_, why) = report
        .circles
        .iter()
        .find(|(m, _)| m[0] == "a")
        .expect("a, b");
    assert!(
        why.iter()
            .any(|w| w.contains("src/a.rs:1 `use crate::b::f`")),
        "{why:?}"
    );
    assert!(
        why.iter().any(|w| w.contains("src/b.rs:1 `crate::a::g`")),
        "{why:?}"
    );
}

#[test]
fn a_parent_that_only_declares_and_re_exports_its_children_is_no_circle() {
    let declares = check(&files(&[
        ("lib.rs", "pub mod p;\npub use p::Thing;"),
        ("p/mod.rs", "mod child;\npub use child::{Thing, other::*};\npub use self::child::Other as Renamed;\npub struct Shared;"),
        // The child uses its parent's own item, and reaches a sibling through the parent.
        ("p/child.rs", "use super::Shared;\npub struct Thing(Shared);\npub struct Other;"),
    ]));
    assert!(declares.circles.is_empty(), "{:?}", declares.circles);
    assert!(declares.graph["p::child"].contains("p"));
    assert!(!declares.graph["p"].contains("p::child"));
    // The parent using what it re-exports depends on its child: a circle.
    let uses = check(&files(&[
        ("lib.rs", "pub mod p;"),
        ("p/mod.rs", "mod child;\npub use child::Thing;\npub struct Shared;\npub fn make() -> Thing { todo!() }"),
        ("p/child.rs", "use super::Shared;\npub struct Thing(Shared);"),
    ]));
    assert_eq!(uses.circles.len(), 1, "{:?}", uses.graph);
    // A path through a re-export lands where the item is defined: no edge
    // to the parent that merely passes it on.
    let through = check(&files(&[
        ("lib.rs", "pub mod p; pub mod q;"),
        (
            "p/mod.rs",
            "mod child;\npub use child::Thing;\npub fn f() { crate::q::g() }",
        ),
        ("p/child.rs", "pub struct Thing;"),
        (
            "q.rs",
            "use crate::p::Thing;\npub fn g() -> Option<Thing> { None }",
        ),
    ]));
    assert!(through.circles.is_empty(), "{:?}", through.graph);
    assert!(through.graph["q"].contains("p::child"));
}

#[test]
fn the_checker_reads_tokens_not_text() {
    // Paths in comments, strings and inline test modules' `super` are not
    // edges of their own; `crate::` in a string is text.
    let report = check(&files(&[
        ("lib.rs", "pub mod a; pub mod b;"),
        (
            "a.rs",
            "// use crate::b::f;\n/* crate::b::f() */\npub const S: &str = \"crate::b::f\";\n\
             pub const R: &str = r#\"crate::b \"quoted\"\"#;\npub fn g<'a>(x: &'a str) -> char { 'x' }\n\
             #[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn t() { g(\"\"); }\n}",
        ),
        ("b.rs", "pub fn f() { crate::a::g(\"\"); }"),
    ]));
    assert!(report.circles.is_empty(), "{:?}", report.graph);
    assert!(report.graph["a"].is_empty(), "{:?}", report.graph);
}

#[test]
fn the_checker_finds_sql_and_layer_crossings_but_not_their_look_alikes() {
    let report = check(&files(&[
        ("lib.rs", "pub mod store; pub mod views; pub mod web; pub mod mail; pub mod services; pub mod other;"),
        ("store/mod.rs", "pub fn q(c: &C) { c.execute(\"DELETE FROM lines WHERE id = ?1\", []); }"),
        ("store/lines.rs", "use crate::mail::address::DOMAIN;"),
        ("mail/mod.rs", "pub mod address;"),
        ("mail/address.rs", "pub const DOMAIN: &str = \"docomo.ne.jp\";"),
        ("services/mod.rs", "pub fn s() {}"),
        ("views/mod.rs", "pub fn v() -> String { crate::web::X.into() }"),
        ("web/mod.rs", "pub const X: &str = \"Select a site from the list\";"),
        (
            "other.rs",
            "// conn.execute(\"SELECT 1\")\npub fn o(c: &C) {\n    c.query_row(\"SELECT id FROM lines\", [], |r| r.get(0));\n    \
             let _ = \"UPDATE your settings\";\n    let _ = \"INSERT OR REPLACE INTO t VALUES (1)\";\n    \
             let _ = \"Please update the SET\";\n    executor.execute_later();\n    \
             worlds.prepare(server);\n    conn.execute(&format!(\"X {}\", 1), []);\n}",
        ),
    ]));
    assert_eq!(report.sql.len(), 4, "{:#?}", report.sql);
    assert!(
        report.sql.iter().all(|s| s.starts_with("src/other.rs:")),
        "{:#?}",
        report.sql
    );
    assert!(report.sql.iter().any(|s| s.contains("`query_row(`")));
    assert!(report
        .sql
        .iter()
        .any(|s| s.contains(":9: a call of `execute(`")));
    assert_eq!(report.layers.len(), 2, "{:#?}", report.layers);
    assert!(
        report.layers[0].contains("src/store/lines.rs:1")
            || report.layers[1].contains("src/store/lines.rs:1")
    );
    assert!(report
        .layers
        .iter()
        .any(|l| l.contains("src/views/mod.rs:1")));
}

#[test]
fn a_test_module_reaching_back_is_no_circle_but_the_same_code_outside_one_is() {
    let source = |test: bool| {
        let b = if test {
            "pub fn f() {}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() { crate::a::g(); }\n}"
        } else {
            "pub fn f() {}\nmod helpers {\n    pub fn t() { crate::a::g(); }\n}"
        };
        files(&[
            ("lib.rs", "pub mod a; pub mod b;"),
            ("a.rs", "pub fn g() { crate::b::f() }"),
            ("b.rs", b),
        ])
    };
    let report = check(&source(true));
    assert!(report.circles.is_empty(), "{:?}", report.graph);
    let report = check(&source(false));
    assert_eq!(report.circles.len(), 1, "{:?}", report.graph);
}
