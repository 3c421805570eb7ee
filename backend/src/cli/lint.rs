//! `safelab lint`: lints Python files for security problems, with the same
//! checks (`safelab_tools::lint`) as the app's Python lint and the secure
//! code-review gate of lesson 11.
//!
//! A file named on the command line is read whatever its name; a folder is
//! walked for `*.py` files by the tools' one walker ([`super::walk`]): no
//! `.git`, virtual environments, `node_modules` or `__pycache__`, no linked
//! folders, and a path it cannot read is reported and passed over.

use std::path::PathBuf;

use safelab_tools::{MAX_INPUT, Report, Tool, lint};

use super::{Output, walk};

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
/// by path); a path that cannot be read gets a "not linted" report, which
/// makes the result incomplete.
pub fn run(args: &Args) -> anyhow::Result<Vec<Report>> {
    let walk = walk::walk(&args.paths, |path| {
        path.extension().is_some_and(|ending| ending == "py")
    });
    for folder in &walk.skipped {
        eprintln!("safelab: not linted (not your own code; name it to lint it): {folder}");
    }
    let mut reports = Vec::with_capacity(walk.files.len() + walk.problems.len());
    for problem in walk.problems {
        reports.push(Report::Lint(lint::Report::not_read("", problem)));
    }
    for file in walk.files {
        let name = file.display().to_string();
        let report = match walk::read_capped(&file, MAX_INPUT as u64) {
            Ok(Some(bytes)) => safelab_tools::run(Tool::Lint, &name, &bytes)?,
            Ok(None) => Report::Lint(lint::Report::not_read(
                &name,
                format!("larger than the {MAX_INPUT} bytes the lint reads: split the file"),
            )),
            Err(error) => Report::Lint(lint::Report::not_read(
                &name,
                format!("cannot read it ({error}): check that you may read it"),
            )),
        };
        reports.push(report);
    }
    Ok(reports)
}
