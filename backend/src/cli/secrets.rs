//! `safelab secrets`: scans files and folders for secrets, and with
//! `--history` the whole history of the git repository they are in (read
//! from its `.git` folder: loose objects, packs, loose refs and
//! `packed-refs`). One report for the files, one for each history.
//!
//! Folders are walked by [`walk`](super::walk): without following symbolic
//! links, skipping `.git` (its content is the history), virtual environments
//! and `node_modules`; binary files are counted and skipped by the scanner,
//! and files over `--max-size` are named and skipped (the report is then
//! incomplete). A `git bundle` given as a file is read as a history.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use safelab_tools::Report;
use safelab_tools::secrets::git::{Oid, Store};
use safelab_tools::secrets::{self, history};

use super::{Output, walk};

/// `safelab secrets`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The files (or folders) to read; the current folder if none.
    pub paths: Vec<PathBuf>,
    /// Also scan every commit of the git repository each path is in.
    #[arg(long)]
    pub history: bool,
    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    pub max_size: u64,
    /// How to print the reports.
    #[command(flatten)]
    pub output: Output,
}

/// One report for the files, then one per repository history.
pub fn run(args: &Args) -> anyhow::Result<Vec<Report>> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut files = secrets::Report::default();
    let walk = walk::walk(&paths, |_| true);
    for file in &walk.files {
        scan_file(file, args.max_size, &mut files);
    }
    if !walk.skipped.is_empty() {
        files.problems.push(format!(
            "not scanned (not your own files; name a folder to scan it anyway): {}",
            walk.skipped.join(", ")
        ));
    }
    if !walk.problems.is_empty() {
        files.incomplete = true;
        files.problems.extend(walk.problems);
    }
    let mut reports = vec![Report::Secrets(files)];
    if args.history {
        let mut seen = BTreeSet::new();
        for path in &paths {
            let git_dir = find_git_dir(path).with_context(|| {
                format!(
                    "{} is not inside a git repository: --history reads a repository's .git folder",
                    path.display()
                )
            })?;
            let key = git_dir.canonicalize().unwrap_or_else(|_| git_dir.clone());
            if seen.insert(key) {
                reports.push(Report::Secrets(scan_repository(&git_dir)));
            }
        }
    }
    Ok(reports)
}

/// How `path` is named in findings: without a leading `./`.
fn label(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_owned()
}

/// Scans one file of at most `max_size` bytes into `report`; a file that
/// cannot be read, or holds more, is a problem and makes the report
/// incomplete.
fn scan_file(path: &Path, max_size: u64, report: &mut secrets::Report) {
    let bytes = match walk::read_capped(path, max_size) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            report.problems.push(format!(
                "{}: not scanned, it is over --max-size {max_size} bytes: pass a larger --max-size to scan it",
                label(path)
            ));
            report.incomplete = true;
            return;
        }
        Err(error) => {
            report.problems.push(format!(
                "{}: cannot read it ({error}): check that you may read it",
                label(path)
            ));
            report.incomplete = true;
            return;
        }
    };
    if secrets::git::is_bundle(&bytes) {
        report.absorb(secrets::scan(&label(path), &bytes));
    } else {
        secrets::scan_file(report, &label(path), &bytes);
    }
}

/// The `.git` folder of the repository `path` is in.
fn find_git_dir(path: &Path) -> Option<PathBuf> {
    let start = path.canonicalize().ok()?;
    let mut at = if start.is_dir() {
        start
    } else {
        start.parent()?.to_path_buf()
    };
    loop {
        let candidate = at.join(".git");
        if candidate.is_dir() {
            return Some(candidate);
        }
        if candidate.is_file() {
            // A worktree or submodule: `gitdir: <path>`.
            let text = std::fs::read_to_string(&candidate).ok()?;
            let target = text.trim().strip_prefix("gitdir:")?.trim();
            return Some(at.join(target));
        }
        at = at.parent()?.to_path_buf();
    }
}

