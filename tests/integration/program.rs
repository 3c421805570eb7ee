//! The `safelab` program as a learner runs it: the release binary copied into an
//! empty folder serves the app and the lab with nothing beside it, and its start-up
//! errors are one clear line and a non-zero exit.

use safelab_tests::poll;
use safelab_tests::program::{Program, release_binary, run_to_end};

#[tokio::test]
async fn the_release_binary_runs_alone_from_an_empty_folder() {
    let folder = tempfile::tempdir().expect("empty folder");
    let binary = folder.path().join("safelab");
    std::fs::copy(release_binary(), &binary).expect("copy the binary");
    let data = folder.path().join("data");
    let data_arg = data.to_string_lossy().into_owned();
    let program = Program::start(
        &binary,
        &["--port", "0", "--data-dir", &data_arg],
        folder.path(),
    );
    let app = program.app_url.clone();
    let https = program
        .printed("Lab over HTTPS:")
        .expect("the banner names the HTTPS lab");

    let health = poll("the app listener", || async {
        reqwest::get(format!("{app}api/health"))
            .await
            .ok()
            .filter(|response| response.status().is_success())
    })
    .await;
    assert_eq!(
        health.json::<serde_json::Value>().await.expect("JSON")["status"],
        "ok"
    );

    let index = reqwest::get(&app)
        .await
        .expect("the app")
        .text()
        .await
        .expect("HTML");
    assert!(
        index.contains("<html"),
        "the app's index.html is embedded: {index}"
    );
    let script = index
        .split('"')
        .find(|part| part.ends_with(".js") && part.contains("safelab-app"))
        .expect("index.html loads the app's script")
        .trim_start_matches('/')
        .to_owned();
    let wasm = script.replace(".js", "_bg.wasm");
    let wasm_response = reqwest::get(format!("{app}{wasm}"))
        .await
        .expect("the WASM");
    assert_eq!(wasm_response.status(), 200);
    assert_eq!(wasm_response.headers()["content-type"], "application/wasm");
    assert!(
        wasm_response
            .bytes()
            .await
            .expect("bytes")
            .starts_with(b"\0asm")
    );

    let lessons: serde_json::Value = reqwest::get(format!("{app}api/lessons"))
        .await
        .expect("lessons")
        .json()
        .await
        .expect("JSON");
    assert_eq!(lessons[0]["id"], "http-basics");

    let ca = std::fs::read(data.join("ca/ca.pem")).expect("the CA was created in --data-dir");
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("PEM"))
        .build()
        .expect("client");
    let hello = client
        .get(format!("{https}hello"))
        .send()
        .await
        .expect("HTTPS lab answers");
    assert_eq!(hello.status(), 200);
}

#[test]
fn a_port_in_use_is_one_clear_line_and_a_failure() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let data = tempfile::tempdir().expect("data");
    let output = run_to_end(
        &release_binary(),
        &[
            "--port",
            &port,
            "--data-dir",
            &data.path().to_string_lossy(),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("already in use") && stderr.contains("--port"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn an_unusable_data_folder_is_one_clear_line_and_a_failure() {
    let folder = tempfile::tempdir().expect("folder");
    let file = folder.path().join("a-file");
    std::fs::write(&file, "not a folder").expect("write");
    let output = run_to_end(
        &release_binary(),
        &[
            "--port",
            "0",
            "--data-dir",
            &file.join("data").to_string_lossy(),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--data-dir"), "{stderr}");
}

#[test]
fn a_network_address_is_refused() {
    let output = run_to_end(&release_binary(), &["--host", "0.0.0.0", "--port", "0"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("loopback"));
}

#[test]
fn version_and_help() {
    let version = run_to_end(&release_binary(), &["--version"]);
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("safelab {}", env!("CARGO_PKG_VERSION"))
    );
    let help =
        String::from_utf8_lossy(&run_to_end(&release_binary(), &["--help"]).stdout).into_owned();
    for option in ["--host", "--port", "--data-dir", "--open", "--allow-host"] {
        assert!(help.contains(option), "--help lists {option}");
    }
}
