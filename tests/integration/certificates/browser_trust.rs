//! "The browser warns" against "the browser accepts": a real Chromium whose
//! trust store (NSS, in a throwaway `HOME`) holds safelab's CA loads the HTTPS
//! lab without an interstitial; the same Chromium without it refuses with its
//! certificate error. This is what the lesson's trust instructions do to a
//! learner's own browser, and how to undo it.

use std::path::Path;
use std::process::Command;

use safelab_tests::browser::Driver;
use safelab_tests::{Lab, poll, tool};

/// What the HTTPS lab's `/lab/hello` answers.
const HELLO: &str = "Hello from the safelab lab!";

/// An NSS database in `home/.pki/nssdb`, where Chromium on Linux keeps the
/// user's own trust settings, holding `ca_pem` as a CA trusted for websites
/// (`-t C,,`), as `certutil` in the lesson's instructions does.
fn trust_in_nss(home: &Path, ca_pem: &str) {
    let certutil = tool("SAFELAB_CERTUTIL", "/usr/bin/certutil", "NSS's certutil");
    let database = home.join(".pki/nssdb");
    std::fs::create_dir_all(&database).expect("the NSS folder");
    let ca = home.join("safelab-ca.pem");
    std::fs::write(&ca, ca_pem).expect("save the CA");
    let store = format!("sql:{}", database.display());
    let run = |arguments: &[&str]| {
        let output = Command::new(&certutil)
            .args(arguments)
            .output()
            .expect("certutil runs");
        assert!(
            output.status.success(),
            "certutil {arguments:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    run(&["-N", "-d", &store, "--empty-password"]);
    run(&[
        "-A",
        "-d",
        &store,
        "-n",
        "safelab",
        "-t",
        "C,,",
        "-i",
        &ca.display().to_string(),
    ]);
    let listed = run(&["-L", "-d", &store]);
    assert!(listed.contains("safelab"), "the CA is in the store: {listed}");
}

/// Removes the CA from the NSS database again, as the lesson's "undo" does.
fn untrust_in_nss(home: &Path) {
    let certutil = tool("SAFELAB_CERTUTIL", "/usr/bin/certutil", "NSS's certutil");
    let store = format!("sql:{}", home.join(".pki/nssdb").display());
    let status = Command::new(&certutil)
        .args(["-D", "-d", &store, "-n", "safelab"])
        .status()
        .expect("certutil runs");
    assert!(status.success(), "certutil -D removes the CA");
}

/// The text of the page Chromium shows after going to `url`, once it has one.
async fn page_text(lab_url: &str, home: Option<&Path>) -> String {
    let driver = Driver::start_with_home(home).await;
    let profile = tempfile::tempdir().expect("profile folder");
    let browser = driver.browser(profile.path(), (1000, 700)).await;
    browser.goto(lab_url).await.expect("navigates");
    let text = poll("a page to show", || async {
        let text = browser
            .execute("return document.body ? document.body.innerText : ''", vec![])
            .await
            .ok()?;
        text.as_str()
            .map(str::to_owned)
            .filter(|text| !text.trim().is_empty())
    })
    .await;
    let _ = browser.close().await;
    text
}

#[tokio::test]
async fn chromium_trusting_the_lab_ca_loads_the_https_lab_without_a_warning_until_it_is_removed() {
    let lab = Lab::start().await;
    let home = tempfile::tempdir().expect("a throwaway HOME");
    trust_in_nss(home.path(), &lab.ca_pem());
    let text = page_text(&lab.https("/lab/hello"), Some(home.path())).await;
    assert!(
        text.contains(HELLO),
        "no interstitial, the lab's answer: {text}"
    );

    untrust_in_nss(home.path());
    let text = page_text(&lab.https("/lab/hello"), Some(home.path())).await;
    assert!(
        text.contains("NET::ERR_CERT_AUTHORITY_INVALID"),
        "once removed, the CA no longer vouches for the lab: {text}"
    );
}

#[tokio::test]
async fn chromium_without_the_lab_ca_refuses_with_its_certificate_error() {
    let lab = Lab::start().await;
    let home = tempfile::tempdir().expect("a throwaway HOME");
    let text = page_text(&lab.https("/lab/hello"), Some(home.path())).await;
    assert!(
        !text.contains(HELLO),
        "the lab's answer must not show: {text}"
    );
    assert!(
        text.contains("NET::ERR_CERT_AUTHORITY_INVALID"),
        "Chromium's interstitial names its error: {text}"
    );
}
