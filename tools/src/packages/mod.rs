//! The dependency check (lesson 10): reads `requirements.txt`, `pip freeze`
//! output or `pyproject.toml`, and compares every pinned version, with PEP 440
//! semantics, against a bundled snapshot of the PyPA advisory database (OSV,
//! CC-BY 4.0), saying how old that snapshot is.
//!
//! [`read`] turns a file into requirements ([`pep508`] reads each line, toml
//! the pyproject), [`advisories`] holds the snapshot and the OSV range
//! comparison (pep440_rs). Only pinned versions (`==`, `===`) can be
//! checked: a range (`>=`) says nothing about what is installed, so it is a
//! warning that says how to get a pinned list (`pip freeze`).

pub mod advisories;
pub mod pep508;
pub mod read;

use std::fmt::Write as _;
use std::str::FromStr;

use pep440_rs::Version;
use serde::{Deserialize, Serialize};

use advisories::Database;

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
    /// Per package hit, the version that fixes all its hits: what to
    /// upgrade to.
    #[serde(default)]
    pub upgrades: Vec<Upgrade>,
}

/// What to upgrade one package to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upgrade {
    /// The package's normalised name.
    pub package: String,
    /// The version pinned now.
    pub from: String,
    /// The lowest version that fixes every advisory hit, if each has a fix.
    pub to: Option<String>,
    /// How many advisories it fixes.
    pub advisories: usize,
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
    /// How many days old `date` is, when the caller knows today's date
    /// (the command line fills it in; the tools read no clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_days: Option<u32>,
}

impl Snapshot {
    /// The bundled snapshot's provenance.
    pub fn bundled() -> Self {
        Database::bundled().snapshot.clone()
    }

    /// Fills in [`Snapshot::age_days`] for the moment `unix_seconds`.
    pub fn at(mut self, unix_seconds: u64) -> Self {
        let today = i64::try_from(unix_seconds / 86_400).unwrap_or(i64::MAX);
        self.age_days =
            civil_days(&self.date).and_then(|day| u32::try_from(today.saturating_sub(day)).ok());
        self
    }

    /// One line on where the data comes from and how old it is.
    pub fn describe(&self) -> String {
        let revision: String = self.revision.chars().take(12).collect();
        let age = match self.age_days {
            Some(days) => format!(", {days} days old: advisories published since are not in it"),
            None => ": advisories published since are not in it".to_owned(),
        };
        format!(
            "{} advisories on {} packages from the {} ({revision}) of {}{age}. {}",
            self.advisories, self.packages, self.source, self.date, self.license
        )
    }
}

/// Days since 1970-01-01 of an ISO date `YYYY-MM-DD` (the civil calendar).
fn civil_days(date: &str) -> Option<i64> {
    let mut parts = date.get(..10)?.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

impl Report {
    /// The number of advisories hit.
    pub fn finding_count(&self) -> usize {
        self.hits.len()
    }

    /// The report for a terminal.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let pinned = self.packages.iter().filter(|p| p.pinned.is_some()).count();
        let _ = writeln!(
            out,
            "{}: {} requirements, {pinned} pinned, {} known advisories hit",
            self.file,
            self.packages.len(),
            self.hits.len()
        );
        for hit in &self.hits {
            let aliases = if hit.aliases.is_empty() {
                String::new()
            } else {
                format!(" ({})", hit.aliases.join(", "))
            };
            let fixed = match &hit.fixed {
                Some(fixed) => format!(
                    "fixed in {fixed}: pip install -U \"{}>={fixed}\"",
                    hit.package
                ),
                None => {
                    "no fixed version: replace the package or accept the risk knowingly".to_owned()
                }
            };
            let _ = writeln!(
                out,
                "  line {}: {}=={}  {}{aliases}\n    affected: {}; {fixed}\n    {}",
                hit.line, hit.package, hit.version, hit.id, hit.affected, hit.summary
            );
        }
        for warning in &self.warnings {
            let _ = writeln!(out, "  line {}: warning: {}", warning.line, warning.message);
        }
        let fixable: Vec<String> = self
            .upgrades
            .iter()
            .filter_map(|upgrade| {
                Some(format!("\"{}>={}\"", upgrade.package, upgrade.to.as_ref()?))
            })
            .collect();
        if !fixable.is_empty() {
            let _ = writeln!(out, "  to upgrade: pip install -U {}", fixable.join(" "));
        }
        for upgrade in self.upgrades.iter().filter(|upgrade| upgrade.to.is_none()) {
            let _ = writeln!(
                out,
                "  {}=={}: an advisory has no fixed version yet: replace the package, or keep it knowing the risk",
                upgrade.package, upgrade.from
            );
        }
        let _ = writeln!(out, "  {}", self.snapshot.describe());
        out
    }
}

/// The most hits kept from one file.
const MAX_HITS: usize = 10_000;

/// Checks the requirements in `text`, from the file `name`, against the
/// bundled snapshot.
pub fn audit(name: &str, text: &str) -> Report {
    audit_with(Database::bundled(), name, text)
}

