//! The request inspector: performs a request the learner built with its own
//! client and returns everything that crossed the wire, including, for HTTPS,
//! the peer's chain and the verdict of verifying it.
//!
//! The browser's `fetch` can neither show a certificate chain nor send a path
//! with `..` in it, which is why this runs on the backend. For the same reason it
//! is a proxy, so [`target::TargetPolicy`] confines it to safelab's own
//! listeners unless the person running safelab allows more with `--allow-host`.

mod certificate;
mod decode;
mod failure;
mod target;
mod verify;
mod wire;

use std::collections::HashSet;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Json, Router, routing::post};
use rustls::client::{ResolvesClientCert, Resumption};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, SignatureScheme};
use safelab_protocol::{
    CertificateSource, Exchange, ExchangeRequest, RawRequest, Timings, TlsInfo, TrustStore,
    VerificationFailure,
};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;

pub use target::{Destination, Target, TargetPolicy};

use crate::AppState;
use crate::ca::ClientIdentity;
use crate::error::{ApiJson, AppError};
use failure::{Culprit, Evidence};
use verify::{RecordingVerifier, TrustAnchors};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a raw request waits for its answer: a server still waiting for
/// the rest of a hand-typed request would otherwise hold the learner long.
const RAW_TIMEOUT: Duration = Duration::from_secs(5);
/// The most a raw request may hold: the largest body plus a generous head.
const MAX_RAW_BYTES: usize = MAX_REQUEST_BODY + 64 * 1024;
/// Exchanges in flight at once; more are refused rather than queued.
const MAX_IN_FLIGHT: usize = 16;
/// The largest PEM a learner may give as their trust store.
pub const MAX_TRUST_PEM_BYTES: usize = 64 * 1024;
/// The most certificates a learner's trust store may hold.
pub const MAX_TRUST_CERTIFICATES: usize = 16;
pub use safelab_protocol::MAX_REQUEST_BODY;

/// Why an exchange could not be performed.
#[derive(Debug, thiserror::Error)]
pub enum InspectorError {
    /// The URL does not parse or is not http(s).
    #[error("the URL {url:?} cannot be sent: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The method is not an HTTP token.
    #[error("{0:?} is not an HTTP method: use letters only, like GET or POST")]
    InvalidMethod(String),
    /// A header name or value cannot be sent.
    #[error("the header {name:?} cannot be sent: {reason}")]
    InvalidHeader {
        /// The header's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The target is not one of safelab's listeners nor allowed on the command line.
    #[error(
        "the inspector only sends to safelab's own lab listeners, and {target} is not one of them \
         (an inspector that sends anywhere would be an open proxy, the attack called SSRF that a later lesson covers). \
         To allow it, restart safelab with --allow-host {target}"
    )]
    TargetNotAllowed {
        /// `host:port` of the refused target.
        target: String,
    },
    /// An allowed host name resolved to this machine.
    #[error(
        "{host} resolves to {address}, on this machine: the inspector reaches this machine's services only through safelab's lab listeners. If you mean that service, allow its address itself with --allow-host"
    )]
    ResolvesHere {
        /// The name.
        host: String,
        /// What it resolved to.
        address: SocketAddr,
    },
    /// The target is the app listener or the app's own API.
    #[error(
        "the inspector sends to the lab's listeners, not to safelab's own app and API: pick the HTTP or HTTPS lab and a /lab/… path"
    )]
    ApiTarget,
    /// The body to send is larger than the inspector sends.
    #[error(
        "the body is larger than the {} KB the inspector sends (this one has {} KB): send a smaller body",
        MAX_REQUEST_BODY / 1024,
        .0.div_ceil(1024)
    )]
    BodyTooLarge(usize),
    /// Too many exchanges are in flight.
    #[error(
        "the inspector is busy with {MAX_IN_FLIGHT} exchanges already: wait for one to finish and send again"
    )]
    Busy,
    /// The TCP connection failed.
    #[error(
        "could not connect to {target}: {source}. Is the server running and listening on that port?"
    )]
    Connect {
        /// `host:port`.
        target: String,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A phase took too long.
    #[error("no answer while {phase} within {} seconds: the server is too slow or not speaking HTTP", .limit.as_secs())]
    Timeout {
        /// What was being done.
        phase: &'static str,
        /// The limit that passed.
        limit: Duration,
    },
    /// The TLS handshake failed (before any certificate verdict).
    #[error("the TLS handshake failed: {0}. Is this port speaking HTTPS?")]
    Tls(String),
    /// Reading or writing the connection failed.
    #[error("the connection failed while {phase}: {source}")]
    Io {
        /// What was being done.
        phase: &'static str,
        /// The operating system's reason.
        source: io::Error,
    },
    /// An allowed host outside the lab presented a chain that does not verify.
    #[error(
        "{host} presented a certificate that does not verify: {reason}. The inspector does not send \
         your request to a host outside the lab over an unverified connection"
    )]
    UntrustedPeer {
        /// The host.
        host: String,
        /// Why its chain does not verify.
        reason: String,
    },
    /// A raw request went unanswered: most often, the head never ended.
    #[error(
        "no answer within {} seconds: the server is still waiting for the rest of your request. A request's head ends with an empty line, and a body must be as long as its Content-Length says",
        RAW_TIMEOUT.as_secs()
    )]
    RawUnanswered,
    /// A raw request for a listener that is not a lab listener of this run.
    #[error(
        "raw requests go to the lab's own listeners only, and this run has no lab listener {0:?}"
    )]
    NotALabListener(String),
    /// The response is not HTTP/1.x.
    #[error("the response cannot be read: {0}")]
    MalformedResponse(String),
    /// The PEM given as trust store cannot be one.
    #[error("the trust store you gave cannot be used: {0}")]
    InvalidTrustStore(String),
    /// The operating system's roots cannot be read.
    #[error("this computer's roots cannot be used as the trust store: {0}")]
    NoSystemRoots(String),
    /// The server asked for a client certificate and the inspector presented none.
    #[error(
        "the server asks for a client certificate and refused the connection without one: \
         tick \"present the lab client certificate\" in the request builder \
         (\"client_certificate\": true in the API) and send again"
    )]
    ClientCertificateRequired,
}

