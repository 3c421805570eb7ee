//! Lesson `injection`, "SQL injection": on a real SQLite database, each
//! classic injection (a quote that leaks the SQL, `' OR '1'='1`, a login cut
//! short with a comment, `UNION SELECT` of the staff table) works on the
//! insecure twin and fails on the secure one, from Rust, from the request
//! builder and from the lesson's Python scripts; sqlmap finds the insecure
//! twin injectable and the secure twin not; wfuzz's SQL payload lists never
//! get a 500 or staff data from the secure twin; no payload reads, creates or
//! changes a file on the host; a runaway query is cut off within a second
//! while other requests keep their latency; and a reset restores the
//! database bit for bit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use safelab_tests::python::{Learner, printed};
use safelab_tests::{Lab, repo_root, tool};
use serde_json::{Value, json};

const LESSON: &str = "injection";
const UNION_STAFF: &str =
    "' UNION SELECT id, username, password_hash, role, full_name FROM staff --";

/// An answer: its status and its body as text.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }
}

/// `text` percent-encoded for a query string or a form: everything but
/// letters and digits escaped.
fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A patient search on `twin` for `name`.
async fn search(lab: &Lab, twin: &str, name: &str) -> Answer {
    search_raw(lab, twin, &format!("name={}", encoded(name))).await
}

/// A patient search on `twin` with the query string `query`, sent as is.
async fn search_raw(lab: &Lab, twin: &str, query: &str) -> Answer {
    let url = lab.http(&format!("/lab/{twin}/patients?{query}"));
    let response = reqwest::get(&url)
        .await
        .unwrap_or_else(|error| panic!("{url}: {error}"));
    Answer {
        status: response.status().as_u16(),
        body: response.text().await.expect("a body"),
    }
}

/// A staff login on `twin`, as an HTML form sends it.
async fn login(lab: &Lab, twin: &str, username: &str, password: &str) -> Answer {
    let url = lab.http(&format!("/lab/{twin}/staff/login"));
    let response = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username={}&password={}",
            encoded(username),
            encoded(password)
        ))
        .send()
        .await
        .unwrap_or_else(|error| panic!("{url}: {error}"));
    Answer {
        status: response.status().as_u16(),
        body: response.text().await.expect("a body"),
    }
}

/// The staff's password hashes, read the way the lesson teaches.
async fn staff_hashes(lab: &Lab) -> Vec<String> {
    let dump = search(lab, "insecure", UNION_STAFF).await;
    assert_eq!(dump.status, 200, "{}", dump.body);
    let hashes: Vec<String> = dump.json()["patients"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["last_name"].as_str().expect("a hash").to_owned())
        .collect();
    assert_eq!(hashes.len(), 6);
    assert!(hashes.iter().all(|hash| hash.len() == 64));
    hashes
}

fn learner_database(lab: &Lab) -> PathBuf {
    lab.data.path().join("lab/injection/local.sqlite3")
}

#[tokio::test]
async fn a_quote_leaks_the_sql_on_the_insecure_twin_and_is_a_name_on_the_secure_one() {
    let lab = Lab::start().await;
    let leak = search(&lab, "insecure", "O'Brien").await;
    assert_eq!(leak.status, 500);
    let leak = leak.json();
    assert!(
        leak["error"]
            .as_str()
            .expect("an error")
            .contains("syntax error")
    );
    assert!(
        leak["sql"]
            .as_str()
            .expect("the SQL")
            .contains("WHERE last_name = 'O'Brien'")
    );
    let secure = search(&lab, "secure", "O'Brien").await;
    assert_eq!(secure.status, 200, "{}", secure.body);
    let patients = secure.json()["patients"].as_array().expect("rows").clone();
    assert!(!patients.is_empty());
    assert!(patients.iter().all(|row| row["last_name"] == "O'Brien"));
    // An ordinary search answers the same on both twins.
    let insecure = search(&lab, "insecure", "garcia").await;
    let secure = search(&lab, "secure", "garcia").await;
    assert_eq!(insecure.json()["patients"], secure.json()["patients"]);
    // A quote alone broke the insecure query but injected nothing: it is
    // no payload the secure twin held against.
    assert_eq!(lab.solved(LESSON).await, ["leak-error"]);
}

