//! The secure twin of `insecure.rs`, for lesson `secrets`: the same website,
//! deployed so that what is not the site is not served. Any path with a
//! segment that starts with a dot (`.git/`, `.env`, `.gitignore`, also
//! percent-encoded) gets the same plain 404 as a missing file, so a scanner
//! learns nothing, not even that a repository exists. (Deploying only a
//! build of the site, never the project folder, is the real fix: the lesson
//! says so.)

use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{Redirect, Response};
use axum::routing::get;

use super::repo::REPOSITORY;
use super::{SECURE_HIDES_GIT, not_found, requested, site_file};
use crate::AppState;

/// The site's root.
const PREFIX: &str = "/lab/secure/secrets";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            PREFIX,
            get(|| async { Redirect::permanent("/lab/secure/secrets/") }),
        )
        .route(&format!("{PREFIX}/"), get(serve))
        .route(&format!("{PREFIX}/{{*path}}"), get(serve))
}

async fn serve(State(state): State<AppState>, uri: Uri) -> Response {
    let Some(path) = requested(uri.path(), PREFIX) else {
        return not_found();
    };
    let segments: Vec<&str> = path.split(['/', '\\']).collect();
    if segments.iter().any(|segment| segment.starts_with('.')) {
        if segments
            .iter()
            .any(|segment| segment.eq_ignore_ascii_case(".git"))
        {
            state.solved(SECURE_HIDES_GIT).await;
        }
        return not_found();
    }
    let path = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path
    };
    match REPOSITORY.files.get(path.as_str()) {
        Some(text) => site_file(&path, text),
        None => not_found(),
    }
}
