//! `GET /status`: the brief, read-only, behind its own bearer token (`CLINIC_STATUS_TOKEN`), as
//! JSON for tools (`Accept: application/json`) or a simple HTML page; and `GET /status/rotation.ics`,
//! the rotation's calendar feed, which calendar clients fetch with `?token=` since they cannot send
//! headers. The same handler runs in the phabricator-webhook Lambda and in `clinic serve`.

use async_trait::async_trait;
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use tracing::{error, warn};

use crate::brief::{Briefing, duty_calendar, render, zone};
use crate::functions::http::Hook;
use crate::log_text::escape;
use crate::secret::Secret;

/// The brief's path.
pub const STATUS_PATH: &str = "/status";
/// The rotation feed's path.
pub const CALENDAR_PATH: &str = "/status/rotation.ics";

pub struct StatusEndpoint {
    briefing: Briefing,
    token: Secret,
}

/// Whether `given` is the token, compared in constant time (over digests, so lengths leak nothing).
fn same_token(given: &str, token: &Secret) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(token.expose().as_bytes());
    a.ct_eq(&b).into()
}

fn query(request: &Request, name: &str) -> Option<String> {
    let query = request.uri().query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn answer(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The brief names people and open incidents: no shared cache may keep it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn problem(status: StatusCode, message: &str) -> Response<Body> {
    answer(
        status,
        "application/json",
        serde_json::json!({ "error": message }).to_string(),
    )
}

impl StatusEndpoint {
    pub fn new(briefing: Briefing, token: Secret) -> Self {
        Self { briefing, token }
    }

    fn authorised(&self, request: &Request) -> bool {
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, value) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| value.trim().to_owned())
            });
        // Only the feed takes the token in its URL: calendar clients cannot send a header.
        let in_url = (request.uri().path() == CALENDAR_PATH)
            .then(|| query(request, "token"))
            .flatten();
        bearer
            .or(in_url)
            .is_some_and(|given| same_token(&given, &self.token))
    }

    /// Answers one request as if at `now`.
    pub async fn handle_at(&self, request: Request, now: jiff::Timestamp) -> Response<Body> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return problem(StatusCode::METHOD_NOT_ALLOWED, "use GET");
        }
        if !self.authorised(&request) {
            warn!(path = %request.uri().path(), "status request refused: no valid token");
            let mut response = problem(StatusCode::UNAUTHORIZED, "a valid bearer token is needed");
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"clinic-status\""),
            );
            return response;
        }
        if request.uri().path() == CALENDAR_PATH {
            return match duty_calendar::build(
                self.briefing.source(),
                now,
                &self.briefing.settings().uid_domain,
            )
            .await
            {
                Ok(feed) => answer(StatusCode::OK, "text/calendar; charset=utf-8", feed),
                Err(e) => {
                    error!(error = %escape(&e.to_string()), "the rotation feed could not be built");
                    problem(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the table could not be read; try again",
                    )
                }
            };
        }
        let zone = match zone(query(&request, "tz").as_deref()) {
            Ok(zone) => zone,
            // The error quotes the query's `tz`.
            Err(e) => return problem(StatusCode::BAD_REQUEST, &escape(&e.to_string())),
        };
        let brief = match self.briefing.at(now).await {
            Ok(brief) => brief,
            Err(e) => {
                error!(error = %escape(&e.to_string()), "the brief could not be built");
                return problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the table could not be read; try again",
                );
            }
        };
        let wants_json = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/json"));
        if wants_json {
            answer(
                StatusCode::OK,
                "application/json",
                serde_json::to_string(&brief).unwrap_or_default(),
            )
        } else {
            answer(
                StatusCode::OK,
                "text/html; charset=utf-8",
                render::html_page(&brief, zone.as_ref()),
            )
        }
    }
}

#[async_trait]
impl Hook for StatusEndpoint {
    async fn handle_at(&self, request: Request, now: jiff::Timestamp) -> Response<Body> {
        StatusEndpoint::handle_at(self, request, now).await
    }
}
