//! The analysis tools' Web Worker: a second WASM binary, the only one that
//! links the tools' parsers and the advisory snapshot. The app starts it on
//! the first use of a tool (so the first paint pays nothing for the tools),
//! and it runs each tool off the main thread, so a 10 MB file leaves the page
//! responsive. Nothing here talks to the network: the input arrives as a
//! transferred `ArrayBuffer` and the report leaves as a message.
//!
//! trunk builds it (`index.html`, `data-type="worker"`) with a loader shim,
//! `tools_worker_loader.js`, which the page hands to `new Worker(…)`.

use safelab_tools::{Report, Tool};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

#[path = "../tool_messages.rs"]
mod tool_messages;

use tool_messages::{Done, Reply, RequirementCounts, field};

fn main() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let replies = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let reply = answer(&event.data(), &replies);
        // A reply that cannot be posted has no one to tell.
        let _ = replies.post_message(&JsValue::from_str(&to_json(&reply)));
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str(&to_json(&Reply::Ready)));
}

/// Runs the tool a request names on its bytes.
fn answer(request: &JsValue, scope: &DedicatedWorkerGlobalScope) -> Reply {
    let get = |name: &str| js_sys::Reflect::get(request, &JsValue::from_str(name)).ok();
    let id = get(field::ID)
        .and_then(|id| id.as_f64())
        .map_or(0, |id| id as u32);
    let tool = get(field::TOOL).and_then(|tool| tool.as_string());
    let Some(tool) = tool.and_then(|tool| Tool::ALL.into_iter().find(|t| t.as_str() == tool))
    else {
        return Reply::Refused {
            id,
            message: "the page asked for a tool this worker does not have: reload the page"
                .to_owned(),
        };
    };
    let name = get(field::NAME)
        .and_then(|name| name.as_string())
        .unwrap_or_default();
    let Some(buffer) =
        get(field::BYTES).and_then(|bytes| bytes.dyn_into::<js_sys::ArrayBuffer>().ok())
    else {
        return Reply::Refused {
            id,
            message: "the page sent no bytes to read: pick the file again".to_owned(),
        };
    };
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    let start = js_sys::Date::now();
    match safelab_tools::run(tool, &name, &bytes) {
        Ok(mut report) => {
            let millis = js_sys::Date::now() - start;
            let requirements = match &report {
                Report::Packages(report) => Some(RequirementCounts {
                    listed: report.packages.len(),
                    pinned: report
                        .packages
                        .iter()
                        .filter(|package| package.pinned.is_some())
                        .count(),
                    warnings: report.warnings.len(),
                }),
                _ => None,
            };
            let cut_from = cut(&mut report);
            Reply::Done(Box::new(Done {
                id,
                report,
                cut_from,
                millis,
                worker_fetches: fetches(scope),
                requirements,
            }))
        }
        Err(error) => Reply::Refused {
            id,
            message: error.to_string(),
        },
    }
}

/// The longest list of findings a reply carries (secrets, lint findings,
/// advisories hit, a pickle's imports and calls): the page draws a report,
/// not a 10,000-row table, and the main thread parses a small JSON text
/// instead of megabytes. The totals stay in the report and the reply says
/// what was cut. Measured (tools_throughput bench): drawing 1,000 advisory
/// rows held the main thread for over 200 ms; 250 keep it near 50 ms.
const SHOWN: usize = 250;

/// The longest opcode listing a reply carries: its rows are plain and sit in
/// a closed `<details>`, so 1,000 of them draw without a long task.
const LISTING_SHOWN: usize = 1_000;

/// The longest text a reply carries (the Python a pickle would run).
const SHOWN_TEXT: usize = 64 * 1024;

/// Cuts the report's main list to [`SHOWN`] items (an opcode listing to
/// [`LISTING_SHOWN`]); gives its length before,
/// if it was longer. A pickle's imports and calls, and a requirements
/// file's requirements and warnings, are cut to [`SHOWN`] too, and the
/// Python a pickle would run to [`SHOWN_TEXT`] bytes.
fn cut(report: &mut Report) -> Option<usize> {
    fn cut_list<T>(list: &mut Vec<T>) -> Option<usize> {
        cut_to(list, SHOWN)
    }
    fn cut_to<T>(list: &mut Vec<T>, limit: usize) -> Option<usize> {
        let before = list.len();
        (before > limit).then(|| {
            list.truncate(limit);
            before
        })
    }
    match report {
        Report::Pickle(report) => {
            cut_list(&mut report.imports);
            cut_list(&mut report.calls);
            if report.python.len() > SHOWN_TEXT {
                let mut end = SHOWN_TEXT;
                while !report.python.is_char_boundary(end) {
                    end -= 1;
                }
                report.python.truncate(end);
                report
                    .python
                    .push_str("\n# … cut here: the rest is too long to show\n");
            }
            cut_to(&mut report.listing, LISTING_SHOWN)
        }
        Report::Secrets(report) => cut_list(&mut report.findings),
        Report::Lint(report) => cut_list(&mut report.findings),
        Report::Packages(report) => {
            // The counts went into the reply first (`RequirementCounts`).
            cut_list(&mut report.packages);
            cut_list(&mut report.warnings);
            cut_list(&mut report.hits)
        }
    }
}

/// The requests in the worker's resource timeline.
fn fetches(scope: &DedicatedWorkerGlobalScope) -> usize {
    scope.performance().map_or(0, |performance| {
        performance.get_entries_by_type("resource").length() as usize
    })
}

fn to_json(reply: &Reply) -> String {
    serde_json::to_string(reply).unwrap_or_else(|error| {
        let id = match reply {
            Reply::Done(done) => done.id,
            Reply::Refused { id, .. } => *id,
            Reply::Ready => 0,
        };
        let refused = Reply::Refused {
            id,
            message: format!("the report could not be sent to the page ({error})"),
        };
        serde_json::to_string(&refused).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_cut_for_the_page_and_say_from_how_many() {
        // 600 random-looking GitHub tokens (a scanner ignores placeholders).
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut seed = 0x5AFE_u64;
        let mut token = || -> String {
            (0..36)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    alphabet[(seed >> 33) as usize % alphabet.len()] as char
                })
                .collect()
        };
        let text: String = (0..600)
            .map(|n| format!("TOKEN_{n} = \"ghp_{}\"\n", token()))
            .collect();
        let mut report =
            safelab_tools::run(Tool::Secrets, "tokens.py", text.as_bytes()).expect("read");
        let found = report.finding_count();
        assert!(found > SHOWN, "{found} findings");
        assert_eq!(cut(&mut report), Some(found));
        let Report::Secrets(secrets) = &report else {
            unreachable!("the secret scanner's report")
        };
        assert_eq!(secrets.findings.len(), SHOWN);
        assert_eq!(secrets.finding_total, found, "the total stays");
    }

    #[test]
    fn short_lists_reach_the_page_whole() {
        let mut report = safelab_tools::run(
            Tool::Packages,
            "requirements.txt",
            b"requests==2.19.0\nPyYAML==5.3.1\n",
        )
        .expect("read");
        let before = report.clone();
        assert_eq!(cut(&mut report), None);
        assert_eq!(report, before);
    }
}
