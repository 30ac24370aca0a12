//! *Swaps*: `GET /swaps` (the reader's requests, those offered to them, the form), `POST /swaps`
//! (ask), `GET /swaps/<id>` (one request, with the buttons that fit its reader) and its buttons
//! `POST /swaps/<id>/accept|approve|decline|withdraw`. Every POST: the session, then its CSRF
//! token, then the id, before anything is read or written; a refusal is a page saying why (403 not
//! yours, 404 unknown, 409 taken or closed, 410 expired), and nothing is written for it.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use tracing::{info, warn};

use super::{Form, WebPages, csrf_refused, html, query, redirect, refused, unavailable};
use crate::pages::swaps::{self as page, Buttons, ComingWeek, Detail, SwapList};
use crate::pages::{self, Reader};
use crate::rotation::roster::{IanaTimeZone, PersonId, UnknownTimeZone};
use crate::signin::SignedIn;
use crate::swaps::{ActError, AskError, Button, Refusal, SwapId, SwapKind, SwapRequest, SwapState};

/// What the page says a button did.
fn done(button: Button, request: &SwapRequest) -> &'static str {
    match (button, request.state) {
        (_, SwapState::Applied) => "Done: it is applied, and everyone concerned is mailed.",
        (Button::Accept, SwapState::AwaitingApproval) => {
            "You accepted it: it now waits for the rotation's approver."
        }
        (Button::Decline, _) => "Declined: nothing changes.",
        (Button::Withdraw, _) => "Withdrawn: nobody can accept it any more.",
        _ => "Done.",
    }
}

/// `/swaps/<id>` or `/swaps/<id>/<act>`, as sent: the id (maybe malformed) and the act.
fn split(path: &str) -> Option<(&str, Option<&str>)> {
    let rest = path.strip_prefix(page::PATH)?.strip_prefix('/')?;
    match rest.split_once('/') {
        Some((id, act)) => Some((id, Some(act))),
        None => Some((rest, None)),
    }
}

fn cannot(status: StatusCode, reason: &str) -> Response<Body> {
    html(status, pages::page("Swaps", None, &page::cannot(reason)))
}

fn refusal(e: &Refusal) -> Response<Body> {
    let status = match e {
        Refusal::NotOffered | Refusal::NotRequester | Refusal::NotApprover | Refusal::OwnSwap => {
            StatusCode::FORBIDDEN
        }
        Refusal::Expired => StatusCode::GONE,
        Refusal::Taken | Refusal::Closed(_) | Refusal::NotAwaitingApproval => StatusCode::CONFLICT,
    };
    cannot(status, &format!("{e}. Nothing was changed."))
}

fn no_such_request() -> Response<Body> {
    cannot(
        StatusCode::NOT_FOUND,
        "There is no such swap request (the link may be mistyped or too old). Nothing was changed.",
    )
}

impl WebPages {
    async fn swap_reader(
        &self,
        request: &Request,
        now: jiff::Timestamp,
        post: bool,
    ) -> Result<(SignedIn, Option<Form>), Response<Body>> {
        let signed_in = match self.session(request, now).await {
            Ok(Some(signed_in)) => signed_in,
            Ok(None) if post => {
                warn!(path = request.uri().path(), "POST refused: not signed in");
                return Err(refused(
                    StatusCode::FORBIDDEN,
                    "Sign in first: only a signed-in person can ask for or take a swap.",
                ));
            }
            Ok(None) => return Err(redirect("/signin")),
            Err(response) => return Err(response),
        };
        if !post {
            return Ok((signed_in, None));
        }
        let form = Form::of(request);
        let csrf_ok = form.as_ref().is_some_and(|form| {
            self.signin
                .csrf_matches(&signed_in.binding, form.get("csrf").unwrap_or_default())
        });
        match form.filter(|_| csrf_ok) {
            Some(form) => Ok((signed_in, Some(form))),
            None => {
                warn!(
                    path = request.uri().path(),
                    "POST refused: no valid CSRF token"
                );
                Err(csrf_refused())
            }
        }
    }

    fn swap_page(
        &self,
        status: StatusCode,
        title: &str,
        signed_in: &SignedIn,
        name: &str,
        main: &str,
    ) -> Response<Body> {
        let csrf = self.signin.csrf_token(&signed_in.binding);
        html(
            status,
            pages::page(title, Some(&Reader { name, csrf: &csrf }), main),
        )
    }

    /// The zone the reader reads the page in, as the other pages pick it: `?tz=` if given, else
    /// their roster timezone (UTC for someone the roster does not know). A bad `?tz=` is the
    /// caller's error (400).
    fn reader_zone(
        &self,
        request: &Request,
        person: &str,
    ) -> Result<Option<IanaTimeZone>, UnknownTimeZone> {
        match query(request, "tz") {
            Some(name) => crate::brief::zone(Some(name.as_str())),
            None => Ok(self.swaps.as_ref().and_then(|swaps| {
                let person = swaps.roster.person(&PersonId::parse(person).ok()?)?;
                Some(person.timezone.clone())
            })),
        }
    }

