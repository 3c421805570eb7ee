//! The `safelab` program as a learner runs it: the release binary copied into an
//! empty folder serves the app (precompressed, cached) and the lab with nothing
//! beside it; every URL it prints reaches it, even with another program on the
//! same port elsewhere on loopback; a CA key others could read is made private
//! and reported; and its start-up errors are one clear line and a non-zero exit.

use std::net::TcpListener;
use std::path::Path;

use safelab::Config;
use safelab_protocol::ListenerId;
use safelab_tests::program::{Program, release_binary, run_to_end};
use safelab_tests::{Lab, poll};

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
    // The page arrives with lesson 1 in it, painted before the app runs.
    assert!(
        index.contains(">How the web works</h1>") && index.contains("data-lesson=\"basics\""),
        "{index}"
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
    let raw_wasm = wasm_response.bytes().await.expect("bytes");
    assert!(raw_wasm.starts_with(b"\0asm"));
    check_precompressed_and_cached(&format!("{app}{wasm}"), &raw_wasm, &app).await;

    let lessons: serde_json::Value = reqwest::get(format!("{app}api/lessons"))
        .await
        .expect("lessons")
        .json()
        .await
        .expect("JSON");
    assert_eq!(lessons[0]["id"], "basics");

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

/// The app's files travel in the smallest encoding the browser accepts, the
/// content-hashed ones are cached for good, and `index.html` is revalidated.
async fn check_precompressed_and_cached(wasm_url: &str, raw: &[u8], app: &str) {
    use std::io::Read;
    let client = reqwest::Client::new();
    let get =
        |url: &str, accept: &'static str| client.get(url).header("Accept-Encoding", accept).send();
    let brotli = get(wasm_url, "gzip, deflate, br").await.expect("the WASM");
    assert_eq!(brotli.headers()["content-encoding"], "br");
    assert_eq!(
        brotli.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        brotli.headers()["vary"]
            .to_str()
            .unwrap_or_default()
            .contains("Accept-Encoding")
    );
    let brotli_size = brotli.bytes().await.expect("bytes").len();
    let gzip = get(wasm_url, "gzip").await.expect("the WASM");
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let packed = gzip.bytes().await.expect("bytes");
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&packed[..])
        .read_to_end(&mut unpacked)
        .expect("real gzip");
    assert_eq!(unpacked, raw, "the gzip copy is the same WASM");
    assert!(brotli_size < packed.len() && packed.len() < raw.len() / 2);

    let index = get(app, "br").await.expect("index.html");
    assert_eq!(index.headers()["cache-control"], "no-cache");
    let etag = index.headers()["etag"].clone();
    let again = client
        .get(app)
        .header("Accept-Encoding", "br")
        .header("If-None-Match", etag)
        .send()
        .await
        .expect("index.html");
    assert_eq!(again.status(), 304);
}

/// A port `p` with `p + 2` (the HTTPS lab's) held by `decoy` on `decoy_ip`, and
/// `p` to `p + 2` free on `host`.
fn port_beside_a_decoy(host: &str, decoy_ip: &str) -> (u16, TcpListener) {
    // Below the ephemeral ranges (Linux from 32768, macOS from 49152), where
    // the other tests' own connections crowd: the fourteen ports around the
    // decoy are far more often all free here. Each process starts at its own
    // place, so two runs at once do not keep colliding.
    let start = std::process::id() % 12_000;
    for attempt in 0..400_u32 {
        let held = u16::try_from(20_000 + (start + attempt * 37) % 12_000).expect("a port");
        let Ok(decoy) = TcpListener::bind((decoy_ip, held)) else {
            continue;
        };
        let free = |port: u16| TcpListener::bind((host, port)).is_ok();
        let free_for_the_decoy = |port: u16| TcpListener::bind((decoy_ip, port)).is_ok();
        // The app takes held - 2, the HTTP lab held - 1, HTTPS held (where
        // the decoy holds the other family), the stranger's site held + 1
        // and lesson 6's ten broken listeners held + 2 to held + 11.
        if held > 1024
            && held < u16::MAX - 11
            && free(held - 2)
            && free(held - 1)
            && free(held)
            && (held + 1..=held + 11).all(free)
            && free_for_the_decoy(held - 2)
            && free_for_the_decoy(held - 1)
            && (held + 1..=held + 11).all(free_for_the_decoy)
        {
            return (held - 2, decoy);
        }
    }
    panic!("no free pair of ports beside a decoy");
}

/// Whether `base` (a listener URL) reaches this safelab's lab: the HTTPS one
/// must also present a chain from `ca`.
async fn reaches_the_lab(base: &str, ca: &[u8]) -> bool {
    reaches(base, "/lab/hello", "Hello from the safelab lab", ca).await
}

/// Whether `path` under `base` answers with `needle` in its body.
async fn reaches(base: &str, path: &str, needle: &str, ca: &[u8]) -> bool {
    // A decoy accepts connections and never answers: bound the wait.
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca).expect("PEM"))
        .timeout(safelab_tests::PATIENCE)
        .build()
        .expect("client");
    match client
        .get(format!("{}{path}", base.trim_end_matches('/')))
        .send()
        .await
    {
        Ok(response) => response.text().await.unwrap_or_default().contains(needle),
        Err(_) => false,
    }
}

