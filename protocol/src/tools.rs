//! The analysis tools' part of the contract: which tool, and the lab's
//! examples the Tools page offers (`GET /api/tools/examples`). The tools
//! themselves run in the app, so their reports never cross the wire.

use serde::{Deserialize, Serialize};

/// One of safelab's analysis tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    /// Lesson 8's pickle inspector: lists a pickle's opcodes and what loading
    /// it would do, without loading it.
    Pickle,
    /// Lesson 9's secret scanner: keys, tokens and passwords in text, files
    /// and git history.
    Secrets,
    /// Lesson 11's Python security lint.
    Lint,
    /// Lesson 10's dependency check against known advisories.
    Packages,
}

impl Tool {
    /// Every tool, in the order the Tools page shows them.
    pub const ALL: [Self; 4] = [Self::Pickle, Self::Secrets, Self::Packages, Self::Lint];

    /// The id as it appears in JSON and on the command line (`"pickle"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pickle => "pickle",
            Self::Secrets => "secrets",
            Self::Lint => "lint",
            Self::Packages => "packages",
        }
    }

    /// The tool's name as the app shows it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Pickle => "Pickle inspector",
            Self::Secrets => "Secret scanner",
            Self::Lint => "Python security lint",
            Self::Packages => "Dependency check",
        }
    }

    /// The lesson widget that draws this tool (`::: widget {#pickle-inspector}`).
    pub fn widget(self) -> &'static str {
        match self {
            Self::Pickle => "pickle-inspector",
            Self::Secrets => "secret-scanner",
            Self::Lint => "python-lint",
            Self::Packages => "dependency-check",
        }
    }
}

/// A file from the lab the Tools page offers to a tool: one item of `GET
/// /api/tools/examples`; its bytes are at `GET /api/tools/examples/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolExample {
    /// The tool it is for.
    pub tool: Tool,
    /// Its file name, unique among the examples (`model.pkl`).
    pub name: String,
    /// One line: what it is (`A "model" that runs a command when loaded`).
    pub title: String,
    /// The lesson that uses it.
    pub lesson: String,
}
