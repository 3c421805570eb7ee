//! The workbench: a lesson beside the request builder and what crossed the wire.
//!
//! On a wide screen the lesson and the lab scroll on their own, so the builder
//! and its answer stay in view while the learner reads; on a narrow one they
//! stack, "Try it" jumps to the builder and a link leads back to the same place
//! in the lesson.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::{A, Route, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::path;
use safelab_protocol::{Exchange, ExchangeRequest, LabInfo, LessonSummary, ListenerId};
use wasm_bindgen::JsCast;

use crate::api;
use crate::components::copy_snippets::{CopySnippets, wire_of};
use crate::components::history_list::{HistoryAction, HistoryList};
use crate::components::lesson_view::TryPress;
use crate::components::projection_toggle::ProjectionToggle;
use crate::components::raw_editor::{RawDraft, RawEditor};
use crate::components::request_builder::{Problems, RequestBuilder};
use crate::components::response_view::{NextRequest, ResponseView};
use crate::components::solved_banner::SolvedBanner;
use crate::components::tls_panel::BrokenListeners;
use crate::components::twin_compare::TwinCompare;
use crate::draft::{Draft, Field, Problem, Sent, base_of};
use crate::history::{self, Entry};
use crate::pages::lesson::{LessonPage, LessonTools};
use crate::pages::tools::ToolsPage;
use crate::progress::LiveProgress;
use crate::shell;
use crate::snippets::Snippet;

/// Which editor the builder shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Form,
    Raw,
}

/// One send: what went out, and what came of it.
type Outcome = (Sent, Result<Exchange, api::Error>);

/// The answer on screen: one exchange, or both twins' side by side.
#[derive(Debug, Clone)]
enum Shown {
    One(Box<Outcome>),
    Both(Box<(Outcome, Outcome)>),
}

/// Sends `sent` the way it was written: through the form's inspector, or raw.
async fn perform(sent: &Sent) -> Result<Exchange, api::Error> {
    match sent {
        Sent::Form(request) => api::exchange(request).await,
        Sent::Raw(request, _) => api::raw(request).await,
    }
}

