//! "The browser warns" against "the browser accepts": a real Chromium whose
//! trust store (NSS, in a throwaway `HOME`) holds safelab's CA loads the HTTPS
//! lab without an interstitial; the same Chromium without it refuses with its
//! certificate error. This is what the lesson's trust instructions do to a
//! learner's own browser, and how to undo it.

use std::path::Path;

use safelab_tests::browser::{Driver, trust_in_nss, untrust_in_nss};
use safelab_tests::{Lab, poll};

/// What the HTTPS lab's `/lab/hello` answers.
const HELLO: &str = "Hello from the safelab lab!";

/// The text of the page Chromium shows after going to `url`, once it has one.
async fn page_text(lab_url: &str, home: Option<&Path>) -> String {
    let driver = Driver::start_with_home(home).await;
    let profile = tempfile::tempdir().expect("profile folder");
    let browser = driver.browser(profile.path(), (1000, 700)).await;
    browser.goto(lab_url).await.expect("navigates");
    let text = poll("a page to show", || async {
        let text = browser
            .execute(
                "return document.body ? document.body.innerText : ''",
                vec![],
            )
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
