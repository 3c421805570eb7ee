//! A lesson's page (`/lessons/{id}` and `/lessons/{id}/{challenge}`): the
//! lesson, its progress controls, and the challenge the URL names brought into
//! view, so an instructor can say "open lesson 2, challenge 3" with a link.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use safelab_protocol::ExchangeRequest;

use crate::api;
use crate::components::lesson_view::{LessonView, TryPress};
use crate::components::progress_controls::ProgressControls;
use crate::pages::workbench::{focus, scroll_into_view};
use crate::progress::LiveProgress;
use crate::shell;

/// What the workbench lends the lesson page.
#[derive(Debug, Clone, Copy)]
pub struct LessonTools {
    /// Fills the request builder with a lesson's request.
    pub on_try: Callback<TryPress>,
    /// Loads a whole request (its trust store too) into the request builder
    /// and sends it: a lesson tool's "verify it" step.
    pub on_send: Callback<ExchangeRequest>,
    /// The learner's progress, live.
    pub progress: LiveProgress,
}

/// The routed lesson.
#[component]
pub fn LessonPage() -> impl IntoView {
    let tools = expect_context::<LessonTools>();
    let params = use_params_map();
    let lesson_id = Memo::new(move |_| {
        params
            .with(|params| params.get("lesson"))
            .unwrap_or_default()
    });
    let exercise = Memo::new(move |_| params.with(|params| params.get("exercise")));
    let lesson = LocalResource::new(move || {
        let id = lesson_id.get();
        async move { api::lesson(&id).await }
    });

    // The shell painted this lesson already; the app takes its place once it
    // has the lesson too (or knows it cannot have it), so nothing flickers.
    Effect::new(move || {
        if let Some(result) = lesson.get() {
            if let Ok(lesson) = &result {
                document().set_title(&format!("{} · safelab", lesson.summary.title));
            }
            shell::take_over();
        }
    });
    // A link to a challenge opens the lesson at that challenge, on load, on
    // reload and on back and forward alike.
    Effect::new(move || {
        let loaded = lesson.with(|result| matches!(result, Some(Ok(_))));
        if let (true, Some(exercise)) = (loaded, exercise.get()) {
            request_animation_frame(move || {
                let id = format!("challenge-{exercise}");
                scroll_into_view(&id, web_sys::ScrollLogicalPosition::Start);
                focus(&id);
            });
        }
    });

    view! {
        {move || match lesson.get() {
            None => view! { <p class="loading">"Loading the lesson…"</p> }.into_any(),
            Some(Ok(lesson)) => {
                let id = lesson.summary.id.clone();
                view! {
                    <LessonView lesson on_try=tools.on_try progress=tools.progress />
                    <ProgressControls lesson=id progress=tools.progress />
                }
                .into_any()
            }
            Some(Err(error)) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        }}
    }
}
