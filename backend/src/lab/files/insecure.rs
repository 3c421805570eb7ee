//! INSECURE BY DESIGN, for lesson `files`: a file server that decodes the
//! requested path (twice), accepts backslashes, and joins it onto its web root
//! the way `os.path.join` does, so `..` and absolute paths escape the root; a
//! missing file's error shows where the files live, and a folder lists its
//! contents. It only ever reads the fake machine in [`super::tree`] and the
//! learner's uploads. The secure twin is `secure.rs`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use safelab_protocol::Twin;

use super::tree::{self, UPLOADS, WEB_ROOT};
use super::{
    ENCODED_TRAVERSAL, INSECURE_PREFIX, LEAK_PATH, OVERWRITE_PAGE, READ_PASSWD, file_response,
    keep_upload, requested, uploaded,
};
use crate::AppState;
use crate::percent;

/// Where the path asked for leads, the naive way: decoded, decoded again "to
/// be safe", backslashes taken for slashes, joined onto the root (an absolute
/// path replaces the root, as in Python), then resolved by the "operating
/// system".
fn naive_path(raw: &str) -> String {
    let once = percent::decode_lenient(raw);
    let twice = percent::decode_lenient(&String::from_utf8_lossy(&once));
    let text = String::from_utf8_lossy(&twice).replace('\\', "/");
    let joined = if text.starts_with('/') {
        text
    } else {
        format!("{WEB_ROOT}/{text}")
    };
    tree::normalise(&joined)
}

/// Whether the raw request path holds a literal `..` segment (which clients
/// that normalise URLs, like `requests` and browsers, never send).
fn has_literal_dot_dot(raw: &str) -> bool {
    raw.split(['/', '?']).any(|segment| segment == "..")
}

/// `GET` (and `HEAD`): the file, a folder listing, or an error that says too much.
pub async fn read(State(state): State<AppState>, uri: Uri) -> Response {
    let raw = requested(uri.path(), INSECURE_PREFIX);
    if percent::decode_lenient(raw).contains(&0) {
        return crash(
            "ValueError: embedded null byte",
            "    with open(path, \"rb\") as f:",
        );
    }
    let path = naive_path(raw);
    let path = if path == WEB_ROOT {
        format!("{WEB_ROOT}/index.html")
    } else {
        path
    };
    let content = match uploaded(&state, Twin::Insecure, &path).await {
        Some(content) => Some(content),
        None => tree::file(&path).map(|content| content.as_bytes().to_vec()),
    };
    if let Some(content) = content {
        if !tree::inside_web_root(&path) {
            if path == "/etc/passwd" {
                state.solved(READ_PASSWD).await;
            }
            if !has_literal_dot_dot(raw) {
                state.solved(ENCODED_TRAVERSAL).await;
            }
        }
        return file_response(&path, content);
    }
    if tree::is_folder(&path) {
        return listing(&path);
    }
    state.solved(LEAK_PATH).await;
    let error = format!("FileNotFoundError: [Errno 2] No such file or directory: '{path}'");
    let mut response = crash(&error, "    with open(path, \"rb\") as f:");
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// `PUT`: stores the body wherever the path leads, as a server running as
/// root would.
pub async fn upload(State(state): State<AppState>, uri: Uri, body: Bytes) -> Response {
    let raw = requested(uri.path(), INSECURE_PREFIX);
    let path = naive_path(raw);
    if tree::is_folder(&path) {
        let error = format!("IsADirectoryError: [Errno 21] Is a directory: '{path}'");
        return crash(&error, "    with open(path, \"wb\") as f:");
    }
    if let Err(refusal) = keep_upload(&state, Twin::Insecure, &path, body.to_vec()).await {
        return refusal;
    }
    if !path.starts_with(&format!("{UPLOADS}/")) {
        state.solved(OVERWRITE_PAGE).await;
    }
    (
        StatusCode::CREATED,
        format!("saved {} bytes to {path}\n", body.len()),
    )
        .into_response()
}

/// A folder's contents, as a careless server lists them.
fn listing(path: &str) -> Response {
    let mut html = format!(
        "<!doctype html>\n<meta charset=\"utf-8\">\n<title>Index of {path}</title>\n<h1>Index of {path}</h1>\n<ul>\n"
    );
    for entry in tree::entries(path) {
        html.push_str(&format!("<li>{entry}</li>\n"));
    }
    html.push_str("</ul>\n");
    Html(html).into_response()
}

/// A 500 with the made-up server's traceback, as a debug-mode app shows it.
/// Everything in it describes the fake machine, never the host.
fn crash(error: &str, line: &str) -> Response {
    let body = format!(
        "Internal Server Error\n\nTraceback (most recent call last):\n  \
         File \"/srv/clinic/app/fileserver.py\", line 41, in send_file\n{line}\n{error}\n"
    );
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_naive_path_escapes_in_every_encoding() {
        for raw in [
            "../../../etc/passwd",
            "..%2f..%2f..%2fetc%2fpasswd",
            "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
            "%252e%252e%252f%252e%252e%252f%252e%252e%252fetc%252fpasswd",
            "..\\..\\..\\etc\\passwd",
            "..%5c..%5c..%5cetc%5cpasswd",
            "%2fetc%2fpasswd",
            "/etc/passwd",
            "reports/../../../../../../../etc/passwd",
        ] {
            assert_eq!(naive_path(raw), "/etc/passwd", "{raw}");
        }
        assert_eq!(naive_path("motto.txt"), "/srv/clinic/www/motto.txt");
        assert!(has_literal_dot_dot("../etc/passwd"));
        assert!(!has_literal_dot_dot("..%2fetc%2fpasswd"));
    }
}
