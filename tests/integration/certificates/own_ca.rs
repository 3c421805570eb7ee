//! The learner's own CA: each step of the API (a CA, a key and CSR, a
//! signature, a listener), its bounds and refusals; keys kept owner-only on
//! disk and never answered; Python `requests` with `verify="myca.pem"`
//! accepting a good learner listener (which solves the exercise, where the
//! inspector's request does not), and Python and rustls refusing each wrong
//! choice with their real errors; the reset stopping every listener.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use safelab_tests::python::{Learner, printed};
use safelab_tests::{Lab, get_json, poll};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

const LESSON: &str = "certificates";
const EXERCISE: &str = "verify-own-ca";

/// POSTs `body` to the app's `path`; the status and the JSON answer.
async fn post(lab: &Lab, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(lab.app(path))
        .json(&body)
        .send()
        .await
        .expect("the API answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    assert!(
        !text.contains("PRIVATE KEY"),
        "{path} answered a private key: {text}"
    );
    (status, serde_json::from_str(&text).expect("JSON"))
}

/// POSTs and expects `201 Created`.
async fn made(lab: &Lab, path: &str, body: Value) -> Value {
    let (status, answer) = post(lab, path, body).await;
    assert_eq!(status, 201, "{path}: {answer}");
    answer
}

async fn new_ca(lab: &Lab, name: &str) -> Value {
    made(
        lab,
        "/api/certificates/own/cas",
        json!({"name": name, "key_type": "ecdsa_p256", "valid_days": 30}),
    )
    .await
}

/// The choices of a good server key: `localhost` and 127.0.0.1, serverAuth.
fn good_key() -> Value {
    json!({
        "common_name": "localhost",
        "names": ["localhost", "127.0.0.1"],
        "is_ca": false,
        "key_usage": ["digital_signature"],
        "purpose": "server_auth",
        "key_type": "ecdsa_p256",
    })
}

/// A key made with `choices`, signed by `ca` from `starts_in_days` for
/// `valid_days`: the certificate.
async fn certificate(
    lab: &Lab,
    ca: &Value,
    choices: Value,
    starts_in_days: i32,
    valid_days: u32,
) -> Value {
    let key = made(lab, "/api/certificates/own/keys", choices).await;
    made(
        lab,
        "/api/certificates/own/certificates",
        json!({
            "ca": ca["id"],
            "csr_pem": key["csr_pem"],
            "starts_in_days": starts_in_days,
            "valid_days": valid_days,
        }),
    )
    .await
}

async fn start(lab: &Lab, certificate: &Value) -> Value {
    made(
        lab,
        "/api/certificates/own/listeners",
        json!({"certificate": certificate["id"]}),
    )
    .await
}

async fn stop(lab: &Lab, listener: &Value) {
    let id = listener["id"].as_str().expect("an id");
    let response = reqwest::Client::new()
        .delete(lab.app(&format!("/api/certificates/own/listeners/{id}")))
        .send()
        .await
        .expect("the API answers");
    assert_eq!(response.status(), 204);
}

fn port_of(listener: &Value) -> u16 {
    let url = url::Url::parse(listener["url"].as_str().expect("a URL")).expect("a URL");
    url.port().expect("a port")
}

/// A rustls client trusting `ca_pem` alone connects to `listener` as
/// `localhost`: the handshake's error, if any.
async fn rustls_handshake(ca_pem: &str, listener: &Value) -> Result<(), std::io::Error> {
    rustls_connect(ca_pem, listener).await.map(drop)
}

/// The TLS connection a rustls client trusting `ca_pem` alone opens to
/// `listener` as `localhost`.
async fn rustls_connect(
    ca_pem: &str,
    listener: &Value,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, std::io::Error> {
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(certificate.expect("a PEM certificate"))
            .expect("a usable root");
    }
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
    let tcp = TcpStream::connect(("127.0.0.1", port_of(listener)))
        .await
        .expect("the listener accepts");
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").expect("a name"), tcp)
        .await
}

