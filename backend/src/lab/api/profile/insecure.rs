//! INSECURE BY DESIGN, for lesson `api` ("API security"); its secure twin is
//! `secure.rs` beside this file, under `/lab/secure/profile`.
//!
//! The profile update as a hurried app writes it in one line
//! (`profile.update(request.json)`): the body is read as JSON whatever its
//! `Content-Type` says, and every key of the object is stored as it came. A
//! number where a name goes, a 60,000-character "name" (anything up to the
//! lab's 64 KiB body limit) and fields the form never had, `is_admin`
//! included, all stick. Body that is not a JSON object crashes the handler
//! into a bare 500.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use safelab_protocol::Twin;
use serde_json::Value;

use super::{MASS_ASSIGNMENT, shown, truthy};
use crate::AppState;
use crate::progress::LOCAL_LEARNER;

/// The profile's route.
pub(in crate::lab::api) const PROFILE: &str = "/lab/insecure/profile";

/// The most fields a profile can hold, so that repeated posts cannot grow it
/// without end: the imaginary database row is full beyond.
const MAX_FIELDS: usize = 64;

/// The insecure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PROFILE, get(profile).post(update))
}

/// The profile, and the powers it grants.
async fn profile(State(state): State<AppState>) -> Json<Value> {
    Json(shown(
        state.labs.api.profiles.get(LOCAL_LEARNER, Twin::Insecure),
    ))
}

/// Merges the body's object into the profile, whatever it holds.
async fn update(State(state): State<AppState>, body: Bytes) -> Response {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return crash();
    };
    let profiles = &state.labs.api.profiles;
    let updated = profiles.update(LOCAL_LEARNER, Twin::Insecure, |profile| {
        profile.extend(fields);
        if profile.len() > MAX_FIELDS {
            return Err(());
        }
        Ok(())
    });
    let Ok(profile) = updated else {
        return crash();
    };
    if truthy(profile.get("is_admin")) {
        profiles.admin_stuck(LOCAL_LEARNER);
        state.solved(MASS_ASSIGNMENT).await;
    }
    Json(shown(profile)).into_response()
}

/// What the imaginary app answers when its one line throws.
fn crash() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "500 Internal Server Error",
    )
        .into_response()
}
