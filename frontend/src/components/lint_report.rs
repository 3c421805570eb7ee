//! The Python security lint's report: each finding with its check, line,
//! severity and confidence, the code and the fix; or why the file could not
//! be parsed.

use leptos::prelude::*;
use safelab_tools::lint::Report;

use crate::components::tool_panel::verdict_class;

/// Draws one lint report.
#[component]
pub fn LintReport(
    /// The report.
    report: Report,
    /// How many findings there were before the list was cut for the page.
    cut_from: Option<usize>,
) -> impl IntoView {
    // Past the lint's own cap findings are counted, not kept.
    let total = cut_from.unwrap_or(report.findings.len()) + report.omitted;
    let summary = match total {
        0 => "No findings.".to_owned(),
        1 => "1 finding.".to_owned(),
        n => format!("{n} findings."),
    };
    let mut facts = format!(" {} lines of {}.", report.lines, report.file);
    if report.suppressed > 0 {
        facts.push_str(&format!(" {} silenced by # nosec.", report.suppressed));
    }
    let syntax = report.syntax_error.map(|error| {
        view! {
            <p class="error lint-syntax-error" role="alert">
                {format!(
                    "This is not valid Python (line {}, column {}): {}. The lint checks only what it can parse: fix this first.",
                    error.line, error.column, error.message
                )}
            </p>
        }
    });
    let cut = (total > report.findings.len()).then(|| {
        view! { <p class="hint">{format!("The first {} are listed here; safelab lint FILE lists them all.", report.findings.len())}</p> }
    });
    let items = report
        .findings
        .into_iter()
        .map(|finding| {
            view! {
                <li class="lint-finding">
                    <p>
                        <strong class="lint-check">{finding.check}</strong>" "
                        <code class="muted">{finding.name}</code>
                        {format!(" — line {}, column {}", finding.line, finding.column)}
                    </p>
                    <p>
                        <span class=format!("level level-{}", finding.severity.as_str())>
                            {format!("severity {}", finding.severity.as_str())}
                        </span>
                        " "
                        <span class=format!("level level-{}", finding.confidence.as_str())>
                            {format!("confidence {}", finding.confidence.as_str())}
                        </span>
                    </p>
                    <p class="lint-message">{finding.message}</p>
                    <pre tabindex="0"><code>{finding.code}</code></pre>
                    <p class="lint-fix"><strong>"Fix: "</strong>{finding.fix}</p>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="lint-report">
            <p class=verdict_class(total)>
                <strong class="lint-summary">{summary}</strong>{facts}
            </p>
            {syntax}
            {cut}
            <ol class="lint-findings">{items}</ol>
        </div>
    }
}
