//! The dependency check against the bundled snapshot: known advisories of
//! the packages data scientists pin, their fixed versions clean, and any
//! input read without a panic, in bounded memory.

use super::*;

fn ids(report: &Report, package: &str) -> Vec<String> {
    report
        .hits
        .iter()
        .filter(|hit| hit.package == package)
        .flat_map(|hit| std::iter::once(hit.id.clone()).chain(hit.aliases.iter().cloned()))
        .collect()
}

/// `requirement` hits the advisory known as `alias`, and the fixed version
/// the hit names hits that advisory no more.
fn hits_and_fix_is_clean(requirement: &str, alias: &str) {
    let report = audit("requirements.txt", requirement);
    let hit = report
        .hits
        .iter()
        .find(|hit| hit.id == alias || hit.aliases.iter().any(|a| a == alias))
        .unwrap_or_else(|| panic!("{requirement} should hit {alias}: {:#?}", report.hits));
    let fixed = hit
        .fixed
        .clone()
        .unwrap_or_else(|| panic!("{alias} has a fix"));
    let name = requirement.split("==").next().unwrap();
    let upgraded = audit("requirements.txt", &format!("{name}=={fixed}"));
    assert!(
        !upgraded
            .hits
            .iter()
            .any(|hit| hit.id == alias || hit.aliases.iter().any(|a| a == alias)),
        "{name}=={fixed} should be clear of {alias}"
    );
}

#[test]
fn known_advisories_of_commonly_pinned_packages() {
    hits_and_fix_is_clean("PyYAML==5.3.1", "CVE-2020-14343");
    hits_and_fix_is_clean("requests==2.19.0", "CVE-2018-18074");
    hits_and_fix_is_clean("Jinja2==2.10", "CVE-2019-10906");
    hits_and_fix_is_clean("urllib3==1.24.1", "CVE-2019-11324");
    hits_and_fix_is_clean("Pillow==8.0.0", "CVE-2020-35653");
    hits_and_fix_is_clean("numpy==1.16.0", "CVE-2019-6446");
    hits_and_fix_is_clean("cryptography==3.2", "CVE-2020-36242");
    hits_and_fix_is_clean("Flask==0.12.2", "CVE-2018-1000656");
    hits_and_fix_is_clean("scikit-learn==0.23.0", "CVE-2020-28975");
    // pandas has one advisory, disputed: read_pickle runs what a pickle says (lesson 8).
    hits_and_fix_is_clean("pandas==1.0.3", "CVE-2020-13091");
    hits_and_fix_is_clean("tensorflow==2.4.0", "CVE-2021-29512");
    hits_and_fix_is_clean("notebook==5.7.0", "CVE-2019-10856");
}

#[test]
fn a_hit_reads_like_the_advisory() {
    let report = audit("requirements.txt", "PyYAML==5.3.1\n");
    let hit = report
        .hits
        .iter()
        .find(|hit| hit.aliases.iter().any(|a| a == "CVE-2020-14343"))
        .unwrap();
    assert_eq!(hit.id, "PYSEC-2021-142");
    assert_eq!(hit.package, "pyyaml");
    assert_eq!(hit.version, "5.3.1");
    assert_eq!(hit.line, 1);
    assert_eq!(hit.fixed.as_deref(), Some("5.4"));
    assert_eq!(hit.affected, "<5.4");
    assert!(hit.summary.contains("full_load"), "{}", hit.summary);
    assert!(hit.aliases.iter().any(|a| a.starts_with("GHSA-")));
}

#[test]
fn current_versions_of_the_usual_packages_are_clean() {
    let report = audit(
        "requirements.txt",
        "requests==2.32.3\nurllib3==2.2.3\nnumpy==2.1.2\npandas==2.2.3\nJinja2==3.1.4\n\
         Pillow==10.4.0\nPyYAML==6.0.2\nscikit-learn==1.5.2\nFlask==3.0.3\ncryptography==43.0.1\n",
    );
    assert!(report.hits.is_empty(), "{:#?}", report.hits);
    assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
}

