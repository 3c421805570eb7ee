//! Unit tests of the lint: every check with a snippet that triggers it and
//! one that does not, `# nosec`, syntax errors, hostile input and size.

use super::*;

/// The (check, line) pairs the lint reports on `source`.
fn found(source: &str) -> Vec<(String, usize)> {
    let report = lint("t.py", source);
    assert_eq!(report.syntax_error, None, "{source}");
    report
        .findings
        .into_iter()
        .map(|finding| (finding.check, finding.line))
        .collect()
}

/// Whether `check` is reported on `source`.
fn has(source: &str, check: &str) -> bool {
    found(source).iter().any(|(id, _)| id == check)
}

/// Every check: (id, a snippet it flags, a snippet it must not flag).
const CASES: &[(&str, &str, &str)] = &[
    (
        "B101",
        "assert user.is_admin\n",
        "if not user.is_admin:\n    raise PermissionError()\n",
    ),
    ("B102", "exec(code)\n", "print(code)\n"),
    (
        "B103",
        "import os\nos.chmod('out.csv', 0o777)\n",
        "import os\nos.chmod('out.csv', 0o600)\n",
    ),
    (
        "B104",
        "app.run(host='0.0.0.0')\n",
        "app.run(host='127.0.0.1')\n",
    ),
    (
        "B105",
        "db_password = 'hunter2'\n",
        "db_password = os.environ['DB_PASSWORD']\n",
    ),
    (
        "B105",
        "if token == 'abc':\n    pass\n",
        "if name == 'abc':\n    pass\n",
    ),
    (
        "B105",
        "conf = {'password': 'p'}\n",
        "conf = {'user': 'p'}\n",
    ),
    (
        "B106",
        "connect(password='root')\n",
        "connect(password=secret)\n",
    ),
    (
        "B107",
        "def login(user, password='admin'):\n    pass\n",
        "def login(user, password=None):\n    pass\n",
    ),
    (
        "B108",
        "open('/tmp/report.csv', 'w')\n",
        "open('reports/report.csv', 'w')\n",
    ),
    (
        "B110",
        "try:\n    f()\nexcept Exception:\n    pass\n",
        "try:\n    f()\nexcept ValueError:\n    pass\n",
    ),
    (
        "B112",
        "for x in y:\n    try:\n        f()\n    except:\n        continue\n",
        "for x in y:\n    try:\n        f()\n    except:\n        log()\n",
    ),
    (
        "B113",
        "import requests\nrequests.get(url)\n",
        "import requests\nrequests.get(url, timeout=30)\n",
    ),
    (
        "B201",
        "from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n",
        "from flask import Flask\napp = Flask(__name__)\napp.run()\n",
    ),
    (
        "B202",
        "import tarfile\ntarfile.open(path).extractall(dest)\n",
        "import tarfile\ntarfile.open(path).extractall(dest, filter='data')\n",
    ),
    (
        "B301",
        "import pickle\npickle.loads(blob)\n",
        "import json\njson.loads(blob)\n",
    ),
    (
        "B301",
        "import pandas as pd\npd.read_pickle('df.pkl')\n",
        "import pandas as pd\npd.read_parquet('df.parquet')\n",
    ),
    (
        "B303",
        "from cryptography.hazmat.primitives import hashes\nhashes.MD5()\n",
        "from cryptography.hazmat.primitives import hashes\nhashes.SHA256()\n",
    ),
    (
        "B324",
        "import hashlib\nhashlib.md5(data)\n",
        "import hashlib\nhashlib.md5(data, usedforsecurity=False)\n",
    ),
    (
        "B324",
        "import hashlib\nhashlib.new('sha1')\n",
        "import hashlib\nhashlib.new('sha256')\n",
    ),
    (
        "B306",
        "import tempfile\ntempfile.mktemp()\n",
        "import tempfile\ntempfile.mkstemp()\n",
    ),
    (
        "B307",
        "eval(text)\n",
        "import ast\nast.literal_eval(text)\n",
    ),
    (
        "B311",
        "import random\nrandom.choice(letters)\n",
        "import secrets\nsecrets.choice(letters)\n",
    ),
    ("B403", "import pickle\n", "import json\n"),
    (
        "B404",
        "from subprocess import run\n",
        "from shutil import which\n",
    ),
    (
        "B501",
        "import requests\nrequests.get(url, verify=False, timeout=5)\n",
        "import requests\nrequests.get(url, verify='ca.pem', timeout=5)\n",
    ),
    (
        "B506",
        "import yaml\nyaml.load(text)\n",
        "import yaml\nyaml.load(text, Loader=yaml.SafeLoader)\n",
    ),
    (
        "B602",
        "import subprocess\nsubprocess.run(cmd, shell=True)\n",
        "import subprocess\nsubprocess.run(cmd, shell=False)\n",
    ),
    (
        "B603",
        "import subprocess\nsubprocess.run(['/usr/bin/wc', path])\n",
        "import subprocess\nsubprocess.run(cmd, shell=True)\n",
    ),
    (
        "B605",
        "import os\nos.system('wc -l ' + path)\n",
        "import os\nos.getcwd()\n",
    ),
    (
        "B607",
        "import subprocess\nsubprocess.run(['wc', path])\n",
        "import subprocess\nsubprocess.run(['/usr/bin/wc', path])\n",
    ),
    (
        "B608",
        "cur.execute(f\"SELECT * FROM t WHERE id = {i}\")\n",
        "cur.execute('SELECT * FROM t WHERE id = ?', (i,))\n",
    ),
    (
        "B608",
        "q = 'SELECT * FROM t WHERE id = %s' % i\n",
        "q = 'Selected %s items from the list' % n\n",
    ),
    (
        "B608",
        "q = 'DELETE FROM t WHERE id = ' + i\n",
        "q = 'Deleted ' + i\n",
    ),
    (
        "B608",
        "q = 'UPDATE t SET a = {}'.format(a)\n",
        "q = 'Updated {}'.format(a)\n",
    ),
    (
        "B614",
        "import torch\ntorch.load('m.pt')\n",
        "import torch\ntorch.load('m.pt', weights_only=True)\n",
    ),
    (
        "B701",
        "import jinja2\njinja2.Environment(autoescape=False)\n",
        "import jinja2\njinja2.Environment(autoescape=True)\n",
    ),
];

