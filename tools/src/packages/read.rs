//! Reading the requirements out of a `requirements.txt`, `pip freeze` output
//! or a `pyproject.toml`: one [`Package`] per requirement, one [`Warning`]
//! per line the check cannot use. pip's own options are recognised and set
//! aside, never followed: the check reads one file and nothing else.

use std::collections::BTreeMap;
use std::str::FromStr;

use pep440_rs::Operator;
use serde::Deserialize;
use toml::Spanned;

use super::pep508::{Requirement, VersionOrUrl};
use super::{Package, Warning};

/// The most requirements and warnings kept from one file: a 10 MB file of
/// one-letter lines gives a bounded report.
pub const MAX_ENTRIES: usize = 5_000;

/// A logical line longer than this is not parsed (no requirement is).
const MAX_LINE: usize = 16 * 1024;

/// What one file lists.
#[derive(Debug, Default)]
pub struct Read {
    /// Its requirements.
    pub packages: Vec<Package>,
    /// What could not be used.
    pub warnings: Vec<Warning>,
    /// How many requirements or warnings were over [`MAX_ENTRIES`].
    pub dropped: usize,
}

impl Read {
    fn warn(&mut self, line: usize, message: String) {
        if self.warnings.len() < MAX_ENTRIES {
            self.warnings.push(Warning { line, message });
        } else {
            self.dropped += 1;
        }
    }

    fn package(&mut self, package: Package) {
        if self.packages.len() < MAX_ENTRIES {
            self.packages.push(package);
        } else {
            self.dropped += 1;
        }
    }

    /// One PEP 508 requirement, written at `line`.
    fn requirement(&mut self, line: usize, text: &str) {
        let text = text.trim();
        if text.len() > MAX_LINE {
            self.warn(
                line,
                format!(
                    "a line of {} characters is no requirement: left out",
                    text.len()
                ),
            );
            return;
        }
        match Requirement::from_str(text) {
            Ok(requirement) => self.parsed(line, text, &requirement),
            Err(problem) => {
                self.warn(
                    line,
                    format!(
                        "`{}` is not a requirement pip understands: {problem}",
                        shorten(text)
                    ),
                );
            }
        }
    }

    fn parsed(&mut self, line: usize, text: &str, requirement: &Requirement) {
        let name = normalise(&requirement.name);
        let pinned = match &requirement.version {
            VersionOrUrl::Specifiers(specifiers) => specifiers
                .iter()
                .find(|specifier| {
                    matches!(specifier.operator(), Operator::Equal | Operator::ExactEqual)
                })
                .map(|specifier| specifier.version().to_string()),
            _ => None,
        };
        match (&requirement.version, &pinned) {
            (VersionOrUrl::Url(_), _) => self.warn(
                line,
                format!("{name} is installed from a URL or a file, not from PyPI: the check cannot know its version; pin a released version (`{name}==…`) if there is one"),
            ),
            (_, None) => self.warn(
                line,
                format!("`{}` pins no version: the check cannot know which one pip installs. Run `pip freeze > requirements-lock.txt` in the environment and check that file, or pin with `==`", shorten(text)),
            ),
            _ => {}
        }
        self.package(Package {
            name,
            requirement: shorten(text),
            pinned,
            line,
        });
    }

    /// A line of pip options (`-r other.txt`, `-e git+…`, `--index-url …`).
    fn option(&mut self, line: usize, text: &str) {
        let (flag, value) = match text.split_once(|c: char| c == '=' || c.is_whitespace()) {
            Some((flag, value)) => (flag, value.trim()),
            None => (text, ""),
        };
        let message = match flag {
            "-r" | "--requirement" => format!(
                "includes the file {value}: the check does not follow it; check that file too"
            ),
            "-c" | "--constraint" => format!(
                "takes constraints from {value}: the check does not follow it; check that file too"
            ),
            "-e" | "--editable" => {
                let egg = value
                    .split_once("#egg=")
                    .map(|(_, egg)| egg.split('&').next().unwrap_or(egg).to_owned());
                match egg {
                    Some(egg) => format!(
                        "{egg} is an editable install from {}: it has no released version to check",
                        shorten(value)
                    ),
                    None => format!(
                        "an editable install from {}: it has no released version to check",
                        shorten(value)
                    ),
                }
            }
            "-i" | "--index-url" | "--extra-index-url" => format!(
                "pip downloads from {}: the advisories are PyPI's, so a package of the same name there may be another one",
                shorten(value)
            ),
            "-f" | "--find-links" => format!(
                "pip also looks in {}: packages from there are not PyPI's",
                shorten(value)
            ),
            _ => format!(
                "the pip option `{}` changes how pip installs, not what: the check leaves it aside",
                shorten(text)
            ),
        };
        self.warn(line, message);
    }
}

