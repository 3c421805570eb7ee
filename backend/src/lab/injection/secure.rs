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

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::database::Table;
use super::{
    FormError, LoginForm, SEARCH_BOUND, SECURE_HOLDS, STAFF_BY_USERNAME, bound_query,
    injects_login, injects_search, patients, seed,
};
use crate::AppState;
use crate::percent;
use crate::progress::LOCAL_LEARNER;

/// The patient search's route.
pub(super) const PATIENTS: &str = "/lab/secure/patients";
/// The staff login's route.
pub(super) const LOGIN: &str = "/lab/secure/staff/login";

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

/// A field the endpoint refuses, and why.
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

    fn response(&self) -> Response {
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
fn read_name(query: &str) -> Result<String, Box<Refusal>> {
    let mut name = None;
    for piece in query.split('&').filter(|piece| !piece.is_empty()) {
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        let decode = |raw: &str| {
            percent::decode_strict(&raw.replace('+', " "))
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
        };
        let Some(key) = decode(key) else {
            return Err(Box::new(Refusal::new(
                key,
                "a parameter name in percent-encoded UTF-8",
                key,
            )));
        };
        if key != "name" {
            return Err(Box::new(Refusal::new(
                &key,
                "only the parameter name",
                value,
            )));
        }
        let Some(value) = decode(value) else {
            return Err(Box::new(Refusal::new(
                "name",
                "percent-encoded UTF-8 text",
                value,
            )));
        };
        if name.replace(value.clone()).is_some() {
            return Err(Box::new(Refusal::new("name", "the name once", &value)));
        }
    }
    name.ok_or_else(|| Box::new(Refusal::new("name", EXPECTED_NAME, "")))
}

/// Patients with the surname `name`, the name bound as a parameter.
async fn search(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let name = match read_name(&query) {
        Ok(name) => name,
        Err(refusal) => return refusal.response(),
    };
    let answer = if is_name(&name) {
        match bound_query(&state, SEARCH_BOUND, &name).await {
            Ok(table) => found(&name, &table),
            Err(_) => return unavailable(),
        }
    } else {
        Refusal::new("name", EXPECTED_NAME, &name).response()
    };
    // Refused or searched as data: either way the injection did nothing.
    if injects_search(&state, &name).await {
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
    let form = match LoginForm::read(&headers, &body, true) {
        Ok(form) => form,
        Err(FormError::UnsupportedType) => {
            return Refusal {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ..Refusal::new(
                    "Content-Type",
                    "application/x-www-form-urlencoded or application/json",
                    headers
                        .get(axum::http::header::CONTENT_TYPE)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default(),
                )
            }
            .response();
        }
        Err(FormError::BadJson(error)) => {
            return Refusal::new("body", "a JSON object of strings", &error).response();
        }
        Err(FormError::BadEncoding { field }) => {
            return Refusal::new(&field, "percent-encoded UTF-8 text", "").response();
        }
    };
    if let Some(unknown) = form
        .fields
        .keys()
        .find(|name| !matches!(name.as_str(), "username" | "password"))
    {
        return Refusal::new(unknown, "only the fields username and password", unknown).response();
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
        (Err(refusal), _) | (_, Err(refusal)) => return refusal.response(),
    };
    let answer = if !is_username(&username) {
        Refusal::new("username", EXPECTED_USERNAME, &username).response()
    } else if !is_password(&password) {
        Refusal::new("password", EXPECTED_PASSWORD, "(not shown)").response()
    } else {
        match check_login(&state, &username, &password).await {
            Ok(answer) => answer,
            Err(()) => return unavailable(),
        }
    };
    if injects_login(&state, &username, &password).await {
        state.solved(SECURE_HOLDS).await;
    }
    answer
}

/// Looks the username up with a bound parameter and compares the hashes.
async fn check_login(state: &AppState, username: &str, password: &str) -> Result<Response, ()> {
    let table = bound_query(state, STAFF_BY_USERNAME, username)
        .await
        .map_err(|_| ())?;
    let hash = seed::password_hash(password);
    let row = table.rows.first().filter(|row| {
        row.get(4)
            .and_then(Value::as_str)
            .is_some_and(|real| same(real.as_bytes(), hash.as_bytes()))
    });
    let Some(row) = row else {
        return Ok((
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "logged_in": false, "error": "wrong username or password" })),
        )
            .into_response());
    };
    let staff: serde_json::Map<String, Value> = ["id", "username", "full_name", "role"]
        .iter()
        .zip(row)
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect();
    if let Some(id) = row.first().and_then(Value::as_i64) {
        state
            .labs
            .injection
            .record_login(LOCAL_LEARNER, id)
            .await
            .map_err(|_| ())?;
    }
    Ok(axum::Json(json!({ "logged_in": true, "staff": staff })).into_response())
}

/// Compares two hashes in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(
            json!({ "error": "the lab database is busy or unavailable: try again in a moment" }),
        ),
    )
        .into_response()
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
}
