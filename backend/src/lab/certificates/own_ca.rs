//! The learner's own CA (see the parent module): a JSON API on the app
//! listener under `/api/certificates/own/…` that makes certificate
//! authorities, keys with their CSRs, certificates signed from a CSR, and
//! HTTPS listeners that present them.
//!
//! Nothing stops a wrong choice (no SAN, `CA:TRUE` on a server, no
//! `serverAuth`, a validity already over, the wrong CA): seeing what a
//! client says about it is the lesson. What is bounded is what it costs: a
//! few CAs, keys, certificates and listeners, each listener for
//! [`LISTENER_MINUTES`] at most, on loopback only.
//!
//! Private keys are written to `lab/certificates/own-ca/` in the data folder
//! (folder 0700, key files 0600) and read back when they sign or serve; no
//! answer ever carries one. What was made is listed from memory: a restart,
//! or the lesson's reset, starts afresh and deletes the files.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::extract::{ConnectInfo, Extension, Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PublicKeyData,
    SanType, SignatureAlgorithm,
};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{RootCertStore, ServerConfig};
use safelab_protocol::own_ca::{
    KeyType, KeyUsage, LISTENER_MINUTES, MAX_CA_DAYS, MAX_CAS, MAX_CERTIFICATE_DAYS,
    MAX_CERTIFICATES, MAX_CSR_BYTES, MAX_KEYS, MAX_LISTENERS, MAX_NAME_CHARS, MAX_SANS,
    MAX_START_OFFSET_DAYS, NewCa, NewKey, OwnCa, OwnCaLab, OwnCertificate, OwnKey, OwnListener,
    Purpose, SignRequest, StartListener,
};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use tokio::task::AbortHandle;
use tokio_rustls::TlsAcceptor;

use super::VERIFY_OWN_CA;
use crate::error::{ApiJson, AppError};
use crate::learner_listeners::LearnerListeners;
use crate::{AppState, Limits};

/// How long a learner listener runs before it stops itself.
const LIFETIME: StdDuration = StdDuration::from_secs(LISTENER_MINUTES as u64 * 60);

/// The name clients ask for: a certificate is "good" when it verifies for it.
const HOST_NAME: &str = "localhost";

/// Why a step of the own-CA flow was refused. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OwnCaError {
    /// A bound on how many of something a learner keeps.
    #[error("you already have {limit} {what}, the most safelab keeps at once: {advice}")]
    TooMany {
        /// What there are too many of (`certificate authorities`).
        what: &'static str,
        /// The bound.
        limit: usize,
        /// What to do about it.
        advice: &'static str,
    },
    /// A choice outside what the form allows (an empty name, 0 days…).
    #[error("{0}")]
    Invalid(String),
    /// An id that names nothing the learner made.
    #[error("there is no {what} {id:?}: GET /api/certificates/own lists yours")]
    NotFound {
        /// What was looked for (`CA`).
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The CSR could not be read or its signature does not verify.
    #[error("this is not a certificate signing request safelab can sign ({0})")]
    BadCsr(String),
    /// A listener was asked for with a certificate whose key safelab lacks.
    #[error(
        "certificate {0} was signed from a pasted CSR, so its private key is wherever that CSR was made, not in safelab: start a listener with a certificate whose key and CSR you made here"
    )]
    KeyNotHere(String),
    /// The data folder could not be written or read.
    #[error(
        "safelab could not keep your keys in its data folder ({0}): check that the folder is writable"
    )]
    Storage(String),
    /// rcgen could not make the key, CSR or certificate.
    #[error("the key or certificate could not be made ({0})")]
    Generate(#[from] rcgen::Error),
    /// The listener could not be started.
    #[error("the listener could not start ({0})")]
    Listen(String),
}

impl OwnCaError {
    /// The status and stable code of this refusal.
    pub(crate) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::TooMany { .. } => (StatusCode::CONFLICT, "too_many"),
            Self::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_choice"),
            Self::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            Self::BadCsr(_) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_csr"),
            Self::KeyNotHere(_) => (StatusCode::CONFLICT, "key_not_here"),
            Self::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage_failed"),
            Self::Generate(_) => (StatusCode::UNPROCESSABLE_ENTITY, "cannot_generate"),
            Self::Listen(_) => (StatusCode::SERVICE_UNAVAILABLE, "cannot_listen"),
        }
    }
}

