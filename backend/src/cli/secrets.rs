//! `safelab secrets`: scans files and folders for secrets, and with
//! `--history` the whole history of the git repository they are in (read
//! from its `.git` folder: loose objects, packs, loose refs and
//! `packed-refs`). One report for the files, one for each history.
//!
//! Folders are walked without following symbolic links, `.git` folders are
//! skipped (their content is the history), binary files are counted and
//! skipped by the scanner, and files over `--max-size` are named and
//! skipped. A `git bundle` given as a file is read as a history.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use safelab_tools::Report;
use safelab_tools::secrets::git::{Oid, Store};
use safelab_tools::secrets::{self, history};

use super::Output;

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
    for path in &paths {
        let metadata = std::fs::symlink_metadata(path).with_context(|| {
            format!(
                "cannot read {}: check that the path exists and you may read it",
                path.display()
            )
        })?;
        if metadata.is_dir() {
            walk(path, args.max_size, &mut files)?;
        } else {
            scan_file(path, args.max_size, &mut files)?;
        }
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
                reports.push(Report::Secrets(scan_repository(&git_dir)?));
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

fn walk(folder: &Path, max_size: u64, report: &mut secrets::Report) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(folder)
        .with_context(|| format!("cannot list the folder {}", folder.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot list the folder {}", folder.display()))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read {}", path.display()))?;
        if kind.is_dir() {
            if entry.file_name() != ".git" {
                walk(&path, max_size, report)?;
            }
        } else if kind.is_file() {
            scan_file(&path, max_size, report)?;
        }
    }
    Ok(())
}

fn scan_file(path: &Path, max_size: u64, report: &mut secrets::Report) -> anyhow::Result<()> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > max_size {
        report.problems.push(format!(
            "{}: skipped, {size} bytes is over --max-size {max_size}",
            label(path)
        ));
        return Ok(());
    }
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read {}: check that you may read it", path.display()))?;
    if secrets::git::is_bundle(&bytes) {
        report.absorb(secrets::scan(&label(path), &bytes));
    } else {
        secrets::scan_file(report, &label(path), &bytes);
    }
    Ok(())
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
fn scan_repository(git_dir: &Path) -> anyhow::Result<secrets::Report> {
    // A linked worktree keeps its objects in the common folder.
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map(|relative| git_dir.join(relative.trim()))
        .unwrap_or_else(|_| git_dir.to_path_buf());
    let mut store = Store::new();
    let mut report = secrets::Report::default();
    let objects = common.join("objects");
    let packs = objects.join("pack");
    if packs.is_dir() {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&packs)
            .with_context(|| format!("cannot list {}", packs.display()))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "pack"))
            .collect();
        names.sort();
        for pack in names {
            let bytes =
                std::fs::read(&pack).with_context(|| format!("cannot read {}", pack.display()))?;
            if let Err(error) = store.add_pack(&bytes) {
                report.problems.push(format!("{}: {error}", pack.display()));
            }
        }
    }
    if let Ok(folders) = std::fs::read_dir(&objects) {
        for folder in folders.filter_map(Result::ok) {
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
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                if let Err(error) = store.add_loose(&bytes) {
                    report.problems.push(format!("{}: {error}", path.display()));
                }
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
    Ok(report)
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
    loose_refs(&common.join("refs"), "refs", &mut loose);
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

fn loose_refs(folder: &Path, prefix: &str, out: &mut Vec<(String, Oid)>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        let path = entry.path();
        if path.is_dir() {
            loose_refs(&path, &name, out);
        } else if let Ok(text) = std::fs::read_to_string(&path)
            && let Some(id) = Oid::from_hex(text.trim())
        {
            out.push((name, id));
        }
    }
}
