//! Lesson `authentication`, "Authentication": how a client proves who it is,
//! done the careless way and the careful way.
//!
//! The insecure twin (`insecure.rs`) takes a password in the URL or in a
//! custom header and logs it, accepts HTTP Basic over plain HTTP (a recorded
//! exchange gives a colleague's password away), compares passwords as plain
//! text, tells unknown users from wrong passwords, lets anyone guess forever,
//! and hands out counter tokens that never expire and survive a logout. The
//! secure twin (`secure.rs`) answers over HTTPS only, keeps Argon2id hashes
//! ([`passwords`]), does the same work and gives the same answer for both
//! failures, stops guessing with a 429 ([`limits`]), and issues random
//! short-lived tokens that a logout revokes ([`sessions`]).
//!
//! The accounts are made up and the same on both twins ([`USERS`]); the
//! lesson's own state (logs, sessions, failure counts, hashes) hangs off
//! [`AuthenticationLab`], which the lesson's reset restores.

mod access_log;
mod capture;
mod credentials;
mod insecure;
mod limits;
mod passwords;
mod secure;
mod sessions;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use safelab_protocol::{ListenerId, Twin};
use serde_json::{Value, json};

pub(super) use super::Client;
use super::error::LabError;
use super::{Endpoint, LessonLab};
use crate::AppState;
use crate::progress::Exercise;

/// The lesson's id.
const LESSON: &str = "authentication";

/// The insecure twin served its access log with a password in it.
const PASSWORD_IN_LOG: Exercise = Exercise {
    lesson: LESSON,
    id: "password-in-log",
};
/// The colleague's Basic credentials, read from the recorded plain-HTTP
/// exchange, logged in on the insecure twin.
const SNIFF_BASIC: Exercise = Exercise {
    lesson: LESSON,
    id: "sniff-basic",
};
/// The insecure login told that the hidden account exists ("wrong password").
const ENUMERATE_USER: Exercise = Exercise {
    lesson: LESSON,
    id: "enumerate-user",
};
/// The hidden account's weak password was guessed on the insecure login.
const GUESS_PASSWORD: Exercise = Exercise {
    lesson: LESSON,
    id: "guess-password",
};
/// The secure twin stopped a guesser with a 429.
const MEET_THE_LIMIT: Exercise = Exercise {
    lesson: LESSON,
    id: "meet-the-limit",
};
/// The insecure twin accepted a token after its logout.
const REUSE_TOKEN: Exercise = Exercise {
    lesson: LESSON,
    id: "reuse-token",
};

/// One account of the lab's made-up clinic, the same on both twins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct User {
    /// The user name.
    pub name: &'static str,
    /// The password. The insecure twin compares against it as it is; the
    /// secure twin only ever sees its Argon2id hash.
    pub password: &'static str,
    /// Who this is, for the reports.
    pub role: &'static str,
}

/// The learner's own account.
const NING: User = User {
    name: "ning",
    password: "tea-and-biscuits-42",
    role: "data analyst",
};
/// The colleague whose Basic credentials cross plain HTTP in the capture.
const AMARA: User = User {
    name: "amara",
    password: "Kilimanjaro-2019",
    role: "epidemiologist",
};
/// The old automation account with a password from every wordlist.
const REPORTS: User = User {
    name: "reports",
    password: "changeme",
    role: "nightly report script",
};

/// Every account.
const USERS: &[User] = &[NING, AMARA, REPORTS];

/// The account called `name`, if there is one.
fn user(name: &str) -> Option<&'static User> {
    USERS.iter().find(|user| user.name == name)
}

/// What both twins serve a logged-in user: the weekly report.
fn report(user: &User, how: &str) -> Value {
    json!({
        "user": user.name,
        "role": user.role,
        "authenticated_by": how,
        "report": "Weekly admissions, week 47: 1,284 admissions, 3 wards over capacity (made-up figures)",
    })
}

/// A JSON error both twins answer: a code a program can test and a message
/// that says what to do next.
fn refusal(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    LabError::new(status, code)
        .with("message", message.into())
        .into_response()
}

/// `host:port` of one of this run's lab listeners (`127.0.0.1:7879`).
fn host_of(state: &AppState, listener: ListenerId) -> String {
    state
        .lab
        .listener(listener)
        .map_or_else(String::new, |listener| {
            listener
                .url
                .split_once("://")
                .map_or(listener.url.as_str(), |(_, host)| host)
                .to_owned()
        })
}

