//! "Your duty moved": each weekly run keeps the plan it saw for the weeks ahead (a
//! [`PlanSnapshot`]); the next run compares its own plan with it, and each person whose next duty
//! moved is told once, from when to when and why. Pure: the weekly job reads and writes the
//! snapshots and sends the mails.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// How many weeks a snapshot holds: the committed week and the eleven planned after it.
pub const HORIZON_WEEKS: u32 = 12;

/// The plan of one rotation as one weekly run saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSnapshot {
    pub rotation: String,
    /// The week that run committed: the first of `weeks`.
    pub week: String,
    pub weeks: Vec<SnapshotWeek>,
    /// The rotation's members then.
    pub members: Vec<String>,
    pub taken_at: jiff::Timestamp,
}

/// One week of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotWeek {
    pub week: String,
    pub primary: Option<String>,
    pub start_utc: jiff::Timestamp,
    pub end_utc: jiff::Timestamp,
    /// The override that decided the week, with its reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overridden: Option<String>,
    /// Who could not serve that week, and why (an absence shows as too few working days).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<Excluded>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    pub person: String,
    pub reason: String,
}

/// A person's next duty, as the earlier plan had it and as the new one has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DutyMove {
    pub person: String,
    /// `None`: the earlier plan had no duty for them in its weeks.
    pub from: Option<SnapshotWeek>,
    /// `None`: the new plan has none in its weeks.
    pub to: Option<SnapshotWeek>,
    /// Why, in a sentence or a few joined by "; ".
    pub why: String,
}

/// The people whose next duty moved between `old` and `new` (a later run's snapshot of the same
/// rotation). Only the weeks both plans cover count: a duty that only appears because the new
/// plan reaches one week further has not moved. Nothing when `new` is not later than `old`.
pub fn moves(old: &PlanSnapshot, new: &PlanSnapshot) -> Vec<DutyMove> {
    if old.rotation != new.rotation || new.week <= old.week {
        return Vec::new();
    }
    let Some(old_last) = old.weeks.last().map(|w| w.week.clone()) else {
        return Vec::new();
    };
    // The weeks before the new run's first have passed, or been handed off, for both plans.
    let old_ahead: Vec<&SnapshotWeek> = old.weeks.iter().filter(|w| w.week >= new.week).collect();
    let people: BTreeSet<&str> = old_ahead
        .iter()
        .chain(
            new.weeks
                .iter()
                .filter(|w| w.week <= old_last)
                .collect::<Vec<_>>()
                .iter(),
        )
        .filter_map(|w| w.primary.as_deref())
        .collect();
    let mut found = Vec::new();
    for person in people {
        let serves = |w: &&SnapshotWeek| w.primary.as_deref() == Some(person);
        let from = old_ahead.iter().copied().find(serves).cloned();
        let to = new.weeks.iter().find(serves).cloned();
        let same = from.as_ref().map(|w| &w.week) == to.as_ref().map(|w| &w.week);
        let only_further = from.is_none() && to.as_ref().is_none_or(|w| w.week > old_last);
        // A newcomer's first duty is no move: the plan had no place for them before.
        let newcomer = from.is_none() && !old.members.iter().any(|m| m == person);
        if same || only_further || newcomer {
            continue;
        }
        let why = why(old, new, from.as_ref(), to.as_ref());
        found.push(DutyMove {
            person: person.to_owned(),
            from,
            to,
            why,
        });
    }
    found
}

