//! One analysis tool as the Tools page and a lesson's widget draw it: drop a
//! file, choose one, paste text or pick a lab example; the tool runs in the
//! tools' Web Worker ([`crate::tool_runner`]) and its report is drawn here.
//! The learner's own file never leaves the browser.

use leptos::prelude::*;
use leptos::task::spawn_local;
use safelab_tools::{MAX_INPUT, Report, Tool};
use wasm_bindgen::JsCast;

use crate::api;
use crate::components::lint_report::LintReport;
use crate::components::packages_report::PackagesReport;
use crate::components::pickle_report::PickleReport;
use crate::components::secrets_report::SecretsReport;
use crate::tool_messages::Done;
use crate::tool_runner::{self, JobId, Outcome};

/// Where a panel is in its work.
#[derive(Debug, Clone, PartialEq)]
enum Status {
    /// Nothing asked yet.
    Idle,
    /// Reading the file (or fetching the example) in the page.
    Reading { name: String, size: usize },
    /// The worker has it.
    Working {
        job: JobId,
        name: String,
        size: usize,
        loading: bool,
    },
    /// The report of the panel's `run`th input.
    Finished {
        name: String,
        size: usize,
        run: u64,
        done: Box<Done>,
    },
    /// The input was not read, and why.
    Problem(String),
    /// The learner cancelled.
    Cancelled(String),
}

/// The words under each tool's title: what it does, for whom.
fn purpose(tool: Tool) -> &'static str {
    match tool {
        Tool::Pickle => {
            "Shows what loading a pickle (.pkl, .pickle, .joblib, a PyTorch .pt's data.pkl) would do — every import and call — without loading it."
        }
        Tool::Secrets => {
            "Finds API keys, tokens, private keys and passwords in a file, a notebook, a .env or a git bundle, and says how to rotate each one."
        }
        Tool::Packages => {
            "Checks the versions a requirements.txt, pip freeze output or pyproject.toml pins against known security advisories."
        }
        Tool::Lint => {
            "Reads a Python file and points at code the well-known security linter (bandit) would flag, with the fix."
        }
    }
}

/// What to paste, per tool.
fn paste_hint(tool: Tool) -> &'static str {
    match tool {
        Tool::Pickle => "a protocol 0 pickle is text",
        Tool::Secrets => "a config file, a notebook cell, a log",
        Tool::Packages => "requirements.txt or pip freeze output",
        Tool::Lint => "Python code",
    }
}

/// The file name given to pasted text: it tells the dependency check a
/// requirements file from a pyproject.toml.
fn pasted_name(tool: Tool, text: &str) -> &'static str {
    match tool {
        Tool::Pickle => "pasted.pkl",
        Tool::Secrets => "pasted.txt",
        Tool::Packages if text.contains("[project]") => "pyproject.toml",
        Tool::Packages => "requirements.txt",
        Tool::Lint => "pasted.py",
    }
}

/// The class of a report's summary badge: red when the tool found
/// something, green when it found nothing.
pub fn verdict_class(findings: usize) -> &'static str {
    if findings > 0 {
        "verdict-badge verdict-danger"
    } else {
        "verdict-badge verdict-safe"
    }
}

