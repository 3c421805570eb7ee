//! The secret scanner (lesson 9): cloud keys, code-host and chat tokens,
//! private keys, passwords in URLs and connection strings, `.env` entries and
//! high-entropy strings, in text, files and a git history (a `git bundle`, or
//! a repository's `.git` folder read by the command line), each with its
//! place, a redacted preview and how to rotate it.
//!
//! The kinds it knows are in [`rules`] (each with its rotation advice); what
//! it deliberately does not report (documentation example keys such as
//! `AKIAIOSFODNN7EXAMPLE`, placeholders, `os.environ[...]` references,
//! lockfile hashes, UUIDs, base64 images) is documented there too. A git
//! history is read by [`git`] (bundles, packs, loose objects) and walked by
//! [`history`]: each secret is reported once per file, attributed to the
//! commit that added it, and marked as still present or not in the newest
//! commit.

pub mod file;
pub mod git;
pub mod history;
pub mod rules;

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::Level;

/// The most findings a report lists; the count goes on past it.
pub const FINDING_LIMIT: usize = 10_000;

/// What the scanner found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The findings, at most [`FINDING_LIMIT`], in the order found.
    pub findings: Vec<Finding>,
    /// How many findings there were in all.
    pub finding_total: usize,
    /// What was read.
    pub scanned: Scanned,
    /// What could not be read, in words (a damaged bundle, objects past a
    /// bound): the findings cover the rest.
    #[serde(default)]
    pub problems: Vec<String>,
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
    /// Whether the secret is still in that file in the newest commit
    /// (false: "deleted", yet still in the history).
    pub still_present: bool,
}

impl Report {
    /// The number of secrets found.
    pub fn finding_count(&self) -> usize {
        self.finding_total
    }

    /// Adds `other`'s findings and counts to this report (the command line
    /// scans a folder file by file into one report).
    pub fn absorb(&mut self, other: Self) {
        for finding in other.findings {
            if self.findings.len() < FINDING_LIMIT {
                self.findings.push(finding);
            }
        }
        self.finding_total += other.finding_total;
        self.scanned.files += other.scanned.files;
        self.scanned.bytes += other.scanned.bytes;
        self.scanned.commits += other.scanned.commits;
        self.scanned.binary += other.scanned.binary;
        self.problems.extend(other.problems);
    }

    /// The report for a terminal.
    pub fn human(&self) -> String {
        let mut out = String::new();
        for finding in &self.findings {
            let _ = writeln!(
                out,
                "{}:{}:{}: {} ({} confidence)",
                finding.file,
                finding.line,
                finding.column,
                finding.title,
                finding.confidence.as_str()
            );
            let _ = writeln!(out, "    {}", finding.preview);
            if let Some(commit) = &finding.commit {
                let short: String = commit.id.chars().take(10).collect();
                let state = if commit.still_present {
                    "still in the newest commit"
                } else {
                    "deleted since, but still in the history"
                };
                let _ = writeln!(
                    out,
                    "    added in commit {short} by {}: \"{}\" ({state})",
                    commit.author, commit.summary
                );
            }
        }
        if self.finding_total > self.findings.len() {
            let _ = writeln!(
                out,
                "… and {} more not listed",
                self.finding_total - self.findings.len()
            );
        }
        let mut kinds: Vec<&str> = self.findings.iter().map(|f| f.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        if !kinds.is_empty() {
            let _ = writeln!(out, "\nHow to rotate what was found:");
            for rule in kinds.iter().filter_map(|kind| rules::by_id(kind)) {
                let _ = writeln!(out, "  {}: {}", rule.title, rule.rotate);
            }
            let _ = writeln!(
                out,
                "  Then: remove the secret from the code (an environment variable or a secrets manager), from the history (git filter-repo) if it was committed, and check the service's logs."
            );
        }
        for problem in &self.problems {
            let _ = writeln!(out, "note: {problem}");
        }
        let history = if self.scanned.commits > 0 {
            format!(" in {} commit(s)", self.scanned.commits)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{} secret(s) found in {} file(s), {} bytes{history}; {} binary file(s) skipped.",
            self.finding_total, self.scanned.files, self.scanned.bytes, self.scanned.binary
        );
        out
    }
}

/// Scans one input: a `git bundle` is read as a whole history, anything else
/// as one file called `name`.
pub fn scan(name: &str, bytes: &[u8]) -> Report {
    if git::is_bundle(bytes) {
        return history::scan_bundle(name, bytes);
    }
    let mut report = Report::default();
    scan_file(&mut report, name, bytes);
    report
}

/// Scans one file called `name` into `report` (binary files are counted and
/// skipped).
pub fn scan_file(report: &mut Report, name: &str, bytes: &[u8]) {
    report.scanned.files += 1;
    report.scanned.bytes += bytes.len();
    if file::is_binary(bytes) {
        report.scanned.binary += 1;
        return;
    }
    for hit in file::scan_text(name, bytes) {
        report.finding_total += 1;
        if report.findings.len() < FINDING_LIMIT {
            report.findings.push(hit.finding(name, None));
        }
    }
}
