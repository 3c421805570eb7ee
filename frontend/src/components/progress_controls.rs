//! Resetting progress: one lesson (its challenges and its lab state) or every
//! lesson, each confirmed in a second step so a stray click loses nothing.

use leptos::prelude::*;

use crate::api;
use crate::progress::LiveProgress;

/// What a reset would forget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Lesson,
    Everything,
}

/// The lesson's progress and its reset buttons.
#[component]
pub fn ProgressControls(
    /// The lesson's id.
    lesson: String,
    /// The learner's progress.
    progress: LiveProgress,
) -> impl IntoView {
    let asking = RwSignal::new(None::<Scope>);
    let outcome = RwSignal::new(None::<String>);
    let reset = Action::new_local({
        let lesson = lesson.clone();
        move |scope: &Scope| {
            let (scope, lesson) = (*scope, lesson.clone());
            async move {
                let target = (scope == Scope::Lesson).then_some(lesson.as_str());
                match api::reset(target).await {
                    Ok(done) => format!(
                        "Reset: {} solved challenge{} forgotten, and the lab is as it was at the start.",
                        done.forgotten,
                        if done.forgotten == 1 { "" } else { "s" }
                    ),
                    Err(error) => error.to_string(),
                }
            }
        }
    });
    Effect::new(move || {
        if let Some(message) = reset.value().get() {
            outcome.set(Some(message));
            asking.set(None);
        }
    });
    let count = {
        let lesson = lesson.clone();
        move || {
            progress.counts(&lesson).map(|(solved, total)| {
                format!("{solved} of {total} challenges solved in this lesson.")
            })
        }
    };
    let ask = move |scope: Scope| {
        move |_| {
            outcome.set(None);
            asking.set(Some(scope));
        }
    };
    view! {
        <section class="progress-controls" aria-labelledby="progress-title">
            <h2 id="progress-title">"Your progress"</h2>
            <p>{count}</p>
            <div class="progress-buttons">
                <button type="button" id="reset-lesson" on:click=ask(Scope::Lesson)>"Reset this lesson"</button>
                <button type="button" id="reset-all" on:click=ask(Scope::Everything)>"Reset every lesson"</button>
            </div>
            {move || asking.get().map(|scope| {
                let question = match scope {
                    Scope::Lesson => "Forget this lesson's solved challenges and restore its lab?",
                    Scope::Everything => "Forget every solved challenge and restore the whole lab?",
                };
                view! {
                    <div class="confirm" role="alertdialog" aria-labelledby="confirm-question">
                        <p id="confirm-question">{question}</p>
                        <button type="button" id="confirm-reset" class="danger" on:click=move |_| { reset.dispatch(scope); }>
                            "Yes, reset"
                        </button>
                        <button type="button" on:click=move |_| asking.set(None)>"Cancel"</button>
                    </div>
                }
            })}
            <p class="reset-outcome" role="status">{move || outcome.get()}</p>
        </section>
    }
}
