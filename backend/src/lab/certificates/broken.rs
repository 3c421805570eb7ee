//! Lesson 6's broken listeners: ten HTTPS listeners on stable ports (`--port`
//! plus 4 to 13), nine whose certificate is broken in one way and one that
//! demands a client certificate. Each serves one small page, to a client that
//! did not verify, and is watched: the alert a client sends when it refuses
//! the certificate, and the requests of clients that accepted it, solve the
//! lesson's exercises and are listed at `GET /api/certificates/observed`.
//!
//! The page is served with the lab's security headers; nothing else of the
//! lab or the app is reachable here.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Extension, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use rustls::AlertDescription;
use rustls::server::WebPkiClientVerifier;
use safelab_protocol::{
    BrokenListener, CertificateCheck, ListenerId, ObservedAlert, ObservedHandshakes,
    ObservedListener, Refusal,
};
use serde_json::json;

use super::{
    BROKEN_TO_INSPECT, CLIENT_CERTIFICATE, INSPECT_BROKEN, REFUSE_EXPIRED, REFUSE_SELF_SIGNED,
};
use crate::ca::{CertificateAuthority, Mistake, ServerIdentity};
use crate::lab::{lock, with_security_headers};
use crate::listen::{Client, HandshakeWatch, Limits, Tls};
use crate::{AppState, BoundListener, StartError};

/// How the recorded clients are named in [`BrokenListener::refusals`].
pub const PYTHON: &str = "Python requests";
/// curl, with `--cacert` safelab's CA.
pub const CURL: &str = "curl";
/// Headless Chromium with safelab's CA in its trust store (NSS), as the
/// lesson's trust instructions set up a learner's browser.
pub const CHROMIUM: &str = "Chromium";

/// One broken listener: what it is, what is wrong, and what real clients say.
#[derive(Debug)]
pub struct Spec {
    /// Stable id, also its place in the port order.
    pub id: &'static str,
    /// A short title.
    pub title: &'static str,
    /// What is wrong with it.
    pub problem: &'static str,
    /// The check a strict client fails.
    pub check: Option<CertificateCheck>,
    /// The certificate's mistake; `None` for the client-certificate listener,
    /// whose certificate is good.
    pub mistake: Option<Mistake>,
    /// What Python `requests` (with `verify=` safelab's CA), curl (with
    /// `--cacert` safelab's CA) and Chromium (with safelab's CA in its trust
    /// store) print when they refuse it: the stable part, recorded by the integration
    /// tests (`tests/integration/certificates/broken.rs`), which run each
    /// client and fail if this drifts.
    pub refusals: &'static [(&'static str, &'static str)],
}

/// The id of the listener that demands a client certificate.
pub const CLIENT_CERTIFICATE_ID: &str = "client-certificate";

