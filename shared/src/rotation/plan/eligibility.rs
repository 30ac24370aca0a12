//! Who may serve a week: role and working days first (worked out once a week, and kept
//! for the weeks fair planning looks ahead), then the rules about the previous week,
//! and why a week nobody could serve went unstaffed.

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::members::Members;
use super::model::{ExclusionReason, Relaxation};
use super::planner::Planner;
use super::shifts;
use super::{
    DayMarks, DayMask, HolidayRegion, IsoWeek, OutOfCalendar, Role, Roster, RotationRules, Style,
    absence_mask, company_holiday_mask, public_holiday_mask, weekday_mask,
};

/// How far fair planning looks ahead to see who will be around to keep teams spaced.
const LOOKAHEAD_WEEKS: usize = 4;

/// Eligibility on role and working days alone, before any rule about the previous week:
/// per member, `None` when they could serve, else why not.
pub(super) struct Eligibility<'r> {
    roster: &'r Roster,
    rules: &'r RotationRules,
    /// The weeks after the one being decided, as computed for `reliably_free_after`.
    looked_ahead: BTreeMap<IsoWeek, Vec<Option<ExclusionReason>>>,
}

impl<'r> Eligibility<'r> {
    pub(super) fn new(roster: &'r Roster, rules: &'r RotationRules) -> Eligibility<'r> {
        Eligibility {
            roster,
            rules,
            looked_ahead: BTreeMap::new(),
        }
    }

    /// Who could serve `week` on role and working days alone, before any rule about the
    /// previous week. Kept when computed ahead, as fair planning looks a few weeks ahead.
    pub(super) fn for_week(
        &self,
        members: &Members<'_>,
        week: IsoWeek,
    ) -> Result<Vec<Option<ExclusionReason>>, OutOfCalendar> {
        if let Some(known) = self.looked_ahead.get(&week) {
            return Ok(known.clone());
        }
        let style = &self.rules.style;
        let windows = shifts::zone_windows(style, members.zones(), week)?;
        // Dates and the weekday and company-holiday marks depend only on the zone, public
        // holidays on the zone and the region: worked out once a week, not per person.
        let zone_dates: Vec<Vec<Date>> = match style {
            Style::Fair => vec![week.weekdays().collect(); windows.len()],
            Style::Sequential { .. } => windows
                .iter()
                .zip(members.zones())
                .map(|(window, zone)| shifts::shift_dates(style, week, window, zone))
                .collect(),
        };
        let zone_marks: Vec<(DayMask, DayMask)> = zone_dates
            .iter()
            .map(|dates| {
                (
                    weekday_mask(dates),
                    company_holiday_mask(self.roster, dates),
                )
            })
            .collect();
        let mut public_marks: BTreeMap<(usize, HolidayRegion), DayMask> = BTreeMap::new();
        let required = self.rules.min_working_days;
        let mut base = Vec::with_capacity(members.len());
        for (member, person) in members.iter().enumerate() {
            if !person.role.serves() {
                base.push(Some(ExclusionReason::Role(person.role)));
                continue;
            }
            let zone = members.zone_of(member);
            let dates = &zone_dates[zone];
            let (weekdays, company_holidays) = zone_marks[zone];
            let public_holidays = *public_marks
                .entry((zone, person.holidays))
                .or_insert_with(|| public_holiday_mask(&person.holidays, dates));
            let days = DayMarks {
                weekdays,
                public_holidays,
                company_holidays,
                absent: absence_mask(person, dates),
            }
            .working_days();
            base.push(
                (days.working < required)
                    .then_some(ExclusionReason::TooFewWorkingDays { days, required }),
            );
        }
        Ok(base)
    }

    /// Members free in each of the next `LOOKAHEAD_WEEKS` weeks, for the team-spacing
    /// rule of fair rotations (see `choose_fairly`); empty for other rotations.
    pub(super) fn reliably_free_after(
        &mut self,
        members: &Members<'_>,
        week: IsoWeek,
    ) -> Result<Vec<bool>, OutOfCalendar> {
        let looks_ahead = matches!(self.rules.style, Style::Fair) && self.rules.avoid_same_team;
        if !looks_ahead {
            return Ok(Vec::new());
        }
        self.looked_ahead.retain(|known, _| *known > week);
        let mut free = vec![true; members.len()];
        let mut ahead = week;
        for _ in 0..LOOKAHEAD_WEEKS {
            let Some(next) = ahead.next() else { break };
            ahead = next;
            let eligibility = self.for_week(members, next)?;
            for (member, reason) in eligibility.iter().enumerate() {
                free[member] &= reason.is_none();
            }
            self.looked_ahead.insert(next, eligibility);
        }
        Ok(free)
    }

    /// Why nobody could serve, counted from the week's base eligibility.
    pub(super) fn unstaffed_reason(
        &self,
        members: &Members<'_>,
        base: &[Option<ExclusionReason>],
    ) -> String {
        if members.is_empty() {
            return "nobody eligible: the rotation has no members".to_owned();
        }
        let (mut short, mut managers, mut directors) = (0, 0, 0);
        for reason in base.iter().flatten() {
            match reason {
                ExclusionReason::TooFewWorkingDays { .. } => short += 1,
                ExclusionReason::Role(Role::Manager) => managers += 1,
                ExclusionReason::Role(_) => directors += 1,
                _ => {}
            }
        }
        let mut parts = Vec::new();
        if short > 0 {
            parts.push(format!(
                "{short} absent or under {} working days",
                self.rules.min_working_days
            ));
        }
        let plural = |count: usize, one: &str| match count {
            1 => format!("1 {one}"),
            n => format!("{n} {one}s"),
        };
        if managers > 0 {
            parts.push(plural(managers, "manager"));
        }
        if directors > 0 {
            parts.push(plural(directors, "director"));
        }
        format!("nobody eligible: {}", parts.join(", "))
    }
}

