//! Issue 9's analysis tools in a real headless Chromium, as a learner uses
//! them: a file chosen through the file input and the same file dropped on
//! the tool's drop zone give the findings they should; every lab example
//! picked from the list runs; each lesson's widget runs its tool; and nothing
//! leaves the page while the tools run (counted at the server, by a proxy in
//! front of the app, and in the page and the worker, by their own resource
//! timelines).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use fantoccini::{Client, Locator};
use safelab_protocol::tools::{Tool, ToolExample};
use safelab_tests::browser::{
    AppWindow, choose_file, click, drop_file, screenshot, script, text_of, wait_for,
};
use safelab_tests::python::{Learner, printed};
use safelab_tests::{Lab, get_json, poll, repo_root};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A learner's file for one tool, made as a learner would have it.
struct Sample {
    tool: Tool,
    name: &'static str,
    bytes: Vec<u8>,
}

/// A pickle made by real Python whose loading would run a command.
const MALICIOUS_PICKLE: &str = r#"
import os, pickle, sys
class Model:
    def __reduce__(self):
        return (os.system, ("echo you have been pickled",))
sys.stdout.buffer.write(pickle.dumps(Model(), protocol=4))
"#;

/// A GitHub token and an AWS key pair in a notebook's config cell.
const SECRETS: &str = "# settings for the weekly report\n\
    GITHUB_TOKEN = \"ghp_Xq3v9LmT2bR7kP4sW8yN1cD6fH0jZ5aE2uVt\"\n\
    AWS_ACCESS_KEY_ID = \"AKIAZ7VQ3JX2MRT4PLNB\"\n\
    AWS_SECRET_ACCESS_KEY = \"h7Tq2LwX9vB4nR8kM1pZ6cY3sD5fG0jH2aE7uWqR\"\n";

/// The GitHub token in [`SECRETS`]: the page may show a redacted preview,
/// never the whole of it.
const GITHUB_TOKEN: &str = "ghp_Xq3v9LmT2bR7kP4sW8yN1cD6fH0jZ5aE2uVt";

/// Python that bandit flags: a shell command built from input, and eval.
const RISKY_PYTHON: &str = "import subprocess\n\n\
    def export(table):\n    \
    subprocess.call(\"pg_dump -t \" + table, shell=True)\n\n\
    def compute(expression):\n    \
    return eval(expression)\n";

/// A data scientist's pins, two of them with well-known advisories.
const REQUIREMENTS: &str = "numpy==1.26.4\nrequests==2.19.0\nPyYAML==5.3.1\npandas>=2.0\n";

async fn samples(learner: &Learner) -> Vec<Sample> {
    let pickle = learner.run_code(MALICIOUS_PICKLE).await;
    assert!(pickle.status.success(), "{}", printed(&pickle));
    vec![
        Sample {
            tool: Tool::Pickle,
            name: "model.pkl",
            bytes: pickle.stdout,
        },
        Sample {
            tool: Tool::Secrets,
            name: "settings.py",
            bytes: SECRETS.as_bytes().to_vec(),
        },
        Sample {
            tool: Tool::Packages,
            name: "requirements.txt",
            bytes: REQUIREMENTS.as_bytes().to_vec(),
        },
        Sample {
            tool: Tool::Lint,
            name: "export.py",
            bytes: RISKY_PYTHON.as_bytes().to_vec(),
        },
    ]
}

/// The css id of one of a panel's elements (`#tools-pickle-file`).
fn part(prefix: &str, tool: Tool, part: &str) -> String {
    format!("#{prefix}-{}-{part}", tool.as_str())
}

/// How many reports the panel has drawn so far (its last report's run).
async fn last_run(browser: &Client, prefix: &str, tool: Tool) -> u64 {
    let css = format!("{} .tool-report", part(prefix, tool, "report"));
    script(
        browser,
        &format!(
            "const r = document.querySelector({css:?}); return r ? Number(r.dataset.run) : 0;"
        ),
    )
    .await
    .as_u64()
    .unwrap_or(0)
}

