//! Lesson `packages`' fake project, "clinic-report": a data analyst's weekly
//! admissions report, pinned in 2019 and never updated. Its files are the
//! lab's examples for the dependency check, and its report service is what
//! the twins deploy.
//!
//! The service reads a YAML settings file with the deployed PyYAML. What a
//! vulnerable PyYAML would do with a hostile file is SIMULATED here from the
//! text alone: no YAML is loaded, nothing is run.

/// The project's `requirements.txt`: every pin has known advisories.
pub const REQUIREMENTS: &str = "\
# clinic-report: the weekly admissions report.
# Pinned in 2019 when it worked, never updated since.
pandas==1.0.3
numpy==1.16.0
requests==2.19.0
urllib3==1.24.1
Jinja2==2.10
PyYAML==5.3.1
Pillow==8.0.0
";

/// The packages the project needs: an upgrade must still pin each of them.
pub const PACKAGES: &[&str] = &[
    "pandas", "numpy", "requests", "urllib3", "jinja2", "pyyaml", "pillow",
];

/// The same project after the lesson: every pin upgraded to a fixed release.
pub const UPGRADED: &str = "\
pandas==2.2.3
numpy==2.1.2
requests==2.32.3
urllib3==2.2.3
Jinja2==3.1.4
PyYAML==6.0.2
Pillow==10.4.0
";

/// `pip freeze` in the analyst's environment: what is really installed,
/// dependencies of dependencies included.
pub const FREEZE: &str = "\
certifi==2019.3.9
chardet==3.0.4
idna==2.7
Jinja2==2.10
MarkupSafe==1.1.1
numpy==1.16.0
pandas==1.0.3
Pillow==8.0.0
python-dateutil==2.8.0
pytz==2019.1
PyYAML==5.3.1
requests==2.19.0
six==1.12.0
urllib3==1.24.1
clinic-report @ file:///home/ning/projects/clinic-report
";

/// A `pyproject.toml` for the project's next version, half upgraded.
pub const PYPROJECT: &str = r#"[project]
name = "clinic-report"
version = "2.0.0"
requires-python = ">=3.9"
dependencies = [
    "pandas==2.2.3",
    "numpy==2.1.2",
    "requests==2.31.0",
    "Jinja2==3.1.3",
    "PyYAML>=6.0",
]

[project.optional-dependencies]
notebooks = ["notebook==6.4.10", "tornado==6.3.2"]
"#;

/// What a hostile settings file asks the loader to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The YAML tag, as `yaml.load` names it in its error.
    pub tag: String,
    /// The call it would make, as Python: `os.system('id')`.
    pub call: String,
}

/// The Python tags PyYAML's unsafe and (before 5.4) full loaders turn into
/// imports and calls.
const PYTHON_TAGS: &[&str] = &[
    "python/object/apply:",
    "python/object/new:",
    "python/object:",
    "python/name:",
    "python/module:",
];

/// The first Python tag in `settings` (`!!python/…`, or spelled out as
/// `tag:yaml.org,2002:python/…`), with the call it would make.
pub fn python_tag(settings: &str) -> Option<Payload> {
    let start = ["!!python/", "tag:yaml.org,2002:python/"]
        .iter()
        .filter_map(|marker| {
            settings
                .find(marker)
                .map(|at| at + marker.len() - "python/".len())
        })
        .min()?;
    let mut rest = settings[start..].to_owned();
    // `%TAG !p! tag:yaml.org,2002:python/` names the tags `!p!…` later on.
    let line_start = settings[..start].rfind('\n').map_or(0, |at| at + 1);
    let line = &settings[line_start..];
    let body = &settings[start..];
    if line.starts_with("%TAG")
        && let Some(handle) = line.split_whitespace().nth(1)
        && let Some(used) = body
            .find('\n')
            .and_then(|end| body[end..].find(handle).map(|at| end + at))
    {
        rest = format!("python/{}", &body[used + handle.len()..]);
    }
    let rest = rest.as_str();
    let kind = PYTHON_TAGS
        .iter()
        .find(|kind| rest.starts_with(*kind))
        .copied();
    let Some(kind) = kind else {
        let tag: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace())
            .take(80)
            .collect();
        return Some(Payload {
            call: format!("constructs {tag}"),
            tag: format!("tag:yaml.org,2002:{tag}"),
        });
    };
    let after = &rest[kind.len()..];
    let callable: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
        .take(80)
        .collect();
    let argument = first_argument(&after[callable.len()..]);
    let call = match (kind, argument) {
        ("python/name:" | "python/module:", _) => format!("import {callable}"),
        (_, Some(argument)) => format!("{callable}({argument:?})").replace('"', "'"),
        (_, None) => format!("{callable}()"),
    };
    Some(Payload {
        tag: format!("tag:yaml.org,2002:{kind}{callable}"),
        call,
    })
}

