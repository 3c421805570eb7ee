//! Accepting connections on safelab's listeners, plain or TLS, with the same
//! limits on every one: a cap on open connections, and bounds on how long a
//! client may take to send its first byte, finish its TLS handshake and send
//! its request headers.
//!
//! When the cap is reached, a new connection closes the one that has waited
//! longest for a request instead of being turned away, or failing that the one
//! that has been busy longest beyond a short grace: a script that opens
//! hundreds of connections and sends nothing, or drips its requests in byte by
//! byte, by accident or on purpose, cannot lock the learner out of the app. A
//! connection counts as busy from a request's head until its response has been
//! sent, so a slow download is not cut off for being "idle".
//!
//! Every request carries its peer's address (`ConnectInfo<SocketAddr>`), so a
//! handler can tell clients apart (lesson 5 limits guesses per client).
//!
//! A TLS listener may also be watched ([`HandshakeWatch`], lesson 6): told of
//! the alert a client sent when it refused the certificate, and of every
//! request served after a completed handshake. Unwatched listeners pay
//! nothing for it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::AlertDescription;
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;
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

impl Limits {
    /// These limits with the connection cap lowered where need be, so that
    /// `listeners` can all be full at once and the process still has file
    /// descriptors to spare (the inspector's own connections, the data
    /// folder). The soft limit on open files is raised first, as far as the
    /// system allows: many systems start programs at 256 or 1024.
    pub fn fitted_to_open_files(self, listeners: usize) -> Self {
        const SPARE: u64 = 128;
        let files = rlimit::increase_nofile_limit(16 * 1024).unwrap_or(1024);
        let per_listener = files.saturating_sub(SPARE) / (listeners as u64 + 1);
        let fitted = usize::try_from(per_listener.max(16)).unwrap_or(usize::MAX);
        Self {
            max_connections: self.max_connections.min(fitted),
            ..self
        }
    }
}

/// How a listener speaks TLS: its acceptor and, if it is watched, who is told
/// what clients did with its certificate.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    watch: Option<Arc<dyn HandshakeWatch>>,
}

impl Tls {
    /// TLS with `config`, unwatched.
    pub fn new(config: Arc<rustls::ServerConfig>) -> Self {
        Self {
            acceptor: TlsAcceptor::from(config),
            watch: None,
        }
    }

    /// TLS with `config`, its handshakes reported to `watch`.
    pub fn watched(config: Arc<rustls::ServerConfig>, watch: Arc<dyn HandshakeWatch>) -> Self {
        Self {
            acceptor: TlsAcceptor::from(config),
            watch: Some(watch),
        }
    }
}

/// Told what clients of a watched TLS listener did: refused its certificate
/// with an alert, or completed the handshake and sent requests. Called on the
/// connection's task: keep it quick and never block.
pub trait HandshakeWatch: Send + Sync + 'static {
    /// Whether the connection from `peer` is safelab's own (its inspector's).
    /// Asked as the client's first bytes arrive, while such a connection is
    /// sure to be registered as open; the answer is [`Client::own`].
    fn is_own(&self, peer: SocketAddr) -> bool;
    /// `client` ended the handshake with `alert`: it refused the certificate.
    fn refused(&self, client: &Client, alert: AlertDescription);
    /// A request from `client` arrived after a completed handshake.
    fn served(&self, client: &Client);
}

/// A client of a watched TLS listener.
#[derive(Debug, Clone)]
pub struct Client {
    /// Whether safelab's inspector opened the connection.
    pub own: bool,
    /// The certificate it presented, verified by the listener's client
    /// verifier; `None` where none was asked for or given.
    pub certificate: Option<CertificateDer<'static>>,
}

/// A connection busy for this long may be closed to make room when its
/// listener is full and no connection is waiting for a request.
const BUSY_GRACE: Duration = Duration::from_secs(2);

