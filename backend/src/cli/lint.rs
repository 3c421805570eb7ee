//! `safelab lint`: Lints Python files for security problems. SKELETON: to be written.

use std::path::PathBuf;

use safelab_tools::Report;

use super::Output;

/// `safelab lint`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The files (or folders) to read.
    pub paths: Vec<PathBuf>,
    /// How to print the reports.
    #[command(flatten)]
    pub output: Output,
}

/// One report per input.
pub fn run(args: &Args) -> anyhow::Result<Vec<Report>> {
    let _ = args;
    anyhow::bail!("not written yet")
}
