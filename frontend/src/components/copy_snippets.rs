//! The request in the builder as code to run outside the lab: Python
//! `requests` and curl for a form request, and for any request its raw bytes,
//! a netcat (or `openssl s_client`) command and a Python socket script.

use leptos::prelude::*;

use crate::clipboard;
use crate::draft::Sent;
use crate::snippets::{RawTarget, Snippet};

/// Which snippet is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Python,
    Curl,
    Raw,
    Netcat,
    Socket,
}

impl Language {
    /// The button's id, its label, what it says once copied, and the disclosure's title.
    fn texts(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Self::Python => (
                "copy-python",
                "Copy as Python requests",
                "Copied as Python requests.",
                "Show the Python code",
            ),
            Self::Curl => (
                "copy-curl",
                "Copy as curl",
                "Copied as curl.",
                "Show the curl command",
            ),
            Self::Raw => (
                "copy-raw",
                "Copy as raw HTTP",
                "Copied as raw HTTP.",
                "Show the raw request",
            ),
            Self::Netcat => (
                "copy-netcat",
                "Copy as netcat / openssl s_client",
                "Copied as a netcat (or openssl s_client) command.",
                "Show the netcat or openssl command",
            ),
            Self::Socket => (
                "copy-socket",
                "Copy as Python socket",
                "Copied as a Python socket script.",
                "Show the Python socket script",
            ),
        }
    }
}

/// The wire bytes (CR LF line ends) of what the builder holds, and where they go.
pub fn wire_of(sent: &Sent) -> (String, Option<RawTarget>) {
    match sent {
        Sent::Form(request) => {
            let text = Snippet::of(request).raw();
            let raw = safelab_protocol::RawRequest {
                listener: safelab_protocol::ListenerId::Http,
                text,
                line_endings: safelab_protocol::LineEndings::Crlf,
            };
            (raw.wire_text(), RawTarget::of(&request.url))
        }
        Sent::Raw(raw, base) => (raw.wire_text(), RawTarget::of(base)),
    }
}

/// Shows what the builder holds as code, with buttons to copy it.
#[component]
pub fn CopySnippets(
    /// What the builder holds now.
    #[prop(into)]
    current: Signal<Option<Sent>>,
) -> impl IntoView {
    let shown = RwSignal::new(Language::Python);
    let copied = RwSignal::new(None::<&'static str>);
    let is_raw = move || current.with(|sent| matches!(sent, Some(Sent::Raw(..))));
    let code = move |language: Language| {
        let Some(sent) = current.get() else {
            return String::new();
        };
        let (wire, target) = wire_of(&sent);
        match (language, &sent) {
            (Language::Python, Sent::Form(request)) | (Language::Curl, Sent::Form(request)) => {
                let snippet = Snippet::of(request);
                if language == Language::Python {
                    snippet.python()
                } else {
                    snippet.curl()
                }
            }
            (Language::Netcat, _) => target
                .map(|target| target.netcat(&wire))
                .unwrap_or_default(),
            (Language::Socket, _) => target
                .map(|target| target.python_socket(&wire))
                .unwrap_or_default(),
            _ => wire,
        }
    };
    // Python requests and curl tidy a request up: they have no raw form.
    Effect::new(move || {
        if is_raw() && matches!(shown.get_untracked(), Language::Python | Language::Curl) {
            shown.set(Language::Raw);
        }
    });
    let copy = move |language: Language, label: &'static str| {
        shown.set(language);
        let text = code(language);
        copied.set(None);
        leptos::task::spawn_local(async move {
            let done = clipboard::copy(&text).await;
            copied.set(Some(if done { label } else { clipboard::REFUSED }));
        });
    };
    view! {
        <section class="snippets" aria-label="Copy this request as code">
            <div class="snippet-buttons">
                {[Language::Python, Language::Curl, Language::Raw, Language::Netcat, Language::Socket]
                    .map(|language| {
                        let (id, label, done, _) = language.texts();
                        let hidden = move || {
                            is_raw() && matches!(language, Language::Python | Language::Curl)
                        };
                        view! {
                            <button
                                type="button"
                                id=id
                                hidden=hidden
                                aria-pressed=move || (shown.get() == language).to_string()
                                on:click=move |_| copy(language, done)
                            >
                                {label}
                            </button>
                        }
                    })
                    .collect_view()}
                <span class="copied" role="status">{move || copied.get().unwrap_or("")}</span>
            </div>
            <details class="snippet-code">
                <summary>{move || shown.get().texts().3}</summary>
                <pre class="snippet" tabindex="0"><code>{move || code(shown.get())}</code></pre>
                <p class="hint">
                    "For HTTPS, save the lab's CA as safelab-ca.pem first: "
                    <a href="/ca.pem" download="safelab-ca.pem">"download ca.pem"</a>
                    "."
                </p>
            </details>
        </section>
    }
}
