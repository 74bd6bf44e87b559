//! Where the menu files come from: the set built into the binary, so that
//! garake runs from any directory, or a folder given with `--menus` that
//! replaces it. The menu tree, the partner sites and the handset catalogue all
//! read their files through [`MenuSource`].

use std::path::{Path, PathBuf};

use crate::problem::{Problem, Source};

/// The folder of partner site files inside a set.
pub const PARTNERS: &str = "partners";
/// The handset catalogue's file in a menu set (beside the menus, not one of them).
pub const CATALOGUE_FILE: &str = "handsets.toml";

/// The shipped files, as in the repository's `menus/` folder, which a test
/// keeps byte-identical to this list: a file added there is added here.
pub const BUILTIN: &[(&str, &str)] = &[
    ("handsets.toml", include_str!("../../menus/handsets.toml")),
    ("imenu.toml", include_str!("../../menus/imenu.toml")),
    (
        "partners/ims.toml",
        include_str!("../../menus/partners/ims.toml"),
    ),
    (
        "partners/koku.toml",
        include_str!("../../menus/partners/koku.toml"),
    ),
    (
        "partners/plus-member.toml",
        include_str!("../../menus/partners/plus-member.toml"),
    ),
    ("sites.toml", include_str!("../../menus/sites.toml")),
];

/// How messages name the built-in set, and its files before their path:
/// `(built-in) imenu.toml:3:1: …`.
pub const BUILTIN_NAME: &str = "(built-in)";

/// The text of a built-in file by its path in the set (`handsets.toml`).
pub fn builtin_text(path: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

/// One file of a set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuFile {
    /// Its path inside the set, with `/`: `imenu.toml`, `partners/ims.toml`.
    pub path: String,
    /// Its name in messages: `(built-in) imenu.toml`, `menus/imenu.toml`.
    pub name: String,
    pub text: String,
}

impl MenuFile {
    /// A file at the top of the set (not in a sub-folder).
    pub fn is_top(&self) -> bool {
        !self.path.contains('/')
    }

    /// A file of the `partners/` folder.
    pub fn is_partner(&self) -> bool {
        self.path
            .strip_prefix(PARTNERS)
            .is_some_and(|rest| rest.starts_with('/'))
    }

    /// The file as the loaders read it, for problems at `file:line:col`.
    pub fn to_source(&self) -> Source {
        Source {
            name: self.name.clone(),
            text: self.text.clone(),
        }
    }
}

/// A set of menu files: the `*.toml` at its top (the menu tree, the Menu
/// list's sites, `handsets.toml`) and in `partners/`.
pub trait MenuSource {
    /// The set as messages name it: `(built-in)` or the folder's path.
    fn name(&self) -> String;

    /// Every file of the set, sorted by path. A folder or file that cannot be
    /// read is a problem; all of them are returned at once.
    fn files(&self) -> Result<Vec<MenuFile>, Vec<Problem>>;
}

/// The files built into the binary.
#[derive(Clone, Copy, Debug, Default)]
pub struct Builtin;

impl MenuSource for Builtin {
    fn name(&self) -> String {
        BUILTIN_NAME.to_string()
    }

    fn files(&self) -> Result<Vec<MenuFile>, Vec<Problem>> {
        Ok(BUILTIN
            .iter()
            .map(|(path, text)| MenuFile {
                path: path.to_string(),
                name: format!("{BUILTIN_NAME} {path}"),
                text: text.to_string(),
            })
            .collect())
    }
}

/// A folder laid out as the built-in set (`--menus DIR`). A folder without
/// `partners/` has no partner sites; one without `handsets.toml` uses the
/// built-in catalogue.
#[derive(Clone, Debug)]
pub struct Folder {
    dir: PathBuf,
}

impl Folder {
    pub fn new(dir: impl Into<PathBuf>) -> Folder {
        Folder { dir: dir.into() }
    }

    /// Reads the `*.toml` of `dir/sub` (`sub` empty for the top) into `files`.
    fn read(
        &self,
        sub: &str,
        files: &mut Vec<MenuFile>,
        problems: &mut Vec<Problem>,
    ) -> std::io::Result<()> {
        let folder = if sub.is_empty() {
            self.dir.clone()
        } else {
            self.dir.join(sub)
        };
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let Some(file_name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                continue;
            };
            let name = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => files.push(MenuFile {
                    path: if sub.is_empty() {
                        file_name
                    } else {
                        format!("{sub}/{file_name}")
                    },
                    name,
                    text,
                }),
                Err(e) => problems.push(at_start(name, format!("cannot read: {e}"))),
            }
        }
        Ok(())
    }
}

impl MenuSource for Folder {
    fn name(&self) -> String {
        self.dir.display().to_string()
    }

