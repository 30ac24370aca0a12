//! The `clinic` binary as an operator runs it: planning needs no AWS, bad input gets a clear message
//! and a non-zero status.

use std::path::PathBuf;
use std::process::{Command, Output};

fn clinic(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clinic"))
        .args(args)
        .env_remove("CLINIC_TABLE")
        .env_remove("CLINIC_ROSTER")
        .env("RUST_LOG", "off")
        .output()
        .expect("clinic runs")
}

fn demo_roster() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../events/roster.toml")
        .display()
        .to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn plan_json_has_the_documented_shape() {
    let roster = demo_roster();
    let out = clinic(&[
        "rotation",
        "plan",
        "--roster",
        &roster,
        "--rotation",
        "sre-clinic",
        "--from",
        "2027-01-04",
        "--weeks",
        "4",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(plan["rotation"], "sre-clinic");
    let weeks = plan["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 4);
    assert_eq!(weeks[0]["week"], "2027-W01");
    for week in weeks {
        for key in [
            "week",
            "primary",
            "backup",
            "team",
            "start_utc",
            "end_utc",
            "relaxed",
            "excluded",
        ] {
            assert!(week.get(key).is_some(), "{key} missing in {week}");
        }
        let start: jiff::Timestamp = week["start_utc"]
            .as_str()
            .unwrap()
            .parse()
            .expect("RFC 3339");
        let end: jiff::Timestamp = week["end_utc"].as_str().unwrap().parse().expect("RFC 3339");
        assert!(start < end);
        // "reason" is present only for an unstaffed week.
        assert_eq!(week.get("reason").is_some(), week["primary"].is_null());
    }
}

#[test]
fn the_same_plan_is_printed_twice() {
    let roster = demo_roster();
    let args = [
        "rotation",
        "plan",
        "--roster",
        &roster,
        "--rotation",
        "sre-clinic",
        "--from",
        "2027-03-01",
        "--weeks",
        "52",
    ];
    let first = clinic(&args);
    let second = clinic(&args);
    assert!(first.status.success());
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn the_human_plan_is_a_table_with_one_row_per_week() {
    let roster = demo_roster();
    let out = clinic(&[
        "rotation",
        "plan",
        "--roster",
        &roster,
        "--rotation",
        "cloud-clinic",
        "--from",
        "2027-01-04",
        "--weeks",
        "3",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("WEEK"));
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("2027-W")).count(),
        3,
        "{stdout}"
    );
}

#[test]
fn explain_names_the_person_planned_for_the_week() {
    let roster = demo_roster();
    let plan = clinic(&[
        "rotation",
        "plan",
        "--roster",
        &roster,
        "--rotation",
        "sre-clinic",
        "--from",
        "2027-01-04",
        "--weeks",
        "3",
        "--json",
    ]);
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let primary = plan["weeks"][2]["primary"].as_str().unwrap().to_owned();
    let out = clinic(&[
        "rotation",
        "explain",
        "--roster",
        &roster,
        "--rotation",
        "sre-clinic",
        "--week",
        "2027-W03",
        "--from",
        "2027-01-04",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&primary),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_roster_with_several_mistakes_is_refused_with_all_of_them() {
    let dir = std::env::temp_dir().join(format!("clinic-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "[rotations.ops]\nstyle = \"fair\"\nmin_working_days = 3\nnotify = [\"not-an-address\"]\n\n\
         [[people]]\nid = \"a\"\nname = \"A\"\nemail = \"a@example.org\"\nteam = \"t\"\ntimezone = \"Mars/Base\"\n\
         holidays = \"DE\"\nrole = \"engineer\"\nrotations = [\"ops\", \"nope\"]\nprevious_duties = 1\nabsences = []\n",
    )
    .unwrap();
    let out = clinic(&["roster", "check", "--roster", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Mars/Base"), "{stderr}");
    assert!(stderr.contains("not-an-address"), "{stderr}");
    assert!(stderr.contains("nope"), "{stderr}");
}

#[test]
fn wrong_arguments_get_a_usage_error_and_no_plan() {
    let roster = demo_roster();
    let bad_date = clinic(&[
        "rotation",
        "plan",
        "--roster",
        &roster,
        "--rotation",
        "sre-clinic",
        "--from",
        "2027-13-01",
    ]);
    assert_eq!(bad_date.status.code(), Some(2));
    assert!(bad_date.stdout.is_empty());
    let unknown = clinic(&[
        "rotation",
        "plan",
        "--roster",
        &roster,
        "--rotation",
        "nope",
        "--from",
        "2027-01-04",
    ]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("nope"));
    let missing = clinic(&[
        "rotation",
        "plan",
        "--rotation",
        "sre-clinic",
        "--from",
        "2027-01-04",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("--roster"));
}

#[test]
fn table_commands_name_the_missing_variable() {
    let out = clinic(&["audit"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("CLINIC_TABLE is not set"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn marking_a_mail_reviewed_needs_an_id_and_a_note_before_the_table() {
    let no_note = clinic(&["maintenance", "reviewed", "r1"]);
    assert_eq!(no_note.status.code(), Some(2));
    assert!(text(&no_note.stderr).contains("--note"));
    let blank = clinic(&["maintenance", "reviewed", "r1", "--note", "  "]);
    assert!(
        text(&blank.stderr).contains("--note must say what was done"),
        "{}",
        text(&blank.stderr)
    );
    let bad_id = clinic(&["maintenance", "reviewed", "a\u{7}b", "--note", "done"]);
    assert!(text(&bad_id.stderr).contains("not a review item id"));
    // A well-formed request still needs the table.
    let out = clinic(&["maintenance", "reviewed", "r1", "--note", "done"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("CLINIC_TABLE is not set"));
}

#[test]
fn sync_without_the_victorops_api_names_the_three_variables() {
    let roster = demo_roster();
    let mut command = Command::new(env!("CARGO_BIN_EXE_clinic"));
    for name in ["VICTOROPS_API_URL", "VICTOROPS_API_ID", "VICTOROPS_API_KEY"] {
        command
            .env_remove(name)
            .env_remove(format!("{name}_SSM_PARAMETER"));
    }
    let out = command
        .args([
            "rotation",
            "sync",
            "--check",
            "--rotation",
            "sre-clinic",
            "--roster",
            &roster,
        ])
        .env("CLINIC_TABLE", "clinic-cli-test")
        .env("RUST_LOG", "off")
        .output()
        .expect("clinic runs");
    assert!(!out.status.success());
    let said = text(&out.stderr);
    for name in ["VICTOROPS_API_URL", "VICTOROPS_API_ID", "VICTOROPS_API_KEY"] {
        assert!(said.contains(&format!("{name} is not set")), "{said}");
    }

    let too_far = clinic(&[
        "rotation",
        "sync",
        "--check",
        "--rotation",
        "sre-clinic",
        "--roster",
        &roster,
        "--weeks",
        "9",
    ]);
    assert_eq!(too_far.status.code(), Some(2), "{}", text(&too_far.stderr));
}

#[test]
fn status_names_the_missing_table_and_refuses_an_unknown_zone() {
    let out = clinic(&["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("CLINIC_TABLE is not set"),
        "{}",
        text(&out.stderr)
    );
    let out = clinic(&["status", "--zone", "Mars/Olympus"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Mars/Olympus"),
        "{}",
        text(&out.stderr)
    );
    let out = clinic(&["status", "--at", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
}
