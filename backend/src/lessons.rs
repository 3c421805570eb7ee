//! The lessons: Markdown files in `lessons/` with a small front matter, embedded
//! into the program and turned into [`Lesson`]s once at start-up, with this
//! run's real addresses filled in (see [`Addresses`]).
//!
//! A fenced block with the info string `request` is a request the learner can
//! try; other fenced blocks are code samples; everything else is prose rendered
//! to HTML here, with raw HTML escaped, so a lesson can never inject markup into
//! the app. `lessons/README.md` describes the format for authors.

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use rust_embed::RustEmbed;
use safelab_protocol::{LabInfo, Lesson, LessonBlock, LessonCode, LessonRequest, LessonSummary};

use crate::AppState;
use crate::error::AppError;

#[derive(RustEmbed)]
#[folder = "../lessons/"]
#[include = "*.md"]
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

/// Every lesson, in curriculum order.
#[derive(Debug, Clone)]
pub struct Lessons {
    lessons: Vec<Lesson>,
}

impl Lessons {
    /// Parses every embedded lesson with `addresses` filled in; fails on the
    /// first broken one.
    pub fn load(addresses: &Addresses) -> Result<Self, LessonError> {
        let mut lessons = Vec::new();
        for file in LessonFiles::iter() {
            let content = LessonFiles::get(&file)
                .map(|embedded| embedded.data)
                .unwrap_or_default();
            let text = String::from_utf8(content.into_owned()).map_err(|_| LessonError {
                file: file.to_string(),
                reason: "not UTF-8".into(),
            })?;
            lessons.push(
                parse_lesson(&text, addresses).map_err(|reason| LessonError {
                    file: file.to_string(),
                    reason,
                })?,
            );
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

    /// The first lesson of the curriculum.
    pub fn first(&self) -> Option<&Lesson> {
        self.lessons.first()
    }
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
        match block {
            // Rendered by [`parse_blocks`] from the lesson, raw HTML escaped.
            LessonBlock::Prose { html: prose } => {
                html.push_str(&format!("<div class=\"prose\">{prose}</div>"));
            }
            LessonBlock::Code(code) => html.push_str(&format!(
                "<figure class=\"code-sample{}\"><figcaption><span class=\"code-language\">{}</span>\
                 <button type=\"button\" class=\"copy-code\" disabled>Copy</button></figcaption>\
                 <pre tabindex=\"0\"><code>{}</code></pre></figure>",
                if code.fails_with.is_some() { " fails" } else { "" },
                escape(&code.caption()),
                escape(&code.code)
            )),
            LessonBlock::Request(request) => html.push_str(&format!(
                "<div class=\"try-it\"><pre tabindex=\"0\"><code>{}</code></pre>\
                 <button type=\"button\" class=\"try-it-button\" disabled>Try it</button></div>",
                escape(&request.as_text())
            )),
        }
    }
    html.push_str("</article>");
    html
}

/// `text` with the characters that mean something in HTML escaped.
fn escape(text: &str) -> String {
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

/// The values `{{name}}` placeholders in a lesson stand for: this run's real
/// addresses, so every sample a learner copies works as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addresses {
    values: Vec<(String, String)>,
}

impl Addresses {
    /// For every listener `X`: `{{X}}` is its base URL (`https://localhost:7880`)
    /// and `{{X_host}}` its `host:port` (what a client puts in `Host`);
    /// `{{ca_url}}` is where the root certificate is downloaded.
    pub fn of(lab: &LabInfo) -> Self {
        let mut values = Vec::new();
        for listener in &lab.listeners {
            let id = listener.id.as_str();
            let authority = listener
                .url
                .split_once("://")
                .map_or(listener.url.as_str(), |(_, rest)| rest);
            values.push((id.to_owned(), listener.url.clone()));
            values.push((format!("{id}_host"), authority.to_owned()));
        }
        values.push(("ca_url".to_owned(), lab.ca_url.clone()));
        Self { values }
    }