/// Every broken listener, in port order: the first takes `--port` + 4.
pub const LISTENERS: [Spec; 10] = [
    Spec {
        id: "expired",
        title: "Expired",
        problem: "The certificate's validity ended a month ago (its not_after is in the past). Otherwise the chain is safelab's own and names localhost.",
        check: Some(CertificateCheck::Expired),
        mistake: Some(Mistake::Expired),
        refusals: &[
            (PYTHON, "certificate verify failed: certificate has expired"),
            (CURL, "SSL certificate problem: certificate has expired"),
            (CHROMIUM, "net::ERR_CERT_DATE_INVALID"),
        ],
    },
    Spec {
        id: "not-yet-valid",
        title: "Not yet valid",
        problem: "The certificate's validity starts a month from now (its not_before is in the future), as when a server's or a client's clock is wrong.",
        check: Some(CertificateCheck::NotYetValid),
        mistake: Some(Mistake::NotYetValid),
        refusals: &[
            (
                PYTHON,
                "certificate verify failed: certificate is not yet valid",
            ),
            (
                CURL,
                "SSL certificate problem: certificate is not yet valid",
            ),
            (CHROMIUM, "net::ERR_CERT_DATE_INVALID"),
        ],
    },
    Spec {
        id: "wrong-host",
        title: "Wrong host",
        problem: "The certificate names intranet.localhost only, not localhost or 127.0.0.1: it is valid, but for another server.",
        check: Some(CertificateCheck::WrongHost),
        mistake: Some(Mistake::WrongHost),
        refusals: &[
            (
                PYTHON,
                "certificate verify failed: Hostname mismatch, certificate is not valid for 'localhost'",
            ),
            (
                CURL,
                "SSL: no alternative certificate subject name matches target host name 'localhost'",
            ),
            (CHROMIUM, "net::ERR_CERT_COMMON_NAME_INVALID"),
        ],
    },
    Spec {
        id: "self-signed",
        title: "Self-signed",
        problem: "The certificate signed itself: no certificate authority vouches for it, so nothing a client trusts leads to it.",
        check: Some(CertificateCheck::SelfSigned),
        mistake: Some(Mistake::SelfSigned),
        refusals: &[
            (PYTHON, "certificate verify failed: self-signed certificate"),
            (CURL, "SSL certificate problem: self-signed certificate"),
            (CHROMIUM, "net::ERR_CERT_AUTHORITY_INVALID"),
        ],
    },
    Spec {
        id: "untrusted-root",
        title: "Untrusted root",
        problem: "The chain is complete (leaf, intermediate and root are all sent), but it ends at a root that no trust store holds.",
        check: Some(CertificateCheck::UntrustedRoot),
        mistake: Some(Mistake::UntrustedRoot),
        refusals: &[
            (
                PYTHON,
                "certificate verify failed: self-signed certificate in certificate chain",
            ),
            (
                CURL,
                "SSL certificate problem: self-signed certificate in certificate chain",
            ),
            (CHROMIUM, "net::ERR_CERT_AUTHORITY_INVALID"),
        ],
    },
    Spec {
        id: "incomplete-chain",
        title: "Incomplete chain",
        problem: "The server sends its certificate without the intermediate that issued it: a client that trusts safelab's root cannot build the path to it.",
        check: Some(CertificateCheck::IncompleteChain),
        mistake: Some(Mistake::IncompleteChain),
        refusals: &[
            (
                PYTHON,
                "certificate verify failed: unable to get local issuer certificate",
            ),
            (
                CURL,
                "SSL certificate problem: unable to get local issuer certificate",
            ),
            (CHROMIUM, "net::ERR_CERT_AUTHORITY_INVALID"),
        ],
    },
    Spec {
        id: "no-san",
        title: "No subject alternative name",
        problem: "The certificate has no subject alternative name: it names its server only in the subject's common name (CN), and there as the URL someone typed at `openssl req`'s prompt (https://localhost). Browsers, Python and rustls read SANs only; curl still falls back to the CN, and finds no match there.",
        check: Some(CertificateCheck::NoSubjectAltName),
        mistake: Some(Mistake::NoSubjectAltName),
        refusals: &[
            (
                PYTHON,
                "certificate verify failed: Hostname mismatch, certificate is not valid for 'localhost'",
            ),
            (
                CURL,
                "SSL: certificate subject name 'https://localhost' does not match target host name 'localhost'",
            ),
            (CHROMIUM, "net::ERR_CERT_COMMON_NAME_INVALID"),
        ],
    },
    Spec {
        id: "ca-as-leaf",
        title: "CA certificate as a server's",
        problem: "The server presents a certificate authority's certificate (CA:TRUE, key usage keyCertSign and cRLSign only), as `openssl req -x509` makes with the default settings.",
        check: Some(CertificateCheck::CaAsLeaf),
        mistake: Some(Mistake::CaAsLeaf),
        refusals: &[
            (
                PYTHON,
                "certificate verify failed: unsuitable certificate purpose",
            ),
            (
                CURL,
                "SSL certificate problem: unsuitable certificate purpose",
            ),
            (CHROMIUM, "net::ERR_SSL_KEY_USAGE_INCOMPATIBLE"),
        ],
    },
    Spec {
        id: "no-server-auth",
        title: "Not for servers",
        problem: "The certificate's extended key usage allows clientAuth only: it may identify a client, never a server.",
        check: Some(CertificateCheck::NotForServerAuth),
        mistake: Some(Mistake::NoServerAuth),
        refusals: &[
            (
                PYTHON,
                "certificate verify failed: unsuitable certificate purpose",
            ),
            (
                CURL,
                "SSL certificate problem: unsuitable certificate purpose",
            ),
            (CHROMIUM, "net::ERR_CERT_INVALID"),
        ],
    },
    Spec {
        id: CLIENT_CERTIFICATE_ID,
        title: "Client certificate required",
        problem: "The certificate is good, but the server demands one from the client too (mutual TLS): a certificate chaining to safelab's root, such as the lab's client certificate at /api/certificates/client.pem with its key at /api/certificates/client-key.pem.",
        check: None,
        mistake: None,
        refusals: &[
            (PYTHON, "tlsv13 alert certificate required"),
            (CURL, "tlsv13 alert certificate required"),
            // Chromium answers the request for a certificate with none, and
            // either sees the server's alert in the handshake it restarts or
            // finds the connection closed when it writes: both happen.
            (CHROMIUM, "net::ERR_BAD_SSL_CLIENT_AUTH_CERT"),
            (CHROMIUM, "net::ERR_SOCKET_NOT_CONNECTED"),
        ],
    },
];

