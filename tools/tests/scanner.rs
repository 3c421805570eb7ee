//! The secret scanner on single inputs: what each rule must and must not
//! report, binary files, hostile lines (which must stay linear), random
//! bytes (which must never panic), and its speed on 10 MB.

use std::time::Instant;

use safelab_tools::Level;
use safelab_tools::secrets::{self, Report};

fn kinds(report: &Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.kind.as_str()).collect()
}

#[test]
fn each_rule_finds_its_kind_and_leaves_placeholders_alone() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "a.env",
            "AWS_ACCESS_KEY_ID=AKIAQ7LBZ3SAFELABKEY",
            &["aws-access-key-id"],
        ),
        ("a.env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", &[]),
        (
            "a.env",
            "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            &[],
        ),
        (
            "a.py",
            "token = 'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'",
            &[],
        ),
        ("a.py", "password = os.environ['DB_PASSWORD']", &[]),
        ("a.py", "password = get_password()", &[]),
        ("a.py", "def login(password: str):", &[]),
        ("a.env", "PASSWORD=changeme", &[]),
        ("a.env", "PASSWORD=<your-password>", &[]),
        ("a.env", "TOKEN=${TOKEN}", &[]),
        ("a.env", "PASSWORD=Tr0ub4dor&3x", &["env-secret"]),
        ("a.py", "SECRET_NAME = \"aws-secret-access-key\"", &[]),
        (
            "a.py",
            "password = \"correct-horse-battery-staple\"",
            &["env-secret"],
        ),
        ("a.js", "fetch(url, { credentials: \"include\" });", &[]),
        (
            "a.py",
            "print(\"reuse-token:\", answer.status_code, \"still works\")",
            &[],
        ),
        (
            "a.py",
            "secret = re.search(r'SECRET_KEY = \"([\\w/+]+)\"', text)",
            &[],
        ),
        (
            "a.py",
            "CREDENTIALS = \"/latest/meta-data/iam/security-credentials/\"",
            &[],
        ),
        ("a.rs", "secrets: secrets::StorageKeys,", &[]),
        ("a.md", "A `PASSWORD=` line in a `.env` file", &[]),
        (
            "a.txt",
            "postgres://analyst:s3cr3t-Pa55@db:5432/x",
            &["connection-string"],
        ),
        ("a.txt", "postgres://analyst@db:5432/x", &[]),
        ("a.txt", "https://user:password@example.org/", &[]),
        ("a.txt", "see https://example.org/a:b@c", &[]),
        ("a.txt", "id 3f2504e0-4f89-11d3-9a0c-0305e82c3301 ok", &[]),
        (
            "a.txt",
            "--hash=sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            &[],
        ),
        (
            "a.txt",
            "task-sk-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c",
            &[],
        ),
    ];
    for (name, text, expected) in cases {
        let report = secrets::scan(name, text.as_bytes());
        assert_eq!(
            kinds(&report),
            *expected,
            "{name}: {text}\n{}",
            report.human()
        );
        for finding in &report.findings {
            assert!(finding.rotate.contains("git filter-repo"));
        }
    }
}

#[test]
fn a_preview_shows_the_line_with_every_secret_on_it_redacted() {
    let line =
        "creds = {'id': 'AKIAQ7LBZ3SAFELABKEY', 'gh': 'ghp_4fG7hJ2kL9mN3pQ6rS8tV1wX5yZ0aB2cD4eF'}";
    let report = secrets::scan("a.py", line.as_bytes());
    assert_eq!(kinds(&report), ["aws-access-key-id", "github-token"]);
    for finding in &report.findings {
        assert!(
            !finding.preview.contains("Q7LBZ3SAFELAB"),
            "{}",
            finding.preview
        );
        assert!(
            !finding.preview.contains("hJ2kL9mN3pQ6rS8"),
            "{}",
            finding.preview
        );
        assert!(finding.preview.contains("AKIA…BKEY"), "{}", finding.preview);
    }
    assert_eq!(report.findings[0].column, 17);
    assert_eq!(report.findings[0].confidence, Level::High);
    // Columns count characters, not bytes.
    let report = secrets::scan("a.py", "é = 'AKIAQ7LBZ3SAFELABKEY'".as_bytes());
    assert_eq!(report.findings[0].column, 6);
}

