//! Lesson `injection`, "SQL injection": a clinic's patient search and staff
//! login over a real SQLite database (one per learner, see [`database`] and
//! [`seed`]), as an insecure twin that builds its SQL by pasting text into it
//! and a secure twin that binds parameters and validates its input.
//!
//! Whatever SQL the insecure twin is made to run, it runs on a guarded,
//! read-only connection to the learner's own lab database: the injections
//! are real, their reach is that one file.
//!
//! This module holds what the twins share: the routes, the exercises and
//! their detectors, and reading a login's form.

mod database;
mod insecure;
mod secure;
mod seed;

use std::collections::HashMap;

use axum::Router;
use axum::http::{HeaderMap, header};
use safelab_protocol::Twin;
use serde_json::{Map, Value};

use super::{Endpoint, LessonLab};
use crate::AppState;
use crate::percent;
use crate::progress::{Exercise, LOCAL_LEARNER};
pub use database::Databases;
use database::{QueryError, Table};

/// The lesson's id, which also names its lab folder.
pub const LESSON: &str = "injection";

/// The insecure twin answered a 500 that shows the database's error and
/// the SQL it ran.
const LEAK_ERROR: Exercise = Exercise {
    lesson: LESSON,
    id: "leak-error",
};
/// The insecure login let someone in as a staff member without that staff
/// member's password.
const BYPASS_LOGIN: Exercise = Exercise {
    lesson: LESSON,
    id: "bypass-login",
};
/// The insecure patient search answered with staff password hashes.
const DUMP_STAFF: Exercise = Exercise {
    lesson: LESSON,
    id: "dump-staff",
};
/// The secure twin received input that injects SQL into the insecure twin,
/// and refused it or treated it as data.
const SECURE_HOLDS: Exercise = Exercise {
    lesson: LESSON,
    id: "secure-holds",
};

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[
        Endpoint {
            method: "GET",
            path: insecure::PATIENTS,
            twin: Some(Twin::Insecure),
            summary: "patients by surname (?name=…), the name pasted into the SQL: a quote breaks it into a 500 that shows the database's error and the query",
        },
        Endpoint {
            method: "POST",
            path: insecure::LOGIN,
            twin: Some(Twin::Insecure),
            summary: "staff login (form or JSON: username, password), the username pasted into the SQL",
        },
        Endpoint {
            method: "GET",
            path: secure::PATIENTS,
            twin: Some(Twin::Secure),
            summary: "the same search with the name bound as a parameter and validated: a 400 naming the field for anything that is not a name",
        },
        Endpoint {
            method: "POST",
            path: secure::LOGIN,
            twin: Some(Twin::Secure),
            summary: "the same login with bound parameters and validated fields",
        },
    ],
    exercises: &[LEAK_ERROR, BYPASS_LOGIN, DUMP_STAFF, SECURE_HOLDS],
    routes,
    reset,
};

/// The lesson's routes: both twins.
fn routes() -> Router<AppState> {
    insecure::routes().merge(super::with_security_headers(secure::routes()))
}

/// Rebuilds every learner's lab database from its seed.
fn reset(state: &AppState) {
    state.labs.injection.rebuild_all();
}

/// The columns a patient search answers, in the order of its `SELECT`.
const PATIENT_COLUMNS: [&str; 5] = ["id", "first_name", "last_name", "birth_year", "city"];

/// The patients of a search's answer: each row an object keyed by the
/// search's own column names, as the app maps them (so rows a `UNION`
/// brought in appear under those names too).
fn patients(table: &Table) -> Vec<Value> {
    table
        .rows
        .iter()
        .map(|row| {
            let object: Map<String, Value> = PATIENT_COLUMNS
                .iter()
                .zip(row)
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect();
            Value::Object(object)
        })
        .collect()
}

/// The bound query both twins' searches mean: patients whose surname is
/// `name`, in any case.
const SEARCH_BOUND: &str = "SELECT id, first_name, last_name, birth_year, city FROM patients \
     WHERE last_name = ?1 COLLATE NOCASE ORDER BY last_name, first_name";

/// The bound query for a login: the staff member with that username.
const STAFF_BY_USERNAME: &str =
    "SELECT id, username, full_name, role, password_hash FROM staff WHERE username = ?1";

/// Runs `sql` with one bound text on the learner's lab database.
async fn bound_query(state: &AppState, sql: &str, text: &str) -> Result<Table, QueryError> {
    state
        .labs
        .injection
        .query(
            LOCAL_LEARNER,
            sql.to_owned(),
            vec![Box::new(text.to_owned())],
        )
        .await
}

/// Whether any text in `table` holds a staff member's password hash.
async fn holds_staff_hashes(state: &AppState, table: &Table) -> bool {
    // A hash is 64 characters: nothing shorter can hold one.
    let texts: Vec<&str> = table
        .rows
        .iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|text| text.len() >= 64)
        .collect();
    if texts.is_empty() {
        return false;
    }
    let Ok(hashes) = state
        .labs
        .injection
        .query(
            LOCAL_LEARNER,
            "SELECT password_hash FROM staff".to_owned(),
            Vec::new(),
        )
        .await
    else {
        return false;
    };
    hashes
        .rows
        .iter()
        .filter_map(|row| row.first().and_then(Value::as_str))
        .any(|hash| texts.iter().any(|text| text.contains(hash)))
}

/// Whether the text can change the insecure twin's SQL at all: inside its
/// quoted literal only a quote ends the text, and a NUL ends the SQL.
fn can_break_out(text: &str) -> bool {
    text.contains(['\'', '\0'])
}

