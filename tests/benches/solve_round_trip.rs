//! How long a solved exercise takes to reach the learner's page: from the
//! first byte of the solving request to the `progress` event that reports it on
//! the live stream the app listens to. It measures; it asserts nothing.
//!
//!   SAFELAB_BIN=target/release/safelab cargo bench -p safelab-tests --bench solve_round_trip
//!
//! Each round resets the lesson (so the next solve is new and is written to
//! disk, with its fsync), waits for the reset's event, then times the solve.
//! `SAFELAB_BENCH_ROUNDS=500` changes how many rounds.

use std::time::{Duration, Instant};

use safelab_tests::events::ProgressEvents;
use safelab_tests::program::{Program, release_binary};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Rounds (`SAFELAB_BENCH_ROUNDS` changes it).
fn rounds() -> usize {
    std::env::var("SAFELAB_BENCH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(200)
}

/// Waits for an event in which `files` has `solved` solved exercises.
async fn until_solved(events: &mut ProgressEvents, solved: u32) {
    events
        .until(|progress| progress.lesson("files").map(|lesson| lesson.solved) == Some(solved))
        .await;
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let folder = tempfile::tempdir().expect("folder");
    let data = folder.path().to_string_lossy().into_owned();
    let program = Program::start(
        &release_binary(),
        &["--port", "0", "--data-dir", &data],
        folder.path(),
    );
    let app = program.app_url.clone();
    let lab = program.http_lab_address();
    let client = reqwest::Client::new();
    let mut events = ProgressEvents::open(&app).await;
    events.next().await;

    let request = b"GET /lab/insecure/files/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let (mut answered, mut reported) = (Vec::new(), Vec::new());
    for _ in 0..rounds() {
        client
            .post(format!("{app}api/progress/files/reset"))
            .send()
            .await
            .expect("reset");
        until_solved(&mut events, 0).await;
        let started = Instant::now();
        let mut tcp = TcpStream::connect(lab).await.expect("connects");
        tcp.write_all(request).await.expect("writes");
        let mut answer = Vec::new();
        tcp.read_to_end(&mut answer).await.expect("reads");
        answered.push(started.elapsed());
        until_solved(&mut events, 1).await;
        reported.push(started.elapsed());
    }
    answered.sort();
    reported.sort();
    println!(
        "solved exercise, request to its response (solve on disk): p50 {}, p99 {} ({} rounds)",
        millis(percentile(&answered, 0.5)),
        millis(percentile(&answered, 0.99)),
        answered.len()
    );
    println!(
        "solved exercise, request to the live event in the page:  p50 {}, p99 {}",
        millis(percentile(&reported, 0.5)),
        millis(percentile(&reported, 0.99)),
    );
    drop(program);
}
