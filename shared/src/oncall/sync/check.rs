//! The drift check: who VictorOps will page against Clinic's weeks, and the weekly notice to the
//! people it concerns, sent once per week and address under a claim.

use tracing::warn;

use crate::audit::AuditEntry;
use crate::claim::{Claims, JOB_PATIENCE, Once, OnceError, Outcome};
use crate::mail::OnceMail;
use crate::mail::{EmailAddress, Mailbox, Mailer, stable_message_id};
use crate::oncall::drift::{DriftReport, WeeksError, clinic_weeks, compare};
use crate::oncall::ports::MAX_DAYS_FORWARD;
use crate::oncall::ports::{NoticeKey, VictorOpsError};
use crate::rotation::roster::Roster;
use crate::shifts::overrides::Operator;
use crate::shifts::{OverrideRecord, ShiftRecord, override_from_record};
use crate::store::StoreError;

use super::{NoticeOutcome, NoticeReport, VictorOpsReport, VictorOpsSync};

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
        Ok(compare(
            rotation,
            clinic,
            &schedule,
            &link.policies,
            schedule_now,
            to,
        ))
    }

    /// The weekly run for one rotation: every committed shift not yet over kept in step, then the
    /// drift check, mailed to `notify` once for `week` when it finds differences.
    #[allow(clippy::too_many_arguments)]
    pub async fn weekly(
        &self,
        roster: &Roster,
        rotation: &str,
        shifts: &[ShiftRecord],
        overrides: &[OverrideRecord],
        schedule_now: jiff::Timestamp,
        week: &str,
        mail: (&dyn Mailer, &EmailAddress),
        who: Operator<'_>,
    ) -> Result<Option<VictorOpsReport>, StoreError> {
        if Self::link(roster, rotation).is_none() {
            return Ok(None);
        }
        let mut weeks = Vec::new();
        let mut current: Vec<&ShiftRecord> =
            shifts.iter().filter(|s| s.end_utc > schedule_now).collect();
        current.sort_by(|a, b| a.week.cmp(&b.week));
        for shift in current {
            weeks.push(
                self.keep_in_step(roster, shift, schedule_now, who, false)
                    .await?,
            );
        }
        let mut report = VictorOpsReport {
            weeks,
            differences: None,
            check_error: None,
            notices: Vec::new(),
        };
        let drift = match self
            .check(
                roster,
                rotation,
                shifts,
                overrides,
                schedule_now,
                CHECK_WEEKS,
            )
            .await
        {
            Ok(drift) => drift,
            Err(CheckError::Weeks(WeeksError::Store(e))) => return Err(e),
            Err(e) => {
                warn!(rotation, error = %crate::log_text::escape(&e.to_string()), "VictorOps drift check failed");
                report.check_error = Some(e.to_string());
                return Ok(Some(report));
            }
        };
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
