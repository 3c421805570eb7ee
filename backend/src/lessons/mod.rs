//! The lessons: Markdown files in `lessons/` with a small front matter, embedded
//! into the program and turned into [`Lesson`]s once at start-up, with this
//! run's real addresses filled in (see [`Addresses`]).
//!
//! Each lesson has one name, its id: `lessons/<id>.md`, its Python exercise
//! scripts in `lessons/<id>/`, its lab module `backend/src/lab/<id>/` and its
//! integration tests `tests/integration/<id>.rs`. [`format`] decides the
//! Markdown dialect; `lessons/README.md` describes it for authors.

mod addresses;
mod format;

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use rust_embed::RustEmbed;
use safelab_protocol::{Lesson, LessonBlock, LessonSummary};

pub use addresses::Addresses;
pub use format::parse_lesson;

use crate::AppState;
use crate::error::AppError;
use crate::progress::Exercise;

#[derive(RustEmbed)]
#[folder = "../lessons/"]
#[include = "*.md"]
#[include = "*.py"]
#[exclude = "README.md"]
struct LessonFiles;

/// A lesson file that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
#[error("lesson {file}: {reason}")]
pub struct LessonError {
    /// The file name inside `lessons/`.
    pub file: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Every lesson, in curriculum order, with its Python scripts.
#[derive(Debug, Clone)]
pub struct Lessons {
    lessons: Vec<Lesson>,
    /// `(lesson id, file name, script with addresses filled in)`.
    scripts: Vec<(String, String, String)>,
}

impl Lessons {
    /// Parses every embedded lesson with `addresses` filled in, and checks that
    /// the lab has a detector for each of its challenges and a challenge for
    /// each of its detectors; fails on the first broken lesson.
    pub fn load(addresses: &Addresses, detectors: &[Exercise]) -> Result<Self, LessonError> {
        let mut lessons = Vec::new();
        let mut scripts = Vec::new();
        for file in LessonFiles::iter() {
            let broken = |reason: String| LessonError {
                file: file.to_string(),
                reason,
            };
            let content = LessonFiles::get(&file)
                .map(|embedded| embedded.data)
                .unwrap_or_default();
            let text =
                String::from_utf8(content.into_owned()).map_err(|_| broken("not UTF-8".into()))?;
            match file.split_once('/') {
                None => {
                    let lesson = parse_lesson(&text, addresses).map_err(broken)?;
                    if file.trim_end_matches(".md") != lesson.summary.id {
                        return Err(broken(format!(
                            "its id is {:?}: name the file {0}.md, so the id finds everything about the lesson",
                            lesson.summary.id
                        )));
                    }
                    lessons.push(lesson);
                }
                Some((id, name)) if !name.contains('/') => scripts.push((
                    id.to_owned(),
                    name.to_owned(),
                    addresses.fill(&text).map_err(broken)?,
                )),
                Some(_) => {
                    return Err(broken(
                        "a lesson's scripts sit directly in its folder".into(),
                    ));
                }
            }
        }
        lessons.sort_by_key(|lesson| lesson.summary.number);
        let mut ids = HashSet::new();
        if let Some(duplicate) = lessons
            .iter()
            .find(|lesson| !ids.insert(lesson.summary.id.clone()))
        {
            return Err(LessonError {
                file: duplicate.summary.id.clone(),
                reason: "two lessons share this id".into(),
            });
        }
        for (id, name, _) in &scripts {
            let Some(lesson) = lessons.iter_mut().find(|lesson| &lesson.summary.id == id) else {
                return Err(LessonError {
                    file: format!("{id}/{name}"),
                    reason: format!("there is no lesson {id}.md for this script"),
                });
            };
            lesson.scripts.push(name.clone());
        }
        if let Some(stray) = detectors.iter().find(|exercise| {
            !lessons
                .iter()
                .any(|lesson| lesson.summary.id == exercise.lesson)
        }) {
            return Err(LessonError {
                file: format!("{}.md", stray.lesson),
                reason: format!(
                    "the lab detects exercise {:?} of this lesson, but there is no such lesson",
                    stray.id
                ),
            });
        }
        for lesson in &mut lessons {
            lesson.scripts.sort();
            check_detectors(lesson, detectors).map_err(|reason| LessonError {
                file: format!("{}.md", lesson.summary.id),
                reason,
            })?;
        }
        Ok(Self { lessons, scripts })
    }

    /// The table of contents.
    pub fn summaries(&self) -> Vec<LessonSummary> {
        self.lessons
            .iter()
            .map(|lesson| lesson.summary.clone())
            .collect()
    }

