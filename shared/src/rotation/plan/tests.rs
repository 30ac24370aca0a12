use std::collections::BTreeSet;

use jiff::civil::{Date, date};
use proptest::prelude::*;

use super::super::calendar::working_days;
use super::super::synthetic::{ROTATION, synthetic_roster};
use super::*;

/// One `[[people]]` entry; tests change only what they are about.
#[derive(Clone)]
struct Someone {
    id: &'static str,
    team: &'static str,
    zone: &'static str,
    country: &'static str,
    role: &'static str,
    previous_duties: u32,
    absences: &'static str,
}

fn someone(id: &'static str, team: &'static str) -> Someone {
    Someone {
        id,
        team,
        zone: "Europe/Rome",
        country: "IT",
        role: "engineer",
        previous_duties: 3,
        absences: "[]",
    }
}

impl Someone {
    fn zone(self, zone: &'static str, country: &'static str) -> Someone {
        Someone {
            zone,
            country,
            ..self
        }
    }
    fn role(self, role: &'static str) -> Someone {
        Someone { role, ..self }
    }
    fn previous(self, previous_duties: u32) -> Someone {
        Someone {
            previous_duties,
            ..self
        }
    }
    fn away(self, absences: &'static str) -> Someone {
        Someone { absences, ..self }
    }
    fn toml(&self, rotation: &str) -> String {
        format!(
            "\n[[people]]\nid = \"{id}\"\nname = \"{id}\"\nemail = \"{id}@example.org\"\n\
             team = \"{team}\"\ntimezone = \"{zone}\"\nholidays = \"{country}\"\nrole = \"{role}\"\n\
             rotations = [\"{rotation}\"]\nprevious_duties = {previous}\nabsences = {absences}\n",
            id = self.id,
            team = self.team,
            zone = self.zone,
            country = self.country,
            role = self.role,
            previous = self.previous_duties,
            absences = self.absences,
        )
    }
}

const FAIR: &str = "[rotations.clinic]\nstyle = \"fair\"\nmin_working_days = 3\n\
                    avoid_same_person = true\navoid_same_team = true\n";
const FAIR_WITH_BACKUP: &str = "[rotations.clinic]\nstyle = \"fair\"\nmin_working_days = 3\n\
                                avoid_same_person = true\navoid_same_team = true\n\
                                first_duty_backup = true\n";
const SEQUENTIAL: &str = "[rotations.clinic]\nstyle = \"sequential\"\nmin_working_days = 3\n\
                          handoff = { weekday = \"wednesday\", time = \"16:00\", timezone = \"Europe/Madrid\" }\n";

fn roster(header: &str, people: &[Someone]) -> Roster {
    let mut text = header.to_owned();
    if header.contains("\"sequential\"") {
        let order: Vec<String> = people.iter().map(|p| format!("\"{}\"", p.id)).collect();
        text.push_str(&format!("order = [{}]\n", order.join(", ")));
    }
    for person in people {
        text.push_str(&person.toml("clinic"));
    }
    match Roster::parse(&text) {
        Ok(roster) => roster,
        Err(error) => panic!("{error}\n{text}"),
    }
}

fn plan_weeks(roster: &Roster, from: Date, weeks: u32) -> Plan {
    plan(roster, "clinic", &History::default(), &[], from, weeks).expect("plan")
}

fn primaries(plan: &Plan) -> Vec<&str> {
    plan.weeks
        .iter()
        .map(|week| week.primary.as_ref().map_or("-", PersonId::as_str))
        .collect()
}

fn id(text: &str) -> PersonId {
    PersonId::parse(text).expect("id")
}

fn week(text: &str) -> IsoWeek {
    text.parse().expect("week")
}

fn served(week_label: &str, primary: &str) -> ServedShift {
    ServedShift {
        week: week(week_label),
        primary: Some(id(primary)),
        backup: None,
        team: None,
    }
}

#[test]
fn planning_starts_with_the_iso_week_that_contains_from() {
    let roster = roster(FAIR, &[someone("ana", "a"), someone("bo", "b")]);
    let plan = plan_weeks(&roster, date(2027, 1, 7), 2);
    assert_eq!(plan.weeks[0].week, week("2027-W01"));
    assert_eq!(plan.weeks[1].week, week("2027-W02"));
}

#[test]
fn a_fair_shift_runs_from_monday_to_the_end_of_friday_in_the_primary_s_zone() {
    let roster = roster(FAIR, &[someone("ana", "a").zone("Asia/Kolkata", "IN")]);
    let plan = plan_weeks(&roster, date(2027, 1, 11), 1);
    assert_eq!(plan.weeks[0].start_utc.to_string(), "2027-01-10T18:30:00Z");
    assert_eq!(plan.weeks[0].end_utc.to_string(), "2027-01-15T18:30:00Z");
}

