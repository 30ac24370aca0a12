//! The brief end to end on the local stack: what the functions write (the roster mirror, committed
//! shifts, triage deliveries through a Conduit fake, incidents, maintenances, review items) comes back
//! in every section, each read a Query on a small index partition; the handoff mail carries it; the
//! status endpoint serves it behind its token, over Lambda's HTTP event and over `clinic serve`.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use clinic::adapters::dynamo::DynamoStore;
use clinic::audit::AuditEntry;
use clinic::brief::{BriefSettings, Briefing, build, render};
use clinic::functions::phabricator_webhook::PhabricatorFunction;
use clinic::functions::phabricator_webhook::status::StatusEndpoint;
use clinic::handoff::job::HandoffJob;
use clinic::http_url::HttpUrl;
use clinic::incidents::lifecycle::{IncidentNumber, IncidentRecord, Phase};
use clinic::incidents::ports::IncidentLedger;
use clinic::mail::{EmailAddress, MailError, Mailer, OutgoingMail, SentMail};
use clinic::maintenance::lifecycle::{MaintenanceRecord, NoticeSource, ReviewItem};
use clinic::maintenance::ports::MaintenanceLedger;
use clinic::maintenance::{Circuit, Impact, Status};
use clinic::rotation::ports::RosterMirror;
use clinic::rotation::roster::Roster;
use clinic::secret::Secret;
use clinic::shifts::{ShiftLedger, ShiftRecord};
use clinic::trigger::Trigger;
use clinic_tests::conduit_fake::{ConduitFake, webhook_body};
use clinic_tests::triage_rig::{HMAC_KEY, seed, shipped_rules, signed_request, webhook_on};
use clinic_tests::{fresh_counted_store, fresh_store, repo_root};
use serde_json::{Value, json};

/// Friday 2027-01-15 08:00 UTC: the weekly job hands 2027-W03 off.
const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;
const STATUS_TOKEN: &str = "status-token-for-the-tests-0001";

fn at(epoch: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(epoch).unwrap()
}

fn audit(what: &str) -> AuditEntry {
    AuditEntry::new(at(NOW - 30 * DAY), "test", what, "setup", "setup", "test")
}

fn demo_roster() -> Roster {
    let text = std::fs::read_to_string(repo_root().join("events/roster.toml")).unwrap();
    Roster::parse(&text).unwrap()
}

fn settings(fake: &ConduitFake) -> BriefSettings {
    BriefSettings {
        stale_after_days: 14,
        phabricator_url: Some(HttpUrl::parse(&fake.url()).unwrap()),
        uid_domain: clinic::mail::MailDomain::parse("clinic.example.org").expect("a domain"),
        circuits: None,
    }
}

fn shift(rotation: &str, week: &str, primary: &str, start: i64) -> ShiftRecord {
    ShiftRecord {
        rotation: rotation.into(),
        week: week.into(),
        primary: Some(primary.into()),
        backup: None,
        team: None,
        start_utc: at(start),
        end_utc: at(start + 5 * DAY),
        relaxed: vec![],
        unstaffed_reason: None,
        overridden: None,
        committed_at: at(start - 3 * DAY),
        cause: "test".into(),
        victorops_overrides: Vec::new(),
    }
}

fn incident(number: &str, phase: Phase, statuspage: Option<bool>) -> IncidentRecord {
    IncidentRecord {
        number: IncidentNumber::parse(number).unwrap(),
        phase,
        routing_key: "sre".into(),
        entity_id: format!("disk-space/db{number}"),
        display_name: format!("Disk space on db{number}"),
        first_seen_at: at(NOW - 3600),
        acked_by: (phase != Phase::Unacked).then(|| "jdoe".to_owned()),
        acked_at: None,
        resolved_by: (phase == Phase::Resolved).then(|| "jdoe".to_owned()),
        resolved_at: (phase == Phase::Resolved).then(|| at(NOW - 1800)),
        publication: None,
        statuspage_id: statuspage.map(|_| format!("sp{number}")),
        statuspage_status: statuspage.map(|_| "identified".to_owned()),
        // Some(false): the Statuspage incident was closed by a person.
        statuspage_closed_at: statuspage.filter(|open| !open).map(|_| at(NOW - 600)),
        hold: None,
        version: 1,
    }
}

