//! Committed shifts put on call in VictorOps, exactly once. For each committed week Clinic keeps a
//! record (`OverrideSyncRecord`) of the scheduled overrides it created there, and works on it under a
//! lease taken with the read, so concurrent runs never both create. The intent to create is written
//! before the request, so a run after a lost answer first looks the override up in `GET v1/overrides`.
//! A week whose person changed (an override or swap in Clinic) gets its old overrides deleted and new
//! ones created, each audited. A VictorOps failure is recorded and tried again on the next run.

mod check;
mod report;
mod takes;
mod work;

use std::sync::Arc;

use tracing::warn;

use super::ports::{Lease, OnCallLedger, SyncStatus, VictorOpsApi};
use crate::clock::Clock;
use crate::rotation::roster::{Roster, VictorOpsLink};
use crate::shifts::ShiftRecord;
use crate::shifts::overrides::Operator;
use crate::store::StoreError;

pub use check::{CHECK_WEEKS, CheckError};
pub use report::{
    NoticeOutcome, NoticeReport, SyncOutcome, TakeOutcome, TakeReport, VictorOpsReport, WeekSync,
};
use work::{Stop, Work, stopped, target_of};

/// Keeps VictorOps in step with the committed shifts of the rotations the roster links to it.
pub struct VictorOpsSync {
    api: Arc<dyn VictorOpsApi>,
    ledger: Arc<dyn OnCallLedger>,
    lease: jiff::SignedDuration,
    /// When Clinic's records say it acted (VictorOps' own now is passed to each call).
    clock: Arc<dyn Clock>,
}

impl VictorOpsSync {
    pub fn new(
        api: Arc<dyn VictorOpsApi>,
        ledger: Arc<dyn OnCallLedger>,
        lease_seconds: u32,
    ) -> Self {
        Self {
            api,
            ledger,
            lease: jiff::SignedDuration::from_secs(i64::from(lease_seconds)),
            clock: crate::clock::system(),
        }
    }

    /// Reads "now" from `clock` instead of the system's.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Whether the roster links `rotation` to VictorOps.
    pub fn link<'r>(roster: &'r Roster, rotation: &str) -> Option<&'r VictorOpsLink> {
        roster.rotation(rotation).and_then(|r| r.victorops.as_ref())
    }

    /// Puts the person of a committed shift on call in VictorOps (or confirms it is so already).
    /// `schedule_now` is VictorOps' now, from which its schedule is read. A week done before is left alone
    /// without a call, unless `verify`: then its overrides are looked up in VictorOps (any someone
    /// removed there are forgotten) and the week is worked out again from VictorOps' schedule as it
    /// is now, so overrides that no longer fit an edited rotation are replaced. VictorOps failures
    /// are outcomes; only the table's failures are errors.
    pub async fn keep_in_step(
        &self,
        roster: &Roster,
        shift: &ShiftRecord,
        schedule_now: jiff::Timestamp,
        who: Operator<'_>,
        verify: bool,
    ) -> Result<WeekSync, StoreError> {
        let mut report = WeekSync {
            rotation: shift.rotation.clone(),
            week: shift.week.clone(),
            outcome: SyncOutcome::AlreadyInStep,
            overrides: Vec::new(),
            created: Vec::new(),
            deleted: Vec::new(),
        };
        let Some(link) = Self::link(roster, &shift.rotation) else {
            report.outcome = SyncOutcome::Skipped {
                reason: "the rotation is not kept in step with VictorOps".into(),
            };
            return Ok(report);
        };
        let target = match target_of(roster, link, shift) {
            Ok(target) => target,
            Err(reason) => {
                warn!(rotation = %shift.rotation, week = %shift.week, %reason, "VictorOps sync skipped");
                report.outcome = SyncOutcome::Skipped { reason };
                return Ok(report);
            }
        };

        let holder = uuid::Uuid::new_v4().simple().to_string();
        let now = self.clock.now();
        let Some(record) = self
            .ledger
            .take_sync(&shift.rotation, &shift.week, &holder, now, now + self.lease)
            .await?
        else {
            report.outcome = SyncOutcome::HeldElsewhere;
            return Ok(report);
        };
        let mut work = Work {
            ledger: self.ledger.as_ref(),
            lease: self.lease,
            clock: self.clock.as_ref(),
            holder,
            record,
            who,
            created: Vec::new(),
            deleted: Vec::new(),
        };
        let mut settled = matches!(
            work.record.status,
            SyncStatus::InStep | SyncStatus::Unstaffed
        ) && work.record.target == target
            && work.record.creating.is_none();
        if settled && verify {
            if let Err(stop) = self.forget_missing_overrides(&mut work).await {
                report.outcome = stopped(&mut work, stop).await?;
                report.overrides = work.record.override_ids();
                return Ok(report);
            }
            settled = false;
        }
        if settled {
            report.outcome = if target.is_some() {
                SyncOutcome::AlreadyInStep
            } else {
                SyncOutcome::Unstaffed
            };
            report.overrides = work.record.override_ids();
            return match work.save(Lease::Release, &[]).await {
                Err(Stop::Store(e)) => Err(e),
                _ => Ok(report),
            };
        }

        work.record.attempts += 1;
        let result = self
            .work(&mut work, link, target.clone(), schedule_now)
            .await;
        report.created = std::mem::take(&mut work.created);
        report.deleted = std::mem::take(&mut work.deleted);
        report.outcome = match result {
            Ok(()) if target.is_some() => SyncOutcome::InStep,
            Ok(()) => SyncOutcome::Unstaffed,
            Err(stop) => stopped(&mut work, stop).await?,
        };
        report.overrides = work.record.override_ids();
        Ok(report)
    }
}
