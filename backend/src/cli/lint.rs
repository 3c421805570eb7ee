//! `safelab lint`: lints Python files for security problems, with the same
//! checks (`safelab_tools::lint`) as the app's Python lint and the secure
//! code-review gate of lesson 11.
//!
//! A file named on the command line is read whatever its name; a folder is
//! walked for `*.py` files, skipping `.git`, virtual environments,
//! `node_modules` and `__pycache__`, never following symbolic links.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use safelab_tools::{Report, Tool};

use super::Output;

/// Folders a walk never enters: version control, virtual environments,
/// installed packages, caches.
const SKIPPED: &[&str] = &[
    ".git",
    ".hg",
    ".venv",
    "venv",
    ".tox",
    "node_modules",
    "__pycache__",
    "site-packages",
];

/// `safelab lint`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The Python files (or folders, walked for `*.py`) to lint.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// How to print the reports.
    #[command(flatten)]
    pub output: Output,
}

/// One report per Python file, in the order named (a folder's files sorted
/// by path).
pub fn run(args: &Args) -> anyhow::Result<Vec<Report>> {
    let mut files = Vec::new();
    for path in &args.paths {
        let metadata = std::fs::metadata(path).with_context(|| {
            format!(
                "cannot read {}: check the path (a Python file or a folder of them)",
                path.display()
            )
        })?;
        if metadata.is_dir() {
            python_files(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    files
        .iter()
        .map(|file| {
            let bytes = std::fs::read(file).with_context(|| {
                format!(
                    "cannot read {}: check it exists and is readable",
                    file.display()
                )
            })?;
            safelab_tools::run(Tool::Lint, &file.display().to_string(), &bytes)
                .with_context(|| format!("{} was not linted", file.display()))
        })
        .collect()
}

/// Appends the `*.py` files under `folder`, sorted, to `files`.
fn python_files(folder: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut found = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).with_context(|| {
            format!(
                "cannot list the folder {}: check its permissions",
                dir.display()
            )
        })?;
        for entry in entries {
            let entry =
                entry.with_context(|| format!("cannot list the folder {}", dir.display()))?;
            let kind = entry
                .file_type()
                .with_context(|| format!("cannot read {}", entry.path().display()))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if kind.is_dir() {
                if !SKIPPED.contains(&name.as_ref()) {
                    pending.push(entry.path());
                }
            } else if kind.is_file() && name.ends_with(".py") {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    files.extend(found);
    Ok(())
}