#[test]
fn a_fair_shift_in_jerusalem_loses_an_hour_to_the_friday_dst_change() {
    let roster = roster(FAIR, &[someone("ana", "a").zone("Asia/Jerusalem", "US")]);
    let plan = plan_weeks(&roster, date(2027, 3, 22), 2);
    let hours =
        |planned: &PlannedWeek| planned.end_utc.duration_since(planned.start_utc).as_hours();
    assert_eq!(hours(&plan.weeks[0]), 119);
    assert_eq!(hours(&plan.weeks[1]), 120);
}

#[test]
fn nobody_serves_twice_running_and_no_team_serves_twice_running() {
    let people = ["a1", "a2", "b1", "b2", "c1", "c2"].map(|name| {
        let team: &'static str = &name[..1];
        someone(name, team)
    });
    let plan = plan_weeks(&roster(FAIR, &people), date(2027, 1, 4), 24);
    for pair in plan.weeks.windows(2) {
        assert_ne!(pair[0].primary, pair[1].primary);
        assert_ne!(pair[0].team, pair[1].team);
        assert!(pair[1].relaxed.is_empty());
    }
}

#[test]
fn a_single_team_rotation_serves_with_the_team_rule_marked_relaxed() {
    let people = [
        someone("ana", "solo"),
        someone("bo", "solo"),
        someone("cy", "solo"),
    ];
    let plan = plan_weeks(&roster(FAIR, &people), date(2027, 1, 4), 6);
    assert!(
        plan.weeks[0].relaxed.is_empty(),
        "no previous week to clash with"
    );
    for pair in plan.weeks.windows(2) {
        assert_eq!(pair[1].relaxed, [Relaxation::Team]);
        assert_ne!(pair[0].primary, pair[1].primary);
    }
    let json = serde_json::to_value(&plan.weeks[1]).expect("json");
    assert_eq!(json["relaxed"], serde_json::json!(["team"]));
}

#[test]
fn a_lone_member_serves_every_week_with_team_and_person_relaxed() {
    let plan = plan_weeks(
        &roster(FAIR, &[someone("ana", "solo")]),
        date(2027, 1, 4),
        3,
    );
    assert_eq!(primaries(&plan), ["ana", "ana", "ana"]);
    assert_eq!(
        plan.weeks[2].relaxed,
        [Relaxation::Team, Relaxation::Person]
    );
}

#[test]
fn a_week_when_everyone_is_away_is_unstaffed_with_a_reason() {
    let away = "[{ from = \"2027-03-08\", to = \"2027-03-12\" }]";
    let people = [
        someone("ana", "a").away(away),
        someone("bo", "b").away(away),
        someone("cy", "c").role("manager"),
    ];
    let plan = plan_weeks(&roster(FAIR, &people), date(2027, 3, 1), 3);
    let unstaffed = &plan.weeks[1];
    assert_eq!(unstaffed.week, week("2027-W10"));
    assert_eq!(unstaffed.primary, None);
    assert_eq!(
        unstaffed.unstaffed_reason.as_deref(),
        Some("nobody eligible: 2 absent or under 3 working days, 1 manager")
    );
    assert_eq!(unstaffed.start_utc.to_string(), "2027-03-08T00:00:00Z");
    assert_eq!(unstaffed.end_utc.to_string(), "2027-03-13T00:00:00Z");
    assert_eq!(unstaffed.excluded.len(), 3);
    let json = serde_json::to_value(unstaffed).expect("json");
    assert_eq!(json["primary"], serde_json::Value::Null);
    assert_eq!(
        json["reason"],
        "nobody eligible: 2 absent or under 3 working days, 1 manager"
    );
    let staffed = serde_json::to_value(&plan.weeks[0]).expect("json");
    assert!(staffed.get("reason").is_none());
    // The week after an unstaffed one has no previous team or person to avoid.
    assert!(plan.weeks[2].relaxed.is_empty());
}

#[test]
fn managers_and_directors_never_serve_and_are_excluded_with_a_reason() {
    let people = [
        someone("boss", "a").role("manager"),
        someone("bigboss", "b").role("director"),
        someone("ana", "c"),
        someone("bo", "d"),
    ];
    let plan = plan_weeks(&roster(FAIR, &people), date(2027, 1, 4), 8);
    for planned in &plan.weeks {
        let primary = planned.primary.as_ref().map(PersonId::as_str);
        assert!(matches!(primary, Some("ana" | "bo")));
        let reasons: Vec<String> = planned
            .excluded
            .iter()
            .filter(|exclusion| exclusion.person.as_str().contains("boss"))
            .map(|exclusion| exclusion.reason.to_string())
            .collect();
        assert_eq!(
            reasons,
            [
                "is a manager; managers and directors do not serve",
                "is a director; managers and directors do not serve"
            ]
        );
    }
}

