//! Committed shifts: the weeks the handoff job wrote and the overrides operators set, as the table
//! keeps them. The weekly job, the brief, triage's "who is on duty" and the VictorOps sync all read
//! them through [`ShiftLedger`]; the planner sees them as its `History`. Operators change future and
//! committed weeks through `overrides`.

use serde::{Deserialize, Serialize};

use crate::rotation::plan::{Override, PlannedWeek, ServedShift};
use crate::rotation::roster::{PersonId, TeamName};
use crate::store::StoreError;

pub mod overrides;
pub mod ports;

pub use ports::ShiftLedger;

/// A committed week, as stored. Names and addresses are copied in so that mails and the brief can be
/// written from the table alone, even after the roster changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftRecord {
    pub rotation: String,
    pub week: String,
    pub primary: Option<String>,
    pub backup: Option<String>,
    pub team: Option<String>,
    pub start_utc: jiff::Timestamp,
    pub end_utc: jiff::Timestamp,
    #[serde(default)]
    pub relaxed: Vec<String>,
    pub unstaffed_reason: Option<String>,
    pub overridden: Option<String>,
    pub committed_at: jiff::Timestamp,
    pub cause: String,
    /// The VictorOps scheduled overrides that put this shift's person on call (`crate::oncall`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub victorops_overrides: Vec<String>,
}

impl ShiftRecord {
    pub fn from_plan(rotation: &str, week: &PlannedWeek, at: jiff::Timestamp, cause: &str) -> Self {
        Self {
            rotation: rotation.to_owned(),
            week: week.week.to_string(),
            primary: week.primary.as_ref().map(ToString::to_string),
            backup: week.backup.as_ref().map(ToString::to_string),
            team: week.team.as_ref().map(ToString::to_string),
            start_utc: week.start_utc,
            end_utc: week.end_utc,
            relaxed: week.relaxed.iter().map(ToString::to_string).collect(),
            unstaffed_reason: week.unstaffed_reason.clone(),
            overridden: week.overridden.clone(),
            committed_at: at,
            cause: cause.to_owned(),
            victorops_overrides: Vec::new(),
        }
    }

    /// The planner's view of a committed week.
    pub fn served(&self) -> Result<ServedShift, StoreError> {
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            StoreError::malformed(
                format!("shift {}/{}", self.rotation, self.week),
                format!("{what}: {e}"),
            )
        };
        Ok(ServedShift {
            week: self.week.parse().map_err(|e| bad("week", &e))?,
            primary: self
                .primary
                .as_deref()
                .map(PersonId::parse)
                .transpose()
                .map_err(|e| bad("primary", &e))?,
            backup: self
                .backup
                .as_deref()
                .map(PersonId::parse)
                .transpose()
                .map_err(|e| bad("backup", &e))?,
            team: self
                .team
                .as_deref()
                .map(TeamName::parse)
                .transpose()
                .map_err(|e| bad("team", &e))?,
        })
    }
}

/// A replacement for one week, set by an operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverrideRecord {
    pub rotation: String,
    pub week: String,
    pub person: String,
    pub reason: String,
    pub set_by: String,
    pub set_at: jiff::Timestamp,
}

/// What creating a shift found.
#[derive(Debug, Clone, PartialEq)]
pub enum Commit {
    Created,
    Existing(Box<ShiftRecord>),
}

/// The planner's view of an override.
pub fn override_from_record(record: &OverrideRecord) -> Result<Override, StoreError> {
    let bad = |e: &dyn std::fmt::Display| {
        StoreError::malformed(
            format!("override {}/{}", record.rotation, record.week),
            e.to_string(),
        )
    };
    Ok(Override {
        week: record.week.parse().map_err(|e| bad(&e))?,
        person: PersonId::parse(&record.person).map_err(|e| bad(&e))?,
        reason: record.reason.clone(),
    })
}
