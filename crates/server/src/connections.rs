//! Connections: the accept loop every listener (plain and TLS) runs through, the timeouts that
//! bound a slow client, and the caps on connections and requests, in all and per client IP.
//!
//! - **Header read timeout** (`header_read_timeout_secs`): hyper's HTTP/1 timer runs from the
//!   moment the server starts waiting for a request head (a new connection, a finished TLS
//!   handshake, or the end of the previous response on a keep-alive connection) until the head
//!   is complete. A client that trickles its headers, or leaves a connection idle, is
//!   disconnected when it runs out; so this is also the keep-alive idle timeout (hyper starts
//!   one timer for both, and a separate idle timeout would need our own I/O wrapper).
//! - **Body read timeout** (`body_read_timeout_secs`): enforced where the API reads the body
//!   ([`crate::http`]); the client gets `408 RequestTimeoutException` and the connection is
//!   closed.
//! - **Connection caps** (`max_connections`, `max_connections_per_ip`): checked at TCP accept,
//!   before any TLS handshake; a connection over a cap is closed at once, unread. Nothing is
//!   written to it: an HTTP answer would first need the request read (and, with TLS, a
//!   handshake), which is the work a cap exists to refuse; the SDKs retry a closed connection.
//! - **Request caps** (`max_requests_in_flight`, `max_requests_in_flight_per_ip`): checked by the
//!   API route before the body is read; a request over a cap gets AWS's throttling answer,
//!   HTTP 400 `ThrottlingException` "Rate exceeded". HTTP/1.1 serves one request at a time per
//!   connection, so a client's requests in flight are also bounded by its connections.
//!
//! Graceful shutdown: the listener closes first (no new connections), then every connection is
//! told to finish: idle ones close, ones serving a request answer it and then close.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ConnectInfo;
use coffer_protocol::exposition::{self, Kind};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tower::ServiceExt;

/// The client's address, recorded per connection by plain and TLS listeners alike
/// ([`serve`]); it feeds `aws:SourceIp`, the per-IP request cap and the audit trail. It is
/// declared here, below both the HTTP routes and the audit, which read it.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// The caps, as configured.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// Connections open at once, in all.
    pub connections: usize,
    /// Connections open at once from one IP address.
    pub connections_per_ip: usize,
    /// API requests being served at once, in all.
    pub requests: usize,
    /// API requests being served at once for one IP address.
    pub requests_per_ip: usize,
}

/// Which cap refused a connection or a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The cap over everyone.
    Total,
    /// The cap for the client's IP address.
    PerIp,
}

impl Refused {
    const ALL: [Self; 2] = [Self::Total, Self::PerIp];

    /// The metrics label.
    fn label(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::PerIp => "per_ip",
        }
    }
}

/// What one IP address holds now.
#[derive(Debug, Default, Clone, Copy)]
struct PeerCounts {
    connections: usize,
    requests: usize,
}

/// What everyone holds now. One lock for the totals and the per-address map, so that a check
/// and its increment are one step (no admission can slip between them).
#[derive(Debug, Default)]
struct Counts {
    connections: usize,
    requests: usize,
    peers: HashMap<IpAddr, PeerCounts>,
}

/// The live counts of connections and requests, checked against the [`Caps`]. Admission hands
/// out a slot that gives its place back when dropped, however the connection or request ends.
#[derive(Debug)]
pub struct Limits {
    caps: Caps,
    counts: Mutex<Counts>,
    /// Connections refused, by [`Refused`] (for `/metrics`).
    refused_connections: [AtomicU64; 2],
    /// Requests throttled, by [`Refused`].
    throttled_requests: [AtomicU64; 2],
}