/// Every broken listener bound to its sockets, not yet serving.
#[derive(Debug)]
pub struct BrokenListeners {
    bound: Vec<(&'static Spec, BoundListener)>,
}

impl BrokenListeners {
    /// Binds one listener per [`LISTENERS`] entry on `host`, at `ports` (in
    /// the same order; 0 for any free port).
    pub async fn bind(host: IpAddr, ports: &[u16]) -> Result<Self, StartError> {
        let mut bound = Vec::with_capacity(LISTENERS.len());
        for (spec, &port) in LISTENERS.iter().zip(ports) {
            bound.push((spec, BoundListener::bind(host, port).await?));
        }
        Ok(Self { bound })
    }

    /// How `GET /api/lab` lists them.
    pub fn describe(&self) -> Vec<BrokenListener> {
        self.bound
            .iter()
            .map(|(spec, listener)| BrokenListener {
                id: spec.id.to_owned(),
                title: spec.title.to_owned(),
                url: listener.url("https", true),
                problem: spec.problem.to_owned(),
                check: spec.check,
                refusals: spec
                    .refusals
                    .iter()
                    .map(|&(client, text)| Refusal {
                        client: client.to_owned(),
                        text: text.to_owned(),
                    })
                    .collect(),
            })
            .collect()
    }

    /// Every address they answer on, for the inspector's target policy.
    pub fn own(&self) -> Vec<(ListenerId, SocketAddr)> {
        self.bound
            .iter()
            .flat_map(|(_, listener)| listener.own(ListenerId::Certificate))
            .collect()
    }

    /// How many listeners they are.
    pub fn len(&self) -> usize {
        self.bound.len()
    }

