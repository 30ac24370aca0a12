//! The *Calendars* page and its two buttons (issue, revoke), each a POST with the session's CSRF
//! token, and `GET /feeds/<token>.ics`, which takes no session: calendar clients send no cookie or
//! header, so the token in the path is the credential, and an unknown or revoked one is 404.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use tracing::{error, info, warn};

use super::{Form, WebPages, csrf_refused, html, query, redirect, refused, unavailable};
use crate::calendars::{FeedError, IssueError, Revoked, parse_feed_path};
use crate::log_text::escape;
use crate::pages::calendars::{self as page, CalendarList};
use crate::pages::{self, Reader};

impl WebPages {
    pub(super) async fn calendars(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let signed_in = match self.session(request, now).await {
            Ok(Some(signed_in)) => signed_in,
            Ok(None) => return redirect("/signin"),
            Err(response) => return response,
        };
        let Some(calendars) = &self.calendars else {
            return not_here();
        };
        let feeds = match calendars.feeds_of(&signed_in.person).await {
            Ok(feeds) => feeds,
            Err(e) => return unavailable(&e.to_string()),
        };
        let rotations = match calendars.rotations().await {
            Ok(rotations) => rotations,
            Err(e) => return unavailable(&e.to_string()),
        };
        let csrf = self.signin.csrf_token(&signed_in.binding);
        let main = page::main(&CalendarList {
            feeds: &feeds,
            rotations: &rotations,
            maintenance: calendars.publishes_maintenance(),
            csrf: &csrf,
            revoked: query(request, "revoked").is_some(),
        });
        let name = self.reader_name(&signed_in.person).await;
        html(
            StatusCode::OK,
            pages::page(
                "Calendars",
                Some(&Reader {
                    name: &name,
                    csrf: &csrf,
                }),
                &main,
            ),
        )
    }

    /// Session, then CSRF token, then the form, before anything is written.
    async fn calendar_form(
        &self,
        request: &Request,
        now: jiff::Timestamp,
        path: &str,
    ) -> Result<(crate::signin::SignedIn, Form), Response<Body>> {
        let signed_in = match self.session(request, now).await {
            Ok(Some(signed_in)) => signed_in,
            Ok(None) => {
                warn!(path, "POST refused: not signed in");
                return Err(refused(
                    StatusCode::FORBIDDEN,
                    "Sign in first: only a signed-in person can change their calendars.",
                ));
            }
            Err(response) => return Err(response),
        };
        let form = Form::of(request);
        let csrf_ok = form.as_ref().is_some_and(|form| {
            self.signin
                .csrf_matches(&signed_in.binding, form.get("csrf").unwrap_or_default())
        });
        match form.filter(|_| csrf_ok) {
            Some(form) => Ok((signed_in, form)),
            None => {
                warn!(path, "POST refused: no valid CSRF token");
                Err(csrf_refused())
            }
        }
    }

    pub(super) async fn issue_feed(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let (signed_in, form) = match self.calendar_form(request, now, page::ISSUE_PATH).await {
            Ok(checked) => checked,
            Err(response) => return response,
        };
        let Some(calendars) = &self.calendars else {
            return not_here();
        };
        let Some(kind) = page::parse_kind(form.get("kind").unwrap_or_default()) else {
            return cannot(StatusCode::BAD_REQUEST, "Choose a calendar from the list.");
        };
        let alarm =
            match crate::calendars::service::parse_alarm(form.get("alarm").unwrap_or_default()) {
                Ok(alarm) => alarm,
                Err(e) => return cannot(StatusCode::BAD_REQUEST, &e.to_string()),
            };
        match calendars.issue(&signed_in.person, kind, alarm, now).await {
            Ok(issued) => {
                info!(person = %signed_in.person, kind = ?issued.record.kind, "feed token issued");
                let url = format!(
                    "{}{}{}.ics",
                    self.signin.base_url.as_str(),
                    crate::calendars::service::FEED_PREFIX,
                    issued.token
                );
                let csrf = self.signin.csrf_token(&signed_in.binding);
                let name = self.reader_name(&signed_in.person).await;
                html(
                    StatusCode::OK,
                    pages::page(
                        "Your new feed",
                        Some(&Reader {
                            name: &name,
                            csrf: &csrf,
                        }),
                        &page::issued(&url, &issued.record.kind),
                    ),
                )
            }
            Err(
                e @ (IssueError::NoSuchRotation(_)
                | IssueError::BadAlarm
                | IssueError::NoMaintenanceCalendar),
            ) => cannot(StatusCode::BAD_REQUEST, &e.to_string()),
            Err(e) => unavailable(&e.to_string()),
        }
    }

