//! A pass over the raw text before the parser sees it, linear and without
//! recursion: where lines start, the `# nosec` comments (in comments only,
//! never inside strings), how deeply the code could nest, and where a large
//! file can be cut between top-level statements so that it is parsed in
//! pieces of bounded size.
//!
//! The nesting bound matters because the parser builds a tree: `((((…`
//! 100 000 deep, or `1+1+…+1` a million terms long, would make a tree too deep
//! to walk (or even to free) on a small stack. Like CPython, the lint refuses
//! more than 200 nested brackets and 100 levels of indentation; and it refuses
//! a statement whose tree could be deeper than [`MAX_DEPTH`], counted
//! generously: every operator, keyword, dot and bracket since the last comma,
//! in every enclosing bracket.

/// The deepest expression tree the lint accepts (an upper bound counted
/// on the text, see the module's documentation).
pub const MAX_DEPTH: u32 = 1000;
/// CPython's limit on nested brackets.
const MAX_BRACKETS: usize = 200;
/// CPython's limit on levels of indentation.
const MAX_INDENT: usize = 100;
/// A large file is parsed in pieces of about this many bytes.
pub const CHUNK: usize = 256 * 1024;

/// What the pass found.
#[derive(Debug, Default)]
pub struct Scan {
    /// The byte offset of every line's start (line 1 at index 0).
    pub line_starts: Vec<usize>,
    /// Each `# nosec` comment: its line, and the byte range of what follows
    /// it (the checks it names; empty for all).
    pub nosec: Vec<(usize, usize, usize)>,
    /// Where to cut the source: top-level statements start at each offset.
    pub cuts: Vec<usize>,
    /// The start and size in bytes of the largest top-level statement (the
    /// text between two lines that start at column 0 with code).
    pub largest: (usize, usize),
    /// The offset and reason of the first nesting the lint refuses.
    pub too_deep: Option<(usize, &'static str)>,
}

impl Scan {
    /// The line (from 1) holding the byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .max(1)
    }

    /// The byte range of line `line` (from 1), without its line break.
    pub fn line_range(&self, source: &str, line: usize) -> std::ops::Range<usize> {
        let start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(source.len());
        let end = self.line_starts.get(line).copied().unwrap_or(source.len());
        let text = &source.as_bytes()[start..end];
        let trimmed = text
            .iter()
            .rposition(|&byte| byte != b'\n' && byte != b'\r')
            .map_or(0, |last| last + 1);
        start..start + trimmed
    }
}

/// What the pass is inside of.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Code: `close` is the bracket that ends it (`0` at top level, `b'F'`
    /// for an f-string's `{…}`); `count` the operators since the last comma.
    Code { close: u8, count: u32 },
    /// A string literal.
    Str { quote: u8, triple: bool, f: bool },
    /// An f-string's format spec (after `:` in `{x:>10}`).
    Spec,
}

/// Keywords that add a level to an expression tree.
const NESTING_KEYWORDS: &[&[u8]] = &[
    b"not", b"and", b"or", b"if", b"else", b"lambda", b"await", b"in", b"is", b"yield", b"for",
];
/// Statements that continue the one before them and must stay in its piece.
const CONTINUATIONS: &[&[u8]] = &[b"else", b"elif", b"except", b"finally"];

