//! The secure twin's limits on guessing, each a sliding window of
//! [`WINDOW`]: past one, `429 Too Many Requests` with `Retry-After` until the
//! oldest counted attempt leaves the window.
//!
//! - [`PER_ACCOUNT`] failures per account *from one client*: the tight limit
//!   that stops a guesser aiming at one account;
//! - [`PER_ACCOUNT_EVERYWHERE`] failures per account from all clients
//!   together: looser, so that a stranger cannot lock an account out with a
//!   few guesses a minute, yet guessing from many places stays slow;
//! - [`PER_CLIENT`] failures per client on any accounts: one client trying a
//!   few passwords on many accounts;
//! - [`VERIFICATIONS_PER_CLIENT`] verifications per client, successes
//!   included: every attempt costs an Argon2 run, and the demo password is
//!   in the lesson, so right passwords must not keep the slots busy either.
//!
//! Every attempt counts as a failure from the moment it starts (so parallel
//! guesses cannot slip past a limit together) and is taken back when the
//! password was right; a good login also forgets its account's failures,
//! and an attempt the server was too busy to check is withdrawn.
//! Unknown user names are counted like real ones, or the limits would tell
//! which accounts exist. A client is its [`Client::rate_key`](super::Client::rate_key).
//!
//! Only the caller's own buckets go in the `RateLimit-*` headers: the
//! account's count from everywhere is other people's business, and its 429
//! carries `Retry-After` only. Memory is bounded: at most [`MOST_KEYS`] keys
//! per limit; when that many are live, a new key is refused (a 429) rather
//! than any bucket forgotten, since forgetting one over its limit would
//! forgive its failures.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};

use super::super::lock;
use super::super::ratelimit::Quota;

/// How long an attempt counts.
pub(super) const WINDOW: Duration = Duration::from_secs(60);
/// Failures one client may have on one account in the window.
pub(super) const PER_ACCOUNT: usize = 5;
/// Failures one account may have from all clients together in the window.
pub(super) const PER_ACCOUNT_EVERYWHERE: usize = 30;
/// Failures one client may have on any accounts in the window.
pub(super) const PER_CLIENT: usize = 20;
/// Password verifications one client may ask for in the window, right
/// passwords included.
pub(super) const VERIFICATIONS_PER_CLIENT: usize = 30;
/// How many keys each limit remembers at most.
const MOST_KEYS: usize = 4096;

/// Where the caller stands against the tightest of its own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Standing {
    /// That limit's size.
    pub limit: usize,
    /// Attempts left in the window, this one counted.
    pub remaining: usize,
    /// Seconds until the oldest counted attempt leaves the window.
    pub reset: u64,
    /// Whether the attempt is refused.
    pub blocked: bool,
}

impl Standing {
    /// The `RateLimit-*` headers (and `Retry-After` when blocked) that tell
    /// a client where it stands.
    pub fn headers(&self) -> HeaderMap {
        let window = WINDOW.as_secs();
        let policy = format!(
            "{PER_ACCOUNT};w={window}, {PER_CLIENT};w={window}, {VERIFICATIONS_PER_CLIENT};w={window}"
        );
        let mut headers = Quota {
            limit: self.limit as u64,
            remaining: self.remaining as u64,
            reset: self.reset,
            policy: &policy,
        }
        .headers();
        if self.blocked {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(self.reset.max(1)));
        }
        headers
    }
}

/// What the limits say about an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Go ahead: where the caller stands, this attempt counted.
    Allowed(Standing),
    /// The caller used up one of its own limits.
    Caller(Standing),
    /// The account has too many failures from everywhere, or a limit
    /// remembers too many keys: try again in `retry_after` seconds.
    Held {
        /// Seconds to wait.
        retry_after: u64,
    },
}

/// Attempt times per key, latest last, for one limit.
#[derive(Debug)]
struct Buckets<K> {
    limit: usize,
    times: HashMap<K, VecDeque<Instant>>,
}

impl<K: Hash + Eq> Buckets<K> {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            times: HashMap::new(),
        }
    }

    /// Where `key` stands at `now`, before a new attempt; `None` when `key`
    /// is new and [`MOST_KEYS`] live keys leave no room (only buckets whose
    /// attempts all left the window are ever dropped).
    fn standing(&mut self, key: K, now: Instant) -> Option<Standing> {
        if !self.times.contains_key(&key) && self.times.len() >= MOST_KEYS {
            self.times.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|last| now.saturating_duration_since(*last) < WINDOW)
            });
            if self.times.len() >= MOST_KEYS {
                return None;
            }
        }
        let times = self.times.entry(key).or_default();
        while times
            .front()
            .is_some_and(|first| now.saturating_duration_since(*first) >= WINDOW)
        {
            times.pop_front();
        }
        let reset = times.front().map_or(WINDOW.as_secs(), |first| {
            let left = WINDOW.saturating_sub(now.saturating_duration_since(*first));
            left.as_secs() + u64::from(left.subsec_nanos() > 0)
        });
        Some(Standing {
            limit: self.limit,
            remaining: self.limit.saturating_sub(times.len()),
            reset,
            blocked: times.len() >= self.limit,
        })
    }

    /// Takes `key`'s latest attempt back.
    fn uncount<Q: Hash + Eq + ?Sized>(&mut self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
    {
        if let Some(times) = self.times.get_mut(key) {
            times.pop_back();
        }
    }

    fn count(&mut self, key: &K, now: Instant) {
        if let Some(times) = self.times.get_mut(key) {
            times.push_back(now);
        }
    }
}