impl InspectorError {
    /// Wraps an I/O error met while doing `phase`.
    pub fn io(phase: &'static str) -> impl FnOnce(io::Error) -> Self {
        move |source| Self::Io { phase, source }
    }

    pub(crate) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::InvalidUrl { .. } => (StatusCode::BAD_REQUEST, "invalid_url"),
            Self::InvalidMethod(_) => (StatusCode::BAD_REQUEST, "invalid_method"),
            Self::InvalidHeader { .. } => (StatusCode::BAD_REQUEST, "invalid_header"),
            Self::TargetNotAllowed { .. } => (StatusCode::FORBIDDEN, "target_not_allowed"),
            Self::ApiTarget => (StatusCode::FORBIDDEN, "api_not_a_target"),
            Self::ResolvesHere { .. } => (StatusCode::FORBIDDEN, "target_not_allowed"),
            Self::BodyTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, "inspector_busy"),
            Self::Connect { .. } => (StatusCode::BAD_GATEWAY, "connect_failed"),
            Self::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            Self::Tls(_) => (StatusCode::BAD_GATEWAY, "tls_failed"),
            Self::UntrustedPeer { .. } => (StatusCode::BAD_GATEWAY, "untrusted_certificate"),
            Self::Io { .. } => (StatusCode::BAD_GATEWAY, "connection_failed"),
            Self::MalformedResponse(_) => (StatusCode::BAD_GATEWAY, "malformed_response"),
            Self::RawUnanswered => (StatusCode::GATEWAY_TIMEOUT, "raw_unanswered"),
            Self::NotALabListener(_) => (StatusCode::BAD_REQUEST, "not_a_lab_listener"),
            Self::InvalidTrustStore(_) => (StatusCode::BAD_REQUEST, "invalid_trust_store"),
            Self::NoSystemRoots(_) => (StatusCode::SERVICE_UNAVAILABLE, "no_system_roots"),
            Self::ClientCertificateRequired => {
                (StatusCode::BAD_GATEWAY, "client_certificate_required")
            }
        }
    }
}

/// The inspector: where it may send, what it trusts, how much it does at once.
#[derive(Debug)]
pub struct Inspector {
    policy: TargetPolicy,
    /// The TLS client settings every HTTPS exchange starts from; each gets a
    /// copy with its own recording verifier and client-certificate choice.
    /// Built once: making a crypto provider and verifier per exchange cost
    /// a noticeable share of a loopback exchange.
    config: ClientConfig,
    /// safelab's root, the default trust store.
    safelab: Arc<TrustAnchors>,
    /// No root at all.
    empty: Arc<TrustAnchors>,
    /// The operating system's roots, read on first use and kept.
    system: Arc<OnceLock<Result<Arc<TrustAnchors>, String>>>,
    /// The lab's client certificate, ready to present.
    client_key: Arc<CertifiedKey>,
    in_flight: Semaphore,
    /// The local addresses of the inspector's open connections, so a lab
    /// listener can tell the inspector (which completes every handshake to
    /// show the chain) from a client that verified what it accepted.
    open: Mutex<HashSet<SocketAddr>>,
}

