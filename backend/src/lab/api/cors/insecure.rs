//! INSECURE BY DESIGN, for lesson `api` ("API security"); its secure twin is
//! `secure.rs` beside this file, under `/lab/secure/cors/`.
//!
//! The clinic portal as a hurried developer "fixes" a CORS error: its `me`
//! endpoint repeats whatever `Origin` arrives in
//! `Access-Control-Allow-Origin`, with `Access-Control-Allow-Credentials:
//! true`, and answers every preflight yes. Any site the signed-in visitor
//! opens can read their record with their cookie, and its cookie is neither
//! `HttpOnly` nor `SameSite`.

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use safelab_protocol::{ListenerId, Twin};

use super::{REFLECT, is_own_origin, not_signed_in, origin, portal, record, signed_in};
use crate::AppState;

/// The insecure portal's page, which signs the visitor in.
pub(in crate::lab::api) const PORTAL: &str = "/lab/insecure/cors/";
/// The insecure portal's record of the signed-in patient.
pub(in crate::lab::api) const ME: &str = "/lab/insecure/cors/me";

/// The insecure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PORTAL, get(portal_page))
        .route(ME, get(me).options(preflight))
}

async fn portal_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    portal(&state, Twin::Insecure, &headers)
}

/// The record: any origin may read it, with the visitor's cookie.
async fn me(
    State(state): State<AppState>,
    Extension(listener): Extension<ListenerId>,
    headers: HeaderMap,
) -> Response {
    let mut response = if signed_in(&state, &headers) {
        if origin(&headers).is_some_and(|origin| !is_own_origin(&state.lab, listener, origin)) {
            state.solved(REFLECT).await;
        }
        Json(record()).into_response()
    } else {
        not_signed_in(PORTAL).into_response()
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

/// Yes to every preflight: any origin, any header.
async fn preflight(headers: HeaderMap) -> Response {
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