#[test]
fn two_public_holidays_leave_too_few_days_when_four_are_needed() {
    let header = FAIR.replace("min_working_days = 3", "min_working_days = 4");
    let people = [
        someone("ines", "a").zone("Europe/Madrid", "ES"),
        someone("ana", "b"),
    ];
    let roster = roster(&header, &people);
    // 2027-W49: Spain has Constitution Day (Mon) and the Immaculate Conception (Wed);
    // Italy only the latter.
    let plan = plan_weeks(&roster, date(2027, 12, 6), 1);
    assert_eq!(primaries(&plan), ["ana"]);
    assert_eq!(plan.weeks[0].excluded.len(), 1);
    assert_eq!(
        plan.weeks[0].excluded[0].reason.to_string(),
        "has 3 working days (2 public holidays) this week; needs 4"
    );
}

/// A week of a fair rotation that needs every weekday, between `local` and `colleague`:
/// who serves, and each left-out person with the reason.
fn full_week_between(monday: Date, local: Someone, colleague: Someone) -> (Plan, Vec<String>) {
    let header = FAIR.replace("min_working_days = 3", "min_working_days = 5");
    let plan = plan_weeks(&roster(&header, &[local, colleague]), monday, 1);
    let excluded = plan.weeks[0]
        .excluded
        .iter()
        .map(|e| format!("{}: {}", e.person, e.reason))
        .collect();
    (plan, excluded)
}

#[test]
fn greek_orthodox_easter_monday_keeps_a_person_in_greece_off_duty() {
    let nikos = someone("nikos", "a").zone("Europe/Athens", "GR");
    let (plan, excluded) = full_week_between(date(2027, 5, 3), nikos.clone(), someone("ana", "b"));
    assert_eq!(primaries(&plan), ["ana"]);
    assert_eq!(excluded.len(), 1);
    assert!(excluded[0].starts_with("nikos: has "), "{excluded:?}");
    // Monday 3 May 2027 is Orthodox Easter Monday; the Western one was 29 March.
    let roster = roster(FAIR, &[nikos]);
    let greece = &roster.people()[0];
    let easter_monday = working_days(&roster, greece, &[date(2027, 5, 3)]);
    assert_eq!(
        (easter_monday.working, easter_monday.public_holidays),
        (0, 1)
    );
    let western = working_days(&roster, greece, &[date(2027, 3, 29)]);
    assert_eq!(western.working, 1);
}

#[test]
fn a_bavarian_misses_the_week_of_epiphany_and_a_berliner_does_not() {
    let (plan, excluded) = full_week_between(
        date(2027, 1, 4),
        someone("sepp", "a").zone("Europe/Berlin", "DE-BY"),
        someone("kai", "b").zone("Europe/Berlin", "DE-BE"),
    );
    assert_eq!(primaries(&plan), ["kai"]);
    assert_eq!(
        excluded,
        ["sepp: has 4 working days (1 public holiday) this week; needs 5"]
    );
}

#[test]
fn a_catalan_has_sant_esteve_after_christmas_and_a_madrilenian_does_not() {
    // 2028-W52: Christmas on Monday everywhere in Spain, Sant Esteve on Tuesday in Catalonia.
    let header = FAIR.replace("min_working_days = 3", "min_working_days = 4");
    let people = [
        someone("jordi", "a").zone("Europe/Madrid", "ES-CT"),
        someone("lucia", "b").zone("Europe/Madrid", "ES-MD"),
    ];
    let plan = plan_weeks(&roster(&header, &people), date(2028, 12, 25), 1);
    assert_eq!(primaries(&plan), ["lucia"]);
    assert_eq!(
        plan.weeks[0].excluded[0].reason.to_string(),
        "has 3 working days (2 public holidays) this week; needs 4"
    );
}

#[test]
fn a_californian_has_cesar_chavez_day_and_a_new_yorker_does_not() {
    let (plan, excluded) = full_week_between(
        date(2027, 3, 29),
        someone("rosa", "a").zone("America/Los_Angeles", "US-CA"),
        someone("nora", "b").zone("America/New_York", "US-NY"),
    );
    assert_eq!(primaries(&plan), ["nora"]);
    assert_eq!(
        excluded,
        ["rosa: has 4 working days (1 public holiday) this week; needs 5"]
    );
}

#[test]
fn a_synthetic_roster_with_people_in_greece_and_in_subdivisions_plans_a_year() {
    let roster = synthetic_roster(100, 10, 20);
    let plan = plan(
        &roster,
        ROTATION,
        &History::default(),
        &[],
        date(2027, 1, 4),
        52,
    );
    let plan = plan.expect("plan");
    assert_eq!(plan.weeks.len(), 52);
    assert!(plan.weeks.iter().all(|week| week.primary.is_some()));
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}

#[test]
fn company_holidays_absences_and_public_holidays_each_take_a_day_once() {
    let text = format!(
        "{FAIR}\n[[company_holidays]]\ndate = \"2027-12-27\"\nname = \"Winter break\"\n{}",
        someone("gus", "a")
            .zone("Europe/London", "GB")
            .away("[{ from = \"2027-12-28\", to = \"2027-12-29\" }]")
            .toml("clinic")
    );
    let roster = Roster::parse(&text).expect("roster");
    let dates: Vec<Date> = week("2027-W52").weekdays().collect();
    let days = working_days(&roster, &roster.people()[0], &dates);
    // Mon 27 is a UK bank holiday and the company break; Tue 28 a bank holiday and
    // absent; Wed 29 absent.
    assert_eq!(days.working, 2);
    assert_eq!(
        (days.public_holidays, days.company_holidays, days.absent),
        (2, 0, 1)
    );
}