/// Runs the pass over `source`.
pub fn scan(source: &str) -> Scan {
    let bytes = source.as_bytes();
    let mut out = Scan {
        line_starts: line_starts(bytes),
        ..Scan::default()
    };
    let mut modes = vec![Mode::Code { close: 0, count: 0 }];
    // Sum of the counts and of the modes open: the depth bound.
    let mut depth: u32 = 1;
    let mut brackets = 0_usize;
    let mut indents: Vec<usize> = vec![0];
    let mut at_line_start = true;
    let mut after_decorator = false;
    let mut first_byte = 0_u8;
    let mut chunk_start = 0_usize;
    let mut statement_start = 0_usize;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let top = *modes.last().unwrap_or(&Mode::Code { close: 0, count: 0 });
        match top {
            Mode::Str { quote, triple, f } => {
                if byte == b'\\' {
                    i += if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') {
                        3
                    } else {
                        2
                    };
                    continue;
                }
                if byte == quote {
                    if !triple {
                        modes.pop();
                        depth = depth.saturating_sub(1);
                    } else if bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote) {
                        modes.pop();
                        depth = depth.saturating_sub(1);
                        i += 3;
                        continue;
                    }
                } else if (byte == b'\n' || byte == b'\r') && !triple {
                    // Unterminated: the parser reports it; the line ends here.
                    modes.pop();
                    depth = depth.saturating_sub(1);
                    continue;
                } else if f && byte == b'{' {
                    if bytes.get(i + 1) == Some(&b'{') {
                        i += 2;
                        continue;
                    }
                    modes.push(Mode::Code {
                        close: b'F',
                        count: 0,
                    });
                    depth += 1;
                } else if f && byte == b'}' && bytes.get(i + 1) == Some(&b'}') {
                    i += 2;
                    continue;
                }
                i += 1;
            }
            Mode::Spec => {
                if byte == b'{' {
                    modes.push(Mode::Code {
                        close: b'F',
                        count: 0,
                    });
                    depth += 1;
                } else if byte == b'}' || byte == b'\n' || byte == b'\r' {
                    modes.pop();
                    depth = depth.saturating_sub(1);
                    if byte != b'}' {
                        continue;
                    }
                }
                i += 1;
            }
            Mode::Code { close, count } => {
                let top_level = modes.len() == 1;
                if at_line_start
                    && top_level
                    && !matches!(byte, b' ' | b'\t' | b'\x0c' | b'\n' | b'\r' | b'#' | b'\\')
                {
                    at_line_start = false;
                    let column = line_column(bytes, i);
                    // Indentation: CPython's limit of 100 levels.
                    if column > *indents.last().unwrap_or(&0) {
                        indents.push(column);
                        if indents.len() > MAX_INDENT + 1 {
                            refuse(&mut out, i, "too many levels of indentation");
                        }
                    } else {
                        while indents.len() > 1 && column < *indents.last().unwrap_or(&0) {
                            indents.pop();
                        }
                    }
                    if column == 0 {
                        if i - statement_start > out.largest.1 {
                            out.largest = (statement_start, i - statement_start);
                        }
                        statement_start = i;
                    }
                    if column == 0
                        && !after_decorator
                        && i - chunk_start >= CHUNK
                        && !CONTINUATIONS.iter().any(|word| starts_word(bytes, i, word))
                    {
                        out.cuts.push(i);
                        chunk_start = i;
                    }
                    first_byte = byte;
                }
                match byte {
                    b'#' => {
                        let end = bytes[i..]
                            .iter()
                            .position(|&b| b == b'\n' || b == b'\r')
                            .map_or(bytes.len(), |n| i + n);
                        if let Some((from, to)) = nosec(bytes, i, end) {
                            out.nosec.push((out.line_of(i), from, to));
                        }
                        i = end;
                        continue;
                    }
                    b'\\' if matches!(bytes.get(i + 1), Some(b'\n' | b'\r')) => {
                        i += 1;
                        if bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) == Some(&b'\n') {
                            i += 1;
                        }
                        // The line break itself is consumed below as a plain byte.
                        i += 1;
                        continue;
                    }
                    b'\n' | b'\r' => {
                        if top_level && !at_line_start {
                            after_decorator = first_byte == b'@';
                            set_count(&mut modes, &mut depth, 0);
                        }
                        if top_level {
                            at_line_start = true;
                        }
                        i += 1;
                        continue;
                    }
                    b'\'' | b'"' => {
                        let triple =
                            bytes.get(i + 1) == Some(&byte) && bytes.get(i + 2) == Some(&byte);
                        modes.push(Mode::Str {
                            quote: byte,
                            triple,
                            f: false,
                        });
                        depth += 1;
                        i += if triple { 3 } else { 1 };
                        continue;
                    }
                    b'(' | b'[' | b'{' => {
                        set_count(&mut modes, &mut depth, count + 1);
                        let close = match byte {
                            b'(' => b')',
                            b'[' => b']',
                            _ => b'}',
                        };
                        modes.push(Mode::Code { close, count: 0 });
                        depth += 1;
                        brackets += 1;
                        if brackets > MAX_BRACKETS {
                            refuse(&mut out, i, "too many nested parentheses");
                        }
                    }
                    b')' | b']' | b'}' => {
                        if close == byte {
                            modes.pop();
                            depth = depth.saturating_sub(count + 1);
                            brackets = brackets.saturating_sub(1);
                        } else if close == b'F' && byte == b'}' {
                            modes.pop();
                            depth = depth.saturating_sub(count + 1);
                        }
                    }
                    b':' if close == b'F' => {
                        modes.pop();
                        depth = depth.saturating_sub(count);
                        modes.push(Mode::Spec);
                    }
                    b',' | b';' => {
                        set_count(&mut modes, &mut depth, 0);
                    }
                    b'+' | b'-' | b'*' | b'/' | b'%' | b'@' | b'&' | b'|' | b'^' | b'~' | b'<'
                    | b'>' | b'=' | b'!' | b'.' => {
                        // Each one: `- - -x` nests as deep as `---x`.
                        set_count(&mut modes, &mut depth, count + 1);
                    }
                    byte if byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80 => {
                        let end = bytes[i..]
                            .iter()
                            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80))
                            .map_or(bytes.len(), |n| i + n);
                        let word = &bytes[i..end];
                        if let Some(&quote @ (b'\'' | b'"')) = bytes.get(end)
                            && word.len() <= 2
                            && word.iter().all(|b| b"rRbBuUfF".contains(b))
                        {
                            let triple = bytes.get(end + 1) == Some(&quote)
                                && bytes.get(end + 2) == Some(&quote);
                            modes.push(Mode::Str {
                                quote,
                                triple,
                                f: word.iter().any(|b| *b == b'f' || *b == b'F'),
                            });
                            depth += 1;
                            i = end + if triple { 3 } else { 1 };
                            continue;
                        }
                        if NESTING_KEYWORDS.contains(&word) {
                            set_count(&mut modes, &mut depth, count + 1);
                        }
                        i = end;
                        continue;
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        if depth > MAX_DEPTH {
            refuse(
                &mut out,
                i.min(bytes.len()),
                "an expression nested too deeply",
            );
        }
        if out.too_deep.is_some() {
            break;
        }
    }
    if bytes.len() - statement_start > out.largest.1 {
        out.largest = (statement_start, bytes.len() - statement_start);
    }
    out
}

