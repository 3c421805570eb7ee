//! Lesson `api`, the secure twin of `insecure.rs`: the same lab results
//! under `/lab/secure/records`, served only to their owner.
//!
//! - Every request carries the caller's API key (`Authorization: Bearer
//!   …`); without a valid one the answer is 401 and nothing else.
//! - The list holds the caller's own records only, whatever the query says.
//! - Ids are 128-bit and random-looking ([`Record::secret_id`]): knowing one
//!   says nothing about another, and there is no next id to try.
//! - Another person's record is answered exactly like a record that does not
//!   exist, 404, so the answer does not even confirm that it exists.
//! - A record is minimised to what the app shows ([`MINIMAL`]); `fields=`
//!   may ask for more from an allowlist ([`SHAREABLE`]), never for the
//!   confidential fields.
//! - Each account may make [`LIMIT`] requests per [`WINDOW`], and every
//!   answer says how many are left.

use std::time::{Duration, Instant};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::{CONFIDENTIAL, MINIMAL, RATE_LIMITED, Record, SHAREABLE};
use crate::AppState;
use crate::lab::api::ratelimit::Decision;

/// The list's route.
pub(in crate::lab::api) const LIST: &str = "/lab/secure/records";
/// One record's route.
pub(in crate::lab::api) const RECORD: &str = "/lab/secure/records/{id}";

/// How many requests an account may make per window.
pub(in crate::lab::api) const LIMIT: u32 = 10;
/// The window of the rate limit.
pub(in crate::lab::api) const WINDOW: Duration = Duration::from_secs(60);

/// The secure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(LIST, get(list))
        .route(RECORD, get(record))
}

/// Why a request was refused before its record was looked up.
enum Refusal {
    /// No usable API key: 401.
    Unauthenticated(&'static str, &'static str),
    /// Over the rate limit: 429.
    Limited(Decision),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthenticated(challenge, error) => (
                StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                )],
                Json(json!({ "error": error })),
            )
                .into_response(),
            Self::Limited(decision) => decision.refusal(),
        }
    }
}

/// The caller's account, counted against its rate limit.
async fn caller(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(&'static str, Decision), Refusal> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, key) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        });
    let Some(key) = key else {
        return Err(Refusal::Unauthenticated(
            "Bearer realm=\"lab results\"",
            "send your API key: Authorization: Bearer <your key>",
        ));
    };
    let Some(account) = state.labs.api.records.account(key) else {
        return Err(Refusal::Unauthenticated(
            "Bearer realm=\"lab results\", error=\"invalid_token\"",
            "this API key is not valid: check it, or ask for a new one",
        ));
    };
    let decision = state
        .labs
        .api
        .records
        .limiter
        .check(account, Instant::now());
    if !decision.allowed {
        state.solved(RATE_LIMITED).await;
        return Err(Refusal::Limited(decision));
    }
    Ok((account, decision))
}

/// The caller's own records.
async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (account, decision) = match caller(&state, &headers).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let records: Vec<Value> = Record::owned_by(account)
        .map(|record| {
            json!({
                "id": record.secret_id(),
                "visit": record.field("visit"),
                "test": record.field("test"),
            })
        })
        .collect();
    (
        decision.headers(),
        Json(json!({ "user": account, "records": records })),
    )
        .into_response()
}

/// One of the caller's records, minimised.
async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (account, decision) = match caller(&state, &headers).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let fields = match chosen_fields(query.as_deref().unwrap_or_default()) {
        Ok(fields) => fields,
        Err(error) => {
            return (StatusCode::BAD_REQUEST, decision.headers(), Json(error)).into_response();
        }
    };
    let Some(record) = Record::by_secret_id(&id).filter(|record| record.owner == account) else {
        // The same answer for a record that is someone else's and one that
        // does not exist: a 403 would confirm that it exists.
        let error = format!("you have no record {id}: GET {LIST} lists yours");
        return (
            StatusCode::NOT_FOUND,
            decision.headers(),
            Json(json!({ "error": error })),
        )
            .into_response();
    };
    let full = record.full(Value::String(record.secret_id()));
    let minimised: Map<String, Value> = fields
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), full.get(*name)?.clone())))
        .collect();
    (decision.headers(), Json(minimised)).into_response()
}

/// The fields `query` asks for (`fields=test,result,unit`), each on the
/// allowlist; [`MINIMAL`] when it names none. On a mistake, the error.
fn chosen_fields(query: &str) -> Result<Vec<&'static str>, Value> {
    let mut fields = None;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name != "fields" || fields.is_some() {
            return Err(json!({
                "error": format!("unexpected parameter {name:?}: this endpoint takes one fields= at most"),
            }));
        }
        let mut chosen = Vec::new();
        for item in value.split(',').map(str::trim) {
            let Some(&field) = SHAREABLE.iter().find(|field| **field == item) else {
                let why = if CONFIDENTIAL.contains(&item) {
                    format!("{item:?} is confidential: this API never serves it")
                } else {
                    format!("there is no field {item:?}")
                };
                return Err(json!({
                    "error": format!("{why}; fields= takes some of {}", SHAREABLE.join(", ")),
                    "allowed": SHAREABLE,
                }));
            };
            if !chosen.contains(&field) {
                chosen.push(field);
            }
        }
        fields = Some(chosen);
    }
    Ok(fields.unwrap_or_else(|| MINIMAL.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_from_the_allowlist_only() {
        assert_eq!(chosen_fields(""), Ok(MINIMAL.to_vec()));
        assert_eq!(
            chosen_fields("fields=test%2Cunit,test"),
            Ok(vec!["test", "unit"])
        );
        for refused in [
            "fields=national_id",
            "fields=test,clinician_note",
            "fields=*",
            "fields=",
            "fields=test&fields=unit",
            "user=ana",
        ] {
            assert!(chosen_fields(refused).is_err(), "{refused}");
        }
    }
}
