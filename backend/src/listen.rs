//! Accepting connections on safelab's listeners, plain or TLS, with the same
//! limits on every one: a cap on open connections, and bounds on how long a
//! client may take to send its first byte, finish its TLS handshake and send
//! its request headers.
//!
//! When the cap is reached, a new connection closes the one that has been idle
//! the longest (no request being handled) instead of being turned away: a
//! script that opens hundreds of connections and sends nothing, by accident or
//! on purpose, cannot lock the learner out of the app.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::received::Recording;

/// The limits every listener applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Open connections per listener; at the cap, the longest-idle one is closed.
    pub max_connections: usize,
    /// How long a new connection may stay silent before it is closed.
    pub first_byte: Duration,
    /// How long a TLS handshake may take.
    pub handshake: Duration,
    /// How long a client may take to send a request's headers, and how long a
    /// kept-alive connection may wait for its next request.
    pub headers: Duration,
    /// The largest request head (request line and headers) read, in bytes.
    pub max_head_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 512,
            first_byte: Duration::from_secs(10),
            handshake: Duration::from_secs(10),
            headers: Duration::from_secs(10),
            max_head_bytes: 64 * 1024,
        }
    }
}

/// Serves `router` on every socket of `sockets` (one listener reachable at
/// several addresses) until the task is dropped; with an `acceptor`, every
/// connection is TLS.
pub async fn serve(
    sockets: Vec<TcpListener>,
    router: Router,
    acceptor: Option<TlsAcceptor>,
    limits: Limits,
) {
    let connections = Arc::new(Connections::new(limits.max_connections));
    let accepting = sockets.into_iter().map(|socket| {
        let (router, acceptor, connections) =
            (router.clone(), acceptor.clone(), connections.clone());
        tokio::spawn(accept_loop(socket, router, acceptor, limits, connections))
    });
    for task in accepting.collect::<Vec<_>>() {
        let _ = task.await;
    }
}

async fn accept_loop(
    socket: TcpListener,
    router: Router,
    acceptor: Option<TlsAcceptor>,
    limits: Limits,
    connections: Arc<Connections>,
) {
    loop {
        let Ok((tcp, _peer)) = socket.accept().await else {
            // Accept errors (too many open files, a reset before accept) pass:
            // pause briefly instead of spinning, then keep serving.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Some(ticket) = connections.admit() else {
            // Every connection is busy with a request: this one waits its turn
            // in the kernel's backlog no longer; the client may retry.
            drop(tcp);
            continue;
        };
        let (router, acceptor) = (router.clone(), acceptor.clone());
        tokio::spawn(async move {
            let ticket = Arc::new(ticket);
            tokio::select! {
                () = ticket.evicted() => {}
                () = connection(tcp, router, acceptor, limits, ticket.clone()) => {}
            }
        });
    }
}

async fn connection(
    tcp: TcpStream,
    router: Router,
    acceptor: Option<TlsAcceptor>,
    limits: Limits,
    ticket: Arc<Ticket>,
) {
    let _ = tcp.set_nodelay(true);
    // A connection that never sends a byte would otherwise be held until the
    // peer gives up: hyper's header timer starts only once reading begins.
    match timeout(limits.first_byte, tcp.peek(&mut [0u8; 1])).await {
        Ok(Ok(read)) if read > 0 => {}
        _ => return,
    }
    match acceptor {
        None => serve_http(tcp, router, limits, ticket).await,
        Some(acceptor) => {
            if let Ok(Ok(tls)) = timeout(limits.handshake, acceptor.accept(tcp)).await {
                serve_http(tls, router, limits, ticket).await;
            }
        }
    }
}

async fn serve_http<S>(stream: S, router: Router, limits: Limits, ticket: Arc<Ticket>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (stream, heads) = Recording::new(stream, limits.max_head_bytes);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let (router, ticket, heads) = (router.clone(), ticket.clone(), heads.clone());
        async move {
            ticket.busy();
            let mut request = request.map(Body::new);
            if let Some(head) = heads.next_head() {
                request.extensions_mut().insert(head);
            }
            let response: Result<Response, Infallible> = router.oneshot(request).await;
            ticket.idle();
            response
        }
    });
    // HTTP/1.1 only: it is what the lessons read on the wire, and its header
    // timeout bounds every connection. An HTTP/2 preface is refused.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.headers)
        .max_buf_size(limits.max_head_bytes.max(8192));
    // A client that hangs up mid-request is its own business; nothing to report.
    let _ = builder
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// The open connections of one listener, and since when each has been idle.
#[derive(Debug)]
struct Connections {
    max: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    next_id: u64,
    connections: HashMap<u64, Entry>,
}

#[derive(Debug)]
struct Entry {
    /// `None` while a request is being handled.
    idle_since: Option<Instant>,
    evict: Arc<Notify>,
}

impl Connections {
    fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            open: Mutex::new(Open::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a new connection, closing the longest-idle one if the listener is
    /// full; `None` when every open connection is handling a request.
    fn admit(self: &Arc<Self>) -> Option<Ticket> {
        let mut open = self.lock();
        if open.connections.len() >= self.max {
            let oldest = open
                .connections
                .iter()
                .filter_map(|(id, entry)| entry.idle_since.map(|since| (since, *id)))
                .min()?
                .1;
            if let Some(evicted) = open.connections.remove(&oldest) {
                evicted.evict.notify_one();
            }
        }
        let id = open.next_id;
        open.next_id += 1;
        let evict = Arc::new(Notify::new());
        open.connections.insert(
            id,
            Entry {
                idle_since: Some(Instant::now()),
                evict: evict.clone(),
            },
        );
        Some(Ticket {
            id,
            connections: self.clone(),
            evict,
        })
    }

    fn set_idle(&self, id: u64, idle: bool) {
        if let Some(entry) = self.lock().connections.get_mut(&id) {
            entry.idle_since = idle.then(Instant::now);
        }
    }
}

/// One admitted connection's place in its listener's [`Connections`].
#[derive(Debug)]
struct Ticket {
    id: u64,
    connections: Arc<Connections>,
    evict: Arc<Notify>,
}

impl Ticket {
    fn busy(&self) {
        self.connections.set_idle(self.id, false);
    }

    fn idle(&self) {
        self.connections.set_idle(self.id, true);
    }

    /// Resolves when a newer connection needed this one's place.
    async fn evicted(&self) {
        self.evict.notified().await;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.connections.lock().connections.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_listener_closes_its_longest_idle_connection() {
        let connections = Arc::new(Connections::new(2));
        let first = connections.admit().expect("room");
        let second = connections.admit().expect("room");
        second.busy();
        let third = connections.admit().expect("the idle first one makes room");
        assert!(!connections.lock().connections.contains_key(&first.id));
        third.busy();
        assert!(
            connections.admit().is_none(),
            "every connection is handling a request"
        );
        second.idle();
        let fourth = connections.admit().expect("the idle second one makes room");
        drop(third);
        let open: Vec<u64> = connections.lock().connections.keys().copied().collect();
        assert_eq!(open, [fourth.id], "only the fourth is still open");
    }
}