impl Limits {
    /// Limits with nothing admitted yet.
    pub fn new(caps: Caps) -> Arc<Self> {
        Arc::new(Self {
            caps,
            counts: Mutex::new(Counts::default()),
            refused_connections: Default::default(),
            throttled_requests: Default::default(),
        })
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        // The counts are plain integers changed in one statement each: a panic elsewhere
        // cannot leave them half-written, so a poisoned lock still holds good numbers.
        match self.counts.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Admits a connection from `ip`, or says which cap it would pass.
    pub fn admit_connection(self: &Arc<Self>, ip: IpAddr) -> Result<ConnectionSlot, Refused> {
        self.try_connection(ip).inspect_err(|refused| {
            self.refused_connections[*refused as usize].fetch_add(1, Ordering::Relaxed);
        })
    }

    fn try_connection(self: &Arc<Self>, ip: IpAddr) -> Result<ConnectionSlot, Refused> {
        let mut counts = self.counts();
        if counts.connections >= self.caps.connections {
            return Err(Refused::Total);
        }
        let peer = counts.peers.entry(ip).or_default();
        if peer.connections >= self.caps.connections_per_ip {
            return Err(Refused::PerIp);
        }
        peer.connections += 1;
        counts.connections += 1;
        Ok(ConnectionSlot {
            limits: self.clone(),
            ip,
        })
    }

    /// Admits an API request from `ip` (when known), or says which cap it would pass.
    pub fn admit_request(self: &Arc<Self>, ip: Option<IpAddr>) -> Result<RequestSlot, Refused> {
        self.try_request(ip).inspect_err(|refused| {
            self.throttled_requests[*refused as usize].fetch_add(1, Ordering::Relaxed);
        })
    }

    fn try_request(self: &Arc<Self>, ip: Option<IpAddr>) -> Result<RequestSlot, Refused> {
        let mut counts = self.counts();
        if counts.requests >= self.caps.requests {
            return Err(Refused::Total);
        }
        if let Some(ip) = ip {
            let peer = counts.peers.entry(ip).or_default();
            if peer.requests >= self.caps.requests_per_ip {
                return Err(Refused::PerIp);
            }
            peer.requests += 1;
        }
        counts.requests += 1;
        Ok(RequestSlot {
            limits: self.clone(),
            ip,
        })
    }

    /// The connections open now.
    pub fn open_connections(&self) -> usize {
        self.counts().connections
    }

    /// The API requests being served now.
    pub fn requests_in_flight(&self) -> usize {
        self.counts().requests
    }

    /// Appends the Prometheus text of the counts and refusals to `out`.
    pub fn render(&self, out: &mut String) {
        let (connections, requests) = {
            let counts = self.counts();
            (counts.connections, counts.requests)
        };
        for (name, kind, help, value) in [
            (
                "coffer_connections_open",
                Kind::Gauge,
                "Connections open now (TLS ones from their accept, handshake included).",
                connections,
            ),
            (
                "coffer_requests_in_flight",
                Kind::Gauge,
                "API requests being served now.",
                requests,
            ),
        ] {
            exposition::single(out, name, kind, help, value);
        }
        for (name, help, counters) in [
            (
                "coffer_connections_refused_total",
                "Connections closed on accept, over the cap in all or per client IP.",
                &self.refused_connections,
            ),
            (
                "coffer_requests_throttled_total",
                "API requests answered ThrottlingException, over the cap in all or per client IP.",
                &self.throttled_requests,
            ),
        ] {
            exposition::family(out, name, Kind::Counter, help);
            for refused in Refused::ALL {
                let labels = format!("cap=\"{}\"", refused.label());
                let count = counters[refused as usize].load(Ordering::Relaxed);
                exposition::sample(out, name, &labels, count);
            }
        }
    }

    /// Gives back one connection or one request of `ip`, forgetting the address once it holds
    /// nothing (the map stays as small as the set of current clients).
    fn release(&self, ip: Option<IpAddr>, connection: bool) {
        let mut counts = self.counts();
        if connection {
            counts.connections = counts.connections.saturating_sub(1);
        } else {
            counts.requests = counts.requests.saturating_sub(1);
        }
        let Some(ip) = ip else { return };
        if let Some(peer) = counts.peers.get_mut(&ip) {
            if connection {
                peer.connections = peer.connections.saturating_sub(1);
            } else {
                peer.requests = peer.requests.saturating_sub(1);
            }
            if peer.connections == 0 && peer.requests == 0 {
                counts.peers.remove(&ip);
            }
        }
    }
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub struct ConnectionSlot {
    limits: Arc<Limits>,
    ip: IpAddr,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.limits.release(Some(self.ip), true);
    }
}

/// One admitted API request; dropping it frees its place.
#[derive(Debug)]
pub struct RequestSlot {
    limits: Arc<Limits>,
    ip: Option<IpAddr>,
}

impl Drop for RequestSlot {
    fn drop(&mut self) {
        self.limits.release(self.ip, false);
    }
}

/// A connection admitted under the caps and ready for HTTP (for TLS: handshake done).
pub struct Accepted<Io> {
    /// The byte stream.
    pub io: Io,
    /// The client's address.
    pub remote: SocketAddr,
    /// Its place under the connection caps, held until the connection ends.
    pub slot: ConnectionSlot,
}

/// Where the serve loop takes its connections from: the plain listener, or the TLS one.
pub trait Acceptor: Send + 'static {
    /// The stream a connection is served on.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// The next admitted connection. Waits for one; never fails (accept errors are retried
    /// inside, with a back-off).
    fn next(&mut self) -> impl Future<Output = Accepted<Self::Io>> + Send;
}

/// Plain HTTP: TCP connections, admitted under the caps as they are accepted.
pub struct PlainAcceptor {
    listener: TcpListener,
    limits: Arc<Limits>,
}