#[test]
fn a_first_timer_gets_an_experienced_backup_in_a_nearby_zone() {
    let people = [
        someone("newbie", "a").previous(0),
        someone("far", "b")
            .zone("America/Los_Angeles", "US")
            .previous(1),
        someone("near", "c").zone("Europe/Berlin", "DE").previous(9),
    ];
    let plan = plan_weeks(&roster(FAIR_WITH_BACKUP, &people), date(2027, 1, 4), 4);
    let first = &plan.weeks[0];
    assert_eq!(first.primary, Some(id("newbie")));
    assert_eq!(first.backup, Some(id("near")));
    assert!(first.relaxed.is_empty());
    // Once served, they are experienced and need no backup.
    let again = plan
        .weeks
        .iter()
        .skip(1)
        .find(|w| w.primary == Some(id("newbie")));
    assert_eq!(again.map(|w| w.backup.clone()), Some(None));
}

#[test]
fn a_backup_with_the_same_offset_beats_one_an_hour_away() {
    let people = [
        someone("newbie", "a").previous(0),
        someone("london", "b")
            .zone("Europe/London", "GB")
            .previous(1),
        someone("berlin", "c")
            .zone("Europe/Berlin", "DE")
            .previous(1),
    ];
    let plan = plan_weeks(&roster(FAIR_WITH_BACKUP, &people), date(2027, 1, 4), 1);
    assert_eq!(plan.weeks[0].backup, Some(id("berlin")));
}

#[test]
fn a_first_timer_with_no_experienced_colleague_near_their_zone_is_deferred() {
    let people = [
        someone("kiwi", "a")
            .zone("Pacific/Auckland", "NZ")
            .previous(0),
        someone("ana", "b").previous(2),
        someone("bo", "c").previous(2),
    ];
    let plan = plan_weeks(&roster(FAIR_WITH_BACKUP, &people), date(2027, 1, 4), 6);
    assert!(!primaries(&plan).contains(&"kiwi"));
    let reason = plan.weeks[0]
        .excluded
        .iter()
        .find(|exclusion| exclusion.person == id("kiwi"))
        .map(|exclusion| exclusion.reason.to_string());
    assert_eq!(
        reason.as_deref(),
        Some(
            "first duty, and no experienced colleague within 3 hours of their UTC offset \
             can back them up this week"
        )
    );
}

#[test]
fn a_first_timer_serves_alone_only_when_nobody_else_can() {
    let away = "[{ from = \"2027-01-04\", to = \"2027-01-08\" }]";
    let people = [
        someone("kiwi", "a")
            .zone("Pacific/Auckland", "NZ")
            .previous(0),
        someone("ana", "b").previous(2).away(away),
    ];
    let plan = plan_weeks(&roster(FAIR_WITH_BACKUP, &people), date(2027, 1, 4), 2);
    assert_eq!(plan.weeks[0].primary, Some(id("kiwi")));
    assert_eq!(plan.weeks[0].backup, None);
    assert_eq!(plan.weeks[0].relaxed, [Relaxation::Backup]);
    assert_eq!(plan.weeks[1].primary, Some(id("ana")));
}

#[test]
fn a_newcomer_joins_at_the_lowest_load_instead_of_owing_every_past_duty() {
    let people = [
        someone("ana", "a"),
        someone("bo", "b"),
        someone("cy", "c"),
        someone("newbie", "d"),
    ];
    let roster = roster(FAIR, &people);
    let mut history = History::default();
    let past = [("ana", 5), ("bo", 4), ("cy", 6)];
    let mut week_number = 1;
    for (name, times) in past {
        for _ in 0..times {
            history
                .served
                .push(served(&format!("2026-W{week_number:02}"), name));
            week_number += 1;
        }
    }
    let plan = plan(&roster, "clinic", &history, &[], date(2027, 1, 4), 8).expect("plan");
    let newbie = primaries(&plan)
        .iter()
        .filter(|name| **name == "newbie")
        .count();
    assert_eq!(
        plan.weeks[0].primary,
        Some(id("newbie")),
        "never served, so longest waiting"
    );
    // Starting from zero they would have served every other week.
    assert!(newbie <= 3, "{:?}", primaries(&plan));
}

