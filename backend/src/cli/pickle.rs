//! `safelab pickle`: inspects pickle files without loading them: the
//! verdict, the imports, the calls and the Python `pickle.load` would run;
//! `--dis` adds the opcode listing (as `pickletools.dis` prints it).

use std::path::{Path, PathBuf};

use anyhow::Context;
use safelab_tools::{Report, Tool};

use super::Output;

/// `safelab pickle`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The files (or folders, searched for *.pkl, *.pickle, *.pck, *.pcl,
    /// *.p and *.joblib files) to read.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Add each pickle's opcode listing, as `python -m pickletools` prints it.
    #[arg(long)]
    pub dis: bool,
    /// How to print the reports.
    #[command(flatten)]
    pub output: Output,
}

/// File name endings a folder is searched for.
const PICKLE_ENDINGS: &[&str] = &["pkl", "pickle", "pck", "pcl", "p", "joblib"];

/// One report per input.
pub fn run(args: &Args) -> anyhow::Result<Vec<Report>> {
    let mut files = Vec::new();
    for path in &args.paths {
        collect(path, &mut files)?;
    }
    let mut reports = Vec::with_capacity(files.len());
    for file in files {
        let bytes = std::fs::read(&file).with_context(|| {
            format!(
                "cannot read {}: check the path and that you may read it",
                file.display()
            )
        })?;
        let name = file.display().to_string();
        let report = safelab_tools::run(Tool::Pickle, &name, &bytes)
            .with_context(|| format!("{name} was not inspected"))?;
        reports.push(match report {
            Report::Pickle(mut report) => {
                report.name = Some(name);
                report.human_listing = args.dis;
                Report::Pickle(report)
            }
            other => other,
        });
    }
    Ok(reports)
}

/// Adds `path`, or the pickle files under it if it is a folder.
fn collect(path: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}: check that the path exists", path.display()))?;
    if !meta.is_dir() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot list the folder {}", path.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let is_dir = entry.is_dir();
        let hidden = entry
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if is_dir && !hidden {
            collect(&entry, files)?;
        } else if !is_dir
            && entry
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| PICKLE_ENDINGS.contains(&e.to_ascii_lowercase().as_str()))
        {
            files.push(entry);
        }
    }
    Ok(())
}
