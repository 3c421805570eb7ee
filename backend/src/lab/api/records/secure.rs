//! Lesson `api`, the secure twin of `insecure.rs`: the same lab results
//! under `/lab/secure/records`, served only to their owner.
//!
//! - Every request carries the caller's API key (`Authorization: Bearer
//!   …`), over HTTPS: without a valid one the answer is 401 and nothing
//!   else, and a key sent over plain HTTP is refused (403) with the HTTPS
//!   URL to use instead.
//! - Wrong keys are counted in a bucket of their own ([`FAILED_LIMIT`] per
//!   [`WINDOW`]): past it, every request with a key gets a 429, so keys
//!   cannot be guessed at speed.
//! - The list holds the caller's own records only, whatever the query says.
//! - Ids are 128-bit and random-looking ([`Record::secret_id`]): knowing one
//!   says nothing about another, and there is no next id to try.
//! - A record is looked up among the caller's own only: another person's
//!   record is answered exactly like a record that does not exist, 404,
//!   word for word, so the answer does not even confirm that it exists.
//! - A record is minimised to what the app shows ([`MINIMAL`]); `fields=`
//!   may ask for more from an allowlist ([`SHAREABLE`]), never for the
//!   confidential fields.
//! - Each account may make [`LIMIT`] requests per [`WINDOW`], and every
//!   answer says how many are left.

use std::time::{Duration, Instant};

use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use safelab_protocol::ListenerId;
use serde_json::{Map, Value, json};

use super::{CONFIDENTIAL, MINIMAL, RATE_LIMITED, Record, SHAREABLE};
use crate::AppState;
use crate::lab::Client;
use crate::lab::api::LabError;
use crate::lab::api::ratelimit::Decision;

/// The list's route.
pub(in crate::lab::api) const LIST: &str = "/lab/secure/records";
/// One record's route.
pub(in crate::lab::api) const RECORD: &str = "/lab/secure/records/{id}";

/// How many requests an account may make per window.
pub(in crate::lab::api) const LIMIT: u32 = 10;
/// The window of the rate limit.
pub(in crate::lab::api) const WINDOW: Duration = Duration::from_secs(60);
/// How many requests with a wrong API key one client gets answered per
/// window: past it, every request of that client that carries a key gets a
/// 429 until the window closes, so guessing keys is as slow as this allows.
/// Failures are counted per client address (on the lab's loopback listeners
/// every learner shares one).
pub(in crate::lab::api) const FAILED_LIMIT: u32 = 5;

/// The secure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(LIST, get(list))
        .route(RECORD, get(record))
}

/// A 401 with its `WWW-Authenticate` challenge.
fn unauthenticated(challenge: &'static str, error: &str) -> LabError {
    LabError::new(StatusCode::UNAUTHORIZED, error).with_header(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    )
}

/// The caller's account, counted against its rate limit. A key is taken
/// over HTTPS only, and a wrong key counts against the bucket of failed
/// authentications.
async fn caller(
    state: &AppState,
    client: Client,
    listener: ListenerId,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(&'static str, Decision), LabError> {
    let authorization = headers.get(header::AUTHORIZATION);
    if authorization.is_some() && listener != ListenerId::Https {
        let https = state
            .lab
            .listener(ListenerId::Https)
            .map_or_else(String::new, |listener| listener.url.clone());
        let target = format!("{https}{uri}");
        return Err(LabError::new(
            StatusCode::FORBIDDEN,
            format!(
                "API keys are taken over HTTPS only: this request came over plain HTTP, where anyone on the way reads the key. Send it to {target} (a real API would also revoke a key that travelled in the clear)"
            ),
        )
        .with("https", target));
    }
    let key = authorization
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, key) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        });
    let Some(key) = key else {
        return Err(unauthenticated(
            "Bearer realm=\"lab results\"",
            "send your API key: Authorization: Bearer <your key>",
        ));
    };
    let records = &state.labs.api.records;
    let now = Instant::now();
    let client = client.rate_key().to_string();
    let failures = records.failures.peek(&client, now);
    if !failures.allowed {
        state.solved(RATE_LIMITED).await;
        return Err(failures.refusal("requests with a wrong API key"));
    }
    let Some(account) = records.account(key) else {
        let counted = records.failures.check(&client, now);
        return Err(unauthenticated(
            "Bearer realm=\"lab results\", error=\"invalid_token\"",
            "this API key is not valid: check it, or ask for a new one (wrong keys are rate-limited)",
        )
        .with_headers(counted.headers()));
    };
    let decision = records.limiter.check(account, now);
    if !decision.allowed {
        state.solved(RATE_LIMITED).await;
        return Err(decision.refusal("this API key"));
    }
    Ok((account, decision))
}

/// The caller's own records.
async fn list(
    State(state): State<AppState>,
    client: Client,
    Extension(listener): Extension<ListenerId>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let (account, decision) = match caller(&state, client, listener, &uri, &headers).await {
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
    client: Client,
    Extension(listener): Extension<ListenerId>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (account, decision) = match caller(&state, client, listener, &uri, &headers).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let fields = match chosen_fields(query.as_deref().unwrap_or_default()) {
        Ok(fields) => fields,
        Err(error) => return error.with_headers(decision.headers()).into_response(),
    };
    // Looked up among the caller's own records only: another person's record
    // and one that does not exist take the same path, the same time and get
    // the same answer, word for word (a 403 would confirm that it exists).
    let Some(record) = Record::owned_by(account).find(|record| record.secret_id() == id) else {
        return LabError::new(
            StatusCode::NOT_FOUND,
            format!("no such record among yours: GET {LIST} lists yours"),
        )
        .with_headers(decision.headers())
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
fn chosen_fields(query: &str) -> Result<Vec<&'static str>, LabError> {
    let mut fields = None;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name != "fields" || fields.is_some() {
            return Err(LabError::new(
                StatusCode::BAD_REQUEST,
                format!("unexpected parameter {name:?}: this endpoint takes one fields= at most"),
            ));
        }
        let mut chosen = Vec::new();
        for item in value.split(',').map(str::trim) {
            let Some(&field) = SHAREABLE.iter().find(|field| **field == item) else {
                let why = if CONFIDENTIAL.contains(&item) {
                    format!("{item:?} is confidential: this API never serves it")
                } else {
                    format!("there is no field {item:?}")
                };
                return Err(LabError::new(
                    StatusCode::BAD_REQUEST,
                    format!("{why}; fields= takes some of {}", SHAREABLE.join(", ")),
                )
                .with("allowed", SHAREABLE.to_vec()));
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
        assert_eq!(chosen_fields("").ok(), Some(MINIMAL.to_vec()));
        assert_eq!(
            chosen_fields("fields=test%2Cunit,test").ok(),
            Some(vec!["test", "unit"])
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