/// Waits for the panel's report after `run`, failing at once on a problem
/// the panel shows instead; gives the report's text.
async fn report_after(browser: &Client, prefix: &str, tool: Tool, run: u64) -> String {
    let report = part(prefix, tool, "report");
    let problem = format!("{} .tool-problem", part(prefix, tool, "panel"));
    poll(&format!("{report} after run {run}"), || async {
        if let Some(problem) = text_of(browser, &problem).await {
            panic!("{} shows a problem: {problem}", tool.as_str());
        }
        (last_run(browser, prefix, tool).await > run).then_some(())
    })
    .await;
    text_of(browser, &report).await.unwrap_or_default()
}

/// The texts of every element matching `css` inside the panel's report.
async fn texts(browser: &Client, prefix: &str, tool: Tool, css: &str) -> Vec<String> {
    let css = format!("{} {css}", part(prefix, tool, "report"));
    let mut texts = Vec::new();
    for element in browser
        .find_all(Locator::Css(&css))
        .await
        .unwrap_or_default()
    {
        texts.push(element.text().await.unwrap_or_default());
    }
    texts
}

/// What each sample must show: the findings a learner would look for.
async fn assert_findings(browser: &Client, prefix: &str, sample: &Sample, report: &str) {
    let tool = sample.tool;
    match tool {
        Tool::Pickle => {
            assert_eq!(
                texts(browser, prefix, tool, ".pickle-verdict").await,
                ["Dangerous: do not load it"],
                "{report}"
            );
            let calls = texts(browser, prefix, tool, ".pickle-calls")
                .await
                .join("\n");
            assert!(
                calls.contains("system"),
                "the call to os.system is named: {calls}"
            );
            assert!(
                calls.contains("echo you have been pickled"),
                "with its argument: {calls}"
            );
        }
        Tool::Secrets => {
            let rows = texts(browser, prefix, tool, ".secret-finding").await;
            assert!(
                rows.iter().any(|row| row.to_lowercase().contains("github")),
                "the GitHub token is found: {rows:?}"
            );
            assert!(
                rows.iter().any(|row| row.to_lowercase().contains("aws")),
                "the AWS key is found: {rows:?}"
            );
            assert!(
                !report.contains(GITHUB_TOKEN),
                "the page shows the token redacted, never whole: {report}"
            );
        }
        Tool::Packages => {
            let ids = texts(browser, prefix, tool, ".package-hit")
                .await
                .join("\n");
            assert!(
                ids.contains("CVE-2018-18074"),
                "requests 2.19.0's advisory: {ids}"
            );
            assert!(
                ids.contains("CVE-2020-14343"),
                "PyYAML 5.3.1's advisory: {ids}"
            );
            assert!(
                ids.contains("2.20.0"),
                "the fixed version of requests: {ids}"
            );
            assert!(
                !ids.contains("numpy==1.26.4"),
                "numpy 1.26.4 has no advisory: {ids}"
            );
            let snapshot = texts(browser, prefix, tool, ".attribution").await.join("");
            assert!(
                snapshot.contains("CC"),
                "the snapshot's licence is shown: {snapshot}"
            );
        }
        Tool::Lint => {
            let checks = texts(browser, prefix, tool, ".lint-check").await;
            assert!(
                checks.iter().any(|check| check == "B602"),
                "shell=True: {checks:?}"
            );
            assert!(
                checks.iter().any(|check| check == "B307"),
                "eval: {checks:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_file_chosen_or_dropped_on_the_tools_page_shows_its_findings() {
    let lab = Lab::start().await;
    let learner = Learner::new(&lab).await;
    let window = AppWindow::open(&lab.app("/tools")).await;
    let browser = &window.browser;
    wait_for(browser, "#tools-title").await;
    for sample in samples(&learner).await {
        let (tool, prefix) = (sample.tool, "tools");
        // Through the file input, as the file dialog does.
        let file = learner.folder().join(sample.name);
        std::fs::write(&file, &sample.bytes).expect("save the sample");
        let run = last_run(browser, prefix, tool).await;
        choose_file(browser, &part(prefix, tool, "file"), &file).await;
        let report = report_after(browser, prefix, tool, run).await;
        assert_findings(browser, prefix, &sample, &report).await;
        script(
            browser,
            &format!(
                "document.querySelector({:?}).scrollIntoView();",
                part(prefix, tool, "report")
            ),
        )
        .await;
        screenshot(browser, &format!("tools-{}", tool.as_str())).await;
        // The same bytes dropped on the drop zone.
        let run = last_run(browser, prefix, tool).await;
        drop_file(
            browser,
            &part(prefix, tool, "drop"),
            sample.name,
            &sample.bytes,
        )
        .await;
        let report = report_after(browser, prefix, tool, run).await;
        assert_findings(browser, prefix, &sample, &report).await;
    }
}

#[tokio::test]
async fn every_lab_example_picked_from_the_list_runs_in_the_page() {
    let lab = Lab::start().await;
    let examples: Vec<ToolExample> =
        serde_json::from_value(get_json(&lab.app("/api/tools/examples")).await).expect("examples");
    for tool in Tool::ALL {
        assert!(
            examples.iter().any(|example| example.tool == tool),
            "the lab offers an example for the {}",
            tool.title()
        );
    }
    let window = AppWindow::open(&lab.app("/tools")).await;
    let browser = &window.browser;
    for example in &examples {
        let (tool, prefix) = (example.tool, "tools");
        let select = part(prefix, tool, "example");
        wait_for(
            browser,
            &format!("{select} option[value={:?}]", example.name),
        )
        .await;
        script(
            browser,
            &format!(
                "const s = document.querySelector({select:?}); s.value = {:?}; \
                 s.dispatchEvent(new Event('change', {{ bubbles: true }}));",
                example.name
            ),
        )
        .await;
        let run = last_run(browser, prefix, tool).await;
        click(browser, &part(prefix, tool, "example-run")).await;
        let report = report_after(browser, prefix, tool, run).await;
        let facts = text_of(
            browser,
            &format!("{} .tool-done", part(prefix, tool, "panel")),
        )
        .await
        .unwrap_or_default();
        assert!(
            facts.starts_with(&example.name),
            "the report is {}'s: {facts}\n{report}",
            example.name
        );
        assert_example(browser, example, &report).await;
    }
}

/// What the lessons' examples are there to show.
async fn assert_example(browser: &Client, example: &ToolExample, report: &str) {
    let (tool, prefix) = (example.tool, "tools");
    let verdict = || async {
        texts(browser, prefix, tool, ".pickle-verdict")
            .await
            .join("")
    };
    let checks = || async { texts(browser, prefix, tool, ".lint-check").await };
    let count = |css: &'static str| async move { texts(browser, prefix, tool, css).await.len() };
    match example.name.as_str() {
        "churn_model.pkl" => assert_eq!(verdict().await, "Dangerous: do not load it", "{report}"),
        "weights.pkl" => assert_eq!(verdict().await, "Plain data", "{report}"),
        "sales_frame.pkl" => assert_eq!(verdict().await, "Objects of known libraries", "{report}"),
        "survey-dashboard.bundle" => {
            let rows = texts(browser, prefix, tool, ".secret-finding").await;
            assert!(
                rows.iter()
                    .any(|row| row.contains("deleted since, but still in the history")),
                "the key deleted from the project is still found in its history: {rows:?}"
            );
        }
        "churn-model.env" | "churn-model.ipynb" => {
            assert!(count(".secret-finding").await > 0, "{report}");
        }
        "requirements.txt" | "pip-freeze.txt" | "pyproject.toml" => {
            assert!(count(".package-hit").await > 0, "{report}");
            assert!(
                report.contains("CVE-"),
                "the hits name their CVEs: {report}"
            );
        }
        "report.py" => {
            let checks = checks().await;
            for check in ["B602", "B608"] {
                assert!(checks.iter().any(|c| c == check), "{check}: {checks:?}");
            }
        }
        "report_fixed.py" => {
            let checks = checks().await;
            for check in ["B602", "B608"] {
                assert!(
                    !checks.iter().any(|c| c == check),
                    "{check} is fixed: {checks:?}"
                );
            }
        }
        "churn_notebook.py" => {
            let checks = checks().await;
            for check in ["B307", "B501", "B506"] {
                assert!(checks.iter().any(|c| c == check), "{check}: {checks:?}");
            }
        }
        // Any other example: the report above is drawn, which is all it promises.
        _ => {}
    }
}

#[tokio::test]
async fn each_lessons_tool_widget_runs_its_tool() {
    let lab = Lab::start().await;
    let learner = Learner::new(&lab).await;
    let samples = samples(&learner).await;
    // Every tool widget in every lesson, wherever it sits (prose, challenge).
    let mut widgets = Vec::new();
    let lessons = get_json(&lab.app("/api/lessons")).await;
    for summary in lessons.as_array().expect("a list") {
        let id = summary["id"].as_str().expect("an id");
        let lesson = get_json(&lab.app(&format!("/api/lessons/{id}"))).await;
        let mut found = Vec::new();
        find_widgets(&lesson, &mut found);
        for widget in found {
            if let Some(tool) = Tool::ALL.into_iter().find(|tool| tool.widget() == widget) {
                widgets.push((id.to_owned(), tool));
            }
        }
    }
    for tool in Tool::ALL {
        assert!(
            widgets.iter().any(|(_, widget)| *widget == tool),
            "a lesson shows the {} ({:?})",
            tool.title(),
            tool.widget()
        );
    }
    let window = AppWindow::open(&lab.app("/")).await;
    let browser = &window.browser;
    for (lesson, tool) in widgets {
        browser
            .goto(&lab.app(&format!("/lessons/{lesson}")))
            .await
            .expect("the lesson opens");
        let sample = samples
            .iter()
            .find(|sample| sample.tool == tool)
            .expect("a sample");
        let file = learner.folder().join(sample.name);
        std::fs::write(&file, &sample.bytes).expect("save the sample");
        let run = last_run(browser, "widget", tool).await;
        choose_file(browser, &part("widget", tool, "file"), &file).await;
        let report = report_after(browser, "widget", tool, run).await;
        assert_findings(browser, "widget", sample, &report).await;
    }
}

fn find_widgets(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(object) => {
            if object.get("kind").and_then(|kind| kind.as_str()) == Some("widget")
                && let Some(id) = object.get("id").and_then(|id| id.as_str())
            {
                found.push(id.to_owned());
            }
            object.values().for_each(|value| find_widgets(value, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| find_widgets(item, found)),
        _ => {}
    }
}

/// A TCP proxy on loopback in front of the app listener that counts every
/// byte the browser sends: whatever the page or its worker asks of the
/// safelab program goes through it.
struct CountingProxy {
    address: std::net::SocketAddr,
    sent: Arc<AtomicU64>,
}

impl CountingProxy {
    async fn start(target: std::net::SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("its address");
        let sent = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&sent);
        tokio::spawn(async move {
            while let Ok((browser, _)) = listener.accept().await {
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut from_browser, mut to_browser) = browser.into_split();
                    let (mut from_server, mut to_server) = server.into_split();
                    let upstream = async move {
                        let mut buffer = vec![0; 16 * 1024];
                        while let Ok(read) = from_browser.read(&mut buffer).await {
                            if read == 0 {
                                break;
                            }
                            counter.fetch_add(read as u64, Ordering::SeqCst);
                            if to_server.write_all(&buffer[..read]).await.is_err() {
                                break;
                            }
                        }
                        let _ = to_server.shutdown().await;
                    };
                    let downstream = async move {
                        let _ = tokio::io::copy(&mut from_server, &mut to_browser).await;
                        let _ = to_browser.shutdown().await;
                    };
                    tokio::join!(upstream, downstream);
                });
            }
        });
        Self { address, sent }
    }

    fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }
}