/// Serves `router` on every socket of `sockets` (one listener reachable at
/// several addresses) until the task is dropped, which closes the sockets and
/// every connection they accepted; with `tls`, every connection is TLS.
pub async fn serve(sockets: Vec<TcpListener>, router: Router, tls: Option<Tls>, limits: Limits) {
    let connections = Arc::new(Connections::new(limits.max_connections));
    // Dropped after the accept loops: a listener that is stopped (a learner's,
    // at its stop, its reset or the end of its life) keeps no connection open.
    let _close_all = CloseAll(connections.clone());
    // Dropped with this task, the set aborts every accept loop with it.
    let mut accepting = JoinSet::new();
    for socket in sockets {
        let (router, tls, connections) = (router.clone(), tls.clone(), connections.clone());
        accepting.spawn(accept_loop(socket, router, tls, limits, connections));
    }
    while accepting.join_next().await.is_some() {}
}

async fn accept_loop(
    socket: TcpListener,
    router: Router,
    tls: Option<Tls>,
    limits: Limits,
    connections: Arc<Connections>,
) {
    loop {
        let (tcp, peer) = match socket.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors: free one the way a full listener
                // does. Other accept errors (a reset before accept) pass. Either
                // way, pause briefly instead of spinning, then keep serving.
                if is_out_of_files(&error) {
                    connections.lock().evict_one(BUSY_GRACE);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(ticket) = connections.admit() else {
            // Every connection is busy with a request: this one waits its turn
            // in the kernel's backlog no longer; the client may retry.
            drop(tcp);
            continue;
        };
        let (router, tls) = (router.clone(), tls.clone());
        tokio::spawn(async move {
            let ticket = Arc::new(ticket);
            tokio::select! {
                () = ticket.evicted() => {}
                () = connection(tcp, peer, router, tls, limits, ticket.clone()) => {}
            }
        });
    }
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    router: Router,
    tls: Option<Tls>,
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
    match tls {
        None => serve_http(tcp, peer, router, limits, ticket, None).await,
        Some(Tls {
            acceptor,
            watch: None,
        }) => {
            if let Ok(Ok(stream)) = timeout(limits.handshake, acceptor.accept(tcp)).await {
                serve_http(stream, peer, router, limits, ticket, None).await;
            }
        }
        Some(Tls {
            acceptor,
            watch: Some(watch),
        }) => {
            let own = watch.is_own(peer);
            match timeout(limits.handshake, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    let certificate = stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|chain| chain.first())
                        .map(|certificate| certificate.clone().into_owned());
                    let client = Client { own, certificate };
                    let watched = Some((watch, Arc::new(client)));
                    serve_http(stream, peer, router, limits, ticket, watched).await;
                }
                Ok(Err(error)) => {
                    if let Some(alert) = alert_received(&error) {
                        let client = Client {
                            own,
                            certificate: None,
                        };
                        watch.refused(&client, alert);
                    }
                }
                Err(_) => {}
            }
        }
    }
}

/// The alert the client sent, when that is why the handshake failed.
fn alert_received(error: &std::io::Error) -> Option<AlertDescription> {
    match error.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::AlertReceived(alert) => Some(*alert),
        _ => None,
    }
}