#[test]
fn every_check_flags_its_positive_snippet_and_not_its_negative_one() {
    for (check, positive, negative) in CASES {
        assert!(has(positive, check), "{check} missed in:\n{positive}");
        assert!(
            !has(negative, check),
            "{check} wrongly found in:\n{negative}"
        );
    }
    // And every check of the catalogue has a case.
    for check in CHECKS {
        if !["B604", "B606"].contains(&check.id) {
            assert!(
                CASES.iter().any(|case| case.0 == check.id),
                "no case for {}",
                check.id
            );
        }
    }
}

#[test]
fn other_shell_calls_are_flagged_as_the_reference_flags_them() {
    assert!(has("run_job(cmd, shell=True)\n", "B604"));
    assert!(!has("run_job(cmd)\n", "B604"));
    assert!(has("import os\nos.execv('/bin/ls', args)\n", "B606"));
    assert!(!has("import os\nos.getpid()\n", "B606"));
}

#[test]
fn aliases_resolve_like_the_reference() {
    assert_eq!(
        found("from os import system as run\nrun(cmd)\n"),
        vec![("B605".into(), 2)]
    );
    assert_eq!(
        found("import subprocess as sp\nsp.call(cmd, shell=True)\n"),
        vec![("B404".into(), 1), ("B602".into(), 2)]
    );
    assert!(has("from pickle import loads\nloads(blob)\n", "B301"));
    // `from yaml import load` is not `import yaml`: the reference does not flag it.
    assert!(!has("from yaml import load\nload(text)\n", "B506"));
}

#[test]
fn levels_names_and_messages_are_the_references() {
    let report = lint(
        "t.py",
        "import subprocess\nsubprocess.call(f'wc -l {p}', shell=True)\n",
    );
    let finding = &report.findings[1];
    assert_eq!(finding.check, "B602");
    assert_eq!(finding.name, "subprocess_popen_with_shell_equals_true");
    assert_eq!(
        (finding.severity, finding.confidence),
        (Level::High, Level::High)
    );
    assert_eq!(
        finding.message,
        "subprocess call with shell=True identified, security issue."
    );
    assert_eq!((finding.line, finding.column), (2, 1));
    assert_eq!(finding.code, "subprocess.call(f'wc -l {p}', shell=True)");
    assert!(finding.fix.contains("list of arguments"), "{}", finding.fix);
    // A literal command is low severity.
    let report = lint(
        "t.py",
        "import subprocess\nsubprocess.call('ls', shell=True)\n",
    );
    assert_eq!(report.findings[1].severity, Level::Low);
}

