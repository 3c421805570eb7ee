//! First paint of the app in a real headless Chromium: the median over fresh
//! loads (an empty profile each, so nothing is cached) of the first contentful
//! paint and of the paint of lesson 1's heading, and the bytes transferred for
//! a cold load and for a reload. It measures; it asserts nothing.
//!
//!   SAFELAB_BIN=target/release/safelab cargo bench -p safelab-tests --bench first_paint
//!
//! `.ci/bench` runs it after building the release binary.

use fantoccini::Locator;
use safelab_tests::browser::{Driver, script};
use safelab_tests::poll;
use safelab_tests::program::{Program, release_binary};

const LOADS: usize = 9;

/// What the page reports once lesson 1's heading is on screen.
const MEASURE: &str = r#"
const done = arguments[arguments.length - 1];
const fcp = performance.getEntriesByName('first-contentful-paint')[0];
const bytes = () => {
  const navigation = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  return [navigation, ...resources].reduce((sum, entry) => sum + entry.transferSize, 0);
};
const wasm = performance.getEntriesByType('resource').find((entry) => entry.name.endsWith('.wasm'));
new PerformanceObserver((list, observer) => {
  const heading = list.getEntries().find((entry) => entry.identifier === 'lesson-title');
  if (heading) {
    observer.disconnect();
    done({
      fcp: fcp ? fcp.startTime : null,
      heading: heading.renderTime || heading.loadTime,
      transferred: bytes(),
      wasm_transferred: wasm ? wasm.transferSize : null,
      wasm_decoded: wasm ? wasm.decodedBodySize : null,
    });
  }
}).observe({ type: 'element', buffered: true });
"#;

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

    let mut fcp = Vec::new();
    let mut heading = Vec::new();
    let mut cold = serde_json::Value::Null;
    let mut warm = serde_json::Value::Null;
    for load in 0..LOADS {
        let profile = tempfile::tempdir().expect("profile");
        let browser = driver.browser(profile.path(), (1280, 800)).await;
        browser.goto(&app).await.expect("the app opens");
        poll("lesson 1's heading", || async {
            browser.find(Locator::Id("lesson-title")).await.ok()
        })
        .await;
        let figures = browser
            .execute_async(MEASURE, Vec::new())
            .await
            .expect("figures");
        fcp.push(figures["fcp"].as_f64().unwrap_or(f64::NAN));
        heading.push(figures["heading"].as_f64().unwrap_or(f64::NAN));
        if load == 0 {
            cold = figures;
            // The same browser again: what a reload costs with a warm cache.
            browser.refresh().await.expect("reload");
            poll("lesson 1's heading after a reload", || async {
                browser.find(Locator::Id("lesson-title")).await.ok()
            })
            .await;
            warm = script(&browser, "return performance.getEntriesByType('navigation')[0].transferSize + performance.getEntriesByType('resource').reduce((sum, entry) => sum + entry.transferSize, 0);").await;
        }
        browser.close().await.expect("closes");
    }
    println!(
        "first contentful paint (median of {LOADS} fresh loads): {:.0} ms",
        median(&mut fcp)
    );
    println!(
        "lesson heading painted  (median of {LOADS} fresh loads): {:.0} ms",
        median(&mut heading)
    );
    println!(
        "transferred, first load:  {} bytes (the WASM: {} bytes on the wire, {} decoded)",
        cold["transferred"], cold["wasm_transferred"], cold["wasm_decoded"]
    );
    println!("transferred, reload:      {warm} bytes");
    drop(program);
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
