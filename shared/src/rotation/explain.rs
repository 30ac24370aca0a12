//! Why a week went to whom: replays the planner up to that week and, for every member,
//! says whether they were chosen, could not serve, or lost to the chosen person and on
//! which criterion.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::calendar::IsoWeek;
use super::plan::{
    Decision, ExclusionReason, History, MAX_PLAN_WEEKS, Override, PlanError, Planner, Relaxation,
    Standing,
};
use super::roster::{PersonId, Roster, RotationName, Style, TeamName};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub rotation: RotationName,
    pub week: IsoWeek,
    pub primary: Option<PersonId>,
    pub backup: Option<PersonId>,
    pub team: Option<TeamName>,
    pub start_utc: Timestamp,
    pub end_utc: Timestamp,
    pub relaxed: Vec<Relaxation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overridden: Option<String>,
    #[serde(rename = "reason", skip_serializing_if = "Option::is_none")]
    pub unstaffed_reason: Option<String>,
    /// Every member of the rotation, in roster order.
    pub people: Vec<PersonVerdict>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PersonVerdict {
    pub person: PersonId,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Fair rotations: the best-ranked eligible person.
    ChosenFairly {
        load: u32,
        first_duty: bool,
    },
    /// Sequential rotations: the first available person in the queue.
    NextInQueue {
        first_duty: bool,
    },
    ChosenByOverride {
        reason: String,
    },
    Backup {
        offset_gap_minutes: i32,
        backups_served: u32,
    },
    Ineligible(ExclusionReason),
    HigherLoad {
        theirs: u32,
        chosen: u32,
    },
    LostTieBreak {
        to: PersonId,
        on: TieBreak,
    },
    /// Ranked ahead of the chosen person, but choosing them would have left the people
    /// still due this round all in one team.
    PassedOverForTeamSpacing {
        to: PersonId,
        team: TeamName,
    },
    LaterInQueue {
        position: usize,
    },
    WeekOverridden,
    /// Eligible, yet nobody was chosen; the planner never does this, the variant keeps
    /// the explanation total.
    Unstaffed,
}

/// Which tie-break, after equal load, decided between two people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TieBreak {
    LongerSinceLastDuty {
        theirs: Option<IsoWeek>,
        chosen: Option<IsoWeek>,
    },
    FewerPreviousDuties {
        theirs: u32,
        chosen: u32,
    },
    Id,
}

impl Verdict {
    fn kind(&self) -> &'static str {
        match self {
            Verdict::ChosenFairly { .. } | Verdict::NextInQueue { .. } => "primary",
            Verdict::ChosenByOverride { .. } => "primary_by_override",
            Verdict::Backup { .. } => "backup",
            Verdict::Ineligible(_) => "ineligible",
            Verdict::HigherLoad { .. } => "higher_load",
            Verdict::LostTieBreak { .. } => "lost_tie_break",
            Verdict::PassedOverForTeamSpacing { .. } => "team_spacing",
            Verdict::LaterInQueue { .. } => "later_in_queue",
            Verdict::WeekOverridden => "week_overridden",
            Verdict::Unstaffed => "unstaffed",
        }
    }
}

fn last_duty(week: &Option<IsoWeek>) -> String {
    week.map_or_else(|| "never".to_owned(), |week| week.to_string())
}

