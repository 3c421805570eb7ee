//! Cross-origin reads (CORS): a clinic portal on the lab's origin that signs
//! the visitor in with a cookie, its `me` endpoint, and a stranger's page on
//! the attacker listener that tries to read it from another origin.
//!
//! The insecure twin repeats whatever `Origin` arrives in
//! `Access-Control-Allow-Origin`, with `Access-Control-Allow-Credentials:
//! true`: any site the visitor opens can read their record with their
//! cookie. The secure twin allows the lab's own origins only, and refuses a
//! request from any other origin before it produces the record. Ports make
//! different origins but the same site, so `SameSite` cookies still go along:
//! only CORS stands between the stranger's page and the record.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use safelab_protocol::{LabInfo, ListenerId, Twin};
use serde_json::json;

use super::LESSON;
use crate::AppState;
use crate::progress::Exercise;

/// The insecure portal handed the record, with the visitor's cookie, to a
/// request from another origin, and told the browser that origin may read it.
pub const REFLECT: Exercise = Exercise {
    lesson: LESSON,
    id: "cors-reflect",
};
/// The secure portal refused a signed-in request from another origin.
pub const ALLOWLIST: Exercise = Exercise {
    lesson: LESSON,
    id: "cors-allowlist",
};

/// The insecure portal's page, which signs the visitor in.
pub const INSECURE_PORTAL: &str = "/lab/insecure/cors/";
/// The insecure portal's record of the signed-in patient.
pub const INSECURE_ME: &str = "/lab/insecure/cors/me";
/// The secure portal's page.
pub const SECURE_PORTAL: &str = "/lab/secure/cors/";
/// The secure portal's record.
pub const SECURE_ME: &str = "/lab/secure/cors/me";
/// The stranger's page on the attacker listener.
pub const ATTACKER_PAGE: &str = "/cors";
/// Its script.
const ATTACKER_SCRIPT: &str = "/cors.js";

/// The portal's session cookie.
const COOKIE: &str = "portal";

/// The signed-in demo patient's record: what the stranger wants.
fn record() -> serde_json::Value {
    json!({
        "patient": "Ana Example",
        "date_of_birth": "1984-03-09",
        "diagnosis": "type 2 diabetes",
        "medication": "metformin 500 mg",
        "note": "SAFELAB-FAKE: a made-up record for the lab",
    })
}

/// The portal's routes on the lab listeners, both twins.
pub fn routes() -> Router<AppState> {
    let insecure = Router::new()
        .route(INSECURE_PORTAL, get(portal_insecure))
        .route(INSECURE_ME, get(me_insecure).options(preflight_insecure));
    let secure = Router::new()
        .route(SECURE_PORTAL, get(portal_secure))
        .route(SECURE_ME, get(me_secure).options(preflight_secure));
    insecure.merge(crate::lab::with_security_headers(secure))
}

/// The stranger's pages, on the attacker listener.
pub fn attacker_pages() -> Router<AppState> {
    Router::new()
        .route(ATTACKER_PAGE, get(attacker_page))
        .route(ATTACKER_SCRIPT, get(attacker_script))
}

/// The cookie value of this run: random, so it cannot be guessed, and the
/// same for every visit (the portal has one demo patient).
fn session(state: &AppState) -> &str {
    &state.labs.api.cors_session
}

fn signed_in(state: &AppState, headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == COOKIE && value == session(state))
}

fn portal(state: &AppState, twin: Twin) -> Response {
    let (name, path, flags, me) = match twin {
        Twin::Insecure => ("insecure", INSECURE_PORTAL, "", INSECURE_ME),
        Twin::Secure => (
            "secure",
            SECURE_PORTAL,
            "; HttpOnly; SameSite=Strict",
            SECURE_ME,
        ),
    };
    let cookie = format!(
        "{COOKIE}={}; Path={}{flags}",
        session(state),
        path.trim_end_matches('/')
    );
    let attacker = state
        .lab
        .listener(ListenerId::Attacker)
        .map(|listener| format!("{}{ATTACKER_PAGE}", listener.url))
        .unwrap_or_default();
    let record = serde_json::to_string_pretty(&record()).unwrap_or_default();
    let page = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
         <title>Clinic portal ({twin})</title>\
         <h1>Clinic portal <small>({twin} twin)</small></h1>\
         <p>You are signed in as the demo patient: this page set the cookie <code>{COOKIE}</code>. \
         Your record, as <a href=\"{me}\">{me}</a> answers it:</p><pre>{record}</pre>\
         <p>Now open a stranger's site in this browser: <a href=\"{attacker}\">{attacker}</a></p>",
        twin = name,
    );
    (
        [
            (header::SET_COOKIE, cookie),
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
        ],
        page,
    )
        .into_response()
}