/// Every package a data scientist's requirements commonly pin has
/// advisories in the snapshot (so a hit is possible at all).
#[test]
fn the_snapshot_covers_the_usual_packages() {
    let database = Database::bundled();
    for name in [
        "requests",
        "urllib3",
        "numpy",
        "pandas",
        "jinja2",
        "pillow",
        "pyyaml",
        "cryptography",
        "scikit-learn",
        "flask",
        "django",
        "tensorflow",
        "torch",
        "notebook",
        "jupyter-server",
        "jupyterlab",
        "ipython",
        "scipy",
        "lxml",
        "aiohttp",
        "werkzeug",
        "sqlalchemy",
        "paramiko",
        "certifi",
        "setuptools",
        "pip",
        "mlflow",
        "streamlit",
        "gradio",
        "nltk",
        "dask",
        "distributed",
        "pyarrow",
        "tornado",
        "twisted",
        "httpx",
        "gunicorn",
        "fastapi",
        "starlette",
        "pydantic",
        "nbconvert",
        "onnx",
        "joblib",
        "idna",
        "pymongo",
        "babel",
        "bleach",
        "mistune",
        "openpyxl",
        "protobuf",
        "pygments",
        "pyjwt",
        "rsa",
        "sqlparse",
        "tqdm",
        "grpcio",
        "oauthlib",
        "dash",
        "jupyter-core",
    ] {
        assert!(database.knows(name), "the snapshot has nothing on {name}");
    }
    let snapshot = &database.snapshot;
    assert_eq!(snapshot.source, "PyPA advisory database");
    assert!(snapshot.license.contains("CC-BY 4.0"));
    assert!(
        snapshot.date.len() == 10 && snapshot.revision.len() >= 7,
        "{snapshot:?}"
    );
    assert!(
        snapshot.advisories > 2_000 && snapshot.packages > 500,
        "{snapshot:?}"
    );
}

#[test]
fn every_line_of_the_bundled_snapshot_parses() {
    let lines = advisories::Database::bundled();
    let written = include_str!("../../advisories/pypa.jsonl").lines().count() - 1;
    assert_eq!(lines.snapshot.advisories, written);
}

#[test]
fn names_are_compared_normalised() {
    for spelling in [
        "PyYAML==5.3.1",
        "pyyaml==5.3.1",
        "Py_YAML==5.3.1",
        "py.yaml==5.3.1",
    ] {
        let report = audit("requirements.txt", spelling);
        // `py_yaml` and `py.yaml` normalise to `py-yaml`, another name.
        let expected = !spelling.starts_with("Py_") && !spelling.starts_with("py.");
        assert_eq!(!report.hits.is_empty(), expected, "{spelling}");
    }
    let report = audit("requirements.txt", "Scikit_Learn==0.23.0");
    assert!(!ids(&report, "scikit-learn").is_empty());
}

#[test]
fn a_byte_order_mark_and_utf16_from_powershell_are_read() {
    let bom = audit("requirements.txt", "\u{feff}PyYAML==5.3.1\r\n");
    assert!(!bom.hits.is_empty() && bom.warnings.is_empty(), "{bom:#?}");
    // `pip freeze > requirements.txt` in Windows PowerShell 5: UTF-16LE
    // with a BOM, which the tools' entry point decodes as UTF-8, lossily.
    let mut utf16 = vec![0xff, 0xfe];
    for unit in "PyYAML==5.3.1\r\nnumpy==1.16.0\r\n".encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    let Ok(crate::Report::Packages(report)) =
        crate::run(crate::Tool::Packages, "requirements.txt", &utf16)
    else {
        panic!("the check runs");
    };
    assert_eq!(report.packages.len(), 2, "{report:#?}");
    let cve = |hit: &Hit| hit.aliases.iter().any(|a| a == "CVE-2019-6446");
    assert!(report.hits.iter().any(cve));
    assert!(report.warnings[0].message.contains("UTF-16"));
}

#[test]
fn unpinned_requirements_warn_and_hit_nothing() {
    let report = audit("requirements.txt", "PyYAML>=5.1\nrequests\n");
    assert!(report.hits.is_empty());
    assert_eq!(report.warnings.len(), 2);
    assert!(
        report
            .warnings
            .iter()
            .all(|w| w.message.contains("pip freeze"))
    );
    assert_eq!(report.finding_count(), 0);
}

#[test]
fn a_pyproject_is_checked_too() {
    let report = audit(
        "pyproject.toml",
        "[project]\nname = \"x\"\ndependencies = [\"Jinja2==2.10\"]\n",
    );
    assert_eq!(report.format, Format::Pyproject);
    assert!(ids(&report, "jinja2").contains(&"CVE-2019-10906".to_owned()));
    assert_eq!(report.hits[0].line, 3);
    // Pasted without a name.
    let pasted = audit("pasted", "[project]\ndependencies = [\"Jinja2==2.10\"]\n");
    assert_eq!(pasted.format, Format::Pyproject);
}

