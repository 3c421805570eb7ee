//! The API's one error funnel: every failure of a handler becomes an [`AppError`],
//! and only [`AppError`] turns into a response, as JSON shaped like
//! [`safelab_protocol::ApiError`] with a fitting status code.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use safelab_protocol::ApiError;
use serde::de::DeserializeOwned;

use crate::inspector::InspectorError;

/// Everything an API handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request inspector could not, or would not, perform the exchange.
    #[error(transparent)]
    Inspector(#[from] InspectorError),
    /// The body was not the JSON the endpoint expects.
    #[error("the request body is not valid JSON for this endpoint: {0}")]
    BadJson(String),
    /// No lesson has this id.
    #[error("there is no lesson {0:?}: GET /api/lessons lists them")]
    LessonNotFound(String),
    /// The request named a host that is not a loopback name (DNS rebinding).
    #[error(
        "safelab's app answers only to localhost, 127.0.0.1 or [::1], and this request named {0:?} (a guard against DNS rebinding): open the URL safelab printed"
    )]
    ForeignHost(String),
    /// No API endpoint has this path.
    #[error(
        "there is no API endpoint {0}: the API lives under /api/health, /api/lab, /api/lessons and /api/exchange"
    )]
    NoSuchEndpoint(String),
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Inspector(error) => error.status_and_code(),
            Self::BadJson(_) => (StatusCode::BAD_REQUEST, "bad_json"),
            Self::LessonNotFound(_) => (StatusCode::NOT_FOUND, "lesson_not_found"),
            Self::NoSuchEndpoint(_) => (StatusCode::NOT_FOUND, "no_such_endpoint"),
            Self::ForeignHost(_) => (StatusCode::MISDIRECTED_REQUEST, "foreign_host"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ApiError {
            code: code.to_owned(),
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

/// A JSON body extractor whose rejection speaks the API's own error format.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(AppError::BadJson(describe(&rejection))),
        }
    }
}

fn describe(rejection: &JsonRejection) -> String {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "send it with the header Content-Type: application/json".to_owned()
        }
        other => other.body_text(),
    }
}
