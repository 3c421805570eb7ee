//! Python's `repr()` of the values a pickle's opcodes carry (str, bytes,
//! int, float), and the decoders `pickletools` applies to their text forms
//! (`codecs.escape_decode`, `raw-unicode-escape`, UTF-8 with
//! `surrogatepass`, `int()` and `float()` of a line), written to match
//! CPython 3.11 byte for byte.

use super::printable::PRINTABLE;

/// Whether CPython 3.11's `str.isprintable()` accepts the code point.
fn is_printable(c: u32) -> bool {
    if c < 0x80 {
        return (0x20..0x7f).contains(&c);
    }
    PRINTABLE
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// A decoded string as the inspector keeps it: its first code points
/// (surrogates allowed), its length, and which quotes it holds (which
/// `repr()` needs to pick its quote).
#[derive(Debug, Clone, Default)]
pub(super) struct Text {
    /// The first code points, at most the `keep` it was made with.
    pub prefix: Vec<u32>,
    /// How many code points it has in all.
    pub len: usize,
    /// Whether it holds a `'`.
    pub single: bool,
    /// Whether it holds a `"`.
    pub double: bool,
    /// How many code points to keep.
    keep: usize,
}

impl Text {
    /// An empty text that keeps at most `keep` code points.
    pub fn new(keep: usize) -> Self {
        Self {
            keep,
            ..Self::default()
        }
    }

    /// Adds one code point.
    pub fn push(&mut self, c: u32) {
        self.single |= c == u32::from(b'\'');
        self.double |= c == u32::from(b'"');
        if self.prefix.len() < self.keep {
            self.prefix.push(c);
        }
        self.len += 1;
    }

    /// Whether code points were dropped.
    pub fn truncated(&self) -> bool {
        self.len > self.prefix.len()
    }
}

/// Appends `repr(s)` of a string, stopping once `out` has grown by `limit`
/// characters or the kept prefix ends; returns whether it stopped early (the
/// closing quote is then missing).
pub(super) fn str_repr(text: &Text, limit: usize, out: &mut String) -> bool {
    let quote = if text.single && !text.double {
        '"'
    } else {
        '\''
    };
    let start = out.len();
    out.push(quote);
    for &c in &text.prefix {
        if out.len() - start > limit {
            return true;
        }
        match c {
            _ if c == quote as u32 || c == u32::from(b'\\') => {
                out.push('\\');
                out.push(quote_char(c));
            }
            0x09 => out.push_str("\\t"),
            0x0a => out.push_str("\\n"),
            0x0d => out.push_str("\\r"),
            _ if c < 0x20 || c == 0x7f => push_hex(out, 'x', c, 2),
            _ if c < 0x7f => out.push(quote_char(c)),
            _ if is_printable(c) => out.push(char::from_u32(c).unwrap_or('\u{fffd}')),
            _ if c <= 0xff => push_hex(out, 'x', c, 2),
            _ if c <= 0xffff => push_hex(out, 'u', c, 4),
            _ => push_hex(out, 'U', c, 8),
        }
    }
    if text.truncated() {
        return true;
    }
    out.push(quote);
    false
}

/// The ASCII character `c` (only called with `c < 0x80`).
fn quote_char(c: u32) -> char {
    char::from_u32(c).unwrap_or('?')
}

/// Appends `\` `kind` and `c` in `width` lowercase hex digits.
fn push_hex(out: &mut String, kind: char, c: u32, width: usize) {
    use std::fmt::Write;
    let _ = write!(out, "\\{kind}{c:0width$x}");
}

/// Appends `repr(b)` for bytes, stopping once `out` has grown by `limit`
/// characters; returns whether it stopped early.
pub(super) fn bytes_repr(bytes: &[u8], limit: usize, out: &mut String) -> bool {
    let has_single = bytes.contains(&b'\'');
    let has_double = bytes.contains(&b'"');
    let quote = if has_single && !has_double {
        b'"'
    } else {
        b'\''
    };
    let start = out.len();
    out.push('b');
    out.push(char::from(quote));
    for &b in bytes {
        if out.len() - start > limit {
            return true;
        }
        match b {
            _ if b == quote || b == b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => push_hex(out, 'x', u32::from(b), 2),
        }
    }
    out.push(char::from(quote));
    false
}

/// Python's `repr()` of a float.
pub(super) fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, as Python's
    // repr does; only the layout differs.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let decpt = exponent + 1;
    let mut out = String::new();
    if x.is_sign_negative() {
        out.push('-');
    }
    if decpt <= -4 || decpt > 16 {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = decpt - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", e.abs()));
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..-decpt {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let decpt = decpt as usize;
        if decpt >= digits.len() {
            out.push_str(&digits);
            for _ in digits.len()..decpt {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            out.push_str(&digits[..decpt]);
            out.push('.');
            out.push_str(&digits[decpt..]);
        }
    }
    out
}

/// CPython 3.11 refuses to turn an int of more digits than this into text.
pub(super) const INT_MAX_STR_DIGITS: usize = 4300;

/// Python's `int(line)` of a protocol 0 line (`INT`, `LONG`, `PUT`…), as
/// its decimal repr; `None` where Python raises.
pub(super) fn parse_int(line: &[u8]) -> Option<String> {
    let s = trim_ascii(line);
    let (negative, body) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = strip_underscores(body)?;
    if digits.is_empty() || digits.len() > INT_MAX_STR_DIGITS {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        return Some("0".into());
    }
    Some(if negative {
        format!("-{trimmed}")
    } else {
        trimmed.to_string()
    })
}

/// `body`'s decimal digits without the single underscores Python allows
/// between them; `None` if anything else is there.
fn strip_underscores(body: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut prev_digit = false;
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                out.push(char::from(b));
                prev_digit = true;
            }
            b'_' if prev_digit && body.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                prev_digit = false;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The bytes without the ASCII whitespace Python's `int()`/`float()` skip.
fn trim_ascii(s: &[u8]) -> &[u8] {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = s.iter().position(|b| !space(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !space(b)).map_or(start, |e| e + 1);
    &s[start..end]
}

/// Python's `float(line)` of a protocol 0 `FLOAT` line; `None` where Python
/// raises.
pub(super) fn parse_float(line: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(trim_ascii(line)).ok()?;
    let lower = s.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if lower.len() - unsigned.len() > 1 {
        return None;
    }
    let negative = lower.starts_with('-');
    let special = match unsigned {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = special {
        return Some(if negative { -v } else { v });
    }
    // Digits, one dot, an exponent; underscores only between digits.
    let bytes = unsigned.as_bytes();
    let mut clean = String::with_capacity(bytes.len() + 1);
    if negative {
        clean.push('-');
    }
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'_' => {
                let before = i > 0 && bytes[i - 1].is_ascii_digit();
                let after = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
                if !(before && after) {
                    return None;
                }
            }
            b'0'..=b'9' | b'.' | b'e' | b'+' | b'-' => clean.push(char::from(b)),
            _ => return None,
        }
    }
    if !clean.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    clean.parse().ok()
}

/// Python's `int.from_bytes(data, 'little', signed=True)` (pickle's
/// `decode_long`) as decimal text, for at most `max_len` bytes of data;
/// `None` when longer (the caller says how long instead).
pub(super) fn long_repr(data: &[u8], max_len: usize) -> Option<String> {
    if data.len() > max_len {
        return None;
    }
    if data.is_empty() {
        return Some("0".into());
    }
    let negative = data[data.len() - 1] & 0x80 != 0;
    // Magnitude as little-endian u32 limbs (two's complement negated).
    let mut bytes = data.to_vec();
    if negative {
        let mut carry = 1u16;
        for b in &mut bytes {
            let v = u16::from(!*b) + carry;
            *b = v as u8;
            carry = v >> 8;
        }
    }
    let mut limbs: Vec<u32> = bytes
        .chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            u32::from_le_bytes(w)
        })
        .collect();
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
    let mut groups = Vec::new();
    while !limbs.is_empty() {
        let mut rem = 0u64;
        for limb in limbs.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / 1_000_000_000) as u32;
            rem = cur % 1_000_000_000;
        }
        groups.push(rem as u32);
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
    }
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    match groups.split_last() {
        None => out.push('0'),
        Some((first, rest)) => {
            out.push_str(&first.to_string());
            for g in rest.iter().rev() {
                out.push_str(&format!("{g:09}"));
            }
        }
    }
    if out.trim_start_matches('-').len() > INT_MAX_STR_DIGITS {
        return None;
    }
    Some(out)
}

