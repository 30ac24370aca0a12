//! What keeping VictorOps in step needs from the world: VictorOps' public API (schedules and
//! scheduled overrides) and the table (what Clinic did in VictorOps for each committed week, under a
//! lease, and the once-a-week drift notices). Adapters: `crate::adapters::victorops::VictorOpsClient` and
//! `crate::adapters::dynamo::DynamoStore`; tests use fakes.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::audit::AuditEntry;
use crate::claim::{ClaimKey, Claims};
use crate::store::StoreError;

/// VictorOps' own limit on how far ahead a schedule reaches.
pub const MAX_DAYS_FORWARD: u32 = 30;

/// Who VictorOps' rotation has on call for a stretch of time in one escalation policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollSpan {
    /// `None` when the rotation has nobody for that stretch.
    pub user: Option<String>,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
}

/// A scheduled override as the schedule shows it: `replacement` is paged instead of `original`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideSpan {
    pub original: Option<String>,
    pub replacement: Option<String>,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
}

/// One escalation policy's part of a team's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySchedule {
    pub slug: String,
    pub name: String,
    /// The rotation's rolls, as VictorOps' rotations have them (overrides not applied).
    pub rolls: Vec<RollSpan>,
    pub overrides: Vec<OverrideSpan>,
}

/// `GET v2/team/{team}/oncall/schedule`: from VictorOps' now, `days_forward` days ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSchedule {
    pub team: String,
    pub policies: Vec<PolicySchedule>,
}

impl TeamSchedule {
    pub fn policy(&self, slug: &str) -> Option<&PolicySchedule> {
        self.policies.iter().find(|p| p.slug == slug)
    }
}

/// A scheduled override as `GET v1/overrides` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledOverride {
    pub public_id: String,
    /// The user being overridden (whose on-call time the assignments hand to someone else).
    pub user: String,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    /// The escalation policies it has an assignment in.
    pub policies: Vec<String>,
}

/// `POST v1/overrides`: cover `user`'s on-call time from `start` to `end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOverride {
    pub user: String,
    /// IANA zone VictorOps shows the override in (the covering person's).
    pub timezone: String,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum VictorOpsError {
    /// VictorOps refused the request itself (4xx other than 429): it was not carried out.
    #[error("VictorOps refused to {what} with HTTP {status}: {message}")]
    Rejected {
        what: &'static str,
        status: u16,
        message: String,
    },
    /// Unreachable, failing, timed out or still rate-limiting: the request may or may not have been
    /// carried out.
    #[error("VictorOps could not {what}: {reason}")]
    Unavailable {
        what: &'static str,
        reason: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// VictorOps answered with success but in a shape Clinic cannot read.
    #[error("VictorOps answered {what} with something Clinic cannot read: {reason}")]
    Malformed { what: &'static str, reason: String },
}

impl VictorOpsError {
    /// Whether the request surely did nothing (so a creation need not be looked for later).
    pub fn surely_not_done(&self) -> bool {
        matches!(self, Self::Rejected { .. })
    }
}

/// VictorOps' public API, as far as Clinic uses it. Clinic never edits a rotation.
#[async_trait]
pub trait VictorOpsApi: Send + Sync {
    async fn team_schedule(
        &self,
        team: &str,
        days_forward: u32,
    ) -> Result<TeamSchedule, VictorOpsError>;
    async fn overrides(&self) -> Result<Vec<ScheduledOverride>, VictorOpsError>;
    async fn create_override(
        &self,
        request: &NewOverride,
    ) -> Result<ScheduledOverride, VictorOpsError>;
    /// Hands the override's time in `policy` to `username` (a repeat is harmless).
    async fn assign(
        &self,
        public_id: &str,
        policy: &str,
        username: &str,
    ) -> Result<(), VictorOpsError>;
    /// Deletes the override; `Ok(false)` when VictorOps has no such override (already gone).
    async fn delete_override(&self, public_id: &str) -> Result<bool, VictorOpsError>;
}

/// Who Clinic puts on call for a committed week, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncTarget {
    pub person: String,
    pub username: String,
    pub timezone: String,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    pub policies: Vec<String>,
}

impl SyncTarget {
    /// The person, with their VictorOps user name where it differs from their roster id.
    pub fn shown(&self) -> String {
        if self.username == self.person {
            self.person.clone()
        } else {
            format!("{} (VictorOps user {})", self.person, self.username)
        }
    }
}

/// The stretch of one VictorOps user's on-call time a Clinic override covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideWindow {
    /// The user VictorOps' rotation has on call (the one being overridden).
    pub overridden: String,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
}

