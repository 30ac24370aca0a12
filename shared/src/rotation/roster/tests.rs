use jiff::civil::{Time, Weekday};
use proptest::prelude::*;

use super::parse::parse_hour_minute;
use super::*;

const SMALL_ROSTER: &str = r#"
[rotations.clinic]
style = "fair"
min_working_days = 3
avoid_same_person = true
avoid_same_team = true
first_duty_backup = true
notify = ["clinic@example.org"]

[rotations.cloud]
style = "sequential"
min_working_days = 2
handoff = { weekday = "wednesday", time = "16:00", timezone = "Europe/Madrid" }
order = ["bea", "ana"]

[[company_holidays]]
date = "2027-12-27"
name = "Winter break"

[[company_holidays]]
date = 2027-06-18
name = "Company day off"

[[people]]
id = "ana"
name = "Ana"
email = "ana@example.org"
team = "traffic"
timezone = "Europe/Rome"
holidays = "IT"
role = "engineer"
rotations = ["clinic", "cloud"]
previous_duties = 2
absences = [{ from = "2027-02-01", to = "2027-02-05" }]
victorops_user = "ana.vo"

[[people]]
id = "bea"
name = "Bea"
email = "bea@example.org"
team = "serviceops"
timezone = "america/chicago"
holidays = "US"
role = "manager"
rotations = ["clinic", "cloud"]
absences = []
"#;

fn parsed(text: &str) -> Roster {
    match Roster::parse(text) {
        Ok(roster) => roster,
        Err(error) => panic!("{error}"),
    }
}

fn problems_of(text: &str) -> Vec<RosterProblem> {
    match Roster::parse(text) {
        Err(RosterError::Invalid(problems)) => problems,
        other => panic!("expected an invalid roster, got {other:?}"),
    }
}

#[test]
fn a_small_roster_parses_into_domain_types() {
    let roster = parsed(SMALL_ROSTER);
    let clinic = roster.rotation("clinic").expect("clinic");
    assert_eq!(clinic.style, Style::Fair);
    assert_eq!(
        clinic.backup_max_offset_hours,
        DEFAULT_BACKUP_MAX_OFFSET_HOURS
    );
    assert_eq!(clinic.notify[0].as_str(), "clinic@example.org");
    let cloud = roster.rotation("cloud").expect("cloud");
    let Style::Sequential { handoff, order } = &cloud.style else {
        panic!("cloud should be sequential");
    };
    assert_eq!(handoff.weekday, Weekday::Wednesday);
    assert_eq!(handoff.time, Time::constant(16, 0, 0, 0));
    assert_eq!(order.len(), 2);
    let ana = roster
        .person(&PersonId::parse("ana").expect("id"))
        .expect("ana");
    assert_eq!(ana.victorops_user.as_deref(), Some("ana.vo"));
    assert_eq!(ana.absences.len(), 1);
    let bea = &roster.people()[1];
    assert_eq!(bea.timezone.name(), "America/Chicago");
    assert_eq!(bea.previous_duties, 0);
    assert_eq!(bea.role, Role::Manager);
    assert_eq!(roster.company_holidays().len(), 2);
    assert!(
        roster
            .company_holiday(jiff::civil::date(2027, 6, 18))
            .is_some()
    );
    let names: Vec<&str> = roster.rotation_names().map(RotationName::as_str).collect();
    assert_eq!(names, ["clinic", "cloud"]);
    let clinic_name = RotationName::parse("clinic").expect("name");
    assert_eq!(roster.members(&clinic_name).count(), 2);
}

#[test]
fn rules_and_people_serialise_like_the_toml_they_came_from() {
    let roster = parsed(SMALL_ROSTER);
    let cloud = serde_json::to_value(roster.rotation("cloud")).expect("json");
    assert_eq!(cloud["style"], "sequential");
    assert_eq!(cloud["handoff"]["time"], "16:00");
    assert_eq!(cloud["handoff"]["weekday"], "wednesday");
    assert_eq!(cloud["handoff"]["timezone"], "Europe/Madrid");
    let ana = serde_json::to_value(&roster.people()[0]).expect("json");
    assert_eq!(ana["holidays"], "IT");
    assert_eq!(ana["absences"][0]["from"], "2027-02-01");
    assert_eq!(ana["victorops_user"], "ana.vo");
    let bea = serde_json::to_value(&roster.people()[1]).expect("json");
    assert!(bea.get("victorops_user").is_none());
}