impl fmt::Display for Verdict {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = |first_duty: bool| if first_duty { ", first duty" } else { "" };
        match self {
            Verdict::ChosenFairly { load, first_duty } => {
                write!(
                    formatter,
                    "primary: lowest load ({load}) and best tie-breaks{}",
                    first(*first_duty)
                )
            }
            Verdict::NextInQueue { first_duty } => {
                write!(
                    formatter,
                    "primary: first available in the queue{}",
                    first(*first_duty)
                )
            }
            Verdict::ChosenByOverride { reason } => {
                write!(formatter, "primary by override: {reason}")
            }
            Verdict::Backup {
                offset_gap_minutes,
                backups_served,
            } => write!(
                formatter,
                "backup: experienced, UTC offset {}h{:02} from the first-timer, {backups_served} backups before",
                offset_gap_minutes / 60,
                offset_gap_minutes % 60
            ),
            Verdict::Ineligible(reason) => write!(formatter, "not eligible: {reason}"),
            Verdict::HigherLoad { theirs, chosen } => {
                write!(
                    formatter,
                    "eligible, but a higher load ({theirs} vs {chosen})"
                )
            }
            Verdict::LostTieBreak { to, on } => match on {
                TieBreak::LongerSinceLastDuty { theirs, chosen } => write!(
                    formatter,
                    "eligible with the same load, but {to} went longer without duty (last {} vs {})",
                    last_duty(chosen),
                    last_duty(theirs)
                ),
                TieBreak::FewerPreviousDuties { theirs, chosen } => write!(
                    formatter,
                    "eligible with the same load and last duty, but {to} has fewer previous duties ({chosen} vs {theirs})"
                ),
                TieBreak::Id => write!(
                    formatter,
                    "eligible and tied with {to} on load, last duty and previous duties; the id decided"
                ),
            },
            Verdict::PassedOverForTeamSpacing { to, team } => write!(
                formatter,
                "eligible and ranked ahead of {to}, but passed over so the people still due this round are not left all in team {team}"
            ),
            Verdict::LaterInQueue { position } => {
                write!(
                    formatter,
                    "eligible, but later in the queue (position {position})"
                )
            }
            Verdict::WeekOverridden => formatter.write_str("eligible, but the week was overridden"),
            Verdict::Unstaffed => formatter.write_str("eligible, yet the week is unstaffed"),
        }
    }
}

impl Serialize for PersonVerdict {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shape<'a> {
            person: &'a PersonId,
            verdict: &'static str,
            because: String,
        }
        Shape {
            person: &self.person,
            verdict: self.verdict.kind(),
            because: self.verdict.to_string(),
        }
        .serialize(serializer)
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} {}: ", self.rotation, self.week)?;
        match (&self.primary, &self.unstaffed_reason) {
            (Some(primary), _) => {
                write!(formatter, "primary {primary}")?;
                if let Some(team) = &self.team {
                    write!(formatter, " (team {team})")?;
                }
                if let Some(backup) = &self.backup {
                    write!(formatter, ", backup {backup}")?;
                }
            }
            (None, Some(reason)) => write!(formatter, "unstaffed ({reason})")?,
            (None, None) => formatter.write_str("unstaffed")?,
        }
        if !self.relaxed.is_empty() {
            let relaxed: Vec<String> = self.relaxed.iter().map(ToString::to_string).collect();
            write!(formatter, "; relaxed: {}", relaxed.join(", "))?;
        }
        writeln!(formatter, "; shift {} to {}", self.start_utc, self.end_utc)?;
        for verdict in &self.people {
            writeln!(formatter, "  {}: {}", verdict.person, verdict.verdict)?;
        }
        Ok(())
    }
}

/// Plans from `from` through `week` and explains `week`'s choice.
pub fn explain(
    roster: &Roster,
    rotation: &str,
    history: &History,
    overrides: &[Override],
    from: Date,
    week: IsoWeek,
) -> Result<Explanation, PlanError> {
    let mut planner = Planner::new(roster, rotation, history, overrides, from)?;
    let first = planner.first_week();
    let steps = first.weeks_until(week);
    if steps < 0 {
        return Err(PlanError::WeekBeforeStart { week, first });
    }
    if steps >= i64::from(MAX_PLAN_WEEKS) {
        return Err(PlanError::TooManyWeeks(
            u32::try_from(steps + 1).unwrap_or(u32::MAX),
        ));
    }
    for _ in 0..steps {
        let decision = planner.decide()?;
        planner.commit(decision);
    }
    let decision = planner.decide()?;
    let people = (0..planner.members.len())
        .map(|member| PersonVerdict {
            person: planner.members[member].id.clone(),
            verdict: verdict(&planner, &decision, member),
        })
        .collect();
    let id = |member: Option<usize>| member.map(|member| planner.members[member].id.clone());
    Ok(Explanation {
        rotation: planner.rules.name.clone(),
        week: decision.week,
        primary: id(decision.primary),
        backup: id(decision.backup),
        team: decision
            .primary
            .map(|member| planner.members[member].team.clone()),
        start_utc: decision.window.start,
        end_utc: decision.window.end,
        relaxed: decision.relaxed.clone(),
        overridden: decision.overridden.map(|pinned| pinned.reason.clone()),
        unstaffed_reason: decision.unstaffed_reason.clone(),
        people,
    })
}

