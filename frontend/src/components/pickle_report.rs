//! The pickle inspector's report: the verdict, what the pickle imports and
//! calls, the Python that loading it would run, and its opcode listing.

use leptos::prelude::*;
use safelab_tools::pickle::{Report, Verdict};

use crate::components::tool_panel::human_size;

/// The verdict in words, and the class that colours it.
fn verdict_words(verdict: Verdict) -> (&'static str, &'static str, &'static str) {
    match verdict {
        Verdict::Data => (
            "verdict-safe",
            "Plain data",
            "Loading it builds numbers, strings, lists and dicts: it imports nothing and calls nothing.",
        ),
        Verdict::Objects => (
            "verdict-caution",
            "Objects of known libraries",
            "Loading it runs the code of known data libraries (numpy, pandas, collections…). That is only as safe as whoever made the file: load it only if you trust them, or ask for Parquet, JSON or safetensors.",
        ),
        Verdict::Dangerous => (
            "verdict-danger",
            "Dangerous: do not load it",
            "Loading this pickle would call something that can run commands, run code or touch your computer (see the calls below). pickle.load, pandas.read_pickle and joblib.load would all do it.",
        ),
        Verdict::Malformed => (
            "verdict-caution",
            "Not a readable pickle",
            "It is not a pickle, or it is broken before anything could be said about it.",
        ),
        // The command line's verdict on a file it did not read (too large);
        // the page refuses such a file before the inspector sees it.
        Verdict::NotInspected => (
            "verdict-caution",
            "Not inspected",
            "The file was not read (too large, or unreadable): nothing can be said about it.",
        ),
    }
}

/// Draws one pickle inspector report.
#[component]
pub fn PickleReport(
    /// The report.
    report: Report,
    /// How many opcodes the listing had before it was cut for the page.
    cut_from: Option<usize>,
) -> impl IntoView {
    let (class, verdict, explanation) = verdict_words(report.verdict);
    let protocol = report
        .protocol
        .map_or_else(|| "0 or 1".to_owned(), |protocol| protocol.to_string());
    let error = report.error.map(|error| {
        view! {
            <p class="error pickle-error" role="alert">
                {format!("Reading stopped at byte {}: {}", error.offset, error.message)}
            </p>
        }
    });
    let trailing = (report.trailing > 0).then(|| {
        view! {
            <p class="hint">{format!("{} bytes follow the pickle's STOP: pickle.load never reads them, but something else might.", report.trailing)}</p>
        }
    });
    let dis_error = report.dis_error.map(|message| {
        view! { <p class="hint">{format!("Python's pickletools.dis would stop here with an error: {message}")}</p> }
    });
    let imports = if report.imports.is_empty() {
        view! { <p class="hint">"It imports nothing."</p> }.into_any()
    } else {
        let items = report
            .imports
            .into_iter()
            .map(|import| {
                let why = (!import.why.is_empty()).then(|| format!(": {}", import.why));
                view! {
                    <li class:dangerous=import.dangerous>
                        <code>{format!("{}.{}", import.module, import.name)}</code>
                        {format!(" — {}", import.risk.as_str())}
                        {why}
                        <span class="muted">{format!(" (byte {})", import.offset)}</span>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="pickle-imports">{items}</ul> }.into_any()
    };
    let more_calls = (report.call_count > report.calls.len()).then(|| {
        view! {
            <p class="hint">{format!("The first {} of its {} calls are listed.", report.calls.len(), report.call_count)}</p>
        }
    });
    let calls = if report.calls.is_empty() {
        view! { <p class="hint">"It calls nothing."</p> }.into_any()
    } else {
        let rows = report
            .calls
            .into_iter()
            .map(|call| {
                view! {
                    <tr class:dangerous=call.dangerous>
                        <td><code>{call.callable}</code></td>
                        <td><code>{call.python}</code></td>
                        <td>{if call.dangerous { "dangerous" } else { "" }}</td>
                        <td class="mono">{call.offset}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-scroll">
                <table class="tool-table pickle-calls">
                    <thead><tr><th scope="col">"Calls"</th><th scope="col">"As Python"</th><th scope="col">"Danger"</th><th scope="col">"Byte"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let listed = report.listing.len();
    let listing_title = match cut_from {
        Some(total) => format!(
            "Opcode listing ({} opcodes; the first {listed} shown — safelab pickle FILE prints them all)",
            report.op_count.max(total)
        ),
        None => format!("Opcode listing ({} opcodes)", report.op_count),
    };
    let rows = report
        .listing
        .into_iter()
        .map(|op| {
            let indent = "· ".repeat(op.depth.min(40));
            let argument = match (op.argument, op.note) {
                (Some(argument), Some(note)) => format!("{argument} {note}"),
                (argument, note) => argument.or(note).unwrap_or_default(),
            };
            view! {
                <tr>
                    <td class="mono">{op.offset}</td>
                    <td class="mono">{op.code}</td>
                    <td class="mono">{indent}{op.name}</td>
                    <td class="mono">{argument}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="pickle-report">
            <p class=format!("verdict-badge {class}")>
                <strong class="pickle-verdict">{verdict}</strong>
                ". "
                {explanation}
            </p>
            <p class="muted">
                {format!("{}, protocol {protocol}, {} opcodes.", human_size(report.size), report.op_count)}
            </p>
            {error}
            {dis_error}
            {trailing}
            <h4>"What it imports"</h4>
            {imports}
            <h4>"What loading it would call"</h4>
            {calls}
            {more_calls}
            <h4>"What pickle.load would do, as Python"</h4>
            <pre class="pickle-python" tabindex="0"><code>{report.python}</code></pre>
            <details class="pickle-listing">
                <summary>{listing_title}</summary>
                <div class="table-scroll">
                    <table class="tool-table">
                        <thead><tr><th scope="col">"Offset"</th><th scope="col">"Code"</th><th scope="col">"Opcode"</th><th scope="col">"Argument"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </details>
        </div>
    }
}
