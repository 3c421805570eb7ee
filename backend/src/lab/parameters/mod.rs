//! Lesson `parameters`: not written yet.

use axum::Router;

use super::LessonLab;
use crate::AppState;

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: "parameters",
    endpoints: &[],
    exercises: &[],
    routes,
};

fn routes() -> Router<AppState> {
    Router::new()
}
