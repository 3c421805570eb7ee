//! The workbench: a lesson beside the request builder and what crossed the wire.

use leptos::prelude::*;
use safelab_protocol::{
    Exchange, ExchangeRequest, LabInfo, LessonRequest, LessonSummary, ListenerId,
};
use wasm_bindgen::JsCast;

use crate::api;
use crate::components::copy_snippets::CopySnippets;
use crate::components::lesson_view::LessonView;
use crate::components::request_builder::RequestBuilder;
use crate::components::response_view::ResponseView;
use crate::draft::{Draft, base_of};

/// The app's one page.
#[component]
pub fn Workbench() -> impl IntoView {
    let lab = LocalResource::new(api::lab);
    let lessons = LocalResource::new(api::lessons);
    let chosen = RwSignal::new(None::<String>);
    let current_id = Memo::new(move |_| {
        chosen.get().or_else(|| {
            lessons
                .get()
                .and_then(Result::ok)
                .and_then(|list| list.first().map(|lesson| lesson.id.clone()))
        })
    });
    let lesson = LocalResource::new(move || {
        let id = current_id.get();
        async move {
            match id {
                Some(id) => api::lesson(&id).await.map(Some),
                None => Ok(None),
            }
        }
    });

    let draft = Draft::new(String::new());
    Effect::new(move || {
        if let Some(Ok(lab)) = lab.get()
            && draft.url.get_untracked().is_empty()
        {
            draft.url.set(format!("{}/lab/hello", http_base(&lab)));
        }
    });
    let send = Action::new_local(|request: &ExchangeRequest| {
        let request = request.clone();
        async move { api::exchange(&request).await }
    });
    let on_send = Callback::new(move |()| {
        send.dispatch(draft.to_request());
    });
    let on_try = Callback::new(move |request: LessonRequest| {
        let Some(Ok(lab)) = lab.get_untracked() else {
            return;
        };
        // Keep the listener the learner picked; start on plain HTTP otherwise.
        let base = draft
            .url
            .with_untracked(|url| base_of(url).map(str::to_owned))
            .filter(|base| lab.listeners.iter().any(|listener| &listener.url == base))
            .unwrap_or_else(|| http_base(&lab));
        draft.fill(&request, &base);
        focus("url");
    });

    view! {
        <a class="skip-link" href="#builder-title">"Skip to the request builder"</a>
        <header class="top">
            <span class="brand">"safelab"</span>
            <nav aria-label="Lessons">
                {move || lessons.get().map(|result| match result {
                    Ok(list) => view! { <LessonNav list chosen current_id /> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                })}
            </nav>
            <a class="ca-link" href="/ca.pem" download="safelab-ca.pem">"Download the lab's CA"</a>
        </header>
        <main class="workbench">
            <section class="lesson-pane" aria-label="Lesson">
                {move || match lesson.get() {
                    None => view! { <p class="loading">"Loading the lesson…"</p> }.into_any(),
                    Some(Ok(Some(lesson))) => view! { <LessonView lesson on_try /> }.into_any(),
                    Some(Ok(None)) => view! { <p>"No lessons are installed."</p> }.into_any(),
                    Some(Err(error)) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }}
            </section>
            <section class="lab-pane" aria-labelledby="builder-title">
                <h2 id="builder-title" tabindex="-1">"Request builder"</h2>
                {move || match lab.get() {
                    None => view! { <p class="loading">"Connecting to the lab…"</p> }.into_any(),
                    Some(Ok(lab)) => view! {
                        <RequestBuilder draft lab pending=send.pending() on_send />
                        <CopySnippets draft />
                    }.into_any(),
                    Some(Err(error)) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }}
                <ExchangeResult result=send.value() />
            </section>
        </main>
    }
}

/// The lesson list.
#[component]
fn LessonNav(
    /// Every lesson.
    list: Vec<LessonSummary>,
    /// The lesson the learner picked, if any.
    chosen: RwSignal<Option<String>>,
    /// The lesson shown.
    current_id: Memo<Option<String>>,
) -> impl IntoView {
    list.into_iter()
        .map(|summary| {
            let id = summary.id.clone();
            let is_current = {
                let id = id.clone();
                move || current_id.get().as_deref() == Some(id.as_str())
            };
            view! {
                <button
                    type="button"
                    class="lesson-link"
                    title=summary.summary
                    aria-current=move || if is_current() { "page" } else { "false" }
                    on:click=move |_| chosen.set(Some(id.clone()))
                >
                    {format!("{}. {}", summary.number, summary.title)}
                </button>
            }
        })
        .collect_view()
}

/// The latest exchange, or why it failed, or a hint before the first one.
#[component]
fn ExchangeResult(
    /// The latest result of the send action.
    #[prop(into)]
    result: Signal<Option<Result<Exchange, api::Error>>>,
) -> impl IntoView {
    move || {
        match result.get() {
        None => view! {
            <p class="hint empty-response">
                "Press Send (or Enter in the URL) to see what crosses the wire: the request as sent, the status, every header, the body, the timings and, over HTTPS, the certificate chain."
            </p>
        }
        .into_any(),
        Some(Ok(exchange)) => view! { <ResponseView exchange /> }.into_any(),
        Some(Err(error)) => view! {
            <div class="error exchange-error" role="alert">
                <strong>"The request could not be completed. "</strong>
                {error.to_string()}
            </div>
        }
        .into_any(),
    }
    }
}

fn http_base(lab: &LabInfo) -> String {
    lab.listener(ListenerId::Http)
        .map(|listener| listener.url.clone())
        .unwrap_or_else(|| window().location().origin().unwrap_or_default())
}

fn focus(id: &str) {
    if let Some(element) = document()
        .get_element_by_id(id)
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}
