//! Lesson `files`, "Serving files": a small file server over a fake machine
//! (see [`tree`]), as an insecure twin that joins the requested path onto its
//! web root the naive way and a secure twin that resolves the path and checks
//! it stays inside. Both also take uploads with `PUT`, which are the lesson's
//! lab state: kept per learner in the progress store, gone on reset.

mod insecure;
mod secure;
mod tree;

use axum::Json;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use safelab_protocol::Twin;
use serde_json::json;

use super::{Endpoint, LessonLab};
use crate::AppState;
use crate::progress::{Exercise, LOCAL_LEARNER};

/// The lesson's id.
const LESSON: &str = "files";

/// The insecure twin's 404 gave away where its files live.
const LEAK_PATH: Exercise = Exercise {
    lesson: LESSON,
    id: "leak-path",
};
/// The insecure twin served the fake `/etc/passwd`.
const READ_PASSWD: Exercise = Exercise {
    lesson: LESSON,
    id: "read-passwd",
};
/// The insecure twin served a file outside its web root for a request whose
/// path held no literal `..` (what gets through `requests` and browsers).
const ENCODED_TRAVERSAL: Exercise = Exercise {
    lesson: LESSON,
    id: "encoded-traversal",
};
/// An upload to the insecure twin landed outside its uploads folder.
const OVERWRITE_PAGE: Exercise = Exercise {
    lesson: LESSON,
    id: "overwrite-page",
};
/// The secure twin refused a traversal.
const SECURE_REFUSES: Exercise = Exercise {
    lesson: LESSON,
    id: "secure-refuses",
};

const INSECURE_PREFIX: &str = "/lab/insecure/files";
const SECURE_PREFIX: &str = "/lab/secure/files";

/// How many uploads each twin keeps per learner, and how large each may be
/// (the lab's body limit caps the size too).
const MAX_UPLOADS: usize = 20;

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[
        Endpoint {
            method: "GET",
            path: "/lab/insecure/files/{*path}",
            twin: Some(Twin::Insecure),
            summary: "a file from the clinic's web root, joined onto the root the naive way: .. escapes it, and a missing file's error shows where the files live",
        },
        Endpoint {
            method: "PUT",
            path: "/lab/insecure/files/{*path}",
            twin: Some(Twin::Insecure),
            summary: "uploads a report into uploads/, or anywhere a .. leads",
        },
        Endpoint {
            method: "GET",
            path: "/lab/secure/files/{*path}",
            twin: Some(Twin::Secure),
            summary: "the same files, the path resolved and checked to stay inside the web root: 404 for missing and escaped alike",
        },
        Endpoint {
            method: "PUT",
            path: "/lab/secure/files/{*path}",
            twin: Some(Twin::Secure),
            summary: "uploads a report into uploads/NAME only",
        },
    ],
    exercises: &[
        LEAK_PATH,
        READ_PASSWD,
        ENCODED_TRAVERSAL,
        OVERWRITE_PAGE,
        SECURE_REFUSES,
    ],
    routes,
    reset: super::nothing_to_restore,
    examples: &[],
};

fn routes() -> Router<AppState> {
    let insecure = get(insecure::read)
        .put(insecure::upload)
        .fallback(method_not_allowed);
    let secure = get(secure::read)
        .put(secure::upload)
        .fallback(method_not_allowed);
    let secure = Router::new()
        .route(SECURE_PREFIX, secure.clone())
        .route(&format!("{SECURE_PREFIX}/"), secure.clone())
        .route(&format!("{SECURE_PREFIX}/{{*path}}"), secure);
    Router::new()
        .route(INSECURE_PREFIX, insecure.clone())
        .route(&format!("{INSECURE_PREFIX}/"), insecure.clone())
        .route(&format!("{INSECURE_PREFIX}/{{*path}}"), insecure)
        .merge(super::with_security_headers(secure))
}

/// What the client asked for below `prefix`, exactly as it arrived: not yet
/// decoded, without the `/` that follows the prefix.
fn requested<'a>(path: &'a str, prefix: &str) -> &'a str {
    let rest = path.strip_prefix(prefix).unwrap_or_default();
    rest.strip_prefix('/').unwrap_or(rest)
}

/// A file's bytes with its type.
///
/// Every file is sandboxed (`Content-Security-Policy: sandbox`): an uploaded
/// page is shown, but runs no script and gets no origin, so it can never read
/// anything of the lab's origin, nor the cookies the browser keeps for other
/// services on this machine (cookies ignore ports).
fn file_response(path: &str, content: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, tree::content_type(path)),
            (header::CONTENT_SECURITY_POLICY, "sandbox"),
        ],
        content,
    )
        .into_response()
}

/// Which twin's uploads a key belongs to: `insecure:/srv/…`.
fn upload_key(twin: Twin, path: &str) -> String {
    match twin {
        Twin::Insecure => format!("insecure:{path}"),
        Twin::Secure => format!("secure:{path}"),
    }
}

/// An uploaded file at `path` on `twin`'s machine, if any; it hides the
/// original there.
async fn uploaded(state: &AppState, twin: Twin, path: &str) -> Option<Vec<u8>> {
    state
        .progress
        .lab_state(LOCAL_LEARNER, LESSON, &upload_key(twin, path))
        .await
        .ok()
        .flatten()
}

/// Keeps an upload; refuses once the twin holds [`MAX_UPLOADS`] files.
async fn keep_upload(
    state: &AppState,
    twin: Twin,
    path: &str,
    content: Vec<u8>,
) -> Result<(), Response> {
    let key = upload_key(twin, path);
    let prefix = upload_key(twin, "");
    let kept = state
        .progress
        .set_lab_state_within(
            LOCAL_LEARNER,
            LESSON,
            (&key, content),
            (&prefix, MAX_UPLOADS),
        )
        .await
        .map_err(|_| unavailable())?;
    if kept {
        Ok(())
    } else {
        let error = format!(
            "this lab keeps at most {MAX_UPLOADS} uploads: reset the lesson to start again"
        );
        Err((
            StatusCode::INSUFFICIENT_STORAGE,
            Json(json!({ "error": error })),
        )
            .into_response())
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "error": "the lab could not store the upload: try again" })),
    )
        .into_response()
}

async fn method_not_allowed() -> Response {
    let mut response = (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({ "error": "the file server answers GET, HEAD and PUT" })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, PUT"));
    response
}