/// An incident a planned downtime window held back from Statuspage, resolved inside it.
fn held(number: &str, first_seen: i64) -> IncidentRecord {
    let mut record = incident(number, Phase::Resolved, None);
    record.first_seen_at = at(first_seen);
    record.hold = Some(clinic::incidents::lifecycle::Hold {
        window: "20270115T0600-0a1b2c3d".into(),
        services: vec!["database".into()],
        until: at(first_seen + 7200),
        released_at: None,
    });
    record
}

fn maintenance(id: &str, impact: Impact, status: Status, start: i64) -> MaintenanceRecord {
    MaintenanceRecord {
        provider: "northwind".into(),
        maintenance_id: id.into(),
        account: "ACME".into(),
        circuits: vec![Circuit::new(format!("NW-{id}"), impact)],
        status,
        start,
        end: start + 4 * 3600,
        stamp: 1,
        sequence: 1,
        organizer: "noc@northwind.example".into(),
        uid: id.into(),
        summary: "Fibre splice".into(),
        first_seen: at(NOW - DAY),
        updated_at: at(NOW - DAY),
        completed_at: None,
        source: NoticeSource::default(),
        notices: 1,
        acknowledged: None,
        reading: clinic::maintenance::ReadingKind::Template,
        open_ended: false,
        confirmed: None,
    }
}

const LONG: &str = "Since 01:00 UTC about two percent of requests fail; the graphs show it clearly, details below.";

/// Tasks as people create them in Phorge, triaged by the webhook when they were created.
struct Tasks {
    needs_triage: String,
    access: String,
    stale: String,
    recent: String,
    closed: String,
    hands_off: String,
    not_clinic_duty: String,
}

async fn triage_tasks(store: &DynamoStore, fake: &ConduitFake) -> Tasks {
    let hook = webhook_on(fake, shipped_rules(), Arc::new(store.clone()));
    let create = |when: i64, title: &str, description: &str, tags: &[&str], priority: i64| {
        fake.set_now(when);
        fake.create_task("alice", title, description, tags, priority)
    };
    let deliver = |task: String, xacts: Vec<String>, when: i64| {
        let hook = &hook;
        async move {
            let body = webhook_body(&task, &xacts, when);
            let response = hook
                .handle_at(signed_request(&body, Some(HMAC_KEY)), at(when))
                .await;
            assert_eq!(response.status().as_u16(), 200, "{:?}", response.body());
            task
        }
    };
    let (t, x) = create(
        NOW - DAY,
        "Elevated 503s from the upload cluster",
        LONG,
        &["sre"],
        90,
    );
    let needs_triage = deliver(t, x, NOW - DAY).await;
    let access_text = format!("{LONG}\nNeeded by: 2027-02-01");
    let (t, x) = create(
        NOW - 20 * DAY,
        "Access to analytics for alice",
        &access_text,
        &["sre-access-requests"],
        50,
    );
    let access = deliver(t, x, NOW - 20 * DAY).await;
    let (t, x) = create(NOW - 30 * DAY, "Decommission db1001", LONG, &["sre"], 50);
    let stale = deliver(t, x, NOW - 30 * DAY).await;
    let (t, x) = create(
        NOW - 2 * DAY,
        "Renew the wildcard certificate",
        LONG,
        &["sre"],
        50,
    );
    let recent = deliver(t, x, NOW - 2 * DAY).await;
    let (t, x) = create(
        NOW - 40 * DAY,
        "An old outage, since fixed",
        LONG,
        &["sre"],
        50,
    );
    let closed = deliver(t.clone(), x, NOW - 40 * DAY).await;
    fake.set_now(NOW - 3 * DAY);
    let x = fake.set_status_as("alice", &closed, "resolved");
    deliver(t, x, NOW - 3 * DAY).await;
    let (t, x) = create(
        NOW - 30 * DAY,
        "Buy disks for the new cluster",
        LONG,
        &["sre", "procurement"],
        90,
    );
    let hands_off = deliver(t, x, NOW - 30 * DAY).await;
    let (t, x) = create(NOW - 30 * DAY, "A wiki page typo", LONG, &[], 90);
    let not_clinic_duty = deliver(t, x, NOW - 30 * DAY).await;
    Tasks {
        needs_triage,
        access,
        stale,
        recent,
        closed,
        hands_off,
        not_clinic_duty,
    }
}

