//! One file: binary detection, the lines, and each secret's place, preview
//! and fingerprint.

use super::rules::{self, Context, Rule};
use super::{Commit, Finding};
use crate::Level;

/// How many bytes at the start of a file decide whether it is binary (as
/// git does: a NUL byte among the first 8000).
const SNIFF: usize = 8000;
/// The most characters a preview shows around its secret.
const PREVIEW_SIDE: usize = 60;

/// A secret found in a file.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Its rule.
    pub rule: &'static Rule,
    /// Its line, from 1.
    pub line: usize,
    /// Its column, from 1, in characters.
    pub column: usize,
    /// The line around it, redacted.
    pub preview: String,
    /// How sure the rule is.
    pub confidence: Level,
    /// A hash of the kind and the secret: the same secret elsewhere has the
    /// same fingerprint (the secret itself is never kept).
    pub fingerprint: u64,
}

impl Hit {
    /// The finding in `file`.
    pub fn finding(&self, file: &str, commit: Option<Commit>) -> Finding {
        Finding {
            kind: self.rule.id.to_owned(),
            title: self.rule.title.to_owned(),
            file: file.to_owned(),
            line: self.line,
            column: self.column,
            preview: self.preview.clone(),
            commit,
            confidence: self.confidence,
            rotate: self.rule.advice(),
        }
    }
}

/// Whether `bytes` are binary: a NUL byte among the first 8000.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(SNIFF)].contains(&0)
}

/// FNV-1a, 64 bits.
pub fn fingerprint(kind: &str, secret: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for &byte in kind.as_bytes().iter().chain(&[0]).chain(secret) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// `secret` shown as its first and last characters (at most 4 each, at most
/// a quarter of it each): never the whole.
pub fn redact(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let keep = (chars.len() / 4).min(4);
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{head}…{tail}")
}

/// Scans a text file called `name` (`bytes` need not be UTF-8).
pub fn scan_text(name: &str, bytes: &[u8]) -> Vec<Hit> {
    let mut context = Context {
        code: rules::is_code(name),
        ..Context::default()
    };
    let mut out = Vec::new();
    let mut lines = bytes.split(|&b| b == b'\n').map(trim_cr).peekable();
    let mut number = 0;
    while let Some(line) = lines.next() {
        let next = lines.peek().copied().unwrap_or_default();
        let hits = rules::scan_line(&mut context, number, line, next);
        for hit in &hits {
            let secret = &line[hit.start..hit.end];
            let fingerprint_of = if hit.redact { secret } else { next };
            out.push(Hit {
                rule: hit.rule,
                line: number + 1,
                column: characters(&line[..hit.start]) + 1,
                preview: preview(line, hit, &hits),
                confidence: hit.confidence,
                fingerprint: fingerprint(hit.rule.id, fingerprint_of),
            });
        }
        number += 1;
    }
    out
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// How many UTF-8 characters `bytes` hold.
fn characters(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// The part of `line` around `hit`, every secret on it redacted.
fn preview(line: &[u8], hit: &rules::Hit, all: &[rules::Hit]) -> String {
    let from = hit.start.saturating_sub(PREVIEW_SIDE);
    let to = (hit.end + PREVIEW_SIDE).min(line.len());
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut at = from;
    for other in all.iter().filter(|other| other.redact) {
        if other.end <= at || other.start >= to {
            continue;
        }
        let start = other.start.max(at);
        out.push_str(&String::from_utf8_lossy(&line[at..start]));
        let secret = String::from_utf8_lossy(&line[other.start..other.end]);
        out.push_str(&redact(&secret));
        at = other.end.min(to).max(start);
    }
    if at < to {
        out.push_str(&String::from_utf8_lossy(&line[at..to]));
    }
    if to < line.len() {
        out.push('…');
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_never_shows_the_whole_secret() {
        assert_eq!(redact("AKIAQ7LBZ3SAFELABKEY"), "AKIA…BKEY");
        assert_eq!(redact("hunter22"), "hu…22");
        assert_eq!(redact("abc"), "…");
    }
}
