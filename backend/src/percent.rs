//! Percent-decoding, strict and as naive servers do it: for the lab's
//! handlers and for the inspector's judgement of where a path leads.

/// A `%` not followed by two hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadEscape {
    /// Where the `%` is, in bytes from the start.
    pub at: usize,
}

/// Decodes every `%XX`; a `%` without two hex digits is an error.
pub fn decode_strict(text: &str) -> Result<Vec<u8>, BadEscape> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let byte = hex_pair(bytes, index).ok_or(BadEscape { at: index })?;
            decoded.push(byte);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    Ok(decoded)
}

/// Decodes every valid `%XX` and keeps anything else as it is, the way many
/// hand-written servers do.
pub fn decode_lenient(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match (bytes[index], hex_pair(bytes, index)) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    decoded
}

fn hex_pair(bytes: &[u8], index: usize) -> Option<u8> {
    let pair = bytes.get(index + 1..index + 3)?;
    let digit = |byte: u8| (byte as char).to_digit(16);
    Some(u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_decoding_refuses_what_lenient_decoding_keeps() {
        assert_eq!(decode_strict("a%2Fb%2e").expect("valid"), b"a/b.");
        assert_eq!(decode_strict("100%"), Err(BadEscape { at: 3 }));
        assert_eq!(decode_strict("%zz"), Err(BadEscape { at: 0 }));
        assert_eq!(decode_lenient("100%"), b"100%");
        assert_eq!(decode_lenient("%zz%41"), b"%zzA");
        assert_eq!(decode_lenient("%252e"), b"%2e");
    }
}
