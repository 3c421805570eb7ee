//! Lesson `secrets`, "Secrets in version control": a small data project's
//! website, deployed with its git repository (see [`repo`]), and the cloud
//! storage its leaked key opens.
//!
//! - [`insecure`]: the site served from the project folder as it is, `.git/`
//!   included, so anyone can clone the whole history over git's dumb HTTP
//!   protocol and find the key committed in an old commit and "removed" in
//!   a later one.
//! - [`secure`]: the same site, never a dotfile or anything under `.git/`:
//!   a plain 404.
//! - [`storage`]: a fake cloud storage service that accepts the leaked key
//!   until the learner rotates it (a new key is issued, the old one refused).
//!
//! Lab state: the storage's current key, in memory; a reset restores the
//! leaked one.

mod insecure;
mod repo;
mod secure;
mod storage;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use safelab_protocol::Twin;
use safelab_protocol::tools::Tool;

use super::{Endpoint, Example, LessonLab};
use crate::AppState;
use crate::progress::Exercise;

pub use storage::StorageKeys;

/// The lesson's id.
const LESSON: &str = "secrets";

/// The insecure site served the old version of `config.py`, the one with
/// the key: the history was cloned (or dumped) over HTTP.
const CLONE_HISTORY: Exercise = Exercise {
    lesson: LESSON,
    id: "clone-history",
};
/// The storage service accepted the key found in the history.
const USE_LEAKED_KEY: Exercise = Exercise {
    lesson: LESSON,
    id: "use-leaked-key",
};
/// After a rotation, the storage service refused the leaked key.
const ROTATE_KEY: Exercise = Exercise {
    lesson: LESSON,
    id: "rotate-key",
};
/// The secure site refused a request for its `.git` folder.
const SECURE_HIDES_GIT: Exercise = Exercise {
    lesson: LESSON,
    id: "secure-hides-git",
};

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[
        Endpoint {
            method: "GET",
            path: "/lab/insecure/secrets/{*path}",
            twin: Some(Twin::Insecure),
            summary: "the survey dashboard's website, served from its project folder as it is: .git/ included, clonable with git clone over plain HTTP",
        },
        Endpoint {
            method: "GET",
            path: "/lab/secure/secrets/{*path}",
            twin: Some(Twin::Secure),
            summary: "the same website, never a dotfile nor anything under .git/ (a plain 404)",
        },
        Endpoint {
            method: "GET",
            path: storage::OBJECT,
            twin: None,
            summary: "the team's fake cloud storage: the survey responses, for a valid access key (HTTP Basic: key id and secret)",
        },
        Endpoint {
            method: "POST",
            path: storage::ROTATE,
            twin: None,
            summary: "rotates the storage key: with a valid key (HTTP Basic), issues a new key and revokes the old one",
        },
    ],
    exercises: &[CLONE_HISTORY, USE_LEAKED_KEY, ROTATE_KEY, SECURE_HIDES_GIT],
    routes,
    reset,
    examples: &[
        Example {
            tool: Tool::Secrets,
            name: "survey-dashboard.bundle",
            title: "The survey dashboard's whole git history (lesson 9), as a git bundle",
            bytes: survey_bundle,
        },
        Example {
            tool: Tool::Secrets,
            name: "churn-model.env",
            title: "A data project's .env file with a database password, tokens and a webhook",
            bytes: example_env,
        },
        Example {
            tool: Tool::Secrets,
            name: "churn-model.ipynb",
            title: "A Jupyter notebook that pastes an API key and a database URL into its cells",
            bytes: example_notebook,
        },
    ],
};

fn routes() -> Router<AppState> {
    Router::new()
        .merge(insecure::routes())
        .merge(super::with_security_headers(secure::routes()))
        .merge(storage::routes())
}

fn reset(state: &AppState) {
    state.labs.secrets.reset();
}

fn survey_bundle() -> Vec<u8> {
    repo::REPOSITORY.bundle()
}

/// Every secret in the examples is made up.
fn example_env() -> Vec<u8> {
    concat!(
        "# churn model: local settings (made up for safelab's lesson 9)\n",
        "WAREHOUSE_URL=postgresql://etl:Qm7vTz2pLx9sWd4k@warehouse.internal:5432/churn\n",
        "DB_PASSWORD=Qm7vTz2pLx9sWd4k\n",
        "HF_TOKEN=hf_Vb3kQz8LmN2xRt6YpW9cJd4HsF7gAe1UoK\n",
        "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/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\n",
        "MODEL_BUCKET=churn-models\n",
        "API_KEY=changeme\n",
        "DEBUG=false\n",
    )
    .as_bytes()
    .to_vec()
}

fn example_notebook() -> Vec<u8> {
    let cells = serde_json::json!({
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Churn model (made up for safelab's lesson 9)\n"]},
            {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [], "source": [
                "import pandas as pd\n",
                "from sqlalchemy import create_engine\n",
                "engine = create_engine(\"postgresql://analyst:W4rehouse-Lab-77q@warehouse.internal/churn\")\n",
                "df = pd.read_sql(\"select * from customers\", engine)\n"
            ]},
            {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [], "source": [
                "from openai import OpenAI\n",
                "client = OpenAI(api_key=\"sk-proj-Lb7Qz3Vx9Kt2Wm5Rn8Yp4Hs6Jd1Fg0AcTeUiOoPq2Zx7Nc\")\n"
            ]},
            {"cell_type": "code", "execution_count": 3, "metadata": {}, "outputs": [], "source": [
                "import os\n",
                "token = os.environ[\"HF_TOKEN\"]  # the right way\n"
            ]}
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5
    });
    serde_json::to_vec_pretty(&cells).unwrap_or_default()
}

/// What the client asked for below `prefix`, percent-decoded: `None` if it
/// is not valid UTF-8 or holds a `..` segment.
fn requested(path: &str, prefix: &str) -> Option<String> {
    let rest = path.strip_prefix(prefix)?;
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let bytes = crate::percent::decode_lenient(rest);
    let decoded = String::from_utf8(bytes).ok()?;
    if decoded.split(['/', '\\']).any(|segment| segment == "..") {
        return None;
    }
    Some(decoded)
}

/// A file of the site with its type.
fn site_file(path: &str, text: &'static str) -> Response {
    let kind = match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(kind))],
        text,
    )
        .into_response()
}

/// The plain 404 both twins answer for what they do not serve.
fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Not Found\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_paths_are_decoded_and_never_climb() {
        let prefix = "/lab/secure/secrets";
        assert_eq!(
            requested("/lab/secure/secrets/", prefix).as_deref(),
            Some("")
        );
        assert_eq!(
            requested("/lab/secure/secrets/%2egit/HEAD", prefix).as_deref(),
            Some(".git/HEAD")
        );
        assert_eq!(requested("/lab/secure/secrets/a/../b", prefix), None);
        assert_eq!(requested("/lab/secure/secrets/%2e%2e/b", prefix), None);
        assert_eq!(requested("/lab/secure/secrets/%ff", prefix), None);
    }

    #[test]
    fn the_examples_hold_what_the_scanner_finds() {
        for example in LAB.examples {
            let report = safelab_tools::secrets::scan(example.name, &(example.bytes)());
            assert!(
                report.finding_total >= 2,
                "{}: {}",
                example.name,
                report.human()
            );
        }
    }
}
