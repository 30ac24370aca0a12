//! `clinic serve`: a small HTTP server for operators and tests that turns each request into the
//! `lambda_http::Request` Lambda would pass and routes it to the same handler the function runs.
//! `clinic serve` routes `POST /hooks/phabricator` and `POST /hooks/victorops` (each when configured),
//! and `GET /status` with `GET /status/rotation.ics` when `CLINIC_STATUS_TOKEN` is set.
//!
//! Lambda bounds every request for us; here the server does: a client has [`HEADER_READ_TIMEOUT`]
//! for a request's head and [`BODY_READ_TIMEOUT`] for its body, at most [`MAX_CONNECTIONS`] are
//! served at once, and a failing `accept` is waited out instead of ending the server.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tracing::{info, warn};

use crate::functions::http::{Routes, plain};
use crate::log_text::escape;

/// Bodies larger than this are refused before reaching a handler (handlers have their own, lower limits).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// How long a client has to send a request's head. Hyper starts this clock when it begins waiting
/// for a head (when the connection opens, and again after each answer on a kept-alive connection)
/// and does not restart it per byte, so it cuts off a client sending its headers byte by byte and
/// is also the keep-alive idle timeout. Webhook senders write a head in one go; 10 s is ample on
/// any network and keeps a slot held by a silent client short.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client has to send a request's body once its head is in. Bodies are at most
/// [`MAX_REQUEST_BYTES`]; Phorge gives a whole delivery 15 s, so a body still arriving after 10 s
/// is a stalled client. Answered 408, and the connection closed.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections served at once. Beyond it the server stops accepting until one ends: new
/// connections wait in the listen backlog rather than being closed, so a well-behaved client is
/// delayed (at most about [`HEADER_READ_TIMEOUT`], as silent clients are cut off by then) instead
/// of refused. A local server for operators and tests needs far fewer; 64 bounds the memory and
/// descriptors a flood can take.
pub const MAX_CONNECTIONS: usize = 64;

/// The first wait after a failed `accept` (out of descriptors, say); it doubles on each failure in
/// a row up to [`ACCEPT_BACKOFF_MAX`], so the server neither spins nor stays away long once
/// connections close and descriptors free up.
pub const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(10);
pub const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The bounds [`serve_with`] keeps to; [`Limits::DEFAULT`] is what `clinic serve` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_read: Duration,
    pub body_read: Duration,
    pub connections: usize,
}

impl Limits {
    pub const DEFAULT: Self = Self {
        header_read: HEADER_READ_TIMEOUT,
        body_read: BODY_READ_TIMEOUT,
        connections: MAX_CONNECTIONS,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Where connections come from: a [`TcpListener`], or in tests one that can also fail on cue.
pub trait Accept: Send {
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Stream, SocketAddr)>> + Send;
}

impl Accept for TcpListener {
    type Stream = TcpStream;
    async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        TcpListener::accept(self).await
    }
}

/// The waits after failed accepts in a row: 10 ms doubling to 1 s.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Self {
        Self {
            next: ACCEPT_BACKOFF_FIRST,
        }
    }

    fn next(&mut self) -> Duration {
        let wait = self.next;
        self.next = (wait * 2).min(ACCEPT_BACKOFF_MAX);
        wait
    }

    fn reset(&mut self) {
        self.next = ACCEPT_BACKOFF_FIRST;
    }
}

/// Converts a hyper request into the request Lambda's runtime would build.
async fn to_lambda(
    request: hyper::Request<Incoming>,
    body_read: Duration,
    peer: SocketAddr,
) -> Result<Request, Response<Body>> {
    let (parts, body) = request.into_parts();
    let collected =
        tokio::time::timeout(body_read, Limited::new(body, MAX_REQUEST_BYTES).collect())
            .await
            .map_err(|_| {
                let mut answer =
                    plain(StatusCode::REQUEST_TIMEOUT, "the body was not sent in time");
                // The rest of the body will not be read, so the connection cannot carry another request.
                answer
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                answer
            })?;
    let bytes = collected
        .map_err(|_| plain(StatusCode::BAD_REQUEST, "body too large or unreadable"))?
        .to_bytes();
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        Body::Binary(bytes.to_vec())
    };
    let mut request = Request::from_parts(parts, body);
    request
        .extensions_mut()
        .insert(crate::functions::http::ClientAddress(peer.ip()));
    Ok(request)
}

fn to_hyper(response: Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = response.into_parts();
    let bytes = Bytes::copy_from_slice(body.as_ref());
    hyper::Response::from_parts(parts, Full::new(bytes))
}

/// Serves `routes` on `listener` within [`Limits::DEFAULT`] until `shutdown` completes.
pub async fn serve(listener: impl Accept, routes: Arc<Routes>, shutdown: impl Future<Output = ()>) {
    serve_with(listener, routes, Limits::DEFAULT, shutdown).await;
}

/// As [`serve`], within `limits`.
pub async fn serve_with(
    mut listener: impl Accept,
    routes: Arc<Routes>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let slots = Arc::new(Semaphore::new(limits.connections.max(1)));
    let mut backoff = Backoff::new();
    loop {
        // A slot first: at the limit, nothing more is accepted until a connection ends.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => return,
        };
        let Ok(slot) = slot else { return };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => return,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                backoff.reset();
                accepted
            }
            Err(e) => {
                let wait = backoff.next();
                warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "accept failed; the server goes on");
                tokio::select! {
                    () = tokio::time::sleep(wait) => continue,
                    () = &mut shutdown => return,
                }
            }
        };
        let routes = routes.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let routes = routes.clone();
                async move {
                    let method = request.method().clone();
                    let path = escape(request.uri().path());
                    let response = match to_lambda(request, limits.body_read, peer).await {
                        Ok(request) => routes.dispatch(request).await,
                        Err(refusal) => refusal,
                    };
                    info!(%method, %path, status = response.status().as_u16(), "served");
                    Ok::<_, Infallible>(to_hyper(response))
                }
            });
            let served = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(e) = served {
                warn!(peer = %peer, error = %e, "connection ended with an error");
            }
        });
    }
}

/// Binds `address`; the bound address is returned too (port 0 picks a free port).
pub async fn bind(address: SocketAddr) -> io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    Ok((listener, bound))
}

#[cfg(test)]
mod tests;
