//! The Python security lint (lesson 11): parses Python with a real parser and
//! reports what the well-known Python security linter (bandit) reports, with
//! its check ids, severity, confidence and the fix; `# nosec` silences a line.
//!
//! The parser is RustPython's (a real Python 3 grammar). Before it runs, a
//! linear pass over the text (`scan`) finds the `# nosec` comments, refuses
//! nesting too deep to walk on a small stack (like CPython, which refuses
//! more than 200 nested brackets), and cuts a large file between top-level
//! statements so that each piece's tree stays small; a single top-level
//! statement over [`MAX_STATEMENT`] (a giant data literal) is refused with
//! advice rather than parsed into a tree of most of a gigabyte. The checks
//! (`checks`) follow the reference's semantics, read from its source:
//! the same ids, names, severities, confidences and messages, the same
//! reading of `# nosec B602` (and its quirks: `# nosec B602,B607` names
//! only B607, a comment naming no known check silences everything).
//!
//! Deliberate differences: a file with a syntax error gets that error as
//! its only finding (the reference skips the file); B701 looks at the
//! `Environment(...)` call's own keywords only; B608 joins at most 64
//! operands (4 KiB of text) of one `+`/`%` chain for each string in it;
//! the column counts characters (the reference's `col_offset` counts UTF-8
//! bytes); a statement over [`MAX_STATEMENT`] or nested past the limits
//! above is reported as a syntax error. Bandit checks not made here: B502-B505 and B507-B509 (ssl, ssh and snmp settings), B601
//! (paramiko), B609-B613 and B615 (wildcards, Django, logging config,
//! bidirectional text, Hugging Face downloads), B702-B704 (Mako, Django,
//! markupsafe); on 700 files of real packages they miss 2 of 695 findings.

mod catalog;
mod checks;
mod scan;
#[cfg(test)]
mod tests;

use rustpython_parser::text_size::TextSize;
use serde::{Deserialize, Serialize};

use crate::Level;

pub use catalog::{CALLS, CHECKS, Check, IMPORTS, Listed};

/// The most findings one report keeps; the rest are counted in
/// [`Report::omitted`].
pub const MAX_FINDINGS: usize = 5000;
/// The largest top-level statement the lint parses, in bytes: the parser's
/// tree takes 20 to 90 times the text's size, so one 10 MB statement (a
/// giant data literal or f-string) would take most of a gigabyte.
pub const MAX_STATEMENT: usize = 4 * 1024 * 1024;
/// The longest code line a finding quotes, in characters.
const MAX_CODE: usize = 240;

/// What the lint found in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The file's name.
    pub file: String,
    /// Its number of lines.
    pub lines: usize,
    /// The findings, by line.
    pub findings: Vec<Finding>,
    /// Findings silenced by `# nosec`.
    pub suppressed: usize,
    /// Why the file could not be parsed, if it could not.
    pub syntax_error: Option<SyntaxError>,
    /// Findings past [`MAX_FINDINGS`], counted but not kept.
    #[serde(default)]
    pub omitted: usize,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The reference linter's id for the check (`B602`).
    pub check: String,
    /// Its name (`subprocess_popen_with_shell_equals_true`).
    pub name: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
    /// How bad it would be.
    pub severity: Level,
    /// How sure the lint is.
    pub confidence: Level,
    /// What is wrong, in words.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The line of code.
    pub code: String,
}

/// Why a file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyntaxError {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// The parser's message.
    pub message: String,
}

impl Report {
    /// The number of findings (a syntax error counts as one).
    pub fn finding_count(&self) -> usize {
        self.findings.len() + self.omitted + usize::from(self.syntax_error.is_some())
    }

    /// The report for a terminal, one finding per line as the reference
    /// linter writes them (`path:line: B602 [high/high] message`), each
    /// followed by its code line and its fix.
    pub fn human(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        if let Some(error) = &self.syntax_error {
            let _ = writeln!(
                out,
                "{}:{}: syntax error [col {}]: {} (the file was not checked: fix the syntax first)",
                self.file, error.line, error.column, error.message
            );
        }
        for finding in &self.findings {
            let _ = writeln!(
                out,
                "{}:{}: {} [{}/{}] {} ({})\n    {}\n    fix: {}",
                self.file,
                finding.line,
                finding.check,
                finding.severity.as_str(),
                finding.confidence.as_str(),
                finding.message,
                finding.name,
                finding.code,
                finding.fix,
            );
        }
        if self.omitted > 0 {
            let _ = writeln!(
                out,
                "{}: {} more findings not shown",
                self.file, self.omitted
            );
        }
        let total = self.findings.len() + self.omitted;
        let _ = write!(
            out,
            "{}: {} line{}, {} finding{}",
            self.file,
            self.lines,
            if self.lines == 1 { "" } else { "s" },
            total,
            if total == 1 { "" } else { "s" },
        );
        if self.suppressed > 0 {
            let _ = write!(out, ", {} silenced by # nosec", self.suppressed);
        }
        out.push('\n');
        out
    }
}

