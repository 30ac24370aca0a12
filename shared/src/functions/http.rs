//! The HTTP handlers' interface, shared by the Lambdas (API Gateway and Function URL events) and
//! `clinic serve` (`crate::cli::serve`): a [`Hook`] answers a `lambda_http::Request`, and [`Routes`]
//! maps method and path to hooks.

use std::sync::Arc;

use async_trait::async_trait;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

/// A webhook handler, as Lambda and `clinic serve` call it. It maps every failure to a status.
#[async_trait]
pub trait Hook: Send + Sync {
    /// Answers `request` as if at `now` (the clock, or a rehearsal's fixed moment).
    async fn handle_at(&self, request: Request, now: jiff::Timestamp) -> Response<Body>;
}

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

pub(crate) fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(text.to_owned()));
    *response.status_mut() = status;
    response
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