/// Every limit's attempts.
#[derive(Debug)]
struct Failures {
    /// Failures per (account, client).
    pairs: Buckets<(String, IpAddr)>,
    /// Failures per account, from every client.
    accounts: Buckets<String>,
    /// Failures per client.
    clients: Buckets<IpAddr>,
    /// Verifications per client, right passwords included.
    verifications: Buckets<IpAddr>,
}

impl Default for Failures {
    fn default() -> Self {
        Self {
            pairs: Buckets::new(PER_ACCOUNT),
            accounts: Buckets::new(PER_ACCOUNT_EVERYWHERE),
            clients: Buckets::new(PER_CLIENT),
            verifications: Buckets::new(VERIFICATIONS_PER_CLIENT),
        }
    }
}

/// The secure twin's limits on password attempts.
#[derive(Debug, Default)]
pub(super) struct Limits {
    failures: Mutex<Failures>,
}

impl Limits {
    /// Starts an attempt on `account` from `client` (its rate key) at `now`:
    /// refused when a limit is used up, else counted as a failure until
    /// [`Limits::succeeded`] takes it back.
    pub fn attempt(&self, account: &str, client: IpAddr, now: Instant) -> Verdict {
        let mut failures = lock(&self.failures);
        let pair = (account.to_owned(), client);
        let (Some(by_pair), Some(by_account), Some(by_client), Some(by_verifications)) = (
            failures.pairs.standing(pair.clone(), now),
            failures.accounts.standing(account.to_owned(), now),
            failures.clients.standing(client, now),
            failures.verifications.standing(client, now),
        ) else {
            return Verdict::Held {
                retry_after: WINDOW.as_secs(),
            };
        };
        let own = [by_pair, by_client, by_verifications];
        if let Some(blocked) = own
            .iter()
            .filter(|standing| standing.blocked)
            .max_by_key(|standing| standing.reset)
        {
            return Verdict::Caller(Standing {
                remaining: 0,
                ..*blocked
            });
        }
        if by_account.blocked {
            return Verdict::Held {
                retry_after: by_account.reset.max(1),
            };
        }
        failures.pairs.count(&pair, now);
        failures.accounts.count(&pair.0, now);
        failures.clients.count(&client, now);
        failures.verifications.count(&client, now);
        let tightest = own
            .into_iter()
            .min_by_key(|standing| standing.remaining)
            .unwrap_or(by_pair);
        Verdict::Allowed(Standing {
            remaining: tightest.remaining.saturating_sub(1),
            reset: tightest.reset,
            ..tightest
        })
    }

    /// The attempt on `account` from `client` had the right password: its
    /// failure is taken back and the account's failures forgotten (its
    /// verification still counts). Where the caller stands now.
    pub fn succeeded(&self, account: &str, client: IpAddr, now: Instant) -> Standing {
        let mut failures = lock(&self.failures);
        let pair = (account.to_owned(), client);
        failures.pairs.times.remove(&pair);
        failures.accounts.times.remove(account);
        failures.clients.uncount(&client);
        let own = [
            failures.pairs.standing(pair, now),
            failures.clients.standing(client, now),
            failures.verifications.standing(client, now),
        ];
        own.into_iter()
            .flatten()
            .min_by_key(|standing| standing.remaining)
            .map(|standing| Standing {
                blocked: false,
                ..standing
            })
            .unwrap_or(Standing {
                limit: PER_ACCOUNT,
                remaining: PER_ACCOUNT,
                reset: WINDOW.as_secs(),
                blocked: false,
            })
    }

    /// The attempt on `account` from `client` never got its password
    /// checked (the server was too busy): it counts against nothing.
    pub fn withdraw(&self, account: &str, client: IpAddr) {
        let mut failures = lock(&self.failures);
        failures.pairs.uncount(&(account.to_owned(), client));
        failures.accounts.uncount(account);
        failures.clients.uncount(&client);
        failures.verifications.uncount(&client);
    }

