//! Lesson `api`, the secure twin of `insecure.rs`: the same profile under
//! `/lab/secure/profile`, updated only by a body that passes every check, in
//! this order, each with its own status and a JSON answer that says what to
//! fix:
//!
//! 1. `Content-Type` must be `application/json`: else 415.
//! 2. The body is at most [`MAX_BODY`] bytes: else 413, naming the limit.
//! 3. It must be JSON: else 400, saying where it broke.
//! 4. It must be an object of known fields, each of its type and within its
//!    limits ([`FIELDS`]): else 422 listing every field refused and why.
//!    Fields a client may not set (`is_admin`, `username`) are refused like
//!    any unknown field.
//!
//! Nothing changes unless every field passes.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::{SECURE_REFUSES_ADMIN, Twin, shown};
use crate::AppState;
use crate::progress::LOCAL_LEARNER;

/// The profile's route.
pub(in crate::lab::api) const PROFILE: &str = "/lab/secure/profile";

/// The largest body read, in bytes.
pub(in crate::lab::api) const MAX_BODY: usize = 4096;

/// A field a client may set, and its rule.
struct Field {
    name: &'static str,
    kind: Kind,
    rule: &'static str,
}

/// What a field holds.
enum Kind {
    /// Text of `min..=max` characters, without control characters.
    Text { min: usize, max: usize },
    /// An e-mail address of at most 254 characters.
    Email,
    /// `true` or `false`.
    Boolean,
}

/// Every field a client may set.
const FIELDS: [Field; 4] = [
    Field {
        name: "display_name",
        kind: Kind::Text { min: 1, max: 50 },
        rule: "text of 1 to 50 characters, no control characters",
    },
    Field {
        name: "email",
        kind: Kind::Email,
        rule: "an e-mail address (name@domain.tld), at most 254 characters",
    },
    Field {
        name: "bio",
        kind: Kind::Text { min: 0, max: 280 },
        rule: "text of at most 280 characters, no control characters except new lines",
    },
    Field {
        name: "newsletter",
        kind: Kind::Boolean,
        rule: "true or false",
    },
];

/// The secure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PROFILE, get(profile).post(update))
}

/// The profile, and the powers it grants.
async fn profile(State(state): State<AppState>) -> Json<Value> {
    Json(shown(
        state.labs.api.profiles.get(LOCAL_LEARNER, Twin::Secure),
    ))
}

/// One field refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    field: String,
    problem: String,
}