/// `secure-holds` takes a real payload: input that turns the insecure SQL
/// into another query that parses, refused (a 400) or kept as data (a 200).
#[tokio::test]
async fn the_secure_twin_holds_against_a_real_payload_only() {
    let lab = Lab::start().await;
    for not_a_payload in ["O'Brien", "'", "O''Brien", "garcia"] {
        search(&lab, "secure", not_a_payload).await;
        login(&lab, "secure", not_a_payload, "x").await;
    }
    assert!(lab.solved(LESSON).await.is_empty());
    // Letters with quotes between them pass validation: searched as data.
    let data = search(&lab, "secure", "x'OR'a").await;
    assert_eq!(data.status, 200, "{}", data.body);
    lab.wait_until_solved(LESSON, "secure-holds").await;
    let other = Lab::start().await;
    let refused = login(&other, "secure", "admin'--", "x").await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    other.wait_until_solved(LESSON, "secure-holds").await;
}

/// The secure twin never runs what it was sent as SQL, not even to check
/// whether it would inject: a payload that keeps a query busy until the
/// deadline answers at once. Generous bound: run, each of these would take
/// the whole one-second deadline (three in a row, at least three seconds);
/// refused without running, all three take milliseconds.
#[tokio::test]
async fn the_secure_twin_never_runs_a_payload() {
    let lab = Lab::start().await;
    assert_eq!(search(&lab, "secure", "garcia").await.status, 200);
    let heavy =
        "x' OR (SELECT count(*) FROM patients a, patients b, patients c, patients d) > 0 --";
    let started = Instant::now();
    for _ in 0..3 {
        let answer = search(&lab, "secure", heavy).await;
        assert_eq!(answer.status, 400, "{}", answer.body);
        let answer = login(&lab, "secure", heavy, "x").await;
        assert_eq!(answer.status, 400, "{}", answer.body);
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    lab.wait_until_solved(LESSON, "secure-holds").await;
}

#[tokio::test]
async fn boolean_injection_widens_the_insecure_search_only() {
    let lab = Lab::start().await;
    let count = |answer: &Answer| answer.json()["count"].as_u64().expect("a count");
    let everyone = search(&lab, "insecure", "' OR '1'='1").await;
    let nobody = search(&lab, "insecure", "' AND '1'='2").await;
    assert_eq!(count(&everyone), 100, "every patient, capped at 100 rows");
    assert_eq!(everyone.json()["truncated"], true);
    assert_eq!(count(&nobody), 0);
    for payload in ["' OR '1'='1", "' OR 1=1 --"] {
        let refused = search(&lab, "secure", payload).await;
        assert_eq!(refused.status, 400, "{payload}");
        assert_eq!(refused.json()["field"], "name");
        assert_eq!(refused.json()["received"], payload);
    }
    // Letters with quotes between them pass validation, and stay data.
    let data = search(&lab, "secure", "x'OR'a").await;
    assert_eq!(data.status, 200, "{}", data.body);
    assert_eq!(count(&data), 0);
}

#[tokio::test]
async fn a_comment_logs_in_without_a_password_on_the_insecure_twin_only() {
    let lab = Lab::start().await;
    for twin in ["insecure", "secure"] {
        let trainee = login(&lab, twin, "trainee", "first-day-2024").await;
        assert_eq!(trainee.status, 200, "{twin}: {}", trainee.body);
        assert_eq!(trainee.json()["staff"]["username"], "trainee");
        let wrong = login(&lab, twin, "admin", "guess").await;
        assert_eq!(wrong.status, 401, "{twin}: {}", wrong.body);
    }
    assert!(
        lab.solved(LESSON).await.is_empty(),
        "a real login solves nothing"
    );
    let bypass = login(&lab, "insecure", "admin'--", "anything").await;
    assert_eq!(bypass.status, 200, "{}", bypass.body);
    assert_eq!(bypass.json()["staff"]["username"], "admin");
    lab.wait_until_solved(LESSON, "bypass-login").await;
    let refused = login(&lab, "secure", "admin'--", "anything").await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["field"], "username");
    // JSON works too, on both twins.
    for twin in ["insecure", "secure"] {
        let json_login = reqwest::Client::new()
            .post(lab.http(&format!("/lab/{twin}/staff/login")))
            .json(&json!({"username": "trainee", "password": "first-day-2024"}))
            .send()
            .await
            .expect("answers");
        assert_eq!(json_login.status(), 200, "{twin}");
        let body: Value = json_login.json().await.expect("JSON");
        assert_eq!(body["staff"]["username"], "trainee", "{twin}");
    }
    assert_eq!(lab.solved(LESSON).await, ["bypass-login", "secure-holds"]);
}

