//! What the page and the tools' Web Worker say to each other. Shared, word for
//! word, by the app (`main.rs`) and the worker (`bin/tools_worker.rs`, which
//! includes this file).
//!
//! A request is a plain JavaScript object, so its bytes can be *transferred*
//! (moved, not copied) to the worker: `{id, tool, name, bytes}` with `bytes`
//! an `ArrayBuffer`. Every reply is one JSON string of [`Reply`].

use serde::{Deserialize, Serialize};

/// A request's fields, as the page sets them on the message object.
pub mod field {
    /// The job's number, echoed in the reply.
    pub const ID: &str = "id";
    /// The tool's id ([`safelab_tools::Tool::as_str`]).
    pub const TOOL: &str = "tool";
    /// The input's file name.
    pub const NAME: &str = "name";
    /// The input, an `ArrayBuffer` transferred to the worker.
    pub const BYTES: &str = "bytes";
}

/// What the worker says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// The worker has loaded its WASM and takes requests (sent once, first).
    Ready,
    /// A tool read the input.
    Done(Box<Done>),
    /// The input was not read at all (too large, unknown tool).
    Refused {
        /// The job.
        id: u32,
        /// Why, in words a learner can act on.
        message: String,
    },
}

/// A finished job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    /// The job.
    pub id: u32,
    /// The report, its main list cut short for the page (the worker's
    /// `SHOWN` items).
    pub report: safelab_tools::Report,
    /// How long the list was before the cut, if it was cut.
    pub cut_from: Option<usize>,
    /// How long the tool took in the worker, in milliseconds.
    pub millis: f64,
    /// How many network requests the worker has made in its whole life, as
    /// its own resource timeline counts them: the files that loaded it, and
    /// nothing more however many files it reads (the "nothing leaves the
    /// page" test watches this stay put).
    pub worker_fetches: usize,
    /// The dependency check's counts, taken before its lists were cut.
    #[serde(default)]
    pub requirements: Option<RequirementCounts>,
}

/// What a long requirements file holds in all, when the page gets only the
/// first of its requirements and warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementCounts {
    /// Requirements read.
    pub listed: usize,
    /// Those pinned to one version.
    pub pinned: usize,
    /// Lines the check could not use.
    pub warnings: usize,
}
