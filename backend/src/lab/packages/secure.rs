//! Lesson `packages`, the secure twin of `insecure.rs`: the deploy service
//! runs the dependency check (`safelab_tools::packages::audit`, the code of
//! the app's tool and of `safelab audit`) on the requirements before it
//! installs anything, and refuses with a 422 that lists the advisories; it
//! also refuses a requirement that pins no exact version, since then no one
//! can say what gets installed. The report service reads settings with
//! `yaml.safe_load`, which builds plain data only, whatever the version.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use safelab_protocol::Twin;
use serde_json::json;

use super::{
    DEPLOY_REFUSED, UPGRADE, deployed_requirements, keep_deployed, not_text, pins, project, pyyaml,
};
use crate::AppState;

/// `GET /lab/secure/packages/deployed`.
pub async fn deployed(State(state): State<AppState>) -> Response {
    let requirements = deployed_requirements(&state, Twin::Secure).await;
    Json(json!({ "deployed": pins(&requirements) })).into_response()
}

/// `POST /lab/secure/packages/deploy`: checks, then deploys or refuses.
pub async fn deploy(State(state): State<AppState>, body: Bytes) -> Response {
    let Ok(requirements) = std::str::from_utf8(&body) else {
        return not_text();
    };
    let report = safelab_tools::packages::audit("requirements.txt", requirements);
    let snapshot = report.snapshot.describe();
    if !report.hits.is_empty() {
        state.solved(DEPLOY_REFUSED).await;
        let advisories: Vec<_> = report
            .hits
            .iter()
            .map(|hit| {
                json!({
                    "package": hit.package,
                    "version": hit.version,
                    "line": hit.line,
                    "id": hit.id,
                    "aliases": hit.aliases,
                    "affected": hit.affected,
                    "fixed": hit.fixed,
                    "summary": hit.summary,
                })
            })
            .collect();
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": format!(
                    "refused: {} known advisories affect these pins; upgrade each package to its fixed version and deploy again",
                    advisories.len()
                ),
                "advisories": advisories,
                "upgrades": report.upgrades,
                "snapshot": snapshot,
            })),
        )
            .into_response();
    }
    if !report.warnings.is_empty() {
        let warnings: Vec<_> = report
            .warnings
            .iter()
            .map(|warning| json!({ "line": warning.line, "message": warning.message }))
            .collect();
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": "refused: every line must pin one released version with == (no ranges, URLs or pip options), so the check knows what gets installed",
                "warnings": warnings,
            })),
        )
            .into_response();
    }
    if report.packages.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "no requirement in the body: send a requirements.txt" })),
        )
            .into_response();
    }
    if let Err(response) = keep_deployed(&state, Twin::Secure, requirements).await {
        return response;
    }
    let complete = project::PACKAGES
        .iter()
        .all(|name| report.packages.iter().any(|package| package.name == *name));
    if complete {
        state.solved(UPGRADE).await;
    }
    let missing: Vec<&str> = project::PACKAGES
        .iter()
        .copied()
        .filter(|name| !report.packages.iter().any(|package| package.name == *name))
        .collect();
    Json(json!({
        "deployed": pins(requirements),
        "checked": snapshot,
        "missing": missing,
    }))
    .into_response()
}

/// `POST /lab/secure/packages/settings`: `yaml.safe_load`.
pub async fn settings(State(state): State<AppState>, body: Bytes) -> Response {
    let Ok(settings) = std::str::from_utf8(&body) else {
        return not_text();
    };
    let requirements = deployed_requirements(&state, Twin::Secure).await;
    let deployed = pins(&requirements);
    let version = pyyaml(&deployed).unwrap_or("latest");
    if let Some(payload) = project::python_tag(settings) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "error": format!(
                    "yaml.constructor.ConstructorError: could not determine a constructor for the tag '{}'",
                    payload.tag
                ),
                "pyyaml": version,
                "loader": "yaml.safe_load",
            })),
        )
            .into_response();
    }
    Json(json!({
        "loaded": project::settings_keys(settings),
        "pyyaml": version,
        "loader": "yaml.safe_load",
    }))
    .into_response()
}
