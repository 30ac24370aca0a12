use super::*;
use crate::maintenance::Impact;

const H: i64 = 3600;
const T0: i64 = 1_900_000_000;

fn at(second: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(second).unwrap()
}

fn record(id: &str, impact: Impact, start: i64) -> MaintenanceRecord {
    MaintenanceRecord::sample("acme", id, &[("X-1", impact)], (start, start + 4 * H))
}

fn review(id: &str, reason: &str, received: i64) -> ReviewItem {
    ReviewItem {
        id: id.into(),
        received_at: at(received),
        reason: reason.into(),
        bucket: "mail".into(),
        key: format!("inbound/{id}"),
        message_id: None,
        from: Some("noc@vendor.example".into()),
        subject: Some("Planned work <!here>".into()),
        size: 2048,
    }
}

fn events(due: &[DuePost]) -> Vec<&str> {
    due.iter().map(|d| d.event.as_str()).collect()
}

#[test]
fn a_maintenance_affecting_service_is_due_from_24_hours_before_its_start_until_it_starts() {
    let r = [record("A-1", Impact::Outage, T0)];
    assert!(
        due_posts(&r, None, &[], at(T0 - 24 * H - 1)).is_empty(),
        "not yet"
    );
    assert_eq!(
        events(&due_posts(&r, None, &[], at(T0 - 24 * H))),
        vec!["maintenance/acme/A-1"]
    );
    assert_eq!(events(&due_posts(&r, None, &[], at(T0 - 1))).len(), 1);
    assert!(
        due_posts(&r, None, &[], at(T0)).is_empty(),
        "started: the start notice tells of it"
    );
}

#[test]
fn one_that_only_reduces_redundancy_or_is_cancelled_or_completed_is_not_due() {
    let mut cancelled = record("A-2", Impact::Outage, T0);
    cancelled.status = Status::Cancelled;
    let mut completed = record("A-3", Impact::Degraded, T0);
    completed.status = Status::Completed;
    let r = [
        record("A-4", Impact::ReducedRedundancy, T0),
        cancelled,
        completed,
        record("A-5", Impact::Degraded, T0),
    ];
    assert_eq!(
        events(&due_posts(&r, None, &[], at(T0 - H))),
        vec!["maintenance/acme/A-5"]
    );
}

#[test]
fn redundancy_only_maintenances_taking_a_group_down_together_are_due_and_name_it() {
    let circuits = Circuits::parse(
        r#"
[[circuit]]
id = "HT-1"
site = "lis1"
service = "wave"
redundancy_group = "lis1-mad1"

[[circuit]]
id = "NW-1"
site = "lis1"
service = "wave (second path)"
redundancy_group = "lis1-mad1"
"#,
    )
    .unwrap();
    let path = |provider: &str, circuit: &str, start: i64| {
        MaintenanceRecord::sample(
            provider,
            "M-1",
            &[(circuit, Impact::ReducedRedundancy)],
            (start, start + 4 * H),
        )
    };
    let r = [
        path("harbour", "HT-1", T0),
        path("northwind", "NW-1", T0 + 2 * H),
    ];
    let due = due_posts(&r, Some(&circuits), &[], at(T0 - H));
    assert_eq!(
        events(&due),
        vec!["maintenance/harbour/M-1", "maintenance/northwind/M-1"]
    );
    assert!(due[0].post.text.contains("redundancy group lis1-mad1 down"));
    assert!(due_posts(&r, None, &[], at(T0 - H)).is_empty());
}

#[test]
fn a_moved_start_is_another_post_and_the_same_start_the_same_one() {
    let now = at(T0 - 3 * H);
    let first = due_posts(&[record("A-6", Impact::Outage, T0)], None, &[], now);
    let same = due_posts(&[record("A-6", Impact::Outage, T0)], None, &[], now);
    let moved = due_posts(&[record("A-6", Impact::Outage, T0 + H)], None, &[], now);
    assert_eq!(first[0].claim, same[0].claim);
    assert_eq!(first[0].post.marker, same[0].post.marker);
    assert_ne!(first[0].claim, moved[0].claim);
    assert_ne!(first[0].post.marker, moved[0].post.marker);
    assert!(
        first[0]
            .post
            .text
            .starts_with("Vendor maintenance affecting service in 3 h 00 min: acme A-6"),
        "{}",
        first[0].post.text
    );
}

#[test]
fn each_mail_new_on_the_review_list_is_due_once_and_a_parse_under_way_is_not() {
    let now = at(T0);
    let reviews = [
        review("r-new", "no template matches this sender", T0 - 60),
        review("r-old", "no template matches this sender", T0 - 25 * H),
        review("r-parsing", PARSE_UNFINISHED, T0 - 60),
        review("r-stuck", PARSE_UNFINISHED, T0 - 20 * 60),
    ];
    let due = due_posts(&[], None, &reviews, now);
    assert_eq!(events(&due), vec!["review/r-new", "review/r-stuck"]);
    assert_eq!(due[0].claim, ClaimFor::Review { id: "r-new".into() });
    let text = &due[0].post.text;
    assert!(
        text.contains("4 mails on the review list") && !text.contains("<!here>"),
        "{text}"
    );
}