#[test]
fn nosec_silences_a_line_all_or_by_id() {
    let base = "import subprocess  # nosec\nsubprocess.call(cmd, shell=True)";
    let report = lint("t.py", &format!("{base}  # nosec\n"));
    assert_eq!((report.findings.len(), report.suppressed), (0, 2));
    let report = lint(
        "t.py",
        &format!("{base}  # nosec B602 - the command is a constant of ours\n"),
    );
    assert_eq!((report.findings.len(), report.suppressed), (0, 2));
    let report = lint("t.py", &format!("{base}  # nosec B603\n"));
    assert_eq!((report.findings.len(), report.suppressed), (1, 1));
    // By name too; and `B603,B602` names B602 only, as in the reference.
    let report = lint(
        "t.py",
        &format!("{base}  # nosec subprocess_popen_with_shell_equals_true\n"),
    );
    assert_eq!(report.findings.len(), 0);
    let report = lint("t.py", &format!("{base}  # nosec B602,B603\n"));
    assert_eq!(report.findings.len(), 1);
    // A nosec inside a string is no comment.
    let report = lint("t.py", "password = '# nosec'\n");
    assert_eq!(report.findings.len(), 1);
}

#[test]
fn a_syntax_error_is_reported_with_its_place() {
    let report = lint("t.py", "x = 1\ndef f(:\n    pass\n");
    let error = report.syntax_error.clone().expect("a syntax error");
    assert_eq!(error.line, 2);
    assert!(error.column >= 1);
    assert_eq!(report.finding_count(), 1);
    assert!(
        report.human().contains("t.py:2: syntax error"),
        "{}",
        report.human()
    );
}

#[test]
fn deep_nesting_is_refused_before_parsing() {
    for source in [
        format!("x = {}1{}\n", "(".repeat(100_000), ")".repeat(100_000)),
        format!("x = {}1\n", "1+".repeat(200_000)),
        format!("x = {}1\n", "-".repeat(200_000)),
        format!("x = a{}\n", ".b".repeat(200_000)),
        format!("x = f'{}'\n", "{(".repeat(50_000)),
        format!("x = {}\n", "lambda: ".repeat(50_000)),
    ] {
        let report = lint("deep.py", &source);
        assert!(report.syntax_error.is_some(), "{}", &source[..40]);
    }
    // Still fine: deep but reasonable.
    let ok = format!("x = {}1{}\n", "(".repeat(150), ")".repeat(150));
    assert_eq!(lint("ok.py", &ok).syntax_error, None);
    let ok = format!("x = [{}]\n", "-1, ".repeat(100_000));
    assert_eq!(lint("ok.py", &ok).syntax_error, None);
}

#[test]
fn the_deepest_accepted_code_fits_a_small_stack() {
    // WASM gets a 1 MiB stack; this test's code is unoptimised, so its
    // frames are larger than the app's.
    let limit = scan::MAX_DEPTH as usize - 20;
    let sources = [
        format!("x = {}1\n", "-".repeat(limit)),
        format!("x = {}1\n", "1+".repeat(limit / 2)),
        format!("x = a{}\n", ".b".repeat(limit)),
        format!("x = {}1\n", "not ".repeat(limit)),
    ];
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || {
            for source in sources {
                let report = lint("deep.py", &source);
                assert_eq!(report.syntax_error, None, "{}", &source[..20]);
            }
        })
        .expect("a thread")
        .join()
        .expect("no overflow");
}

#[test]
fn a_large_file_is_linted_in_pieces_with_the_same_findings() {
    let unit = "import os\n\n@decorate\ndef f(password='x'):\n    s = \"\"\"\nSELECT\n\"\"\"\n    if a:\n        pass\n    else:\n        os.system(cmd)\n\n\ntry:\n    g()\nexcept:\n    pass\n";
    let big = unit.repeat(3 * scan::CHUNK / unit.len());
    let report = lint("big.py", &big);
    assert_eq!(report.syntax_error, None);
    let per_unit = lint("unit.py", unit).findings.len();
    assert_eq!(
        report.findings.len() + report.omitted,
        per_unit * (big.len() / unit.len())
    );
    assert!(report.findings.len() <= MAX_FINDINGS);

    // An alias made in the first piece still names a call in the last.
    let filler = "x = 1\n".repeat(3 * scan::CHUNK / 6);
    let source = format!("from os import system as run\n{filler}run(cmd)\n");
    let report = lint("alias.py", &source);
    assert!(!scan::scan(&source).cuts.is_empty());
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].check, "B605");
}