/// A table with something for every section, written through the functions' own adapters.
async fn seed_world(store: &DynamoStore, fake: &ConduitFake) -> Tasks {
    store
        .mirror_roster(&demo_roster(), &audit("roster.mirror"))
        .await
        .unwrap();
    // This week (W02, Monday 2027-01-11) and the next one (W03), as committed by the weekly job.
    let monday = NOW - 4 * DAY - 8 * 3600;
    for record in [
        shift("sre-clinic", "2027-W02", "akaur", monday),
        shift("sre-clinic", "2027-W03", "bmoreau", monday + 7 * DAY),
        shift("cloud-clinic", "2027-W02", "dfischer", monday),
    ] {
        store
            .commit_shift(&record, &audit("shift.commit"))
            .await
            .unwrap();
    }
    let tasks = triage_tasks(store, fake).await;
    for record in [
        incident("2041", Phase::Acked, None),
        incident("2042", Phase::Unacked, Some(true)),
        incident("2040", Phase::Resolved, Some(true)),
        incident("2039", Phase::Resolved, None),
        incident("2038", Phase::Resolved, Some(false)),
        held("2037", NOW - 3600),
        // Held back more than a week ago: the brief has let it go.
        held("2036", NOW - 8 * DAY),
    ] {
        assert!(
            store
                .save_incident(&record, &audit("incident"))
                .await
                .unwrap()
        );
    }
    for record in [
        maintenance("1", Impact::Outage, Status::Confirmed, NOW + 4 * DAY),
        maintenance(
            "2",
            Impact::ReducedRedundancy,
            Status::Confirmed,
            NOW + 5 * DAY,
        ),
        maintenance("3", Impact::Outage, Status::Cancelled, NOW + 6 * DAY),
        maintenance("4", Impact::Outage, Status::Confirmed, NOW + 30 * DAY),
        maintenance("5", Impact::Degraded, Status::Confirmed, NOW - 2 * DAY),
    ] {
        store
            .write_maintenance(&record, &audit("maintenance"))
            .await
            .unwrap();
    }
    let review = ReviewItem {
        id: "r1".into(),
        received_at: at(NOW - 3 * DAY),
        reason: "no maintenance could be read from the mail".into(),
        bucket: "inbound".into(),
        key: "mail/r1".into(),
        message_id: None,
        from: Some("noc@unknown.example".into()),
        subject: Some("Planned works".into()),
        size: 1200,
    };
    store.add_review(&review, &audit("review")).await.unwrap();
    tasks
}

fn phids(lines: &[clinic::brief::TaskLine]) -> Vec<String> {
    lines.iter().map(|t| t.phid.clone()).collect()
}

#[tokio::test]
async fn an_empty_table_gives_a_brief_that_says_nothing_in_every_section_in_twelve_reads() {
    let (store, requests) = fresh_counted_store("brief-empty").await;
    requests.take();
    let settings = BriefSettings {
        stale_after_days: 14,
        phabricator_url: None,
        uid_domain: clinic::mail::MailDomain::parse("clinic.example.org").expect("a domain"),
        circuits: None,
    };
    let brief = build(&store, &settings, at(NOW)).await.unwrap();
    assert!(brief.duty.is_empty());
    for empty in [
        brief.needs_triage.total,
        brief.stale.total,
        brief.access_requests.total,
        brief.open_incidents.total,
        brief.statuspage_after_resolution.total,
        brief.maintenance.total,
        brief.mail_review.total,
    ] {
        assert_eq!(empty, 0);
    }
    let text = render::text(&brief, None);
    assert_eq!(text.matches("  nothing\n").count(), 9, "{text}");
    // The roster's rotations (none: no roster mirrored), the notice board, three task lists (the stale open tasks as
    // their oldest rows and a count), two incident lists, the incidents held back by planned
    // downtime, two maintenance months, the review list.
    let mut sent = requests.take();
    sent.sort_unstable();
    assert_eq!(
        sent,
        [vec!["GetItem"; 2], vec!["Query"; 10]].concat(),
        "{sent:?}"
    );
}

