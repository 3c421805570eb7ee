//! Lesson `api`, topic "server-side request forgery": a "preview this URL"
//! endpoint, the kind that shows a link's title and first lines. The server
//! fetches the URL itself, from where it sits, so a URL that points inside
//! (the cloud metadata service, the server's own admin console) makes the
//! server fetch what only it should reach. The insecure twin ([`insecure`])
//! guards with string tests that crafted URLs get past; the secure twin
//! ([`secure`]) parses once, resolves, and checks the address it will
//! really connect to, at every redirect.
//!
//! Both fetch from [`network`], a fake network inside the program: nothing
//! ever leaves it.

pub(super) mod insecure;
mod network;
pub(super) mod secure;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use axum::Router;
use serde_json::{Value, json};
use url::Url;

use super::{LESSON, lock};
use crate::AppState;
use crate::progress::Exercise;
use network::Page;

/// The insecure twin served the metadata service's credentials.
pub(super) const SSRF_METADATA: Exercise = Exercise {
    lesson: LESSON,
    id: "ssrf-metadata",
};
/// The secure twin refused a URL that had reached an internal service
/// through the insecure twin.
pub(super) const SECURE_REFUSES_SSRF: Exercise = Exercise {
    lesson: LESSON,
    id: "secure-refuses-ssrf",
};

/// The longest URL either twin takes.
const MAX_URL: usize = 2048;
/// How much of a page a preview shows.
const EXCERPT_CHARS: usize = 600;
/// How many URLs that reached inside are remembered per learner.
const REACHED_KEPT: usize = 64;

/// The URLs that made the insecure twin fetch from an internal service,
/// per learner, latest last.
#[derive(Debug, Default)]
pub(super) struct Reached {
    urls: Mutex<HashMap<String, Vec<String>>>,
}

impl Reached {
    /// Forgets every URL.
    pub(super) fn reset(&self) {
        lock(&self.urls).clear();
    }

    /// Remembers that `url` reached inside for `learner`.
    fn remember(&self, learner: &str, url: &str) {
        let url = &normalised(url);
        let mut urls = lock(&self.urls);
        let kept = urls.entry(learner.to_owned()).or_default();
        if !kept.iter().any(|known| known == url) {
            kept.push(url.to_owned());
            let excess = kept.len().saturating_sub(REACHED_KEPT);
            kept.drain(..excess);
        }
    }

    /// Whether `url`, or a spelling of it that parses the same, once reached
    /// inside for `learner`.
    fn reached_inside(&self, learner: &str, url: &str) -> bool {
        let url = &normalised(url);
        lock(&self.urls)
            .get(learner)
            .is_some_and(|kept| kept.iter().any(|known| known == url))
    }
}

/// `url` as the URL parser writes it back (`HTTP://News.Example` and
/// `http://news.example/` are one URL); as it came if it does not parse.
fn normalised(url: &str) -> String {
    Url::parse(url).map_or_else(|_| url.to_owned(), String::from)
}

/// The `url` parameter of a raw query string, percent-decoded.
fn url_parameter(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "url")
        .map(|(_, value)| value.into_owned())
}

/// A preview as both twins answer it.
fn preview(requested: &str, hops: &[String], fetched: &Url, address: IpAddr, page: &Page) -> Value {
    let excerpt: String = page.body.chars().take(EXCERPT_CHARS).collect();
    json!({
        "url": requested,
        "redirects": hops,
        "fetched": fetched.as_str(),
        "address": address.to_string(),
        "status": page.status,
        "content_type": page.content_type,
        "title": network::title_of(&page.body),
        "excerpt": excerpt,
        "truncated": excerpt.len() < page.body.len(),
    })
}

/// The topic's routes: both twins.
pub(super) fn routes() -> Router<AppState> {
    insecure::routes().merge(crate::lab::with_security_headers(secure::routes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_remembered_by_what_it_parses_to() {
        let reached = Reached::default();
        reached.remember(
            "me",
            "http://news.example@169.254.169.254/latest/meta-data/",
        );
        for same in [
            "http://news.example@169.254.169.254/latest/meta-data/",
            "HTTP://news.example@169.254.169.254:80/latest/meta-data/",
            "http://news.example@169.254.169.254/latest/./meta-data/",
            "http://news.example@0xA9FEA9FE/latest/meta-data/",
        ] {
            assert!(reached.reached_inside("me", same), "{same}");
        }
        assert!(!reached.reached_inside("me", "http://169.254.169.254/latest/meta-data/"));
        assert!(!reached.reached_inside(
            "other",
            "http://news.example@169.254.169.254/latest/meta-data/"
        ));
    }
}
