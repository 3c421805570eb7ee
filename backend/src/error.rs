//! The API's one error funnel: every failure of a handler becomes an [`AppError`],
//! and only [`AppError`] turns into a response, as JSON shaped like
//! [`safelab_protocol::ApiError`] with a fitting status code and a message that
//! reads as a sentence.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use safelab_protocol::ApiError;
use serde::de::DeserializeOwned;

use crate::inspector::InspectorError;

/// The largest body the API reads: room for the inspector's largest request
/// body even if every byte of it needs JSON's six-byte escape (`\u0001`), and
/// nothing like a memory attack.
pub const MAX_API_BODY: usize = 6 * safelab_protocol::MAX_REQUEST_BODY + 64 * 1024;

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
        "this app answers only to localhost, 127.0.0.1 or [::1], and this request named {0:?} (a guard against DNS rebinding): open the URL safelab printed"
    )]
    ForeignHost(String),
    /// A change was asked for by a page other than the app's own.
    #[error(
        "safelab's API takes changes only from its own page, and this one came from {0:?}: another site, or a lab page, cannot reset your progress or drive the inspector"
    )]
    CrossOrigin(String),
    /// The request's host cannot be judged: two `Host` headers, none, or a malformed one.
    #[error("this request cannot be answered because {0}: open the URL safelab printed")]
    BadHost(String),
    /// The body sent to the API is larger than it accepts.
    #[error(
        "the request to safelab's API is larger than the {} KB it accepts: send a smaller body",
        MAX_API_BODY / 1024
    )]
    ApiBodyTooLarge,
    /// No API endpoint has this path.
    #[error(
        "there is no API endpoint {0}: the API lives under /api/health, /api/lab, /api/lessons, /api/progress and /api/exchange"
    )]
    NoSuchEndpoint(String),
    /// A lesson has no script by this name.
    #[error(
        "lesson {lesson:?} has no Python script {name:?}: GET /api/lessons/{lesson} lists its scripts"
    )]
    ScriptNotFound {
        /// The lesson's id.
        lesson: String,
        /// The name asked for.
        name: String,
    },
    /// A reset was asked for with GET.
    #[error("a reset changes what is stored, so it takes POST (curl -X POST …)")]
    UsePost,
    /// The progress store failed.
    #[error(transparent)]
    Progress(#[from] crate::progress::ProgressError),
    /// A step of lesson 6's own-CA tool was refused.
    #[error(transparent)]
    OwnCa(#[from] crate::lab::OwnCaError),
    /// A lab path was sent to the app listener, which serves none.
    #[error(
        "the lab is not served here: it has listeners of its own, so its deliberately unsafe pages never share an origin with this app. Send it to {0}"
    )]
    LabElsewhere(String),
    /// No lab example of the analysis tools has this name.
    #[error("there is no lab example {0:?}: GET /api/tools/examples lists them")]
    ExampleNotFound(String),
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Inspector(error) => error.status_and_code(),
            Self::OwnCa(error) => error.status_and_code(),
            Self::BadJson(_) => (StatusCode::BAD_REQUEST, "bad_json"),
            Self::LessonNotFound(_) => (StatusCode::NOT_FOUND, "lesson_not_found"),
            Self::ScriptNotFound { .. } => (StatusCode::NOT_FOUND, "script_not_found"),
            Self::Progress(_) => (StatusCode::INTERNAL_SERVER_ERROR, "progress_failed"),
            Self::UsePost => (StatusCode::METHOD_NOT_ALLOWED, "use_post"),
            Self::NoSuchEndpoint(_) => (StatusCode::NOT_FOUND, "no_such_endpoint"),
            Self::LabElsewhere(_) => (StatusCode::NOT_FOUND, "lab_elsewhere"),
            Self::ExampleNotFound(_) => (StatusCode::NOT_FOUND, "example_not_found"),
            Self::ForeignHost(_) => (StatusCode::MISDIRECTED_REQUEST, "foreign_host"),
            Self::CrossOrigin(_) => (StatusCode::FORBIDDEN, "cross_origin"),
            Self::BadHost(_) => (StatusCode::BAD_REQUEST, "bad_host"),
            Self::ApiBodyTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ApiError {
            code: code.to_owned(),
            message: sentence(&self.to_string()),
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
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::ApiBodyTooLarge)
            }
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

/// `text` as a sentence: a capital first letter and a closing full stop, so
/// messages read well wherever they are shown, after other sentences too.
pub fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut characters = text.chars();
    let mut sentence: String = match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => return String::new(),
    };
    if !sentence.ends_with(['.', '!', '?']) {
        sentence.push('.');
    }
    sentence
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn messages_become_sentences() {
        assert_eq!(sentence("the body is too large"), "The body is too large.");
        assert_eq!(sentence("Is it running?"), "Is it running?");
        assert_eq!(sentence("safelab's API."), "Safelab's API.");
        assert_eq!(sentence(""), "");
    }
}
