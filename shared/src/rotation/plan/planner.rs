//! Driving a rotation week by week. `decide` looks at one week without changing
//! anything, `commit` records the decision and moves on to the next week; `plan` runs
//! the two in turn and `explain` replays them up to the week it is asked about.

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::backup::Offsets;
use super::eligibility::{Broken, Eligibility};
use super::history::{PreviousWeek, Record, committed_before};
use super::members::Members;
use super::model::{
    Exclusion, ExclusionReason, History, MAX_PLAN_WEEKS, Override, Plan, PlanError, PlannedWeek,
    Relaxation, ServedShift,
};
use super::warnings::Warnings;
use super::{IsoWeek, OutOfCalendar, PersonId, Roster, RotationRules, ShiftWindow, shifts};

/// Plans the weeks `start` to `last` after what was served: the shifts served before `start` are
/// the history, the overrides from `start` on apply (how the table's history is planned on).
pub fn plan_between(
    roster: &Roster,
    rotation: &str,
    served: &[ServedShift],
    overrides: &[Override],
    start: IsoWeek,
    last: IsoWeek,
) -> Result<Plan, PlanError> {
    let history = History {
        served: served.iter().filter(|s| s.week < start).cloned().collect(),
    };
    let overrides: Vec<Override> = overrides
        .iter()
        .filter(|o| o.week >= start)
        .cloned()
        .collect();
    let count = u32::try_from(start.weeks_until(last) + 1).unwrap_or(1);
    plan(
        roster,
        rotation,
        &history,
        &overrides,
        start.monday(),
        count,
    )
}

/// Plans `weeks` weeks of `rotation`, starting with the ISO week that contains `from`.
pub fn plan(
    roster: &Roster,
    rotation: &str,
    history: &History,
    overrides: &[Override],
    from: Date,
    weeks: u32,
) -> Result<Plan, PlanError> {
    if weeks > MAX_PLAN_WEEKS {
        return Err(PlanError::TooManyWeeks(weeks));
    }
    let mut planner = Planner::new(roster, rotation, history, overrides, from)?;
    let mut planned = Vec::new();
    for _ in 0..weeks {
        let decision = planner.decide()?;
        planned.push(planner.commit(decision));
    }
    Ok(planner.finish(planned))
}

/// A member's standing in one week's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Standing {
    Ineligible(ExclusionReason),
    /// Could have served under the rules in force for the week (after relaxations).
    Eligible,
}

#[derive(Debug, Clone)]
pub(crate) struct Decision<'r> {
    pub(crate) week: IsoWeek,
    pub(crate) standings: Vec<Standing>,
    pub(crate) primary: Option<usize>,
    pub(crate) backup: Option<usize>,
    pub(crate) relaxed: Vec<Relaxation>,
    pub(crate) overridden: Option<&'r Override>,
    pub(crate) window: ShiftWindow,
    /// Lower-ranked candidates chosen over higher-ranked ones, to keep the people still
    /// due this round from being left with only one team (see `choose_fairly`).
    pub(crate) passed_over_for_team_spacing: Vec<usize>,
    pub(crate) unstaffed_reason: Option<String>,
}

/// Where the planner is in the calendar.
struct Weeks {
    first: IsoWeek,
    next: Option<IsoWeek>,
    last_planned: IsoWeek,
}

impl Weeks {
    fn starting(first: IsoWeek) -> Weeks {
        Weeks {
            first,
            next: Some(first),
            last_planned: first,
        }
    }

    /// The week to decide; past the end of the calendar, the error names the last one.
    fn upcoming(&self) -> Result<IsoWeek, OutOfCalendar> {
        self.next.ok_or(OutOfCalendar {
            week: self.last_planned,
        })
    }

    fn advance_past(&mut self, week: IsoWeek) {
        self.last_planned = week;
        self.next = week.next();
    }
}

/// One rotation being planned: its members and rules, who may serve, what has been
/// served, and the warnings gathered on the way.
pub(crate) struct Planner<'r> {
    pub(crate) rules: &'r RotationRules,
    pub(crate) members: Members<'r>,
    eligibility: Eligibility<'r>,
    overrides: BTreeMap<IsoWeek, &'r Override>,
    pub(crate) record: Record,
    weeks: Weeks,
    warnings: Warnings,
}

