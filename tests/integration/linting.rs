//! Lesson `linting`, "Secure coding tools": the Python lint agrees with the
//! real bandit on the lessons' own code; `safelab lint` as a learner runs it
//! (the real binary, files and folders, text and JSON, exit codes); the
//! insecure review gate merges anything and its pipeline runs commands
//! injected through a file name (judged with a scanner's payload list,
//! simulated on lab files only), while the secure gate refuses findings and
//! accepts the fix, against which the same payloads fail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use safelab_tests::program::release_binary;
use safelab_tests::{Lab, payloads, repo_root, tool};
use serde_json::Value;

/// Every (check, line, severity, confidence) of a file, sorted.
type Findings = Vec<(String, usize, String, String)>;

/// The Python files the lint must agree with bandit on: the lesson's lab
/// examples, every lesson's scripts and the corpus of tricky cases.
fn own_code() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = Vec::new();
    let mut add = |folder: PathBuf| {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
            .map(|entry| entry.expect("an entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "py"))
            .collect();
        found.sort();
        files.extend(found);
    };
    add(root.join("backend/src/lab/linting/examples"));
    add(root.join("tests/integration/linting"));
    let lessons = std::fs::read_dir(root.join("lessons")).expect("lessons/");
    let mut folders: Vec<PathBuf> = lessons
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        add(folder);
    }
    files
}

/// What the real bandit (the venv's) reports: findings and the number of
/// `# nosec`-silenced ones, per file.
fn bandit(files: &[PathBuf]) -> BTreeMap<String, (Findings, usize)> {
    let python = tool(
        "SAFELAB_PYTHON",
        repo_root().join(".local/venv/bin/python"),
        "the project's Python venv",
    );
    let output = Command::new(python)
        .args(["-m", "bandit", "-q", "-f", "json"])
        .args(files)
        .output()
        .expect("bandit runs");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "bandit's JSON ({error}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(
        report["errors"],
        serde_json::json!([]),
        "bandit parsed every file"
    );
    let mut by_file: BTreeMap<String, (Findings, usize)> = BTreeMap::new();
    for file in files {
        let name = file.display().to_string();
        let totals = &report["metrics"][&name];
        let silenced =
            totals["nosec"].as_u64().unwrap_or(0) + totals["skipped_tests"].as_u64().unwrap_or(0);
        by_file.insert(name, (Vec::new(), usize::try_from(silenced).unwrap_or(0)));
    }
    for result in report["results"].as_array().expect("results") {
        let entry = by_file
            .get_mut(result["filename"].as_str().expect("a file"))
            .expect("a file bandit was given");
        entry.0.push((
            result["test_id"].as_str().expect("an id").to_owned(),
            usize::try_from(result["line_number"].as_u64().expect("a line")).unwrap_or(0),
            result["issue_severity"]
                .as_str()
                .expect("a severity")
                .to_lowercase(),
            result["issue_confidence"]
                .as_str()
                .expect("a confidence")
                .to_lowercase(),
        ));
    }
    for (findings, _) in by_file.values_mut() {
        findings.sort();
    }
    by_file
}

/// What safelab's lint reports on `file`.
fn safelab(file: &Path) -> (Findings, usize) {
    let source = std::fs::read_to_string(file).expect("the file");
    let report = safelab_tools::lint::lint(&file.display().to_string(), &source);
    assert_eq!(report.syntax_error, None, "{}", file.display());
    let mut findings: Findings = report
        .findings
        .iter()
        .map(|finding| {
            (
                finding.check.clone(),
                finding.line,
                finding.severity.as_str().to_owned(),
                finding.confidence.as_str().to_owned(),
            )
        })
        .collect();
    findings.sort();
    (findings, report.suppressed)
}

#[test]
fn the_lint_agrees_with_bandit_on_the_lessons_own_code() {
    let files = own_code();
    assert!(files.len() > 10, "{files:?}");
    let reference = bandit(&files);
    let mut checks_seen = std::collections::BTreeSet::new();
    for file in &files {
        let name = file.display().to_string();
        let ours = safelab(file);
        assert_eq!(
            ours, reference[&name],
            "{name}: safelab (left) and bandit (right)"
        );
        checks_seen.extend(ours.0.into_iter().map(|finding| finding.0));
    }
    // The comparison covers the checks the brief names, not an empty set.
    for id in [
        "B101", "B102", "B103", "B104", "B105", "B106", "B107", "B108", "B110", "B113", "B202",
        "B301", "B324", "B306", "B307", "B311", "B403", "B404", "B501", "B506", "B602", "B603",
        "B605", "B607", "B608", "B701",
    ] {
        assert!(checks_seen.contains(id), "no file shows {id}");
    }
}

