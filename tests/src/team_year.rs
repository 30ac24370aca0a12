//! A year of a 200-person team's data, as the brief and web benches read it: the items the brief
//! reads written through Clinic's own adapters (so their index keys are the real ones), and the year's
//! history (audit log, closed tasks, handoff mails, claims) as raw items of realistic size and keys.
//! Shared so both benches measure the same table (docs/benchmarks.md).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use clinic::adapters::dynamo::DynamoStore;
use clinic::audit::AuditEntry;
use clinic::brief::BriefSettings;
use clinic::http_url::HttpUrl;
use clinic::incidents::lifecycle::{IncidentNumber, IncidentRecord, Phase};
use clinic::incidents::ports::IncidentLedger;
use clinic::maintenance::lifecycle::{MaintenanceRecord, NoticeSource, ReviewItem};
use clinic::maintenance::ports::MaintenanceLedger;
use clinic::maintenance::{Circuit, Impact, Status};
use clinic::rotation::ports::RosterMirror;
use clinic::rotation::synthetic::{ROTATION, synthetic_roster};
use clinic::shifts::{ShiftLedger, ShiftRecord};
use clinic::triage::model::TaskPhid;
use clinic::triage::ports::{TaskState, TaskSummary, TriageLedger};

/// The brief's moment: Friday 2027-12-31 09:00 UTC, at the end of the year of data.
pub const NOW: i64 = 1_830_243_600;
pub const DAY: i64 = 86_400;
pub const WEEKS: i64 = 52;

/// The team: 200 people in 20 teams across 8 zones, one fair rotation ([`ROTATION`]).
pub fn roster() -> clinic::rotation::roster::Roster {
    synthetic_roster(200, 20, 8)
}

pub fn at(epoch: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(epoch).expect("a time")
}

fn audit(at_epoch: i64, what: &str) -> AuditEntry {
    AuditEntry::new(
        at(at_epoch),
        "bench",
        what,
        "bench",
        "seeding the bench table",
        "bench",
    )
}

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn phid(kind: &str, n: i64) -> String {
    format!("PHID-{kind}-bench{n:015}")
}

