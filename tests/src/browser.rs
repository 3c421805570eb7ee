//! A real headless Chromium driven through chromedriver, for the end-to-end
//! tests and the first-paint benchmark.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::{poll, tool};

/// chromedriver, stopped when dropped with every browser it started: it runs
/// in a process group of its own, and the whole group is killed, so a test
/// that fails half-way leaves no Chromium behind.
pub struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.process.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Driver {
    /// Starts the chromedriver the README's test command installed, on a free port.
    pub async fn start() -> Self {
        Self::start_with_home(None).await
    }

    /// Starts chromedriver with `HOME` set to `home`, so every Chromium it starts
    /// reads that folder's NSS trust store (`.pki/nssdb`) instead of the user's.
    pub async fn start_with_home(home: Option<&Path>) -> Self {
        let chromedriver = tool(
            "SAFELAB_CHROMEDRIVER",
            "/usr/bin/chromedriver",
            "chromedriver",
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut command = Command::new(chromedriver);
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(home) = home {
            command.env("HOME", home);
        }
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let process = command.spawn().expect("chromedriver starts");
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

/// The built app open in a fresh headless Chromium with an empty profile,
/// as a new learner opens it; the browser, its driver and the profile go
/// when this is dropped.
pub struct AppWindow {
    /// The browser, on the page it was opened at.
    pub browser: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl AppWindow {
    /// Opens `url` (a page of the app) in a window of 1280×900 CSS pixels.
    /// Fails with what to run when the app has not been built.
    pub async fn open(url: &str) -> Self {
        assert!(
            crate::repo_root().join("dist/index.html").exists(),
            "the app is not built: run `bash .ci/test` (it runs trunk build)"
        );
        let driver = Driver::start().await;
        let profile = tempfile::tempdir().expect("profile folder");
        let browser = driver.browser(profile.path(), (1280, 900)).await;
        browser.goto(url).await.expect("the app opens");
        Self {
            browser,
            _driver: driver,
            _profile: profile,
        }
    }
}

/// A Chrome DevTools Protocol command, sent through chromedriver to the
/// current tab (`Network.clearBrowserCache`, `Page.addScriptToEvaluateOnNewDocument`).
#[derive(Debug)]
pub struct Cdp {
    /// The method, `Domain.command`.
    pub method: &'static str,
    /// Its parameters.
    pub params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.method, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Sends one DevTools command to the current tab.
pub async fn cdp(browser: &Client, method: &'static str, params: serde_json::Value) {
    browser
        .issue_cmd(Cdp { method, params })
        .await
        .unwrap_or_else(|error| panic!("{method}: {error}"));
}

/// Sends one DevTools command to the current tab and gives its result
/// (`Page.navigate` answers `errorText` when the page failed to load).
pub async fn cdp_result(
    browser: &Client,
    method: &'static str,
    params: serde_json::Value,
) -> serde_json::Value {
    browser
        .issue_cmd(Cdp { method, params })
        .await
        .unwrap_or_else(|error| panic!("{method}: {error}"))
}

/// Navigates the current tab to `url` and gives the network error that
/// stopped it (`net::ERR_CERT_DATE_INVALID`), or `None` if the page loaded.
/// A certificate error comes back as `Page.navigate`'s `errorText`; a
/// handshake that failed outright (`net::ERR_SSL_…`) as chromedriver's error.
pub async fn navigation_error(browser: &Client, url: &str) -> Option<String> {
    let params = serde_json::json!({ "url": url });
    match browser
        .issue_cmd(Cdp {
            method: "Page.navigate",
            params,
        })
        .await
    {
        Ok(result) => result
            .get("errorText")
            .and_then(serde_json::Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_owned),
        Err(error) => {
            let message = error.to_string();
            let start = message
                .find("net::ERR_")
                .unwrap_or_else(|| panic!("Page.navigate to {url}: {message}"));
            let code: String = message[start..]
                .chars()
                .take_while(|character| {
                    character.is_ascii_alphanumeric() || matches!(character, '_' | ':')
                })
                .collect();
            Some(code)
        }
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

/// Saves a screenshot as `NAME.png` in the folder `SAFELAB_SCREENSHOTS` names,
/// for a person to look at; does nothing without it.
pub async fn screenshot(browser: &Client, name: &str) {
    let Some(folder) = std::env::var_os("SAFELAB_SCREENSHOTS") else {
        return;
    };
    let png = browser.screenshot().await.expect("a screenshot");
    std::fs::create_dir_all(&folder).expect("screenshot folder");
    std::fs::write(Path::new(&folder).join(format!("{name}.png")), png).expect("write screenshot");
}

/// Whether the element matching `css` lies wholly inside the window (give or
/// take the pixel that subpixel layout rounds away).
pub async fn in_view(browser: &Client, css: &str) -> bool {
    let check = format!(
        "const element = document.querySelector({css:?}); if (!element) return false; \
         const box = element.getBoundingClientRect(); \
         return box.height > 0 && box.top >= -1 && box.left >= -1 && \
           box.bottom <= window.innerHeight + 1 && box.right <= window.innerWidth + 1;"
    );
    script(browser, &check).await == serde_json::Value::Bool(true)
}

/// Waits until `css` matches an element and gives it.
pub async fn wait_for(browser: &Client, css: &str) -> fantoccini::elements::Element {
    poll(css, || async { browser.find(Locator::Css(css)).await.ok() }).await
}

/// Waits until the element matching `css` has exactly `text` as its text.
pub async fn wait_for_text(browser: &Client, css: &str, text: &str) {
    poll(&format!("{css} to read {text:?}"), || async {
        (text_of(browser, css).await.as_deref() == Some(text)).then_some(())
    })
    .await;
}

/// Clicks the element matching `css`.
pub async fn click(browser: &Client, css: &str) {
    wait_for(browser, css)
        .await
        .click()
        .await
        .unwrap_or_else(|error| panic!("clicking {css}: {error}"));
}

/// The value of the input matching `css`.
pub async fn value_of(browser: &Client, css: &str) -> String {
    wait_for(browser, css)
        .await
        .prop("value")
        .await
        .expect("a value")
        .unwrap_or_default()
}

/// An NSS database in `home/.pki/nssdb`, where Chromium on Linux keeps the
/// user's own trust settings, holding `ca_pem` as a CA trusted for websites
/// (`-t C,,`), as the certificates lesson's `certutil` instructions do. Start
/// chromedriver with [`Driver::start_with_home`]`(Some(home))` to use it.
pub fn trust_in_nss(home: &Path, ca_pem: &str) {
    let database = home.join(".pki/nssdb");
    std::fs::create_dir_all(&database).expect("the NSS folder");
    let ca = home.join("safelab-ca.pem");
    std::fs::write(&ca, ca_pem).expect("save the CA");
    let store = format!("sql:{}", database.display());
    certutil(&["-N", "-d", &store, "--empty-password"]);
    certutil(&[
        "-A",
        "-d",
        &store,
        "-n",
        NSS_NICKNAME,
        "-t",
        "C,,",
        "-i",
        &ca.display().to_string(),
    ]);
    let listed = certutil(&["-L", "-d", &store]);
    assert!(
        listed.contains(NSS_NICKNAME),
        "the CA is in the store: {listed}"
    );
}

/// Removes the CA [`trust_in_nss`] added, as the lesson's "undo" does.
pub fn untrust_in_nss(home: &Path) {
    let store = format!("sql:{}", home.join(".pki/nssdb").display());
    certutil(&["-D", "-d", &store, "-n", NSS_NICKNAME]);
}

/// The name the lab's CA goes by in a test's NSS database.
const NSS_NICKNAME: &str = "safelab";

/// Runs NSS's `certutil` (the README's test command installs it); fails the
/// test if it fails, and gives what it printed.
fn certutil(arguments: &[&str]) -> String {
    let certutil = tool("SAFELAB_CERTUTIL", "/usr/bin/certutil", "NSS's certutil");
    let output = Command::new(certutil)
        .args(arguments)
        .output()
        .expect("certutil runs");
    assert!(
        output.status.success(),
        "certutil {arguments:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Chooses the file at `path` in the file input matching `css`, as a person
/// does through the file dialog (chromedriver reads the file itself).
pub async fn choose_file(browser: &Client, css: &str, path: &Path) {
    wait_for(browser, css)
        .await
        .send_keys(&path.display().to_string())
        .await
        .unwrap_or_else(|error| panic!("choosing {} in {css}: {error}", path.display()));
}

/// Drops a file called `name` holding `bytes` on the element matching `css`:
/// a `drop` event whose `DataTransfer` carries the file, as the browser fires
/// when a file is dragged from the desktop.
pub async fn drop_file(browser: &Client, css: &str, name: &str, bytes: &[u8]) {
    use base64::Engine as _;
    wait_for(browser, css).await;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let dropped = script(
        browser,
        &format!(
            "const zone = document.querySelector({css:?}); \
             const bytes = Uint8Array.from(atob({encoded:?}), (c) => c.charCodeAt(0)); \
             const transfer = new DataTransfer(); \
             transfer.items.add(new File([bytes], {name:?})); \
             zone.dispatchEvent(new DragEvent('dragover', {{ dataTransfer: transfer, bubbles: true, cancelable: true }})); \
             return zone.dispatchEvent(new DragEvent('drop', {{ dataTransfer: transfer, bubbles: true, cancelable: true }}));"
        ),
    )
    .await;
    // dispatchEvent answers false when a handler called preventDefault, as
    // a drop zone must (else the browser opens the file instead).
    assert_eq!(
        dropped,
        serde_json::Value::Bool(false),
        "{css} took the drop"
    );
}
