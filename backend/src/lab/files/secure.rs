//! The secure twin of lesson `files`' file server (the insecure one is
//! `insecure.rs`): the path is decoded once and strictly, resolved against the
//! web root, and served only if it is still inside; missing and escaped files
//! get the same 404, and no answer names a path on the machine. Uploads go to
//! `uploads/NAME` and nowhere else.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use safelab_protocol::Twin;
use serde_json::json;

use super::tree::{self, UPLOADS, WEB_ROOT};
use super::{SECURE_PREFIX, SECURE_REFUSES, file_response, keep_upload, requested, uploaded};
use crate::AppState;
use crate::percent;

/// The longest upload name accepted.
const MAX_NAME: usize = 64;

/// Where a request leads, or why it leads nowhere.
#[derive(Debug, PartialEq, Eq)]
enum Resolved {
    /// A path inside the web root; `dot_dot` says whether the request climbed
    /// with `..` on the way (which is fine as long as it stays inside).
    Inside { path: String, dot_dot: bool },
    /// Not a path this server serves: malformed, or trying to leave the root.
    /// `attack` says whether it looked like a traversal.
    Refused { attack: bool },
}

/// Decodes once, strictly; refuses what no honest client sends (a NUL, a
/// backslash, an absolute path, an escape left after decoding); resolves the
/// rest against the root and keeps it only if it stays inside.
fn resolve(raw: &str) -> Resolved {
    let Ok(bytes) = percent::decode_strict(raw) else {
        return Resolved::Refused { attack: false };
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Resolved::Refused { attack: false };
    };
    let dot_dot = text.split('/').any(|segment| segment == "..");
    if text.contains(['\0', '\\', '%']) || text.starts_with('/') {
        return Resolved::Refused { attack: true };
    }
    let path = tree::normalise(&format!("{WEB_ROOT}/{text}"));
    if tree::inside_web_root(&path) {
        Resolved::Inside { path, dot_dot }
    } else {
        Resolved::Refused { attack: dot_dot }
    }
}

/// `GET` (and `HEAD`): the file, or the one 404 for everything else.
pub async fn read(State(state): State<AppState>, uri: Uri) -> Response {
    let path = match resolve(requested(uri.path(), SECURE_PREFIX)) {
        Resolved::Inside { path, .. } if path == WEB_ROOT => format!("{WEB_ROOT}/index.html"),
        Resolved::Inside { path, .. } => path,
        Resolved::Refused { attack } => {
            if attack {
                state.solved(SECURE_REFUSES).await;
            }
            return not_found();
        }
    };
    let content = match uploaded(&state, Twin::Secure, &path).await {
        Some(content) => Some(content),
        None => tree::file(&path).map(|content| content.as_bytes().to_vec()),
    };
    match content {
        Some(content) if path.starts_with(&format!("{UPLOADS}/")) => {
            upload_response(&path, content)
        }
        Some(content) => file_response(&path, content),
        // Folders are not listed: a listing is a map for an attacker.
        None => not_found(),
    }
}

/// `PUT`: only `uploads/NAME`, with a plain name.
pub async fn upload(State(state): State<AppState>, uri: Uri, body: Bytes) -> Response {
    let raw = requested(uri.path(), SECURE_PREFIX);
    let name = match resolve(raw) {
        Resolved::Inside { path, dot_dot } => {
            let name = path
                .strip_prefix(&format!("{UPLOADS}/"))
                .filter(|name| is_plain_name(name))
                .map(str::to_owned);
            // Climbing out of uploads/ is the attack, even if it stays in the root.
            if dot_dot && name.is_none() {
                state.solved(SECURE_REFUSES).await;
            }
            name
        }
        Resolved::Refused { attack } => {
            if attack {
                state.solved(SECURE_REFUSES).await;
            }
            None
        }
    };
    let Some(name) = name else {
        let error = format!(
            "uploads go to uploads/NAME, where NAME is up to {MAX_NAME} letters, digits, '.', '_' and '-', not starting with '.'"
        );
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response();
    };
    let path = format!("{UPLOADS}/{name}");
    if let Err(refusal) = keep_upload(&state, Twin::Secure, &path, body.to_vec()).await {
        return refusal;
    }
    let saved = format!("saved {} bytes as uploads/{name}", body.len());
    (StatusCode::CREATED, Json(json!({ "saved": saved }))).into_response()
}

/// An upload as the secure twin serves it: as text when it is text (`.txt`,
/// `.csv`), as a download otherwise, never as a page, and never sniffed.
fn upload_response(path: &str, content: Vec<u8>) -> Response {
    let is_text = path.ends_with(".txt") || path.ends_with(".csv");
    let mut response = file_response(path, content);
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !is_text {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    response
}

fn is_plain_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'))
}

/// The same answer for a missing file and a refused path: nothing to learn
/// from the difference, and no path in it.
fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "no such file" })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_inside_the_root_resolve() {
        let inside = |path: &str, dot_dot| Resolved::Inside {
            path: path.into(),
            dot_dot,
        };
        assert_eq!(
            resolve("motto.txt"),
            inside("/srv/clinic/www/motto.txt", false)
        );
        assert_eq!(
            resolve("reports/../motto.txt"),
            inside("/srv/clinic/www/motto.txt", true)
        );
        for raw in [
            "../../../etc/passwd",
            "..%2f..%2f..%2fetc%2fpasswd",
            "%2e%2e/%2e%2e/etc/passwd",
            "%252e%252e%252fetc%252fpasswd",
            "..\\..\\etc\\passwd",
            "..%5cetc%5cpasswd",
            "%2fetc%2fpasswd",
            "/etc/passwd",
            "motto.txt%00.png",
        ] {
            assert_eq!(resolve(raw), Resolved::Refused { attack: true }, "{raw}");
        }
        assert_eq!(resolve("%zz"), Resolved::Refused { attack: false });
        assert_eq!(resolve("%ff"), Resolved::Refused { attack: false });
    }

    #[test]
    fn upload_names_are_plain() {
        assert!(is_plain_name("report-2024.csv"));
        for name in ["", ".env", "a/b", "a b", &"x".repeat(65)] {
            assert!(!is_plain_name(name), "{name:?}");
        }
    }
}
