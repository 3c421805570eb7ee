//! The learner's own CA (see the parent module): a JSON API on the app
//! listener under `/api/certificates/own/…` that makes certificate
//! authorities, keys with their CSRs, certificates signed from a CSR, and
//! HTTPS listeners that present them.
//!
//! Nothing stops a wrong choice (no SAN, `CA:TRUE` on a server, no
//! `serverAuth`, a validity already over, the wrong CA): seeing what a
//! client says about it is the lesson. What is bounded is what it costs: a
//! few CAs, keys, certificates and listeners, each listener for
//! [`LISTENER_MINUTES`](safelab_protocol::own_ca::LISTENER_MINUTES) at most, on
//! loopback only. [`choices`] checks what the learner chose and asks rustls
//! about the result; [`listener`] runs the listeners.
//!
//! Private keys are written to `lab/certificates/own-ca/` in the data folder
//! (folder 0700, key files 0600) and read back when they sign or serve; no
//! answer ever carries one. What was made is listed from memory: a restart,
//! or the lesson's reset, starts afresh and deletes the files.

mod choices;
mod listener;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData,
};
use rustls::pki_types::CertificateDer;
use safelab_protocol::own_ca::{
    MAX_CA_DAYS, MAX_CAS, MAX_CERTIFICATE_DAYS, MAX_CERTIFICATES, MAX_CSR_BYTES, MAX_KEYS,
    MAX_NAME_CHARS, MAX_SANS, MAX_START_OFFSET_DAYS, NewCa, NewKey, OwnCa, OwnCaLab,
    OwnCertificate, OwnKey, OwnListener, Purpose, SignRequest,
};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use tokio::task::AbortHandle;

use crate::error::{ApiJson, AppError};
use crate::learner_listeners::LearnerListeners;
use crate::{AppState, Limits};
use choices::{
    algorithm, checked_name, days, dn_text, key_usage, parse_csr, purpose_name, rustls_verdict,
    san_text, subject_alt_name,
};

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

pub(super) fn not_found(what: &'static str, id: &str) -> OwnCaError {
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
            // Deleted under the lock that every write of a key holds, so a CA
            // made at this moment keeps its key or is forgotten with it.
            if let Err(error) = remove_folder(&self.folder) {
                eprintln!(
                    "safelab: could not delete the learner's keys in {}: {error}",
                    self.folder.display()
                );
            }
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
        // Whatever CSR is pasted, this CA can vouch for this machine only.
        params.name_constraints = Some(crate::ca::loopback_only());
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
        .route(
            "/api/certificates/own/listeners",
            post(listener::start_listener),
        )
        .route(
            "/api/certificates/own/listeners/{id}",
            delete(listener::stop_listener),
        )
}

pub(super) fn own(state: &AppState) -> &OwnCaState {
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
pub(super) fn common_name(name: &str) -> DistinguishedName {
    let mut distinguished = DistinguishedName::new();
    distinguished.push(DnType::CommonName, name);
    distinguished
}

pub(super) fn key_file(id: &str) -> String {
    format!("{id}-key.pem")
}

/// `at` to the second, as RFC 3339 (`2026-11-24T03:57:18Z`).
pub(super) fn rfc3339(at: OffsetDateTime) -> String {
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