#[tokio::test]
async fn every_section_shows_what_the_functions_wrote_and_nothing_else() {
    let (store, requests) = fresh_counted_store("brief-full").await;
    let fake = ConduitFake::start().await;
    seed(&fake, &shipped_rules());
    let tasks = seed_world(&store, &fake).await;
    requests.take();

    let brief = build(&store, &settings(&fake), at(NOW)).await.unwrap();
    // On top of the empty table's reads: the two rotations' shifts, and the people they name in
    // one read by key.
    let mut sent = requests.take();
    sent.sort_unstable();
    assert_eq!(
        sent,
        [
            vec!["BatchGetItem", "GetItem", "GetItem"],
            vec!["Query"; 12]
        ]
        .concat(),
        "{sent:?}"
    );

    let sre = brief
        .duty
        .iter()
        .find(|d| d.rotation == "sre-clinic")
        .unwrap();
    let on_duty = |w: &Option<clinic::brief::DutyWeek>| {
        w.as_ref()
            .and_then(|w| w.on_duty.as_ref())
            .map(|p| p.id.clone())
    };
    assert_eq!(on_duty(&sre.current).as_deref(), Some("akaur"));
    assert_eq!(on_duty(&sre.next).as_deref(), Some("bmoreau"));
    let cloud = brief
        .duty
        .iter()
        .find(|d| d.rotation == "cloud-clinic")
        .unwrap();
    assert_eq!(on_duty(&cloud.current).as_deref(), Some("dfischer"));
    assert!(cloud.next.is_none());

    assert_eq!(
        phids(&brief.needs_triage.items),
        vec![tasks.needs_triage.clone()]
    );
    assert_eq!(
        phids(&brief.access_requests.items),
        vec![tasks.access.clone()]
    );
    assert_eq!(
        brief.access_requests.items[0].pending_approvals,
        vec![
            "#sre-access-requests: the requester's manager",
            "#sre-access-requests: an SRE director"
        ]
    );
    // Stale: untouched for more than 14 days, oldest first; closed, hands-off and other tasks never.
    assert_eq!(
        phids(&brief.stale.items),
        vec![tasks.stale.clone(), tasks.access.clone()]
    );
    let listed: Vec<String> = [&brief.needs_triage, &brief.stale, &brief.access_requests]
        .iter()
        .flat_map(|s| phids(&s.items))
        .collect();
    for absent in [
        &tasks.recent,
        &tasks.closed,
        &tasks.hands_off,
        &tasks.not_clinic_duty,
    ] {
        assert!(!listed.contains(absent), "{absent} is listed");
    }
    let url = brief.needs_triage.items[0].url.clone().unwrap();
    assert!(url.starts_with(&fake.url()) && url.contains("/T"), "{url}");

    let numbers = |s: &clinic::brief::Section<clinic::brief::IncidentLine>| {
        s.items.iter().map(|i| i.number.clone()).collect::<Vec<_>>()
    };
    let mut open = numbers(&brief.open_incidents);
    open.sort();
    assert_eq!(open, vec!["2041", "2042"]);
    assert_eq!(numbers(&brief.statuspage_after_resolution), vec!["2040"]);
    assert_eq!(numbers(&brief.held_incidents), vec!["2037"]);

    let ids: Vec<&str> = brief
        .maintenance
        .items
        .iter()
        .map(|m| m.maintenance_id.as_str())
        .collect();
    assert_eq!(ids, vec!["1"]);
    assert_eq!(brief.mail_review.total, 1);

    let text = render::text(&brief, None);
    assert!(!text.contains("nothing"), "{text}");
    assert!(text.contains("Mail that needs review (1)"), "{text}");
}