/// The page's resource timeline: every request the page has made.
const PAGE_REQUESTS: &str =
    "return performance.getEntriesByType('resource').map((entry) => entry.name);";

#[tokio::test]
async fn no_request_leaves_the_page_while_the_tools_run() {
    let lab = Lab::start().await;
    let learner = Learner::new(&lab).await;
    let samples = samples(&learner).await;
    let proxy = CountingProxy::start(lab.running.app_address).await;
    let window = AppWindow::open(&format!("http://{}/tools", proxy.address)).await;
    let browser = &window.browser;
    wait_for(browser, "#tools-title").await;
    // The worker loads on the first use of a tool: that use may fetch it.
    let run = last_run(browser, "tools", Tool::Secrets).await;
    drop_file(
        browser,
        &part("tools", Tool::Secrets, "drop"),
        "first.txt",
        b"hello",
    )
    .await;
    report_after(browser, "tools", Tool::Secrets, run).await;
    // Then every request the page makes by itself is answered: the four
    // example lists are in, and nothing is still on its way.
    poll("the page's own requests to finish", || async {
        let pending = script(
            browser,
            "const entries = performance.getEntriesByType('resource'); \
             const lists = entries.filter((e) => e.name.endsWith('/api/tools/examples')).length; \
             return lists >= 4 && entries.every((e) => e.responseEnd > 0);",
        )
        .await;
        (pending == serde_json::Value::Bool(true)).then_some(())
    })
    .await;
    let page_before = script(browser, PAGE_REQUESTS).await;
    let sent_before = proxy.sent();
    assert!(
        sent_before > 0,
        "the page and the worker came through the proxy"
    );
    let fetches_before = worker_fetch_count(browser, Tool::Secrets).await;
    assert!(
        fetches_before > 0,
        "the worker's timeline holds the files that loaded it"
    );

    for sample in &samples {
        let (tool, prefix) = (sample.tool, "tools");
        let file = learner.folder().join(sample.name);
        std::fs::write(&file, &sample.bytes).expect("save the sample");
        let run = last_run(browser, prefix, tool).await;
        choose_file(browser, &part(prefix, tool, "file"), &file).await;
        let report = report_after(browser, prefix, tool, run).await;
        assert_findings(browser, prefix, sample, &report).await;
        let run = last_run(browser, prefix, tool).await;
        drop_file(
            browser,
            &part(prefix, tool, "drop"),
            sample.name,
            &sample.bytes,
        )
        .await;
        report_after(browser, prefix, tool, run).await;
        assert_eq!(
            worker_fetch_count(browser, tool).await,
            fetches_before,
            "the worker fetched nothing while the {} ran",
            tool.title()
        );
    }
    assert_eq!(
        script(browser, PAGE_REQUESTS).await,
        page_before,
        "the page made no request while the tools ran"
    );
    assert_eq!(
        proxy.sent(),
        sent_before,
        "the safelab program received nothing from the browser while the tools ran"
    );
}

