//! Who VictorOps pages when: a policy's rotation rolls with its overrides applied, and the overrides
//! that would put one person on call for a window. Pure functions over a [`TeamSchedule`].

use std::collections::{BTreeMap, BTreeSet};

use super::ports::{OverrideWindow, PolicySchedule, TeamSchedule};

/// A stretch of time and everyone a policy pages in it (empty: nobody).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged {
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    pub users: BTreeSet<String>,
}

/// Who `policy` pages from `from` to `to`, split wherever that changes.
pub fn paged(policy: &PolicySchedule, from: jiff::Timestamp, to: jiff::Timestamp) -> Vec<Paged> {
    if from >= to {
        return Vec::new();
    }
    let inside = |t: jiff::Timestamp| from < t && t < to;
    let mut cuts: BTreeSet<jiff::Timestamp> = BTreeSet::from([from, to]);
    for roll in &policy.rolls {
        cuts.extend([roll.start, roll.end].into_iter().filter(|t| inside(*t)));
    }
    for overlay in &policy.overrides {
        cuts.extend(
            [overlay.start, overlay.end]
                .into_iter()
                .filter(|t| inside(*t)),
        );
    }
    let cuts: Vec<_> = cuts.into_iter().collect();
    let mut out: Vec<Paged> = Vec::new();
    for pair in cuts.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        let covers = |s: jiff::Timestamp, e: jiff::Timestamp| s <= start && start < e;
        let mut users: BTreeSet<String> = policy
            .rolls
            .iter()
            .filter(|r| covers(r.start, r.end))
            .filter_map(|r| r.user.clone())
            .collect();
        for overlay in policy.overrides.iter().filter(|o| covers(o.start, o.end)) {
            let replaces = match &overlay.original {
                Some(original) => users.remove(original),
                None => true,
            };
            if replaces && let Some(replacement) = &overlay.replacement {
                users.insert(replacement.clone());
            }
        }
        match out.last_mut() {
            Some(last) if last.users == users && last.end == start => last.end = end,
            _ => out.push(Paged { start, end, users }),
        }
    }
    out
}

/// One scheduled override to create: `window.overridden`'s on-call time, handed over in `policies`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeededOverride {
    pub window: OverrideWindow,
    pub policies: Vec<String>,
}

