//! A real headless Chromium driven through chromedriver, for the end-to-end
//! tests and the first-paint benchmark.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::{poll, tool};

/// chromedriver, stopped when dropped.
pub struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Driver {
    /// Starts the chromedriver the README's test command installed, on a free port.
    pub async fn start() -> Self {
        let chromedriver = tool(
            "SAFELAB_CHROMEDRIVER",
            "/usr/bin/chromedriver",
            "chromedriver",
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
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
        Self { process, url }
    }

    /// A new Chromium session with an empty profile in `profile` (so nothing is
    /// cached), its window `width`×`height` CSS pixels.
    pub async fn browser(&self, profile: &Path, (width, height): (u32, u32)) -> Client {
        let chromium = tool("SAFELAB_CHROMIUM", "/usr/bin/chromium", "Chromium");
        // Without the background-networking flags Chromium floods the closed
        // network with connection attempts (shared/TOOLCHAIN.md).
        let arguments = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            format!("--window-size={width},{height}"),
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
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

/// The text of the first element matching `css`, if there is one.
pub async fn text_of(browser: &Client, css: &str) -> Option<String> {
    browser
        .find(Locator::Css(css))
        .await
        .ok()?
        .text()
        .await
        .ok()
}

/// Runs `script` (a function body that may `return`) and gives its result.
pub async fn script(browser: &Client, script: &str) -> serde_json::Value {
    browser
        .execute(script, Vec::new())
        .await
        .unwrap_or_else(|error| panic!("script failed: {error}\n{script}"))
}