/// At most 200 characters of `text`, for messages.
fn shorten(text: &str) -> String {
    const KEEP: usize = 200;
    match text.char_indices().nth(KEEP) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// A line without its comment: pip's rule, a `#` at the start or after
/// white space.
fn without_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (at, &byte) in bytes.iter().enumerate() {
        if byte == b'#' && (at == 0 || bytes[at - 1].is_ascii_whitespace()) {
            return &line[..at];
        }
    }
    line
}

/// A requirement without pip's per-requirement options (`--hash=…`,
/// `--config-settings …`), which follow it after white space.
fn without_options(line: &str) -> &str {
    let bytes = line.as_bytes();
    for at in 1..bytes.len() {
        if bytes[at] == b'-'
            && bytes.get(at + 1) == Some(&b'-')
            && bytes[at - 1].is_ascii_whitespace()
        {
            return &line[..at];
        }
    }
    line
}

/// A `requirements.txt` or `pip freeze` output.
pub fn requirements(text: &str) -> Read {
    let mut read = Read::default();
    let mut logical = String::new();
    let mut start = 0;
    let mut too_long = false;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        if logical.is_empty() && !too_long {
            start = number;
        }
        let line = without_comment(raw);
        let (part, continued) = match line.trim_end().strip_suffix('\\') {
            Some(part) => (part, true),
            None => (line, false),
        };
        if logical.len() + part.len() <= MAX_LINE {
            logical.push_str(part);
            logical.push(' ');
        } else {
            too_long = true;
        }
        if continued {
            continue;
        }
        if too_long {
            read.warn(
                start,
                format!("a line over {MAX_LINE} characters is no requirement: left out"),
            );
        } else {
            logical_line(&mut read, start, logical.trim());
        }
        logical.clear();
        too_long = false;
    }
    if too_long {
        read.warn(
            start,
            format!("a line over {MAX_LINE} characters is no requirement: left out"),
        );
    } else if !logical.trim().is_empty() {
        logical_line(&mut read, start, logical.trim());
    }
    read
}

fn logical_line(read: &mut Read, line: usize, text: &str) {
    if text.is_empty() {
        return;
    }
    if text.starts_with('-') {
        read.option(line, text);
        return;
    }
    read.requirement(line, without_options(text).trim());
}

/// The parts of a `pyproject.toml` that list dependencies.
#[derive(Deserialize, Default)]
struct Pyproject {
    #[serde(default)]
    project: Option<Project>,
    #[serde(default)]
    tool: Option<Tools>,
    #[serde(default, rename = "dependency-groups")]
    dependency_groups: BTreeMap<String, Vec<Spanned<toml::Value>>>,
}

#[derive(Deserialize, Default)]
struct Project {
    #[serde(default)]
    dependencies: Vec<Spanned<String>>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: BTreeMap<String, Vec<Spanned<String>>>,
}

#[derive(Deserialize, Default)]
struct Tools {
    #[serde(default)]
    poetry: Option<Poetry>,
}

#[derive(Deserialize, Default)]
struct Poetry {
    #[serde(default)]
    dependencies: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    group: BTreeMap<String, PoetryGroup>,
}

#[derive(Deserialize, Default)]
struct PoetryGroup {
    #[serde(default)]
    dependencies: BTreeMap<String, Spanned<toml::Value>>,
}

/// The line (from 1) of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset)
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}

