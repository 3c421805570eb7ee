//! The newcomer's path in a real headless Chromium: open the app, press "Try it"
//! in lesson 1, switch to the HTTPS lab, send, and read status and chain.

use fantoccini::Locator;
use safelab_tests::browser::{Driver, text_of};
use safelab_tests::{Lab, poll, repo_root};

#[tokio::test]
async fn try_it_then_https_shows_status_and_chain() {
    assert!(
        repo_root().join("dist/index.html").exists(),
        "the app is not built: run `bash .ci/test` (it runs trunk build)"
    );
    let lab = Lab::start().await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().expect("profile folder");
    let browser = driver.browser(profile.path(), (1280, 800)).await;

    browser.goto(&lab.http("/")).await.expect("the app opens");
    let try_it = poll("lesson 1 with a Try it button", || async {
        browser
            .find(Locator::Css("button.try-it-button"))
            .await
            .ok()
    })
    .await;
    let title = text_of(&browser, "#lesson-title").await.unwrap_or_default();
    assert_eq!(title, "How the web works");
    try_it.click().await.expect("Try it");

    let url_field = browser.find(Locator::Id("url")).await.expect("URL field");
    let filled = url_field
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert_eq!(filled, lab.http("/lab/hello"));

    browser
        .find(Locator::Id("listener-https"))
        .await
        .expect("HTTPS lab button")
        .click()
        .await
        .expect("click");
    let switched = url_field
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert_eq!(switched, lab.https("/lab/hello"));
    browser
        .find(Locator::Id("send"))
        .await
        .expect("Send")
        .click()
        .await
        .expect("click");

    let status = poll("the response status", || text_of(&browser, ".status-code")).await;
    assert_eq!(status, "200");
    let class = text_of(&browser, ".status-class").await.unwrap_or_default();
    assert_eq!(class, "2xx Success");
    let certificates = browser
        .find_all(Locator::Css(".chain > li.certificate"))
        .await
        .expect("chain");
    assert!(
        certificates.len() >= 2,
        "chain shows {} certificates",
        certificates.len()
    );
    let verdict = text_of(&browser, ".verdict").await.unwrap_or_default();
    assert!(verdict.contains("Verified"), "{verdict}");

    browser.close().await.expect("closes");
}
