//! The secure twin's password check: Argon2id hashes (RustCrypto's `argon2`),
//! never the passwords themselves, and exactly one hash verification per
//! login attempt, whether the user exists or not.
//!
//! A verification that ran only for known users would answer an unknown user
//! ~20 ms sooner than a wrong password, and the clock would tell what the one
//! answer hides. So an unknown user is verified against a dummy hash: the same
//! parameters, the same work. [`Accounts::verifications`] counts them, so a
//! test can see the code path without timing it; `.ci/bench` prints the
//! times side by side.
//!
//! Each verification needs [`MEMORY_KIB`] of memory. Allocated afresh every
//! time, the allocator keeps freed blocks of that size around per thread,
//! and safelab's memory grew by hundreds of MiB over a few dozen logins; so
//! at most [`AT_ONCE`] blocks are allocated, on first use, and reused.
//!
//! A verification holds its slot (a semaphore permit) until its hash is
//! done, even when the request that asked for it is dropped (the client
//! hung up, or the listener evicted the connection): the permit moves into
//! the blocking task. At most [`MOST_WAITING`] requests wait for a slot;
//! past that the login answers 503 at once.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::sync::Semaphore;

use super::super::lock;
use super::{USERS, User};

/// Argon2id's memory cost in KiB: 19 MiB, with [`PASSES`] and [`LANES`] the
/// first setting OWASP recommends. Measured on the 2-core machine this lab
/// is built on (release build): one verification 15 to 21 ms (32 MiB
/// took 40 ms, 64 MiB 84 ms), a whole login over HTTPS 16 ms at the median
/// and 17 ms at p99: well under the 100 ms a login may cost. `.ci/bench`
/// prints the login latency.
pub(super) const MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id's passes over the memory.
pub(super) const PASSES: u32 = 2;
/// Argon2id's lanes (parallelism).
pub(super) const LANES: u32 = 1;

/// How many verifications may run at once: each holds [`MEMORY_KIB`] of
/// memory and a core, so a flood of logins queues instead of eating both.
const AT_ONCE: usize = 2;
/// How many verifications may wait for a slot; one more is answered 503.
const MOST_WAITING: usize = 16;

/// Why no verification could run: the login answers 503 and says to try
/// again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unavailable {
    /// Every slot is busy and too many logins wait for one.
    Busy,
    /// The system's random number generator failed while hashing the
    /// accounts (a salt must never be guessable or shared).
    NoRandomness,
}

/// Fills a buffer with random bytes, or fails.
type Fill = fn(&mut [u8]) -> Result<(), ()>;

/// The system's generator.
fn system_random(bytes: &mut [u8]) -> Result<(), ()> {
    SystemRandom::new().fill(bytes).map_err(|_| ())
}

