//! Lesson `api`, the secure twin of `insecure.rs`: the same portal under
//! `/lab/secure/cors/`. Its `me` endpoint allows exactly the origins of the
//! listener that answers ([`super::own_origins`]), compared as whole
//! strings: a look-alike (a trailing slash, another scheme, another port,
//! another spelling of the host) is another origin. A request from any other
//! origin is refused with a 403 before the record is read, and gets no
//! `Access-Control-Allow-Origin`, so a browser refuses its page the answer
//! too. `Vary: Origin` on every answer keeps caches from mixing origins. Its
//! cookie is `HttpOnly` and `SameSite=Strict`.

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use safelab_protocol::{ListenerId, Twin};

use super::{ALLOWLIST, is_own_origin, not_signed_in, origin, portal, record, signed_in};
use crate::AppState;
use crate::lab::api::LabError;

/// The secure portal's page.
pub(in crate::lab::api) const PORTAL: &str = "/lab/secure/cors/";
/// The secure portal's record.
pub(in crate::lab::api) const ME: &str = "/lab/secure/cors/me";

/// The secure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PORTAL, get(portal_page))
        .route(ME, get(me).options(preflight))
}

async fn portal_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    portal(&state, Twin::Secure, &headers)
}

/// The record, for the listener's own origins only; another origin is
/// refused before the record is read.
async fn me(
    State(state): State<AppState>,
    Extension(listener): Extension<ListenerId>,
    headers: HeaderMap,
) -> Response {
    let signed_in = signed_in(&state, &headers);
    match origin(&headers) {
        Some(foreign) if !is_own_origin(&state.lab, listener, foreign) => {
            if signed_in {
                state.solved(ALLOWLIST).await;
            }
            LabError::new(
                StatusCode::FORBIDDEN,
                format!("origin {foreign} may not read this: only the portal's own origin may"),
            )
            .with_header(header::VARY, HeaderValue::from_static("Origin"))
            .into_response()
        }
        allowed => {
            let mut response = if signed_in {
                Json(record()).into_response()
            } else {
                not_signed_in(PORTAL).into_response()
            };
            allow(allowed, &mut response);
            response
        }
    }
}

/// Allows `origin` (one of the listener's own) with credentials; `Vary:
/// Origin` either way, so no cache hands one origin's answer to another.
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

/// A preflight: allowed for the listener's own origins only.
async fn preflight(
    State(state): State<AppState>,
    Extension(listener): Extension<ListenerId>,
    headers: HeaderMap,
) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let allowed = origin(&headers).filter(|origin| is_own_origin(&state.lab, listener, origin));
    allow(allowed, &mut response);
    if allowed.is_some() {
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET"),
        );
    }
    response
}
