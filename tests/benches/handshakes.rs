//! Full TLS handshakes per second per core on the HTTPS lab listener, with
//! the clients' own cost kept out of the figure: the release binary runs as a
//! child process, several concurrent rustls clients drive N handshakes (no
//! resumption: each is a full handshake), and N is divided by the server's
//! CPU time (utime + stime from `/proc/<pid>/stat`, before and after). The
//! wall-clock rate, which the clients share the cores for, is printed too.
//! It measures; it asserts nothing.
//!
//!   SAFELAB_BIN=target/release/safelab cargo bench -p safelab-tests --bench handshakes
//!
//! `SAFELAB_BENCH_HANDSHAKES=20000` changes N; `SAFELAB_BENCH_CLIENTS=4`
//! how many clients run at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rustls::client::Resumption;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use safelab_tests::program::{Program, release_binary};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The process's CPU time so far (user + system).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    // The command name, in parentheses, may hold spaces: count fields after it.
    let after_name = &stat[stat.rfind(')').expect("a command name") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the line (utime, stime) are 12 and 13 after the name.
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
}

fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Waits until the server has stopped using CPU (the last connections'
/// closes handled), and gives its CPU time then.
async fn settled_cpu_time(pid: u32) -> Duration {
    let mut last = cpu_time(pid);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = cpu_time(pid);
        if now == last {
            return now;
        }
        last = now;
    }
}

#[tokio::main]
async fn main() {
    let handshakes = setting("SAFELAB_BENCH_HANDSHAKES", 20_000);
    let clients = setting("SAFELAB_BENCH_CLIENTS", 4);
    let folder = tempfile::tempdir().expect("folder");
    let data = folder.path().join("data");
    let data_arg = data.to_string_lossy().into_owned();
    let program = Program::start(
        &release_binary(),
        &["--port", "0", "--data-dir", &data_arg],
        folder.path(),
    );
    let port: u16 = program
        .printed("Lab over HTTPS:")
        .and_then(|url| {
            url.trim_end_matches("/lab/")
                .rsplit_once(':')
                .and_then(|(_, port)| port.parse().ok())
        })
        .expect("the banner names the HTTPS lab");
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));

    let pem = std::fs::read(data.join("ca/ca.pem")).expect("ca.pem");
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        roots.add(certificate.expect("PEM")).expect("root");
    }
    let mut config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.resumption = Resumption::disabled();
    let connector = TlsConnector::from(Arc::new(config));
    let name = ServerName::try_from("localhost").expect("name");

    let handshake = move |connector: TlsConnector, name: ServerName<'static>| async move {
        let tcp = TcpStream::connect(address).await.expect("connects");
        let tls = connector.connect(name, tcp).await.expect("handshake");
        drop(tls);
    };
    // Warm up: the first connections pay for lazy set-up.
    for _ in 0..50 {
        handshake(connector.clone(), name.clone()).await;
    }

    let pid = program.id();
    let before = settled_cpu_time(pid).await;
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (connector, name, next) = (connector.clone(), name.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < handshakes {
                handshake(connector.clone(), name.clone()).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("client");
    }
    let wall = started.elapsed();
    let server_cpu = settled_cpu_time(pid).await - before;
    let kx = "ECDSA P-256 certificate, TLS 1.3, X25519";
    println!(
        "TLS handshakes (full, no resumption; {kx}): {:.0}/s per server core ({handshakes} in {:.2} s of server CPU)",
        handshakes as f64 / server_cpu.as_secs_f64().max(f64::EPSILON),
        server_cpu.as_secs_f64()
    );
    println!(
        "TLS handshakes, wall clock with {clients} clients on the same {} cores: {:.0}/s",
        std::thread::available_parallelism().map_or(1, usize::from),
        handshakes as f64 / wall.as_secs_f64()
    );
    drop(program);
}