#[tokio::test]
async fn a_task_a_person_closes_or_approves_leaves_its_list() {
    let store = fresh_store("brief-leaves").await;
    let fake = ConduitFake::start().await;
    seed(&fake, &shipped_rules());
    let tasks = seed_world(&store, &fake).await;
    let hook = webhook_on(&fake, shipped_rules(), Arc::new(store.clone()));
    fake.set_now(NOW - 600);
    let mut xacts = fake.comment_as("mgr-ops", &tasks.access, "Approved");
    xacts.extend(fake.comment_as("sre-director", &tasks.access, "approved, thanks"));
    let closed = fake.set_status_as("alice", &tasks.needs_triage, "resolved");
    for (task, xacts) in [(&tasks.access, xacts), (&tasks.needs_triage, closed)] {
        let body = webhook_body(task, &xacts, NOW - 600);
        let response = hook
            .handle_at(signed_request(&body, Some(HMAC_KEY)), at(NOW - 600))
            .await;
        assert_eq!(response.status().as_u16(), 200);
    }
    let brief = build(&store, &settings(&fake), at(NOW)).await.unwrap();
    assert!(
        brief.access_requests.is_empty(),
        "{:?}",
        brief.access_requests
    );
    assert!(brief.needs_triage.is_empty(), "{:?}", brief.needs_triage);
    // The approvals were a person's activity: the request is no longer stale either.
    assert_eq!(phids(&brief.stale.items), vec![tasks.stale]);
}

