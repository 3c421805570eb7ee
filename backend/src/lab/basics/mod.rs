//! Lesson 1, "How the web works": plain endpoints that show the parts of an HTTP
//! exchange. Nothing here is insecure; these are the shapes later lessons break.

use axum::extract::{Path, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::json;

use crate::AppState;

/// The lesson's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lab", get(index))
        .route("/lab/", get(index))
        .route("/lab/hello", get(hello))
        .route("/lab/data.json", get(data))
        .route("/lab/page.html", get(page))
        .route("/lab/status/{code}", any(status))
        .route("/lab/headers", any(headers))
}

async fn index() -> Json<serde_json::Value> {
    Json(json!({
        "lab": "safelab",
        "endpoints": [
            {"path": "/lab/hello", "returns": "plain text"},
            {"path": "/lab/data.json", "returns": "JSON: a small synthetic data set"},
            {"path": "/lab/page.html", "returns": "an HTML page"},
            {"path": "/lab/status/{code}", "returns": "any status code from 100 to 599"},
            {"path": "/lab/headers", "returns": "the headers of your request, as JSON"},
        ]
    }))
}

async fn hello() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Hello from the safelab lab! This answer is plain text.\n",
    )
}

/// A small synthetic data set: no real person is in it.
async fn data() -> Json<serde_json::Value> {
    Json(json!({
        "dataset": "clinic admissions (synthetic)",
        "columns": ["year", "region", "admissions", "median_stay_days"],
        "rows": [
            [2021, "North", 1204, 3.5],
            [2021, "South", 987, 4.0],
            [2022, "North", 1311, 3.2],
            [2022, "South", 1050, 3.8],
            [2023, "North", 1288, 3.1],
            [2023, "South", 1102, 3.6]
        ]
    }))
}

async fn page() -> Html<&'static str> {
    Html(include_str!("page.html"))
}

/// Answers with the status code in the path. Codes 200–599 are sent as they
/// are; 1xx codes are interim by definition (a final response must follow), so
/// the answer is a 200 that says so instead.
async fn status(Path(code): Path<String>) -> Response {
    let Some(code) = code
        .parse::<u16>()
        .ok()
        .filter(|code| (100..=599).contains(code))
    else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "error": format!("{code:?} is not a status code: use a number from 100 to 599"),
            })),
        )
            .into_response();
    };
    let Ok(status) = StatusCode::from_u16(code) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let reason = status
        .canonical_reason()
        .unwrap_or("(no registered reason phrase)");
    if status.is_informational() {
        let note = format!(
            "{code} {reason} is an interim response: a server sends it before the final one, so it cannot end an exchange. This 200 stands in for it."
        );
        return Json(json!({"status": code, "reason": reason, "note": note})).into_response();
    }
    if matches!(code, 204 | 304) {
        // These must not carry a body.
        return status.into_response();
    }
    (status, Json(json!({"status": code, "reason": reason}))).into_response()
}

/// Echoes the request line and headers, so a learner can see what their client
/// really sent (and that a custom header arrives unchanged).
async fn headers(request: Request) -> Json<serde_json::Value> {
    let header_pairs = |headers: &HeaderMap| {
        headers
            .iter()
            .map(|(name, value)| json!([name.as_str(), String::from_utf8_lossy(value.as_bytes())]))
            .collect::<Vec<_>>()
    };
    Json(json!({
        "method": request.method().as_str(),
        "path": request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/"),
        "version": format!("{:?}", request.version()),
        "headers": header_pairs(request.headers()),
    }))
}
