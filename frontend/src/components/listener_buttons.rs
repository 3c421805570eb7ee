//! The buttons that pick one of the lab's listeners (HTTP or HTTPS), shared by
//! the form and Raw mode. The app listener is never offered: it is no target.

use leptos::prelude::*;
use safelab_protocol::{LabInfo, Listener, ListenerId};

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
        </div>
    }
}
