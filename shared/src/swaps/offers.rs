//! Who may be offered a request: the planner's rules, asked of each member for the week they would
//! take. A member may serve the week on role and working days (managers and directors never; an
//! absent person not), and taking it must not put the same person, or (where the rotation avoids
//! it) the same team, on duty two weeks running with the week before or after. Never the requester.

use std::collections::BTreeMap;

use crate::rotation::calendar::IsoWeek;
use crate::rotation::plan::ExclusionReason;
use crate::rotation::roster::{PersonId, Roster, RotationRules};

/// Why a member is not offered a week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotOffered {
    Requester,
    /// The planner's own test of the week: a manager or director, or too few working days.
    CannotServe(ExclusionReason),
    /// They would serve two weeks running: they serve `0` already.
    SamePersonNextTo(IsoWeek),
    /// Their team would serve two weeks running: it serves `0` already.
    SameTeamNextTo(IsoWeek),
    NotAMember,
}

impl std::fmt::Display for NotOffered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Requester => f.write_str("is the one asking"),
            Self::CannotServe(reason) => write!(f, "{reason}"),
            Self::SamePersonNextTo(week) => write!(f, "serves {week}, the week next to it"),
            Self::SameTeamNextTo(week) => {
                write!(f, "their team serves {week}, the week next to it")
            }
            Self::NotAMember => f.write_str("is not a member of the rotation"),
        }
    }
}

/// What the rules are asked with: who serves each week around the weeks concerned (committed or
/// planned), and each week's eligibility on role and working days
/// (`crate::rotation::plan::could_serve`).
pub struct Neighbourhood<'a> {
    pub roster: &'a Roster,
    pub rules: &'a RotationRules,
    pub serving: BTreeMap<IsoWeek, Option<PersonId>>,
    pub could_serve: BTreeMap<IsoWeek, Vec<(PersonId, Option<ExclusionReason>)>>,
}

impl Neighbourhood<'_> {
    /// Whether `person` may serve `week` when `serving` says who serves the weeks around it.
    pub fn may_serve(
        &self,
        person: &PersonId,
        week: IsoWeek,
        serving: &BTreeMap<IsoWeek, Option<PersonId>>,
    ) -> Result<(), NotOffered> {
        let base = self
            .could_serve
            .get(&week)
            .and_then(|all| all.iter().find(|(id, _)| id == person))
            .ok_or(NotOffered::NotAMember)?;
        if let Some(reason) = &base.1 {
            return Err(NotOffered::CannotServe(reason.clone()));
        }
        let team = self.roster.person(person).map(|p| &p.team);
        for next_to in [week.previous(), week.next()].into_iter().flatten() {
            let Some(Some(other)) = serving.get(&next_to) else {
                continue;
            };
            if self.rules.avoid_same_person && other == person {
                return Err(NotOffered::SamePersonNextTo(next_to));
            }
            let other_team = self.roster.person(other).map(|p| &p.team);
            if self.rules.avoid_same_team && team.is_some() && other_team == team {
                return Err(NotOffered::SameTeamNextTo(next_to));
            }
        }
        Ok(())
    }

    /// Who may cover `week` for `requester`: each member, with `Ok` or why not.
    pub fn cover(
        &self,
        requester: &PersonId,
        week: IsoWeek,
    ) -> Vec<(PersonId, Result<(), NotOffered>)> {
        let members = self
            .could_serve
            .get(&week)
            .map(|all| all.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>())
            .unwrap_or_default();
        members
            .into_iter()
            .map(|member| {
                let verdict = if &member == requester {
                    Err(NotOffered::Requester)
                } else {
                    let mut after = self.serving.clone();
                    after.insert(week, Some(member.clone()));
                    self.may_serve(&member, week, &after)
                };
                (member, verdict)
            })
            .collect()
    }

    /// Whether `requester` (serving `week`) and `other` (serving `with_week`) may trade: each
    /// must be allowed the other's week, with the trade made.
    pub fn swap(
        &self,
        requester: &PersonId,
        week: IsoWeek,
        other: &PersonId,
        with_week: IsoWeek,
    ) -> Result<(), (PersonId, NotOffered)> {
        if other == requester {
            return Err((other.clone(), NotOffered::Requester));
        }
        let mut after = self.serving.clone();
        after.insert(week, Some(other.clone()));
        after.insert(with_week, Some(requester.clone()));
        self.may_serve(other, week, &after)
            .map_err(|why| (other.clone(), why))?;
        self.may_serve(requester, with_week, &after)
            .map_err(|why| (requester.clone(), why))
    }
}

/// The weeks whose person the rules look at for `weeks`: each, and the ones before and after.
pub fn weeks_around(weeks: &[IsoWeek]) -> Vec<IsoWeek> {
    let mut all: Vec<IsoWeek> = weeks
        .iter()
        .flat_map(|w| [w.previous(), Some(*w), w.next()])
        .flatten()
        .collect();
    all.sort();
    all.dedup();
    all
}
