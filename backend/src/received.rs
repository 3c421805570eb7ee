//! Request heads exactly as they arrived on the wire.
//!
//! HTTP libraries hand a server its headers already normalised: names in lower
//! case, repeated names grouped. The lab wants to show a learner what their
//! client really sent, so every connection is read through a [`Recording`]
//! that keeps the bytes of each request head; the head is attached to its
//! request as a [`ReceivedHead`] extension.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A request head as the server received it: request line and headers, with
/// the names spelt and ordered as the client sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedHead {
    /// The head's bytes as text (invalid UTF-8 shown as U+FFFD), ending with the blank line.
    pub raw: String,
    /// Every header in wire order, names as sent.
    pub headers: Vec<(String, String)>,
}

/// A stream that records the request heads read through it.
#[derive(Debug)]
pub struct Recording<S> {
    inner: S,
    log: Arc<Mutex<Log>>,
}

/// The heads recorded on one connection, taken in order, one per request.
#[derive(Debug, Clone)]
pub struct Heads(Arc<Mutex<Log>>);

impl<S> Recording<S> {
    /// Wraps `inner`; heads larger than `max_head_bytes` are not recorded.
    pub fn new(inner: S, max_head_bytes: usize) -> (Self, Heads) {
        let log = Arc::new(Mutex::new(Log::new(max_head_bytes)));
        (
            Self {
                inner,
                log: log.clone(),
            },
            Heads(log),
        )
    }
}

impl Heads {
    /// The head of the next request on this connection, if it could be told
    /// apart (it cannot after a chunked request body, for instance).
    pub fn next_head(&self) -> Option<ReceivedHead> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next_head()
    }
}

/// Bytes read but not yet attributed to a request.
#[derive(Debug)]
struct Log {
    pending: Vec<u8>,
    /// Body bytes of the last request still to come, which are not kept.
    skip: usize,
    /// Room for pipelined heads and the start of a body, beyond one head.
    max: usize,
    /// Where one request ends is no longer known: record nothing more.
    lost: bool,
}

impl Log {
    fn new(max_head_bytes: usize) -> Self {
        Self {
            pending: Vec::new(),
            skip: 0,
            max: max_head_bytes.saturating_mul(2),
            lost: false,
        }
    }

    fn record(&mut self, mut data: &[u8]) {
        if self.lost {
            return;
        }
        let skipped = data.len().min(self.skip);
        self.skip -= skipped;
        data = &data[skipped..];
        if self.pending.len() + data.len() > self.max {
            self.lose();
            return;
        }
        self.pending.extend_from_slice(data);
    }

    fn lose(&mut self) {
        self.lost = true;
        self.pending = Vec::new();
    }

    fn next_head(&mut self) -> Option<ReceivedHead> {
        if self.lost {
            return None;
        }
        let mut slots = [httparse::EMPTY_HEADER; 128];
        let mut request = httparse::Request::new(&mut slots);
        let Ok(httparse::Status::Complete(length)) = request.parse(&self.pending) else {
            self.lose();
            return None;
        };
        let headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|header| {
                (
                    header.name.to_owned(),
                    String::from_utf8_lossy(header.value).into_owned(),
                )
            })
            .collect();
        let value = |name: &str| {
            headers
                .iter()
                .filter(|(header, _)| header.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.trim())
                .collect::<Vec<_>>()
        };
        let body = match (
            value("transfer-encoding").as_slice(),
            value("content-length").as_slice(),
        ) {
            ([], []) => Some(0),
            ([], [length]) => length.parse::<usize>().ok(),
            // Chunked or otherwise framed bodies, or conflicting lengths: where
            // the next request starts is hyper's business, not worth redoing.
            _ => None,
        };
        let head = ReceivedHead {
            raw: String::from_utf8_lossy(&self.pending[..length]).into_owned(),
            headers,
        };
        self.pending.drain(..length);
        match body {
            Some(body) => {
                let present = body.min(self.pending.len());
                self.pending.drain(..present);
                self.skip = body - present;
            }
            None => self.lose(),
        }
        Some(head)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recording<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            self.log
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .record(&buf.filled()[before..]);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recording<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(chunks: &[&[u8]]) -> Log {
        let mut log = Log::new(1024);
        for chunk in chunks {
            log.record(chunk);
        }
        log
    }

    #[test]
    fn a_head_keeps_the_names_as_sent() {
        let mut log = log_of(&[
            b"GET /lab/headers HTTP/1.1\r\nHost: x\r\nX-Learner: Ning\r\nx-learner: again\r\n\r\n",
        ]);
        let head = log.next_head().expect("a head");
        assert!(
            head.raw
                .starts_with("GET /lab/headers HTTP/1.1\r\nHost: x\r\n")
        );
        assert!(head.raw.ends_with("\r\n\r\n"));
        assert_eq!(
            head.headers,
            [("Host", "x"), ("X-Learner", "Ning"), ("x-learner", "again")]
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
        );
    }

    #[test]
    fn bodies_are_skipped_and_pipelined_heads_found() {
        let mut log = log_of(&[
            b"POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345",
            b"67890GET /b HTTP/1.1\r\nHost: y\r\n\r\n",
        ]);
        assert!(log.next_head().expect("first").raw.starts_with("POST /a"));
        assert!(log.next_head().expect("second").raw.starts_with("GET /b"));
        // A body that arrives after its head was taken is skipped too.
        let mut log = log_of(&[b"PUT /c HTTP/1.1\r\nContent-Length: 4\r\n\r\n"]);
        assert!(log.next_head().is_some());
        log.record(b"bodyGET /d HTTP/1.1\r\n\r\n");
        assert!(
            log.next_head()
                .expect("after the body")
                .raw
                .starts_with("GET /d")
        );
    }

    #[test]
    fn unknown_framing_and_floods_stop_the_recording() {
        let mut chunked = log_of(&[b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n"]);
        assert!(chunked.next_head().is_some());
        assert!(chunked.next_head().is_none());
        let mut flood = Log::new(16);
        flood.record(&[b'a'; 64]);
        assert!(flood.next_head().is_none());
    }
}
