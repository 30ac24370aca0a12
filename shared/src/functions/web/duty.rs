//! The *ahead* and *mine* pages: `GET /ahead` shows each rotation's next twelve weeks as the weekly
//! job would act on them (`crate::ahead`), `GET /mine` the signed-in person's shifts beside what the
//! brief says needs someone (`crate::brief::build`). Both need the roster the weekly job plans from.

use std::sync::Arc;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{WebPages, html, query, redirect, refused, unavailable};
use crate::brief::BriefSettings;
use crate::pages::ahead::People;
use crate::pages::mine::{Mine, PAST_SHIFTS};
use crate::pages::{self, Reader};
use crate::rotation::roster::{IanaTimeZone, Roster};
use crate::shifts::{ShiftLedger, ShiftRecord};

/// What the two pages plan and read from: the roster (as packaged with the weekly job), the shift
/// ledger, and how the brief is built (stale threshold, Phorge links).
pub struct Schedule {
    pub roster: Arc<Roster>,
    pub ledger: Arc<dyn ShiftLedger>,
    pub settings: BriefSettings,
}

/// The signed-in reader of a page: who they are, in which zone they read, and the header's data.
struct Visit {
    person: String,
    name: String,
    csrf: String,
    zone: Option<IanaTimeZone>,
}

impl WebPages {
    async fn visit(
        &self,
        request: &Request,
        now: jiff::Timestamp,
    ) -> Result<Visit, Response<Body>> {
        let signed_in = match self.session(request, now).await {
            Ok(Some(signed_in)) => signed_in,
            Ok(None) => return Err(redirect("/signin")),
            Err(response) => return Err(response),
        };
        let card = self
            .signin
            .card(&signed_in.person)
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        let zone_name = query(request, "tz").or_else(|| card.as_ref().map(|c| c.timezone.clone()));
        let zone = crate::brief::zone(zone_name.as_deref())
            .map_err(|e| refused(StatusCode::BAD_REQUEST, &e.to_string()))?;
        Ok(Visit {
            name: card
                .as_ref()
                .map_or(signed_in.person.clone(), |c| c.name.clone()),
            csrf: self.signin.csrf_token(&signed_in.binding),
            person: signed_in.person,
            zone,
        })
    }

    /// The page a deployment without a roster answers with.
    fn no_roster(visit: &Visit, title: &str) -> Response<Body> {
        let reader = Reader {
            name: &visit.name,
            csrf: &visit.csrf,
        };
        html(
            StatusCode::SERVICE_UNAVAILABLE,
            pages::page(
                title,
                Some(&reader),
                "<p class=\"note\" role=\"alert\">This deployment's web function has no roster \
                 (CLINIC_ROSTER), so it cannot plan the weeks ahead.</p>",
            ),
        )
    }

    async fn people(&self) -> Result<People, Response<Body>> {
        let cards = self
            .source
            .people()
            .await
            .map_err(|e| unavailable(&e.to_string()))?;
        Ok(cards.into_iter().map(|c| (c.id.clone(), c)).collect())
    }

    pub(super) async fn ahead(&self, request: &Request, now: jiff::Timestamp) -> Response<Body> {
        const TITLE: &str = "Duty ahead";
        let visit = match self.visit(request, now).await {
            Ok(visit) => visit,
            Err(response) => return response,
        };
        let Some(schedule) = self.schedule.as_ref() else {
            return Self::no_roster(&visit, TITLE);
        };
        let rotations =
            match crate::ahead::ahead(schedule.ledger.as_ref(), &schedule.roster, now).await {
                Ok(rotations) => rotations,
                Err(e) => return unavailable(&e.to_string()),
            };
        let people = match self.people().await {
            Ok(people) => people,
            Err(response) => return response,
        };
        let reader = Reader {
            name: &visit.name,
            csrf: &visit.csrf,
        };
        let main = pages::ahead::main(&rotations, &people, now, visit.zone.as_ref());
        html(StatusCode::OK, pages::page(TITLE, Some(&reader), &main))
    }

    pub(super) async fn mine(&self, request: &Request, now: jiff::Timestamp) -> Response<Body> {
        const TITLE: &str = "Mine";
        let visit = match self.visit(request, now).await {
            Ok(visit) => visit,
            Err(response) => return response,
        };
        let Some(schedule) = self.schedule.as_ref() else {
            return Self::no_roster(&visit, TITLE);
        };
        let me = Some(visit.person.as_str());
        let mut past: Vec<ShiftRecord> = Vec::new();
        for rotation in schedule.roster.rotation_names() {
            match schedule.ledger.shifts(rotation.as_str()).await {
                Ok(shifts) => past.extend(shifts.into_iter().filter(|s| {
                    s.start_utc <= now && (s.primary.as_deref() == me || s.backup.as_deref() == me)
                })),
                Err(e) => return unavailable(&e.to_string()),
            }
        }
        past.sort_by_key(|s| std::cmp::Reverse(s.start_utc));
        past.truncate(PAST_SHIFTS);
        let rotations =
            match crate::ahead::ahead(schedule.ledger.as_ref(), &schedule.roster, now).await {
                Ok(rotations) => rotations,
                Err(e) => return unavailable(&e.to_string()),
            };
        let mut coming: Vec<(String, crate::ahead::AheadWeek)> = rotations
            .into_iter()
            .flat_map(|r| {
                let rotation = r.rotation;
                r.weeks
                    .into_iter()
                    .map(move |w| (rotation.clone(), w))
                    .collect::<Vec<_>>()
            })
            .filter(|(_, w)| {
                w.end > now && (w.primary.as_deref() == me || w.backup.as_deref() == me)
            })
            .collect();
        coming.sort_by_key(|(_, w)| w.start);
        let brief = match crate::brief::build(self.source.as_ref(), &schedule.settings, now).await {
            Ok(brief) => brief,
            Err(e) => return unavailable(&e.to_string()),
        };
        let people: People = match self.people().await {
            Ok(people) => people,
            Err(response) => return response,
        };
        let reader = Reader {
            name: &visit.name,
            csrf: &visit.csrf,
        };
        let main = pages::mine::main(
            &Mine {
                person: &visit.person,
                past: &past,
                coming: &coming,
                brief: &brief,
                people: &people,
            },
            now,
            visit.zone.as_ref(),
        );
        html(StatusCode::OK, pages::page(TITLE, Some(&reader), &main))
    }
}
