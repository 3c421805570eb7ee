//! Lesson `api`, "API security": cross-origin reads (see [`cors`]).

mod cors;

use axum::Router;
use safelab_protocol::Twin;

use super::{Endpoint, LessonLab};
use crate::AppState;
use crate::progress::Exercise;

/// The lesson's id.
const LESSON: &str = "api";

/// The insecure portal handed the record, with the visitor's cookie, to a
/// request from another origin, and told the browser that origin may read it.
const CORS_REFLECT: Exercise = Exercise {
    lesson: LESSON,
    id: "cors-reflect",
};
/// The secure portal refused a signed-in request from another origin.
const CORS_ALLOWLIST: Exercise = Exercise {
    lesson: LESSON,
    id: "cors-allowlist",
};

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[
        Endpoint {
            method: "GET",
            path: cors::INSECURE_PORTAL,
            twin: Some(Twin::Insecure),
            summary: "a clinic portal page that signs you in as the demo patient with a cookie",
        },
        Endpoint {
            method: "GET",
            path: cors::INSECURE_ME,
            twin: Some(Twin::Insecure),
            summary: "the signed-in patient's record; repeats any Origin as allowed, with credentials",
        },
        Endpoint {
            method: "GET",
            path: cors::SECURE_PORTAL,
            twin: Some(Twin::Secure),
            summary: "the same portal page; its cookie is HttpOnly and SameSite=Strict",
        },
        Endpoint {
            method: "GET",
            path: cors::SECURE_ME,
            twin: Some(Twin::Secure),
            summary: "the same record for the portal's own origins only: another Origin gets a 403",
        },
    ],
    exercises: &[CORS_REFLECT, CORS_ALLOWLIST],
    routes,
    reset: super::nothing_to_restore,
};

/// The lesson's routes on the lab listeners.
fn routes() -> Router<AppState> {
    cors::routes()
}

/// The lesson's pages on the attacker listener.
pub fn attacker_pages() -> Router<AppState> {
    cors::attacker_pages()
}
