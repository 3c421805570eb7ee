//! The analysis tools' throughput in a real headless Chromium, in their Web
//! Worker, on a 10 MB input each, and the WASM the browser loads for them. It
//! measures; it asserts nothing.
//!
//!   SAFELAB_BIN=target/release/safelab cargo bench -p safelab-tests --bench tools_throughput
//!
//! `.ci/bench` runs it after building the release binary. For each tool: a
//! realistic 10 MB file (a pickled table made by real Python, a log with a few
//! secrets in it, a long Python module, a long pinned requirements file) is
//! chosen through the Tools page's file input; the figures are the tool's own
//! time in the worker (and so MB/s), the time from the file handed to the
//! worker to its report on screen, and the main thread's longest task
//! meanwhile (a responsive page keeps it short). Then the sizes of the app's
//! WASM and of the tools' worker, raw and gzipped, and whether the first
//! paint loaded the worker. `SAFELAB_BENCH_MB=20` changes the input size.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Client;
use safelab_protocol::tools::Tool;
use safelab_tests::browser::{Driver, cdp, choose_file, script};
use safelab_tests::program::{Program, release_binary};
use safelab_tests::{repo_root, tool};
use serde_json::json;

/// Runs in the page before its own scripts: keeps every long task (over
/// 50 ms on the main thread) the browser reports.
const LONG_TASKS: &str = r#"
window.safelabLongTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.safelabLongTasks.push([entry.startTime, entry.duration]);
}).observe({ type: 'longtask', buffered: true });
"#;

/// The input size in bytes (`SAFELAB_BENCH_MB`, else 10 MB).
fn input_size() -> usize {
    std::env::var("SAFELAB_BENCH_MB")
        .ok()
        .and_then(|mb| mb.parse::<usize>().ok())
        .unwrap_or(10)
        * 1_000_000
}

/// A small deterministic generator, so every run reads the same files.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn token(&mut self, alphabet: &[u8], length: usize) -> String {
        (0..length)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A pickled table of patient visits, as `pickle.dumps(records, protocol=4)`
