//! safelab: a local lab for learning web security.
//!
//! The library behind the `safelab` program. [`app`] builds the whole HTTP
//! application (the web app, the JSON API, the lab endpoints) so tests can drive
//! it without a socket; [`serve`] binds the app listener and the HTTPS lab
//! listener and runs them.

pub mod ca;
pub mod config;
pub mod error;
pub mod inspector;
pub mod lessons;

mod api;
mod assets;
mod lab;
mod listen;

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rustls::ServerConfig;
use safelab_protocol::{LabInfo, Listener, ListenerId};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use ca::CertificateAuthority;
pub use config::Config;
pub use error::AppError;
use inspector::{Inspector, TargetPolicy};
use lessons::Lessons;

/// How long any one request may take to be answered.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler can reach. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    lab: Arc<LabInfo>,
    ca_pem: Arc<str>,
    lessons: Arc<Lessons>,
    inspector: Arc<Inspector>,
}

impl AppState {
    /// State for a lab with these listeners, this CA, and these extra inspector targets.
    pub fn new(
        ca: &CertificateAuthority,
        listeners: &[(ListenerId, SocketAddr)],
        allow_hosts: &[String],
    ) -> Result<Self, StartError> {
        let lab = LabInfo {
            listeners: listeners
                .iter()
                .map(|&(id, address)| describe_listener(id, address))
                .collect(),
            ca_url: listeners
                .iter()
                .find(|(id, _)| *id == ListenerId::Http)
                .map(|(_, address)| format!("http://{address}/ca.pem"))
                .unwrap_or_else(|| "/ca.pem".to_owned()),
        };
        Ok(Self {
            lab: Arc::new(lab),
            ca_pem: ca.root_pem().into(),
            lessons: Arc::new(Lessons::load()?),
            inspector: Arc::new(Inspector::new(
                TargetPolicy::new(listeners.to_vec(), allow_hosts),
                ca.root_der().clone(),
            )?),
        })
    }

    /// Where the lab can be reached.
    pub fn lab(&self) -> &LabInfo {
        &self.lab
    }
}

fn describe_listener(id: ListenerId, address: SocketAddr) -> Listener {
    match id {
        ListenerId::Http => Listener {
            id,
            url: format!("http://{address}"),
            description: "The lab over plain HTTP: everything on the wire is readable.".to_owned(),
        },
        ListenerId::Https => Listener {
            id,
            // The certificate names localhost, so the URL does too: it reads the way
            // a real site's does.
            url: if address.ip().is_loopback() {
                format!("https://localhost:{}", address.port())
            } else {
                format!("https://{address}")
            },
            description: "The same lab over HTTPS, with a chain from safelab's local CA."
                .to_owned(),
        },
    }
}

/// What the app listener serves: the app, the API and the lab, with limits attached.
pub fn app(state: AppState) -> Router {
    let app_and_api = Router::new()
        .merge(api::routes())
        .merge(lessons::routes())
        .merge(inspector::routes())
        .fallback(assets::serve)
        .layer(middleware::from_fn(require_loopback_host))
        .layer(DefaultBodyLimit::max(inspector::MAX_REQUEST_BODY + 4096))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ));
    with_limits(Router::new().merge(app_and_api).merge(lab::routes())).with_state(state)
}

