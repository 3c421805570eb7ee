//! A lesson: its objectives, prose, code samples, "Try it" requests,
//! challenges and key points, and its Python scripts to download.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;
use safelab_protocol::tools::Tool;
use safelab_protocol::{Lesson, LessonBlock, LessonRequest};

use crate::components::challenge::Challenge;
use crate::components::code_sample::CodeSample;
use crate::components::own_ca::OwnCaFlow;
use crate::components::tool_panel::ToolPanel;
use crate::progress::LiveProgress;

/// A "Try it" press: the request, and the id of the button that was pressed
/// (so the learner can be taken back to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryPress {
    /// The lesson's request.
    pub request: LessonRequest,
    /// The id of the pressed button's element.
    pub button_id: String,
}

/// What every block of a lesson may need while it is drawn.
#[derive(Clone)]
pub struct BlockContext {
    /// The lesson's id.
    pub lesson: String,
    /// Called when a "Try it" button is pressed.
    pub on_try: Callback<TryPress>,
    /// The learner's progress.
    pub progress: LiveProgress,
    /// Numbers the "Try it" buttons in reading order (`try-1`, `try-2`…).
    requests: Rc<Cell<u32>>,
}

/// Shows one lesson.
#[component]
pub fn LessonView(
    /// The lesson to show.
    lesson: Lesson,
    /// Called when a "Try it" button is pressed.
    on_try: Callback<TryPress>,
    /// The learner's progress, to mark solved challenges.
    progress: LiveProgress,
) -> impl IntoView {
    let context = BlockContext {
        lesson: lesson.summary.id.clone(),
        on_try,
        progress,
        requests: Rc::new(Cell::new(0)),
    };
    let blocks = blocks_view(lesson.blocks, &context);
    let id = lesson.summary.id.clone();
    let scripts = (!lesson.scripts.is_empty()).then(|| {
        let links = lesson
            .scripts
            .into_iter()
            .map(|name| {
                let href = format!("/api/lessons/{id}/python/{name}");
                view! { <li><a href=href download=name.clone()><code>{name.clone()}</code></a></li> }
            })
            .collect_view();
        view! {
            <section class="scripts" aria-labelledby="scripts-title">
                <h2 id="scripts-title">"The lesson in Python"</h2>
                <p>
                    "Scripts that do this lesson's challenges with "<code>"requests"</code>
                    ", with your safelab's addresses already in them. Save them next to "
                    <code>"safelab-ca.pem"</code>" and run them with "<code>"python"</code>"."
                </p>
                <ul>{links}</ul>
            </section>
        }
    });
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
            {scripts}
        </article>
    }
}

/// Draws `blocks` in order.
pub fn blocks_view(blocks: Vec<LessonBlock>, context: &BlockContext) -> AnyView {
    blocks
        .into_iter()
        .map(|block| block_view(block, context))
        .collect_view()
        .into_any()
}

fn block_view(block: LessonBlock, context: &BlockContext) -> AnyView {
    match block {
        // The HTML was rendered by the backend from safelab's own lesson
        // files, with any raw HTML in them escaped.
        LessonBlock::Prose { html } => {
            view! { <div class="prose" inner_html=html></div> }.into_any()
        }
        LessonBlock::Code(code) => view! { <CodeSample code /> }.into_any(),
        LessonBlock::Request(request) => {
            let number = context.requests.get() + 1;
            context.requests.set(number);
            let button_id = format!("try-{number}");
            view! { <TryIt request button_id on_try=context.on_try /> }.into_any()
        }
        LessonBlock::Aside(aside) => {
            let class = match aside.aside {
                safelab_protocol::AsideKind::Objectives => "aside objectives",
                safelab_protocol::AsideKind::Keypoints => "aside keypoints",
                safelab_protocol::AsideKind::Callout => "aside callout",
            };
            let heading = aside.aside.heading();
            view! {
                <aside class=class>
                    <h2>{heading}</h2>
                    {blocks_view(aside.blocks, context)}
                </aside>
            }
            .into_any()
        }
        LessonBlock::Challenge(challenge) => {
            view! { <Challenge challenge context=context.clone() /> }.into_any()
        }
        // The backend accepts only the ids in `WIDGETS`.
        LessonBlock::Widget { id } => match id.as_str() {
            "own-ca" => view! { <OwnCaFlow /> }.into_any(),
            widget => match Tool::ALL.into_iter().find(|tool| tool.widget() == widget) {
                Some(tool) => {
                    view! { <ToolPanel tool prefix="widget" in_lesson=true /> }.into_any()
                }
                None => ().into_any(),
            },
        },
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