    pub(super) async fn revoke_feed(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let (signed_in, form) = match self.calendar_form(request, now, page::REVOKE_PATH).await {
            Ok(checked) => checked,
            Err(response) => return response,
        };
        let Some(calendars) = &self.calendars else {
            return not_here();
        };
        let hash = form.get("feed").unwrap_or_default();
        match calendars.revoke(&signed_in.person, hash).await {
            Ok(Revoked::Revoked) => {
                info!(person = %signed_in.person, "feed token revoked");
                redirect(&format!("{}?revoked=1", page::PATH))
            }
            Ok(Revoked::NoSuchFeed) => cannot(
                StatusCode::NOT_FOUND,
                "There is no such feed (revoked already?): nothing was changed.",
            ),
            Ok(Revoked::NotYours) => {
                warn!(person = %signed_in.person, "revoke refused: another person's feed");
                cannot(
                    StatusCode::FORBIDDEN,
                    "That feed is someone else's: only its owner can revoke it. Nothing was changed.",
                )
            }
            Err(e) => unavailable(&e.to_string()),
        }
    }

    /// `GET /feeds/<token>.ics`: one read by the token's hash, then the calendar; never a write.
    pub(super) async fn feed(&self, path: &str, now: jiff::Timestamp) -> Response<Body> {
        let (Some(token), Some(calendars)) = (parse_feed_path(path), &self.calendars) else {
            return no_feed();
        };
        match calendars.open(token, now).await {
            Ok(Some(calendar)) => {
                let mut response = Response::new(Body::from(calendar));
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/calendar; charset=utf-8"),
                );
                // Only the subscriber's client may keep it, and briefly: a revoke takes effect.
                headers.insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, max-age=300"),
                );
                headers.insert(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                );
                headers.insert(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                );
                response
            }
            Ok(None) => {
                warn!("feed refused: no such token (never issued, or revoked)");
                no_feed()
            }
            Err(e @ (FeedError::Store(_) | FeedError::Plan(_) | FeedError::Maintenance(_))) => {
                error!(error = %escape(&e.to_string()), "a feed could not be built");
                let mut response = no_feed();
                *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                *response.body_mut() =
                    Body::from("The feed could not be built just now; try again.\n");
                response
            }
        }
    }

    async fn reader_name(&self, person: &str) -> String {
        match self.signin.card(person).await {
            Ok(Some(card)) => card.name,
            _ => person.to_owned(),
        }
    }
}

fn no_feed() -> Response<Body> {
    let mut response = Response::new(Body::from("No such feed.\n"));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn not_here() -> Response<Body> {
    cannot(
        StatusCode::NOT_FOUND,
        "This deployment serves no calendars.",
    )
}

/// The caller's mistake or a refusal, said plainly; nothing written.
fn cannot(status: StatusCode, reason: &str) -> Response<Body> {
    html(
        status,
        pages::page(
            "Calendars",
            None,
            &format!(
                "<p class=\"note\" role=\"alert\">{}</p><p><a href=\"{}\">Back to your calendars</a></p>",
                crate::mail::escape_html(reason),
                page::PATH
            ),
        ),
    )
}

/// The calendars as configured: the table behind every port, the roster when shipped, the
/// maintenance calendar's object when named.
pub(super) fn from_config(
    config: &crate::config::WebConfig,
    sdk: &aws_config::SdkConfig,
    store: std::sync::Arc<crate::adapters::dynamo::DynamoStore>,
) -> crate::calendars::Calendars {
    use std::sync::Arc;
    let maintenance = config.maintenance_calendar.as_ref().map(|(bucket, key)| {
        Arc::new(crate::adapters::s3::PublishedCalendarObject {
            objects: crate::adapters::s3::S3Objects::new(crate::adapters::sdk::s3(
                sdk,
                &config.aws,
            )),
            bucket: bucket.clone(),
            key: key.clone(),
        }) as Arc<dyn crate::calendars::service::PublishedCalendar>
    });
    crate::calendars::Calendars {
        tokens: store.clone(),
        nonces: Arc::new(crate::adapters::random::OsNonces),
        source: store.clone(),
        shifts: store,
        roster: config.roster.clone().map(Arc::new),
        maintenance,
        domain: config.mail_domain.clone(),
    }
}