#[test]
fn binary_files_are_counted_and_skipped() {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0".to_vec();
    bytes.extend_from_slice(b"AKIAQ7LBZ3SAFELABKEY");
    let report = secrets::scan("chart.png", &bytes);
    assert_eq!(report.finding_total, 0);
    assert_eq!(report.scanned.binary, 1);
    assert!(report.human().contains("1 binary file(s) skipped"));
}

#[test]
fn findings_past_the_limit_are_counted_not_kept() {
    let text = "AKIAQ7LBZ3SAFELABKEY\n".repeat(secrets::FINDING_LIMIT + 5);
    let report = secrets::scan("many.txt", text.as_bytes());
    assert_eq!(report.finding_total, secrets::FINDING_LIMIT + 5);
    assert_eq!(report.findings.len(), secrets::FINDING_LIMIT);
    assert!(report.human().contains("and 5 more not listed"));
}

/// Lines built to make a naive matcher quadratic, each 1 MB: they must take
/// about as long as ordinary text of the same size.
#[test]
fn hostile_lines_stay_linear() {
    let size = 1024 * 1024;
    let fill = |unit: &str| unit.repeat(size / unit.len());
    let ordinary = fill("the quick brown fox jumps over the lazy dog ");
    let start = Instant::now();
    secrets::scan("a.txt", ordinary.as_bytes());
    let baseline = start.elapsed();
    for unit in [
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
    ] {
        let text = fill(unit);
        let start = Instant::now();
        let report = secrets::scan("a.txt", text.as_bytes());
        let took = start.elapsed();
        assert!(report.findings.len() <= secrets::FINDING_LIMIT);
        assert!(
            took < baseline * 20 + std::time::Duration::from_millis(500),
            "{unit:?} x {}: {took:?} against {baseline:?} for plain text",
            size / unit.len()
        );
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"AKIAghp_sk-eyJ.=:/@'\"\n\r -----BEGIN PRIVATE KEY xoxb-hf_";
    for round in 0..3000 {
        let length = usize::try_from(next() % 400).expect("fits");
        let bytes: Vec<u8> = (0..length)
            .map(|_| {
                if round % 2 == 0 {
                    next() as u8
                } else {
                    alphabet[usize::try_from(next() % alphabet.len() as u64).expect("fits")]
                }
            })
            .collect();
        let report = secrets::scan("random.txt", &bytes);
        for finding in &report.findings {
            assert!(finding.line >= 1 && finding.column >= 1);
        }
    }
}

/// Throughput on 10 MB of a plausible project (code, config, CSV), printed
/// for the record (`cargo test --release -- --nocapture` for a real figure).
#[test]
fn ten_megabytes_of_project_files() {
    let unit = "import pandas as pd\ndf = pd.read_csv('data/responses.csv', sep=';')\nregion,score,weight\nnorth,0.73,1.2\nDB_HOST=warehouse.internal\nAPI_TOKEN=Zk4xR2pWq9LmN7vB3cTy8HsD\n";
    let text = unit.repeat(10 * 1024 * 1024 / unit.len());
    let start = Instant::now();
    let report = secrets::scan("big.txt", text.as_bytes());
    let took = start.elapsed();
    println!(
        "secret scanner: {} bytes in {took:?} ({:.1} MB/s), {} findings",
        text.len(),
        text.len() as f64 / took.as_secs_f64() / 1e6,
        report.finding_total
    );
    assert_eq!(report.finding_total, 10 * 1024 * 1024 / unit.len());
}