impl Inspector {
    /// An inspector confined by `policy` that trusts `root` (safelab's CA)
    /// unless asked for another trust store, and presents `client` when asked to.
    pub fn new(
        policy: TargetPolicy,
        root: CertificateDer<'static>,
        client: &ClientIdentity,
    ) -> Result<Self, rustls::Error> {
        // Fails now, at start-up, if the root cannot be a trust anchor.
        let safelab = Arc::new(
            TrustAnchors::new(
                "safelab local CA only (the root served at /ca.pem)".to_owned(),
                vec![root],
            )
            .map_err(|(_, error)| {
                rustls::Error::General(format!("safelab's root cannot be trusted: {error}"))
            })?,
        );
        let empty = Arc::new(TrustAnchors::lenient(
            "none: an empty trust store, which trusts no root".to_owned(),
            Vec::new(),
        ));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client_key = Arc::new(CertifiedKey::from_der(
            client.chain.clone(),
            client.key.clone_key(),
            &provider,
        )?);
        let mut config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(RecordingVerifier::new(
                safelab.clone(),
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        // Every exchange shows the server's chain and verdict, so none may
        // resume a session (a resumed handshake sends no certificate).
        config.resumption = Resumption::disabled();
        Ok(Self {
            policy,
            config,
            safelab,
            empty,
            system: Arc::new(OnceLock::new()),
            client_key,
            in_flight: Semaphore::new(MAX_IN_FLIGHT),
            open: Mutex::new(HashSet::new()),
        })
    }

    /// Whether a connection from `peer` is one of the inspector's own.
    pub fn is_own_connection(&self, peer: SocketAddr) -> bool {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.contains(&peer)
    }

    /// Performs one exchange.
    pub async fn exchange(&self, request: &ExchangeRequest) -> Result<Exchange, InspectorError> {
        if request.body.len() > MAX_REQUEST_BODY {
            return Err(InspectorError::BodyTooLarge(request.body.len()));
        }
        let _permit = self
            .in_flight
            .try_acquire()
            .map_err(|_| InspectorError::Busy)?;
        let target = Target::parse(&request.url)?;
        let destination = self.policy.check(&target)?;
        let tls = TlsChoice {
            store: self.trust_store(&request.trust).await?,
            client_certificate: request.client_certificate,
        };
        timeout(EXCHANGE_TIMEOUT, async {
            let address = self.resolve(&target, destination).await?;
            // The app listener is never a target, so framing goes out as the
            // learner wrote it: a smuggled second request can only reach the lab.
            let own_listener = self.policy.admit(&target, address)?;
            let method = request.method.trim();
            let bytes = wire::encode_request(
                method,
                &target.path_and_query,
                &target.authority,
                &request.headers,
                &request.body,
            )?;
            let head_only = method.eq_ignore_ascii_case("HEAD");
            let lab_peer = own_listener.is_some();
            self.perform(&target, address, &bytes, head_only, lab_peer, &tls)
                .await
        })
        .await
        .map_err(|_| InspectorError::Timeout {
            phase: "waiting for the whole response",
            limit: EXCHANGE_TIMEOUT,
        })?
    }

    /// Writes a raw request to the lab listener whose base URL is `base`,
    /// exactly as typed (line endings as asked), and reads one response.
    pub async fn raw(&self, base: &str, request: &RawRequest) -> Result<Exchange, InspectorError> {
        let bytes = request.wire_text().into_bytes();
        if bytes.len() > MAX_RAW_BYTES {
            return Err(InspectorError::BodyTooLarge(bytes.len()));
        }
        let _permit = self
            .in_flight
            .try_acquire()
            .map_err(|_| InspectorError::Busy)?;
        let target = Target::parse(base)?;
        let Destination::Own(id, address) = self.policy.check(&target)? else {
            return Err(InspectorError::NotALabListener(base.to_owned()));
        };
        let api_path = request
            .request_line()
            .is_some_and(|(_, path)| target::is_api_path(path));
        if !id.is_lab() || api_path {
            return Err(InspectorError::ApiTarget);
        }
        let head_only = request
            .request_line()
            .is_some_and(|(method, _)| method.eq_ignore_ascii_case("HEAD"));
        let tls = TlsChoice {
            store: self.safelab.clone(),
            client_certificate: false,
        };
        timeout(
            RAW_TIMEOUT,
            self.perform(&target, address, &bytes, head_only, true, &tls),
        )
        .await
        .map_err(|_| InspectorError::RawUnanswered)?
    }

    async fn perform(
        &self,
        target: &Target,
        address: SocketAddr,
        bytes: &[u8],
        head_only: bool,
        lab_peer: bool,
        choice: &TlsChoice,
    ) -> Result<Exchange, InspectorError> {
        let started = Instant::now();
        let tcp = timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
            .await
            .map_err(|_| InspectorError::Timeout {
                phase: "connecting",
                limit: CONNECT_TIMEOUT,
            })?
            .map_err(|source| InspectorError::Connect {
                target: format!("{}:{}", target.host, target.port),
                source,
            })?;
        let _ = tcp.set_nodelay(true);
        let connected = started.elapsed();
        let _open = tcp
            .local_addr()
            .ok()
            .map(|address| OpenConnection::new(self, address));

        let (response, tls, tls_time) = match target.scheme {
            target::Scheme::Http => {
                let mut tcp = tcp;
                (wire::send(&mut tcp, bytes, head_only).await?, None, None)
            }
            target::Scheme::Https => {
                let handshake_started = Instant::now();
                let client = Arc::new(ClientCertificate::new(
                    choice.client_certificate.then(|| self.client_key.clone()),
                ));
                let handshake = self
                    .handshake(tcp, &target.host, choice, client.clone())
                    .await;
                let (mut stream, verifier) = handshake.map_err(|error| client.explain(error))?;
                let tls_time = handshake_started.elapsed();
                let tls = describe_session(&stream, &verifier, &target.host);
                // The lab's own listeners are observed whatever the verdict; a host
                // outside the lab never gets the learner's headers over a chain
                // that does not verify.
                if !lab_peer && let Some(reason) = &tls.error {
                    return Err(InspectorError::UntrustedPeer {
                        host: target.host.clone(),
                        reason: reason.clone(),
                    });
                }
                let response = wire::send(&mut stream, bytes, head_only)
                    .await
                    .map_err(|error| client.explain(error))?;
                (response, Some(tls), Some(tls_time))
            }
        };

        let millis = |duration: Duration| duration.as_secs_f64() * 1000.0;
        let body_bytes = response.body.len() as u64;
        let (body, decompressed) = decode::readable_body(&response);
        let body = String::from_utf8_lossy(&body).into_owned();
        Ok(Exchange {
            request: String::from_utf8_lossy(bytes).into_owned(),
            status: response.status,
            reason: response.reason,
            http_version: response.http_version,
            headers: response.headers,
            body,
            body_bytes,
            body_truncated: response.truncated,
            decompressed,
            timings: Timings {
                connect_ms: millis(connected),
                tls_ms: tls_time.map(millis),
                first_byte_ms: response
                    .first_byte
                    .map_or(0.0, |first| millis(first.duration_since(started))),
                total_ms: millis(started.elapsed()),
            },
            tls,
        })
    }

    /// Where to connect.
    async fn resolve(
        &self,
        target: &Target,
        destination: Destination,
    ) -> Result<SocketAddr, InspectorError> {
        match destination {
            Destination::Own(_, address) => Ok(address),
            Destination::Allowed => tokio::net::lookup_host((target.host.as_str(), target.port))
                .await
                .ok()
                .and_then(|mut addresses| addresses.next())
                .ok_or_else(|| InspectorError::Connect {
                    target: format!("{}:{}", target.host, target.port),
                    source: io::Error::new(
                        io::ErrorKind::NotFound,
                        "the host name does not resolve",
                    ),
                }),
        }
    }

    /// The trust store `trust` names, made ready.
    async fn trust_store(&self, trust: &TrustStore) -> Result<Arc<TrustAnchors>, InspectorError> {
        match trust {
            TrustStore::Safelab => Ok(self.safelab.clone()),
            TrustStore::Empty => Ok(self.empty.clone()),
            TrustStore::Pem { pem } => learner_store(pem).map(Arc::new),
            TrustStore::System => {
                let loaded = match self.system.get() {
                    Some(loaded) => loaded.clone(),
                    // Reading the bundle is file I/O and parsing a few hundred
                    // certificates: once, off the async threads.
                    None => {
                        let cell = self.system.clone();
                        tokio::task::spawn_blocking(move || {
                            cell.get_or_init(|| system_store().map(Arc::new)).clone()
                        })
                        .await
                        .map_err(|error| InspectorError::NoSystemRoots(error.to_string()))?
                    }
                };
                loaded.map_err(InspectorError::NoSystemRoots)
            }
        }
    }

    async fn handshake(
        &self,
        tcp: TcpStream,
        host: &str,
        choice: &TlsChoice,
        client: Arc<ClientCertificate>,
    ) -> Result<
        (
            tokio_rustls::client::TlsStream<TcpStream>,
            Arc<RecordingVerifier>,
        ),
        InspectorError,
    > {
        let verifier = Arc::new(RecordingVerifier::new(
            choice.store.clone(),
            self.config
                .crypto_provider()
                .signature_verification_algorithms,
        ));
        let mut config = self.config.clone();
        config
            .dangerous()
            .set_certificate_verifier(verifier.clone());
        config.client_auth_cert_resolver = client;
        let server_name = ServerName::try_from(host.to_owned())
            .map_err(|_| InspectorError::Tls(format!("{host:?} is not a valid TLS server name")))?;
        let stream = timeout(
            HANDSHAKE_TIMEOUT,
            TlsConnector::from(Arc::new(config)).connect(server_name, tcp),
        )
        .await
        .map_err(|_| InspectorError::Timeout {
            phase: "doing the TLS handshake",
            limit: HANDSHAKE_TIMEOUT,
        })?
        .map_err(|error| InspectorError::Tls(error.to_string()))?;
        Ok((stream, verifier))
    }
}

/// What one HTTPS exchange trusts and presents.
struct TlsChoice {
    store: Arc<TrustAnchors>,
    client_certificate: bool,
}

/// The inspector's answer when a server asks for a client certificate: the
/// lab's, if the learner chose to present it, else none; and whether it was
/// asked, to explain the server's refusal.
#[derive(Debug)]
struct ClientCertificate {
    offered: Option<Arc<CertifiedKey>>,
    asked: AtomicBool,
}

impl ClientCertificate {
    fn new(offered: Option<Arc<CertifiedKey>>) -> Self {
        Self {
            offered,
            asked: AtomicBool::new(false),
        }
    }

    /// `error`, unless it is the server refusing a client that presented no
    /// certificate when asked for one (in TLS 1.3 that refusal, the
    /// `certificate_required` alert, arrives on the first read).
    fn explain(&self, error: InspectorError) -> InspectorError {
        // Only an alert from the server is its refusal; any other failure is
        // reported as it is.
        let refused = match &error {
            InspectorError::Io { source, .. } => source
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .is_some_and(|inner| matches!(inner, rustls::Error::AlertReceived(_))),
            InspectorError::Tls(reason) => reason.contains("received fatal alert"),
            _ => false,
        };
        if refused && self.offered.is_none() && self.asked.load(Ordering::Relaxed) {
            InspectorError::ClientCertificateRequired
        } else {
            error
        }
    }
}

impl ResolvesClientCert for ClientCertificate {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.asked.store(true, Ordering::Relaxed);
        self.offered.clone()
    }

    fn has_certs(&self) -> bool {
        // Always true, so the handshake keeps what a client certificate needs
        // and asks this resolver when the server wants one.
        true
    }
}

/// What the handshake showed: version, cipher, the chain and its verdict.
fn describe_session(
    stream: &tokio_rustls::client::TlsStream<TcpStream>,
    verifier: &RecordingVerifier,
    host: &str,
) -> TlsInfo {
    let (_, connection) = stream.get_ref();
    let sent = connection.peer_certificates().unwrap_or_default();
    let Judgement {
        shown,
        error,
        failure,
    } = judge(sent, verifier, host);
    TlsInfo {
        version: match connection.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_owned(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_owned(),
            Some(other) => format!("{other:?}"),
            None => "unknown".to_owned(),
        },
        cipher: connection
            .negotiated_cipher_suite()
            .map(|suite| format!("{:?}", suite.suite()))
            .unwrap_or_default(),
        alpn: connection
            .alpn_protocol()
            .map(|protocol| String::from_utf8_lossy(protocol).into_owned()),
        chain: shown
            .iter()
            .map(|(der, source, in_path)| certificate::describe(der, *source, *in_path))
            .collect(),
        verified: error.is_none(),
        trust_store: verifier.store().description().to_owned(),
        error,
        failure,
    }
}

/// The verdict on a handshake, ready to show.
struct Judgement {
    /// The certificates to show, with where each came from and whether it is
    /// on the path.
    shown: Vec<(CertificateDer<'static>, CertificateSource, bool)>,
    /// Why verification failed, as a sentence.
    error: Option<String>,
    /// Which check failed, on which of `shown`.
    failure: Option<VerificationFailure>,
}

/// What `verifier` found on the chain `sent` for `host`: the certificates to
/// show (with the trust store's root the failure blames, if the server did
/// not send it) and, on failure, the check and the certificate.
fn judge(sent: &[CertificateDer<'static>], verifier: &RecordingVerifier, host: &str) -> Judgement {
    let record = verifier.record();
    let mut shown = chain_to_show(sent, record.as_ref().and_then(|record| record.path.clone()));
    let (error, failure) = match &record {
        None => (Some("the server sent no certificate".to_owned()), None),
        Some(verify::Record {
            verdict: Ok(()), ..
        }) => (None, None),
        Some(verify::Record {
            verdict: Err(error),
            now,
            ..
        }) => {
            let diagnosis = failure::diagnose(
                error,
                &Evidence {
                    sent,
                    store: verifier.store(),
                    now: *now,
                    host,
                    algorithms: verifier.algorithms().all,
                },
            );
            let certificate = match diagnosis.culprit {
                Culprit::Sent(index) => sent
                    .get(index)
                    .and_then(|der| shown.iter().position(|(shown, ..)| shown == der)),
                Culprit::Store(root) => Some(
                    shown
                        .iter()
                        .position(|(shown, ..)| *shown == root)
                        .unwrap_or_else(|| {
                            shown.push((root, CertificateSource::TrustStore, false));
                            shown.len() - 1
                        }),
                ),
                Culprit::Chain => None,
            };
            (
                Some(format!(
                    "{} ({})",
                    diagnosis.explanation, diagnosis.library_name
                )),
                Some(VerificationFailure {
                    check: diagnosis.check,
                    explanation: diagnosis.explanation,
                    library_name: diagnosis.library_name,
                    certificate,
                    requested_name: host.to_owned(),
                }),
            )
        }
    };
    Judgement {
        shown,
        error,
        failure,
    }
}

/// A learner's PEM as a trust store, within the limits, every certificate in
/// it a trust anchor.
fn learner_store(pem: &str) -> Result<TrustAnchors, InspectorError> {
    let invalid = |reason: String| InspectorError::InvalidTrustStore(reason);
    if pem.len() > MAX_TRUST_PEM_BYTES {
        return Err(invalid(format!(
            "it has {} KiB and a trust store may have at most {} KiB: give only your CA's certificate",
            pem.len().div_ceil(1024),
            MAX_TRUST_PEM_BYTES / 1024
        )));
    }
    if !pem.contains("-----BEGIN ") {
        return Err(invalid(
            "it is not PEM: paste your CA's certificate, the text from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE----- (myca.pem)"
                .to_owned(),
        ));
    }
    let mut roots = Vec::new();
    for certificate in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let certificate = certificate.map_err(|error| {
            invalid(format!(
                "it is not valid PEM ({error}): paste each certificate whole, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----"
            ))
        })?;
        if roots.len() == MAX_TRUST_CERTIFICATES {
            return Err(invalid(format!(
                "it holds more than {MAX_TRUST_CERTIFICATES} certificates: give only the CA certificates you mean to trust"
            )));
        }
        roots.push(certificate);
    }
    if roots.is_empty() {
        return Err(invalid(
            "there is no certificate in it (no -----BEGIN CERTIFICATE----- block; a private key or a CSR cannot be trusted): give your CA's certificate"
                .to_owned(),
        ));
    }
    let names: Vec<String> = roots
        .iter()
        .map(|root| certificate::subject_name(root))
        .collect();
    let count = roots.len();
    TrustAnchors::new(
        format!(
            "your own CA: {count} certificate{} you gave ({})",
            if count == 1 { "" } else { "s" },
            names.join("; ")
        ),
        roots,
    )
    .map_err(|(index, error)| {
        invalid(format!(
            "certificate {} of {count} cannot be a trust anchor ({error}): is it a certificate at all, in DER inside the PEM?",
            index + 1
        ))
    })
}

/// The operating system's roots, as `rustls-native-certs` finds them (the
/// bundle `SSL_CERT_FILE` or the distribution's names).
fn system_store() -> Result<TrustAnchors, String> {
    let found = rustls_native_certs::load_native_certs();
    let problems = found
        .errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let store = TrustAnchors::lenient(String::new(), found.certs);
    if store.len() == 0 {
        return Err(format!(
            "this computer has no root certificates safelab can read{}. Install the system's CA bundle (the ca-certificates package on Debian and Ubuntu) or point SSL_CERT_FILE at one, then restart safelab",
            if problems.is_empty() {
                String::new()
            } else {
                format!(" ({problems})")
            }
        ));
    }
    let description = format!(
        "this computer's roots: {} certificates from the operating system's trust store",
        store.len()
    );
    Ok(store.described(description))
}

/// Keeps a connection's local address in [`Inspector::is_own_connection`]'s
/// set while it is open.
struct OpenConnection<'a> {
    inspector: &'a Inspector,
    address: SocketAddr,
}

impl<'a> OpenConnection<'a> {
    fn new(inspector: &'a Inspector, address: SocketAddr) -> Self {
        let address = SocketAddr::new(address.ip().to_canonical(), address.port());
        let mut open = inspector
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        open.insert(address);
        Self { inspector, address }
    }
}

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        let mut open = self
            .inspector
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        open.remove(&self.address);
    }
}