/// A `pyproject.toml`: `[project] dependencies` and
/// `optional-dependencies`, `[dependency-groups]`, and Poetry's
/// `[tool.poetry.dependencies]` (and its groups).
pub fn pyproject(text: &str) -> Read {
    let mut read = Read::default();
    let parsed: Pyproject = match toml::from_str(text) {
        Ok(parsed) => parsed,
        Err(error) => {
            let line = error.span().map_or(1, |span| line_of(text, span.start));
            let message = error.message().to_owned();
            read.warn(
                line,
                format!("this is not a pyproject.toml the check can read: {message}"),
            );
            return read;
        }
    };
    // Line numbers: offsets are counted once, in order, so a long file
    // costs one pass per requirement at most over what precedes it.
    let lines = LineIndex::new(text);
    if let Some(project) = parsed.project {
        let optional = project.optional_dependencies.into_values().flatten();
        for requirement in project.dependencies.into_iter().chain(optional) {
            let line = lines.line(requirement.span().start);
            read.requirement(line, requirement.get_ref());
        }
    }
    for value in parsed.dependency_groups.into_values().flatten() {
        // Groups hold PEP 508 strings or `{include-group = "…"}` tables.
        if let toml::Value::String(requirement) = value.get_ref() {
            read.requirement(lines.line(value.span().start), requirement);
        }
    }
    if let Some(poetry) = parsed.tool.and_then(|tool| tool.poetry) {
        let groups = poetry
            .group
            .into_values()
            .flat_map(|group| group.dependencies);
        for (name, spec) in poetry
            .dependencies
            .into_iter()
            .chain(poetry.dev_dependencies)
            .chain(groups)
        {
            if name.eq_ignore_ascii_case("python") {
                continue;
            }
            let line = lines.line(spec.span().start);
            poetry_requirement(&mut read, line, &name, spec.get_ref());
        }
    }
    read
}

/// Line numbers of byte offsets, by binary search over where lines start.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(at, _)| at + 1),
            )
            .collect();
        Self(starts)
    }

    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset).max(1)
    }
}

/// One of Poetry's dependencies: `numpy = "1.24.0"` (Poetry's bare version
/// is exact), `"^1.24"`, or a table with `version`, `git`, `path` or `url`.
fn poetry_requirement(read: &mut Read, line: usize, name: &str, spec: &toml::Value) {
    let version = match spec {
        toml::Value::String(version) => Some(version.as_str()),
        toml::Value::Table(table) => table.get("version").and_then(toml::Value::as_str),
        _ => None,
    };
    let Some(version) = version else {
        read.warn(
            line,
            format!("{name} comes from git, a path or a URL: the check cannot know its version"),
        );
        read.package(Package {
            name: normalise(name),
            requirement: name.to_owned(),
            pinned: None,
            line,
        });
        return;
    };
    let version = version.trim();
    let bare = version
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_digit());
    if bare && !version.contains(['*', ',', ' ']) {
        read.requirement(line, &format!("{name}=={version}"));
    } else if version.starts_with(['^', '~']) && !version.starts_with("~=") {
        read.warn(line, format!("{name} = \"{version}\" (Poetry's range) pins no version: the check cannot know which one is installed; check `poetry.lock` or `pip freeze` output"));
        read.package(Package {
            name: normalise(name),
            requirement: format!("{name} {version}"),
            pinned: None,
            line,
        });
    } else {
        read.requirement(line, &format!("{name}{version}"));
    }
}

