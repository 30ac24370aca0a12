//! `clinic serve`: a small HTTP server for operators and tests that turns each request into the
//! `lambda_http::Request` Lambda would pass and routes it to the same handler the function runs.
//! `clinic serve` routes `POST /hooks/phabricator` and `POST /hooks/victorops` (each when configured),
//! and `GET /status` with `GET /status/rotation.ics` when `CLINIC_STATUS_TOKEN` is set.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use tokio::net::TcpListener;
use tracing::{info, warn};

/// A webhook handler, as Lambda and `clinic serve` call it. It maps every failure to a status.
#[async_trait]
pub trait Hook: Send + Sync {
    /// Answers `request` as if at `now` (the clock, or a rehearsal's fixed moment).
    async fn handle_at(&self, request: Request, now: jiff::Timestamp) -> Response<Body>;
}

/// Bodies larger than this are refused before reaching a handler (handlers have their own, lower limits).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Method and path to handler.
#[derive(Default, Clone)]
pub struct Routes {
    routes: Vec<(Method, String, Arc<dyn Hook>)>,
    /// A fixed moment every request is handled at (`clinic serve --at`, rehearsals); else the clock.
    clock: Option<jiff::Timestamp>,
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn route(mut self, method: Method, path: &str, hook: Arc<dyn Hook>) -> Self {
        self.routes.push((method, path.to_owned(), hook));
        self
    }

    /// Handles every request as if at `at` instead of the clock.
    pub fn at(mut self, at: Option<jiff::Timestamp>) -> Self {
        self.clock = at;
        self
    }

    /// These routes and `other`'s.
    pub fn extend(mut self, other: &Routes) -> Self {
        self.routes.extend(other.routes.iter().cloned());
        self
    }

    pub fn paths(&self) -> impl Iterator<Item = (&Method, &str)> {
        self.routes.iter().map(|(m, p, _)| (m, p.as_str()))
    }

    /// The handler's answer, or 404 / 405 when no route matches.
    pub async fn dispatch(&self, request: Request) -> Response<Body> {
        let now = self.clock.unwrap_or_else(jiff::Timestamp::now);
        self.dispatch_at(request, now).await
    }

    /// As [`Self::dispatch`], as if at `now`.
    pub async fn dispatch_at(&self, request: Request, now: jiff::Timestamp) -> Response<Body> {
        let path = request.uri().path().to_owned();
        let mut path_known = false;
        for (method, route, hook) in &self.routes {
            if *route == path {
                path_known = true;
                if method == request.method() {
                    return hook.handle_at(request, now).await;
                }
            }
        }
        let status = if path_known {
            StatusCode::METHOD_NOT_ALLOWED
        } else {
            StatusCode::NOT_FOUND
        };
        plain(status, status.canonical_reason().unwrap_or_default())
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(text.to_owned()));
    *response.status_mut() = status;
    response
}

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

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    #[async_trait]
    impl Hook for Echo {
        async fn handle_at(&self, request: Request, _now: jiff::Timestamp) -> Response<Body> {
            plain(StatusCode::OK, &format!("{} bytes", request.body().len()))
        }
    }

    fn request(method: Method, path: &str) -> Request {
        let mut request = Request::new(Body::from("abc"));
        *request.method_mut() = method;
        *request.uri_mut() = path.parse().unwrap();
        request
    }

    #[tokio::test]
    async fn a_request_reaches_its_routes_handler_and_others_get_404_or_405() {
        let routes = Routes::new().route(Method::POST, "/hooks/echo", Arc::new(Echo));
        let ok = routes.dispatch(request(Method::POST, "/hooks/echo")).await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.body().as_ref(), b"3 bytes");
        let wrong_method = routes.dispatch(request(Method::GET, "/hooks/echo")).await;
        assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
        let unknown = routes.dispatch(request(Method::POST, "/hooks/other")).await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    }
}
