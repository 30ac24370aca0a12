//! VictorOps kept in step with the rotation, against the local stack (moto: DynamoDB, SES) and the
//! VictorOps API fake: the weekly job's scheduled overrides, repeats and concurrent runs, overrides
//! and swaps in Clinic, failures, a lost answer, a 429, and the drift check with its weekly notice.

use std::sync::Arc;
use std::time::Duration;

use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::pacing::Pacing;
use clinic::adapters::ses::SesMailer;
use clinic::adapters::victorops::VictorOpsApiSettings;
use clinic::adapters::victorops::VictorOpsClient;
use clinic::audit::AuditLog;
use clinic::handoff::job::{HandoffJob, JobError, MailOutcome};
use clinic::http_url::HttpUrl;
use clinic::mail::EmailAddress;
use clinic::oncall::ports::{OnCallLedger, SyncStatus};
use clinic::oncall::{SyncOutcome, VictorOpsSync};
use clinic::rotation::roster::{PersonId, Roster};
use clinic::secret::Secret;
use clinic::shifts::overrides::{Operator, set_override, swap_weeks};
use clinic::shifts::{ShiftLedger, ShiftRecord};
use clinic::trigger::Trigger;
use clinic_tests::victorops_api_fake::{FakePolicy, FakeSetup, VictorOpsApiFake};
use clinic_tests::{fresh_store, received_mail, verified_sender};

const SENDER: &str = "clinic@oncall-tests.example.org";
const TEAM: &str = "team-Xq2hV7bRk3LmN8pA";
const POLICY: &str = "pol-3hV8nL2pQ6sD9wKe";
const API_ID: &str = "org-test-id";
const API_KEY: &str = "vo-test-key-0001";
/// Friday 2027-01-01 09:00 UTC: the coming week is 2027-W01.
const FRIDAY: &str = "2027-01-01T09:00:00Z";

/// Four people of the `ops` rotation, each with a VictorOps user name `<id>.vo`; addresses are
/// unique to the test (`domain`) so tests sharing the local SES can tell their mails apart.
fn roster_text(domain: &str, linked: bool) -> String {
    let person = |id: &str, team: &str, tz: &str, country: &str, previous: u32| {
        format!(
            "[[people]]\nid = \"{id}\"\nname = \"{id} Person\"\nemail = \"{id}@{domain}\"\nteam = \"{team}\"\n\
             timezone = \"{tz}\"\nholidays = \"{country}\"\nrole = \"engineer\"\nrotations = [\"ops\"]\n\
             previous_duties = {previous}\nabsences = []\nvictorops_user = \"{id}.vo\"\n\n"
        )
    };
    let link = if linked {
        format!("victorops = {{ team = \"{TEAM}\", policies = [\"{POLICY}\"] }}\n")
    } else {
        String::new()
    };
    let mut text = format!(
        "[rotations.ops]\nstyle = \"fair\"\nmin_working_days = 3\navoid_same_person = true\navoid_same_team = true\n\
         first_duty_backup = true\nbackup_max_offset_hours = 3\nnotify = [\"team@{domain}\"]\n{link}\n"
    );
    text.push_str(&person("alice", "red", "Europe/Berlin", "DE", 4));
    text.push_str(&person("bruno", "blue", "Europe/Rome", "IT", 2));
    text.push_str(&person("carla", "green", "Europe/Madrid", "ES", 0));
    text.push_str(&person("dmitri", "red", "Europe/Warsaw", "PL", 5));
    text
}

fn roster(domain: &str) -> Roster {
    Roster::parse(&roster_text(domain, true)).expect("test roster is valid")
}

/// VictorOps' own rotation pages two people who are not in Clinic's roster, turn about, handing
/// over on Mondays at 09:00 UTC: every Clinic week differs from it, and a Clinic shift (Monday
/// 00:00 to Friday in the person's zone) spans two of its rolls.
fn setup() -> FakeSetup {
    FakeSetup {
        now: FRIDAY.parse().unwrap(),
        team_slug: TEAM.into(),
        team_name: "SRE".into(),
        policies: vec![FakePolicy {
            slug: POLICY.into(),
            name: "SRE clinic duty".into(),
            anchor: "2026-12-28T09:00:00Z".parse().unwrap(),
            hours: 168,
            users: vec!["nadia".into(), "omar".into()],
        }],
        other_users: ["alice", "bruno", "carla", "dmitri"]
            .iter()
            .map(|id| format!("{id}.vo"))
            .collect(),
    }
}

