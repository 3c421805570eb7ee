//! The secure twin's limit on guessing: a few failed logins per account and
//! per client within a sliding window, then `429 Too Many Requests` with
//! `Retry-After` until the oldest failure leaves the window.
//!
//! Every attempt counts as a failure from the moment it starts (so parallel
//! guesses cannot slip past the limit together) and is taken back when the
//! password was right; a good login also forgets its account's failures.
//! The per-account limit stops a guesser aiming at one account from many
//! places; the per-client limit stops one client trying a few passwords on
//! many accounts. Unknown user names are counted like real ones, or the limit
//! itself would tell which accounts exist. Memory is bounded: at most
//! [`MOST_KEYS`] accounts and clients are remembered, the stalest dropped
//! first.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue};

/// How long a failure counts.
pub(super) const WINDOW: Duration = Duration::from_secs(60);
/// Failures one account may have in the window.
pub(super) const PER_ACCOUNT: usize = 5;
/// Failures one client (IP address) may have in the window.
pub(super) const PER_CLIENT: usize = 20;
/// How many accounts, and how many clients, are remembered at most.
const MOST_KEYS: usize = 4096;

/// Where an attempt stands against the tighter of the two limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Standing {
    /// That limit's size.
    pub limit: usize,
    /// Attempts left in the window, this one counted.
    pub remaining: usize,
    /// Seconds until the oldest failure leaves the window.
    pub reset: u64,
    /// Whether the attempt is refused.
    pub blocked: bool,
}

impl Standing {
    /// The `RateLimit-*` headers (and `Retry-After` when blocked) that tell
    /// a client where it stands.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut set = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        };
        let window = WINDOW.as_secs();
        set("ratelimit-limit", self.limit.to_string());
        set("ratelimit-remaining", self.remaining.to_string());
        set("ratelimit-reset", self.reset.to_string());
        set(
            "ratelimit-policy",
            format!("{PER_ACCOUNT};w={window}, {PER_CLIENT};w={window}"),
        );
        if self.blocked {
            set("retry-after", self.reset.max(1).to_string());
        }
        headers
    }
}

/// The failures of every account and client, latest last.
#[derive(Debug, Default)]
pub(super) struct Limits {
    failures: Mutex<Failures>,
}

#[derive(Debug, Default)]
struct Failures {
    accounts: HashMap<String, VecDeque<Instant>>,
    clients: HashMap<IpAddr, VecDeque<Instant>>,
}

