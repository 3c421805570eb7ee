//! The request builder: method, URL, header rows, body, the HTTPS options
//! (trust store, client certificate), Send. A field with a mistake is marked
//! `aria-invalid` and says what is wrong right below it.

use leptos::prelude::*;
use safelab_protocol::{LabInfo, Listener};
use wasm_bindgen::JsCast;

use crate::components::listener_buttons::{BrokenListenerButtons, ListenerButtons};
use crate::draft::{Draft, Field, MAX_TRUST_PEM_BYTES, Problem, TrustChoice};

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
    let broken = lab.certificates.clone();
    let current_broken = {
        let broken = broken.clone();
        Signal::derive(move || {
            draft.url.with(|url| {
                broken
                    .iter()
                    .find(|listener| crate::draft::base_of(url) == Some(listener.url.as_str()))
                    .map(|listener| listener.id.clone())
            })
        })
    };
    // A broken listener serves one page, at `/`: its URL, not the lab path
    // the builder held.
    let on_pick_broken = Callback::new(move |url: String| {
        draft.url.set(format!("{url}/"));
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
            <ListenerButtons lab id_prefix="listener" prompt="Send to:" current on_pick>
                <BrokenListenerButtons listeners=broken current=current_broken on_pick=on_pick_broken />
            </ListenerButtons>
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
            <HttpsOptions draft problems />
        </form>
    }
}

/// What an HTTPS request trusts and presents: the trust store (with the
/// learner's own CA pasted or read from a file, in the browser: nothing is
/// sent before Send) and the lab's client certificate.
#[component]
fn HttpsOptions(
    /// The request being built.
    draft: Draft,
    /// The mistakes in the draft.
    problems: Problems,
) -> impl IntoView {
    let upload_note = RwSignal::new(None::<String>);
    let on_file = move |event: leptos::ev::Event| {
        let Some(input) = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        let name = file.name();
        if file.size() > MAX_TRUST_PEM_BYTES as f64 {
            upload_note.set(Some(format!(
                "{name} is larger than {} KB: a CA's certificate is a few KB. Choose the CA's .pem file.",
                MAX_TRUST_PEM_BYTES / 1024
            )));
            return;
        }
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|text| text.as_string());
            match text {
                Some(text) => {
                    draft.trust_pem.set(text);
                    problems.clear(Field::TrustPem);
                    upload_note.set(Some(format!(
                        "Read {name}: it is sent with the next request."
                    )));
                }
                None => upload_note.set(Some(format!("{name} could not be read as text."))),
            }
        });
    };
    view! {
        // One row, wrapping on a narrow pane: the builder has to stay in view
        // beside its answer on a laptop screen.
        <div class="https-options" role="group" aria-label="HTTPS options">
            <span class="hint">"HTTPS:"</span>
            <label for="trust-store">"trust"</label>
            <select
                id="trust-store"
                on:change=move |event| {
                    draft.trust.set(TrustChoice::from_value(&event_target_value(&event)));
                    problems.clear(Field::TrustPem);
                }
                prop:value=move || draft.trust.get().value()
            >
                {TrustChoice::ALL
                    .into_iter()
                    .map(|choice| {
                        view! {
                            <option
                                value=choice.value()
                                selected=move || draft.trust.get() == choice
                            >
                                {choice.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            {move || (draft.trust.get() == TrustChoice::Pem).then(|| view! {
                <div class="trust-pem">
                    <label for="trust-pem">"Your CA's certificate (PEM)"</label>
                    <textarea
                        id="trust-pem"
                        rows="4"
                        spellcheck="false"
                        placeholder="-----BEGIN CERTIFICATE-----"
                        aria-invalid=move || problems.of(Field::TrustPem).is_some().to_string()
                        aria-describedby=move || problems.of(Field::TrustPem).map(|_| Field::TrustPem.message_id())
                        prop:value=move || draft.trust_pem.get()
                        on:input=move |event| {
                            draft.trust_pem.set(event_target_value(&event));
                            problems.clear(Field::TrustPem);
                        }
                    ></textarea>
                    <label for="trust-pem-file">"or upload it: "</label>
                    <input id="trust-pem-file" type="file" accept=".pem,.crt,.cer,text/plain" on:change=on_file />
                    {move || upload_note.get().map(|note| view! { <p class="hint upload-note">{note}</p> })}
                    <FieldProblem problems field=Field::TrustPem />
                </div>
            })}
            <label class="client-certificate">
                <input
                    id="client-certificate"
                    title="Sent only when a server asks for a client certificate (lesson 6's client-certificate listener)"
                    type="checkbox"
                    prop:checked=move || draft.client_certificate.get()
                    on:change=move |event| draft.client_certificate.set(event_target_checked(&event))
                />
                " present the lab client certificate"
            </label>
        </div>
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