/// Records the first reason to refuse the input.
fn refuse(out: &mut Scan, at: usize, why: &'static str) {
    if out.too_deep.is_none() {
        out.too_deep = Some((at, why));
    }
}

/// Sets the operator count of the innermost code mode, keeping `depth` the
/// sum of them all.
fn set_count(modes: &mut [Mode], depth: &mut u32, new: u32) {
    if let Some(Mode::Code { count, .. }) = modes.last_mut() {
        *depth = depth.saturating_sub(*count).saturating_add(new);
        *count = new;
    }
}

/// Whether `word` starts at `at`, not followed by an identifier byte.
fn starts_word(bytes: &[u8], at: usize, word: &[u8]) -> bool {
    bytes[at..].starts_with(word)
        && bytes
            .get(at + word.len())
            .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80))
}

/// The column (in bytes, from 0) of `at` in its line.
fn line_column(bytes: &[u8], at: usize) -> usize {
    bytes[..at]
        .iter()
        .rev()
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(at)
}

/// Where each line starts: after `\n`, `\r\n` or a lone `\r`, as Python
/// counts lines.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => starts.push(i + 1),
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    starts
}

/// The reference linter's reading of a comment (`#` at `from` to `to`): the
/// byte range of the checks named after `nosec`, when it is a `# nosec`
/// comment. Like its pattern `#\s*nosec:?\s*([^#]+)?`: any `#` in the
/// comment followed by `nosec`.
fn nosec(bytes: &[u8], from: usize, to: usize) -> Option<(usize, usize)> {
    let comment = &bytes[from..to];
    for (hash, _) in comment.iter().enumerate().filter(|(_, b)| **b == b'#') {
        let mut at = hash + 1;
        while at < comment.len() && comment[at].is_ascii_whitespace() {
            at += 1;
        }
        if !comment[at..].starts_with(b"nosec") {
            continue;
        }
        at += 5;
        if comment.get(at) == Some(&b':') {
            at += 1;
        }
        while at < comment.len() && comment[at].is_ascii_whitespace() {
            at += 1;
        }
        let end = comment[at..]
            .iter()
            .position(|&b| b == b'#')
            .map_or(comment.len(), |n| at + n);
        return Some((from + at, from + end));
    }
    None
}

/// The checks a `# nosec` comment names (`tests` is what follows `nosec`):
/// empty for all. Read as the reference linter reads it: runs of words
/// joined by single commas (`B602,B607`) count their last word only, a word
/// that is no check's id or name is ignored.
pub fn nosec_checks(tests: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let bytes = tests.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !is_word(bytes[i]) {
            i += 1;
            continue;
        }
        // One match: word (,word)*, with an optional trailing comma.
        let mut last;
        loop {
            let start = i;
            while i < bytes.len() && is_word(bytes[i]) {
                i += 1;
            }
            last = (start, i);
            if bytes.get(i) == Some(&b',') && bytes.get(i + 1).is_some_and(|b| is_word(*b)) {
                i += 1;
                continue;
            }
            break;
        }
        let word = &tests[last.0..last.1];
        let id = if word.len() > 1
            && word.starts_with('B')
            && word[1..].bytes().all(|b| b.is_ascii_digit())
        {
            Some(word.to_owned())
        } else {
            super::catalog::id_of_name(&word.to_ascii_lowercase())
                .or_else(|| super::catalog::id_of_name(word))
                .map(str::to_owned)
        };
        ids.extend(id);
    }
    ids
}
