//! The request builder: method, URL, header rows, body, Send.

use leptos::prelude::*;
use safelab_protocol::{LabInfo, ListenerId};

use crate::draft::Draft;

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Edits the draft and sends it.
#[component]
pub fn RequestBuilder(
    /// The request being built.
    draft: Draft,
    /// Where the lab listens, for the one-click listener buttons.
    lab: LabInfo,
    /// Whether an exchange is in flight (Send is disabled meanwhile).
    #[prop(into)]
    pending: Signal<bool>,
    /// Called when the learner sends the draft.
    on_send: Callback<()>,
) -> impl IntoView {
    let listener_buttons = lab
        .listeners
        .iter()
        .map(|listener| {
            let base = listener.url.clone();
            let label = match listener.id {
                ListenerId::Http => "HTTP lab",
                ListenerId::Https => "HTTPS lab",
            };
            let id = format!("listener-{}", listener.id.as_str());
            let current = {
                let base = base.clone();
                move || draft.url.with(|url| url.starts_with(&base))
            };
            view! {
                <button
                    type="button"
                    id=id
                    class="listener"
                    title=listener.description.clone()
                    aria-pressed=move || current().to_string()
                    on:click=move |_| draft.rebase(&base)
                >
                    {label}
                </button>
            }
        })
        .collect_view();

    view! {
        <form
            class="builder"
            aria-label="Request builder"
            on:submit=move |event| {
                event.prevent_default();
                on_send.run(());
            }
        >
            <div class="listeners" role="group" aria-label="Send to">
                <span class="hint">"Send to:"</span>
                {listener_buttons}
            </div>
            <div class="request-line">
                <label class="visually-hidden" for="method">"Method"</label>
                <input
                    id="method"
                    class="method"
                    list="methods"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || draft.method.get()
                    on:input=move |event| draft.method.set(event_target_value(&event))
                />
                <datalist id="methods">
                    {METHODS.iter().map(|method| view! { <option value=*method></option> }).collect_view()}
                </datalist>
                <label class="visually-hidden" for="url">"URL"</label>
                <input
                    id="url"
                    class="url"
                    type="text"
                    inputmode="url"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || draft.url.get()
                    on:input=move |event| draft.url.set(event_target_value(&event))
                />
                <button id="send" type="submit" class="send" disabled=move || pending.get()>
                    {move || if pending.get() { "Sending…" } else { "Send" }}
                </button>
            </div>
            <fieldset class="headers">
                <legend>"Headers"</legend>
                <For each=move || draft.headers.get() key=|row| row.id let:row>
                    <HeaderRowEditor draft id=row.id name=row.name value=row.value />
                </For>
                <button type="button" class="add-header" on:click=move |_| draft.add_header()>
                    "Add header"
                </button>
            </fieldset>
            <label for="body" class="body-label">"Body"</label>
            <textarea
                id="body"
                class="body"
                rows="4"
                spellcheck="false"
                placeholder="(no body)"
                prop:value=move || draft.body.get()
                on:input=move |event| draft.body.set(event_target_value(&event))
            ></textarea>
        </form>
    }
}

/// One header row: name, value, remove.
#[component]
fn HeaderRowEditor(
    /// The draft the row belongs to.
    draft: Draft,
    /// The row's key.
    id: u32,
    /// The initial name.
    name: String,
    /// The initial value.
    value: String,
) -> impl IntoView {
    view! {
        <div class="header-row">
            {header_field(draft, id, HeaderPart::Name, name)}
            {header_field(draft, id, HeaderPart::Value, value)}
            <button
                type="button"
                class="remove-header"
                aria-label="Remove this header"
                on:click=move |_| draft.remove_header(id)
            >
                "Remove"
            </button>
        </div>
    }
}

/// Which half of a header row a field edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderPart {
    Name,
    Value,
}

/// One input of a header row, writing its text back into the draft.
fn header_field(draft: Draft, id: u32, part: HeaderPart, initial: String) -> impl IntoView {
    let (class, placeholder) = match part {
        HeaderPart::Name => ("header-name", "Name"),
        HeaderPart::Value => ("header-value", "Value"),
    };
    let label = format!("Header {id} {}", placeholder.to_lowercase());
    view! {
        <input
            class=class
            placeholder=placeholder
            aria-label=label
            spellcheck="false"
            prop:value=initial
            on:input=move |event| {
                let text = event_target_value(&event);
                draft.edit_header(id, |row| match part {
                    HeaderPart::Name => row.name = text,
                    HeaderPart::Value => row.value = text,
                });
            }
        />
    }
}
