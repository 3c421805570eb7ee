//! Lesson `api`, "API security": one module per topic, each with an insecure
//! twin and its secure twin under `/lab/insecure/…` and `/lab/secure/…`.
//!
//! - [`records`]: lab results behind a public URL. Sequential ids, no
//!   authentication and the whole record, against an API key, the caller's
//!   own records only, unguessable ids, minimised fields and a rate limit.
//! - [`profile`]: a JSON `POST` that merges whatever arrives (mass
//!   assignment), against one that validates content type, size, syntax and
//!   schema, and says what was wrong.
//! - [`preview`]: "preview this URL", server-side request forgery through a
//!   naive allowlist, against one that parses once and checks where the
//!   request really goes. Both fetch from a fake network inside the program,
//!   never from a real one.
//! - [`cors`]: a clinic portal whose record a stranger's page on another
//!   origin reads where the portal reflects any `Origin` with credentials,
//!   and is refused where only the answering listener's exact origin is
//!   allowed.
//! - [`ratelimit`]: the fixed-window limit the secure records twin applies
//!   (per account, and to wrong keys), and the `RateLimit-*` headers it
//!   sends.
//!
//! Every refusal of every topic is a [`LabError`]: a status and a JSON body
//! whose `error` says what to do next.
//!
//! A topic is one module with its routes, its exercises and its state
//! ([`ApiLab`] holds each topic's, in memory, restored by the lesson's reset).
//! A new topic adds its module, its endpoints and exercises to [`LAB`], its
//! routes to [`routes`] and its state, if any, to [`ApiLab`].

mod cors;
mod preview;
mod profile;
mod ratelimit;
mod records;

use axum::Router;
use safelab_protocol::Twin;

pub(super) use super::error::LabError;
use super::{Endpoint, LessonLab, lock};
use crate::AppState;

/// The lesson's id.
const LESSON: &str = "api";

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[
        Endpoint {
            method: "GET",
            path: records::insecure::LIST,
            twin: Some(Twin::Insecure),
            summary: "the lab results of the user named by ?user=, whoever asks: no authentication",
        },
        Endpoint {
            method: "GET",
            path: records::insecure::RECORD,
            twin: Some(Twin::Insecure),
            summary: "one lab result by its sequential id (1, 2, 3…), with no authentication and every field, the confidential ones included; never rate-limited",
        },
        Endpoint {
            method: "GET",
            path: records::secure::LIST,
            twin: Some(Twin::Secure),
            summary: "the caller's own lab results (Authorization: Bearer <API key>, over HTTPS only), by unguessable ids; rate-limited per key, wrong keys in a bucket of their own",
        },
        Endpoint {
            method: "GET",
            path: records::secure::RECORD,
            twin: Some(Twin::Secure),
            summary: "one of the caller's own lab results (API key over HTTPS only), minimised to the fields asked for from an allowlist (?fields=); the same 404 for anyone else's as for none; rate-limited per key",
        },
        Endpoint {
            method: "GET",
            path: profile::insecure::PROFILE,
            twin: Some(Twin::Insecure),
            summary: "the account's profile and the powers it grants",
        },
        Endpoint {
            method: "POST",
            path: profile::insecure::PROFILE,
            twin: Some(Twin::Insecure),
            summary: "merges whatever JSON arrives into the profile: any type, any size, any field (is_admin too)",
        },
        Endpoint {
            method: "GET",
            path: profile::secure::PROFILE,
            twin: Some(Twin::Secure),
            summary: "the account's profile and the powers it grants",
        },
        Endpoint {
            method: "POST",
            path: profile::secure::PROFILE,
            twin: Some(Twin::Secure),
            summary: "updates the profile from JSON checked against its schema: 415 not JSON, 413 too large, 400 malformed or cut short, 422 naming every field refused and why (duplicate keys and invisible format characters too)",
        },
        Endpoint {
            method: "GET",
            path: preview::insecure::PREVIEW,
            twin: Some(Twin::Insecure),
            summary: "fetches ?url= from the lab's fake network and previews it, after a string check that userinfo, encoded addresses and redirects get past",
        },
        Endpoint {
            method: "GET",
            path: preview::secure::PREVIEW,
            twin: Some(Twin::Secure),
            summary: "the same preview, the URL parsed once and its resolved destination checked at every redirect: only globally routable addresses (IPv4 inside IPv6 judged too), others refused with a 403 saying why",
        },
        Endpoint {
            method: "GET",
            path: cors::insecure::PORTAL,
            twin: Some(Twin::Insecure),
            summary: "a clinic portal page that signs you in as the demo patient with a cookie",
        },
        Endpoint {
            method: "GET",
            path: cors::insecure::ME,
            twin: Some(Twin::Insecure),
            summary: "the signed-in patient's record; repeats any Origin as allowed, with credentials",
        },
        Endpoint {
            method: "GET",
            path: cors::secure::PORTAL,
            twin: Some(Twin::Secure),
            summary: "the same portal page; its cookie is HttpOnly and SameSite=Strict",
        },
        Endpoint {
            method: "GET",
            path: cors::secure::ME,
            twin: Some(Twin::Secure),
            summary: "the same record for the exact origin of the listener answering only: another Origin gets a 403",
        },
    ],
    exercises: &[
        records::ENUMERATE,
        records::OVER_SHARING,
        records::RATE_LIMITED,
        profile::MASS_ASSIGNMENT,
        profile::SECURE_REFUSES_ADMIN,
        preview::SSRF_METADATA,
        preview::SECURE_REFUSES_SSRF,
        cors::REFLECT,
        cors::ALLOWLIST,
    ],
    routes,
    reset,
    examples: &[],
};

/// The lesson's routes: every topic's twins, merged in this one place.
fn routes() -> Router<AppState> {
    Router::new()
        .merge(records::routes())
        .merge(profile::routes())
        .merge(preview::routes())
        .merge(cors::routes())
}

/// The lesson's pages on the attacker listener (a stranger's site).
pub fn attacker_pages() -> Router<AppState> {
    cors::attacker_pages()
}

/// The lesson's own state, one field per topic. Lives in memory: a restart
/// or the lesson's reset starts every topic afresh.
#[derive(Debug)]
pub struct ApiLab {
    records: records::RecordsState,
    profiles: profile::Profiles,
    preview: preview::Reached,
    /// The portal's session cookie: random for each run.
    cors_session: String,
}

impl ApiLab {
    /// A fresh lab: nothing seen, default profiles, new API keys and a new
    /// portal session.
    pub fn new() -> Result<Self, crate::StartError> {
        Ok(Self {
            records: records::RecordsState::new(),
            profiles: profile::Profiles::default(),
            preview: preview::Reached::default(),
            cors_session: super::random_token()?,
        })
    }
}

/// Restores every topic's state after the lesson's progress was reset.
fn reset(state: &AppState) {
    let lab = &state.labs.api;
    lab.records.reset();
    lab.profiles.reset();
    lab.preview.reset();
}
