//! The history list: the learner's last exchanges, newest first, each one
//! ready to reopen, send again or copy as raw HTTP.

use leptos::prelude::*;

use crate::clipboard;
use crate::history::{Entry, MAX_ENTRIES};

/// What the learner asked of a history entry.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryAction {
    /// Show its answer again.
    Reopen(Entry),
    /// Put its request in the builder and send it.
    Resend(Entry),
}

/// The history, collapsed under its count.
#[component]
pub fn HistoryList(
    /// The entries, newest first.
    #[prop(into)]
    entries: Signal<Vec<Entry>>,
    /// Called when the learner reopens or re-sends an entry.
    on_action: Callback<HistoryAction>,
    /// Copies an entry's request as raw HTTP.
    copy_raw: Callback<Entry, String>,
) -> impl IntoView {
    let copied = RwSignal::new(None::<&'static str>);
    view! {
        <details id="history" class="history">
            <summary>{move || format!("History: your last {} exchanges (at most {MAX_ENTRIES})", entries.with(Vec::len))}</summary>
            <p class="copied" role="status">{move || copied.get().unwrap_or("")}</p>
            <ol class="history-list">
                {move || entries.get().into_iter().enumerate().map(|(index, entry)| {
                    let (reopen, resend, copy) = (entry.clone(), entry.clone(), entry.clone());
                    view! {
                        <li class="history-entry">
                            <code class="history-label">{entry.label()}</code>
                            <span class="history-buttons">
                                <button type="button" class="history-reopen" id=format!("history-reopen-{index}")
                                    disabled=entry.exchange.is_none()
                                    on:click=move |_| on_action.run(HistoryAction::Reopen(reopen.clone()))>"Reopen"</button>
                                <button type="button" class="history-resend" id=format!("history-resend-{index}")
                                    on:click=move |_| on_action.run(HistoryAction::Resend(resend.clone()))>"Send again"</button>
                                <button type="button" class="history-copy"
                                    on:click=move |_| {
                                        let text = copy_raw.run(copy.clone());
                                        leptos::task::spawn_local(async move {
                                            let done = clipboard::copy(&text).await;
                                            copied.set(Some(if done { "Copied as raw HTTP." } else { clipboard::REFUSED }));
                                        });
                                    }>"Copy as raw HTTP"</button>
                            </span>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </details>
    }
}