    /// Starts serving each with its certificate (made now, for `names`),
    /// its page and its watch.
    pub fn serve(
        self,
        ca: &CertificateAuthority,
        names: &[String],
        state: &AppState,
        limits: Limits,
    ) -> Result<Vec<tokio::task::JoinHandle<()>>, StartError> {
        let mut tasks = Vec::with_capacity(self.bound.len());
        for (spec, listener) in self.bound {
            let tls = match spec.mistake {
                Some(mistake) => crate::server_tls(ca.broken_identity(mistake, names)?, None)?,
                None => {
                    let mut roots = rustls::RootCertStore::empty();
                    roots.add(ca.root_der().clone())?;
                    let verifier = WebPkiClientVerifier::builder_with_provider(
                        roots.into(),
                        Arc::new(rustls::crypto::ring::default_provider()),
                    )
                    .build()
                    .map_err(|error| rustls::Error::General(error.to_string()))?;
                    let identity: ServerIdentity = ca.server_identity(names)?;
                    crate::server_tls(identity, Some(verifier))?
                }
            };
            let watch = Arc::new(Watch {
                spec,
                state: state.clone(),
            });
            tasks.push(tokio::spawn(crate::listen::serve(
                listener.sockets,
                crate::with_limits(page(spec)).with_state(state.clone()),
                Some(Tls::watched(Arc::new(tls), watch)),
                limits,
            )));
        }
        Ok(tasks)
    }
}

/// The one page a broken listener serves, at `/`; a 404 elsewhere.
fn page(spec: &'static Spec) -> axum::Router<AppState> {
    with_security_headers(
        Router::new()
            .route("/", get(lab_page))
            .fallback(not_here)
            .layer(Extension(spec))
            .layer(Extension(ListenerId::Certificate)),
    )
}

async fn lab_page(Extension(spec): Extension<&'static Spec>) -> Html<String> {
    let verdict = if spec.mistake.is_some() {
        "Your client accepted this certificate: it did not verify it. A client that verifies refuses \
         the handshake and never sees this page."
    } else {
        "Your client presented a certificate that chains to safelab's root, and the server verified \
         it: this is mutual TLS."
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
         <title>safelab: {title}</title>\
         <h1>{title}</h1>\
         <p>This is lesson 6's <code>{id}</code> listener.</p>\
         <p><strong>What is wrong:</strong> {problem}</p>\
         <p>{verdict}</p></html>",
        title = spec.title,
        id = spec.id,
        problem = spec.problem,
    ))
}

async fn not_here(uri: Uri) -> impl IntoResponse {
    let error = format!(
        "{} is not served here: this listener serves one page, at /, to show that a client accepted its certificate",
        uri.path()
    );
    (StatusCode::NOT_FOUND, Json(json!({ "error": error })))
}

/// The lesson's routes on the app listener: the lab client certificate and
/// key for download, and what the broken listeners saw.
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/api/certificates/client.pem", get(client_pem))
        .route("/api/certificates/client-key.pem", get(client_key_pem))
        .route("/api/certificates/observed", get(observed))
}

/// The lab client certificate and its intermediate, for `requests`'
/// `cert=(…)` and curl's `--cert`.
async fn client_pem(State(state): State<AppState>) -> impl IntoResponse {
    pem_download(
        state.client_identity.chain_pem.clone(),
        "safelab-client.pem",
    )
}

/// The lab client certificate's key: a lab credential that opens nothing but
/// the client-certificate listener, served to loopback only like the rest of
/// the app.
async fn client_key_pem(State(state): State<AppState>) -> impl IntoResponse {
    pem_download(
        state.client_identity.key_pem.clone(),
        "safelab-client-key.pem",
    )
}

fn pem_download(pem: String, file_name: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/x-pem-file".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        pem,
    )
}

async fn observed(State(state): State<AppState>) -> Json<ObservedHandshakes> {
    Json(state.labs.certificates.broken.snapshot())
}

/// How many alerts each listener keeps.
const ALERTS_KEPT: usize = 8;

/// What the broken listeners saw since start or the lesson's last reset.
#[derive(Debug, Default)]
pub struct Observed {
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    alerts: HashMap<&'static str, VecDeque<ObservedAlert>>,
    requests: HashMap<&'static str, u64>,
    /// Broken listeners (not the client-certificate one) that served a request.
    accepted: HashSet<&'static str>,
    /// Exercises already reported solved, so each is recorded once.
    solved: HashSet<&'static str>,
}

impl Observed {
    /// Forgets everything seen (the lesson's reset).
    pub fn reset(&self) {
        *lock(&self.seen) = Seen::default();
    }

    fn snapshot(&self) -> ObservedHandshakes {
        let seen = lock(&self.seen);
        ObservedHandshakes {
            listeners: LISTENERS
                .iter()
                .map(|spec| ObservedListener {
                    id: spec.id.to_owned(),
                    alerts: seen
                        .alerts
                        .get(spec.id)
                        .map(|alerts| alerts.iter().cloned().collect())
                        .unwrap_or_default(),
                    requests: seen.requests.get(spec.id).copied().unwrap_or(0),
                })
                .collect(),
        }
    }
}

