//! Lesson 1 with real Python `requests` (from the project's venv): its exercises
//! (`verify=ca.pem` succeeds, the default trust store raises an SSL error), and
//! every sample in the lesson run exactly as a learner would paste it.

use std::path::PathBuf;
use std::process::{Command, Output};

use safelab_tests::{Lab, get_json, repo_root, tool};

/// Runs the venv's Python with `arguments` in `folder`, trusting nothing from
/// the environment: only the trust store under test counts.
async fn run_python(python: PathBuf, arguments: Vec<String>, folder: PathBuf) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(arguments)
            .current_dir(folder)
            .env_remove("REQUESTS_CA_BUNDLE")
            .env_remove("CURL_CA_BUNDLE")
            .env_remove("SSL_CERT_FILE")
            .output()
            .expect("python runs")
    })
    .await
    .expect("joined")
}

#[tokio::test]
async fn requests_verifies_with_the_lab_ca_and_refuses_without_it() {
    let lab = Lab::start().await;
    let python = tool(
        "SAFELAB_PYTHON",
        repo_root().join(".local/venv/bin/python"),
        "the project's Python venv",
    );
    let script = repo_root().join("tests/python/lesson1.py");
    let https_base = lab.https("");
    let http_base = lab.http("");
    let ca_path = lab.running.ca_path.to_string_lossy().into_owned();
    let output = run_python(
        python,
        vec![
            script.to_string_lossy().into_owned(),
            http_base,
            https_base,
            ca_path,
        ],
        repo_root(),
    )
    .await;
    assert!(
        output.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let observed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("JSON from the script");

    assert_eq!(observed["hello"]["status"], 200);
    assert!(
        observed["hello"]["content_type"]
            .as_str()
            .unwrap_or_default()
            .starts_with("text/plain")
    );
    assert_eq!(observed["verified"]["status"], 200, "{observed}");
    assert_eq!(observed["verified"]["columns"][0], "year");
    assert_eq!(observed["default_trust"]["error"], "SSLError", "{observed}");
    assert!(
        observed["default_trust"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("CERTIFICATE_VERIFY_FAILED"),
        "{observed}"
    );
}

/// Every sample in lesson 1, as a learner gets it from a safelab started with
/// `--port 0`: the Python code runs as pasted (the wrong-way sample fails with
/// the error it promises), and every "Try it" request reaches a real lab
/// endpoint on both listeners.
#[tokio::test]
async fn every_sample_in_lesson_1_runs_as_pasted() {
    let lab = Lab::start().await;
    let python = tool(
        "SAFELAB_PYTHON",
        repo_root().join(".local/venv/bin/python"),
        "the project's Python venv",
    );
    let lesson = get_json(&lab.app("/api/lessons/http-basics")).await;
    let text = lesson.to_string();
    for default in ["7878", "7879"] {
        assert!(
            !text.contains(default),
            "the lesson names port {default}, not this run's"
        );
    }
    let info = get_json(&lab.app("/api/lab")).await;

    // The learner's folder, with the CA saved where the lesson says.
    let folder = tempfile::tempdir().expect("a working folder");
    let ca_url = info["ca_url"].as_str().expect("ca_url");
    let ca = reqwest::get(ca_url)
        .await
        .expect("the CA downloads")
        .text()
        .await
        .expect("PEM");
    std::fs::write(folder.path().join("safelab-ca.pem"), ca).expect("save the CA");

    let blocks = lesson["blocks"].as_array().expect("blocks");
    let samples: Vec<&serde_json::Value> = blocks
        .iter()
        .filter(|block| block["kind"] == "code" && block["language"] == "python")
        .collect();
    assert!(samples.len() >= 5, "lesson 1 has its Python samples");
    for sample in samples {
        let code = sample["code"].as_str().expect("code").to_owned();
        let fails_with = sample["fails_with"].as_str().map(str::to_owned);
        let arguments = vec!["-c".to_owned(), code.clone()];
        let output = run_python(python.clone(), arguments, folder.path().to_owned()).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        match fails_with {
            None => assert!(
                output.status.success(),
                "this sample fails:\n{code}\n{stderr}"
            ),
            Some(error) => {
                assert!(!output.status.success(), "this sample should fail:\n{code}");
                let last = stderr.trim().lines().last().unwrap_or_default();
                assert!(
                    last.contains(&error),
                    "it should end with {error}, not {last:?}"
                );
            }
        }
    }

    let requests: Vec<&serde_json::Value> = blocks
        .iter()
        .filter(|block| block["kind"] == "request")
        .collect();
    assert!(requests.len() >= 8, "lesson 1 has its Try it requests");
    for request in requests {
        for base in [lab.http(""), lab.https("")] {
            let url = format!("{base}{}", request["path"].as_str().unwrap_or_default());
            let (status, exchange) = lab
                .exchange(serde_json::json!({
                    "method": request["method"], "url": url,
                    "headers": request["headers"], "body": request["body"],
                }))
                .await;
            assert_eq!(status, 200, "{url}: {exchange}");
            let body = exchange["body"].as_str().unwrap_or_default();
            assert!(
                !body.contains("no lab endpoint"),
                "{url} is not a lab endpoint"
            );
            assert!(
                exchange["status"].as_u64().unwrap_or(500) < 500,
                "{url}: {exchange}"
            );
        }
    }
}