async fn serve_http<S>(
    stream: S,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    ticket: Arc<Ticket>,
    watched: Option<(Arc<dyn HandshakeWatch>, Arc<Client>)>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (stream, heads) = Recording::new(stream, limits.max_head_bytes);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let (router, ticket, heads) = (router.clone(), ticket.clone(), heads.clone());
        if let Some((watch, client)) = &watched {
            watch.served(client);
        }
        async move {
            ticket.busy();
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            if let Some(head) = heads.next_head() {
                request.extensions_mut().insert(head);
            }
            let response: Result<Response, Infallible> = router.oneshot(request).await;
            // Busy until the body has been sent (or dropped half-way).
            response.map(|response| response.map(|body| Body::new(UntilSent { body, ticket })))
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

/// Whether an accept error means the process has no file descriptor left.
fn is_out_of_files(error: &std::io::Error) -> bool {
    // EMFILE and ENFILE on Linux and macOS alike.
    matches!(error.raw_os_error(), Some(23 | 24))
}

/// A response body that keeps its connection marked busy until it has been
/// sent in full or dropped.
struct UntilSent {
    body: Body,
    ticket: Arc<Ticket>,
}

impl HttpBody for UntilSent {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for UntilSent {
    fn drop(&mut self) {
        self.ticket.idle();
    }
}

/// The open connections of one listener, and what each is doing since when.
#[derive(Debug)]
struct Connections {
    max: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    next_id: u64,
    connections: HashMap<u64, Entry>,
    /// The listener has stopped: nothing more is admitted.
    closed: bool,
}

/// Closes every connection of a listener when its `serve` ends.
struct CloseAll(Arc<Connections>);

impl Drop for CloseAll {
    fn drop(&mut self) {
        let mut open = self.0.lock();
        open.closed = true;
        for (_, entry) in open.connections.drain() {
            entry.evict.notify_one();
        }
    }
}

#[derive(Debug)]
struct Entry {
    /// Handling a request (from its head until its response is sent).
    busy: bool,
    /// When the connection became busy or idle.
    since: Instant,
    evict: Arc<Notify>,
}

impl Open {
    /// Closes the connection that has waited longest for a request or, if none
    /// is waiting, the one busy longest beyond `grace`; false if none may go.
    fn evict_one(&mut self, grace: Duration) -> bool {
        let now = Instant::now();
        let victim = self
            .connections
            .iter()
            .filter(|(_, entry)| !entry.busy || now.duration_since(entry.since) >= grace)
            .min_by_key(|(_, entry)| (entry.busy, entry.since))
            .map(|(id, _)| *id);
        match victim.and_then(|id| self.connections.remove(&id)) {
            Some(evicted) => {
                evicted.evict.notify_one();
                true
            }
            None => false,
        }
    }
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

    /// Admits a new connection, making room if the listener is full; `None`
    /// when every open connection has been busy for less than the grace.
    fn admit(self: &Arc<Self>) -> Option<Ticket> {
        let mut open = self.lock();
        if open.closed || open.connections.len() >= self.max && !open.evict_one(BUSY_GRACE) {
            return None;
        }
        let id = open.next_id;
        open.next_id += 1;
        let evict = Arc::new(Notify::new());
        open.connections.insert(
            id,
            Entry {
                busy: false,
                since: Instant::now(),
                evict: evict.clone(),
            },
        );
        Some(Ticket {
            id,
            connections: self.clone(),
            evict,
        })
    }

    fn set_busy(&self, id: u64, busy: bool) {
        if let Some(entry) = self.lock().connections.get_mut(&id) {
            entry.busy = busy;
            entry.since = Instant::now();
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
        self.connections.set_busy(self.id, true);
    }

    fn idle(&self) {
        self.connections.set_busy(self.id, false);
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

    fn is_open(connections: &Connections, ticket: &Ticket) -> bool {
        connections.lock().connections.contains_key(&ticket.id)
    }

    #[test]
    fn a_full_listener_closes_the_connection_that_waited_longest() {
        let connections = Arc::new(Connections::new(2));
        let first = connections.admit().expect("room");
        let second = connections.admit().expect("room");
        second.busy();
        let third = connections
            .admit()
            .expect("the waiting first one makes room");
        assert!(!is_open(&connections, &first));
        third.busy();
        assert!(
            connections.admit().is_none(),
            "every connection has just started handling a request"
        );
        second.idle();
        let fourth = connections.admit().expect("the second, done, makes room");
        assert!(!is_open(&connections, &second));
        drop(third);
        let open: Vec<u64> = connections.lock().connections.keys().copied().collect();
        assert_eq!(open, [fourth.id], "only the fourth is still open");
    }

    #[test]
    fn a_connection_busy_beyond_the_grace_makes_room_when_none_waits() {
        let connections = Arc::new(Connections::new(1));
        let slow = connections.admit().expect("room");
        slow.busy();
        connections
            .lock()
            .connections
            .get_mut(&slow.id)
            .expect("open")
            .since -= BUSY_GRACE;
        let next = connections.admit().expect("the slow one makes room");
        assert!(!is_open(&connections, &slow));
        assert!(is_open(&connections, &next));
    }
}
