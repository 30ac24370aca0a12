//! What the brief reads from the table: one port, each method one request on a small partition or by
//! key, so the brief costs the same whatever the table holds.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::incidents::lifecycle::IncidentRecord;
use crate::maintenance::lifecycle::{MaintenanceRecord, ReviewItem};
use crate::rotation::calendar::IsoWeek;
use crate::shifts::ShiftRecord;
use crate::store::StoreError;
use crate::triage::ports::TaskIndex;

/// The incidents the table indexes while they need someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentList {
    /// Their Statuspage incident is open (whatever VictorOps says).
    OnStatuspage,
    /// Not resolved in VictorOps, and nothing open on Statuspage.
    InVictorOps,
}

/// A person as the brief names them (the roster's copy in the table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonCard {
    pub id: String,
    pub name: String,
    pub email: String,
    pub team: String,
    pub timezone: String,
    #[serde(default)]
    pub rotations: Vec<String>,
}

/// What the brief reads; every method is one Query (more only when a result passes 1 MB), except
/// `maintenance_overlapping`, one Query per calendar month the range touches.
#[async_trait]
pub trait BriefSource: TaskIndex {
    /// The people of the roster still on it.
    async fn people(&self) -> Result<Vec<PersonCard>, StoreError>;
    /// The roster's rotations, by name, as last mirrored into the table; `None` when the mirror
    /// predates this list (the names are then read off the people).
    async fn rotation_names(&self) -> Result<Option<Vec<String>>, StoreError>;
    /// The people among `ids` still on the roster (one read by key, not a Query).
    async fn people_named(&self, ids: &[String]) -> Result<Vec<PersonCard>, StoreError>;
    /// The committed shifts of `rotation` from week `first` to week `last`, inclusive.
    async fn shifts_between(
        &self,
        rotation: &str,
        first: IsoWeek,
        last: IsoWeek,
    ) -> Result<Vec<ShiftRecord>, StoreError>;
    async fn open_incidents(&self, list: IncidentList) -> Result<Vec<IncidentRecord>, StoreError>;
    /// Incidents a planned downtime window of ours held back from Statuspage, open or resolved,
    /// first seen at or after `since`.
    async fn held_incidents(
        &self,
        since: jiff::Timestamp,
    ) -> Result<Vec<IncidentRecord>, StoreError>;
    /// Maintenances whose window overlaps `[from, to)`.
    async fn maintenance_overlapping(
        &self,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<MaintenanceRecord>, StoreError>;
    /// Mail kept for review.
    async fn mail_for_review(&self) -> Result<Vec<ReviewItem>, StoreError>;
    /// The notice on the board (one read by key), whether or not it still stands.
    async fn notice(&self) -> Result<Option<crate::notices::Notice>, StoreError>;
}
