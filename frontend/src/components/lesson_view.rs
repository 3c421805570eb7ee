//! A lesson: its prose, and a "Try it" button on each of its requests.

use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;
use safelab_protocol::{Lesson, LessonBlock, LessonRequest};

/// Shows one lesson.
#[component]
pub fn LessonView(
    /// The lesson to show.
    lesson: Lesson,
    /// Called with a request when its "Try it" button is pressed.
    on_try: Callback<LessonRequest>,
) -> impl IntoView {
    let blocks = lesson
        .blocks
        .into_iter()
        .map(|block| match block {
            // The HTML was rendered by the backend from safelab's own lesson
            // files, with any raw HTML in them escaped.
            LessonBlock::Prose { html } => {
                view! { <div class="prose" inner_html=html></div> }.into_any()
            }
            LessonBlock::Request(request) => view! { <TryIt request on_try /> }.into_any(),
        })
        .collect_view();
    view! {
        <article class="lesson" aria-labelledby="lesson-title">
            <p class="lesson-number">"Lesson " {lesson.summary.number}</p>
            <h1 id="lesson-title" {..custom_attribute("elementtiming", "lesson-title")}>{lesson.summary.title}</h1>
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
    /// Called with the request when the button is pressed.
    on_try: Callback<LessonRequest>,
) -> impl IntoView {
    let mut text = format!("{} {}", request.method, request.path);
    for (name, value) in &request.headers {
        text.push_str(&format!("\n{name}: {value}"));
    }
    if !request.body.is_empty() {
        text.push_str("\n\n");
        text.push_str(&request.body);
    }
    let label = format!("Try it: {} {}", request.method, request.path);
    view! {
        <div class="try-it">
            <pre><code>{text}</code></pre>
            <button
                type="button"
                class="try-it-button"
                aria-label=label
                on:click=move |_| on_try.run(request.clone())
            >
                "Try it"
            </button>
        </div>
    }
}
