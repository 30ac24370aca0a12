//! "Your duty moved", the weekly run's part: once a rotation's week is committed, the run plans the
//! weeks after it, compares them with the plan the previous run kept ([`PlanSnapshot`]), mails each
//! person whose next duty moved once (claimed per run week and person), and keeps its own plan
//! for the next run only when every one of those mails is out, so a failed mail is found again
//! by the retried run.

use super::job::{HandoffJob, JobError, MailOutcome, MovedReport, Sending};
use crate::audit::AuditLog;
use crate::claim::{ClaimKey, Claims};
use crate::idempotency::IdempotencyStore;
use crate::mail::{Mailbox, OutgoingMail};
use crate::rotation::calendar::IsoWeek;
use crate::rotation::moves::{self, DutyMove, Excluded, HORIZON_WEEKS, PlanSnapshot, SnapshotWeek};
use crate::rotation::plan;
use crate::rotation::ports::{PlanSnapshots, RosterMirror};
use crate::rotation::roster::{Person, PersonId};
use crate::shifts::{ShiftLedger, ShiftRecord};
use crate::trigger::Trigger;

impl<S> HandoffJob<S>
where
    S: ShiftLedger + Claims + RosterMirror + AuditLog + IdempotencyStore + PlanSnapshots,
{
    /// Tells the people whose next duty in `shift`'s rotation moved since the previous run's plan.
    pub(super) async fn duty_moved(
        &self,
        shift: &ShiftRecord,
        trigger: &Trigger,
    ) -> Result<Vec<MovedReport>, JobError> {
        let Some(new) = self.snapshot(shift).await? else {
            return Ok(Vec::new());
        };
        let previous = self.store.plan_snapshot(&shift.rotation).await?;
        let found = previous
            .as_ref()
            .map(|old| moves::moves(old, &new))
            .unwrap_or_default();
        let mut reports = Vec::new();
        for moved in found {
            let Some(person) = PersonId::parse(&moved.person)
                .ok()
                .and_then(|id| self.roster.person(&id))
            else {
                continue;
            };
            let outcome = if trigger.dry_run {
                MailOutcome::DryRun
            } else {
                let claim = ClaimKey::rotation(
                    &shift.rotation,
                    format!("moved#{}#{}", new.week, person.id.as_str()),
                );
                let subject = format!(
                    "rotation/{}/{}/mail/moved/{}",
                    shift.rotation,
                    new.week,
                    person.id.as_str()
                );
                let sending = Sending {
                    claim,
                    message_id: &|attempt| {
                        crate::mail::stable_message_id(&subject, &new.week, attempt)
                    },
                    subject: subject.clone(),
                    summary: format!(
                        "{}'s next duty in {} moved: {}",
                        person.id.as_str(),
                        shift.rotation,
                        moved.why
                    ),
                };
                let mail = self.moved_mail(person, &shift.rotation, &moved);
                self.send_once(&sending, &mail, &trigger.event_id).await?
            };
            let week = |w: &Option<SnapshotWeek>| w.as_ref().map(|w| w.week.clone());
            reports.push(MovedReport {
                person: moved.person.clone(),
                from: week(&moved.from),
                to: week(&moved.to),
                why: moved.why.clone(),
                outcome,
            });
        }
        let all_out = reports.iter().all(|r| {
            matches!(
                r.outcome,
                MailOutcome::Sent { .. } | MailOutcome::AlreadySent
            )
        });
        if !trigger.dry_run && all_out {
            self.store.save_plan_snapshot(&new).await?;
        }
        Ok(reports)
    }

    /// The committed `shift` and the weeks planned after it, up to [`HORIZON_WEEKS`] in all.
    async fn snapshot(&self, shift: &ShiftRecord) -> Result<Option<PlanSnapshot>, JobError> {
        let rotation = shift.rotation.as_str();
        let Ok(week) = shift.week.parse::<IsoWeek>() else {
            return Ok(None);
        };
        let mut last = Some(week);
        for _ in 1..HORIZON_WEEKS {
            last = last.and_then(IsoWeek::next);
        }
        let (Some(first), Some(last)) = (week.next(), last) else {
            return Ok(None);
        };
        let mut shifts = self.store.shifts(rotation).await?;
        if !shifts.iter().any(|s| s.week == shift.week) {
            shifts.push(shift.clone());
        }
        let served = shifts
            .iter()
            .map(ShiftRecord::served)
            .collect::<Result<Vec<_>, _>>()?;
        let overrides = self.overrides(rotation).await?;
        let planned = plan::plan_between(&self.roster, rotation, &served, &overrides, first, last)
            .map_err(|source| JobError::Plan {
                rotation: rotation.to_owned(),
                source,
            })?;
        let mut weeks = vec![SnapshotWeek {
            week: shift.week.clone(),
            primary: shift.primary.clone(),
            start_utc: shift.start_utc,
            end_utc: shift.end_utc,
            overridden: shift.overridden.clone(),
            excluded: Vec::new(),
        }];
        weeks.extend(planned.weeks.iter().map(|w| {
            SnapshotWeek {
                week: w.week.to_string(),
                primary: w.primary.as_ref().map(|p| p.as_str().to_owned()),
                start_utc: w.start_utc,
                end_utc: w.end_utc,
                overridden: w.overridden.clone(),
                excluded: w
                    .excluded
                    .iter()
                    .map(|e| Excluded {
                        person: e.person.as_str().to_owned(),
                        reason: e.reason.to_string(),
                    })
                    .collect(),
            }
        }));
        let members = self
            .roster
            .rotation(rotation)
            .map(|r| {
                self.roster
                    .members(&r.name)
                    .map(|p| p.id.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some(PlanSnapshot {
            rotation: rotation.to_owned(),
            week: shift.week.clone(),
            weeks,
            members,
            taken_at: self.clock.now(),
        }))
    }

    fn moved_mail(&self, person: &Person, rotation: &str, moved: &DutyMove) -> OutgoingMail {
        let when = |w: &Option<SnapshotWeek>| match w {
            Some(w) => format!(
                "week {} ({} to {})",
                w.week,
                local(w.start_utc, person),
                local(w.end_utc, person)
            ),
            None => format!("no duty in the next {HORIZON_WEEKS} weeks"),
        };
        let short = |w: &Option<SnapshotWeek>| {
            w.as_ref()
                .map_or_else(|| "later".to_owned(), |w| w.week.clone())
        };
        let subject = format!(
            "[Clinic] Your next {rotation} duty moved: {} to {}",
            moved.from.as_ref().map_or("none", |w| w.week.as_str()),
            short(&moved.to)
        );
        let text = format!(
            "Hello {},\n\nyour next clinic duty in {rotation} moved.\n\n  Was: {}\n  Now: {}\n\nWhy: {}.\n\n\
             Weeks ahead are planned, not committed: each weekly run plans them again, and tells you if \
             your next duty moves. `clinic rotation explain --rotation {rotation} --week WEEK` shows why a week is \
             planned as it is.\n\n-- Clinic\n",
            person.name,
            when(&moved.from),
            when(&moved.to),
            moved.why
        );
        OutgoingMail {
            from: Mailbox::new("Clinic", self.sender.clone()),
            to: vec![Mailbox::new(person.name.clone(), person.email.clone())],
            cc: Vec::new(),
            subject,
            html: format!("<pre>{}</pre>", crate::mail::escape_html(&text)),
            text,
        }
    }
}

/// `at` in the person's own zone, with UTC beside it.
fn local(at: jiff::Timestamp, person: &Person) -> String {
    let zoned = at.to_zoned(person.timezone.zone().clone());
    format!(
        "{} {} / {} UTC",
        zoned.strftime("%a %Y-%m-%d %H:%M"),
        zoned.strftime("%Z"),
        at.strftime("%H:%M")
    )
}
