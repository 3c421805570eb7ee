//! The dependency check (lesson 10): reads `requirements.txt`, `pip freeze`
//! output or `pyproject.toml`, and compares every pinned version, with PEP 440
//! semantics, against a bundled snapshot of the PyPA advisory database (OSV,
//! CC-BY 4.0), saying how old that snapshot is.
//!
//! SKELETON: the types are the contract the app and the command line use;
//! the check is to be written.

use serde::{Deserialize, Serialize};

/// What the check found in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The file's name.
    pub file: String,
    /// How the file was read.
    pub format: Format,
    /// Every requirement it lists.
    pub packages: Vec<Package>,
    /// Every advisory that affects a listed version.
    pub hits: Vec<Hit>,
    /// Lines that could not be read, and requirements that pin nothing.
    pub warnings: Vec<Warning>,
    /// Where the advisories come from and how old they are.
    pub snapshot: Snapshot,
}

/// The kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `requirements.txt` (and `pip freeze`, which is one).
    Requirements,
    /// `pyproject.toml`'s `[project] dependencies` and optional ones.
    Pyproject,
}

/// One requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Its normalised name (`pyyaml`).
    pub name: String,
    /// The requirement as written (`PyYAML==5.3.1`).
    pub requirement: String,
    /// The exact version it pins, if it pins one (`==` or `===`).
    pub pinned: Option<String>,
    /// Its line in the file, from 1.
    pub line: usize,
}

/// An advisory that affects a listed version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    /// The package's normalised name.
    pub package: String,
    /// The version checked.
    pub version: String,
    /// The line of its requirement.
    pub line: usize,
    /// The advisory's id (`PYSEC-2021-142`).
    pub id: String,
    /// Its aliases (`CVE-2020-14343`, `GHSA-…`).
    pub aliases: Vec<String>,
    /// Its summary or the first sentence of its details.
    pub summary: String,
    /// The affected ranges, as PEP 440 (`>=5.1, <5.4`).
    pub affected: String,
    /// The lowest fixed version above the one checked, if the advisory has one.
    pub fixed: Option<String>,
}

/// A line the check could not use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Its line, from 1.
    pub line: usize,
    /// What is wrong (`numpy>=1.20 pins no version: the check cannot say which you get`).
    pub message: String,
}

/// The bundled advisory snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The source (`PyPA advisory database`).
    pub source: String,
    /// The source's commit or export.
    pub revision: String,
    /// The date of the newest data, ISO 8601 (`2024-10-10`).
    pub date: String,
    /// Its licence and attribution.
    pub license: String,
    /// How many advisories it holds.
    pub advisories: usize,
    /// How many packages they cover.
    pub packages: usize,
}

impl Report {
    /// The number of advisories hit.
    pub fn finding_count(&self) -> usize {
        self.hits.len()
    }

    /// The report for a terminal.
    pub fn human(&self) -> String {
        todo!("skeleton")
    }
}

/// Checks the requirements in `text`, from the file `name`, against the
/// bundled snapshot.
pub fn audit(name: &str, text: &str) -> Report {
    let _ = (name, text);
    todo!("skeleton")
}