fn trigger(id: &str, time: &str) -> Trigger {
    Trigger {
        event_id: id.to_owned(),
        time: time.parse().unwrap(),
        dry_run: false,
    }
}

struct Rig {
    store: DynamoStore,
    fake: VictorOpsApiFake,
    sync: Arc<VictorOpsSync>,
    job: HandoffJob<DynamoStore>,
    roster: Roster,
    domain: String,
}

fn sync_for(store: &DynamoStore, fake: &VictorOpsApiFake) -> Arc<VictorOpsSync> {
    let settings = VictorOpsApiSettings {
        url: HttpUrl::parse(&fake.base_url()).unwrap(),
        api_id: API_ID.into(),
        api_key: Secret::new(API_KEY),
    };
    // Fast pacing: the tests measure behaviour, not VictorOps' limits.
    let pacing = Pacing {
        min_interval: Duration::from_millis(5),
        first_backoff: Duration::from_millis(20),
        max_attempts: 4,
    };
    Arc::new(VictorOpsSync::new(
        Arc::new(VictorOpsClient::new(&settings, pacing)),
        Arc::new(store.clone()),
        60,
    ))
}

impl Rig {
    /// What the CLI does after an override (`verify` false) or in `clinic rotation sync` (true).
    async fn resync(
        &self,
        shift: &ShiftRecord,
        cause: &str,
        verify: bool,
    ) -> clinic::oncall::WeekSync {
        let clock = FRIDAY.parse().unwrap();
        self.sync
            .keep_in_step(&self.roster, shift, clock, who(cause), verify)
            .await
            .unwrap()
    }
}

async fn rig(name: &str) -> Rig {
    let domain = format!("{name}.oncall.example.org");
    let store = fresh_store(&format!("oncall-{name}")).await;
    let fake = VictorOpsApiFake::start(API_ID, API_KEY, setup()).await;
    let sync = sync_for(&store, &fake);
    let roster = roster(&domain);
    let ses = verified_sender(SENDER).await;
    let job = HandoffJob::new(
        store.clone(),
        Arc::new(SesMailer::new(ses)),
        roster.clone(),
        EmailAddress::parse(SENDER).unwrap(),
        60,
    )
    .with_victorops(sync.clone());
    Rig {
        store,
        fake,
        sync,
        job,
        roster,
        domain,
    }
}

async fn shift(store: &DynamoStore, week: &str) -> ShiftRecord {
    store
        .shifts("ops")
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.week == week)
        .unwrap_or_else(|| panic!("{week} is committed"))
}

/// Asserts VictorOps pages `username` all through `[start, end)`, looking every half hour.
fn assert_paged(
    fake: &VictorOpsApiFake,
    username: &str,
    start: jiff::Timestamp,
    end: jiff::Timestamp,
) {
    let mut t = start;
    while t < end {
        assert_eq!(
            fake.paged_at(POLICY, t).as_deref(),
            Some(username),
            "VictorOps pages someone else at {t}"
        );
        t += jiff::SignedDuration::from_mins(30);
    }
}

/// Asserts VictorOps pages the shift's person (as `<id>.vo`) all through the shift.
fn assert_shift_paged(fake: &VictorOpsApiFake, shift: &ShiftRecord) {
    let person = shift.primary.as_deref().expect("someone is on duty");
    assert_paged(
        fake,
        &format!("{person}.vo"),
        shift.start_utc,
        shift.end_utc,
    );
}

/// Audit actions caused by `cause`, in order.
async fn actions(store: &DynamoStore, cause: &str) -> Vec<String> {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    store
        .list(today.yesterday().unwrap(), today.tomorrow().unwrap(), 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.cause == cause)
        .map(|e| e.action)
        .collect()
}

/// Mails the local SES accepted for `address` whose subject contains `subject`.
async fn mails(address: &str, subject: &str) -> usize {
    received_mail()
        .await
        .into_iter()
        .filter(|m| m.destinations.iter().any(|d| d == address))
        .filter(|m| m.raw.contains(subject))
        .count()
}

fn who<'a>(cause: &'a str) -> Operator<'a> {
    Operator {
        actor: "cli:test",
        cause,
        at: jiff::Timestamp::now(),
    }
}

