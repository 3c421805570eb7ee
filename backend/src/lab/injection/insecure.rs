//! INSECURE BY DESIGN, for lesson `injection` ("SQL injection"); its secure
//! twin is `secure.rs` beside this file, under `/lab/secure/patients` and
//! `/lab/secure/staff/login`.
//!
//! The clinic's patient search and staff login as a hurried Python app would
//! write them: SQL built with f-strings, `cursor.execute(sql)`, and a debug
//! handler that answers a failed query with the database's error and the SQL
//! it ran. Every classic injection works for real, on a real SQLite database:
//! a quote breaks the query, `' OR '1'='1` widens it, a `UNION SELECT` reads
//! other tables, a comment cuts the password check off the login.
//!
//! The SQL runs on a guarded connection (see `database.rs`): read-only, to
//! this learner's lab database only, time- and size-limited. So an injection
//! reads the lab's made-up clinic and nothing of the host.

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
    BYPASS_LOGIN, DUMP_STAFF, LEAK_ERROR, holds_staff_hashes, login_sql, patients, record_login,
    search_sql, seed, staff_json, unavailable, wrong_login,
};
use crate::AppState;
use crate::percent;
use crate::progress::LOCAL_LEARNER;

/// The patient search's route.
pub(super) const PATIENTS: &str = "/lab/insecure/patients";
/// The staff login's route.
pub(super) const LOGIN: &str = "/lab/insecure/staff/login";

/// The insecure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PATIENTS, get(search))
        .route(LOGIN, post(login))
}

/// Patients with the surname `name`, or the database's error and the SQL.
/// The SQL is `super::search_sql`: the name pasted into an f-string.
async fn search(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let name = query_value(&query.unwrap_or_default(), "name").unwrap_or_default();
    let sql = search_sql(&name);
    match run(&state, &sql).await {
        Ok(table) => {
            if holds_staff_hashes(&table) {
                state.solved(DUMP_STAFF).await;
            }
            axum::Json(json!({
                "name": name,
                "count": table.rows.len(),
                "truncated": table.truncated,
                "patients": patients(&table),
            }))
            .into_response()
        }
        Err(failure) => failure,
    }
}

/// Logs a staff member in when the query finds a row for the username and
/// the password's hash. The SQL is `super::login_sql`: the username pasted
/// into an f-string.
async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let fields = login_fields(&headers, &body);
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let (username, password) = (field("username"), field("password"));
    let sql = login_sql(username, &seed::password_hash(password));
    let table = match run(&state, &sql).await {
        Ok(table) => table,
        Err(failure) => return failure,
    };
    let Some(row) = table.rows.first() else {
        return wrong_login();
    };
    // Whoever the query found is logged in: the app trusts its SQL.
    match row.first().and_then(Value::as_i64) {
        Some(id) => {
            if !knows_password(id, password) {
                state.solved(BYPASS_LOGIN).await;
            }
            record_login(&state, id).await;
        }
        None => state.solved(BYPASS_LOGIN).await,
    }
    axum::Json(staff_json(row)).into_response()
}

/// Whether `password` is staff member `id`'s real password: the seed's
/// hash of it (the lab never changes a password), so no query can fail.
fn knows_password(id: i64, password: &str) -> bool {
    usize::try_from(id - 1)
        .ok()
        .and_then(|index| seed::seeded_staff_hashes().get(index))
        .is_some_and(|hash| *hash == seed::password_hash(password))
}

/// Runs the app's SQL; a failure is answered the way the app's debug
/// handler does: a 500 with Python's exception, the database's message and
/// the SQL that failed. A busy lab is a 503, not the app's error.
async fn run(state: &AppState, sql: &str) -> Result<Table, Response> {
    match state
        .labs
        .injection
        .query(LOCAL_LEARNER, Twin::Insecure, sql.to_owned(), Vec::new())
        .await
    {
        Ok(table) => Ok(table),
        Err(QueryError::Sql(message)) => {
            state.solved(LEAK_ERROR).await;
            let kind = if message.starts_with("You can only execute") {
                "ProgrammingError"
            } else {
                "OperationalError"
            };
            Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({
                    "error": format!("sqlite3.{kind}: {message}"),
                    "sql": sql,
                    "database": "clinic.sqlite3 (SQLite)",
                })),
            )
                .into_response())
        }
        Err(other) => Err(unavailable(&other)),
    }
}

/// Decodes text the forgiving way a hurried app's framework does: `+` a
/// space, a broken escape kept, bytes that are not UTF-8 replaced.
fn lenient(raw: &str) -> String {
    String::from_utf8_lossy(&percent::decode_lenient(&raw.replace('+', " "))).into_owned()
}

/// The value of `name` in a raw query string, decoded leniently, the last
/// one winning.
fn query_value(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|piece| {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            (lenient(key) == name).then(|| lenient(value))
        })
        .next_back()
}

/// A login body's fields, read whatever it is: JSON (any value taken as
/// its text) when the `Content-Type` says so, else a form decoded
/// leniently, the first value of a field winning. What cannot be read is
/// no field.
fn login_fields(headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().starts_with("application/json"));
    let mut fields = HashMap::new();
    if is_json {
        let object: Map<String, Value> = serde_json::from_slice(body).unwrap_or_default();
        for (name, value) in object {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            fields.insert(name, text);
        }
        return fields;
    }
    for piece in String::from_utf8_lossy(body)
        .split('&')
        .filter(|piece| !piece.is_empty())
    {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        fields
            .entry(lenient(name))
            .or_insert_with(|| lenient(value));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_value_of_a_query_parameter_wins() {
        assert_eq!(
            query_value("name=a&name=O%27Brien", "name").as_deref(),
            Some("O'Brien")
        );
        assert_eq!(query_value("other=1", "name"), None);
        assert_eq!(query_value("name=%ff", "name").as_deref(), Some("\u{fffd}"));
    }

    #[test]
    fn a_login_body_is_read_whatever_it_is() {
        let form = login_fields(
            &HeaderMap::new(),
            b"username=admin%27--&password=a+b&username=x",
        );
        assert_eq!(form["username"], "admin'--");
        assert_eq!(form["password"], "a b");
        assert_eq!(
            login_fields(&HeaderMap::new(), b"username=%zz")["username"],
            "%zz"
        );
        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            "application/json".parse().expect("a value"),
        );
        let form = login_fields(&json, br#"{"username": "trainee", "password": 7}"#);
        assert_eq!(form["username"], "trainee");
        assert_eq!(form["password"], "7");
    }

    #[test]
    fn only_a_staff_members_own_password_is_known() {
        assert!(knows_password(6, seed::TRAINEE_PASSWORD));
        assert!(!knows_password(1, seed::TRAINEE_PASSWORD));
        assert!(!knows_password(99, ""));
    }
}
