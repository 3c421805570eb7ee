//! Lesson `api`, the secure twin of `insecure.rs`: the same profile under
//! `/lab/secure/profile`, updated only by a body that passes every check, in
//! this order, each with its own status and a JSON answer that says what to
//! fix:
//!
//! 1. `Content-Type` must be `application/json`: else 415.
//! 2. The body is at most [`MAX_BODY`] bytes: else 413, naming the limit. A
//!    body that cannot be read to its end (the client went away, or sent
//!    less than it announced) is a 400 that says so, not a 413.
//! 3. It must be JSON: else 400, saying where it broke.
//! 4. It must be an object of known fields, each once, each of its type and
//!    within its limits ([`FIELDS`]): else 422 listing every field refused
//!    and why. Fields a client may not set (`is_admin`, `username`) are
//!    refused like any unknown field; a key sent twice is refused rather
//!    than one of its values picked (parsers disagree on which); text holds
//!    no control character and no invisible format character (Unicode's
//!    category Cf: U+202E that reverses text, zero-width spaces and joiners).
//!
//! Nothing changes unless every field passes.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use safelab_protocol::Twin;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use tokio_stream::StreamExt as _;

use super::{SECURE_REFUSES_ADMIN, shown};
use crate::AppState;
use crate::lab::api::LabError;
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
        rule: "text of 1 to 50 characters, no control or invisible format characters",
    },
    Field {
        name: "email",
        kind: Kind::Email,
        rule: "an e-mail address (name@domain.tld), at most 254 characters",
    },
    Field {
        name: "bio",
        kind: Kind::Text { min: 0, max: 280 },
        rule: "text of at most 280 characters, no control characters except new lines, no invisible format characters",
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
    /// 415, with the `Content-Type` received.
    NotJson(String),
    /// 413.
    TooLarge,
    /// 400: the body could not be read to its end.
    Unreadable(String),
    /// 400.
    Malformed {
        error: String,
        line: usize,
        column: usize,
    },
    /// 422.
    Invalid(Vec<Problem>),
}

impl Refusal {
    /// Whether the refusal names `is_admin` among the fields refused.
    fn names_is_admin(&self) -> bool {
        matches!(self, Self::Invalid(problems) if problems.iter().any(|problem| problem.field == "is_admin"))
    }
}

impl From<Refusal> for LabError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotJson(received) => LabError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("send the profile as JSON with Content-Type: application/json (received Content-Type: {received})"),
            )
            .with("expected", "application/json")
            .with("received", received),
            Refusal::TooLarge => LabError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than this endpoint reads: at most {MAX_BODY} bytes"),
            )
            .with("limit", MAX_BODY),
            Refusal::Unreadable(error) => LabError::new(
                StatusCode::BAD_REQUEST,
                format!("the body could not be read to its end ({error}): the connection broke, or sent less than its Content-Length announced; send it again"),
            ),
            Refusal::Malformed {
                error,
                line,
                column,
            } => LabError::new(
                StatusCode::BAD_REQUEST,
                format!("the body is not valid JSON: {error}"),
            )
            .with("line", line)
            .with("column", column),
            Refusal::Invalid(problems) => {
                let refused: Vec<Value> = problems
                    .iter()
                    .map(|problem| serde_json::json!({"field": problem.field, "problem": problem.problem}))
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
                LabError::new(StatusCode::UNPROCESSABLE_ENTITY, error)
                    .with("problems", refused)
                    .with("fields", rules)
            }
        }
    }
}

/// Updates the profile from a body that passes every check.
async fn update(State(state): State<AppState>, request: Request) -> Response {
    let declared = declared_json(request.headers());
    let body = if declared_too_large(request.headers()) {
        Err(Refusal::TooLarge)
    } else {
        read(request.into_body()).await
    };
    let checked = match (declared, body) {
        (Err(received), body) => {
            // Refused for its type, but a learner who sent the insecure
            // twin's form or JSON with is_admin in it tried the same attack.
            if body.as_deref().is_ok_and(carries_is_admin) {
                admin_refused(&state).await;
            }
            Err(Refusal::NotJson(received))
        }
        (Ok(()), Err(refusal)) => Err(refusal),
        (Ok(()), Ok(body)) => check(&body),
    };
    let fields = match checked {
        Ok(fields) => fields,
        Err(refusal) => {
            if refusal.names_is_admin() {
                admin_refused(&state).await;
            }
            return LabError::from(refusal).into_response();
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

/// The secure twin refused an `is_admin`: solved once it had stuck on the
/// insecure twin.
async fn admin_refused(state: &AppState) {
    if state.labs.api.profiles.was_admin_stuck(LOCAL_LEARNER) {
        state.solved(SECURE_REFUSES_ADMIN).await;
    }
}

/// `Ok` if the request declares a JSON body; else the `Content-Type` it
/// declared, or "none".
fn declared_json(headers: &HeaderMap) -> Result<(), String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let essence = content_type
        .as_deref()
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase());
    if essence.as_deref() == Some("application/json") {
        Ok(())
    } else {
        Err(content_type.unwrap_or_else(|| "none".to_owned()))
    }
}

/// Whether the request announces a body larger than [`MAX_BODY`].
fn declared_too_large(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
        .is_some_and(|length| length > MAX_BODY as u64)
}

/// The body, read to its end if it is at most [`MAX_BODY`] bytes.
async fn read(body: Body) -> Result<Vec<u8>, Refusal> {
    let mut chunks = body.into_data_stream();
    let mut read = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|error| Refusal::Unreadable(error.to_string()))?;
        if read.len() + chunk.len() > MAX_BODY {
            return Err(Refusal::TooLarge);
        }
        read.extend_from_slice(&chunk);
    }
    Ok(read)
}

