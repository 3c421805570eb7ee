//! Lesson `injection`, the secure twin of `insecure.rs`: the same patient
//! search and staff login under `/lab/secure/…`, with the SQL fixed and the
//! input checked.
//!
//! - The SQL is constant text with `?` placeholders; the input travels
//!   beside it as bound parameters, so the database never reads it as SQL.
//!   A name with a quote (O'Brien) is simply a name.
//! - Each field is validated before any query: decoded strictly, once, of a
//!   bounded length and an expected character class. A refusal is a 400
//!   whose JSON names the field, what was expected and what arrived.
//! - A database failure is a plain 503 that says to retry, never the SQL.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use safelab_protocol::Twin;
use serde_json::{Map, Value, json};

use super::database::{QueryError, Table};
use super::{
    SECURE_HOLDS, injects_login, injects_search, patients, record_login, seed, staff_json,
    unavailable, wrong_login,
};
use crate::AppState;
use crate::percent;
use crate::progress::LOCAL_LEARNER;

/// The patient search's route.
pub(super) const PATIENTS: &str = "/lab/secure/patients";
/// The staff login's route.
pub(super) const LOGIN: &str = "/lab/secure/staff/login";

/// The search's SQL: constant, the name a bound parameter.
const SEARCH_BOUND: &str = "SELECT id, first_name, last_name, birth_year, city FROM patients \
     WHERE last_name = ?1 COLLATE NOCASE ORDER BY last_name, first_name";

/// The login's SQL: the staff member with that username, bound.
const STAFF_BY_USERNAME: &str =
    "SELECT id, username, full_name, role, password_hash FROM staff WHERE username = ?1";

/// The longest surname searched for, in characters.
const MAX_NAME: usize = 50;
/// The longest username, in characters.
const MAX_USERNAME: usize = 32;
/// The longest password, in characters.
const MAX_PASSWORD: usize = 128;
/// The most characters of a refused value shown back.
const MAX_RECEIVED_SHOWN: usize = 100;

/// The secure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PATIENTS, get(search))
        .route(LOGIN, post(login))
}

/// A field the endpoint refuses, and why: a 400 (or the status given)
/// whose JSON names the field, what was expected and what arrived.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    field: String,
    expected: String,
    received: String,
}

impl Refusal {
    fn new(field: &str, expected: &str, received: &str) -> Self {
        let mut shown: String = received.chars().take(MAX_RECEIVED_SHOWN).collect();
        if shown.len() < received.len() {
            shown.push('…');
        }
        Self {
            status: StatusCode::BAD_REQUEST,
            field: field.to_owned(),
            expected: expected.to_owned(),
            received: shown,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let error = format!(
            "field {:?}: expected {}, received {:?}",
            self.field, self.expected, self.received
        );
        (
            self.status,
            axum::Json(json!({
                "error": error,
                "field": self.field,
                "expected": self.expected,
                "received": self.received,
            })),
        )
            .into_response()
    }
}

/// Why a login body could not be read at all.
#[derive(Debug, thiserror::Error)]
enum FormError {
    /// Neither a form nor JSON.
    #[error("send the login as a form (application/x-www-form-urlencoded) or as JSON")]
    UnsupportedType,
    /// JSON that is not an object of strings.
    #[error("the JSON body must be an object of strings: {0}")]
    BadJson(String),
    /// A form with a broken percent-escape or text that is not UTF-8.
    #[error("field {field:?}: expected percent-encoded UTF-8 text")]
    BadEncoding {
        /// The field, as far as it could be read.
        field: String,
    },
}

impl From<FormError> for Refusal {
    fn from(error: FormError) -> Self {
        match error {
            FormError::UnsupportedType => Self {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ..Self::new(
                    "Content-Type",
                    "application/x-www-form-urlencoded or application/json",
                    "",
                )
            },
            FormError::BadJson(error) => Self::new("body", "a JSON object of strings", &error),
            FormError::BadEncoding { field } => Self::new(&field, "percent-encoded UTF-8 text", ""),
        }
    }
}

/// A login's fields, each with every value the body carried (a repeated
/// field has several), decoded strictly.
#[derive(Debug, Default)]
struct LoginForm {
    fields: HashMap<String, Vec<String>>,
}

impl LoginForm {
    /// Reads a body as the `Content-Type` says: JSON of strings, or a form
    /// (no type counts as a form) with every escape valid and UTF-8 text.
    fn read(headers: &HeaderMap, body: &[u8]) -> Result<Self, FormError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut form = Self::default();
        if content_type.starts_with("application/json") {
            let object: Map<String, Value> = serde_json::from_slice(body)
                .map_err(|error| FormError::BadJson(error.to_string()))?;
            for (name, value) in object {
                let Value::String(text) = value else {
                    return Err(FormError::BadJson(format!("{name} is not a string")));
                };
                form.fields.entry(name).or_default().push(text);
            }
            return Ok(form);
        }
        if !(content_type.is_empty()
            || content_type.starts_with("application/x-www-form-urlencoded"))
        {
            return Err(FormError::UnsupportedType);
        }
        let text = std::str::from_utf8(body).map_err(|_| FormError::BadEncoding {
            field: "body".to_owned(),
        })?;
        for piece in text.split('&').filter(|piece| !piece.is_empty()) {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            let decode = |raw: &str| {
                percent::decode_strict(&raw.replace('+', " "))
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| FormError::BadEncoding {
                        field: name.to_owned(),
                    })
            };
            let name = decode(name)?;
            let value = decode(value)?;
            form.fields.entry(name).or_default().push(value);
        }
        Ok(form)
    }
}

