//! The newcomer's path in a real headless Chromium: open the app, press "Try it"
//! in lesson 1, switch to the HTTPS lab, send, and read status and chain.

use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use safelab_tests::{Lab, poll, repo_root, tool};

/// chromedriver, stopped when dropped.
struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

async fn start_driver() -> Driver {
    let chromedriver = tool(
        "SAFELAB_CHROMEDRIVER",
        "/usr/bin/chromedriver",
        "chromedriver",
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let process = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let status = format!("{url}/status");
    poll("chromedriver to answer", || async {
        reqwest::get(&status)
            .await
            .ok()
            .filter(|response| response.status().is_success())
    })
    .await;
    Driver { process, url }
}

async fn open_browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let chromium = tool("SAFELAB_CHROMIUM", "/usr/bin/chromium", "Chromium");
    let arguments = [
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1280,800".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let capabilities = serde_json::json!({
        "goog:chromeOptions": { "binary": chromium, "args": arguments }
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("an object literal")
    };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

async fn text_of(browser: &Client, css: &str) -> Option<String> {
    browser
        .find(Locator::Css(css))
        .await
        .ok()?
        .text()
        .await
        .ok()
}

#[tokio::test]
async fn try_it_then_https_shows_status_and_chain() {
    assert!(
        repo_root().join("dist/index.html").exists(),
        "the app is not built: run `bash .ci/test` (it runs trunk build)"
    );
    let lab = Lab::start().await;
    let driver = start_driver().await;
    let profile = tempfile::tempdir().expect("profile folder");
    let browser = open_browser(&driver, profile.path()).await;

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