/// Whether the lint makes the check `id` (the few bandit checks it does
/// not make are for Mako templates, tar archives, paramiko and Unicode
/// bidirectional text, none of them in a data scientist's usual code).
fn known(id: &str) -> bool {
    use safelab_tools::lint::{CALLS, CHECKS, IMPORTS};
    CHECKS.iter().any(|check| check.id == id)
        || CALLS.iter().chain(IMPORTS).any(|item| item.id == id)
}

#[test]
fn the_lint_agrees_with_bandit_on_real_packages() {
    // Code of the packages the tests pin (sqlmap alone is 700 files with
    // 600 findings): the venv's own copies, linted by both.
    let python = tool(
        "SAFELAB_PYTHON",
        repo_root().join(".local/venv/bin/python"),
        "the project's Python venv",
    );
    let output = Command::new(&python)
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ])
        .output()
        .expect("python runs");
    let packages = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let mut files = Vec::new();
    let mut pending: Vec<PathBuf> = ["sqlmap", "requests", "urllib3", "yaml"]
        .iter()
        .map(|name| packages.join(name))
        .collect();
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)
            .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
        {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "py") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 500, "{}", files.len());
    let reference = bandit(&files);
    let (mut agreed, mut not_made) = (0, Vec::new());
    for file in &files {
        let name = file.display().to_string();
        let (expected, silenced) = &reference[&name];
        let (ours, our_silenced) = safelab(file);
        let (made, skipped): (Findings, Findings) = expected
            .iter()
            .cloned()
            .partition(|finding| known(&finding.0));
        assert_eq!(ours, made, "{name}: safelab (left) and bandit (right)");
        assert_eq!(
            our_silenced, *silenced,
            "{name}: findings silenced by # nosec"
        );
        agreed += ours.len();
        not_made.extend(skipped);
    }
    assert!(agreed > 600, "{agreed}");
    assert!(
        not_made.len() <= 5,
        "bandit checks the lint does not make: {not_made:?}"
    );
}

#[test]
fn where_the_lint_differs_from_bandit_on_purpose() {
    // A file that does not parse: bandit skips it with an error, the lint
    // reports the syntax error as its one finding, with its place.
    let folder = tempfile::tempdir().expect("a folder");
    let broken = folder.path().join("broken.py");
    std::fs::write(&broken, "import pickle\npickle.loads(blob))\n").expect("a file");
    let python = tool(
        "SAFELAB_PYTHON",
        repo_root().join(".local/venv/bin/python"),
        "the project's Python venv",
    );
    let output = Command::new(python)
        .args(["-m", "bandit", "-q", "-f", "json"])
        .arg(&broken)
        .output()
        .expect("bandit runs");
    let reference: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(reference["results"], serde_json::json!([]));
    assert_eq!(reference["errors"].as_array().map(Vec::len), Some(1));
    let ours = safelab_tools::lint::lint(
        "broken.py",
        &std::fs::read_to_string(&broken).expect("text"),
    );
    assert!(ours.findings.is_empty());
    assert_eq!(ours.syntax_error.as_ref().map(|error| error.line), Some(2));
    assert_eq!(ours.finding_count(), 1);

    // Columns count characters; bandit's col_offset counts UTF-8 bytes.
    let ours = safelab_tools::lint::lint("t.py", "é = 1; eval(x)\n");
    assert_eq!(ours.findings[0].column, 8);
}

/// A project with a flawed script, a clean one, and folders a walk skips.
fn project() -> tempfile::TempDir {
    let folder = tempfile::tempdir().expect("a folder");
    let write = |path: &str, text: &str| {
        let path = folder.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        std::fs::write(path, text).expect("a file");
    };
    write(
        "src/job.py",
        "import subprocess\n\n\ndef count(path):\n    return subprocess.run(f\"wc -l {path}\", shell=True)\n",
    );
    write("src/clean.py", "def add(a, b):\n    return a + b\n");
    write(".venv/lib/bad.py", "eval(x)\n");
    write("node_modules/pkg/bad.py", "eval(x)\n");
    write("src/__pycache__/bad.py", "eval(x)\n");
    write("notes.txt", "eval(x)\n");
    folder
}

