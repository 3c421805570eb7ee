//! A lesson: its prose, its code samples, and a "Try it" button on each of its
//! requests.

use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;
use safelab_protocol::{Lesson, LessonBlock, LessonRequest};

use crate::components::code_sample::CodeSample;

/// A "Try it" press: the request, and the id of the button that was pressed
/// (so the learner can be taken back to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryPress {
    /// The lesson's request.
    pub request: LessonRequest,
    /// The id of the pressed button's element.
    pub button_id: String,
}

/// Shows one lesson.
#[component]
pub fn LessonView(
    /// The lesson to show.
    lesson: Lesson,
    /// Called when a "Try it" button is pressed.
    on_try: Callback<TryPress>,
) -> impl IntoView {
    let mut requests = 0;
    let blocks = lesson
        .blocks
        .into_iter()
        .map(|block| match block {
            // The HTML was rendered by the backend from safelab's own lesson
            // files, with any raw HTML in them escaped.
            LessonBlock::Prose { html } => {
                view! { <div class="prose" inner_html=html></div> }.into_any()
            }
            LessonBlock::Code(code) => view! { <CodeSample code /> }.into_any(),
            LessonBlock::Request(request) => {
                requests += 1;
                let button_id = format!("try-{requests}");
                view! { <TryIt request button_id on_try /> }.into_any()
            }
        })
        .collect_view();
    view! {
        <article class="lesson" aria-labelledby="lesson-title">
            <p class="lesson-number">"Lesson " {lesson.summary.number}</p>
            // `elementtiming` lets the first-paint benchmark see when the
            // heading is drawn (the Element Timing API).
            <h1 id="lesson-title" {..custom_attribute("elementtiming", "lesson-title")}>
                {lesson.summary.title}
            </h1>
            <p class="lesson-summary">{lesson.summary.summary}</p>
            {blocks}
        </article>
    }
}

/// A request from a lesson, shown as it will go on the wire, with its button.
#[component]
fn TryIt(
    /// The request.
    request: LessonRequest,
    /// The id of the button element.
    button_id: String,
    /// Called when the button is pressed.
    on_try: Callback<TryPress>,
) -> impl IntoView {
    let text = request.as_text();
    let label = format!("Try it: {}", text.replace('\n', ", "));
    let press = TryPress {
        request,
        button_id: button_id.clone(),
    };
    view! {
        <div class="try-it">
            <pre tabindex="0"><code>{text}</code></pre>
            <button
                type="button"
                id=button_id
                class="try-it-button"
                aria-label=label
                on:click=move |_| on_try.run(press.clone())
            >
                "Try it"
            </button>
        </div>
    }
}
