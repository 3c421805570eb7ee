//! The analysis tools on the command line: `safelab pickle`, `safelab
//! secrets`, `safelab lint` and `safelab audit`, for a learner's own projects,
//! CI and pre-commit. The tools are `safelab_tools`, the same code the app
//! runs in the browser; this module reads files and prints reports.
//!
//! Exit status: 0 when nothing was found, 1 when something was (so CI and
//! pre-commit fail), 2 when an input could not be read, or not all of it (a
//! report marked incomplete: "nothing found" would claim too much; the
//! reports still say what was found in the rest).

pub mod lint;
pub mod packages;
pub mod pickle;
pub mod secrets;
pub mod walk;

use std::process::ExitCode;

use safelab_tools::Report;

use crate::config::Command;

/// How a tool prints its reports (shared by every tool subcommand).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Output {
    /// Print the reports as JSON (one array) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `command` if it is one of the tools' subcommands and returns the
/// program's exit status; `None` for the lab's own subcommands.
pub fn run(command: &Command) -> Option<ExitCode> {
    let (reports, output) = match command {
        Command::Pickle(args) => (pickle::run(args), &args.output),
        Command::Secrets(args) => (secrets::run(args), &args.output),
        Command::Lint(args) => (lint::run(args), &args.output),
        Command::Audit(args) => (packages::run(args), &args.output),
        Command::Reset { .. } => return None,
    };
    Some(match reports {
        Ok(reports) => print(&reports, output),
        Err(error) => {
            eprintln!("safelab: {error:#}");
            ExitCode::from(2)
        }
    })
}

fn print(reports: &[Report], output: &Output) -> ExitCode {
    if output.json {
        match serde_json::to_string_pretty(reports) {
            Ok(json) => println!("{json}"),
            Err(error) => {
                eprintln!("safelab: cannot write the report as JSON: {error}");
                return ExitCode::from(2);
            }
        }
    } else {
        for report in reports {
            print!("{}", report.human());
        }
    }
    if reports.iter().any(Report::incomplete) {
        eprintln!(
            "safelab: not everything could be read (see the report's notes): the result is incomplete"
        );
        ExitCode::from(2)
    } else if reports.iter().any(|report| report.finding_count() > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