/// The app's one page: the routed lesson beside the request builder, which
/// stays as it is while the learner moves between lessons.
#[component]
pub fn Workbench() -> impl IntoView {
    let lab = LocalResource::new(api::lab);
    let lessons = LocalResource::new(api::lessons);
    let progress = LiveProgress::subscribe();

    let draft = Draft::new(String::new());
    Effect::new(move || {
        if let Some(Ok(lab)) = lab.get()
            && draft.url.get_untracked().is_empty()
        {
            draft.url.set(format!("{}/lab/hello", http_base(&lab)));
        }
    });
    let problems = Problems(RwSignal::new(Vec::new()));
    let mode = RwSignal::new(Mode::Form);
    let raw = RawDraft::new();
    let send = Action::new_local(|sent: &Sent| {
        let sent = sent.clone();
        async move {
            let result = perform(&sent).await;
            (sent, result)
        }
    });
    // Both twins: the insecure one first, then the secure one.
    let send_both = Action::new_local(|(insecure, secure): &(Sent, Sent)| {
        let (insecure, secure) = (insecure.clone(), secure.clone());
        async move {
            let insecure_result = perform(&insecure).await;
            let secure_result = perform(&secure).await;
            ((insecure, insecure_result), (secure, secure_result))
        }
    });
    let shown = RwSignal::new(None::<Shown>);
    let history = RwSignal::new(history::load());
    let remember = move |(sent, result): &Outcome| {
        let entry = Entry::new(
            sent.clone(),
            result.clone().map_err(|error| error.to_string()),
        );
        let entries = history.with_untracked(|entries| history::with_newest(entries, entry));
        history::save(&entries);
        history.set(entries);
    };
    Effect::new(move || {
        if let Some(outcome) = send.value().get() {
            remember(&outcome);
            shown.set(Some(Shown::One(Box::new(outcome))));
            // The new answer's status is brought into view once drawn: just
            // below the builder on a wide screen, where the builder stays
            // visible; the next screen on a phone.
            request_animation_frame(|| {
                scroll_into_view("answer-status", web_sys::ScrollLogicalPosition::Nearest);
            });
        }
    });
    Effect::new(move || {
        if let Some((insecure, secure)) = send_both.value().get() {
            remember(&insecure);
            remember(&secure);
            shown.set(Some(Shown::Both(Box::new((insecure, secure)))));
            request_animation_frame(|| {
                scroll_into_view("twins", web_sys::ScrollLogicalPosition::Nearest);
            });
        }
    });
    let raw_base = move |lab: &LabInfo| {
        lab.listener(raw.listener.get())
            .map(|listener| listener.url.clone())
            .unwrap_or_default()
    };
    let on_send_raw = Callback::new(move |()| {
        if let Some(Ok(lab)) = lab.get_untracked() {
            let base = raw_base(&lab);
            send.dispatch(Sent::Raw(raw.to_request(), base));
        }
    });
    // Raw mode starts from the request in the form, as it would go on the wire.
    let switch_to_raw = move |_| {
        if raw.text.get_untracked().is_empty() {
            let request = draft.values_untracked().to_request();
            let snippet = Snippet::of(&request);
            raw.text.set(snippet.raw());
            if let Some(Ok(lab)) = lab.get_untracked()
                && let Some(listener) = lab.listeners.iter().find(|listener| {
                    listener.id.is_lab() && base_of(&request.url) == Some(listener.url.as_str())
                })
            {
                raw.listener.set(listener.id);
            }
        }
        mode.set(Mode::Raw);
    };
    let on_send = Callback::new(move |()| {
        let values = draft.values_untracked();
        let found = values.problems();
        if let Some(first) = found.first() {
            focus(&first.field.input_id());
            problems.0.set(found);
            return;
        }
        problems.0.set(Vec::new());
        send.dispatch(Sent::Form(values.to_request()));
    });
    // The API's own refusals point at a field too (a URL outside the lab, a
    // body that is too large).
    Effect::new(move || {
        send.value().with(|outcome| {
            let Some((_, Err(error))) = outcome else {
                return;
            };
            if let Some(field) = error.code().and_then(Field::of_api_error) {
                problems.0.set(vec![Problem {
                    field,
                    message: error.to_string(),
                }]);
            }
        });
    });

    let last_try = RwSignal::new(None::<String>);
    let on_try = Callback::new(move |press: TryPress| {
        let Some(Ok(lab)) = lab.get_untracked() else {
            return;
        };
        // Keep the listener the learner picked; start on plain HTTP otherwise.
        let base = draft
            .url
            .with_untracked(|url| base_of(url).map(str::to_owned))
            .filter(|base| {
                lab.listeners
                    .iter()
                    .any(|listener| listener.id.serves_endpoints() && &listener.url == base)
            })
            .unwrap_or_else(|| http_base(&lab));
        draft.fill(&press.request, &base);
        mode.set(Mode::Form);
        problems.0.set(Vec::new());
        last_try.set(Some(press.button_id));
        scroll_into_view("builder-title", web_sys::ScrollLogicalPosition::Start);
        focus("url");
    });
    let on_follow = Callback::new(move |(method, url): NextRequest| {
        mode.set(Mode::Form);
        if method != draft.method.get_untracked() {
            draft.method.set(method);
            draft.body.set(String::new());
        }
        draft.url.set(url);
        scroll_into_view("builder-title", web_sys::ScrollLogicalPosition::Start);
        focus("send");
    });
    let back_to_lesson = move |_| {
        if let Some(id) = last_try.get_untracked() {
            scroll_into_view(&id, web_sys::ScrollLogicalPosition::Center);
            focus(&id);
        }
    };
    let load_into_builder = move |sent: &Sent| match sent {
        Sent::Form(request) => {
            draft.load(request);
            mode.set(Mode::Form);
        }
        Sent::Raw(request, _) => {
            raw.listener.set(request.listener);
            raw.text.set(request.text.clone());
            raw.crlf
                .set(request.line_endings == safelab_protocol::LineEndings::Crlf);
            mode.set(Mode::Raw);
        }
    };
    let on_history = Callback::new(move |action: HistoryAction| match action {
        HistoryAction::Reopen(entry) => {
            if let Some(exchange) = entry.exchange {
                load_into_builder(&entry.sent);
                shown.set(Some(Shown::One(Box::new((entry.sent, Ok(exchange))))));
                request_animation_frame(|| {
                    scroll_into_view("answer-status", web_sys::ScrollLogicalPosition::Nearest);
                });
            }
        }
        HistoryAction::Resend(entry) => {
            load_into_builder(&entry.sent);
            send.dispatch(entry.sent);
        }
    });
    let copy_raw = Callback::new(|entry: Entry| wire_of(&entry.sent).0);
    let current_request = Memo::new(move |_| match mode.get() {
        Mode::Form => Some(Sent::Form(draft.values().to_request())),
        Mode::Raw => lab
            .get()
            .and_then(Result::ok)
            .map(|lab| Sent::Raw(raw.to_request(), raw_base(&lab))),
    });
    // A lesson tool's request goes out whole, trust store included: the form
    // shows its method, URL, headers and body.
    let on_lesson_send = Callback::new(move |request: ExchangeRequest| {
        draft.load(&request);
        mode.set(Mode::Form);
        problems.0.set(Vec::new());
        // What the form now holds, as Send would take it (a pasted CA is
        // trimmed, for one): the answer then belongs to the form as shown.
        send.dispatch(Sent::Form(draft.values_untracked().to_request()));
    });
    provide_context(LessonTools {
        on_try,
        on_send: on_lesson_send,
        progress,
    });
    provide_context(BrokenListeners(Signal::derive(move || {
        lab.get()
            .and_then(Result::ok)
            .map(|lab| lab.certificates)
            .unwrap_or_default()
    })));

    // The Tools page takes the whole width; the builder keeps its state, hidden.
    let location = use_location();
    let on_tools = Memo::new(move |_| location.pathname.with(|path| path == "/tools"));

    view! {
        <a class="skip-link" href="#builder-title">"Skip to the request builder"</a>
        <header class="top">
            <span class="brand">"safelab"</span>
            <nav aria-label="Lessons">
                {move || lessons.get().map(|result| match result {
                    Ok(list) => view! { <LessonNav list progress /> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                })}
            </nav>
            <A href="/tools" attr:class="tools-link">"Tools"</A>
            <SolvedBanner progress />
            <ProjectionToggle />
            <a class="ca-link" href="/ca.pem" download="safelab-ca.pem">"Download the lab's CA"</a>
        </header>
        <main class="workbench" class:tools-only=move || on_tools.get()>
            <section class="lesson-pane" aria-label="Lesson">
                <Routes fallback=|| view! { <NoSuchPage /> }>
                    <Route path=path!("/") view=move || view! { <FirstLesson lessons /> } />
                    <Route path=path!("/lessons/:lesson/:exercise?") view=LessonPage />
                    <Route path=path!("/tools") view=ToolsPage />
                </Routes>
            </section>
            <section class="lab-pane" aria-labelledby="builder-title" hidden=move || on_tools.get()>
                {move || last_try.get().map(|_| view! {
                    <button type="button" id="back-to-lesson" class="back-to-lesson" on:click=back_to_lesson>
                        "↑ Back to the lesson, where you pressed Try it"
                    </button>
                })}
                <h2 id="builder-title" tabindex="-1">"Request builder"</h2>
                {move || match lab.get() {
                    None => view! { <p class="loading">"Connecting to the lab…"</p> }.into_any(),
                    Some(Ok(lab)) => {
                        let editor = move || match mode.get() {
                            Mode::Form => view! {
                                <RequestBuilder draft lab=lab.clone() pending=send.pending() problems on_send />
                            }.into_any(),
                            Mode::Raw => view! {
                                <RawEditor raw lab=lab.clone() pending=send.pending() on_send=on_send_raw />
                            }.into_any(),
                        };
                        view! {
                            <div class="modes" role="group" aria-label="How to write the request">
                                <button type="button" id="mode-form"
                                    aria-pressed=move || (mode.get() == Mode::Form).to_string()
                                    on:click=move |_| mode.set(Mode::Form)>"Form"</button>
                                <button type="button" id="mode-raw"
                                    aria-pressed=move || (mode.get() == Mode::Raw).to_string()
                                    on:click=switch_to_raw>"Raw"</button>
                            </div>
                            {editor}
                            {move || current_request.get().and_then(|sent| {
                                let other = sent.other_twin()?;
                                let pair = if sent.is_insecure() { (sent, other) } else { (other, sent) };
                                Some(view! {
                                    <button type="button" id="send-both" class="send-both"
                                        aria-disabled=move || send_both.pending().get().to_string()
                                        on:click=move |_| {
                                            if !send_both.pending().get_untracked() {
                                                send_both.dispatch(pair.clone());
                                            }
                                        }>
                                        {move || if send_both.pending().get() { "Sending to both…" } else { "Send to both twins" }}
                                    </button>
                                })
                            })}
                            <CopySnippets current=current_request />
                        }.into_any()
                    }
                    Some(Err(error)) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }}
                {move || match shown.get() {
                    Some(Shown::Both(pair)) => {
                        let (insecure, secure) = *pair;
                        view! { <TwinCompare insecure secure /> }.into_any()
                    }
                    Some(Shown::One(outcome)) => view! {
                        <ExchangeResult outcome=Some(*outcome) current=current_request on_follow />
                    }.into_any(),
                    None => view! { <ExchangeResult outcome=None current=current_request on_follow /> }.into_any(),
                }}
                <HistoryList entries=history on_action=on_history copy_raw />
            </section>
        </main>
    }
}

/// The lesson list, each lesson with how many of its challenges are solved.
#[component]
fn LessonNav(
    /// Every lesson.
    list: Vec<LessonSummary>,
    /// The learner's progress.
    progress: LiveProgress,
) -> impl IntoView {
    list.into_iter()
        .map(|summary| {
            let href = format!("/lessons/{}", summary.id);
            let id = summary.id.clone();
            let count = move || {
                progress
                    .counts(&id)
                    .filter(|(_, total)| *total > 0)
                    .map(|(solved, total)| {
                        view! {
                            <span
                                class="lesson-count"
                                class:complete=solved as usize == total
                                aria-label=format!("{solved} of {total} challenges solved")
                            >
                                {format!("{solved}/{total}")}
                            </span>
                        }
                    })
            };
            view! {
                <A href=href attr:class="lesson-link" attr:title=summary.summary>
                    {format!("{}. {}", summary.number, summary.title)}
                    " "
                    {count}
                </A>
            }
        })
        .collect_view()
}

/// `/`: shows the first lesson (the one the page's shell already painted).
#[component]
fn FirstLesson(
    /// The lesson list, for when the shell names no lesson.
    lessons: LocalResource<Result<Vec<LessonSummary>, api::Error>>,
) -> impl IntoView {
    let navigate = use_navigate();
    Effect::new(move || {
        let first = shell::lesson_id().or_else(|| {
            lessons
                .get()
                .and_then(Result::ok)
                .and_then(|list| list.first().map(|lesson| lesson.id.clone()))
        });
        if let Some(id) = first {
            navigate(
                &format!("/lessons/{id}"),
                NavigateOptions {
                    replace: true,
                    ..NavigateOptions::default()
                },
            );
        }
    });
    view! { <p class="loading">"Loading the lesson…"</p> }
}

/// Any path the app does not know.
#[component]
fn NoSuchPage() -> impl IntoView {
    shell::take_over();
    view! {
        <div class="error" role="alert">
            <h1>"There is no such page"</h1>
            <p>"Pick a lesson above, or start from "<A href="/">"the first lesson"</A>"."</p>
        </div>
    }
}

/// The latest exchange, or why it failed, or a hint before the first one. When
/// the request in the builder no longer matches the one that was sent, the
/// answer is marked as belonging to that earlier request.
#[component]
fn ExchangeResult(
    /// The exchange to show, if any.
    outcome: Option<Outcome>,
    /// What the builder holds now.
    #[prop(into)]
    current: Signal<Option<Sent>>,
    /// Called when the learner follows a redirect.
    on_follow: Callback<NextRequest>,
) -> impl IntoView {
    move || {
        let Some((sent, result)) = outcome.clone() else {
            return view! {
                <p class="hint empty-response">
                    "Press Send (or Enter in the URL) to see what crosses the wire: the request as sent, the status, every header, the body, the timings and, over HTTPS, the certificate chain."
                </p>
            }
            .into_any();
        };
        let stale = {
            let sent = sent.clone();
            Memo::new(move |_| current.with(|current| current.as_ref() != Some(&sent)))
        };
        let answered = sent.describe();
        let request = sent.as_request();
        let body = match result {
            Ok(exchange) => view! { <ResponseView sent=request exchange on_follow /> }.into_any(),
            Err(error) => view! {
                <div id="answer-status" class="error exchange-error" role="alert">
                    <strong>"The request could not be completed. "</strong>
                    {error.to_string()}
                </div>
            }
            .into_any(),
        };
        view! {
            <div id="answer" class="answer" class:stale=move || stale.get()>
                <p class="answered-to">
                    {move || if stale.get() { "Answer to an earlier request: " } else { "Answer to: " }}
                    <code class="answered-request">{answered}</code>
                </p>
                {move || stale.get().then(|| view! {
                    <p class="stale-note" role="status">
                        "The request in the builder has changed since this was sent. Press Send to see the answer to the new one."
                    </p>
                })}
                {body}
            </div>
        }
        .into_any()
    }
}

fn http_base(lab: &LabInfo) -> String {
    lab.listener(ListenerId::Http)
        .or_else(|| {
            lab.listeners
                .iter()
                .find(|listener| listener.id.serves_endpoints())
        })
        .map(|listener| listener.url.clone())
        .unwrap_or_default()
}

pub(crate) fn element(id: &str) -> Option<web_sys::HtmlElement> {
    document()
        .get_element_by_id(id)
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
}

pub(crate) fn focus(id: &str) {
    if let Some(element) = element(id) {
        let _ = element.focus();
    }
}

/// Scrolls whatever needs scrolling (the page on a phone, a pane on a wide
/// screen) so the element with `id` is in view.
pub(crate) fn scroll_into_view(id: &str, block: web_sys::ScrollLogicalPosition) {
    if let Some(element) = element(id) {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(block);
        element.scroll_into_view_with_scroll_into_view_options(&options);
    }
}
