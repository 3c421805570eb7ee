//! The one way the tools' commands find and read files: the paths named on
//! the command line, and the files under the folders among them.
//!
//! A walk never follows a symbolic link to a folder (it would leave the tree,
//! or loop), skips what is not the learner's own code (`.git`, virtual
//! environments, `node_modules`, `__pycache__`) and says so, and records an
//! unreadable entry as a problem and goes on: one locked folder must not hide
//! the rest of a project. Files are read with a cap, so a FIFO, a device or
//! a file that grows while read cannot make a run read without end.

use std::io::Read as _;
use std::path::{Path, PathBuf};

/// Folder names that never hold the learner's own files (besides `.git`,
/// skipped without a note).
const SKIPPED_NAMES: &[&str] = &["node_modules", "__pycache__"];

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// The files to read: the named ones, then the wanted files under each
    /// named folder, sorted.
    pub files: Vec<PathBuf>,
    /// Folders skipped on purpose, with why (`.venv (a virtual environment)`).
    pub skipped: Vec<String>,
    /// What could not be read, in words a person can act on.
    pub problems: Vec<String>,
}

/// Finds the files among `paths` and under the folders among them: a named
/// file is always kept (even a symbolic link to one), a file in a folder
/// only when `wanted` says so.
pub fn walk(paths: &[PathBuf], wanted: impl Fn(&Path) -> bool) -> Walk {
    let mut walk = Walk::default();
    for path in paths {
        // A named path is followed if it is a link: the person chose it.
        match std::fs::metadata(path) {
            Ok(metadata) if metadata.is_dir() => folder(path, &wanted, &mut walk),
            Ok(metadata) if metadata.is_file() => walk.files.push(path.clone()),
            Ok(_) => walk.problems.push(format!(
                "{}: not a regular file or folder (a pipe or a device?): not read",
                path.display()
            )),
            Err(error) => walk.problems.push(format!(
                "{}: cannot read it ({error}): check that the path exists and that you may read it",
                path.display()
            )),
        }
    }
    walk
}

/// Adds the wanted files under `root` (depth first, sorted by path).
fn folder(root: &Path, wanted: &impl Fn(&Path) -> bool, walk: &mut Walk) {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        // A folder named on the command line is read whatever it is.
        if dir != root {
            if dir.file_name().is_some_and(|name| name == ".git") {
                // Expected in every project: skipped without a note.
                continue;
            }
            if let Some(why) = skip_reason(&dir) {
                walk.skipped.push(format!("{} ({why})", dir.display()));
                continue;
            }
        }
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) => {
                walk.problems.push(format!(
                    "{}: cannot list this folder ({error}): check its permissions",
                    dir.display()
                ));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    walk.problems.push(format!(
                        "{}: cannot list this folder entirely ({error})",
                        dir.display()
                    ));
                    continue;
                }
            };
            let path = entry.path();
            // `file_type` does not follow links: a linked folder is a link.
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(path),
                Ok(kind) if kind.is_file() => {
                    if wanted(&path) {
                        found.push(path);
                    }
                }
                Ok(_) => {} // links, pipes, sockets, devices: not the project's files
                Err(error) => walk.problems.push(format!(
                    "{}: cannot read it ({error}): check its permissions",
                    path.display()
                )),
            }
        }
    }
    found.sort();
    walk.files.extend(found);
}

/// Why the folder `dir` is skipped, if it is.
fn skip_reason(dir: &Path) -> Option<&'static str> {
    let name = dir.file_name().map(|name| name.to_string_lossy());
    match name.as_deref() {
        Some(name) if SKIPPED_NAMES.contains(&name) => Some("installed or generated files"),
        _ if dir.join("pyvenv.cfg").is_file() => Some("a virtual environment"),
        _ if dir.join("conda-meta").is_dir() => Some("a conda environment"),
        _ => None,
    }
}

