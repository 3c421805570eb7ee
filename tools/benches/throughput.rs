//! Each analysis tool on a 10 MB input, natively (the browser's figures come
//! from `tests/benches/tools_throughput.rs`), and the secret scanner on lines
//! built to make a naive matcher quadratic. Prints figures; asserts nothing.
//!
//!   cargo bench -p safelab-tools --bench throughput

use std::time::{Duration, Instant};

use safelab_tools::{Tool, run};

const SIZE: usize = 10 * 1024 * 1024;

fn main() {
    for (tool, name, input) in [
        (Tool::Pickle, "big.pkl", pickle()),
        (Tool::Secrets, "big.txt", project_text()),
        (Tool::Lint, "big.py", python()),
        (Tool::Packages, "requirements.txt", requirements()),
    ] {
        let (took, findings) = best_of(3, || {
            run(tool, name, &input)
                .map(|report| report.finding_count())
                .unwrap_or(0)
        });
        println!(
            "{:<21} {:>5.1} MB in {:>7.1} ms: {:>6.1} MB/s, {findings} findings",
            tool.title(),
            input.len() as f64 / 1e6,
            took.as_secs_f64() * 1e3,
            input.len() as f64 / took.as_secs_f64() / 1e6,
        );
    }
    hostile_secret_lines();
}

/// The fastest of `runs` runs of `work`, and what it returned.
fn best_of(runs: usize, mut work: impl FnMut() -> usize) -> (Duration, usize) {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            let found = work();
            (start.elapsed(), found)
        })
        .min_by_key(|(took, _)| *took)
        .unwrap_or_default()
}

/// A protocol 4 pickle of lists of small records (ints and strings), in
/// batches of a thousand as Python writes them, with one `os.system` call.
fn pickle() -> Vec<u8> {
    let mut bytes = b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00]".to_vec();
    let record = b"K\x07\x8c\x05northG?\xe8\x00\x00\x00\x00\x00\x00";
    while bytes.len() < SIZE {
        bytes.push(b'(');
        for _ in 0..1000 {
            bytes.extend_from_slice(record);
        }
        bytes.push(b'e');
    }
    bytes.extend_from_slice(b"\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R0.");
    bytes
}

/// Code, configuration and CSV, with one token per unit.
fn project_text() -> Vec<u8> {
    let unit = "import pandas as pd\ndf = pd.read_csv('data/responses.csv', sep=';')\nregion,score,weight\nnorth,0.73,1.2\nDB_HOST=warehouse.internal\nAPI_TOKEN=Zk4xR2pWq9LmN7vB3cTy8HsD\n";
    unit.repeat(SIZE / unit.len()).into_bytes()
}

/// A data script with a few of the lint's findings per function.
fn python() -> Vec<u8> {
    let mut source = String::from("import subprocess\nimport requests\nimport pandas as pd\n\n");
    let mut index = 0;
    while source.len() < SIZE {
        source.push_str(&format!(
            "def report_{index}(region, day):\n    frame = pd.read_csv(f\"data/{{region}}.csv\")\n    totals = frame.groupby(\"day\").sum()\n    query = f\"SELECT * FROM visits WHERE day = '{{day}}'\"\n    subprocess.run(f\"gzip {{region}}.csv\", shell=True)\n    answer = requests.get(\"https://example.org/api\", timeout=10)\n    return totals, query, answer.json()\n\n"
        ));
        index += 1;
    }
    source.into_bytes()
}

/// Pinned requirements, old and new, over and over.
fn requirements() -> Vec<u8> {
    let unit = "requests==2.19.0\nnumpy==1.26.4\npandas==2.2.3\nPyYAML==5.3.1\nJinja2==3.1.4  # templates\nurllib3==1.24.1\n";
    unit.repeat(SIZE / unit.len()).into_bytes()
}

/// 1 MB lines of one repeated unit each, against 1 MB of plain prose: a
/// matcher that rescans from every `=` or `://` would take minutes here.
fn hostile_secret_lines() {
    let size = 1024 * 1024;
    let time = |text: &str| {
        best_of(3, || {
            safelab_tools::secrets::scan("a.txt", text.as_bytes()).finding_total
        })
        .0
    };
    let plain = time(&"the quick brown fox jumps over the lazy dog ".repeat(size / 44));
    let (worst, unit) = [
        "a=",
        "=",
        "a:",
        "://",
        "x://a:",
        "eyJ.",
        "eyJhbGciOi.eyJ",
        "AKIA",
        "'a'=",
        "a=\"",
        "-----BEGIN PRIVATE KEY-----",
        "sk-",
        "aws ",
        "Password=x;",
    ]
    .into_iter()
    .map(|unit| (time(&unit.repeat(size / unit.len())), unit))
    .max()
    .unwrap_or_default();
    println!(
        "secret scanner, hostile 1 MB lines: the slowest ({unit:?} repeated) {:.1} ms, plain prose {:.1} ms",
        worst.as_secs_f64() * 1e3,
        plain.as_secs_f64() * 1e3
    );
}
