//! Lesson `packages`, "Third-party packages": the insecure deploy service
//! takes any pins and its report service (a vulnerable PyYAML, simulated)
//! obeys a YAML payload, while the secure twin runs the dependency check and
//! refuses with the advisories, reads settings safely, and deploys the
//! upgraded project; the lab's examples for the Tools page; `safelab audit`
//! as a learner runs it; and the snapshot builder, which rebuilds the
//! committed snapshots byte for byte.

mod snapshot;

use safelab_tests::program::{release_binary, run_to_end};
use safelab_tests::{Lab, get_json};
use serde_json::Value;

const PAYLOAD: &str = "title: Weekly admissions\nrun: !!python/object/apply:os.system [\"id\"]\n";

const UPGRADED: &str = "pandas==2.2.3\nnumpy==2.1.2\nrequests==2.32.3\nurllib3==2.2.3\n\
                        Jinja2==3.1.4\nPyYAML==6.0.2\nPillow==10.4.0\n";

/// POSTs `body` to the lab path `path` over plain HTTP: status and JSON.
async fn post(lab: &Lab, path: &str, body: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(lab.http(path))
        .body(body.to_owned())
        .send()
        .await
        .expect("the lab answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

async fn project_requirements(lab: &Lab) -> String {
    reqwest::get(lab.http("/lab/insecure/packages/requirements.txt"))
        .await
        .expect("answers")
        .text()
        .await
        .expect("text")
}

#[tokio::test]
async fn a_yaml_payload_works_on_the_vulnerable_service_only() {
    let lab = Lab::start().await;
    let (status, insecure) = post(&lab, "/lab/insecure/packages/settings", PAYLOAD).await;
    assert_eq!(status, 200, "{insecure}");
    assert_eq!(insecure["simulated"], true);
    assert_eq!(insecure["pyyaml"], "5.3.1");
    assert_eq!(insecure["loader"], "yaml.full_load");
    assert_eq!(insecure["would_run"], "os.system('id')");
    let advisories = insecure["advisories"].to_string();
    assert!(advisories.contains("CVE-2020-14343"), "{advisories}");

    let (status, secure) = post(&lab, "/lab/secure/packages/settings", PAYLOAD).await;
    assert_eq!(status, 400, "{secure}");
    assert!(
        secure["error"]
            .as_str()
            .unwrap()
            .contains("could not determine a constructor")
    );
    assert!(secure.get("would_run").is_none());

    // Plain settings are data on both.
    for twin in ["insecure", "secure"] {
        let (status, plain) = post(
            &lab,
            &format!("/lab/{twin}/packages/settings"),
            "title: x\nweeks: 4\n",
        )
        .await;
        assert_eq!(status, 200, "{twin}: {plain}");
        assert_eq!(plain["loaded"], serde_json::json!(["title", "weeks"]));
    }
    assert_eq!(lab.solved("packages").await, ["yaml-payload"]);
}

#[tokio::test]
async fn the_flaw_depends_on_the_deployed_version() {
    let lab = Lab::start().await;
    // PyYAML 5.1 (before the fix) and 4.2b1 (plain yaml.load) obey it...
    for (version, loader) in [("5.1", "yaml.full_load"), ("4.2b1", "yaml.load")] {
        let (status, deployed) = post(
            &lab,
            "/lab/insecure/packages/deploy",
            &format!("PyYAML=={version}\n"),
        )
        .await;
        assert_eq!(status, 200, "{deployed}");
        assert_eq!(deployed["checked"], false);
        let (status, answer) = post(&lab, "/lab/insecure/packages/settings", PAYLOAD).await;
        assert_eq!(
            (status, answer["loader"].as_str()),
            (200, Some(loader)),
            "{answer}"
        );
    }
    // ... the insecure twin upgraded, or left to install the newest, does not.
    for requirements in [UPGRADED, "PyYAML\n"] {
        let (status, _) = post(&lab, "/lab/insecure/packages/deploy", requirements).await;
        assert_eq!(status, 200);
        let (status, answer) = post(&lab, "/lab/insecure/packages/settings", PAYLOAD).await;
        assert_eq!(status, 400, "{requirements}: {answer}");
    }
    let deployed = get_json(&lab.http("/lab/insecure/packages/deployed")).await;
    assert_eq!(deployed["deployed"][0]["version"], "latest");

    // A reset of the lesson puts the project's own pins back.
    let reset = reqwest::Client::new()
        .post(lab.app("/api/progress/packages/reset"))
        .send()
        .await
        .expect("the API answers");
    assert_eq!(reset.status(), 200);
    let deployed = get_json(&lab.http("/lab/insecure/packages/deployed")).await;
    assert!(deployed.to_string().contains("\"5.3.1\""), "{deployed}");
    let (status, _) = post(&lab, "/lab/insecure/packages/settings", PAYLOAD).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_secure_deploy_refuses_known_advisories_and_deploys_the_upgrade() {
    let lab = Lab::start().await;
    let requirements = project_requirements(&lab).await;
    assert!(requirements.contains("PyYAML==5.3.1"));

    // The insecure deploy takes the same file without a look.
    let (status, insecure) = post(&lab, "/lab/insecure/packages/deploy", &requirements).await;
    assert_eq!(status, 200, "{insecure}");
    assert_eq!(insecure["deployed"].as_array().unwrap().len(), 7);

    let (status, refusal) = post(&lab, "/lab/secure/packages/deploy", &requirements).await;
    assert_eq!(status, 422, "{refusal}");
    let advisories = refusal["advisories"].as_array().unwrap();
    for package in [
        "pandas", "numpy", "requests", "urllib3", "jinja2", "pyyaml", "pillow",
    ] {
        assert!(
            advisories.iter().any(|a| a["package"] == package),
            "{package} is not among the refused"
        );
    }
    let pyyaml = advisories
        .iter()
        .find(|a| a["id"] == "PYSEC-2021-142")
        .expect("CVE-2020-14343 is listed");
    assert_eq!(pyyaml["fixed"], "5.4");
    assert_eq!(pyyaml["affected"], "<5.4");
    assert!(pyyaml["aliases"].to_string().contains("CVE-2020-14343"));
    assert!(refusal["snapshot"].as_str().unwrap().contains("CC-BY 4.0"));
    let upgrades = refusal["upgrades"].as_array().unwrap();
    assert_eq!(upgrades.len(), 7, "one upgrade per package: {upgrades:?}");
    assert!(
        upgrades
            .iter()
            .any(|u| u["package"] == "pyyaml" && u["to"] == "5.4")
    );
    assert_eq!(lab.solved("packages").await, ["deploy-refused"]);

    // Unpinned, from a URL, or with pip options: refused, nothing to check.
    for unpinned in [
        "pandas>=1.0\n",
        "numpy @ https://example.org/numpy.whl\n",
        "-r other.txt\npandas==2.2.3\n",
    ] {
        let (status, answer) = post(&lab, "/lab/secure/packages/deploy", unpinned).await;
        assert_eq!(status, 422, "{unpinned}: {answer}");
        assert!(answer["warnings"].as_array().is_some_and(|w| !w.is_empty()));
    }
    let (status, _) = post(&lab, "/lab/secure/packages/deploy", "# nothing\n").await;
    assert_eq!(status, 400);

    // Part of the project upgraded is deployed, but is not the upgrade.
    let (status, partial) = post(&lab, "/lab/secure/packages/deploy", "PyYAML==6.0.2\n").await;
    assert_eq!(status, 200, "{partial}");
    assert_eq!(partial["missing"].as_array().unwrap().len(), 6);
    assert_eq!(lab.solved("packages").await, ["deploy-refused"]);

    let (status, upgraded) = post(&lab, "/lab/secure/packages/deploy", UPGRADED).await;
    assert_eq!(status, 200, "{upgraded}");
    assert_eq!(upgraded["missing"], serde_json::json!([]));
    assert_eq!(lab.solved("packages").await, ["deploy-refused", "upgrade"]);
    let deployed: Value = lab
        .trusting_client()
        .get(lab.https("/lab/secure/packages/deployed"))
        .send()
        .await
        .expect("answers over HTTPS")
        .json()
        .await
        .expect("JSON");
    assert!(deployed.to_string().contains("\"6.0.2\""), "{deployed}");
}

#[tokio::test]
async fn bad_bodies_get_a_clear_400() {
    let lab = Lab::start().await;
    for path in [
        "/lab/insecure/packages/deploy",
        "/lab/secure/packages/deploy",
        "/lab/insecure/packages/settings",
        "/lab/secure/packages/settings",
    ] {
        let response = reqwest::Client::new()
            .post(lab.http(path))
            .body(vec![0xff, 0xfe, 0x00])
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 400, "{path}");
        let body: Value = response.json().await.expect("JSON");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains("UTF-8")),
            "{path}: {body}"
        );
    }
    // Over the lab's body limit.
    let response = reqwest::Client::new()
        .post(lab.http("/lab/secure/packages/deploy"))
        .body("a==1\n".repeat(20_000))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn the_tools_page_offers_the_projects_files() {
    let lab = Lab::start().await;
    let examples = get_json(&lab.app("/api/tools/examples")).await;
    let ours: Vec<&str> = examples
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["lesson"] == "packages")
        .map(|e| {
            assert_eq!(e["tool"], "packages");
            e["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        ours,
        [
            "clinic-report-requirements.txt",
            "clinic-report-pip-freeze.txt",
            "clinic-report-pyproject.toml"
        ]
    );
    let file = reqwest::get(lab.app("/api/tools/examples/clinic-report-requirements.txt"))
        .await
        .expect("answers")
        .text()
        .await
        .expect("text");
    assert_eq!(file, project_requirements(&lab).await);
}

/// `safelab audit` as a learner runs it on their own files.
#[test]
fn audit_on_the_command_line() {
    let folder = tempfile::tempdir().expect("a folder");
    let vulnerable = folder.path().join("requirements.txt");
    std::fs::write(
        &vulnerable,
        "# old\nPyYAML==5.3.1\nrequests==2.19.0\nnumpy>=1.20\n",
    )
    .unwrap();
    let binary = release_binary();
    let path = vulnerable.to_string_lossy().into_owned();

    let output = run_to_end(&binary, &["audit", &path]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("pyyaml==5.3.1"), "{text}");
    assert!(text.contains("PYSEC-2021-142 (CVE-2020-14343"), "{text}");
    assert!(text.contains("fixed in 5.4"), "{text}");
    assert!(
        text.contains("requests==2.19.0") && text.contains("CVE-2018-18074"),
        "{text}"
    );
    assert!(
        text.contains("line 4: warning") && text.contains("pip freeze"),
        "{text}"
    );
    assert!(
        text.contains("days old") && text.contains("2024-10-10"),
        "{text}"
    );

    let output = run_to_end(&binary, &["audit", "--json", &path]);
    assert_eq!(output.status.code(), Some(1));
    let reports: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let report = &reports[0];
    assert_eq!(report["tool"], "packages");
    assert_eq!(report["format"], "requirements");
    assert!(
        report["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == "PYSEC-2021-142" && h["fixed"] == "5.4" && h["line"] == 2)
    );
    assert!(
        report["snapshot"]["age_days"]
            .as_u64()
            .is_some_and(|days| days > 0)
    );

    // A folder: its requirements files and pyproject.toml; a clean one exits 0.
    let clean = tempfile::tempdir().expect("a folder");
    std::fs::write(clean.path().join("requirements-dev.txt"), "PyYAML==6.0.2\n").unwrap();
    std::fs::write(
        clean.path().join("pyproject.toml"),
        "[project]\ndependencies = [\"requests==2.32.3\"]\n",
    )
    .unwrap();
    std::fs::write(clean.path().join("notes.txt"), "PyYAML==5.3.1\n").unwrap();
    let output = run_to_end(
        &binary,
        &["audit", "--json", &clean.path().to_string_lossy()],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reports: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(reports.as_array().unwrap().len(), 2, "{reports}");

    // A file that is not there: exit 2, and the message names it.
    let missing = folder.path().join("nope.txt");
    let output = run_to_end(&binary, &["audit", &missing.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("nope.txt") && error.contains("check the path"),
        "{error}"
    );
}