/// Python `requests.get(url, verify="myca.pem")` from a folder where
/// `myca.pem` is `ca_pem`: its output (`OK <status>` or the exception).
async fn python_get(learner: &Learner, ca_pem: &str, url: &str) -> std::process::Output {
    std::fs::write(learner.folder().join("myca.pem"), ca_pem).expect("save myca.pem");
    learner
        .run_code(&format!(
            "import requests\n\
             try:\n    r = requests.get({url:?}, verify='myca.pem', timeout=20)\n    print('OK', r.status_code)\n\
             except requests.exceptions.SSLError as error:\n    print('SSLError', error)\n"
        ))
        .await
}

#[tokio::test]
async fn each_step_makes_what_it_says_and_keys_stay_owner_only_on_disk() {
    let lab = Lab::start().await;
    let ca = new_ca(&lab, "My lab CA").await;
    assert_eq!(ca["name"], "My lab CA");
    let ca_pem = ca["pem"].as_str().expect("the CA's PEM");
    assert!(
        ca_pem.starts_with("-----BEGIN CERTIFICATE-----"),
        "{ca_pem}"
    );

    let key = made(&lab, "/api/certificates/own/keys", good_key()).await;
    assert!(
        key["csr_pem"]
            .as_str()
            .expect("a CSR")
            .starts_with("-----BEGIN CERTIFICATE REQUEST-----")
    );
    let signed = made(
        &lab,
        "/api/certificates/own/certificates",
        json!({"ca": ca["id"], "csr_pem": key["csr_pem"], "valid_days": 30}),
    )
    .await;
    assert_eq!(signed["signed_by"], ca["id"]);
    assert_eq!(signed["key"], key["id"]);
    assert_eq!(signed["names"], json!(["DNS:localhost", "IP:127.0.0.1"]));
    assert_eq!(signed["purposes"], json!(["serverAuth"]));
    assert_eq!(signed["is_ca"], false);
    assert_eq!(signed["rustls_verdict"], Value::Null, "{signed}");

    let listener = start(&lab, &signed).await;
    let listing = get_json(&lab.app("/api/certificates/own")).await;
    assert!(!listing.to_string().contains("PRIVATE KEY"));
    assert_eq!(listing["cas"].as_array().map(Vec::len), Some(1));
    assert_eq!(listing["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(listing["certificates"].as_array().map(Vec::len), Some(1));
    assert_eq!(listing["listeners"][0]["url"], listener["url"]);

    let download = reqwest::get(lab.app(ca["download"].as_str().expect("a link")))
        .await
        .expect("downloads");
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"myca.pem\""
    );
    assert_eq!(download.text().await.expect("PEM"), ca_pem);

    let folder = lab.data.path().join("lab/certificates/own-ca");
    let mode = |path: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&folder), 0o700);
    assert_eq!(mode(&folder.join("..")), 0o700);
    let keys: Vec<_> = std::fs::read_dir(&folder)
        .expect("the folder")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.to_string_lossy().ends_with("-key.pem"))
        .collect();
    assert_eq!(keys.len(), 2, "the CA's key and the server's: {keys:?}");
    for key in keys {
        assert_eq!(mode(&key), 0o600, "{}", key.display());
        let pem = std::fs::read_to_string(&key).expect("readable by its owner");
        assert!(pem.contains("PRIVATE KEY"));
        assert!(
            !listing
                .to_string()
                .contains(pem.lines().nth(1).unwrap_or("?"))
        );
    }
}

#[tokio::test]
async fn a_csr_made_with_openssl_is_signed_but_cannot_serve() {
    let lab = Lab::start().await;
    let ca = new_ca(&lab, "Signs pasted requests").await;
    let folder = tempfile::tempdir().expect("a folder");
    let openssl = std::process::Command::new("openssl")
        .args([
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ])
        .current_dir(folder.path())
        .output()
        .expect("openssl runs");
    assert!(openssl.status.success(), "{openssl:?}");
    let csr = std::fs::read_to_string(folder.path().join("server.csr")).expect("a CSR");
    let signed = made(
        &lab,
        "/api/certificates/own/certificates",
        json!({"ca": ca["id"], "csr_pem": csr, "valid_days": 7}),
    )
    .await;
    assert_eq!(signed["names"], json!(["DNS:localhost"]));
    assert_eq!(signed["key"], Value::Null, "safelab does not hold that key");
    let (status, refusal) = post(
        &lab,
        "/api/certificates/own/listeners",
        json!({"certificate": signed["id"]}),
    )
    .await;
    assert_eq!(status, 409, "{refusal}");
    assert!(
        refusal["message"]
            .as_str()
            .is_some_and(|message| message.contains("pasted CSR")),
        "{refusal}"
    );
}