/// An override Clinic is about to create (or created without hearing back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOverride {
    #[serde(flatten)]
    pub window: OverrideWindow,
    pub username: String,
    pub policies: Vec<String>,
}

/// A scheduled override Clinic created and has not deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicOverride {
    pub public_id: String,
    #[serde(flatten)]
    pub window: OverrideWindow,
    /// Who it puts on call.
    pub username: String,
    /// The policies it must assign to `username`, and those it has.
    pub policies: Vec<String>,
    #[serde(default)]
    pub assigned: Vec<String>,
}

impl ClinicOverride {
    pub fn fully_assigned(&self) -> bool {
        self.policies.iter().all(|p| self.assigned.contains(p))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncStatus {
    /// Nothing done yet.
    New,
    /// VictorOps has the overrides `target` needs.
    InStep,
    /// The week is unstaffed: Clinic has nobody to put on call (and removed its overrides).
    Unstaffed,
    /// The last attempt failed (`last_error`); the next run tries again.
    Failed,
}

/// What Clinic did in VictorOps for one committed week (item `ROTATION#<name>` / `VICTOROPS#<week>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideSyncRecord {
    pub rotation: String,
    pub week: String,
    pub status: SyncStatus,
    /// What `overrides` were made for.
    pub target: Option<SyncTarget>,
    #[serde(default)]
    pub overrides: Vec<ClinicOverride>,
    /// A creation sent whose answer was never recorded: VictorOps may have it, so it is looked up
    /// (`GET v1/overrides`) before anything is created again.
    pub creating: Option<PendingOverride>,
    pub last_error: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    pub updated_at: Option<jiff::Timestamp>,
}

impl OverrideSyncRecord {
    pub fn new(rotation: &str, week: &str) -> Self {
        Self {
            rotation: rotation.to_owned(),
            week: week.to_owned(),
            status: SyncStatus::New,
            target: None,
            overrides: Vec::new(),
            creating: None,
            last_error: None,
            attempts: 0,
            updated_at: None,
        }
    }

    pub fn override_ids(&self) -> Vec<String> {
        self.overrides.iter().map(|o| o.public_id.clone()).collect()
    }
}

/// What happens to a record's lease when it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Keep working: the lease runs until then.
    RenewUntil(jiff::Timestamp),
    /// Done for now: give the lease back and copy the override ids onto the shift.
    Release,
}

/// One drift notice: the differences of `rotation` mailed to `address` in the week of `week`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeKey {
    pub rotation: String,
    pub week: String,
    pub address: String,
}

impl NoticeKey {
    /// The claim the notice is sent once under, in the rotation's partition.
    pub fn claim(&self) -> ClaimKey {
        ClaimKey::rotation(
            &self.rotation,
            format!("victorops-drift#{}#{}", self.week, self.address),
        )
    }
}

#[async_trait]
/// The weeks' sync records, and (as a [`Claims`] store) the once-a-week drift notices.
pub trait OnCallLedger: Claims + Send + Sync {
    /// Takes the lease on the week's record and reads it in one call (a new record when there is
    /// none); `None` when another invocation holds an unexpired lease.
    async fn take_sync(
        &self,
        rotation: &str,
        week: &str,
        holder: &str,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Option<OverrideSyncRecord>, StoreError>;
    /// Writes the record with its audit entries if `holder` still holds the lease; `Ok(false)` when
    /// the lease ran out and another invocation took it.
    async fn save_sync(
        &self,
        record: &OverrideSyncRecord,
        holder: &str,
        lease: Lease,
        audit: &[AuditEntry],
    ) -> Result<bool, StoreError>;
    /// Every week's record of a rotation.
    async fn syncs(&self, rotation: &str) -> Result<Vec<OverrideSyncRecord>, StoreError>;
}
