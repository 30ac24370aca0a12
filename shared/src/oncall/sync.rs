//! Committed shifts put on call in VictorOps, exactly once. For each committed week Clinic keeps a
//! record (`OverrideSyncRecord`) of the scheduled overrides it created there, and works on it under a
//! lease taken with the read, so concurrent runs never both create. The intent to create is written
//! before the request, so a run after a lost answer first looks the override up in `GET v1/overrides`.
//! A week whose person changed (an override or swap in Clinic) gets its old overrides deleted and new
//! ones created, each audited. A VictorOps failure is recorded and tried again on the next run.

use std::sync::Arc;

use serde::Serialize;
use tracing::{info, warn};

use super::drift::{DriftReport, WeeksError, clinic_weeks, compare};
use super::ports::MAX_DAYS_FORWARD;
use super::ports::{
    ClinicOverride, Lease, NewOverride, NoticeClaim, NoticeKey, OnCallLedger, OverrideSyncRecord,
    PendingOverride, SyncStatus, SyncTarget, VictorOpsApi, VictorOpsError,
};
use super::timeline::{NeededOverride, needed_overrides};
use crate::audit::AuditEntry;
use crate::mail::{EmailAddress, Mailbox, Mailer, stable_message_id};
use crate::rotation::roster::{PersonId, Roster, VictorOpsLink};
use crate::shifts::overrides::Operator;
use crate::shifts::{OverrideRecord, ShiftRecord, override_from_record};
use crate::store::StoreError;

/// How far ahead the weekly drift check looks.
pub const CHECK_WEEKS: u32 = 2;

/// What keeping one week in step came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum SyncOutcome {
    /// VictorOps now has the overrides the week needs (perhaps none: its rotation already agrees).
    InStep,
    /// Done before for the same person and window: no VictorOps call.
    AlreadyInStep,
    /// Nobody serves the week: nothing to put on call (Clinic's earlier overrides are removed).
    Unstaffed,
    /// Another invocation is working on this week right now.
    HeldElsewhere,
    /// Cannot be done until the roster changes.
    Skipped { reason: String },
    /// VictorOps failed or disagrees; recorded, and tried again on the next run.
    Failed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekSync {
    pub rotation: String,
    pub week: String,
    #[serde(flatten)]
    pub outcome: SyncOutcome,
    /// The overrides Clinic has in VictorOps for the week afterwards.
    pub overrides: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub created: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<String>,
}

impl WeekSync {
    pub fn failed(&self) -> bool {
        matches!(self.outcome, SyncOutcome::Failed { .. })
    }

    pub fn summary(&self) -> String {
        let what = match &self.outcome {
            SyncOutcome::InStep => "in step".to_owned(),
            SyncOutcome::AlreadyInStep => "already in step".to_owned(),
            SyncOutcome::Unstaffed => "unstaffed: nobody to put on call".to_owned(),
            SyncOutcome::HeldElsewhere => "being synced by another invocation".to_owned(),
            SyncOutcome::Skipped { reason } => format!("skipped: {reason}"),
            SyncOutcome::Failed { reason } => format!("FAILED (retried next run): {reason}"),
        };
        let mut out = format!("VictorOps {} {}: {what}", self.rotation, self.week);
        if !self.deleted.is_empty() {
            out.push_str(&format!("; deleted {}", self.deleted.join(", ")));
        }
        if !self.created.is_empty() {
            out.push_str(&format!("; created {}", self.created.join(", ")));
        }
        if !self.overrides.is_empty() {
            out.push_str(&format!("; overrides {}", self.overrides.join(", ")));
        }
        out
    }
}

/// What happened to one drift notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum NoticeOutcome {
    Sent { message_id: String },
    AlreadySent,
    HeldElsewhere,
    Failed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeReport {
    pub to: String,
    #[serde(flatten)]
    pub outcome: NoticeOutcome,
}

