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

/// Prefixes that name a kind of token and are the same for everyone: shown
/// in a preview, since they say what leaked without telling any of it.
const PUBLIC_PREFIXES: &[&str] = &[
    "AKIA",
    "ASIA",
    "github_pat_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "glpat-",
    "sk-",
    "sk_live_",
    "rk_live_",
    "hf_",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "AIza",
    "npm_",
    "pypi-",
];

/// `secret` shown by its public prefix if it has one (`AKIA`, `ghp_`,
/// `sk-`), else by at most 2 characters (none for a short one), and its
/// length: `hunter22` is `hu…(8 chars)`.
pub fn redact(secret: &str) -> String {
    let length = secret.chars().count();
    let head: String = match PUBLIC_PREFIXES
        .iter()
        .find(|prefix| secret.starts_with(**prefix) && secret.len() > prefix.len())
    {
        Some(prefix) => (*prefix).to_owned(),
        None => secret.chars().take((length / 4).min(2)).collect(),
    };
    format!("{head}…({length} chars)")
}

/// Scans a text file called `name` (`bytes` need not be UTF-8).
pub fn scan_text(name: &str, bytes: &[u8]) -> Vec<Hit> {
    let mut context = Context {
        code: rules::is_code(name),
        env: rules::is_env(name),
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
    // After a private key's header comes its body (a key on one line, as in
    // a service-account JSON): never shown.
    let key_body = all
        .iter()
        .filter(|other| other.rule.id == rules::PRIVATE_KEY.id)
        .map(|other| other.end)
        .min();
    if let Some(body) = key_body
        && hit.start >= body
    {
        let secret = String::from_utf8_lossy(&line[hit.start..hit.end]);
        return format!("…{}…", redact(&secret));
    }
    let from = hit.start.saturating_sub(PREVIEW_SIDE);
    let to = (hit.end + PREVIEW_SIDE)
        .min(line.len())
        .min(key_body.unwrap_or(usize::MAX));
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
        assert_eq!(redact("AKIAQ7LBZ3SAFELABKEY"), "AKIA…(20 chars)");
        assert_eq!(redact("sk-proj-abcdef"), "sk-…(14 chars)");
        assert_eq!(redact("hunter22"), "hu…(8 chars)");
        assert_eq!(redact("abc"), "…(3 chars)");
    }

    fn previews(name: &str, text: &str) -> Vec<String> {
        scan_text(name, text.as_bytes())
            .into_iter()
            .map(|hit| hit.preview)
            .collect()
    }

    /// The review's cases: each preview shows at most 2 characters of the
    /// secret, and the whole value is found.
    #[test]
    fn previews_show_no_part_of_a_secret_past_two_characters() {
        assert_eq!(
            previews(".env", "DB_PASSWORD=Tr0ub4dor&3xyz\n"),
            ["DB_PASSWORD=Tr…(14 chars)"]
        );
        assert_eq!(
            previews(".env", "DB_PASSWORD=Xk9;mQ2vLp7zRt # prod\n"),
            ["DB_PASSWORD=Xk…(14 chars) # prod"]
        );
        assert_eq!(
            previews(".env.local", "API_SECRET=pa$$w0rd,(x)Zq\n"),
            ["API_SECRET=pa…(14 chars)"]
        );
        assert_eq!(
            previews(
                "settings.yaml",
                "url: postgresql://etl:Qm7v@z2pLx@db.internal/etl\n"
            ),
            ["url: postgresql://etl:Qm…(10 chars)@db.internal/etl"]
        );
        let key = "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\\n-----END PRIVATE KEY-----\\n\"}\n";
        let shown = previews("sa.json", key);
        assert!(!shown.is_empty());
        for preview in shown {
            assert!(!preview.contains("MIIEvQ"), "{preview}");
        }
    }
}
