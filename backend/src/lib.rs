//! safelab: a local lab for learning web security.
//!
//! The library behind the `safelab` program. [`app`] builds the app listener's
//! application (the web app and the JSON API) and [`lab_app`] the lab's, so tests
//! can drive them without a socket; [`serve`] binds the app listener and the
//! lab's HTTP and HTTPS listeners and runs them. The lab has origins of its own:
//! a deliberately unsafe lab page can never reach the API as same-origin.

pub mod ca;
pub mod cli;
pub mod config;
pub mod error;
pub mod inspector;
pub mod learner_listeners;
pub mod lessons;
pub mod progress;
pub mod received;

mod api;
mod assets;
mod host;
mod lab;
mod listen;
mod negotiation;
mod percent;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use rustls::ServerConfig;
use safelab_protocol::{LabInfo, Listener, ListenerId};
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use ca::CertificateAuthority;
pub use config::Config;
pub use error::AppError;
use inspector::{Inspector, TargetPolicy};
pub use lab::OwnCaError;
use lessons::{Addresses, Lessons};
pub use listen::Limits;
use progress::{Exercise, LOCAL_LEARNER};

/// How long any one request may take to be answered.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler can reach. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    lab: Arc<LabInfo>,
    pages: Arc<assets::AppPages>,
    ca_pem: Arc<str>,
    lessons: Arc<Lessons>,
    inspector: Arc<Inspector>,
    progress: Arc<progress::Store>,
    labs: Arc<lab::LabData>,
    /// The lab's client certificate (lesson 6): the inspector presents it when
    /// asked to, and learners download it.
    client_identity: Arc<ca::ClientIdentity>,
}

impl AppState {
    /// State for a lab described by `lab`, whose listeners are reached at the
    /// `own` addresses, with this CA, the extra inspector targets and host of
    /// `config`, the `limits` of every listener, this progress store and its
    /// lab files in `data_dir`.
    pub fn new(
        ca: &CertificateAuthority,
        lab: LabInfo,
        own: Vec<(ListenerId, SocketAddr)>,
        config: &Config,
        limits: Limits,
        progress: Arc<progress::Store>,
        data_dir: &Path,
    ) -> Result<Self, StartError> {
        let lessons = Lessons::load(&Addresses::of(&lab), &lab::exercises())?;
        let learner = learner_listeners::LearnerListeners::default();
        let client_identity = Arc::new(ca.client_identity()?);
        Ok(Self {
            inspector: Arc::new(Inspector::new(
                TargetPolicy::new(own, &config.allow_hosts).with_learner_listeners(learner.clone()),
                ca.root_der().clone(),
                &client_identity,
            )?),
            client_identity,
            progress,
            labs: Arc::new(lab::LabData::new(
                data_dir,
                config.host,
                limits,
                learner.clone(),
            )?),
            pages: Arc::new(assets::AppPages::new(lessons.all())),
            lessons: Arc::new(lessons),
            lab: Arc::new(lab),
            ca_pem: ca.root_pem().into(),
        })
    }
}

impl AppState {
    /// Records that the local learner did `exercise`, before the lab answers.
    /// A failure to record is reported to the person running safelab; the lab
    /// still answers, because the answer is what the learner is studying.
    pub(crate) async fn solved(&self, exercise: Exercise) {
        if let Err(error) = self.progress.solve(LOCAL_LEARNER, exercise).await {
            eprintln!(
                "safelab: could not record exercise {}/{} as solved: {error}",
                exercise.lesson, exercise.id
            );
        }
    }
}

/// What the app listener serves: the app and the API, nothing of the lab.
pub fn app(state: AppState) -> Router {
    let app_and_api = Router::new()
        .merge(api::routes())
        .merge(lessons::routes())
        .merge(progress::api::routes())
        .merge(inspector::routes())
        .merge(lab::app_routes())
        .fallback(assets::serve)
        .layer(middleware::from_fn(host::require_loopback))
        .layer(DefaultBodyLimit::max(error::MAX_API_BODY))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ));
    with_limits(app_and_api).with_state(state)
}

/// What a lab listener (`listener`, HTTP or HTTPS) serves: the lab and
/// nothing else, so neither the app nor the inspector's API is reachable
/// through it.
pub fn lab_app(state: AppState, listener: ListenerId) -> Router {
    with_limits(lab::routes(listener)).with_state(state)
}

/// What the attacker listener serves: a stranger's site, the pages an
/// attacker would host to reach the lab from another origin. Nothing of the
/// app, the API or the lab's endpoints.
pub fn attacker_app(state: AppState) -> Router {
    with_limits(lab::attacker_site()).with_state(state)
}