/// The hasher with the lab's parameters.
fn argon2() -> Argon2<'static> {
    // The constants are valid; Argon2's defaults are the same values.
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password`
/// with a fresh salt from `random`; `None` if `random` fails (a salt of
/// zeros would be shared by every account).
fn hash(memory: &mut [Block], password: &[u8], random: Fill) -> Option<String> {
    let mut salt = [0u8; 16];
    random(&mut salt).ok()?;
    let hasher = argon2();
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        Ok(hasher.hash_password_into_with_memory(password, &salt, out, &mut *memory)?)
    });
    // Sixteen bytes of salt and our parameters always encode; an empty hash
    // would match no password.
    let (Ok(output), Ok(salt), Ok(params)) = (
        output,
        SaltString::encode_b64(&salt),
        ParamsString::try_from(hasher.params()),
    ) else {
        return Some(String::new());
    };
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Some(phc.to_string())
}

/// Whether `password` hashes to the PHC string `phc`, computed in `memory`
/// with the parameters and salt `phc` names; the outputs are compared in
/// constant time (`Output`'s equality uses `subtle`). `runs` counts the
/// Argon2 computations that completed.
fn verify_in(memory: &mut [Block], phc: &str, password: &[u8], runs: &AtomicU64) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let (Ok(salt), Ok(params)) = (salt.decode_b64(&mut salt_bytes), Params::try_from(&parsed))
    else {
        return false;
    };
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    Output::init_with(expected.len(), |out| {
        hasher.hash_password_into_with_memory(password, salt, out, &mut *memory)?;
        runs.fetch_add(1, Ordering::Relaxed);
        Ok(())
    })
    .is_ok_and(|computed| computed == expected)
}

/// The hashes of every account, and the dummy that unknown users are
/// checked against.
#[derive(Debug)]
struct Hashes {
    users: Vec<(&'static User, String)>,
    dummy: String,
}

impl Hashes {
    /// Hashes every account, in `memory`, with salts from `random`; `None`
    /// if `random` fails.
    fn new(memory: &mut [Block], random: Fill) -> Option<Self> {
        let mut unguessable = [0u8; 32];
        random(&mut unguessable).ok()?;
        let users = USERS
            .iter()
            .map(|user| Some((user, hash(memory, user.password.as_bytes(), random)?)))
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            users,
            dummy: hash(memory, &unguessable, random)?,
        })
    }
}

/// The secure twin's accounts as a careful server keeps them: hashed at
/// first use (a few Argon2 runs, off safelab's start-up), checked one
/// verification per attempt.
#[derive(Debug)]
pub(super) struct Accounts {
    hashes: OnceLock<Hashes>,
    verifications: AtomicU64,
    at_once: Arc<Semaphore>,
    /// Requests waiting for a slot.
    waiting: AtomicUsize,
    /// Where salts come from.
    random: Fill,
    /// Argon2's working memory, one block per verification that may run at
    /// once, reused.
    memory: Mutex<Vec<Vec<Block>>>,
}

impl Default for Accounts {
    fn default() -> Self {
        Self {
            hashes: OnceLock::new(),
            verifications: AtomicU64::new(0),
            at_once: Arc::new(Semaphore::new(AT_ONCE)),
            waiting: AtomicUsize::new(0),
            random: system_random,
            memory: Mutex::new(Vec::new()),
        }
    }
}

impl Accounts {
    /// The account `name` if `password` is its password. Exactly one
    /// Argon2id verification runs whatever the outcome: against the
    /// account's hash, or against the dummy hash when there is no such
    /// account. The comparison of the hash outputs is constant-time
    /// (`argon2` compares with `subtle`). Blocks for the verification;
    /// fails only if the accounts could not be hashed.
    pub(super) fn verify(
        &self,
        name: &str,
        password: &str,
    ) -> Result<Option<&'static User>, Unavailable> {
        let mut memory = lock(&self.memory)
            .pop()
            .unwrap_or_else(|| vec![Block::default(); MEMORY_KIB as usize]);
        let result = self.verify_with(&mut memory, name, password);
        let mut pool = lock(&self.memory);
        if pool.len() < AT_ONCE {
            pool.push(memory);
        }
        result
    }

    fn verify_with(
        &self,
        memory: &mut [Block],
        name: &str,
        password: &str,
    ) -> Result<Option<&'static User>, Unavailable> {
        let hashes = match self.hashes.get() {
            Some(hashes) => hashes,
            None => {
                let hashes = Hashes::new(memory, self.random).ok_or(Unavailable::NoRandomness)?;
                self.hashes.get_or_init(|| hashes)
            }
        };
        let (user, phc) = match hashes.users.iter().find(|(user, _)| user.name == name) {
            Some((user, phc)) => (Some(*user), phc),
            None => (None, &hashes.dummy),
        };
        let matches = verify_in(memory, phc, password.as_bytes(), &self.verifications);
        Ok(user.filter(|_| matches))
    }

    /// [`Accounts::verify`] off the async threads, [`AT_ONCE`] at a time.
    /// The slot is held until the hash is done, even if this future is
    /// dropped; past [`MOST_WAITING`] waiters, [`Unavailable::Busy`] at once.
    pub(super) async fn check(
        self: &Arc<Self>,
        name: String,
        password: String,
    ) -> Result<Option<&'static User>, Unavailable> {
        let permit = {
            let _waiting = Waiting::join(&self.waiting).ok_or(Unavailable::Busy)?;
            self.at_once
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| Unavailable::Busy)?
        };
        let accounts = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            accounts.verify(&name, &password)
        })
        .await
        .map_err(|_| Unavailable::Busy)?
    }

    /// How many verifications have run.
    #[cfg_attr(not(test), allow(dead_code, reason = "read by the tests"))]
    pub(super) fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

/// A place in the queue for a verification slot, given up when dropped
/// (also when the request is).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    /// A place, unless [`MOST_WAITING`] are taken.
    fn join(waiting: &'a AtomicUsize) -> Option<Self> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < MOST_WAITING).then_some(now + 1)
            })
            .ok()?;
        Some(Self(waiting))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AMARA, NING, REPORTS};
    use super::*;

    fn verified(accounts: &Accounts, name: &str, password: &str) -> Option<&'static User> {
        accounts
            .verify(name, password)
            .expect("the accounts are hashed")
    }

    #[test]
    fn an_unknown_user_costs_one_verification_like_a_wrong_password() {
        let accounts = Accounts::default();
        // The first call hashes the accounts; count from there.
        assert_eq!(
            verified(&accounts, REPORTS.name, REPORTS.password),
            Some(&REPORTS)
        );
        let before = accounts.verifications();
        assert_eq!(verified(&accounts, REPORTS.name, "wrong"), None);
        assert_eq!(accounts.verifications(), before + 1, "a wrong password");
        assert_eq!(verified(&accounts, "nobody", "wrong"), None);
        assert_eq!(accounts.verifications(), before + 2, "an unknown user");
        assert_eq!(verified(&accounts, "nobody", ""), None);
        assert_eq!(accounts.verifications(), before + 3, "an empty password");
        assert_eq!(
            verified(&accounts, AMARA.name, AMARA.password),
            Some(&AMARA)
        );
        assert_eq!(accounts.verifications(), before + 4, "a good password");
    }

    #[test]
    fn hashes_are_argon2id_with_the_lab_parameters_and_a_salt_each() {
        let accounts = Accounts::default();
        verified(&accounts, "nobody", "x");
        let hashes = accounts.hashes.get().expect("hashed at first use");
        let expected = format!("$argon2id$v=19$m={MEMORY_KIB},t={PASSES},p={LANES}$");
        for (user, phc) in &hashes.users {
            assert!(phc.starts_with(&expected), "{phc}");
            assert!(!phc.contains(user.password));
        }
        assert!(lock(&accounts.memory).len() <= AT_ONCE);
        let (first, second) = (&hashes.users[0].1, &hashes.users[1].1);
        assert_ne!(
            first.split('$').nth(4),
            second.split('$').nth(4),
            "salts differ"
        );
        assert!(hashes.dummy.starts_with(&expected));
    }

    #[test]
    fn no_randomness_means_no_hashes_rather_than_a_shared_salt() {
        let accounts = Accounts {
            random: |_| Err(()),
            ..Accounts::default()
        };
        assert_eq!(
            accounts.verify(NING.name, NING.password),
            Err(Unavailable::NoRandomness)
        );
        assert!(accounts.hashes.get().is_none());
        assert_eq!(accounts.verifications(), 0);
    }

    /// Polls `done` until it holds (a task on another thread gets there).
    async fn until(mut done: impl FnMut() -> bool) {
        while !done() {
            tokio::task::yield_now().await;
            std::thread::yield_now();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[allow(
        clippy::await_holding_lock,
        reason = "the held pool stops the verifications at their start, on blocking threads"
    )]
    async fn a_dropped_login_keeps_its_slot_until_its_hash_is_done() {
        let accounts = Arc::new(Accounts::default());
        verified(&accounts, "nobody", "x");
        // Holding the memory pool stops a verification at its start.
        let pool = lock(&accounts.memory);
        let login = tokio::spawn({
            let accounts = accounts.clone();
            async move { accounts.check(NING.name.into(), NING.password.into()).await }
        });
        until(|| accounts.at_once.available_permits() == AT_ONCE - 1).await;
        login.abort();
        assert!(login.await.is_err_and(|error| error.is_cancelled()));
        assert_eq!(
            accounts.at_once.available_permits(),
            AT_ONCE - 1,
            "the hash still runs, and holds its slot"
        );
        drop(pool);
        until(|| accounts.at_once.available_permits() == AT_ONCE).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[allow(
        clippy::await_holding_lock,
        reason = "the held pool stops the verifications at their start, on blocking threads"
    )]
    async fn past_the_waiting_room_a_login_is_told_to_try_again() {
        let accounts = Arc::new(Accounts::default());
        verified(&accounts, "nobody", "x");
        let pool = lock(&accounts.memory);
        let logins: Vec<_> = (0..AT_ONCE + MOST_WAITING)
            .map(|_| {
                let accounts = accounts.clone();
                tokio::spawn(
                    async move { accounts.check(NING.name.into(), NING.password.into()).await },
                )
            })
            .collect();
        until(|| {
            accounts.at_once.available_permits() == 0
                && accounts.waiting.load(Ordering::Acquire) == MOST_WAITING
        })
        .await;
        assert_eq!(
            accounts.check("nobody".into(), "x".into()).await,
            Err(Unavailable::Busy)
        );
        drop(pool);
        for login in logins {
            assert_eq!(login.await.expect("the login ran"), Ok(Some(&NING)));
        }
        assert_eq!(accounts.waiting.load(Ordering::Acquire), 0);
    }
}
