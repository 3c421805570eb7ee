//! The only module that talks to the backend. Every failure becomes an [`Error`]
//! that the page shows in words.

use std::fmt;

use gloo_net::http::{Request, Response};
use safelab_protocol::own_ca::{
    NewCa, NewKey, OwnCa, OwnCaLab, OwnCertificate, OwnKey, OwnListener, SignRequest, StartListener,
};
use safelab_protocol::tools::ToolExample;
use safelab_protocol::{
    ApiError, Exchange, ExchangeRequest, LabInfo, Lesson, LessonSummary, RawRequest, ResetDone,
};
use serde::de::DeserializeOwned;

/// Why a call to the backend failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The backend could not be reached at all.
    Network(String),
    /// The backend answered with an error of its API.
    Api {
        /// The HTTP status.
        status: u16,
        /// The API's own explanation.
        error: ApiError,
    },
    /// The backend answered something that is not the expected JSON.
    Unexpected(String),
}

impl Error {
    /// The API's machine-readable error code, when the backend gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { error, .. } => Some(&error.code),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network(reason) => write!(
                f,
                "The safelab program cannot be reached ({reason}). Is it still running? Start it again with bash .ci/start."
            ),
            Self::Api { error, .. } => f.write_str(&error.message),
            Self::Unexpected(reason) => {
                write!(
                    f,
                    "The safelab program sent something unexpected: {reason}."
                )
            }
        }
    }
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, Error> {
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|error| Error::Unexpected(error.to_string()));
    }
    let status = response.status();
    match response.json::<ApiError>().await {
        Ok(error) => Err(Error::Api { status, error }),
        Err(_) => Err(Error::Unexpected(format!(
            "HTTP {status} {}",
            response.status_text()
        ))),
    }
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, Error> {
    let response = Request::get(path)
        .send()
        .await
        .map_err(|error| Error::Network(error.to_string()))?;
    read(response).await
}

/// Where the lab listens.
pub async fn lab() -> Result<LabInfo, Error> {
    get("/api/lab").await
}

/// The table of contents.
pub async fn lessons() -> Result<Vec<LessonSummary>, Error> {
    get("/api/lessons").await
}

/// One lesson.
pub async fn lesson(id: &str) -> Result<Lesson, Error> {
    get(&format!("/api/lessons/{}", path_segment(id))).await
}

/// `text` as one path segment: anything but letters, digits, `-` and `_`
/// percent-encoded, so an id from the address bar cannot reach another path.
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

async fn post<B: serde::Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, Error> {
    let response = Request::post(path)
        .json(body)
        .map_err(|error| Error::Unexpected(error.to_string()))?
        .send()
        .await
        .map_err(|error| Error::Network(error.to_string()))?;
    read(response).await
}

/// Has the backend perform `request` and return what crossed the wire.
pub async fn exchange(request: &ExchangeRequest) -> Result<Exchange, Error> {
    post("/api/exchange", request).await
}

/// Has the backend write `request`'s bytes to a lab listener as typed.
pub async fn raw(request: &RawRequest) -> Result<Exchange, Error> {
    post("/api/raw", request).await
}

/// Forgets the progress and restores the lab state of one lesson, or of every
/// lesson with `None`.
pub async fn reset(lesson: Option<&str>) -> Result<ResetDone, Error> {
    let path = match lesson {
        Some(id) => format!("/api/progress/{}/reset", path_segment(id)),
        None => "/api/progress/reset".to_owned(),
    };
    let response = Request::post(&path)
        .send()
        .await
        .map_err(|error| Error::Network(error.to_string()))?;
    read(response).await
}

/// Everything the learner made with the own-CA tool (lesson 6).
pub async fn own_ca() -> Result<OwnCaLab, Error> {
    get("/api/certificates/own").await
}

/// Makes a certificate authority.
pub async fn create_ca(request: &NewCa) -> Result<OwnCa, Error> {
    post("/api/certificates/own/cas", request).await
}

/// Makes a key and its certificate signing request.
pub async fn create_key(request: &NewKey) -> Result<OwnKey, Error> {
    post("/api/certificates/own/keys", request).await
}

/// Signs a CSR with one of the learner's CAs.
pub async fn sign(request: &SignRequest) -> Result<OwnCertificate, Error> {
    post("/api/certificates/own/certificates", request).await
}

/// Starts an HTTPS listener with one of the learner's certificates.
pub async fn start_listener(request: &StartListener) -> Result<OwnListener, Error> {
    post("/api/certificates/own/listeners", request).await
}

/// Stops one of the learner's listeners.
pub async fn stop_listener(id: &str) -> Result<(), Error> {
    let response = Request::delete(&format!(
        "/api/certificates/own/listeners/{}",
        path_segment(id)
    ))
    .send()
    .await
    .map_err(|error| Error::Network(error.to_string()))?;
    if response.ok() {
        return Ok(());
    }
    let status = response.status();
    match response.json::<ApiError>().await {
        Ok(error) => Err(Error::Api { status, error }),
        Err(_) => Err(Error::Unexpected(format!("HTTP {status}"))),
    }
}

/// The lab's example files for the analysis tools.
pub async fn tool_examples() -> Result<Vec<ToolExample>, Error> {
    get("/api/tools/examples").await
}

/// One example file's bytes, to run a tool on in the page.
pub async fn tool_example(name: &str) -> Result<Vec<u8>, Error> {
    let response = Request::get(&format!("/api/tools/examples/{}", file_segment(name)))
        .send()
        .await
        .map_err(|error| Error::Network(error.to_string()))?;
    if !response.ok() {
        return read::<()>(response).await.map(|()| Vec::new());
    }
    response
        .binary()
        .await
        .map_err(|error| Error::Network(error.to_string()))
}

/// A file name as one path segment: like [`path_segment`], with `.` kept.
fn file_segment(name: &str) -> String {
    name.split('.')
        .map(path_segment)
        .collect::<Vec<_>>()
        .join(".")
}