    /// Forgets every attempt.
    pub fn clear(&self) {
        *lock(&self.failures) = Failures::default();
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const HERE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const THERE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    fn allowed(verdict: Verdict) -> Standing {
        match verdict {
            Verdict::Allowed(standing) => standing,
            other => panic!("refused: {other:?}"),
        }
    }

    fn caller_blocked(verdict: Verdict) -> Standing {
        match verdict {
            Verdict::Caller(standing) => standing,
            other => panic!("not the caller's limit: {other:?}"),
        }
    }

    #[test]
    fn one_client_is_blocked_on_an_account_until_the_window_moves_on() {
        let limits = Limits::default();
        let start = Instant::now();
        for left in (0..PER_ACCOUNT).rev() {
            assert_eq!(
                allowed(limits.attempt("reports", HERE, start)).remaining,
                left
            );
        }
        let blocked =
            caller_blocked(limits.attempt("reports", HERE, start + Duration::from_secs(10)));
        assert_eq!((blocked.limit, blocked.reset), (PER_ACCOUNT, 50));
        assert_eq!(
            blocked.headers()["retry-after"],
            HeaderValue::from_static("50")
        );
        allowed(limits.attempt("ning", HERE, start));
        allowed(limits.attempt("reports", THERE, start));
        allowed(limits.attempt("reports", HERE, start + WINDOW));
    }

    #[test]
    fn guessing_one_account_from_everywhere_is_held_without_telling_the_count() {
        let limits = Limits::default();
        let now = Instant::now();
        for n in 0..PER_ACCOUNT_EVERYWHERE {
            let client = IpAddr::V4(Ipv4Addr::new(10, 0, (n / 256) as u8, n as u8));
            allowed(limits.attempt("reports", client, now));
        }
        assert_eq!(
            limits.attempt("reports", THERE, now + Duration::from_secs(1)),
            Verdict::Held { retry_after: 59 }
        );
        allowed(limits.attempt("ning", THERE, now));
    }

    #[test]
    fn a_client_is_blocked_after_its_failures_on_many_accounts() {
        let limits = Limits::default();
        let now = Instant::now();
        for n in 0..PER_CLIENT {
            allowed(limits.attempt(&format!("user{n}"), HERE, now));
        }
        assert_eq!(
            caller_blocked(limits.attempt("someone-else", HERE, now)).limit,
            PER_CLIENT
        );
        allowed(limits.attempt("someone-else", THERE, now));
    }

    #[test]
    fn right_passwords_count_against_the_verifications_of_a_client() {
        let limits = Limits::default();
        let now = Instant::now();
        for _ in 0..VERIFICATIONS_PER_CLIENT {
            allowed(limits.attempt("ning", HERE, now));
            let standing = limits.succeeded("ning", HERE, now);
            assert!(!standing.blocked);
        }
        let blocked = caller_blocked(limits.attempt("ning", HERE, now));
        assert_eq!(blocked.limit, VERIFICATIONS_PER_CLIENT);
        allowed(limits.attempt("ning", THERE, now));
    }

    #[test]
    fn a_good_login_takes_its_attempt_back_and_clears_its_account() {
        let limits = Limits::default();
        let now = Instant::now();
        for _ in 0..PER_ACCOUNT {
            limits.attempt("ning", HERE, now);
        }
        limits.succeeded("ning", HERE, now);
        assert_eq!(
            allowed(limits.attempt("ning", HERE, now)).remaining,
            PER_ACCOUNT - 1
        );
        limits.clear();
        assert_eq!(
            allowed(limits.attempt("ning", HERE, now)).remaining,
            PER_ACCOUNT - 1
        );
    }

    #[test]
    fn an_attempt_never_checked_counts_against_nothing() {
        let limits = Limits::default();
        let now = Instant::now();
        for _ in 0..PER_ACCOUNT * 3 {
            allowed(limits.attempt("ning", HERE, now));
            limits.withdraw("ning", HERE);
        }
        assert_eq!(
            allowed(limits.attempt("ning", HERE, now)).remaining,
            PER_ACCOUNT - 1
        );
    }

    #[test]
    fn memory_stays_bounded_and_a_bucket_over_its_limit_is_never_forgotten() {
        let limits = Limits::default();
        let now = Instant::now();
        for _ in 0..PER_ACCOUNT {
            allowed(limits.attempt("reports", HERE, now));
        }
        // Fill the tables with other live keys, from clients with room.
        for n in 0..MOST_KEYS + 100 {
            let client = IpAddr::V4(Ipv4Addr::new(10, 1, (n / 256) as u8, n as u8));
            limits.attempt(&format!("name{n}"), client, now);
        }
        let failures = lock(&limits.failures);
        assert!(failures.pairs.times.len() <= MOST_KEYS);
        assert!(failures.accounts.times.len() <= MOST_KEYS);
        assert!(failures.clients.times.len() <= MOST_KEYS);
        drop(failures);
        caller_blocked(limits.attempt("reports", HERE, now));
        assert_eq!(
            limits.attempt("someone-new", THERE, now),
            Verdict::Held {
                retry_after: WINDOW.as_secs()
            },
            "a full table refuses new keys"
        );
        allowed(limits.attempt("someone-new", THERE, now + WINDOW));
    }
}
