//! What has been served: each member's load, last duty, experience and backups, the
//! sequential queue and the previous week. Read from the committed history when
//! planning starts, then kept up to date as each planned week is committed.

use std::collections::{BTreeSet, VecDeque};

use super::members::Members;
use super::model::{History, PlanError, ServedShift};
use super::warnings::Warnings;
use super::{IsoWeek, Roster, RotationRules, Style};

/// The week before the one being decided, as far as the rules care: which member
/// served and which of the members' teams that was (`None` when nobody served, or when
/// history names someone or a team no longer in the rotation).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PreviousWeek {
    pub(super) member: Option<usize>,
    pub(super) team: Option<usize>,
}

/// Per-member counters, indexed like `Members`, and the turns of a sequential rotation.
pub(crate) struct Record {
    /// Duties in history plus duties planned so far, newcomers lifted to the minimum.
    pub(crate) load: Vec<u32>,
    pub(crate) last_served: Vec<Option<IsoWeek>>,
    /// Has a duty behind them, before Clinic kept history or since: needs no backup.
    experienced: Vec<bool>,
    pub(crate) backups_served: Vec<u32>,
    previous: PreviousWeek,
    /// Sequential rotations: member indices, the next turn at the front.
    pub(crate) queue: VecDeque<usize>,
}

/// The history's shifts before `first_week`, oldest first; a shift inside the planned
/// weeks is dropped with a warning, a week served twice is an error.
pub(super) fn committed_before<'h>(
    history: &'h History,
    first_week: IsoWeek,
    warnings: &mut Warnings,
) -> Result<Vec<&'h ServedShift>, PlanError> {
    let mut seen = BTreeSet::new();
    for shift in &history.served {
        if !seen.insert(shift.week) {
            return Err(PlanError::DuplicateHistory(shift.week));
        }
    }
    let mut shifts: Vec<&ServedShift> = history.served.iter().collect();
    shifts.sort_by_key(|shift| shift.week);
    for shift in shifts.iter().filter(|shift| shift.week >= first_week) {
        warnings.push(format!(
            "history for {} is inside the planned weeks and was ignored; use an override \
             to pin a planned week",
            shift.week
        ));
    }
    shifts.retain(|shift| shift.week < first_week);
    Ok(shifts)
}

impl Record {
    /// The record after `shifts` (oldest first, all before `first_week`).
    pub(super) fn from_history(
        shifts: &[&ServedShift],
        first_week: IsoWeek,
        roster: &Roster,
        rules: &RotationRules,
        members: &Members<'_>,
    ) -> Record {
        let count = members.len();
        let index_of = members.index_of();
        let mut record = Record {
            load: Vec::new(),
            last_served: vec![None; count],
            experienced: members
                .iter()
                .map(|person| person.previous_duties > 0)
                .collect(),
            backups_served: vec![0; count],
            previous: PreviousWeek::default(),
            queue: VecDeque::new(),
        };
        if let Style::Sequential { order, .. } = &rules.style {
            record.queue = order
                .iter()
                .filter_map(|id| index_of.get(id).copied())
                .collect();
        }
        let mut duties = vec![0_u32; count];
        for shift in shifts {
            if let Some(member) = shift
                .primary
                .as_ref()
                .and_then(|id| index_of.get(id))
                .copied()
            {
                duties[member] += 1;
                record.last_served[member] = Some(shift.week);
                record.experienced[member] = true;
                record.send_to_back_of_queue(member);
            }
            if let Some(member) = shift
                .backup
                .as_ref()
                .and_then(|id| index_of.get(id))
                .copied()
            {
                record.backups_served[member] += 1;
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
        record.load = duties.iter().map(|duties| (*duties).max(floor)).collect();

        let last = first_week.previous();
        if let Some(shift) = shifts.iter().find(|shift| Some(shift.week) == last) {
            let roster_team = shift
                .primary
                .as_ref()
                .and_then(|id| roster.person(id))
                .map(|person| &person.team);
            let team = shift.team.as_ref().or(roster_team);
            record.previous = PreviousWeek {
                member: shift
                    .primary
                    .as_ref()
                    .and_then(|id| index_of.get(id))
                    .copied(),
                team: team.and_then(|team| members.team_index(team)),
            };
        }
        record
    }

    /// Counts `week`, served by `served.member` (if anyone) and backed up by `backup`.
    pub(super) fn add_week(&mut self, week: IsoWeek, served: PreviousWeek, backup: Option<usize>) {
        if let Some(member) = served.member {
            self.load[member] += 1;
            self.last_served[member] = Some(week);
            self.experienced[member] = true;
            self.send_to_back_of_queue(member);
        }
        if let Some(member) = backup {
            self.backups_served[member] += 1;
        }
        self.previous = served;
    }

    pub(super) fn is_experienced(&self, member: usize) -> bool {
        self.experienced[member]
    }

    pub(super) fn previous(&self) -> PreviousWeek {
        self.previous
    }

    /// The first of `candidates` in the sequential queue.
    pub(super) fn next_in_queue(&self, candidates: &[usize]) -> Option<usize> {
        self.queue
            .iter()
            .copied()
            .find(|member| candidates.contains(member))
    }

    fn send_to_back_of_queue(&mut self, member: usize) {
        if let Some(position) = self.queue.iter().position(|queued| *queued == member) {
            self.queue.remove(position);
            self.queue.push_back(member);
        }
    }
}