/// The certificates to show, with where each came from and whether it is
/// on the path: the verified path (leaf, the intermediates it used, the trust
/// anchor from the store) and then whatever else the server sent; without a
/// path, what the server sent, in its order.
fn chain_to_show(
    sent: &[CertificateDer<'static>],
    path: Option<verify::TrustPath>,
) -> Vec<(CertificateDer<'static>, CertificateSource, bool)> {
    let Some(path) = path else {
        return sent
            .iter()
            .map(|der| (der.clone(), CertificateSource::Server, false))
            .collect();
    };
    let mut chain = Vec::with_capacity(sent.len() + 1);
    if let Some(leaf) = sent.first() {
        chain.push((leaf.clone(), CertificateSource::Server, true));
    }
    for intermediate in path.intermediates {
        chain.push((intermediate, CertificateSource::Server, true));
    }
    chain.push((path.anchor, CertificateSource::TrustStore, true));
    let extra: Vec<_> = sent
        .iter()
        .filter(|der| !chain.iter().any(|(shown, ..)| shown == *der))
        .map(|der| (der.clone(), CertificateSource::Server, false))
        .collect();
    chain.extend(extra);
    chain
}

/// The inspector's route: `POST /api/exchange`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/exchange", post(post_exchange))
        .route("/api/raw", post(post_raw))
}

