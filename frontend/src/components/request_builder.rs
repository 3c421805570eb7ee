//! The request builder: method, URL, header rows, body, Send. A field with a
//! mistake is marked `aria-invalid` and says what is wrong right below it.

use leptos::prelude::*;
use safelab_protocol::{LabInfo, Listener};

use crate::components::listener_buttons::ListenerButtons;
use crate::draft::{Draft, Field, Problem};

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// The mistakes found in the draft, and the means to clear one once the
/// learner edits its field. `Copy`: it is one signal.
#[derive(Debug, Clone, Copy)]
pub struct Problems(pub RwSignal<Vec<Problem>>);

impl Problems {
    /// The message for `field`, if it has a mistake.
    fn of(self, field: Field) -> Option<String> {
        self.0.with(|problems| {
            problems
                .iter()
                .find(|problem| problem.field == field)
                .map(|problem| problem.message.clone())
        })
    }

    /// Forgets the mistake in `field` (the learner is fixing it).
    fn clear(self, field: Field) {
        if self
            .0
            .with_untracked(|problems| problems.iter().any(|problem| problem.field == field))
        {
            self.0
                .update(|problems| problems.retain(|problem| problem.field != field));
        }
    }
}

/// Edits the draft and sends it.
#[component]
pub fn RequestBuilder(
    /// The request being built.
    draft: Draft,
    /// Where the lab listens, for the one-click listener buttons.
    lab: LabInfo,
    /// Whether an exchange is in flight (Send does nothing meanwhile, but keeps
    /// the focus).
    #[prop(into)]
    pending: Signal<bool>,
    /// The mistakes to show beside their fields.
    problems: Problems,
    /// Called when the learner sends the draft.
    on_send: Callback<()>,
) -> impl IntoView {
    let current = {
        let lab = lab.clone();
        Signal::derive(move || {
            draft.url.with(|url| {
                lab.listeners
                    .iter()
                    .find(|listener| listener.id.is_lab() && url.starts_with(&listener.url))
                    .map(|listener| listener.id)
            })
        })
    };
    let on_pick = Callback::new(move |listener: Listener| {
        draft.rebase(&listener.url);
        problems.clear(Field::Url);
    });

    view! {
        <form
            class="builder"
            aria-label="Request builder"
            novalidate
            on:submit=move |event| {
                event.prevent_default();
                if !pending.get_untracked() {
                    on_send.run(());
                }
            }
        >
            <ListenerButtons lab id_prefix="listener" prompt="Send to:" current on_pick />
            <div class="request-line">
                <label class="visually-hidden" for="method">"Method"</label>
                <input
                    id="method"
                    class="method"
                    list="methods"
                    autocomplete="off"
                    spellcheck="false"
                    aria-invalid=move || problems.of(Field::Method).is_some().to_string()
                    aria-describedby=move || problems.of(Field::Method).map(|_| Field::Method.message_id())
                    prop:value=move || draft.method.get()
                    on:input=move |event| {
                        draft.method.set(event_target_value(&event));
                        problems.clear(Field::Method);
                    }
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
                    aria-invalid=move || problems.of(Field::Url).is_some().to_string()
                    aria-describedby=move || problems.of(Field::Url).map(|_| Field::Url.message_id())
                    prop:value=move || draft.url.get()
                    on:input=move |event| {
                        draft.url.set(event_target_value(&event));
                        problems.clear(Field::Url);
                    }
                />
                <button
                    id="send"
                    type="submit"
                    class="send"
                    aria-disabled=move || pending.get().to_string()
                >
                    {move || if pending.get() { "Sending…" } else { "Send" }}
                </button>
            </div>
            <FieldProblem problems field=Field::Method />
            <FieldProblem problems field=Field::Url />
            <fieldset class="headers">
                <legend>"Headers"</legend>
                <For each=move || draft.headers.get() key=|row| row.id let:row>
                    <HeaderRowEditor draft problems id=row.id name=row.name value=row.value />
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
                aria-invalid=move || problems.of(Field::Body).is_some().to_string()
                aria-describedby=move || problems.of(Field::Body).map(|_| Field::Body.message_id())
                prop:value=move || draft.body.get()
                on:input=move |event| {
                    draft.body.set(event_target_value(&event));
                    problems.clear(Field::Body);
                }
            ></textarea>
            <FieldProblem problems field=Field::Body />
        </form>
    }
}

/// The message under a field with a mistake; nothing otherwise.
#[component]
fn FieldProblem(
    /// The mistakes in the draft.
    problems: Problems,
    /// The field whose mistake this shows.
    field: Field,
) -> impl IntoView {
    move || {
        problems.of(field).map(|message| {
            view! { <p id=field.message_id() class="field-problem">{message}</p> }
        })
    }
}

/// One header row: name, value, remove.
#[component]
fn HeaderRowEditor(
    /// The draft the row belongs to.
    draft: Draft,
    /// The mistakes in the draft.
    problems: Problems,
    /// The row's key.
    id: u32,
    /// The initial name.
    name: String,
    /// The initial value.
    value: String,
) -> impl IntoView {
    let field = Field::HeaderName(id);
    view! {
        <div class="header-row">
            <input
                id=field.input_id()
                class="header-name"
                placeholder="Name"
                aria-label=format!("Header {id} name")
                spellcheck="false"
                aria-invalid=move || problems.of(field).is_some().to_string()
                aria-describedby=move || problems.of(field).map(|_| field.message_id())
                prop:value=name
                on:input=move |event| {
                    let text = event_target_value(&event);
                    draft.edit_header(id, |row| row.name = text);
                    problems.clear(field);
                }
            />
            <input
                class="header-value"
                placeholder="Value"
                aria-label=format!("Header {id} value")
                spellcheck="false"
                prop:value=value
                on:input=move |event| {
                    let text = event_target_value(&event);
                    draft.edit_header(id, |row| row.value = text);
                    problems.clear(field);
                }
            />
            <button
                type="button"
                class="remove-header"
                aria-label=format!("Remove header {id}")
                on:click=move |_| {
                    draft.remove_header(id);
                    problems.clear(field);
                }
            >
                "Remove"
            </button>
            <FieldProblem problems field />
        </div>
    }
}
