//! What crossed the wire for one exchange: status, headers, body, timings, the
//! exact request, and the TLS panel.

use leptos::prelude::*;
use safelab_protocol::{Exchange, ExchangeRequest};

use crate::components::insights_panel::InsightsPanel;
use crate::components::tls_panel::TlsPanel;
use crate::draft::follow;
use crate::explain::{StatusClass, header_meaning, status_meaning};
use crate::insights;

/// A request to make next, as a client following a redirect would: method and URL.
pub type NextRequest = (String, String);

/// Shows one exchange.
#[component]
pub fn ResponseView(
    /// The request that was sent.
    sent: ExchangeRequest,
    /// What came back.
    exchange: Exchange,
    /// Called with the next request when the learner follows a redirect.
    on_follow: Callback<NextRequest>,
) -> impl IntoView {
    let class = StatusClass::of(exchange.status);
    let body = pretty_body(&exchange);
    let body_note = body_note(&exchange);
    let reason = if exchange.reason.is_empty() {
        "(no reason phrase)".to_owned()
    } else {
        exchange.reason.clone()
    };
    let next = exchange
        .header("location")
        .filter(|_| StatusClass::of(exchange.status) == StatusClass::Redirection)
        .and_then(|location| follow(&sent.url, &sent.method, exchange.status, location));
    let headers = exchange
        .headers
        .iter()
        .map(|(name, value)| {
            view! {
                <tr>
                    <th scope="row" class="mono header-name-cell">{name.clone()}</th>
                    <td class="mono">{value.clone()}</td>
                    <td class="explain">{header_meaning(name).unwrap_or("")}</td>
                </tr>
            }
        })
        .collect_view();
    let insights = insights::read(
        &exchange.request,
        exchange.tls.is_some(),
        exchange.status,
        &exchange.headers,
    );
    let timings = exchange.timings;
    let request = exchange.request.clone();
    let show_endings = RwSignal::new(false);
    let millis = |value: f64| format!("{value:.1} ms");
    view! {
        <section class="response" aria-labelledby="response-title">
            <h2 id="response-title" class="visually-hidden">"Response"</h2>
            <div id="answer-status" class=format!("status {}", class.css()) role="status">
                <span class="status-code">{exchange.status}</span>
                " "
                <span class="status-reason">{reason}</span>
                <span class="status-class">{class.label()}</span>
                <p class="status-meaning">{status_meaning(exchange.status)}</p>
                {next.map(|(method, url)| {
                    let label = format!("Follow Location: {method} {url}");
                    let next = (method, url);
                    view! {
                        <button
                            type="button"
                            class="follow"
                            title=label
                            on:click=move |_| on_follow.run(next.clone())
                        >
                            "Follow Location"
                        </button>
                    }
                })}
            </div>
            <h3>"Timings"</h3>
            <dl class="facts timings">
                <dt>"Connected"</dt>
                <dd>{millis(timings.connect_ms)}</dd>
                <dt>"TLS handshake"</dt>
                <dd>{timings.tls_ms.map_or_else(|| "(plain HTTP: none)".to_owned(), millis)}</dd>
                <dt>"First byte"</dt>
                <dd>{millis(timings.first_byte_ms)}</dd>
                <dt>"Total"</dt>
                <dd>{millis(timings.total_ms)}</dd>
            </dl>
            {exchange.tls.map(|tls| {
                let url = sent.url.clone();
                view! { <TlsPanel tls url /> }
            })}
            <h3>{format!("Response headers ({})", exchange.http_version)}</h3>
            <p class="hint">"Names as the server sent them; HTTP header names are case-insensitive."</p>
            <div class="table-scroll">
                <table class="headers-table">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Value"</th>
                            <th scope="col">"What it means"</th>
                        </tr>
                    </thead>
                    <tbody>{headers}</tbody>
                </table>
            </div>
            <InsightsPanel insights />
            <h3>{body_note}</h3>
            <pre class="response-body" tabindex="0">{body}</pre>
            <div class="as-sent-heading">
                <h3>"Request as sent"</h3>
                <label>
                    <input
                        type="checkbox"
                        id="show-line-endings"
                        prop:checked=move || show_endings.get()
                        on:change=move |event| show_endings.set(event_target_checked(&event))
                    />
                    " Show line endings (\\r is CR, \\n is LF)"
                </label>
            </div>
            <pre class="raw-request" tabindex="0">
                {move || if show_endings.get() { with_line_endings(&request) } else { request.clone() }}
            </pre>
        </section>
    }
}

/// `text` with its line endings made visible the way Python writes them: CR
/// as `\r` and LF as `\n` (before the line break itself), so a learner sees
/// CR LF where HTTP requires it. Plain characters: every font has them.
fn with_line_endings(text: &str) -> String {
    let mut shown = String::with_capacity(text.len() + text.len() / 8);
    for character in text.chars() {
        match character {
            '\r' => shown.push_str("\\r"),
            '\n' => shown.push_str("\\n\n"),
            other => shown.push(other),
        }
    }
    shown
}

/// The body's heading: how big it was on the wire, and whether it was unpacked.
fn body_note(exchange: &Exchange) -> String {
    let wire = match (exchange.body_truncated, exchange.body_bytes) {
        (true, bytes) => format!("first {bytes} bytes: the rest was cut"),
        (false, 0) => return "Body (empty)".to_owned(),
        (false, bytes) => format!("{bytes} bytes on the wire"),
    };
    match &exchange.decompressed {
        Some(unpacked) => format!(
            "Body ({wire}, {}-compressed; shown unpacked: {} bytes{})",
            unpacked.encoding,
            unpacked.bytes,
            if unpacked.truncated {
                ", cut short"
            } else {
                ""
            }
        ),
        None => format!("Body ({wire})"),
    }
}

/// JSON bodies pretty-printed; everything else as sent (HTML is shown, never rendered).
fn pretty_body(exchange: &Exchange) -> String {
    let is_json = exchange
        .header("content-type")
        .is_some_and(|content_type| content_type.to_ascii_lowercase().contains("json"));
    let pretty = is_json
        .then(|| serde_json::from_str::<serde_json::Value>(&exchange.body).ok())
        .flatten()
        .and_then(|value| serde_json::to_string_pretty(&value).ok());
    pretty.unwrap_or_else(|| exchange.body.clone())
}
