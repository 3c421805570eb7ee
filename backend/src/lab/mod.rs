//! The lab: the endpoints lessons send requests to, on every lab listener.
//!
//! One module per lesson, named by the lesson's id. Where a lesson teaches a
//! vulnerability, its module holds `insecure.rs` and `secure.rs` with the same
//! routes under `/lab/insecure/…` and `/lab/secure/…`, so one edit of the URL
//! switches between them. Every handler works on lab resources only, never on
//! the host's files, processes or network.
//!
//! Each module describes itself as a [`LessonLab`]: its endpoints (listed by
//! `GET /lab`), the exercises its handlers detect, its routes, and what a
//! reset of its lesson restores.
//!
//! Lab state lives in one of two places. Small state (lesson 2's uploads) goes
//! in the progress store's `lab_state` table, which a reset clears. State of
//! its own (a lesson's database, counters, sessions) hangs off [`LabData`]:
//! files under `lab/<lesson id>/` in the data folder, which the offline reset (`safelab
//! reset` with no safelab running) simply deletes, so a module must rebuild
//! missing files on first use; and memory, which the lesson's `reset` hook
//! restores when the running program resets it.

mod api;
mod authentication;
mod basics;
pub(crate) mod certificates;
mod error;
mod files;
mod injection;
mod linting;
mod packages;
mod parameters;
mod pickle;
mod ratelimit;
mod secrets;
mod tool_examples;

pub use certificates::OwnCaError;

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::extract::{ConnectInfo, Extension, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use safelab_protocol::{LabEndpoint, LabIndex, ListenerId, Twin};
use serde_json::json;

use crate::AppState;
use crate::progress::Exercise;

/// One endpoint of a lesson's lab, as `GET /lab` lists it.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// The method it answers, or `ANY`.
    pub method: &'static str,
    /// Its route (`/lab/status/{code}`).
    pub path: &'static str,
    /// Which twin it is, if it is one.
    pub twin: Option<Twin>,
    /// One line: what it answers.
    pub summary: &'static str,
}

/// A lesson's part of the lab.
pub struct LessonLab {
    /// The lesson's id.
    pub lesson: &'static str,
    /// Its endpoints.
    pub endpoints: &'static [Endpoint],
    /// The exercises its handlers detect.
    pub exercises: &'static [Exercise],
    /// Its routes.
    pub routes: fn() -> Router<AppState>,
    /// Restores the lesson's own lab state (see the module's documentation)
    /// after its progress was reset: [`nothing_to_restore`] for most.
    pub reset: fn(&AppState),
    /// The files it offers the analysis tools (the Tools page's "lab
    /// examples"): none for most.
    pub examples: &'static [Example],
}

/// A lab file the Tools page offers to one of the analysis tools, listed by
/// `GET /api/tools/examples` and served by `GET /api/tools/examples/{name}`.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// The tool it is for.
    pub tool: safelab_protocol::tools::Tool,
    /// Its file name, unique among all lessons' examples (`model.pkl`).
    pub name: &'static str,
    /// One line: what it is.
    pub title: &'static str,
    /// Its bytes, made when asked (a history is built, not stored).
    pub bytes: fn() -> Vec<u8>,
}

/// The `reset` of a lesson whose lab keeps no state of its own.
pub fn nothing_to_restore(_: &AppState) {}

/// The lab's own state beside the progress store: one field per lesson that
/// keeps some. A lesson's files live in `lab/<lesson id>/` in the data folder.
#[derive(Debug)]
pub struct LabData {
    /// Lesson `injection`'s SQL databases, one per learner.
    injection: injection::Databases,
    /// Lesson `authentication`'s logs, sessions, failure counts and password
    /// hashes.
    authentication: authentication::AuthenticationLab,
    /// Lesson `api`'s state: what the learner has enumerated, profiles,
    /// API keys, rate-limit windows, what reached the fake internal network,
    /// and the portal's session.
    api: api::ApiLab,
    /// Lesson `certificates`' state: what its listeners saw.
    pub(crate) certificates: certificates::CertificatesLab,
    /// Lesson `pickle`'s state: the pickles its insecure twin "ran".
    pickle: pickle::PickleLab,
    /// Lesson `secrets`' state: the fake cloud storage's valid key.
    secrets: secrets::StorageKeys,
}