/// The VictorOps part of one weekly run for one rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VictorOpsReport {
    pub weeks: Vec<WeekSync>,
    /// Differences the drift check found (`None`: the check failed, see `check_error`).
    pub differences: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_error: Option<String>,
    pub notices: Vec<NoticeReport>,
}

impl VictorOpsReport {
    /// Steps that failed and are retried: weeks, the check, notices.
    pub fn failures(&self) -> usize {
        self.weeks.iter().filter(|w| w.failed()).count()
            + usize::from(self.check_error.is_some())
            + self
                .notices
                .iter()
                .filter(|n| matches!(n.outcome, NoticeOutcome::Failed { .. }))
                .count()
    }

    pub fn summary(&self) -> String {
        let mut out = String::new();
        for week in &self.weeks {
            out.push_str(&format!("  {}\n", week.summary()));
        }
        match (&self.differences, &self.check_error) {
            (_, Some(error)) => out.push_str(&format!("  VictorOps drift check FAILED: {error}\n")),
            (Some(n), None) => {
                out.push_str(&format!("  VictorOps drift check: {n} difference(s)\n"))
            }
            (None, None) => {}
        }
        for notice in &self.notices {
            let outcome = match &notice.outcome {
                NoticeOutcome::Sent { message_id } => format!("sent <{message_id}>"),
                NoticeOutcome::AlreadySent => "already sent this week".to_owned(),
                NoticeOutcome::HeldElsewhere => "being sent by another invocation".to_owned(),
                NoticeOutcome::Failed { reason } => format!("FAILED: {reason}"),
            };
            out.push_str(&format!("  drift notice to {} {outcome}\n", notice.to));
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("rotation {0} is not kept in step with VictorOps (no `victorops` in the roster)")]
    NotLinked(String),
    #[error(transparent)]
    VictorOps(#[from] VictorOpsError),
    #[error(transparent)]
    Weeks(#[from] WeeksError),
}

/// Why one week's work stopped.
enum Stop {
    VictorOps(VictorOpsError),
    /// The roster and VictorOps disagree (a policy the team does not have, a window too far ahead).
    Mismatch(String),
    /// Another invocation took the lease over.
    LeaseLost,
    Store(StoreError),
}

impl From<VictorOpsError> for Stop {
    fn from(e: VictorOpsError) -> Self {
        Self::VictorOps(e)
    }
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Keeps VictorOps in step with the committed shifts of the rotations the roster links to it.
pub struct VictorOpsSync {
    api: Arc<dyn VictorOpsApi>,
    ledger: Arc<dyn OnCallLedger>,
    lease: jiff::SignedDuration,
}

/// One week's work under the lease.
struct Work<'a> {
    ledger: &'a dyn OnCallLedger,
    lease: jiff::SignedDuration,
    holder: String,
    record: OverrideSyncRecord,
    who: Operator<'a>,
    created: Vec<String>,
    deleted: Vec<String>,
}

impl Work<'_> {
    fn subject(&self) -> String {
        format!("rotation/{}/{}", self.record.rotation, self.record.week)
    }

    fn audit(&self, action: &str, why: String, details: serde_json::Value) -> AuditEntry {
        AuditEntry::new(
            jiff::Timestamp::now(),
            self.who.actor,
            action,
            self.subject(),
            why,
            self.who.cause,
        )
        .with_details(details)
    }

    async fn save(&mut self, lease: Lease, audit: &[AuditEntry]) -> Result<(), Stop> {
        self.record.updated_at = Some(jiff::Timestamp::now());
        if self
            .ledger
            .save_sync(&self.record, &self.holder, lease, audit)
            .await?
        {
            Ok(())
        } else {
            Err(Stop::LeaseLost)
        }
    }

    async fn keep(&mut self, audit: &[AuditEntry]) -> Result<(), Stop> {
        let until = jiff::Timestamp::now() + self.lease;
        self.save(Lease::RenewUntil(until), audit).await
    }
}

fn target_of(
    roster: &Roster,
    link: &VictorOpsLink,
    shift: &ShiftRecord,
) -> Result<Option<SyncTarget>, String> {
    let Some(id) = &shift.primary else {
        return Ok(None);
    };
    let person = PersonId::parse(id)
        .ok()
        .and_then(|parsed| roster.person(&parsed))
        .ok_or_else(|| format!("{id} is no longer in the roster"))?;
    let username = person
        .victorops_user
        .clone()
        .ok_or_else(|| format!("{id} has no victorops_user in the roster"))?;
    Ok(Some(SyncTarget {
        person: id.clone(),
        username,
        timezone: person.timezone.name().to_owned(),
        start: shift.start_utc,
        end: shift.end_utc,
        policies: link.policies.clone(),
    }))
}

/// Days of schedule that reach from `clock` (VictorOps' now) past `end`.
fn days_forward(clock: jiff::Timestamp, end: jiff::Timestamp) -> Result<u32, String> {
    let hours = end.duration_since(clock).as_hours().max(0);
    let days = u32::try_from(hours / 24 + 2).unwrap_or(u32::MAX);
    if days > MAX_DAYS_FORWARD {
        return Err(format!(
            "the window ends more than {MAX_DAYS_FORWARD} days ahead; VictorOps shows no further"
        ));
    }
    Ok(days)
}

fn matches_needed(existing: &ClinicOverride, needed: &NeededOverride, username: &str) -> bool {
    existing.username == username
        && existing.window == needed.window
        && existing.policies == needed.policies
}

/// What a stop comes to: the table's failures are errors, a lost lease means another run has the
/// week now, and anything else is recorded on the week as its failure, for the next run.
async fn stopped(work: &mut Work<'_>, stop: Stop) -> Result<SyncOutcome, StoreError> {
    let reason = match stop {
        Stop::Store(e) => return Err(e),
        Stop::LeaseLost => return Ok(SyncOutcome::HeldElsewhere),
        Stop::VictorOps(e) => e.to_string(),
        Stop::Mismatch(reason) => reason,
    };
    warn!(rotation = %work.record.rotation, week = %work.record.week, error = %reason, "VictorOps sync failed");
    work.record.status = SyncStatus::Failed;
    work.record.last_error = Some(reason.clone());
    match work.save(Lease::Release, &[]).await {
        Err(Stop::Store(e)) => Err(e),
        _ => Ok(SyncOutcome::Failed { reason }),
    }
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
        }
    }

