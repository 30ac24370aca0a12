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

/// `clinic` with the words of `line` as its arguments (none of them holds a space).
fn run(line: &str) -> Output {
    let args: Vec<&str> = line.split_whitespace().collect();
    clinic(&args)
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

/// A folder of this test's own in the temp directory, removed when the test ends (also on failure).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("clinic-cli-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str, content: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn plan_json_has_the_documented_shape() {
    let roster = demo_roster();
    let out = run(&format!(
        "rotation plan --roster {roster} --rotation sre-clinic --from 2027-01-04 --weeks 4 --json"
    ));
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
    let out = run(&format!(
        "rotation plan --roster {roster} --rotation cloud-clinic --from 2027-01-04 --weeks 3"
    ));
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
    let plan = run(&format!(
        "rotation plan --roster {roster} --rotation sre-clinic --from 2027-01-04 --weeks 3 --json"
    ));
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let primary = plan["weeks"][2]["primary"].as_str().unwrap().to_owned();
    let out = run(&format!(
        "rotation explain --roster {roster} --rotation sre-clinic --week 2027-W03 --from 2027-01-04"
    ));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&primary),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_roster_with_several_mistakes_is_refused_with_all_of_them() {
    let scratch = Scratch::new("mistakes");
    let path = scratch.file(
        "bad.toml",
        "[rotations.ops]\nstyle = \"fair\"\nmin_working_days = 3\nnotify = [\"not-an-address\"]\n\n\
         [[people]]\nid = \"a\"\nname = \"A\"\nemail = \"a@example.org\"\nteam = \"t\"\ntimezone = \"Mars/Base\"\n\
         holidays = \"DE\"\nrole = \"engineer\"\nrotations = [\"ops\", \"nope\"]\nprevious_dutes = 1\nabsences = []\n",
    );
    let out = clinic(&["roster", "check", "--roster", &path]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Mars/Base"), "{stderr}");
    assert!(stderr.contains("not-an-address"), "{stderr}");
    assert!(stderr.contains("nope"), "{stderr}");
    assert!(
        stderr.contains("people[0]: unknown key `previous_dutes`; did you mean `previous_duties`?"),
        "an unknown key is one problem among the others: {stderr}"
    );
}

#[test]
fn roster_check_names_the_holiday_codes_close_to_an_unknown_one() {
    let scratch = Scratch::new("regions");
    let person = |id: &str, region: &str| {
        format!(
            "\n[[people]]\nid = \"{id}\"\nname = \"{id}\"\nemail = \"{id}@example.org\"\nteam = \"t\"\n\
             timezone = \"Europe/Athens\"\nholidays = \"{region}\"\nrole = \"engineer\"\nrotations = [\"ops\"]\n"
        )
    };
    let rotation = "[rotations.ops]\nstyle = \"fair\"\nmin_working_days = 3\n";
    let bad = format!("{rotation}{}{}", person("a", "DE-XX"), person("b", "GRR"));
    let out = clinic(&[
        "roster",
        "check",
        "--roster",
        &scratch.file("bad.toml", &bad),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(r#"no public holiday data for "DE-XX"; close matches: DE-"#),
        "{stderr}"
    );
    assert!(stderr.contains("DE-BY"), "{stderr}");
    assert!(
        stderr.contains(r#"no public holiday data for "GRR"; close matches: GR"#),
        "{stderr}"
    );
    let good = format!("{rotation}{}{}", person("a", "GR"), person("b", "ES-CT"));
    let out = clinic(&[
        "roster",
        "check",
        "--roster",
        &scratch.file("good.toml", &good),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn wrong_arguments_get_a_usage_error_and_no_plan() {
    let roster = demo_roster();
    let bad_date = run(&format!(
        "rotation plan --roster {roster} --rotation sre-clinic --from 2027-13-01"
    ));
    assert_eq!(bad_date.status.code(), Some(2));
    assert!(bad_date.stdout.is_empty());
    let unknown = run(&format!(
        "rotation plan --roster {roster} --rotation nope --from 2027-01-04"
    ));
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("nope"));
    let missing = run("rotation plan --rotation sre-clinic --from 2027-01-04");
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("--roster"));
}

#[test]
fn table_commands_name_the_missing_variable() {
    let out = run("audit");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("CLINIC_TABLE is not set"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn marking_a_mail_reviewed_needs_an_id_and_a_note_before_the_table() {
    let no_note = run("maintenance reviewed r1");
    assert_eq!(no_note.status.code(), Some(2));
    assert!(text(&no_note.stderr).contains("--note"));
    let blank = clinic(&["maintenance", "reviewed", "r1", "--note", "  "]);
    assert!(
        text(&blank.stderr).contains("--note must say what was done"),
        "{}",
        text(&blank.stderr)
    );
    let bad_id = run("maintenance reviewed a\u{7}b --note done");
    assert!(text(&bad_id.stderr).contains("not a review item id"));
    // A well-formed request still needs the table.
    let out = run("maintenance reviewed r1 --note done");
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

    let too_far = run(&format!(
        "rotation sync --check --rotation sre-clinic --roster {roster} --weeks 9"
    ));
    assert_eq!(too_far.status.code(), Some(2), "{}", text(&too_far.stderr));
}

#[test]
fn status_names_the_missing_table_and_refuses_an_unknown_zone() {
    let out = run("status");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("CLINIC_TABLE is not set"),
        "{}",
        text(&out.stderr)
    );
    let out = run("status --zone Mars/Olympus");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Mars/Olympus"),
        "{}",
        text(&out.stderr)
    );
    let out = run("status --at yesterday");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn output_cut_short_by_its_reader_ends_quietly() {
    let roster = demo_roster();
    // The reading end is closed before clinic starts, so its very first write meets a closed pipe.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_clinic"))
        .args([
            "rotation",
            "plan",
            "--roster",
            &roster,
            "--rotation",
            "sre-clinic",
            "--from",
            "2027-01-04",
            "--weeks",
            "52",
        ])
        .env_remove("CLINIC_TABLE")
        .stdout(writer)
        .output()
        .expect("clinic runs");
    let stderr = text(&out.stderr);
    assert!(stderr.is_empty(), "nothing on stderr: {stderr}");
    use std::os::unix::process::ExitStatusExt as _;
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGPIPE),
        "ended by SIGPIPE as coreutils are, not a panic (exit 101): {:?}",
        out.status
    );
}

#[test]
fn an_unknown_rotation_is_refused_with_the_names_there_are() {
    let roster = demo_roster();
    let out = run(&format!(
        "rotation plan --roster {roster} --rotation nope --from 2027-01-04"
    ));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            r#"there is no rotation named "nope"; the roster has "cloud-clinic", "sre-clinic""#
        ),
        "{stderr}"
    );
}

#[test]
fn zero_weeks_is_a_usage_error_not_an_empty_table() {
    let roster = demo_roster();
    let out = run(&format!(
        "rotation plan --roster {roster} --rotation sre-clinic --from 2027-01-04 --weeks 0"
    ));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("--weeks"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn rotation_and_week_arguments_say_what_they_take() {
    for command in ["plan", "explain", "override", "swap"] {
        let out = clinic(&["rotation", command, "--help"]);
        let help = text(&out.stdout);
        assert!(help.contains("rotations.NAME"), "{command}: {help}");
        if command != "plan" {
            assert!(help.contains("2027-W05"), "{command}: {help}");
        }
    }
}

#[test]
fn plan_and_explain_offline_need_the_same_from_and_agree() {
    let roster = demo_roster();
    let explain_without_from = run(&format!(
        "rotation explain --roster {roster} --rotation sre-clinic --week 2027-W05"
    ));
    assert_eq!(explain_without_from.status.code(), Some(2));
    assert!(
        text(&explain_without_from.stderr).contains("--from"),
        "{}",
        text(&explain_without_from.stderr)
    );
    let plan = run(&format!(
        "rotation plan --roster {roster} --rotation sre-clinic --from 2027-01-01 --weeks 6 --json"
    ));
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let w05 = plan["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["week"] == "2027-W05")
        .expect("W05 is planned");
    let explain = run(&format!(
        "rotation explain --roster {roster} --rotation sre-clinic --week 2027-W05 --from 2027-01-01 --json"
    ));
    assert!(explain.status.success(), "{}", text(&explain.stderr));
    let explanation: serde_json::Value = serde_json::from_slice(&explain.stdout).unwrap();
    assert_eq!(explanation["primary"], w05["primary"], "{explanation}");
    assert!(
        text(&explain.stderr).contains("input: the roster alone"),
        "says which input it used: {}",
        text(&explain.stderr)
    );
}

#[test]
fn maintenance_parse_for_a_person_shows_dates_and_fails_when_a_file_failed() {
    let scratch = Scratch::new("parse");
    let good = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../events/maintenance/01-northwind-scheduled.eml")
        .display()
        .to_string();
    let bad = scratch.file(
        "not-a-notice.eml",
        "From: someone@example.org\r\nSubject: hello\r\n\r\nhi\r\n",
    );
    let out = clinic(&["maintenance", "parse", "--format", "human", &good, &bad]);
    assert_eq!(out.status.code(), Some(1), "one of two files failed");
    let stdout = text(&out.stdout);
    assert!(stdout.contains(" UTC"), "{stdout}");
    assert!(
        !stdout
            .split_whitespace()
            .any(|w| w.len() >= 9 && w.chars().all(|c| c.is_ascii_digit())),
        "no Unix seconds: {stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("clinic: "), "{stderr}");
    assert!(stderr.contains("not-a-notice.eml"), "{stderr}");
    // The machine contract is unchanged: JSON, exit status 0 when every file could be read.
    let json = clinic(&["maintenance", "parse", "--format", "json", &good, &bad]);
    assert_eq!(json.status.code(), Some(0));
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(parsed[&bad]["error"].is_string(), "{parsed}");
}

#[test]
fn a_service_out_of_reach_is_one_line_saying_where_and_what_to_do() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    for (args, service) in [
        (&["audit"][..], "DynamoDB"),
        (&["setup", "bucket", "--name", "clinic-nowhere"][..], "S3"),
        (
            &["setup", "identity", "--address", "clinic@example.org"][..],
            "SES",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_clinic"))
            .args(args)
            .env("CLINIC_TABLE", "clinic-nowhere")
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_PROFILE")
            .env_remove("RUST_LOG")
            .output()
            .expect("clinic runs");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = text(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{args:?}: one line, no SDK warnings first: {stderr}"
        );
        assert!(
            lines[0].starts_with(&format!("clinic: cannot reach {service} at {endpoint} (")),
            "{stderr}"
        );
        assert!(lines[0].contains("make stack-up"), "{stderr}");
        assert!(
            lines[0].len() < 250,
            "{} characters: {stderr}",
            lines[0].len()
        );
    }
}

#[test]
fn a_circuits_file_is_checked_with_every_problem_named() {
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../events/circuits.toml")
        .display()
        .to_string();
    let out = run(&format!("maintenance circuits {shipped}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "circuits file is valid: 4 circuits in 2 redundancy groups"
    );
    let scratch = Scratch::new("circuits");
    let bad = scratch.file(
        "circuits.toml",
        "[[circuit]]\nid = \"A\"\nsite = \"\"\nservice = \"s\"\nredundancy_group = \"g\"\n\n\
         [[circuit]]\nid = \"a\"\nsite = \"x\"\nservice = \"s\"\nredundancy_group = \"g\"\n",
    );
    let out = run(&format!("maintenance circuits {bad}"));
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("site is empty") && stderr.contains("the same circuit as circuit[0]"),
        "{stderr}"
    );
    let lone = scratch.file(
        "lone.toml",
        "[[circuit]]\nid = \"A\"\nsite = \"x\"\nservice = \"s\"\nredundancy_group = \"g\"\n",
    );
    let out = run(&format!("maintenance circuits {lone}"));
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("redundancy group \"g\" has one circuit"));
}

#[test]
fn an_acknowledgement_names_a_maintenance_as_provider_slash_id() {
    for bad in [
        "maintenance ack HT-5",
        "maintenance ack /HT-5",
        "maintenance ack harbour/",
    ] {
        let out = run(bad);
        assert!(!out.status.success(), "{bad}");
        assert!(
            text(&out.stderr).contains("give provider/id"),
            "{bad}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn a_confirmation_refuses_half_a_window_a_reversed_one_and_an_unknown_status_before_any_write() {
    for (args, says) in [
        ("maintenance confirm HT-5", "give provider/id"),
        (
            "maintenance confirm harbour/HT-5 --start 2027-01-10T01:00:00Z",
            "--start and --end go together",
        ),
        (
            "maintenance confirm harbour/HT-5 --start 2027-01-10T05:00:00Z --end 2027-01-10T01:00:00Z",
            "ends (2027-01-10 01:00 UTC) before it starts",
        ),
        (
            "maintenance confirm harbour/HT-5 --status maybe",
            "not a status",
        ),
    ] {
        let out = run(args);
        assert!(!out.status.success(), "{args}");
        assert!(
            text(&out.stderr).contains(says),
            "{args}: {}",
            text(&out.stderr)
        );
    }
}