/// Why a login could not be checked.
#[derive(Debug, thiserror::Error)]
enum LoginError {
    /// The lab database did not answer the lookup.
    #[error(transparent)]
    Database(#[from] QueryError),
}

const EXPECTED_NAME: &str =
    "a surname of 1 to 50 letters, with spaces, hyphens or apostrophes between them (O'Brien)";
const EXPECTED_USERNAME: &str =
    "a username of 1 to 32 lowercase letters, digits, dots, dashes or underscores";
const EXPECTED_PASSWORD: &str = "a password of 1 to 128 characters, without control characters";

/// A surname: letters, with single spaces, hyphens or apostrophes between
/// them.
fn is_name(text: &str) -> bool {
    let count = text.chars().count();
    let joiner = |c: char| matches!(c, ' ' | '-' | '\'' | '\u{2019}');
    (1..=MAX_NAME).contains(&count)
        && text.starts_with(char::is_alphabetic)
        && text.ends_with(char::is_alphabetic)
        && text.chars().all(|c| c.is_alphabetic() || joiner(c))
        && !text
            .chars()
            .zip(text.chars().skip(1))
            .any(|(a, b)| joiner(a) && joiner(b))
}

fn is_username(text: &str) -> bool {
    (1..=MAX_USERNAME).contains(&text.len())
        && text
            .bytes()
            .all(|byte| matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_'))
}

fn is_password(text: &str) -> bool {
    (1..=MAX_PASSWORD).contains(&text.chars().count()) && !text.chars().any(char::is_control)
}

/// Reads `name` from the query string: strictly decoded, the only
/// parameter, given once.
fn read_name(query: &str) -> Result<String, Refusal> {
    let mut name = None;
    for piece in query.split('&').filter(|piece| !piece.is_empty()) {
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        let decode = |raw: &str| {
            percent::decode_strict(&raw.replace('+', " "))
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
        };
        let Some(key) = decode(key) else {
            return Err(Refusal::new(
                key,
                "a parameter name in percent-encoded UTF-8",
                key,
            ));
        };
        if key != "name" {
            return Err(Refusal::new(&key, "only the parameter name", value));
        }
        let Some(value) = decode(value) else {
            return Err(Refusal::new("name", "percent-encoded UTF-8 text", value));
        };
        if name.replace(value.clone()).is_some() {
            return Err(Refusal::new("name", "the name once", &value));
        }
    }
    name.ok_or_else(|| Refusal::new("name", EXPECTED_NAME, ""))
}

/// Runs one of the twin's constant queries with `text` bound, on the
/// secure twin's own connections.
async fn bound_query(state: &AppState, sql: &str, text: &str) -> Result<Table, QueryError> {
    state
        .labs
        .injection
        .query(
            LOCAL_LEARNER,
            Twin::Secure,
            sql.to_owned(),
            vec![Box::new(text.to_owned())],
        )
        .await
}

/// Patients with the surname `name`, the name bound as a parameter.
async fn search(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let name = match read_name(&query) {
        Ok(name) => name,
        Err(refusal) => return refusal.into_response(),
    };
    let answer = if is_name(&name) {
        match bound_query(&state, SEARCH_BOUND, &name).await {
            Ok(table) => found(&name, &table),
            Err(error) => return unavailable(&error),
        }
    } else {
        Refusal::new("name", EXPECTED_NAME, &name).into_response()
    };
    // Refused or searched as data: either way the injection did nothing.
    if matches!(injects_search(&state, &name).await, Ok(true)) {
        state.solved(SECURE_HOLDS).await;
    }
    answer
}

fn found(name: &str, table: &Table) -> Response {
    axum::Json(json!({
        "name": name,
        "count": table.rows.len(),
        "truncated": table.truncated,
        "patients": patients(table),
    }))
    .into_response()
}

/// Logs a staff member in when the username exists and the password's hash
/// is theirs.
async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = match LoginForm::read(&headers, &body) {
        Ok(form) => form,
        Err(FormError::UnsupportedType) => {
            let received = headers
                .get(header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            return Refusal {
                received: received.chars().take(MAX_RECEIVED_SHOWN).collect(),
                ..Refusal::from(FormError::UnsupportedType)
            }
            .into_response();
        }
        Err(error) => return Refusal::from(error).into_response(),
    };
    if let Some(unknown) = form
        .fields
        .keys()
        .find(|name| !matches!(name.as_str(), "username" | "password"))
    {
        return Refusal::new(unknown, "only the fields username and password", unknown)
            .into_response();
    }
    let field = |name: &str, expected: &str| match form.fields.get(name).map(Vec::as_slice) {
        Some([value]) => Ok(value.clone()),
        Some([_, value, ..]) => Err(Refusal::new(name, "the field once", value)),
        _ => Err(Refusal::new(name, expected, "")),
    };
    let (username, password) = match (
        field("username", EXPECTED_USERNAME),
        field("password", EXPECTED_PASSWORD),
    ) {
        (Ok(username), Ok(password)) => (username, password),
        (Err(refusal), _) | (_, Err(refusal)) => return refusal.into_response(),
    };
    let answer = if !is_username(&username) {
        Refusal::new("username", EXPECTED_USERNAME, &username).into_response()
    } else if !is_password(&password) {
        Refusal::new("password", EXPECTED_PASSWORD, "(not shown)").into_response()
    } else {
        match check_login(&state, &username, &password).await {
            Ok(answer) => answer,
            Err(LoginError::Database(error)) => return unavailable(&error),
        }
    };
    if matches!(injects_login(&state, &username).await, Ok(true)) {
        state.solved(SECURE_HOLDS).await;
    }
    answer
}

/// Looks the username up with a bound parameter and compares the hashes;
/// a login that got in records its time, best effort.
async fn check_login(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<Response, LoginError> {
    let table = bound_query(state, STAFF_BY_USERNAME, username).await?;
    let hash = seed::password_hash(password);
    let row = table.rows.first().filter(|row| {
        row.get(4)
            .and_then(Value::as_str)
            .is_some_and(|real| constant_time_eq(real.as_bytes(), hash.as_bytes()))
    });
    let Some(row) = row else {
        return Ok(wrong_login());
    };
    if let Some(id) = row.first().and_then(Value::as_i64) {
        record_login(state, id).await;
    }
    Ok(axum::Json(staff_json(row)).into_response())
}

/// Compares two hashes in constant time: how long it takes does not depend
/// on where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_letters_with_joiners_between() {
        for good in [
            "O'Brien",
            "garcia",
            "D'Angelo",
            "Smith-Jones",
            "van der Berg",
            "Åström",
        ] {
            assert!(is_name(good), "{good}");
        }
        for bad in [
            "",
            "' OR '1'='1",
            "O''Brien",
            "x'--",
            "Smith1",
            "a  b",
            &"a".repeat(51),
        ] {
            assert!(!is_name(bad), "{bad}");
        }
    }

    #[test]
    fn the_name_is_the_only_parameter_and_comes_once() {
        assert_eq!(read_name("name=O%27Brien").expect("valid"), "O'Brien");
        assert!(read_name("name=a&name=b").is_err());
        assert!(read_name("id=1").is_err());
        assert!(read_name("name=%zz").is_err());
        assert!(read_name("").is_err());
    }

    #[test]
    fn forms_are_read_strictly() {
        let headers = HeaderMap::new();
        let form = LoginForm::read(&headers, b"username=admin%27--&password=a+b").expect("a form");
        assert_eq!(form.fields["username"], ["admin'--"]);
        assert_eq!(form.fields["password"], ["a b"]);
        assert!(LoginForm::read(&headers, b"username=%zz").is_err());
        assert!(LoginForm::read(&headers, b"username=%ff").is_err());
        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            "application/json".parse().expect("a value"),
        );
        let form =
            LoginForm::read(&json, br#"{"username": "trainee", "password": "x"}"#).expect("JSON");
        assert_eq!(form.fields["username"], ["trainee"]);
        assert!(LoginForm::read(&json, br#"{"username": 1}"#).is_err());
        let mut xml = HeaderMap::new();
        xml.insert(header::CONTENT_TYPE, "text/xml".parse().expect("a value"));
        assert!(matches!(
            LoginForm::read(&xml, b"<x/>"),
            Err(FormError::UnsupportedType)
        ));
    }

    #[test]
    fn the_comparison_needs_every_byte_equal() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
