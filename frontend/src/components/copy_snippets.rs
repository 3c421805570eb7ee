//! "Copy as Python requests" and "Copy as curl" for the current draft.

use leptos::prelude::*;

use crate::clipboard;
use crate::draft::Draft;
use crate::snippets::Snippet;

/// Which snippet is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Python,
    Curl,
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
        }
    }
}

/// Shows the draft as code, with buttons to copy it.
#[component]
pub fn CopySnippets(
    /// The request being built.
    draft: Draft,
) -> impl IntoView {
    let shown = RwSignal::new(Language::Python);
    let copied = RwSignal::new(None::<&'static str>);
    let code = move |language: Language| {
        let request = draft.values().to_request();
        let snippet = Snippet {
            method: &request.method,
            url: &request.url,
            headers: &request.headers,
            body: &request.body,
        };
        match language {
            Language::Python => snippet.python(),
            Language::Curl => snippet.curl(),
        }
    };
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
                {[Language::Python, Language::Curl]
                    .map(|language| {
                        let (id, label, done, _) = language.texts();
                        view! {
                            <button
                                type="button"
                                id=id
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
