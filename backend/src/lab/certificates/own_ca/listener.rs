//! Learner listeners: HTTPS with a certificate the learner's CA signed, on
//! the configured loopback host and a free port, with the limits of every
//! listener, each stopping itself after [`LISTENER_MINUTES`]. Their page
//! solves [`VERIFY_OWN_CA`] when a client other than the inspector reaches
//! a listener whose certificate is good.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use axum::extract::{ConnectInfo, Extension, Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::{Json, Router};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use safelab_protocol::own_ca::{
    LISTENER_MINUTES, MAX_LISTENERS, OwnCertificate, OwnListener, StartListener,
};
use time::{Duration, OffsetDateTime};

use super::super::VERIFY_OWN_CA;
use super::{OwnCaError, Running, not_found, own, rfc3339};
use crate::AppState;
use crate::error::{ApiJson, AppError};

/// How long a learner listener runs before it stops itself.
const LIFETIME: StdDuration = StdDuration::from_secs(LISTENER_MINUTES as u64 * 60);

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

pub(super) async fn start_listener(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<StartListener>,
) -> Result<(StatusCode, Json<OwnListener>), AppError> {
    let lab = own(&state);
    let _one_at_a_time = lab.starting.lock().await;
    let (certificate, der, key_id) = {
        let made = super::super::super::lock(&lab.made);
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

    let mut made = super::super::super::lock(&lab.made);
    // A reset while the socket was bound took the certificate away: serving
    // it now would outlive the reset.
    made.certificate(&certificate.id)?;
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
        let serving =
            crate::listen::serve(sockets, router, Some(crate::listen::Tls::new(tls)), limits);
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

pub(super) async fn stop_listener(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<StatusCode, AppError> {
    let lab = own(&state);
    let known = super::super::super::lock(&lab.made)
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
        listener = crate::lessons::escape(&served.listener),
        id = crate::lessons::escape(&certificate.id),
        cn = crate::lessons::escape(&certificate.common_name),
        names = crate::lessons::escape(&names),
        ca_name = crate::lessons::escape(&certificate.signed_by_name),
        ca = crate::lessons::escape(&certificate.signed_by),
    ))
}

fn server_config(
    leaf: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, OwnCaError> {
    let identity = crate::ca::ServerIdentity {
        chain: vec![leaf],
        key,
    };
    crate::server_tls(identity, None)
        .map(Arc::new)
        .map_err(|error| OwnCaError::Listen(format!("rustls cannot serve with it: {error}")))
}