/// The own-CA lab's state: what the learner made, and where keys are kept.
#[derive(Debug)]
pub struct OwnCaState {
    folder: PathBuf,
    host: IpAddr,
    limits: Limits,
    learner: LearnerListeners,
    made: Mutex<Made>,
    /// One listener starts at a time, so the bound holds across the await.
    starting: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Made {
    next_id: u64,
    cas: Vec<Ca>,
    keys: Vec<Key>,
    certificates: Vec<Certificate>,
    listeners: Vec<Running>,
}

#[derive(Debug)]
struct Ca {
    info: OwnCa,
    der: CertificateDer<'static>,
}

#[derive(Debug)]
struct Key {
    info: OwnKey,
    /// The public key's bytes, to find the key a pasted CSR was made with.
    public: Vec<u8>,
}

#[derive(Debug)]
struct Certificate {
    info: OwnCertificate,
    der: CertificateDer<'static>,
}

#[derive(Debug)]
struct Running {
    info: OwnListener,
    addresses: Vec<SocketAddr>,
    task: AbortHandle,
}

impl Made {
    fn id(&mut self, kind: &str) -> String {
        self.next_id += 1;
        format!("{kind}-{}", self.next_id)
    }

    fn ca(&self, id: &str) -> Result<&Ca, OwnCaError> {
        self.cas
            .iter()
            .find(|ca| ca.info.id == id)
            .ok_or_else(|| not_found("CA", id))
    }

    fn certificate(&self, id: &str) -> Result<&Certificate, OwnCaError> {
        self.certificates
            .iter()
            .find(|certificate| certificate.info.id == id)
            .ok_or_else(|| not_found("certificate", id))
    }

    fn listing(&self) -> OwnCaLab {
        OwnCaLab {
            cas: self.cas.iter().map(|ca| ca.info.clone()).collect(),
            keys: self.keys.iter().map(|key| key.info.clone()).collect(),
            certificates: self
                .certificates
                .iter()
                .map(|certificate| certificate.info.clone())
                .collect(),
            listeners: self
                .listeners
                .iter()
                .map(|listener| listener.info.clone())
                .collect(),
        }
    }
}

fn not_found(what: &'static str, id: &str) -> OwnCaError {
    OwnCaError::NotFound {
        what,
        id: id.chars().take(MAX_NAME_CHARS).collect(),
    }
}

impl OwnCaState {
    /// The state of a safelab whose lesson files live in `folder`, whose
    /// listeners bind `host` with `limits`, and whose inspector may reach
    /// the addresses in `learner`. Files a previous run left are deleted:
    /// nothing in memory names them any more.
    pub fn new(
        folder: PathBuf,
        host: IpAddr,
        limits: Limits,
        learner: LearnerListeners,
    ) -> std::io::Result<Self> {
        remove_folder(&folder)?;
        Ok(Self {
            folder,
            host,
            limits,
            learner,
            made: Mutex::new(Made::default()),
            starting: tokio::sync::Mutex::new(()),
        })
    }

    /// Stops every learner listener and forgets and deletes everything made.
    pub fn reset(&self) {
        let stopping = {
            let mut made = super::super::lock(&self.made);
            let next_id = made.next_id;
            std::mem::replace(
                &mut *made,
                Made {
                    next_id,
                    ..Made::default()
                },
            )
            .listeners
        };
        for listener in stopping {
            self.learner.remove(&listener.addresses);
            listener.task.abort();
        }
        if let Err(error) = remove_folder(&self.folder) {
            eprintln!(
                "safelab: could not delete the learner's keys in {}: {error}",
                self.folder.display()
            );
        }
    }

