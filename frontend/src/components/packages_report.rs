//! The dependency check's report: each advisory that affects a pinned
//! version (its id, aliases, affected range and fixed version), the lines it
//! could not use, and where the advisories come from and how old they are.

use leptos::prelude::*;
use safelab_tools::packages::{Format, Report, Snapshot};

use crate::components::tool_panel::verdict_class;
use crate::tool_messages::RequirementCounts;

/// Days from the ISO date `date` to today, if it reads as one.
fn age_in_days(date: &str) -> Option<i64> {
    let then = js_sys::Date::parse(date);
    if then.is_nan() {
        return None;
    }
    Some(((js_sys::Date::now() - then) / 86_400_000.0).floor() as i64)
}

/// The snapshot's source, age and licence.
fn snapshot_view(snapshot: Snapshot) -> impl IntoView {
    let days = snapshot
        .age_days
        .map(i64::from)
        .or_else(|| age_in_days(&snapshot.date));
    let age = match days {
        Some(days) if days > 0 => format!(" — {days} days old"),
        Some(_) => " — from today".to_owned(),
        None => String::new(),
    };
    view! {
        <p class="snapshot">
            {format!(
                "Advisories: {} (revision {}), data up to {}{age}; {} advisories for {} packages. ",
                snapshot.source, snapshot.revision, snapshot.date, snapshot.advisories, snapshot.packages
            )}
            "Newer advisories are not in it: "<code>"pip-audit"</code>" asks the live database. "
            <span class="attribution">{snapshot.license}</span>
        </p>
    }
}

/// Draws one dependency check report.
#[component]
pub fn PackagesReport(
    /// The report.
    report: Report,
    /// How many hits there were before the list was cut for the page.
    cut_from: Option<usize>,
    /// How many requirements and warnings there were before those lists
    /// were cut for the page.
    requirements: Option<RequirementCounts>,
) -> impl IntoView {
    let total = cut_from.unwrap_or(report.hits.len());
    let format = match report.format {
        Format::Requirements => "a requirements file",
        Format::Pyproject => "a pyproject.toml",
    };
    let counts = requirements.unwrap_or(RequirementCounts {
        listed: report.packages.len(),
        pinned: report
            .packages
            .iter()
            .filter(|package| package.pinned.is_some())
            .count(),
        warnings: report.warnings.len(),
    });
    let summary = match total {
        0 => "No known advisories for the pinned versions.".to_owned(),
        1 => "1 advisory affects a pinned version.".to_owned(),
        n => format!("{n} advisories affect pinned versions."),
    };
    let facts = format!(
        " Read {} as {format}: {} requirements, {} pinned to one version.",
        report.file, counts.listed, counts.pinned
    );
    let shown_warnings = report.warnings.len();
    let shown = report.hits.len();
    let rows = report
        .hits
        .into_iter()
        .map(|hit| {
            let aliases = hit
                .aliases
                .into_iter()
                .map(|alias| {
                    let cve = alias.starts_with("CVE-");
                    view! { <code class:cve=cve>{alias}</code>" " }
                })
                .collect_view();
            let fixed = match hit.fixed {
                Some(version) => view! { "upgrade to "<code class="fixed">{version}</code>" or later" }.into_any(),
                None => view! { <span class="muted">"no fixed version"</span> }.into_any(),
            };
            view! {
                <tr class="package-hit">
                    <td><code>{format!("{}=={}", hit.package, hit.version)}</code><br /><span class="muted">{format!("line {}", hit.line)}</span></td>
                    <td><code class="advisory-id">{hit.id}</code><br />{aliases}</td>
                    <td>{hit.summary}</td>
                    <td><code>{hit.affected}</code></td>
                    <td>{fixed}</td>
                </tr>
            }
        })
        .collect_view();
    let cut = (total > shown).then(|| {
        view! { <p class="hint">{format!("The first {shown} are listed here; safelab audit FILE lists them all.")}</p> }
    });
    let table = (total > 0).then(|| {
        view! {
            <div class="table-scroll">
                <table class="tool-table packages-table">
                    <thead><tr>
                        <th scope="col">"Package"</th><th scope="col">"Advisory (aliases)"</th><th scope="col">"What it is"</th>
                        <th scope="col">"Affected"</th><th scope="col">"Fixed"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
    });
    let warnings = (!report.warnings.is_empty()).then(|| {
        let items = report
            .warnings
            .into_iter()
            .map(|warning| view! { <li>{format!("Line {}: {}", warning.line, warning.message)}</li> })
            .collect_view();
        let title = if counts.warnings > shown_warnings {
            format!("Lines the check could not use ({}; the first {shown_warnings} listed)", counts.warnings)
        } else {
            "Lines the check could not use".to_owned()
        };
        view! {
            <h4>{title}</h4>
            <ul class="package-warnings">{items}</ul>
        }
    });
    view! {
        <div class="packages-report">
            <p class=verdict_class(total)>
                <strong class="packages-summary">{summary}</strong>{facts}
            </p>
            {cut}
            {table}
            {warnings}
            {snapshot_view(report.snapshot)}
        </div>
    }
}
