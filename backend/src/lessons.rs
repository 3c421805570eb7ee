//! The lessons: Markdown files in `lessons/` with a small front matter, embedded
//! into the program and turned into [`Lesson`]s once at start-up.
//!
//! A fenced block with the info string `request` is a request the learner can
//! try; everything else is prose rendered to HTML here, with raw HTML escaped,
//! so a lesson can never inject markup into the app.

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use rust_embed::RustEmbed;
use safelab_protocol::{Lesson, LessonBlock, LessonRequest, LessonSummary};

use crate::AppState;
use crate::error::AppError;

#[derive(RustEmbed)]
#[folder = "../lessons/"]
#[include = "*.md"]
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

/// Every lesson, in curriculum order.
#[derive(Debug, Clone)]
pub struct Lessons {
    lessons: Vec<Lesson>,
}

impl Lessons {
    /// Parses every embedded lesson; fails on the first broken one.
    pub fn load() -> Result<Self, LessonError> {
        let mut lessons = Vec::new();
        for file in LessonFiles::iter() {
            let content = LessonFiles::get(&file)
                .map(|embedded| embedded.data)
                .unwrap_or_default();
            let text = String::from_utf8(content.into_owned()).map_err(|_| LessonError {
                file: file.to_string(),
                reason: "not UTF-8".into(),
            })?;
            lessons.push(parse_lesson(&text).map_err(|reason| LessonError {
                file: file.to_string(),
                reason,
            })?);
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
        Ok(Self { lessons })
    }

    /// The table of contents.
    pub fn summaries(&self) -> Vec<LessonSummary> {
        self.lessons
            .iter()
            .map(|lesson| lesson.summary.clone())
            .collect()
    }

    /// One lesson by id.
    pub fn get(&self, id: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|lesson| lesson.summary.id == id)
    }
}

/// The lessons' routes: `GET /api/lessons` and `GET /api/lessons/{id}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/lessons", get(list))
        .route("/api/lessons/{id}", get(one))
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

/// The one place the Markdown dialect of lessons is decided.
fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION
}

/// Parses one lesson file: front matter between `---` lines, then Markdown.
pub fn parse_lesson(text: &str) -> Result<Lesson, String> {
    let (front, body) = split_front_matter(text)?;
    let summary = parse_front_matter(front)?;
    Ok(Lesson {
        summary,
        blocks: parse_blocks(body)?,
    })
}

fn split_front_matter(text: &str) -> Result<(&str, &str), String> {
    let rest = text
        .strip_prefix("---\n")
        .ok_or("it must start with a front matter block opened by a line \"---\"")?;
    let end = rest
        .find("\n---\n")
        .ok_or("its front matter is not closed by a line \"---\"")?;
    Ok((&rest[..end], &rest[end + 5..]))
}

fn parse_front_matter(front: &str) -> Result<LessonSummary, String> {
    let (mut id, mut number, mut title, mut summary) = (None, None, None, None);
    for line in front.lines().filter(|line| !line.trim().is_empty()) {
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("front matter line {line:?} is not \"key: value\""))?;
        let value = value.trim().to_owned();
        match key.trim() {
            "id" => id = Some(value),
            "number" => {
                number = Some(
                    value
                        .parse::<u32>()
                        .map_err(|_| format!("number {value:?} is not a whole number"))?,
                )
            }
            "title" => title = Some(value),
            "summary" => summary = Some(value),
            other => {
                return Err(format!(
                    "unknown front matter key {other:?} (known: id, number, title, summary)"
                ));
            }
        }
    }
    let missing = |key: &str| format!("front matter lacks {key:?}");
    Ok(LessonSummary {
        id: id.ok_or_else(|| missing("id"))?,
        number: number.ok_or_else(|| missing("number"))?,
        title: title.ok_or_else(|| missing("title"))?,
        summary: summary.ok_or_else(|| missing("summary"))?,
    })
}

