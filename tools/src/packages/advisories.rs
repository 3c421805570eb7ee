//! The bundled advisory snapshot (`tools/advisories/pypa.jsonl`, built by
//! `tools/advisories/build.py`) and the PEP 440 comparison of a version with
//! an advisory's OSV ranges.
//!
//! The snapshot is JSON lines: a header with the source, revision, date and
//! licence, then one advisory per line. It is parsed once, at the first
//! check, into an index by normalised package name; a range's versions are
//! parsed only when a pinned version of its package is checked.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::OnceLock;

use pep440_rs::Version;
use serde::Deserialize;

use super::Snapshot;

/// The snapshot's bytes, embedded in the program and the app.
const SNAPSHOT: &str = include_str!("../../advisories/pypa.jsonl");

/// One advisory, as the snapshot keeps it.
#[derive(Debug, Clone, Deserialize)]
pub struct Advisory {
    /// `PYSEC-2021-142`.
    pub id: String,
    /// `CVE-…`, `GHSA-…`.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Its summary or the first sentences of its details.
    #[serde(default)]
    pub summary: String,
    /// When it was published, `YYYY-MM-DD`.
    #[serde(default)]
    pub published: String,
    /// When it was last changed, `YYYY-MM-DD`.
    #[serde(default)]
    pub modified: String,
    /// The packages it affects.
    #[serde(default)]
    pub affected: Vec<Affected>,
}

/// An advisory's affected versions of one package.
#[derive(Debug, Clone, Deserialize)]
pub struct Affected {
    /// The package's normalised name.
    pub package: String,
    /// OSV `ECOSYSTEM` ranges: each a list of events.
    #[serde(default)]
    pub ranges: Vec<Vec<Event>>,
    /// The versions the advisory lists by name.
    #[serde(default)]
    pub versions: Vec<String>,
}

/// One OSV range event.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The first affected version (`0`: every version).
    Introduced(String),
    /// The first version no longer affected.
    Fixed(String),
    /// The last affected version.
    LastAffected(String),
    /// An upper bound of the range (not a fix).
    Limit(String),
}

/// The snapshot, parsed.
#[derive(Debug)]
pub struct Database {
    /// Its provenance and size.
    pub snapshot: Snapshot,
    advisories: Vec<Advisory>,
    /// Advisory indices by normalised package name.
    by_package: HashMap<String, Vec<usize>>,
}

#[derive(Deserialize)]
struct Header {
    source: String,
    revision: String,
    date: String,
    license: String,
}

impl Database {
    /// The bundled snapshot, parsed at the first call.
    pub fn bundled() -> &'static Self {
        static DATABASE: OnceLock<Database> = OnceLock::new();
        DATABASE.get_or_init(|| Self::parse(SNAPSHOT))
    }

    /// Reads a snapshot; lines that do not parse are left out (the tests
    /// check the bundled one has none).
    pub fn parse(text: &str) -> Self {
        let mut lines = text.lines();
        let header: Option<Header> = lines
            .next()
            .and_then(|line| serde_json::from_str(line).ok());
        let advisories: Vec<Advisory> = lines
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        let mut by_package: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, advisory) in advisories.iter().enumerate() {
            for affected in &advisory.affected {
                let list = by_package.entry(affected.package.clone()).or_default();
                if list.last() != Some(&index) {
                    list.push(index);
                }
            }
        }
        let header = header.unwrap_or(Header {
            source: "none".into(),
            revision: String::new(),
            date: String::new(),
            license: String::new(),
        });
        Self {
            snapshot: Snapshot {
                source: header.source,
                revision: header.revision,
                date: header.date,
                license: header.license,
                advisories: advisories.len(),
                packages: by_package.len(),
                age_days: None,
            },
            advisories,
            by_package,
        }
    }

    /// Every advisory about the package `name` (normalised).
    pub fn about<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Advisory> + 'a {
        self.by_package
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|&index| self.advisories.get(index))
    }

    /// Whether the snapshot knows the package `name` (normalised) at all.
    pub fn knows(&self, name: &str) -> bool {
        self.by_package.contains_key(name)
    }
}

/// How one advisory affects one version of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The affected ranges, as PEP 440 text.
    pub affected: String,
    /// The lowest fixed version above the one checked.
    pub fixed: Option<String>,
}

/// A version in an event: `None` is OSV's `0`, before every version.
fn event_version(text: &str) -> Option<Option<Version>> {
    if text == "0" {
        Some(None)
    } else {
        Version::from_str(text).ok().map(Some)
    }
}

impl Affected {
    /// Whether `version` of this package is affected, with the ranges and
    /// the next fix; `None` when it is not.
    pub fn check(&self, version: &Version, written: &str) -> Option<Verdict> {
        let in_range = self.ranges.iter().any(|events| in_range(events, version));
        let listed = self.versions.iter().any(|listed| {
            listed == written || Version::from_str(listed).is_ok_and(|listed| &listed == version)
        });
        if !in_range && !listed {
            return None;
        }
        let fixed = self
            .ranges
            .iter()
            .flatten()
            .filter_map(|event| match event {
                Event::Fixed(fixed) => Version::from_str(fixed).ok(),
                _ => None,
            })
            .filter(|fixed| fixed > version)
            .min();
        Some(Verdict {
            affected: self.describe(),
            fixed: fixed.map(|fixed| fixed.to_string()),
        })
    }

