//! The planner: drives a rotation week by week. `decide` looks at one week without
//! changing anything, `commit` records the decision and moves on to the next week;
//! `explain` replays the same engine.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::model::{
    Exclusion, ExclusionReason, History, MAX_PLAN_WEEKS, Override, Plan, PlanError, PlannedWeek,
    Relaxation, ServedShift,
};
use super::{
    CountryCode, DayMarks, DayMask, IsoWeek, OutOfCalendar, Person, PersonId, PublicHolidays, Role,
    Roster, RotationRules, ShiftWindow, Style, TeamName, absence_mask, calendar,
    company_holiday_mask, public_holiday_mask, weekday_mask,
};

/// How far fair planning looks ahead to see who will be around to keep teams spaced.
const LOOKAHEAD_WEEKS: usize = 4;
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

/// The week before the one being decided, as far as the rules care: which member
/// served and which of the members' teams that was (`None` when nobody served, or when
/// history names someone or a team no longer in the rotation).
#[derive(Debug, Clone, Copy, Default)]
struct PreviousWeek {
    member: Option<usize>,
    team: Option<usize>,
}

/// The rules in force that a member serving this week would break.
#[derive(Debug, Clone, Copy, Default)]
struct Broken {
    person: bool,
    team: bool,
    backup: bool,
}

impl Broken {
    /// Most specific first, as that one is given as the reason for an exclusion.
    fn each(self) -> impl Iterator<Item = Relaxation> {
        [
            (self.person, Relaxation::Person),
            (self.team, Relaxation::Team),
            (self.backup, Relaxation::Backup),
        ]
        .into_iter()
        .filter_map(|(broken, rule)| broken.then_some(rule))
    }

    fn within(self, allowed: &[Relaxation]) -> bool {
        self.each().all(|rule| allowed.contains(&rule))
    }

    fn first_outside(self, allowed: &[Relaxation]) -> Option<Relaxation> {
        self.each().find(|rule| !allowed.contains(rule))
    }
}

