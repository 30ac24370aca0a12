//! What the rotation needs from the table: a mirror of the reviewed roster file (people and
//! rotations), kept equal to it so the brief and the web read names without the file.

use async_trait::async_trait;

use super::roster::Roster;
use crate::audit::AuditEntry;
use crate::store::StoreError;

/// Keeps the table's copy of the roster (people, rotations) equal to the reviewed file.
#[async_trait]
pub trait RosterMirror: Send + Sync {
    /// Returns true when something changed (and was audited).
    async fn mirror_roster(&self, roster: &Roster, audit: &AuditEntry) -> Result<bool, StoreError>;
}

/// A digest of everything the roster says, to tell whether the table's copy is current.
pub fn roster_fingerprint(roster: &Roster) -> String {
    use sha2::Digest as _;
    let rules: Vec<_> = roster
        .rotation_names()
        .filter_map(|n| roster.rotation(n.as_str()))
        .collect();
    let text = serde_json::json!({
        "rotations": rules,
        "people": roster.people(),
        "company_holidays": roster.company_holidays(),
    })
    .to_string();
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// The plan each weekly run saw for the weeks ahead, kept to tell the next run whose duty moved.
#[async_trait]
pub trait PlanSnapshots: Send + Sync {
    async fn plan_snapshot(
        &self,
        rotation: &str,
    ) -> Result<Option<super::moves::PlanSnapshot>, StoreError>;
    /// Keeps `snapshot` as the rotation's latest unless one of its week or a later one is kept
    /// already (`Ok(false)`: another run of the same week, or a late retry of an older one, never
    /// replaces the plan the next week's run compares with).
    async fn save_plan_snapshot(
        &self,
        snapshot: &super::moves::PlanSnapshot,
    ) -> Result<bool, StoreError>;
}