#[tokio::test]
async fn bounds_answer_a_clear_conflict() {
    let lab = Lab::start().await;
    let mut cas = Vec::new();
    for n in 1..=4 {
        cas.push(new_ca(&lab, &format!("CA {n}")).await);
    }
    let (status, refusal) = post(
        &lab,
        "/api/certificates/own/cas",
        json!({"name": "CA 5", "valid_days": 30}),
    )
    .await;
    assert_eq!(status, 409, "{refusal}");
    assert_eq!(refusal["code"], "too_many");
    let message = refusal["message"].as_str().expect("a message");
    assert!(
        message.contains("4 certificate authorities") && message.contains("reset"),
        "{message}"
    );

    let mut listeners = Vec::new();
    for _ in 0..3 {
        let signed = certificate(&lab, &cas[0], good_key(), 0, 30).await;
        listeners.push(start(&lab, &signed).await);
    }
    let fourth = certificate(&lab, &cas[0], good_key(), 0, 30).await;
    let (status, refusal) = post(
        &lab,
        "/api/certificates/own/listeners",
        json!({"certificate": fourth["id"]}),
    )
    .await;
    assert_eq!(status, 409, "{refusal}");
    let message = refusal["message"].as_str().expect("a message");
    assert!(
        message.contains("3 listeners running") && message.contains("stop one"),
        "{message}"
    );
    stop(&lab, &listeners[0]).await;
    start(&lab, &fourth).await;
}

