//! Lesson `api`, topic "cross-origin reads (CORS)": a clinic portal on the
//! lab's origins that signs the visitor in with a cookie, its `me` endpoint,
//! and a stranger's page on the attacker listener that tries to read it from
//! another origin.
//!
//! The insecure twin ([`insecure`]) repeats whatever `Origin` arrives in
//! `Access-Control-Allow-Origin`, with `Access-Control-Allow-Credentials:
//! true`: any site the visitor opens can read their record with their
//! cookie. The secure twin ([`secure`]) allows the exact origin of the
//! listener that answers and nothing else ([`own_origins`]), and refuses a
//! request from any other origin before it produces the record. Ports make
//! different origins but the same site, so `SameSite` cookies still go along:
//! only CORS stands between the stranger's page and the record.
//!
//! This module holds what both twins share: the exercises, the portal page,
//! the session cookie, the allowlist, and the stranger's pages.

pub(super) mod insecure;
pub(super) mod secure;

use std::net::{Ipv4Addr, Ipv6Addr};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use safelab_protocol::{LabInfo, ListenerId, Twin};
use serde_json::json;
use url::Url;

use super::{LESSON, LabError};
use crate::AppState;
use crate::progress::Exercise;

/// The insecure portal handed the record, with the visitor's cookie, to a
/// request from another origin, and told the browser that origin may read it.
pub(super) const REFLECT: Exercise = Exercise {
    lesson: LESSON,
    id: "cors-reflect",
};
/// The secure portal refused a signed-in request from another origin.
pub(super) const ALLOWLIST: Exercise = Exercise {
    lesson: LESSON,
    id: "cors-allowlist",
};

/// The stranger's page on the attacker listener.
pub(super) const ATTACKER_PAGE: &str = "/cors";
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
pub(super) fn routes() -> Router<AppState> {
    insecure::routes().merge(crate::lab::with_security_headers(secure::routes()))
}

/// The stranger's pages, on the attacker listener.
pub(super) fn attacker_pages() -> Router<AppState> {
    Router::new()
        .route(ATTACKER_PAGE, get(attacker_page))
        .route(ATTACKER_SCRIPT, get(attacker_script))
}

/// The cookie value of this run: random, so it cannot be guessed, and the
/// same for every visit (the portal has one demo patient).
fn session(state: &AppState) -> &str {
    &state.labs.api.cors_session
}

/// Whether the request carries this run's portal cookie.
fn signed_in(state: &AppState, headers: &HeaderMap) -> bool {
    crate::lab::cookie(headers, COOKIE) == Some(session(state))
}

/// The loopback host name the request was addressed to (`Host`), if it is
/// one of the three spellings safelab's listeners answer to; never any
/// other text, so nothing of the request is repeated into the page.
fn loopback_host(headers: &HeaderMap) -> Option<&'static str> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']')?.0,
        None => host.split(':').next()?,
    };
    if name.eq_ignore_ascii_case("localhost") {
        Some("localhost")
    } else if name.parse::<Ipv4Addr>().ok() == Some(Ipv4Addr::LOCALHOST) {
        Some("127.0.0.1")
    } else if name.parse::<Ipv6Addr>().ok() == Some(Ipv6Addr::LOCALHOST) {
        Some("[::1]")
    } else {
        None
    }
}

/// The stranger's page, under the host name the visitor used for the
/// portal when it is a loopback one: a cookie belongs to a host name, so the
/// stranger's page must call the portal by the same name to have it sent.
fn attacker_url(state: &AppState, headers: &HeaderMap) -> String {
    let Some(listener) = state.lab.listener(ListenerId::Attacker) else {
        return String::new();
    };
    let page = format!("{}{ATTACKER_PAGE}", listener.url);
    let Ok(mut url) = Url::parse(&page) else {
        return page;
    };
    if let Some(host) = loopback_host(headers)
        && url.set_host(Some(host)).is_err()
    {
        return page;
    }
    url.into()
}