#[test]
fn history_supplies_the_previous_week_for_the_rules() {
    let people = [someone("ana", "a"), someone("bo", "a"), someone("cy", "b")];
    let roster = roster(FAIR, &people);
    let history = History {
        served: vec![served("2026-W53", "cy"), served("2026-W52", "ana")],
    };
    let plan = plan(&roster, "clinic", &history, &[], date(2027, 1, 4), 1).expect("plan");
    // cy served last week; ana has a duty on record while bo has none: bo first.
    assert_eq!(plan.weeks[0].primary, Some(id("bo")));
    let cy = plan.weeks[0].excluded.iter().find(|e| e.person == id("cy"));
    assert_eq!(
        cy.map(|e| e.reason.clone()),
        Some(ExclusionReason::ServedPreviousWeek)
    );
}

#[test]
fn a_history_team_is_avoided_even_when_its_primary_has_left() {
    let people = [someone("ana", "a"), someone("bo", "b")];
    let roster = roster(FAIR, &people);
    let history = History {
        served: vec![ServedShift {
            week: week("2026-W53"),
            primary: Some(id("gone")),
            backup: None,
            team: Some(TeamName::parse("a").expect("team")),
        }],
    };
    let plan = plan(&roster, "clinic", &history, &[], date(2027, 1, 4), 1).expect("plan");
    assert_eq!(plan.weeks[0].primary, Some(id("bo")));
}

#[test]
fn history_inside_the_planned_weeks_is_ignored_with_a_warning() {
    let roster = roster(FAIR, &[someone("ana", "a"), someone("bo", "b")]);
    let history = History {
        served: vec![served("2027-W01", "bo")],
    };
    let plan = plan(&roster, "clinic", &history, &[], date(2027, 1, 4), 1).expect("plan");
    assert_eq!(plan.weeks[0].primary, Some(id("ana")));
    assert_eq!(plan.warnings.len(), 1);
    assert!(plan.warnings[0].contains("2027-W01"));
}

#[test]
fn a_week_twice_in_history_is_refused() {
    let roster = roster(FAIR, &[someone("ana", "a")]);
    let history = History {
        served: vec![served("2026-W50", "ana"), served("2026-W50", "ana")],
    };
    let result = plan(&roster, "clinic", &history, &[], date(2027, 1, 4), 1);
    assert_eq!(result, Err(PlanError::DuplicateHistory(week("2026-W50"))));
}

#[test]
fn an_override_puts_its_person_on_duty_and_counts_as_served() {
    let people = [someone("ana", "a"), someone("bo", "b"), someone("cy", "c")];
    let roster = roster(FAIR, &people);
    let overrides = [Override {
        week: week("2027-W01"),
        person: id("cy"),
        reason: "swapped with ana".to_owned(),
    }];
    let plan = plan(
        &roster,
        "clinic",
        &History::default(),
        &overrides,
        date(2027, 1, 4),
        3,
    )
    .expect("plan");
    assert_eq!(primaries(&plan), ["cy", "ana", "bo"]);
    assert_eq!(
        plan.weeks[0].overridden.as_deref(),
        Some("swapped with ana")
    );
    let json = serde_json::to_value(&plan.weeks[0]).expect("json");
    assert_eq!(json["overridden"], "swapped with ana");
}

#[test]
fn an_override_may_break_a_rule_but_says_so_and_a_first_timer_still_gets_a_backup() {
    let people = [
        someone("newbie", "a").previous(0),
        someone("ana", "a").previous(4),
        someone("bo", "b").previous(4),
    ];
    let roster = roster(FAIR_WITH_BACKUP, &people);
    let history = History {
        served: vec![served("2026-W53", "ana")],
    };
    let overrides = [Override {
        week: week("2027-W01"),
        person: id("newbie"),
        reason: "wants to start early".to_owned(),
    }];
    let plan = plan(&roster, "clinic", &history, &overrides, date(2027, 1, 4), 3).expect("plan");
    let first = &plan.weeks[0];
    assert_eq!(first.primary, Some(id("newbie")));
    assert_eq!(first.backup, Some(id("ana")));
    assert_eq!(
        first.relaxed,
        [Relaxation::Team],
        "team a served the week before"
    );
    assert_eq!(plan.weeks[1].primary, Some(id("bo")));
    let later = plan
        .weeks
        .iter()
        .skip(1)
        .find(|w| w.primary == Some(id("newbie")));
    assert!(
        later.is_none_or(|w| w.backup.is_none()),
        "no longer a first-timer"
    );
}

#[test]
fn overrides_must_name_a_member_and_one_person_per_week() {
    let roster = roster(FAIR, &[someone("ana", "a"), someone("bo", "b")]);
    let pin = |person: &str| Override {
        week: week("2027-W01"),
        person: id(person),
        reason: String::new(),
    };
    let from = date(2027, 1, 4);
    let unknown = plan(
        &roster,
        "clinic",
        &History::default(),
        &[pin("zed")],
        from,
        1,
    );
    assert!(matches!(
        unknown,
        Err(PlanError::OverrideForUnknownPerson { .. })
    ));
    let twice = plan(
        &roster,
        "clinic",
        &History::default(),
        &[pin("ana"), pin("bo")],
        from,
        1,
    );
    assert!(matches!(twice, Err(PlanError::ConflictingOverrides { .. })));
    let missing = plan(&roster, "nope", &History::default(), &[], from, 1);
    assert_eq!(
        missing,
        Err(PlanError::UnknownRotation {
            name: "nope".to_owned(),
            known: roster.rotation_list(),
        })
    );
    assert!(
        missing
            .unwrap_err()
            .to_string()
            .ends_with("; the roster has \"clinic\""),
        "the names there are follow the one that is not"
    );
    let huge = plan(
        &roster,
        "clinic",
        &History::default(),
        &[],
        from,
        MAX_PLAN_WEEKS + 1,
    );
    assert!(matches!(huge, Err(PlanError::TooManyWeeks(_))));
}

