//! The planner: who serves each week of a rotation, who backs up a first-timer, and
//! which members could not serve and why. Pure: the roster, the committed history and
//! the overrides go in, a `Plan` comes out; the same input always gives the same plan.

mod backup;
mod choice;
mod eligibility;
mod history;
mod members;
mod model;
mod planner;
mod shifts;
mod warnings;

#[cfg(test)]
mod tests;

pub use eligibility::could_serve;
pub use model::{
    Exclusion, ExclusionReason, History, MAX_PLAN_WEEKS, Override, Plan, PlanError, PlannedWeek,
    Relaxation, ServedShift,
};
pub(crate) use planner::{Decision, Planner, Standing};
pub use planner::{plan, plan_between};

// What the planner takes from its neighbours, named once here for the files below.
use super::calendar::{
    self, DayMarks, DayMask, IsoWeek, OutOfCalendar, ShiftWindow, WorkingDays, absence_mask,
    company_holiday_mask, public_holiday_mask, weekday_mask,
};
use super::roster::{Person, PersonId, Role, Roster, RotationName, RotationRules, Style, TeamName};
use crate::holidays::{HolidayRegion, PublicHolidays};
