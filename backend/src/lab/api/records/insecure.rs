//! INSECURE BY DESIGN, for lesson `api` ("API security"); its secure twin is
//! `secure.rs` beside this file, under `/lab/secure/records`.
//!
//! The lab results API as a first version would have it: the app's screens
//! ask for `GET /lab/insecure/records?user=sam` and then each result by its
//! id, and the API trusts the app to ask only for the user's own. Nothing is
//! checked: there is no authentication (an `Authorization` header is
//! ignored), ids are sequential so every other id is one guess away, each
//! answer is the whole database row although the app shows two fields, and
//! nothing limits how fast a client asks.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{DEMO_USER, ENUMERATE, ENUMERATION_THRESHOLD, OVER_SHARING, Record};
use crate::AppState;
use crate::lab::api::LabError;
use crate::progress::LOCAL_LEARNER;

/// The list's route.
pub(in crate::lab::api) const LIST: &str = "/lab/insecure/records";
/// One record's route.
pub(in crate::lab::api) const RECORD: &str = "/lab/insecure/records/{id}";

/// The insecure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(LIST, get(list))
        .route(RECORD, get(record))
}

/// The records of the user named in `?user=`, for whoever asks.
async fn list(RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let user = url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "user")
        .map(|(_, value)| value.into_owned());
    let Some(user) = user else {
        return LabError::new(
            StatusCode::BAD_REQUEST,
            "name the user whose results you want: ?user=sam",
        )
        .into_response();
    };
    let records: Vec<Value> = Record::owned_by(&user)
        .map(|record| {
            json!({
                "id": record.number,
                "visit": record.field("visit"),
                "test": record.field("test"),
            })
        })
        .collect();
    if records.is_empty() {
        return LabError::new(StatusCode::NOT_FOUND, format!("no user {user:?}")).into_response();
    }
    Json(json!({ "user": user, "records": records })).into_response()
}

/// Record `id`, every field of it, for whoever asks.
async fn record(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(record) = id.parse().ok().and_then(Record::get) else {
        return LabError::new(StatusCode::NOT_FOUND, format!("no record {id}")).into_response();
    };
    let enumerated = state.labs.api.records.served(LOCAL_LEARNER, &record);
    if enumerated >= ENUMERATION_THRESHOLD {
        state.solved(ENUMERATE).await;
    }
    if record.owner == DEMO_USER {
        state.solved(OVER_SHARING).await;
    }
    Json(record.full(record.number.into())).into_response()
}
