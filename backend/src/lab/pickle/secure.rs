//! The secure twin of `insecure.rs` (lesson `pickle`): the model-upload
//! service loading only what cannot run code.
//!
//! - A pickle is read with an allow-list of globals, as a restricted
//!   `Unpickler.find_class` or `torch.load(weights_only=True)` does: plain
//!   data, `collections.OrderedDict`, numpy arrays, a few builtins. Any other
//!   global (`posix.system`, `builtins.eval`, a class of your own) is refused
//!   with a 422 naming it, before anything is built; so is a call of anything
//!   but an allow-listed global. A broken pickle gets a 400 with its offset.
//! - A safetensors file (a JSON header of tensor names, dtypes, shapes and
//!   offsets, then raw numbers) or a JSON body is accepted: neither format
//!   can hold code.
//!
//! As on the insecure twin, nothing is unpickled: the inspector reads the
//! bytes.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use safelab_tools::pickle::inspect;
use serde_json::{Value, json};

use super::super::error::LabError;
use super::{SAFE_FORMAT, SECURE_LOADS_WEIGHTS, SECURE_REFUSES_PICKLE, result_of};
use crate::AppState;

/// The upload's route.
pub(super) const MODELS: &str = "/lab/secure/models";

/// The globals a pickle may import: plain data and numeric arrays, as
/// `torch.load(weights_only=True)` allows.
pub(super) const ALLOWED: &[&str] = &[
    "collections.OrderedDict",
    "builtins.set",
    "builtins.frozenset",
    "builtins.bytearray",
    "builtins.complex",
    "builtins.slice",
    "_codecs.encode",
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "numpy.core.numeric._frombuffer",
    "numpy._core.numeric._frombuffer",
    "numpy.ndarray",
    "numpy.dtype",
    "torch._utils._rebuild_tensor_v2",
    "torch.FloatStorage",
];

/// The secure twin's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route(MODELS, post(upload))
}

/// Loads a safetensors file, a JSON body, or an allow-listed pickle.
async fn upload(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if json_type {
        return match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(fields)) => {
                state.solved(SAFE_FORMAT).await;
                Json(json!({
                    "loaded": true,
                    "format": "json",
                    "keys": fields.keys().take(50).collect::<Vec<_>>(),
                }))
                .into_response()
            }
            _ => LabError::new(
                StatusCode::BAD_REQUEST,
                "the body is not a JSON object: send the weights as {\"name\": [numbers…]}",
            )
            .into_response(),
        };
    }
    if let Some(tensors) = safetensors(&body) {
        return match tensors {
            Ok(tensors) => {
                state.solved(SAFE_FORMAT).await;
                Json(json!({ "loaded": true, "format": "safetensors", "tensors": tensors }))
                    .into_response()
            }
            Err(error) => LabError::new(StatusCode::BAD_REQUEST, error).into_response(),
        };
    }
    load_pickle(&state, &body).await
}

/// Reads a pickle with the allow-list.
async fn load_pickle(state: &AppState, body: &[u8]) -> Response {
    let report = inspect(body);
    let refused = report
        .imports
        .iter()
        .find(|import| !ALLOWED.contains(&format!("{}.{}", import.module, import.name).as_str()));
    if let Some(import) = refused {
        let global = format!("{}.{}", import.module, import.name);
        if state.labs.pickle.has_run(body) {
            state.solved(SECURE_REFUSES_PICKLE).await;
        }
        return LabError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "refused: the pickle imports {global}, which is not on this service's allow-list ({}); nothing was loaded. Send plain data, numpy arrays, or safetensors",
                import.why
            ),
        )
        .with("global", global)
        .with("allowed", ALLOWED.to_vec())
        .into_response();
    }
    if let Some(call) = report.calls.iter().find(|call| call.dangerous) {
        return LabError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "refused: the pickle calls {}, which is not an allow-listed global; nothing was loaded",
                call.callable
            ),
        )
        .with("global", call.callable.clone())
        .into_response();
    }
    if let Some(error) = &report.error {
        return LabError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "not a readable pickle (at byte {}: {}): send a whole file made by pickle.dump, or safetensors",
                error.offset, error.message
            ),
        )
        .into_response();
    }
    state.solved(SECURE_LOADS_WEIGHTS).await;
    Json(json!({
        "loaded": true,
        "format": "pickle",
        "globals": report.imports.iter().map(|i| format!("{}.{}", i.module, i.name)).collect::<Vec<_>>(),
        "model": result_of(&report),
    }))
    .into_response()
}

/// The tensors of a safetensors file (name, dtype, shape), an error saying
/// what is wrong with one, or `None` when the bytes are not one at all.
fn safetensors(body: &[u8]) -> Option<Result<Vec<Value>, String>> {
    let length = u64::from_le_bytes(body.get(..8)?.try_into().ok()?);
    let header = body.get(8..8usize.checked_add(usize::try_from(length).ok()?)?)?;
    if header.first() != Some(&b'{') {
        return None;
    }
    let data = body.len() - 8 - header.len();
    let Ok(Value::Object(entries)) = serde_json::from_slice::<Value>(header) else {
        return Some(Err("a safetensors header must be one JSON object".into()));
    };
    let mut tensors = Vec::new();
    for (name, entry) in entries.iter().filter(|(name, _)| *name != "__metadata__") {
        let offsets = entry["data_offsets"]
            .as_array()
            .and_then(|o| Some((o.first()?.as_u64()?, o.get(1)?.as_u64()?)));
        let Some((start, end)) = offsets.filter(|(s, e)| s <= e && *e <= data as u64) else {
            return Some(Err(format!(
                "tensor {name:?}: data_offsets must be [start, end] within the {data} bytes of data"
            )));
        };
        let (Some(dtype), Some(shape)) = (entry["dtype"].as_str(), entry["shape"].as_array())
        else {
            return Some(Err(format!("tensor {name:?} needs a dtype and a shape")));
        };
        tensors.push(json!({ "name": name, "dtype": dtype, "shape": shape, "bytes": end - start }));
    }
    if tensors.is_empty() {
        return Some(Err("the safetensors file holds no tensor".into()));
    }
    Some(Ok(tensors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_safetensors_header_is_read_and_checked() {
        let header = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
        let mut file = (header.len() as u64).to_le_bytes().to_vec();
        file.extend_from_slice(header);
        file.extend_from_slice(&[0; 8]);
        let tensors = safetensors(&file).expect("safetensors").expect("valid");
        assert_eq!(tensors[0]["name"], "w");
        file.truncate(file.len() - 1);
        assert!(safetensors(&file).expect("safetensors").is_err());
        assert!(safetensors(b"\x80\x04K\x01.").is_none());
    }
}
