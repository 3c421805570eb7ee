//! The snapshot builder (`tools/advisories/build.py`), run with the
//! project's Python: from the small OSV fixture beside this file it writes
//! `expected.jsonl` byte for byte, and from the real PyPA database (when it
//! is there) the snapshot the tools embed, byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

use safelab_tests::{repo_root, tool};

/// Runs the builder on `source`; the snapshot it wrote.
fn build(source: &Path) -> String {
    let python = tool(
        "SAFELAB_PYTHON",
        repo_root().join(".local/venv/bin/python"),
        "the project's Python venv",
    );
    let out = tempfile::tempdir().expect("a folder");
    let snapshot = out.path().join("snapshot.jsonl");
    let output = Command::new(python)
        .arg(repo_root().join("tools/advisories/build.py"))
        .arg(source)
        .arg("--out")
        .arg(&snapshot)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "build.py failed on {}:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(snapshot).expect("the snapshot was written")
}

fn fixture() -> PathBuf {
    repo_root().join("tests/integration/packages/osv")
}

#[test]
fn the_fixture_rebuilds_identically_and_keeps_the_facts() {
    let built = build(&fixture());
    let expected =
        std::fs::read_to_string(repo_root().join("tests/integration/packages/expected.jsonl"))
            .expect("expected.jsonl");
    assert_eq!(built, expected, "build.py no longer writes expected.jsonl");

    let database = safelab_tools::packages::advisories::Database::parse(&built);
    let snapshot = &database.snapshot;
    assert_eq!(
        (snapshot.revision.as_str(), snapshot.date.as_str()),
        ("0123abcd", "2024-01-02")
    );
    assert!(snapshot.license.contains("CC-BY 4.0"));
    // The withdrawn advisory, the npm one and the GHSA duplicate of the
    // PYSEC one are left out.
    assert_eq!((snapshot.advisories, snapshot.packages), (3, 3));
    let pyyaml: Vec<_> = database.about("pyyaml").collect();
    assert_eq!(pyyaml.len(), 1);
    assert_eq!(pyyaml[0].id, "PYSEC-2021-142");
    assert_eq!(pyyaml[0].aliases, ["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"]);
    assert!(
        pyyaml[0].summary.ends_with("FullLoader loader."),
        "{}",
        pyyaml[0].summary
    );
    assert_eq!(pyyaml[0].published, "2021-02-09");
    // Names are normalised (`Demo_Lib`), GIT ranges dropped, events kept.
    let demo: Vec<_> = database.about("demo-lib").collect();
    assert_eq!(demo.len(), 1);
    assert_eq!(demo[0].affected[0].ranges.len(), 1);
    assert_eq!(
        demo[0].affected[0].describe(),
        ">=1.10, <=1.10.2 or >=2.0, <2.0.1"
    );
    // Checked against the fixture: the listed 0.9.post1 counts, the last
    // affected 1.10.2 too, 1.10.3 and the fix 2.0.1 do not.
    let audit = |text: &str| {
        safelab_tools::packages::audit_with(&database, "requirements.txt", text)
            .hits
            .len()
    };
    assert_eq!(audit("demo-lib==0.9.post1\n"), 1);
    assert_eq!(audit("demo-lib==1.10.2\n"), 1);
    assert_eq!(audit("demo-lib==1.10.3\n"), 0);
    assert_eq!(audit("demo-lib==2.0.1\n"), 0);
    assert_eq!(audit("requests==2.19.0\n"), 1);
}

#[test]
fn an_osv_export_zip_is_read_too() {
    let folder = tempfile::tempdir().expect("a folder");
    let zip = folder.path().join("osv-pypi.zip");
    let python = tool(
        "SAFELAB_PYTHON",
        repo_root().join(".local/venv/bin/python"),
        "the project's Python venv",
    );
    // The export: the fixture's JSON files, zipped by Python's zipfile.
    let status = Command::new(&python)
        .args(["-c", "import sys, zipfile, pathlib\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    for f in sorted(pathlib.Path(sys.argv[2]).glob('*.json')):\n        z.write(f, f.name)"])
        .arg(&zip)
        .arg(fixture().join("vulns/ghsa"))
        .status()
        .expect("python runs");
    assert!(status.success());
    let built = build(&zip);
    let database = safelab_tools::packages::advisories::Database::parse(&built);
    assert_eq!(database.snapshot.revision, "osv-pypi.zip");
    assert_eq!(
        database.snapshot.date, "2024-03-01",
        "the newest advisory's date"
    );
    assert_eq!(database.snapshot.advisories, 2);
    assert!(database.knows("pyyaml") && database.knows("requests"));
}

/// The committed snapshot is what the builder makes of the real database
/// (`SAFELAB_ADVISORY_SOURCE`, else `shared/data/pypa-advisory-database`
/// beside the repository); skipped with a note where neither is there.
#[test]
fn the_bundled_snapshot_is_the_real_database_rebuilt() {
    let source = std::env::var_os("SAFELAB_ADVISORY_SOURCE").map_or_else(
        || repo_root().join("../shared/data/pypa-advisory-database"),
        PathBuf::from,
    );
    if !source.exists() {
        eprintln!(
            "no advisory database at {}: set SAFELAB_ADVISORY_SOURCE to check the bundled snapshot",
            source.display()
        );
        return;
    }
    let built = build(&source);
    let bundled = std::fs::read_to_string(repo_root().join("tools/advisories/pypa.jsonl"))
        .expect("the bundled snapshot");
    assert!(
        built == bundled,
        "tools/advisories/pypa.jsonl is not what build.py makes of {}: rebuild it",
        source.display()
    );
}
