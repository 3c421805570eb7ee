//! Lesson `certificates`, the broken listeners: each is refused by rustls
//! with the error it is named for, and by Python `requests`, curl and
//! headless Chromium with the text `/api/lab` records for it (so the table
//! can never drift from what the clients really print); a client that does
//! not verify gets the lab page. The exercises are solved exactly by what the
//! TLS servers see, and the lesson's reset forgets it.

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{CertificateError, ClientConfig, Error, RootCertStore};
use safelab_protocol::{BrokenListener, CertificateCheck, LabInfo, ObservedHandshakes};
use safelab_tests::browser::{Driver, navigation_error, trust_in_nss};
use safelab_tests::python::{Learner, printed};
use safelab_tests::{Lab, get_json, poll, tool};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

const LESSON: &str = "certificates";

const IDS: [&str; 10] = [
    "expired",
    "not-yet-valid",
    "wrong-host",
    "self-signed",
    "untrusted-root",
    "incomplete-chain",
    "no-san",
    "ca-as-leaf",
    "no-server-auth",
    "client-certificate",
];

/// The broken listeners as `GET /api/lab` lists them.
async fn listed(lab: &Lab) -> Vec<BrokenListener> {
    let info: LabInfo = serde_json::from_value(get_json(&lab.app("/api/lab")).await)
        .expect("/api/lab matches the protocol");
    info.certificates
}

async fn listener(lab: &Lab, id: &str) -> BrokenListener {
    listed(lab)
        .await
        .into_iter()
        .find(|listener| listener.id == id)
        .unwrap_or_else(|| panic!("/api/lab lists no {id}"))
}

fn port_of(listener: &BrokenListener) -> u16 {
    listener
        .url
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or_else(|| panic!("{} has a port", listener.url))
}

/// What `client` printed when it refused `listener`, as recorded: one text,
/// or several where the client's own timing decides which it prints.
fn recorded<'a>(listener: &'a BrokenListener, client: &str) -> Vec<&'a str> {
    let texts: Vec<&str> = listener
        .refusals
        .iter()
        .filter(|refusal| refusal.client == client)
        .map(|refusal| refusal.text.as_str())
        .collect();
    assert!(
        !texts.is_empty(),
        "{} records no refusal by {client}",
        listener.id
    );
    texts
}

async fn download(lab: &Lab, path: &str) -> String {
    reqwest::get(lab.app(path))
        .await
        .expect("the API answers")
        .error_for_status()
        .expect("a download")
        .text()
        .await
        .expect("PEM")
}

/// A rustls client trusting safelab's root, presenting `client` if given.
fn rustls_client(lab: &Lab, client: Option<(String, String)>) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(lab.ca_pem().as_bytes()) {
        roots.add(certificate.expect("PEM")).expect("root");
    }
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots);
    let config = match client {
        Some((chain, key)) => builder
            .with_client_auth_cert(
                CertificateDer::pem_slice_iter(chain.as_bytes())
                    .collect::<Result<_, _>>()
                    .expect("chain"),
                PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("key"),
            )
            .expect("client certificate"),
        None => builder.with_no_client_auth(),
    };
    TlsConnector::from(Arc::new(config))
}