/// writes it: real Python makes it, with its memo and frames.
fn big_pickle(size: usize) -> Vec<u8> {
    let python = tool(
        "SAFELAB_PYTHON",
        repo_root().join(".local/venv/bin/python"),
        "the project's Python venv",
    );
    let code = format!(
        r#"
import pickle, random, sys
random.seed(9)
wards = ["cardiology", "oncology", "paediatrics", "emergency", "geriatrics"]
def record(i):
    return {{"id": i, "name": "patient-%06d" % i, "ward": random.choice(wards),
             "age": random.randint(0, 99), "score": random.random(),
             "visits": [random.randint(1, 9) for _ in range(3)]}}
per_record = len(pickle.dumps([record(i) for i in range(10000)], protocol=4)) / 10000
records = [record(i) for i in range(int({size} / per_record))]
sys.stdout.buffer.write(pickle.dumps(records, protocol=4))
"#
    );
    let output = std::process::Command::new(python)
        .args(["-c", &code])
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// An application log with a secret every few thousand lines.
fn big_log(size: usize, dice: &mut Dice) -> Vec<u8> {
    let mut text = String::with_capacity(size + 200);
    let mut line = 0_u64;
    while text.len() < size {
        line += 1;
        let _ = match line % 4000 {
            1000 => writeln!(
                text,
                "2024-05-02 10:00:{:02} DEBUG config GITHUB_TOKEN=ghp_{}",
                line % 60,
                dice.token(ALNUM, 36)
            ),
            2000 => writeln!(
                text,
                "2024-05-02 10:00:{:02} DEBUG aws key AKIA{} loaded",
                line % 60,
                dice.token(UPPER, 16)
            ),
            3000 => writeln!(
                text,
                "2024-05-02 10:00:{:02} INFO  connecting to postgresql://report:{}@db.internal:5432/visits",
                line % 60,
                dice.token(ALNUM, 14)
            ),
            _ => writeln!(
                text,
                "2024-05-02 10:00:{:02} INFO  request id={} ward={} rows={} took={}ms user=analyst{}",
                line % 60,
                dice.token(ALNUM, 12),
                ["cardiology", "oncology", "emergency"][dice.below(3) as usize],
                dice.below(100_000),
                dice.below(900),
                dice.below(40)
            ),
        };
    }
    text.into_bytes()
}

/// A long Python module of report functions, a few of them risky.
fn big_python(size: usize, dice: &mut Dice) -> Vec<u8> {
    let mut text = String::from(
        "import hashlib\nimport json\nimport subprocess\n\nimport pandas as pd\nimport requests\n\n",
    );
    let mut n = 0_u64;
    while text.len() < size {
        n += 1;
        let _ = match n % 50 {
            10 => writeln!(
                text,
                "def export_{n}(table):\n    subprocess.call(\"pg_dump -t \" + table, shell=True)\n"
            ),
            20 => writeln!(
                text,
                "def fetch_{n}(url):\n    return requests.get(url, verify=False).json()\n"
            ),
            30 => writeln!(
                text,
                "def digest_{n}(value):\n    return hashlib.md5(value.encode()).hexdigest()\n"
            ),
            _ => writeln!(
                text,
                "def summarise_{n}(frame: pd.DataFrame, column: str = \"c{}\") -> dict:\n    \
                 \"\"\"Mean and spread of one column.\"\"\"\n    \
                 values = frame[column].dropna()\n    \
                 result = {{\"mean\": float(values.mean()), \"std\": float(values.std()), \"n\": {}}}\n    \
                 if result[\"n\"] > 0:\n        result[\"ratio\"] = result[\"std\"] / max(result[\"mean\"], 1e-9)\n    \
                 return json.loads(json.dumps(result))\n",
                dice.below(100),
                dice.below(10_000)
            ),
        };
    }
    text.into_bytes()
}

/// A long `pip freeze`: the usual data-science packages among many others,
/// some pinned to versions with advisories.
fn big_requirements(size: usize, dice: &mut Dice) -> Vec<u8> {
    const KNOWN: &[(&str, &str)] = &[
        ("requests", "2.19.0"),
        ("urllib3", "1.24.1"),
        ("numpy", "1.21.0"),
        ("pandas", "1.3.5"),
        ("Jinja2", "2.10"),
        ("Pillow", "8.0.0"),
        ("PyYAML", "5.3.1"),
        ("cryptography", "3.2"),
        ("scikit-learn", "0.23.2"),
        ("Flask", "0.12.2"),
    ];
    let mut text = String::with_capacity(size + 100);
    let mut n = 0_u64;
    while text.len() < size {
        n += 1;
        if n % 100 < KNOWN.len() as u64 {
            let (name, version) = KNOWN[(n % 100) as usize];
            let _ = writeln!(text, "{name}=={version}");
        } else {
            let _ = writeln!(
                text,
                "internal-package-{}=={}.{}.{}",
                dice.token(b"abcdefghijklmnopqrstuvwxyz", 8),
                dice.below(5),
                dice.below(30),
                dice.below(10)
            );
        }
    }
    text.into_bytes()
}

/// One tool's figures.
struct Run {
    worker_ms: f64,
    to_screen_ms: f64,
    wall_ms: f64,
    longest_task_ms: f64,
    long_tasks: usize,
    summary: String,
}

/// Chooses `file` in `tool`'s panel and waits (up to five minutes) for its report.
async fn measure(browser: &Client, tool: Tool, file: &Path) -> Run {
    let panel = format!("#tools-{}", tool.as_str());
    let report = format!("{panel}-report .tool-report");
    let run_of = format!(
        "const r = document.querySelector({report:?}); return r ? Number(r.dataset.run) : 0;"
    );
    let before = script(browser, &run_of).await.as_u64().unwrap_or(0);
    let started = script(browser, "return performance.now();")
        .await
        .as_f64()
        .unwrap_or(0.0);
    let clock = Instant::now();
    choose_file(browser, &format!("{panel}-file"), file).await;
    loop {
        if script(browser, &run_of).await.as_u64().unwrap_or(0) > before {
            break;
        }
        let problem = script(
            browser,
            &format!("const p = document.querySelector('{panel}-panel .tool-problem'); return p ? p.textContent : null;"),
        )
        .await;
        if let Some(problem) = problem.as_str() {
            panic!("{}: {problem}", tool.as_str());
        }
        assert!(
            clock.elapsed() < Duration::from_secs(300),
            "{}: no report in five minutes",
            tool.as_str()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall_ms = clock.elapsed().as_secs_f64() * 1000.0;
    // The measure is taken in the frame after the report is drawn.
    let name = format!("safelab-tool-{}", tool.as_str());
    let mut to_screen = json!(null);
    for _ in 0..100 {
        to_screen = script(
            browser,
            &format!("const m = performance.getEntriesByName({name:?}, 'measure'); return m.length ? m[m.length - 1].duration : null;"),
        )
        .await;
        if !to_screen.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let figures = script(
        browser,
        &format!(
            "const r = document.querySelector({report:?}); \
             const tasks = window.safelabLongTasks.filter(([start]) => start >= {started}); \
             performance.clearMeasures(); performance.clearMarks(); \
             return {{ worker: Number(r.dataset.workerMs), \
                       longest: tasks.reduce((m, [, d]) => Math.max(m, d), 0), count: tasks.length, \
                       summary: (r.querySelector('.verdict-badge') || r).textContent.slice(0, 110) }};"
        ),
    )
    .await;
    Run {
        worker_ms: figures["worker"].as_f64().unwrap_or(f64::NAN),
        to_screen_ms: to_screen.as_f64().unwrap_or(f64::NAN),
        wall_ms,
        longest_task_ms: figures["longest"].as_f64().unwrap_or(f64::NAN),
        long_tasks: figures["count"].as_u64().unwrap_or(0) as usize,
        summary: figures["summary"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

fn gzipped(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip").len()
}

/// The sizes of the app's and the worker's WASM and JS in `dist/`.
fn print_sizes() {
    let dist = repo_root().join("dist");
    let mut files: Vec<_> = std::fs::read_dir(&dist)
        .expect("dist/ (run trunk build --release)")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("wasm" | "js")
            )
        })
        .collect();
    files.sort();
    for path in files {
        let bytes = std::fs::read(&path).expect("read");
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let role = if name.starts_with("tools_worker") {
            "tools worker"
        } else {
            "app         "
        };
        println!(
            "{role} {name}: {} bytes raw, {} bytes gzipped",
            bytes.len(),
            gzipped(&bytes)
        );
    }
}

#[tokio::main]
async fn main() {
    let size = input_size();
    let folder = tempfile::tempdir().expect("a folder for the inputs");
    let mut dice = Dice(0x5AFE_1AB5);
    let generated = Instant::now();
    let inputs = [
        (Tool::Pickle, "visits.pkl", big_pickle(size)),
        (Tool::Secrets, "app.log", big_log(size, &mut dice)),
        (
            Tool::Packages,
            "requirements.txt",
            big_requirements(size, &mut dice),
        ),
        (Tool::Lint, "reports.py", big_python(size, &mut dice)),
    ];
    eprintln!(
        "inputs generated in {:.1} s",
        generated.elapsed().as_secs_f64()
    );

    let data = tempfile::tempdir().expect("data folder");
    let program = Program::start(
        &release_binary(),
        &["--port", "0", "--data-dir", &data.path().to_string_lossy()],
        data.path(),
    );
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().expect("profile");
    let browser = driver.browser(profile.path(), (1280, 900)).await;
    cdp(
        &browser,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": LONG_TASKS }),
    )
    .await;
    browser
        .goto(&format!("{}tools", program.app_url))
        .await
        .expect("the Tools page opens");
    let mut loaded = false;
    for _ in 0..500 {
        if script(
            &browser,
            "return !!document.getElementById('tools-pickle-file');",
        )
        .await
            == json!(true)
        {
            loaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(loaded, "the Tools page shows");
    let worker_at_first_paint = script(
        &browser,
        "return performance.getEntriesByType('resource').some((e) => e.name.includes('tools_worker'));",
    )
    .await;
    println!(
        "tools worker loaded with the page: {} (it loads on the first use of a tool)",
        if worker_at_first_paint == json!(true) {
            "yes"
        } else {
            "no"
        }
    );

    // The first use loads the worker: timed on a small file.
    let small = folder.path().join("small.txt");
    std::fs::write(&small, "nothing to see\n").expect("write");
    let first = measure(&browser, Tool::Secrets, &small).await;
    println!(
        "first use (loads and compiles the worker's WASM): {:.0} ms to the report on screen",
        first.to_screen_ms
    );

    for (tool, name, bytes) in inputs {
        let path = folder.path().join(name);
        std::fs::write(&path, &bytes).expect("write the input");
        let run = measure(&browser, tool, &path).await;
        let mb = bytes.len() as f64 / 1e6;
        println!(
            "{:<21} {name} {mb:.1} MB: {:.0} ms in the worker ({:.1} MB/s), {:.0} ms to the report on screen, {:.0} ms wall; main thread's longest task {:.0} ms ({} over 50 ms)",
            tool.title(),
            run.worker_ms,
            mb / (run.worker_ms / 1000.0),
            run.to_screen_ms,
            run.wall_ms,
            run.longest_task_ms,
            run.long_tasks
        );
        println!("    {}", run.summary);
    }
    browser.close().await.expect("closes");
    print_sizes();
    drop(program);
}
