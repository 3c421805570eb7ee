//! The team's fake cloud storage ("Nimbus storage"), inside the program:
//! one bucket with the survey responses, opened by an access key (HTTP
//! Basic: the key id as user name, the secret as password). It accepts the
//! key leaked in the project's history until the learner rotates it: a
//! rotation issues a new key and revokes the one that asked. Made-up data,
//! no real cloud.

use std::sync::Mutex;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::json;

use super::repo::{LEAKED_KEY_ID, LEAKED_SECRET};
use super::{ROTATE_KEY, USE_LEAKED_KEY};
use crate::AppState;
use crate::lab::error::LabError;
use crate::lab::lock;

/// The one object in the bucket.
pub(super) const OBJECT: &str = "/lab/storage/survey-responses/responses.csv";
/// Key rotation.
pub(super) const ROTATE: &str = "/lab/storage/keys/rotate";

const RESPONSES: &str = "# made-up survey responses (safelab lesson 9): no real person\nrespondent,region,answered,satisfaction\n1001,north,1,4\n1002,south,0,\n1003,east,1,5\n1004,west,1,3\n1005,north,1,2\n1006,south,1,4\n";

/// How many revoked key ids the storage remembers (a revoked key it forgot
/// is refused as unknown, which is still a refusal).
const MAX_REVOKED: usize = 100;

/// The storage's keys: the one that works now, and whether the leaked one
/// was rotated away.
#[derive(Debug)]
pub struct StorageKeys {
    state: Mutex<Keys>,
}

#[derive(Debug, Clone)]
struct Keys {
    /// The valid key: id and secret.
    current: (String, String),
    /// Ids of revoked keys.
    revoked: Vec<String>,
}

impl Keys {
    fn leaked() -> Self {
        Self {
            current: (LEAKED_KEY_ID.to_owned(), LEAKED_SECRET.to_owned()),
            revoked: Vec::new(),
        }
    }
}

impl Default for StorageKeys {
    fn default() -> Self {
        Self {
            state: Mutex::new(Keys::leaked()),
        }
    }
}

impl StorageKeys {
    /// The leaked key is the valid one again.
    pub fn reset(&self) {
        *lock(&self.state) = Keys::leaked();
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(OBJECT, get(read))
        .route(ROTATE, post(rotate))
}

/// What the `Authorization: Basic` header holds: key id and secret.
fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Who is asking: the valid key, or the refusal.
async fn authorise(state: &AppState, headers: &HeaderMap) -> Result<String, LabError> {
    let Some((id, secret)) = credentials(headers) else {
        return Err(LabError::new(
            StatusCode::UNAUTHORIZED,
            "send an access key: HTTP Basic with the key id as user name and the secret key as password",
        )
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"nimbus storage\""),
        ));
    };
    let keys = lock(&state.labs.secrets.state).clone();
    if keys.current.0 == id && keys.current.1 == secret {
        return Ok(id);
    }
    if keys.revoked.contains(&id) {
        if id == LEAKED_KEY_ID && secret == LEAKED_SECRET {
            state.solved(ROTATE_KEY).await;
        }
        return Err(LabError::new(
            StatusCode::FORBIDDEN,
            format!(
                "access key {id} was revoked when the key was rotated: it opens nothing any more"
            ),
        ));
    }
    Err(LabError::new(
        StatusCode::FORBIDDEN,
        "unknown access key, or the wrong secret for it",
    ))
}

/// The survey responses, for a valid key.
async fn read(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match authorise(&state, &headers).await {
        Ok(id) => {
            if id == LEAKED_KEY_ID {
                state.solved(USE_LEAKED_KEY).await;
            }
            (
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
                RESPONSES,
            )
                .into_response()
        }
        Err(refusal) => refusal.into_response(),
    }
}

/// A new key for the holder of the valid one; the old one is revoked.
async fn rotate(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let old = match authorise(&state, &headers).await {
        Ok(id) => id,
        Err(refusal) => return refusal.into_response(),
    };
    let Ok(fresh) = new_key() else {
        return LabError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the operating system's random generator failed: try again",
        )
        .into_response();
    };
    {
        let mut keys = lock(&state.labs.secrets.state);
        if keys.current.0 != old {
            return LabError::new(
                StatusCode::CONFLICT,
                "the key was rotated meanwhile: use the new one",
            )
            .into_response();
        }
        // A bounded list: the leaked key's revocation (the first) is kept,
        // the oldest of the learner's own after it give way.
        if keys.revoked.len() >= MAX_REVOKED {
            keys.revoked.remove(1);
        }
        keys.revoked.push(old.clone());
        keys.current = fresh.clone();
    }
    (
        StatusCode::OK,
        axum::Json(json!({
            "access_key_id": fresh.0,
            "secret_access_key": fresh.1,
            "revoked": old,
            "message": "Store the new key outside the code (an environment variable, a .env file that git ignores, or a secrets manager). The old key is refused from now on.",
        })),
    )
        .into_response()
}

/// A fresh random key: `AKIA` and 16 base-32 characters, and a 40-character
/// secret.
fn new_key() -> Result<(String, String), ring::error::Unspecified> {
    use ring::rand::{SecureRandom, SystemRandom};
    const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0_u8; 56];
    SystemRandom::new().fill(&mut bytes)?;
    let id: String = bytes[..16]
        .iter()
        .map(|b| char::from(BASE32[usize::from(*b) % 32]))
        .collect();
    let secret: String = bytes[16..]
        .iter()
        .map(|b| char::from(BASE62[usize::from(*b) % 62]))
        .collect();
    Ok((format!("AKIA{id}"), secret))
}
