//! Picking the primary among the eligible: the rules bent one at a time when nobody can
//! serve under all of them, the fair ranking and its tie-breaks, the team-spacing pass-over
//! of fair rotations, and the queue of sequential ones.

use super::eligibility::Broken;
use super::model::{ExclusionReason, Relaxation};
use super::planner::Planner;
use super::{IsoWeek, Style};

impl Planner<'_> {
    /// Tries the rules in force, then bends them one at a time: the team rule first,
    /// then the person rule, and a first-timer's backup only when nobody else at all
    /// can serve. Returns the primary, the rules bent, and who was passed over.
    pub(super) fn choose(
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
                Style::Sequential { .. } => (self.record.next_in_queue(&candidates), Vec::new()),
            };
            return (chosen, allowed.to_vec(), passed_over);
        }
        (None, Vec::new(), Vec::new())
    }

    /// The ranking among eligible people: lowest load, then longest since their last
    /// duty (never first), then fewer previous duties, then id.
    pub(crate) fn fair_rank(&self, member: usize) -> (u32, Option<IsoWeek>, u32, usize) {
        (
            self.record.load[member],
            self.record.last_served[member],
            self.members[member].previous_duties,
            self.members.id_rank(member),
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
        let load = &self.record.load;
        let Some(lowest) = candidates.iter().map(|member| load[*member]).min() else {
            return (None, Vec::new());
        };
        let mut tied: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|member| load[*member] == lowest)
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
            reliably_free.get(member).copied().unwrap_or(false) && load[member] <= lowest
        };
        let mut due_per_team = vec![0_usize; self.members.team_count()];
        for member in (0..self.members.len()).filter(|member| still_due(*member)) {
            due_per_team[self.members.team_of(member)] += 1;
        }
        let leaves_a_spaced_round = |chosen: usize| {
            let team = self.members.team_of(chosen);
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
}