async fn post_raw(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RawRequest>,
) -> Result<Json<Exchange>, AppError> {
    let base = state
        .lab
        .listener(request.listener)
        .filter(|listener| listener.id.is_lab())
        .map(|listener| listener.url.clone())
        .ok_or_else(|| InspectorError::NotALabListener(request.listener.as_str().to_owned()))?;
    Ok(Json(state.inspector.raw(&base, &request).await?))
}

async fn post_exchange(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ExchangeRequest>,
) -> Result<Json<Exchange>, AppError> {
    Ok(Json(state.inspector.exchange(&request).await?))
}

#[cfg(test)]
mod tests {
    //! The trust store a learner gives, and the client certificate against a
    //! real rustls server that demands one (allowed with `--allow-host`, as
    //! the lab's own client-certificate listener is not part of these tests).

    use std::net::SocketAddr;
    use std::sync::Arc;

    use rustls::RootCertStore;
    use rustls::server::WebPkiClientVerifier;
    use safelab_protocol::{ExchangeRequest, TrustStore};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::{
        Inspector, InspectorError, MAX_TRUST_CERTIFICATES, MAX_TRUST_PEM_BYTES, TargetPolicy,
        learner_store,
    };
    use crate::CertificateAuthority;

    fn invalid(pem: &str) -> String {
        match learner_store(pem) {
            Err(InspectorError::InvalidTrustStore(reason)) => reason,
            other => panic!("{pem:.40}… should be refused: {other:?}"),
        }
    }