/// Decodes UTF-8 as Python's `str(data, 'utf-8', 'surrogatepass')` does,
/// to code points; `Err(index)` of the first bad byte.
pub(super) fn utf8_surrogatepass(data: &[u8], out: &mut Text) -> Result<(), usize> {
    if let Ok(s) = std::str::from_utf8(data) {
        s.chars().for_each(|c| out.push(u32::from(c)));
        return Ok(());
    }
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        let (len, min, init) = match b {
            0x00..=0x7f => {
                out.push(u32::from(b));
                i += 1;
                continue;
            }
            0xc2..=0xdf => (2, 0x80, u32::from(b & 0x1f)),
            0xe0..=0xef => (3, 0x800, u32::from(b & 0x0f)),
            0xf0..=0xf4 => (4, 0x10000, u32::from(b & 0x07)),
            _ => return Err(i),
        };
        let Some(tail) = data.get(i + 1..i + len) else {
            return Err(i);
        };
        let mut c = init;
        for &t in tail {
            if t & 0xc0 != 0x80 {
                return Err(i);
            }
            c = (c << 6) | u32::from(t & 0x3f);
        }
        if c < min || c > 0x10ffff {
            return Err(i);
        }
        out.push(c);
        i += len;
    }
    Ok(())
}

/// Python's `codecs.escape_decode(data)[0].decode("ascii")` (protocol 0
/// `STRING` and the names of `GLOBAL`/`INST` as `pickletools` reads them);
/// `None` where Python raises.
pub(super) fn escape_decode_ascii(data: &[u8], out: &mut Text) -> Option<()> {
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        i += 1;
        if b >= 0x80 {
            return None;
        }
        if b != b'\\' {
            out.push(u32::from(b));
            continue;
        }
        let &e = data.get(i)?;
        i += 1;
        match e {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(u32::from(e)),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b't' => out.push(0x09),
            b'n' => out.push(0x0a),
            b'r' => out.push(0x0d),
            b'v' => out.push(0x0b),
            b'a' => out.push(0x07),
            b'0'..=b'7' => {
                let mut c = u32::from(e - b'0');
                for _ in 0..2 {
                    match data.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            c = c * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                if c & 0xff >= 0x80 {
                    return None;
                }
                out.push(c & 0xff);
            }
            b'x' => {
                let hi = hex_digit(*data.get(i)?)?;
                let lo = hex_digit(*data.get(i + 1)?)?;
                i += 2;
                if hi >= 8 {
                    return None;
                }
                out.push(hi * 16 + lo);
            }
            _ => {
                out.push(u32::from(b'\\'));
                out.push(u32::from(e));
            }
        }
    }
    Some(())
}