#[test]
fn sequential_turns_follow_the_order_and_a_skipped_person_keeps_their_place() {
    // bo's turn would be the shift handed off on Wednesday 2027-01-13; they are away
    // for all of it, so cy goes, and bo serves straight after.
    let away = "[{ from = \"2027-01-13\", to = \"2027-01-19\" }]";
    let people = [
        someone("ana", "a"),
        someone("bo", "b").away(away),
        someone("cy", "c"),
        someone("dee", "d"),
    ];
    let plan = plan_weeks(&roster(SEQUENTIAL, &people), date(2027, 1, 4), 7);
    assert_eq!(
        primaries(&plan),
        ["ana", "cy", "bo", "dee", "ana", "cy", "bo"]
    );
    let skipped = &plan.weeks[1].excluded;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].person, id("bo"));
    assert_eq!(plan.weeks[0].start_utc.to_string(), "2027-01-06T15:00:00Z");
    assert_eq!(plan.weeks[0].end_utc, plan.weeks[1].start_utc);
}

#[test]
fn sequential_turns_continue_after_the_history() {
    let people = [someone("ana", "a"), someone("bo", "b"), someone("cy", "c")];
    let roster = roster(SEQUENTIAL, &people);
    let history = History {
        served: vec![served("2026-W52", "ana"), served("2026-W53", "bo")],
    };
    let plan = plan(&roster, "clinic", &history, &[], date(2027, 1, 4), 3).expect("plan");
    assert_eq!(primaries(&plan), ["cy", "ana", "bo"]);
}

#[test]
fn a_person_skipped_just_before_the_plan_still_keeps_their_place() {
    let people = [someone("ana", "a"), someone("bo", "b"), someone("cy", "c")];
    let roster = roster(SEQUENTIAL, &people);
    // bo was skipped in 2026-W53: cy served instead.
    let history = History {
        served: vec![served("2026-W52", "ana"), served("2026-W53", "cy")],
    };
    let plan = plan(&roster, "clinic", &history, &[], date(2027, 1, 4), 3).expect("plan");
    assert_eq!(primaries(&plan), ["bo", "ana", "cy"]);
}

#[test]
fn a_sequential_week_across_the_march_change_in_madrid_lasts_167_hours() {
    let people = [
        someone("ana", "a").zone("Europe/Madrid", "ES"),
        someone("bo", "b"),
    ];
    let plan = plan_weeks(&roster(SEQUENTIAL, &people), date(2027, 3, 15), 3);
    let hours: Vec<i64> = plan
        .weeks
        .iter()
        .map(|planned| planned.end_utc.duration_since(planned.start_utc).as_hours())
        .collect();
    assert_eq!(hours, [168, 167, 168]);
    assert_eq!(plan.weeks[1].week, week("2027-W12"));
    assert_eq!(plan.weeks[1].start_utc.to_string(), "2027-03-24T15:00:00Z");
}

#[test]
fn sequential_working_days_are_the_seven_days_from_the_handoff_in_the_person_s_zone() {
    // In Sydney the Wednesday 16:00 Madrid handoff is already Thursday, so a Wednesday
    // absence of the following week still falls inside their seven days.
    let away = "[{ from = \"2027-01-14\", to = \"2027-01-20\" }]";
    let people = [
        someone("ana", "a"),
        someone("syd", "b")
            .zone("Australia/Sydney", "AU")
            .away(away),
    ];
    let plan = plan_weeks(&roster(SEQUENTIAL, &people), date(2027, 1, 4), 2);
    assert_eq!(primaries(&plan), ["ana", "ana"]);
    let reason = plan.weeks[1].excluded[0].reason.to_string();
    assert!(
        reason.starts_with("has 0 working days (5 days absent)"),
        "{reason}"
    );
}

#[test]
fn sequential_rotations_apply_the_avoid_rules_only_when_set() {
    let people = [someone("ana", "a"), someone("bo", "a"), someone("cy", "b")];
    let header = SEQUENTIAL.replace(
        "min_working_days = 3\n",
        "min_working_days = 3\navoid_same_team = true\n",
    );
    let plan = plan_weeks(&roster(&header, &people), date(2027, 1, 4), 4);
    // bo would follow ana in the same team, so cy goes first and bo keeps their place;
    // then ana, next in the queue, would follow bo in the same team.
    assert_eq!(primaries(&plan), ["ana", "cy", "bo", "cy"]);
    let plain = plan_weeks(&roster(SEQUENTIAL, &people), date(2027, 1, 4), 3);
    assert_eq!(primaries(&plain), ["ana", "bo", "cy"]);
}