/// The limits every listener shares: small bodies, bounded time.
pub(crate) fn with_limits(router: Router<AppState>) -> Router<AppState> {
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
    /// `--port` leaves no room for the lab's listeners.
    #[error(
        "--port {0} leaves no ports for the lab (its HTTP, HTTPS and attacker listeners take the next three, lesson 6's certificate listeners the ten after those): pass a lower --port"
    )]
    PortTooHigh(u16),
    /// No data folder is known for this user.
    #[error("cannot find a data folder for this user: pass --data-dir DIR")]
    NoDataDir,
    /// The certificate authority could not be loaded or created.
    #[error(transparent)]
    Ca(#[from] ca::CaError),
    /// The progress database cannot be used.
    #[error(transparent)]
    Progress(#[from] progress::ProgressError),
    /// The data folder cannot be created.
    #[error(
        "cannot create the data folder {path} ({source}): pass --data-dir DIR with a folder you can write"
    )]
    DataDir {
        /// The folder.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The embedded lessons are broken (a build defect).
    #[error("this build's lessons are broken ({0}): rebuild from a clean checkout")]
    Lessons(#[from] lessons::LessonError),
    /// The operating system's random number generator failed.
    #[error(
        "the operating system's random number generator failed: safelab cannot make secrets without it"
    )]
    Random,
    /// TLS could not be configured.
    #[error("cannot set up TLS: {0}")]
    Tls(#[from] rustls::Error),
}

/// A running safelab: where it listens, and the tasks serving it.
#[derive(Debug)]
pub struct Running {
    /// Where the lab can be reached, as listed by `GET /api/lab`.
    pub lab: LabInfo,
    /// The app listener's address.
    pub app_address: SocketAddr,
    /// The HTTP lab listener's address.
    pub http_address: SocketAddr,
    /// The HTTPS lab listener's address.
    pub https_address: SocketAddr,
    /// The root certificate's file.
    pub ca_path: PathBuf,
    /// Things the person running safelab should know (a repaired CA key, …).
    pub notices: Vec<String>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// The app's URL (`http://127.0.0.1:7878/`).
    pub fn app_url(&self) -> String {
        format!("{}/", self.url_of(ListenerId::App))
    }

