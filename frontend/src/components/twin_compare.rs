//! Both twins at once: the same request's answers from the insecure and the
//! secure endpoint side by side, with what differs marked. The whole lesson on
//! one screen: the attack that works, and the same attack refused.

use leptos::prelude::*;
use safelab_protocol::{Exchange, Header};

use crate::api;
use crate::compare::{changed_lines, header_differs};
use crate::draft::Sent;
use crate::explain::StatusClass;
use crate::insights;

/// One twin's side: what was sent and what came back.
pub type Side = (Sent, Result<Exchange, api::Error>);

/// The two answers, insecure on the left.
#[component]
pub fn TwinCompare(
    /// The insecure twin's exchange.
    insecure: Side,
    /// The secure twin's exchange.
    secure: Side,
) -> impl IntoView {
    let (left, right) = (insecure.1, secure.1);
    let summary = match (&left, &right) {
        (Ok(a), Ok(b)) => {
            let mut differences = Vec::new();
            if a.status != b.status {
                differences.push(format!("status {} against {}", a.status, b.status));
            }
            let headers = a
                .headers
                .iter()
                .filter(|h| header_differs(h, &b.headers))
                .count()
                + b.headers
                    .iter()
                    .filter(|h| header_differs(h, &a.headers))
                    .count();
            if headers > 0 {
                differences.push(format!("{headers} header lines"));
            }
            if a.body != b.body {
                differences.push("the body".to_owned());
            }
            if differences.is_empty() {
                "The twins answered alike.".to_owned()
            } else {
                format!("They differ in {}.", differences.join(", "))
            }
        }
        _ => "One of the twins could not be reached.".to_owned(),
    };
    let (left_lines, right_lines) = match (&left, &right) {
        (Ok(a), Ok(b)) => changed_lines(&a.body, &b.body),
        _ => (Vec::new(), Vec::new()),
    };
    let other_headers = |side: &Result<Exchange, api::Error>| -> Vec<Header> {
        side.as_ref()
            .map(|exchange| exchange.headers.clone())
            .unwrap_or_default()
    };
    let (left_others, right_others) = (other_headers(&right), other_headers(&left));
    let other_status = |side: &Result<Exchange, api::Error>| side.as_ref().ok().map(|e| e.status);
    let (left_other_status, right_other_status) = (other_status(&right), other_status(&left));
    view! {
        <section id="twins" class="twins" aria-labelledby="twins-title">
            <h2 id="twins-title">"Both twins, side by side"</h2>
            <p id="twins-summary" role="status">{summary}</p>
            <div class="twin-columns">
                <TwinSide title="Insecure twin" class="insecure" result=left
                    other_status=left_other_status other_headers=left_others changed=left_lines />
                <TwinSide title="Secure twin" class="secure" result=right
                    other_status=right_other_status other_headers=right_others changed=right_lines />
            </div>
        </section>
    }
}

#[component]
fn TwinSide(
    /// The column's heading.
    title: &'static str,
    /// `insecure` or `secure`, for styling and tests.
    class: &'static str,
    /// What came back.
    result: Result<Exchange, api::Error>,
    /// The other twin's status, to mark a difference.
    other_status: Option<u16>,
    /// The other twin's headers, to mark differences.
    other_headers: Vec<Header>,
    /// Which body lines differ from the other twin's.
    changed: Vec<bool>,
) -> impl IntoView {
    let content = match result {
        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        Ok(exchange) => {
            let status_class = StatusClass::of(exchange.status);
            let grade = insights::read(
                &exchange.request,
                exchange.tls.is_some(),
                exchange.status,
                &exchange.headers,
            )
            .headers_grade();
            let status_differs = other_status.is_some_and(|other| other != exchange.status);
            let headers = exchange
                .headers
                .iter()
                .map(|header| {
                    let differs = header_differs(header, &other_headers);
                    view! {
                        <tr class:differs=differs>
                            <th scope="row" class="mono header-name-cell">{header.0.clone()}</th>
                            <td class="mono">{header.1.clone()}</td>
                        </tr>
                    }
                })
                .collect_view();
            let lines = exchange
                .body
                .lines()
                .zip(changed.into_iter().chain(std::iter::repeat(false)))
                .map(|(line, differs)| {
                    view! { <span class="body-line" class:differs=differs>{line.to_owned()}"\n"</span> }
                })
                .collect_view();
            view! {
                <p class=format!("twin-status status {}", status_class.css()) class:differs=status_differs>
                    <span class="status-code">{exchange.status}</span>" "{exchange.reason.clone()}
                </p>
                <p class="twin-grade">{grade}</p>
                <table class="headers-table">
                    <tbody>{headers}</tbody>
                </table>
                <pre class="twin-body" tabindex="0">{lines}</pre>
            }
            .into_any()
        }
    };
    view! {
        <div class=format!("twin {class}")>
            <h3>{title}</h3>
            {content}
        </div>
    }
}
