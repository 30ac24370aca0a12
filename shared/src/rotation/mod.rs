//! Clinic-duty rotations: the roster that defines them, the calendar they run on, the
//! planner that staffs them week by week, and the explainer that says why.
//! Pure domain code: the weekly job that acts on the plan is `crate::handoff`.

pub mod calendar;
pub mod explain;
pub mod moves;
pub mod plan;
pub mod ports;
pub mod roster;
#[doc(hidden)]
pub mod synthetic;

pub use calendar::{IsoWeek, IsoWeekError, WorkingDays, working_days};

pub use explain::{Explanation, PersonVerdict, TieBreak, Verdict, explain};
pub use plan::{
    Exclusion, ExclusionReason, History, Override, Plan, PlanError, PlannedWeek, Relaxation,
    ServedShift, plan,
};
pub use roster::{
    Absence, CompanyHoliday, EmailAddress, Handoff, IanaTimeZone, Person, PersonId, Role, Roster,
    RosterError, RosterIssue, RosterProblem, RotationName, RotationRules, Style, TakePolicy,
    TeamName, VictorOpsLink,
};