impl Seen {
    /// Whether `id` is newly solved (and marks it).
    fn newly_solved(&mut self, id: &'static str) -> bool {
        self.solved.insert(id)
    }
}

/// One broken listener's watch: records what its TLS server saw and solves
/// the exercises it shows.
struct Watch {
    spec: &'static Spec,
    state: AppState,
}

impl Watch {
    fn solve(&self, exercise: crate::progress::Exercise) {
        let state = self.state.clone();
        tokio::spawn(async move { state.solved(exercise).await });
    }
}

impl HandshakeWatch for Watch {
    fn is_own(&self, peer: SocketAddr) -> bool {
        let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
        self.state.inspector.is_own_connection(peer)
    }

    fn refused(&self, client: &Client, alert: AlertDescription) {
        let observed = &self.state.labs.certificates.broken;
        let exercise = {
            let mut seen = lock(&observed.seen);
            let alerts = seen.alerts.entry(self.spec.id).or_default();
            if alerts.len() == ALERTS_KEPT {
                alerts.pop_front();
            }
            alerts.push_back(ObservedAlert {
                alert: alert_name(alert),
                at_unix_ms: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |since| {
                        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
                    }),
                inspector: client.own,
            });
            // The exercise is the learner's own client refusing: the
            // inspector refuses every broken certificate by itself.
            let exercise = match self.spec.mistake {
                _ if client.own || !is_certificate_alert(alert) => None,
                Some(Mistake::SelfSigned) => Some(REFUSE_SELF_SIGNED),
                Some(Mistake::Expired) => Some(REFUSE_EXPIRED),
                _ => None,
            };
            exercise.filter(|exercise| seen.newly_solved(exercise.id))
        };
        if let Some(exercise) = exercise {
            self.solve(exercise);
        }
    }

    fn served(&self, client: &Client) {
        let observed = &self.state.labs.certificates.broken;
        let mut solved = Vec::new();
        {
            let mut seen = lock(&observed.seen);
            let requests = seen.requests.entry(self.spec.id).or_default();
            *requests = requests.saturating_add(1);
            if self.spec.mistake.is_some() {
                seen.accepted.insert(self.spec.id);
                if seen.accepted.len() >= BROKEN_TO_INSPECT && seen.newly_solved(INSPECT_BROKEN.id)
                {
                    solved.push(INSPECT_BROKEN);
                }
            } else if client.certificate.as_ref() == self.state.client_identity.chain.first()
                && seen.newly_solved(CLIENT_CERTIFICATE.id)
            {
                solved.push(CLIENT_CERTIFICATE);
            }
        }
        for exercise in solved {
            self.solve(exercise);
        }
    }
}

/// Whether a client sends `alert` to say it refuses the certificate.
fn is_certificate_alert(alert: AlertDescription) -> bool {
    matches!(
        alert,
        AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnknownCA
    )
}

/// The alert's name as the TLS specification writes it (`unknown_ca`).
fn alert_name(alert: AlertDescription) -> String {
    let mut name = String::new();
    let mut previous_lower = false;
    for character in format!("{alert:?}").chars() {
        if character.is_ascii_uppercase() && previous_lower {
            name.push('_');
        }
        previous_lower = character.is_ascii_lowercase();
        name.push(character.to_ascii_lowercase());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_are_named_as_the_specification_does() {
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
        assert_eq!(
            alert_name(AlertDescription::CertificateExpired),
            "certificate_expired"
        );
        assert_eq!(
            alert_name(AlertDescription::BadCertificate),
            "bad_certificate"
        );
    }

    #[test]
    fn ids_are_unique_and_only_the_client_certificate_listener_has_a_good_certificate() {
        let ids: HashSet<&str> = LISTENERS.iter().map(|spec| spec.id).collect();
        assert_eq!(ids.len(), LISTENERS.len());
        for spec in &LISTENERS {
            assert_eq!(
                spec.mistake.is_none(),
                spec.id == CLIENT_CERTIFICATE_ID,
                "{}",
                spec.id
            );
            assert_eq!(spec.mistake.is_some(), spec.check.is_some(), "{}", spec.id);
        }
    }
}