/// Checks the requirements in `text` against `database`.
pub fn audit_with(database: &Database, name: &str, text: &str) -> Report {
    let (text, encoding_warning) = plain_text(text);
    let text = text.as_ref();
    let format = format_of(name, text);
    let read = match format {
        Format::Requirements => read::requirements(text),
        Format::Pyproject => read::pyproject(text),
    };
    let mut warnings: Vec<Warning> = encoding_warning.into_iter().collect();
    warnings.extend(read.warnings);
    if read.dropped > 0 {
        warnings.push(Warning {
            line: 0,
            message: format!(
                "{} more requirements or warnings were left out: the check keeps {} of each",
                read.dropped,
                read::MAX_ENTRIES
            ),
        });
    }
    let mut hits = Vec::new();
    for package in &read.packages {
        let Some(pinned) = &package.pinned else {
            continue;
        };
        let Ok(version) = Version::from_str(pinned) else {
            continue;
        };
        for advisory in database.about(&package.name) {
            if hits.len() >= MAX_HITS {
                break;
            }
            let verdicts = advisory
                .affected
                .iter()
                .filter(|affected| affected.package == package.name)
                .filter_map(|affected| affected.check(&version, pinned));
            if let Some(verdict) = verdicts.into_iter().next() {
                hits.push(Hit {
                    package: package.name.clone(),
                    version: pinned.clone(),
                    line: package.line,
                    id: advisory.id.clone(),
                    aliases: advisory.aliases.clone(),
                    summary: advisory.summary.clone(),
                    affected: verdict.affected,
                    fixed: verdict.fixed,
                });
            }
        }
    }
    let upgrades = upgrades(&hits);
    Report {
        file: name.to_owned(),
        format,
        packages: read.packages,
        hits,
        warnings,
        snapshot: database.snapshot.clone(),
        upgrades,
    }
}

/// The text without a byte-order mark, and without the zero bytes of
/// UTF-16 (what Windows PowerShell 5's `pip freeze > requirements.txt`
/// writes, read here as UTF-8), with a warning saying so.
fn plain_text(text: &str) -> (std::borrow::Cow<'_, str>, Option<Warning>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.contains('\0') {
        return (text.into(), None);
    }
    let cleaned: String = text
        .trim_start_matches(['\u{fffd}', '\u{feff}'])
        .chars()
        .filter(|&c| c != '\0')
        .collect();
    let warning = Warning {
        line: 0,
        message: "the file holds zero bytes, as UTF-16 does (Windows PowerShell writes `pip freeze > requirements.txt` so): read without them; save it as UTF-8 with `pip freeze | Out-File -Encoding utf8 requirements.txt`".to_owned(),
    };
    (cleaned.into(), Some(warning))
}

/// Per package and pinned version hit, the highest of its hits' fixed
/// versions (`None` if one has no fix), in the order of the hits.
fn upgrades(hits: &[Hit]) -> Vec<Upgrade> {
    let mut upgrades: Vec<Upgrade> = Vec::new();
    let mut unfixable: Vec<bool> = Vec::new();
    for hit in hits {
        let index = match upgrades
            .iter()
            .position(|u| u.package == hit.package && u.from == hit.version)
        {
            Some(index) => index,
            None => {
                upgrades.push(Upgrade {
                    package: hit.package.clone(),
                    from: hit.version.clone(),
                    to: None,
                    advisories: 0,
                });
                unfixable.push(false);
                upgrades.len() - 1
            }
        };
        let upgrade = &mut upgrades[index];
        upgrade.advisories += 1;
        match &hit.fixed {
            None => unfixable[index] = true,
            Some(fixed) => {
                let higher = upgrade
                    .to
                    .as_ref()
                    .is_none_or(|to| compare(fixed, to) == Some(std::cmp::Ordering::Greater));
                if higher {
                    upgrade.to = Some(fixed.clone());
                }
            }
        }
    }
    for (upgrade, unfixable) in upgrades.iter_mut().zip(unfixable) {
        if unfixable {
            upgrade.to = None;
        }
    }
    upgrades
}

/// Compares two versions with PEP 440 semantics (`1.10` after `1.9`,
/// `2.0rc1` before `2.0`); `None` when either is not a PEP 440 version.
pub fn compare(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    Some(Version::from_str(a).ok()?.cmp(&Version::from_str(b).ok()?))
}

/// A `.toml` file is a pyproject; so is a file without that name whose
/// text has a `[project]` or `[tool.poetry…]` table (pasted text).
fn format_of(name: &str, text: &str) -> Format {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".toml") {
        return Format::Pyproject;
    }
    if lower.ends_with(".txt") || lower.ends_with(".in") {
        return Format::Requirements;
    }
    let table = |line: &str| {
        let line = line.trim();
        line == "[project]" || line.starts_with("[tool.poetry")
    };
    if text.lines().take(10_000).any(table) {
        Format::Pyproject
    } else {
        Format::Requirements
    }
}

#[cfg(test)]
mod tests;
