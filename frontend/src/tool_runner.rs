//! The page's side of the analysis tools' Web Worker (`bin/tools_worker.rs`).
//!
//! The worker is started on the first use of a tool, not with the page, so
//! the first paint pays nothing for the tools' WASM. Jobs wait in a queue here
//! and go to the worker one at a time: a job not yet sent still owns its bytes,
//! so cancelling the running one (which terminates the worker: WASM cannot be
//! interrupted) loses nothing else; a fresh worker takes the rest.

use std::cell::RefCell;
use std::collections::VecDeque;

use safelab_tools::Tool;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::tool_messages::{Done, Reply, field};

/// The worker's loader, which trunk writes next to the app (`index.html`).
const WORKER_URL: &str = "/tools_worker_loader.js";

/// A job's number, to cancel it.
pub type JobId = u32;

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The tool read the input.
    Done(Box<Done>),
    /// The tool did not read it, and says why.
    Refused(String),
    /// The learner cancelled it.
    Cancelled,
    /// The worker could not be started or stopped while working.
    Failed(String),
}

type Settle = Box<dyn FnOnce(Outcome)>;

struct Job {
    id: JobId,
    tool: Tool,
    name: String,
    bytes: js_sys::ArrayBuffer,
    settle: Settle,
}

/// A started worker and the handlers it calls.
struct Started {
    worker: web_sys::Worker,
    ready: bool,
    _on_message: Closure<dyn Fn(web_sys::MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::ErrorEvent)>,
}

impl Started {
    /// Stops the worker. Its handlers are dropped after the current event,
    /// which may be one of theirs.
    fn retire(self) {
        self.worker.terminate();
        wasm_bindgen_futures::spawn_local(async move { drop(self) });
    }
}

#[derive(Default)]
struct Runner {
    worker: Option<Started>,
    queue: VecDeque<Job>,
    running: Option<(JobId, Settle)>,
    last_id: JobId,
}

thread_local! {
    static RUNNER: RefCell<Runner> = RefCell::default();
}

/// Runs `tool` on `bytes` (the file `name`) in the worker, starting it if
/// need be, and calls `settle` once with how it ended.
pub fn run(
    tool: Tool,
    name: String,
    bytes: js_sys::ArrayBuffer,
    settle: impl FnOnce(Outcome) + 'static,
) -> JobId {
    let id = RUNNER.with_borrow_mut(|runner| {
        runner.last_id += 1;
        let id = runner.last_id;
        runner.queue.push_back(Job {
            id,
            tool,
            name,
            bytes,
            settle: Box::new(settle),
        });
        id
    });
    pump();
    id
}

/// Whether the worker is loaded and waiting (so a job starts at once).
pub fn is_loaded() -> bool {
    RUNNER.with_borrow(|runner| runner.worker.as_ref().is_some_and(|worker| worker.ready))
}

/// Cancels job `id`: drops it if it waits, stops the worker if it runs.
pub fn cancel(id: JobId) {
    let settle = RUNNER.with_borrow_mut(|runner| {
        if let Some(position) = runner.queue.iter().position(|job| job.id == id) {
            return runner.queue.remove(position).map(|job| job.settle);
        }
        if runner
            .running
            .as_ref()
            .is_some_and(|(running, _)| *running == id)
        {
            if let Some(worker) = runner.worker.take() {
                worker.retire();
            }
            return runner.running.take().map(|(_, settle)| settle);
        }
        None
    });
    if let Some(settle) = settle {
        settle(Outcome::Cancelled);
    }
    pump();
}

