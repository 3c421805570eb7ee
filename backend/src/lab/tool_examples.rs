//! The lab's examples for the analysis tools, on the app listener: the Tools
//! page lists them and fetches one to run a tool on it in the browser. Each
//! lesson declares its own ([`super::LessonLab::examples`]); only the file
//! travels, never a tool's report.

use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use safelab_protocol::tools::ToolExample;

use super::{Example, LABS};
use crate::AppState;
use crate::error::AppError;

/// `GET /api/tools/examples` and `GET /api/tools/examples/{name}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/tools/examples", get(list))
        .route("/api/tools/examples/{name}", get(file))
}

/// Every lesson's examples, in curriculum order.
fn all() -> impl Iterator<Item = (&'static str, &'static Example)> {
    LABS.iter()
        .flat_map(|lab| lab.examples.iter().map(|example| (lab.lesson, example)))
}

async fn list() -> Json<Vec<ToolExample>> {
    Json(
        all()
            .map(|(lesson, example)| ToolExample {
                tool: example.tool,
                name: example.name.to_owned(),
                title: example.title.to_owned(),
                lesson: lesson.to_owned(),
            })
            .collect(),
    )
}

async fn file(Path(name): Path<String>) -> Result<impl IntoResponse, AppError> {
    let (_, example) = all()
        .find(|(_, example)| example.name == name)
        .ok_or(AppError::ExampleNotFound(name))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        (example.bytes)(),
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn example_names_are_unique_and_plain_file_names() {
        let mut seen = HashSet::new();
        for (lesson, example) in all() {
            assert!(
                seen.insert(example.name),
                "{lesson}: {} twice",
                example.name
            );
            assert!(
                !example.name.is_empty()
                    && example
                        .name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
                "{lesson}: {:?} is not a plain file name",
                example.name
            );
        }
    }
}