    /// Replaces every `{{name}}` in `text`; an unknown name is an error that
    /// lists the known ones.
    fn fill(&self, text: &str) -> Result<String, String> {
        let mut filled = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            filled.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| {
                format!(
                    "a placeholder opened by {{{{ is not closed: {:?}",
                    excerpt(after)
                )
            })?;
            let name = after[..end].trim();
            let value = self
                .values
                .iter()
                .find(|(known, _)| known == name)
                .map(|(_, value)| value)
                .ok_or_else(|| {
                    let known: Vec<&str> = self
                        .values
                        .iter()
                        .map(|(known, _)| known.as_str())
                        .collect();
                    format!(
                        "unknown placeholder {{{{{name}}}}} (known: {})",
                        known.join(", ")
                    )
                })?;
            filled.push_str(value);
            rest = &after[end + 2..];
        }
        filled.push_str(rest);
        Ok(filled)
    }
}

fn excerpt(text: &str) -> &str {
    text.char_indices()
        .nth(30)
        .map_or(text, |(index, _)| &text[..index])
}

/// Parses one lesson file: front matter between `---` lines, then Markdown in
/// which every `{{placeholder}}` is replaced from `addresses`.
pub fn parse_lesson(text: &str, addresses: &Addresses) -> Result<Lesson, String> {
    let (front, body) = split_front_matter(text)?;
    let summary = parse_front_matter(front)?;
    Ok(Lesson {
        summary,
        blocks: parse_blocks(&addresses.fill(body)?)?,
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

/// A fenced block being read: its info string and its text so far.
struct OpenBlock {
    info: String,
    text: String,
}

fn parse_blocks(markdown: &str) -> Result<Vec<LessonBlock>, String> {
    let mut blocks = Vec::new();
    let mut prose: Vec<Event<'_>> = Vec::new();
    let mut open: Option<OpenBlock> = None;
    let flush = |prose: &mut Vec<Event<'_>>, blocks: &mut Vec<LessonBlock>| {
        if !prose.is_empty() {
            let mut html = String::new();
            pulldown_cmark::html::push_html(&mut html, prose.drain(..));
            blocks.push(LessonBlock::Prose { html });
        }
    };
    for event in Parser::new_ext(markdown, markdown_options()) {
        match (&mut open, event) {
            (None, Event::Start(Tag::CodeBlock(kind))) => {
                flush(&mut prose, &mut blocks);
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                open = Some(OpenBlock {
                    info,
                    text: String::new(),
                });
            }
            (Some(block), Event::Text(chunk)) => block.text.push_str(&chunk),
            (Some(block), Event::End(TagEnd::CodeBlock)) => {
                blocks.push(fenced_block(&block.info, &block.text)?);
                open = None;
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

/// A fenced block: ```` ```request ```` is a "Try it" request; anything else is
/// a code sample, its info string a language and optional `fails=Error` (the
/// error a wrong-way sample ends with).
fn fenced_block(info: &str, text: &str) -> Result<LessonBlock, String> {
    let mut words = info.split_whitespace();
    let language = words.next().unwrap_or_default();
    if language == "request" {
        return parse_request(text).map(LessonBlock::Request);
    }
    let mut fails_with = None;
    for word in words {
        match word.split_once('=') {
            Some(("fails", error)) if !error.is_empty() => fails_with = Some(error.to_owned()),
            _ => {
                return Err(format!(
                    "code block option {word:?} is not known (known: fails=ErrorName)"
                ));
            }
        }
    }
    Ok(LessonBlock::Code(LessonCode {
        language: language.to_owned(),
        code: text.trim_end_matches('\n').to_owned(),
        fails_with,
    }))
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
    use safelab_protocol::{Listener, ListenerId};

    use super::*;

    const SAMPLE: &str = "---\nid: sample\nnumber: 9\ntitle: Sample\nsummary: A sample.\n---\n\
        # Heading\n\nSome *prose* <script>alert(1)</script> at {{https}}.\n\n\
        ```request\nPOST /lab/headers\nX-Learner: Ning\n\n{\"a\": 1}\n```\n\n\
        ```python fails=SSLError\nrequests.get(\"{{https}}/lab/hello\")\n```\n\nAfter.\n";

    fn addresses() -> Addresses {
        let listener = |id, url: &str| Listener {
            id,
            url: url.to_owned(),
            description: String::new(),
        };
        Addresses::of(&LabInfo {
            listeners: vec![
                listener(ListenerId::Http, "http://127.0.0.1:40001"),
                listener(ListenerId::Https, "https://localhost:40002"),
            ],
            ca_url: "http://127.0.0.1:40001/ca.pem".to_owned(),
        })
    }

    fn sample() -> Lesson {
        parse_lesson(SAMPLE, &addresses()).expect("parses")
    }

    #[test]
    fn every_shipped_lesson_parses_without_a_default_port() {
        let lessons = Lessons::load(&addresses()).expect("all lessons parse");
        let summaries = lessons.summaries();
        assert_eq!(summaries[0].id, "http-basics");
        for summary in &summaries {
            let lesson = lessons.get(&summary.id).expect("listed lessons exist");
            let json = serde_json::to_string(lesson).expect("serialises");
            for default in ["7878", "7879", "7880"] {
                assert!(
                    !json.contains(default),
                    "{} names port {default}: use a placeholder",
                    summary.id
                );
            }
        }
        let first = lessons.get("http-basics").expect("lesson 1");
        assert!(
            first
                .blocks
                .iter()
                .any(|block| matches!(block, LessonBlock::Request(_)))
        );
        assert!(
            first
                .blocks
                .iter()
                .any(|block| matches!(block, LessonBlock::Code(_)))
        );
    }

    #[test]
    fn placeholders_become_this_runs_addresses() {
        let filled = addresses()
            .fill("{{http}} {{ https_host }} {{ca_url}}")
            .expect("known names");
        assert_eq!(
            filled,
            "http://127.0.0.1:40001 localhost:40002 http://127.0.0.1:40001/ca.pem"
        );
        let unknown = addresses().fill("{{lab}}").unwrap_err();
        assert!(
            unknown.contains("{{lab}}") && unknown.contains("https_host"),
            "{unknown}"
        );
        assert!(
            addresses()
                .fill("{{http")
                .unwrap_err()
                .contains("not closed")
        );
    }

    #[test]
    fn request_blocks_become_try_it_requests() {
        let lesson = sample();
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
    }

    #[test]
    fn code_blocks_keep_their_language_and_expected_failure() {
        let lesson = sample();
        let LessonBlock::Code(code) = &lesson.blocks[2] else {
            panic!("third block should be code: {:?}", lesson.blocks);
        };
        assert_eq!(code.language, "python");
        assert_eq!(
            code.code,
            "requests.get(\"https://localhost:40002/lab/hello\")"
        );
        assert_eq!(code.fails_with.as_deref(), Some("SSLError"));
        assert!(
            matches!(&lesson.blocks[3], LessonBlock::Prose { html } if html.contains("After."))
        );
        let unknown = parse_lesson(
            "---\nid: x\nnumber: 1\ntitle: T\nsummary: S\n---\n```python runs=never\nx\n```\n",
            &addresses(),
        );
        assert!(unknown.unwrap_err().contains("runs=never"));
    }

    #[test]
    fn the_static_lesson_escapes_what_the_lesson_says() {
        let html = static_html(&sample());
        assert!(
            html.contains("<h1 id=\"lesson-title\" elementtiming=\"lesson-title\">Sample</h1>")
        );
        assert!(html.contains("data-lesson=\"sample\""));
        assert!(
            html.contains("<code>POST /lab/headers\nX-Learner: Ning\n\n{&quot;a&quot;: 1}</code>"),
            "{html}"
        );
        assert!(html.contains("requests.get(&quot;https://localhost:40002/lab/hello&quot;)"));
        assert!(html.contains("Python: the wrong way, ends with SSLError"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn raw_html_is_escaped() {
        let lesson = sample();
        let LessonBlock::Prose { html } = &lesson.blocks[0] else {
            panic!("first block should be prose");
        };
        assert!(html.contains("<em>prose</em>"));
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"));
        assert!(html.contains("https://localhost:40002"));
    }

    #[test]
    fn broken_front_matter_says_what_is_wrong() {
        let parse = |text: &str| parse_lesson(text, &addresses());
        assert!(
            parse("# no front matter")
                .unwrap_err()
                .contains("front matter")
        );
        let unknown = parse("---\nid: x\nauthor: me\n---\n").unwrap_err();
        assert!(unknown.contains("author"), "{unknown}");
        let missing = parse("---\nid: x\nnumber: 1\ntitle: T\n---\n").unwrap_err();
        assert!(missing.contains("summary"), "{missing}");
        let bad_request =
            parse("---\nid: x\nnumber: 1\ntitle: T\nsummary: S\n---\n```request\nGET\n```\n");
        assert!(bad_request.unwrap_err().contains("METHOD /path"));
    }
}