#[test]
fn one_huge_statement_is_refused_with_advice_but_many_statements_are_read() {
    let data = format!(
        "x = 1\nDATA = [\n{}]\n",
        "    (1.5, 'abc'),\n".repeat(MAX_STATEMENT / 16)
    );
    let report = lint("data.py", &data);
    let error = report.syntax_error.expect("refused");
    assert_eq!(error.line, 2);
    assert!(
        error.message.contains("move large data into a data file"),
        "{}",
        error.message
    );
    // Many statements: each is small (parsing them all is the large-file test).
    let many = "x = (1.5, 'abc')\n".repeat(MAX_STATEMENT / 16);
    assert_eq!(scan::scan(&many).largest.1, 17);
}

#[test]
fn pathological_shapes_stay_linear() {
    // A dict of many password keys, a balanced tree of many SQL strings,
    // many calls after many imports: each would be quadratic if a check
    // looked at all its siblings.
    let many_keys = format!("d = {{{}}}\n", "'password': 'x', ".repeat(50_000));
    fn balanced(depth: u32) -> String {
        match depth {
            0 => "'SELECT a FROM t WHERE x = '".to_owned(),
            _ => format!("({} + {})", balanced(depth - 1), balanced(depth - 1)),
        }
    }
    let tree = format!("q = {} + b\n", balanced(15));
    let calls = "import flask\n".repeat(20_000) + &"app.run(debug=False)\n".repeat(20_000);
    for source in [many_keys, tree, calls] {
        let start = std::time::Instant::now();
        let report = lint("shape.py", &source);
        assert_eq!(report.syntax_error, None);
        let _ = report.human();
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{}",
            &source[..30]
        );
    }
    assert_eq!(
        lint(
            "d.py",
            &format!("d = {{{}}}\n", "'password': 'x', ".repeat(100))
        )
        .findings
        .len(),
        100
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A small deterministic generator (xorshift): mutations of real code.
    let seeds = [
        CASES.iter().map(|case| case.1).collect::<String>(),
        "def f(x):\n    return f'{x!r:>{w}}' + \"\"\"a\n\"\"\"\n".into(),
    ];
    let alphabet = b"()[]{}'\"#\\\n\r\t :.,=+-*fbr0123456789abcnosecBif\x0c\xc3\xa9";
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..3000 {
        let mut bytes = seeds[round % seeds.len()].clone().into_bytes();
        for _ in 0..(next() % 8 + 1) {
            let at = (next() as usize) % (bytes.len() + 1);
            match next() % 3 {
                0 => bytes.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let report = lint("fuzz.py", &text);
        let _ = report.human();
    }
}

#[test]
fn the_password_pattern_is_the_references() {
    for name in [
        "password",
        "PASSWORD",
        "db_passwd",
        "pwd",
        "api_token",
        "secret_key",
        "my_pass",
        "passphrase",
        "passsword",
    ] {
        assert!(checks::password_name(name), "{name}");
    }
    for name in [
        "passage",
        "tokens",
        "secretary",
        "user",
        "compass",
        "password1",
    ] {
        assert!(!checks::password_name(name), "{name}");
    }
}

#[test]
fn the_sql_pattern_is_the_references() {
    for text in [
        "SELECT * FROM t",
        "select a\nfrom b ",
        "DELETE  FROM t",
        "insert into t values(1)",
        "UPDATE t SET a=1",
    ] {
        assert!(checks::looks_like_sql(&format!("{text} ")), "{text}");
    }
    for text in [
        "selected from list",
        "delete it from t",
        "insert into t",
        "update the set",
    ] {
        assert!(!checks::looks_like_sql(text), "{text}");
    }
}

#[test]
fn the_human_report_reads_like_the_reference() {
    let report = lint("job.py", "import os\nos.system('wc -l ' + path)\n");
    let text = report.human();
    assert!(
        text.contains("job.py:2: B605 [high/high] Starting a process with a shell"),
        "{text}"
    );
    assert!(text.contains("    fix: Replace `os.system`"), "{text}");
    assert!(text.ends_with("job.py: 2 lines, 1 finding\n"), "{text}");
}
