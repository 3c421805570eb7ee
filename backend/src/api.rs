//! The small informational API: health, the lab's listeners, the CA certificate.

use axum::extract::State;
use axum::http::{Uri, header};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use axum::{Json, Router};
use safelab_protocol::{Health, LabInfo, ListenerId};

use crate::AppState;
use crate::error::AppError;

/// The routes of this module, including the JSON 404 for unknown `/api/…` paths.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/lab", get(lab))
        .route("/ca.pem", get(ca_pem))
        .route("/api", get(no_such_endpoint))
        .route("/api/{*rest}", get(no_such_endpoint).post(no_such_endpoint))
        .route("/lab", any(lab_elsewhere))
        .route("/lab/{*rest}", any(lab_elsewhere))
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

async fn lab(State(state): State<AppState>) -> Json<LabInfo> {
    Json(state.lab.as_ref().clone())
}

/// The root certificate, for `requests.get(url, verify="ca.pem")`, curl's
/// `--cacert` and the browser's certificate settings.
async fn ca_pem(State(state): State<AppState>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/x-pem-file"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"safelab-ca.pem\"",
            ),
        ],
        state.ca_pem.to_string(),
    )
}

async fn no_such_endpoint(uri: Uri) -> AppError {
    AppError::NoSuchEndpoint(uri.path().to_owned())
}

/// A lab path on the app listener: says where the lab really is.
async fn lab_elsewhere(State(state): State<AppState>, uri: Uri) -> AppError {
    let base = state
        .lab
        .listener(ListenerId::Http)
        .map_or("the HTTP lab listener", |listener| listener.url.as_str());
    let path_and_query = uri.path_and_query().map_or("/lab", |path| path.as_str());
    AppError::LabElsewhere(format!("{base}{path_and_query}"))
}
