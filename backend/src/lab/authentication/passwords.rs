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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::sync::Semaphore;

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

/// The hasher with the lab's parameters.
fn argon2() -> Argon2<'static> {
    // The constants are valid; Argon2's defaults are the same values.
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password`
/// with a fresh random salt.
fn hash(memory: &mut [Block], password: &[u8]) -> String {
    let mut salt = [0u8; 16];
    // The system's generator does not fail where safelab runs; should it,
    // the salt is zeros and the hash still verifies.
    let _ = SystemRandom::new().fill(&mut salt);
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
        return String::new();
    };
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string()
}

/// Whether `password` hashes to the PHC string `phc`, computed in `memory`
/// with the parameters and salt `phc` names; the outputs are compared in
/// constant time (`Output`'s equality uses `subtle`).
fn verify_in(memory: &mut [Block], phc: &str, password: &[u8]) -> bool {
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
        Ok(hasher.hash_password_into_with_memory(password, salt, out, &mut *memory)?)
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
    /// Hashes every account, in `memory`.
    fn new(memory: &mut [Block]) -> Self {
        let mut unguessable = [0u8; 32];
        let _ = SystemRandom::new().fill(&mut unguessable);
        Self {
            users: USERS
                .iter()
                .map(|user| (user, hash(memory, user.password.as_bytes())))
                .collect(),
            dummy: hash(memory, &unguessable),
        }
    }
}

/// The secure twin's accounts as a careful server keeps them: hashed at
/// first use (a few Argon2 runs, off safelab's start-up), checked one
/// verification per attempt.
#[derive(Debug)]
pub(super) struct Accounts {
    hashes: OnceLock<Hashes>,
    verifications: AtomicU64,
    at_once: Semaphore,
    /// Argon2's working memory, one block per verification that may run at
    /// once, reused.
    memory: Mutex<Vec<Vec<Block>>>,
}

impl Default for Accounts {
    fn default() -> Self {
        Self {
            hashes: OnceLock::new(),
            verifications: AtomicU64::new(0),
            at_once: Semaphore::new(AT_ONCE),
            memory: Mutex::new(Vec::new()),
        }
    }
}

impl Accounts {
    /// The account `name` if `password` is its password. Exactly one
    /// Argon2id verification runs whatever the outcome: against the
    /// account's hash, or against the dummy hash when there is no such
    /// account. The comparison of the hash outputs is constant-time
    /// (`argon2` compares with `subtle`). Blocks for the verification.
    pub(super) fn verify(&self, name: &str, password: &str) -> Option<&'static User> {
        let pool = || self.memory.lock().unwrap_or_else(PoisonError::into_inner);
        let mut memory = pool()
            .pop()
            .unwrap_or_else(|| vec![Block::default(); MEMORY_KIB as usize]);
        let hashes = self.hashes.get_or_init(|| Hashes::new(&mut memory));
        let (user, phc) = match hashes.users.iter().find(|(user, _)| user.name == name) {
            Some((user, phc)) => (Some(*user), phc),
            None => (None, &hashes.dummy),
        };
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let matches = verify_in(&mut memory, phc, password.as_bytes());
        let mut pool = pool();
        if pool.len() < AT_ONCE {
            pool.push(memory);
        }
        user.filter(|_| matches)
    }

    /// [`Accounts::verify`] off the async threads, a few at a time.
    pub(super) async fn check(
        self: &std::sync::Arc<Self>,
        name: String,
        password: String,
    ) -> Option<&'static User> {
        let _permit = self.at_once.acquire().await.ok()?;
        let accounts = self.clone();
        tokio::task::spawn_blocking(move || accounts.verify(&name, &password))
            .await
            .ok()
            .flatten()
    }

    /// How many verifications have run.
    #[cfg_attr(not(test), allow(dead_code, reason = "read by the tests"))]
    pub(super) fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AMARA, REPORTS};
    use super::*;

    #[test]
    fn an_unknown_user_costs_one_verification_like_a_wrong_password() {
        let accounts = Accounts::default();
        // The first call hashes the accounts; count from there.
        assert_eq!(
            accounts.verify(REPORTS.name, REPORTS.password),
            Some(&REPORTS)
        );
        let before = accounts.verifications();
        assert_eq!(accounts.verify(REPORTS.name, "wrong"), None);
        assert_eq!(accounts.verifications(), before + 1, "a wrong password");
        assert_eq!(accounts.verify("nobody", "wrong"), None);
        assert_eq!(accounts.verifications(), before + 2, "an unknown user");
        assert_eq!(accounts.verify("nobody", ""), None);
        assert_eq!(accounts.verifications(), before + 3, "an empty password");
        assert_eq!(accounts.verify(AMARA.name, AMARA.password), Some(&AMARA));
        assert_eq!(accounts.verifications(), before + 4, "a good password");
    }

    #[test]
    fn hashes_are_argon2id_with_the_lab_parameters_and_a_salt_each() {
        let accounts = Accounts::default();
        accounts.verify("nobody", "x");
        let hashes = accounts.hashes.get().expect("hashed at first use");
        let expected = format!("$argon2id$v=19$m={MEMORY_KIB},t={PASSES},p={LANES}$");
        for (user, phc) in &hashes.users {
            assert!(phc.starts_with(&expected), "{phc}");
            assert!(!phc.contains(user.password));
        }
        assert!(accounts.memory.lock().expect("the pool").len() <= AT_ONCE);
        let (first, second) = (&hashes.users[0].1, &hashes.users[1].1);
        assert_ne!(
            first.split('$').nth(4),
            second.split('$').nth(4),
            "salts differ"
        );
        assert!(hashes.dummy.starts_with(&expected));
    }
}
