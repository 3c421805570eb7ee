//! Lesson `pickle` (lesson 8), "Pickles run code": a model-upload service.
//!
//! The lab serves a "trained churn model" ([`MODEL_PATH`]) whose loading
//! would run a harmless-looking shell command. The insecure twin
//! ([`insecure`]) "loads" whatever pickle is uploaded, as a service calling
//! `pickle.loads(request.body)` would; the secure twin ([`secure`]) loads
//! only pickles whose every global is on a short allow-list (like
//! `torch.load(weights_only=True)`), or a safe format (safetensors, JSON),
//! and refuses the rest with a 422 naming the global.
//!
//! NOTHING IS EVER UNPICKLED OR EXECUTED: both twins read the upload with the
//! pickle inspector's symbolic machine (`safelab_tools::pickle`), and the
//! insecure twin answers what the server *would* have run, with made-up
//! output from a made-up machine.
//!
//! The lesson's state is the digests of the pickles whose calls the insecure
//! twin "ran" (so that the secure twin knows the same bytes when it refuses
//! them), in memory, cleared by the lesson's reset.

mod insecure;
mod secure;

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use safelab_protocol::Twin;
use safelab_protocol::tools::Tool;

use super::{Endpoint, Example, LessonLab, lock};
use crate::AppState;
use crate::progress::Exercise;

/// The lesson's id.
pub(super) const LESSON: &str = "pickle";

/// The lab's "trained model": a dict of weights with an `os.system` call
/// hidden in it (made by `make_examples.py`, never loaded).
pub(super) const MODEL: &[u8] = include_bytes!("churn_model.pkl");
/// The same weights as plain data.
const WEIGHTS: &[u8] = include_bytes!("weights.pkl");
/// A small pandas DataFrame as `df.to_pickle()` writes it.
const FRAME: &[u8] = include_bytes!("sales_frame.pkl");

/// Where the lab serves the model.
const MODEL_PATH: &str = "/lab/pickle/churn_model.pkl";

/// A pickle of the learner's own reached the insecure loader and made a
/// dangerous call.
pub(super) const INSECURE_RUNS_PICKLE: Exercise = Exercise {
    lesson: LESSON,
    id: "insecure-runs-pickle",
};
/// The secure loader refused a pickle the insecure one had "run".
pub(super) const SECURE_REFUSES_PICKLE: Exercise = Exercise {
    lesson: LESSON,
    id: "secure-refuses-pickle",
};
/// The secure loader accepted a pickle of allow-listed data.
pub(super) const SECURE_LOADS_WEIGHTS: Exercise = Exercise {
    lesson: LESSON,
    id: "secure-loads-weights",
};
/// The secure loader accepted a safetensors file.
pub(super) const SAFE_FORMAT: Exercise = Exercise {
    lesson: LESSON,
    id: "safe-format",
};

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[
        Endpoint {
            method: "GET",
            path: MODEL_PATH,
            twin: None,
            summary: "a \"trained churn model\" as a pickle: inspect it, never load it (loading would run a shell command)",
        },
        Endpoint {
            method: "POST",
            path: insecure::MODELS,
            twin: Some(Twin::Insecure),
            summary: "a model-upload service that \"loads\" any pickle in the body as pickle.loads would, and says what that ran (simulated: nothing runs)",
        },
        Endpoint {
            method: "POST",
            path: secure::MODELS,
            twin: Some(Twin::Secure),
            summary: "the same service loading only allow-listed globals (weights_only-style) or safetensors and JSON; 422 naming any other global, 400 for a broken file",
        },
    ],
    exercises: &[
        INSECURE_RUNS_PICKLE,
        SECURE_REFUSES_PICKLE,
        SECURE_LOADS_WEIGHTS,
        SAFE_FORMAT,
    ],
    routes,
    reset,
    examples: &[
        Example {
            tool: Tool::Pickle,
            name: "churn_model.pkl",
            title: "Lesson 8's \"trained model\": loading it would run a shell command",
            bytes: model,
        },
        Example {
            tool: Tool::Pickle,
            name: "weights.pkl",
            title: "The same model's weights as plain data: no imports, no calls",
            bytes: weights,
        },
        Example {
            tool: Tool::Pickle,
            name: "sales_frame.pkl",
            title: "A small pandas DataFrame, as df.to_pickle() writes it",
            bytes: frame,
        },
    ],
};

/// The model's bytes.
fn model() -> Vec<u8> {
    MODEL.to_vec()
}

/// The weights' bytes.
fn weights() -> Vec<u8> {
    WEIGHTS.to_vec()
}

/// The data frame's bytes.
fn frame() -> Vec<u8> {
    FRAME.to_vec()
}

/// The lesson's routes.
fn routes() -> Router<AppState> {
    Router::new()
        .route(MODEL_PATH, get(serve_model))
        .merge(insecure::routes())
        .merge(super::with_security_headers(secure::routes()))
}

/// The model, as a download.
async fn serve_model() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"churn_model.pkl\"",
            ),
        ],
        MODEL,
    )
}

/// How many digests of "run" pickles the lab remembers.
const REMEMBERED: usize = 64;

/// The lesson's state: digests of the pickles the insecure twin "ran".
#[derive(Debug, Default)]
pub struct PickleLab {
    ran: Mutex<VecDeque<[u8; 32]>>,
}

impl PickleLab {
    /// Remembers that the insecure twin ran `bytes`.
    fn ran(&self, bytes: &[u8]) {
        let mut ran = lock(&self.ran);
        let digest = digest(bytes);
        if !ran.contains(&digest) {
            if ran.len() >= REMEMBERED {
                ran.pop_front();
            }
            ran.push_back(digest);
        }
    }

    /// Whether the insecure twin ran `bytes`.
    fn has_run(&self, bytes: &[u8]) -> bool {
        lock(&self.ran).contains(&digest(bytes))
    }
}

/// SHA-256 of `bytes`.
fn digest(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
    out
}

/// Forgets what the insecure twin ran.
fn reset(state: &AppState) {
    lock(&state.labs.pickle.ran).clear();
}

/// The value `pickle.load` would return, as Python (the inspector's
/// `result = …` line).
fn result_of(report: &safelab_tools::pickle::Report) -> String {
    report
        .python
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("result = "))
        .unwrap_or("(nothing: the pickle never reaches STOP)")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use safelab_tools::pickle::{Verdict, inspect};

    use super::*;

    #[test]
    fn the_examples_are_what_their_titles_say() {
        assert_eq!(inspect(MODEL).verdict, Verdict::Dangerous);
        assert_eq!(inspect(WEIGHTS).verdict, Verdict::Data);
        assert_eq!(inspect(FRAME).verdict, Verdict::Objects);
        assert!(result_of(&inspect(WEIGHTS)).starts_with("{'model': 'churn-classifier'"));
    }
}
