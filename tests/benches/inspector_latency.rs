//! How long one HTTPS exchange through the inspector takes: `POST /api/exchange`
//! to the HTTPS lab, one after another over one keep-alive connection to the
//! app, timed by the client (the whole API round trip) and by the server (the
//! exchange's own `timings.total_ms`: connect, handshake, request, response).
//! It measures; it asserts nothing.
//!
//!   SAFELAB_BIN=target/release/safelab cargo bench -p safelab-tests --bench inspector_latency
//!
//! `SAFELAB_BENCH_ROUNDS=2000` changes how many exchanges are timed (after a
//! warm-up of a tenth as many).

use std::time::{Duration, Instant};

use safelab_tests::program::{Program, release_binary};

/// Timed exchanges (`SAFELAB_BENCH_ROUNDS` changes it).
fn rounds() -> usize {
    std::env::var("SAFELAB_BENCH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(1000)
}

fn percentile(sorted: &[f64], share: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn figures(mut millis: Vec<f64>) -> String {
    millis.sort_by(f64::total_cmp);
    format!(
        "p50 {:.3} ms, p99 {:.3} ms",
        percentile(&millis, 0.5),
        percentile(&millis, 0.99)
    )
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
    let https = program
        .printed("Lab over HTTPS:")
        .expect("the banner names the HTTPS lab");
    let https = https.trim_end_matches('/').trim_end_matches("/lab");
    let endpoint = format!("{}api/exchange", program.app_url);
    let body = serde_json::json!({"method": "GET", "url": format!("{https}/lab/hello")});
    // One client, one keep-alive connection to the app: the figure is the
    // inspector's, not the cost of connecting to the API.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .expect("client");

    let rounds = rounds();
    let (mut round_trips, mut server_side) = (Vec::new(), Vec::new());
    for round in 0..rounds + rounds / 10 {
        let started = Instant::now();
        let answer = client
            .post(&endpoint)
            .json(&body)
            .send()
            .await
            .expect("the API answers");
        assert!(answer.status().is_success(), "{}", answer.status());
        let exchange: serde_json::Value = answer.json().await.expect("an exchange");
        let took: Duration = started.elapsed();
        if round < rounds / 10 {
            continue;
        }
        round_trips.push(took.as_secs_f64() * 1000.0);
        server_side.push(exchange["timings"]["total_ms"].as_f64().unwrap_or(f64::NAN));
    }
    println!(
        "inspector, HTTPS exchange (server side, timings.total_ms): {} ({rounds} exchanges)",
        figures(server_side)
    );
    println!(
        "inspector, HTTPS exchange (POST /api/exchange round trip, keep-alive): {}",
        figures(round_trips)
    );
}
