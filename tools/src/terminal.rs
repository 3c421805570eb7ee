//! Text from the inputs (file names, previews, commit authors, pickle
//! strings) printed to a terminal: its control characters are shown, never
//! obeyed, so a line holding `ESC[1A ESC[2K` cannot erase a finding.

use std::fmt::Write as _;

/// `text` with every control character but the line break and the tab (C0,
/// DEL and C1: `ESC`, `CR`, `CSI`…) written as an escape (`\x1b`, `\u{9b}`).
pub fn terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\0'..='\x1f' | '\x7f' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            '\u{80}'..='\u{9f}' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(
            terminal("a\x1b[1A\x1b[2K\rb\u{9b}2Kc\x7f\n\td"),
            "a\\x1b[1A\\x1b[2K\\x0db\\u{9b}2Kc\\x7f\n\td"
        );
        assert_eq!(terminal("plain — text"), "plain — text");
    }
}
