//! The secret scanner's report: every secret found, where it is (and in
//! which commit, for a history), a redacted preview, how sure the scanner is
//! and how to rotate it.

use leptos::prelude::*;
use safelab_tools::secrets::Report;

use crate::components::tool_panel::{human_size, verdict_class};

/// Draws one secret scanner report.
#[component]
pub fn SecretsReport(
    /// The report.
    report: Report,
    /// How many findings there were before the list was cut for the page.
    cut_from: Option<usize>,
) -> impl IntoView {
    let scanned = &report.scanned;
    let mut read = format!(
        "Read {} in {} file{}",
        human_size(scanned.bytes),
        scanned.files,
        if scanned.files == 1 { "" } else { "s" }
    );
    if scanned.commits > 0 {
        read.push_str(&format!(" across {} commits", scanned.commits));
    }
    if scanned.binary > 0 {
        read.push_str(&format!(" ({} binary files skipped)", scanned.binary));
    }
    read.push('.');
    let total = report.finding_total.max(cut_from.unwrap_or(0));
    let summary = match total {
        0 => "No secrets found.".to_owned(),
        1 => "1 secret found.".to_owned(),
        n => format!("{n} secrets found."),
    };
    let shown = report.findings.len();
    let problems = (!report.problems.is_empty()).then(|| {
        let items = report
            .problems
            .into_iter()
            .map(|problem| view! { <li>{problem}</li> })
            .collect_view();
        view! {
            <p class="hint">"Some of it could not be read; the findings cover the rest:"</p>
            <ul class="secrets-problems">{items}</ul>
        }
    });
    let cut = (shown < total)
        .then(|| view! { <p class="hint">{format!("The first {shown} are listed here; safelab secrets PATH lists them all.")}</p> });
    let rows = report
        .findings
        .into_iter()
        .map(|finding| {
            let commit = finding.commit.map(|commit| {
                let short: String = commit.id.chars().take(10).collect();
                let state = if commit.still_present {
                    "still in the newest commit"
                } else {
                    "deleted since, but still in the history"
                };
                view! {
                    <code title=commit.id.clone()>{short}</code>
                    " "{commit.summary}" — "{commit.author}" ("{state}")"
                }
            });
            view! {
                <tr class="secret-finding">
                    <td><span class="secret-kind">{finding.title}</span><br /><code class="muted">{finding.kind}</code></td>
                    <td><code>{format!("{}:{}:{}", finding.file, finding.line, finding.column)}</code></td>
                    <td><code class="secret-preview">{finding.preview}</code></td>
                    <td>{commit}</td>
                    <td class=format!("level level-{}", finding.confidence.as_str())>{finding.confidence.as_str()}</td>
                    <td>{finding.rotate}</td>
                </tr>
            }
        })
        .collect_view();
    let table = (shown > 0).then(|| {
        view! {
            <div class="table-scroll">
                <table class="tool-table secrets-table">
                    <thead><tr>
                        <th scope="col">"Kind"</th><th scope="col">"Where"</th><th scope="col">"Preview (redacted)"</th>
                        <th scope="col">"Commit"</th><th scope="col">"Confidence"</th><th scope="col">"How to rotate it"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
    });
    view! {
        <div class="secrets-report">
            <p class=verdict_class(total)>
                <strong class="secrets-summary">{summary}</strong>" "{read}
            </p>
            {cut}
            {problems}
            {table}
        </div>
    }
}