/// How many requests the tools' worker had made when it drew `tool`'s report.
async fn worker_fetch_count(browser: &Client, tool: Tool) -> u64 {
    let css = format!("{} .tool-report", part("tools", tool, "report"));
    script(
        browser,
        &format!("return Number(document.querySelector({css:?}).dataset.workerFetches);"),
    )
    .await
    .as_u64()
    .expect("the report says how many requests the worker made")
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_and_a_long_run_can_be_cancelled() {
    let lab = Lab::start().await;
    let window = AppWindow::open(&lab.app("/tools")).await;
    let browser = &window.browser;
    let folder = tempfile::tempdir().expect("a folder");

    // Refused in the page, before a byte is read: the file is sparse.
    let huge = folder.path().join("huge.log");
    std::fs::File::create(&huge)
        .and_then(|file| file.set_len(safelab_tools::MAX_INPUT as u64 + 1))
        .expect("a file one byte over the limit");
    choose_file(browser, &part("tools", Tool::Secrets, "file"), &huge).await;
    let problem = format!("{} .tool-problem", part("tools", Tool::Secrets, "panel"));
    wait_for(browser, &problem).await;
    let said = text_of(browser, &problem).await.unwrap_or_default();
    assert!(
        said.contains("huge.log") && said.contains("at most 32 MB"),
        "the page says why: {said}"
    );

    // A long run shows its size and can be stopped; the next file then
    // runs in a fresh worker.
    let long = folder.path().join("long.py");
    std::fs::write(&long, "value = compute(1, 2, 3)\n".repeat(1_200_000)).expect("a long file");
    choose_file(browser, &part("tools", Tool::Lint, "file"), &long).await;
    let working = format!("{} .tool-working", part("tools", Tool::Lint, "panel"));
    wait_for(browser, &part("tools", Tool::Lint, "cancel")).await;
    let said = text_of(browser, &working).await.unwrap_or_default();
    assert!(
        said.contains("long.py") && said.contains("MB"),
        "working… with the size: {said}"
    );
    click(browser, &part("tools", Tool::Lint, "cancel")).await;
    let stopped = format!("{} .tool-status", part("tools", Tool::Lint, "panel"));
    poll("the run to stop", || async {
        text_of(browser, &stopped)
            .await
            .filter(|text| text.starts_with("Stopped checking long.py"))
    })
    .await;
    let run = last_run(browser, "tools", Tool::Lint).await;
    drop_file(
        browser,
        &part("tools", Tool::Lint, "drop"),
        "export.py",
        RISKY_PYTHON.as_bytes(),
    )
    .await;
    report_after(browser, "tools", Tool::Lint, run).await;
    let checks = texts(browser, "tools", Tool::Lint, ".lint-check").await;
    assert!(checks.iter().any(|check| check == "B602"), "{checks:?}");
}

#[tokio::test]
async fn the_page_allows_its_worker_and_the_worker_may_reach_nothing_else() {
    let lab = Lab::start().await;
    let policy = |url: String| async move {
        let response = reqwest::get(&url).await.expect("answers");
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        response
            .headers()
            .get("content-security-policy")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let page = policy(lab.app("/tools")).await;
    for directive in [
        "worker-src 'self'",
        "'wasm-unsafe-eval'",
        "connect-src 'self'",
    ] {
        assert!(
            page.contains(directive),
            "the page's policy has {directive}: {page}"
        );
    }
    for file in ["tools_worker_loader.js", "tools_worker.js"] {
        let worker = policy(lab.app(&format!("/{file}"))).await;
        assert!(
            worker.contains("default-src 'none'") && worker.contains("connect-src 'self'"),
            "{file}: {worker}"
        );
    }
}

/// The first paint pays nothing for the tools: the app's WASM holds their
/// report types only, none of their parsers, rules or advisories, and the
/// page does not even preload the worker that holds them.
#[test]
fn the_app_links_no_tool_and_the_worker_links_them_all() {
    let dist = repo_root().join("dist");
    let read = |name: &str| {
        std::fs::read(dist.join(name)).unwrap_or_else(|error| {
            panic!("dist/{name} ({error}): run `bash .ci/test` (it runs trunk build)")
        })
    };
    let app_name = std::fs::read_dir(&dist)
        .expect("dist/")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with("safelab-app-") && name.ends_with("_bg.wasm"))
        .expect("the app's WASM in dist/");
    let (app, worker) = (read(&app_name), read("tools_worker_bg.wasm"));
    let holds = |wasm: &[u8], marker: &str| {
        wasm.windows(marker.len())
            .any(|window| window == marker.as_bytes())
    };
    // One string only each tool's own code holds: a bandit check name, a
    // secret rule's id, a pickle opcode, an advisory of the bundled snapshot.
    for marker in [
        "hardcoded_sql_expressions",
        "aws-access-key-id",
        "STACK_GLOBAL",
        "PYSEC-2018-28",
    ] {
        assert!(holds(&worker, marker), "the worker holds {marker:?}");
        assert!(
            !holds(&app, marker),
            "the app's WASM holds {marker:?}: it links a tool"
        );
    }
    let page = String::from_utf8(read("index.html")).expect("UTF-8");
    assert!(
        !page.contains("tools_worker"),
        "the page does not load the worker"
    );
}
