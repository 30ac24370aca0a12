//! Deterministic made-up rosters for benches and tests: many people, many teams, many
//! zones, a few first-timers, managers and absences. Not part of the domain API.

use std::fmt::Write;

use super::roster::Roster;

/// Zones paired with a region the holiday data covers; the last four (Greece and three
/// subdivisions) come after the sixteen the benches use, so their rosters stay the same.
const ZONES: [(&str, &str); 20] = [
    ("Europe/Rome", "IT"),
    ("America/New_York", "US"),
    ("Asia/Kolkata", "IN"),
    ("Europe/Berlin", "DE"),
    ("America/Sao_Paulo", "BR"),
    ("Australia/Sydney", "AU"),
    ("Asia/Tokyo", "JP"),
    ("Europe/London", "GB"),
    ("America/Los_Angeles", "US"),
    ("Asia/Singapore", "SG"),
    ("Pacific/Auckland", "NZ"),
    ("America/Mexico_City", "MX"),
    ("Europe/Madrid", "ES"),
    ("Europe/Amsterdam", "NL"),
    ("Europe/Warsaw", "PL"),
    ("America/Toronto", "CA"),
    ("Europe/Athens", "GR"),
    ("Europe/Berlin", "DE-BY"),
    ("America/Los_Angeles", "US-CA"),
    ("Europe/Madrid", "ES-CT"),
];

/// The rotation every synthetic roster defines.
pub const ROTATION: &str = "synthetic-clinic";

/// A small linear congruential generator: the same roster on every run and platform.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

/// TOML for `people` people in `teams` teams across `zones` zones (1..=20), one fair
/// rotation with every rule on. About one in 25 is a manager, one in 8 a first-timer,
/// one in 6 away for a week or two of 2027.
pub fn synthetic_roster_text(people: usize, teams: usize, zones: usize) -> String {
    let teams = teams.max(1);
    let zones = zones.clamp(1, ZONES.len());
    let mut sequence = Sequence(0x5eed);
    let mut text = format!(
        "[rotations.{ROTATION}]\nstyle = \"fair\"\nmin_working_days = 3\navoid_same_person = true\n\
         avoid_same_team = true\nfirst_duty_backup = true\nbackup_max_offset_hours = 3\n\
         notify = [\"clinic@example.org\"]\n\n[[company_holidays]]\ndate = \"2027-12-27\"\n\
         name = \"Winter break\"\n"
    );
    for index in 0..people {
        let (zone, country) = ZONES[index % zones];
        let team = sequence.next(teams as u64);
        let role = if index % 25 == 24 {
            "manager"
        } else {
            "engineer"
        };
        let previous_duties = if sequence.next(8) == 0 {
            0
        } else {
            1 + sequence.next(12)
        };
        let absences = if sequence.next(6) == 0 {
            let start = 1 + sequence.next(300);
            let length = 7 + sequence.next(8);
            format!(
                "[{{ from = \"{}\", to = \"{}\" }}]",
                day_of_2027(start),
                day_of_2027(start + length)
            )
        } else {
            "[]".to_owned()
        };
        // Writing to a String cannot fail.
        let _ = write!(
            text,
            "\n[[people]]\nid = \"p{index:04}\"\nname = \"Person {index}\"\n\
             email = \"p{index:04}@example.org\"\nteam = \"team-{team:02}\"\ntimezone = \"{zone}\"\n\
             holidays = \"{country}\"\nrole = \"{role}\"\nrotations = [\"{ROTATION}\"]\n\
             previous_duties = {previous_duties}\nabsences = {absences}\n"
        );
    }
    text
}

fn day_of_2027(day: u64) -> String {
    const MONTH_LENGTHS: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut remaining = day.min(364);
    for (month, length) in MONTH_LENGTHS.iter().enumerate() {
        if remaining < *length {
            return format!("2027-{:02}-{:02}", month + 1, remaining + 1);
        }
        remaining -= length;
    }
    "2027-12-31".to_owned()
}

/// The parsed form of [`synthetic_roster_text`].
pub fn synthetic_roster(people: usize, teams: usize, zones: usize) -> Roster {
    match Roster::parse(&synthetic_roster_text(people, teams, zones)) {
        Ok(roster) => roster,
        // Only a bug in this generator gets here; benches and tests want it loud.
        Err(error) => panic!("the synthetic roster is invalid: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roster_across_every_zone_has_people_in_greece_and_in_subdivisions() {
        let roster = synthetic_roster(40, 6, ZONES.len());
        let regions: Vec<&str> = roster
            .people()
            .iter()
            .map(|p| p.holidays.as_str())
            .collect();
        for region in ["GR", "DE-BY", "US-CA", "ES-CT"] {
            assert!(
                regions.contains(&region),
                "{region} missing from {regions:?}"
            );
        }
    }
}