fn verdict(planner: &Planner<'_>, decision: &Decision<'_>, member: usize) -> Verdict {
    let sequential = matches!(planner.rules.style, Style::Sequential { .. });
    if Some(member) == decision.primary {
        return match (decision.overridden, sequential) {
            (Some(pinned), _) => Verdict::ChosenByOverride {
                reason: pinned.reason.clone(),
            },
            (None, true) => Verdict::NextInQueue {
                first_duty: planner.is_first_timer(member),
            },
            (None, false) => Verdict::ChosenFairly {
                load: planner.record.load[member],
                first_duty: planner.is_first_timer(member),
            },
        };
    }
    if Some(member) == decision.backup {
        let offset = |member: usize| {
            planner.members[member]
                .timezone
                .zone()
                .to_offset(decision.window.start)
                .seconds()
        };
        let gap = decision
            .primary
            .map_or(0, |primary| (offset(member) - offset(primary)).abs());
        return Verdict::Backup {
            offset_gap_minutes: gap / 60,
            backups_served: planner.record.backups_served[member],
        };
    }
    if let Some(Standing::Ineligible(reason)) = decision.standings.get(member) {
        return Verdict::Ineligible(reason.clone());
    }
    if decision.overridden.is_some() {
        return Verdict::WeekOverridden;
    }
    let Some(chosen) = decision.primary else {
        return Verdict::Unstaffed;
    };
    if sequential {
        let position = planner
            .record
            .queue
            .iter()
            .position(|queued| *queued == member);
        return Verdict::LaterInQueue {
            position: position.map_or(0, |position| position + 1),
        };
    }
    let to = planner.members[chosen].id.clone();
    if decision.passed_over_for_team_spacing.contains(&member) {
        return Verdict::PassedOverForTeamSpacing {
            to,
            team: planner.members[member].team.clone(),
        };
    }
    let (theirs, chosen_rank) = (planner.fair_rank(member), planner.fair_rank(chosen));
    if theirs.0 != chosen_rank.0 {
        return Verdict::HigherLoad {
            theirs: theirs.0,
            chosen: chosen_rank.0,
        };
    }
    let on = if theirs.1 != chosen_rank.1 {
        TieBreak::LongerSinceLastDuty {
            theirs: theirs.1,
            chosen: chosen_rank.1,
        }
    } else if theirs.2 != chosen_rank.2 {
        TieBreak::FewerPreviousDuties {
            theirs: theirs.2,
            chosen: chosen_rank.2,
        }
    } else {
        TieBreak::Id
    };
    Verdict::LostTieBreak { to, on }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rotation::plan::ServedShift;
    use jiff::civil::date;

    const HEADER: &str = "[rotations.clinic]\nstyle = \"fair\"\nmin_working_days = 3\n\
                          avoid_same_person = true\navoid_same_team = true\nfirst_duty_backup = true\n";

    fn person(id: &str, team: &str, previous_duties: u32, extra: &str) -> String {
        format!(
            "\n[[people]]\nid = \"{id}\"\nname = \"{id}\"\nemail = \"{id}@example.org\"\nteam = \"{team}\"\n\
             timezone = \"Europe/Rome\"\nholidays = \"IT\"\nrotations = [\"clinic\"]\n\
             previous_duties = {previous_duties}\n{extra}"
        )
    }

    fn engineer(id: &str, team: &str, previous_duties: u32) -> String {
        person(id, team, previous_duties, "role = \"engineer\"\n")
    }

    fn roster(parts: &[String]) -> Roster {
        let text = format!("{HEADER}{}", parts.concat());
        Roster::parse(&text).unwrap_or_else(|error| panic!("{error}"))
    }

    fn week(text: &str) -> IsoWeek {
        text.parse().expect("week")
    }

    fn verdict_of<'a>(explanation: &'a Explanation, id: &str) -> &'a Verdict {
        &explanation
            .people
            .iter()
            .find(|verdict| verdict.person.as_str() == id)
            .expect("member")
            .verdict
    }

    fn four_engineers_and_a_manager() -> Roster {
        roster(&[
            engineer("ana", "a", 1),
            engineer("bo", "b", 3),
            engineer("cy", "c", 3),
            engineer("dee", "d", 5),
            person("boss", "a", 0, "role = \"manager\"\n"),
        ])
    }

    #[test]
    fn each_member_is_told_whether_they_were_ineligible_or_lost_on_load_or_a_tie_break() {
        let roster = four_engineers_and_a_manager();
        let explanation = explain(
            &roster,
            "clinic",
            &History::default(),
            &[],
            date(2027, 1, 4),
            week("2027-W03"),
        )
        .expect("explanation");
        assert_eq!(
            explanation.primary.as_ref().map(PersonId::as_str),
            Some("cy")
        );
        assert_eq!(
            verdict_of(&explanation, "cy"),
            &Verdict::ChosenFairly {
                load: 0,
                first_duty: false
            }
        );
        assert_eq!(
            verdict_of(&explanation, "ana"),
            &Verdict::HigherLoad {
                theirs: 1,
                chosen: 0
            }
        );
        assert_eq!(
            verdict_of(&explanation, "bo"),
            &Verdict::Ineligible(ExclusionReason::ServedPreviousWeek)
        );
        assert!(matches!(
            verdict_of(&explanation, "dee"),
            Verdict::LostTieBreak {
                on: TieBreak::FewerPreviousDuties {
                    theirs: 5,
                    chosen: 3
                },
                ..
            }
        ));
        assert!(matches!(
            verdict_of(&explanation, "boss"),
            Verdict::Ineligible(ExclusionReason::Role(_))
        ));
    }

    #[test]
    fn someone_who_never_served_wins_the_tie_against_someone_who_has() {
        let roster = four_engineers_and_a_manager();
        let history = History {
            served: vec![ServedShift {
                week: week("2026-W50"),
                primary: Some(PersonId::parse("bo").expect("id")),
                backup: None,
                team: None,
            }],
        };
        let explanation = explain(
            &roster,
            "clinic",
            &history,
            &[],
            date(2027, 1, 4),
            week("2027-W01"),
        )
        .expect("explanation");
        assert_eq!(
            explanation.primary.as_ref().map(PersonId::as_str),
            Some("ana")
        );
        let bo = verdict_of(&explanation, "bo");
        assert!(matches!(
            bo,
            Verdict::LostTieBreak {
                on: TieBreak::LongerSinceLastDuty { chosen: None, .. },
                ..
            }
        ));
        assert_eq!(
            bo.to_string(),
            "eligible with the same load, but ana went longer without duty (last never vs 2026-W50)"
        );
    }

    #[test]
    fn an_overridden_week_says_so_for_everyone() {
        let roster = four_engineers_and_a_manager();
        let overrides = [Override {
            week: week("2027-W01"),
            person: PersonId::parse("dee").expect("id"),
            reason: "swap".to_owned(),
        }];
        let explanation = explain(
            &roster,
            "clinic",
            &History::default(),
            &overrides,
            date(2027, 1, 4),
            week("2027-W01"),
        )
        .expect("explanation");
        assert_eq!(
            verdict_of(&explanation, "dee"),
            &Verdict::ChosenByOverride {
                reason: "swap".to_owned()
            }
        );
        assert_eq!(verdict_of(&explanation, "ana"), &Verdict::WeekOverridden);
        assert_eq!(explanation.overridden.as_deref(), Some("swap"));
    }

    #[test]
    fn passing_over_someone_to_keep_teams_apart_is_explained() {
        // Three of five in team x: starting with b1 or c1 would leave x1..x3 to serve
        // back to back, so x1 goes first.
        let roster = roster(&[
            engineer("b1", "b", 1),
            engineer("c1", "c", 1),
            engineer("x1", "x", 1),
            engineer("x2", "x", 1),
            engineer("x3", "x", 1),
        ]);
        let explanation = explain(
            &roster,
            "clinic",
            &History::default(),
            &[],
            date(2027, 1, 4),
            week("2027-W01"),
        )
        .expect("explanation");
        assert_eq!(
            explanation.primary.as_ref().map(PersonId::as_str),
            Some("x1")
        );
        assert!(matches!(
            verdict_of(&explanation, "b1"),
            Verdict::PassedOverForTeamSpacing { .. }
        ));
        assert!(matches!(
            verdict_of(&explanation, "x2"),
            Verdict::LostTieBreak {
                on: TieBreak::Id,
                ..
            }
        ));
    }

    #[test]
    fn a_first_timer_s_backup_is_explained() {
        let roster = roster(&[engineer("newbie", "a", 0), engineer("ana", "b", 2)]);
        let explanation = explain(
            &roster,
            "clinic",
            &History::default(),
            &[],
            date(2027, 1, 4),
            week("2027-W01"),
        )
        .expect("explanation");
        assert_eq!(
            verdict_of(&explanation, "newbie"),
            &Verdict::ChosenFairly {
                load: 0,
                first_duty: true
            }
        );
        assert_eq!(
            verdict_of(&explanation, "ana"),
            &Verdict::Backup {
                offset_gap_minutes: 0,
                backups_served: 0
            }
        );
    }

    #[test]
    fn sequential_rotations_explain_queue_positions() {
        let text = "[rotations.cloud]\nstyle = \"sequential\"\nmin_working_days = 3\n\
                    handoff = { weekday = \"monday\", time = \"09:00\", timezone = \"UTC\" }\n\
                    order = [\"ana\", \"bo\", \"cy\"]\n"
            .to_owned()
            + &["ana", "bo", "cy"]
                .map(|id| {
                    format!(
                        "\n[[people]]\nid = \"{id}\"\nname = \"{id}\"\nemail = \"{id}@example.org\"\n\
                         team = \"t\"\ntimezone = \"UTC\"\nholidays = \"GB\"\nrole = \"engineer\"\n\
                         rotations = [\"cloud\"]\n"
                    )
                })
                .concat();
        let roster = Roster::parse(&text).expect("roster");
        let explanation = explain(
            &roster,
            "cloud",
            &History::default(),
            &[],
            date(2027, 1, 4),
            week("2027-W02"),
        )
        .expect("explanation");
        assert_eq!(
            explanation.primary.as_ref().map(PersonId::as_str),
            Some("bo")
        );
        assert_eq!(
            verdict_of(&explanation, "cy"),
            &Verdict::LaterInQueue { position: 2 }
        );
        assert_eq!(
            verdict_of(&explanation, "ana"),
            &Verdict::LaterInQueue { position: 3 }
        );
    }

    #[test]
    fn the_explanation_reads_one_line_per_person_and_serialises_with_reasons() {
        let roster = four_engineers_and_a_manager();
        let explanation = explain(
            &roster,
            "clinic",
            &History::default(),
            &[],
            date(2027, 1, 4),
            week("2027-W02"),
        )
        .expect("explanation");
        let text = explanation.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + 5, "{text}");
        assert!(
            lines[0].starts_with("clinic 2027-W02: primary bo (team b); shift "),
            "{text}"
        );
        assert!(
            text.contains("  ana: not eligible: served the previous week"),
            "{text}"
        );
        assert!(
            text.contains("  boss: not eligible: is a manager"),
            "{text}"
        );
        let json = serde_json::to_value(&explanation).expect("json");
        assert_eq!(json["week"], "2027-W02");
        assert_eq!(json["people"][0]["person"], "ana");
        assert_eq!(json["people"][0]["verdict"], "ineligible");
        assert_eq!(
            json["people"][0]["because"],
            "not eligible: served the previous week"
        );
        assert!(json.get("reason").is_none());
    }

    #[test]
    fn explaining_a_week_before_the_plan_starts_is_an_error() {
        let roster = four_engineers_and_a_manager();
        let result = explain(
            &roster,
            "clinic",
            &History::default(),
            &[],
            date(2027, 1, 4),
            week("2026-W52"),
        );
        assert!(matches!(result, Err(PlanError::WeekBeforeStart { .. })));
    }

    #[test]
    fn explaining_agrees_with_the_plan() {
        let roster = crate::rotation::synthetic::synthetic_roster(60, 8, 5);
        let rotation = crate::rotation::synthetic::ROTATION;
        let from = date(2027, 1, 4);
        let plan = crate::rotation::plan(&roster, rotation, &History::default(), &[], from, 20)
            .expect("plan");
        for planned in plan.weeks.iter().step_by(3) {
            let explanation = explain(
                &roster,
                rotation,
                &History::default(),
                &[],
                from,
                planned.week,
            )
            .expect("explanation");
            assert_eq!(explanation.primary, planned.primary);
            assert_eq!(explanation.backup, planned.backup);
            let ineligible = explanation
                .people
                .iter()
                .filter(|verdict| matches!(verdict.verdict, Verdict::Ineligible(_)))
                .count();
            assert_eq!(ineligible, planned.excluded.len());
        }
    }
}
