//! Lesson `packages`, "Third-party packages": the deploy service of a fake
//! project ([`project`], "clinic-report") whose pinned versions have known
//! advisories. The insecure twin deploys whatever requirements it is given
//! and its report service then reads a settings file with the deployed
//! PyYAML, whose known flaw (CVE-2020-14343) the lab SIMULATES: a hostile
//! file is recognised and answered with the call that version would have
//! made, nothing is loaded or run. The secure twin runs the dependency
//! check (`safelab_tools::packages`, the same code as the app's tool and
//! `safelab audit`) before it deploys, refuses with the advisories, and reads
//! settings the safe way.
//!
//! What each twin has deployed is the lesson's lab state, kept per learner
//! in the progress store and gone on reset.

mod insecure;
mod project;
mod secure;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use safelab_protocol::Twin;
use safelab_protocol::tools::Tool;
use serde::Serialize;

use super::{Endpoint, Example, LessonLab};
use crate::AppState;
use crate::progress::{Exercise, LOCAL_LEARNER};

/// The lesson's id.
const LESSON: &str = "packages";

/// The insecure service, running a vulnerable PyYAML, read a settings file
/// that would have run code.
const YAML_PAYLOAD: Exercise = Exercise {
    lesson: LESSON,
    id: "yaml-payload",
};
/// The secure deploy refused requirements with known advisories.
const DEPLOY_REFUSED: Exercise = Exercise {
    lesson: LESSON,
    id: "deploy-refused",
};
/// The secure deploy accepted the project upgraded: every package still
/// pinned, no advisory left.
const UPGRADE: Exercise = Exercise {
    lesson: LESSON,
    id: "upgrade",
};

const INSECURE_PREFIX: &str = "/lab/insecure/packages";
const SECURE_PREFIX: &str = "/lab/secure/packages";

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[
        Endpoint {
            method: "GET",
            path: "/lab/insecure/packages/requirements.txt",
            twin: Some(Twin::Insecure),
            summary: "the clinic-report project's requirements.txt, pinned in 2019",
        },
        Endpoint {
            method: "GET",
            path: "/lab/insecure/packages/deployed",
            twin: Some(Twin::Insecure),
            summary: "the versions the report service runs now",
        },
        Endpoint {
            method: "POST",
            path: "/lab/insecure/packages/deploy",
            twin: Some(Twin::Insecure),
            summary: "deploys any requirements.txt (the body) without a look at what it pins",
        },
        Endpoint {
            method: "POST",
            path: "/lab/insecure/packages/settings",
            twin: Some(Twin::Insecure),
            summary: "the report service reads a YAML settings file (the body) with yaml.full_load of the deployed PyYAML (simulated: nothing runs)",
        },
        Endpoint {
            method: "GET",
            path: "/lab/secure/packages/requirements.txt",
            twin: Some(Twin::Secure),
            summary: "the same project's requirements.txt",
        },
        Endpoint {
            method: "GET",
            path: "/lab/secure/packages/deployed",
            twin: Some(Twin::Secure),
            summary: "the versions the secure report service runs now",
        },
        Endpoint {
            method: "POST",
            path: "/lab/secure/packages/deploy",
            twin: Some(Twin::Secure),
            summary: "checks the requirements against the advisories first: 422 with the advisories, or deploys exact pins with none",
        },
        Endpoint {
            method: "POST",
            path: "/lab/secure/packages/settings",
            twin: Some(Twin::Secure),
            summary: "reads the settings with yaml.safe_load: Python tags are refused with a 400",
        },
    ],
    exercises: &[YAML_PAYLOAD, DEPLOY_REFUSED, UPGRADE],
    routes,
    reset: super::nothing_to_restore,
    examples: &[
        Example {
            tool: Tool::Packages,
            name: "clinic-report-requirements.txt",
            title: "clinic-report's requirements.txt, pinned in 2019 (lesson 10)",
            bytes: || project::REQUIREMENTS.as_bytes().to_vec(),
        },
        Example {
            tool: Tool::Packages,
            name: "clinic-report-pip-freeze.txt",
            title: "pip freeze in the analyst's environment (lesson 10)",
            bytes: || project::FREEZE.as_bytes().to_vec(),
        },
        Example {
            tool: Tool::Packages,
            name: "clinic-report-pyproject.toml",
            title: "clinic-report 2.0's pyproject.toml, half upgraded (lesson 10)",
            bytes: || project::PYPROJECT.as_bytes().to_vec(),
        },
    ],
};

