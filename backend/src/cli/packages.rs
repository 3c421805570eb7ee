//! `safelab audit`: checks requirements files (`requirements.txt`, `pip
//! freeze` output, `pyproject.toml`) against the bundled snapshot of the
//! PyPA advisory database, with the code the app's dependency check runs.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use safelab_tools::{MAX_INPUT, Report, Tool};

use super::Output;

/// `safelab audit`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The files to check (`requirements.txt`, `pip freeze` output,
    /// `pyproject.toml`), or folders whose requirements files to check;
    /// none: the current folder.
    pub paths: Vec<PathBuf>,
    /// How to print the reports.
    #[command(flatten)]
    pub output: Output,
}

/// One report per input.
pub fn run(args: &Args) -> anyhow::Result<Vec<Report>> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for path in &paths {
        if path.is_dir() {
            let found = requirements_files(path)?;
            if found.is_empty() {
                anyhow::bail!(
                    "{}: no requirements*.txt or pyproject.toml in this folder: name the file to check (`safelab audit path/to/requirements.txt`)",
                    path.display()
                );
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    files
        .iter()
        .map(|file| {
            let bytes = read(file)?;
            let mut report =
                safelab_tools::run(Tool::Packages, &file.display().to_string(), &bytes)
                    .with_context(|| file.display().to_string())?;
            if let Report::Packages(report) = &mut report {
                report.snapshot = report.snapshot.clone().at(now);
            }
            Ok(report)
        })
        .collect()
}

/// A file's bytes, refused before reading when it is over the tools' limit.
fn read(file: &Path) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("{}: cannot read it: check the path", file.display()))?
        .len();
    if size > MAX_INPUT as u64 {
        anyhow::bail!(
            "{}: {size} bytes is more than a requirements file holds (at most {MAX_INPUT}): is it the right file?",
            file.display()
        );
    }
    std::fs::read(file).with_context(|| {
        format!(
            "{}: cannot read it: check the path and its permissions",
            file.display()
        )
    })
}

/// The requirements files directly in `folder`: `pyproject.toml` and every
/// `*requirements*.txt`, in name order.
fn requirements_files(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(folder)
        .with_context(|| format!("{}: cannot list this folder", folder.display()))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .filter(|path| {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            name == "pyproject.toml" || (name.contains("requirements") && name.ends_with(".txt"))
        })
        .collect();
    found.sort();
    Ok(found)
}
