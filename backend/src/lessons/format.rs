//! The lesson format: front matter, Markdown, fenced code blocks (requests and
//! code samples) and Carpentries-style fenced divs (`::: challenge`, `::: hint`,
//! `::: solution`, `::: objectives`, `::: keypoints`, `::: callout`).
//! `lessons/README.md` describes it for authors; this module is the one place
//! that decides it.

use std::collections::HashSet;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use safelab_protocol::{
    AsideKind, Lesson, LessonAside, LessonBlock, LessonChallenge, LessonCode, LessonRequest,
    LessonSummary, WIDGETS,
};

use super::Addresses;

/// Parses one lesson file: front matter between `---` lines, then Markdown in
/// which every `{{placeholder}}` is replaced from `addresses`. The lesson opens
/// with its objectives and closes with its key points.
pub fn parse_lesson(text: &str, addresses: &Addresses) -> Result<Lesson, String> {
    let (front, body) = split_front_matter(text)?;
    let summary = parse_front_matter(front)?;
    let sections = split_divs(&addresses.fill(body)?)?;
    let mut challenges = 0;
    let blocks = lesson_blocks(sections, &mut challenges)?;
    check_frame(&blocks)?;
    let lesson = Lesson {
        summary,
        blocks,
        scripts: Vec::new(),
    };
    let mut ids = HashSet::new();
    if let Some(twice) = lesson
        .challenges()
        .into_iter()
        .find(|challenge| !ids.insert(challenge.id.as_str()))
    {
        return Err(format!("two challenges share the id {:?}", twice.id));
    }
    Ok(lesson)
}

/// A lesson's front matter alone.
pub fn summary_of(text: &str) -> Result<LessonSummary, String> {
    let (front, _) = split_front_matter(text)?;
    parse_front_matter(front)
}

/// Objectives first, key points last: the frame every lesson has.
fn check_frame(blocks: &[LessonBlock]) -> Result<(), String> {
    let is = |block: Option<&LessonBlock>, kind: AsideKind| matches!(block, Some(LessonBlock::Aside(aside)) if aside.aside == kind);
    if !is(blocks.first(), AsideKind::Objectives) {
        return Err("it must open with a \"::: objectives\" block".into());
    }
    if !is(blocks.last(), AsideKind::Keypoints) {
        return Err("it must close with a \"::: keypoints\" block".into());
    }
    let frames = blocks
        .iter()
        .filter(
            |block| matches!(block, LessonBlock::Aside(aside) if aside.aside != AsideKind::Callout),
        )
        .count();
    if frames != 2 {
        return Err(
            "it has one \"::: objectives\" and one \"::: keypoints\" block, no more".into(),
        );
    }
    Ok(())
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
    let id = id.ok_or_else(|| missing("id"))?;
    let is_one_name = id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !is_one_name {
        return Err(format!(
            "id {id:?} must be lowercase letters, digits and _: it also names the lesson's lab module, test module and Python folder"
        ));
    }
    Ok(LessonSummary {
        id,
        number: number.ok_or_else(|| missing("number"))?,
        title: title.ok_or_else(|| missing("title"))?,
        summary: summary.ok_or_else(|| missing("summary"))?,
    })
}

/// A piece of a lesson's Markdown: text, or a fenced div and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Section {
    Text(String),
    Div(Div),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Div {
    class: String,
    id: Option<String>,
    /// The line that opened it, for error messages.
    line: usize,
    children: Vec<Section>,
}