/// Every commit of the repository whose `.git` folder is `git_dir`.
fn scan_repository(git_dir: &Path) -> secrets::Report {
    // A linked worktree keeps its objects in the common folder.
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map(|relative| git_dir.join(relative.trim()))
        .unwrap_or_else(|_| git_dir.to_path_buf());
    let mut store = Store::new();
    let mut report = secrets::Report::default();
    let objects = common.join("objects");
    let read = |path: &Path, report: &mut secrets::Report| match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(error) => {
            report.problems.push(format!(
                "{}: cannot read it ({error}): the objects it holds were not scanned",
                path.display()
            ));
            report.incomplete = true;
            None
        }
    };
    let mut packs: Vec<PathBuf> = std::fs::read_dir(objects.join("pack"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "pack"))
        .collect();
    packs.sort();
    for pack in packs {
        if let Some(bytes) = read(&pack, &mut report)
            && let Err(error) = store.add_pack(&bytes)
        {
            report.problems.push(format!("{}: {error}", pack.display()));
            report.incomplete = true;
        }
    }
    for folder in std::fs::read_dir(&objects)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let name = folder.file_name().to_string_lossy().into_owned();
        if name.len() != 2 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        for file in std::fs::read_dir(folder.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path();
            if let Some(bytes) = read(&path, &mut report)
                && let Err(error) = store.add_loose(&bytes)
            {
                report.problems.push(format!("{}: {error}", path.display()));
                report.incomplete = true;
            }
        }
    }
    let refs = references(git_dir, &common);
    if refs.is_empty() {
        report.problems.push(format!(
            "{}: no branch or tag to start from",
            git_dir.display()
        ));
    }
    history::scan_history(&mut report, &store, &refs);
    report
}

/// `HEAD` and every branch and tag: loose refs and `packed-refs`.
fn references(git_dir: &Path, common: &Path) -> Vec<(String, Oid)> {
    let mut named: Vec<(String, Oid)> = Vec::new();
    if let Ok(text) = std::fs::read_to_string(common.join("packed-refs")) {
        for line in text.lines() {
            if line.starts_with('#') || line.starts_with('^') {
                continue;
            }
            if let Some((id, name)) = line.split_once(' ')
                && let Some(id) = Oid::from_hex(id)
            {
                named.push((name.to_owned(), id));
            }
        }
    }
    let mut loose = Vec::new();
    loose_refs(&common.join("refs"), "refs", &mut loose, 0);
    for (name, id) in loose {
        // A loose ref is newer than its packed copy.
        named.retain(|(known, _)| *known != name);
        named.push((name, id));
    }
    let head = std::fs::read_to_string(git_dir.join("HEAD")).unwrap_or_default();
    let head = head.trim();
    let head_id = match head.strip_prefix("ref:") {
        Some(target) => named
            .iter()
            .find(|(name, _)| name == target.trim())
            .map(|(_, id)| *id),
        None => Oid::from_hex(head),
    };
    let mut refs: Vec<(String, Oid)> = head_id
        .map(|id| ("HEAD".to_owned(), id))
        .into_iter()
        .collect();
    refs.extend(named);
    refs
}

/// How deep `.git/refs` may nest (`refs/heads/team/ning/topic` is 4).
const MAX_REF_DEPTH: usize = 32;

/// The loose refs under `folder`, named from `prefix`. Links to folders are
/// not followed (two links up the tree would recurse without end), and the
/// depth is capped.
fn loose_refs(folder: &Path, prefix: &str, out: &mut Vec<(String, Oid)>, depth: usize) {
    if depth > MAX_REF_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            loose_refs(&path, &name, out, depth + 1);
        } else if kind.is_file()
            && let Ok(Some(bytes)) = walk::read_capped(&path, 4096)
            && let Some(id) = Oid::from_hex(String::from_utf8_lossy(&bytes).trim())
        {
            out.push((name, id));
        }
    }
}