    /// The affected versions as PEP 440 text: `>=5.1, <5.4 or <3.13`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for events in &self.ranges {
            let mut start: Option<&str> = None;
            let mut open = false;
            for event in sorted(events) {
                match event {
                    Event::Introduced(at) => {
                        start = Some(at);
                        open = true;
                    }
                    Event::Fixed(end) | Event::LastAffected(end) if open => {
                        let op = if matches!(event, Event::Fixed(_)) {
                            "<"
                        } else {
                            "<="
                        };
                        parts.push(match start {
                            Some("0") | None => format!("{op}{end}"),
                            Some(from) => format!(">={from}, {op}{end}"),
                        });
                        open = false;
                    }
                    _ => {}
                }
            }
            if open {
                parts.push(match start {
                    Some("0") | None => "every version".to_owned(),
                    Some(from) => format!(">={from}"),
                });
            }
        }
        if parts.is_empty() {
            const SHOWN: usize = 6;
            let mut listed: Vec<String> = self
                .versions
                .iter()
                .take(SHOWN)
                .map(|version| format!("=={version}"))
                .collect();
            if self.versions.len() > SHOWN {
                listed.push(format!(
                    "{} more listed versions",
                    self.versions.len() - SHOWN
                ));
            }
            return listed.join(", ");
        }
        parts.join(" or ")
    }
}

/// A range's events in version order (OSV's rule); events whose version
/// does not parse keep their place at the end.
fn sorted(events: &[Event]) -> Vec<&Event> {
    let mut keyed: Vec<(Option<Option<Version>>, usize, &Event)> = events
        .iter()
        .enumerate()
        .map(|(order, event)| {
            let text = match event {
                Event::Introduced(v)
                | Event::Fixed(v)
                | Event::LastAffected(v)
                | Event::Limit(v) => v,
            };
            (event_version(text), order, event)
        })
        .collect();
    keyed.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp(y).then(a.1.cmp(&b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    keyed.into_iter().map(|(_, _, event)| event).collect()
}

/// OSV's evaluation of one range: walk the events in version order; an
/// `introduced` at or below the version opens, a `fixed` at or below it (or
/// a `last_affected` below it) closes.
fn in_range(events: &[Event], version: &Version) -> bool {
    let mut affected = false;
    for event in sorted(events) {
        match event {
            Event::Introduced(at) => match event_version(at) {
                Some(None) => affected = true,
                Some(Some(at)) if version >= &at => affected = true,
                _ => {}
            },
            Event::Fixed(at) => {
                if let Some(Some(at)) = event_version(at)
                    && version >= &at
                {
                    affected = false;
                }
            }
            Event::LastAffected(at) => {
                if let Some(Some(at)) = event_version(at)
                    && version > &at
                {
                    affected = false;
                }
            }
            Event::Limit(_) => {}
        }
    }
    affected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    fn range(events: &[(&str, &str)]) -> Affected {
        Affected {
            package: "demo".into(),
            ranges: vec![
                events
                    .iter()
                    .map(|&(kind, at)| match kind {
                        "introduced" => Event::Introduced(at.into()),
                        "fixed" => Event::Fixed(at.into()),
                        "last_affected" => Event::LastAffected(at.into()),
                        _ => Event::Limit(at.into()),
                    })
                    .collect(),
            ],
            versions: vec![],
        }
    }

    #[test]
    fn ranges_follow_pep_440_order_not_text_order() {
        let affected = range(&[("introduced", "0"), ("fixed", "1.10")]);
        assert!(affected.check(&version("1.9"), "1.9").is_some());
        assert!(affected.check(&version("1.10"), "1.10").is_none());
        assert!(affected.check(&version("1.10.0"), "1.10.0").is_none());
        // A pre-release of the fix is before the fix.
        assert!(affected.check(&version("1.10rc1"), "1.10rc1").is_some());
        assert!(affected.check(&version("1.11"), "1.11").is_none());
    }

    #[test]
    fn several_intervals_and_last_affected() {
        let affected = range(&[
            ("introduced", "4.0"),
            ("fixed", "4.3"),
            ("introduced", "5.0"),
            ("last_affected", "5.2"),
        ]);
        assert!(affected.check(&version("3.9"), "3.9").is_none());
        let verdict = affected.check(&version("4.1"), "4.1").unwrap();
        assert_eq!(verdict.fixed.as_deref(), Some("4.3"));
        assert_eq!(verdict.affected, ">=4.0, <4.3 or >=5.0, <=5.2");
        assert!(affected.check(&version("4.3"), "4.3").is_none());
        let verdict = affected.check(&version("5.2"), "5.2").unwrap();
        assert_eq!(verdict.fixed, None);
        assert!(affected.check(&version("5.2.1"), "5.2.1").is_none());
    }

    #[test]
    fn unsorted_events_are_sorted_first() {
        let affected = range(&[("fixed", "2.0"), ("introduced", "1.5")]);
        assert!(affected.check(&version("1.7"), "1.7").is_some());
        assert!(affected.check(&version("1.4"), "1.4").is_none());
    }

    #[test]
    fn listed_versions_count_without_a_range() {
        let affected = Affected {
            package: "demo".into(),
            ranges: vec![],
            versions: vec!["1.0".into(), "1.1.0".into()],
        };
        assert!(affected.check(&version("1.0.0"), "1.0.0").is_some());
        assert!(affected.check(&version("1.1"), "1.1").is_some());
        assert!(affected.check(&version("1.2"), "1.2").is_none());
        assert_eq!(affected.describe(), "==1.0, ==1.1.0");
    }

    #[test]
    fn an_open_range_affects_everything_after_it() {
        let affected = range(&[("introduced", "0")]);
        assert!(affected.check(&version("99"), "99").is_some());
        assert_eq!(affected.describe(), "every version");
    }
}