    fn store(&self, name: &str, contents: &str, private: bool) -> Result<(), OwnCaError> {
        let storage = |error: crate::ca::CaError| OwnCaError::Storage(error.to_string());
        if let Some(parent) = self.folder.parent() {
            crate::ca::create_private_folder(parent).map_err(storage)?;
        }
        crate::ca::create_private_folder(&self.folder).map_err(storage)?;
        crate::ca::write_file(&self.folder.join(name), contents.as_bytes(), private)
            .map_err(storage)
    }

    fn private_key(&self, id: &str) -> Result<String, OwnCaError> {
        let path = self.folder.join(key_file(id));
        std::fs::read_to_string(&path).map_err(|error| OwnCaError::Storage(error.to_string()))
    }

    fn create_ca(&self, request: &NewCa) -> Result<OwnCa, OwnCaError> {
        let name = checked_name("the CA's name", &request.name)?;
        days("valid_days", request.valid_days, MAX_CA_DAYS)?;
        let mut made = super::super::lock(&self.made);
        if made.cas.len() >= MAX_CAS {
            return Err(OwnCaError::TooMany {
                what: "certificate authorities",
                limit: MAX_CAS,
                advice: "reset the lesson to start again",
            });
        }
        let key = KeyPair::generate_for(algorithm(request.key_type))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = common_name(&name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::hours(1);
        params.not_after = now + Duration::days(i64::from(request.valid_days));
        let certificate = params.self_signed(&key)?;
        let id = made.id("ca");
        self.store(&key_file(&id), &key.serialize_pem(), true)?;
        self.store(&format!("{id}.pem"), &certificate.pem(), false)?;
        let info = OwnCa {
            download: format!("/api/certificates/own/cas/{id}/pem"),
            id,
            name,
            key_type: request.key_type,
            not_before: rfc3339(params.not_before),
            not_after: rfc3339(params.not_after),
            pem: certificate.pem(),
        };
        made.cas.push(Ca {
            info: info.clone(),
            der: certificate.der().clone(),
        });
        Ok(info)
    }

    fn create_key(&self, request: &NewKey) -> Result<OwnKey, OwnCaError> {
        let name = checked_name("the common name", &request.common_name)?;
        if request.names.len() > MAX_SANS {
            return Err(OwnCaError::Invalid(format!(
                "a request may carry at most {MAX_SANS} names, and this one has {}: keep the names clients use",
                request.names.len()
            )));
        }
        let sans = request
            .names
            .iter()
            .map(|name| subject_alt_name(name))
            .collect::<Result<Vec<_>, _>>()?;
        let mut made = super::super::lock(&self.made);
        if made.keys.len() >= MAX_KEYS {
            return Err(OwnCaError::TooMany {
                what: "keys",
                limit: MAX_KEYS,
                advice: "reset the lesson to start again",
            });
        }
        let key = KeyPair::generate_for(algorithm(request.key_type))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = common_name(&name);
        params.subject_alt_names = sans;
        params.is_ca = if request.is_ca {
            IsCa::Ca(BasicConstraints::Unconstrained)
        } else {
            IsCa::ExplicitNoCa
        };
        params.key_usages = request
            .key_usage
            .iter()
            .map(|usage| key_usage(*usage))
            .collect();
        params.extended_key_usages = match request.purpose {
            Purpose::ServerAuth => vec![ExtendedKeyUsagePurpose::ServerAuth],
            Purpose::ClientAuth => vec![ExtendedKeyUsagePurpose::ClientAuth],
            Purpose::None => Vec::new(),
        };
        let csr_pem = params.serialize_request(&key)?.pem()?;
        let id = made.id("key");
        self.store(&key_file(&id), &key.serialize_pem(), true)?;
        self.store(&format!("{id}.csr"), &csr_pem, false)?;
        let info = OwnKey {
            id,
            request: NewKey {
                common_name: name,
                ..request.clone()
            },
            csr_pem,
        };
        made.keys.push(Key {
            info: info.clone(),
            public: key.der_bytes().to_vec(),
        });
        Ok(info)
    }

    fn sign(&self, request: &SignRequest) -> Result<OwnCertificate, OwnCaError> {
        if request.csr_pem.len() > MAX_CSR_BYTES {
            return Err(OwnCaError::BadCsr(format!(
                "it is {} bytes, and a CSR is a few hundred: paste one -----BEGIN CERTIFICATE REQUEST----- block, at most {MAX_CSR_BYTES} bytes",
                request.csr_pem.len()
            )));
        }
        days("valid_days", request.valid_days, MAX_CERTIFICATE_DAYS)?;
        if request.starts_in_days.unsigned_abs() > MAX_START_OFFSET_DAYS.unsigned_abs() {
            return Err(OwnCaError::Invalid(format!(
                "starts_in_days must be between -{MAX_START_OFFSET_DAYS} and {MAX_START_OFFSET_DAYS}, not {}",
                request.starts_in_days
            )));
        }
        super::super::lock(&self.made).ca(&request.ca)?;
        let mut csr = parse_csr(&request.csr_pem)?;
        let mut made = super::super::lock(&self.made);
        let ca = made.ca(&request.ca)?;
        let (ca_id, ca_name, ca_der) = (ca.info.id.clone(), ca.info.name.clone(), ca.der.clone());
        if made.certificates.len() >= MAX_CERTIFICATES {
            return Err(OwnCaError::TooMany {
                what: "certificates",
                limit: MAX_CERTIFICATES,
                advice: "reset the lesson to start again",
            });
        }
        let ca_key = KeyPair::from_pem(&self.private_key(&ca_id)?)?;
        let issuer = Issuer::from_ca_cert_der(&ca_der, ca_key)?;
        let now = OffsetDateTime::now_utc();
        csr.params.not_before = now + Duration::days(i64::from(request.starts_in_days));
        csr.params.not_after =
            csr.params.not_before + Duration::days(i64::from(request.valid_days));
        csr.params.use_authority_key_identifier_extension = true;
        let certificate = csr.signed_by(&issuer)?;
        let key = made
            .keys
            .iter()
            .find(|key| key.public == csr.public_key.der_bytes())
            .map(|key| key.info.id.clone());
        let id = made.id("cert");
        self.store(&format!("{id}.pem"), &certificate.pem(), false)?;
        let params = &csr.params;
        let info = OwnCertificate {
            download: format!("/api/certificates/own/certificates/{id}/pem"),
            id,
            common_name: params
                .distinguished_name
                .get(&DnType::CommonName)
                .map(dn_text)
                .unwrap_or_default(),
            names: params.subject_alt_names.iter().map(san_text).collect(),
            is_ca: matches!(params.is_ca, IsCa::Ca(_)),
            purposes: params
                .extended_key_usages
                .iter()
                .map(|purpose| purpose_name(purpose).to_owned())
                .collect(),
            not_before: rfc3339(params.not_before),
            not_after: rfc3339(params.not_after),
            signed_by: ca_id,
            signed_by_name: ca_name,
            key,
            rustls_verdict: rustls_verdict(certificate.der(), &ca_der),
            pem: certificate.pem(),
        };
        made.certificates.push(Certificate {
            info: info.clone(),
            der: certificate.der().clone(),
        });
        Ok(info)
    }

    /// Forgets a listener that stopped (by itself, or asked to).
    fn forget(&self, id: &str) {
        let stopping = {
            let mut made = super::super::lock(&self.made);
            made.listeners
                .iter()
                .position(|running| running.info.id == id)
                .map(|index| made.listeners.remove(index))
        };
        // Aborted outside the lock: the task's guard forgets it too.
        if let Some(running) = stopping {
            self.learner.remove(&running.addresses);
            running.task.abort();
        }
    }
}

/// The own-CA API's routes, on the app listener.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/certificates/own", get(list))
        .route("/api/certificates/own/cas", post(create_ca))
        .route("/api/certificates/own/cas/{id}/pem", get(ca_pem))
        .route("/api/certificates/own/keys", post(create_key))
        .route("/api/certificates/own/certificates", post(sign))
        .route(
            "/api/certificates/own/certificates/{id}/pem",
            get(certificate_pem),
        )
        .route("/api/certificates/own/listeners", post(start_listener))
        .route(
            "/api/certificates/own/listeners/{id}",
            delete(stop_listener),
        )
}

fn own(state: &AppState) -> &OwnCaState {
    &state.labs.certificates.own_ca
}

async fn list(State(state): State<AppState>) -> Json<OwnCaLab> {
    Json(super::super::lock(&own(&state).made).listing())
}

async fn create_ca(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<NewCa>,
) -> Result<(StatusCode, Json<OwnCa>), AppError> {
    let ca = own(&state).create_ca(&request)?;
    Ok((StatusCode::CREATED, Json(ca)))
}

async fn create_key(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<OwnKey>), AppError> {
    let key = own(&state).create_key(&request)?;
    Ok((StatusCode::CREATED, Json(key)))
}

async fn sign(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SignRequest>,
) -> Result<(StatusCode, Json<OwnCertificate>), AppError> {
    let certificate = own(&state).sign(&request)?;
    Ok((StatusCode::CREATED, Json(certificate)))
}

async fn ca_pem(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<impl IntoResponse, AppError> {
    let pem = super::super::lock(&own(&state).made)
        .ca(&id)?
        .info
        .pem
        .clone();
    Ok(pem_download("myca.pem".to_owned(), pem))
}

async fn certificate_pem(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<impl IntoResponse, AppError> {
    let made = super::super::lock(&own(&state).made);
    let certificate = made.certificate(&id)?;
    Ok(pem_download(
        format!("{}.pem", certificate.info.id),
        certificate.info.pem.clone(),
    ))
}

fn pem_download(file_name: String, pem: String) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/x-pem-file".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        pem,
    )
}

/// What a learner listener needs to know about itself to answer.
#[derive(Debug)]
struct Served {
    listener: String,
    certificate: OwnCertificate,
    /// Whether the certificate verifies for `localhost`, now, as a server's,
    /// against the CA that signed it: only then does a client's request
    /// solve [`VERIFY_OWN_CA`].
    good: bool,
}

async fn start_listener(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<StartListener>,
) -> Result<(StatusCode, Json<OwnListener>), AppError> {
    let lab = own(&state);
    let _one_at_a_time = lab.starting.lock().await;
    let (certificate, der, key_id) = {
        let made = super::super::lock(&lab.made);
        if made.listeners.len() >= MAX_LISTENERS {
            return Err(OwnCaError::TooMany {
                what: "listeners running",
                limit: MAX_LISTENERS,
                advice: "stop one (DELETE /api/certificates/own/listeners/<id>, or its Stop button) and start this one again",
            }
            .into());
        }
        let certificate = made.certificate(&request.certificate)?;
        let key_id = certificate
            .info
            .key
            .clone()
            .ok_or_else(|| OwnCaError::KeyNotHere(certificate.info.id.clone()))?;
        (certificate.info.clone(), certificate.der.clone(), key_id)
    };
    let key =
        PrivateKeyDer::from_pem_slice(lab.private_key(&key_id)?.as_bytes()).map_err(|error| {
            OwnCaError::Storage(format!("the key {key_id} does not read back: {error}"))
        })?;
    let tls = server_config(der, key)?;
    let bound = crate::BoundListener::bind(lab.host, 0)
        .await
        .map_err(|error| OwnCaError::Listen(error.to_string()))?;
    let url = bound.url("https", true);
    let addresses = bound.addresses.clone();

    let mut made = super::super::lock(&lab.made);
    let id = made.id("listener");
    let served = Arc::new(Served {
        listener: id.clone(),
        good: certificate.rustls_verdict.is_none(),
        certificate: certificate.clone(),
    });
    let router = crate::with_limits(Router::new().fallback(page))
        .layer(Extension(served))
        .with_state(state.clone());
    let stopped = Stopped {
        state: state.clone(),
        id: id.clone(),
    };
    let (sockets, limits) = (bound.sockets, lab.limits);
    let task = tokio::spawn(async move {
        let _forget_when_done = stopped;
        let serving = crate::listen::serve(sockets, router, Some(TlsAcceptor::from(tls)), limits);
        // Its lifetime is over either way: the task ends, and its guard
        // forgets it.
        let _ = tokio::time::timeout(LIFETIME, serving).await;
    })
    .abort_handle();
    let stops_at = OffsetDateTime::now_utc() + Duration::minutes(i64::from(LISTENER_MINUTES));
    let info = OwnListener {
        id,
        url,
        certificate: certificate.id,
        signed_by: certificate.signed_by,
        stops_at: rfc3339(stops_at),
    };
    lab.learner.add(&addresses);
    made.listeners.push(Running {
        info: info.clone(),
        addresses,
        task,
    });
    Ok((StatusCode::CREATED, Json(info)))
}

async fn stop_listener(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<StatusCode, AppError> {
    let lab = own(&state);
    let known = super::super::lock(&lab.made)
        .listeners
        .iter()
        .any(|running| running.info.id == id);
    if !known {
        return Err(not_found("listener", &id).into());
    }
    lab.forget(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// Forgets its listener when the listener's task ends or is aborted.
struct Stopped {
    state: AppState,
    id: String,
}

impl Drop for Stopped {
    fn drop(&mut self) {
        own(&self.state).forget(&self.id);
    }
}

/// The page every learner listener serves, at any path.
async fn page(
    State(state): State<AppState>,
    Extension(served): Extension<Arc<Served>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> impl IntoResponse {
    let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
    // The inspector completes every handshake to show the chain, whatever
    // it trusts: only another client's request shows that it verified.
    if served.good && !state.inspector.is_own_connection(peer) {
        state.solved(VERIFY_OWN_CA).await;
    }
    let certificate = &served.certificate;
    let names = if certificate.names.is_empty() {
        "no subject alternative names".to_owned()
    } else {
        certificate.names.join(", ")
    };
    Html(format!(
        "<!doctype html><meta charset=\"utf-8\"><title>Your listener</title>\
         <h1>Your listener {listener}</h1>\
         <p>It presents your certificate {id} (common name {cn}; {names}), \
         signed by your CA {ca_name} ({ca}).</p>\
         <p>A client that checked this certificate before sending its request \
         trusts that CA.</p>",
        listener = escape(&served.listener),
        id = escape(&certificate.id),
        cn = escape(&certificate.common_name),
        names = escape(&names),
        ca_name = escape(&certificate.signed_by_name),
        ca = escape(&certificate.signed_by),
    ))
}

fn server_config(
    leaf: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, OwnCaError> {
    let cannot_serve =
        |error: rustls::Error| OwnCaError::Listen(format!("rustls cannot serve with it: {error}"));
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(cannot_serve)?
            .with_no_client_auth()
            .with_single_cert(vec![leaf], key)
            .map_err(cannot_serve)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// What rustls says of `leaf` for `localhost`, now, as a TLS server's
/// certificate, trusting `ca` alone: `None` when it accepts it.
fn rustls_verdict(leaf: &CertificateDer<'_>, ca: &CertificateDer<'static>) -> Option<String> {
    let mut roots = RootCertStore::empty();
    if let Err(error) = roots.add(ca.clone()) {
        return Some(format!("the CA cannot be a trust anchor: {error}"));
    }
    let verifier = match WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::new(rustls::crypto::ring::default_provider()),
    )
    .build()
    {
        Ok(verifier) => verifier,
        Err(error) => return Some(error.to_string()),
    };
    let name = ServerName::try_from(HOST_NAME).ok()?;
    verifier
        .verify_server_cert(leaf, &[], &name, &[], UnixTime::now())
        .err()
        .map(|error| error.to_string())
}

fn parse_csr(pem: &str) -> Result<CertificateSigningRequestParams, OwnCaError> {
    if !pem.contains("-----BEGIN CERTIFICATE REQUEST-----") {
        return Err(OwnCaError::BadCsr(
            "it has no -----BEGIN CERTIFICATE REQUEST----- line: paste the whole PEM block that openssl req or step 2 printed".to_owned(),
        ));
    }
    CertificateSigningRequestParams::from_pem(pem).map_err(|error| {
        OwnCaError::BadCsr(match error {
            rcgen::Error::CouldNotParseCertificationRequest => {
                "its PEM does not decode to a PKCS#10 request: paste it again, whole".to_owned()
            }
            rcgen::Error::InvalidCertificationRequestSignature => {
                "its signature does not verify: it was changed after its key signed it".to_owned()
            }
            rcgen::Error::UnsupportedExtension => "it asks for an extension safelab does not sign: use only subjectAltName, basicConstraints, keyUsage and extendedKeyUsage".to_owned(),
            other => other.to_string(),
        })
    })
}

fn algorithm(key_type: KeyType) -> &'static SignatureAlgorithm {
    match key_type {
        KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyType::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        KeyType::Ed25519 => &rcgen::PKCS_ED25519,
    }
}

fn key_usage(usage: KeyUsage) -> KeyUsagePurpose {
    match usage {
        KeyUsage::DigitalSignature => KeyUsagePurpose::DigitalSignature,
        KeyUsage::KeyEncipherment => KeyUsagePurpose::KeyEncipherment,
        KeyUsage::KeyCertSign => KeyUsagePurpose::KeyCertSign,
    }
}

fn purpose_name(purpose: &ExtendedKeyUsagePurpose) -> &'static str {
    match purpose {
        ExtendedKeyUsagePurpose::ServerAuth => "serverAuth",
        ExtendedKeyUsagePurpose::ClientAuth => "clientAuth",
        ExtendedKeyUsagePurpose::Any => "anyExtendedKeyUsage",
        ExtendedKeyUsagePurpose::CodeSigning => "codeSigning",
        ExtendedKeyUsagePurpose::EmailProtection => "emailProtection",
        ExtendedKeyUsagePurpose::TimeStamping => "timeStamping",
        ExtendedKeyUsagePurpose::OcspSigning => "OCSPSigning",
        _ => "other",
    }
}

fn san_text(san: &SanType) -> String {
    match san {
        SanType::DnsName(name) => format!("DNS:{}", name.as_str()),
        SanType::IpAddress(ip) => format!("IP:{ip}"),
        SanType::Rfc822Name(name) => format!("email:{}", name.as_str()),
        SanType::URI(uri) => format!("URI:{}", uri.as_str()),
        _ => "other name".to_owned(),
    }
}

fn dn_text(value: &rcgen::DnValue) -> String {
    match value {
        rcgen::DnValue::Utf8String(text) => text.clone(),
        rcgen::DnValue::PrintableString(text) => text.as_str().to_owned(),
        rcgen::DnValue::Ia5String(text) => text.as_str().to_owned(),
        _ => "(a name in an unusual encoding)".to_owned(),
    }
}

/// A name typed into the form: trimmed, not empty, short, no control characters.
fn checked_name(what: &str, name: &str) -> Result<String, OwnCaError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(OwnCaError::Invalid(format!("{what} is empty: type one")));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(OwnCaError::Invalid(format!(
            "{what} is {} characters long, and X.509 allows at most {MAX_NAME_CHARS}: shorten it",
            name.chars().count()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(OwnCaError::Invalid(format!(
            "{what} holds a control character: use letters, digits, spaces and punctuation"
        )));
    }
    Ok(name.to_owned())
}

fn days(field: &str, days: u32, max: u32) -> Result<(), OwnCaError> {
    if (1..=max).contains(&days) {
        Ok(())
    } else {
        Err(OwnCaError::Invalid(format!(
            "{field} must be between 1 and {max} days, not {days}: a certificate valid for 0 days is never valid"
        )))
    }
}

/// One subject alternative name: an IP address, or a DNS name (`*.` allowed
/// first).
fn subject_alt_name(name: &str) -> Result<SanType, OwnCaError> {
    let name = name.trim();
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let invalid = |why: &str| {
        OwnCaError::Invalid(format!(
            "{:?} is not a DNS name or an IP address ({why}): write names like localhost, app.localhost or 127.0.0.1",
            name.chars().take(80).collect::<String>()
        ))
    };
    if name.is_empty() {
        return Err(invalid("it is empty"));
    }
    if name.len() > 253 {
        return Err(invalid("a DNS name has at most 253 characters"));
    }
    let labels = name.strip_prefix("*.").unwrap_or(name);
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
    };
    if !labels.split('.').all(label_ok) {
        return Err(invalid(
            "each dot-separated label is 1 to 63 letters, digits or hyphens",
        ));
    }
    let name = rcgen::string::Ia5String::try_from(name.to_ascii_lowercase())
        .map_err(|_| invalid("it is not ASCII"))?;
    Ok(SanType::DnsName(name))
}

fn common_name(name: &str) -> DistinguishedName {
    let mut distinguished = DistinguishedName::new();
    distinguished.push(DnType::CommonName, name);
    distinguished
}

fn key_file(id: &str) -> String {
    format!("{id}-key.pem")
}

/// `at` to the second, as RFC 3339 (`2026-11-24T03:57:18Z`).
fn rfc3339(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn remove_folder(folder: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(folder) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_names_or_ip_addresses() {
        assert!(matches!(
            subject_alt_name("127.0.0.1"),
            Ok(SanType::IpAddress(_))
        ));
        assert!(matches!(subject_alt_name("::1"), Ok(SanType::IpAddress(_))));
        assert!(matches!(
            subject_alt_name("*.App.localhost"),
            Ok(SanType::DnsName(name)) if name.as_str() == "*.app.localhost"
        ));
        for bad in [
            "",
            "a b",
            "-x.localhost",
            "x..localhost",
            "é.localhost",
            &"a".repeat(64),
        ] {
            assert!(subject_alt_name(bad).is_err(), "{bad:?}");
        }
    }

    /// A CA and a certificate it signed for `names`, valid from
    /// `starts_in_days` for `days`, as `is_ca` and with `purpose`.
    fn signed(
        names: &[&str],
        is_ca: bool,
        purpose: ExtendedKeyUsagePurpose,
        starts_in_days: i64,
        days: i64,
    ) -> (CertificateDer<'static>, CertificateDer<'static>) {
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a key");
        let mut ca_params = CertificateParams::default();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name = common_name("test CA");
        let ca = ca_params.self_signed(&ca_key).expect("a CA");
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a key");
        let mut params = CertificateParams::new(
            names
                .iter()
                .map(|name| (*name).to_owned())
                .collect::<Vec<_>>(),
        )
        .expect("names");
        params.is_ca = if is_ca {
            IsCa::Ca(BasicConstraints::Unconstrained)
        } else {
            IsCa::ExplicitNoCa
        };
        params.extended_key_usages = vec![purpose];
        params.not_before = OffsetDateTime::now_utc() + Duration::days(starts_in_days);
        params.not_after = params.not_before + Duration::days(days);
        let leaf = params.signed_by(&key, &issuer).expect("signed");
        (leaf.der().clone(), ca.der().clone())
    }

    #[test]
    fn rustls_judges_a_certificate_for_localhost_now_as_a_servers() {
        let server = ExtendedKeyUsagePurpose::ServerAuth;
        let verdict = |(leaf, ca): (CertificateDer<'static>, CertificateDer<'static>)| {
            rustls_verdict(&leaf, &ca)
        };
        assert_eq!(
            verdict(signed(&["localhost"], false, server.clone(), 0, 30)),
            None
        );
        let cases = [
            (
                signed(&["example.test"], false, server.clone(), 0, 30),
                "not valid for name",
            ),
            (
                signed(&["localhost"], true, server.clone(), 0, 30),
                "CaUsedAsEndEntity",
            ),
            (
                signed(
                    &["localhost"],
                    false,
                    ExtendedKeyUsagePurpose::ClientAuth,
                    0,
                    30,
                ),
                "server authentication",
            ),
            (signed(&["localhost"], false, server, -10, 5), "expired"),
        ];
        for (certificate, error) in cases {
            let said = verdict(certificate).expect("refused");
            assert!(said.contains(error), "{said}");
        }
    }
}
