//! First duties: a first-timer serves only with an experienced, eligible colleague whose
//! UTC offset is close at the shift start; this is who that colleague is.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::ShiftWindow;
use super::model::ExclusionReason;
use super::planner::Planner;

/// UTC offsets in seconds of the members' zones, each worked out once per instant.
pub(super) struct Offsets<'z> {
    zones: &'z [&'z TimeZone],
    known: BTreeMap<(usize, Timestamp), i32>,
}

impl<'z> Offsets<'z> {
    pub(super) fn new(zones: &'z [&'z TimeZone]) -> Offsets<'z> {
        Offsets {
            zones,
            known: BTreeMap::new(),
        }
    }

    /// UTC offset in seconds of zone `zone` at `instant`.
    fn at(&mut self, zone: usize, instant: Timestamp) -> i32 {
        let zones = self.zones;
        *self
            .known
            .entry((zone, instant))
            .or_insert_with(|| zones[zone].to_offset(instant).seconds())
    }
}

impl Planner<'_> {
    /// Per member, whether they are a first-timer with no backup this week. Zones stand
    /// in for people to keep this linear.
    pub(super) fn lacking_backup(
        &self,
        base: &[Option<ExclusionReason>],
        windows: &[ShiftWindow],
        offsets: &mut Offsets<'_>,
    ) -> Vec<bool> {
        let count = self.members.len();
        let max_gap = i32::from(self.rules.backup_max_offset_hours) * 3600;
        let mut experienced_in_zone = vec![0_usize; self.members.zones().len()];
        for member in 0..count {
            if base[member].is_none() && self.record.is_experienced(member) {
                experienced_in_zone[self.members.zone_of(member)] += 1;
            }
        }
        let mut lacks_backup = vec![false; count];
        if self.rules.first_duty_backup {
            for member in 0..count {
                if base[member].is_some() || self.record.is_experienced(member) {
                    continue;
                }
                let own_zone = self.members.zone_of(member);
                let Some(start) = windows.get(own_zone).map(|window| window.start) else {
                    continue;
                };
                let own = offsets.at(own_zone, start);
                let covered = (0..experienced_in_zone.len()).any(|zone| {
                    experienced_in_zone[zone] > 0
                        && (offsets.at(zone, start) - own).abs() <= max_gap
                });
                lacks_backup[member] = !covered;
            }
        }
        lacks_backup
    }

    /// Closest UTC offset first, then fewest backups served, then id.
    pub(super) fn choose_backup(
        &self,
        first_timer: usize,
        start: Timestamp,
        base: &[Option<ExclusionReason>],
        offsets: &mut Offsets<'_>,
    ) -> Option<usize> {
        let max_gap = i32::from(self.rules.backup_max_offset_hours) * 3600;
        let own = offsets.at(self.members.zone_of(first_timer), start);
        let mut best: Option<(i32, u32, usize, usize)> = None;
        for (member, reason) in base.iter().enumerate() {
            if member == first_timer || reason.is_some() || !self.record.is_experienced(member) {
                continue;
            }
            let gap = (offsets.at(self.members.zone_of(member), start) - own).abs();
            if gap > max_gap {
                continue;
            }
            let rank = (
                gap,
                self.record.backups_served[member],
                self.members.id_rank(member),
                member,
            );
            if best.as_ref().is_none_or(|current| rank < *current) {
                best = Some(rank);
            }
        }
        best.map(|(_, _, _, member)| member)
    }
}