impl LabData {
    /// The lab data of a safelab whose data folder is `data_dir`; listeners
    /// the lab starts bind `host` with `limits`, and the inspector may reach
    /// them through `learner`.
    pub fn new(
        data_dir: &Path,
        host: IpAddr,
        limits: crate::Limits,
        learner: crate::learner_listeners::LearnerListeners,
    ) -> Result<Self, crate::StartError> {
        let certificates_folder = folder(data_dir).join(certificates::LESSON);
        Ok(Self {
            injection: injection::Databases::new(folder(data_dir).join(injection::LESSON)),
            authentication: authentication::AuthenticationLab::default(),
            api: api::ApiLab::new()?,
            certificates: certificates::CertificatesLab::new(
                &certificates_folder,
                host,
                limits,
                learner,
            )
            .map_err(|source| crate::StartError::DataDir {
                path: certificates_folder,
                source,
            })?,
            pickle: pickle::PickleLab::default(),
            secrets: secrets::StorageKeys::default(),
        })
    }
}

/// The lab's tools on the app listener (JSON APIs under `/api/`): lesson
/// `certificates`' own CA, and the analysis tools' lab examples.
pub fn app_routes() -> Router<AppState> {
    certificates::app_routes().merge(tool_examples::routes())
}

/// 128 random bits as 32 hex digits, from the operating system's generator.
pub fn random_token() -> Result<String, crate::StartError> {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0_u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| crate::StartError::Random)?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Where the lab keeps its files in the data folder `data_dir`.
fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("lab")
}

/// Restores the lab of `lesson` (every lesson's with `None`) in the running
/// program, after its progress was reset.
pub fn reset(state: &AppState, lesson: Option<&str>) {
    for lab in LABS {
        if lesson.is_none_or(|id| id == lab.lesson) {
            (lab.reset)(state);
        }
    }
}

/// Restores the lab of `lesson` (every lesson's with `None`) when no safelab
/// is running: its files are deleted and rebuilt from their seed at first use.
pub fn reset_files(data_dir: &Path, lesson: Option<&str>) -> std::io::Result<()> {
    let root = folder(data_dir);
    let gone = |path: PathBuf| match std::fs::remove_dir_all(&path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    };
    match lesson {
        Some(id) => gone(root.join(id)),
        None => gone(root),
    }
}

/// The client's IP address (the connection's peer), for per-client
/// limits and access logs. Requests driven without a socket (unit tests)
/// come from `0.0.0.0`.
#[derive(Debug, Clone, Copy)]
pub struct Client(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| {
                info.0.ip().to_canonical()
            });
        Ok(Self(ip))
    }
}

impl Client {
    /// The key a per-client limit counts this client under: every loopback
    /// address (all of `127.0.0.0/8` and `::1`) is one machine and one key,
    /// an IPv6 client is its /64 (one host usually holds a whole /64), an
    /// IPv4 client its address. Keyed on the exact address, `curl
    /// --interface 127.0.0.2` or a fresh IPv6 address would get a fresh
    /// bucket.
    pub fn rate_key(self) -> IpAddr {
        match self.0 {
            ip if ip.is_loopback() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) => {
                let [a, b, c, d, ..] = ip.segments();
                IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
            ip @ IpAddr::V4(_) => ip,
        }
    }
}

/// `mutex`'s guard, also when a thread panicked while holding it: lab state
/// stays usable (every update leaves it consistent).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The value of the cookie `name`, from any `Cookie` header.
pub(crate) fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// Every lesson's lab, in curriculum order.
const LABS: &[&LessonLab] = &[
    &basics::LAB,
    &files::LAB,
    &parameters::LAB,
    &injection::LAB,
    &authentication::LAB,
    &certificates::LAB,
    &api::LAB,
    &pickle::LAB,
    &secrets::LAB,
    &packages::LAB,
    &linting::LAB,
];

/// Every exercise some lab handler detects.
pub fn exercises() -> Vec<Exercise> {
    LABS.iter()
        .flat_map(|lab| lab.exercises.iter().copied())
        .collect()
}

/// What `GET /lab` answers: every endpoint with its lesson.
pub fn index() -> LabIndex {
    let listed = |lab: &LessonLab| {
        lab.endpoints
            .iter()
            .map(|endpoint| LabEndpoint {
                lesson: lab.lesson.to_owned(),
                method: endpoint.method.to_owned(),
                path: endpoint.path.to_owned(),
                twin: endpoint.twin,
                summary: endpoint.summary.to_owned(),
            })
            .collect::<Vec<_>>()
    };
    LabIndex {
        endpoints: LABS.iter().flat_map(|lab| listed(lab)).collect(),
    }
}

