//! The lab twins' one way to refuse: [`LabError`], a status, a JSON body and
//! headers. (The app's API has its own, `crate::error::AppError`.)

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// A lab answer that refuses: a status, a JSON object whose `error` says
/// what went wrong and what to do next, any further fields, and headers.
/// Lessons `api` and `authentication` answer their refusals through this
/// one type (lesson `api` puts the advice in `error`, lesson
/// `authentication` a code in `error` and the advice in `message`).
#[derive(Debug)]
pub(crate) struct LabError {
    status: StatusCode,
    body: Map<String, Value>,
    /// Boxed: most refusals carry none, and a `Result` should stay small.
    headers: Box<HeaderMap>,
}

impl LabError {
    /// A refusal with `status`, whose `error` is `error`.
    pub(crate) fn new(status: StatusCode, error: impl Into<String>) -> Self {
        let mut body = Map::new();
        body.insert("error".to_owned(), Value::String(error.into()));
        Self {
            status,
            body,
            headers: Box::default(),
        }
    }

    /// The refusal's `error` text.
    pub(crate) fn error(&self) -> &str {
        self.body
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Replaces the `error` text.
    pub(crate) fn with_error(mut self, error: impl Into<String>) -> Self {
        self.body
            .insert("error".to_owned(), Value::String(error.into()));
        self
    }

    /// Adds the field `name` to the JSON body.
    pub(crate) fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.body.insert(name.to_owned(), value.into());
        self
    }

    /// Adds the header `name`.
    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Adds every header of `headers`.
    pub(crate) fn with_headers(mut self, headers: HeaderMap) -> Self {
        self.headers.extend(headers);
        self
    }
}

impl IntoResponse for LabError {
    fn into_response(self) -> Response {
        (self.status, *self.headers, Json(Value::Object(self.body))).into_response()
    }
}