#[tokio::test]
async fn union_select_dumps_the_staff_table_from_the_insecure_search_only() {
    let lab = Lab::start().await;
    let hashes = staff_hashes(&lab).await;
    lab.wait_until_solved(LESSON, "dump-staff").await;
    let secure = search(&lab, "secure", UNION_STAFF).await;
    assert_eq!(secure.status, 400);
    assert!(
        hashes
            .iter()
            .all(|hash| !secure.body.contains(hash.as_str()))
    );
    // What the dump shows is the real thing: the trainee's hash is the
    // SHA-256 of the trainee's password.
    let trainee: String = ring::digest::digest(&ring::digest::SHA256, b"first-day-2024")
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert!(hashes.contains(&trainee));
}

/// The request builder (`POST /api/exchange`) solves each challenge, and
/// the progress says so.
#[tokio::test]
async fn each_challenge_is_solved_from_the_request_builder() {
    let lab = Lab::start().await;
    let send = |method: &str, path: &str, body: &str| {
        let form = vec![(
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        )];
        json!({
            "method": method,
            "url": lab.https(path),
            "headers": if body.is_empty() { Vec::new() } else { form },
            "body": body,
        })
    };
    let steps = [
        (
            "GET",
            "/lab/insecure/patients?name=O'Brien",
            "",
            "leak-error",
            500,
        ),
        (
            "POST",
            "/lab/insecure/staff/login",
            "username=admin'--&password=x",
            "bypass-login",
            200,
        ),
        (
            "GET",
            "/lab/insecure/patients?name='%20UNION%20SELECT%20id,%20username,%20password_hash,%20role,%20full_name%20FROM%20staff%20--",
            "",
            "dump-staff",
            200,
        ),
        (
            "POST",
            "/lab/secure/staff/login",
            "username=admin'--&password=x",
            "secure-holds",
            400,
        ),
    ];
    for (method, path, body, exercise, status) in steps {
        let (code, exchange) = lab.exchange(send(method, path, body)).await;
        assert_eq!(code, 200, "{exchange}");
        assert_eq!(exchange["status"], status, "{path}: {exchange}");
        lab.wait_until_solved(LESSON, exercise).await;
    }
    assert_eq!(lab.solved(LESSON).await.len(), 4);
}

/// The lesson's Python scripts, downloaded from the app as a learner gets
/// them, solve every challenge against a live safelab; the self-contained
/// one shows the same attacks on Python's own `sqlite3`.
#[tokio::test]
async fn the_lessons_python_scripts_solve_every_challenge() {
    let lab = Lab::start().await;
    let learner = Learner::new(&lab).await;
    for name in ["challenges.py", "sqlite_safely.py"] {
        let url = lab.app(&format!("/api/lessons/{LESSON}/python/{name}"));
        let script = reqwest::get(&url)
            .await
            .expect("downloads")
            .text()
            .await
            .expect("text");
        let output = learner.run_script(name, &script).await;
        assert!(output.status.success(), "{name}:\n{}", printed(&output));
    }
    assert_eq!(
        lab.solved(LESSON).await,
        ["leak-error", "bypass-login", "dump-staff", "secure-holds"]
    );
}

/// Every file under `folder` with its bytes and modification time.
fn snapshot(folder: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut files = BTreeMap::new();
    let mut pending = vec![folder.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("lists") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let modified = std::fs::metadata(&path)
                    .and_then(|metadata| metadata.modified())
                    .expect("a time");
                files.insert(
                    path.clone(),
                    (std::fs::read(&path).expect("reads"), modified),
                );
            }
        }
    }
    files
}

