//! The app itself: the files trunk builds into `dist/`, embedded in the program
//! with a brotli and a gzip copy of each made at build time (see `build.rs`),
//! so the binary is all a learner needs and every file travels in the smallest
//! form the browser accepts.
//!
//! Files whose names carry trunk's content hash never change under that name:
//! browsers may keep them for a year without asking again. The page itself
//! (`index.html`) names the current hashes, so it is revalidated on every load
//! (an `ETag` makes that a tiny 304). It is made once at start-up, with the
//! first lesson already in it, so the browser paints the lesson before the
//! app's WASM has even arrived.

use std::io::Write;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use rust_embed::RustEmbed;
use safelab_protocol::Lesson;

use crate::negotiation;
use crate::{AppState, lessons};

/// Where index.html wants the server-rendered lesson.
const LESSON_MARKER: &str = "<!-- safelab:lesson -->";

/// The app's page for every lesson: the one a path names (`/lessons/{id}…`),
/// else the first lesson's.
#[derive(Debug, Clone, Default)]
pub struct AppPages {
    pages: Vec<(String, AppPage)>,
}

impl AppPages {
    /// A page per lesson; empty if the app was not built into this program.
    pub fn new(lessons: &[Lesson]) -> Self {
        let pages = lessons
            .iter()
            .filter_map(|lesson| Some((lesson.summary.id.clone(), AppPage::new(lesson)?)))
            .collect();
        Self { pages }
    }

    /// The page for `path`: the lesson it names, or the first one.
    fn for_path(&self, path: &str) -> Option<&AppPage> {
        let named = path
            .strip_prefix("lessons/")
            .map(|rest| rest.split('/').next().unwrap_or_default());
        named
            .and_then(|id| self.pages.iter().find(|(lesson, _)| lesson == id))
            .or_else(|| self.pages.first())
            .map(|(_, page)| page)
    }
}

/// The app's page as served: `index.html` with a lesson in its shell.
#[derive(Debug, Clone)]
pub struct AppPage {
    html: Vec<u8>,
    gzip: Vec<u8>,
    etag: String,
    csp: String,
}

impl AppPage {
    /// The page with `lesson` painted into its shell; `None` if the app was
    /// not built into this program.
    pub fn new(lesson: &Lesson) -> Option<Self> {
        let index = AppFiles::get("index.html")?;
        let html = String::from_utf8_lossy(&index.data)
            .replacen(LESSON_MARKER, &lessons::static_html(lesson), 1)
            .into_bytes();
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        let gzip = encoder
            .write_all(&html)
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        let digest = ring::digest::digest(&ring::digest::SHA256, &html);
        Some(Self {
            etag: format!("\"{}\"", hex(&digest.as_ref()[..12])),
            csp: page_policy(&String::from_utf8_lossy(&html)),
            html,
            gzip,
        })
    }
}

