//! The HTTP handlers' interface, shared by the Lambdas (API Gateway and Function URL events) and
//! `clinic serve` (`crate::cli::serve`): a [`Hook`] answers a `lambda_http::Request`, and [`Routes`]
//! maps method and path to hooks.

use std::sync::Arc;

use async_trait::async_trait;
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};

/// Who sent a request, as the server saw it: `clinic serve` puts the peer's address in the
/// request's extensions (on Lambda, API Gateway's `sourceIp` says it). Never a header a client writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

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

    /// The handler's answer, or 404 / 405 when no route matches. A `HEAD` is answered as the
    /// route's `GET` would be, headers and all, without the body (RFC 9110 section 9.3.2), so
    /// monitors and link checkers that probe with `HEAD` see the status a `GET` gets.
    pub async fn dispatch(&self, request: Request) -> Response<Body> {
        let now = self.clock.unwrap_or_else(jiff::Timestamp::now);
        self.dispatch_at(request, now).await
    }

    /// As [`Self::dispatch`], as if at `now`.
    pub async fn dispatch_at(&self, mut request: Request, now: jiff::Timestamp) -> Response<Body> {
        let head = request.method() == Method::HEAD
            && !self
                .routes
                .iter()
                .any(|(m, p, _)| *m == Method::HEAD && p == request.uri().path());
        if head {
            *request.method_mut() = Method::GET;
            let mut response = self.dispatch_routes(request, now).await;
            let length = response.body().len();
            response
                .headers_mut()
                .entry(header::CONTENT_LENGTH)
                .or_insert_with(|| HeaderValue::from(length));
            *response.body_mut() = Body::Empty;
            return response;
        }
        self.dispatch_routes(request, now).await
    }

    async fn dispatch_routes(&self, request: Request, now: jiff::Timestamp) -> Response<Body> {
        let path = request.uri().path().to_owned();
        let mut path_known = false;
        for (method, route, hook) in &self.routes {
            if route_matches(route, &path) {
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

/// Whether `path` is `route`'s: segment by segment equal, where a route's `{name}` segment (API
/// Gateway's path parameter) takes exactly one non-empty segment of the path.
fn route_matches(route: &str, path: &str) -> bool {
    let mut routes = route.split('/');
    let mut paths = path.split('/');
    loop {
        match (routes.next(), paths.next()) {
            (None, None) => return true,
            (Some(r), Some(p)) if r.starts_with('{') && r.ends_with('}') => {
                if p.is_empty() {
                    return false;
                }
            }
            (Some(r), Some(p)) if r == p => {}
            _ => return false,
        }
    }
}

/// A plain-text answer; it names its content type so a client never has to sniff an error page.
pub(crate) fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(text.to_owned()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    #[test]
    fn a_path_parameter_route_takes_exactly_one_non_empty_segment() {
        assert!(route_matches("/feeds/{feed}", "/feeds/abc.ics"));
        assert!(!route_matches("/feeds/{feed}", "/feeds/"));
        assert!(!route_matches("/feeds/{feed}", "/feeds"));
        assert!(!route_matches("/feeds/{feed}", "/feeds/a/b.ics"));
        assert!(!route_matches("/feeds/{feed}", "/feedsx/abc.ics"));
        assert!(route_matches("/now", "/now"));
        assert!(!route_matches("/now", "/now/x"));
        assert!(route_matches("/swaps/{id}/accept", "/swaps/ab12/accept"));
        assert!(!route_matches("/swaps/{id}/accept", "/swaps//accept"));
        assert!(!route_matches("/swaps/{id}/accept", "/swaps/ab12/approve"));
        assert!(!route_matches("/swaps/{id}/accept", "/swaps/ab12/accept/x"));
    }

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

    #[tokio::test]
    async fn a_404_and_a_405_say_they_are_plain_text() {
        let routes = Routes::new().route(Method::POST, "/hooks/echo", Arc::new(Echo));
        for answer in [
            routes.dispatch(request(Method::POST, "/nowhere")).await,
            routes.dispatch(request(Method::PUT, "/hooks/echo")).await,
        ] {
            assert_eq!(
                answer.headers()[header::CONTENT_TYPE],
                "text/plain; charset=utf-8"
            );
        }
    }

    #[tokio::test]
    async fn a_head_is_answered_like_the_get_of_its_route_without_the_body() {
        let routes = Routes::new().route(Method::GET, "/status", Arc::new(Echo));
        let get = routes.dispatch(request(Method::GET, "/status")).await;
        let head = routes.dispatch(request(Method::HEAD, "/status")).await;
        assert_eq!(head.status(), get.status());
        assert_eq!(
            head.headers()[header::CONTENT_TYPE],
            get.headers()[header::CONTENT_TYPE]
        );
        assert_eq!(head.headers()[header::CONTENT_LENGTH], "7");
        assert!(head.body().is_empty());
    }

    #[tokio::test]
    async fn a_head_on_a_route_without_get_is_refused_and_an_unknown_path_is_404() {
        let routes = Routes::new().route(Method::POST, "/hooks/echo", Arc::new(Echo));
        let head = routes.dispatch(request(Method::HEAD, "/hooks/echo")).await;
        assert_eq!(head.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(head.body().is_empty());
        let unknown = routes.dispatch(request(Method::HEAD, "/nowhere")).await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    }
}
