//! Progress, as the learner and the instructor rely on it: a solve that got
//! its response survives a restart and a `kill -9`; the live stream reports a
//! solve at once; a reset (API, app or command line) forgets solves and
//! restores the lab; bad requests get JSON errors.

use safelab_protocol::Progress;
use safelab_tests::events::ProgressEvents;
use safelab_tests::program::{Program, release_binary, run_to_end};
use safelab_tests::{Lab, get_json, raw_exchange};

/// Solves `files/read-passwd` with raw bytes to the HTTP lab at `address`.
async fn solve_passwd(address: std::net::SocketAddr) -> String {
    raw_exchange(
        address,
        b"GET /lab/insecure/files/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await
}

async fn solved(app_url: &str, lesson: &str) -> Vec<String> {
    let progress: Progress =
        serde_json::from_value(get_json(&format!("{app_url}api/progress")).await)
            .expect("progress");
    progress
        .lesson(lesson)
        .expect("the lesson")
        .exercises
        .iter()
        .filter(|exercise| exercise.is_solved())
        .map(|exercise| exercise.id.clone())
        .collect()
}

#[tokio::test]
async fn a_solve_that_got_its_response_survives_kill_9() {
    let folder = tempfile::tempdir().expect("folder");
    let data = folder.path().to_string_lossy().into_owned();
    let arguments = ["--port", "0", "--data-dir", &data];
    let program = Program::start(&release_binary(), &arguments, folder.path());
    let answer = solve_passwd(program.http_lab_address()).await;
    assert!(answer.contains("root:x:0:0"), "{answer}");
    // The response is in: kill at once, with no chance to flush anything.
    program.kill_hard();

    let again = Program::start(&release_binary(), &arguments, folder.path());
    assert_eq!(solved(&again.app_url, "files").await, ["read-passwd"]);
    drop(again);

    // The instructor resets from the command line with no safelab running.
    let port_of_nothing = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("address")
        .port()
        .to_string();
    let reset = run_to_end(
        &release_binary(),
        &[
            "reset",
            "files",
            "--data-dir",
            &data,
            "--port",
            &port_of_nothing,
        ],
    );
    let said = String::from_utf8_lossy(&reset.stdout);
    assert!(
        reset.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    assert!(said.contains("1 solved challenge(s) forgotten"), "{said}");
    let after = Program::start(&release_binary(), &arguments, folder.path());
    assert!(solved(&after.app_url, "files").await.is_empty());
}

#[tokio::test]
async fn a_command_line_reset_goes_through_the_running_safelab() {
    let folder = tempfile::tempdir().expect("folder");
    let data = folder.path().to_string_lossy().into_owned();
    let program = Program::start(
        &release_binary(),
        &["--port", "0", "--data-dir", &data],
        folder.path(),
    );
    solve_passwd(program.http_lab_address()).await;
    assert_eq!(solved(&program.app_url, "files").await, ["read-passwd"]);
    let port = program
        .app_url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .expect("a port")
        .to_owned();
    let nothing_named = run_to_end(&release_binary(), &["reset", "--port", &port]);
    assert!(!nothing_named.status.success());
    let error = String::from_utf8_lossy(&nothing_named.stderr);
    assert!(
        error.contains("--all") && error.contains("files"),
        "{error}"
    );
    let unknown = run_to_end(&release_binary(), &["reset", "nope", "--port", &port]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("there is no lesson \"nope\""));

    let reset = run_to_end(&release_binary(), &["reset", "--all", "--port", &port]);
    let said = String::from_utf8_lossy(&reset.stdout);
    assert!(reset.status.success(), "{said}");
    assert!(said.contains("Open browsers show it at once"), "{said}");
    assert!(solved(&program.app_url, "files").await.is_empty());
}

#[tokio::test]
async fn the_live_stream_reports_a_solve_and_a_reset() {
    let lab = Lab::start().await;
    let mut events = ProgressEvents::open(&lab.app("/")).await;
    let solved = |count: u32| {
        move |progress: &Progress| {
            progress
                .lesson("files")
                .is_some_and(|lesson| lesson.solved == count)
        }
    };
    let first = events.next().await;
    assert!(solved(0)(&first));
    solve_passwd(lab.running.http_address).await;
    events.until(solved(1)).await;
    reqwest::Client::new()
        .post(lab.app("/api/progress/reset"))
        .send()
        .await
        .expect("reset");
    events.until(solved(0)).await;
}

#[tokio::test]
async fn resets_refuse_get_and_unknown_lessons_with_json() {
    let lab = Lab::start().await;
    let get = reqwest::get(lab.app("/api/progress/reset"))
        .await
        .expect("up");
    assert_eq!(get.status(), 405);
    let error: serde_json::Value = get.json().await.expect("JSON");
    assert_eq!(error["code"], "use_post");
    let unknown = reqwest::Client::new()
        .post(lab.app("/api/progress/nope/reset"))
        .send()
        .await
        .expect("up");
    assert_eq!(unknown.status(), 404);
    let error: serde_json::Value = unknown.json().await.expect("JSON");
    assert_eq!(error["code"], "lesson_not_found");
    let other = reqwest::Client::new()
        .post(lab.app("/api/progress/files/forget"))
        .send()
        .await
        .expect("up");
    assert_eq!(other.status(), 404);
    let error: serde_json::Value = other.json().await.expect("JSON");
    assert_eq!(error["code"], "no_such_endpoint");
}
