//! Lesson `secrets`, "Secrets in version control": real git clones the
//! insecure site's `.git/` over plain HTTP and over HTTPS (git verifies
//! every object id, so the repository built in Rust is a valid one), and
//! finds the key a later commit removed; the probes scanners send for an
//! exposed `.git/` find the insecure twin and get the secure twin's plain
//! 404; the fake storage takes the leaked key until it is rotated, then
//! refuses it, and a reset restores it. The Tools page's bundle is one that
//! `git clone` reads. The `safelab secrets` command scans a real repository
//! (its files, and its history with `--history`), exits 1 on findings, 0 on
//! a clean folder and 2 on a missing path, and refuses a commit as a
//! pre-commit hook run by the real `pre-commit`.

use std::path::Path;
use std::process::{Command, Output};

use safelab_tests::program::{release_binary, run_to_end};
use safelab_tests::{Lab, repo_root, tool};
use serde_json::Value;

const LESSON: &str = "secrets";
const KEY_ID: &str = "AKIANIMBUSLAB7Q3ZK2W";
const SECRET: &str = "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";
const BUCKET: &str = "/lab/storage/survey-responses/responses.csv";
const ROTATE: &str = "/lab/storage/keys/rotate";

/// Runs git in `dir` with no user or system configuration.
fn git_in(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .expect("git runs")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_in(dir, args);
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Clones `url` into `dir/name` off the async runtime (git asks the lab,
/// which runs on it), trusting `ca` for HTTPS.
async fn clone(url: String, dir: &Path, name: &str, ca: Option<&Path>) -> Output {
    let dir = dir.to_owned();
    let name = name.to_owned();
    let ca = ca.map(Path::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new("git");
        command
            .args(["clone", "-q", &url, &name])
            .current_dir(&dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0");
        if let Some(ca) = ca {
            command.env("GIT_SSL_CAINFO", ca);
        }
        command.output().expect("git runs")
    })
    .await
    .expect("joined")
}

fn check_clone(dir: &Path) {
    let subjects = git(dir, &["log", "--format=%s"]);
    assert_eq!(
        subjects.lines().collect::<Vec<_>>(),
        [
            "Publish the dashboard",
            "Remove the storage key from config.py",
            "Chart response rates by region",
            "Read the responses straight from the bucket",
            "Start the survey analysis",
        ]
    );
    git(dir, &["fsck", "--full", "--strict"]);
    let old = git(dir, &["show", "HEAD~3:config.py"]);
    assert!(old.contains(KEY_ID) && old.contains(SECRET), "{old}");
    let now = std::fs::read_to_string(dir.join("config.py")).expect("config.py");
    assert!(!now.contains(KEY_ID) && now.contains("os.environ"), "{now}");
    assert!(dir.join("data/rates.csv").is_file());
}

#[tokio::test]
async fn git_clones_the_whole_history_from_the_insecure_site_over_http_and_https() {
    let lab = Lab::start().await;
    let folder = tempfile::tempdir().expect("a temp folder");
    let output = clone(
        lab.http("/lab/secure/secrets/.git"),
        folder.path(),
        "refused",
        None,
    )
    .await;
    assert!(
        !output.status.success(),
        "the secure twin must not be clonable"
    );
    assert_eq!(lab.solved(LESSON).await, ["secure-hides-git"]);

    let output = clone(
        lab.http("/lab/insecure/secrets/.git"),
        folder.path(),
        "http",
        None,
    )
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    check_clone(&folder.path().join("http"));
    assert_eq!(
        lab.solved(LESSON).await,
        ["clone-history", "secure-hides-git"]
    );

    let ca = folder.path().join("ca.pem");
    std::fs::write(&ca, lab.ca_pem()).expect("write the CA");
    let output = clone(
        lab.https("/lab/insecure/secrets/.git"),
        folder.path(),
        "https",
        Some(&ca),
    )
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    check_clone(&folder.path().join("https"));
}

/// git-dumper, the tool attackers point at a site's exposed `.git/`,
/// rebuilds the insecure site's repository with its whole history, and
/// gets nothing from the secure twin.
#[tokio::test]
async fn git_dumper_dumps_the_insecure_sites_history_and_nothing_from_the_secure_one() {
    let python = tool(
        "SAFELAB_PYTHON",
        repo_root().join(".local/venv/bin/python"),
        "the Python environment",
    );
    let dumper = python.with_file_name("git-dumper");
    let lab = Lab::start().await;
    let folder = tempfile::tempdir().expect("a temp folder");
    for twin in ["insecure", "secure"] {
        let url = lab.http(&format!("/lab/{twin}/secrets/"));
        let out = folder.path().join(twin);
        let (dumper, target) = (dumper.clone(), out.clone());
        let output = tokio::task::spawn_blocking(move || {
            Command::new(dumper)
                .arg(url)
                .arg(target)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .output()
                .expect("git-dumper runs")
        })
        .await
        .expect("joined");
        let said = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        if twin == "insecure" {
            assert!(output.status.success(), "{said}");
            check_clone(&out);
            // The index it served matches the newest commit exactly.
            assert_eq!(git(&out, &["status", "--porcelain"]), "");
        } else {
            assert!(!out.join(".git/HEAD").exists(), "{said}");
            assert!(said.contains("404"), "{said}");
        }
    }
    assert_eq!(
        lab.solved(LESSON).await,
        ["clone-history", "secure-hides-git"]
    );
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("the lab answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("text"))
}

/// What scanners probe for (nuclei's exposed-git templates, git-dumper's
/// file list, dotfile checks), raw and percent-encoded.
const PROBES: &[&str] = &[
    ".git/HEAD",
    ".git/config",
    ".git/index",
    ".git/logs/HEAD",
    ".git/refs/heads/main",
    ".git/info/refs",
    ".git/description",
    ".git/COMMIT_EDITMSG",
    ".git/objects/info/packs",
    "%2egit/HEAD",
    "%2Egit/config",
    ".git%2fHEAD",
    ".gitignore",
];

#[tokio::test]
async fn probes_for_an_exposed_git_folder_find_the_insecure_twin_only() {
    let lab = Lab::start().await;
    let (status, head) = get(&lab.http("/lab/insecure/secrets/.git/HEAD")).await;
    assert_eq!((status, head.as_str()), (200, "ref: refs/heads/main\n"));
    let (status, config) = get(&lab.http("/lab/insecure/secrets/.git/config")).await;
    assert_eq!(status, 200);
    assert!(config.starts_with("[core]") && config.contains("repositoryformatversion"));
    let missing = get(&lab.http("/lab/secure/secrets/no-such-page.html")).await;
    assert_eq!(missing.0, 404);
    let mut served = 0;
    for probe in PROBES {
        let insecure = get(&lab.http(&format!("/lab/insecure/secrets/{probe}"))).await;
        if insecure.0 == 200 {
            served += 1;
        }
        for base in [lab.http(""), lab.https("")] {
            let url = format!("{base}/lab/secure/secrets/{probe}");
            let response = lab
                .trusting_client()
                .get(&url)
                .send()
                .await
                .expect("answers");
            let status = response.status().as_u16();
            let body = response.text().await.expect("text");
            assert_eq!((status, body.as_str()), (404, missing.1.as_str()), "{url}");
        }
    }
    assert_eq!(
        served,
        PROBES.len(),
        "every probe finds the insecure site's repository"
    );
    // The pages themselves load on both.
    for twin in ["insecure", "secure"] {
        let (status, page) = get(&lab.http(&format!("/lab/{twin}/secrets/"))).await;
        assert_eq!(status, 200);
        assert!(page.contains("Member survey 2024"));
    }
    assert_eq!(lab.solved(LESSON).await, ["secure-hides-git"]);
}

async fn storage(
    lab: &Lab,
    path: &str,
    post: bool,
    key: Option<(&str, &str)>,
) -> (u16, Value, String) {
    let client = reqwest::Client::new();
    let mut request = if post {
        client.post(lab.http(path))
    } else {
        client.get(lab.http(path))
    };
    if let Some((id, secret)) = key {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.expect("the lab answers");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("text");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body, challenge)
}

#[tokio::test]
async fn the_leaked_key_opens_the_storage_until_it_is_rotated_and_a_reset_restores_it() {
    let lab = Lab::start().await;
    let leaked = Some((KEY_ID, SECRET));
    let (status, _, challenge) = storage(&lab, BUCKET, false, None).await;
    assert_eq!(
        (status, challenge.as_str()),
        (401, "Basic realm=\"nimbus storage\"")
    );
    let (status, _, _) = storage(&lab, BUCKET, false, Some((KEY_ID, "wrong"))).await;
    assert_eq!(status, 403);
    let (status, _, _) = storage(&lab, ROTATE, true, Some((KEY_ID, "wrong"))).await;
    assert_eq!(status, 403);
    assert!(lab.solved(LESSON).await.is_empty());

    let (status, csv, _) = storage(&lab, BUCKET, false, leaked).await;
    assert_eq!(status, 200);
    assert!(
        csv.as_str()
            .is_some_and(|csv| csv.contains("respondent,region"))
    );
    assert_eq!(lab.solved(LESSON).await, ["use-leaked-key"]);

    let (status, fresh, _) = storage(&lab, ROTATE, true, leaked).await;
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(fresh["revoked"], KEY_ID);
    let new_id = fresh["access_key_id"].as_str().expect("an id").to_owned();
    let new_secret = fresh["secret_access_key"]
        .as_str()
        .expect("a secret")
        .to_owned();
    assert!(new_id.starts_with("AKIA") && new_id.len() == 20 && new_id != KEY_ID);
    assert_eq!(new_secret.len(), 40);
    assert!(
        new_id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );

    let (status, refusal, _) = storage(&lab, BUCKET, false, leaked).await;
    assert_eq!(status, 403);
    assert!(
        refusal["error"]
            .as_str()
            .is_some_and(|e| e.contains("revoked")),
        "{refusal}"
    );
    let (status, _, _) = storage(&lab, ROTATE, true, leaked).await;
    assert_eq!(status, 403, "a revoked key cannot rotate");
    let (status, _, _) = storage(&lab, BUCKET, false, Some((&new_id, &new_secret))).await;
    assert_eq!(status, 200);
    assert_eq!(lab.solved(LESSON).await, ["use-leaked-key", "rotate-key"]);

    let response = reqwest::Client::new()
        .post(lab.app("/api/progress/secrets/reset"))
        .send()
        .await
        .expect("up");
    assert!(response.status().is_success());
    let (status, _, _) = storage(&lab, BUCKET, false, leaked).await;
    assert_eq!(status, 200, "the reset gives the leaked key back");
    let (status, _, _) = storage(&lab, BUCKET, false, Some((&new_id, &new_secret))).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_tools_pages_bundle_is_the_same_history_and_git_clones_it() {
    let lab = Lab::start().await;
    let examples = safelab_tests::get_json(&lab.app("/api/tools/examples")).await;
    let ours: Vec<&str> = examples
        .as_array()
        .expect("a list")
        .iter()
        .filter(|example| example["lesson"] == LESSON)
        .filter_map(|example| example["name"].as_str())
        .collect();
    assert_eq!(
        ours,
        [
            "survey-dashboard.bundle",
            "churn-model.env",
            "churn-model.ipynb"
        ]
    );
    let bytes = reqwest::get(lab.app("/api/tools/examples/survey-dashboard.bundle"))
        .await
        .expect("served")
        .bytes()
        .await
        .expect("bytes");
    let folder = tempfile::tempdir().expect("a temp folder");
    let bundle = folder.path().join("survey-dashboard.bundle");
    std::fs::write(&bundle, &bytes).expect("write");
    git(folder.path(), &["init", "-q", "verify"]);
    git(
        &folder.path().join("verify"),
        &["bundle", "verify", "-q", bundle.to_str().expect("utf-8")],
    );
    git(
        folder.path(),
        &[
            "clone",
            "-q",
            bundle.to_str().expect("utf-8"),
            "from-bundle",
        ],
    );
    check_clone(&folder.path().join("from-bundle"));
}

/// A repository whose second commit added an AWS key that the third
/// removed, with a `.env` holding a token now.
fn leaky_repository(dir: &Path) -> String {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.name", "Ning Data"]);
    git(dir, &["config", "user.email", "ning@example.org"]);
    std::fs::write(dir.join("README.md"), "# churn\n").expect("write");
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "Start"]);
    std::fs::write(
        dir.join("settings.py"),
        format!("KEY_ID = '{KEY_ID}'\nSECRET_KEY = '{SECRET}'\n"),
    )
    .expect("write");
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "Add the bucket key"]);
    let added = git(dir, &["rev-parse", "HEAD"]);
    std::fs::write(
        dir.join("settings.py"),
        "import os\nKEY_ID = os.environ['KEY_ID']\n",
    )
    .expect("write");
    std::fs::write(
        dir.join(".env"),
        "HF_TOKEN=hf_Vb3kQz8LmN2xRt6YpW9cJd4HsF7gAe1UoK\n",
    )
    .expect("write");
    git(dir, &["add", "-A"]);
    git(
        dir,
        &["commit", "-q", "-m", "Read the key from the environment"],
    );
    git(dir, &["gc", "-q"]);
    added
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn the_command_scans_a_repositorys_files_and_its_history() {
    let binary = release_binary();
    let folder = tempfile::tempdir().expect("a temp folder");
    let dir = folder.path();
    let added = leaky_repository(dir);
    let path = dir.to_str().expect("utf-8");

    let files = run_to_end(&binary, &["secrets", "--json", path]);
    assert_eq!(files.status.code(), Some(1), "findings exit 1");
    let reports = json_of(&files);
    assert_eq!(reports.as_array().map(Vec::len), Some(1));
    let findings = reports[0]["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{reports:#}");
    assert_eq!(findings[0]["kind"], "huggingface-token");
    assert!(
        findings[0]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with(".env"))
    );
    assert!(
        !files.stdout.windows(10).any(|w| w == b"Vb3kQz8LmN"),
        "never the whole token"
    );

    let history = run_to_end(&binary, &["secrets", "--history", "--json", path]);
    assert_eq!(history.status.code(), Some(1));
    let reports = json_of(&history);
    let walked = &reports[1];
    assert_eq!(walked["scanned"]["commits"], 3, "{walked:#}");
    let kinds: Vec<(&str, &str, bool)> = walked["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap_or_default(),
                f["commit"]["id"].as_str().unwrap_or_default(),
                f["commit"]["still_present"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    let last = git(dir, &["rev-parse", "HEAD"]);
    assert_eq!(
        kinds,
        [
            ("aws-access-key-id", added.as_str(), false),
            ("aws-secret-access-key", added.as_str(), false),
            ("huggingface-token", last.as_str(), true),
        ]
    );
    let text = run_to_end(&binary, &["secrets", "--history", path]);
    let printed = String::from_utf8_lossy(&text.stdout);
    assert!(
        printed.contains("deleted since, but still in the history"),
        "{printed}"
    );
    assert!(printed.contains("How to rotate"), "{printed}");

    let clean = tempfile::tempdir().expect("a temp folder");
    std::fs::write(
        clean.path().join("analysis.py"),
        "import os\nkey = os.environ['KEY']\n",
    )
    .expect("write");
    let output = run_to_end(&binary, &["secrets", clean.path().to_str().expect("utf-8")]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    let missing = dir.join("no-such-file.py");
    let output = run_to_end(&binary, &["secrets", missing.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("no-such-file.py"), "{error}");
    let output = run_to_end(
        &binary,
        &[
            "secrets",
            "--history",
            clean.path().to_str().expect("utf-8"),
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "--history outside a repository"
    );
}

/// The README's `repo: local` hook, run by the real pre-commit (offline:
/// `language: system`), refuses a commit that adds a key and lets a clean
/// one through; the repository's `.pre-commit-hooks.yaml` is a valid
/// manifest.
#[test]
fn pre_commit_refuses_a_commit_with_a_secret() {
    let python = tool(
        "SAFELAB_PYTHON",
        repo_root().join(".local/venv/bin/python"),
        "the Python environment",
    );
    let pre_commit = python.with_file_name("pre-commit");
    let binary = release_binary();
    let folder = tempfile::tempdir().expect("a temp folder");
    let dir = folder.path().join("project");
    std::fs::create_dir(&dir).expect("mkdir");
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["config", "user.name", "Ning Data"]);
    git(&dir, &["config", "user.email", "ning@example.org"]);
    let config = format!(
        "repos:\n  - repo: local\n    hooks:\n      - id: safelab-secrets\n        name: safelab secrets\n        entry: {} secrets\n        language: system\n        types: [text]\n",
        binary.display()
    );
    std::fs::write(dir.join(".pre-commit-config.yaml"), config).expect("write");
    let run = |args: &[&str]| {
        let (program, args) = match args.split_first() {
            Some((&"git", rest)) => (Path::new("git"), rest),
            _ => (pre_commit.as_path(), args),
        };
        Command::new(program)
            .args(args)
            .current_dir(&dir)
            .env("PRE_COMMIT_HOME", folder.path().join("cache"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("pre-commit runs")
    };
    let manifest = repo_root().join(".pre-commit-hooks.yaml");
    let output = run(&["validate-manifest", manifest.to_str().expect("utf-8")]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let output = run(&["install"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    std::fs::write(dir.join("settings.py"), format!("KEY_ID = '{KEY_ID}'\n")).expect("write");
    git(&dir, &["add", "-A"]);
    let commit = run(&["git", "commit", "-q", "-m", "Add the key"]);
    assert!(!commit.status.success(), "the hook must refuse the commit");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&commit.stdout),
        String::from_utf8_lossy(&commit.stderr)
    );
    assert!(
        said.contains("AWS access key ID") && said.contains("settings.py"),
        "{said}"
    );
    assert!(
        git_in(&dir, &["rev-parse", "HEAD"]).status.code() != Some(0),
        "nothing committed"
    );

    std::fs::write(
        dir.join("settings.py"),
        "import os\nKEY_ID = os.environ['KEY_ID']\n",
    )
    .expect("write");
    git(&dir, &["add", "-A"]);
    let commit = run(&[
        "git",
        "commit",
        "-q",
        "-m",
        "Read the key from the environment",
    ]);
    assert!(
        commit.status.success(),
        "{}",
        String::from_utf8_lossy(&commit.stdout)
    );
}