/// `--host 127.0.0.2` used to print `https://localhost:…`, which leads to
/// 127.0.0.1, where another program answered.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn every_printed_and_listed_url_reaches_this_safelab() {
    let folder = tempfile::tempdir().expect("folder");
    let data = folder.path().to_string_lossy().into_owned();
    let (port, _decoy) = port_beside_a_decoy("127.0.0.2", "127.0.0.1");
    let program = Program::start(
        &release_binary(),
        &[
            "--host",
            "127.0.0.2",
            "--port",
            &port.to_string(),
            "--data-dir",
            &data,
        ],
        folder.path(),
    );
    let ca = std::fs::read(folder.path().join("ca/ca.pem")).expect("the CA");
    let health = reqwest::get(format!("{}api/health", program.app_url))
        .await
        .expect("the app answers");
    assert_eq!(health.status(), 200);
    for label in ["Lab over HTTP:", "Lab over HTTPS:"] {
        let url = program.printed(label).expect("printed");
        assert!(
            reaches_the_lab(url.trim_end_matches("/lab/"), &ca).await,
            "{label} {url} does not reach this safelab"
        );
    }
    let stranger = program
        .printed("A stranger's site (for lesson 7):")
        .expect("printed");
    assert!(
        reaches(&stranger, "/", "A stranger's site", &ca).await,
        "the stranger's site {stranger} does not reach this safelab"
    );
    let listed: serde_json::Value = reqwest::get(format!("{}api/lab", program.app_url))
        .await
        .expect("/api/lab")
        .json()
        .await
        .expect("JSON");
    let lab_listeners = listed["listeners"]
        .as_array()
        .expect("listeners")
        .iter()
        .filter(|listener| listener["id"] != "app");
    for listener in lab_listeners {
        let url = listener["url"].as_str().expect("url");
        let reached = if listener["id"] == "attacker" {
            reaches(url, "/", "A stranger's site", &ca).await
        } else {
            reaches_the_lab(url, &ca).await
        };
        assert!(
            reached,
            "/api/lab lists {url}, which does not reach this safelab"
        );
    }
}

/// `localhost` resolves to 127.0.0.1 or to ::1 depending on the machine: a
/// URL that says `localhost` is printed only when both are this safelab.
#[tokio::test]
async fn localhost_is_named_only_when_both_loopback_addresses_are_this_safelab() {
    let lab = Lab::start().await;
    assert!(
        lab.running
            .url_of(ListenerId::Https)
            .starts_with("https://localhost:")
    );
    if TcpListener::bind("[::1]:0").is_err() {
        return; // No IPv6 loopback here: nothing else can answer on it.
    }
    let (port, _decoy) = port_beside_a_decoy("127.0.0.1", "::1");
    let data = tempfile::tempdir().expect("data");
    let mut config = Config::ephemeral(data.path());
    config.port = port;
    let running = safelab::serve(&config).await.expect("safelab starts");
    let https = running.url_of(ListenerId::Https).to_owned();
    assert_eq!(https, format!("https://127.0.0.1:{}", port + 2));
    let ca = std::fs::read(&running.ca_path).expect("the CA");
    assert!(reaches_the_lab(&https, &ca).await);
}

#[cfg(unix)]
#[test]
fn a_ca_key_others_can_read_is_made_private_and_reported() {
    use std::os::unix::fs::PermissionsExt;
    let folder = tempfile::tempdir().expect("folder");
    let data = folder.path().to_string_lossy().into_owned();
    let arguments = ["--port", "0", "--data-dir", &data];
    drop(Program::start(&release_binary(), &arguments, folder.path()));
    let key = folder.path().join("ca/ca-key.pem");
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&key), 0o600);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("loosen");

    let program = Program::start(&release_binary(), &arguments, folder.path());
    assert_eq!(mode(&key), 0o600, "the key is private again");
    let note = program.banner.iter().find(|line| line.starts_with("Note:"));
    let note = note.unwrap_or_else(|| panic!("the banner says so: {:?}", program.banner));
    assert!(
        note.contains("private key") && note.contains("other users"),
        "{note}"
    );
    drop(program);
    let quiet = Program::start(&release_binary(), &arguments, folder.path());
    assert!(!quiet.banner.iter().any(|line| line.starts_with("Note:")));
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

/// Stopping safelab (dropping what `serve` returned) closes every listener, on
/// every address it bound, so tests and embedders can start it again.
#[tokio::test]
async fn stopping_closes_every_listener() {
    let lab = Lab::start().await;
    let mut addresses = vec![
        lab.running.app_address,
        lab.running.http_address,
        lab.running.https_address,
    ];
    if std::net::TcpStream::connect(("::1", lab.running.app_address.port())).is_ok() {
        addresses.push(
            (
                std::net::Ipv6Addr::LOCALHOST,
                lab.running.app_address.port(),
            )
                .into(),
        );
    }
    drop(lab);
    for address in addresses {
        poll(&format!("{address} to close"), || async {
            tokio::net::TcpStream::connect(address).await.err()
        })
        .await;
    }
}
