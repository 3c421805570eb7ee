//! The progress API: `GET /api/progress`, its live stream
//! `GET /api/progress/events`, and the resets `POST /api/progress/reset` (every
//! lesson) and `POST /api/progress/{lesson}/reset`.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use safelab_protocol::{ExerciseProgress, LessonProgress, Progress, ResetDone};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

use super::{LOCAL_LEARNER, ProgressError, Store};
use crate::AppState;
use crate::error::AppError;
use crate::lessons::Lessons;

/// The routes of the progress API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/progress", get(progress))
        .route("/api/progress/events", get(events))
        .route("/api/progress/reset", post(reset_all).get(use_post))
        .route(
            "/api/progress/{lesson}/reset",
            post(reset_lesson).get(use_post),
        )
}

/// Every lesson's exercises, each marked solved or not for `learner`.
pub async fn current(
    store: &std::sync::Arc<Store>,
    lessons: &Lessons,
    learner: &str,
) -> Result<Progress, ProgressError> {
    let solved = store.solved(learner).await?;
    let lessons = lessons
        .all()
        .iter()
        .map(|lesson| {
            let exercises: Vec<ExerciseProgress> = lesson
                .challenges()
                .into_iter()
                .map(|challenge| ExerciseProgress {
                    id: challenge.id.clone(),
                    title: challenge.title.clone(),
                    solved_at: solved
                        .iter()
                        .find(|done| {
                            done.lesson == lesson.summary.id && done.exercise == challenge.id
                        })
                        .map(|done| done.at.clone()),
                })
                .collect();
            LessonProgress {
                id: lesson.summary.id.clone(),
                solved: exercises
                    .iter()
                    .filter(|exercise| exercise.is_solved())
                    .count()
                    .try_into()
                    .unwrap_or(u32::MAX),
                exercises,
            }
        })
        .collect();
    Ok(Progress { lessons })
}

async fn progress(State(state): State<AppState>) -> Result<Json<Progress>, AppError> {
    Ok(Json(
        current(&state.progress, &state.lessons, LOCAL_LEARNER).await?,
    ))
}

/// Server-sent events: a `progress` event with the whole [`Progress`] at once
/// and after every change, whoever caused it (a solve from Python, a reset
/// from another tab or the command line through the API).
async fn events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribe first, so no change between the first reading and the
    // subscription is missed.
    let changes = BroadcastStream::new(state.progress.subscribe());
    let first = tokio_stream::once(());
    // A lagging receiver has missed changes: reading again catches up.
    let ticks = first.chain(changes.map(|_| ()));
    let stream = ticks.then(move |()| {
        let state = state.clone();
        async move {
            let event = match current(&state.progress, &state.lessons, LOCAL_LEARNER).await {
                Ok(progress) => Event::default()
                    .event("progress")
                    .json_data(progress)
                    .unwrap_or_else(|_| Event::default().comment("unserialisable")),
                Err(error) => Event::default()
                    .event("failure")
                    .data(crate::error::sentence(&error.to_string())),
            };
            Ok(event)
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

async fn reset_all(State(state): State<AppState>) -> Result<Json<ResetDone>, AppError> {
    let forgotten = state.progress.reset(LOCAL_LEARNER, None).await?;
    crate::lab::reset(&state, None);
    Ok(Json(ResetDone {
        lessons: state
            .lessons
            .summaries()
            .into_iter()
            .map(|lesson| lesson.id)
            .collect(),
        forgotten,
    }))
}

async fn reset_lesson(
    State(state): State<AppState>,
    Path(lesson): Path<String>,
) -> Result<Json<ResetDone>, AppError> {
    if state.lessons.get(&lesson).is_none() {
        return Err(AppError::LessonNotFound(lesson));
    }
    let forgotten = state.progress.reset(LOCAL_LEARNER, Some(&lesson)).await?;
    crate::lab::reset(&state, Some(&lesson));
    Ok(Json(ResetDone {
        lessons: vec![lesson],
        forgotten,
    }))
}

async fn use_post() -> AppError {
    AppError::UsePost
}