/// What changed between the plans around the weeks `person`'s duty moved between: overrides,
/// absences (people who could not serve a week the earlier plan did not exclude them from),
/// newcomers and people who left.
fn why(
    old: &PlanSnapshot,
    new: &PlanSnapshot,
    from: Option<&SnapshotWeek>,
    to: Option<&SnapshotWeek>,
) -> String {
    let first = new.week.as_str();
    let lo = [from, to]
        .into_iter()
        .flatten()
        .map(|w| w.week.as_str())
        .min()
        .unwrap_or(first)
        .min(first);
    let hi = [from, to]
        .into_iter()
        .flatten()
        .map(|w| w.week.as_str())
        .max()
        .unwrap_or(first);
    let old_week = |week: &str| old.weeks.iter().find(|w| w.week == week);
    let mut reasons = Vec::new();
    for week in new
        .weeks
        .iter()
        .filter(|w| w.week.as_str() >= lo && w.week.as_str() <= hi)
    {
        let before = old_week(&week.week);
        if let Some(reason) = &week.overridden
            && before.and_then(|b| b.overridden.as_ref()) != Some(reason)
        {
            reasons.push(format!("an override of week {}: {reason}", week.week));
        }
        for excluded in &week.excluded {
            let new_here = before.is_none_or(|b| !b.excluded.contains(excluded));
            let absence = excluded.reason.contains("working day");
            if new_here && absence {
                reasons.push(format!(
                    "an absence in week {}: {} {}",
                    week.week, excluded.person, excluded.reason
                ));
            }
        }
    }
    let joined: Vec<&str> = new
        .members
        .iter()
        .filter(|m| !old.members.contains(m))
        .map(String::as_str)
        .collect();
    if !joined.is_empty() {
        reasons.push(format!(
            "a newcomer joined the rotation: {}",
            joined.join(", ")
        ));
    }
    let left: Vec<&str> = old
        .members
        .iter()
        .filter(|m| !new.members.contains(m))
        .map(String::as_str)
        .collect();
    if !left.is_empty() {
        reasons.push(format!("left the rotation: {}", left.join(", ")));
    }
    if reasons.is_empty() {
        "the plan was made again from the roster and the weeks served since (`clinic rotation explain` \
         shows the rules each week was planned by)"
            .to_owned()
    } else {
        reasons.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(n: u32, primary: &str) -> SnapshotWeek {
        let start = jiff::Timestamp::from_second(1_800_000_000 + i64::from(n) * 604_800).unwrap();
        SnapshotWeek {
            week: format!("2027-W{n:02}"),
            primary: (!primary.is_empty()).then(|| primary.to_owned()),
            start_utc: start,
            end_utc: start + jiff::SignedDuration::from_hours(168),
            overridden: None,
            excluded: Vec::new(),
        }
    }

    fn snapshot(first: u32, primaries: &[&str], members: &[&str]) -> PlanSnapshot {
        PlanSnapshot {
            rotation: "sre".into(),
            week: format!("2027-W{first:02}"),
            weeks: primaries
                .iter()
                .enumerate()
                .map(|(i, p)| week(first + i as u32, p))
                .collect(),
            members: members.iter().map(|m| m.to_string()).collect(),
            taken_at: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
        }
    }

    fn summary(moves: &[DutyMove]) -> Vec<String> {
        moves
            .iter()
            .map(|m| {
                let w = |w: &Option<SnapshotWeek>| {
                    w.as_ref().map_or("-".to_owned(), |w| w.week.clone())
                };
                format!("{} {} -> {}", m.person, w(&m.from), w(&m.to))
            })
            .collect()
    }

    const TEAM: &[&str] = &["ana", "ben", "cho", "dev"];

    #[test]
    fn the_same_order_one_week_on_moves_nobody() {
        let old = snapshot(10, &["ana", "ben", "cho", "dev", "ana"], TEAM);
        let new = snapshot(11, &["ben", "cho", "dev", "ana", "ben"], TEAM);
        assert!(moves(&old, &new).is_empty(), "{:?}", moves(&old, &new));
    }

    #[test]
    fn an_override_moves_the_people_it_displaces_and_says_so() {
        let old = snapshot(10, &["ana", "ben", "cho", "dev", "ana"], TEAM);
        let mut new = snapshot(11, &["ben", "dev", "cho", "ana", "ben"], TEAM);
        new.weeks[1].overridden = Some("dev swaps with cho (cho at a conference)".into());
        let found = moves(&old, &new);
        assert_eq!(
            summary(&found),
            vec!["cho 2027-W12 -> 2027-W13", "dev 2027-W13 -> 2027-W12"]
        );
        assert!(
            found[0]
                .why
                .contains("an override of week 2027-W12: dev swaps with cho"),
            "{}",
            found[0].why
        );
    }

    #[test]
    fn an_absence_names_the_person_and_the_week() {
        let old = snapshot(10, &["ana", "ben", "cho", "dev", "ana"], TEAM);
        let mut new = snapshot(11, &["ben", "dev", "cho", "ana", "ben"], TEAM);
        new.weeks[1].excluded.push(Excluded {
            person: "cho".into(),
            reason: "has 1 working day this week; needs 3".into(),
        });
        let found = moves(&old, &new);
        let cho = found.iter().find(|m| m.person == "cho").unwrap();
        assert_eq!(
            cho.why,
            "an absence in week 2027-W12: cho has 1 working day this week; needs 3"
        );
        let dev = found.iter().find(|m| m.person == "dev").unwrap();
        assert!(dev.why.contains("cho has 1 working day"), "{}", dev.why);
    }

    #[test]
    fn a_newcomer_pushes_people_later_and_is_named() {
        let old = snapshot(10, &["ana", "ben", "cho", "dev", "ana"], TEAM);
        let new = snapshot(
            11,
            &["ben", "eve", "cho", "dev", "ana"],
            &["ana", "ben", "cho", "dev", "eve"],
        );
        let found = moves(&old, &new);
        assert_eq!(
            summary(&found),
            vec![
                "ana 2027-W14 -> 2027-W15",
                "cho 2027-W12 -> 2027-W13",
                "dev 2027-W13 -> 2027-W14"
            ]
        );
        assert!(
            found
                .iter()
                .all(|m| m.why.contains("a newcomer joined the rotation: eve"))
        );
        assert!(
            !found.iter().any(|m| m.person == "eve"),
            "a first duty is not a move: the handoff tells them"
        );
    }

    #[test]
    fn a_duty_that_only_appears_beyond_the_earlier_plan_has_not_moved() {
        let old = snapshot(10, &["ana", "ben", "cho"], &["ana", "ben", "cho", "dev"]);
        let new = snapshot(11, &["ben", "cho", "dev"], &["ana", "ben", "cho", "dev"]);
        assert!(moves(&old, &new).is_empty(), "{:?}", moves(&old, &new));
    }

    #[test]
    fn a_duty_gone_from_the_plan_is_a_move_to_nowhere() {
        let old = snapshot(10, &["ana", "ben", "cho", "dev"], TEAM);
        let new = snapshot(11, &["ben", "cho", "ben", "cho"], &["ana", "ben", "cho"]);
        let found = moves(&old, &new);
        assert_eq!(summary(&found), vec!["dev 2027-W13 -> -"]);
        assert!(
            found[0].why.contains("left the rotation: dev"),
            "{}",
            found[0].why
        );
    }

    #[test]
    fn a_member_who_gets_a_duty_inside_the_earlier_plan_is_told() {
        let old = snapshot(10, &["ana", "ben", "ana", "ben"], &["ana", "ben", "cho"]);
        let mut new = snapshot(11, &["ben", "cho", "ben", "ana"], &["ana", "ben", "cho"]);
        new.weeks[1].excluded.push(Excluded {
            person: "ana".into(),
            reason: "has 2 working days this week; needs 3".into(),
        });
        assert_eq!(
            summary(&moves(&old, &new)),
            vec!["ana 2027-W12 -> 2027-W14", "cho - -> 2027-W12"]
        );
    }

    #[test]
    fn an_older_or_the_same_run_compares_nothing() {
        let old = snapshot(10, &["ana", "ben"], TEAM);
        let moved = snapshot(10, &["ben", "ana"], TEAM);
        assert!(moves(&old, &moved).is_empty());
        assert!(moves(&snapshot(11, &["ben", "ana"], TEAM), &old).is_empty());
    }
}
