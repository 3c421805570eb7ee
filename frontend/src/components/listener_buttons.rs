//! The buttons that pick one of the lab's listeners (HTTP or HTTPS), shared by
//! the form and Raw mode. The app listener is never offered: it is no target.

use leptos::prelude::*;
use safelab_protocol::{BrokenListener, LabInfo, Listener, ListenerId};

/// One button per lab listener, the current one pressed.
#[component]
pub fn ListenerButtons(
    /// Where the lab listens.
    lab: LabInfo,
    /// Prefix of each button's id (`listener` gives `listener-https`).
    id_prefix: &'static str,
    /// What the group says before the buttons ("Send to:").
    prompt: &'static str,
    /// The listener the request goes to now, if any.
    #[prop(into)]
    current: Signal<Option<ListenerId>>,
    /// Called with the listener the learner picks.
    on_pick: Callback<Listener>,
    /// More choices at the end of the row (lesson 6's broken listeners).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let buttons = lab
        .listeners
        .into_iter()
        .filter(|listener| listener.id.serves_endpoints())
        .map(|listener| {
            let id = listener.id;
            let label = match id {
                ListenerId::Https => "HTTPS lab",
                _ => "HTTP lab",
            };
            let title = format!("{} ({})", listener.description, listener.url);
            view! {
                <button
                    type="button"
                    id=format!("{id_prefix}-{}", id.as_str())
                    class="listener"
                    title=title
                    aria-pressed=move || (current.get() == Some(id)).to_string()
                    on:click=move |_| on_pick.run(listener.clone())
                >
                    {label}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="listeners" role="group" aria-label=prompt.trim_end_matches(':')>
            <span class="hint">{prompt}</span>
            {buttons}
            {children.map(|children| children())}
        </div>
    }
}

/// Lesson 6's HTTPS listeners with a broken certificate, as a group of their
/// own behind one disclosure (ten buttons would push the answer off a laptop
/// screen), so each can be sent to without typing; nothing when there are none.
#[component]
pub fn BrokenListenerButtons(
    /// The broken listeners (`LabInfo.certificates`).
    listeners: Vec<BrokenListener>,
    /// The id of the broken listener the request goes to now, if any.
    #[prop(into)]
    current: Signal<Option<String>>,
    /// Called with the base URL of the listener the learner picks.
    on_pick: Callback<String>,
) -> impl IntoView {
    (!listeners.is_empty()).then(|| {
        let count = listeners.len();
        let titles: Vec<(String, String)> = listeners
            .iter()
            .map(|listener| (listener.id.clone(), listener.title.clone()))
            .collect();
        let summary = move || {
            let picked = current.get().and_then(|id| {
                titles
                    .iter()
                    .find(|(listener, _)| *listener == id)
                    .map(|(_, title)| title.clone())
            });
            match picked {
                Some(title) => format!("Broken certificate: {title}"),
                None => format!("Broken certificates ({count})"),
            }
        };
        let buttons = listeners
            .into_iter()
            .map(|listener| {
                let id = listener.id.clone();
                let pressed = {
                    let id = id.clone();
                    move || (current.get().as_deref() == Some(id.as_str())).to_string()
                };
                let title = format!("{} ({})", listener.problem, listener.url);
                let url = listener.url.clone();
                view! {
                    <button
                        type="button"
                        id=format!("broken-{id}")
                        class="listener broken-listener"
                        title=title
                        aria-pressed=pressed
                        on:click=move |_| on_pick.run(url.clone())
                    >
                        {listener.title}
                    </button>
                }
            })
            .collect_view();
        view! {
            <details id="broken-listeners" class="broken-listeners">
                <summary>{summary}</summary>
                <div class="listeners" role="group" aria-label="Broken certificates">
                    {buttons}
                </div>
            </details>
        }
    })
}
