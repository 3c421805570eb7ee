//! The app itself: the files trunk builds into `dist/`. Release builds embed
//! them, so the binary is all a learner needs; debug builds read them from disk,
//! so a rebuilt app shows up without rebuilding the backend.

use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../dist/"]
#[allow_missing = true]
struct AppFiles;

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>safelab: app not built</title>\
<h1>The safelab app has not been built</h1>\
<p>This safelab was compiled without its web app. Run <code>bash .ci/start</code> from the \
repository (it builds the app with trunk, then starts safelab), or run <code>trunk build --release</code> \
and rebuild the backend.</p><p>The lab and the API work without it: try <a href=/lab/hello>/lab/hello</a>.</p>";

/// Serves a file of the app, or `index.html` for any path that is not a file
/// (the app's own routes).
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(file) = AppFiles::get(path).filter(|_| !path.is_empty()) {
        let mime = file.metadata.mimetype().to_owned();
        return (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "no-cache".to_owned()),
            ],
            file.data,
        )
            .into_response();
    }
    let looks_like_a_file = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'));
    if looks_like_a_file {
        return (StatusCode::NOT_FOUND, "no such file in the app\n").into_response();
    }
    match AppFiles::get("index.html") {
        Some(index) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            index.data,
        )
            .into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, Html(NOT_BUILT)).into_response(),
    }
}
