//! Lesson 6's guided flow, drawn where the lesson says `::: widget
//! {#own-ca}`: create a CA; create a key and CSR; sign it; start a listener
//! with the certificate; verify it from the inspector, trusting that CA, and
//! from Python. Every choice is the learner's, wrong ones included (no SAN,
//! `CA:TRUE`, no `serverAuth`, expired, the wrong CA): the point is to see
//! what clients say. Beside each step, the same in `openssl` and in Python's
//! `cryptography`.

use leptos::prelude::*;
use safelab_protocol::own_ca::{
    KeyType, KeyUsage, NewCa, NewKey, OwnCa, OwnCaLab, OwnCertificate, OwnKey, OwnListener,
    Purpose, SignRequest, StartListener, equivalents,
};
use safelab_protocol::{ExchangeRequest, TrustStore};

use crate::api;
use crate::pages::lesson::LessonTools;

/// One step the learner asked for.
#[derive(Debug, Clone)]
enum Step {
    CreateCa(NewCa),
    CreateKey(NewKey),
    Sign(SignRequest),
    Start(StartListener),
    Stop(String),
}

/// What a step made.
#[derive(Debug, Clone)]
enum Done {
    Ca(OwnCa),
    Key(OwnKey),
    Certificate(OwnCertificate),
    Listener(OwnListener),
    Stopped,
}

async fn perform(step: Step) -> Result<Done, api::Error> {
    Ok(match step {
        Step::CreateCa(request) => Done::Ca(api::create_ca(&request).await?),
        Step::CreateKey(request) => Done::Key(api::create_key(&request).await?),
        Step::Sign(request) => Done::Certificate(api::sign(&request).await?),
        Step::Start(request) => Done::Listener(api::start_listener(&request).await?),
        Step::Stop(id) => {
            api::stop_listener(&id).await?;
            Done::Stopped
        }
    })
}

fn key_type_of(label: &str) -> KeyType {
    KeyType::ALL
        .into_iter()
        .find(|key_type| key_type.label() == label)
        .unwrap_or_default()
}

fn purpose_label(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::ServerAuth => "serverAuth (a TLS server)",
        Purpose::ClientAuth => "clientAuth only (a TLS client)",
        Purpose::None => "none (no extended key usage)",
    }
}

fn purpose_of(label: &str) -> Purpose {
    Purpose::ALL
        .into_iter()
        .find(|purpose| purpose_label(*purpose) == label)
        .unwrap_or_default()
}

/// A whole number typed in a field, or what is wrong with it.
fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{field} must be a whole number, not {:?}.", text.trim()))
}

