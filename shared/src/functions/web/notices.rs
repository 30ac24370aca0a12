//! Notices on the pages: the banner every signed-in page starts with, and the *Notices* page with
//! its form (`POST /notices`: session, then CSRF, then the allow list, before anything is written).

use std::sync::Arc;

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use tracing::{info, warn};

use super::{Form, WebPages, csrf_refused, html, redirect, refused, unavailable};
use crate::brief::NoticeLine;
use crate::http_url::HttpUrl;
use crate::notices::{self, Command, Level, NoticeBoard, NoticeError, Poster, Via};
use crate::pages::notices::{self as page, NoticePage};
use crate::pages::{self, Reader};
use crate::rotation::roster::{PersonId, Roster};
use crate::secret::Secret;

/// What the notice routes need: the board, the roster (who may post, who a Slack user is), task
/// links, and the Slack app's signing secret (without it the slash command answers 503).
#[derive(Clone)]
pub struct NoticeDesk {
    pub board: Arc<dyn NoticeBoard>,
    pub roster: Option<Arc<Roster>>,
    pub phorge: Option<HttpUrl>,
    pub slack_signing_secret: Option<Secret>,
}

impl NoticeDesk {
    /// The notice standing at `now`, as the banner and the brief say it.
    pub(super) async fn line(
        &self,
        now: jiff::Timestamp,
    ) -> Result<Option<NoticeLine>, crate::store::StoreError> {
        Ok(notices::current(self.board.as_ref(), now)
            .await?
            .map(|n| NoticeLine::of(n, self.phorge.as_ref(), now)))
    }
}

impl WebPages {
    /// Puts the notice standing at the top of a signed-in page. A board that cannot be read
    /// leaves the page as it is (logged): the page's own content matters more than the banner.
    pub(super) async fn with_notice_banner(
        &self,
        response: Response<Body>,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let Some(desk) = &self.notices else {
            return response;
        };
        let is_page = response.status() == StatusCode::OK
            && response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
        let signed_in_page = match response.body() {
            Body::Text(text) if is_page => text.contains(pages::SIGNED_IN_MARK),
            _ => false,
        };
        if !signed_in_page {
            return response;
        }
        let line = match desk.line(now).await {
            Ok(Some(line)) => line,
            Ok(None) => return response,
            Err(e) => {
                warn!(error = %e, "the notice board could not be read for the banner");
                return response;
            }
        };
        let (parts, body) = response.into_parts();
        let Body::Text(text) = body else {
            return Response::from_parts(parts, body);
        };
        Response::from_parts(
            parts,
            Body::Text(pages::with_banner(&text, &page::banner(&line))),
        )
    }

    /// The desk and its roster, or the page saying why there is none (boxed: the rare path).
    fn notice_desk(&self) -> Result<(&NoticeDesk, &Roster), Box<Response<Body>>> {
        match &self.notices {
            Some(desk) => match &desk.roster {
                Some(roster) => Ok((desk, roster)),
                None => Err(Box::new(unavailable(
                    "no roster (CLINIC_ROSTER) to tell who may post",
                ))),
            },
            None => Err(Box::new(html(
                StatusCode::NOT_FOUND,
                pages::page("Not found", None, "<p>There is no such page.</p>"),
            ))),
        }
    }

    pub(super) async fn notices_page(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let signed_in = match self.session(request, now).await {
            Ok(Some(signed_in)) => signed_in,
            Ok(None) => return redirect("/signin"),
            Err(response) => return response,
        };
        let (desk, roster) = match self.notice_desk() {
            Ok(found) => found,
            Err(response) => return *response,
        };
        let error = super::query(request, "error");
        self.render_notices(
            &signed_in,
            desk,
            roster,
            error.as_deref(),
            StatusCode::OK,
            now,
        )
        .await
    }

