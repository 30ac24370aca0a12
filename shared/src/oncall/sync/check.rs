//! The drift check: who VictorOps will page against Clinic's weeks, and the weekly notice to the
//! people it concerns, sent once per week and address under a claim.

use tracing::warn;

use crate::audit::AuditEntry;
use crate::claim::{Claims, JOB_PATIENCE, Once, OnceError, Outcome};
use crate::mail::OnceMail;
use crate::mail::{EmailAddress, Mailbox, Mailer, stable_message_id};
use crate::oncall::drift::{DriftReport, WeeksError, clinic_weeks, compare};
use crate::oncall::ports::MAX_DAYS_FORWARD;
use crate::oncall::ports::{NoticeKey, TeamSchedule, VictorOpsError};
use crate::rotation::roster::Roster;
use crate::shifts::overrides::Operator;
use crate::shifts::{OverrideRecord, ShiftLedger, ShiftRecord, override_from_record};
use crate::store::StoreError;

use super::{NoticeOutcome, NoticeReport, TakeOutcome, VictorOpsReport, VictorOpsSync, WeekSync};

/// How far ahead the weekly drift check looks.
pub const CHECK_WEEKS: u32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("rotation {0} is not kept in step with VictorOps (no `victorops` in the roster)")]
    NotLinked(String),
    #[error(transparent)]
    VictorOps(#[from] VictorOpsError),
    #[error(transparent)]
    Weeks(#[from] WeeksError),
}

impl VictorOpsSync {
    /// Who VictorOps will page against Clinic's weeks, from `schedule_now` for `weeks` weeks.
    pub async fn check(
        &self,
        roster: &Roster,
        rotation: &str,
        shifts: &[ShiftRecord],
        overrides: &[OverrideRecord],
        schedule_now: jiff::Timestamp,
        weeks: u32,
    ) -> Result<DriftReport, CheckError> {
        self.check_reading(roster, rotation, shifts, overrides, schedule_now, weeks)
            .await
            .map(|(drift, _)| drift)
    }

    /// The check, with the schedule it read (the weekly run looks for takes in it too).
    async fn check_reading(
        &self,
        roster: &Roster,
        rotation: &str,
        shifts: &[ShiftRecord],
        overrides: &[OverrideRecord],
        schedule_now: jiff::Timestamp,
        weeks: u32,
    ) -> Result<(DriftReport, TeamSchedule), CheckError> {
        let link = Self::link(roster, rotation)
            .ok_or_else(|| CheckError::NotLinked(rotation.to_owned()))?;
        let days = (weeks.max(1) * 7).min(MAX_DAYS_FORWARD);
        let to = schedule_now + jiff::SignedDuration::from_hours(i64::from(days) * 24);
        let overrides = overrides
            .iter()
            .map(override_from_record)
            .collect::<Result<Vec<_>, _>>()
            .map_err(WeeksError::from)?;
        let clinic = clinic_weeks(roster, rotation, shifts, &overrides, schedule_now, to)?;
        let schedule = self.api.team_schedule(&link.team, days).await?;
        let drift = compare(
            rotation,
            clinic,
            &schedule,
            &link.policies,
            schedule_now,
            to,
        );
        Ok((drift, schedule))
    }

    /// The weekly run for one rotation: every committed shift not yet over kept in step, then the
    /// drift check; members' own takes found in the check's schedule are recorded or undone (and
    /// the weeks they changed kept in step and checked again); what still differs is mailed to
    /// `notify` once for `week`.
    #[allow(clippy::too_many_arguments)]
    pub async fn weekly<S: ShiftLedger>(
        &self,
        store: &S,
        roster: &Roster,
        rotation: &str,
        schedule_now: jiff::Timestamp,
        week: &str,
        mail: (&dyn Mailer, &EmailAddress),
        who: Operator<'_>,
    ) -> Result<Option<VictorOpsReport>, StoreError> {
        let Some(link) = Self::link(roster, rotation) else {
            return Ok(None);
        };
        let shifts = store.shifts(rotation).await?;
        let overrides = store.overrides(rotation).await?;
        let mut report = VictorOpsReport {
            weeks: self
                .keep_current_in_step(roster, &shifts, schedule_now, who, None)
                .await?,
            differences: None,
            check_error: None,
            notices: Vec::new(),
            takes: Vec::new(),
            takes_error: None,
        };
        let checked = self
            .check_reading(
                roster,
                rotation,
                &shifts,
                &overrides,
                schedule_now,
                CHECK_WEEKS,
            )
            .await;
        let (mut drift, schedule) = match checked {
            Ok(both) => both,
            Err(CheckError::Weeks(WeeksError::Store(e))) => return Err(e),
            Err(e) => {
                warn!(rotation, error = %crate::log_text::escape(&e.to_string()), "VictorOps drift check failed");
                report.check_error = Some(e.to_string());
                return Ok(Some(report));
            }
        };
        match self
            .handle_takes(
                store,
                roster,
                link,
                rotation,
                &shifts,
                &schedule,
                schedule_now,
                mail,
                who,
            )
            .await?
        {
            Ok(takes) => report.takes = takes,
            Err(error) => report.takes_error = Some(error),
        }
        let changed: Vec<String> = report
            .takes
            .iter()
            .filter(|t| matches!(t.outcome, TakeOutcome::Recorded | TakeOutcome::Undone))
            .map(|t| t.take.week.clone())
            .collect();
        if !changed.is_empty() {
            let shifts = store.shifts(rotation).await?;
            let overrides = store.overrides(rotation).await?;
            let again = self
                .keep_current_in_step(roster, &shifts, schedule_now, who, Some(&changed))
                .await?;
            for synced in again {
                match report.weeks.iter_mut().find(|w| w.week == synced.week) {
                    Some(earlier) => *earlier = synced,
                    None => report.weeks.push(synced),
                }
            }
            match self
                .check(
                    roster,
                    rotation,
                    &shifts,
                    &overrides,
                    schedule_now,
                    CHECK_WEEKS,
                )
                .await
            {
                Ok(rechecked) => drift = rechecked,
                Err(CheckError::Weeks(WeeksError::Store(e))) => return Err(e),
                Err(e) => {
                    report.check_error = Some(e.to_string());
                    return Ok(Some(report));
                }
            }
        }
        report.differences = Some(drift.count());
        if drift.count() > 0 {
            let notify = roster
                .rotation(rotation)
                .map(|r| r.notify.clone())
                .unwrap_or_default();
            for address in notify {
                let key = NoticeKey {
                    rotation: rotation.to_owned(),
                    week: week.to_owned(),
                    address: address.to_string(),
                };
                let outcome = self.notify(&drift, &key, address, mail, who).await?;
                report.notices.push(NoticeReport {
                    to: key.address,
                    outcome,
                });
            }
        }
        Ok(Some(report))
    }

    /// Keeps in step every committed shift not yet over (of `only` these weeks, when given).
    async fn keep_current_in_step(
        &self,
        roster: &Roster,
        shifts: &[ShiftRecord],
        schedule_now: jiff::Timestamp,
        who: Operator<'_>,
        only: Option<&[String]>,
    ) -> Result<Vec<WeekSync>, StoreError> {
        let mut current: Vec<&ShiftRecord> = shifts
            .iter()
            .filter(|s| s.end_utc > schedule_now)
            .filter(|s| only.is_none_or(|weeks| weeks.contains(&s.week)))
            .collect();
        current.sort_by(|a, b| a.week.cmp(&b.week));
        let mut weeks = Vec::new();
        for shift in current {
            weeks.push(
                self.keep_in_step(roster, shift, schedule_now, who, false)
                    .await?,
            );
        }
        Ok(weeks)
    }

    async fn notify(
        &self,
        drift: &DriftReport,
        key: &NoticeKey,
        address: EmailAddress,
        (mailer, sender): (&dyn Mailer, &EmailAddress),
        who: Operator<'_>,
    ) -> Result<NoticeOutcome, StoreError> {
        let mail = drift.notice(Mailbox::new("Clinic", sender.clone()), address);
        let subject = format!(
            "rotation/{}/{}/victorops-drift/{}",
            key.rotation, key.week, key.address
        );
        let once = OnceMail {
            mailer,
            mail: &mail,
            message_id: Box::new(|attempt| stable_message_id(&subject, &key.week, attempt)),
            audit: Box::new(|message_id, at| {
                AuditEntry::new(
                    at,
                    who.actor,
                    "mail.send",
                    subject.clone(),
                    format!(
                        "{} difference(s) between VictorOps and the rotation, for the notify list",
                        drift.count()
                    ),
                    who.cause,
                )
                .with_details(
                    serde_json::json!({"message_id": message_id, "subject": mail.subject}),
                )
            }),
        };
        let ledger: &dyn Claims = self.ledger.as_ref();
        match Once::new(ledger, self.lease)
            .patient(JOB_PATIENCE)
            .run(&key.claim(), &once, self.clock.now())
            .await
        {
            Ok(Outcome::Done {
                outcome,
                acted: true,
            }) => Ok(NoticeOutcome::Sent {
                message_id: outcome,
            }),
            Ok(Outcome::Done { acted: false, .. }) => Ok(NoticeOutcome::AlreadySent),
            Ok(Outcome::Busy { .. }) => Ok(NoticeOutcome::HeldElsewhere),
            Err(OnceError::Store(e)) => Err(e),
            Err(OnceError::Effect(e)) => {
                let reason = e.to_string();
                warn!(to = %key.address, error = %crate::log_text::escape(&reason), "drift notice failed");
                Ok(NoticeOutcome::Failed { reason })
            }
        }
    }
}