fn parse_blocks(markdown: &str) -> Result<Vec<LessonBlock>, String> {
    let mut blocks = Vec::new();
    let mut prose: Vec<Event<'_>> = Vec::new();
    let mut request_text: Option<String> = None;
    let flush = |prose: &mut Vec<Event<'_>>, blocks: &mut Vec<LessonBlock>| {
        if !prose.is_empty() {
            let mut html = String::new();
            pulldown_cmark::html::push_html(&mut html, prose.drain(..));
            blocks.push(LessonBlock::Prose { html });
        }
    };
    for event in Parser::new_ext(markdown, markdown_options()) {
        match (&mut request_text, event) {
            (None, Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))))
                if info.as_ref() == "request" =>
            {
                flush(&mut prose, &mut blocks);
                request_text = Some(String::new());
            }
            (Some(text), Event::Text(chunk)) => text.push_str(&chunk),
            (Some(text), Event::End(TagEnd::CodeBlock)) => {
                blocks.push(LessonBlock::Request(parse_request(text)?));
                request_text = None;
            }
            // Lessons are text: raw HTML in them is shown, never interpreted.
            (None, Event::Html(html) | Event::InlineHtml(html)) => prose.push(Event::Text(html)),
            (None, event) => prose.push(event),
            (Some(_), _) => {}
        }
    }
    flush(&mut prose, &mut blocks);
    Ok(blocks)
}

/// A request block: `METHOD /path`, then `Name: value` header lines, then an
/// optional blank line and a body.
fn parse_request(text: &str) -> Result<LessonRequest, String> {
    let mut lines = text.lines();
    let request_line = lines.next().unwrap_or_default();
    let mut words = request_line.split_whitespace();
    let (Some(method), Some(path), None) = (words.next(), words.next(), words.next()) else {
        return Err(format!(
            "request block line {request_line:?} is not \"METHOD /path\""
        ));
    };
    if !path.starts_with('/') {
        return Err(format!("request block path {path:?} must start with /"));
    }
    let mut headers = Vec::new();
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("request block header {line:?} is not \"Name: value\""))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let body = lines.collect::<Vec<_>>().join("\n");
    Ok(LessonRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "---\nid: sample\nnumber: 9\ntitle: Sample\nsummary: A sample.\n---\n\
        # Heading\n\nSome *prose* <script>alert(1)</script>.\n\n\
        ```request\nPOST /lab/headers\nX-Learner: Ning\n\n{\"a\": 1}\n```\n\nAfter.\n";

    #[test]
    fn every_shipped_lesson_parses() {
        let lessons = Lessons::load().expect("all lessons parse");
        let summaries = lessons.summaries();
        assert!(!summaries.is_empty());
        assert_eq!(summaries[0].id, "http-basics");
        let first = lessons.get("http-basics").expect("lesson 1");
        assert!(
            first
                .blocks
                .iter()
                .any(|block| matches!(block, LessonBlock::Request(_)))
        );
    }

    #[test]
    fn request_blocks_become_try_it_requests() {
        let lesson = parse_lesson(SAMPLE).expect("parses");
        assert_eq!(lesson.summary.number, 9);
        let LessonBlock::Request(request) = &lesson.blocks[1] else {
            panic!("second block should be the request: {:?}", lesson.blocks);
        };
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/lab/headers");
        assert_eq!(
            request.headers,
            vec![("X-Learner".to_owned(), "Ning".to_owned())]
        );
        assert_eq!(request.body, "{\"a\": 1}");
        assert!(
            matches!(&lesson.blocks[2], LessonBlock::Prose { html } if html.contains("After."))
        );
    }

    #[test]
    fn raw_html_is_escaped() {
        let lesson = parse_lesson(SAMPLE).expect("parses");
        let LessonBlock::Prose { html } = &lesson.blocks[0] else {
            panic!("first block should be prose");
        };
        assert!(html.contains("<em>prose</em>"));
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn broken_front_matter_says_what_is_wrong() {
        assert!(
            parse_lesson("# no front matter")
                .unwrap_err()
                .contains("front matter")
        );
        let unknown = parse_lesson("---\nid: x\nauthor: me\n---\n").unwrap_err();
        assert!(unknown.contains("author"), "{unknown}");
        let missing = parse_lesson("---\nid: x\nnumber: 1\ntitle: T\n---\n").unwrap_err();
        assert!(missing.contains("summary"), "{missing}");
        let bad_request = parse_lesson(
            "---\nid: x\nnumber: 1\ntitle: T\nsummary: S\n---\n```request\nGET\n```\n",
        );
        assert!(bad_request.unwrap_err().contains("METHOD /path"));
    }
}