    async fn render_notices(
        &self,
        signed_in: &crate::signin::SignedIn,
        desk: &NoticeDesk,
        roster: &Roster,
        error: Option<&str>,
        status: StatusCode,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let card = match self.signin.card(&signed_in.person).await {
            Ok(card) => card,
            Err(e) => return unavailable(&e.to_string()),
        };
        let current = match desk.line(now).await {
            Ok(line) => line,
            Err(e) => return unavailable(&e.to_string()),
        };
        let may_post =
            PersonId::parse(&signed_in.person).is_ok_and(|person| roster.notices().allows(&person));
        let name = card
            .as_ref()
            .map_or(signed_in.person.as_str(), |c| c.name.as_str());
        let csrf = self.signin.csrf_token(&signed_in.binding);
        let main = page::main(&NoticePage {
            current: current.as_ref(),
            may_post,
            csrf: &csrf,
            error,
            default_hours: roster.notices().expiry_hours,
        });
        html(
            status,
            pages::page("Notices", Some(&Reader { name, csrf: &csrf }), &main),
        )
    }

    /// The form and the `ok` button: session, CSRF token, allow list, then the fields.
    pub(super) async fn post_notice(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let signed_in = match self.session(request, now).await {
            Ok(Some(signed_in)) => signed_in,
            Ok(None) => {
                warn!(path = page::PATH, "POST refused: not signed in");
                return refused(
                    StatusCode::FORBIDDEN,
                    "Sign in first: only a signed-in person can post a notice.",
                );
            }
            Err(response) => return response,
        };
        let Some(form) = Form::of(request) else {
            return refused(StatusCode::BAD_REQUEST, "The form could not be read.");
        };
        if !self
            .signin
            .csrf_matches(&signed_in.binding, form.get("csrf").unwrap_or_default())
        {
            warn!(path = page::PATH, "POST refused: no valid CSRF token");
            return csrf_refused();
        }
        let (desk, roster) = match self.notice_desk() {
            Ok(found) => found,
            Err(response) => return *response,
        };
        let Some(person) = PersonId::parse(&signed_in.person)
            .ok()
            .filter(|p| roster.notices().allows(p))
        else {
            warn!(person = %signed_in.person, "notice refused: not on the allow list");
            return html(
                StatusCode::FORBIDDEN,
                pages::page(
                    "Not allowed",
                    None,
                    "<p class=\"note\" role=\"alert\">Only the people in the roster's \
                     <code>[notices] allow</code> post notices. Nothing was posted.</p>",
                ),
            );
        };
        let field = |name: &str| form.get(name).unwrap_or_default();
        let command = match field("level") {
            "ok" => Ok(Command::Ok { text: None }),
            "alert" => {
                Command::from_fields(Level::Alert, field("text"), field("task"), field("hours"))
                    .map_err(|e| e.to_string())
            }
            "notice" => {
                Command::from_fields(Level::Notice, field("text"), field("task"), field("hours"))
                    .map_err(|e| e.to_string())
            }
            _ => Err("choose alert or notice".to_owned()),
        };
        let command = match command {
            Ok(command) => command,
            Err(error) => {
                return self
                    .render_notices(
                        &signed_in,
                        desk,
                        roster,
                        Some(&error),
                        StatusCode::BAD_REQUEST,
                        now,
                    )
                    .await;
            }
        };
        let cause = format!("web:{}", uuid::Uuid::new_v4().simple());
        let actor = format!("web:{person}");
        let poster = Poster {
            person: &person,
            via: Via::Web,
            actor: &actor,
            cause: &cause,
        };
        match notices::run(
            desk.board.as_ref(),
            roster.notices(),
            &poster,
            &command,
            None,
            now,
        )
        .await
        {
            Ok(posted) => {
                info!(person = %person, reply = %crate::log_text::escape(&posted.reply(now)), "notice board changed from the page");
                redirect(page::PATH)
            }
            Err(e @ NoticeError::NotAllowed(_)) => refused(StatusCode::FORBIDDEN, &e.to_string()),
            Err(e) => unavailable(&e.to_string()),
        }
    }
}