/// The value of an ASCII hex digit.
fn hex_digit(b: u8) -> Option<u32> {
    char::from(b).to_digit(16)
}

/// Python's `str(data, 'raw-unicode-escape')` (protocol 0 `UNICODE`);
/// `None` where Python raises.
pub(super) fn raw_unicode_escape(data: &[u8], out: &mut Text) -> Option<()> {
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b != b'\\' {
            out.push(u32::from(b));
            i += 1;
            continue;
        }
        // A run of backslashes: an escape only after an odd count.
        let run_start = i;
        while i < data.len() && data[i] == b'\\' {
            i += 1;
        }
        let run = i - run_start;
        let count = match data.get(i) {
            Some(b'u') if run % 2 == 1 => 4,
            Some(b'U') if run % 2 == 1 => 8,
            _ => {
                (0..run).for_each(|_| out.push(u32::from(b'\\')));
                continue;
            }
        };
        (1..run).for_each(|_| out.push(u32::from(b'\\')));
        i += 1;
        let mut c = 0u32;
        for _ in 0..count {
            c = c * 16 + hex_digit(*data.get(i)?)?;
            i += 1;
        }
        if c > 0x10ffff {
            return None;
        }
        out.push(c);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(chars: impl IntoIterator<Item = u32>) -> Text {
        let mut t = Text::new(usize::MAX);
        chars.into_iter().for_each(|c| t.push(c));
        t
    }

    fn s(s: &str) -> String {
        let mut out = String::new();
        str_repr(&text(s.chars().map(u32::from)), usize::MAX, &mut out);
        out
    }

    #[test]
    fn strings_are_quoted_and_escaped_as_python_does() {
        assert_eq!(s("abc"), "'abc'");
        assert_eq!(s("it's"), "\"it's\"");
        assert_eq!(s("it's \"x\""), "'it\\'s \"x\"'");
        assert_eq!(s("a\\b\n\t\r\x00\x7f"), "'a\\\\b\\n\\t\\r\\x00\\x7f'");
        assert_eq!(s("é\u{a0}\u{ad}€\u{200b}😀"), "'é\\xa0\\xad€\\u200b😀'");
        assert_eq!(s("\u{e0001}"), "'\\U000e0001'");
    }

    #[test]
    fn a_long_string_stops_at_the_limit() {
        let mut t = Text::new(3);
        "abcdef".chars().for_each(|c| t.push(u32::from(c)));
        let mut out = String::new();
        assert!(str_repr(&t, 100, &mut out));
        assert_eq!(out, "'abc");
    }

    #[test]
    fn bytes_are_quoted_and_escaped_as_python_does() {
        let mut out = String::new();
        bytes_repr(b"a'\x00\xff\\", usize::MAX, &mut out);
        assert_eq!(out, "b\"a'\\x00\\xff\\\\\"");
    }

    #[test]
    fn floats_print_as_python_repr() {
        for (x, want) in [
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-300, "1.5e-300"),
            (f64::INFINITY, "inf"),
            (std::f64::consts::PI, "3.141592653589793"),
        ] {
            assert_eq!(float_repr(x), want);
        }
    }

    #[test]
    fn longs_decode_as_twos_complement() {
        assert_eq!(long_repr(&[], 10).as_deref(), Some("0"));
        assert_eq!(long_repr(&[0xff, 0x00], 10).as_deref(), Some("255"));
        assert_eq!(long_repr(&[0x00, 0xff], 10).as_deref(), Some("-256"));
        assert_eq!(long_repr(&[0xff; 9], 10).as_deref(), Some("-1"));
        assert_eq!(
            long_repr(&[0, 0, 0, 0, 0, 0, 0, 0, 1], 10).as_deref(),
            Some("18446744073709551616")
        );
        assert_eq!(long_repr(&[1; 11], 10), None);
    }

    #[test]
    fn text_numbers_parse_as_python_int_and_float() {
        assert_eq!(parse_int(b" 0012 ").as_deref(), Some("12"));
        assert_eq!(parse_int(b"-1_000").as_deref(), Some("-1000"));
        assert_eq!(parse_int(b"1__0"), None);
        assert_eq!(parse_int(b"12L"), None);
        assert_eq!(parse_float(b"-1.25"), Some(-1.25));
        assert_eq!(parse_float(b"1_0.5"), Some(10.5));
        assert_eq!(parse_float(b"x"), None);
    }

    #[test]
    fn escapes_decode_as_python() {
        let dec = |b: &[u8]| {
            let mut t = Text::new(usize::MAX);
            escape_decode_ascii(b, &mut t).map(|()| t.prefix)
        };
        assert_eq!(dec(b"a\\n\\x41\\101\\q").map(|v| v.len()), Some(6));
        assert_eq!(dec(b"\\x4"), None);
        assert_eq!(dec(b"\\"), None);
        assert_eq!(dec(b"\xe9"), None);
        let raw = |b: &[u8]| {
            let mut t = Text::new(usize::MAX);
            raw_unicode_escape(b, &mut t).map(|()| t.prefix)
        };
        let decoded = raw(b"\\u0041\\\\u0041").unwrap();
        assert_eq!(decoded[0], 0x41);
        assert_eq!(decoded.len(), 1 + 2 + 5);
        assert_eq!(raw(b"\\u00"), None);
    }

    #[test]
    fn utf8_passes_surrogates_only() {
        let dec = |b: &[u8]| {
            let mut t = Text::new(usize::MAX);
            utf8_surrogatepass(b, &mut t).map(|()| t.prefix)
        };
        assert_eq!(dec(b"a\xed\xa0\x80").unwrap(), vec![0x61, 0xd800]);
        assert_eq!(dec(b"a\xc0\x80"), Err(1));
        assert_eq!(dec(b"\xe2\x82"), Err(0));
    }
}
