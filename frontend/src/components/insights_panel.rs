//! The security reading of one exchange (see [`crate::insights`]): decoded
//! credentials, cookie attributes, graded security headers, rate limits and
//! CORS, each finding with a worded grade and one line on what it means.

use leptos::prelude::*;

use crate::insights::{Finding, Insights};

/// Shows every finding of one exchange, by topic; topics with nothing to say
/// are left out.
#[component]
pub fn InsightsPanel(
    /// What the exchange says about security.
    insights: Insights,
) -> impl IntoView {
    let grade = insights.headers_grade();
    let Insights {
        credentials,
        cookies,
        security_headers,
        rate_limit,
        cors,
    } = insights;
    let cookies = cookies
        .into_iter()
        .map(|(name, findings)| {
            view! {
                <h4 class="mono">{format!("Set-Cookie: {name}")}</h4>
                <Findings findings />
            }
        })
        .collect_view();
    view! {
        <section class="insights" aria-labelledby="insights-title">
            <h3 id="insights-title">"Security check"</h3>
            <Topic id="insight-credentials" title="Credentials in the request" findings=credentials />
            <div id="insight-cookies">{cookies}</div>
            <h4 id="insight-grade">{grade}</h4>
            <div id="insight-headers"><Findings findings=security_headers /></div>
            <Topic id="insight-rate-limit" title="Rate limit" findings=rate_limit />
            <Topic id="insight-cors" title="Cross-origin reading (CORS)" findings=cors />
        </section>
    }
}

/// A titled topic, or nothing when it has no findings.
#[component]
fn Topic(id: &'static str, title: &'static str, findings: Vec<Finding>) -> impl IntoView {
    (!findings.is_empty()).then(|| {
        view! {
            <div id=id>
                <h4>{title}</h4>
                <Findings findings />
            </div>
        }
    })
}

/// A list of findings, each with its grade spelled out.
#[component]
fn Findings(findings: Vec<Finding>) -> impl IntoView {
    let items = findings
        .into_iter()
        .map(|finding| {
            view! {
                <li class=format!("finding {}", finding.grade.css())>
                    <span class="grade">{finding.grade.label()}</span>
                    " "
                    <span class="mono subject">{finding.subject}</span>
                    <span class="meaning">{finding.meaning}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="findings">{items}</ul> }
}