/// The first argument of the call a tag makes: `["id"]`, `[id]` or a block
/// list `- id`.
fn first_argument(after: &str) -> Option<String> {
    let text = after.trim_start_matches([' ', '\t', '\r', '\n', '[', '-']);
    let text = text.trim_start();
    let value: String = match text.chars().next()? {
        quote @ ('"' | '\'') => text[1..]
            .chars()
            .take_while(|&c| c != quote)
            .take(120)
            .collect(),
        _ => text
            .chars()
            .take_while(|&c| !matches!(c, ',' | ']' | '\n' | '\r'))
            .take(120)
            .collect::<String>()
            .trim()
            .to_owned(),
    };
    (!value.is_empty()).then_some(value)
}

/// The top-level keys of a plain settings file (`title:`, `weeks:`), at
/// most 20: what the service says it read.
pub fn settings_keys(settings: &str) -> Vec<String> {
    settings
        .lines()
        .filter(|line| line.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .filter_map(|line| line.split_once(':').map(|(key, _)| key.trim().to_owned()))
        .filter(|key| {
            key.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        })
        .take(20)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_settings_are_recognised_with_their_call() {
        let payload =
            python_tag("title: x\nrun: !!python/object/apply:os.system [\"id\"]\n").unwrap();
        assert_eq!(payload.call, "os.system('id')");
        assert_eq!(
            payload.tag,
            "tag:yaml.org,2002:python/object/apply:os.system"
        );
        let payload =
            python_tag("!!python/object/apply:subprocess.check_output\n- [ls, -l]\n").unwrap();
        assert_eq!(payload.call, "subprocess.check_output('ls')");
        let payload =
            python_tag("%TAG !p! tag:yaml.org,2002:python/\n---\n!p!object/new:os.system [whoami]")
                .unwrap();
        assert!(payload.call.starts_with("os.system"), "{payload:?}");
        let payload = python_tag("x: !!python/name:os.system\n").unwrap();
        assert_eq!(payload.call, "import os.system");
        assert_eq!(python_tag("title: Weekly admissions\nweeks: 4\n"), None);
    }

    #[test]
    fn plain_settings_name_their_keys() {
        assert_eq!(
            settings_keys("title: Weekly\n  nested: 1\nweeks: 4\n# c\n"),
            vec!["title", "weeks"]
        );
    }

    #[test]
    fn the_examples_are_what_the_lesson_says() {
        let report = safelab_tools::packages::audit("requirements.txt", REQUIREMENTS);
        for package in PACKAGES {
            assert!(
                report.hits.iter().any(|hit| hit.package == *package),
                "{package} has no advisory in the project's requirements"
            );
        }
        let upgraded = safelab_tools::packages::audit("requirements.txt", UPGRADED);
        assert!(
            upgraded.hits.is_empty() && upgraded.warnings.is_empty(),
            "{upgraded:#?}"
        );
        let freeze = safelab_tools::packages::audit("requirements.txt", FREEZE);
        assert!(freeze.hits.len() > report.hits.len());
        let pyproject = safelab_tools::packages::audit("pyproject.toml", PYPROJECT);
        assert!(!pyproject.hits.is_empty());
        assert_eq!(pyproject.warnings.len(), 1, "{pyproject:#?}");
    }
}
