//! How soon the app is on screen in a real headless Chromium. It measures; it
//! asserts nothing.
//!
//!   SAFELAB_BIN=target/release/safelab cargo bench -p safelab-tests --bench first_paint
//!
//! `.ci/bench` runs it after building the release binary. Three kinds of load,
//! each the median of several:
//!
//! - a browser started for the load, with an empty profile (the slowest case:
//!   the browser's own start-up is in the figures);
//! - a new tab in a running browser whose cache was just cleared (a learner
//!   opening the app for the first time);
//! - a reload in that browser with its cache warm (a learner coming back).
//!
//! For each: the first contentful paint, the first frame that shows lesson 1's
//! heading, and the first frame with a working "Try it" button (the app has
//! taken over); and for the first load, the bytes transferred.
//! `SAFELAB_BENCH_LOADS=15` changes how many loads of each kind;
//! `SAFELAB_BENCH_TIMELINE=1` also prints when each request started and ended.

use fantoccini::Client;
use fantoccini::Locator;
use safelab_tests::browser::{Driver, cdp, script};
use safelab_tests::poll;
use safelab_tests::program::{Program, release_binary};
use serde_json::json;

/// Loads of each kind (`SAFELAB_BENCH_LOADS` changes it).
fn loads() -> usize {
    std::env::var("SAFELAB_BENCH_LOADS")
        .ok()
        .and_then(|loads| loads.parse().ok())
        .unwrap_or(9)
}

/// Runs in every document before its own scripts. It looks at every animation
/// frame for the heading and for an enabled "Try it" button, and marks each at
/// the start of the next frame, when the one that showed it has been painted.
const PROBE: &str = r#"
(() => {
  const marked = new Set();
  const once = (name) => {
    if (marked.has(name)) return;
    marked.add(name);
    requestAnimationFrame(() => performance.mark(name));
  };
  const look = () => {
    const heading = document.getElementById('lesson-title');
    if (heading && heading.getClientRects().length > 0) once('probe-heading');
    const button = [...document.querySelectorAll('.try-it-button')]
      .find((element) => !element.disabled && element.getClientRects().length > 0);
    if (button) once('probe-ready');
    if (marked.size < 2) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();
"#;

/// What a page reports once it is ready: paint times and bytes transferred.
const MEASURE: &str = r#"
const mark = (name) => {
  const entry = performance.getEntriesByName(name)[0];
  return entry ? entry.startTime : null;
};
const navigation = performance.getEntriesByType('navigation')[0];
const resources = performance.getEntriesByType('resource');
const wasm = resources.find((entry) => entry.name.endsWith('.wasm'));
return {
  fcp: mark('first-contentful-paint'),
  heading: mark('probe-heading'),
  ready: mark('probe-ready'),
  transferred: [navigation, ...resources].reduce((sum, entry) => sum + entry.transferSize, 0),
  wasm_transferred: wasm ? wasm.transferSize : null,
  wasm_decoded: wasm ? wasm.decodedBodySize : null,
  timeline: [`page ${Math.round(navigation.responseEnd)}, parsed ${Math.round(navigation.domInteractive)}`]
    .concat(performance.getEntriesByType('mark').map((mark) => `${mark.name} ${Math.round(mark.startTime)}`))
    .concat(resources.map((entry) => `${entry.name.replace(location.origin, '')} ${Math.round(entry.startTime)}–${Math.round(entry.responseEnd)}`))
    .join(', '),
};
"#;

/// The figures of one kind of load.
#[derive(Default)]
struct Figures {
    fcp: Vec<f64>,
    heading: Vec<f64>,
    ready: Vec<f64>,
    first: Option<serde_json::Value>,
}

impl Figures {
    fn add(&mut self, measured: serde_json::Value) {
        let number = |key: &str| measured[key].as_f64().unwrap_or(f64::NAN);
        self.fcp.push(number("fcp"));
        self.heading.push(number("heading"));
        self.ready.push(number("ready"));
        self.first.get_or_insert(measured);
    }

    fn print(&mut self, what: &str) {
        println!(
            "{what}: first contentful paint {:.0} ms, lesson heading {:.0} ms, Try it works {:.0} ms",
            median(&mut self.fcp),
            median(&mut self.heading),
            median(&mut self.ready)
        );
        if let Some(first) = &self.first {
            println!(
                "    transferred: {} bytes (the WASM: {} bytes on the wire, {} unpacked)",
                first["transferred"], first["wasm_transferred"], first["wasm_decoded"]
            );
            if std::env::var_os("SAFELAB_BENCH_TIMELINE").is_some() {
                println!(
                    "    timeline (ms): {}",
                    first["timeline"].as_str().unwrap_or_default()
                );
            }
        }
    }
}

/// Loads the app in the current tab and waits until it works.
async fn load(browser: &Client, url: &str) -> serde_json::Value {
    cdp(
        browser,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": PROBE }),
    )
    .await;
    browser.goto(url).await.expect("the app opens");
    poll("a working Try it button", || async {
        let ready = script(browser, "return performance.getEntriesByName('probe-ready').length > 0 && performance.getEntriesByName('first-contentful-paint').length > 0;").await;
        (ready == json!(true)).then_some(())
    })
    .await;
    script(browser, MEASURE).await
}

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().expect("data folder");
    let program = Program::start(
        &release_binary(),
        &["--port", "0", "--data-dir", &data.path().to_string_lossy()],
        data.path(),
    );
    let app = program.app_url.clone();
    let driver = Driver::start().await;

    let mut started = Figures::default();
    for _ in 0..loads() {
        let profile = tempfile::tempdir().expect("profile");
        let browser = driver.browser(profile.path(), (1280, 800)).await;
        started.add(load(&browser, &app).await);
        browser.close().await.expect("closes");
    }

    let profile = tempfile::tempdir().expect("profile");
    let browser = driver.browser(profile.path(), (1280, 800)).await;
    load(&browser, &app).await; // the browser's own warm-up
    let mut new_tab = Figures::default();
    let mut reload = Figures::default();
    for _ in 0..loads() {
        let first = browser.window().await.expect("the first tab");
        cdp(&browser, "Network.clearBrowserCache", json!({})).await;
        let tab = browser.new_window(true).await.expect("a new tab");
        browser
            .switch_to_window(tab.handle)
            .await
            .expect("to the new tab");
        new_tab.add(load(&browser, &app).await);
        // Back to it later: a fresh navigation with everything cached.
        browser.goto("about:blank").await.expect("away");
        reload.add(load(&browser, &app).await);
        browser.close_window().await.expect("closes the tab");
        browser.switch_to_window(first).await.expect("back");
        browser
            .find(Locator::Css("body"))
            .await
            .expect("still there");
    }
    browser.close().await.expect("closes");

    started.print("a browser started for the load");
    new_tab.print("a new tab, cache empty     ");
    reload.print("coming back, cache warm    ");
    drop(program);
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