/// Handshakes with `listener` as `localhost`, sends `GET /` and reads the
/// answer: the rustls error on the way, if any.
async fn rustls_get(connector: &TlsConnector, listener: &BrokenListener) -> Result<String, Error> {
    let address = SocketAddr::from(([127, 0, 0, 1], port_of(listener)));
    let tcp = TcpStream::connect(address).await.expect("connects");
    let name = ServerName::try_from("localhost").expect("name");
    let rustls_error = |error: std::io::Error| {
        error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<Error>())
            .cloned()
            .unwrap_or_else(|| Error::General(error.to_string()))
    };
    let mut tls = connector.connect(name, tcp).await.map_err(rustls_error)?;
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .map_err(rustls_error)?;
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.map_err(rustls_error)?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn rustls_refuses_each_listener_with_the_error_it_is_named_for() {
    let lab = Lab::start().await;
    let connector = rustls_client(&lab, None);
    for listener in listed(&lab).await {
        let error = rustls_get(&connector, &listener)
            .await
            .expect_err(&listener.id);
        let certificate = match &error {
            Error::InvalidCertificate(certificate) => Some(certificate),
            _ => None,
        };
        let right = match listener.id.as_str() {
            "expired" => matches!(certificate, Some(CertificateError::ExpiredContext { .. })),
            "not-yet-valid" => {
                matches!(
                    certificate,
                    Some(CertificateError::NotValidYetContext { .. })
                )
            }
            "wrong-host" | "no-san" => {
                matches!(
                    certificate,
                    Some(CertificateError::NotValidForNameContext { .. })
                )
            }
            "self-signed" | "untrusted-root" | "incomplete-chain" => {
                matches!(certificate, Some(CertificateError::UnknownIssuer))
            }
            "ca-as-leaf" => format!("{error:?}").contains("CaUsedAsEndEntity"),
            "no-server-auth" => {
                matches!(
                    certificate,
                    Some(CertificateError::InvalidPurposeContext { .. })
                )
            }
            "client-certificate" => matches!(
                error,
                Error::AlertReceived(rustls::AlertDescription::CertificateRequired)
            ),
            other => panic!("unexpected listener {other}"),
        };
        assert!(right, "{}: {error:?}", listener.id);
    }
    // With the lab's client certificate, the last one answers.
    let identity = (
        download(&lab, "/api/certificates/client.pem").await,
        download(&lab, "/api/certificates/client-key.pem").await,
    );
    let page = rustls_get(
        &rustls_client(&lab, Some(identity)),
        &listener(&lab, "client-certificate").await,
    )
    .await
    .expect("a client certificate opens it");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Client certificate required"), "{page}");
}

#[tokio::test]
async fn api_lab_lists_each_listener_with_its_check_on_localhost() {
    let lab = Lab::start().await;
    let listed = listed(&lab).await;
    let ids: Vec<&str> = listed.iter().map(|listener| listener.id.as_str()).collect();
    assert_eq!(ids, IDS);
    let expected = [
        Some(CertificateCheck::Expired),
        Some(CertificateCheck::NotYetValid),
        Some(CertificateCheck::WrongHost),
        Some(CertificateCheck::SelfSigned),
        Some(CertificateCheck::UntrustedRoot),
        Some(CertificateCheck::IncompleteChain),
        Some(CertificateCheck::NoSubjectAltName),
        Some(CertificateCheck::CaAsLeaf),
        Some(CertificateCheck::NotForServerAuth),
        None,
    ];
    for (listener, check) in listed.iter().zip(expected) {
        assert_eq!(listener.check, check, "{}", listener.id);
        assert!(
            listener.url.starts_with("https://localhost:"),
            "{}",
            listener.url
        );
        assert!(!listener.title.is_empty() && !listener.problem.is_empty());
        let mut clients: Vec<&str> = listener
            .refusals
            .iter()
            .map(|refusal| refusal.client.as_str())
            .collect();
        clients.dedup();
        assert_eq!(clients, ["Python requests", "curl", "Chromium"]);
    }
}

#[tokio::test]
async fn with_a_fixed_port_the_listeners_take_the_ten_after_the_lab() {
    // Fourteen consecutive free ports, below the range the system hands out
    // to outgoing connections (32768 and up on Linux), which the other tests
    // use by the thousand: try bases until one run binds them all.
    let mut attempts = 0_u32;
    let (running, _data) = loop {
        attempts += 1;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .subsec_nanos();
        let base = 20_000 + u16::try_from(seed % 12_000).expect("below 12000");
        let data = tempfile::tempdir().expect("data folder");
        let mut config = safelab::Config::ephemeral(data.path());
        config.port = base;
        match safelab::serve(&config).await {
            Ok(running) => break (running, data),
            Err(safelab::StartError::PortInUse { .. }) if attempts < 50 => {}
            Err(error) => panic!("safelab starts: {error}"),
        }
    };
    let base = running.app_address.port();
    for (offset, listener) in (4..).zip(&running.lab.certificates) {
        assert_eq!(
            listener.url,
            format!("https://localhost:{}", base + offset),
            "{}",
            listener.id
        );
    }
    assert_eq!(running.lab.certificates.len(), 10);
}