impl PlainAcceptor {
    /// Accepts on `listener` under `limits`.
    pub fn new(listener: TcpListener, limits: Arc<Limits>) -> Self {
        Self { listener, limits }
    }
}

impl Acceptor for PlainAcceptor {
    type Io = TcpStream;

    async fn next(&mut self) -> Accepted<TcpStream> {
        loop {
            let (stream, remote) = accept_tcp(&mut self.listener).await;
            if let Some(slot) = admit(&self.limits, remote) {
                return Accepted {
                    io: stream,
                    remote,
                    slot,
                };
            }
            // Over a cap: the stream is dropped here, which closes it.
        }
    }
}

/// Accepts one TCP connection, retrying (with axum's back-off) on errors such as EMFILE.
pub(crate) async fn accept_tcp(listener: &mut TcpListener) -> (TcpStream, SocketAddr) {
    axum::serve::Listener::accept(listener).await
}

/// Admits a freshly accepted connection, logging (at debug: a flood must not flood the log
/// too) the ones a cap refuses.
pub(crate) fn admit(limits: &Arc<Limits>, remote: SocketAddr) -> Option<ConnectionSlot> {
    match limits.admit_connection(remote.ip()) {
        Ok(slot) => Some(slot),
        Err(refused) => {
            tracing::debug!(%remote, ?refused, "connection refused: over the connection cap");
            None
        }
    }
}

/// Runs the accept loop and every connection until `stop` fires (or its sender is dropped),
/// then shuts down gracefully: the listener is closed, idle connections close, requests in
/// flight are answered, and the task ends when the last connection has.
pub fn serve<A: Acceptor>(
    mut acceptor: A,
    app: axum::Router,
    header_read_timeout: Duration,
    stop: oneshot::Receiver<()>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout);
        tokio::pin!(stop);
        loop {
            let accepted = tokio::select! {
                accepted = acceptor.next() => accepted,
                _ = &mut stop => break,
            };
            let Accepted { io, remote, slot } = accepted;
            let app = app.clone();
            let service = hyper::service::service_fn(move |mut request| {
                // The peer address feeds `aws:SourceIp`, the audit trail and the per-IP caps.
                request
                    .extensions_mut()
                    .insert(ConnectInfo(PeerAddr(remote)));
                let app = app.clone();
                // A router never fails (its error type is `Infallible`).
                app.oneshot(request)
            });
            let connection = graceful.watch(builder.serve_connection(TokioIo::new(io), service));
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    // A header timeout, a reset, a malformed request: the client's doing.
                    tracing::debug!(%remote, error = %e, "connection ended with an error");
                }
                drop(slot);
            });
        }
        // No new connections: the port closes now (and, for TLS, the handshake loop ends).
        drop(acceptor);
        graceful.shutdown().await;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps() -> Caps {
        Caps {
            connections: 3,
            connections_per_ip: 2,
            requests: 3,
            requests_per_ip: 2,
        }
    }

    #[test]
    fn connection_caps_count_per_ip_and_in_all_and_free_on_drop() {
        let limits = Limits::new(caps());
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let a1 = limits.admit_connection(a).expect("first");
        let _a2 = limits.admit_connection(a).expect("second");
        assert_eq!(limits.admit_connection(a).map(|_| ()), Err(Refused::PerIp));
        let _b1 = limits.admit_connection(b).expect("other address");
        assert_eq!(limits.admit_connection(b).map(|_| ()), Err(Refused::Total));
        drop(a1);
        assert_eq!(limits.open_connections(), 2);
        let _b2 = limits.admit_connection(b).expect("a place was freed");
    }

    #[test]
    fn request_caps_are_separate_from_connection_caps() {
        let limits = Limits::new(caps());
        let a: IpAddr = [10, 0, 0, 1].into();
        let _c1 = limits.admit_connection(a).expect("connection");
        let _c2 = limits.admit_connection(a).expect("connection");
        let r1 = limits.admit_request(Some(a)).expect("request");
        let _r2 = limits.admit_request(Some(a)).expect("request");
        assert_eq!(
            limits.admit_request(Some(a)).map(|_| ()),
            Err(Refused::PerIp)
        );
        let _r3 = limits
            .admit_request(None)
            .expect("no address: the total only");
        assert_eq!(limits.admit_request(None).map(|_| ()), Err(Refused::Total));
        drop(r1);
        assert_eq!(limits.requests_in_flight(), 2);
    }

    #[test]
    fn an_address_holding_nothing_is_forgotten() {
        let limits = Limits::new(caps());
        let a: IpAddr = [10, 0, 0, 1].into();
        drop(limits.admit_connection(a).expect("connection"));
        drop(limits.admit_request(Some(a)).expect("request"));
        assert!(limits.counts().peers.is_empty());
    }
}