/// Lints the Python source `source` of the file `name`.
pub fn lint(name: &str, source: &str) -> Report {
    let scan = scan::scan(source);
    let lines = match scan.line_starts.last() {
        _ if source.is_empty() => 0,
        Some(&last) if last == source.len() => scan.line_starts.len() - 1,
        _ => scan.line_starts.len(),
    };
    let mut report = Report {
        file: name.to_owned(),
        lines,
        findings: Vec::new(),
        suppressed: 0,
        syntax_error: None,
        omitted: 0,
    };
    if let Some((at, why)) = scan.too_deep {
        report.syntax_error = Some(syntax_error(source, &scan, at, why.to_owned()));
        return report;
    }
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for &cut in scan.cuts.iter().chain(std::iter::once(&source.len())) {
        if cut > start || pieces.is_empty() {
            pieces.push((start, cut));
        }
        start = cut;
    }
    if let (from, size @ MAX_STATEMENT..) = scan.largest {
        let message = format!(
            "a top-level statement of {:.1} MB starts here: the lint parses statements of at most {} MB; move large data into a data file (.csv, .json, .parquet) or split the statement",
            size as f64 / 1e6,
            MAX_STATEMENT / (1024 * 1024)
        );
        report.syntax_error = Some(syntax_error(source, &scan, from, message));
        return report;
    }
    let mut result = walk(name, source, &scan, &pieces);
    if result.is_err() && pieces.len() > 1 && source.len() <= MAX_STATEMENT {
        // Maybe a cut the text pass got wrong: the whole file at once
        // decides (within the size one statement may have).
        result = walk(name, source, &scan, &[(0, source.len())]);
    }
    match result {
        Ok((findings, suppressed, omitted)) => {
            report.findings = findings;
            report.suppressed = suppressed;
            report.omitted = omitted;
        }
        Err((at, message)) => {
            report.syntax_error = Some(syntax_error(source, &scan, at, message));
        }
    }
    report
}

/// What [`walk`] returns: the findings, how many were silenced and how many
/// not kept; or where the parser failed, and why.
type Walked = Result<(Vec<Finding>, usize, usize), (usize, String)>;

/// Parses and checks `source` piece by piece.
fn walk(name: &str, source: &str, scan: &scan::Scan, pieces: &[(usize, usize)]) -> Walked {
    let mut findings = Vec::new();
    let mut suppressed = 0;
    let mut omitted = 0;
    let mut imports = checks::Imports::default();
    for &(from, to) in pieces {
        let offset = TextSize::try_from(from).unwrap_or_default();
        let parsed = rustpython_parser::parse_starts_at(
            &source[from..to],
            rustpython_parser::Mode::Module,
            name,
            offset,
        )
        .map_err(|error| (error.offset.to_usize(), error.error.to_string()))?;
        let rustpython_parser::ast::Mod::Module(module) = parsed else {
            continue;
        };
        let mut sink = |raw: checks::Raw| {
            if silenced(source, scan, &raw) {
                suppressed += 1;
            } else if findings.len() >= MAX_FINDINGS {
                omitted += 1;
            } else {
                findings.push(finding(source, scan, raw));
            }
        };
        let mut walker = checks::Walker::new(std::mem::take(&mut imports), &mut sink);
        walker.suite(&module.body);
        imports = walker.imports();
    }
    findings.sort_by(|a: &Finding, b: &Finding| {
        (a.line, a.column, &a.check).cmp(&(b.line, b.column, &b.check))
    });
    Ok((findings, suppressed, omitted))
}

/// Whether a `# nosec` silences `raw`: one on its line, or the first one
/// within its node's lines, naming no check or naming its check.
fn silenced(source: &str, scan: &scan::Scan, raw: &checks::Raw) -> bool {
    let line = scan.line_of(raw.at);
    let first = scan.line_of(raw.context.0);
    let last = scan.line_of(raw.context.1.saturating_sub(1).max(raw.context.0));
    let at_line = |line: usize| {
        let index = scan.nosec.partition_point(|entry| entry.0 < line);
        scan.nosec.get(index).filter(|entry| entry.0 == line)
    };
    let own = at_line(line);
    let index = scan.nosec.partition_point(|entry| entry.0 < first);
    let context = scan.nosec.get(index).filter(|entry| entry.0 <= last);
    if own.is_none() && context.is_none() {
        return false;
    }
    let named: Vec<String> = own
        .into_iter()
        .chain(context)
        .flat_map(|&(_, from, to)| scan::nosec_checks(&source[from..to]))
        .collect();
    named.is_empty() || named.iter().any(|id| id == raw.id)
}

/// A finding placed in the file: line, column and the code line.
fn finding(source: &str, scan: &scan::Scan, raw: checks::Raw) -> Finding {
    let line = scan.line_of(raw.at);
    let range = scan.line_range(source, line);
    let code_line = &source[range.clone()];
    let column = column(
        source,
        scan,
        raw.column_at.max(range.start).min(range.end),
        line,
    );
    let code: String = code_line.trim().chars().take(MAX_CODE).collect();
    Finding {
        check: raw.id.to_owned(),
        name: raw.name.to_owned(),
        line,
        column,
        severity: raw.severity,
        confidence: raw.confidence,
        message: raw.message,
        fix: raw.fix.to_owned(),
        code,
    }
}

/// The column (from 1, in characters) of the byte `at` on `line`; bytes
/// past the first few thousand of a very long line count one each.
fn column(source: &str, scan: &scan::Scan, at: usize, line: usize) -> usize {
    let start = scan.line_starts.get(line - 1).copied().unwrap_or(0).min(at);
    let mut boundary = at;
    while !source.is_char_boundary(boundary) {
        boundary -= 1;
    }
    let prefix = &source[start..boundary];
    if prefix.len() <= 4096 {
        prefix.chars().count() + 1
    } else {
        prefix.len() + 1
    }
}

/// A syntax error at the byte `at`.
fn syntax_error(source: &str, scan: &scan::Scan, at: usize, message: String) -> SyntaxError {
    let at = at.min(source.len());
    let line = scan.line_of(at);
    SyntaxError {
        line,
        column: column(source, scan, at, line),
        message,
    }
}
