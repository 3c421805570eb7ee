//! The learner's progress, kept live: the backend's `progress` events
//! (server-sent, `GET /api/progress/events`) replace the whole picture each
//! time something changes, whoever solved it (the builder, Python, curl).

use leptos::prelude::*;
use safelab_protocol::Progress;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// The latest progress the backend reported; `None` until the first event.
#[derive(Debug, Clone, Copy)]
pub struct LiveProgress(pub RwSignal<Option<Progress>>);

impl LiveProgress {
    /// Subscribes to the backend's progress events for the life of the page.
    /// The browser reconnects by itself when the program restarts.
    pub fn subscribe() -> Self {
        let progress = RwSignal::new(None);
        match web_sys::EventSource::new("/api/progress/events") {
            Ok(source) => {
                let on_progress = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                    move |event: web_sys::MessageEvent| {
                        if let Some(text) = event.data().as_string()
                            && let Ok(latest) = serde_json::from_str::<Progress>(&text)
                        {
                            progress.set(Some(latest));
                        }
                    },
                );
                let _ = source.add_event_listener_with_callback(
                    "progress",
                    on_progress.as_ref().unchecked_ref(),
                );
                // Both live as long as the page: the app never unsubscribes.
                on_progress.forget();
                std::mem::forget(source);
            }
            Err(_) => {
                leptos::logging::warn!("this browser has no EventSource: progress is not live")
            }
        }
        Self(progress)
    }

    /// Whether the lab has seen `exercise` of `lesson` done.
    pub fn is_solved(self, lesson: &str, exercise: &str) -> bool {
        self.0.with(|progress| {
            progress
                .as_ref()
                .and_then(|progress| progress.lesson(lesson))
                .and_then(|lesson| lesson.exercises.iter().find(|e| e.id == exercise))
                .is_some_and(|exercise| exercise.is_solved())
        })
    }

    /// `(solved, total)` for a lesson, once known.
    pub fn counts(self, lesson: &str) -> Option<(u32, usize)> {
        self.0.with(|progress| {
            progress
                .as_ref()
                .and_then(|progress| progress.lesson(lesson))
                .map(|lesson| (lesson.solved, lesson.exercises.len()))
        })
    }
}