#[tokio::test]
async fn bad_input_is_refused_with_what_to_do() {
    let lab = Lab::start().await;
    let ca = new_ca(&lab, "Careful CA").await;
    let too_long = "x".repeat(65);
    let cases = [
        (
            "/api/certificates/own/cas",
            json!({"name": too_long, "valid_days": 30}),
            422,
            "at most 64",
        ),
        (
            "/api/certificates/own/cas",
            json!({"name": "zero", "valid_days": 0}),
            422,
            "between 1 and 3650",
        ),
        (
            "/api/certificates/own/keys",
            json!({"common_name": "localhost", "names": ["bad name!"]}),
            422,
            "not a DNS name",
        ),
        (
            "/api/certificates/own/keys",
            json!({"common_name": "localhost", "names": vec!["localhost"; 9]}),
            422,
            "at most 8 names",
        ),
        (
            "/api/certificates/own/certificates",
            json!({"ca": ca["id"], "csr_pem": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", "valid_days": 3}),
            422,
            "does not decode",
        ),
        (
            "/api/certificates/own/certificates",
            json!({"ca": ca["id"], "csr_pem": "hello", "valid_days": 3}),
            422,
            "BEGIN CERTIFICATE REQUEST",
        ),
        (
            "/api/certificates/own/certificates",
            json!({"ca": ca["id"], "csr_pem": "x".repeat(20_000), "valid_days": 3}),
            422,
            "at most 16384 bytes",
        ),
        (
            "/api/certificates/own/certificates",
            json!({"ca": "ca-99", "csr_pem": "hello", "valid_days": 3}),
            404,
            "no CA \"ca-99\"",
        ),
        (
            "/api/certificates/own/listeners",
            json!({"certificate": "cert-42"}),
            404,
            "no certificate \"cert-42\"",
        ),
        (
            "/api/certificates/own/cas",
            json!({"name": "no validity"}),
            400,
            "valid_days",
        ),
    ];
    for (path, body, status, text) in cases {
        let (answered, refusal) = post(&lab, path, body).await;
        assert_eq!(answered, status, "{path}: {refusal}");
        let message = refusal["message"].as_str().expect("a message");
        assert!(message.contains(text), "{path}: {message:?} lacks {text:?}");
    }
    // A valid CSR whose signature was tampered with.
    let key = made(&lab, "/api/certificates/own/keys", good_key()).await;
    let csr = key["csr_pem"].as_str().expect("a CSR");
    let der: Vec<u8> =
        rustls::pki_types::CertificateSigningRequestDer::from_pem_slice(csr.as_bytes())
            .expect("PEM")
            .as_ref()
            .to_vec();
    let mut tampered = der.clone();
    let last = tampered.len() - 3;
    tampered[last] ^= 0x55;
    let tampered_pem = format!(
        "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &tampered)
    );
    let (status, refusal) = post(
        &lab,
        "/api/certificates/own/certificates",
        json!({"ca": ca["id"], "csr_pem": tampered_pem, "valid_days": 3}),
    )
    .await;
    assert_eq!(status, 422, "{refusal}");
}

#[tokio::test]
async fn python_trusting_myca_pem_accepts_a_good_listener_and_solves_the_exercise() {
    let lab = Lab::start().await;
    let ca = new_ca(&lab, "My lab CA").await;
    let signed = certificate(&lab, &ca, good_key(), 0, 30).await;
    let listener = start(&lab, &signed).await;
    let url = listener["url"].as_str().expect("a URL");

    // The inspector completes the handshake whatever it trusts, and its
    // request reaches the listener: that shows nothing was verified.
    let (status, exchange) = lab
        .exchange(json!({"method": "GET", "url": format!("{url}/"), "headers": [], "body": ""}))
        .await;
    assert_eq!(status, 200, "{exchange}");
    assert_eq!(exchange["status"], 200, "{exchange}");
    assert!(
        !lab.solved(LESSON).await.iter().any(|id| id == EXERCISE),
        "the inspector's own request must not solve it"
    );

    let learner = Learner::new(&lab).await;
    let output = python_get(&learner, ca["pem"].as_str().expect("PEM"), url).await;
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "OK 200",
        "{}",
        printed(&output)
    );
    lab.wait_until_solved(LESSON, EXERCISE).await;
    rustls_handshake(ca["pem"].as_str().expect("PEM"), &listener)
        .await
        .expect("rustls accepts it too");
}

/// One wrong choice: what the key asks for, the validity it is signed with,
/// whether the client trusts another CA than the signer, and the errors.
struct WrongChoice {
    what: &'static str,
    key: Value,
    starts_in_days: i32,
    valid_days: u32,
    trust_another_ca: bool,
    /// Python's `SSLError` text; `None` where Python accepts it (OpenSSL
    /// 3.0, which `requests` runs without `VERIFY_X509_STRICT`, takes a
    /// `CA:TRUE` server certificate).
    python: Option<&'static str>,
    rustls: &'static str,
}

#[tokio::test]
async fn each_wrong_choice_gets_the_real_error_from_python_and_rustls() {
    let lab = Lab::start().await;
    let signer = new_ca(&lab, "Signer CA").await;
    let other = new_ca(&lab, "Another CA").await;
    let with = |changes: Value| {
        let mut key = good_key();
        for (name, value) in changes.as_object().expect("an object") {
            key[name] = value.clone();
        }
        key
    };
    let wrong = [
        WrongChoice {
            what: "no subject alternative name",
            key: with(json!({"names": []})),
            starts_in_days: 0,
            valid_days: 30,
            trust_another_ca: false,
            python: Some(
                "certificate verify failed: Hostname mismatch, certificate is not valid for 'localhost'",
            ),
            rustls: "NotValidForName",
        },
        WrongChoice {
            what: "CA:TRUE on the server's certificate",
            key: with(json!({"is_ca": true})),
            starts_in_days: 0,
            valid_days: 30,
            trust_another_ca: false,
            python: None,
            rustls: "CaUsedAsEndEntity",
        },
        WrongChoice {
            what: "clientAuth instead of serverAuth",
            key: with(json!({"purpose": "client_auth"})),
            starts_in_days: 0,
            valid_days: 30,
            trust_another_ca: false,
            python: Some("certificate verify failed: unsuitable certificate purpose"),
            rustls: "InvalidPurpose",
        },
        WrongChoice {
            what: "expired",
            key: good_key(),
            starts_in_days: -10,
            valid_days: 5,
            trust_another_ca: false,
            python: Some("certificate verify failed: certificate has expired"),
            rustls: "Expired",
        },
        WrongChoice {
            what: "signed by another of your CAs",
            key: good_key(),
            starts_in_days: 0,
            valid_days: 30,
            trust_another_ca: true,
            python: Some("certificate verify failed: unable to get local issuer certificate"),
            rustls: "UnknownIssuer",
        },
    ];
    let learner = Learner::new(&lab).await;
    for choice in wrong {
        let signed = certificate(
            &lab,
            &signer,
            choice.key,
            choice.starts_in_days,
            choice.valid_days,
        )
        .await;
        let trusted = if choice.trust_another_ca {
            &other
        } else {
            &signer
        };
        let trusted_pem = trusted["pem"].as_str().expect("PEM");
        if !choice.trust_another_ca {
            assert!(
                signed["rustls_verdict"].is_string(),
                "{}: the listing says it fails: {signed}",
                choice.what
            );
        }
        let listener = start(&lab, &signed).await;
        let url = listener["url"].as_str().expect("a URL");
        let output = python_get(&learner, trusted_pem, url).await;
        let said = String::from_utf8_lossy(&output.stdout);
        let as_expected = match choice.python {
            Some(error) => said.starts_with("SSLError") && said.contains(error),
            None => said.trim() == "OK 200",
        };
        assert!(
            as_expected,
            "{}: Python said {}",
            choice.what,
            printed(&output)
        );
        let error = rustls_handshake(trusted_pem, &listener)
            .await
            .expect_err("rustls refuses it");
        assert!(
            format!("{error:?}").contains(choice.rustls),
            "{}: rustls said {error:?}",
            choice.what
        );
        stop(&lab, &listener).await;
    }
    assert!(
        !lab.solved(LESSON).await.iter().any(|id| id == EXERCISE),
        "no wrong choice solves the exercise"
    );
}

/// A stopped listener keeps no connection: one kept alive across the stop
/// is closed with it (or a script could pile up connections past every
/// listener's bound by starting and stopping listeners).
#[tokio::test]
async fn stopping_a_listener_closes_its_kept_alive_connections() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Idle connections live longer than the test waits: only the stop can
    // close this one in time.
    let lab = Lab::start_with(|config| {
        config.limits.headers = safelab_tests::PATIENCE * 4;
    })
    .await;
    let ca = new_ca(&lab, "Keep-alive CA").await;
    let signed = certificate(&lab, &ca, good_key(), 0, 30).await;
    let listener = start(&lab, &signed).await;
    let ca_pem = ca["pem"].as_str().expect("the CA's PEM");
    let mut kept = rustls_connect(ca_pem, &listener)
        .await
        .expect("the handshake succeeds");
    kept.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("the request goes out");
    let mut answer = vec![0_u8; 64 * 1024];
    let read = kept.read(&mut answer).await.expect("an answer");
    assert!(
        answer[..read].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer[..read])
    );

    stop(&lab, &listener).await;
    let closed = tokio::time::timeout(safelab_tests::PATIENCE, async {
        loop {
            match kept.read(&mut answer).await {
                Ok(0) | Err(_) => return,
                // The rest of the first answer's body, if any.
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the kept-alive connection is closed with its listener"
    );
}

#[tokio::test]
async fn the_lessons_reset_stops_every_listener_and_deletes_the_keys() {
    let lab = Lab::start().await;
    let ca = new_ca(&lab, "Short-lived CA").await;
    let signed = certificate(&lab, &ca, good_key(), 0, 30).await;
    let listener = start(&lab, &signed).await;
    let port = port_of(&listener);
    TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("the listener is up");
    let folder = lab.data.path().join("lab/certificates/own-ca");
    assert!(folder.exists());

    let response = reqwest::Client::new()
        .post(lab.app(&format!("/api/progress/{LESSON}/reset")))
        .send()
        .await
        .expect("resets");
    assert!(response.status().is_success(), "{}", response.status());

    poll("the listener's port to refuse connections", || async {
        TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
            .then_some(())
    })
    .await;
    assert!(!folder.exists(), "the keys are deleted");
    let listing = get_json(&lab.app("/api/certificates/own")).await;
    assert_eq!(
        listing,
        json!({"cas": [], "keys": [], "certificates": [], "listeners": []})
    );
    let (status, _) = lab
        .exchange(json!({"method": "GET", "url": listener["url"], "headers": [], "body": ""}))
        .await;
    assert_eq!(
        status, 403,
        "a stopped listener is no target for the inspector"
    );
}

/// The whole flow in the lesson page, clicked in a real Chromium: a CA, a key
/// and CSR, a signature, a listener, and the request builder sending to it
/// trusting that CA, which ends on the listener's TLS panel, verified, with
/// an answer that belongs to the request the builder shows.
#[tokio::test]
async fn in_chromium_the_flow_ends_on_the_tls_panel_of_the_learners_listener() {
    use safelab_tests::browser::{AppWindow, click, screenshot, text_of, value_of, wait_for};
    let lab = Lab::start().await;
    let window = AppWindow::open(&lab.app(&format!("/lessons/{LESSON}"))).await;
    let browser = &window.browser;
    let contains = |css: &'static str, text: &'static str| {
        poll(css, move || async move {
            text_of(browser, css)
                .await
                .filter(|found| found.contains(text))
        })
    };

    click(browser, "#own-ca-create-ca").await;
    contains("#own-ca-sign-ca", "My lab CA (ca-").await;
    click(browser, "#own-ca-create-key").await;
    poll("the CSR in step 3", || async {
        value_of(browser, "#own-ca-csr")
            .await
            .starts_with("-----BEGIN CERTIFICATE REQUEST-----")
            .then_some(())
    })
    .await;
    click(browser, "#own-ca-sign").await;
    contains(".own-ca-certificate", "rustls accepts it for localhost").await;
    click(browser, "#own-ca-start").await;
    let listing = poll("the listener to be listed", || async {
        let listing = get_json(&lab.app("/api/certificates/own")).await;
        listing["listeners"][0]["url"]
            .is_string()
            .then_some(listing)
    })
    .await;
    let url = listing["listeners"][0]["url"].as_str().expect("a URL");
    contains("#own-ca-python", "verify=\"myca.pem\"").await;
    let python = text_of(browser, "#own-ca-python").await.unwrap_or_default();
    assert!(
        python.contains(&format!("requests.get(\"{url}/\", verify=\"myca.pem\")")),
        "{python}"
    );
    let href = wait_for(browser, "#own-ca-download")
        .await
        .attr("href")
        .await
        .expect("an attribute")
        .expect("a link");
    let downloaded = reqwest::get(lab.app(&href))
        .await
        .expect("downloads")
        .text()
        .await
        .expect("PEM");
    assert_eq!(downloaded, listing["cas"][0]["pem"].as_str().expect("PEM"));
    // The equivalents beside the first step name the learner's choices.
    let openssl = script_text(browser, ".own-ca-openssl").await;
    assert!(openssl.contains("-subj '/CN=My lab CA'"), "{openssl}");

    click(browser, "#own-ca-verify").await;
    assert_eq!(
        value_of(browser, "#url").await,
        format!("{url}/"),
        "the builder holds the listener's URL"
    );
    let verdict = contains(".tls .verdict", "erified").await;
    screenshot(browser, "own-ca-flow").await;
    assert!(
        !lab.solved(LESSON).await.iter().any(|id| id == EXERCISE),
        "the inspector's request does not solve it"
    );
    assert!(
        verdict.contains("✔ Verified"),
        "the inspector trusted the learner's CA: {verdict}"
    );
    assert_eq!(
        text_of(browser, ".stale-note").await,
        None,
        "the answer belongs to the request the builder shows"
    );
}

/// The text content of `css`, hidden or not (a closed `<details>`).
async fn script_text(browser: &fantoccini::Client, css: &str) -> String {
    safelab_tests::browser::script(
        browser,
        &format!("return document.querySelector({css:?})?.textContent ?? '';"),
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// One set of choices for the terminal equivalents, and what `openssl
/// verify` says of the result (`None`: OK).
struct Choices {
    what: &'static str,
    ca_key: safelab_protocol::own_ca::KeyType,
    key: safelab_protocol::own_ca::NewKey,
    starts_in_days: i32,
    valid_days: u32,
    refusal: Option<&'static str>,
}

fn choice_sets() -> Vec<Choices> {
    use safelab_protocol::own_ca::{KeyType, KeyUsage, NewKey, Purpose};
    let good = NewKey {
        common_name: "localhost".into(),
        names: vec!["localhost".into(), "127.0.0.1".into()],
        is_ca: false,
        key_usage: vec![KeyUsage::DigitalSignature],
        purpose: Purpose::ServerAuth,
        key_type: KeyType::EcdsaP256,
    };
    vec![
        Choices {
            what: "a good server certificate",
            ca_key: KeyType::EcdsaP256,
            key: good.clone(),
            starts_in_days: 0,
            valid_days: 30,
            refusal: None,
        },
        Choices {
            what: "Ed25519 CA, P-384 server key",
            ca_key: KeyType::Ed25519,
            key: NewKey {
                key_type: KeyType::EcdsaP384,
                ..good.clone()
            },
            starts_in_days: 0,
            valid_days: 30,
            refusal: None,
        },
        // `openssl verify -verify_hostname` still falls back to the common
        // name (Python, curl and browsers no longer do): it says OK, and the
        // certificate is checked for having no SAN instead.
        Choices {
            what: "no subject alternative name",
            ca_key: KeyType::EcdsaP384,
            key: NewKey {
                names: Vec::new(),
                ..good.clone()
            },
            starts_in_days: 0,
            valid_days: 30,
            refusal: None,
        },
        Choices {
            what: "CA:TRUE on the server's certificate",
            ca_key: KeyType::EcdsaP256,
            key: NewKey {
                is_ca: true,
                ..good.clone()
            },
            starts_in_days: 0,
            valid_days: 30,
            refusal: None,
        },
        Choices {
            what: "clientAuth only",
            ca_key: KeyType::EcdsaP256,
            key: NewKey {
                purpose: Purpose::ClientAuth,
                ..good
            },
            starts_in_days: 0,
            valid_days: 30,
            refusal: Some("unsuitable certificate purpose"),
        },
    ]
}

/// Runs `script` with bash in `folder`; fails the test if it fails.
fn bash(folder: &std::path::Path, script: &str) -> String {
    let output = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(folder)
        .output()
        .expect("bash runs");
    assert!(output.status.success(), "{script}\n{}", printed(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `code` with the project's Python in `folder`.
fn python(folder: &std::path::Path, code: &str) {
    let interpreter = safelab_tests::tool(
        "SAFELAB_PYTHON",
        safelab_tests::repo_root().join(".local/venv/bin/python"),
        "the project's Python venv",
    );
    let output = std::process::Command::new(interpreter)
        .args(["-c", code])
        .current_dir(folder)
        .output()
        .expect("python runs");
    assert!(output.status.success(), "{code}\n{}", printed(&output));
}

/// What `openssl verify` says of `server.pem` in `folder`, as a server's
/// certificate for `localhost`, trusting `myca.pem`.
fn openssl_verdict(folder: &std::path::Path) -> String {
    let output = std::process::Command::new("openssl")
        .args([
            "verify",
            "-CAfile",
            "myca.pem",
            "-purpose",
            "sslserver",
            "-verify_hostname",
            "localhost",
            "server.pem",
        ])
        .current_dir(folder)
        .output()
        .expect("openssl runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `server.pem` in `folder` carries what `choices` asked for: its names (or
/// none), CA or not, and its extended key usage.
fn assert_made_as_chosen(choices: &Choices, route: &str, folder: &std::path::Path) {
    use safelab_protocol::own_ca::Purpose;
    let text = bash(folder, "openssl x509 -in server.pem -noout -text");
    let what = format!("{} ({route})", choices.what);
    assert_eq!(
        text.contains("X509v3 Subject Alternative Name"),
        !choices.key.names.is_empty(),
        "{what}: {text}"
    );
    let ca = if choices.key.is_ca {
        "CA:TRUE"
    } else {
        "CA:FALSE"
    };
    assert!(text.contains(ca), "{what}: {text}");
    let purpose = match choices.key.purpose {
        Purpose::ServerAuth => Some("TLS Web Server Authentication"),
        Purpose::ClientAuth => Some("TLS Web Client Authentication"),
        Purpose::None => None,
    };
    assert_eq!(
        text.contains("X509v3 Extended Key Usage"),
        purpose.is_some(),
        "{what}: {text}"
    );
    if let Some(purpose) = purpose {
        assert!(text.contains(purpose), "{what}: {text}");
    }
}

fn assert_keys_private(folder: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    for key in ["myca.key", "server.key"] {
        let mode = std::fs::metadata(folder.join(key))
            .expect("the key exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{key}");
    }
}

fn assert_verdict(choices: &Choices, route: &str, verdict: &str) {
    match choices.refusal {
        None => assert!(
            verdict.trim() == "server.pem: OK",
            "{} ({route}): {verdict}",
            choices.what
        ),
        Some(error) => assert!(
            verdict.contains(error) && !verdict.contains(": OK"),
            "{} ({route}): {verdict}",
            choices.what
        ),
    }
}

#[test]
fn the_openssl_and_cryptography_equivalents_make_what_the_flow_makes() {
    use safelab_protocol::own_ca::{NewCa, SignRequest, equivalents};
    for choices in choice_sets() {
        let ca = NewCa {
            name: "Ning's lab CA".into(),
            key_type: choices.ca_key,
            valid_days: 60,
        };
        let sign = SignRequest {
            ca: "ca-1".into(),
            csr_pem: String::new(),
            starts_in_days: choices.starts_in_days,
            valid_days: choices.valid_days,
        };
        let with_openssl = tempfile::tempdir().expect("a folder");
        for script in [
            equivalents::openssl_ca(&ca),
            equivalents::openssl_key(&choices.key),
            equivalents::openssl_sign(&sign, ca.key_type),
        ] {
            bash(with_openssl.path(), &script);
        }
        assert_keys_private(with_openssl.path());
        assert_made_as_chosen(&choices, "openssl", with_openssl.path());
        assert_verdict(&choices, "openssl", &openssl_verdict(with_openssl.path()));

        let with_python = tempfile::tempdir().expect("a folder");
        for code in [
            equivalents::python_ca(&ca),
            equivalents::python_key(&choices.key),
            equivalents::python_sign(&sign, ca.key_type),
        ] {
            python(with_python.path(), &code);
        }
        assert_keys_private(with_python.path());
        assert_verdict(
            &choices,
            "cryptography",
            &openssl_verdict(with_python.path()),
        );
    }
}

#[test]
fn the_cryptography_equivalent_makes_an_expired_certificate_on_purpose() {
    use safelab_protocol::own_ca::{
        KeyType, KeyUsage, NewCa, NewKey, Purpose, SignRequest, equivalents,
    };
    let folder = tempfile::tempdir().expect("a folder");
    let key = NewKey {
        common_name: "localhost".into(),
        names: vec!["localhost".into()],
        is_ca: false,
        key_usage: vec![KeyUsage::DigitalSignature],
        purpose: Purpose::ServerAuth,
        key_type: KeyType::EcdsaP256,
    };
    let ca = NewCa {
        name: "Expiry CA".into(),
        key_type: KeyType::EcdsaP256,
        valid_days: 60,
    };
    let sign = SignRequest {
        ca: "ca-1".into(),
        csr_pem: String::new(),
        starts_in_days: -10,
        valid_days: 5,
    };
    for code in [
        equivalents::python_ca(&ca),
        equivalents::python_key(&key),
        equivalents::python_sign(&sign, ca.key_type),
    ] {
        python(folder.path(), &code);
    }
    let verdict = openssl_verdict(folder.path());
    assert!(verdict.contains("certificate has expired"), "{verdict}");
}

/// A learner's CA vouches for this machine only, whatever CSR it is given:
/// a certificate it signs for a real site's name, or an intermediate it signs
/// for one, is refused by OpenSSL for its name constraints.
#[tokio::test]
async fn a_learners_ca_cannot_vouch_for_a_real_site() {
    let lab = Lab::start().await;
    let ca = new_ca(&lab, "Constrained CA").await;
    let mut bank = good_key();
    bank["common_name"] = json!("www.bank.example");
    bank["names"] = json!(["www.bank.example"]);
    let leaf = certificate(&lab, &ca, bank.clone(), 0, 30).await;
    bank["is_ca"] = json!(true);
    bank["key_usage"] = json!(["key_cert_sign"]);
    let intermediate = certificate(&lab, &ca, bank, 0, 30).await;

    let folder = tempfile::tempdir().expect("a folder");
    for (name, value) in [
        ("myca.pem", &ca),
        ("leaf.pem", &leaf),
        ("inter.pem", &intermediate),
    ] {
        std::fs::write(
            folder.path().join(name),
            value["pem"].as_str().expect("PEM"),
        )
        .expect("saved");
    }
    for certificate in ["leaf.pem", "inter.pem"] {
        let verdict = bash(
            folder.path(),
            &format!("openssl verify -CAfile myca.pem {certificate} 2>&1 || true"),
        );
        assert!(
            verdict.contains("permitted subtree violation"),
            "{certificate}: {verdict}"
        );
    }
}
