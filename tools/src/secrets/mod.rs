//! The secret scanner (lesson 9): cloud keys, code-host and chat tokens,
//! private keys, passwords in URLs and connection strings, `.env` entries and
//! high-entropy strings, in text, files and a git history (a `git bundle`, or
//! a repository's `.git` folder read by the command line), each with its
//! place, a redacted preview and how to rotate it.
//!
//! SKELETON: the types are the contract the app and the command line use;
//! the scanner is to be written.

use serde::{Deserialize, Serialize};

use crate::Level;

/// The most findings a report lists; the count goes on past it.
pub const FINDING_LIMIT: usize = 10_000;

/// What the scanner found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The findings, at most [`FINDING_LIMIT`], in the order found.
    pub findings: Vec<Finding>,
    /// How many findings there were in all.
    pub finding_total: usize,
    /// What was read.
    pub scanned: Scanned,
}

/// How much the scanner read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scanned {
    /// Files (or blobs of a history) read.
    pub files: usize,
    /// Bytes read.
    pub bytes: usize,
    /// Commits walked, when a history was scanned.
    pub commits: usize,
    /// Files skipped as binary.
    pub binary: usize,
}

/// One secret found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The kind's id (`aws-access-key-id`).
    pub kind: String,
    /// The kind in words (`AWS access key ID`).
    pub title: String,
    /// The file it is in (a path in the history for a commit).
    pub file: String,
    /// Its line, from 1.
    pub line: usize,
    /// Its column, from 1, in characters.
    pub column: usize,
    /// The line with the secret redacted (`AWS_SECRET=wJal…EKEY`).
    pub preview: String,
    /// The commit that added it, when a history was scanned.
    pub commit: Option<Commit>,
    /// How sure the scanner is.
    pub confidence: Level,
    /// How to rotate this kind of secret.
    pub rotate: String,
}

/// A commit, as a finding names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// Its full hash.
    pub id: String,
    /// Its author line (`Ning <ning@example.org>`).
    pub author: String,
    /// Its first message line.
    pub summary: String,
    /// Whether the file is still there in the newest commit.
    pub still_present: bool,
}

impl Report {
    /// The number of secrets found.
    pub fn finding_count(&self) -> usize {
        self.finding_total
    }

    /// The report for a terminal.
    pub fn human(&self) -> String {
        todo!("skeleton")
    }
}

/// Scans one input: a `git bundle` is read as a whole history, anything else
/// as one file called `name`.
pub fn scan(name: &str, bytes: &[u8]) -> Report {
    let _ = (name, bytes);
    todo!("skeleton")
}