impl<'r> Planner<'r> {
    pub(crate) fn new(
        roster: &'r Roster,
        rotation: &str,
        history: &History,
        overrides: &'r [Override],
        from: Date,
    ) -> Result<Planner<'r>, PlanError> {
        let rules = roster
            .rotation(rotation)
            .ok_or_else(|| PlanError::UnknownRotation {
                name: rotation.to_owned(),
                known: roster.rotation_list(),
            })?;
        let members = Members::new(roster.members(&rules.name).collect());
        let first_week = IsoWeek::containing(from);
        let overrides = index_overrides(roster, rules, &members.index_of(), overrides)?;
        let mut warnings = Warnings::default();
        let served = committed_before(history, first_week, &mut warnings)?;
        let record = Record::from_history(&served, first_week, roster, rules, &members);
        Ok(Planner {
            rules,
            members,
            eligibility: Eligibility::new(roster, rules),
            overrides,
            record,
            weeks: Weeks::starting(first_week),
            warnings,
        })
    }

    pub(crate) fn decide(&mut self) -> Result<Decision<'r>, PlanError> {
        let week = self.weeks.upcoming()?;
        let count = self.members.len();
        let style = &self.rules.style;
        let windows = shifts::zone_windows(style, self.members.zones(), week)?;
        for (window, zone) in windows.iter().zip(self.members.zones()) {
            let dates = shifts::shift_dates(style, week, window, zone);
            self.warnings.note_uncovered_years(dates);
        }
        let base = self.eligibility.for_week(&self.members, week)?;
        let reliably_free = self.eligibility.reliably_free_after(&self.members, week)?;

        // A first-timer needs an experienced, eligible colleague whose UTC offset is
        // close at the shift start.
        let mut offsets = Offsets::new(self.members.zones());
        let lacks_backup = self.lacking_backup(&base, &windows, &mut offsets);

        let overridden = self.overrides.get(&week).copied();
        let primary = match overridden {
            Some(pinned) => self.members.position(&pinned.person),
            None => None,
        };
        let (primary, allowed, passed_over) = match (overridden, primary) {
            (Some(_), Some(member)) => (Some(member), Vec::new(), Vec::new()),
            _ => {
                let broken: Vec<Broken> = (0..count)
                    .map(|member| self.violations(member, lacks_backup[member]))
                    .collect();
                self.choose(&base, &reliably_free, &broken)
            }
        };

        let backup = match primary {
            Some(member) if self.rules.first_duty_backup && self.is_first_timer(member) => {
                let start = windows
                    .get(self.members.zone_of(member))
                    .map(|window| window.start);
                start.and_then(|start| self.choose_backup(member, start, &base, &mut offsets))
            }
            _ => None,
        };

        let mut relaxed = match primary {
            Some(member) => {
                let unbacked_first_duty =
                    self.rules.first_duty_backup && self.is_first_timer(member) && backup.is_none();
                self.violations(member, unbacked_first_duty)
                    .each()
                    .collect()
            }
            None => Vec::new(),
        };
        relaxed.sort();

        let standings = (0..count)
            .map(|member| {
                if let Some(reason) = &base[member] {
                    return Standing::Ineligible(reason.clone());
                }
                let blocking = self
                    .violations(member, lacks_backup[member])
                    .first_outside(&allowed);
                match blocking.filter(|_| Some(member) != primary) {
                    Some(broken) => Standing::Ineligible(self.reason_for(member, broken)),
                    None => Standing::Eligible,
                }
            })
            .collect();

        if let (Some(pinned), Some(member)) = (overridden, primary)
            && let Some(reason) = &base[member]
        {
            self.warnings.push(format!(
                "{week}: the override puts {} on duty although they {reason}",
                pinned.person
            ));
        }

        let unstaffed_reason = primary
            .is_none()
            .then(|| self.eligibility.unstaffed_reason(&self.members, &base));
        let primary_zone = primary.map(|member| self.members.zone(member));
        Ok(Decision {
            week,
            standings,
            primary,
            backup,
            relaxed,
            overridden,
            window: shifts::window_for(style, week, primary_zone)?,
            passed_over_for_team_spacing: passed_over,
            unstaffed_reason,
        })
    }

    pub(crate) fn commit(&mut self, decision: Decision<'r>) -> PlannedWeek {
        let week = decision.week;
        let served = PreviousWeek {
            member: decision.primary,
            team: decision.primary.map(|member| self.members.team_of(member)),
        };
        self.record.add_week(week, served, decision.backup);
        self.weeks.advance_past(week);

        let id = |member: Option<usize>| member.map(|member| self.members[member].id.clone());
        let team = decision
            .primary
            .map(|member| self.members[member].team.clone());
        let excluded = decision
            .standings
            .iter()
            .enumerate()
            .filter(|(member, _)| {
                Some(*member) != decision.primary && Some(*member) != decision.backup
            })
            .filter_map(|(member, standing)| match standing {
                Standing::Ineligible(reason) => Some(Exclusion {
                    person: self.members[member].id.clone(),
                    reason: reason.clone(),
                }),
                Standing::Eligible => None,
            })
            .collect();
        PlannedWeek {
            week,
            primary: id(decision.primary),
            backup: id(decision.backup),
            team,
            start_utc: decision.window.start,
            end_utc: decision.window.end,
            relaxed: decision.relaxed,
            excluded,
            unstaffed_reason: decision.unstaffed_reason,
            overridden: decision.overridden.map(|pinned| pinned.reason.clone()),
        }
    }

    pub(crate) fn first_week(&self) -> IsoWeek {
        self.weeks.first
    }

    pub(crate) fn is_first_timer(&self, member: usize) -> bool {
        !self.record.is_experienced(member)
    }

    pub(crate) fn finish(self, weeks: Vec<PlannedWeek>) -> Plan {
        Plan {
            rotation: self.rules.name.clone(),
            weeks,
            warnings: self.warnings.finish(),
        }
    }
}

fn index_overrides<'r>(
    roster: &Roster,
    rules: &RotationRules,
    index_of: &BTreeMap<&PersonId, usize>,
    overrides: &'r [Override],
) -> Result<BTreeMap<IsoWeek, &'r Override>, PlanError> {
    let mut by_week: BTreeMap<IsoWeek, &Override> = BTreeMap::new();
    for pinned in overrides {
        if roster.person(&pinned.person).is_none() {
            return Err(PlanError::OverrideForUnknownPerson {
                week: pinned.week,
                person: pinned.person.clone(),
            });
        }
        if !index_of.contains_key(&pinned.person) {
            return Err(PlanError::OverrideForNonMember {
                week: pinned.week,
                person: pinned.person.clone(),
                rotation: rules.name.clone(),
            });
        }
        if let Some(first) = by_week.insert(pinned.week, pinned) {
            return Err(PlanError::ConflictingOverrides {
                week: pinned.week,
                first: first.person.clone(),
                second: pinned.person.clone(),
            });
        }
    }
    Ok(by_week)
}