#[test]
fn planning_twice_gives_the_same_plan() {
    let roster = synthetic_roster(120, 12, 8);
    let first = plan(
        &roster,
        ROTATION,
        &History::default(),
        &[],
        date(2027, 1, 4),
        52,
    )
    .expect("plan");
    let second = plan(
        &roster,
        ROTATION,
        &History::default(),
        &[],
        date(2027, 1, 4),
        52,
    )
    .expect("plan");
    assert_eq!(first, second);
    let json = |plan: &Plan| serde_json::to_string(plan).expect("json");
    assert_eq!(json(&first), json(&second));
}

#[test]
fn the_plan_serialises_to_the_agreed_shape() {
    let roster = roster(
        FAIR,
        &[someone("ana", "a"), someone("boss", "b").role("manager")],
    );
    let plan = plan_weeks(&roster, date(2027, 1, 4), 1);
    let json = serde_json::to_value(&plan).expect("json");
    let expected = serde_json::json!({
        "rotation": "clinic",
        "weeks": [{
            "week": "2027-W01",
            "primary": "ana",
            "backup": null,
            "team": "a",
            "start_utc": "2027-01-03T23:00:00Z",
            "end_utc": "2027-01-08T23:00:00Z",
            "relaxed": [],
            "excluded": [{
                "person": "boss",
                "reason": "is a manager; managers and directors do not serve"
            }]
        }]
    });
    assert_eq!(json, expected);
}

#[test]
fn planning_past_the_holiday_data_warns_instead_of_failing() {
    let roster = roster(FAIR, &[someone("ana", "a"), someone("bo", "b")]);
    let plan = plan_weeks(&roster, date(2035, 12, 17), 4);
    assert_eq!(plan.weeks.len(), 4);
    assert_eq!(
        plan.warnings,
        ["public holiday data covers 2026-2035; holidays in 2036 were not taken into account"]
    );
}

#[test]
fn every_ineligible_member_is_listed_once_and_eligible_ones_are_not() {
    let roster = synthetic_roster(80, 10, 6);
    let plan = plan(
        &roster,
        ROTATION,
        &History::default(),
        &[],
        date(2027, 1, 4),
        20,
    )
    .expect("plan");
    for planned in &plan.weeks {
        let mut listed: Vec<&PersonId> = planned.excluded.iter().map(|e| &e.person).collect();
        let count = listed.len();
        listed.sort();
        listed.dedup();
        assert_eq!(listed.len(), count);
        assert!(!listed.contains(&&planned.primary.clone().expect("staffed")));
        assert!(count < 80, "most people are eligible most weeks");
    }
}

#[test]
fn the_example_roster_parses_and_plans_within_the_rules() {
    let candidates = [
        format!(
            "{}/../../shared/fixtures/roster-example.toml",
            env!("CARGO_MANIFEST_DIR")
        ),
        "/work/shared/fixtures/roster-example.toml".to_owned(),
    ];
    let Some(text) = candidates
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
    else {
        eprintln!("SKIPPED: example roster not found");
        return;
    };
    let roster = Roster::parse(&text).expect("the example roster is valid");
    let from = date(2027, 1, 4);
    let plan = plan(&roster, "sre-clinic", &History::default(), &[], from, 52).expect("plan");
    let rules = roster.rotation("sre-clinic").expect("rules");
    let mut seen: BTreeSet<&PersonId> = BTreeSet::new();
    for (index, planned) in plan.weeks.iter().enumerate() {
        let primary = planned.primary.as_ref().expect("every week staffed");
        let person = roster.person(primary).expect("person");
        assert_eq!(person.role, Role::Engineer);
        let dates: Vec<Date> = planned.week.weekdays().collect();
        assert!(working_days(&roster, person, &dates).working >= rules.min_working_days);
        if person.previous_duties == 0 && seen.insert(primary) {
            let backup = planned
                .backup
                .as_ref()
                .and_then(|b| roster.person(b))
                .expect("backup");
            assert!(backup.previous_duties > 0 || seen.contains(&backup.id));
        }
        seen.insert(primary);
        if index > 0 {
            let before = &plan.weeks[index - 1];
            assert!(
                before.primary != planned.primary || planned.relaxed.contains(&Relaxation::Person)
            );
            assert!(before.team != planned.team || planned.relaxed.contains(&Relaxation::Team));
        }
        assert!(
            planned
                .excluded
                .iter()
                .any(|e| e.person.as_str() == "aberg")
        );
    }
    let cloud = plan_for(&roster, "cloud-clinic", from);
    assert_eq!(
        &primaries(&cloud)[..5],
        ["bruiz", "teze", "ihaddad", "flund", "siyer"]
    );
}