async fn portal_insecure(State(state): State<AppState>) -> Response {
    portal(&state, Twin::Insecure)
}

async fn portal_secure(State(state): State<AppState>) -> Response {
    portal(&state, Twin::Secure)
}

/// The `Origin` a request came with, if any.
fn origin(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
}

/// Whether `origin` is one of the lab's own origins (its HTTP or HTTPS
/// listener, under any loopback spelling of the host).
fn is_lab_origin(lab: &LabInfo, origin: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let Some((host, port)) = authority.rsplit_once(':') else {
        return false;
    };
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    loopback
        && [ListenerId::Http, ListenerId::Https]
            .into_iter()
            .filter_map(|id| lab.listener(id))
            .any(|listener| {
                listener.url.starts_with(&format!("{scheme}://"))
                    && listener.url.ends_with(&format!(":{port}"))
            })
}

fn not_signed_in(portal: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({
            "error": format!("not signed in: open {portal} first (it sets the portal cookie), then ask again with that cookie"),
        })),
    )
        .into_response()
}

/// The insecure record: any origin may read it, with the visitor's cookie.
async fn me_insecure(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let mut response = if signed_in(&state, &headers) {
        if origin(&headers).is_some_and(|origin| !is_lab_origin(&state.lab, origin)) {
            state.solved(REFLECT).await;
        }
        Json(record()).into_response()
    } else {
        not_signed_in(INSECURE_PORTAL)
    };
    reflect(&headers, &mut response);
    response
}

/// Repeats the request's `Origin` as allowed, with credentials: the mistake.
fn reflect(headers: &HeaderMap, response: &mut Response) {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let answer = response.headers_mut();
        answer.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        answer.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

async fn preflight_insecure(headers: HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    reflect(&headers, &mut response);
    let answer = response.headers_mut();
    answer.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET"),
    );
    if let Some(asked) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        answer.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    response
}

/// The secure record: the lab's own origins only; another origin is refused
/// before the record is read.
async fn me_secure(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let signed_in = signed_in(&state, &headers);
    match origin(&headers) {
        Some(foreign) if !is_lab_origin(&state.lab, foreign) => {
            if signed_in {
                state.solved(ALLOWLIST).await;
            }
            (
                StatusCode::FORBIDDEN,
                [(header::VARY, HeaderValue::from_static("Origin"))],
                Json(json!({
                    "error": format!("origin {foreign} may not read this: only the portal's own origins may"),
                })),
            )
                .into_response()
        }
        allowed => {
            let mut response = if signed_in {
                Json(record()).into_response()
            } else {
                not_signed_in(SECURE_PORTAL)
            };
            allow(allowed, &mut response);
            response
        }
    }
}

/// Allows `origin` (one of the lab's own) with credentials; `Vary: Origin`
/// either way, so no cache hands one origin's answer to another.
fn allow(origin: Option<&str>, response: &mut Response) {
    let answer = response.headers_mut();
    answer.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(value) = origin.and_then(|origin| HeaderValue::from_str(origin).ok()) {
        answer.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        answer.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

async fn preflight_secure(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let allowed = origin(&headers).filter(|origin| is_lab_origin(&state.lab, origin));
    allow(allowed, &mut response);
    if allowed.is_some() {
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET"),
        );
    }
    response
}

/// The stranger's page: it reads the portal's record from both twins with
/// the visitor's cookies, and shows what it got.
async fn attacker_page(State(state): State<AppState>) -> Response {
    let port = |id| {
        state
            .lab
            .listener(id)
            .and_then(|listener| listener.url.rsplit_once(':'))
            .map_or(String::new(), |(_, port)| port.to_owned())
    };
    let http = port(ListenerId::Http);
    let page = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
         <title>Free recipe of the day</title>\
         <h1>Free recipe of the day</h1>\
         <p>(A stranger's page. While you read, its script asks the clinic portal on \
         another origin for your record, with your cookies, and shows what it could read.)</p>\
         <h2>The insecure portal</h2><pre id=\"insecure-result\">asking…</pre>\
         <h2>The secure portal</h2><pre id=\"secure-result\">asking…</pre>\
         <script src=\"{ATTACKER_SCRIPT}\" data-lab-port=\"{http}\" \
         data-insecure=\"{INSECURE_ME}\" data-secure=\"{SECURE_ME}\"></script>"
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'self'; connect-src http: https:",
            ),
        ],
        page,
    )
        .into_response()
}

async fn attacker_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("cors.js"),
    )
}