/// The lesson's lab state: access logs, sessions, failure counts and the
/// password hashes, all bounded and all restored by the lesson's reset.
#[derive(Debug, Default)]
pub struct AuthenticationLab {
    insecure_log: access_log::AccessLog,
    secure_log: access_log::AccessLog,
    insecure_sessions: insecure::Sessions,
    secure_sessions: sessions::Sessions,
    limits: limits::Limits,
    accounts: std::sync::Arc<passwords::Accounts>,
}

impl AuthenticationLab {
    /// Forgets every log line, session and failure (the hashes stay: they
    /// are the same accounts).
    fn reset(&self) {
        self.insecure_log.clear();
        self.secure_log.clear();
        self.insecure_sessions.clear();
        self.secure_sessions.clear();
        self.limits.clear();
    }
}

/// The lesson's `reset` hook.
fn reset(state: &AppState) {
    state.labs.authentication.reset();
}

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[
        Endpoint {
            method: "GET",
            path: insecure::REPORT,
            twin: Some(Twin::Insecure),
            summary: "the weekly report, for a password in the URL (?user=…&password=…), in X-User and X-Password headers, or a token",
        },
        Endpoint {
            method: "GET",
            path: insecure::BASIC,
            twin: Some(Twin::Insecure),
            summary: "the weekly report behind HTTP Basic, over plain HTTP too",
        },
        Endpoint {
            method: "POST",
            path: insecure::LOGIN,
            twin: Some(Twin::Insecure),
            summary: "log in with username and password (JSON or form): plain-text comparison, a different answer for an unknown user and a wrong password, no limit on guessing; a counter token and a cookie without flags",
        },
        Endpoint {
            method: "POST",
            path: insecure::LOGOUT,
            twin: Some(Twin::Insecure),
            summary: "log out: deletes the cookie, and the token keeps working",
        },
        Endpoint {
            method: "GET",
            path: insecure::ACCESS_LOG,
            twin: Some(Twin::Insecure),
            summary: "the insecure twin's access log: every request line, passwords in URLs included",
        },
        Endpoint {
            method: "GET",
            path: insecure::CAPTURE,
            twin: Some(Twin::Insecure),
            summary: "a recorded plain-HTTP exchange: a colleague's request with Authorization: Basic",
        },
        Endpoint {
            method: "GET",
            path: secure::REPORT,
            twin: Some(Twin::Secure),
            summary: "the weekly report over HTTPS only, for a bearer token, the __Host-session cookie or Basic; a password in the URL gets a 400",
        },
        Endpoint {
            method: "GET",
            path: secure::BASIC,
            twin: Some(Twin::Secure),
            summary: "the weekly report behind HTTP Basic over HTTPS only, Argon2id hashes, a 429 after a few failures",
        },
        Endpoint {
            method: "POST",
            path: secure::LOGIN,
            twin: Some(Twin::Secure),
            summary: "log in over HTTPS: Argon2id, one answer for every failure, 429 with Retry-After after a few failures per account and per client (right passwords count towards a per-client limit too); a random token that expires and a Secure HttpOnly SameSite cookie; a login sent by another origin gets a 403",
        },
        Endpoint {
            method: "POST",
            path: secure::LOGOUT,
            twin: Some(Twin::Secure),
            summary: "log out: revokes the token",
        },
        Endpoint {
            method: "GET",
            path: secure::ACCESS_LOG,
            twin: Some(Twin::Secure),
            summary: "the secure twin's access log: query values never written",
        },
        Endpoint {
            method: "GET",
            path: secure::CAPTURE,
            twin: Some(Twin::Secure),
            summary: "the same exchange recorded over HTTPS: nothing but encrypted records",
        },
    ],
    exercises: &[
        PASSWORD_IN_LOG,
        SNIFF_BASIC,
        ENUMERATE_USER,
        GUESS_PASSWORD,
        MEET_THE_LIMIT,
        REUSE_TOKEN,
    ],
    routes,
    reset,
    examples: &[],
};

/// The lesson's routes: both twins.
fn routes() -> Router<AppState> {
    insecure::routes().merge(super::with_security_headers(secure::routes()))
}