/// Whether `name` injects SQL into the insecure twin's search: it breaks
/// the insecure SQL, or makes it answer other rows than the bound query
/// (both run on the guarded connection, so checking is harmless).
async fn injects_search(state: &AppState, name: &str) -> bool {
    if !can_break_out(name) {
        return false;
    }
    let pasted = state
        .labs
        .injection
        .query(LOCAL_LEARNER, insecure::search_sql(name), Vec::new())
        .await;
    let bound = bound_query(state, SEARCH_BOUND, name).await;
    match (pasted, bound) {
        (Ok(pasted), Ok(bound)) => pasted.rows != bound.rows,
        (Err(QueryError::Sql(_)), _) => true,
        _ => false,
    }
}

/// Whether `username` injects SQL into the insecure twin's login: the
/// insecure SQL breaks, or finds someone else than the bound lookup with
/// the same password.
async fn injects_login(state: &AppState, username: &str, password: &str) -> bool {
    if !can_break_out(username) {
        return false;
    }
    let hash = seed::password_hash(password);
    let pasted = state
        .labs
        .injection
        .query(
            LOCAL_LEARNER,
            insecure::login_sql(username, &hash),
            Vec::new(),
        )
        .await;
    let bound = bound_query(state, STAFF_BY_USERNAME, username).await;
    match (pasted, bound) {
        (Ok(pasted), Ok(bound)) => {
            let matching: Vec<&Value> = bound
                .rows
                .iter()
                .filter(|row| row.get(4).and_then(Value::as_str) == Some(hash.as_str()))
                .filter_map(|row| row.first())
                .collect();
            let found: Vec<&Value> = pasted.rows.iter().filter_map(|row| row.first()).collect();
            found != matching
        }
        (Err(QueryError::Sql(_)), _) => true,
        _ => false,
    }
}

/// A login's fields, as the body carried them.
#[derive(Debug, Default)]
struct LoginForm {
    /// Each field's values, in order (a repeated field has several).
    fields: HashMap<String, Vec<String>>,
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

impl LoginForm {
    /// The one value of `name`, if it was sent.
    fn first(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .and_then(|values| values.first())
            .map(String::as_str)
    }

    /// Reads a body as the `Content-Type` says: JSON, or else a form. With
    /// `strict`, a broken escape or non-UTF-8 text is an error; without, it
    /// is decoded the forgiving way a hurried app's framework does.
    fn read(headers: &HeaderMap, body: &[u8], strict: bool) -> Result<Self, FormError> {
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
                let text = match value {
                    Value::String(text) => text,
                    other if !strict => other.to_string(),
                    _ => return Err(FormError::BadJson(format!("{name} is not a string"))),
                };
                form.fields.entry(name).or_default().push(text);
            }
            return Ok(form);
        }
        let is_form = content_type.is_empty()
            || content_type.starts_with("application/x-www-form-urlencoded");
        if strict && !is_form {
            return Err(FormError::UnsupportedType);
        }
        let text = String::from_utf8_lossy(body);
        for piece in text.split('&').filter(|piece| !piece.is_empty()) {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            let decode = |raw: &str| -> Result<String, FormError> {
                let spaced = raw.replace('+', " ");
                let bytes = if strict {
                    percent::decode_strict(&spaced).map_err(|_| FormError::BadEncoding {
                        field: name.to_owned(),
                    })?
                } else {
                    percent::decode_lenient(&spaced)
                };
                if strict {
                    String::from_utf8(bytes).map_err(|_| FormError::BadEncoding {
                        field: name.to_owned(),
                    })
                } else {
                    Ok(String::from_utf8_lossy(&bytes).into_owned())
                }
            };
            let name = decode(name)?;
            let value = decode(value)?;
            form.fields.entry(name).or_default().push(value);
        }
        if strict && std::str::from_utf8(body).is_err() {
            return Err(FormError::BadEncoding {
                field: "body".to_owned(),
            });
        }
        Ok(form)
    }
}

/// The value of `name` in a raw query string, decoded the forgiving way
/// (`+` a space, a broken escape kept, bytes that are not UTF-8 replaced),
/// the last one winning, as a hurried app's framework reads it.
fn query_value(query: &str, name: &str) -> Option<String> {
    let decode = |raw: &str| {
        String::from_utf8_lossy(&percent::decode_lenient(&raw.replace('+', " "))).into_owned()
    };
    query
        .split('&')
        .filter_map(|piece| {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode(key) == name).then(|| decode(value))
        })
        .next_back()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_read_as_sent_and_strictly_when_asked() {
        let headers = HeaderMap::new();
        let form =
            LoginForm::read(&headers, b"username=admin%27--&password=a+b", true).expect("a form");
        assert_eq!(form.first("username"), Some("admin'--"));
        assert_eq!(form.first("password"), Some("a b"));
        assert!(LoginForm::read(&headers, b"username=%zz", true).is_err());
        let lenient = LoginForm::read(&headers, b"username=%zz", false).expect("forgiving");
        assert_eq!(lenient.first("username"), Some("%zz"));
        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            "application/json".parse().expect("a value"),
        );
        let form = LoginForm::read(&json, br#"{"username": "trainee", "password": "x"}"#, true)
            .expect("JSON");
        assert_eq!(form.first("username"), Some("trainee"));
    }

    #[test]
    fn the_last_value_of_a_query_parameter_wins_on_the_insecure_side() {
        assert_eq!(
            query_value("name=a&name=O%27Brien", "name").as_deref(),
            Some("O'Brien")
        );
        assert_eq!(query_value("other=1", "name"), None);
        assert_eq!(query_value("name=%ff", "name").as_deref(), Some("\u{fffd}"));
    }
}