fn plan_for(roster: &Roster, rotation: &str, from: Date) -> Plan {
    plan(roster, rotation, &History::default(), &[], from, 52).expect("plan")
}

/// A roster of engineers with no absences: `teams[i]` is person i's team,
/// `zones[i]` picks their zone and country.
fn fairness_roster(
    teams: &[usize],
    zones: &[usize],
    min_working_days: u8,
    previous: &[u32],
) -> Roster {
    const PLACES: [(&str, &str); 8] = [
        ("Europe/Rome", "IT"),
        ("America/New_York", "US"),
        ("Asia/Kolkata", "IN"),
        ("Europe/Berlin", "DE"),
        ("Asia/Tokyo", "JP"),
        ("Australia/Sydney", "AU"),
        ("America/Sao_Paulo", "BR"),
        ("Europe/London", "GB"),
    ];
    let mut text = format!(
        "[rotations.clinic]\nstyle = \"fair\"\nmin_working_days = {min_working_days}\n\
         avoid_same_person = true\navoid_same_team = true\nfirst_duty_backup = true\n\
         backup_max_offset_hours = 26\n"
    );
    for (index, team) in teams.iter().enumerate() {
        let (zone, country) = PLACES[zones[index] % PLACES.len()];
        text.push_str(&format!(
            "\n[[people]]\nid = \"p{index:02}\"\nname = \"P\"\nemail = \"p{index}@example.org\"\n\
             team = \"t{team}\"\ntimezone = \"{zone}\"\nholidays = \"{country}\"\nrole = \"engineer\"\n\
             rotations = [\"clinic\"]\nprevious_duties = {}\n",
            previous[index]
        ));
    }
    Roster::parse(&text).expect("fairness roster")
}

/// Rosters with many teams of near-equal size handed out in a random order (with one
/// team over half the roster no planner could keep teams apart and stay fair), people
/// spread over eight zones, some of them first-timers.
fn many_teams() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, Vec<u32>)> {
    (8usize..40).prop_flat_map(|people| {
        (
            (
                3usize..=people / 2,
                Just((0..people).collect::<Vec<usize>>()).prop_shuffle(),
            )
                .prop_map(|(teams, seats)| {
                    seats
                        .iter()
                        .map(|seat| seat % teams)
                        .collect::<Vec<usize>>()
                }),
            proptest::collection::vec(0usize..8, people),
            proptest::collection::vec(0u32..4, people),
        )
    })
}

/// Duties served within the plan by the people with enough working days every week.
fn duties_of_people_present_all_year(
    roster: &Roster,
    plan: &Plan,
    min_working_days: u8,
) -> Vec<usize> {
    roster
        .people()
        .iter()
        .filter(|person| {
            plan.weeks.iter().all(|planned| {
                let dates: Vec<Date> = planned.week.weekdays().collect();
                working_days(roster, person, &dates).working >= min_working_days
            })
        })
        .map(|person| {
            plan.weeks
                .iter()
                .filter(|w| w.primary.as_ref() == Some(&person.id))
                .count()
        })
        .collect()
}

fn spread(duties: &[usize]) -> usize {
    match (duties.iter().max(), duties.iter().min()) {
        (Some(most), Some(least)) => most - least,
        _ => 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(96)
    ))]

    /// No week in the data has more than three weekday holidays, so with at most two
    /// working days required everyone is present all year.
    #[test]
    fn over_a_year_people_present_all_year_serve_within_one_duty_of_each_other(
        (teams, zones, previous) in many_teams(),
        min_working_days in 0u8..=2,
        start_week in 1i8..=52,
    ) {
        let roster = fairness_roster(&teams, &zones, min_working_days, &previous);
        let from = IsoWeek::new(2027, start_week).expect("week").monday();
        let plan = plan(&roster, "clinic", &History::default(), &[], from, 52).expect("plan");
        let duties = duties_of_people_present_all_year(&roster, &plan, min_working_days);
        prop_assert_eq!(duties.len(), teams.len());
        prop_assert!(spread(&duties) <= 1, "duties {:?} for {:?}", duties, primaries(&plan));
        prop_assert!(plan.weeks.iter().all(|w| w.relaxed.is_empty() || w.week == plan.weeks[0].week));
    }

    /// When holidays take some people out for a week, the others cover for them; at
    /// the end of a round that can leave one person a duty behind for a week or so.
    #[test]
    fn colleagues_holiday_gaps_leave_the_others_within_two_duties(
        (teams, zones, previous) in many_teams(),
        min_working_days in 0u8..=5,
        start_week in 1i8..=52,
    ) {
        let roster = fairness_roster(&teams, &zones, min_working_days, &previous);
        let from = IsoWeek::new(2027, start_week).expect("week").monday();
        let plan = plan(&roster, "clinic", &History::default(), &[], from, 52).expect("plan");
        let duties = duties_of_people_present_all_year(&roster, &plan, min_working_days);
        prop_assert!(spread(&duties) <= 2, "duties {:?} for {:?}", duties, primaries(&plan));
    }
}