#[tokio::test]
async fn a_listed_task_is_indexed_by_its_small_list_row_and_its_state_carries_no_index_keys() {
    let store = fresh_store("brief-rows").await;
    let fake = ConduitFake::start().await;
    seed(&fake, &shipped_rules());
    seed_world(&store, &fake).await;
    let items = store
        .client()
        .scan()
        .table_name(store.table().as_str())
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let text =
        |item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
         name: &str| {
            item.get(name)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
    let tasks: Vec<_> = items
        .iter()
        .filter(|item| text(item, "PK").starts_with("TASK#"))
        .collect();
    let listed: Vec<_> = tasks
        .iter()
        .filter(|item| text(item, "GSI1PK").starts_with("TASKS#"))
        .collect();
    assert!(
        listed.len() >= 4,
        "the world lists its open tasks: {tasks:?}"
    );
    for item in &listed {
        assert_eq!(text(item, "SK"), "LISTED", "{item:?}");
        // The row carries what a list shows, not the state's remembered ids.
        assert!(!item.contains_key("transactions_seen"), "{item:?}");
        assert!(!item.contains_key("deliveries"), "{item:?}");
    }
    assert!(
        tasks
            .iter()
            .filter(|item| text(item, "SK") == "STATE")
            .all(|item| !item.contains_key("GSI1PK")),
        "{tasks:?}"
    );
}

#[tokio::test]
async fn a_roster_mirrored_before_the_rotations_names_were_kept_is_mirrored_again_with_them() {
    use clinic::brief::BriefSource;
    let store = fresh_store("brief-names").await;
    assert_eq!(store.rotation_names().await.unwrap(), Some(vec![]));
    assert!(
        store
            .mirror_roster(&demo_roster(), &audit("roster.mirror"))
            .await
            .unwrap()
    );
    let names = Some(vec!["cloud-clinic".to_owned(), "sre-clinic".to_owned()]);
    assert_eq!(store.rotation_names().await.unwrap(), names);
    // The same roster again writes nothing.
    assert!(
        !store
            .mirror_roster(&demo_roster(), &audit("roster.mirror"))
            .await
            .unwrap()
    );
    // As an older version left it: the fingerprint, no names. The brief reads the people instead,
    // and the next mirror writes the names although the roster did not change.
    store
        .client()
        .update_item()
        .table_name(store.table().as_str())
        .key(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S("ROSTER".into()),
        )
        .key(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S("META".into()),
        )
        .update_expression("REMOVE rotations")
        .send()
        .await
        .unwrap();
    assert_eq!(store.rotation_names().await.unwrap(), None);
    let brief = build(
        &store,
        &BriefSettings {
            stale_after_days: 14,
            phabricator_url: None,
            uid_domain: clinic::mail::MailDomain::parse("clinic.example.org").expect("a domain"),
            circuits: None,
        },
        at(NOW),
    )
    .await
    .unwrap();
    let rotations: Vec<&str> = brief.duty.iter().map(|d| d.rotation.as_str()).collect();
    assert_eq!(rotations, ["cloud-clinic", "sre-clinic"]);
    assert!(
        store
            .mirror_roster(&demo_roster(), &audit("roster.mirror"))
            .await
            .unwrap()
    );
    assert_eq!(store.rotation_names().await.unwrap(), names);
}

/// The brief reads the long open list as its oldest rows and a count (one limited Query, one Select
/// COUNT): the same rows, in the same order, as reading it whole, and the same total.
#[tokio::test]
async fn the_oldest_rows_of_a_long_task_list_and_its_count_agree_with_reading_it_whole() {
    use clinic::triage::model::TaskPhid;
    use clinic::triage::ports::{TaskIndex, TaskList, TaskState, TaskSummary, TriageLedger};
    let store = fresh_store("brief-oldest").await;
    for n in 0..40_i64 {
        let task = TaskPhid::parse(&format!("PHID-TASK-oldest{n:014}")).unwrap();
        let mut state = TaskState::new(&task);
        // 30 idle for 20 to 49 days, in shuffled order; 10 touched yesterday.
        let idle = if n < 30 { 20 + (n * 7) % 30 } else { 1 };
        let last = at(NOW - idle * DAY);
        state.summary = Some(TaskSummary {
            restricted: false,
            id: 500 + n as u64,
            title: format!("Task {n}"),
            status: "open".into(),
            last_activity: last,
            clinic_duty: true,
            needs_triage: false,
            pending_approvals: vec![],
        });
        let holder = format!("seed-{n}");
        TriageLedger::claim(&store, &task, &holder, last, at(NOW + 60))
            .await
            .unwrap();
        assert!(
            store
                .save(&state, &[audit("triage")], &holder)
                .await
                .unwrap()
        );
    }
    let cutoff = Some(at(NOW - 14 * DAY));
    let whole = store.listed(TaskList::Open, cutoff).await.unwrap();
    assert_eq!(whole.len(), 30);
    let idle: Vec<i64> = whole
        .iter()
        .map(|t| (NOW - t.summary.last_activity.as_second()) / DAY)
        .collect();
    assert!(
        idle.windows(2).all(|w| w[0] >= w[1]),
        "oldest first: {idle:?}"
    );
    for limit in [0, 1, 25, 30, 100] {
        let (rows, total) = store
            .oldest_listed(TaskList::Open, cutoff, limit)
            .await
            .unwrap();
        assert_eq!(total, 30, "limit {limit}");
        assert_eq!(rows, whole[..limit.min(30)].to_vec(), "limit {limit}");
    }
    let (rows, total) = store.oldest_listed(TaskList::Open, None, 25).await.unwrap();
    assert_eq!((rows.len(), total), (25, 40));
}

/// Keeps every mail instead of sending it.
#[derive(Default)]
struct Outbox(Mutex<Vec<OutgoingMail>>);

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: &OutgoingMail, _raw: Vec<u8>) -> Result<SentMail, MailError> {
        self.0.lock().unwrap().push(mail.clone());
        Ok(SentMail {
            provider_message_id: format!("outbox-{}", self.0.lock().unwrap().len()),
        })
    }
}

/// The weekly job with the brief in its mails, delivering into `outbox`, and its trigger at `NOW`.
fn briefed_handoff(
    store: &DynamoStore,
    fake: &ConduitFake,
    outbox: &Arc<Outbox>,
    event: &str,
) -> (HandoffJob<DynamoStore>, Trigger) {
    let job = HandoffJob::new(
        store.clone(),
        outbox.clone(),
        demo_roster(),
        EmailAddress::parse("clinic@example.net").unwrap(),
        60,
    )
    .with_briefing(Briefing::new(Arc::new(store.clone()), settings(fake)));
    let trigger = Trigger {
        event_id: event.into(),
        time: at(NOW),
        dry_run: false,
    };
    (job, trigger)
}