    fn files(&self) -> Result<Vec<MenuFile>, Vec<Problem>> {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        if let Err(e) = self.read("", &mut files, &mut problems) {
            return Err(vec![at_start(
                self.name(),
                format!("cannot read the menu folder: {e}"),
            )]);
        }
        match self.read(PARTNERS, &mut files, &mut problems) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => problems.push(at_start(
                self.dir.join(PARTNERS).display().to_string(),
                format!("cannot read the partner folder: {e}"),
            )),
            _ => {}
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }
}

/// The set `--menus` chose: the folder if one was given, else the built-in set.
pub fn source(folder: Option<&Path>) -> Box<dyn MenuSource> {
    match folder {
        Some(dir) => Box::new(Folder::new(dir)),
        None => Box::new(Builtin),
    }
}

fn at_start(file: String, message: String) -> Problem {
    Problem {
        file,
        line: 1,
        col: 1,
        message,
    }
}

/// Why `garake menus export` wrote nothing, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "not overwriting {}; add --force to replace {}",
        .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
        if .0.len() == 1 { "it" } else { "them" }
    )]
    Exists(Vec<PathBuf>),
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes the built-in files into `dir` (created if missing), to start a
/// custom set from. Existing files are left alone, and nothing is written,
/// unless `force`. Returns the files written, in order.
pub fn export(dir: &Path, force: bool) -> Result<Vec<PathBuf>, ExportError> {
    let targets: Vec<(PathBuf, &str)> = BUILTIN
        .iter()
        .map(|(path, text)| (dir.join(path), *text))
        .collect();
    if !force {
        // A dangling symbolic link counts as there: writing would follow it.
        let existing: Vec<PathBuf> = targets
            .iter()
            .filter(|(path, _)| path.symlink_metadata().is_ok())
            .map(|(path, _)| path.clone())
            .collect();
        if !existing.is_empty() {
            return Err(ExportError::Exists(existing));
        }
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Io { path, source }
    };
    let mut written = Vec::new();
    for (path, text) in targets {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(io(folder))?;
        }
        std::fs::write(&path, text).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `dir`, as (path inside it with `/`, bytes).
    fn tree(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                tree(&entry.path(), &format!("{name}/"), out);
            } else {
                out.push((name, std::fs::read(entry.path()).unwrap()));
            }
        }
    }

    #[test]
    fn the_built_in_set_is_byte_identical_to_the_menus_folder() {
        let mut on_disk = Vec::new();
        tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("menus"),
            "",
            &mut on_disk,
        );
        on_disk.sort();
        let mut built_in: Vec<(String, Vec<u8>)> = BUILTIN
            .iter()
            .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
            .collect();
        built_in.sort();
        let names =
            |files: &[(String, Vec<u8>)]| files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&built_in),
            names(&on_disk),
            "every file of menus/ is in the built-in list, and no other"
        );
        for ((path, embedded), (_, file)) in built_in.iter().zip(&on_disk) {
            assert!(
                embedded == file,
                "menus/{path} differs from its built-in copy"
            );
        }
    }

    #[test]
    fn the_built_in_files_are_named_as_built_in_and_sorted_like_a_folder() {
        let builtin = Builtin.files().unwrap();
        assert!(builtin
            .iter()
            .all(|f| f.name == format!("(built-in) {}", f.path)));
        let folder = Folder::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("menus"))
            .files()
            .unwrap();
        let paths = |files: &[MenuFile]| files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(&builtin), paths(&folder));
        assert!(builtin.iter().zip(&folder).all(|(b, f)| b.text == f.text));
    }

    #[test]
    fn an_export_writes_every_built_in_file_and_overwrites_only_when_forced() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("custom");
        let written = export(&out, false).unwrap();
        assert_eq!(written.len(), BUILTIN.len());
        for (path, text) in BUILTIN {
            assert_eq!(std::fs::read_to_string(out.join(path)).unwrap(), *text);
        }
        std::fs::write(out.join("imenu.toml"), "# mine\n").unwrap();
        match export(&out, false) {
            Err(ExportError::Exists(paths)) => assert_eq!(paths.len(), BUILTIN.len()),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            std::fs::read_to_string(out.join("imenu.toml")).unwrap(),
            "# mine\n"
        );
        export(&out, true).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("imenu.toml")).unwrap(),
            builtin_text("imenu.toml").unwrap()
        );
    }

    #[test]
    fn a_folder_that_cannot_be_read_is_one_problem_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nowhere");
        let problems = Folder::new(&missing).files().unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].file, missing.display().to_string());
        assert!(problems[0]
            .message
            .starts_with("cannot read the menu folder"));
    }
}
