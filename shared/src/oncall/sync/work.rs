//! One week's work under its lease: the record of what Clinic created in VictorOps, saved with each
//! step; lost creations looked up before anything is created again; overrides removed by hand
//! forgotten; every override of the week assigned.

use tracing::{info, warn};

use crate::audit::AuditEntry;
use crate::clock::Clock;
use crate::oncall::ports::MAX_DAYS_FORWARD;
use crate::oncall::ports::{
    ClinicOverride, Lease, NewOverride, OnCallLedger, OverrideSyncRecord, PendingOverride,
    SyncStatus, SyncTarget, VictorOpsError,
};
use crate::oncall::timeline::{NeededOverride, needed_overrides};
use crate::rotation::roster::{PersonId, Roster, VictorOpsLink};
use crate::shifts::ShiftRecord;
use crate::shifts::overrides::Operator;
use crate::store::StoreError;

use super::{SyncOutcome, VictorOpsSync};

/// Why one week's work stopped.
pub(super) enum Stop {
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

/// One week's work under the lease.
pub(super) struct Work<'a> {
    pub(super) ledger: &'a dyn OnCallLedger,
    pub(super) lease: jiff::SignedDuration,
    pub(super) clock: &'a dyn Clock,
    pub(super) holder: String,
    pub(super) record: OverrideSyncRecord,
    pub(super) who: Operator<'a>,
    pub(super) created: Vec<String>,
    pub(super) deleted: Vec<String>,
}

impl Work<'_> {
    pub(super) fn subject(&self) -> String {
        format!("rotation/{}/{}", self.record.rotation, self.record.week)
    }

    pub(super) fn audit(
        &self,
        action: &str,
        why: String,
        details: serde_json::Value,
    ) -> AuditEntry {
        AuditEntry::new(
            self.clock.now(),
            self.who.actor,
            action,
            self.subject(),
            why,
            self.who.cause,
        )
        .with_details(details)
    }

    pub(super) async fn save(&mut self, lease: Lease, audit: &[AuditEntry]) -> Result<(), Stop> {
        self.record.updated_at = Some(self.clock.now());
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

    pub(super) async fn keep(&mut self, audit: &[AuditEntry]) -> Result<(), Stop> {
        let until = self.clock.now() + self.lease;
        self.save(Lease::RenewUntil(until), audit).await
    }
}

pub(super) fn target_of(
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

/// Days of schedule that reach from `schedule_now` (VictorOps' now) past `end`.
pub(super) fn days_forward(
    schedule_now: jiff::Timestamp,
    end: jiff::Timestamp,
) -> Result<u32, String> {
    let hours = end.duration_since(schedule_now).as_hours().max(0);
    let days = u32::try_from(hours / 24 + 2).unwrap_or(u32::MAX);
    if days > MAX_DAYS_FORWARD {
        return Err(format!(
            "the window ends more than {MAX_DAYS_FORWARD} days ahead; VictorOps shows no further"
        ));
    }
    Ok(days)
}

pub(super) fn matches_needed(
    existing: &ClinicOverride,
    needed: &NeededOverride,
    username: &str,
) -> bool {
    existing.username == username
        && existing.window == needed.window
        && existing.policies == needed.policies
}

/// What a stop comes to: the table's failures are errors, a lost lease means another run has the
/// week now, and anything else is recorded on the week as its failure, for the next run.
pub(super) async fn stopped(work: &mut Work<'_>, stop: Stop) -> Result<SyncOutcome, StoreError> {
    let reason = match stop {
        Stop::Store(e) => return Err(e),
        Stop::LeaseLost => return Ok(SyncOutcome::HeldElsewhere),
        Stop::VictorOps(e) => e.to_string(),
        Stop::Mismatch(reason) => reason,
    };
    warn!(rotation = %work.record.rotation, week = %work.record.week, error = %crate::log_text::escape(&reason), "VictorOps sync failed");
    work.record.status = SyncStatus::Failed;
    work.record.last_error = Some(reason.clone());
    match work.save(Lease::Release, &[]).await {
        Err(Stop::Store(e)) => Err(e),
        _ => Ok(SyncOutcome::Failed { reason }),
    }
}

impl VictorOpsSync {
    pub(super) async fn work(
        &self,
        work: &mut Work<'_>,
        link: &VictorOpsLink,
        target: Option<SyncTarget>,
        schedule_now: jiff::Timestamp,
    ) -> Result<(), Stop> {
        self.recover_lost_creation(work).await?;
        work.record.target = target.clone();
        let needed = match &target {
            None => Vec::new(),
            Some(target) => {
                let days = days_forward(schedule_now, target.end).map_err(Stop::Mismatch)?;
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
    pub(super) async fn forget_missing_overrides(&self, work: &mut Work<'_>) -> Result<(), Stop> {
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
}