#[tokio::test]
async fn the_handoff_mail_carries_the_brief_in_both_parts_with_times_in_the_readers_zone() {
    let store = fresh_store("brief-mail").await;
    let fake = ConduitFake::start().await;
    seed(&fake, &shipped_rules());
    seed_world(&store, &fake).await;
    let outbox = Arc::new(Outbox::default());
    let (job, trigger) = briefed_handoff(&store, &fake, &outbox, "brief-mail-1");
    job.run(&trigger).await.unwrap();
    let mails = outbox.0.lock().unwrap().clone();
    let to = |address: &str| {
        mails
            .iter()
            .find(|m| m.to[0].address.as_str() == address)
            .cloned()
            .unwrap_or_else(|| panic!("no mail to {address}"))
    };
    let incoming = to("bmoreau@example.net");
    for part in [&incoming.text, &incoming.html] {
        for heading in [
            "Phabricator tasks that need triage (1)",
            "Access requests waiting for approvals (1)",
            "VictorOps incidents open (2)",
            "Statuspage incidents still open after VictorOps resolved them (1)",
            "Vendor maintenance affecting service in the next 14 days (1)",
            "Mail that needs review (1)",
        ] {
            assert!(part.contains(heading), "{heading} missing from\n{part}");
        }
    }
    assert!(
        incoming.html.contains("<a href=\"http://"),
        "{}",
        incoming.html
    );
    // bmoreau lives in Europe/Paris: the maintenance window in CET too; the notify list reads UTC only.
    assert!(incoming.text.contains(" CET)"), "{}", incoming.text);
    let notify = to("sre-team@example.net");
    assert!(notify.text.contains("Mail that needs review (1)"));
    assert!(!notify.text.contains(" CET)"), "{}", notify.text);
}

/// A run commits every rotation's week before the first mail goes out, so that the brief of the first
/// rotation's mails already names the week the second rotation hands off.
#[tokio::test]
async fn every_handoff_mail_of_a_run_names_the_coming_week_of_every_rotation() {
    let store = fresh_store("brief-order").await;
    let fake = ConduitFake::start().await;
    seed(&fake, &shipped_rules());
    let outbox = Arc::new(Outbox::default());
    let (job, trigger) = briefed_handoff(&store, &fake, &outbox, "brief-order-1");
    let report = job.run(&trigger).await.unwrap();
    let rotations: Vec<&str> = report
        .rotations
        .iter()
        .map(|r| r.rotation.as_str())
        .collect();
    assert_eq!(rotations.len(), 2, "{rotations:?}");
    let mails = outbox.0.lock().unwrap().clone();
    assert!(mails.len() >= 4, "{} mails", mails.len());
    for mail in &mails {
        for rotation in &rotations {
            let line = format!("{rotation}: Next week 2027-W03: ");
            assert!(
                mail.text.contains(&line),
                "the mail to {} lacks {line:?}:\n{}",
                mail.to[0].address.as_str(),
                mail.text
            );
        }
        assert!(
            !mail.text.contains("Next week: not handed off yet"),
            "{}",
            mail.text
        );
    }
}

fn api_gateway_get(path: &str, query: &str, headers: Value) -> Value {
    json!({
        "version": "2.0", "routeKey": format!("GET {path}"), "rawPath": path, "rawQueryString": query,
        "headers": headers,
        "requestContext": { "accountId": "123456789012", "apiId": "abc", "domainName": "abc.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc", "http": { "method": "GET", "path": path, "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.1", "userAgent": "curl" }, "requestId": "r1", "routeKey": format!("GET {path}"), "stage": "$default",
            "time": "15/Jan/2027:08:00:00 +0000", "timeEpoch": 1800000000000_i64 },
        "isBase64Encoded": false
    })
}

async fn status_function(store: &DynamoStore, fake: &ConduitFake) -> PhabricatorFunction {
    let webhook = webhook_on(fake, shipped_rules(), Arc::new(store.clone()));
    let status = StatusEndpoint::new(
        Briefing::new(Arc::new(store.clone()), settings(fake)),
        Secret::new(STATUS_TOKEN),
    );
    PhabricatorFunction::new(webhook, Arc::new(store.clone()), Some(status))
}