/// Splits Markdown into text and fenced divs. A line of three or more colons
/// followed by a class opens a div (`::: challenge {#read-passwd}` or pandoc's
/// `::: {.challenge #read-passwd}`); a line of colons alone closes the innermost
/// one. Colons inside fenced code are text.
fn split_divs(markdown: &str) -> Result<Vec<Section>, String> {
    let mut stack: Vec<Div> = Vec::new();
    let mut top: Vec<Section> = Vec::new();
    let mut text = String::new();
    let mut code_fence: Option<String> = None;
    let flush = |text: &mut String, stack: &mut Vec<Div>, top: &mut Vec<Section>| {
        if !text.trim().is_empty() {
            let section = Section::Text(std::mem::take(text));
            match stack.last_mut() {
                Some(div) => div.children.push(section),
                None => top.push(section),
            }
        }
        text.clear();
    };
    for (index, line) in markdown.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        if let Some(fence) = &code_fence {
            if trimmed.starts_with(fence.as_str())
                && trimmed.trim_start_matches(fence.as_str()).trim().is_empty()
            {
                code_fence = None;
            }
        } else if let Some(fence) = opening_code_fence(trimmed) {
            code_fence = Some(fence);
        } else if trimmed.starts_with(":::") {
            flush(&mut text, &mut stack, &mut top);
            let rest = trimmed
                .trim_start_matches(':')
                .trim()
                .trim_end_matches(':')
                .trim();
            if rest.is_empty() {
                let div = stack.pop().ok_or_else(|| {
                    format!("line {number}: a \":::\" closes a block that was never opened")
                })?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Section::Div(div)),
                    None => top.push(Section::Div(div)),
                }
            } else {
                let (class, id) =
                    div_attributes(rest).map_err(|reason| format!("line {number}: {reason}"))?;
                stack.push(Div {
                    class,
                    id,
                    line: number,
                    children: Vec::new(),
                });
            }
            continue;
        }
        text.push_str(line);
        text.push('\n');
    }
    if let Some(open) = stack.last() {
        return Err(format!(
            "line {}: the \"::: {}\" block is never closed by a line \":::\"",
            open.line, open.class
        ));
    }
    flush(&mut text, &mut stack, &mut top);
    Ok(top)
}

/// The fence of a line that opens fenced code (three or more backticks or tildes).
fn opening_code_fence(trimmed: &str) -> Option<String> {
    let marker = trimmed.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let fence: String = trimmed.chars().take_while(|&c| c == marker).collect();
    (fence.len() >= 3).then_some(fence)
}

/// The class and id of a div: `challenge`, `challenge {#id}` or `{.challenge #id}`.
fn div_attributes(text: &str) -> Result<(String, Option<String>), String> {
    let (word, braces) = match text.find('{') {
        Some(start) => (text[..start].trim(), Some(text[start..].trim())),
        None => (text, None),
    };
    let mut class = (!word.is_empty()).then(|| word.to_owned());
    let mut id = None;
    if let Some(braces) = braces {
        let inner = braces
            .strip_prefix('{')
            .and_then(|inner| inner.strip_suffix('}'))
            .ok_or_else(|| format!("{braces:?} is not an attribute block like {{#an-id}}"))?;
        for attribute in inner.split_whitespace() {
            if let Some(name) = attribute.strip_prefix('.') {
                class.get_or_insert_with(|| name.to_owned());
            } else if let Some(name) = attribute.strip_prefix('#') {
                id = Some(name.to_owned());
            } else {
                return Err(format!(
                    "attribute {attribute:?} is not known (known: #id, .class)"
                ));
            }
        }
    }
    let class = class
        .ok_or_else(|| format!("the block {text:?} names no kind (like \"::: challenge\")"))?;
    if class.contains(char::is_whitespace) {
        return Err(format!("{text:?} names more than one kind of block"));
    }
    Ok((class, id))
}

/// Whether `id` can be used in a URL as it is: lowercase letters, digits and
/// dashes, starting with a letter.
fn is_plain_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

const KNOWN_DIVS: &str =
    "objectives, keypoints, callout, challenge (with hint and solution inside), widget";

/// The blocks of a lesson's sections; challenges are numbered on the way.
fn lesson_blocks(sections: Vec<Section>, challenges: &mut u32) -> Result<Vec<LessonBlock>, String> {
    let mut blocks = Vec::new();
    for section in sections {
        match section {
            Section::Text(text) => blocks.extend(parse_blocks(&text)?),
            Section::Div(div) => blocks.push(div_block(div, challenges)?),
        }
    }
    Ok(blocks)
}