/// Whether `body`, read as JSON or as a form, is an object with `is_admin`.
fn carries_is_admin(body: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => object.contains_key("is_admin"),
        Ok(_) => false,
        Err(_) => url::form_urlencoded::parse(body).any(|(name, _)| name == "is_admin"),
    }
}

/// The first key that appears twice in one object of `body` (valid JSON),
/// at any depth.
fn duplicate_key(body: &[u8]) -> Option<String> {
    let found = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let _ = Unique(&found).deserialize(&mut deserializer);
    found.into_inner()
}

/// Walks a JSON document and stops at the first key an object repeats,
/// noting it.
#[derive(Clone, Copy)]
struct Unique<'a>(&'a RefCell<Option<String>>);

impl<'de> DeserializeSeed<'de> for Unique<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        while items.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = fields.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                *self.0.borrow_mut() = Some(key);
                return Err(de::Error::custom("duplicate key"));
            }
            fields.next_value_seed(self)?;
        }
        Ok(())
    }
}

/// The fields of `body`, if it is a JSON object whose every field passes.
fn check(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    let value: Value = serde_json::from_slice(body).map_err(|error| Refusal::Malformed {
        error: error.to_string(),
        line: error.line(),
        column: error.column(),
    })?;
    if let Some(key) = duplicate_key(body) {
        return Err(Refusal::Invalid(vec![Problem {
            field: key,
            problem: "appears more than once: send each field once (parsers disagree on which of the values counts)".to_owned(),
        }]));
    }
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
                text.chars()
                    .find(|&c| is_format_character(c))
                    .map(|format| {
                        format!(
                            "holds the invisible format character U+{:04X}",
                            u32::from(format)
                        )
                    })
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
                && !text
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || is_format_character(c));
            (!shaped).then(|| format!("{:?} is not an e-mail address", shorten(text)))
        }
        (_, other) => Some(format!("is {}", kind_of(other))),
    }
}

/// Whether `c` is a format character (Unicode 15's general category Cf):
/// invisible, and able to change how the text around it reads (U+202E
/// reverses it; zero-width spaces and joiners hide inside words).
fn is_format_character(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
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
    fn a_key_sent_twice_is_named_not_guessed_at() {
        assert_eq!(
            problems(r#"{"display_name": "Sam", "is_admin": false, "is_admin": true}"#),
            ["is_admin"]
        );
        assert_eq!(problems(r#"{"bio": "x", "bio": "y"}"#), ["bio"]);
        assert_eq!(
            duplicate_key(br#"{"a": [{"b": 1, "b": 2}]}"#),
            Some("b".to_owned())
        );
        assert_eq!(duplicate_key(br#"{"a": {"b": 1}, "b": [1, 1]}"#), None);
    }

    #[test]
    fn invisible_format_characters_are_refused_in_text() {
        for text in [
            "evil\u{202E}gnp.exe",
            "a\u{200B}b",
            "a\u{200D}b",
            "\u{FEFF}Sam",
            "x\u{E0041}",
        ] {
            let body = serde_json::json!({ "display_name": text, "bio": text }).to_string();
            assert_eq!(problems(&body), ["bio", "display_name"], "{text:?}");
        }
        assert!(
            check("{\"display_name\": \"Zo\u{eb} \u{4e2d}\u{6587} \u{1F600}\"}".as_bytes()).is_ok()
        );
        assert!(!is_format_character('\u{2065}'));
        assert!(is_format_character('\u{00AD}'));
    }

    #[test]
    fn the_is_admin_attack_is_recognised_in_json_and_in_a_form() {
        assert!(carries_is_admin(br#"{"is_admin": true}"#));
        assert!(carries_is_admin(b"display_name=Sam&is_admin=True"));
        assert!(!carries_is_admin(br#"{"bio": "is_admin"}"#));
        assert!(!carries_is_admin(b"display_name=is_admin"));
        assert!(!carries_is_admin(br#"[{"is_admin": true}]"#));
    }

    #[tokio::test]
    async fn a_body_cut_short_is_not_too_large() {
        let broken = Body::from_stream(tokio_stream::iter([
            Ok(axum::body::Bytes::from_static(b"{\"bio\"")),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "gone",
            )),
        ]));
        assert!(matches!(read(broken).await, Err(Refusal::Unreadable(_))));
        let large = Body::from(vec![b' '; MAX_BODY + 1]);
        assert_eq!(read(large).await, Err(Refusal::TooLarge));
        let fits = Body::from(vec![b' '; MAX_BODY]);
        assert_eq!(read(fits).await.map(|body| body.len()), Ok(MAX_BODY));
    }

    #[test]
    fn malformed_json_says_where() {
        match check(b"{\n  \"bio\": \"x\",\n}") {
            Err(Refusal::Malformed { line, .. }) => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
    }
}
