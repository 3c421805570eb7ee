//! The lab: the endpoints lessons send requests to, on every lab listener.
//!
//! One module per lesson. Where a lesson teaches a vulnerability, its module holds
//! `insecure.rs` and `secure.rs` with the same routes under `/lab/insecure/…` and
//! `/lab/secure/…`, so one edit of the URL switches between them. Every handler
//! works on lab resources only, never on the host's files, processes or network.

mod basics;

use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::any;
use axum::{Json, Router};
use serde_json::json;

use crate::AppState;

/// Every lab route, merged, with a real 404 for unknown lab paths (the app's
/// own fallback would answer them with its page and a 200).
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(basics::routes())
        .route("/lab/{*rest}", any(no_such_endpoint))
}

/// A lab listener's answer outside `/lab/`: it serves the lab only.
pub async fn outside_the_lab(uri: Uri) -> impl IntoResponse {
    let error = format!(
        "{} is not served here: this listener serves the lab only (GET /lab lists it); the app and its API have a listener of their own",
        uri.path()
    );
    (StatusCode::NOT_FOUND, Json(json!({ "error": error })))
}

async fn no_such_endpoint(uri: Uri) -> impl IntoResponse {
    let error = format!(
        "there is no lab endpoint {}: GET /lab lists them",
        uri.path()
    );
    (StatusCode::NOT_FOUND, Json(json!({ "error": error })))
}
