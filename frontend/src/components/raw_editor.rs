//! The builder's Raw mode: the learner types the request's bytes (request line,
//! headers, an empty line, a body) and safelab writes exactly those to a lab
//! listener, as netcat or `openssl s_client` would. Nothing is added, not even
//! `Host`, and no `..` is tidied away.

use leptos::prelude::*;
use safelab_protocol::{LabInfo, LineEndings, Listener, ListenerId, RawRequest};

use crate::components::listener_buttons::ListenerButtons;

/// The raw request being typed. `Copy`: every field is a signal.
#[derive(Debug, Clone, Copy)]
pub struct RawDraft {
    /// The lab listener the bytes go to.
    pub listener: RwSignal<ListenerId>,
    /// The request as typed.
    pub text: RwSignal<String>,
    /// Whether line breaks go out as CR LF (as HTTP requires).
    pub crlf: RwSignal<bool>,
}

impl RawDraft {
    /// An empty raw request for the HTTP lab.
    pub fn new() -> Self {
        Self {
            listener: RwSignal::new(ListenerId::Http),
            text: RwSignal::new(String::new()),
            crlf: RwSignal::new(true),
        }
    }

    /// The request to send.
    pub fn to_request(self) -> RawRequest {
        RawRequest {
            listener: self.listener.get(),
            text: self.text.get(),
            line_endings: if self.crlf.get() {
                LineEndings::Crlf
            } else {
                LineEndings::AsTyped
            },
        }
    }
}

/// The Raw mode editor.
#[component]
pub fn RawEditor(
    /// The raw request.
    raw: RawDraft,
    /// Where the lab listens.
    lab: LabInfo,
    /// Whether a send is in flight.
    #[prop(into)]
    pending: Signal<bool>,
    /// Called when the learner sends.
    on_send: Callback<()>,
) -> impl IntoView {
    let current = Signal::derive(move || Some(raw.listener.get()));
    let on_pick = Callback::new(move |listener: Listener| raw.listener.set(listener.id));
    view! {
        <form
            class="builder raw-builder"
            aria-label="Raw request"
            novalidate
            on:submit=move |event| {
                event.prevent_default();
                if !pending.get_untracked() {
                    on_send.run(());
                }
            }
        >
            <ListenerButtons lab id_prefix="raw-listener" prompt="Write to:" current on_pick />
            <label for="raw-request" class="body-label">"The request, byte for byte"</label>
            <textarea
                id="raw-request"
                class="raw-request-input"
                rows="9"
                spellcheck="false"
                aria-describedby="raw-help"
                prop:value=move || raw.text.get()
                on:input=move |event| raw.text.set(event_target_value(&event))
            ></textarea>
            <p id="raw-help" class="hint">
                "A request line, header lines, one empty line, then the body. HTTP ends every line with CR LF ("
                <code>"\\r\\n"</code>
                "); a text box has LF alone. Nothing is added for you, not even "<code>"Host"</code>
                ", and nothing is tidied: what you type is what the server reads."
            </p>
            <div class="raw-options">
                <label>
                    <input
                        type="checkbox"
                        id="raw-crlf"
                        prop:checked=move || raw.crlf.get()
                        on:change=move |event| raw.crlf.set(event_target_checked(&event))
                    />
                    " End each line with CR LF, as HTTP requires"
                </label>
                <button
                    id="raw-send"
                    type="submit"
                    class="send"
                    aria-disabled=move || pending.get().to_string()
                >
                    {move || if pending.get() { "Sending…" } else { "Send raw" }}
                </button>
            </div>
        </form>
    }
}