/// Reads at most `cap` bytes of `path`: its bytes, or `None` when it holds
/// more (checked by reading one byte past the cap, not by trusting its
/// size).
pub fn read_capped(path: &Path, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok((u64::try_from(bytes.len()).unwrap_or(u64::MAX) <= cap).then_some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(walk: &Walk, root: &Path) -> Vec<String> {
        walk.files
            .iter()
            .map(|file| {
                file.strip_prefix(root)
                    .unwrap_or(file)
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect()
    }

    #[test]
    fn environments_and_generated_folders_are_skipped_and_named() {
        let folder = tempfile::tempdir().expect("a temp folder");
        let root = folder.path();
        for dir in [
            ".venv/lib",
            "node_modules/x",
            "src/__pycache__",
            ".git",
            "src",
        ] {
            std::fs::create_dir_all(root.join(dir)).expect("mkdir");
        }
        std::fs::write(root.join(".venv/pyvenv.cfg"), "home = /usr/bin\n").expect("write");
        for file in [
            ".venv/lib/a.py",
            "node_modules/x/b.py",
            "src/__pycache__/c.py",
            ".git/config",
            "src/main.py",
        ] {
            std::fs::write(root.join(file), "x = 1\n").expect("write");
        }
        let walk = walk(&[root.to_path_buf()], |_| true);
        assert_eq!(names(&walk, root), ["src/main.py"]);
        assert!(
            walk.skipped
                .iter()
                .any(|s| s.contains(".venv") && s.contains("virtual environment"))
        );
        assert_eq!(walk.skipped.len(), 3, "{:?}", walk.skipped);
        assert!(walk.problems.is_empty());
        // Named, a skipped folder is read.
        let named = super::walk(&[root.join(".venv")], |_| true);
        assert_eq!(names(&named, root), [".venv/lib/a.py", ".venv/pyvenv.cfg"]);
    }

    #[cfg(unix)]
    #[test]
    fn linked_folders_are_not_followed_inside_but_followed_when_named() {
        let folder = tempfile::tempdir().expect("a temp folder");
        let root = folder.path();
        let outside = tempfile::tempdir().expect("a temp folder");
        std::fs::write(outside.path().join("model.pkl"), b"x").expect("write");
        std::fs::create_dir(root.join("a")).expect("mkdir");
        std::fs::write(root.join("a/model.pkl"), b"x").expect("write");
        // A loop back up the tree, and a link out of it.
        std::os::unix::fs::symlink(root, root.join("a/loop")).expect("symlink");
        std::os::unix::fs::symlink(outside.path(), root.join("out")).expect("symlink");
        let walk = walk(&[root.to_path_buf()], |_| true);
        assert_eq!(names(&walk, root), ["a/model.pkl"]);
        assert!(walk.problems.is_empty());
        let named = walk_named(&root.join("out"));
        assert_eq!(named.files, [root.join("out").join("model.pkl")]);
    }

    #[cfg(unix)]
    fn walk_named(path: &Path) -> Walk {
        walk(&[path.to_path_buf()], |_| true)
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_folder_is_a_problem_and_the_walk_goes_on() {
        use std::os::unix::fs::PermissionsExt as _;
        let folder = tempfile::tempdir().expect("a temp folder");
        let root = folder.path();
        std::fs::create_dir(root.join("locked")).expect("mkdir");
        std::fs::write(root.join("main.py"), "x = 1\n").expect("write");
        std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o000))
            .expect("chmod");
        let listable = std::fs::read_dir(root.join("locked")).is_ok(); // root may read anything
        let walk = walk(&[root.to_path_buf()], |_| true);
        std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        assert_eq!(names(&walk, root), ["main.py"]);
        if !listable {
            assert_eq!(walk.problems.len(), 1, "{:?}", walk.problems);
            assert!(walk.problems[0].contains("locked"));
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_named_device_is_not_read() {
        let walk = walk(&[PathBuf::from("/dev/zero")], |_| true);
        assert!(walk.files.is_empty());
        assert!(
            walk.problems[0].contains("not a regular file"),
            "{:?}",
            walk.problems
        );
    }

    #[test]
    fn reads_are_capped() {
        let folder = tempfile::tempdir().expect("a temp folder");
        let file = folder.path().join("f");
        std::fs::write(&file, b"12345").expect("write");
        assert_eq!(
            read_capped(&file, 5).expect("reads"),
            Some(b"12345".to_vec())
        );
        assert_eq!(read_capped(&file, 4).expect("reads"), None);
    }
}
