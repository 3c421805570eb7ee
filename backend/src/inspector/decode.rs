//! Unpacking a compressed response body so the learner can read it, while the
//! exchange still reports how many bytes crossed the wire.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};
use safelab_protocol::Decompressed;

use super::wire::{MAX_BODY_BYTES, RawResponse};

/// The body to show, and how it was unpacked if it was. Only the codings a
/// browser asks for without being told (`gzip`, `deflate`) are unpacked; any
/// other is shown as it arrived, and the `Content-Encoding` row says why it
/// looks like noise. At most [`MAX_BODY_BYTES`] are unpacked, so a small
/// "zip bomb" stays small.
pub fn readable_body(response: &RawResponse) -> (Cow<'_, [u8]>, Option<Decompressed>) {
    let as_sent = (Cow::Borrowed(response.body.as_slice()), None);
    let Some(encoding) = response
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-encoding"))
        .map(|(_, value)| value.trim().to_ascii_lowercase())
    else {
        return as_sent;
    };
    if response.body.is_empty() {
        return as_sent;
    }
    let body = response.body.as_slice();
    let unpacked = match encoding.as_str() {
        "gzip" | "x-gzip" => unpack(GzDecoder::new(body)),
        // "deflate" is zlib-wrapped by the standard; some servers send it raw.
        "deflate" => unpack(ZlibDecoder::new(body)).or_else(|| unpack(DeflateDecoder::new(body))),
        _ => None,
    };
    match unpacked {
        Some((bytes, truncated)) => {
            let decompressed = Decompressed {
                encoding,
                bytes: bytes.len() as u64,
                truncated,
            };
            (Cow::Owned(bytes), Some(decompressed))
        }
        None => as_sent,
    }
}

/// Everything `decoder` yields up to the cap, and whether it stopped early;
/// `None` if not even the start could be unpacked.
fn unpack(decoder: impl Read) -> Option<(Vec<u8>, bool)> {
    let mut bytes = Vec::new();
    let cap = MAX_BODY_BYTES as u64;
    let mut limited = decoder.take(cap + 1);
    let complete = limited.read_to_end(&mut bytes).is_ok();
    if bytes.is_empty() && !complete {
        return None;
    }
    let over = bytes.len() as u64 > cap;
    bytes.truncate(MAX_BODY_BYTES);
    Some((bytes, over || !complete))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn response(encoding: Option<&str>, body: Vec<u8>) -> RawResponse {
        RawResponse {
            http_version: "HTTP/1.1".into(),
            status: 200,
            reason: "OK".into(),
            headers: encoding
                .map(|value| vec![("Content-Encoding".to_owned(), value.to_owned())])
                .unwrap_or_default(),
            body,
            truncated: false,
            first_byte: None,
        }
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).expect("compress");
        encoder.finish().expect("compress")
    }

    #[test]
    fn gzip_is_unpacked_and_says_so() {
        let text = b"{\"rows\": [1, 2, 3]}".repeat(20);
        let raw = response(Some("gzip"), gzip(&text));
        let (body, decompressed) = readable_body(&raw);
        assert_eq!(body.as_ref(), text.as_slice());
        let decompressed = decompressed.expect("unpacked");
        assert_eq!(
            (decompressed.encoding.as_str(), decompressed.bytes),
            ("gzip", text.len() as u64)
        );
        assert!(!decompressed.truncated);
    }

    #[test]
    fn a_bomb_stops_at_the_cap() {
        let raw = response(Some("gzip"), gzip(&vec![0; MAX_BODY_BYTES * 4]));
        let (body, decompressed) = readable_body(&raw);
        assert_eq!(body.len(), MAX_BODY_BYTES);
        assert!(decompressed.expect("unpacked").truncated);
    }

    #[test]
    fn other_codings_and_garbage_are_shown_as_sent() {
        for (encoding, body) in [
            (Some("br"), b"\x1b\x00".to_vec()),
            (Some("gzip"), b"not gzip".to_vec()),
            (None, b"plain".to_vec()),
        ] {
            let raw = response(encoding, body.clone());
            let (shown, decompressed) = readable_body(&raw);
            assert_eq!(shown.as_ref(), body.as_slice(), "{encoding:?}");
            assert!(decompressed.is_none());
        }
    }
}