    /// The base URL of one listener (`https://localhost:7880`).
    pub fn url_of(&self, id: ListenerId) -> &str {
        self.lab
            .listener(id)
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

/// Loads or creates the CA, binds every listener and starts serving them.
pub async fn serve(config: &Config) -> Result<Running, StartError> {
    if !config.host.is_loopback() {
        return Err(StartError::NotLoopback(config.host));
    }
    let ports = config.lab_ports()?;
    let data_dir = config.data_dir()?;
    let ca = CertificateAuthority::load_or_create(&data_dir.join("ca"))?;

    let app_listener = BoundListener::bind(config.host, config.port).await?;
    let http_listener = BoundListener::bind(config.host, ports.http).await?;
    let https_listener = BoundListener::bind(config.host, ports.https).await?;
    let attacker_listener = BoundListener::bind(config.host, ports.attacker).await?;
    let broken_listeners =
        lab::certificates::broken::BrokenListeners::bind(config.host, &ports.certificates).await?;

    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if !names.contains(&config.host.to_string()) {
        names.push(config.host.to_string());
    }
    let tls = server_tls(ca.server_identity(&names)?, None)?;

    let lab = LabInfo {
        listeners: vec![
            app_listener.describe(ListenerId::App),
            http_listener.describe(ListenerId::Http),
            https_listener.describe(ListenerId::Https),
            attacker_listener.describe(ListenerId::Attacker),
        ],
        ca_url: format!("{}/ca.pem", app_listener.url("http", false)),
        certificates: broken_listeners.describe(),
    };
    let own = [
        app_listener.own(ListenerId::App),
        http_listener.own(ListenerId::Http),
        https_listener.own(ListenerId::Https),
        attacker_listener.own(ListenerId::Attacker),
        broken_listeners.own(),
    ]
    .concat();
    std::fs::create_dir_all(&data_dir).map_err(|source| StartError::DataDir {
        path: data_dir.clone(),
        source,
    })?;
    let store = progress::Store::open(&data_dir.join(progress::FILE_NAME))?;
    // Every listener can be full at once: the four, the broken ones and the
    // learner's own.
    let limits = config
        .limits
        .fitted_to_open_files(4 + broken_listeners.len() + safelab_protocol::own_ca::MAX_LISTENERS);
    let state = AppState::new(
        &ca,
        lab.clone(),
        own,
        config,
        limits,
        Arc::new(store),
        &data_dir,
    )?;
    let (app_address, http_address, https_address) = (
        app_listener.address,
        http_listener.address,
        https_listener.address,
    );
    let mut tasks = broken_listeners.serve(&ca, &names, &state, limits)?;
    tasks.extend([
        tokio::spawn(listen::serve(
            app_listener.sockets,
            app(state.clone()),
            None,
            limits,
        )),
        tokio::spawn(listen::serve(
            http_listener.sockets,
            lab_app(state.clone(), ListenerId::Http),
            None,
            limits,
        )),
        tokio::spawn(listen::serve(
            https_listener.sockets,
            lab_app(state.clone(), ListenerId::Https),
            Some(listen::Tls::new(Arc::new(tls))),
            limits,
        )),
        tokio::spawn(listen::serve(
            attacker_listener.sockets,
            attacker_app(state),
            None,
            limits,
        )),
    ]);
    Ok(Running {
        lab,
        app_address,
        http_address,
        https_address,
        ca_path: ca.root_pem_path(),
        notices: ca.notices().to_vec(),
        tasks,
    })
}

/// A TLS server configuration presenting `identity`, TLS 1.3 and 1.2,
/// HTTP/1.1, no resumption; with `client_verifier`, it demands a client
/// certificate that verifier accepts.
pub(crate) fn server_tls(
    identity: ca::ServerIdentity,
    client_verifier: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>>,
) -> Result<ServerConfig, StartError> {
    let builder =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
    let builder = match client_verifier {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let mut tls = builder.with_single_cert(identity.chain, identity.key)?;
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    // No resumption, TLS 1.3 tickets or TLS 1.2 session ids: every
    // connection is a full handshake that shows the certificate, which is
    // what lessons inspect, and a client that once accepted a broken
    // certificate cannot skip verifying it the next time. It also spares
    // each handshake the two tickets rustls would issue (the handshake bench
    // went from about 6,400-6,900 to 7,400-7,600 per second per core).
    tls.send_tls13_tickets = 0;
    tls.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    Ok(tls)
}

/// A listener bound to its sockets: the address asked for and, when that is
/// 127.0.0.1 or ::1, the other loopback family on the same port too.
///
/// `localhost` resolves to 127.0.0.1 on some machines and to ::1 first on
/// others; a URL that says `localhost` must reach this listener on both, never
/// another program that happens to hold the same port on the other address.
#[derive(Debug)]
pub(crate) struct BoundListener {
    pub(crate) sockets: Vec<TcpListener>,
    address: SocketAddr,
    /// Every address this listener answers on.
    pub(crate) addresses: Vec<SocketAddr>,
    /// Whether a `localhost` URL is sure to reach this listener.
    localhost: bool,
}

impl BoundListener {
    pub(crate) async fn bind(host: IpAddr, port: u16) -> Result<Self, StartError> {
        let primary = bind(host, port).await?;
        let address =
            primary
                .local_addr()
                .map_err(|source| StartError::Bind { host, port, source })?;
        let mut listener = Self {
            sockets: vec![primary],
            address,
            addresses: vec![address],
            localhost: false,
        };
        let twin: IpAddr = match host {
            IpAddr::V4(ip) if ip == Ipv4Addr::LOCALHOST => Ipv6Addr::LOCALHOST.into(),
            IpAddr::V6(ip) if ip == Ipv6Addr::LOCALHOST => Ipv4Addr::LOCALHOST.into(),
            _ => return Ok(listener),
        };
        match TcpListener::bind((twin, address.port())).await {
            Ok(socket) => {
                if let Ok(twin_address) = socket.local_addr() {
                    listener.addresses.push(twin_address);
                }
                listener.sockets.push(socket);
                listener.localhost = true;
            }
            // Another program holds the port there: `localhost` could reach it.
            Err(error) if error.kind() == io::ErrorKind::AddrInUse => {}
            // No such address family on this machine: `localhost` cannot lead
            // there either.
            Err(_) => listener.localhost = true,
        }
        Ok(listener)
    }

    /// The base URL: `localhost` when the certificate's name reads better and
    /// is sure to arrive here, else the address itself.
    pub(crate) fn url(&self, scheme: &str, prefer_name: bool) -> String {
        if prefer_name && self.localhost {
            format!("{scheme}://localhost:{}", self.address.port())
        } else {
            format!("{scheme}://{}", self.address)
        }
    }

    fn describe(&self, id: ListenerId) -> Listener {
        match id {
            ListenerId::App => Listener {
                id,
                url: self.url("http", false),
                description: "The app and its API. It serves nothing of the lab.".to_owned(),
            },
            ListenerId::Http => Listener {
                id,
                url: self.url("http", false),
                description: "The lab over plain HTTP: everything on the wire is readable."
                    .to_owned(),
            },
            ListenerId::Attacker => Listener {
                id,
                url: self.url("http", false),
                description: "A stranger's site on an origin of its own: the pages an attacker would host (lesson 7)."
                    .to_owned(),
            },
            ListenerId::Https | ListenerId::Certificate => Listener {
                id,
                // The certificate names localhost, so the URL does too where it
                // can: it reads the way a real site's does.
                url: self.url("https", true),
                description: "The same lab over HTTPS, with a chain from safelab's local CA."
                    .to_owned(),
            },
        }
    }

    fn own(&self, id: ListenerId) -> Vec<(ListenerId, SocketAddr)> {
        self.addresses
            .iter()
            .map(|&address| (id, address))
            .collect()
    }
}

async fn bind(host: IpAddr, port: u16) -> Result<TcpListener, StartError> {
    TcpListener::bind((host, port))
        .await
        .map_err(|source| match source.kind() {
            io::ErrorKind::AddrInUse => StartError::PortInUse { host, port },
            _ => StartError::Bind { host, port, source },
        })
}