/// The portal page of `twin`: it signs the visitor in and links the
/// stranger's page.
fn portal(state: &AppState, twin: Twin, headers: &HeaderMap) -> Response {
    let (name, path, flags, me) = match twin {
        Twin::Insecure => ("insecure", insecure::PORTAL, "", insecure::ME),
        Twin::Secure => (
            "secure",
            secure::PORTAL,
            "; HttpOnly; SameSite=Strict",
            secure::ME,
        ),
    };
    let cookie = format!(
        "{COOKIE}={}; Path={}{flags}",
        session(state),
        path.trim_end_matches('/')
    );
    let attacker = attacker_url(state, headers);
    let record = serde_json::to_string_pretty(&record()).unwrap_or_default();
    let page = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
         <title>Clinic portal ({twin})</title>\
         <h1>Clinic portal <small>({twin} twin)</small></h1>\
         <p>You are signed in as the demo patient: this page set the cookie <code>{COOKIE}</code>. \
         Your record, as <a href=\"{me}\">{me}</a> answers it:</p><pre>{record}</pre>\
         <p>Now open a stranger's site in this browser: <a id=\"stranger\" href=\"{attacker}\">{attacker}</a></p>",
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

/// The `Origin` a request came with, if any.
fn origin(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
}

/// The origins that are the portal's own on `listener`: exactly the
/// listener's URL, as a browser writes an origin (lowercase scheme and host,
/// no trailing slash). A listener whose URL names `localhost` is one that
/// safelab bound on every loopback address `localhost` can lead to (it names
/// it so only then), so `127.0.0.1` and `[::1]` with its scheme and port are
/// its own too; a listener named by its address is that address only, since
/// `localhost` might lead to another program there. The attacker and app
/// listeners have no portal: no origin is theirs.
fn own_origins(lab: &LabInfo, listener: ListenerId) -> Vec<String> {
    if !listener.serves_endpoints() {
        return Vec::new();
    }
    let Some(url) = lab.listener(listener).map(|listener| listener.url.as_str()) else {
        return Vec::new();
    };
    let Ok(parsed) = Url::parse(url) else {
        return Vec::new();
    };
    let own = parsed.origin().ascii_serialization();
    if parsed.host_str() != Some("localhost") {
        return vec![own];
    }
    let spelled = |host: &str| {
        let mut other = parsed.clone();
        other
            .set_host(Some(host))
            .ok()
            .map(|()| other.origin().ascii_serialization())
    };
    std::iter::once(Some(own))
        .chain([spelled("127.0.0.1"), spelled("[::1]")])
        .flatten()
        .collect()
}

/// Whether `origin` is, exactly, one of `listener`'s own.
fn is_own_origin(lab: &LabInfo, listener: ListenerId, origin: &str) -> bool {
    own_origins(lab, listener).iter().any(|own| own == origin)
}

/// The 401 for a visitor without the portal cookie.
fn not_signed_in(portal: &str) -> LabError {
    LabError::new(
        StatusCode::UNAUTHORIZED,
        format!(
            "not signed in: open {portal} first (it sets the portal cookie), then ask again with that cookie"
        ),
    )
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
    let insecure_portal = insecure::PORTAL;
    let insecure_me = insecure::ME;
    let secure_me = secure::ME;
    let page = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
         <title>Free recipe of the day</title>\
         <h1>Free recipe of the day</h1>\
         <p>(A stranger's page. While you read, its script asks the clinic portal on \
         another origin for your record, with your cookies, and shows what it could read.)</p>\
         <h2>The insecure portal</h2><pre id=\"insecure-result\">asking…</pre>\
         <h2>The secure portal</h2><pre id=\"secure-result\">asking…</pre>\
         <script src=\"{ATTACKER_SCRIPT}\" data-lab-port=\"{http}\" \
         data-insecure=\"{insecure_me}\" data-secure=\"{secure_me}\" \
         data-portal=\"{insecure_portal}\"></script>"
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

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use safelab_protocol::Listener;

    use super::*;

    fn lab_at(http: &str, https: &str) -> LabInfo {
        let listener = |id, url: &str| Listener {
            id,
            url: url.to_owned(),
            description: String::new(),
        };
        LabInfo {
            listeners: vec![
                listener(ListenerId::App, "http://127.0.0.1:7000"),
                listener(ListenerId::Http, http),
                listener(ListenerId::Https, https),
                listener(ListenerId::Attacker, "http://127.0.0.1:7003"),
            ],
            ca_url: String::new(),
            certificates: Vec::new(),
        }
    }

    #[test]
    fn each_listener_owns_its_exact_origin_and_no_other() {
        let lab = lab_at("http://127.0.0.1:7001", "https://localhost:7002");
        assert_eq!(
            own_origins(&lab, ListenerId::Http),
            ["http://127.0.0.1:7001"]
        );
        assert_eq!(
            own_origins(&lab, ListenerId::Https),
            [
                "https://localhost:7002",
                "https://127.0.0.1:7002",
                "https://[::1]:7002"
            ]
        );
        assert!(own_origins(&lab, ListenerId::Attacker).is_empty());
        for (listener, foreign) in [
            (ListenerId::Http, "http://127.0.0.1:7001/"),
            (ListenerId::Http, "HTTP://127.0.0.1:7001"),
            (ListenerId::Http, "http://localhost:7001"),
            (ListenerId::Http, "http://localhost:7003"),
            (ListenerId::Http, "https://localhost:7002"),
            (ListenerId::Https, "http://localhost:7002"),
            (ListenerId::Https, "http://127.0.0.1:7001"),
            (ListenerId::Https, "https://localhost:7002/"),
            (ListenerId::Https, "https://localhost.:7002"),
            (ListenerId::Attacker, "http://127.0.0.1:7003"),
        ] {
            assert!(!is_own_origin(&lab, listener, foreign), "{foreign}");
        }
        let by_address = lab_at("http://127.0.0.1:7001", "https://127.0.0.1:7002");
        assert_eq!(
            own_origins(&by_address, ListenerId::Https),
            ["https://127.0.0.1:7002"]
        );
    }

    #[test]
    fn the_portal_links_the_stranger_under_a_loopback_host_name_only() {
        let host = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_static(value));
            loopback_host(&headers)
        };
        assert_eq!(host("localhost:7001"), Some("localhost"));
        assert_eq!(host("LocalHost:7001"), Some("localhost"));
        assert_eq!(host("127.0.0.1:7001"), Some("127.0.0.1"));
        assert_eq!(host("[::1]:7002"), Some("[::1]"));
        for other in [
            "evil.example:7001",
            "localhost.evil.example",
            "127.0.0.2:7001",
            "\"><script>",
            "[::2]:7001",
        ] {
            assert_eq!(host(other), None, "{other}");
        }
    }
}
