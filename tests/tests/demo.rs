//! `make demo` as a newcomer sees it: the story on the terminal in at most 150 lines, no escape codes
//! when stdout is not a terminal, the details in the file it names, and nothing left running. Runs
//! `tests/stack/demo.sh` on the workspace's debug build (which `cargo test --workspace` has just made).

use std::process::Command;

use clinic_tests::repo_root;

const MOST_LINES: usize = 150;

#[test]
fn the_demo_tells_its_story_in_at_most_150_lines_and_names_its_details() {
    let root = repo_root();
    let clinic = root.join("target/debug/clinic");
    assert!(
        clinic.exists(),
        "{} is missing: build the workspace first (make demo and make test do)",
        clinic.display()
    );
    // The fakes the demo starts are this package's binaries: naming them makes cargo build them.
    for fake in [
        env!("CARGO_BIN_EXE_conduit-fake"),
        env!("CARGO_BIN_EXE_statuspage-fake"),
        env!("CARGO_BIN_EXE_victorops-api-fake"),
        env!("CARGO_BIN_EXE_slack-fake"),
    ] {
        assert!(std::path::Path::new(fake).exists(), "{fake}");
    }
    let out = Command::new("bash")
        .arg("tests/stack/demo.sh")
        .current_dir(&root)
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("CLINIC_TABLE")
        .output()
        .expect("bash runs the demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = stdout.lines().count();
    assert!(
        lines <= MOST_LINES,
        "{lines} lines on the terminal, more than {MOST_LINES}:\n{stdout}"
    );
    assert!(
        !stdout.contains('\u{1b}'),
        "escape codes in a pipe:\n{stdout}"
    );
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        "Every command's whole output: target/demo/details.txt"
    );
    let details = std::fs::read_to_string(root.join("target/demo/details.txt")).expect("details");
    // The details hold what the terminal only samples: every mail, every table item.
    assert!(
        details.lines().count() > 4 * lines,
        "{} lines of details",
        details.lines().count()
    );
    assert!(details.contains("Message-ID:"));
    // `rotation plan`, from the table's history by default, names whom the later weekly runs commit.
    let plan_start = details
        .find("input: table clinic-demo")
        .expect("the plan says it started from the table");
    let planned: Vec<(&str, &str)> = details[plan_start..]
        .lines()
        .skip_while(|l| !l.starts_with("WEEK "))
        .skip(1)
        .take(3)
        .map(|l| {
            let mut columns = l.split_whitespace();
            (columns.next().unwrap_or(""), columns.next().unwrap_or(""))
        })
        .collect();
    assert_eq!(planned.len(), 3, "{planned:?}");
    for (week, primary) in planned {
        let committed = format!("sre-clinic {week}: shift created; on duty {primary},");
        assert!(
            details.contains(&committed),
            "planned {week} for {primary}, but the weekly job committed otherwise"
        );
    }
    // The handoff is posted once to the Slack channel, with the week, the people and the brief's
    // counts; the sweep at the shift's start sets Clinic's section after people's topic; the Matrix
    // room without a homeserver is said to be skipped.
    let posts: Vec<&str> = stdout.lines().filter(|l| l.starts_with("post: ")).collect();
    assert_eq!(posts.len(), 1, "{stdout}");
    assert!(
        posts[0].starts_with("post: Clinic handoff: sre-clinic 2027-W01, from ")
            && posts[0].contains(" is on duty, backup "),
        "{}",
        posts[0]
    );
    assert!(
        stdout.contains("\n      Now: 0 tasks need triage, "),
        "{stdout}"
    );
    assert!(
        stdout.contains("topic after the sweep: Ask here | runbooks: wiki/sre | Clinic duty: "),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "chat matrix:!sreClinicRoom:matrix.example.net skipped: no matrix credentials are configured"
        ),
        "{stdout}"
    );
    // The story's mails carry the story's dates, not today's.
    for date in details.lines().filter(|l| l.starts_with("Date: ")) {
        assert!(date.contains(" 2027 "), "{date}");
    }
}