impl Limits {
    fn lock(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts an attempt on `account` from `client` at `now`: refused when
    /// either has used up its failures, else counted as a failure until
    /// [`Limits::succeeded`] takes it back.
    pub fn attempt(&self, account: &str, client: IpAddr, now: Instant) -> Standing {
        let mut failures = self.lock();
        let Failures { accounts, clients } = &mut *failures;
        let account_entry = entry(accounts, account.to_owned(), now);
        let by_account = standing(account_entry, PER_ACCOUNT, now);
        let client_entry = entry(clients, client, now);
        let by_client = standing(client_entry, PER_CLIENT, now);
        let tighter = if by_client.remaining < by_account.remaining {
            by_client
        } else {
            by_account
        };
        if by_account.blocked || by_client.blocked {
            let reset = [by_account, by_client]
                .iter()
                .filter(|standing| standing.blocked)
                .map(|standing| standing.reset)
                .max()
                .unwrap_or_default();
            return Standing {
                blocked: true,
                remaining: 0,
                reset,
                ..tighter
            };
        }
        if let Some(times) = accounts.get_mut(account) {
            times.push_back(now);
        }
        if let Some(times) = clients.get_mut(&client) {
            times.push_back(now);
        }
        Standing {
            remaining: tighter.remaining - 1,
            ..tighter
        }
    }

    /// The attempt on `account` from `client` had the right password: its
    /// failure is taken back and the account's failures forgotten.
    pub fn succeeded(&self, account: &str, client: IpAddr) {
        let mut failures = self.lock();
        failures.accounts.remove(account);
        if let Some(times) = failures.clients.get_mut(&client) {
            times.pop_back();
        }
    }

    /// Forgets every failure.
    pub fn clear(&self) {
        *self.lock() = Failures::default();
    }
}

/// `key`'s failures still in the window at `now`, made room for if new.
fn entry<K: Hash + Eq + Clone>(
    map: &mut HashMap<K, VecDeque<Instant>>,
    key: K,
    now: Instant,
) -> &mut VecDeque<Instant> {
    if !map.contains_key(&key) && map.len() >= MOST_KEYS {
        map.retain(|_, times| times.back().is_some_and(|last| now - *last < WINDOW));
        if map.len() >= MOST_KEYS {
            let stalest = map
                .iter()
                .min_by_key(|(_, times)| times.back().copied())
                .map(|(key, _)| key.clone());
            if let Some(stalest) = stalest {
                map.remove(&stalest);
            }
        }
    }
    let times = map.entry(key).or_default();
    while times.front().is_some_and(|first| now - *first >= WINDOW) {
        times.pop_front();
    }
    times
}

/// Where `times` stands against `limit` at `now`, before a new attempt.
fn standing(times: &VecDeque<Instant>, limit: usize, now: Instant) -> Standing {
    let reset = times.front().map_or(0, |first| {
        let left = WINDOW.saturating_sub(now - *first);
        left.as_secs() + u64::from(left.subsec_nanos() > 0)
    });
    Standing {
        limit,
        remaining: limit.saturating_sub(times.len()),
        reset,
        blocked: times.len() >= limit,
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const HERE: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const THERE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

    #[test]
    fn an_account_is_blocked_after_its_failures_until_the_window_moves_on() {
        let limits = Limits::default();
        let start = Instant::now();
        for left in (0..PER_ACCOUNT).rev() {
            let standing = limits.attempt("reports", HERE, start);
            assert!(!standing.blocked);
            assert_eq!(standing.remaining, left);
        }
        let blocked = limits.attempt("reports", THERE, start + Duration::from_secs(10));
        assert!(blocked.blocked, "from another client too");
        assert_eq!(blocked.reset, 50);
        assert_eq!(
            blocked.headers()["retry-after"],
            HeaderValue::from_static("50")
        );
        assert!(
            !limits.attempt("ning", HERE, start).blocked,
            "other accounts"
        );
        assert!(!limits.attempt("reports", HERE, start + WINDOW).blocked);
    }

    #[test]
    fn a_client_is_blocked_after_its_failures_on_many_accounts() {
        let limits = Limits::default();
        let now = Instant::now();
        for n in 0..PER_CLIENT {
            assert!(!limits.attempt(&format!("user{n}"), HERE, now).blocked);
        }
        assert!(limits.attempt("someone-else", HERE, now).blocked);
        assert!(!limits.attempt("someone-else", THERE, now).blocked);
    }

    #[test]
    fn a_good_login_takes_its_attempt_back_and_clears_its_account() {
        let limits = Limits::default();
        let now = Instant::now();
        for _ in 0..PER_ACCOUNT - 1 {
            limits.attempt("ning", HERE, now);
        }
        limits.attempt("ning", HERE, now);
        limits.succeeded("ning", HERE);
        assert_eq!(limits.attempt("ning", HERE, now).remaining, PER_ACCOUNT - 1);
        limits.clear();
        assert_eq!(limits.attempt("ning", HERE, now).remaining, PER_ACCOUNT - 1);
    }

    #[test]
    fn memory_stays_bounded_whatever_names_are_tried() {
        let limits = Limits::default();
        let now = Instant::now();
        for n in 0..MOST_KEYS + 100 {
            limits.attempt(&format!("name{n}"), THERE, now);
        }
        assert!(limits.lock().accounts.len() <= MOST_KEYS);
    }
}