/// The app and its API answer only to loopback names. A web page whose DNS name
/// is re-pointed at 127.0.0.1 (DNS rebinding) would otherwise be same-origin with
/// safelab and could drive the inspector from the learner's browser.
async fn require_loopback_host(request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if is_loopback_host(host) {
        next.run(request).await
    } else {
        AppError::ForeignHost(host.to_owned()).into_response()
    }
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// What the HTTPS lab listener serves: the lab and nothing else, so neither the
/// app nor the inspector's API is reachable through it.
pub fn lab_app(state: AppState) -> Router {
    with_limits(lab::routes().fallback(lab::outside_the_lab)).with_state(state)
}

/// The limits every listener shares: small bodies, bounded time.
fn with_limits(router: Router<AppState>) -> Router<AppState> {
    router
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
}

/// Why safelab could not start. Each message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `--host` is not a loopback address.
    #[error(
        "safelab listens on loopback only ({0} is not a loopback address): its lab endpoints are insecure on purpose. Use --host 127.0.0.1"
    )]
    NotLoopback(IpAddr),
    /// The port is taken.
    #[error(
        "port {port} on {host} is already in use (is safelab already running?): pass --port N to pick another, or --port 0 for free ports"
    )]
    PortInUse {
        /// The address.
        host: IpAddr,
        /// The port.
        port: u16,
    },
    /// Binding failed for another reason.
    #[error("cannot listen on {host} port {port} ({source}): pass --port N with a port above 1023")]
    Bind {
        /// The address.
        host: IpAddr,
        /// The port.
        port: u16,
        /// The operating system's reason.
        source: io::Error,
    },
    /// `--port 65535` leaves no port for the HTTPS listener.
    #[error(
        "--port {0} leaves no port for the HTTPS lab (it takes the next one): pass a lower --port"
    )]
    PortTooHigh(u16),
    /// No data folder is known for this user.
    #[error("cannot find a data folder for this user: pass --data-dir DIR")]
    NoDataDir,
    /// The certificate authority could not be loaded or created.
    #[error(transparent)]
    Ca(#[from] ca::CaError),
    /// The embedded lessons are broken (a build defect).
    #[error("this build's lessons are broken ({0}): rebuild from a clean checkout")]
    Lessons(#[from] lessons::LessonError),
    /// TLS could not be configured.
    #[error("cannot set up TLS: {0}")]
    Tls(#[from] rustls::Error),
}

/// A running safelab: where it listens, and the tasks serving it.
#[derive(Debug)]
pub struct Running {
    /// Where the lab can be reached.
    pub lab: LabInfo,
    /// The app listener's address.
    pub app_address: SocketAddr,
    /// The HTTPS lab listener's address.
    pub https_address: SocketAddr,
    /// The root certificate's file.
    pub ca_path: PathBuf,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// The app's URL (`http://127.0.0.1:7878/`).
    pub fn app_url(&self) -> String {
        format!("http://{}/", self.app_address)
    }

    /// The HTTPS lab's base URL (`https://localhost:7879`).
    pub fn https_url(&self) -> &str {
        self.lab
            .listener(ListenerId::Https)
            .map_or("", |listener| listener.url.as_str())
    }

    /// Serves until the process is stopped.
    pub async fn wait(mut self) {
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Loads or creates the CA, binds both listeners and starts serving them.
pub async fn serve(config: &Config) -> Result<Running, StartError> {
    if !config.host.is_loopback() {
        return Err(StartError::NotLoopback(config.host));
    }
    let https_port = config.https_port()?;
    let data_dir = config.data_dir()?;
    let ca = CertificateAuthority::load_or_create(&data_dir.join("ca"))?;

    let app_listener = bind(config.host, config.port).await?;
    let https_listener = bind(config.host, https_port).await?;
    let app_address = local_address(&app_listener, config.host, config.port)?;
    let https_address = local_address(&https_listener, config.host, https_port)?;

    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if !names.contains(&config.host.to_string()) {
        names.push(config.host.to_string());
    }
    let identity = ca.server_identity(&names)?;
    let mut tls =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_no_client_auth()
            .with_single_cert(identity.chain, identity.key)?;
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];

    let listeners = [
        (ListenerId::Http, app_address),
        (ListenerId::Https, https_address),
    ];
    let state = AppState::new(&ca, &listeners, &config.allow_hosts)?;
    let lab = state.lab().clone();
    let tasks = vec![
        tokio::spawn(listen::serve(app_listener, app(state.clone()), None)),
        tokio::spawn(listen::serve(
            https_listener,
            lab_app(state),
            Some(TlsAcceptor::from(Arc::new(tls))),
        )),
    ];
    Ok(Running {
        lab,
        app_address,
        https_address,
        ca_path: ca.root_pem_path(),
        tasks,
    })
}

async fn bind(host: IpAddr, port: u16) -> Result<TcpListener, StartError> {
    TcpListener::bind((host, port))
        .await
        .map_err(|source| match source.kind() {
            io::ErrorKind::AddrInUse => StartError::PortInUse { host, port },
            _ => StartError::Bind { host, port, source },
        })
}

fn local_address(
    listener: &TcpListener,
    host: IpAddr,
    port: u16,
) -> Result<SocketAddr, StartError> {
    listener
        .local_addr()
        .map_err(|source| StartError::Bind { host, port, source })
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn only_loopback_names_are_accepted_as_host() {
        for host in [
            "localhost:7878",
            "127.0.0.1:7878",
            "[::1]:7878",
            "LOCALHOST",
            "127.0.0.2",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "",
            "evil.example:7878",
            "localhost.evil.example",
            "[::ffff:7f00:1]:80",
            "10.0.0.1",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
