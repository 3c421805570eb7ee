//! Lesson `api`: a fixed-window rate limit, and the headers that tell a
//! client about it. Each key (an account, or the bucket of failed
//! authentications, for the secure records twin) may make `limit` requests
//! per window; the window opens with its first request. Every answer
//! carries the four fields of draft-ietf-httpapi-ratelimit-headers-06
//! (the last version with one field each): `RateLimit-Limit`,
//! `RateLimit-Remaining`, `RateLimit-Reset` (seconds until the window
//! closes) and `RateLimit-Policy` (`10;w=60` for the records' limit); a
//! refused request gets `429 Too Many Requests` with `Retry-After`
//! (seconds).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};

use super::{LabError, lock};
use crate::lab::ratelimit::Quota;

/// The most keys remembered at once; the oldest window is forgotten first.
const MAX_KEYS: usize = 1024;

/// A fixed-window limit over many keys.
#[derive(Debug)]
pub(super) struct Limiter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, Window>>,
}

/// One key's current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    opened: Instant,
    used: u32,
}

/// What the limiter decided about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Decision {
    /// Whether the request may go ahead.
    pub(super) allowed: bool,
    limit: u32,
    remaining: u32,
    /// Whole seconds until the window closes (at least 1).
    reset: u64,
    window: u64,
}

impl Limiter {
    /// `limit` requests per `window` for each key.
    pub(super) fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `key` at `now`.
    pub(super) fn check(&self, key: &str, now: Instant) -> Decision {
        self.decide(key, now, true)
    }

    /// What [`Limiter::check`] would decide about one more request of `key`
    /// at `now`, without counting it.
    pub(super) fn peek(&self, key: &str, now: Instant) -> Decision {
        self.decide(key, now, false)
    }

    fn decide(&self, key: &str, now: Instant, count: bool) -> Decision {
        let mut windows = lock(&self.windows);
        if !windows.contains_key(key) && windows.len() >= MAX_KEYS {
            let oldest = windows
                .iter()
                .min_by_key(|(_, window)| window.opened)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                windows.remove(&oldest);
            }
        }
        let window = windows.entry(key.to_owned()).or_insert(Window {
            opened: now,
            used: 0,
        });
        if now.duration_since(window.opened) >= self.window {
            *window = Window {
                opened: now,
                used: 0,
            };
        }
        let allowed = window.used < self.limit;
        if allowed && count {
            window.used += 1;
        }
        let left = self
            .window
            .saturating_sub(now.duration_since(window.opened));
        Decision {
            allowed,
            limit: self.limit,
            remaining: self.limit - window.used,
            reset: left.as_secs() + u64::from(left.subsec_nanos() > 0),
            window: self.window.as_secs(),
        }
        .at_least_a_second()
    }

    /// Forgets every window.
    pub(super) fn reset(&self) {
        lock(&self.windows).clear();
    }
}

impl Decision {
    fn at_least_a_second(mut self) -> Self {
        self.reset = self.reset.max(1);
        self
    }

    /// The `RateLimit-*` headers for this decision.
    pub(super) fn headers(&self) -> HeaderMap {
        Quota {
            limit: self.limit.into(),
            remaining: self.remaining.into(),
            reset: self.reset,
            policy: &format!("{};w={}", self.limit, self.window),
        }
        .headers()
    }

    /// The 429 for a refused request: the headers, `Retry-After` and a JSON
    /// body saying when to try again. `who` names what is limited ("this
    /// API key", "requests with a wrong API key").
    pub(super) fn refusal(&self, who: &str) -> LabError {
        let error = format!(
            "too many requests: {who} may make {} requests every {} seconds; try again in {} seconds (Retry-After)",
            self.limit, self.window, self.reset
        );
        LabError::new(StatusCode::TOO_MANY_REQUESTS, error)
            .with("retry_after", self.reset)
            .with_headers(self.headers())
            .with_header(header::RETRY_AFTER, HeaderValue::from(self.reset))
    }
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    #[test]
    fn a_key_gets_its_limit_per_window_then_a_fresh_window() {
        let limiter = Limiter::new(3, Duration::from_secs(60));
        let start = Instant::now();
        let remaining: Vec<(bool, u32)> = (0..4)
            .map(|_| limiter.check("k", start))
            .map(|decision| (decision.allowed, decision.remaining))
            .collect();
        assert_eq!(remaining, [(true, 2), (true, 1), (true, 0), (false, 0)]);
        let later = limiter.check("k", start + Duration::from_secs(59));
        assert!(!later.allowed);
        assert_eq!(later.reset, 1);
        assert!(limiter.check("other", start).allowed);
        assert!(limiter.check("k", start + Duration::from_secs(60)).allowed);
    }

    #[test]
    fn the_headers_follow_the_draft_and_a_refusal_says_when() {
        let limiter = Limiter::new(1, Duration::from_secs(60));
        let now = Instant::now();
        let first = limiter.check("k", now);
        let headers = first.headers();
        assert_eq!(headers["ratelimit-limit"], "1");
        assert_eq!(headers["ratelimit-remaining"], "0");
        assert_eq!(headers["ratelimit-reset"], "60");
        assert_eq!(headers["ratelimit-policy"], "1;w=60");
        let refused = limiter
            .check("k", now + Duration::from_millis(1500))
            .refusal("this API key")
            .into_response();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "59");
        assert_eq!(refused.headers()["ratelimit-remaining"], "0");
    }

    #[test]
    fn a_peek_does_not_count() {
        let limiter = Limiter::new(2, Duration::from_secs(60));
        let now = Instant::now();
        for _ in 0..5 {
            assert!(limiter.peek("k", now).allowed);
        }
        assert_eq!(limiter.check("k", now).remaining, 1);
        assert_eq!(limiter.peek("k", now).remaining, 1);
        assert!(limiter.check("k", now).allowed);
        assert!(!limiter.peek("k", now).allowed);
    }

    #[test]
    fn the_number_of_keys_is_bounded() {
        let limiter = Limiter::new(1, Duration::from_secs(60));
        let now = Instant::now();
        for key in 0..MAX_KEYS + 10 {
            limiter.check(&key.to_string(), now);
        }
        assert_eq!(lock(&limiter.windows).len(), MAX_KEYS);
    }
}
