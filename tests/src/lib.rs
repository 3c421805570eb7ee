//! Support for safelab's integration tests: start the real program on
//! `127.0.0.1:0`, find the tools the README's test command installed, and poll
//! instead of sleeping.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use safelab::{Config, Running};
use safelab_protocol::ListenerId;
use tempfile::TempDir;

pub mod browser;
pub mod events;
pub mod program;
pub mod python;

/// How long any poll may wait before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A running safelab with its own data folder, on free loopback ports.
pub struct Lab {
    /// The running program.
    pub running: Running,
    /// Its data folder (removed when the lab is dropped).
    pub data: TempDir,
}

impl Lab {
    /// Starts safelab in this process, with real listeners.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts safelab after `adjust` has changed the configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let data = tempfile::tempdir().expect("temporary data folder");
        let mut config = Config::ephemeral(data.path());
        adjust(&mut config);
        let running = safelab::serve(&config).await.expect("safelab starts");
        Self { running, data }
    }

    /// A URL on the app listener (the app and its API).
    pub fn app(&self, path: &str) -> String {
        format!("http://{}{path}", self.running.app_address)
    }

    /// A URL on the lab's plain-HTTP listener.
    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.running.http_address)
    }

    /// A URL on the HTTPS lab listener, by host name as learners use it.
    pub fn https(&self, path: &str) -> String {
        let base = &self
            .running
            .lab
            .listener(ListenerId::Https)
            .expect("an HTTPS listener")
            .url;
        format!("{base}{path}")
    }

    /// A URL on the attacker listener (a stranger's site), as lessons name it.
    pub fn attacker(&self, path: &str) -> String {
        format!("{}{path}", self.running.url_of(ListenerId::Attacker))
    }

    /// The root CA certificate, PEM.
    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(&self.running.ca_path).expect("ca.pem is on disk")
    }

    /// A client that trusts only safelab's CA, and reaches `localhost` at 127.0.0.1.
    pub fn trusting_client(&self) -> reqwest::Client {
        let root = reqwest::Certificate::from_pem(self.ca_pem().as_bytes()).expect("ca.pem parses");
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(root)
            .resolve("localhost", self.running.https_address)
            .build()
            .expect("client builds")
    }

    /// The learner's progress, as `GET /api/progress` reports it.
    pub async fn progress(&self) -> safelab_protocol::Progress {
        serde_json::from_value(get_json(&self.app("/api/progress")).await)
            .expect("/api/progress matches the protocol")
    }

    /// The ids of `lesson`'s solved exercises, in the lesson's order.
    pub async fn solved(&self, lesson: &str) -> Vec<String> {
        self.progress()
            .await
            .lesson(lesson)
            .unwrap_or_else(|| panic!("/api/progress lists no lesson {lesson}"))
            .exercises
            .iter()
            .filter(|exercise| exercise.is_solved())
            .map(|exercise| exercise.id.clone())
            .collect()
    }

    /// Polls until the lab has seen `exercise` of `lesson` done.
    pub async fn wait_until_solved(&self, lesson: &str, exercise: &str) {
        poll(&format!("{lesson}/{exercise} to be solved"), || async {
            self.solved(lesson)
                .await
                .iter()
                .any(|id| id == exercise)
                .then_some(())
        })
        .await;
    }

    /// POSTs `body` to `/api/exchange`; returns the status and the JSON answer.
    pub async fn exchange(&self, body: serde_json::Value) -> (u16, serde_json::Value) {
        let response = reqwest::Client::new()
            .post(self.app("/api/exchange"))
            .json(&body)
            .send()
            .await
            .expect("the API answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("the API answers JSON"))
    }
}

/// GETs `url` and returns its JSON body, failing the test on any error status.
pub async fn get_json(url: &str) -> serde_json::Value {
    let response = reqwest::get(url)
        .await
        .unwrap_or_else(|error| panic!("{url}: {error}"));
    assert!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    response
        .json()
        .await
        .unwrap_or_else(|error| panic!("{url}: not JSON: {error}"))
}

/// Writes `request` on a fresh connection to `address`, as netcat would, and
/// reads until the server closes it (failing the test after [`PATIENCE`]).
pub async fn raw_exchange(address: std::net::SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(address)
        .await
        .expect("connects");
    tcp.write_all(request).await.expect("writes");
    let mut response = Vec::new();
    tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut response))
        .await
        .expect("the server answers and closes")
        .ok();
    String::from_utf8_lossy(&response).into_owned()
}

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repository")
        .to_owned()
}

/// A tool the README's test command installs: from `variable`, else `fallback`.
/// Fails the test with instructions when it is missing: these tests are not optional.
pub fn tool(variable: &str, fallback: impl Into<PathBuf>, what: &str) -> PathBuf {
    let path = std::env::var_os(variable).map_or_else(|| fallback.into(), PathBuf::from);
    assert!(
        path.exists(),
        "{what} is missing at {} : run `bash .ci/test` (it installs and builds it), or set {variable}",
        path.display()
    );
    path
}

/// A payload list from wfuzz's word lists (the `wordlist/` folder the README's
/// test command installs, or `SAFELAB_PAYLOADS`), such as
/// `vulns/dirTraversal-nix.txt`: the lists scanners and testers use. Bytes a
/// request target cannot carry as they are (spaces, controls, non-ASCII) are
/// percent-encoded, as a scanner's HTTP client does.
pub fn payloads(list: &str) -> Vec<String> {
    let folder = tool(
        "SAFELAB_PAYLOADS",
        "/usr/share/wfuzz/wordlist",
        "wfuzz's payload lists",
    );
    let path = folder.join(list);
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    bytes
        .split(|&byte| byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        // Comments open some lists.
        .filter(|line| !line.is_empty() && !line.starts_with(b"#"))
        .map(|line| {
            line.iter()
                .map(|&byte| match byte {
                    b'!'..=b'~' => (byte as char).to_string(),
                    other => format!("%{other:02X}"),
                })
                .collect()
        })
        .collect()
}

/// Calls `attempt` until it returns `Some`, failing the test after [`PATIENCE`].
pub async fn poll<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = attempt().await {
            return value;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