/// The page's Content-Security-Policy: its own scripts and WASM (trunk's
/// inline loader by its hash), its own API, and the analysis tools' worker
/// from its own origin. Styles may be inline: the page inlines its
/// stylesheet and the app sets a few `style` attributes.
fn page_policy(html: &str) -> String {
    use base64::Engine as _;
    let inline_scripts = html
        .match_indices("<script")
        .filter_map(|(start, _)| {
            let open_end = start + html[start..].find('>')?;
            let tag = &html[start..open_end];
            let close = open_end + 1 + html[open_end + 1..].find("</script>")?;
            (!tag.contains("src=")).then(|| &html[open_end + 1..close])
        })
        .map(|script| {
            let digest = ring::digest::digest(&ring::digest::SHA256, script.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
            )
        })
        .collect::<String>();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{inline_scripts}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         worker-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// The policy of the analysis tools' worker (`tools_worker*.js`): it loads
/// its own script and WASM from this origin and may reach nothing else, so
/// a file a learner checks cannot leave the browser even by a bug.
const WORKER_POLICY: &str =
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[derive(RustEmbed)]
#[folder = "$OUT_DIR/app/"]
#[allow_missing = true]
struct AppFiles;

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>safelab: app not built</title>\
<h1>The safelab app has not been built</h1>\
<p>This safelab was compiled without its web app. Run <code>bash .ci/start</code> from the \
repository (it builds the app with trunk, then starts safelab), or run <code>trunk build --release</code> \
and rebuild the backend.</p><p>The lab and the API work without it: try <a href=/lab/hello>/lab/hello</a>.</p>";

/// The encodings the build made, best first: (content coding, file suffix).
const ENCODINGS: [(&str, &str); 2] = [("br", "br"), ("gzip", "gz")];

/// Serves a file of the app, or the app's page for any path that is not a
/// file (the app's own routes).
pub async fn serve(
    State(state): State<AppState>,
    uri: Uri,
    request_headers: HeaderMap,
) -> Response {
    let path = uri.path().trim_start_matches('/');
    let is_variant = ENCODINGS
        .iter()
        .any(|(_, suffix)| path.ends_with(&format!(".{suffix}")));
    if !path.is_empty() && path != "index.html" && !is_variant && AppFiles::get(path).is_some() {
        return send(path, &request_headers);
    }
    let looks_like_a_file = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.') && last != "index.html");
    if looks_like_a_file {
        return (StatusCode::NOT_FOUND, "no such file in the app\n").into_response();
    }
    match state.pages.for_path(path) {
        Some(page) => send_page(page, &request_headers),
        None => (StatusCode::SERVICE_UNAVAILABLE, Html(NOT_BUILT)).into_response(),
    }
}

/// The app's page: always revalidated, gzip-compressed if the browser takes it.
fn send_page(page: &AppPage, request_headers: &HeaderMap) -> Response {
    let gzip = negotiation::allows(accept_encoding(request_headers), "gzip");
    let etag = if gzip {
        format!("{}-gzip\"", page.etag.trim_end_matches('"'))
    } else {
        page.etag.clone()
    };
    let mut headers = caching_headers(
        "text/html; charset=utf-8",
        "no-cache",
        &etag,
        gzip.then_some("gzip"),
    );
    if let Ok(policy) = HeaderValue::from_str(&page.csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    if is_unchanged(request_headers, &etag) {
        return not_modified(headers);
    }
    let body = if gzip {
        page.gzip.clone()
    } else {
        page.html.clone()
    };
    (headers, body).into_response()
}

/// One file, in the best encoding the request accepts, with its caching rules.
fn send(name: &str, request_headers: &HeaderMap) -> Response {
    let Some(original) = AppFiles::get(name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let accept_encoding = accept_encoding(request_headers);
    let (coding, file) = ENCODINGS
        .iter()
        .filter(|(coding, _)| negotiation::allows(accept_encoding, coding))
        .find_map(|(coding, suffix)| {
            AppFiles::get(&format!("{name}.{suffix}")).map(|file| (Some(*coding), file))
        })
        .unwrap_or((None, original.clone()));

    let hash = hex(&original.metadata.sha256_hash()[..12]);
    let etag = format!(
        "\"{hash}{}\"",
        coding.map(|c| format!("-{c}")).unwrap_or_default()
    );
    let cache_control = if is_fingerprinted(name) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut headers = caching_headers(original.metadata.mimetype(), cache_control, &etag, coding);
    if name.starts_with("tools_worker") && name.ends_with(".js") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(WORKER_POLICY),
        );
    }
    if is_unchanged(request_headers, &etag) {
        return not_modified(headers);
    }
    (headers, file.data).into_response()
}

fn accept_encoding(request_headers: &HeaderMap) -> Option<&str> {
    request_headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
}

fn caching_headers(
    content_type: &str,
    cache_control: &str,
    etag: &str,
    coding: Option<&str>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, content_type);
    set(header::CACHE_CONTROL, cache_control);
    set(header::ETAG, etag);
    set(header::VARY, "Accept-Encoding");
    if let Some(coding) = coding {
        set(header::CONTENT_ENCODING, coding);
    }
    headers
}

/// Whether `If-None-Match` names `etag` (compared weakly, as RFC 9110 says for
/// this header: `W/"x"` matches `"x"`).
fn is_unchanged(request_headers: &HeaderMap, etag: &str) -> bool {
    request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
        })
}

fn not_modified(mut headers: HeaderMap) -> Response {
    headers.remove(header::CONTENT_TYPE);
    headers.remove(header::CONTENT_ENCODING);
    (StatusCode::NOT_MODIFIED, headers).into_response()
}

/// Whether trunk put a content hash in the name (`app-0123456789abcdef.js`,
/// `app-0123456789abcdef_bg.wasm`).
fn is_fingerprinted(name: &str) -> bool {
    let stem = name.rsplit('/').next().unwrap_or(name);
    stem.match_indices('-').any(|(index, _)| {
        let rest = &stem[index + 1..];
        rest.len() > 16
            && rest.as_bytes()[..16].iter().all(u8::is_ascii_hexdigit)
            && matches!(rest.as_bytes()[16], b'.' | b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::{is_fingerprinted, page_policy};

    #[test]
    fn the_page_policy_allows_its_own_loader_by_hash_and_the_tools_worker() {
        let policy = page_policy(
            "<head><script type=\"module\">import init from '/app.js';</script>\
             <script src=\"/other.js\"></script></head>",
        );
        // sha256 of "import init from '/app.js';", base64.
        use base64::Engine as _;
        let digest = ring::digest::digest(&ring::digest::SHA256, b"import init from '/app.js';");
        let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
        assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");
        assert_eq!(
            policy.matches("'sha256-").count(),
            1,
            "a script with src= needs no hash"
        );
        assert!(policy.contains("worker-src 'self'"), "{policy}");
        assert!(policy.contains("'wasm-unsafe-eval'"), "{policy}");
    }

    #[test]
    fn trunk_hashes_mark_files_that_never_change() {
        assert!(is_fingerprinted("safelab-app-ec1b329d65fd94fe.js"));
        assert!(is_fingerprinted("safelab-app-ec1b329d65fd94fe_bg.wasm"));
        assert!(is_fingerprinted("style-c6a0c9a808f1baf5.css"));
        assert!(!is_fingerprinted("index.html"));
        assert!(!is_fingerprinted("safelab-app.js"));
        assert!(!is_fingerprinted("x-0123456789abcdefg.js"));
    }
}