fn div_block(div: Div, challenges: &mut u32) -> Result<LessonBlock, String> {
    let at = format!("line {}", div.line);
    let aside = match div.class.as_str() {
        "objectives" => AsideKind::Objectives,
        "keypoints" => AsideKind::Keypoints,
        "callout" => AsideKind::Callout,
        "challenge" => return challenge(div, challenges).map(LessonBlock::Challenge),
        "widget" => return widget(div),
        "hint" | "solution" => {
            return Err(format!(
                "{at}: a \"::: {}\" belongs inside a \"::: challenge\"",
                div.class
            ));
        }
        other => {
            return Err(format!(
                "{at}: \"::: {other}\" is not a known block (known: {KNOWN_DIVS})"
            ));
        }
    };
    if div.id.is_some() {
        return Err(format!("{at}: only a challenge takes an id"));
    }
    let mut blocks = Vec::new();
    for child in div.children {
        match child {
            Section::Text(text) => blocks.extend(parse_blocks(&text)?),
            Section::Div(inner) => {
                return Err(format!(
                    "line {}: a \"::: {}\" cannot be inside a \"::: {}\"",
                    inner.line, inner.class, div.class
                ));
            }
        }
    }
    Ok(LessonBlock::Aside(LessonAside { aside, blocks }))
}

/// A tool the app draws: `::: widget {#own-ca}` then `:::`, with an id it
/// knows and nothing inside.
fn widget(div: Div) -> Result<LessonBlock, String> {
    let at = format!("line {}", div.line);
    let id = div
        .id
        .ok_or_else(|| format!("{at}: a widget names its tool: \"::: widget {{#own-ca}}\""))?;
    if !WIDGETS.contains(&id.as_str()) {
        return Err(format!(
            "{at}: there is no widget {id:?} (known: {})",
            WIDGETS.join(", ")
        ));
    }
    if !div.children.is_empty() {
        return Err(format!(
            "{at}: a widget holds nothing: close it with \":::\" on the next line"
        ));
    }
    Ok(LessonBlock::Widget { id })
}

/// A challenge: an id, a heading (its title), the task, an optional hint and a solution.
fn challenge(div: Div, challenges: &mut u32) -> Result<LessonChallenge, String> {
    let at = format!("line {}", div.line);
    let id = div
        .id
        .ok_or_else(|| format!("{at}: a challenge needs an id: \"::: challenge {{#an-id}}\""))?;
    if !is_plain_id(&id) {
        return Err(format!(
            "{at}: challenge id {id:?} must be lowercase letters, digits and dashes, starting with a letter"
        ));
    }
    let (mut title, mut task, mut hint, mut solution) = (None, Vec::new(), None, None);
    for child in div.children {
        match child {
            Section::Text(text) => {
                let text = match title {
                    Some(_) => text,
                    None => {
                        let (heading, rest) = take_heading(&text).ok_or_else(|| {
                            format!("{at}: challenge {id:?} must start with a heading, its title (\"## …\")")
                        })?;
                        title = Some(heading);
                        rest
                    }
                };
                task.extend(parse_blocks(&text)?);
            }
            Section::Div(inner) => {
                let slot = match inner.class.as_str() {
                    "hint" => &mut hint,
                    "solution" => &mut solution,
                    other => {
                        return Err(format!(
                            "line {}: a challenge holds \"::: hint\" and \"::: solution\", not \"::: {other}\"",
                            inner.line
                        ));
                    }
                };
                if slot.is_some() {
                    return Err(format!(
                        "line {}: challenge {id:?} has a second \"::: {}\"",
                        inner.line, inner.class
                    ));
                }
                let mut ignored = 0;
                *slot = Some(lesson_blocks(inner.children, &mut ignored)?);
            }
        }
    }
    let title = title.ok_or_else(|| format!("{at}: challenge {id:?} is empty"))?;
    let solution =
        solution.ok_or_else(|| format!("{at}: challenge {id:?} has no \"::: solution\""))?;
    if task.is_empty() {
        return Err(format!(
            "{at}: challenge {id:?} says nothing about what to do"
        ));
    }
    *challenges += 1;
    Ok(LessonChallenge {
        id,
        number: *challenges,
        title,
        task,
        hint,
        solution,
    })
}