#[test]
fn safelab_lint_walks_a_project_and_exits_1_on_findings() {
    let binary = release_binary();
    let folder = project();
    let output = Command::new(&binary)
        .arg("lint")
        .arg(folder.path())
        .output()
        .expect("safelab runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let job = folder.path().join("src/job.py").display().to_string();
    assert!(
        stdout.contains(&format!(
            "{job}:5: B602 [high/high] subprocess call with shell=True identified"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{job}:1: B404 [low/high]")),
        "{stdout}"
    );
    assert!(
        stdout.contains("    fix: Pass a list of arguments"),
        "{stdout}"
    );
    assert!(stdout.contains("clean.py: 2 lines, 0 findings"), "{stdout}");
    for skipped in [".venv", "node_modules", "__pycache__", "notes.txt"] {
        assert!(!stdout.contains(skipped), "{skipped} was walked: {stdout}");
    }

    let output = Command::new(&binary)
        .args(["lint", "--json"])
        .arg(folder.path().join("src/job.py"))
        .output()
        .expect("safelab runs");
    assert_eq!(output.status.code(), Some(1));
    let reports: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(reports[0]["tool"], "lint");
    let checks: Vec<&str> = reports[0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| finding["check"].as_str().expect("an id"))
        .collect();
    assert_eq!(checks, ["B404", "B602"]);
    assert_eq!(reports[0]["findings"][1]["severity"], "high");
    assert_eq!(reports[0]["findings"][1]["line"], 5);

    let clean = Command::new(&binary)
        .arg("lint")
        .arg(folder.path().join("src/clean.py"))
        .output()
        .expect("safelab runs");
    assert_eq!(clean.status.code(), Some(0));

    std::fs::write(folder.path().join("broken.py"), "def f(:\n").expect("a file");
    let broken = Command::new(&binary)
        .arg("lint")
        .arg(folder.path().join("broken.py"))
        .output()
        .expect("safelab runs");
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stdout).contains("broken.py:1: syntax error"));

    let missing = Command::new(&binary)
        .args(["lint", "no/such/file.py"])
        .output()
        .expect("safelab runs");
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("cannot read no/such/file.py"), "{stderr}");
}

/// The report script the gates review, as the lab serves it.
async fn report_script(lab: &Lab, twin: &str) -> String {
    let answer = reqwest::get(lab.http(&format!("/lab/{twin}/linting/script")))
        .await
        .expect("up");
    assert_eq!(answer.status(), 200);
    answer.text().await.expect("text")
}

async fn post(url: String, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .post(url)
        .body(body)
        .send()
        .await
        .expect("up");
    let status = answer.status().as_u16();
    (status, answer.json().await.expect("JSON"))
}

async fn run(lab: &Lab, twin: &str, file: &str) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .post(lab.http(&format!("/lab/{twin}/linting/run")))
        .query(&[("file", file)])
        .send()
        .await
        .expect("up");
    let status = answer.status().as_u16();
    (status, answer.json().await.expect("JSON"))
}

/// The command-injection entries of wfuzz's attack list: those that run
/// `id` or `ls` after a separator.
fn injections() -> Vec<String> {
    let all = payloads("Injections/All_attack.txt");
    let picked: Vec<String> = all
        .into_iter()
        .filter(|payload| {
            (payload.contains("id") || payload.contains("ls"))
                && [";", "|", "`", "&"]
                    .iter()
                    .any(|sep| payload.starts_with(sep))
        })
        .collect();
    assert!(picked.len() >= 5, "{picked:?}");
    picked
}

#[tokio::test]
async fn the_insecure_gate_merges_anything_and_its_pipeline_runs_injected_commands() {
    let lab = Lab::start().await;
    let (status, nothing) = run(&lab, "insecure", "data.csv").await;
    assert_eq!(status, 409, "{nothing}");

    let script = report_script(&lab, "insecure").await;
    let (status, merged) = post(lab.http("/lab/insecure/linting/merge"), script).await;
    assert_eq!((status, &merged["merged"]), (200, &Value::Bool(true)));

    let (status, plain) = run(&lab, "insecure", "data.csv").await;
    assert_eq!(status, 200);
    assert_eq!(plain["output"], "5 data.csv");
    assert!(
        lab.solved("linting").await.is_empty(),
        "a plain run solves nothing"
    );

    // A scanner's payloads: the ones that reach `id` show its output.
    let mut ran = 0;
    for payload in injections() {
        let (status, answer) = run(&lab, "insecure", &format!("data.csv{payload}")).await;
        assert_eq!(status, 200, "{payload}");
        let output = answer["output"].as_str().unwrap_or_default();
        assert!(!output.contains("root:x:0:0"), "a host file in {output}");
        if output.contains("uid=1001(pipeline)") {
            ran += 1;
        }
    }
    assert!(ran >= 3, "only {ran} payloads ran");

    let (_, stolen) = run(&lab, "insecure", "data.csv; cat credentials.env").await;
    assert!(
        stolen["output"]
            .as_str()
            .unwrap_or_default()
            .contains("WAREHOUSE_PASSWORD=lab-fake"),
        "{stolen}"
    );
    assert_eq!(lab.solved("linting").await, ["inject-merged-script"]);

    // A fixed script merged through the same gate: the same name is just a
    // missing file.
    let fixed = std::fs::read_to_string(
        repo_root().join("backend/src/lab/linting/examples/report_fixed.py"),
    )
    .expect("the fixed script");
    post(lab.http("/lab/insecure/linting/merge"), fixed).await;
    let (_, safe) = run(&lab, "insecure", "data.csv; cat credentials.env").await;
    assert_eq!(safe["shell"], false);
    assert!(
        safe["output"]
            .as_str()
            .unwrap_or_default()
            .contains("No such file"),
        "{safe}"
    );
}