/// Plants secrets beside the lab's data, where an injection that reached
/// the host would find them: a file named like a database in the lesson's
/// own folder, and a text file in the data folder.
fn plant(lab: &Lab) -> Vec<PathBuf> {
    let beside = lab.data.path().join("lab/injection/planted.sqlite3");
    let text = lab.data.path().join("planted.txt");
    for path in [&beside, &text] {
        std::fs::write(path, "PLANTED-SECRET-7f3a\n").expect("plants");
    }
    vec![beside, text]
}

/// What injections that try to leave the lab database send: attaching a
/// file, loading an extension, writing a copy, reading or writing files,
/// and every kind of write, through the search and the login.
fn escape_payloads(lab: &Lab) -> Vec<String> {
    let data = lab.data.path();
    let planted = data.join("lab/injection/planted.sqlite3");
    let text = data.join("planted.txt");
    let created = data.join("lab/injection/created.sqlite3");
    let (planted, text, created) = (
        planted.display().to_string(),
        text.display().to_string(),
        created.display().to_string(),
    );
    vec![
        format!("'; ATTACH DATABASE '{planted}' AS planted --"),
        format!("'; ATTACH DATABASE '{created}' AS created --"),
        format!("' UNION SELECT 1, 2, 3, 4, 5 FROM planted.secrets --"),
        "' AND load_extension('/usr/lib/x86_64-linux-gnu/libc.so.6') --".to_owned(),
        "' UNION SELECT load_extension('libsqlite3ext'), 2, 3, 4, 5 --".to_owned(),
        format!("'; VACUUM INTO '{created}' --"),
        format!("' UNION SELECT readfile('{text}'), 2, 3, 4, 5 --"),
        format!("' UNION SELECT writefile('{created}', 'x'), 2, 3, 4, 5 --"),
        "' UNION SELECT fts3_tokenizer('simple'), 2, 3, 4, 5 --".to_owned(),
        "'; INSERT INTO staff (username, full_name, role, password_hash) VALUES ('mallory', 'M', 'admin', 'x') --".to_owned(),
        "'; UPDATE staff SET password_hash = 'x' --".to_owned(),
        "'; DELETE FROM patients --".to_owned(),
        "'; DROP TABLE staff --".to_owned(),
        "'; PRAGMA writable_schema = ON --".to_owned(),
        "'; CREATE TABLE loot AS SELECT * FROM staff --".to_owned(),
        "' UNION SELECT 1, 2, 3, 4, 5 FROM pragma_database_list --".to_owned(),
        "' UNION SELECT 1, name, file, 4, 5 FROM pragma_database_list --".to_owned(),
        "'; BEGIN EXCLUSIVE --".to_owned(),
    ]
}

#[tokio::test]
async fn no_payload_reads_creates_or_changes_a_file_on_the_host() {
    let lab = Lab::start().await;
    // The database exists before the snapshot: a first use builds it.
    assert_eq!(search(&lab, "insecure", "garcia").await.status, 200);
    let planted = plant(&lab);
    let before = snapshot(lab.data.path().join("lab").as_path());
    let mut payloads = escape_payloads(&lab);
    payloads.extend(safelab_tests::payloads("Injections/SQL.txt"));
    payloads.extend(safelab_tests::payloads("vulns/sql_inj.txt"));
    let text_before = std::fs::read(&planted[1]).expect("reads");
    let where_the_database_is = learner_database(&lab).display().to_string();
    // Each way out fails on the insecure twin too: the guarded connection
    // refuses it, and the answer is the database's error.
    for payload in escape_payloads(&lab) {
        let answer = search(&lab, "insecure", &payload).await;
        assert_eq!(answer.status, 500, "{payload}: {}", answer.body);
        assert!(
            !answer.body.contains(&where_the_database_is),
            "{}",
            answer.body
        );
    }
    for payload in &payloads {
        for twin in ["insecure", "secure"] {
            let answers = [
                search_raw(&lab, twin, &format!("name={}", encoded(payload))).await,
                login(&lab, twin, payload, "x").await,
            ];
            for answer in answers {
                assert!(
                    !answer.body.contains("PLANTED-SECRET"),
                    "{twin} {payload}: {}",
                    answer.body
                );
            }
        }
    }
    let after = snapshot(lab.data.path().join("lab").as_path());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "no file appeared or disappeared"
    );
    // The lab database itself changes only where a login that got in
    // records its time; every other file is as it was.
    let database = learner_database(&lab);
    for (path, file) in &before {
        if *path != database {
            assert!(after.get(path) == Some(file), "{} changed", path.display());
        }
    }
    assert_eq!(std::fs::read(&planted[1]).expect("reads"), text_before);
    let data_root: Vec<_> = std::fs::read_dir(lab.data.path())
        .expect("lists")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert!(
        data_root
            .iter()
            .all(|name| !name.to_string_lossy().contains("created")),
        "{data_root:?}"
    );
    // The lab database is whole: staff intact, nobody added.
    assert_eq!(staff_hashes(&lab).await.len(), 6);
    let mallory = search(&lab, "secure", "mallory").await;
    assert_eq!(mallory.json()["count"], 0);
}

