//! The banner that appears when the lab sees a challenge solved, whoever sent
//! the request: "Solved", with a link to the challenge. It stays until the
//! next one or until dismissed.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::progress::LiveProgress;

/// A challenge that was just solved: its lesson, id and title.
#[derive(Debug, Clone, PartialEq, Eq)]
struct JustSolved {
    lesson: String,
    id: String,
    title: String,
}

/// Shows the latest challenge solved while the page was open.
#[component]
pub fn SolvedBanner(
    /// The learner's progress.
    progress: LiveProgress,
) -> impl IntoView {
    let latest = RwSignal::new(None::<JustSolved>);
    // What was solved at the last report; `None` before the first one, so
    // what was solved before the page opened is not announced.
    let known = StoredValue::new(None::<HashSet<(String, String)>>);
    Effect::new(move || {
        progress.0.with(|report| {
            let Some(report) = report else {
                return;
            };
            let solved: Vec<(String, String, String)> = report
                .lessons
                .iter()
                .flat_map(|lesson| {
                    lesson
                        .exercises
                        .iter()
                        .filter(|exercise| exercise.is_solved())
                        .map(|exercise| {
                            (
                                lesson.id.clone(),
                                exercise.id.clone(),
                                exercise.title.clone(),
                            )
                        })
                })
                .collect();
            let before = known.get_value();
            if let Some(before) = &before
                && let Some((lesson, id, title)) = solved
                    .iter()
                    .find(|(lesson, id, _)| !before.contains(&(lesson.clone(), id.clone())))
            {
                latest.set(Some(JustSolved {
                    lesson: lesson.clone(),
                    id: id.clone(),
                    title: title.clone(),
                }));
            }
            known.set_value(Some(
                solved
                    .into_iter()
                    .map(|(lesson, id, _)| (lesson, id))
                    .collect(),
            ));
        });
    });
    view! {
        <div class="solved-banner-slot" role="status" aria-live="polite">
            {move || latest.get().map(|just| view! {
                <p id="solved-banner" class="solved-banner">
                    <strong>"✓ Solved: "</strong>
                    <A href=format!("/lessons/{}/{}", just.lesson, just.id)>{just.title}</A>
                    " · the lab saw it done."
                    <button type="button" class="dismiss" aria-label="Dismiss" on:click=move |_| latest.set(None)>"×"</button>
                </p>
            })}
        </div>
    }
}
