//! `safelab reset`: the instructor's reset from the command line. When a
//! safelab answers on the given port, the reset goes through its API, so every
//! open browser shows it at once; otherwise it is made in the data folder's
//! database directly.

use std::net::SocketAddr;
use std::time::Duration;

use safelab_protocol::{ApiError, ResetDone};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::{FILE_NAME, ProgressError, reset_file};
use crate::config::Config;
use crate::lessons;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why `safelab reset` could not reset.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Neither a lesson nor `--all` was named.
    #[error("name the lesson to reset ({0}), or pass --all to reset every lesson")]
    NothingNamed(String),
    /// No lesson has this id.
    #[error("there is no lesson {0:?}: the lessons are {1}")]
    NoSuchLesson(String, String),
    /// Something other than safelab answers on the port.
    #[error(
        "something answers on {0}, but not as safelab does ({1}): pass --port with the port safelab printed"
    )]
    NotSafelab(SocketAddr, String),
    /// The running safelab refused.
    #[error("the running safelab at {0} refused: {1}")]
    Refused(SocketAddr, String),
    /// The database could not be reset.
    #[error(transparent)]
    Progress(#[from] ProgressError),
    /// No data folder is known.
    #[error(transparent)]
    Start(#[from] crate::StartError),
    /// The lab's own files could not be deleted.
    #[error(
        "cannot delete the lab's files in {folder} ({source}): delete that folder by hand, then run this again"
    )]
    LabFiles {
        /// The lab's folder.
        folder: std::path::PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
}

/// Resets `lesson`'s progress and lab state (every lesson's with `None`, which
/// `all` must confirm); says what was done.
pub async fn reset(config: &Config, lesson: Option<&str>, all: bool) -> Result<String, ResetError> {
    let ids = lessons::ids();
    let known = ids.join(", ");
    match lesson {
        None if !all => return Err(ResetError::NothingNamed(known)),
        Some(id) if !ids.iter().any(|known| known == id) => {
            return Err(ResetError::NoSuchLesson(id.to_owned(), known));
        }
        _ => {}
    }
    let what = lesson.map_or("every lesson".to_owned(), |id| format!("lesson {id}"));
    if !config.host.is_loopback() {
        return Err(crate::StartError::NotLoopback(config.host).into());
    }
    let address = SocketAddr::new(config.host, config.port);
    if let Ok(Ok(stream)) = timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
        let done = reset_through_api(stream, address, lesson).await?;
        return Ok(format!(
            "Reset {what} in the safelab running at http://{address}/: {} solved challenge(s) forgotten, its lab restored. Open browsers show it at once.",
            done.forgotten
        ));
    }
    let data_dir = config.data_dir()?;
    crate::lab::reset_files(&data_dir, lesson).map_err(|source| ResetError::LabFiles {
        folder: data_dir.join("lab"),
        source,
    })?;
    let path = data_dir.join(FILE_NAME);
    if !path.exists() {
        return Ok(format!(
            "Nothing to reset: no progress has been recorded in {} yet.",
            data_dir.display()
        ));
    }
    let forgotten = reset_file(&path, lesson)?;
    Ok(format!(
        "Reset {what} in {}: {forgotten} solved challenge(s) forgotten, its lab restored. (No safelab answered on {address}.)",
        path.display()
    ))
}

async fn reset_through_api(
    mut stream: TcpStream,
    address: SocketAddr,
    lesson: Option<&str>,
) -> Result<ResetDone, ResetError> {
    let path = match lesson {
        Some(id) => format!("/api/progress/{id}/reset"),
        None => "/api/progress/reset".to_owned(),
    };
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let not_safelab = |reason: &str| ResetError::NotSafelab(address, reason.to_owned());
    let mut answer = Vec::new();
    let exchanged = timeout(ANSWER_TIMEOUT, async {
        stream.write_all(request.as_bytes()).await?;
        stream.take(1024 * 1024).read_to_end(&mut answer).await
    })
    .await;
    if !matches!(exchanged, Ok(Ok(_))) {
        return Err(not_safelab("no complete answer"));
    }
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| not_safelab("not HTTP"))?;
    let status = head.split(' ').nth(1).unwrap_or_default();
    if status == "200" {
        return serde_json::from_str(body).map_err(|_| not_safelab("an unexpected body"));
    }
    match serde_json::from_str::<ApiError>(body) {
        Ok(error) => Err(ResetError::Refused(address, printable(&error.message))),
        Err(_) => Err(not_safelab(&format!("HTTP status {}", printable(status)))),
    }
}

/// `text` without control characters, so a local program answering on the
/// port cannot send escape sequences to the instructor's terminal.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|character| !character.is_control())
        .take(500)
        .collect()
}