#[tokio::test]
async fn wfuzz_sql_payloads_never_break_the_secure_twin_or_leak_staff_data() {
    let lab = Lab::start().await;
    let hashes = staff_hashes(&lab).await;
    let mut payloads = safelab_tests::payloads("Injections/SQL.txt");
    payloads.extend(safelab_tests::payloads("vulns/sql_inj.txt"));
    assert!(payloads.len() > 150);
    let mut insecure_errors = 0;
    for payload in &payloads {
        // wfuzz sends its payloads as they are in the URL: they are already
        // in the form a request target carries.
        let insecure = search_raw(&lab, "insecure", &format!("name={payload}")).await;
        if insecure.status == 500 {
            insecure_errors += 1;
        }
        for answer in [
            search_raw(&lab, "secure", &format!("name={payload}")).await,
            login(&lab, "secure", payload, payload).await,
        ] {
            assert!(
                matches!(answer.status, 200 | 400 | 401),
                "{payload}: {} {}",
                answer.status,
                answer.body
            );
            assert!(
                hashes
                    .iter()
                    .all(|hash| !answer.body.contains(hash.as_str())),
                "{payload}: {}",
                answer.body
            );
            // Nothing of how the endpoint is built: no SQL, no database.
            for internal in ["FROM patients", "FROM staff WHERE", "sqlite"] {
                assert!(
                    !answer.body.contains(internal),
                    "{payload}: {}",
                    answer.body
                );
            }
        }
    }
    assert!(
        insecure_errors > 30,
        "the lists break the insecure twin often: {insecure_errors} 500s"
    );
}

/// The payloads that once ran away, and one that runs its whole deadline
/// (first: few steps, each a slow search): a query for minutes, a sort of
/// millions of rows in one step the progress handler never sees, a search
/// through 100,000-character values, sorts of blobs that filled 1.45 GB.
const RUNAWAYS: [&str; 8] = [
    "' OR (SELECT count(*) FROM patients a, patients b WHERE instr(printf('%.*c', 7990, 'a') || a.id || b.id, printf('%.*c', 4000, 'a') || 'b') > 0) > 0 --",
    "' OR (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c) > 0 --",
    "' OR (SELECT count(randomblob(1000)) FROM patients a, patients b, patients c) > 0 --",
    "' OR (SELECT count(*) FROM patients a, patients b, patients c, patients d, appointments e) > 0 --",
    "' UNION ALL SELECT random(), 2, 3, 4, 5 FROM patients a, patients b, (SELECT id FROM patients LIMIT 140) c ORDER BY 1 --",
    "' OR instr(printf('%.*c', 99990, 'a') || id, printf('%.*c', 50000, 'a') || 'b') > 0 --",
    "' UNION ALL SELECT 1, 2, 3, 4, zeroblob(99000) FROM patients a, patients b, patients c ORDER BY 1 --",
    "' UNION ALL SELECT 1, 2, 3, 4, zeroblob(8000) FROM patients a, patients b, patients c ORDER BY 1 --",
];