/// Sends the next job if the worker is free, starting a worker if jobs wait.
fn pump() {
    let mut settled: Vec<(Settle, Outcome)> = Vec::new();
    RUNNER.with_borrow_mut(|runner| {
        if runner.queue.is_empty() {
            return;
        }
        if runner.worker.is_none() {
            match start() {
                Ok(worker) => runner.worker = Some(worker),
                Err(reason) => {
                    settled.extend(
                        runner
                            .queue
                            .drain(..)
                            .map(|job| (job.settle, Outcome::Failed(reason.clone()))),
                    );
                    return;
                }
            }
        }
        let Some(worker) = runner.worker.as_ref().filter(|worker| worker.ready) else {
            return;
        };
        if runner.running.is_some() {
            return;
        }
        let Some(job) = runner.queue.pop_front() else {
            return;
        };
        match post(&worker.worker, &job) {
            Ok(()) => runner.running = Some((job.id, job.settle)),
            Err(reason) => settled.push((job.settle, Outcome::Failed(reason))),
        }
    });
    for (settle, outcome) in settled {
        settle(outcome);
    }
}

/// Moves the job's bytes to the worker (transferred: no copy).
fn post(worker: &web_sys::Worker, job: &Job) -> Result<(), String> {
    let message = js_sys::Object::new();
    let set = |key: &str, value: &JsValue| {
        js_sys::Reflect::set(&message, &JsValue::from_str(key), value).map(|_| ())
    };
    set(field::ID, &JsValue::from(job.id))
        .and_then(|()| set(field::TOOL, &JsValue::from_str(job.tool.as_str())))
        .and_then(|()| set(field::NAME, &JsValue::from_str(&job.name)))
        .and_then(|()| set(field::BYTES, &job.bytes))
        .and_then(|()| worker.post_message_with_transfer(&message, &js_sys::Array::of1(&job.bytes)))
        .map_err(|error| format!("the file could not be handed to the tools: {error:?}"))
}

fn start() -> Result<Started, String> {
    let worker = web_sys::Worker::new(WORKER_URL)
        .map_err(|error| format!("the tools could not be started ({error:?}): reload the page"))?;
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
            let text = event.data().as_string().unwrap_or_default();
            match serde_json::from_str::<Reply>(&text) {
                Ok(reply) => received(reply),
                Err(error) => stopped(format!("the tools answered something unreadable ({error})")),
            }
        });
    let on_error = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(|event: web_sys::ErrorEvent| {
        event.prevent_default();
        let message = event.message();
        stopped(if message.is_empty() {
            "the tools could not be loaded: is the safelab program still running? Reload the page"
                .to_owned()
        } else {
            format!("the tool stopped with an error ({message}): reload the page and try again")
        });
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Started {
        worker,
        ready: false,
        _on_message: on_message,
        _on_error: on_error,
    })
}

fn received(reply: Reply) {
    let id = match &reply {
        Reply::Ready => {
            RUNNER.with_borrow_mut(|runner| {
                if let Some(worker) = runner.worker.as_mut() {
                    worker.ready = true;
                }
            });
            pump();
            return;
        }
        Reply::Done(done) => done.id,
        Reply::Refused { id, .. } => *id,
    };
    let settle = RUNNER.with_borrow_mut(|runner| {
        if runner
            .running
            .as_ref()
            .is_some_and(|(running, _)| *running == id)
        {
            runner.running.take().map(|(_, settle)| settle)
        } else {
            None
        }
    });
    if let Some(settle) = settle {
        settle(match reply {
            Reply::Done(done) => Outcome::Done(done),
            Reply::Refused { message, .. } => Outcome::Refused(message),
            Reply::Ready => unreachable!("handled above"),
        });
    }
    pump();
}

/// The worker failed: the running job fails with `reason`, the worker goes,
/// and a fresh one takes any job that waits.
fn stopped(reason: String) {
    let settle = RUNNER.with_borrow_mut(|runner| {
        let was_loading = runner.worker.as_ref().is_some_and(|worker| !worker.ready);
        if let Some(worker) = runner.worker.take() {
            worker.retire();
        }
        // A worker that never loaded would fail again: the waiting jobs fail now.
        let mut settle: Vec<Settle> = runner
            .running
            .take()
            .map(|(_, settle)| settle)
            .into_iter()
            .collect();
        if was_loading {
            settle.extend(runner.queue.drain(..).map(|job| job.settle));
        }
        settle
    });
    for settle in settle {
        settle(Outcome::Failed(reason.clone()));
    }
    pump();
}