pub(crate) struct Planner<'r> {
    pub(crate) roster: &'r Roster,
    pub(crate) rules: &'r RotationRules,
    /// Members in roster order; every per-member vector below is indexed alike.
    pub(crate) members: Vec<&'r Person>,
    member_team: Vec<usize>,
    team_names: Vec<&'r TeamName>,
    /// Each member's place in id order, the last tie-break, compared as a number.
    id_rank: Vec<usize>,
    member_zone: Vec<usize>,
    zones: Vec<&'r TimeZone>,
    overrides: BTreeMap<IsoWeek, &'r Override>,
    first_week: IsoWeek,
    next_week: Option<IsoWeek>,
    last_planned: IsoWeek,
    /// Duties in history plus duties planned so far, newcomers lifted to the minimum.
    pub(crate) load: Vec<u32>,
    pub(crate) last_served: Vec<Option<IsoWeek>>,
    served_before: Vec<bool>,
    pub(crate) backups_served: Vec<u32>,
    previous: PreviousWeek,
    /// Sequential rotations: member indices, the next turn at the front.
    pub(crate) queue: VecDeque<usize>,
    eligibility_ahead: BTreeMap<IsoWeek, Vec<Option<ExclusionReason>>>,
    uncovered_years: BTreeSet<i16>,
    warnings: Vec<String>,
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
            .ok_or_else(|| PlanError::UnknownRotation(rotation.to_owned()))?;
        let members: Vec<&Person> = roster.members(&rules.name).collect();
        let index_of: BTreeMap<&PersonId, usize> = members
            .iter()
            .enumerate()
            .map(|(index, person)| (&person.id, index))
            .collect();

        // Interning teams and zones keeps the weekly loop on plain indices.
        let team_names: BTreeSet<&TeamName> = members.iter().map(|person| &person.team).collect();
        let team_names: Vec<&TeamName> = team_names.into_iter().collect();
        let member_team = members
            .iter()
            .map(|person| team_names.binary_search(&&person.team).unwrap_or_default())
            .collect();
        let zone_names: BTreeSet<&str> = members
            .iter()
            .map(|person| person.timezone.name())
            .collect();
        let zone_names: Vec<&str> = zone_names.into_iter().collect();
        let member_zone = members
            .iter()
            .map(|person| {
                zone_names
                    .binary_search(&person.timezone.name())
                    .unwrap_or_default()
            })
            .collect();
        let mut zones: Vec<&TimeZone> = Vec::new();
        for name in &zone_names {
            if let Some(person) = members
                .iter()
                .find(|person| person.timezone.name() == *name)
            {
                zones.push(person.timezone.zone());
            }
        }

        let mut by_id: Vec<usize> = (0..members.len()).collect();
        by_id.sort_by_key(|member| &members[*member].id);
        let mut id_rank = vec![0; members.len()];
        for (rank, member) in by_id.into_iter().enumerate() {
            id_rank[member] = rank;
        }

        let first_week = IsoWeek::containing(from);
        let overrides = index_overrides(roster, rules, &index_of, overrides)?;
        let mut planner = Planner {
            roster,
            rules,
            members,
            member_team,
            team_names,
            id_rank,
            member_zone,
            zones,
            overrides,
            first_week,
            next_week: Some(first_week),
            last_planned: first_week,
            load: Vec::new(),
            last_served: Vec::new(),
            served_before: Vec::new(),
            backups_served: Vec::new(),
            previous: PreviousWeek::default(),
            queue: VecDeque::new(),
            eligibility_ahead: BTreeMap::new(),
            uncovered_years: BTreeSet::new(),
            warnings: Vec::new(),
        };
        planner.absorb_history(history, &index_of)?;
        Ok(planner)
    }

    fn absorb_history(
        &mut self,
        history: &History,
        index_of: &BTreeMap<&PersonId, usize>,
    ) -> Result<(), PlanError> {
        let count = self.members.len();
        let mut seen = BTreeSet::new();
        for shift in &history.served {
            if !seen.insert(shift.week) {
                return Err(PlanError::DuplicateHistory(shift.week));
            }
        }
        let mut shifts: Vec<&ServedShift> = history.served.iter().collect();
        shifts.sort_by_key(|shift| shift.week);
        for shift in shifts.iter().filter(|shift| shift.week >= self.first_week) {
            self.warnings.push(format!(
                "history for {} is inside the planned weeks and was ignored; use an override \
                 to pin a planned week",
                shift.week
            ));
        }
        shifts.retain(|shift| shift.week < self.first_week);

        let mut duties = vec![0_u32; count];
        self.last_served = vec![None; count];
        self.served_before = vec![false; count];
        self.backups_served = vec![0; count];
        if let Style::Sequential { order, .. } = &self.rules.style {
            self.queue = order
                .iter()
                .filter_map(|id| index_of.get(id).copied())
                .collect();
        }
        for shift in &shifts {
            if let Some(member) = shift
                .primary
                .as_ref()
                .and_then(|id| index_of.get(id))
                .copied()
            {
                duties[member] += 1;
                self.last_served[member] = Some(shift.week);
                self.served_before[member] = true;
                self.send_to_back_of_queue(member);
            }
            if let Some(member) = shift
                .backup
                .as_ref()
                .and_then(|id| index_of.get(id))
                .copied()
            {
                self.backups_served[member] += 1;
            }
        }
        // Someone new would otherwise owe every duty the others served before they
        // joined; they start level with the least-served instead.
        let floor = duties
            .iter()
            .copied()
            .filter(|duties| *duties > 0)
            .min()
            .unwrap_or(0);
        self.load = duties.iter().map(|duties| (*duties).max(floor)).collect();

        let last = self.first_week.previous();
        if let Some(shift) = shifts.iter().find(|shift| Some(shift.week) == last) {
            let roster_team = shift
                .primary
                .as_ref()
                .and_then(|id| self.roster.person(id))
                .map(|person| &person.team);
            let team = shift.team.as_ref().or(roster_team);
            self.previous = PreviousWeek {
                member: shift
                    .primary
                    .as_ref()
                    .and_then(|id| index_of.get(id))
                    .copied(),
                team: team.and_then(|team| self.team_names.binary_search(&team).ok()),
            };
        }
        Ok(())
    }

    fn send_to_back_of_queue(&mut self, member: usize) {
        if let Some(position) = self.queue.iter().position(|queued| *queued == member) {
            self.queue.remove(position);
            self.queue.push_back(member);
        }
    }

    fn is_experienced(&self, member: usize) -> bool {
        self.members[member].previous_duties > 0 || self.served_before[member]
    }

    pub(crate) fn is_first_timer(&self, member: usize) -> bool {
        !self.is_experienced(member)
    }

    /// The dates whose working days count for `member` this week, in their own zone.
    fn shift_dates(&self, week: IsoWeek, window: &ShiftWindow, zone: usize) -> Vec<Date> {
        match &self.rules.style {
            Style::Fair => week.weekdays().collect(),
            Style::Sequential { .. } => {
                let first = calendar::local_date(window.start, self.zones[zone]);
                calendar::seven_days_from(first)
            }
        }
    }

    fn window_for(
        &self,
        week: IsoWeek,
        primary: Option<usize>,
    ) -> Result<ShiftWindow, OutOfCalendar> {
        match (&self.rules.style, primary) {
            (Style::Sequential { handoff, .. }, _) => calendar::handoff_shift(week, handoff),
            (Style::Fair, Some(member)) => {
                calendar::weekday_shift(week, self.zones[self.member_zone[member]])
            }
            (Style::Fair, None) => calendar::weekday_shift(week, &TimeZone::UTC),
        }
    }

    /// Which rules in force `member` serving would break.
    fn violations(&self, member: usize, lacks_backup: bool) -> Broken {
        Broken {
            person: self.rules.avoid_same_person && self.previous.member == Some(member),
            team: self.rules.avoid_same_team
                && self.previous.team == Some(self.member_team[member]),
            backup: lacks_backup,
        }
    }

    fn reason_for(&self, member: usize, broken: Relaxation) -> ExclusionReason {
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

    /// UTC offset in seconds of zone `zone` at `instant`, cached for the week.
    fn offset(
        cache: &mut BTreeMap<(usize, Timestamp), i32>,
        zones: &[&TimeZone],
        zone: usize,
        instant: Timestamp,
    ) -> i32 {
        *cache
            .entry((zone, instant))
            .or_insert_with(|| zones[zone].to_offset(instant).seconds())
    }

    /// Each zone's shift window for `week`: its own Monday midnight to Saturday for a
    /// fair rotation, the common handoff for a sequential one. Indexed like `zones`.
    fn zone_windows(&self, week: IsoWeek) -> Result<Vec<ShiftWindow>, OutOfCalendar> {
        match &self.rules.style {
            Style::Sequential { handoff, .. } => {
                let window = calendar::handoff_shift(week, handoff)?;
                Ok(vec![window; self.zones.len()])
            }
            Style::Fair => self
                .zones
                .iter()
                .map(|zone| calendar::weekday_shift(week, zone))
                .collect(),
        }
    }

    /// Who could serve `week` on role and working days alone, before any rule about the
    /// previous week. Kept when computed ahead, as fair planning looks a few weeks ahead.
    fn eligibility(
        &mut self,
        week: IsoWeek,
    ) -> Result<Vec<Option<ExclusionReason>>, OutOfCalendar> {
        if let Some(known) = self.eligibility_ahead.get(&week) {
            return Ok(known.clone());
        }
        let windows = self.zone_windows(week)?;
        // Dates and the weekday and company-holiday marks depend only on the zone, public
        // holidays on the zone and the country: worked out once a week, not per person.
        let zone_dates: Vec<Vec<Date>> = match &self.rules.style {
            Style::Fair => vec![week.weekdays().collect(); windows.len()],
            Style::Sequential { .. } => windows
                .iter()
                .enumerate()
                .map(|(zone, window)| self.shift_dates(week, window, zone))
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
        let mut public_marks: BTreeMap<(usize, CountryCode), DayMask> = BTreeMap::new();
        let required = self.rules.min_working_days;
        let mut base = Vec::with_capacity(self.members.len());
        for (member, person) in self.members.iter().enumerate() {
            if !person.role.serves() {
                base.push(Some(ExclusionReason::Role(person.role)));
                continue;
            }
            let zone = self.member_zone[member];
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
    fn reliably_free_after(&mut self, week: IsoWeek) -> Result<Vec<bool>, OutOfCalendar> {
        let looks_ahead = matches!(self.rules.style, Style::Fair) && self.rules.avoid_same_team;
        if !looks_ahead {
            return Ok(Vec::new());
        }
        self.eligibility_ahead.retain(|known, _| *known > week);
        let mut free = vec![true; self.members.len()];
        let mut ahead = week;
        for _ in 0..LOOKAHEAD_WEEKS {
            let Some(next) = ahead.next() else { break };
            ahead = next;
            let eligibility = self.eligibility(next)?;
            for (member, reason) in eligibility.iter().enumerate() {
                free[member] &= reason.is_none();
            }
            self.eligibility_ahead.insert(next, eligibility);
        }
        Ok(free)
    }

    /// Remembers the years of `week`'s dates that the holiday data does not cover.
    fn note_uncovered_years(&mut self, week: IsoWeek, windows: &[ShiftWindow]) {
        let holidays = PublicHolidays::shipped();
        for (zone, window) in windows.iter().enumerate() {
            for date in self.shift_dates(week, window, zone) {
                if !holidays.is_covered(date) {
                    self.uncovered_years.insert(date.year());
                }
            }
        }
    }

    pub(crate) fn decide(&mut self) -> Result<Decision<'r>, PlanError> {
        let week = self.next_week.ok_or(OutOfCalendar {
            week: self.last_planned,
        })?;
        let count = self.members.len();
        let windows = self.zone_windows(week)?;
        self.note_uncovered_years(week, &windows);
        let zone_start = |zone: usize| windows.get(zone).map(|window| window.start);
        let base = self.eligibility(week)?;
        let reliably_free = self.reliably_free_after(week)?;

        // A first-timer needs an experienced, eligible colleague whose UTC offset is
        // close at the shift start; zones stand in for people to keep this linear.
        let max_gap = i32::from(self.rules.backup_max_offset_hours) * 3600;
        let mut offsets = BTreeMap::new();
        let mut experienced_in_zone = vec![0_usize; self.zones.len()];
        for member in 0..count {
            if base[member].is_none() && self.is_experienced(member) {
                experienced_in_zone[self.member_zone[member]] += 1;
            }
        }
        let mut lacks_backup = vec![false; count];
        if self.rules.first_duty_backup {
            for member in 0..count {
                if base[member].is_some() || self.is_experienced(member) {
                    continue;
                }
                let own_zone = self.member_zone[member];
                let Some(start) = zone_start(own_zone) else {
                    continue;
                };
                let own = Self::offset(&mut offsets, &self.zones, own_zone, start);
                let covered = (0..self.zones.len()).any(|zone| {
                    experienced_in_zone[zone] > 0
                        && (Self::offset(&mut offsets, &self.zones, zone, start) - own).abs()
                            <= max_gap
                });
                lacks_backup[member] = !covered;
            }
        }

        let overridden = self.overrides.get(&week).copied();
        let primary = match overridden {
            Some(pinned) => self
                .members
                .iter()
                .position(|person| person.id == pinned.person),
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
                let start = zone_start(self.member_zone[member]);
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

        let unstaffed_reason = primary.is_none().then(|| self.unstaffed_reason(&base));
        Ok(Decision {
            week,
            standings,
            primary,
            backup,
            relaxed,
            overridden,
            window: self.window_for(week, primary)?,
            passed_over_for_team_spacing: passed_over,
            unstaffed_reason,
        })
    }

    /// Tries the rules in force, then bends them one at a time: the team rule first,
    /// then the person rule, and a first-timer's backup only when nobody else at all
    /// can serve. Returns the primary, the rules bent, and who was passed over.
    fn choose(
        &self,
        base: &[Option<ExclusionReason>],
        reliably_free: &[bool],
        broken: &[Broken],
    ) -> (Option<usize>, Vec<Relaxation>, Vec<usize>) {
        use Relaxation::{Backup, Person, Team};
        const LEVELS: [&[Relaxation]; 6] = [
            &[],
            &[Team],
            &[Team, Person],
            &[Backup],
            &[Team, Backup],
            &[Team, Person, Backup],
        ];
        for allowed in LEVELS {
            let candidates: Vec<usize> = (0..self.members.len())
                .filter(|member| base[*member].is_none() && broken[*member].within(allowed))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let (chosen, passed_over) = match &self.rules.style {
                Style::Fair => self.choose_fairly(&candidates, reliably_free),
                Style::Sequential { .. } => (self.next_in_queue(&candidates), Vec::new()),
            };
            return (chosen, allowed.to_vec(), passed_over);
        }
        (None, Vec::new(), Vec::new())
    }

    /// The ranking among eligible people: lowest load, then longest since their last
    /// duty (never first), then fewer previous duties, then id.
    pub(crate) fn fair_rank(&self, member: usize) -> (u32, Option<IsoWeek>, u32, usize) {
        (
            self.load[member],
            self.last_served[member],
            self.members[member].previous_duties,
            self.id_rank[member],
        )
    }

    /// Picks the best-ranked candidate at the lowest load, unless that would leave the
    /// people still due at that load unable to follow one another without two of a team
    /// back to back: with `avoid_same_team` someone else would then have to serve twice
    /// before they served once. Such a candidate is passed over for the next one; if
    /// every candidate would, the best-ranked one serves. Only people free for the next
    /// few weeks are counted as due, since someone about to be away cannot be relied on
    /// to fill a gap.
    fn choose_fairly(
        &self,
        candidates: &[usize],
        reliably_free: &[bool],
    ) -> (Option<usize>, Vec<usize>) {
        let Some(lowest) = candidates.iter().map(|member| self.load[*member]).min() else {
            return (None, Vec::new());
        };
        let mut tied: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|member| self.load[*member] == lowest)
            .collect();
        let Some(best) = tied
            .iter()
            .copied()
            .min_by_key(|member| self.fair_rank(*member))
        else {
            return (None, Vec::new());
        };
        if !self.rules.avoid_same_team {
            return (Some(best), Vec::new());
        }

        let still_due = |member: usize| {
            reliably_free.get(member).copied().unwrap_or(false) && self.load[member] <= lowest
        };
        let mut due_per_team = vec![0_usize; self.team_names.len()];
        for member in (0..self.members.len()).filter(|member| still_due(*member)) {
            due_per_team[self.member_team[member]] += 1;
        }
        let leaves_a_spaced_round = |chosen: usize| {
            let team = self.member_team[chosen];
            let mut rest = due_per_team.clone();
            if still_due(chosen) {
                rest[team] -= 1;
            }
            let left: usize = rest.iter().sum();
            rest.iter().enumerate().all(|(other, count)| {
                if other == team {
                    // The chosen team may not serve straight after, so it gets at most
                    // every other slot from the second one on.
                    *count <= left / 2
                } else {
                    *count <= left.div_ceil(2)
                }
            })
        };
        if leaves_a_spaced_round(best) {
            return (Some(best), Vec::new());
        }
        tied.sort_by_key(|member| self.fair_rank(*member));
        match tied
            .iter()
            .position(|member| leaves_a_spaced_round(*member))
        {
            Some(position) => (Some(tied[position]), tied[..position].to_vec()),
            None => (Some(best), Vec::new()),
        }
    }

    fn next_in_queue(&self, candidates: &[usize]) -> Option<usize> {
        self.queue
            .iter()
            .copied()
            .find(|member| candidates.contains(member))
    }

    /// Closest UTC offset first, then fewest backups served, then id.
    fn choose_backup(
        &self,
        first_timer: usize,
        start: Timestamp,
        base: &[Option<ExclusionReason>],
        offsets: &mut BTreeMap<(usize, Timestamp), i32>,
    ) -> Option<usize> {
        let max_gap = i32::from(self.rules.backup_max_offset_hours) * 3600;
        let own = Self::offset(offsets, &self.zones, self.member_zone[first_timer], start);
        let mut best: Option<(i32, u32, usize, usize)> = None;
        for (member, reason) in base.iter().enumerate() {
            if member == first_timer || reason.is_some() || !self.is_experienced(member) {
                continue;
            }
            let gap =
                (Self::offset(offsets, &self.zones, self.member_zone[member], start) - own).abs();
            if gap > max_gap {
                continue;
            }
            let rank = (
                gap,
                self.backups_served[member],
                self.id_rank[member],
                member,
            );
            if best.as_ref().is_none_or(|current| rank < *current) {
                best = Some(rank);
            }
        }
        best.map(|(_, _, _, member)| member)
    }

    fn unstaffed_reason(&self, base: &[Option<ExclusionReason>]) -> String {
        if self.members.is_empty() {
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

    pub(crate) fn commit(&mut self, decision: Decision<'r>) -> PlannedWeek {
        let week = decision.week;
        if let Some(member) = decision.primary {
            self.load[member] += 1;
            self.last_served[member] = Some(week);
            self.served_before[member] = true;
            self.send_to_back_of_queue(member);
        }
        if let Some(member) = decision.backup {
            self.backups_served[member] += 1;
        }
        let id = |member: Option<usize>| member.map(|member| self.members[member].id.clone());
        let team = decision
            .primary
            .map(|member| self.members[member].team.clone());
        self.previous = PreviousWeek {
            member: decision.primary,
            team: decision.primary.map(|member| self.member_team[member]),
        };
        self.last_planned = week;
        self.next_week = week.next();

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
        self.first_week
    }

    pub(crate) fn finish(mut self, weeks: Vec<PlannedWeek>) -> Plan {
        let covered = PublicHolidays::shipped().covered_years();
        for year in &self.uncovered_years {
            self.warnings.push(format!(
                "public holiday data covers {}-{}; holidays in {year} were not taken into account",
                covered.start(),
                covered.end()
            ));
        }
        Plan {
            rotation: self.rules.name.clone(),
            weeks,
            warnings: self.warnings,
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
