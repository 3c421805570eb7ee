//! The inspector's HTTP/1.1 client: it writes the request bytes itself and reads
//! the response by hand, so the learner sees exactly what crossed the wire.

use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::InspectorError;

/// The longest response head (status line and headers) the inspector reads.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most body bytes kept; the rest is cut and the exchange marked truncated.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
const MAX_HEADERS: usize = 128;

/// A response as it was read from the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub http_version: String,
    /// The status code.
    pub status: u16,
    /// The reason phrase as sent.
    pub reason: String,
    /// Headers in wire order.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked, at most [`MAX_BODY_BYTES`].
    pub body: Vec<u8>,
    /// Whether the body was cut.
    pub truncated: bool,
    /// When the first byte of the response arrived.
    pub first_byte: Option<Instant>,
}

/// Checks a method and headers and lays out the request bytes: request line,
/// `Host`, the learner's headers, and the headers a client must add.
pub fn encode_request(
    method: &str,
    path_and_query: &str,
    authority: &str,
    headers: &[(String, String)],
    body: &str,
) -> Result<Vec<u8>, InspectorError> {
    if method.is_empty() || !method.bytes().all(is_token_byte) {
        return Err(InspectorError::InvalidMethod(method.to_owned()));
    }
    if path_and_query
        .bytes()
        .any(|byte| byte.is_ascii_whitespace() || byte.is_ascii_control())
    {
        return Err(InspectorError::InvalidUrl {
            url: path_and_query.to_owned(),
            reason: "the path contains spaces or control characters: percent-encode them".into(),
        });
    }
    for (name, value) in headers {
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(InspectorError::InvalidHeader {
                name: name.clone(),
                reason: "a header name is letters, digits and - only (no spaces or colons)".into(),
            });
        }
        if value.bytes().any(|byte| matches!(byte, b'\r' | b'\n' | 0)) {
            return Err(InspectorError::InvalidHeader {
                name: name.clone(),
                reason: "a header value cannot contain line breaks".into(),
            });
        }
    }
    let has = |wanted: &str| {
        headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(wanted))
    };
    let mut request = format!("{method} {path_and_query} HTTP/1.1\r\n");
    if !has("host") {
        request.push_str(&format!("Host: {authority}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !has("user-agent") {
        request.push_str(concat!(
            "User-Agent: safelab-inspector/",
            env!("CARGO_PKG_VERSION"),
            "\r\n"
        ));
    }
    if !has("accept") {
        request.push_str("Accept: */*\r\n");
    }
    if !body.is_empty() && !has("content-length") && !has("transfer-encoding") {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    if !has("connection") {
        // One request per connection keeps the timings honest and the reading simple.
        request.push_str("Connection: close\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    Ok(request.into_bytes())
}

/// `tchar` of RFC 9110: what may appear in a method or header name.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Writes the request, then reads one response.
pub async fn send<S>(
    stream: &mut S,
    request: &[u8],
    head_only: bool,
) -> Result<RawResponse, InspectorError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    stream
        .write_all(request)
        .await
        .map_err(InspectorError::io("sending the request"))?;
    stream
        .flush()
        .await
        .map_err(InspectorError::io("sending the request"))?;
    read_response(stream, head_only).await
}

async fn read_response<S>(stream: &mut S, head_only: bool) -> Result<RawResponse, InspectorError>
where
    S: AsyncRead + Unpin,
{
    let mut buffer = Vec::with_capacity(16 * 1024);
    let mut first_byte = None;
    let mut read_more = true;
    loop {
        // Anything but 0 means "the connection may still send more".
        let mut read = usize::MAX;
        if read_more {
            read = read_some(stream, &mut buffer).await?;
            if first_byte.is_none() && read > 0 {
                first_byte = Some(Instant::now());
            }
        }
        read_more = true;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let parsed = response.parse(&buffer).map_err(|error| {
            InspectorError::MalformedResponse(if is_tls_record(&buffer) {
                "the server answered in TLS, not plain HTTP: this port speaks HTTPS, so use an https:// URL".into()
            } else {
                format!("the response head is not HTTP/1.x: {error}")
            })
        })?;
        let head_length = match parsed {
            httparse::Status::Complete(length) => length,
            httparse::Status::Partial if read == 0 => {
                return Err(InspectorError::MalformedResponse(if buffer.is_empty() {
                    "the server closed the connection without answering".into()
                } else {
                    "the server closed the connection in the middle of the response head".into()
                }));
            }
            httparse::Status::Partial if buffer.len() > MAX_HEAD_BYTES => {
                return Err(InspectorError::MalformedResponse(format!(
                    "the response head is larger than {MAX_HEAD_BYTES} bytes"
                )));
            }
            httparse::Status::Partial => continue,
        };
        let status = response.code.unwrap_or_default();
        let head = RawResponse {
            http_version: format!("HTTP/1.{}", response.version.unwrap_or(1)),
            status,
            reason: response.reason.unwrap_or_default().to_owned(),
            headers: response
                .headers
                .iter()
                .map(|header| {
                    (
                        header.name.to_owned(),
                        String::from_utf8_lossy(header.value).into_owned(),
                    )
                })
                .collect(),
            body: Vec::new(),
            truncated: false,
            first_byte,
        };
        buffer.drain(..head_length);
        if (100..200).contains(&status) && status != 101 {
            // An interim response (100 Continue, 103 Early Hints): the final one
            // follows, and may already be in the buffer.
            read_more = buffer.is_empty();
            continue;
        }
        let framing = Framing::of(&head, head_only);
        return read_body(stream, buffer, head, framing).await;
    }
}

/// Whether `bytes` open with a TLS record header (handshake or alert, version 3.x).
fn is_tls_record(bytes: &[u8]) -> bool {
    matches!(bytes, [0x15 | 0x16, 0x03, ..])
}

/// How the end of the body is known (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    None,
    Chunked,
    Length(usize),
    UntilClose,
}

impl Framing {
    fn of(head: &RawResponse, head_only: bool) -> Self {
        let header = |name: &str| {
            head.headers
                .iter()
                .find(|(header, _)| header.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        };
        if head_only || matches!(head.status, 101 | 204 | 304) {
            Self::None
        } else if header("transfer-encoding")
            .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"))
        {
            Self::Chunked
        } else if let Some(length) =
            header("content-length").and_then(|value| value.trim().parse().ok())
        {
            Self::Length(length)
        } else {
            Self::UntilClose
        }
    }
}

async fn read_body<S>(
    stream: &mut S,
    mut raw: Vec<u8>,
    mut head: RawResponse,
    framing: Framing,
) -> Result<RawResponse, InspectorError>
where
    S: AsyncRead + Unpin,
{
    let mut cut = false;
    loop {
        let complete = match framing {
            Framing::None => true,
            Framing::Length(length) => raw.len() >= length,
            Framing::Chunked => {
                raw.ends_with(b"\r\n") && decode_chunked(&raw).is_some_and(|(_, done)| done)
            }
            Framing::UntilClose => false,
        };
        if complete {
            break;
        }
        if raw.len() > MAX_BODY_BYTES {
            cut = true;
            break;
        }
        if read_some(stream, &mut raw).await? == 0 {
            if let Framing::Length(length) = framing {
                return Err(InspectorError::MalformedResponse(format!(
                    "the server announced {length} body bytes but closed the connection after {}",
                    raw.len()
                )));
            }
            break;
        }
    }
    let mut body = match framing {
        Framing::None => Vec::new(),
        Framing::Chunked => match decode_chunked(&raw) {
            Some((body, _)) => body,
            None => {
                return Err(InspectorError::MalformedResponse(
                    "the chunked body is malformed (a chunk size is not hexadecimal)".into(),
                ));
            }
        },
        Framing::Length(length) => {
            raw.truncate(length);
            raw
        }
        Framing::UntilClose => raw,
    };
    if cut || body.len() > MAX_BODY_BYTES {
        body.truncate(MAX_BODY_BYTES);
        head.truncated = true;
    }
    head.body = body;
    Ok(head)
}

async fn read_some<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
) -> Result<usize, InspectorError> {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk).await {
        Ok(read) => {
            buffer.extend_from_slice(&chunk[..read]);
            Ok(read)
        }
        // A TLS peer that closes without close_notify: what was read is all there is.
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
        Err(error) => Err(InspectorError::io("reading the response")(error)),
    }
}

/// Decodes as much of a chunked body as is there. Returns the data and whether
/// the last chunk was seen, or `None` if the framing is broken.
fn decode_chunked(mut raw: &[u8]) -> Option<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = raw.windows(2).position(|pair| pair == b"\r\n") else {
            return Some((body, false));
        };
        let size_text = std::str::from_utf8(&raw[..line_end]).ok()?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some((body, true));
        }
        if raw.len() < size {
            body.extend_from_slice(raw);
            return Some((body, false));
        }
        body.extend_from_slice(&raw[..size]);
        raw = raw.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bytes_have_host_first_and_close_last() {
        let bytes = encode_request(
            "GET",
            "/lab/../x?y=1",
            "localhost:7878",
            &[("X-Learner".into(), "Ning".into())],
            "",
        )
        .expect("valid");
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.starts_with(
            "GET /lab/../x?y=1 HTTP/1.1\r\nHost: localhost:7878\r\nX-Learner: Ning\r\n"
        ));
        assert!(text.ends_with("Connection: close\r\n\r\n"));
        assert!(!text.contains("Content-Length"));
    }

    #[test]
    fn a_body_gets_its_length_and_own_headers_win() {
        let bytes = encode_request(
            "POST",
            "/lab/echo",
            "localhost",
            &[
                ("host".into(), "example.test".into()),
                ("Accept".into(), "application/json".into()),
            ],
            "{\"a\":1}",
        )
        .expect("valid");
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.contains("host: example.test\r\n"));
        assert!(!text.contains("Host: localhost"));
        assert!(!text.contains("Accept: */*"));
        assert!(text.contains("Content-Length: 7\r\n"));
        assert!(text.ends_with("\r\n\r\n{\"a\":1}"));
    }

    fn encode(
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<String, InspectorError> {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        encode_request(method, path, "h", &headers, body)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }

    #[test]
    fn header_injection_and_bad_methods_are_refused() {
        let crlf = encode("GET", "/", &[("X", "a\r\nInjected: yes")], "");
        assert!(matches!(crlf, Err(InspectorError::InvalidHeader { .. })));
        let spaced_name = encode("GET", "/", &[("Bad Name", "v")], "");
        assert!(matches!(
            spaced_name,
            Err(InspectorError::InvalidHeader { .. })
        ));
        let spaced_method = encode("GE T", "/", &[], "");
        assert!(matches!(
            spaced_method,
            Err(InspectorError::InvalidMethod(_))
        ));
        let spaced_path = encode("GET", "/a b", &[], "");
        assert!(matches!(
            spaced_path,
            Err(InspectorError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn chunked_bodies_are_decoded() {
        let (body, done) =
            decode_chunked(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n").expect("well formed");
        assert_eq!((body.as_slice(), done), (&b"hello world"[..], true));
        let (partial, done) = decode_chunked(b"5\r\nhel").expect("well formed so far");
        assert_eq!((partial.as_slice(), done), (&b"hel"[..], false));
        assert!(decode_chunked(b"zz\r\nhello\r\n").is_none());
    }

    async fn respond(raw: &'static [u8], head_only: bool) -> Result<RawResponse, InspectorError> {
        let (mut client, mut server) = tokio::io::duplex(64 * 1024);
        tokio::spawn(async move {
            let _ = server.write_all(raw).await;
        });
        read_response(&mut client, head_only).await
    }

    #[tokio::test]
    async fn reads_status_headers_in_order_and_a_sized_body() {
        let response = respond(
            b"HTTP/1.1 418 I'm a teapot\r\nB: 2\r\nA: 1\r\nContent-Length: 5\r\n\r\nshort and stout",
            false,
        )
        .await
        .expect("parses");
        assert_eq!(
            (response.status, response.reason.as_str()),
            (418, "I'm a teapot")
        );
        assert_eq!(response.headers[0], ("B".into(), "2".into()));
        assert_eq!(response.body, b"short");
    }

    #[tokio::test]
    async fn skips_interim_responses_and_honours_head() {
        let response = respond(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
            true,
        )
        .await
        .expect("parses");
        assert_eq!(response.status, 200);
        assert!(response.body.is_empty());
    }

    #[tokio::test]
    async fn a_buffered_final_response_after_an_interim_one_is_read_at_once() {
        // The server sends both and keeps the connection open: nothing more will come.
        let (mut client, mut server) = tokio::io::duplex(64 * 1024);
        server
            .write_all(b"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
            .await
            .expect("written");
        let response = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            read_response(&mut client, false),
        )
        .await
        .expect("no wait for more bytes")
        .expect("parses");
        assert_eq!(response.status, 204);
        drop(server);
    }

    #[tokio::test]
    async fn garbage_and_silence_are_clear_errors() {
        let garbage = respond(b"SSH-2.0-OpenSSH\r\n\r\n", false).await;
        assert!(matches!(garbage, Err(InspectorError::MalformedResponse(_))));
        let silence = respond(b"", false).await;
        assert!(
            matches!(silence, Err(InspectorError::MalformedResponse(message)) if message.contains("without answering"))
        );
    }
}