fn curl(arguments: &[&str]) -> Output {
    Command::new(tool("SAFELAB_CURL", "/usr/bin/curl", "curl"))
        .args(["--silent", "--show-error", "--max-time", "20"])
        .args(arguments)
        .env_remove("CURL_CA_BUNDLE")
        .env_remove("SSL_CERT_FILE")
        .output()
        .expect("curl runs")
}

#[tokio::test]
async fn curl_refuses_each_listener_with_the_recorded_text_and_k_gets_the_page() {
    let lab = Lab::start().await;
    let folder = tempfile::tempdir().expect("folder");
    let ca = folder.path().join("safelab-ca.pem");
    std::fs::write(&ca, lab.ca_pem()).expect("save the CA");
    let (cert, key) = (
        folder.path().join("client.pem"),
        folder.path().join("client-key.pem"),
    );
    std::fs::write(&cert, download(&lab, "/api/certificates/client.pem").await).expect("cert");
    std::fs::write(
        &key,
        download(&lab, "/api/certificates/client-key.pem").await,
    )
    .expect("key");
    let (ca, cert, key) = (
        ca.to_string_lossy().into_owned(),
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
    );
    for listener in listed(&lab).await {
        let url = format!("{}/", listener.url);
        let (ca, url2) = (ca.clone(), url.clone());
        let refused = tokio::task::spawn_blocking(move || curl(&["--cacert", &ca, &url2]))
            .await
            .expect("joined");
        assert!(!refused.status.success(), "curl accepted {}", listener.id);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            recorded(&listener, "curl")
                .iter()
                .any(|text| stderr.contains(text)),
            "{}: curl printed {stderr}",
            listener.id
        );
        let mut arguments = vec!["-k".to_owned(), url];
        if listener.id == "client-certificate" {
            arguments.extend([
                "--cert".to_owned(),
                cert.clone(),
                "--key".to_owned(),
                key.clone(),
            ]);
        }
        let accepted = tokio::task::spawn_blocking(move || {
            curl(&arguments.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .await
        .expect("joined");
        let page = String::from_utf8_lossy(&accepted.stdout);
        assert!(
            accepted.status.success() && page.contains(&format!("<h1>{}</h1>", listener.title)),
            "{}: {page} {}",
            listener.id,
            String::from_utf8_lossy(&accepted.stderr)
        );
    }
}

/// Python that tries every listener: `verify=` safelab's CA, then
/// `verify=False` (with the lab's client certificate where one is asked
/// for), printing one line per attempt.
const PYTHON_EVERY_LISTENER: &str = r#"
import sys
import requests

for line in sys.stdin.read().split():
    name, url = line.split("=", 1)
    cert = ("client.pem", "client-key.pem") if name == "client-certificate" else None
    try:
        requests.get(url, verify="safelab-ca.pem", timeout=20)
        print(f"{name} verified: ACCEPTED")
    except requests.exceptions.SSLError as error:
        print(f"{name} verified: {error}")
    answer = requests.get(url, verify=False, cert=cert, timeout=20)
    print(f"{name} unverified: {answer.status_code} {'<h1>' in answer.text}")
"#;

async fn python_with_stdin(learner: &Learner, script: &str, input: String) -> Output {
    std::fs::write(learner.folder().join("every.py"), script).expect("save");
    let python = tool(
        "SAFELAB_PYTHON",
        safelab_tests::repo_root().join(".local/venv/bin/python"),
        "the project's Python venv",
    );
    let folder = learner.folder().to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = Command::new(python)
            .arg("-W")
            .arg("ignore")
            .arg("every.py")
            .current_dir(folder)
            .env_remove("REQUESTS_CA_BUNDLE")
            .env_remove("CURL_CA_BUNDLE")
            .env_remove("SSL_CERT_FILE")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
        child.wait_with_output().expect("python ends")
    })
    .await
    .expect("joined")
}

