//! The inspector names what failed: one HTTPS lab, verified against each trust
//! store a learner can pick and for a name its certificate does not carry;
//! the failed check and the certificate it concerns, as the API answers them
//! and as the app shows them in Chromium.

use fantoccini::Locator;
use safelab_tests::Lab;
use safelab_tests::browser::{
    AppWindow, click, screenshot, script, text_of, wait_for, wait_for_text,
};
use serde_json::{Value, json};

/// Sends `GET /lab/hello` on the HTTPS lab with `trust`; the TLS part of the answer.
async fn tls_with(lab: &Lab, url: &str, trust: Value) -> Value {
    let (status, exchange) = lab
        .exchange(json!({"method": "GET", "url": url, "trust": trust}))
        .await;
    assert_eq!(status, 200, "{exchange}");
    assert_eq!(
        exchange["status"], 200,
        "the lab answers whatever the verdict"
    );
    exchange["tls"].clone()
}

fn subjects(tls: &Value) -> Vec<String> {
    tls["chain"]
        .as_array()
        .expect("chain")
        .iter()
        .map(|certificate| {
            certificate["subject"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn each_trust_store_gives_its_own_verdict_on_the_https_lab() {
    let lab = Lab::start().await;
    let url = lab.https("/lab/hello");

    let safelab = tls_with(&lab, &url, json!({"kind": "safelab"})).await;
    assert_eq!(safelab["verified"], true, "{safelab}");
    assert!(safelab["failure"].is_null() && safelab["error"].is_null());
    assert!(
        safelab["trust_store"]
            .as_str()
            .unwrap_or_default()
            .contains("safelab")
    );

    // No root, or the operating system's (which never hold safelab's own):
    // the chain leads to safelab's intermediate, whose issuer is not trusted.
    for (trust, store_words) in [
        (json!({"kind": "none"}), "none"),
        (json!({"kind": "system"}), "this computer's roots"),
    ] {
        let tls = tls_with(&lab, &url, trust.clone()).await;
        assert_eq!(tls["verified"], false, "{trust}: {tls}");
        assert!(
            tls["trust_store"]
                .as_str()
                .unwrap_or_default()
                .contains(store_words),
            "{tls}"
        );
        let failure = &tls["failure"];
        assert_eq!(failure["check"], "untrusted_root", "{trust}: {failure}");
        assert_eq!(failure["certificate"], 1, "the intermediate: {failure}");
        assert_eq!(failure["requested_name"], "localhost");
        assert!(
            failure["library_name"]
                .as_str()
                .unwrap_or_default()
                .contains("UnknownIssuer"),
            "{failure}"
        );
        let chain = subjects(&tls);
        assert_eq!(chain.len(), 2, "only what the server sent: {chain:?}");
        assert!(chain[1].contains("intermediate"), "{chain:?}");
        let error = tls["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(failure["explanation"].as_str().unwrap_or("?")),
            "the sentence and the failure agree: {error}"
        );
    }

    // The learner's own CA, pasted: safelab's root as a PEM verifies.
    let pem = tls_with(&lab, &url, json!({"kind": "pem", "pem": lab.ca_pem()})).await;
    assert_eq!(pem["verified"], true, "{pem}");
    assert!(
        pem["trust_store"]
            .as_str()
            .unwrap_or_default()
            .contains("your own CA")
    );
    assert_eq!(
        subjects(&pem).len(),
        3,
        "leaf, intermediate, the pasted root"
    );
}

#[tokio::test]
async fn a_trust_store_that_is_not_one_is_a_400_naming_the_problem() {
    let lab = Lab::start().await;
    let url = lab.https("/lab/hello");
    let key = rcgen::KeyPair::generate().expect("key").serialize_pem();
    for (pem, words) in [
        ("not a certificate at all".to_owned(), "not PEM"),
        (key, "no certificate"),
        (lab.ca_pem().repeat(17), "more than 16"),
        ("x".repeat(70 * 1024), "64 KiB"),
    ] {
        let (status, error) = lab
            .exchange(json!({"method": "GET", "url": url, "trust": {"kind": "pem", "pem": pem}}))
            .await;
        assert_eq!(
            (status, error["code"].as_str()),
            (400, Some("invalid_trust_store")),
            "{error}"
        );
        assert!(
            error["message"]
                .as_str()
                .unwrap_or_default()
                .contains(words),
            "{words}: {error}"
        );
    }
}

/// Forwards connections to `127.0.0.2` on the HTTPS lab's own port to the lab,
/// so the lab answers on an address its certificate does not name.
async fn forward_from_127_0_0_2(lab: &Lab) {
    let https = lab.running.https_address;
    let listener = tokio::net::TcpListener::bind(("127.0.0.2", https.port()))
        .await
        .expect("127.0.0.2 is a loopback address too");
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(https).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
}

#[tokio::test]
async fn another_loopback_name_is_a_wrong_host_on_the_leaf() {
    // 127.0.0.2, allowed as an address, on the HTTPS lab's port: the inspector
    // treats it as the lab listener it leads to, and shows the verdict.
    let lab = Lab::start_with(|config| config.allow_hosts.push("127.0.0.2".to_owned())).await;
    forward_from_127_0_0_2(&lab).await;
    let port = lab.running.https_address.port();
    let tls = tls_with(
        &lab,
        &format!("https://127.0.0.2:{port}/lab/hello"),
        json!({"kind": "safelab"}),
    )
    .await;
    assert_eq!(tls["verified"], false, "{tls}");
    let failure = &tls["failure"];
    assert_eq!(failure["check"], "wrong_host", "{failure}");
    assert_eq!(failure["certificate"], 0);
    assert_eq!(failure["requested_name"], "127.0.0.2");
    assert!(
        failure["library_name"]
            .as_str()
            .unwrap_or_default()
            .contains("NotValidForName"),
        "{failure}"
    );
    let sans = tls["chain"][0]["sans"].as_array().expect("sans");
    assert!(!sans.contains(&json!("IP:127.0.0.2")), "{sans:?}");
    // The path to the root is still found and shown: only the name is wrong.
    assert_eq!(subjects(&tls).len(), 3);
}

/// In the app: "none" shows the failure with the intermediate highlighted;
/// the CA pasted as the learner's own verifies again.
#[tokio::test]
async fn the_app_highlights_the_failing_certificate_and_verifies_with_a_pasted_ca() {
    let lab = Lab::start().await;
    let window = AppWindow::open(&lab.app("/")).await;
    let browser = &window.browser;
    wait_for(browser, "#listener-https").await;
    click(browser, "#listener-https").await;

    browser
        .find(Locator::Css("#trust-store"))
        .await
        .expect("the trust-store choice")
        .select_by_value("none")
        .await
        .expect("choose none");
    click(browser, "#send").await;
    wait_for_text(browser, ".verdict strong", "✘ Not verified").await;
    let check = text_of(browser, ".failure-check").await.unwrap_or_default();
    assert!(
        check.contains("not in your trust store") || check.contains("root"),
        "{check}"
    );
    let library = text_of(browser, ".failure-library")
        .await
        .unwrap_or_default();
    assert!(library.contains("UnknownIssuer"), "{library}");
    let failed = script(
        browser,
        "return [...document.querySelectorAll('.chain > li.certificate')].map((li) => li.classList.contains('failed'));",
    )
    .await;
    assert_eq!(
        failed,
        json!([false, true]),
        "the intermediate is highlighted"
    );
    script(
        browser,
        "document.querySelector('.certificate.failed').scrollIntoView(); return true;",
    )
    .await;
    screenshot(browser, "certificates-untrusted-root").await;
    let label = text_of(browser, ".chain > li.certificate.failed .failed-label")
        .await
        .unwrap_or_default();
    assert!(label.contains("not in your trust store"), "{label}");

    browser
        .find(Locator::Css("#trust-store"))
        .await
        .expect("the trust-store choice")
        .select_by_value("pem")
        .await
        .expect("choose own CA");
    wait_for(browser, "#trust-pem").await;
    set_value(browser, "trust-pem", &lab.ca_pem()).await;
    click(browser, "#send").await;
    wait_for_text(browser, ".verdict strong", "✔ Verified").await;
    let store = text_of(browser, ".verdict-text").await.unwrap_or_default();
    assert!(store.contains("your own CA"), "{store}");
    assert_eq!(
        script(
            browser,
            "return document.querySelectorAll('.certificate.failed').length;"
        )
        .await,
        json!(0)
    );
    // Uploaded instead of pasted: the file is read in the browser into the
    // same field, for the next Send.
    set_value(browser, "trust-pem", "").await;
    let folder = tempfile::tempdir().expect("folder");
    let file = folder.path().join("myca.pem");
    std::fs::write(&file, lab.ca_pem()).expect("write myca.pem");
    wait_for(browser, "#trust-pem-file")
        .await
        .send_keys(&file.to_string_lossy())
        .await
        .expect("choose the file");
    wait_for_text(
        browser,
        ".upload-note",
        "Read myca.pem: it is sent with the next request.",
    )
    .await;
    assert_eq!(
        script(
            browser,
            "return document.getElementById('trust-pem').value;"
        )
        .await,
        json!(lab.ca_pem())
    );
}

/// Sets the value of the field with this id as typing would (an `input` event).
async fn set_value(browser: &fantoccini::Client, id: &str, value: &str) {
    let value = serde_json::to_string(value).expect("json");
    script(
        browser,
        &format!(
            "const field = document.getElementById('{id}'); field.value = {value}; field.dispatchEvent(new Event('input', {{bubbles: true}})); return true;"
        ),
    )
    .await;
}

/// In the app: a name the certificate does not carry marks the leaf, its SAN
/// list and the name that was asked for.
#[tokio::test]
async fn the_app_marks_the_requested_name_on_a_wrong_host() {
    let lab = Lab::start_with(|config| config.allow_hosts.push("127.0.0.2".to_owned())).await;
    forward_from_127_0_0_2(&lab).await;
    let window = AppWindow::open(&lab.app("/")).await;
    let browser = &window.browser;
    wait_for(browser, "#url").await;
    let port = lab.running.https_address.port();
    set_value(
        browser,
        "url",
        &format!("https://127.0.0.2:{port}/lab/hello"),
    )
    .await;
    click(browser, "#send").await;
    wait_for_text(browser, ".verdict strong", "✘ Not verified").await;
    let failed = script(
        browser,
        "return [...document.querySelectorAll('.chain > li.certificate')].map((li) => li.classList.contains('failed'));",
    )
    .await;
    assert_eq!(
        failed,
        json!([true, false, false]),
        "the leaf is highlighted"
    );
    assert_eq!(
        text_of(browser, ".certificate.failed .requested-name mark")
            .await
            .unwrap_or_default(),
        "127.0.0.2"
    );
    let sans = text_of(browser, ".certificate.failed .sans.marked")
        .await
        .unwrap_or_default();
    assert!(sans.contains("DNS:localhost"), "{sans}");
    let label = text_of(browser, ".certificate.failed .failed-label")
        .await
        .unwrap_or_default();
    assert!(label.contains("Does not name 127.0.0.2"), "{label}");
    script(
        browser,
        "document.querySelector('.certificate.failed').scrollIntoView(); return true;",
    )
    .await;
    screenshot(browser, "certificates-wrong-host").await;
}

/// In the app: the expired listener, picked from the builder's broken
/// certificates, is highlighted with its validity against now.
#[tokio::test]
async fn the_app_shows_an_expired_certificate_s_validity_against_now() {
    let lab = Lab::start().await;
    let window = AppWindow::open(&lab.app("/")).await;
    let browser = &window.browser;
    wait_for(browser, "#url").await;
    click(browser, "#broken-listeners > summary").await;
    click(browser, "#broken-expired").await;
    click(browser, "#send").await;
    wait_for_text(browser, ".verdict strong", "✘ Not verified").await;
    let check = text_of(browser, ".failure-check").await.unwrap_or_default();
    assert_eq!(check, "Expired certificate");
    let library = text_of(browser, ".failure-library")
        .await
        .unwrap_or_default();
    assert!(library.contains("CertificateError::Expired"), "{library}");
    wait_for(browser, ".certificate.failed .validity-bar").await;
    let note = text_of(browser, ".certificate.failed .validity-note")
        .await
        .unwrap_or_default();
    assert!(note.contains("30 days after its validity ended"), "{note}");
    script(
        browser,
        "document.querySelector('.certificate.failed').scrollIntoView(); return true;",
    )
    .await;
    screenshot(browser, "certificates-expired").await;
}