    /// Every lesson, in curriculum order.
    pub fn all(&self) -> &[Lesson] {
        &self.lessons
    }

    /// One lesson by id.
    pub fn get(&self, id: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|lesson| lesson.summary.id == id)
    }

    /// One of a lesson's Python scripts, with this run's addresses in it.
    pub fn script(&self, lesson: &str, name: &str) -> Option<&str> {
        self.scripts
            .iter()
            .find(|(id, file, _)| id == lesson && file == name)
            .map(|(_, _, text)| text.as_str())
    }
}

/// The ids of every embedded lesson, in curriculum order, read from their front
/// matter alone (no addresses needed): for the command line.
pub fn ids() -> Vec<String> {
    let mut found: Vec<(u32, String)> = LessonFiles::iter()
        .filter(|file| !file.contains('/'))
        .filter_map(|file| {
            let text = LessonFiles::get(&file)?.data;
            let summary = format::summary_of(std::str::from_utf8(&text).ok()?).ok()?;
            Some((summary.number, summary.id))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, id)| id).collect()
}

/// Every challenge of `lesson` has a detector in the lab, and every detector
/// of the lesson's lab has a challenge: an exercise nobody can solve, or a
/// detector nobody can see, is a defect.
fn check_detectors(lesson: &Lesson, detectors: &[Exercise]) -> Result<(), String> {
    let id = lesson.summary.id.as_str();
    let declared: Vec<&str> = lesson
        .challenges()
        .iter()
        .map(|challenge| challenge.id.as_str())
        .collect();
    let detected: Vec<&str> = detectors
        .iter()
        .filter(|exercise| exercise.lesson == id)
        .map(|exercise| exercise.id)
        .collect();
    if let Some(orphan) = declared.iter().find(|name| !detected.contains(name)) {
        return Err(format!(
            "challenge {orphan:?} has no detector in the lab (backend/src/lab/{id}/): nothing could ever mark it solved"
        ));
    }
    if let Some(unseen) = detected.iter().find(|name| !declared.contains(name)) {
        return Err(format!(
            "the lab detects exercise {unseen:?}, but the lesson declares no \"::: challenge {{#{unseen}}}\""
        ));
    }
    Ok(())
}

/// How many of a lesson's blocks the shell paints: enough to fill a screen.
/// The rest would only make the browser parse and lay out more before the app,
/// which shows the whole lesson, can start.
const SHELL_BLOCKS: usize = 4;

/// The start of a lesson as plain HTML, shaped like the app's own lesson view,
/// for the page the browser paints before the app's WASM has arrived. Its
/// buttons are disabled: the app brings them to life when it takes over.
pub fn static_html(lesson: &Lesson) -> String {
    let summary = &lesson.summary;
    let mut html = format!(
        "<article class=\"lesson\" aria-labelledby=\"lesson-title\" data-lesson=\"{}\">\
         <p class=\"lesson-number\">Lesson {}</p>\
         <h1 id=\"lesson-title\" elementtiming=\"lesson-title\">{}</h1><p class=\"lesson-summary\">{}</p>",
        escape(&summary.id),
        summary.number,
        escape(&summary.title),
        escape(&summary.summary)
    );
    for block in lesson.blocks.iter().take(SHELL_BLOCKS) {
        static_block(block, &mut html);
    }
    html.push_str("</article>");
    html
}

fn static_blocks(blocks: &[LessonBlock], html: &mut String) {
    for block in blocks {
        static_block(block, html);
    }
}