/// Each runaway ends in the insecure twin's 500 with the database's error
/// (interrupted, too big, out of memory) within a second or so; meanwhile
/// the secure twin keeps answering, because runaways hold the insecure
/// twin's connections only. Latency figures are in `.ci/bench`.
#[tokio::test]
async fn a_runaway_query_is_cut_off_within_a_second_and_others_keep_their_latency() {
    let lab = Lab::start().await;
    assert_eq!(search(&lab, "secure", "garcia").await.status, 200);
    // Generous bound: the deadline is half a second, and the longest step no
    // interrupt reaches (an in-memory sort, kept short by the heap cap) ends
    // within a second in `.ci/bench`; the rest is scheduling on
    // a loaded two-core CI machine. A runaway that was not cut off would
    // run for many seconds (the sort alone, about ten) or fill gigabytes.
    let bound = Duration::from_millis(2500);
    for runaway in RUNAWAYS {
        let started = Instant::now();
        let answer = search(&lab, "insecure", runaway).await;
        let took = started.elapsed();
        assert_eq!(answer.status, 500, "{runaway}: {}", answer.body);
        let error = answer.json()["error"]
            .as_str()
            .expect("an error")
            .to_owned();
        assert!(
            ["interrupted", "too big", "out of memory"]
                .iter()
                .any(|cause| error.contains(cause)),
            "{runaway}: {error}"
        );
        assert!(took < bound, "{runaway} took {took:?}");
    }
    // The insecure twin's four connections all busy with runaways, and
    // more waiting: the secure twin's searches and logins answer while
    // they run, every one of them.
    let runaways: Vec<_> = (0..6)
        .map(|round| {
            let url = lab.http(&format!(
                "/lab/insecure/patients?name={}",
                encoded(RUNAWAYS[round % 2])
            ));
            tokio::spawn(async move {
                let answer = reqwest::get(&url).await.expect("answers");
                (
                    answer.status().as_u16(),
                    answer.text().await.expect("a body"),
                )
            })
        })
        .collect();
    let mut answered_meanwhile = 0;
    for round in 0..400 {
        if runaways.iter().all(tokio::task::JoinHandle::is_finished) {
            break;
        }
        let answer = if round % 2 == 0 {
            search(&lab, "secure", ["garcia", "O'Brien", "chen"][round % 3]).await
        } else {
            login(&lab, "secure", "trainee", "first-day-2024").await
        };
        assert_eq!(answer.status, 200, "{}", answer.body);
        if !runaways.iter().all(tokio::task::JoinHandle::is_finished) {
            answered_meanwhile += 1;
        }
    }
    for runaway in runaways {
        let (status, body) = runaway.await.expect("joined");
        assert_eq!(status, 500, "{body}");
    }
    assert!(
        answered_meanwhile >= 1,
        "no secure answer arrived while the runaways ran"
    );
    // A busy lab was never the app's error: the solves are the 500s'.
    assert_eq!(lab.solved(LESSON).await, ["leak-error"]);
}

#[tokio::test]
async fn a_reset_restores_the_database_bit_for_bit() {
    let lab = Lab::start().await;
    assert_eq!(search(&lab, "secure", "garcia").await.status, 200);
    let path = learner_database(&lab);
    let seeded = std::fs::read(&path).expect("the lab database exists");
    // A real login writes its time into the database.
    assert_eq!(
        login(&lab, "secure", "trainee", "first-day-2024")
            .await
            .status,
        200
    );
    assert_ne!(std::fs::read(&path).expect("reads"), seeded);
    let reset = reqwest::Client::new()
        .post(lab.app(&format!("/api/progress/{LESSON}/reset")))
        .send()
        .await
        .expect("answers");
    assert!(reset.status().is_success());
    assert_eq!(std::fs::read(&path).expect("reads"), seeded);
    // A safelab of its own seeds the very same file.
    let other = Lab::start().await;
    assert_eq!(search(&other, "insecure", "garcia").await.status, 200);
    assert_eq!(
        std::fs::read(learner_database(&other)).expect("reads"),
        seeded
    );
    // The offline reset (`safelab reset` with no safelab running) deletes
    // the lesson's lab folder; the next query rebuilds the same bytes.
    std::fs::remove_dir_all(path.parent().expect("a folder")).expect("deletes");
    assert!(!path.exists());
    assert_eq!(search(&lab, "secure", "garcia").await.status, 200);
    assert_eq!(std::fs::read(&path).expect("reads"), seeded);
}

