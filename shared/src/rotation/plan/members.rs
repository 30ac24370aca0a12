//! The rotation's members as the planner sees them: people in roster order, with their
//! teams, time zones and id order interned so the weekly loop works on plain indices.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Index;

use jiff::tz::TimeZone;

use super::{Person, PersonId, TeamName};

/// Members in roster order; every per-member vector in the planner is indexed alike.
pub(crate) struct Members<'r> {
    people: Vec<&'r Person>,
    team_of: Vec<usize>,
    teams: Vec<&'r TeamName>,
    zone_of: Vec<usize>,
    zones: Vec<&'r TimeZone>,
    /// Each member's place in id order, the last tie-break, compared as a number.
    id_rank: Vec<usize>,
}

impl<'r> Members<'r> {
    pub(super) fn new(people: Vec<&'r Person>) -> Members<'r> {
        // Interning teams and zones keeps the weekly loop on plain indices.
        let teams: BTreeSet<&TeamName> = people.iter().map(|person| &person.team).collect();
        let teams: Vec<&TeamName> = teams.into_iter().collect();
        let team_of = people
            .iter()
            .map(|person| teams.binary_search(&&person.team).unwrap_or_default())
            .collect();
        let zone_names: BTreeSet<&str> =
            people.iter().map(|person| person.timezone.name()).collect();
        let zone_names: Vec<&str> = zone_names.into_iter().collect();
        let zone_of = people
            .iter()
            .map(|person| {
                zone_names
                    .binary_search(&person.timezone.name())
                    .unwrap_or_default()
            })
            .collect();
        let mut zones: Vec<&TimeZone> = Vec::new();
        for name in &zone_names {
            if let Some(person) = people.iter().find(|person| person.timezone.name() == *name) {
                zones.push(person.timezone.zone());
            }
        }

        let mut by_id: Vec<usize> = (0..people.len()).collect();
        by_id.sort_by_key(|member| &people[*member].id);
        let mut id_rank = vec![0; people.len()];
        for (rank, member) in by_id.into_iter().enumerate() {
            id_rank[member] = rank;
        }

        Members {
            people,
            team_of,
            teams,
            zone_of,
            zones,
            id_rank,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.people.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &'r Person> + '_ {
        self.people.iter().copied()
    }

    /// Each member's index by id.
    pub(super) fn index_of(&self) -> BTreeMap<&'r PersonId, usize> {
        self.people
            .iter()
            .enumerate()
            .map(|(index, person)| (&person.id, index))
            .collect()
    }

    /// The first member with `id`.
    pub(super) fn position(&self, id: &PersonId) -> Option<usize> {
        self.people.iter().position(|person| person.id == *id)
    }

    /// The member's team, as an index into the members' teams.
    pub(super) fn team_of(&self, member: usize) -> usize {
        self.team_of[member]
    }

    pub(super) fn team_count(&self) -> usize {
        self.teams.len()
    }

    /// `team` as an index, when some member is in it.
    pub(super) fn team_index(&self, team: &TeamName) -> Option<usize> {
        self.teams.binary_search(&team).ok()
    }

    /// The member's zone, as an index into `zones`.
    pub(super) fn zone_of(&self, member: usize) -> usize {
        self.zone_of[member]
    }

    /// The member's time zone.
    pub(super) fn zone(&self, member: usize) -> &'r TimeZone {
        self.zones[self.zone_of[member]]
    }

    /// The members' zones, each once, in name order.
    pub(super) fn zones(&self) -> &[&'r TimeZone] {
        &self.zones
    }

    pub(super) fn id_rank(&self, member: usize) -> usize {
        self.id_rank[member]
    }
}

impl<'r> Index<usize> for Members<'r> {
    type Output = &'r Person;

    fn index(&self, member: usize) -> &&'r Person {
        &self.people[member]
    }
}
