//! `clinic serve`: a small HTTP server for operators and tests that turns each request into the
//! `lambda_http::Request` Lambda would pass and routes it to the same handler the function runs.
//! `clinic serve` routes `POST /hooks/phabricator` and `POST /hooks/victorops` (each when configured),
//! and `GET /status` with `GET /status/rotation.ics` when `CLINIC_STATUS_TOKEN` is set.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use tokio::net::TcpListener;
use tracing::{info, warn};

use crate::functions::http::{Routes, plain};

/// Bodies larger than this are refused before reaching a handler (handlers have their own, lower limits).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Converts a hyper request into the request Lambda's runtime would build.
async fn to_lambda(request: hyper::Request<Incoming>) -> Result<Request, Response<Body>> {
    let (parts, body) = request.into_parts();
    let bytes = Limited::new(body, MAX_REQUEST_BYTES)
        .collect()
        .await
        .map_err(|_| plain(StatusCode::BAD_REQUEST, "body too large or unreadable"))?
        .to_bytes();
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        Body::Binary(bytes.to_vec())
    };
    Ok(Request::from_parts(parts, body))
}

fn to_hyper(response: Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = response.into_parts();
    let bytes = Bytes::copy_from_slice(body.as_ref());
    hyper::Response::from_parts(parts, Full::new(bytes))
}

/// Serves `routes` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    routes: Arc<Routes>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        let routes = routes.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let routes = routes.clone();
                async move {
                    let method = request.method().clone();
                    let path = request.uri().path().to_owned();
                    let response = match to_lambda(request).await {
                        Ok(request) => routes.dispatch(request).await,
                        Err(refusal) => refusal,
                    };
                    info!(%method, %path, status = response.status().as_u16(), "served");
                    Ok::<_, Infallible>(to_hyper(response))
                }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                warn!(peer = %peer, error = %e, "connection ended with an error");
            }
        });
    }
}

/// Binds `address`; the bound address is returned too (port 0 picks a free port).
pub async fn bind(address: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    Ok((listener, bound))
}