    fn namer(&self) -> impl Fn(&str) -> String + '_ {
        move |id: &str| {
            self.swaps
                .as_ref()
                .and_then(|s| {
                    PersonId::parse(id)
                        .ok()
                        .and_then(|p| s.roster.person(&p).map(|p| p.name.clone()))
                })
                .unwrap_or_else(|| id.to_owned())
        }
    }

    pub(super) async fn swaps_list(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let (signed_in, _) = match self.swap_reader(request, now, false).await {
            Ok(reader) => reader,
            Err(response) => return response,
        };
        let Some(swaps) = &self.swaps else {
            return cannot(
                StatusCode::NOT_FOUND,
                "This deployment offers no swaps (it has no roster).",
            );
        };
        let me = signed_in.person.as_str();
        let zone = match self.reader_zone(request, me) {
            Ok(zone) => zone,
            Err(e) => return refused(StatusCode::BAD_REQUEST, &e.to_string()),
        };
        let all = match swaps.ledger.swaps_from(now).await {
            Ok(all) => all,
            Err(e) => return unavailable(&e.to_string()),
        };
        let mine: Vec<SwapRequest> = all.iter().filter(|r| r.requester == me).cloned().collect();
        let offered: Vec<SwapRequest> = all
            .iter()
            .filter(|r| {
                (r.state == SwapState::Open && r.offered.iter().any(|p| p == me))
                    || (r.state == SwapState::AwaitingApproval && r.approver.as_deref() == Some(me))
            })
            .cloned()
            .collect();
        let ahead = match crate::ahead::ahead(swaps.shifts.as_ref(), &swaps.roster, now).await {
            Ok(ahead) => ahead,
            Err(e) => return unavailable(&e.to_string()),
        };
        let (mut my_weeks, mut other_weeks) = (Vec::new(), Vec::new());
        for rotation in ahead {
            for week in rotation.weeks.into_iter().filter(|w| w.start > now) {
                let Some(person) = week.primary.clone() else {
                    continue;
                };
                let coming = ComingWeek {
                    rotation: rotation.rotation.clone(),
                    week: week.week.clone(),
                    start: week.start,
                    person: person.clone(),
                };
                if person == me {
                    my_weeks.push(coming);
                } else {
                    other_weeks.push(coming);
                }
            }
        }
        let csrf = self.signin.csrf_token(&signed_in.binding);
        let namer = self.namer();
        let main = page::list(&SwapList {
            mine: &mine,
            offered: &offered,
            my_weeks: &my_weeks,
            other_weeks: &other_weeks,
            csrf: &csrf,
            name: &namer,
            zone: zone.as_ref(),
        });
        let name = namer(me);
        self.swap_page(StatusCode::OK, "Swaps and cover", &signed_in, &name, &main)
    }

    pub(super) async fn ask_for_swap(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let (signed_in, form) = match self.swap_reader(request, now, true).await {
            Ok((signed_in, Some(form))) => (signed_in, form),
            Ok(_) => return csrf_refused(),
            Err(response) => return response,
        };
        let Some(swaps) = &self.swaps else {
            return cannot(
                StatusCode::NOT_FOUND,
                "This deployment offers no swaps (it has no roster).",
            );
        };
        let Some((rotation, week)) = page::parse_week(form.get("week").unwrap_or_default()) else {
            return cannot(
                StatusCode::BAD_REQUEST,
                "Choose one of your weeks from the list.",
            );
        };
        let kind = match form.get("kind").unwrap_or_default() {
            "cover" => SwapKind::Cover { week },
            "swap" => match page::parse_week(form.get("with").unwrap_or_default()) {
                Some((other, with_week)) if other == rotation => SwapKind::Swap { week, with_week },
                Some(_) => {
                    return cannot(
                        StatusCode::BAD_REQUEST,
                        "A swap is between two weeks of the same rotation.",
                    );
                }
                None => {
                    return cannot(
                        StatusCode::BAD_REQUEST,
                        "For a swap, choose the other week from the list.",
                    );
                }
            },
            _ => return cannot(StatusCode::BAD_REQUEST, "Choose cover or swap."),
        };
        let cause = format!("web:{}", uuid::Uuid::new_v4().simple());
        let note = form.get("note").unwrap_or_default();
        match swaps
            .ask(&signed_in.person, &rotation, kind, note, now, &cause)
            .await
        {
            Ok(asked) => redirect(&format!("{}/{}?asked=1", page::PATH, asked.id)),
            Err(e @ AskError::NotYourWeek { .. }) => {
                warn!(person = %signed_in.person, error = %e, "swap refused: not their week");
                cannot(StatusCode::FORBIDDEN, &format!("{e}. Nothing was written."))
            }
            Err(e) if e.is_callers() => cannot(
                StatusCode::BAD_REQUEST,
                &format!("{e}. Nothing was written."),
            ),
            Err(e) => unavailable(&e.to_string()),
        }
    }

    /// `GET /swaps/<id>` and its buttons.
    pub(super) async fn swap_request(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let path = request.uri().path().to_owned();
        let post = request.method() == lambda_http::http::Method::POST;
        let (signed_in, _form) = match self.swap_reader(request, now, post).await {
            Ok(reader) => reader,
            Err(response) => return response,
        };
        let Some(swaps) = &self.swaps else {
            return cannot(
                StatusCode::NOT_FOUND,
                "This deployment offers no swaps (it has no roster).",
            );
        };
        let Some((id, act)) = split(&path) else {
            return no_such_request();
        };
        let Ok(id) = SwapId::parse(id) else {
            warn!("swap page refused: a malformed id");
            return no_such_request();
        };
        let act = match (post, act) {
            (false, None) => None,
            (true, Some(act)) => match Button::parse(act) {
                Some(act) => Some(act),
                None => return no_such_request(),
            },
            _ => return no_such_request(),
        };
        let me = signed_in.person.as_str();
        let zone = match self.reader_zone(request, me) {
            Ok(zone) => zone,
            Err(e) => return refused(StatusCode::BAD_REQUEST, &e.to_string()),
        };
        let cause = format!("web:{}", uuid::Uuid::new_v4().simple());
        let mut status = StatusCode::OK;
        let (shown, notice) = match act {
            None => match swaps.request(&id).await {
                Ok(Some(shown)) => {
                    let waiting =
                        matches!(shown.state, SwapState::Open | SwapState::AwaitingApproval);
                    let notice = if shown.state == SwapState::Expired
                        || (waiting && now >= shown.closes_at)
                    {
                        status = StatusCode::GONE;
                        Some("This request has expired: nobody can accept it any more.".to_owned())
                    } else {
                        query(request, "asked").map(|_| {
                            "Asked: it is offered by mail to everyone listed below.".to_owned()
                        })
                    };
                    (shown, notice)
                }
                Ok(None) => return no_such_request(),
                Err(e) => return unavailable(&e.to_string()),
            },
            Some(act) => match swaps.press(&id, act, me, now, &cause).await {
                Ok(pressed) => {
                    info!(swap = %id, person = me, act = ?act, state = pressed.state.as_str(), "swap button");
                    let notice = done(act, &pressed).to_owned();
                    (pressed, Some(notice))
                }
                Err(ActError::NoSuchRequest) => return no_such_request(),
                Err(ActError::Refused(e)) => {
                    warn!(swap = %id, person = me, act = ?act, refusal = %e, "swap button refused");
                    return refusal(&e);
                }
                Err(e @ ActError::VictorOpsPending(_)) => {
                    warn!(swap = %id, error = %e, "swap applied in Clinic, VictorOps pending");
                    return cannot(StatusCode::SERVICE_UNAVAILABLE, &e.to_string());
                }
                Err(e) => return unavailable(&e.to_string()),
            },
        };
        let deciding = shown.state == SwapState::AwaitingApproval
            && now < shown.closes_at
            && shown.approver.as_deref() == Some(me);
        let buttons = Buttons {
            accept: shown.state == SwapState::Open
                && now < shown.closes_at
                && shown.offered.iter().any(|p| p == me),
            approve: deciding && !shown.approver_is_party(),
            decline: deciding,
            withdraw: matches!(shown.state, SwapState::Open | SwapState::AwaitingApproval)
                && shown.requester == me,
        };
        let csrf = self.signin.csrf_token(&signed_in.binding);
        let namer = self.namer();
        let main = page::detail(
            &shown,
            &Detail {
                buttons: &buttons,
                csrf: &csrf,
                name: &namer,
                zone: zone.as_ref(),
                notice: notice.as_deref(),
            },
        );
        let name = namer(me);
        self.swap_page(
            status,
            &format!("Swap request: {}", shown.kind.describe()),
            &signed_in,
            &name,
            &main,
        )
    }
}

