//! The secure twin's sessions: random bearer tokens (32 bytes from the
//! system's CSPRNG, base64url) that expire after [`LIFETIME`] and that a
//! logout revokes. The server keeps only each token's SHA-256, so neither a
//! look-up's timing nor a copy of its memory gives a token away. One user
//! has at most [`MOST_PER_USER`] (a new login ends that user's oldest), so
//! logging in again and again, with a password the lesson prints, cannot
//! push other people's sessions out; at most [`MOST_SESSIONS`] are kept in
//! all: the expired go first, then the oldest.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};

use super::super::lock;
use super::User;

/// How long a token is good for.
pub(super) const LIFETIME: Duration = Duration::from_secs(5 * 60);
/// How many sessions are kept at most.
const MOST_SESSIONS: usize = 1024;
/// How many sessions one user may have open.
const MOST_PER_USER: usize = 8;

/// A token's SHA-256.
type Fingerprint = [u8; 32];

fn fingerprint(token: &str) -> Fingerprint {
    let mut print = [0u8; 32];
    print.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    print
}

/// Why a token was refused, for `WWW-Authenticate`'s `error_description`.
pub(super) type Refusal = &'static str;

/// One open session: whose it is and until when it is good.
#[derive(Debug, Clone, Copy)]
struct Session {
    /// The user who logged in.
    user: &'static User,
    /// When the token stops working.
    expires: Instant,
}

/// The open sessions.
#[derive(Debug, Default)]
pub(super) struct Sessions {
    open: Mutex<HashMap<Fingerprint, Session>>,
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<Fingerprint, Session>> {
        lock(&self.open)
    }

    /// A new token for `user`, good until [`LIFETIME`] after `now`; `None`
    /// only if the system has no randomness to give.
    pub fn issue(&self, user: &'static User, now: Instant) -> Option<String> {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).ok()?;
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let mut open = self.lock();
        open.retain(|_, session| session.expires > now);
        let theirs = open.values().filter(|session| session.user == user).count();
        if theirs >= MOST_PER_USER || open.len() >= MOST_SESSIONS {
            let oldest = open
                .iter()
                .filter(|(_, session)| theirs < MOST_PER_USER || session.user == user)
                .min_by_key(|(_, session)| session.expires)
                .map(|(print, _)| *print);
            if let Some(oldest) = oldest {
                open.remove(&oldest);
            }
        }
        open.insert(
            fingerprint(&token),
            Session {
                user,
                expires: now + LIFETIME,
            },
        );
        Some(token)
    }

    /// The user `token` belongs to at `now`, or why it is refused.
    pub fn user(&self, token: &str, now: Instant) -> Result<&'static User, Refusal> {
        let print = fingerprint(token);
        let mut open = self.lock();
        match open.get(&print) {
            Some(session) if session.expires > now => Ok(session.user),
            Some(_) => {
                open.remove(&print);
                Err("the token expired: log in again")
            }
            None => Err("the token is unknown or was revoked: log in again"),
        }
    }

    /// Ends `token`'s session; whether there was one.
    pub fn revoke(&self, token: &str) -> bool {
        self.lock().remove(&fingerprint(token)).is_some()
    }

    /// Ends every session.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AMARA, NING};
    use super::*;

    #[test]
    fn a_token_works_until_it_expires_or_is_revoked() {
        let sessions = Sessions::default();
        let now = Instant::now();
        let token = sessions.issue(&NING, now).expect("a token");
        assert_eq!(token.len(), 43, "32 bytes, base64url without padding");
        assert_eq!(sessions.user(&token, now), Ok(&NING));
        assert!(sessions.user(&token, now + LIFETIME).is_err(), "expired");
        let token = sessions.issue(&NING, now).expect("a token");
        assert!(sessions.revoke(&token));
        assert!(sessions.user(&token, now).is_err(), "revoked");
        assert!(!sessions.revoke(&token));
    }

    #[test]
    fn tokens_differ_and_memory_stays_bounded() {
        let sessions = Sessions::default();
        let now = Instant::now();
        let first = sessions.issue(&NING, now).expect("a token");
        let second = sessions.issue(&NING, now).expect("a token");
        assert_ne!(first, second);
        for _ in 0..MOST_SESSIONS + 10 {
            sessions.issue(&NING, now);
        }
        assert!(sessions.lock().len() <= MOST_SESSIONS);
    }

    #[test]
    fn one_user_logging_in_again_and_again_ends_only_their_own_oldest_sessions() {
        let sessions = Sessions::default();
        let now = Instant::now();
        let amara = sessions.issue(&AMARA, now).expect("a token");
        let first = sessions.issue(&NING, now).expect("a token");
        for n in 1..=MOST_SESSIONS as u64 {
            sessions.issue(&NING, now + Duration::from_millis(n));
        }
        assert_eq!(sessions.user(&amara, now), Ok(&AMARA), "others stay");
        assert!(sessions.user(&first, now).is_err(), "the oldest went");
        let ning = sessions
            .lock()
            .values()
            .filter(|session| session.user == &NING)
            .count();
        assert_eq!(ning, MOST_PER_USER);
    }
}