    #[test]
    fn a_learner_trust_store_must_be_pem_certificates_within_limits() {
        let folder = tempfile::tempdir().expect("folder");
        let ca = CertificateAuthority::load_or_create(folder.path()).expect("CA");
        let store = learner_store(ca.root_pem()).expect("the CA's own PEM is a trust store");
        assert_eq!(store.len(), 1);
        assert!(
            store.description().contains("safelab local root CA"),
            "{}",
            store.description()
        );

        assert!(invalid("").contains("not PEM"));
        assert!(invalid("MIIBszCCAVmgAwIBAgIU").contains("not PEM"));
        let key = rcgen::KeyPair::generate().expect("key").serialize_pem();
        assert!(invalid(&key).contains("no certificate"));
        assert!(
            invalid(&ca.root_pem().repeat(MAX_TRUST_CERTIFICATES + 1)).contains("more than 16")
        );
        let padding = "#".repeat(MAX_TRUST_PEM_BYTES);
        assert!(invalid(&format!("{}{padding}", ca.root_pem())).contains("64 KiB"));
        let not_a_certificate =
            "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
        assert!(invalid(not_a_certificate).contains("certificate 1 of 1 cannot be a trust anchor"));
    }

    /// A server that demands a client certificate from safelab's root, and
    /// answers each request it gets with `200 ok`, over `versions`.
    async fn client_certificate_server(
        ca: &CertificateAuthority,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> SocketAddr {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let identity = ca
            .server_identity(&["127.0.0.1".to_owned()])
            .expect("server identity");
        let mut roots = RootCertStore::empty();
        roots.add(ca.root_der().clone()).expect("root");
        let clients =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .expect("client verifier");
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .expect("versions")
            .with_client_cert_verifier(clients)
            .with_single_cert(identity.chain, identity.key)
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut buffer = [0; 1024];
                    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
                        match tls.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(read) => head.extend_from_slice(&buffer[..read]),
                        }
                    }
                    let _ = tls
                        .write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                        )
                        .await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        address
    }

    #[tokio::test]
    async fn the_lab_client_certificate_is_presented_only_when_asked_for() {
        // TLS 1.3 refuses on the first read after the handshake; TLS 1.2
        // in the handshake itself: the same advice either way.
        for (versions, version) in [
            (rustls::DEFAULT_VERSIONS, "TLS 1.3"),
            (&[&rustls::version::TLS12][..], "TLS 1.2"),
        ] {
            client_certificate_only_when_asked(versions, version).await;
        }
    }

    async fn client_certificate_only_when_asked(
        versions: &[&'static rustls::SupportedProtocolVersion],
        version: &str,
    ) {
        let folder = tempfile::tempdir().expect("folder");
        let ca = CertificateAuthority::load_or_create(folder.path()).expect("CA");
        let address = client_certificate_server(&ca, versions).await;
        let inspector = Inspector::new(
            TargetPolicy::new(Vec::new(), &[address.to_string()]),
            ca.root_der().clone(),
            &ca.client_identity().expect("client identity"),
        )
        .expect("inspector");
        let request = ExchangeRequest {
            method: "GET".to_owned(),
            url: format!("https://{address}/"),
            ..ExchangeRequest::default()
        };

        let refused = inspector
            .exchange(&request)
            .await
            .expect_err("no certificate, no answer");
        assert!(
            matches!(refused, InspectorError::ClientCertificateRequired),
            "{refused:?}"
        );
        assert_eq!(refused.status_and_code().1, "client_certificate_required");
        assert!(
            refused
                .to_string()
                .contains("present the lab client certificate")
        );

        let answered = inspector
            .exchange(&ExchangeRequest {
                client_certificate: true,
                ..request.clone()
            })
            .await
            .expect("with the certificate, an answer");
        assert_eq!(answered.status, 200);
        assert_eq!(answered.body, "ok");
        let tls = answered.tls.expect("TLS");
        assert!(tls.verified);
        assert_eq!(tls.version, version);

        // A trust store without safelab's root: a host outside the lab that
        // does not verify still gets no request, and the reason names the check.
        let untrusted = inspector
            .exchange(&ExchangeRequest {
                client_certificate: true,
                trust: TrustStore::Empty,
                ..request
            })
            .await
            .expect_err("unverified outside the lab");
        assert!(
            matches!(&untrusted, InspectorError::UntrustedPeer { reason, .. } if reason.contains("UnknownIssuer")),
            "{untrusted:?}"
        );
    }
}