/// The swaps service as configured: the table behind every port, SES, VictorOps when its API is
/// set and a rotation of the roster is linked to it.
pub(super) fn from_config(
    config: &crate::config::WebConfig,
    roster: std::sync::Arc<crate::rotation::roster::Roster>,
    store: std::sync::Arc<crate::adapters::dynamo::DynamoStore>,
    mailer: std::sync::Arc<crate::adapters::ses::SesMailer>,
) -> crate::swaps::Swaps {
    use std::sync::Arc;
    let linked = roster
        .rotation_names()
        .any(|name| crate::oncall::VictorOpsSync::link(&roster, name.as_str()).is_some());
    let victorops = config.victorops_api.as_ref().filter(|_| linked).map(|api| {
        let client = crate::adapters::victorops::VictorOpsClient::new(
            api,
            crate::adapters::victorops::default_pacing(),
        );
        Arc::new(crate::oncall::VictorOpsSync::new(
            Arc::new(client),
            store.clone(),
            config.mail_lease_seconds,
        ))
    });
    crate::swaps::Swaps {
        ledger: store.clone(),
        shifts: store.clone(),
        claims: store,
        mailer,
        nonces: Arc::new(crate::adapters::random::OsNonces),
        roster,
        victorops,
        sender: config.sender.clone(),
        web_url: config.web_url.clone(),
        lease: jiff::SignedDuration::from_secs(i64::from(config.mail_lease_seconds)),
        max_age: config.swap_max_age,
    }
}
