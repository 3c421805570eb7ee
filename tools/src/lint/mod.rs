//! The Python security lint (lesson 11): parses Python with a real parser and
//! reports what the well-known Python security linter (bandit) reports, with
//! its check ids, severity, confidence and the fix; `# nosec` silences a line.
//!
//! SKELETON: the types are the contract the app and the command line use;
//! the checks are to be written.

use serde::{Deserialize, Serialize};

use crate::Level;

/// What the lint found in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The file's name.
    pub file: String,
    /// Its number of lines.
    pub lines: usize,
    /// The findings, by line.
    pub findings: Vec<Finding>,
    /// Findings silenced by `# nosec`.
    pub suppressed: usize,
    /// Why the file could not be parsed, if it could not.
    pub syntax_error: Option<SyntaxError>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The reference linter's id for the check (`B602`).
    pub check: String,
    /// Its name (`subprocess_popen_with_shell_equals_true`).
    pub name: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// How bad it would be.
    pub severity: Level,
    /// How sure the lint is.
    pub confidence: Level,
    /// What is wrong, in words.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The line of code.
    pub code: String,
}

/// Why a file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyntaxError {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// The parser's message.
    pub message: String,
}

impl Report {
    /// The number of findings (a syntax error counts as one).
    pub fn finding_count(&self) -> usize {
        self.findings.len() + usize::from(self.syntax_error.is_some())
    }

    /// The report for a terminal.
    pub fn human(&self) -> String {
        todo!("skeleton")
    }
}

/// Lints the Python source `source` of the file `name`.
pub fn lint(name: &str, source: &str) -> Report {
    let _ = (name, source);
    todo!("skeleton")
}