/// Every lab route of the listener `listener`, merged, with `GET /lab` and a
/// real 404 for unknown lab paths. Handlers can ask which listener a request
/// arrived on (`Extension<ListenerId>`).
pub fn routes(listener: ListenerId) -> Router<AppState> {
    let mut router = Router::new()
        .route("/lab", get(list))
        .route("/lab/", get(list))
        .route("/lab/{*rest}", any(no_such_endpoint));
    for lab in LABS {
        router = router.merge((lab.routes)());
    }
    router.fallback(outside_the_lab).layer(Extension(listener))
}

/// `router` with the security headers a careful API sends on every answer
/// (the response view grades them): a secure twin wraps its routes in this,
/// an insecure twin does not. Strict-Transport-Security goes out over HTTPS
/// only, where it means something; a header the handler set itself is kept.
pub fn with_security_headers(router: Router<AppState>) -> Router<AppState> {
    router.layer(middleware::from_fn(security_headers))
}

async fn security_headers(request: Request, next: Next) -> Response {
    let https = request.extensions().get::<ListenerId>() == Some(&ListenerId::Https);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name, value| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    );
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::CACHE_CONTROL, "no-store");
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=300");
    }
    response
}

/// The attacker listener's site: the pages lessons have a stranger host, and
/// a 404 for everything else. Its handlers know they run there
/// (`Extension<ListenerId>` is `Attacker`).
pub fn attacker_site() -> Router<AppState> {
    Router::new()
        .route("/", get(attacker_index))
        .merge(api::attacker_pages())
        .fallback(not_on_the_attacker_site)
        .layer(Extension(ListenerId::Attacker))
}

async fn attacker_index() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html><meta charset=\"utf-8\"><title>A stranger's site</title>\
         <h1>A stranger's site</h1>\
         <p>This listener plays a site on another origin that a learner visits: \
         the pages an attacker would host. Lesson 7 sends you here.</p>",
    )
}

async fn not_on_the_attacker_site(uri: Uri) -> impl IntoResponse {
    let error = format!(
        "{} is not served here: this listener plays a stranger's site and serves only the pages lessons send you to",
        uri.path()
    );
    (StatusCode::NOT_FOUND, Json(json!({ "error": error })))
}

async fn list() -> Json<LabIndex> {
    Json(index())
}

/// The answer of an unknown `/lab/…` path. The marker extension lets the lesson
/// validator tell "no such endpoint" from an endpoint's own 404.
async fn no_such_endpoint(uri: Uri) -> impl IntoResponse {
    let error = format!(
        "there is no lab endpoint {}: GET /lab lists them",
        uri.path()
    );
    (
        StatusCode::NOT_FOUND,
        Extension(NoSuchEndpoint),
        Json(json!({ "error": error })),
    )
}

/// Marks the answer of a path no lab endpoint serves.
#[derive(Debug, Clone, Copy)]
pub struct NoSuchEndpoint;

/// A lab listener's answer outside `/lab/`: it serves the lab only.
async fn outside_the_lab(uri: Uri) -> impl IntoResponse {
    let error = format!(
        "{} is not served here: this listener serves the lab only (GET /lab lists it); the app and its API have a listener of their own",
        uri.path()
    );
    (
        StatusCode::NOT_FOUND,
        Extension(NoSuchEndpoint),
        Json(json!({ "error": error })),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_client_is_limited_per_machine_and_per_ipv6_network() {
        let key = |ip: &str| Client(ip.parse().expect("an address")).rate_key();
        assert_eq!(key("127.0.0.2"), key("127.0.0.1"));
        assert_eq!(key("::1"), key("127.0.0.1"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::2"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("192.0.2.7").to_string(), "192.0.2.7");
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
    }

    #[test]
    fn lesson_ids_name_their_lab_and_exercise_ids_are_unique() {
        let mut seen = HashSet::new();
        for exercise in exercises() {
            assert!(seen.insert(exercise), "{exercise:?} is declared twice");
        }
        for lab in LABS {
            assert!(
                lab.exercises
                    .iter()
                    .all(|exercise| exercise.lesson == lab.lesson),
                "{} detects another lesson's exercise",
                lab.lesson
            );
            assert!(
                lab.endpoints
                    .iter()
                    .all(|endpoint| endpoint.path.starts_with("/lab/"))
            );
        }
    }
}