/// sqlmap, as the project's venv installed it.
fn sqlmap() -> PathBuf {
    let python = tool(
        "SAFELAB_PYTHON",
        repo_root().join(".local/venv/bin/python"),
        "the project's Python venv",
    );
    tool(
        "SAFELAB_SQLMAP",
        python.with_file_name("sqlmap"),
        "sqlmap (tests/python/requirements.txt)",
    )
}

/// Runs sqlmap against `url` (with `data` as a POST form, if any) with
/// `options`, non-interactively, its output in a folder of its own; returns
/// what it printed.
async fn run_sqlmap(url: String, data: Option<&str>, options: &[&str]) -> String {
    let output = tempfile::tempdir().expect("a folder");
    let mut arguments = vec![
        "-u".to_owned(),
        url,
        "--batch".to_owned(),
        "--disable-coloring".to_owned(),
        "--flush-session".to_owned(),
        format!("--output-dir={}", output.path().display()),
        // A login answers 401 to a wrong password: that is an answer to
        // compare, not an error to stop at.
        "--ignore-code=401".to_owned(),
    ];
    if let Some(data) = data {
        arguments.push(format!("--data={data}"));
    }
    arguments.extend(options.iter().map(|option| (*option).to_owned()));
    let program = sqlmap();
    let home = output.path().to_owned();
    let printed = tokio::task::spawn_blocking(move || {
        Command::new(program)
            .args(arguments)
            .env("HOME", home)
            .output()
            .expect("sqlmap runs")
    })
    .await
    .expect("joined");
    format!(
        "{}{}",
        String::from_utf8_lossy(&printed.stdout),
        String::from_utf8_lossy(&printed.stderr)
    )
}

/// What sqlmap finds in a few seconds on the insecure twin (the options
/// that keep it quick: the DBMS named, boolean, error and UNION techniques,
/// level and risk 1), it does not find on the secure twin with a far deeper
/// scan (every DBMS and technique, time-based and stacked included, level
/// 3, risk 2); and it dumps the staff table through the insecure search.
#[tokio::test]
async fn sqlmap_finds_the_insecure_twin_injectable_and_the_secure_twin_not() {
    let lab = Lab::start().await;
    let quick = ["--dbms=SQLite", "--technique=BEU"];
    let deep = ["--level=3", "--risk=2"];
    let login = Some("username=trainee&password=first-day-2024");
    let runs = [
        (
            "insecure search",
            lab.http("/lab/insecure/patients?name=garcia"),
            None,
            &quick[..],
            true,
        ),
        (
            "insecure login",
            lab.http("/lab/insecure/staff/login"),
            login,
            &quick[..],
            true,
        ),
        (
            "secure search",
            lab.http("/lab/secure/patients?name=garcia"),
            None,
            &deep[..],
            false,
        ),
        (
            "secure login",
            lab.http("/lab/secure/staff/login"),
            login,
            &deep[..],
            false,
        ),
    ];
    for (what, url, data, options, injectable) in runs {
        let started = Instant::now();
        let printed = run_sqlmap(url, data, options).await;
        eprintln!("sqlmap, {what}: {:?}", started.elapsed());
        if injectable {
            assert!(
                printed.contains("sqlmap identified the following injection point"),
                "{what}:\n{printed}"
            );
            assert!(
                printed.contains("back-end DBMS: SQLite"),
                "{what}:\n{printed}"
            );
        } else {
            assert!(
                printed.contains("all tested parameters do not appear to be injectable"),
                "{what}:\n{printed}"
            );
        }
    }
    // And it dumps the staff table through the insecure search with UNION
    // SELECT (no dictionary attack on the hashes it finds).
    let hashes = staff_hashes(&lab).await;
    let started = Instant::now();
    let dump = run_sqlmap(
        lab.http("/lab/insecure/patients?name=garcia"),
        None,
        &[
            "--dbms=SQLite",
            "--technique=U",
            "-T",
            "staff",
            "--dump",
            "--answers=crack=N,dictionary=N",
        ],
    )
    .await;
    eprintln!("sqlmap, dump of staff: {:?}", started.elapsed());
    assert!(dump.contains("UNION query"), "{dump}");
    assert!(
        hashes.iter().all(|hash| dump.contains(hash.as_str())),
        "{dump}"
    );
    // What sqlmap did was all on the lab database: the staff are intact.
    assert_eq!(staff_hashes(&lab).await.len(), 6);
}