#[test]
fn a_rotation_kept_in_step_with_victorops_names_its_team_and_policies() {
    let linked = SMALL_ROSTER
        .replace(
            "notify = [\"clinic@example.org\"]",
            "notify = [\"clinic@example.org\"]\nvictorops = { team = \"team-Xq2hV7bRk3LmN8pA\", policies = [\"pol-3hV8nL2pQ6sD9wKe\"] }",
        )
        .replace("absences = []\n", "absences = []\nvictorops_user = \"bea.vo\"\n");
    let roster = parsed(&linked);
    let link = roster.rotation("clinic").and_then(|r| r.victorops.clone());
    assert_eq!(
        link,
        Some(VictorOpsLink {
            team: "team-Xq2hV7bRk3LmN8pA".into(),
            policies: vec!["pol-3hV8nL2pQ6sD9wKe".into()],
            takes: TakePolicy::Record,
        })
    );
    assert!(roster.rotation("cloud").unwrap().victorops.is_none());
    // A rotation without the link serialises as before, so the table's copy stays current.
    let cloud = serde_json::to_value(roster.rotation("cloud")).expect("json");
    assert!(cloud.get("victorops").is_none());
}

#[test]
fn a_victorops_link_with_bad_slugs_or_members_without_a_user_name_is_refused() {
    let text = SMALL_ROSTER.replace(
        "notify = [\"clinic@example.org\"]",
        "notify = [\"clinic@example.org\"]\nvictorops = { team = \"team/../x\", policies = [\"pol-a\", \"pol-a\", \"p q\"] }",
    );
    let all: Vec<String> = problems_of(&text).iter().map(ToString::to_string).collect();
    let all = all.join("\n");
    assert!(
        all.contains(r#"rotations.clinic: victorops.team "team/../x" is not a VictorOps slug"#),
        "{all}"
    );
    assert!(
        all.contains(r#"victorops.policies names "pol-a" more than once"#),
        "{all}"
    );
    assert!(
        all.contains(r#"victorops.policies "p q" is not a VictorOps slug"#),
        "{all}"
    );
    // Bea has no victorops_user: Clinic could not put her on call.
    assert!(
        all.contains(r#"people[1] (id "bea"): rotations names "clinic", which Clinic keeps in step with VictorOps, but victorops_user is missing"#),
        "{all}"
    );
    assert!(!all.contains(r#"id "ana"): rotations names"#), "{all}");

    let empty = SMALL_ROSTER.replace(
        "notify = [\"clinic@example.org\"]",
        "notify = [\"clinic@example.org\"]\nvictorops = { policies = [] }",
    );
    let all: Vec<String> = problems_of(&empty)
        .iter()
        .map(ToString::to_string)
        .collect();
    let all = all.join("\n");
    assert!(all.contains("`victorops.team` is missing"), "{all}");
    assert!(all.contains("victorops.policies is empty"), "{all}");
}

#[test]
fn a_rotation_chooses_whether_takes_in_victorops_are_recorded_or_undone() {
    let with = |takes: &str| {
        SMALL_ROSTER
            .replace(
                "notify = [\"clinic@example.org\"]",
                &format!("notify = [\"clinic@example.org\"]\nvictorops = {{ team = \"team-a\", policies = [\"pol-a\"]{takes} }}"),
            )
            .replace("absences = []\n", "absences = []\nvictorops_user = \"bea.vo\"\n")
    };
    let takes_of = |text: &str| {
        parsed(text)
            .rotation("clinic")
            .and_then(|r| r.victorops.as_ref().map(|l| l.takes))
    };
    assert_eq!(takes_of(&with("")), Some(TakePolicy::Record));
    assert_eq!(
        takes_of(&with(", takes = \"record\"")),
        Some(TakePolicy::Record)
    );
    assert_eq!(
        takes_of(&with(", takes = \"undo\"")),
        Some(TakePolicy::Undo)
    );
    let all = Roster::parse(&with(", takes = \"revert\""))
        .unwrap_err()
        .to_string();
    assert!(
        all.contains(
            r#"rotations.clinic: victorops.takes "revert" is neither "record" nor "undo""#
        ),
        "{all}"
    );
    let unknown = SMALL_ROSTER.replace(
        "notify = [\"clinic@example.org\"]",
        "notify = [\"clinic@example.org\"]\nvictorops = { team = \"t\", policies = [\"p\"], rotation = \"x\" }",
    );
    let error = Roster::parse(&unknown).expect_err("unknown key");
    assert!(error.to_string().contains("rotation"), "{error}");
}

#[test]
fn a_rotation_may_name_a_person_of_the_roster_as_its_swap_approver() {
    let with = |approver: &str| {
        SMALL_ROSTER.replace(
            "notify = [\"clinic@example.org\"]",
            &format!("notify = [\"clinic@example.org\"]\nswap_approver = \"{approver}\""),
        )
    };
    let approver = parsed(&with("bea"))
        .rotation("clinic")
        .and_then(|r| r.swap_approver.clone());
    assert_eq!(approver.map(|p| p.to_string()).as_deref(), Some("bea"));
    assert_eq!(
        parsed(SMALL_ROSTER)
            .rotation("clinic")
            .unwrap()
            .swap_approver,
        None
    );
    let error = Roster::parse(&with("nobody")).unwrap_err().to_string();
    assert!(
        error.contains(
            r#"rotations.clinic: swap_approver "nobody" is not the id of a person in the roster"#
        ),
        "{error}"
    );
}

#[test]
fn a_syntax_error_keeps_the_line_and_column_from_toml() {
    let error = Roster::parse("[rotations.clinic\nstyle = 1").expect_err("broken");
    assert!(matches!(error, RosterError::Syntax(_)));
    assert!(error.to_string().contains("line 1"), "{error}");
}

#[test]
fn a_misspelt_field_is_caught() {
    let text = SMALL_ROSTER.replace("avoid_same_team", "avoid_same_teams");
    let error = Roster::parse(&text).expect_err("typo");
    assert!(error.to_string().contains("avoid_same_teams"), "{error}");
}

#[test]
fn several_problems_are_reported_at_once() {
    let text = SMALL_ROSTER
        .replace("\"Europe/Rome\"", "\"Mars/Base\"")
        .replace("ana@example.org", "ana-at-example.org")
        .replace("holidays = \"US\"", "holidays = \"GRR\"")
        .replace("id = \"bea\"", "id = \"ana\"")
        .replace("to = \"2027-02-05\"", "to = \"2027-01-05\"")
        .replace(
            "rotations = [\"clinic\", \"cloud\"]\nprevious_duties = 2",
            "rotations = [\"clinic\", \"cloud\", \"clinc\"]\nprevious_duties = 2",
        )
        .replace("[\"clinic@example.org\"]", "[\"clinic@\"]");
    let problems = problems_of(&text);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let all = text.join("\n");
    assert!(
        all.contains(r#"people[0] (id "ana"): timezone "Mars/Base" is not an IANA zone"#),
        "{all}"
    );
    assert!(all.contains("ana-at-example.org"), "{all}");
    assert!(
        all.contains(r#"holidays: there is no public holiday data for "GRR"; close matches: GR"#),
        "{all}"
    );
    assert!(all.contains("is already used by people[0]"), "{all}");
    assert!(all.contains("ends before it starts"), "{all}");
    assert!(all.contains(r#"rotations names "clinc""#), "{all}");
    assert!(all.contains("rotations.clinic: notify"), "{all}");
    assert!(
        all.contains(r#"rotations.cloud: order names "bea", who is not in [[people]]"#),
        "{all}"
    );
    let error = RosterError::Invalid(problems);
    assert!(
        error
            .to_string()
            .starts_with("the roster has 8 problems:\n  - "),
        "{error}"
    );
}

#[test]
fn a_roster_without_rotations_is_refused() {
    let problems = problems_of("people = []");
    assert_eq!(problems[0].issue, RosterIssue::NoRotations);
}

#[test]
fn sequential_rotations_need_a_handoff_and_an_order_of_members() {
    let text = r#"
[rotations.a]
style = "sequential"
min_working_days = 3

[rotations.b]
style = "sequential"
min_working_days = 3
handoff = { weekday = "wed", time = "4pm", timezone = "Europe/Madrid" }
order = ["x", "ghost", "y"]

[rotations.c]
style = "fair"
min_working_days = 9
order = ["x"]

[[people]]
id = "x"
name = "X"
email = "x@example.org"
team = "t"
timezone = "UTC"
holidays = "GB"
role = "engineer"
rotations = ["b", "c"]

[[people]]
id = "y"
name = "Y"
email = "y@example.org"
team = "t"
timezone = "UTC"
holidays = "GB"
role = "engineer"
rotations = ["c"]

[[people]]
id = "z"
name = "Z"
email = "z@example.org"
team = "t"
timezone = "UTC"
holidays = "GB"
role = "engineer"
rotations = ["b"]
"#;
    let issues: Vec<RosterIssue> = problems_of(text).into_iter().map(|p| p.issue).collect();
    assert!(issues.contains(&RosterIssue::Missing("handoff")));
    assert!(issues.contains(&RosterIssue::Missing("order")));
    assert!(issues.contains(&RosterIssue::BadWeekday("wed".into())));
    assert!(issues.contains(&RosterIssue::BadTime("4pm".into())));
    assert!(issues.contains(&RosterIssue::OrderNamesUnknownPerson("ghost".into())));
    let y = PersonId::parse("y").expect("id");
    let z = PersonId::parse("z").expect("id");
    assert!(issues.contains(&RosterIssue::OrderNamesNonMember(y)));
    assert!(issues.contains(&RosterIssue::MemberMissingFromOrder(z)));
    assert!(issues.contains(&RosterIssue::NotForFairRotations("order")));
    assert!(issues.contains(&RosterIssue::MinWorkingDaysOutOfRange(9)));
}

#[test]
fn a_missing_backup_offset_defaults_to_three_hours_only_with_first_duty_backup() {
    let roster = parsed(SMALL_ROSTER);
    assert_eq!(
        roster.rotation("cloud").map(|r| r.backup_max_offset_hours),
        Some(0)
    );
    assert_eq!(
        roster.rotation("clinic").map(|r| r.backup_max_offset_hours),
        Some(3)
    );
}

#[test]
fn person_ids_are_lower_case_and_plain() {
    assert!(PersonId::parse("b.ruiz_2-x").is_ok());
    assert_eq!(PersonId::parse(""), Err(IdentifierError::Empty));
    assert!(matches!(
        PersonId::parse("Bruiz"),
        Err(IdentifierError::BadCharacter { found: 'B', .. })
    ));
    assert!(PersonId::parse("a b").is_err());
    assert!(PersonId::parse(&"x".repeat(65)).is_err());
}

#[test]
fn email_addresses_need_one_at_and_a_dotted_domain() {
    assert!(EmailAddress::parse("a.b+c@example.org").is_ok());
    assert!(matches!(
        EmailAddress::parse("a@b@example.org"),
        Err(EmailAddressError::AtSigns(_))
    ));
    assert!(matches!(
        EmailAddress::parse("@example.org"),
        Err(EmailAddressError::EmptyLocalPart(_))
    ));
    assert!(matches!(
        EmailAddress::parse("a@localhost"),
        Err(EmailAddressError::BadDomain(_))
    ));
    assert!(matches!(
        EmailAddress::parse("a@.org"),
        Err(EmailAddressError::BadDomain(_))
    ));
    assert!(matches!(
        EmailAddress::parse("a b@example.org"),
        Err(EmailAddressError::Whitespace(_))
    ));
    assert!(matches!(
        EmailAddress::parse("a\u{7}@example.org"),
        Err(EmailAddressError::Whitespace(_))
    ));
    let long = format!("{}@example.org", "a".repeat(250));
    assert!(matches!(
        EmailAddress::parse(&long),
        Err(EmailAddressError::TooLong(_))
    ));
    assert_eq!(EmailAddress::parse(""), Err(EmailAddressError::Empty));
}

#[test]
fn handoff_times_are_strict_twenty_four_hour_clock() {
    assert_eq!(
        parse_hour_minute("16:00"),
        Some(Time::constant(16, 0, 0, 0))
    );
    assert_eq!(
        parse_hour_minute("00:59"),
        Some(Time::constant(0, 59, 0, 0))
    );
    for bad in [
        "24:00", "9:00", "16:00:00", "+1:00", "ab:cd", "12:60", "1٣:00",
    ] {
        assert_eq!(parse_hour_minute(bad), None, "{bad}");
    }
}

#[test]
fn validated_newtypes_refuse_bad_json() {
    assert!(serde_json::from_str::<PersonId>("\"Bad Id\"").is_err());
    assert!(serde_json::from_str::<EmailAddress>("\"nope\"").is_err());
    assert!(serde_json::from_str::<IanaTimeZone>("\"Mars/Base\"").is_err());
    let zone: IanaTimeZone = serde_json::from_str("\"Europe/Rome\"").expect("zone");
    assert_eq!(zone.name(), "Europe/Rome");
}

proptest! {
    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC*") {
        let _ = Roster::parse(&text);
    }

    #[test]
    fn parsing_a_mangled_roster_never_panics(cut in 0usize..2000, insert in "\\PC{0,12}") {
        let mut text = SMALL_ROSTER.to_owned();
        let mut at = cut.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert_str(at, &insert);
        let _ = Roster::parse(&text);
    }
}

#[test]
fn unknown_keys_are_reported_with_every_other_problem_and_a_close_match() {
    let text = SMALL_ROSTER
        .replace("previous_duties = 2", "previous_dutes = 2")
        .replace("avoid_same_team = true", "avoid_same_teem = true")
        .replace("timezone = \"Europe/Rome\"", "timezone = \"Mars/Base\"")
        .replace(
            "absences = [{ from = \"2027-02-01\", to = \"2027-02-05\" }]",
            "absences = [{ from = \"2027-02-01\", untill = \"2027-02-05\" }]",
        )
        .replace(
            "[rotations.clinic]",
            "colour = \"blue\"\n\n[rotations.clinic]",
        );
    let problems = problems_of(&text);
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let expected = [
        "the roster: unknown key `colour`",
        "rotations.clinic: unknown key `avoid_same_teem`; did you mean `avoid_same_team`?",
        "people[0]: unknown key `previous_dutes`; did you mean `previous_duties`?",
        "people[0].absences[0]: unknown key `untill`",
    ];
    for line in expected {
        assert!(
            lines.iter().any(|l| l == line),
            "{line:?} not in {lines:#?}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("Mars/Base")),
        "the other problems are still reported: {lines:#?}"
    );
}

#[test]
fn a_key_far_from_every_known_one_gets_no_suggestion() {
    assert_eq!(
        super::parse::closest("zzzzzzzz", &["style", "notify"]),
        None
    );
    assert_eq!(
        super::parse::closest("Notfy", &["style", "notify"]),
        Some("notify")
    );
}

#[test]
fn people_in_greece_and_in_subdivisions_are_accepted_with_their_region() {
    let text = SMALL_ROSTER
        .replace("holidays = \"IT\"", "holidays = \"GR\"")
        .replace("holidays = \"US\"", "holidays = \"DE-BY\"");
    let roster = Roster::parse(&text).expect("roster");
    let regions: Vec<&str> = roster
        .people()
        .iter()
        .map(|p| p.holidays.as_str())
        .collect();
    assert_eq!(regions, ["GR", "DE-BY"]);
}

#[test]
fn an_unknown_subdivision_is_refused_with_the_countrys_codes() {
    let text = SMALL_ROSTER.replace("holidays = \"US\"", "holidays = \"DE-XX\"");
    let all: Vec<String> = problems_of(&text).iter().map(ToString::to_string).collect();
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(
        all[0]
            .contains(r#"holidays: there is no public holiday data for "DE-XX"; close matches: "#),
        "{all:?}"
    );
    assert!(
        all[0].contains("DE-BY") && all[0].contains("DE-NW"),
        "{all:?}"
    );
}

#[test]
fn a_rotation_names_its_chat_rooms_and_people_their_chat_ids() {
    let text = SMALL_ROSTER
        .replace(
            "notify = [\"clinic@example.org\"]",
            "notify = [\"clinic@example.org\"]\nchat = { slack_channels = [\"C0123ABCDEF\"], matrix_rooms = [\"!ops:example.org\"], slack_user_group = \"S0123ABCDEF\", topic = \"Clinic duty: {name} (backup {backup})\" }",
        )
        .replace(
            "victorops_user = \"ana.vo\"",
            "victorops_user = \"ana.vo\"\nslack_user = \"U0ANA00001\"\nmatrix_user = \"@ana:example.org\"",
        )
        .replace("absences = []\n", "absences = []\nslack_user = \"U0BEA00001\"\n")
        + "\n[notices]\nallow = [\"ana\"]\nexpiry_hours = 8\n";
    let roster = parsed(&text);
    let chat = roster
        .rotation("clinic")
        .and_then(|r| r.chat.clone())
        .expect("chat");
    assert_eq!(chat.slack_channels[0].as_str(), "C0123ABCDEF");
    assert_eq!(chat.matrix_rooms[0].as_str(), "!ops:example.org");
    assert_eq!(
        chat.slack_user_group.as_ref().map(|g| g.as_str()),
        Some("S0123ABCDEF")
    );
    assert_eq!(chat.topic.prefix(), "Clinic duty: ");
    let ana = roster.person(&PersonId::parse("ana").unwrap()).unwrap();
    assert_eq!(
        ana.chat.matrix_user.as_ref().map(|u| u.as_str()),
        Some("@ana:example.org")
    );
    assert!(roster.notices().allows(&ana.id));
    assert!(!roster.notices().allows(&PersonId::parse("bea").unwrap()));
    assert_eq!(roster.notices().expiry_hours, 8);
    // Without chat settings a rotation serialises as before.
    assert!(roster.rotation("cloud").unwrap().chat.is_none());
    assert_eq!(
        parsed(SMALL_ROSTER).notices().expiry_hours,
        DEFAULT_NOTICE_EXPIRY_HOURS
    );
}

#[test]
fn bad_chat_settings_and_unknown_notice_posters_are_each_named() {
    let text = SMALL_ROSTER
        .replace(
            "notify = [\"clinic@example.org\"]",
            "notify = [\"clinic@example.org\"]\nchat = { slack_channels = [\"#ops\"], slack_user_group = \"S0123ABCDEF\", topic = \"{name} on duty\" }",
        )
        .replace(
            "victorops_user = \"ana.vo\"",
            "victorops_user = \"ana.vo\"\nslack_user = \"U0ANA00001\"\nmatrix_user = \"ana\"",
        )
        + "\n[notices]\nallow = [\"zed\"]\nexpiry_hours = 900\n";
    let all: Vec<String> = problems_of(&text).iter().map(ToString::to_string).collect();
    let all = all.join("\n");
    for expected in [
        r##"rotations.clinic.chat: Slack channel id "#ops" is not"##,
        r#"rotations.clinic.chat: topic "{name} on duty" cannot be used: it starts with a placeholder"#,
        r#"Matrix user id "ana" is not"#,
        r#"people[1] (id "bea"): rotations names "clinic", whose chat keeps a Slack user group, but slack_user is missing"#,
        r#"notices: allow names "zed", who is not in [[people]]"#,
        "notices: expiry_hours 900 is outside 1..=168",
    ] {
        assert!(all.contains(expected), "{expected}\n---\n{all}");
    }
    let none = SMALL_ROSTER.replace(
        "notify = [\"clinic@example.org\"]",
        "notify = [\"clinic@example.org\"]\nchat = { topic = \"Clinic: {name}\" }",
    );
    let all: Vec<String> = problems_of(&none).iter().map(ToString::to_string).collect();
    assert!(
        all.join("\n")
            .contains("chat names no slack_channels and no matrix_rooms")
    );
}
