//! A challenge: its number and title, whether the lab has seen it solved (live),
//! the task, and a hint and a solution shown only when asked for.

use leptos::prelude::*;
use leptos_router::components::A;
use safelab_protocol::LessonChallenge;

use crate::components::lesson_view::{BlockContext, blocks_view};

/// Shows one challenge of a lesson.
#[component]
pub fn Challenge(
    /// The challenge.
    challenge: LessonChallenge,
    /// The lesson around it.
    context: BlockContext,
) -> impl IntoView {
    let element_id = format!("challenge-{}", challenge.id);
    let title_id = format!("{element_id}-title");
    let labelled_by = title_id.clone();
    let link = format!("/lessons/{}/{}", context.lesson, challenge.id);
    let solved = {
        let (lesson, id, progress) = (
            context.lesson.clone(),
            challenge.id.clone(),
            context.progress,
        );
        Memo::new(move |_| progress.is_solved(&lesson, &id))
    };
    let task = blocks_view(challenge.task, &context);
    let hint = challenge.hint.map(|hint| {
        view! {
            <details class="hint">
                <summary>"Hint"</summary>
                {blocks_view(hint, &context)}
            </details>
        }
    });
    let solution = blocks_view(challenge.solution, &context);
    view! {
        <section
            class="challenge"
            class:solved=move || solved.get()
            id=element_id
            tabindex="-1"
            aria-labelledby=labelled_by
        >
            <header>
                <p class="challenge-number">
                    <A href=link attr:class="challenge-link" attr:title="A link to this challenge">
                        "Challenge " {challenge.number}
                    </A>
                </p>
                <h3 id=title_id>{challenge.title}</h3>
                <p class="solved-mark" role="status">
                    {move || if solved.get() { "✓ Solved" } else { "Not solved yet" }}
                </p>
            </header>
            {task}
            {hint}
            <details class="solution">
                <summary>"Solution"</summary>
                {solution}
            </details>
        </section>
    }
}