#[tokio::test]
async fn the_secure_gate_refuses_findings_until_fixed_and_the_attack_fails() {
    let lab = Lab::start().await;
    let url = lab.http("/lab/secure/linting/merge");
    let script = report_script(&lab, "secure").await;

    let (status, refused) = post(url.clone(), script.clone()).await;
    assert_eq!(status, 422, "{refused}");
    let listed: Vec<(&str, u64)> = refused["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| {
            (
                finding["check"].as_str().unwrap_or_default(),
                finding["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(listed, [("B602", 12), ("B608", 17)]);
    assert_eq!(refused["notes"][0]["check"], "B404");
    assert!(
        refused["findings"][0]["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("list of arguments")
    );
    assert_eq!(lab.solved("linting").await, ["gate-refuses"]);

    // Bad submissions get a clear 4xx.
    assert_eq!(post(url.clone(), "").await.0, 400);
    assert_eq!(post(url.clone(), vec![0xff_u8, 0xfe]).await.0, 400);
    assert_eq!(post(url.clone(), "x = 1\n".repeat(20_000)).await.0, 413);
    let (status, syntax) = post(url.clone(), "def count_lines(:\n").await;
    assert_eq!(status, 422);
    assert_eq!(syntax["syntax_error"]["line"], 1);
    // A bare nosec hides the flaw but not from the gate's policy.
    let bare = script.replace("shell=True, text=True)", "shell=True, text=True)  # nosec");
    let bare = bare.replace("{rows})\")", "{rows})\")  # nosec");
    let (status, answer) = post(url.clone(), bare).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["lines"], serde_json::json!([12, 17]));
    // Doing another job is refused too.
    assert_eq!(post(url.clone(), "print('hello')\n").await.0, 422);
    assert_eq!(run(&lab, "secure", "data.csv").await.0, 409);

    let fixed = std::fs::read_to_string(
        repo_root().join("backend/src/lab/linting/examples/report_fixed.py"),
    )
    .expect("the fixed script");
    let answer = reqwest::Client::new()
        .post(url.clone())
        .body(fixed)
        .send()
        .await
        .expect("up");
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer
            .headers()
            .get("x-content-type-options")
            .map(|v| v.as_bytes()),
        Some(&b"nosniff"[..]),
        "the secure twin sends security headers"
    );
    assert_eq!(
        lab.solved("linting").await,
        ["gate-refuses", "gate-accepts-fix"]
    );

    for payload in injections() {
        let (status, answer) = run(&lab, "secure", &format!("data.csv{payload}")).await;
        assert_eq!(status, 200);
        let output = answer["output"].as_str().unwrap_or_default();
        assert!(!output.contains("uid="), "{payload}: {output}");
    }
    let (_, plain) = run(&lab, "secure", "data.csv").await;
    assert_eq!(plain["output"], "5 rows in data.csv");

    // The merged scripts are lab state: a reset forgets them.
    let reset: Value = reqwest::Client::new()
        .post(lab.app("/api/progress/linting/reset"))
        .send()
        .await
        .expect("up")
        .json()
        .await
        .expect("JSON");
    assert_eq!(reset["forgotten"], 2);
    assert_eq!(run(&lab, "secure", "data.csv").await.0, 409);
}

#[tokio::test]
async fn the_tools_page_offers_the_lint_examples() {
    let lab = Lab::start().await;
    let list = safelab_tests::get_json(&lab.app("/api/tools/examples")).await;
    let names: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .filter(|example| example["tool"] == "lint")
        .filter_map(|example| example["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "report.py",
            "report_fixed.py",
            "churn_notebook.py",
            "false_positives.py"
        ]
    );
    let notebook = reqwest::get(lab.app("/api/tools/examples/churn_notebook.py"))
        .await
        .expect("up")
        .text()
        .await
        .expect("text");
    let report = safelab_tools::lint::lint("churn_notebook.py", &notebook);
    let checks: std::collections::BTreeSet<&str> =
        report.findings.iter().map(|f| f.check.as_str()).collect();
    for id in ["B301", "B501", "B506", "B307", "B105"] {
        assert!(checks.contains(id), "{id} in {checks:?}");
    }
}