    /// Whether the roster links `rotation` to VictorOps.
    pub fn link<'r>(roster: &'r Roster, rotation: &str) -> Option<&'r VictorOpsLink> {
        roster.rotation(rotation).and_then(|r| r.victorops.as_ref())
    }

    /// Puts the person of a committed shift on call in VictorOps (or confirms it is so already).
    /// `clock` is VictorOps' now, from which its schedule is read. A week done before is left alone
    /// without a call, unless `verify`: then its overrides are looked up in VictorOps (any someone
    /// removed there are forgotten) and the week is worked out again from VictorOps' schedule as it
    /// is now, so overrides that no longer fit an edited rotation are replaced. VictorOps failures
    /// are outcomes; only the table's failures are errors.
    pub async fn keep_in_step(
        &self,
        roster: &Roster,
        shift: &ShiftRecord,
        clock: jiff::Timestamp,
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
        let now = jiff::Timestamp::now();
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
        let result = self.work(&mut work, link, target.clone(), clock).await;
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

    async fn work(
        &self,
        work: &mut Work<'_>,
        link: &VictorOpsLink,
        target: Option<SyncTarget>,
        clock: jiff::Timestamp,
    ) -> Result<(), Stop> {
        self.recover_lost_creation(work).await?;
        work.record.target = target.clone();
        let needed = match &target {
            None => Vec::new(),
            Some(target) => {
                let days = days_forward(clock, target.end).map_err(Stop::Mismatch)?;
                let schedule = self.api.team_schedule(&link.team, days).await?;
                needed_overrides(
                    &schedule,
                    &target.policies,
                    &target.username,
                    target.start,
                    target.end,
                )
                .map_err(|policy| {
                    Stop::Mismatch(format!(
                        "VictorOps team {} has no escalation policy {policy} (roster victorops.policies)",
                        link.team
                    ))
                })?
            }
        };
        let username = target.as_ref().map(|t| t.username.as_str()).unwrap_or("");

        // Overrides made for someone else (or no longer needed) go first, each recorded as it goes.
        let stale: Vec<ClinicOverride> = work
            .record
            .overrides
            .iter()
            .filter(|o| !needed.iter().any(|n| matches_needed(o, n, username)))
            .cloned()
            .collect();
        for old in stale {
            let existed = self.api.delete_override(&old.public_id).await?;
            work.record
                .overrides
                .retain(|o| o.public_id != old.public_id);
            work.deleted.push(old.public_id.clone());
            let why = match &target {
                Some(t) if t.username != old.username => format!(
                    "override {} deleted: {} no longer serves this week, {} does",
                    old.public_id, old.username, t.person
                ),
                Some(_) => format!(
                    "override {} deleted: VictorOps' rotation changed, so it no longer fits the week",
                    old.public_id
                ),
                None => format!(
                    "override {} deleted: the week is unstaffed now",
                    old.public_id
                ),
            };
            let why = if existed {
                why
            } else {
                format!("{why} (VictorOps no longer had it)")
            };
            let audit = work.audit(
                "victorops.override.delete",
                why,
                serde_json::json!({"public_id": old.public_id, "overridden": old.window.overridden,
                    "username": old.username, "start": old.window.start, "end": old.window.end}),
            );
            work.keep(&[audit]).await?;
            info!(rotation = %work.record.rotation, week = %work.record.week, id = %old.public_id, "VictorOps override deleted");
        }

        if let Some(target) = &target {
            for need in &needed {
                if work
                    .record
                    .overrides
                    .iter()
                    .any(|o| matches_needed(o, need, username))
                {
                    continue;
                }
                self.create(work, target, need).await?;
            }
            self.assign_all(work).await?;
        }

        work.record.status = if target.is_some() {
            SyncStatus::InStep
        } else {
            SyncStatus::Unstaffed
        };
        work.record.last_error = None;
        let audit = match &target {
            Some(t) if work.record.overrides.is_empty() => vec![work.audit(
                "victorops.in-step",
                format!(
                    "VictorOps' rotation already has {} on call for the whole week: no override needed",
                    t.shown()
                ),
                serde_json::json!({"start": t.start, "end": t.end, "policies": t.policies}),
            )],
            _ => Vec::new(),
        };
        work.save(Lease::Release, &audit).await
    }

    /// Drops from the record the overrides VictorOps no longer has (removed by hand), each audited.
    async fn forget_missing_overrides(&self, work: &mut Work<'_>) -> Result<(), Stop> {
        if work.record.overrides.is_empty() {
            return Ok(());
        }
        let listed: Vec<String> = self
            .api
            .overrides()
            .await?
            .into_iter()
            .map(|o| o.public_id)
            .collect();
        let missing: Vec<ClinicOverride> = work
            .record
            .overrides
            .iter()
            .filter(|o| !listed.contains(&o.public_id))
            .cloned()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let audit: Vec<AuditEntry> = missing
            .iter()
            .map(|o| {
                work.audit(
                    "victorops.override.missing",
                    format!(
                        "override {} is no longer in VictorOps (removed there by hand?); it is created again",
                        o.public_id
                    ),
                    serde_json::json!({"public_id": o.public_id, "overridden": o.window.overridden}),
                )
            })
            .collect();
        work.record
            .overrides
            .retain(|o| listed.contains(&o.public_id));
        work.record.status = SyncStatus::Failed;
        work.record.last_error = Some("overrides removed in VictorOps".into());
        work.keep(&audit).await
    }

    /// A creation whose answer never arrived may have happened: look for it before creating again.
    async fn recover_lost_creation(&self, work: &mut Work<'_>) -> Result<(), Stop> {
        let Some(pending) = work.record.creating.clone() else {
            return Ok(());
        };
        let known = work.record.override_ids();
        let found = self.api.overrides().await?.into_iter().find(|o| {
            o.user == pending.window.overridden
                && o.start == pending.window.start
                && o.end == pending.window.end
                && !known.contains(&o.public_id)
        });
        work.record.creating = None;
        let mut audit = Vec::new();
        if let Some(found) = found {
            audit.push(work.audit(
                "victorops.override.found",
                format!(
                    "override {} was created by an earlier attempt whose answer was lost; recorded, not created again",
                    found.public_id
                ),
                serde_json::json!({"public_id": found.public_id, "overridden": pending.window.overridden}),
            ));
            work.record.overrides.push(ClinicOverride {
                public_id: found.public_id,
                window: pending.window,
                username: pending.username,
                policies: pending.policies,
                assigned: Vec::new(),
            });
        }
        work.keep(&audit).await
    }

    async fn create(
        &self,
        work: &mut Work<'_>,
        target: &SyncTarget,
        need: &NeededOverride,
    ) -> Result<(), Stop> {
        work.record.creating = Some(PendingOverride {
            window: need.window.clone(),
            username: target.username.clone(),
            policies: need.policies.clone(),
        });
        work.keep(&[]).await?;
        let request = NewOverride {
            user: need.window.overridden.clone(),
            timezone: target.timezone.clone(),
            start: need.window.start,
            end: need.window.end,
        };
        let created = match self.api.create_override(&request).await {
            Ok(created) => created,
            Err(e) => {
                if e.surely_not_done() {
                    work.record.creating = None;
                }
                return Err(e.into());
            }
        };
        work.record.creating = None;
        work.record.overrides.push(ClinicOverride {
            public_id: created.public_id.clone(),
            window: need.window.clone(),
            username: target.username.clone(),
            policies: need.policies.clone(),
            assigned: Vec::new(),
        });
        work.created.push(created.public_id.clone());
        let audit = work.audit(
            "victorops.override.create",
            format!(
                "override {} created: {} covers {}'s on-call time from {} to {} UTC in {}",
                created.public_id,
                target.shown(),
                need.window.overridden,
                need.window.start.strftime("%Y-%m-%d %H:%M"),
                need.window.end.strftime("%Y-%m-%d %H:%M"),
                need.policies.join(", ")
            ),
            serde_json::json!({"public_id": created.public_id, "overridden": need.window.overridden,
                "username": target.username, "start": need.window.start, "end": need.window.end,
                "policies": need.policies}),
        );
        work.keep(&[audit]).await?;
        info!(rotation = %work.record.rotation, week = %work.record.week, id = %created.public_id, "VictorOps override created");
        Ok(())
    }

    /// Hands every recorded override's time to its person in each of its policies.
    async fn assign_all(&self, work: &mut Work<'_>) -> Result<(), Stop> {
        for index in 0..work.record.overrides.len() {
            let pending: Vec<String> = {
                let o = &work.record.overrides[index];
                o.policies
                    .iter()
                    .filter(|p| !o.assigned.contains(p))
                    .cloned()
                    .collect()
            };
            if pending.is_empty() {
                continue;
            }
            let (id, username) = {
                let o = &work.record.overrides[index];
                (o.public_id.clone(), o.username.clone())
            };
            for policy in pending {
                self.api.assign(&id, &policy, &username).await?;
                work.record.overrides[index].assigned.push(policy);
            }
            let o = &work.record.overrides[index];
            let audit = work.audit(
                "victorops.override.assign",
                format!(
                    "override {id} assigned to {username} in {}",
                    o.policies.join(", ")
                ),
                serde_json::json!({"public_id": id, "username": username, "policies": o.policies}),
            );
            work.keep(&[audit]).await?;
        }
        Ok(())
    }

    /// Who VictorOps will page against Clinic's weeks, from `clock` for `weeks` weeks.
    pub async fn check(
        &self,
        roster: &Roster,
        rotation: &str,
        shifts: &[ShiftRecord],
        overrides: &[OverrideRecord],
        clock: jiff::Timestamp,
        weeks: u32,
    ) -> Result<DriftReport, CheckError> {
        let link = Self::link(roster, rotation)
            .ok_or_else(|| CheckError::NotLinked(rotation.to_owned()))?;
        let days = (weeks.max(1) * 7).min(MAX_DAYS_FORWARD);
        let to = clock + jiff::SignedDuration::from_hours(i64::from(days) * 24);
        let overrides = overrides
            .iter()
            .map(override_from_record)
            .collect::<Result<Vec<_>, _>>()
            .map_err(WeeksError::from)?;
        let clinic = clinic_weeks(roster, rotation, shifts, &overrides, clock, to)?;
        let schedule = self.api.team_schedule(&link.team, days).await?;
        Ok(compare(
            rotation,
            clinic,
            &schedule,
            &link.policies,
            clock,
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
        clock: jiff::Timestamp,
        week: &str,
        mail: (&dyn Mailer, &EmailAddress),
        who: Operator<'_>,
    ) -> Result<Option<VictorOpsReport>, StoreError> {
        if Self::link(roster, rotation).is_none() {
            return Ok(None);
        }
        let mut weeks = Vec::new();
        let mut current: Vec<&ShiftRecord> = shifts.iter().filter(|s| s.end_utc > clock).collect();
        current.sort_by(|a, b| a.week.cmp(&b.week));
        for shift in current {
            weeks.push(self.keep_in_step(roster, shift, clock, who, false).await?);
        }
        let mut report = VictorOpsReport {
            weeks,
            differences: None,
            check_error: None,
            notices: Vec::new(),
        };
        let drift = match self
            .check(roster, rotation, shifts, overrides, clock, CHECK_WEEKS)
            .await
        {
            Ok(drift) => drift,
            Err(CheckError::Weeks(WeeksError::Store(e))) => return Err(e),
            Err(e) => {
                warn!(rotation, error = %e, "VictorOps drift check failed");
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
        let now = jiff::Timestamp::now();
        let attempt = match self.ledger.claim_notice(key, now, now + self.lease).await? {
            NoticeClaim::Claimed { attempt } => attempt,
            NoticeClaim::AlreadySent => return Ok(NoticeOutcome::AlreadySent),
            NoticeClaim::HeldElsewhere => return Ok(NoticeOutcome::HeldElsewhere),
        };
        let mail = drift.notice(Mailbox::new("Clinic", sender.clone()), address);
        let subject = format!(
            "rotation/{}/{}/victorops-drift/{}",
            key.rotation, key.week, key.address
        );
        let message_id = stable_message_id(&subject, &key.week, attempt);
        match mailer.send(&mail, mail.to_mime(&message_id, now)).await {
            Ok(_) => {
                let audit = AuditEntry::new(
                    jiff::Timestamp::now(),
                    who.actor,
                    "mail.send",
                    subject,
                    format!(
                        "{} difference(s) between VictorOps and the rotation, for the notify list",
                        drift.count()
                    ),
                    who.cause,
                )
                .with_details(
                    serde_json::json!({"message_id": message_id, "subject": mail.subject}),
                );
                self.ledger.notice_sent(key, &message_id, &audit).await?;
                Ok(NoticeOutcome::Sent { message_id })
            }
            Err(e) => {
                let reason = e.to_string();
                warn!(to = %key.address, error = %reason, "drift notice failed");
                self.ledger
                    .notice_failed(key, &reason, jiff::Timestamp::now())
                    .await?;
                Ok(NoticeOutcome::Failed { reason })
            }
        }
    }
}
