//! The *maintenance* page and its one button: `GET /maintenance` lists the unverified maintenances of
//! the coming days and the review list; `POST /maintenance/confirm` confirms one as read through the
//! same operation as `clinic maintenance confirm`, the signed-in person named in the audit entry.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use tracing::{info, warn};

use super::{Form, WebPages, csrf_refused, html, query, redirect, refused, unavailable};
use crate::maintenance::confirm::{ConfirmOutcome, ReviewLeft, confirm, parse_name};
use crate::maintenance::lifecycle::{Acknowledgement, Confirmation};
use crate::pages::maintenance::{self as page, MaintenanceList, Notice};
use crate::pages::{self, Reader};

impl WebPages {
    pub(super) async fn maintenance(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let signed_in = match self.session(request, now).await {
            Ok(Some(signed_in)) => signed_in,
            Ok(None) => return redirect("/signin"),
            Err(response) => return response,
        };
        let card = match self.signin.card(&signed_in.person).await {
            Ok(card) => card,
            Err(e) => return unavailable(&e.to_string()),
        };
        let zone_name = query(request, "tz").or_else(|| card.as_ref().map(|c| c.timezone.clone()));
        let zone = match crate::brief::zone(zone_name.as_deref()) {
            Ok(zone) => zone,
            Err(e) => return refused(StatusCode::BAD_REQUEST, &e.to_string()),
        };
        let ahead = now + jiff::SignedDuration::from_hours(24 * page::AHEAD_DAYS);
        let mut unverified = match self.maintenances.maintenances_between(now, ahead).await {
            Ok(records) => records,
            Err(e) => return unavailable(&e.to_string()),
        };
        unverified.retain(|r| r.unverified());
        let reviews = match self.maintenances.reviews().await {
            Ok(reviews) => reviews,
            Err(e) => return unavailable(&e.to_string()),
        };
        let notice = request.uri().query().and_then(Notice::from_query);
        let name = card
            .as_ref()
            .map_or(signed_in.person.as_str(), |c| c.name.as_str());
        let csrf = self.signin.csrf_token(&signed_in.binding);
        let main = page::main(&MaintenanceList {
            unverified: &unverified,
            reviews: &reviews,
            notice: notice.as_ref(),
            csrf: &csrf,
            now,
            zone: zone.as_ref(),
        });
        html(
            StatusCode::OK,
            pages::page(
                "Maintenance to confirm",
                Some(&Reader { name, csrf: &csrf }),
                &main,
            ),
        )
    }

    /// The button: session, then CSRF token, then the name, before anything is read or written.
    pub(super) async fn confirm_maintenance(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Response<Body> {
        let signed_in = match self.session(request, now).await {
            Ok(Some(signed_in)) => signed_in,
            Ok(None) => {
                warn!(path = page::CONFIRM_PATH, "POST refused: not signed in");
                return refused(
                    StatusCode::FORBIDDEN,
                    "Sign in first: only a signed-in person can confirm a maintenance.",
                );
            }
            Err(response) => return response,
        };
        let form = Form::of(request);
        let csrf_ok = form.as_ref().is_some_and(|form| {
            self.signin
                .csrf_matches(&signed_in.binding, form.get("csrf").unwrap_or_default())
        });
        let Some(form) = form.filter(|_| csrf_ok) else {
            warn!(
                path = page::CONFIRM_PATH,
                "POST refused: no valid CSRF token"
            );
            return csrf_refused();
        };
        let named = form.get("maintenance").unwrap_or_default();
        let (provider, id) = match parse_name(named) {
            Ok(name) => name,
            Err(reason) => return cannot_confirm(&reason),
        };
        let actor = format!("web:{}", signed_in.person);
        let confirmation = match Confirmation::new(
            Acknowledgement {
                by: actor.clone(),
                at: now,
                note: String::new(),
            },
            None,
            None,
        ) {
            Ok(confirmation) => confirmation,
            Err(reason) => return cannot_confirm(&reason),
        };
        let cause = format!("web:{}", uuid::Uuid::new_v4().simple());
        let which = format!("{provider}/{id}");
        match confirm(
            self.maintenances.as_ref(),
            provider,
            id,
            &confirmation,
            &cause,
        )
        .await
        {
            Ok(ConfirmOutcome::Confirmed { what, review }) => {
                info!(person = %signed_in.person, provider, id, what, "maintenance confirmed");
                if let ReviewLeft::Stays { review, error } = review {
                    warn!(review, error = %error, "the confirmed maintenance's mail stays on the review list");
                }
                redirect(&format!(
                    "{}?{}",
                    page::PATH,
                    Notice::Confirmed(which).query()
                ))
            }
            Ok(ConfirmOutcome::AlreadyConfirmed(earlier)) => {
                info!(person = %signed_in.person, provider, id, by = %earlier.by, "already confirmed: nothing written");
                redirect(&format!(
                    "{}?{}",
                    page::PATH,
                    Notice::AlreadyConfirmed(which).query()
                ))
            }
            Ok(ConfirmOutcome::NoSuchMaintenance) => cannot_confirm(&format!(
                "No stored maintenance is {which}: nothing was changed."
            )),
            Err(e) => unavailable(&e.to_string()),
        }
    }
}

/// The caller's mistake, said plainly: 400, nothing written.
fn cannot_confirm(reason: &str) -> Response<Body> {
    html(
        StatusCode::BAD_REQUEST,
        pages::page(
            "Cannot confirm",
            None,
            &format!(
                "<p class=\"note\" role=\"alert\">{}</p><p><a href=\"{}\">Back to the maintenance list</a></p>",
                crate::mail::escape_html(reason),
                page::PATH
            ),
        ),
    )
}
