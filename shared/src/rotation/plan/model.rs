//! What the planner reads and writes: the committed history and the overrides that go in,
//! the plan, its weeks and their exclusions that come out, and the errors in between.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{IsoWeek, OutOfCalendar, PersonId, Role, RotationName, TeamName, WorkingDays};

/// Twenty years: far past any useful horizon, near enough to keep a call cheap.
pub const MAX_PLAN_WEEKS: u32 = 1040;

/// Committed weeks before the plan, in any order. Pass at least one full cycle of a
/// sequential rotation so people skipped before the plan keep their place.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub served: Vec<ServedShift>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedShift {
    pub week: IsoWeek,
    pub primary: Option<PersonId>,
    pub backup: Option<PersonId>,
    /// The team that served; when absent, the primary's team in the roster is used.
    pub team: Option<TeamName>,
}

/// A human decision: `person` is primary for `week`, whatever the rules would say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub week: IsoWeek,
    pub person: PersonId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub rotation: RotationName,
    pub weeks: Vec<PlannedWeek>,
    /// Things the caller should know, such as years the holiday data does not cover.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Plan {
    pub fn week(&self, week: IsoWeek) -> Option<&PlannedWeek> {
        self.weeks.iter().find(|planned| planned.week == week)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedWeek {
    pub week: IsoWeek,
    pub primary: Option<PersonId>,
    pub backup: Option<PersonId>,
    pub team: Option<TeamName>,
    pub start_utc: Timestamp,
    pub end_utc: Timestamp,
    /// Rules this week had to bend because nobody could serve under all of them.
    pub relaxed: Vec<Relaxation>,
    /// Members who could not serve this week, each with the reason.
    pub excluded: Vec<Exclusion>,
    #[serde(rename = "reason", skip_serializing_if = "Option::is_none")]
    pub unstaffed_reason: Option<String>,
    /// The override's reason, when a person was put on this week by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overridden: Option<String>,
}

/// A rule bent for one week, in the order the planner is willing to bend them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relaxation {
    /// The primary's team also served the previous week.
    Team,
    /// The primary also served the previous week.
    Person,
    /// A first-timer serves without an experienced backup.
    Backup,
}

impl fmt::Display for Relaxation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Relaxation::Team => "team",
            Relaxation::Person => "person",
            Relaxation::Backup => "backup",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exclusion {
    pub person: PersonId,
    #[serde(serialize_with = "serialize_as_sentence")]
    pub reason: ExclusionReason,
}

fn serialize_as_sentence<S: serde::Serializer>(
    reason: &ExclusionReason,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(reason)
}

/// Why a member could not serve a given week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExclusionReason {
    /// Managers and directors are never conscripted.
    Role(Role),
    TooFewWorkingDays {
        days: WorkingDays,
        required: u8,
    },
    ServedPreviousWeek,
    TeamServedPreviousWeek(TeamName),
    /// A first duty needs an experienced backup close enough in UTC offset.
    NoBackupForFirstDuty {
        max_offset_hours: u8,
    },
}

impl fmt::Display for ExclusionReason {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExclusionReason::Role(role) => {
                write!(
                    formatter,
                    "is a {role}; managers and directors do not serve"
                )
            }
            ExclusionReason::TooFewWorkingDays { days, required } => {
                write!(formatter, "has {days} this week; needs {required}")
            }
            ExclusionReason::ServedPreviousWeek => formatter.write_str("served the previous week"),
            ExclusionReason::TeamServedPreviousWeek(team) => {
                write!(formatter, "team {team} served the previous week")
            }
            ExclusionReason::NoBackupForFirstDuty { max_offset_hours } => write!(
                formatter,
                "first duty, and no experienced colleague within {max_offset_hours} hours of \
                 their UTC offset can back them up this week"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("there is no rotation named {name:?}; the roster has {known}")]
    UnknownRotation { name: String, known: String },
    #[error("at most {MAX_PLAN_WEEKS} weeks can be planned at once, not {0}")]
    TooManyWeeks(u32),
    #[error("the override for {week} names {person}, who is not in the roster")]
    OverrideForUnknownPerson { week: IsoWeek, person: PersonId },
    #[error("the override for {week} names {person}, who is not a member of {rotation}")]
    OverrideForNonMember {
        week: IsoWeek,
        person: PersonId,
        rotation: RotationName,
    },
    #[error("{week} has two overrides, for {first} and {second}")]
    ConflictingOverrides {
        week: IsoWeek,
        first: PersonId,
        second: PersonId,
    },
    #[error("the history has {0} more than once")]
    DuplicateHistory(IsoWeek),
    #[error("{week} comes before the first planned week {first}")]
    WeekBeforeStart { week: IsoWeek, first: IsoWeek },
    #[error(transparent)]
    OutOfCalendar(#[from] OutOfCalendar),
}