/// A package name as PEP 503 compares them: `PyYAML`, `pyyaml` and
/// `py_yaml.` … are one name when runs of `-`, `_` and `.` are one `-`.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pins(read: &Read) -> Vec<(String, Option<String>, usize)> {
        read.packages
            .iter()
            .map(|p| (p.name.clone(), p.pinned.clone(), p.line))
            .collect()
    }

    #[test]
    fn requirements_with_comments_continuations_hashes_markers_and_extras() {
        let text = "\
# the analysis project
requests[security]==2.19.0  # pinned last year
PyYAML==5.3.1 \\
    --hash=sha256:0123456789abcdef \\
    --hash=sha256:fedcba9876543210

numpy==1.16.0 ; python_version < \"3.8\"
pandas>=1.0
Jinja2===2.10
";
        let read = requirements(text);
        assert_eq!(
            pins(&read),
            vec![
                ("requests".into(), Some("2.19.0".into()), 2),
                ("pyyaml".into(), Some("5.3.1".into()), 3),
                ("numpy".into(), Some("1.16.0".into()), 7),
                ("pandas".into(), None, 8),
                ("jinja2".into(), Some("2.10".into()), 9),
            ]
        );
        assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
        assert_eq!(read.warnings[0].line, 8);
        assert!(read.warnings[0].message.contains("pip freeze"));
    }

    #[test]
    fn pip_options_are_warnings_not_errors() {
        let text = "\
-r base.txt
-c constraints.txt
--index-url https://pypi.example.org/simple
-e git+https://example.org/team/tool.git@abc123#egg=tool
--require-hashes
flask==0.12.2
";
        let read = requirements(text);
        assert_eq!(
            pins(&read),
            vec![("flask".into(), Some("0.12.2".into()), 6)]
        );
        let lines: Vec<usize> = read.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5]);
        assert!(read.warnings[0].message.contains("base.txt"));
        assert!(
            read.warnings[3]
                .message
                .starts_with("tool is an editable install")
        );
    }

    #[test]
    fn pip_freeze_output() {
        let text = "\
certifi==2024.8.30
## !! Could not determine repository location
mypkg==0.1
numpy @ file:///home/conda/feedstock_root/build_artifacts/numpy_1707225342954/work/dist/numpy-1.26.4.whl
-e git+https://example.org/me/analysis.git@0123abcd#egg=analysis
pandas==2.2.2
";
        let read = requirements(text);
        assert_eq!(
            pins(&read),
            vec![
                ("certifi".into(), Some("2024.8.30".into()), 1),
                ("mypkg".into(), Some("0.1".into()), 3),
                ("numpy".into(), None, 4),
                ("pandas".into(), Some("2.2.2".into()), 6),
            ]
        );
        assert!(read.warnings[0].message.contains("URL or a file"));
        assert!(read.warnings[1].message.contains("editable"));
    }

    #[test]
    fn broken_lines_are_warnings() {
        let read = requirements("not a == requirement ==\n!!!\nok==1.0\nx==${VERSION}\n");
        assert_eq!(pins(&read), vec![("ok".into(), Some("1.0".into()), 3)]);
        assert_eq!(
            read.warnings.iter().map(|w| w.line).collect::<Vec<_>>(),
            vec![1, 2, 4]
        );
    }

    #[test]
    fn a_pyproject_with_optional_and_poetry_dependencies() {
        let text = r#"
[project]
name = "clinic-report"
dependencies = [
    "pandas==1.1.0",
    "requests>=2.20",
]

[project.optional-dependencies]
plots = ["matplotlib==3.3.0", "Pillow==8.0.0"]

[dependency-groups]
dev = ["pytest==6.2.4", {include-group = "docs"}]

[tool.poetry.dependencies]
python = "^3.9"
numpy = "1.16.0"
scipy = "^1.5"
PyYAML = { version = "==5.3.1", extras = ["libyaml"] }
mytool = { git = "https://example.org/tool.git" }
"#;
        let read = pyproject(text);
        let mut got = pins(&read);
        got.sort();
        assert_eq!(
            got,
            vec![
                ("matplotlib".into(), Some("3.3.0".into()), 10),
                ("mytool".into(), None, 20),
                ("numpy".into(), Some("1.16.0".into()), 17),
                ("pandas".into(), Some("1.1.0".into()), 5),
                ("pillow".into(), Some("8.0.0".into()), 10),
                ("pytest".into(), Some("6.2.4".into()), 13),
                ("pyyaml".into(), Some("5.3.1".into()), 19),
                ("requests".into(), None, 6),
                ("scipy".into(), None, 18),
            ]
        );
    }

    #[test]
    fn a_broken_pyproject_says_where() {
        let read = pyproject("[project]\ndependencies = [\"a==1\"\n[x]\n");
        assert!(read.packages.is_empty());
        assert_eq!(read.warnings.len(), 1);
        assert!(read.warnings[0].line >= 2, "{:?}", read.warnings);
    }

    #[test]
    fn names_are_normalised_per_pep_503() {
        assert_eq!(normalise("PyYAML"), "pyyaml");
        assert_eq!(normalise("scikit_learn"), "scikit-learn");
        assert_eq!(normalise("zope.interface"), "zope-interface");
        assert_eq!(normalise("Foo__-.Bar"), "foo-bar");
    }
}
