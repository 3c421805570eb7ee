//! The `RateLimit-*` headers every rate-limited lab endpoint sends, made one
//! way: the four fields of draft-ietf-httpapi-ratelimit-headers-06 (the last
//! version with one field each), which the response view explains. Each
//! lesson keeps its own limiter (lesson `api` a fixed window per key, lesson
//! `authentication` sliding windows per account and client); they describe
//! where a caller stands through this.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

/// Where a caller stands against a limit, as the headers say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quota<'a> {
    /// The limit's size (`RateLimit-Limit`).
    pub limit: u64,
    /// Requests left in the window (`RateLimit-Remaining`).
    pub remaining: u64,
    /// Seconds until the window frees a request (`RateLimit-Reset`).
    pub reset: u64,
    /// The caller's policies (`RateLimit-Policy`): `10;w=60`, or several
    /// separated by commas.
    pub policy: &'a str,
}

impl Quota<'_> {
    /// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and
    /// `RateLimit-Policy`.
    pub(crate) fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut set = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        };
        set("ratelimit-limit", self.limit.to_string());
        set("ratelimit-remaining", self.remaining.to_string());
        set("ratelimit-reset", self.reset.to_string());
        set("ratelimit-policy", self.policy.to_owned());
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_fields_of_the_draft() {
        let headers = Quota {
            limit: 5,
            remaining: 4,
            reset: 60,
            policy: "5;w=60, 20;w=60",
        }
        .headers();
        assert_eq!(headers["ratelimit-limit"], "5");
        assert_eq!(headers["ratelimit-remaining"], "4");
        assert_eq!(headers["ratelimit-reset"], "60");
        assert_eq!(headers["ratelimit-policy"], "5;w=60, 20;w=60");
        assert_eq!(headers.len(), 4);
    }
}