async fn save_client_identity(lab: &Lab, learner: &Learner) {
    std::fs::write(
        learner.folder().join("client.pem"),
        download(lab, "/api/certificates/client.pem").await,
    )
    .expect("cert");
    std::fs::write(
        learner.folder().join("client-key.pem"),
        download(lab, "/api/certificates/client-key.pem").await,
    )
    .expect("key");
}

#[tokio::test]
async fn python_requests_refuses_each_listener_with_the_recorded_text() {
    let lab = Lab::start().await;
    let learner = Learner::new(&lab).await;
    save_client_identity(&lab, &learner).await;
    let listed = listed(&lab).await;
    let input: Vec<String> = listed
        .iter()
        .map(|listener| format!("{}={}/", listener.id, listener.url))
        .collect();
    let output = python_with_stdin(&learner, PYTHON_EVERY_LISTENER, input.join("\n")).await;
    assert!(output.status.success(), "{}", printed(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for listener in &listed {
        let verified = stdout
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{} verified: ", listener.id)))
            .unwrap_or_else(|| panic!("no line for {}: {stdout}", listener.id));
        assert!(
            recorded(listener, "Python requests")
                .iter()
                .any(|text| verified.contains(text)),
            "{}: Python said {verified}",
            listener.id
        );
        assert!(
            stdout.contains(&format!("{} unverified: 200 True", listener.id)),
            "{}: {stdout}",
            listener.id
        );
    }
}

#[tokio::test]
async fn chromium_refuses_each_listener_with_the_recorded_net_error() {
    let lab = Lab::start().await;
    // Trusting safelab's CA, as the lesson sets a browser up: each listener
    // then fails on its own mistake, not on an unknown authority.
    let home = tempfile::tempdir().expect("a throwaway HOME");
    trust_in_nss(home.path(), &lab.ca_pem());
    let driver = Driver::start_with_home(Some(home.path())).await;
    let profile = tempfile::tempdir().expect("profile folder");
    let browser = driver.browser(profile.path(), (1024, 768)).await;
    for listener in listed(&lab).await {
        let error = navigation_error(&browser, &format!("{}/", listener.url)).await;
        let error = error.unwrap_or_else(|| panic!("Chromium loaded {}", listener.id));
        assert!(
            recorded(&listener, "Chromium").contains(&error.as_str()),
            "{}: Chromium said {error}",
            listener.id
        );
    }
    browser.close().await.expect("browser closes");
}

async fn observed(lab: &Lab) -> ObservedHandshakes {
    serde_json::from_value(get_json(&lab.app("/api/certificates/observed")).await)
        .expect("/api/certificates/observed matches the protocol")
}

/// Polls until `id`'s server has seen `alerts` alerts.
async fn until_alerts(lab: &Lab, id: &str, alerts: usize) -> ObservedHandshakes {
    poll(&format!("{alerts} alerts on {id}"), || async {
        let seen = observed(lab).await;
        let count = seen
            .listeners
            .iter()
            .find(|listener| listener.id == id)
            .map_or(0, |listener| listener.alerts.len());
        (count >= alerts).then_some(seen)
    })
    .await
}

async fn python_get(learner: &Learner, url: &str, extra: &str) -> Output {
    learner
        .run_code(&format!(
            "import requests, warnings\nwarnings.simplefilter('ignore')\n\
             try:\n    print(requests.get({url:?}, timeout=20{extra}).status_code)\n\
             except requests.exceptions.SSLError as error:\n    print('refused', error)\n"
        ))
        .await
}

#[tokio::test]
async fn a_client_refusing_self_signed_and_expired_solves_those_and_the_inspector_does_not() {
    let lab = Lab::start().await;
    let self_signed = listener(&lab, "self-signed").await;
    let expired = listener(&lab, "expired").await;

    // The inspector refuses by itself: not the learner's client.
    let (status, _) = lab
        .exchange(serde_json::json!({ "method": "GET", "url": format!("{}/", self_signed.url) }))
        .await;
    assert!(status < 500, "the inspector answers: {status}");
    let seen = poll("the inspector's attempt to be seen", || async {
        let seen = observed(&lab).await;
        let listener = seen
            .listeners
            .iter()
            .find(|listener| listener.id == "self-signed")
            .cloned()
            .expect("listed");
        (!listener.alerts.is_empty() || listener.requests > 0).then_some(listener)
    })
    .await;
    assert!(seen.alerts.iter().all(|alert| alert.inspector), "{seen:?}");
    assert!(lab.solved(LESSON).await.is_empty());

    // Python's refusal is the learner's.
    let learner = Learner::new(&lab).await;
    let before = seen.alerts.len();
    let output = python_get(
        &learner,
        &format!("{}/", self_signed.url),
        ", verify='safelab-ca.pem'",
    )
    .await;
    assert!(printed(&output).contains("refused"), "{}", printed(&output));
    let seen = until_alerts(&lab, "self-signed", before + 1).await;
    let alert = seen.listeners[3].alerts.last().expect("an alert");
    assert_eq!(alert.alert, "unknown_ca");
    assert!(!alert.inspector);
    lab.wait_until_solved(LESSON, "refuse-self-signed").await;
    assert_eq!(lab.solved(LESSON).await, ["refuse-self-signed"]);

    let output = python_get(
        &learner,
        &format!("{}/", expired.url),
        ", verify='safelab-ca.pem'",
    )
    .await;
    assert!(printed(&output).contains("refused"), "{}", printed(&output));
    lab.wait_until_solved(LESSON, "refuse-expired").await;
    let seen = until_alerts(&lab, "expired", 1).await;
    assert_eq!(seen.listeners[0].alerts[0].alert, "certificate_expired");

    // The lesson's reset forgets the exercises and what was seen.
    reqwest::Client::new()
        .post(lab.app("/api/progress/certificates/reset"))
        .send()
        .await
        .expect("reset")
        .error_for_status()
        .expect("reset succeeds");
    assert!(lab.solved(LESSON).await.is_empty());
    let seen = observed(&lab).await;
    assert!(
        seen.listeners
            .iter()
            .all(|listener| listener.alerts.is_empty() && listener.requests == 0),
        "{seen:?}"
    );
}

#[tokio::test]
async fn requests_served_on_three_broken_listeners_solve_inspect_broken() {
    let lab = Lab::start().await;
    let learner = Learner::new(&lab).await;
    for (count, id) in ["wrong-host", "no-san", "ca-as-leaf"]
        .into_iter()
        .enumerate()
    {
        let url = format!("{}/", listener(&lab, id).await.url);
        let output = python_get(&learner, &url, ", verify=False").await;
        assert!(printed(&output).contains("200"), "{}", printed(&output));
        if count < 2 {
            poll("the request to be counted", || async {
                let seen = observed(&lab).await;
                seen.listeners
                    .iter()
                    .any(|listener| listener.id == id && listener.requests > 0)
                    .then_some(())
            })
            .await;
            assert!(
                !lab.solved(LESSON)
                    .await
                    .contains(&"inspect-broken".to_owned()),
                "solved after {} listeners",
                count + 1
            );
        }
    }
    lab.wait_until_solved(LESSON, "inspect-broken").await;
}

#[tokio::test]
async fn the_lab_client_certificate_solves_client_certificate_and_no_certificate_does_not() {
    let lab = Lab::start().await;
    let learner = Learner::new(&lab).await;
    save_client_identity(&lab, &learner).await;
    let url = format!("{}/", listener(&lab, "client-certificate").await.url);

    let output = python_get(&learner, &url, ", verify='safelab-ca.pem'").await;
    assert!(
        printed(&output).contains("tlsv13 alert certificate required"),
        "{}",
        printed(&output)
    );
    assert!(lab.solved(LESSON).await.is_empty());

    let output = python_get(
        &learner,
        &url,
        ", verify='safelab-ca.pem', cert=('client.pem', 'client-key.pem')",
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "200",
        "{}",
        printed(&output)
    );
    lab.wait_until_solved(LESSON, "client-certificate").await;
    assert_eq!(lab.solved(LESSON).await, ["client-certificate"]);
}
