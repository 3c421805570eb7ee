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
//! their detectors, and the answers both give.

mod database;
mod insecure;
mod secure;
mod seed;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use safelab_protocol::Twin;
use serde_json::{Map, Value, json};

use super::{Endpoint, LessonLab};
use crate::AppState;
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
/// The secure twin received input that injects SQL into the insecure twin
/// (ends its string literal early and still parses: a real payload, not a
/// mere quote), and refused it or treated it as data.
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
    examples: &[],
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

/// The insecure twin's search SQL, as the app builds it:
/// `f"SELECT … WHERE last_name = '{name}' …"`. Here, beside the twins,
/// because the detectors ask whether a name would inject into it.
fn search_sql(name: &str) -> String {
    format!(
        "SELECT id, first_name, last_name, birth_year, city FROM patients \
         WHERE last_name = '{name}' COLLATE NOCASE ORDER BY last_name, first_name"
    )
}

/// The insecure twin's login SQL, as the app builds it: the username pasted
/// in, the password hashed first (so only the username can inject).
fn login_sql(username: &str, password_hash: &str) -> String {
    format!(
        "SELECT id, username, full_name, role FROM staff \
         WHERE username = '{username}' AND password_hash = '{password_hash}'"
    )
}

/// Whether any text in `table` holds a staff member's password hash (the
/// seed's: the lab database never changes them).
fn holds_staff_hashes(table: &Table) -> bool {
    table
        .rows
        .iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|text| {
            seed::seeded_staff_hashes()
                .iter()
                .any(|hash| text.contains(hash.as_str()))
        })
}

/// Whether `text`, pasted between the quotes of an SQL string literal,
/// ends that literal early: it holds a quote that is not one of a doubled
/// pair (`''` is SQL's escaped quote, still inside the literal).
fn breaks_out(text: &str) -> bool {
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character == '\'' && characters.next() != Some('\'') {
            return true;
        }
    }
    false
}

/// Whether `name` injects SQL into the insecure twin's search: it ends the
/// string literal early and the pasted SQL still parses, so the rest of the
/// name became SQL of a different query. Decided without running anything:
/// the pasted SQL is prepared, never stepped, on a secure-twin connection.
/// A plain `O'Brien` breaks the insecure SQL but parses into nothing.
async fn injects_search(state: &AppState, name: &str) -> Result<bool, QueryError> {
    if !breaks_out(name) {
        return Ok(false);
    }
    state
        .labs
        .injection
        .parses(LOCAL_LEARNER, Twin::Secure, search_sql(name))
        .await
}

/// Whether `username` injects SQL into the insecure twin's login, in the
/// same way as [`injects_search`].
async fn injects_login(state: &AppState, username: &str) -> Result<bool, QueryError> {
    if !breaks_out(username) {
        return Ok(false);
    }
    state
        .labs
        .injection
        .parses(
            LOCAL_LEARNER,
            Twin::Secure,
            login_sql(username, &seed::password_hash("")),
        )
        .await
}

/// A staff row of a login's answer (`id`, `username`, `full_name`, `role`
/// first) as the JSON object both twins answer.
fn staff_json(row: &[Value]) -> Value {
    let staff: Map<String, Value> = ["id", "username", "full_name", "role"]
        .iter()
        .zip(row)
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect();
    json!({ "logged_in": true, "staff": staff })
}

/// A login that found nobody with that username and password: a 401.
fn wrong_login() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({ "logged_in": false, "error": "wrong username or password" })),
    )
        .into_response()
}

/// The lab itself could not answer (not the app's bug): a 503 to retry.
fn unavailable(error: &QueryError) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({ "error": error.to_string() })),
    )
        .into_response()
}

/// Records a login's time, best effort: a busy database only loses the
/// time, never the login.
async fn record_login(state: &AppState, staff_id: i64) {
    if let Err(error) = state
        .labs
        .injection
        .record_login(LOCAL_LEARNER, staff_id)
        .await
    {
        eprintln!("safelab: did not record a lab login's time: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unpaired_quote_breaks_out_of_the_literal() {
        for breaking in ["O'Brien", "'", "admin'--", "x''y'", "' OR '1'='1"] {
            assert!(breaks_out(breaking), "{breaking}");
        }
        for inside in ["garcia", "O''Brien", "''", "a\0b", ""] {
            assert!(!breaks_out(inside), "{inside}");
        }
    }

    #[test]
    fn the_seeded_hashes_are_found_in_an_answer() {
        let hash = seed::seeded_staff_hashes()[0].clone();
        let table = |text: String| Table {
            columns: vec!["x".to_owned()],
            rows: vec![vec![Value::from(text)]],
            truncated: false,
        };
        assert!(holds_staff_hashes(&table(format!("admin:{hash},"))));
        assert!(!holds_staff_hashes(&table(hash[..63].to_owned())));
    }
}