fn static_block(block: &LessonBlock, html: &mut String) {
    match block {
        // Rendered by the format module from the lesson, raw HTML escaped.
        LessonBlock::Prose { html: prose } => {
            html.push_str(&format!("<div class=\"prose\">{prose}</div>"));
        }
        LessonBlock::Code(code) => html.push_str(&format!(
            "<figure class=\"code-sample{}\"><figcaption><span class=\"code-language\">{}</span>\
             <button type=\"button\" class=\"copy-code\" disabled>Copy</button></figcaption>\
             <pre tabindex=\"0\"><code>{}</code></pre></figure>",
            if code.fails_with.is_some() {
                " fails"
            } else {
                ""
            },
            escape(&code.caption()),
            escape(&code.code)
        )),
        LessonBlock::Request(request) => html.push_str(&format!(
            "<div class=\"try-it\"><pre tabindex=\"0\"><code>{}</code></pre>\
             <button type=\"button\" class=\"try-it-button\" disabled>Try it</button></div>",
            escape(&request.as_text())
        )),
        LessonBlock::Aside(aside) => {
            let kind = serde_json::to_value(aside.aside)
                .ok()
                .and_then(|value| value.as_str().map(str::to_owned))
                .unwrap_or_default();
            html.push_str(&format!(
                "<aside class=\"aside {kind}\"><h2>{}</h2>",
                escape(aside.aside.heading())
            ));
            static_blocks(&aside.blocks, html);
            html.push_str("</aside>");
        }
        LessonBlock::Challenge(challenge) => {
            html.push_str(&format!(
                "<section class=\"challenge\" id=\"challenge-{id}\">\
                 <header><p class=\"challenge-number\">Challenge {}</p><h3>{}</h3></header>",
                challenge.number,
                escape(&challenge.title),
                id = escape(&challenge.id),
            ));
            static_blocks(&challenge.task, html);
            html.push_str("</section>");
        }
        // Drawn by the app once it runs; the shell keeps its place.
        LessonBlock::Widget { id } => {
            html.push_str(&format!(
                "<section class=\"widget\" id=\"widget-{}\"></section>",
                escape(id)
            ));
        }
    }
}

/// `text` with the characters that mean something in HTML escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The lessons' routes: `GET /api/lessons`, `GET /api/lessons/{id}` and
/// `GET /api/lessons/{id}/python/{name}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/lessons", get(list))
        .route("/api/lessons/{id}", get(one))
        .route("/api/lessons/{id}/python/{name}", get(script))
}

async fn list(State(state): State<AppState>) -> Json<Vec<LessonSummary>> {
    Json(state.lessons.summaries())
}

async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Lesson>, AppError> {
    state
        .lessons
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(AppError::LessonNotFound(id))
}

/// A Python exercise script, ready to run against this safelab.
async fn script(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<impl IntoResponse, AppError> {
    if state.lessons.get(&id).is_none() {
        return Err(AppError::LessonNotFound(id));
    }
    let text = state
        .lessons
        .script(&id, &name)
        .ok_or_else(|| AppError::ScriptNotFound {
            lesson: id.clone(),
            name: name.clone(),
        })?;
    // The name is one of the lesson's own files, so it is safe in the header.
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/x-python; charset=utf-8".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::addresses::tests::addresses;
    use super::format::tests::sample;
    use super::*;

    #[test]
    fn every_shipped_lesson_parses_without_a_default_port() {
        let lessons =
            Lessons::load(&addresses(), &crate::lab::exercises()).expect("all lessons parse");
        let summaries = lessons.summaries();
        assert_eq!(summaries[0].id, "basics");
        for summary in &summaries {
            let lesson = lessons.get(&summary.id).expect("listed lessons exist");
            let json = serde_json::to_string(lesson).expect("serialises");
            for default in ["7878", "7879", "7880", "7881"] {
                assert!(
                    !json.contains(default),
                    "{} names port {default}: use a placeholder",
                    summary.id
                );
            }
        }
    }

    #[test]
    fn a_challenge_without_a_detector_or_a_detector_without_a_challenge_is_refused() {
        let lesson = sample();
        let both = [
            Exercise {
                lesson: "sample",
                id: "first-one",
            },
            Exercise {
                lesson: "sample",
                id: "second-one",
            },
        ];
        assert_eq!(check_detectors(&lesson, &both), Ok(()));
        let orphan = check_detectors(&lesson, &both[..1]).unwrap_err();
        assert!(
            orphan.contains("second-one") && orphan.contains("no detector"),
            "{orphan}"
        );
        let extra = [
            both[0],
            both[1],
            Exercise {
                lesson: "sample",
                id: "ghost",
            },
        ];
        let unseen = check_detectors(&lesson, &extra).unwrap_err();
        assert!(unseen.contains("ghost"), "{unseen}");
    }

    #[test]
    fn the_static_lesson_escapes_what_the_lesson_says() {
        let html = static_html(&sample());
        assert!(
            html.contains("<h1 id=\"lesson-title\" elementtiming=\"lesson-title\">Sample</h1>")
        );
        assert!(html.contains("data-lesson=\"sample\""));
        assert!(
            html.contains("<aside class=\"aside objectives\"><h2>In this lesson you will</h2>")
        );
        assert!(
            html.contains("<code>POST /lab/headers\nX-Learner: Ning\n\n{&quot;a&quot;: 1}</code>"),
            "{html}"
        );
        assert!(html.contains("Python: the wrong way, ends with SSLError"));
        assert!(!html.contains("<script>"));
    }
}
