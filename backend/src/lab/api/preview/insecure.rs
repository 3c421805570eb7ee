//! INSECURE BY DESIGN, for lesson `api` ("API security"); its secure twin is
//! `secure.rs` beside this file, under `/lab/secure/preview`.
//!
//! The link previewer as it grew: first it previewed the partner site only,
//! tested with `url.startswith("http://news.example")`; then it previewed any
//! public page, with a list of internal addresses to refuse, tested with
//! `"169.254.169.254" in url`. Both are tests of the text, not of where the
//! request goes, and the fetching library reads the text differently:
//!
//! - `http://news.example@169.254.169.254/` starts like the partner site,
//!   but `news.example@` is userinfo: the host is 169.254.169.254;
//! - `http://2852039166/`, `http://0xA9FEA9FE/`, `http://0251.0376.0251.0376/`
//!   are 169.254.169.254 written as one decimal, hexadecimal or octal number:
//!   not in the list, the same address;
//! - `http://news.example/redirect?to=…` is the partner site, whose open
//!   redirect the previewer follows wherever it leads, unchecked.
//!
//! It fetches from the lab's fake network only ([`super::network`]).

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use url::Url;

use super::network::{self, CREDENTIALS_PATH, Service};
use super::{MAX_URL, SSRF_METADATA, preview, url_parameter};
use crate::AppState;
use crate::lab::api::LabError;
use crate::progress::LOCAL_LEARNER;

/// The preview's route.
pub(in crate::lab::api) const PREVIEW: &str = "/lab/insecure/preview";

/// The partner site, trusted as a prefix.
const PARTNER: [&str; 2] = ["http://news.example", "https://news.example"];
/// Internal addresses, refused when they appear in the URL's text.
const DENYLIST: [&str; 5] = [
    "169.254.169.254",
    "metadata.internal",
    "metadata.google.internal",
    "localhost",
    "127.0.0.1",
];
/// How many redirects it follows.
const MAX_REDIRECTS: usize = 5;

/// The insecure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PREVIEW, get(preview_url))
}

/// The string tests: the partner's prefix passes at once; anything else
/// passes unless it names an internal address.
fn allowed(url: &str) -> bool {
    PARTNER.iter().any(|partner| url.starts_with(partner))
        || !DENYLIST.iter().any(|internal| url.contains(internal))
}

fn failure(status: StatusCode, error: String) -> Response {
    LabError::new(status, error).into_response()
}

/// Fetches `?url=` and its redirects, and previews what came back.
async fn preview_url(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let Some(requested) = url_parameter(query.as_deref()) else {
        return failure(
            StatusCode::BAD_REQUEST,
            "which page? ?url=http://news.example/".to_owned(),
        );
    };
    if requested.len() > MAX_URL {
        return failure(
            StatusCode::BAD_REQUEST,
            format!(
                "the URL is {} bytes long: at most {MAX_URL}",
                requested.len()
            ),
        );
    }
    if !allowed(&requested) {
        return failure(
            StatusCode::FORBIDDEN,
            "this address is not allowed: previews are for news.example and public sites"
                .to_owned(),
        );
    }
    let mut current = requested.clone();
    let mut hops = Vec::new();
    let mut reached_inside = false;
    loop {
        let url = match Url::parse(&current) {
            Ok(url) if url.scheme() == "http" || url.scheme() == "https" => url,
            Ok(url) => {
                return failure(
                    StatusCode::BAD_REQUEST,
                    format!("cannot fetch {} URLs: http and https only", url.scheme()),
                );
            }
            Err(error) => {
                return failure(
                    StatusCode::BAD_REQUEST,
                    format!("cannot fetch {current}: {error}"),
                );
            }
        };
        let Some(host) = url.host() else {
            return failure(
                StatusCode::BAD_REQUEST,
                format!("cannot fetch {url}: no host"),
            );
        };
        let Some(address) = network::address_of(&host) else {
            return failure(
                StatusCode::BAD_GATEWAY,
                format!("cannot fetch {url}: {host} does not resolve"),
            );
        };
        let port = url.port_or_known_default().unwrap_or(80);
        let Some(service) = network::service_at(address, port) else {
            return failure(
                StatusCode::BAD_GATEWAY,
                format!("cannot fetch {url}: connection to {address} port {port} refused"),
            );
        };
        let page = network::fetch(service, &url);
        if service.internal() {
            reached_inside = true;
        }
        if let Some(location) = &page.location
            && hops.len() < MAX_REDIRECTS
        {
            current = url
                .join(location)
                .map_or_else(|_| location.clone(), String::from);
            hops.push(current.clone());
            continue;
        }
        if reached_inside {
            state.labs.api.preview.remember(LOCAL_LEARNER, &requested);
        }
        if service == Service::Metadata && url.path() == CREDENTIALS_PATH && page.status == 200 {
            state.solved(SSRF_METADATA).await;
        }
        return Json(preview(&requested, &hops, &url, address, &page)).into_response();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_tests_pass_what_they_should_not() {
        for url in [
            "http://news.example/",
            "http://news.example@169.254.169.254/",
            "http://2852039166/",
            "http://news.example/redirect?to=http://169.254.169.254/",
        ] {
            assert!(allowed(url), "{url}");
        }
        for url in [
            "http://169.254.169.254/",
            "http://localhost/",
            "http://x/?127.0.0.1",
        ] {
            assert!(!allowed(url), "{url}");
        }
    }
}