/// The first line of `text` when it is an ATX heading: its words, and the rest.
fn take_heading(text: &str) -> Option<(String, String)> {
    let text = text.trim_start();
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let words = first.strip_prefix('#')?.trim_start_matches('#');
    let words = words.trim();
    (!words.is_empty()).then(|| (words.to_owned(), rest.to_owned()))
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

/// The one place the Markdown dialect of lessons is decided.
fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::addresses::tests::addresses;
    use super::*;

    /// A small lesson with every kind of block.
    pub const SAMPLE: &str = "---\nid: sample\nnumber: 9\ntitle: Sample\nsummary: A sample.\n---\n\
        ::: objectives\n- Read a *sample*.\n:::\n\n\
        # Heading\n\nSome *prose* <script>alert(1)</script> at {{https}}.\n\n\
        ```request\nPOST /lab/headers\nX-Learner: Ning\n\n{\"a\": 1}\n```\n\n\
        ```python fails=SSLError\nrequests.get(\"{{https}}/lab/hello\")\n```\n\nAfter.\n\n\
        :::::: challenge {#first-one}\n## Do the first thing\n\nSend it.\n\n\
        ```request\nGET /lab/hello\n```\n\n\
        ::: hint\nLook closer.\n:::\n\n::: solution\n```text\n::: not a div inside code\n```\n:::\n::::::\n\n\
        ::: {.challenge #second-one}\n### Another\nAgain.\n::: solution\nLike this.\n:::\n:::\n\n\
        ::: keypoints\n- Samples help.\n:::\n";

    pub fn sample() -> Lesson {
        parse_lesson(SAMPLE, &addresses()).expect("parses")
    }

    /// `SAMPLE`'s frame around `body`.
    fn framed(body: &str) -> String {
        format!(
            "---\nid: x\nnumber: 1\ntitle: T\nsummary: S\n---\n::: objectives\n- o\n:::\n{body}\n::: keypoints\n- k\n:::\n"
        )
    }

    fn error_of(body: &str) -> String {
        parse_lesson(&framed(body), &addresses()).unwrap_err()
    }

    #[test]
    fn request_blocks_become_try_it_requests() {
        let lesson = sample();
        assert_eq!(lesson.summary.number, 9);
        let LessonBlock::Request(request) = &lesson.blocks[2] else {
            panic!("third block should be the request: {:?}", lesson.blocks);
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
        let LessonBlock::Code(code) = &lesson.blocks[3] else {
            panic!("fourth block should be code: {:?}", lesson.blocks);
        };
        assert_eq!(code.language, "python");
        assert_eq!(
            code.code,
            "requests.get(\"https://localhost:40002/lab/hello\")"
        );
        assert_eq!(code.fails_with.as_deref(), Some("SSLError"));
        assert!(
            matches!(&lesson.blocks[4], LessonBlock::Prose { html } if html.contains("After."))
        );
        assert!(error_of("```python runs=never\nx\n```\n").contains("runs=never"));
    }

    #[test]
    fn objectives_open_and_keypoints_close_the_lesson() {
        let lesson = sample();
        assert!(matches!(
            lesson.blocks.first(),
            Some(LessonBlock::Aside(aside)) if aside.aside == AsideKind::Objectives
        ));
        assert!(matches!(
            lesson.blocks.last(),
            Some(LessonBlock::Aside(aside)) if aside.aside == AsideKind::Keypoints
        ));
        let bare = "---\nid: x\nnumber: 1\ntitle: T\nsummary: S\n---\nJust prose.\n";
        assert!(
            parse_lesson(bare, &addresses())
                .unwrap_err()
                .contains("objectives")
        );
        assert!(error_of("::: objectives\n- again\n:::\n").contains("no more"));
    }

    #[test]
    fn challenges_have_ids_titles_tasks_hints_and_solutions() {
        let lesson = sample();
        let challenges = lesson.challenges();
        assert_eq!(challenges.len(), 2);
        let first = challenges[0];
        assert_eq!(
            (first.id.as_str(), first.number, first.title.as_str()),
            ("first-one", 1, "Do the first thing")
        );
        assert!(matches!(&first.task[0], LessonBlock::Prose { html } if html.contains("Send it.")));
        assert!(matches!(&first.task[1], LessonBlock::Request(_)));
        assert!(first.hint.is_some());
        assert!(
            matches!(&first.solution[0], LessonBlock::Code(code) if code.code == "::: not a div inside code")
        );
        let second = challenges[1];
        assert_eq!(
            (second.id.as_str(), second.number, second.title.as_str()),
            ("second-one", 2, "Another")
        );
        assert_eq!(second.hint, None);
    }

    #[test]
    fn a_broken_challenge_says_what_is_wrong() {
        let cases = [
            (
                "::: challenge\n## T\nDo.\n::: solution\nS\n:::\n:::\n",
                "needs an id",
            ),
            (
                "::: challenge {#Bad_Id}\n## T\nDo.\n::: solution\nS\n:::\n:::\n",
                "lowercase",
            ),
            (
                "::: challenge {#a}\nNo title.\n::: solution\nS\n:::\n:::\n",
                "heading",
            ),
            (
                "::: challenge {#a}\n## T\nDo.\n:::\n",
                "no \"::: solution\"",
            ),
            (
                "::: challenge {#a}\n## T\n::: solution\nS\n:::\n:::\n",
                "nothing about what to do",
            ),
            (
                "::: challenge {#a}\n## T\nDo.\n::: solution\nS\n:::\n",
                "never closed",
            ),
            (
                "::: challenge {#a}\n## T\nDo.\n::: solution\nS\n:::\n::: solution\nS\n:::\n:::\n",
                "second",
            ),
            ("::: hint\nH\n:::\n", "inside a \"::: challenge\""),
            ("::: exercise\nE\n:::\n", "not a known block"),
            (":::\n", "never opened"),
            (
                "::: challenge {#a}\n## T\nDo.\n::: solution\nS\n:::\n:::\n::: challenge {#a}\n## U\nDo.\n::: solution\nS\n:::\n:::\n",
                "share the id",
            ),
        ];
        for (body, expected) in cases {
            let error = error_of(body);
            assert!(error.contains(expected), "{body:?} gave {error:?}");
        }
    }

    #[test]
    fn a_widget_names_a_known_tool_and_holds_nothing() {
        let lesson =
            parse_lesson(&framed("::: widget {#own-ca}\n:::\n"), &addresses()).expect("parses");
        assert!(lesson.blocks.contains(&LessonBlock::Widget {
            id: "own-ca".into()
        }));
        for (body, error) in [
            ("::: widget\n:::\n", "names its tool"),
            (
                "::: widget {#teleport}\n:::\n",
                "no widget \"teleport\" (known: own-ca, pickle-inspector",
            ),
            ("::: widget {#own-ca}\nText.\n:::\n", "holds nothing"),
        ] {
            let message = error_of(body);
            assert!(message.contains(error), "{body}: {message}");
        }
    }

    #[test]
    fn raw_html_is_escaped() {
        let lesson = sample();
        let LessonBlock::Prose { html } = &lesson.blocks[1] else {
            panic!("second block should be prose");
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
        let dashed = parse("---\nid: http-basics\nnumber: 1\ntitle: T\nsummary: S\n---\n");
        assert!(dashed.unwrap_err().contains("lab module"));
        assert!(error_of("```request\nGET\n```\n").contains("METHOD /path"));
    }
}