/// The overrides that put `username` on call from `start` to `end` in `policies`: one per person the
/// rotation has on call instead, spanning that person's stretches within the window and assigned in
/// each policy they are on call in (VictorOps hands over only the overridden person's own on-call
/// time, so a span reaching over someone else's roll changes nothing there). Stretches the rotation
/// leaves empty cannot be overridden; the drift check reports them. `Err` names a policy the
/// schedule does not have.
pub fn needed_overrides(
    schedule: &TeamSchedule,
    policies: &[String],
    username: &str,
    start: jiff::Timestamp,
    end: jiff::Timestamp,
) -> Result<Vec<NeededOverride>, String> {
    let mut by_user: BTreeMap<String, NeededOverride> = BTreeMap::new();
    for slug in policies {
        let policy = schedule.policy(slug).ok_or_else(|| slug.clone())?;
        for roll in &policy.rolls {
            let (from, to) = (roll.start.max(start), roll.end.min(end));
            let Some(user) = roll.user.as_ref().filter(|u| *u != username && from < to) else {
                continue;
            };
            let needed = by_user
                .entry(user.clone())
                .or_insert_with(|| NeededOverride {
                    window: OverrideWindow {
                        overridden: user.clone(),
                        start: from,
                        end: to,
                    },
                    policies: Vec::new(),
                });
            needed.window.start = needed.window.start.min(from);
            needed.window.end = needed.window.end.max(to);
            if !needed.policies.contains(slug) {
                needed.policies.push(slug.clone());
            }
        }
    }
    let mut needed: Vec<_> = by_user.into_values().collect();
    needed.sort_by(|a, b| {
        (a.window.start, &a.window.overridden).cmp(&(b.window.start, &b.window.overridden))
    });
    Ok(needed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oncall::ports::{OverrideSpan, RollSpan};

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().unwrap()
    }

    fn roll(user: &str, start: &str, end: &str) -> RollSpan {
        RollSpan {
            user: (!user.is_empty()).then(|| user.to_owned()),
            start: at(start),
            end: at(end),
        }
    }

    fn policy() -> PolicySchedule {
        PolicySchedule {
            slug: "pol-a".into(),
            name: "A".into(),
            rolls: vec![
                roll("jdoe", "2027-01-04T09:00:00Z", "2027-01-11T09:00:00Z"),
                roll("bkim", "2027-01-11T09:00:00Z", "2027-01-18T09:00:00Z"),
            ],
            overrides: vec![OverrideSpan {
                original: Some("bkim".into()),
                replacement: Some("asmith".into()),
                start: at("2027-01-13T09:00:00Z"),
                end: at("2027-01-14T09:00:00Z"),
            }],
        }
    }

    fn names(paged: &Paged) -> Vec<&str> {
        paged.users.iter().map(String::as_str).collect()
    }

    #[test]
    fn paged_applies_overrides_and_merges_what_does_not_change() {
        let spans = paged(
            &policy(),
            at("2027-01-10T00:00:00Z"),
            at("2027-01-20T00:00:00Z"),
        );
        let shown: Vec<_> = spans
            .iter()
            .map(|s| (s.start.to_string(), names(s)))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("2027-01-10T00:00:00Z".to_owned(), vec!["jdoe"]),
                ("2027-01-11T09:00:00Z".to_owned(), vec!["bkim"]),
                ("2027-01-13T09:00:00Z".to_owned(), vec!["asmith"]),
                ("2027-01-14T09:00:00Z".to_owned(), vec!["bkim"]),
                // After the last roll the rotation has nobody.
                ("2027-01-18T09:00:00Z".to_owned(), vec![]),
            ]
        );
        assert_eq!(spans.last().unwrap().end, at("2027-01-20T00:00:00Z"));
        assert!(
            paged(
                &policy(),
                at("2027-01-20T00:00:00Z"),
                at("2027-01-10T00:00:00Z")
            )
            .is_empty()
        );
    }

    #[test]
    fn a_window_across_a_roll_needs_one_override_per_person_it_replaces() {
        let schedule = TeamSchedule {
            team: "team-x".into(),
            policies: vec![
                policy(),
                PolicySchedule {
                    slug: "pol-b".into(),
                    name: "B".into(),
                    rolls: vec![roll("jdoe", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z")],
                    overrides: vec![],
                },
            ],
        };
        let policies = vec!["pol-a".to_owned(), "pol-b".to_owned()];
        let needed = needed_overrides(
            &schedule,
            &policies,
            "bkim",
            at("2027-01-10T23:00:00Z"),
            at("2027-01-15T23:00:00Z"),
        )
        .unwrap();
        // jdoe is on call in both policies until the roll, then in B alone: one override of jdoe
        // for the whole window, assigned in both; bkim's own stretch of A needs nothing.
        let shown: Vec<_> = needed
            .iter()
            .map(|n| {
                (
                    n.window.overridden.as_str(),
                    n.window.start.to_string(),
                    n.window.end.to_string(),
                    n.policies.clone(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![(
                "jdoe",
                "2027-01-10T23:00:00Z".to_owned(),
                "2027-01-15T23:00:00Z".to_owned(),
                vec!["pol-a".to_owned(), "pol-b".to_owned()]
            )]
        );
        let unknown = vec!["pol-z".to_owned()];
        assert_eq!(
            needed_overrides(
                &schedule,
                &unknown,
                "bkim",
                at("2027-01-10T00:00:00Z"),
                at("2027-01-11T00:00:00Z")
            ),
            Err("pol-z".to_owned())
        );
    }

    #[test]
    fn nobody_needs_overriding_when_the_rotation_already_has_the_person() {
        let schedule = TeamSchedule {
            team: "team-x".into(),
            policies: vec![policy()],
        };
        let needed = needed_overrides(
            &schedule,
            &["pol-a".to_owned()],
            "bkim",
            at("2027-01-11T09:00:00Z"),
            at("2027-01-15T23:00:00Z"),
        )
        .unwrap();
        assert!(needed.is_empty());
        // Someone else across the roll replaces both people the rotation has, one override each.
        let needed = needed_overrides(
            &schedule,
            &["pol-a".to_owned()],
            "asmith",
            at("2027-01-10T23:00:00Z"),
            at("2027-01-15T23:00:00Z"),
        )
        .unwrap();
        let overridden: Vec<_> = needed
            .iter()
            .map(|n| n.window.overridden.as_str())
            .collect();
        assert_eq!(overridden, vec!["jdoe", "bkim"]);
        assert_eq!(needed[1].window.start, at("2027-01-11T09:00:00Z"));
    }
}
