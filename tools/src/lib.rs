//! safelab's analysis tools, for a data scientist's own files: a pickle
//! inspector ([`pickle`]), a secret scanner ([`secrets`]), a Python security
//! lint ([`lint`]) and a dependency check ([`packages`]).
//!
//! Plain functions from bytes to a report: no I/O, no DOM, no threads, so the
//! same code runs in the app's WASM worker (nothing is uploaded) and in the
//! `safelab` command-line tools, and is tested and fuzzed on the host. Every
//! tool bounds what it keeps: a 10 MB input gives a report of bounded size.
//!
//! [`run`] is the one entry point both callers use; each module's own entry
//! points serve callers that already know which tool they want.

pub mod lint;
pub mod packages;
pub mod pickle;
pub mod secrets;
mod terminal;

pub use terminal::terminal;

use serde::{Deserialize, Serialize};

pub use safelab_protocol::tools::Tool;

/// The largest input any tool reads, in bytes (32 MiB): a larger file is
/// refused rather than half-read.
pub const MAX_INPUT: usize = 32 * 1024 * 1024;

/// How serious a finding is, or how sure a tool is of it (the lint's
/// severity and confidence, the secret scanner's confidence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Worth a look.
    Low,
    /// Likely a problem.
    Medium,
    /// A problem.
    High,
}

impl Level {
    /// The level in words (`"high"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// What a tool found in one input: one variant per tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "tool", rename_all = "snake_case")]
pub enum Report {
    /// The pickle inspector's listing, imports, calls and verdict.
    Pickle(pickle::Report),
    /// The secret scanner's findings.
    Secrets(secrets::Report),
    /// The Python security lint's findings.
    Lint(lint::Report),
    /// The dependency check's advisories.
    Packages(packages::Report),
}

impl Report {
    /// How many things the report calls a problem: the command-line tools
    /// exit non-zero when this is not 0.
    pub fn finding_count(&self) -> usize {
        match self {
            Self::Pickle(report) => report.finding_count(),
            Self::Secrets(report) => report.finding_count(),
            Self::Lint(report) => report.finding_count(),
            Self::Packages(report) => report.finding_count(),
        }
    }

    /// Whether the tool could not read all it should have (the secret
    /// scanner's objects past a bound, a pickle too large to inspect): the
    /// command-line tools exit 2 then, since "nothing found" covers only
    /// part of the input.
    pub fn incomplete(&self) -> bool {
        match self {
            Self::Secrets(report) => report.incomplete,
            Self::Pickle(report) => report.verdict == pickle::Verdict::NotInspected,
            Self::Lint(report) => report.not_read.is_some(),
            Self::Packages(_) => false,
        }
    }

    /// The report as a person reads it in a terminal.
    pub fn human(&self) -> String {
        match self {
            Self::Pickle(report) => report.human(),
            Self::Secrets(report) => report.human(),
            Self::Lint(report) => report.human(),
            Self::Packages(report) => report.human(),
        }
    }
}

/// Why a tool did not read an input at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum InputError {
    /// The input is larger than [`MAX_INPUT`].
    TooLarge {
        /// Its size in bytes.
        size: usize,
    },
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { size } => write!(
                f,
                "the input is {size} bytes; the tools read at most {MAX_INPUT} bytes: split it or pick a smaller file"
            ),
        }
    }
}

impl std::error::Error for InputError {}

/// Runs `tool` on one input: `name` is its file name (it tells a
/// `pyproject.toml` from a `requirements.txt`, and names findings), `bytes`
/// its content. Never executes, loads or fetches anything.
pub fn run(tool: Tool, name: &str, bytes: &[u8]) -> Result<Report, InputError> {
    if bytes.len() > MAX_INPUT {
        return Err(InputError::TooLarge { size: bytes.len() });
    }
    Ok(match tool {
        Tool::Pickle => Report::Pickle(pickle::inspect(bytes)),
        Tool::Secrets => Report::Secrets(secrets::scan(name, bytes)),
        Tool::Lint => Report::Lint(lint::lint(name, &String::from_utf8_lossy(bytes))),
        Tool::Packages => Report::Packages(packages::audit(name, &String::from_utf8_lossy(bytes))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_over_the_limit_is_refused_whole() {
        let big = vec![b'a'; MAX_INPUT + 1];
        assert_eq!(
            run(Tool::Secrets, "big.txt", &big),
            Err(InputError::TooLarge {
                size: MAX_INPUT + 1
            })
        );
    }
}