/// Who of `rotation`'s members could serve `week` on role and working days alone, before any rule
/// about the weeks around it: each member with `None`, or why not. The planner's own first test of a
/// week, for those who need it outside a plan (who may be offered a swap, `crate::swaps`).
pub fn could_serve(
    roster: &Roster,
    rotation: &str,
    week: IsoWeek,
) -> Result<Vec<(super::PersonId, Option<ExclusionReason>)>, super::PlanError> {
    let rules = roster
        .rotation(rotation)
        .ok_or_else(|| super::PlanError::UnknownRotation {
            name: rotation.to_owned(),
            known: roster.rotation_list(),
        })?;
    let members = Members::new(roster.members(&rules.name).collect());
    let base = Eligibility::new(roster, rules).for_week(&members, week)?;
    Ok(members
        .iter()
        .map(|person| person.id.clone())
        .zip(base)
        .collect())
}

/// The rules in force that a member serving this week would break.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Broken {
    person: bool,
    team: bool,
    backup: bool,
}

impl Broken {
    /// Most specific first, as that one is given as the reason for an exclusion.
    pub(super) fn each(self) -> impl Iterator<Item = Relaxation> {
        [
            (self.person, Relaxation::Person),
            (self.team, Relaxation::Team),
            (self.backup, Relaxation::Backup),
        ]
        .into_iter()
        .filter_map(|(broken, rule)| broken.then_some(rule))
    }

    pub(super) fn within(self, allowed: &[Relaxation]) -> bool {
        self.each().all(|rule| allowed.contains(&rule))
    }

    pub(super) fn first_outside(self, allowed: &[Relaxation]) -> Option<Relaxation> {
        self.each().find(|rule| !allowed.contains(rule))
    }
}

impl Planner<'_> {
    /// Which rules in force `member` serving would break.
    pub(super) fn violations(&self, member: usize, lacks_backup: bool) -> Broken {
        let previous = self.record.previous();
        Broken {
            person: self.rules.avoid_same_person && previous.member == Some(member),
            team: self.rules.avoid_same_team && previous.team == Some(self.members.team_of(member)),
            backup: lacks_backup,
        }
    }

    pub(super) fn reason_for(&self, member: usize, broken: Relaxation) -> ExclusionReason {
        match broken {
            Relaxation::Team => {
                ExclusionReason::TeamServedPreviousWeek(self.members[member].team.clone())
            }
            Relaxation::Person => ExclusionReason::ServedPreviousWeek,
            Relaxation::Backup => ExclusionReason::NoBackupForFirstDuty {
                max_offset_hours: self.rules.backup_max_offset_hours,
            },
        }
    }
}
