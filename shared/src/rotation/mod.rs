//! Clinic-duty rotations: the roster that defines them, the calendar they run on, the
//! planner that staffs them week by week, and the explainer that says why.
//! Pure domain code, but for the weekly handoff job (`handoff`, `handoff_mail`, `function`), which
//! reaches the table and the mail service through ports.

pub mod calendar;
pub mod explain;
pub mod function;
pub mod handoff;
pub mod handoff_mail;
pub mod overrides;
pub mod plan;
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
    RosterError, RosterIssue, RosterProblem, RotationName, RotationRules, Style, TeamName,
    VictorOpsLink,
};
