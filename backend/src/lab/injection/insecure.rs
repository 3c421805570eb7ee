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

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::database::{QueryError, Table};
use super::{
    BYPASS_LOGIN, DUMP_STAFF, LEAK_ERROR, LoginForm, holds_staff_hashes, patients, query_value,
    seed,
};
use crate::AppState;
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

/// The search's SQL, as the app builds it:
/// `f"SELECT … WHERE last_name = '{name}' …"`.
pub(super) fn search_sql(name: &str) -> String {
    format!(
        "SELECT id, first_name, last_name, birth_year, city FROM patients \
         WHERE last_name = '{name}' COLLATE NOCASE ORDER BY last_name, first_name"
    )
}

/// The login's SQL, as the app builds it: the username pasted in, the
/// password hashed first (so only the username can inject).
pub(super) fn login_sql(username: &str, password_hash: &str) -> String {
    format!(
        "SELECT id, username, full_name, role FROM staff \
         WHERE username = '{username}' AND password_hash = '{password_hash}'"
    )
}

/// Patients with the surname `name`, or the database's error and the SQL.
async fn search(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let name = query_value(&query.unwrap_or_default(), "name").unwrap_or_default();
    let sql = search_sql(&name);
    match run(&state, &sql).await {
        Ok(table) => {
            if holds_staff_hashes(&state, &table).await {
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
/// the password's hash.
async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = LoginForm::read(&headers, &body, false).unwrap_or_default();
    let username = form.first("username").unwrap_or_default();
    let password = form.first("password").unwrap_or_default();
    let sql = login_sql(username, &seed::password_hash(password));
    let table = match run(&state, &sql).await {
        Ok(table) => table,
        Err(failure) => return failure,
    };
    let Some(row) = table.rows.first() else {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "logged_in": false, "error": "wrong username or password" })),
        )
            .into_response();
    };
    // Whoever the query found is logged in: the app trusts its SQL.
    let staff: serde_json::Map<String, Value> = ["id", "username", "full_name", "role"]
        .iter()
        .zip(row)
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect();
    if let Some(id) = row.first().and_then(Value::as_i64) {
        if !knows_password(&state, id, password).await {
            state.solved(BYPASS_LOGIN).await;
        }
        if let Err(error) = state.labs.injection.record_login(LOCAL_LEARNER, id).await {
            eprintln!("safelab: could not record a lab login: {error}");
        }
    } else {
        state.solved(BYPASS_LOGIN).await;
    }
    axum::Json(json!({ "logged_in": true, "staff": staff })).into_response()
}

/// Whether `password` is staff member `id`'s real password.
async fn knows_password(state: &AppState, id: i64, password: &str) -> bool {
    let real = state
        .labs
        .injection
        .query(
            LOCAL_LEARNER,
            "SELECT password_hash FROM staff WHERE id = ?1".to_owned(),
            vec![Box::new(id)],
        )
        .await;
    matches!(real, Ok(table) if table.rows.first().and_then(|row| row.first()).and_then(Value::as_str)
        == Some(seed::password_hash(password).as_str()))
}

/// Runs the app's SQL; a failure is answered the way the app's debug
/// handler does: a 500 with Python's exception, the database's message and
/// the SQL that failed.
async fn run(state: &AppState, sql: &str) -> Result<Table, Response> {
    match state
        .labs
        .injection
        .query(LOCAL_LEARNER, sql.to_owned(), Vec::new())
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

/// The lab itself could not answer (not the app's bug): a 503 to retry.
fn unavailable(error: &QueryError) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({ "error": error.to_string() })),
    )
        .into_response()
}