/// A task's triage state with a history of the usual length.
fn task_state(n: i64, summary: TaskSummary) -> TaskState {
    let mut state = TaskState::new(&TaskPhid::parse(&phid("TASK", n)).expect("a phid"));
    state.remember_transactions(
        (0..12)
            .map(|i| phid("XACT-TASK", n * 100 + i))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    for i in 0..4 {
        state.remember_delivery(&format!("{:064x}", n * 10 + i));
    }
    state
        .comments_posted
        .insert("missing-info".into(), format!("{:064x}", n));
    state.tags_added.insert("sre-unowned".into());
    state.last_transaction_id = (n * 100 + 11) as u64;
    state.updated_at = Some(summary.last_activity);
    state.summary = Some(summary);
    state
}

fn summary(n: i64, last: i64, needs_triage: bool, pending: bool) -> TaskSummary {
    TaskSummary {
        restricted: false,
        id: 10_000 + n as u64,
        title: format!(
            "Task {n}: something SRE clinic duty looks after, with a title of usual length"
        ),
        status: "open".into(),
        last_activity: at(last),
        clinic_duty: true,
        needs_triage,
        pending_approvals: if pending {
            vec!["#sre-access-requests: an SRE director".into()]
        } else {
            vec![]
        },
    }
}

/// What the brief reads: the people, a year of shifts, the open tasks, the year's incidents,
/// maintenances and review items.
pub async fn seed_live(store: &DynamoStore) -> usize {
    let roster = roster();
    store
        .mirror_roster(&roster, &audit(NOW - 365 * DAY, "roster.mirror"))
        .await
        .expect("roster");
    let ids: Vec<String> = roster.people().iter().map(|p| p.id.to_string()).collect();
    let mut written = ids.len();
    // A year of committed weeks, the last being next week's (the Friday job committed it).
    let mut week =
        clinic::rotation::IsoWeek::containing(at(NOW).to_zoned(jiff::tz::TimeZone::UTC).date());
    week = week.next().expect("a week");
    for i in 0..WEEKS {
        let start = week
            .monday()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .expect("a monday")
            .timestamp();
        let record = ShiftRecord {
            rotation: ROTATION.into(),
            week: week.to_string(),
            primary: Some(ids[(i as usize * 7) % ids.len()].clone()),
            backup: (i % 5 == 0).then(|| ids[(i as usize * 11 + 3) % ids.len()].clone()),
            team: None,
            start_utc: start,
            end_utc: start + jiff::SignedDuration::from_hours(24 * 5),
            relaxed: vec![],
            unstaffed_reason: None,
            overridden: None,
            committed_at: start - jiff::SignedDuration::from_hours(63),
            cause: "bench".into(),
            victorops_overrides: Vec::new(),
        };
        store
            .commit_shift(&record, &audit(NOW - i * 7 * DAY, "shift.commit"))
            .await
            .expect("shift");
        written += 2;
        week = week.previous().expect("a week");
    }
    // Open clinic-duty tasks: 20 to triage, 12 access requests, 280 others of which 200 are stale.
    for n in 0..312 {
        let (last, triage, pending) = match n {
            0..20 => (NOW - (n % 5) * DAY, true, false),
            20..32 => (NOW - (n - 15) * 2 * DAY, false, true),
            32..232 => (NOW - (15 + n) * DAY, false, false),
            _ => (NOW - (n % 13) * DAY, false, false),
        };
        let state = task_state(n, summary(n, last, triage, pending));
        let task = TaskPhid::parse(&state.task).expect("a phid");
        let holder = format!("bench-{n}");
        TriageLedger::claim(store, &task, &holder, at(last), at(last + 30))
            .await
            .expect("claim");
        assert!(
            store
                .save(&state, &[audit(last, "triage.tag")], &holder)
                .await
                .expect("save")
        );
        written += 2;
    }
    // Ten incidents a week: all resolved and closed (in the history) but three open in VictorOps and
    // two still open on Statuspage after VictorOps resolved them, written here.
    for n in (WEEKS * 10 - 5)..(WEEKS * 10) {
        let opened = NOW - 365 * DAY + n * 7 * DAY / 10;
        let (phase, on_statuspage) = if n >= WEEKS * 10 - 3 {
            (Phase::Acked, false)
        } else {
            (Phase::Resolved, true)
        };
        let record = IncidentRecord {
            number: IncidentNumber::parse(&(3000 + n).to_string()).expect("a number"),
            phase,
            routing_key: "sre".into(),
            entity_id: format!("disk-space/db{}", 1000 + n % 40),
            display_name: format!("Disk space on db{}", 1000 + n % 40),
            first_seen_at: at(opened),
            acked_by: Some("jdoe".into()),
            acked_at: Some(at(opened + 300)),
            resolved_by: (phase == Phase::Resolved).then(|| "jdoe".to_owned()),
            resolved_at: (phase == Phase::Resolved).then(|| at(opened + 3600)),
            publication: None,
            statuspage_id: on_statuspage.then(|| format!("sp{n:08}")),
            statuspage_status: on_statuspage.then(|| "identified".to_owned()),
            statuspage_closed_at: None,
            hold: None,
            version: 1,
        };
        assert!(
            store
                .save_incident(&record, &audit(opened, "incident.open"))
                .await
                .expect("incident")
        );
        written += 2;
    }
    // Five vendor maintenances a week, a fifth of them only reducing redundancy, the last ones ahead.
    for n in 0..(WEEKS * 5) {
        let start = NOW - 350 * DAY + n * 7 * DAY / 5;
        let impact = if n % 5 == 0 {
            Impact::ReducedRedundancy
        } else {
            Impact::Outage
        };
        let record = MaintenanceRecord {
            provider: ["northwind", "zayo", "lumen", "equinix"][(n % 4) as usize].into(),
            maintenance_id: format!("M-{n:05}"),
            account: "ACME".into(),
            circuits: vec![Circuit::new(format!("IC-{}", 1000 + n % 60), impact)],
            status: Status::Confirmed,
            start,
            end: start + 4 * 3600,
            stamp: start - 14 * DAY,
            sequence: 1,
            organizer: "noc@vendor.example".into(),
            uid: format!("uid-{n}"),
            summary: "Scheduled fibre maintenance on a long-haul span; expect loss of service for up to four hours.".into(),
            first_seen: at(start - 14 * DAY),
            updated_at: at(start - 14 * DAY),
            completed_at: None,
            source: NoticeSource::default(),
            notices: 1,
            acknowledged: None,
            reading: clinic::maintenance::ReadingKind::Template,
            open_ended: false,
            confirmed: None,
        };
        store
            .write_maintenance(&record, &audit(start - 14 * DAY, "maintenance.create"))
            .await
            .expect("maintenance");
        written += 2;
    }
    // A mail a week nobody could read.
    for n in 0..WEEKS {
        let item = ReviewItem {
            id: format!("review-{n:04}"),
            received_at: at(NOW - n * 7 * DAY),
            reason: "no maintenance could be read from the mail".into(),
            bucket: "clinic-inbound".into(),
            key: format!("inbound/{n:08}"),
            message_id: Some(format!("<{n}@vendor.example>")),
            from: Some("noc@unknown-vendor.example".into()),
            subject: Some(format!("Planned works notification {n}")),
            size: 24_000,
        };
        store
            .add_review(&item, &audit(NOW - n * 7 * DAY, "review.add"))
            .await
            .expect("review");
        written += 2;
    }
    written
}

/// The rest of a year: the audit log of everything the team did, closed tasks and tasks of other
/// teams, handoff mails, incident claims; none of it in an index partition the brief reads.
pub async fn seed_history(store: &DynamoStore) -> usize {
    let mut items: Vec<HashMap<String, AttributeValue>> = Vec::new();
    let why = "rule routing: the task mentions \"mariadb\"; the person on clinic duty is subscribed as the task needs triage";
    for n in 0..12_000_i64 {
        let when = at(NOW - 365 * DAY + n * 365 * DAY / 12_000);
        let day = when.to_zoned(jiff::tz::TimeZone::UTC).date();
        let stamp = when.to_string();
        items.push(HashMap::from([
            ("PK".into(), s(format!("AUDIT#{day}"))),
            ("SK".into(), s(format!("{stamp}#{n:012}"))),
            (
                "GSI1PK".into(),
                s(format!("AUDITOF#task/{}", phid("TASK", 5000 + n / 3))),
            ),
            ("GSI1SK".into(), s(stamp.clone())),
            ("id".into(), s(format!("{n:012}"))),
            ("at".into(), s(stamp)),
            ("actor".into(), s("phabricator-webhook")),
            ("action".into(), s("triage.tag")),
            (
                "subject".into(),
                s(format!("task/{}", phid("TASK", 5000 + n / 3))),
            ),
            ("why".into(), s(why)),
            ("cause".into(), s(format!("webhook:{:064x}", n))),
            (
                "details".into(),
                s(r#"{"rule":"routing","action":{"kind":"add_tag","value":"data-persistence"}}"#),
            ),
        ]));
    }
    for n in 0..4_000_i64 {
        let transactions: Vec<AttributeValue> = (0..12)
            .map(|i| s(phid("XACT-TASK", (5000 + n) * 100 + i)))
            .collect();
        let deliveries: Vec<AttributeValue> =
            (0..4).map(|i| s(format!("{:064x}", n * 10 + i))).collect();
        items.push(HashMap::from([
            ("PK".into(), s(format!("TASK#{}", phid("TASK", 5000 + n)))),
            ("SK".into(), s("STATE")),
            ("task".into(), s(phid("TASK", 5000 + n))),
            ("transactions_seen".into(), AttributeValue::L(transactions)),
            ("deliveries".into(), AttributeValue::L(deliveries)),
            (
                "summary".into(),
                AttributeValue::M(HashMap::from([
                    ("title".into(), s("A closed task, or one of another team's")),
                    ("status".into(), s("resolved")),
                ])),
            ),
        ]));
    }
    for n in 0..(WEEKS * 4) {
        items.push(HashMap::from([
            ("PK".into(), s(format!("ROTATION#{ROTATION}"))),
            (
                "SK".into(),
                s(format!(
                    "HANDOFF#2027-W{:02}#{}#person{n}@example.org",
                    n / 4 + 1,
                    ["incoming", "outgoing", "backup", "notify"][(n % 4) as usize]
                )),
            ),
            ("state".into(), s("sent")),
            (
                "message_id".into(),
                s(format!("{n:020}.bench@clinic.invalid")),
            ),
        ]));
    }
    // The year's closed incidents: in no index partition (the open ones are written by `seed_live`).
    for n in 0..(WEEKS * 10 - 5) {
        let opened = at(NOW - 365 * DAY + n * 7 * DAY / 10).to_string();
        items.push(HashMap::from([
            ("PK".into(), s(format!("INCIDENT#{}", 3000 + n))),
            ("SK".into(), s("STATE")),
            ("number".into(), s((3000 + n).to_string())),
            ("phase".into(), s("RESOLVED")),
            ("routing_key".into(), s("sre")),
            (
                "entity_id".into(),
                s(format!("disk-space/db{}", 1000 + n % 40)),
            ),
            (
                "display_name".into(),
                s(format!("Disk space on db{}", 1000 + n % 40)),
            ),
            ("first_seen_at".into(), s(opened.clone())),
            ("acked_by".into(), s("jdoe")),
            ("resolved_by".into(), s("jdoe")),
            ("resolved_at".into(), s(opened)),
            ("version".into(), AttributeValue::N("3".into())),
        ]));
    }
    for n in 0..(WEEKS * 20) {
        items.push(HashMap::from([
            ("PK".into(), s(format!("INCIDENT#{}", 3000 + n / 2))),
            (
                "SK".into(),
                s(if n % 2 == 0 {
                    "CLAIM#statuspage-create".to_owned()
                } else {
                    "CLAIM#mail-opened".to_owned()
                }),
            ),
            ("state".into(), s("done")),
            ("outcome".into(), s(format!("sp{n:08}"))),
        ]));
    }
    let written = items.len();
    store.put_all(items).await.expect("history");
    written
}

/// How the benches build the brief: two weeks to go stale, Phorge links, the mail domain for UIDs.
pub fn settings() -> BriefSettings {
    BriefSettings {
        stale_after_days: 14,
        phabricator_url: Some(HttpUrl::parse("https://phabricator.example.org").expect("url")),
        uid_domain: clinic::mail::MailDomain::parse("clinic.example.org").expect("a domain"),
        circuits: None,
    }
}
