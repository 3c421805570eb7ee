//! Lesson 1's exercises with real Python `requests` (from the project's venv):
//! `verify=ca.pem` succeeds, the default trust store raises an SSL error.

use std::process::Command;

use safelab_tests::{Lab, repo_root, tool};

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
    let ca_path = lab.running.ca_path.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args([http_base.as_str(), https_base.as_str()])
            .arg(ca_path)
            // Only the trust store under test: no bundle from the environment.
            .env_remove("REQUESTS_CA_BUNDLE")
            .env_remove("CURL_CA_BUNDLE")
            .env_remove("SSL_CERT_FILE")
            .output()
            .expect("python runs")
    })
    .await
    .expect("joined");
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