fn routes() -> Router<AppState> {
    let insecure = Router::new()
        .route(
            &format!("{INSECURE_PREFIX}/requirements.txt"),
            get(requirements),
        )
        .route(
            &format!("{INSECURE_PREFIX}/deployed"),
            get(insecure::deployed),
        )
        .route(&format!("{INSECURE_PREFIX}/deploy"), post(insecure::deploy))
        .route(
            &format!("{INSECURE_PREFIX}/settings"),
            post(insecure::settings),
        );
    let secure = Router::new()
        .route(
            &format!("{SECURE_PREFIX}/requirements.txt"),
            get(requirements),
        )
        .route(&format!("{SECURE_PREFIX}/deployed"), get(secure::deployed))
        .route(&format!("{SECURE_PREFIX}/deploy"), post(secure::deploy))
        .route(&format!("{SECURE_PREFIX}/settings"), post(secure::settings));
    insecure.merge(super::with_security_headers(secure))
}

/// The project's requirements, as a file.
async fn requirements() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        project::REQUIREMENTS,
    )
}

/// One deployed package.
#[derive(Debug, Serialize)]
struct Deployed {
    /// Its normalised name.
    package: String,
    /// The version pip installed: the pin, or `latest` for none.
    version: String,
}

/// The requirements `twin` has deployed: what the learner last deployed
/// there, else the project's own (insecure) or its upgrade (secure).
async fn deployed_requirements(state: &AppState, twin: Twin) -> String {
    let kept = state
        .progress
        .lab_state(LOCAL_LEARNER, LESSON, key(twin))
        .await
        .ok()
        .flatten()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    kept.unwrap_or_else(|| match twin {
        Twin::Insecure => project::REQUIREMENTS.to_owned(),
        Twin::Secure => project::UPGRADED.to_owned(),
    })
}

/// Keeps what `twin` deployed.
async fn keep_deployed(state: &AppState, twin: Twin, requirements: &str) -> Result<(), Response> {
    state
        .progress
        .set_lab_state(LOCAL_LEARNER, LESSON, key(twin), requirements.as_bytes().to_vec())
        .await
        .map_err(|_| {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({ "error": "the lab could not record the deployment: try again" })),
            )
                .into_response()
        })
}

fn key(twin: Twin) -> &'static str {
    match twin {
        Twin::Insecure => "insecure:deployed",
        Twin::Secure => "secure:deployed",
    }
}

/// Each package of `requirements` with the version pip would install.
fn pins(requirements: &str) -> Vec<Deployed> {
    safelab_tools::packages::read::requirements(requirements)
        .packages
        .into_iter()
        .map(|package| Deployed {
            package: package.name,
            version: package.pinned.unwrap_or_else(|| "latest".to_owned()),
        })
        .collect()
}

/// The PyYAML version among `pins`, if one is pinned: none means pip
/// installs the newest.
fn pyyaml(pins: &[Deployed]) -> Option<&str> {
    pins.iter()
        .find(|pin| pin.package == "pyyaml" && pin.version != "latest")
        .map(|pin| pin.version.as_str())
}

/// Settings that are not UTF-8 text.
fn not_text() -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(serde_json::json!({ "error": "send the file as UTF-8 text in the body" })),
    )
        .into_response()
}
