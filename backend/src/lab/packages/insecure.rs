//! Lesson `packages`, INSECURE BY DESIGN: a deploy service that installs
//! whatever requirements it is sent, without a look at the versions, and a
//! report service that reads its settings with `yaml.full_load` of the
//! deployed PyYAML. A hostile settings file against a PyYAML with known
//! advisories is answered with the call that version would have made: a
//! SIMULATION, nothing is loaded or run. The secure twin is `secure.rs`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use safelab_protocol::Twin;
use serde_json::json;

use super::{YAML_PAYLOAD, deployed_requirements, keep_deployed, not_text, pins, project, pyyaml};
use crate::AppState;

/// `GET /lab/insecure/packages/deployed`.
pub async fn deployed(State(state): State<AppState>) -> Response {
    let requirements = deployed_requirements(&state, Twin::Insecure).await;
    Json(json!({ "deployed": pins(&requirements) })).into_response()
}

/// `POST /lab/insecure/packages/deploy`: takes any requirements.
pub async fn deploy(State(state): State<AppState>, body: Bytes) -> Response {
    let Ok(requirements) = std::str::from_utf8(&body) else {
        return not_text();
    };
    let deployed = pins(requirements);
    if deployed.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "no requirement in the body: send a requirements.txt" })),
        )
            .into_response();
    }
    if let Err(response) = keep_deployed(&state, Twin::Insecure, requirements).await {
        return response;
    }
    Json(json!({
        "deployed": deployed,
        "checked": false,
        "note": "installed as pinned: nothing was checked against known advisories",
    }))
    .into_response()
}

/// `POST /lab/insecure/packages/settings`: the report service reads its
/// settings with `yaml.full_load` (before PyYAML 5.1, `yaml.load`).
pub async fn settings(State(state): State<AppState>, body: Bytes) -> Response {
    let Ok(settings) = std::str::from_utf8(&body) else {
        return not_text();
    };
    let requirements = deployed_requirements(&state, Twin::Insecure).await;
    let deployed = pins(&requirements);
    let version = pyyaml(&deployed).map(str::to_owned);
    let Some(payload) = project::python_tag(settings) else {
        return Json(json!({
            "loaded": project::settings_keys(settings),
            "pyyaml": version.as_deref().unwrap_or("latest"),
        }))
        .into_response();
    };
    // Which PyYAML would load this: the dependency check says whether the
    // deployed one has known advisories (every one of PyYAML's is about
    // code run by load).
    let advisories = version
        .as_deref()
        .map(|version| {
            safelab_tools::packages::audit("requirements.txt", &format!("PyYAML=={version}")).hits
        })
        .unwrap_or_default();
    let Some(version) = version.filter(|_| !advisories.is_empty()) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "error": format!(
                    "yaml.constructor.ConstructorError: could not determine a constructor for the tag '{}'",
                    payload.tag
                ),
                "pyyaml": pyyaml(&deployed).unwrap_or("latest"),
            })),
        )
            .into_response();
    };
    state.solved(YAML_PAYLOAD).await;
    let loader = if version_below(&version, "5.1") {
        "yaml.load"
    } else {
        "yaml.full_load"
    };
    let ids: Vec<String> = advisories
        .iter()
        .map(
            |hit| match hit.aliases.iter().find(|alias| alias.starts_with("CVE-")) {
                Some(cve) => format!("{} ({cve})", hit.id),
                None => hit.id.clone(),
            },
        )
        .collect();
    Json(json!({
        "simulated": true,
        "pyyaml": version,
        "loader": loader,
        "would_run": payload.call,
        "advisories": ids,
        "note": format!(
            "PyYAML {version}'s {loader} would have run {} on the report server, as the service's user. \
             safelab only simulates it: nothing was loaded or run.",
            payload.call
        ),
    }))
    .into_response()
}

/// Whether `version` comes before `than` (PEP 440); false if either does
/// not parse.
fn version_below(version: &str, than: &str) -> bool {
    safelab_tools::packages::compare(version, than) == Some(std::cmp::Ordering::Less)
}
