//! `safelab pickle`: inspects pickle files without loading them: the
//! verdict, the imports, the calls and the Python `pickle.load` would run;
//! `--dis` adds the opcode listing (as `pickletools.dis` prints it).

use std::path::PathBuf;

use safelab_tools::{MAX_INPUT, Report, pickle};

use super::{Output, walk};

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

/// One report per input: a file that cannot be read, or is larger than the
/// inspector reads, gets a "not inspected" report (a finding) and the run
/// goes on.
pub fn run(args: &Args) -> anyhow::Result<Vec<Report>> {
    let walk = walk::walk(&args.paths, |path| {
        path.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| PICKLE_ENDINGS.contains(&e.to_ascii_lowercase().as_str()))
    });
    for folder in &walk.skipped {
        eprintln!("safelab: not searched (not your own files; name it to search it): {folder}");
    }
    let mut reports = Vec::with_capacity(walk.files.len() + walk.problems.len());
    for problem in walk.problems {
        reports.push(Report::Pickle(pickle::Report::not_inspected(0, problem)));
    }
    for file in walk.files {
        let name = file.display().to_string();
        let mut report = match walk::read_capped(&file, MAX_INPUT as u64) {
            Ok(Some(bytes)) => pickle::inspect(&bytes),
            Ok(None) => {
                let size = std::fs::metadata(&file).map_or(0, |m| m.len());
                pickle::Report::not_inspected(
                    usize::try_from(size).unwrap_or(usize::MAX),
                    format!(
                        "not inspected: too large ({size} bytes; the inspector reads at most {MAX_INPUT}). Check it another way (python -m pickletools in a sandbox, or fickling) before loading it, or save the model as safetensors"
                    ),
                )
            }
            Err(error) => pickle::Report::not_inspected(
                0,
                format!("not inspected: cannot read it ({error}): check that you may read it"),
            ),
        };
        report.name = Some(name);
        report.human_listing = args.dis;
        reports.push(Report::Pickle(report));
    }
    Ok(reports)
}