/// Why a body was refused.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// 415.
    NotJson(String),
    /// 413.
    TooLarge,
    /// 400.
    Malformed {
        error: String,
        line: usize,
        column: usize,
    },
    /// 422.
    Invalid(Vec<Problem>),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Self::NotJson(received) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({
                    "error": format!("send the profile as JSON with Content-Type: application/json (received Content-Type: {received})"),
                    "expected": "application/json",
                    "received": received,
                }),
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({
                    "error": format!("the body is larger than this endpoint reads: at most {MAX_BODY} bytes"),
                    "limit": MAX_BODY,
                }),
            ),
            Self::Malformed {
                error,
                line,
                column,
            } => (
                StatusCode::BAD_REQUEST,
                json!({
                    "error": format!("the body is not valid JSON: {error}"),
                    "line": line,
                    "column": column,
                }),
            ),
            Self::Invalid(problems) => {
                let refused: Vec<Value> = problems
                    .iter()
                    .map(|problem| json!({"field": problem.field, "problem": problem.problem}))
                    .collect();
                let rules: Map<String, Value> = FIELDS
                    .iter()
                    .map(|field| (field.name.to_owned(), Value::from(field.rule)))
                    .collect();
                let count = problems.len();
                let error = format!(
                    "{count} field{} refused, nothing was changed: {}",
                    if count == 1 { "" } else { "s" },
                    problems
                        .iter()
                        .map(|problem| format!("{} {}", problem.field, problem.problem))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({ "error": error, "problems": refused, "fields": rules }),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

/// Updates the profile from a body that passes every check.
async fn update(State(state): State<AppState>, request: Request) -> Response {
    let fields = match read(request).await.and_then(|body| check(&body)) {
        Ok(fields) => fields,
        Err(refusal) => {
            let profiles = &state.labs.api.profiles;
            if let Refusal::Invalid(problems) = &refusal
                && problems.iter().any(|problem| problem.field == "is_admin")
                && profiles.was_admin_stuck(LOCAL_LEARNER)
            {
                state.solved(SECURE_REFUSES_ADMIN).await;
            }
            return refusal.into_response();
        }
    };
    let updated = state
        .labs
        .api
        .profiles
        .update::<()>(LOCAL_LEARNER, Twin::Secure, |profile| {
            profile.extend(fields);
            Ok(())
        })
        .unwrap_or_default();
    Json(shown(updated)).into_response()
}

/// The body, if it is declared JSON and small enough.
async fn read(request: Request) -> Result<Vec<u8>, Refusal> {
    let headers = request.headers();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let essence = content_type
        .as_deref()
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase());
    if essence.as_deref() != Some("application/json") {
        return Err(Refusal::NotJson(
            content_type.unwrap_or_else(|| "none".to_owned()),
        ));
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY as u64) {
        return Err(Refusal::TooLarge);
    }
    let body: Body = request.into_body();
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .map(|bytes| bytes.to_vec())
        .map_err(|_| Refusal::TooLarge)
}

/// The fields of `body`, if it is a JSON object whose every field passes.
fn check(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    let value: Value = serde_json::from_slice(body).map_err(|error| Refusal::Malformed {
        error: error.to_string(),
        line: error.line(),
        column: error.column(),
    })?;
    let Value::Object(object) = value else {
        return Err(Refusal::Invalid(vec![Problem {
            field: "(body)".to_owned(),
            problem: format!("must be a JSON object of fields, not {}", kind_of(&value)),
        }]));
    };
    let mut problems = Vec::new();
    for (name, value) in &object {
        let Some(field) = FIELDS.iter().find(|field| field.name == name) else {
            problems.push(Problem {
                field: name.clone(),
                problem: format!(
                    "is not a field you can set (you can set: {})",
                    FIELDS
                        .iter()
                        .map(|field| field.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            continue;
        };
        if let Some(problem) = field_problem(field, value) {
            problems.push(Problem {
                field: name.clone(),
                problem: format!("{problem}: expected {}", field.rule),
            });
        }
    }
    if object.is_empty() {
        problems.push(Problem {
            field: "(body)".to_owned(),
            problem: "holds no field: send at least one to change".to_owned(),
        });
    }
    if problems.is_empty() {
        Ok(object)
    } else {
        Err(Refusal::Invalid(problems))
    }
}

/// What is wrong with `value` as `field`, if anything.
fn field_problem(field: &Field, value: &Value) -> Option<String> {
    match (&field.kind, value) {
        (Kind::Boolean, Value::Bool(_)) => None,
        (Kind::Text { min, max }, Value::String(text)) => {
            let length = text.chars().count();
            let newlines_allowed = field.name == "bio";
            if length < *min || length > *max {
                Some(format!("is {length} characters long"))
            } else if text
                .chars()
                .any(|c| c.is_control() && !(newlines_allowed && c == '\n'))
            {
                Some("holds a control character".to_owned())
            } else {
                None
            }
        }
        (Kind::Email, Value::String(text)) => {
            let shaped = text.len() <= 254
                && text.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains('@')
                })
                && !text.chars().any(|c| c.is_whitespace() || c.is_control());
            (!shaped).then(|| format!("{:?} is not an e-mail address", shorten(text)))
        }
        (_, other) => Some(format!("is {}", kind_of(other))),
    }
}

/// `text`, cut to 60 characters for an error message.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// What kind of JSON value `value` is, in words.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(body: &str) -> Vec<String> {
        match check(body.as_bytes()) {
            Err(Refusal::Invalid(problems)) => {
                problems.into_iter().map(|problem| problem.field).collect()
            }
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn good_fields_pass() {
        let fields = check(br#"{"display_name": "Sam", "email": "sam@lab.example", "bio": "a\nb", "newsletter": true}"#)
            .expect("valid");
        assert_eq!(fields.len(), 4);
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(
            problems(r#"{"display_name": 42, "is_admin": true, "email": "nope", "bio": "ok"}"#),
            ["display_name", "email", "is_admin"]
        );
        assert_eq!(
            problems(&format!(r#"{{"display_name": "{}"}}"#, "x".repeat(51))),
            ["display_name"]
        );
        assert_eq!(problems(r#"{"display_name": ""}"#), ["display_name"]);
        assert_eq!(
            problems(r#"{"display_name": "a\u0000b"}"#),
            ["display_name"]
        );
        assert_eq!(problems(r#"{"newsletter": "yes"}"#), ["newsletter"]);
        assert_eq!(problems(r#"{"username": "admin"}"#), ["username"]);
        assert_eq!(problems("[]"), ["(body)"]);
        assert_eq!(problems("{}"), ["(body)"]);
        assert_eq!(problems(r#"{"email": "a@b@c.d"}"#), ["email"]);
    }

    #[test]
    fn malformed_json_says_where() {
        match check(b"{\n  \"bio\": \"x\",\n}") {
            Err(Refusal::Malformed { line, .. }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
    }
}
