//! The *ahead* and *mine* pages: `GET /ahead` shows each rotation's next twelve weeks as the weekly
//! job would act on them (`crate::ahead`), `GET /mine` the signed-in person's shifts beside what the
//! brief says needs someone (`crate::brief::build_reading`, its work sections only). Both need the
//! roster the weekly job plans from.

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

    /// The people a page names, read by key: a dozen weeks name a few people, and reading the
    /// roster's whole partition (200 people) cost a page about 60 ms (docs/benchmarks.md).
    async fn people_named(&self, mut ids: Vec<String>) -> Result<People, Response<Body>> {
        ids.sort_unstable();
        ids.dedup();
        let cards = self
            .source
            .people_named(&ids)
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
        let named = rotations
            .iter()
            .flat_map(|r| &r.weeks)
            .flat_map(|w| [w.primary.clone(), w.backup.clone()])
            .flatten()
            .collect();
        let people = match self.people_named(named).await {
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
        // The shifts (read once, for the weeks ahead and the past ones) and the brief, together.
        let (read, brief) = tokio::join!(
            crate::ahead::ahead_and_shifts(schedule.ledger.as_ref(), &schedule.roster, now),
            crate::brief::build_reading(
                self.source.as_ref(),
                &schedule.settings,
                now,
                crate::brief::Reading::Work
            ),
        );
        let read = match read {
            Ok(read) => read,
            Err(e) => return unavailable(&e.to_string()),
        };
        let brief = match brief {
            Ok(brief) => brief,
            Err(e) => return unavailable(&e.to_string()),
        };
        let mut past: Vec<ShiftRecord> = Vec::new();
        let mut coming: Vec<(String, crate::ahead::AheadWeek)> = Vec::new();
        for (ahead, shifts) in read {
            past.extend(shifts.into_iter().filter(|s| {
                s.start_utc <= now && (s.primary.as_deref() == me || s.backup.as_deref() == me)
            }));
            let rotation = ahead.rotation;
            coming.extend(
                ahead
                    .weeks
                    .into_iter()
                    .filter(|w| {
                        w.end > now && (w.primary.as_deref() == me || w.backup.as_deref() == me)
                    })
                    .map(|w| (rotation.clone(), w)),
            );
        }
        past.sort_by_key(|s| std::cmp::Reverse(s.start_utc));
        past.truncate(PAST_SHIFTS);
        coming.sort_by_key(|(_, w)| w.start);
        let named = coming
            .iter()
            .flat_map(|(_, w)| [w.primary.clone(), w.backup.clone()])
            .flatten()
            .chain([visit.person.clone()])
            .collect();
        let people: People = match self.people_named(named).await {
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
