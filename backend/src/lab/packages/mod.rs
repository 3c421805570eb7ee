//! Lesson `packages` (Third-party packages). SKELETON: endpoints, exercises and examples
//! to be written.

use axum::Router;

use super::LessonLab;
use crate::AppState;

/// The lesson's id.
const LESSON: &str = "packages";

/// The lesson's part of the lab.
pub const LAB: LessonLab = LessonLab {
    lesson: LESSON,
    endpoints: &[],
    exercises: &[],
    routes,
    reset: super::nothing_to_restore,
    examples: &[],
};

/// The lesson's routes.
fn routes() -> Router<AppState> {
    Router::new()
}