#[tokio::test]
async fn committing_a_shift_creates_the_overrides_that_put_its_person_on_call_in_victorops() {
    let rig = rig("create").await;
    let report = rig.job.run(&trigger("evt-create", FRIDAY)).await.unwrap();
    let vo = report.rotations[0]
        .victorops
        .clone()
        .expect("ops is linked");
    assert_eq!(vo.weeks.len(), 1);
    assert_eq!(vo.weeks[0].outcome, SyncOutcome::InStep);

    let shift = shift(&rig.store, "2027-W01").await;
    let username = format!("{}.vo", shift.primary.clone().unwrap());
    // The shift spans two rolls of VictorOps' rotation: one override of each person it has.
    assert_eq!(vo.weeks[0].created.len(), 2, "{vo:?}");
    assert_paged(&rig.fake, &username, shift.start_utc, shift.end_utc);
    // Outside the shift VictorOps' rotation pages as before: Clinic edited no rotation.
    let after = shift.end_utc + jiff::SignedDuration::from_mins(1);
    assert_eq!(rig.fake.paged_at(POLICY, after).as_deref(), Some("omar"));
    assert_eq!(rig.fake.count("PUT", "/v1/team"), 0);
    assert_eq!(rig.fake.count("PATCH", ""), 0);

    // The override ids are recorded with the shift, and are what VictorOps has.
    let mut recorded = shift.victorops_overrides.clone();
    recorded.sort();
    assert_eq!(
        recorded,
        rig.fake.override_ids().into_iter().collect::<Vec<_>>()
    );
    let posts: Vec<_> = rig
        .fake
        .calls()
        .into_iter()
        .filter(|c| c.method == "POST")
        .collect();
    assert_eq!(posts.len(), 2);
    // The request has the published shape: the overridden user, the person's zone, the window.
    assert_eq!(posts[0].body["username"], "nadia");
    assert_eq!(posts[0].body["start"], shift.start_utc.to_string());
    assert!(posts[0].body["timezone"].as_str().unwrap().contains('/'));
    assert_eq!(rig.fake.count("PUT", &format!("/assignments/{POLICY}")), 2);

    let done = actions(&rig.store, "evt-create").await;
    let count = |a: &str| done.iter().filter(|x| *x == a).count();
    assert_eq!(count("victorops.override.create"), 2, "{done:?}");
    assert_eq!(count("victorops.override.assign"), 2, "{done:?}");
    let record = &rig.store.syncs("ops").await.unwrap()[0];
    assert_eq!(record.status, SyncStatus::InStep);
    assert_eq!(record.target.as_ref().unwrap().username, username);
}