#[tokio::test]
async fn get_status_on_lambda_answers_only_its_token_with_json_html_or_the_rotation_feed() {
    let store = fresh_store("brief-status").await;
    let fake = ConduitFake::start().await;
    seed(&fake, &shipped_rules());
    seed_world(&store, &fake).await;
    let function = status_function(&store, &fake).await;
    let call = |path: &str, query: &str, headers: Value| {
        let event = api_gateway_get(path, query, headers);
        let function = &function;
        async move { function.dispatch(event).await.unwrap() }
    };

    for refused in [
        call("/status", "", json!({})).await,
        call(
            "/status",
            "",
            json!({ "authorization": "Bearer wrong-token-of-some-length" }),
        )
        .await,
        call(
            "/status",
            "",
            json!({ "authorization": format!("Basic {STATUS_TOKEN}") }),
        )
        .await,
        // The token in the URL is for the calendar feed only.
        call("/status", &format!("token={STATUS_TOKEN}"), json!({})).await,
        call("/status/rotation.ics", "token=wrong", json!({})).await,
    ] {
        assert_eq!(refused["statusCode"], 401, "{refused}");
        assert!(!refused["body"].as_str().unwrap().contains("akaur"));
    }
    let bearer = format!("Bearer {STATUS_TOKEN}");
    let as_json = call(
        "/status",
        "",
        json!({ "authorization": bearer, "accept": "application/json" }),
    )
    .await;
    assert_eq!(as_json["statusCode"], 200, "{as_json}");
    assert_eq!(as_json["headers"]["cache-control"], "no-store");
    let brief: Value = serde_json::from_str(as_json["body"].as_str().unwrap()).unwrap();
    assert_eq!(brief["needs_triage"]["total"], 1);
    assert_eq!(brief["mail_review"]["total"], 1);

    let page = call(
        "/status",
        "tz=Asia%2FTokyo",
        json!({ "authorization": bearer }),
    )
    .await;
    assert_eq!(page["statusCode"], 200);
    assert!(
        page["headers"]["content-type"]
            .as_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page["body"].as_str().unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains(" JST)"),
        "{html}"
    );

    let bad_zone = call(
        "/status",
        "tz=Mars%2FOlympus",
        json!({ "authorization": bearer }),
    )
    .await;
    assert_eq!(bad_zone["statusCode"], 400);

    let feed = call(
        "/status/rotation.ics",
        &format!("token={STATUS_TOKEN}"),
        json!({}),
    )
    .await;
    assert_eq!(feed["statusCode"], 200, "{feed}");
    assert!(
        feed["headers"]["content-type"]
            .as_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    assert!(
        feed["body"]
            .as_str()
            .unwrap()
            .starts_with("BEGIN:VCALENDAR\r\n")
    );
    // The handler builds the feed for the clock; at the tests' moment it holds the committed weeks.
    let ics = clinic::brief::duty_calendar::build(
        &store,
        at(NOW),
        &clinic::mail::MailDomain::parse("clinic.example.org").unwrap(),
    )
    .await
    .unwrap()
    .replace("\r\n ", "");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");
    assert!(
        ics.contains("UID:duty-sre-clinic-2027-W03@clinic.example.org"),
        "{ics}"
    );
    assert!(
        ics.contains("SUMMARY:sre-clinic: Bruno Moreau (traffic\\, Europe/Paris) on duty"),
        "{ics}"
    );
}

#[tokio::test]
async fn clinic_serve_serves_get_status_beside_the_webhook() {
    let store = fresh_store("brief-serve").await;
    let fake = ConduitFake::start().await;
    seed(&fake, &shipped_rules());
    seed_world(&store, &fake).await;
    let function = status_function(&store, &fake).await;
    let served = clinic_tests::Served::start(function.routes().clone()).await;
    let client = reqwest::Client::new();
    let url = format!("http://{}/status", served.address);
    assert_eq!(
        client.get(&url).send().await.unwrap().status().as_u16(),
        401
    );
    let answer = client
        .get(&url)
        .bearer_auth(STATUS_TOKEN)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let brief: Value = answer.json().await.unwrap();
    // The brief is built for the clock, not the tests' NOW: the duty is there, whatever the week.
    assert!(
        brief["duty"].as_array().is_some_and(|d| d.len() == 2),
        "{brief}"
    );
    let post = client
        .post(&url)
        .bearer_auth(STATUS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 405);
    served.stop().await;
}