#[test]
fn the_human_report_names_each_hit_and_the_snapshot() {
    let report = audit("requirements.txt", "requests==2.19.0\nnumpy>=1\n");
    let text = report.human();
    assert!(text.contains("requests==2.19.0"), "{text}");
    assert!(text.contains("CVE-2018-18074"), "{text}");
    assert!(text.contains("fixed in 2.20.0"), "{text}");
    // Two advisories on requests: the upgrade fixes both.
    assert!(
        text.contains("to upgrade: pip install -U \"requests>=2.31.0\""),
        "{text}"
    );
    assert_eq!(report.upgrades.len(), 1);
    assert_eq!(report.upgrades[0].to.as_deref(), Some("2.31.0"));
    assert!(report.upgrades[0].advisories >= 2);
    assert!(text.contains("line 2: warning"), "{text}");
    assert!(text.contains("PyPA advisory database"), "{text}");
    assert!(text.contains("CC-BY 4.0"), "{text}");
}

#[test]
fn the_snapshot_age_is_counted_in_days() {
    let snapshot = Snapshot::bundled();
    // 2024-10-10 is day 20006 since 1970-01-01.
    assert_eq!(civil_days("2024-10-10"), Some(20_006));
    assert_eq!(civil_days("1970-01-01"), Some(0));
    assert_eq!(civil_days("2000-03-01"), Some(11_017));
    assert_eq!(civil_days("garbage"), None);
    let day = civil_days(&snapshot.date).unwrap() as u64;
    let aged = snapshot.at((day + 30) * 86_400 + 5);
    assert_eq!(aged.age_days, Some(30));
    assert!(aged.describe().contains("30 days old"));
}

/// A small generator (xorshift), so the test needs no crate and repeats.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_and_mutated_inputs_never_panic() {
    let seeds = [
        "PyYAML==5.3.1 --hash=sha256:00\nrequests[socks]>=2 ; python_version<'3'\n-e git+x#egg=y\n",
        "[project]\ndependencies=[\"a==1\"]\n[tool.poetry.dependencies]\nb={version=\"^1\"}\n",
        "numpy @ file:///x/numpy-1.0.whl\n-r other.txt \\\n\n# c\nx===1.0+local\n",
    ];
    let alphabet = b"=<>!~^*[]();,@#\\\"' \n\t-_.abcXYZ019${}+:/";
    let mut random = Random(0x5eed_1234_abcd_0001);
    for round in 0..3_000 {
        let seed = seeds[round % seeds.len()].as_bytes();
        let mut bytes = seed.to_vec();
        for _ in 0..(random.next() % 8 + 1) {
            let at = (random.next() as usize) % (bytes.len() + 1);
            match random.next() % 3 {
                0 if at < bytes.len() => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, alphabet[(random.next() as usize) % alphabet.len()]),
                _ => bytes.insert(at, random.next() as u8),
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        for name in ["requirements.txt", "pyproject.toml"] {
            let report = audit(name, &text);
            let _ = report.human();
        }
    }
}

#[test]
fn a_ten_megabyte_file_gives_a_bounded_report() {
    let mut text = String::new();
    while text.len() < 10 * 1024 * 1024 {
        text.push_str("PyYAML==5.3.1\nnumpy>=1\n");
    }
    let report = audit("requirements.txt", &text);
    assert_eq!(report.packages.len(), read::MAX_ENTRIES);
    assert!(report.warnings.len() <= read::MAX_ENTRIES + 1);
    assert!(report.hits.len() <= MAX_HITS);
    // One long line with no newline at all.
    let long = "a".repeat(10 * 1024 * 1024);
    let report = audit("requirements.txt", &long);
    assert!(report.packages.is_empty());
    assert_eq!(report.warnings.len(), 1);
    let report = audit("pyproject.toml", &long);
    assert_eq!(report.warnings.len(), 1);
}

#[test]
fn deeply_nested_toml_is_refused_not_a_stack_overflow() {
    for opener in ["[", "{a="] {
        let text = format!("[project]\ndependencies = {}", opener.repeat(200_000));
        let report = audit("pyproject.toml", &text);
        assert!(report.packages.is_empty());
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    }
}