/// The own-CA flow.
#[component]
pub fn OwnCaFlow() -> impl IntoView {
    let tools = use_context::<LessonTools>();
    let version = RwSignal::new(0_u32);
    let listing = LocalResource::new(move || {
        version.get();
        api::own_ca()
    });
    let made = move || -> OwnCaLab { listing.get().and_then(Result::ok).unwrap_or_default() };
    let error = RwSignal::new(None::<String>);

    // Step 1.
    let ca_name = RwSignal::new("My lab CA".to_owned());
    let ca_key_type = RwSignal::new(KeyType::EcdsaP256);
    let ca_days = RwSignal::new("365".to_owned());
    // Step 2.
    let common_name = RwSignal::new("localhost".to_owned());
    let names = RwSignal::new("localhost, 127.0.0.1".to_owned());
    let is_ca = RwSignal::new(false);
    let usages = RwSignal::new(vec![KeyUsage::DigitalSignature]);
    let purpose = RwSignal::new(Purpose::ServerAuth);
    let key_type = RwSignal::new(KeyType::EcdsaP256);
    // Step 3.
    let sign_ca = RwSignal::new(String::new());
    let csr = RwSignal::new(String::new());
    let starts = RwSignal::new("0".to_owned());
    let days = RwSignal::new("90".to_owned());
    // Step 4 and 5.
    let certificate = RwSignal::new(String::new());
    let listener = RwSignal::new(String::new());
    let trust_ca = RwSignal::new(String::new());

    let step = Action::new_local(|step: &Step| perform(step.clone()));
    Effect::new(move || {
        let Some(result) = step.value().get() else {
            return;
        };
        match result {
            Ok(done) => {
                error.set(None);
                match done {
                    Done::Ca(ca) => {
                        sign_ca.set(ca.id.clone());
                        trust_ca.set(ca.id);
                    }
                    Done::Key(key) => csr.set(key.csr_pem),
                    Done::Certificate(made) => {
                        if made.key.is_some() {
                            certificate.set(made.id);
                        }
                    }
                    Done::Listener(started) => listener.set(started.id),
                    Done::Stopped => {}
                }
                version.update(|version| *version += 1);
            }
            Err(refused) => error.set(Some(refused.to_string())),
        }
    });
    let run = move |next: Result<Step, String>| match next {
        Ok(next) => {
            step.dispatch(next);
        }
        Err(message) => error.set(Some(message)),
    };

    let new_ca = move || -> Result<NewCa, String> {
        Ok(NewCa {
            name: ca_name.get(),
            key_type: ca_key_type.get(),
            valid_days: number("The CA's validity", &ca_days.get())?,
        })
    };
    let new_key = move || NewKey {
        common_name: common_name.get(),
        names: names
            .get()
            .split([',', ' ', '\n'])
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect(),
        is_ca: is_ca.get(),
        key_usage: usages.get(),
        purpose: purpose.get(),
        key_type: key_type.get(),
    };
    let sign_request = move || -> Result<SignRequest, String> {
        Ok(SignRequest {
            ca: sign_ca.get(),
            csr_pem: csr.get(),
            starts_in_days: number("The start", &starts.get())?,
            valid_days: number("The validity", &days.get())?,
        })
    };
    let ca_of = move |id: &str| made().cas.into_iter().find(|ca| ca.id == id);

    let key_type_options = |selected: RwSignal<KeyType>| {
        KeyType::ALL
            .into_iter()
            .map(move |option| {
                view! {
                    <option value=option.label() selected=move || selected.get() == option>
                        {option.label()}
                    </option>
                }
            })
            .collect_view()
    };
    let ca_options = move |selected: RwSignal<String>| {
        move || {
            made()
                .cas
                .into_iter()
                .map(|ca| {
                    let id = ca.id.clone();
                    let is = id.clone();
                    view! {
                        <option value=id selected=move || selected.get() == is>
                            {format!("{} ({})", ca.name, ca.id)}
                        </option>
                    }
                })
                .collect_view()
        }
    };

    let verify = move |_| {
        let lab = made();
        let (Some(running), Some(ca)) = (
            lab.listeners
                .iter()
                .find(|running| running.id == listener.get_untracked()),
            ca_of(&trust_ca.get_untracked()),
        ) else {
            error.set(Some(
                "Start a listener (step 4) and pick the CA to trust first.".to_owned(),
            ));
            return;
        };
        let Some(tools) = tools else {
            error.set(Some(
                "The request builder is not on this page: open the lesson from the app.".to_owned(),
            ));
            return;
        };
        error.set(None);
        tools.on_send.run(ExchangeRequest {
            method: "GET".to_owned(),
            url: format!("{}/", running.url),
            trust: TrustStore::Pem { pem: ca.pem },
            ..ExchangeRequest::default()
        });
    };

    view! {
        <section class="widget own-ca" id="widget-own-ca" aria-labelledby="own-ca-title">
            <h2 id="own-ca-title">"Your own CA, step by step"</h2>
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! { <p class="error" role="alert" id="own-ca-error">{message}</p> }
                    })
            }}

            <fieldset class="own-ca-step">
                <legend>"1. Create a CA"</legend>
                <label>"Name "
                    <input id="own-ca-name" prop:value=move || ca_name.get()
                        on:input=move |event| ca_name.set(event_target_value(&event)) />
                </label>
                <label>"Key "
                    <select id="own-ca-key-type"
                        on:change=move |event| ca_key_type.set(key_type_of(&event_target_value(&event)))>
                        {key_type_options(ca_key_type)}
                    </select>
                </label>
                <label>"Valid for (days) "
                    <input id="own-ca-days" inputmode="numeric" prop:value=move || ca_days.get()
                        on:input=move |event| ca_days.set(event_target_value(&event)) />
                </label>
                <button type="button" id="own-ca-create-ca"
                    on:click=move |_| run(new_ca().map(Step::CreateCa))>"Create the CA"</button>
                <ul class="own-ca-made">
                    {move || made().cas.into_iter().map(|ca| view! {
                        <li>
                            {format!("{} ({}, {}), valid until {}", ca.name, ca.id, ca.key_type.label(), ca.not_after)}
                            " " <a href=ca.download.clone() download="myca.pem">"Download myca.pem"</a>
                        </li>
                    }).collect_view()}
                </ul>
                <Equivalents
                    openssl=Signal::derive(move || new_ca().map(|ca| equivalents::openssl_ca(&ca)).unwrap_or_default())
                    python=Signal::derive(move || new_ca().map(|ca| equivalents::python_ca(&ca)).unwrap_or_default()) />
            </fieldset>

            <fieldset class="own-ca-step">
                <legend>"2. Create a key and a certificate signing request"</legend>
                <label>"Common name "
                    <input id="own-ca-common-name" prop:value=move || common_name.get()
                        on:input=move |event| common_name.set(event_target_value(&event)) />
                </label>
                <label>"Subject alternative names (DNS names, IP addresses; none is allowed) "
                    <input id="own-ca-names" prop:value=move || names.get()
                        on:input=move |event| names.set(event_target_value(&event)) />
                </label>
                <label>
                    <input type="checkbox" id="own-ca-is-ca" prop:checked=move || is_ca.get()
                        on:change=move |event| is_ca.set(event_target_checked(&event)) />
                    " CA:TRUE (a certificate authority, not a server)"
                </label>
                <fieldset class="own-ca-usages">
                    <legend>"Key usage"</legend>
                    {KeyUsage::ALL.into_iter().map(|usage| view! {
                        <label>
                            <input type="checkbox" id=format!("own-ca-usage-{}", usage.openssl_name())
                                prop:checked=move || usages.get().contains(&usage)
                                on:change=move |event| {
                                    let on = event_target_checked(&event);
                                    usages.update(|chosen| {
                                        chosen.retain(|have| *have != usage);
                                        if on {
                                            chosen.push(usage);
                                        }
                                    });
                                } />
                            " " {usage.openssl_name()}
                        </label>
                    }).collect_view()}
                </fieldset>
                <label>"Extended key usage "
                    <select id="own-ca-purpose"
                        on:change=move |event| purpose.set(purpose_of(&event_target_value(&event)))>
                        {Purpose::ALL.into_iter().map(|option| view! {
                            <option value=purpose_label(option) selected=move || purpose.get() == option>
                                {purpose_label(option)}
                            </option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Key "
                    <select id="own-ca-key-key-type"
                        on:change=move |event| key_type.set(key_type_of(&event_target_value(&event)))>
                        {key_type_options(key_type)}
                    </select>
                </label>
                <button type="button" id="own-ca-create-key"
                    on:click=move |_| run(Ok(Step::CreateKey(new_key())))>"Create the key and CSR"</button>
                <Equivalents
                    openssl=Signal::derive(move || equivalents::openssl_key(&new_key()))
                    python=Signal::derive(move || equivalents::python_key(&new_key())) />
            </fieldset>

            <fieldset class="own-ca-step">
                <legend>"3. Sign the CSR with one of your CAs"</legend>
                <label>"CA "
                    <select id="own-ca-sign-ca" on:change=move |event| sign_ca.set(event_target_value(&event))>
                        <option value="">"(create a CA first)"</option>
                        {ca_options(sign_ca)}
                    </select>
                </label>
                <label>"CSR (the one from step 2, or paste one made with openssl) "
                    <textarea id="own-ca-csr" rows="6" prop:value=move || csr.get()
                        on:input=move |event| csr.set(event_target_value(&event))></textarea>
                </label>
                <label>"Starts in (days; negative is in the past) "
                    <input id="own-ca-starts" inputmode="numeric" prop:value=move || starts.get()
                        on:input=move |event| starts.set(event_target_value(&event)) />
                </label>
                <label>"Valid for (days) "
                    <input id="own-ca-valid-days" inputmode="numeric" prop:value=move || days.get()
                        on:input=move |event| days.set(event_target_value(&event)) />
                </label>
                <button type="button" id="own-ca-sign"
                    on:click=move |_| run(sign_request().map(Step::Sign))>"Sign it"</button>
                <ul class="own-ca-made">
                    {move || made().certificates.into_iter().map(|signed| {
                        let verdict = signed.rustls_verdict.clone().map_or_else(
                            || "rustls accepts it for localhost".to_owned(),
                            |error| format!("rustls refuses it for localhost: {error}"),
                        );
                        view! {
                            <li class="own-ca-certificate">
                                {format!(
                                    "{}: {} [{}], {}{}, {} to {}, signed by {} ({}). ",
                                    signed.id,
                                    signed.common_name,
                                    signed.names.join(", "),
                                    if signed.is_ca { "CA:TRUE" } else { "CA:FALSE" },
                                    if signed.purposes.is_empty() { String::new() } else { format!(", {}", signed.purposes.join(", ")) },
                                    signed.not_before,
                                    signed.not_after,
                                    signed.signed_by_name,
                                    signed.signed_by,
                                )}
                                <span class="own-ca-verdict">{verdict}</span>
                                " " <a href=signed.download.clone() download=format!("{}.pem", signed.id)>"Download"</a>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <Equivalents
                    openssl=Signal::derive(move || sign_request().ok().and_then(|request| ca_of(&request.ca).map(|ca| equivalents::openssl_sign(&request, ca.key_type))).unwrap_or_default())
                    python=Signal::derive(move || sign_request().ok().and_then(|request| ca_of(&request.ca).map(|ca| equivalents::python_sign(&request, ca.key_type))).unwrap_or_default()) />
            </fieldset>

            <fieldset class="own-ca-step">
                <legend>"4. Start a listener with the certificate"</legend>
                <label>"Certificate "
                    <select id="own-ca-certificate" on:change=move |event| certificate.set(event_target_value(&event))>
                        <option value="">"(sign one from a CSR made here first)"</option>
                        {move || made().certificates.into_iter().filter(|signed| signed.key.is_some()).map(|signed| {
                            let id = signed.id.clone();
                            let is = id.clone();
                            view! {
                                <option value=id selected=move || certificate.get() == is>
                                    {format!("{} ({}, by {})", signed.id, signed.common_name, signed.signed_by_name)}
                                </option>
                            }
                        }).collect_view()}
                    </select>
                </label>
                <button type="button" id="own-ca-start"
                    on:click=move |_| run(Ok(Step::Start(StartListener { certificate: certificate.get() })))>"Start the listener"</button>
                <ul class="own-ca-listeners">
                    {move || made().listeners.into_iter().map(|running| {
                        let id = running.id.clone();
                        view! {
                            <li class="own-ca-listener">
                                <code>{running.url.clone()}</code>
                                {format!(" presents {} (by {}), stops by itself at {} ", running.certificate, running.signed_by, running.stops_at)}
                                <button type="button" on:click=move |_| run(Ok(Step::Stop(id.clone())))>"Stop"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <Equivalents
                    openssl=Signal::derive(equivalents::openssl_serve)
                    python=Signal::derive(equivalents::python_serve) />
            </fieldset>

            <fieldset class="own-ca-step">
                <legend>"5. Verify it, trusting your CA"</legend>
                <label>"Listener "
                    <select id="own-ca-listener" on:change=move |event| listener.set(event_target_value(&event))>
                        <option value="">"(start one first)"</option>
                        {move || made().listeners.into_iter().map(|running| {
                            let id = running.id.clone();
                            let is = id.clone();
                            view! { <option value=id selected=move || listener.get() == is>{running.url}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Trust "
                    <select id="own-ca-trust" on:change=move |event| trust_ca.set(event_target_value(&event))>
                        <option value="">"(create a CA first)"</option>
                        {ca_options(trust_ca)}
                    </select>
                </label>
                <button type="button" id="own-ca-verify" on:click=verify>
                    "Send it from the request builder, trusting this CA"
                </button>
                {move || {
                    let lab = made();
                    let url = lab.listeners.iter().find(|running| running.id == listener.get()).map(|running| format!("{}/", running.url))?;
                    let ca = ca_of(&trust_ca.get())?;
                    Some(view! {
                        <p>"From Python, in a folder holding " <a id="own-ca-download" href=ca.download download="myca.pem">"Download myca.pem"</a> ":"</p>
                        <pre id="own-ca-python"><code>{equivalents::python_verify(&url)}</code></pre>
                        <Equivalents
                            openssl=Signal::derive(move || equivalents::openssl_verify(&url))
                            python=Signal::derive(String::new) />
                    })
                }}
            </fieldset>
        </section>
    }
}

/// The same step with `openssl` and with Python's `cryptography`.
#[component]
fn Equivalents(
    /// The `openssl` commands.
    openssl: Signal<String>,
    /// The Python code; empty for none.
    python: Signal<String>,
) -> impl IntoView {
    view! {
        <details class="own-ca-equivalents">
            <summary>"The same in a terminal"</summary>
            <p>"With openssl:"</p>
            <pre><code class="own-ca-openssl">{move || openssl.get()}</code></pre>
            {move || {
                let code = python.get();
                (!code.is_empty()).then(|| view! {
                    <p>"With Python's cryptography:"</p>
                    <pre><code class="own-ca-cryptography">{code}</code></pre>
                })
            }}
        </details>
    }
}