/// A size as people read it: `512 bytes`, `2.3 kB`, `10.0 MB`.
pub fn human_size(bytes: usize) -> String {
    match bytes {
        0..1_000 => format!("{bytes} bytes"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

/// One tool: its inputs, its progress and its report.
#[component]
pub fn ToolPanel(
    /// The tool.
    tool: Tool,
    /// Starts every element id in the panel (`tools` gives `tools-pickle-file`),
    /// so a page can hold the same tool twice.
    #[prop(into)]
    prefix: String,
    /// Inside a lesson: a smaller heading.
    #[prop(optional)]
    in_lesson: bool,
) -> impl IntoView {
    let id = |part: &str| format!("{prefix}-{}-{part}", tool.as_str());
    let status = RwSignal::new(Status::Idle);
    // Each start gets a number; a job's outcome counts only if no later start
    // has replaced it.
    let generation = StoredValue::new(0_u64);
    let dragging = RwSignal::new(false);
    let pasted = RwSignal::new(String::new());
    let chosen_example = RwSignal::new(String::new());
    let examples = LocalResource::new(api::tool_examples);

    // Stops whatever runs, then takes the new input.
    let begin = move |name: String, size: usize| -> Option<u64> {
        if let Status::Working { job, .. } = status.get_untracked() {
            tool_runner::cancel(job);
        }
        if size > MAX_INPUT {
            status.set(Status::Problem(format!(
                "{name} is {}: the tools read at most {} MB. Split it, or check a part of it.",
                human_size(size),
                MAX_INPUT / (1024 * 1024)
            )));
            return None;
        }
        let current = generation.get_value() + 1;
        generation.set_value(current);
        status.set(Status::Reading { name, size });
        Some(current)
    };
    let submit = move |current: u64, name: String, buffer: js_sys::ArrayBuffer| {
        if generation.get_value() != current {
            return;
        }
        let size = buffer.byte_length() as usize;
        mark(&format!("safelab-tool-start-{}", tool.as_str()));
        let loading = !tool_runner::is_loaded();
        let settled_name = name.clone();
        let job = tool_runner::run(tool, name.clone(), buffer, move |outcome| {
            if generation.get_value() != current {
                return;
            }
            status.set(match outcome {
                Outcome::Done(done) => Status::Finished {
                    name: settled_name,
                    size,
                    run: current,
                    done,
                },
                Outcome::Refused(message) | Outcome::Failed(message) => Status::Problem(message),
                Outcome::Cancelled => Status::Cancelled(settled_name),
            });
        });
        status.update(|status| {
            if matches!(status, Status::Reading { .. }) {
                *status = Status::Working {
                    job,
                    name,
                    size,
                    loading,
                };
            }
        });
    };
    let take_file = move |file: web_sys::File| {
        let name = file.name();
        let Some(current) = begin(name.clone(), file.size() as usize) else {
            return;
        };
        spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => submit(current, name, buffer.unchecked_into()),
                Err(_) => {
                    if generation.get_value() == current {
                        status.set(Status::Problem(format!(
                            "{name} could not be read: the browser refused it (was it moved or deleted?)"
                        )));
                    }
                }
            }
        });
    };
    let take_bytes = move |name: String, bytes: &[u8]| {
        if let Some(current) = begin(name.clone(), bytes.len()) {
            submit(current, name, js_sys::Uint8Array::from(bytes).buffer());
        }
    };

    let on_file = move |event: web_sys::Event| {
        let input: web_sys::HtmlInputElement = event_target(&event);
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            take_file(file);
        }
        // The same file chosen again runs again.
        input.set_value("");
    };
    let on_drop = move |event: web_sys::DragEvent| {
        event.prevent_default();
        dragging.set(false);
        if let Some(file) = event
            .data_transfer()
            .and_then(|transfer| transfer.files())
            .and_then(|files| files.get(0))
        {
            take_file(file);
        }
    };
    let on_paste_run = move |_| {
        let text = pasted.get_untracked();
        if text.is_empty() {
            status.set(Status::Problem(
                "Paste something into the box first.".to_owned(),
            ));
            return;
        }
        take_bytes(pasted_name(tool, &text).to_owned(), text.as_bytes());
    };
    let on_example_run = move |_| {
        let name = chosen_example.get_untracked();
        let name = if name.is_empty() {
            examples
                .get_untracked()
                .and_then(Result::ok)
                .and_then(|list| list.into_iter().find(|example| example.tool == tool))
                .map(|example| example.name)
                .unwrap_or_default()
        } else {
            name
        };
        if name.is_empty() {
            return;
        }
        let Some(current) = begin(name.clone(), 0) else {
            return;
        };
        spawn_local(async move {
            match api::tool_example(&name).await {
                Ok(bytes) if generation.get_value() == current => {
                    if bytes.len() > MAX_INPUT {
                        begin(name, bytes.len());
                    } else {
                        submit(current, name, js_sys::Uint8Array::from(&bytes[..]).buffer());
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    if generation.get_value() == current {
                        status.set(Status::Problem(error.to_string()));
                    }
                }
            }
        });
    };
    let cancel = move |_| {
        if let Status::Working { job, .. } = status.get_untracked() {
            tool_runner::cancel(job);
        }
    };

    let title_id = id("title");
    let heading = if in_lesson {
        view! { <h3 id=title_id.clone()>{tool.title()}</h3> }.into_any()
    } else {
        view! { <h2 id=title_id.clone()>{tool.title()}</h2> }.into_any()
    };
    let (file_id, drop_id, paste_id, paste_run_id) =
        (id("file"), id("drop"), id("paste"), id("paste-run"));
    let (example_id, example_run_id, cancel_id, report_id) =
        (id("example"), id("example-run"), id("cancel"), id("report"));
    let example_picker = move || {
        let list: Vec<_> = examples
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|example| example.tool == tool)
            .collect();
        if list.is_empty() {
            return None;
        }
        let options = list
            .into_iter()
            .map(|example| {
                let label = format!("{} — {}", example.name, example.title);
                view! { <option value=example.name.clone()>{label}</option> }
            })
            .collect_view();
        let (example_id, example_run_id) = (example_id.clone(), example_run_id.clone());
        Some(view! {
            <div class="tool-example">
                <label for=example_id.clone()>"Or pick a lab example"</label>
                <select id=example_id on:change=move |event| {
                    let select: web_sys::HtmlSelectElement = event_target(&event);
                    chosen_example.set(select.value());
                }>{options}</select>
                <button type="button" id=example_run_id on:click=on_example_run>"Check the example"</button>
            </div>
        })
    };
    let progress = move || {
        match status.get() {
        Status::Idle => ().into_any(),
        Status::Reading { name, size } => {
            // An example's size is known once it has arrived.
            let size = (size > 0).then(|| format!(" ({})", human_size(size)));
            view! { <p class="tool-working">"Reading " <code>{name}</code> {size} "…"</p> }.into_any()
        }
        Status::Working {
            name,
            size,
            loading,
            ..
        } => view! {
            <p class="tool-working">
                {if loading { "Loading the tools (once), then checking " } else { "Working… checking " }}
                <code>{name}</code>
                {format!(" ({}) in this browser. ", human_size(size))}
                <button type="button" id=cancel_id.clone() on:click=cancel>"Cancel"</button>
            </p>
        }
        .into_any(),
        Status::Problem(message) => {
            view! { <p class="error tool-problem" role="alert">{message}</p> }.into_any()
        }
        Status::Cancelled(name) => view! {
            <p class="hint">"Stopped checking " <code>{name}</code> ". Pick it again to start over."</p>
        }
        .into_any(),
        Status::Finished {
            name, size, done, ..
        } => {
            let facts = format!(
                " ({}) checked in {} ms, in this browser.",
                human_size(size),
                done.millis.round()
            );
            view! { <p class="tool-done"><code>{name}</code>{facts}</p> }.into_any()
        }
    }
    };
    let report = move || match status.get() {
        Status::Finished { run, done, .. } => {
            let Done {
                report,
                cut_from,
                millis,
                worker_fetches,
                requirements,
                ..
            } = *done;
            // Once drawn, the bench and the tests can see how long the whole
            // run took, from the pick to the drawn report.
            request_animation_frame(move || measure(tool));
            let body = match report {
                Report::Pickle(report) => view! { <PickleReport report cut_from /> }.into_any(),
                Report::Secrets(report) => view! { <SecretsReport report cut_from /> }.into_any(),
                Report::Lint(report) => view! { <LintReport report cut_from /> }.into_any(),
                Report::Packages(report) => {
                    view! { <PackagesReport report cut_from requirements /> }.into_any()
                }
            };
            view! {
                <div class="tool-report" data-run=run.to_string() data-worker-ms=millis.to_string() data-worker-fetches=worker_fetches.to_string()>{body}</div>
            }
            .into_any()
        }
        _ => ().into_any(),
    };

    view! {
        <section class="tool-panel" id=id("panel") aria-labelledby=title_id>
            {heading}
            <p class="tool-purpose">{purpose(tool)}</p>
            <p class="tool-private">
                "Nothing is uploaded: the file is read here, in your browser, and never leaves it."
            </p>
            <div
                class="drop-zone"
                class:dragging=move || dragging.get()
                id=drop_id
                on:dragover=move |event: web_sys::DragEvent| {
                    event.prevent_default();
                    dragging.set(true);
                }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <label for=file_id.clone()>"Drop a file here, or choose one:"</label>
                <input type="file" id=file_id on:change=on_file />
            </div>
            <div class="tool-inputs">
            <div class="tool-paste">
                <label for=paste_id.clone()>{format!("Or paste text ({})", paste_hint(tool))}</label>
                <textarea
                    id=paste_id
                    rows="3"
                    spellcheck="false"
                    prop:value=move || pasted.get()
                    on:input=move |event| pasted.set(event_target_value(&event))
                ></textarea>
                <button type="button" id=paste_run_id on:click=on_paste_run>"Check the pasted text"</button>
            </div>
            {example_picker}
            </div>
            <div class="tool-status" role="status" aria-live="polite">{progress}</div>
            <div id=report_id>{report}</div>
        </section>
    }
}

fn performance() -> Option<web_sys::Performance> {
    web_sys::window().and_then(|window| window.performance())
}

fn mark(name: &str) {
    if let Some(performance) = performance() {
        let _ = performance.mark(name);
    }
}

/// `safelab-tool-{tool}`: from the input handed to the worker to the report
/// on screen, for the throughput benchmark.
fn measure(tool: Tool) {
    if let Some(performance) = performance() {
        let name = format!("safelab-tool-{}", tool.as_str());
        let _ = performance
            .measure_with_start_mark(&name, &format!("safelab-tool-start-{}", tool.as_str()));
    }
}