#[tokio::test]
async fn a_repeated_run_creates_no_second_override_and_leaves_victorops_alone() {
    let rig = rig("repeat").await;
    rig.job.run(&trigger("evt-r1", FRIDAY)).await.unwrap();
    let before = rig.fake.override_ids();
    let posts = rig.fake.count("POST", "/v1/overrides");

    // The same event again is answered from the idempotency record; another event for the same
    // week finds the week in step and calls VictorOps only for the drift check.
    let again = rig.job.run(&trigger("evt-r1", FRIDAY)).await.unwrap();
    assert!(again.repeated_event);
    let schedules = rig.fake.count("GET", "/oncall/schedule");
    let other = rig
        .job
        .run(&trigger("evt-r2", "2027-01-01T10:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        rig.fake.count("GET", "/oncall/schedule"),
        schedules + 1,
        "only the drift check reads the schedule"
    );
    let vo = other.rotations[0].victorops.clone().unwrap();
    assert_eq!(vo.weeks[0].outcome, SyncOutcome::AlreadyInStep);
    assert_eq!(rig.fake.override_ids(), before);
    assert_eq!(rig.fake.count("POST", "/v1/overrides"), posts);
    assert_eq!(rig.fake.count("DELETE", ""), 0);
    assert_eq!(rig.fake.count("GET", "/v1/overrides"), 0);
}

#[tokio::test]
async fn ten_concurrent_runs_create_each_override_once() {
    let rig = rig("concurrent").await;
    let job = Arc::new(rig.job);
    let mut tasks = Vec::new();
    for n in 0..10 {
        let job = job.clone();
        // A run that finds the week held by another is not done: it fails retryable, and Lambda
        // runs it again, as here, until it succeeds.
        tasks.push(tokio::spawn(async move {
            let trigger = trigger(&format!("evt-c{n}"), FRIDAY);
            let mut pending = 0;
            loop {
                match job.run(&trigger).await {
                    Ok(report) => return (report, pending),
                    Err(e) if e.is_retryable() && pending < 20 => {
                        pending += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    }
                    Err(e) => panic!("run failed for good: {e}"),
                }
            }
        }));
    }
    for task in tasks {
        let (report, _) = task.await.unwrap();
        let outcome = &report.rotations[0].victorops.as_ref().unwrap().weeks[0].outcome;
        assert!(
            matches!(outcome, SyncOutcome::InStep | SyncOutcome::AlreadyInStep),
            "{outcome:?}"
        );
    }
    assert_eq!(rig.fake.count("POST", "/v1/overrides"), 2);
    assert_eq!(rig.fake.override_ids().len(), 2);
    let shift = shift(&rig.store, "2027-W01").await;
    assert_eq!(shift.victorops_overrides.len(), 2);
    assert_shift_paged(&rig.fake, &shift);
}

#[tokio::test]
async fn an_override_in_clinic_replaces_the_victorops_overrides_and_both_are_audited() {
    let rig = rig("replace").await;
    rig.job.run(&trigger("evt-p", FRIDAY)).await.unwrap();
    let before = shift(&rig.store, "2027-W01").await;
    let old_ids = rig.fake.override_ids();
    let planned = before.primary.clone().unwrap();
    let other = ["alice", "bruno", "carla", "dmitri"]
        .into_iter()
        .find(|p| *p != planned)
        .unwrap();

    // What `clinic rotation override` does: record the override, then bring VictorOps along.
    let week = "2027-W01".parse().unwrap();
    let person = PersonId::parse(other).unwrap();
    set_override(
        &rig.store,
        &rig.roster,
        "ops",
        week,
        &person,
        "sick leave",
        who("cli:ovr"),
    )
    .await
    .unwrap();
    let rewritten = shift(&rig.store, "2027-W01").await;
    let outcome = rig.resync(&rewritten, "cli:ovr", false).await;
    assert_eq!(outcome.outcome, SyncOutcome::InStep);
    let mut deleted: Vec<_> = outcome.deleted.clone();
    deleted.sort();
    assert_eq!(deleted, old_ids.iter().cloned().collect::<Vec<_>>());
    assert_eq!(outcome.created.len(), 2);
    assert!(rig.fake.override_ids().is_disjoint(&old_ids));
    assert_shift_paged(&rig.fake, &shift(&rig.store, "2027-W01").await);
    assert_eq!(
        shift(&rig.store, "2027-W01").await.primary.as_deref(),
        Some(other)
    );

    let done = actions(&rig.store, "cli:ovr").await;
    assert_eq!(
        done,
        vec![
            "override.set",
            "shift.override",
            "victorops.override.delete",
            "victorops.override.delete",
            "victorops.override.create",
            "victorops.override.create",
            "victorops.override.assign",
            "victorops.override.assign",
        ]
    );
    let mut recorded = shift(&rig.store, "2027-W01").await.victorops_overrides;
    recorded.sort();
    assert_eq!(
        recorded,
        rig.fake.override_ids().into_iter().collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_swap_with_a_planned_week_replaces_the_committed_weeks_overrides() {
    let rig = rig("swap").await;
    rig.job.run(&trigger("evt-s", FRIDAY)).await.unwrap();
    let first = "2027-W01".parse().unwrap();
    let second = "2027-W03".parse().unwrap();
    let (one, _) = swap_weeks(
        &rig.store,
        &rig.roster,
        "ops",
        first,
        second,
        "holiday",
        who("cli:swap"),
    )
    .await
    .unwrap();
    let rewritten = shift(&rig.store, "2027-W01").await;
    assert_eq!(rewritten.primary.as_deref(), Some(one.person.as_str()));
    let outcome = rig.resync(&rewritten, "cli:swap", false).await;
    assert_eq!(outcome.deleted.len(), 2);
    assert_eq!(outcome.created.len(), 2);
    assert_shift_paged(&rig.fake, &rewritten);
}

#[tokio::test]
async fn a_failing_victorops_is_retried_on_the_next_run_without_repeating_the_mails() {
    let rig = rig("failing").await;
    rig.fake.fail_next(1000);
    let first = rig.job.run(&trigger("evt-f", FRIDAY)).await;
    match &first {
        Err(e @ JobError::VictorOpsPending { .. }) => assert!(e.is_retryable()),
        other => panic!("expected VictorOps steps pending, got {other:?}"),
    }
    assert!(rig.fake.override_ids().is_empty());
    let record = &rig.store.syncs("ops").await.unwrap()[0];
    assert_eq!(record.status, SyncStatus::Failed);
    assert!(
        record.last_error.as_deref().unwrap().contains("503"),
        "{record:?}"
    );
    let incoming = format!(
        "{}@{}",
        shift(&rig.store, "2027-W01").await.primary.unwrap(),
        rig.domain
    );
    assert_eq!(mails(&incoming, "is on clinic duty").await, 1);

    // VictorOps recovers; Lambda retries the same event.
    rig.fake.fail_next(0);
    let second = rig.job.run(&trigger("evt-f", FRIDAY)).await.unwrap();
    assert_eq!(
        second.rotations[0].victorops.as_ref().unwrap().weeks[0].outcome,
        SyncOutcome::InStep
    );
    assert!(
        second.rotations[0]
            .mails
            .iter()
            .all(|m| m.outcome == MailOutcome::AlreadySent)
    );
    assert_eq!(rig.fake.override_ids().len(), 2);
    assert_eq!(mails(&incoming, "is on clinic duty").await, 1);
    let shift = shift(&rig.store, "2027-W01").await;
    assert_shift_paged(&rig.fake, &shift);
}

#[tokio::test]
async fn a_creation_whose_answer_was_lost_is_found_again_and_not_duplicated() {
    let rig = rig("lost").await;
    rig.fake.lose_next_creation();
    assert!(rig.job.run(&trigger("evt-l", FRIDAY)).await.is_err());
    // VictorOps has the override; Clinic only knows it sent the request.
    assert_eq!(rig.fake.override_ids().len(), 1);
    let record = &rig.store.syncs("ops").await.unwrap()[0];
    assert!(record.creating.is_some(), "{record:?}");

    rig.job.run(&trigger("evt-l", FRIDAY)).await.unwrap();
    assert_eq!(rig.fake.count("GET", "/v1/overrides"), 1);
    assert_eq!(rig.fake.override_ids().len(), 2, "one found, one created");
    let succeeded = rig
        .fake
        .calls()
        .into_iter()
        .filter(|c| c.method == "POST" && c.status == 200)
        .count();
    assert_eq!(succeeded, 1, "the lost one is not created again");
    assert!(
        actions(&rig.store, "evt-l")
            .await
            .contains(&"victorops.override.found".to_owned())
    );
    let shift = shift(&rig.store, "2027-W01").await;
    assert_shift_paged(&rig.fake, &shift);
}

#[tokio::test]
async fn a_429_is_waited_out_as_retry_after_asks() {
    let rig = rig("limited").await;
    rig.fake.rate_limit_next(2, 1);
    rig.job.run(&trigger("evt-429", FRIDAY)).await.unwrap();
    let calls = rig.fake.calls();
    assert_eq!(calls[0].status, 429);
    assert_eq!(calls[1].status, 429);
    assert_eq!(calls[2].status, 200);
    assert_eq!(
        calls[0].path, calls[2].path,
        "the same request is sent again"
    );
    assert!(
        calls[2].at_ms - calls[1].at_ms >= 1000,
        "waited {} ms after Retry-After: 1",
        calls[2].at_ms - calls[1].at_ms
    );
    assert_eq!(rig.fake.override_ids().len(), 2);
}

#[tokio::test]
async fn the_drift_check_reports_an_override_removed_by_hand_and_sync_puts_it_back() {
    let rig = rig("drift").await;
    let report = rig.job.run(&trigger("evt-d1", FRIDAY)).await.unwrap();
    let vo = report.rotations[0].victorops.clone().unwrap();
    // VictorOps' rotation has other people than Clinic's plan for 2027-W02: those are differences,
    // mailed once this week to the notify list.
    assert!(vo.differences.unwrap() > 0, "{vo:?}");
    let team = format!("team@{}", rig.domain);
    assert_eq!(mails(&team, "VictorOps differs from the rotation").await, 1);
    rig.job
        .run(&trigger("evt-d2", "2027-01-01T11:00:00Z"))
        .await
        .unwrap();
    assert_eq!(mails(&team, "VictorOps differs from the rotation").await, 1);

    let clock: jiff::Timestamp = FRIDAY.parse().unwrap();
    let shifts = rig.store.shifts("ops").await.unwrap();
    let overrides = rig.store.overrides("ops").await.unwrap();
    let clean = rig
        .sync
        .check(&rig.roster, "ops", &shifts, &overrides, clock, 2)
        .await
        .unwrap();
    assert!(
        clean.differences.iter().all(|d| !d.committed),
        "{}",
        clean.text()
    );
    assert!(
        clean.differences.iter().any(|d| d.week == "2027-W02"),
        "{}",
        clean.text()
    );

    // Someone removes one of Clinic's overrides in VictorOps.
    let removed = shifts[0].victorops_overrides[0].clone();
    assert!(rig.fake.delete_by_hand(&removed));
    let drift = rig
        .sync
        .check(&rig.roster, "ops", &shifts, &overrides, clock, 2)
        .await
        .unwrap();
    let committed: Vec<_> = drift.differences.iter().filter(|d| d.committed).collect();
    assert_eq!(committed.len(), 1, "{}", drift.text());
    assert_eq!(committed[0].week, "2027-W01");
    assert_eq!(committed[0].clinic, shifts[0].primary);
    assert!(!committed[0].victorops.is_empty());
    assert!(
        drift.text().contains("2027-W01 (committed)"),
        "{}",
        drift.text()
    );

    // `clinic rotation sync` (verify) notices and creates it again; the check is clean for W01.
    let outcome = rig.resync(&shifts[0], "cli:sync", true).await;
    assert_eq!(outcome.outcome, SyncOutcome::InStep);
    assert_eq!(outcome.created.len(), 1);
    let again = rig
        .sync
        .check(
            &rig.roster,
            "ops",
            &rig.store.shifts("ops").await.unwrap(),
            &overrides,
            clock,
            2,
        )
        .await
        .unwrap();
    assert!(
        again.differences.iter().all(|d| !d.committed),
        "{}",
        again.text()
    );
    assert!(
        actions(&rig.store, "cli:sync")
            .await
            .contains(&"victorops.override.missing".to_owned())
    );

    // Someone reorders VictorOps' rotation by hand: Clinic's overrides no longer cover whom it pages.
    rig.fake.set_rotation(POLICY, &["omar", "nadia"]);
    let shifts = rig.store.shifts("ops").await.unwrap();
    let edited = rig
        .sync
        .check(&rig.roster, "ops", &shifts, &overrides, clock, 2)
        .await
        .unwrap();
    assert!(
        edited.differences.iter().any(|d| d.committed),
        "{}",
        edited.text()
    );
    let outcome = rig.resync(&shifts[0], "cli:sync2", true).await;
    assert_eq!(
        (outcome.deleted.len(), outcome.created.len()),
        (2, 2),
        "{outcome:?}"
    );
    assert_shift_paged(&rig.fake, &shifts[0]);
    // The weekly run trusts its record and leaves the week alone.
    let quiet = rig.resync(&shifts[0], "cli:sync3", false).await;
    assert_eq!(quiet.outcome, SyncOutcome::AlreadyInStep);
}

#[tokio::test]
async fn a_rotation_not_linked_to_victorops_is_left_alone() {
    let domain = "unlinked.oncall.example.org";
    let store = fresh_store("oncall-unlinked").await;
    let fake = VictorOpsApiFake::start(API_ID, API_KEY, setup()).await;
    let roster = Roster::parse(&roster_text(domain, false)).unwrap();
    let job = HandoffJob::new(
        store.clone(),
        Arc::new(SesMailer::new(verified_sender(SENDER).await)),
        roster,
        EmailAddress::parse(SENDER).unwrap(),
        60,
    )
    .with_victorops(sync_for(&store, &fake));
    let report = job.run(&trigger("evt-u", FRIDAY)).await.unwrap();
    assert!(report.rotations[0].victorops.is_none());
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn wrong_credentials_are_a_failed_step_not_a_crash() {
    let rig = rig("auth").await;
    let settings = VictorOpsApiSettings {
        url: HttpUrl::parse(&rig.fake.base_url()).unwrap(),
        api_id: API_ID.into(),
        api_key: Secret::new("not-the-key"),
    };
    let sync = VictorOpsSync::new(
        Arc::new(VictorOpsClient::new(&settings, Pacing::default())),
        Arc::new(rig.store.clone()),
        60,
    );
    rig.job.run(&trigger("evt-a", FRIDAY)).await.unwrap();
    let shift = shift(&rig.store, "2027-W01").await;
    let other = ["alice", "bruno"]
        .into_iter()
        .find(|p| shift.primary.as_deref() != Some(*p))
        .unwrap();
    let replaced = ShiftRecord {
        primary: Some(other.into()),
        ..shift.clone()
    };
    let outcome = sync
        .keep_in_step(
            &rig.roster,
            &replaced,
            FRIDAY.parse().unwrap(),
            who("cli:auth"),
            false,
        )
        .await
        .unwrap();
    match outcome.outcome {
        SyncOutcome::Failed { reason } => assert!(reason.contains("403"), "{reason}"),
        other => panic!("expected a failure, got {other:?}"),
    }
}
