//! The weekly rotation job against the local stack: DynamoDB and SES v2 served by moto.

use std::collections::BTreeMap;
use std::sync::Arc;

use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::ses::SesMailer;
use clinic::audit::AuditLog;
use clinic::handoff::job::{HandoffJob, JobError, MailOutcome};
use clinic::idempotency::IdempotencyStore;
use clinic::mail::{EmailAddress, Mailer};
use clinic::rotation::roster::Roster;
use clinic::shifts::{OverrideRecord, ShiftLedger};
use clinic::trigger::Trigger;
use clinic_tests::failing_mailer::FailingMailer;
use clinic_tests::fault_proxy::{Fault, Matcher, Times};
use clinic_tests::{behind_proxy, fresh_store, received_mail, verified_sender};

const SENDER: &str = "clinic@rotation-tests.example.org";

/// A small fair rotation whose addresses are unique to one test (`domain`), so tests sharing the
/// local SES can tell their mails apart.
fn roster(domain: &str) -> Roster {
    let person = |id: &str, team: &str, tz: &str, country: &str, previous: u32| {
        format!(
            "[[people]]\nid = \"{id}\"\nname = \"{id} Person\"\nemail = \"{id}@{domain}\"\nteam = \"{team}\"\n\
             timezone = \"{tz}\"\nholidays = \"{country}\"\nrole = \"engineer\"\nrotations = [\"ops\"]\n\
             previous_duties = {previous}\nabsences = []\n\n"
        )
    };
    let mut text = format!(
        "[rotations.ops]\nstyle = \"fair\"\nmin_working_days = 3\navoid_same_person = true\navoid_same_team = true\n\
         first_duty_backup = true\nbackup_max_offset_hours = 3\nnotify = [\"team@{domain}\"]\n\n"
    );
    text.push_str(&person("alice", "red", "Europe/Berlin", "DE", 4));
    text.push_str(&person("bruno", "blue", "Europe/Rome", "IT", 2));
    text.push_str(&person("carla", "green", "Europe/Madrid", "ES", 0));
    text.push_str(&person("dmitri", "red", "Europe/Warsaw", "PL", 5));
    Roster::parse(&text).expect("test roster is valid")
}

/// A roster in which nobody can serve in January 2027 (everyone is away).
fn roster_everyone_away(domain: &str) -> Roster {
    let text = format!(
        "[rotations.ops]\nstyle = \"fair\"\nmin_working_days = 3\nnotify = [\"team@{domain}\"]\n\n\
         [[people]]\nid = \"solo\"\nname = \"Solo Person\"\nemail = \"solo@{domain}\"\nteam = \"red\"\n\
         timezone = \"Europe/Berlin\"\nholidays = \"DE\"\nrole = \"engineer\"\nrotations = [\"ops\"]\n\
         previous_duties = 3\nabsences = [{{ from = \"2026-12-20\", to = \"2027-01-31\" }}]\n"
    );
    Roster::parse(&text).expect("test roster is valid")
}

fn trigger(id: &str, time: &str) -> Trigger {
    Trigger {
        event_id: id.to_owned(),
        time: time.parse().unwrap(),
        dry_run: false,
    }
}

async fn job(store: DynamoStore, roster: Roster) -> HandoffJob<DynamoStore> {
    let ses = verified_sender(SENDER).await;
    job_with(store, roster, Arc::new(SesMailer::new(ses)))
}

fn job_with(
    store: DynamoStore,
    roster: Roster,
    mailer: Arc<dyn Mailer>,
) -> HandoffJob<DynamoStore> {
    HandoffJob::new(
        store,
        mailer,
        roster,
        EmailAddress::parse(SENDER).unwrap(),
        60,
    )
}

/// How many mails the local SES accepted for each address of `domain`.
async fn mails_to(domain: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for mail in received_mail().await {
        let mut seen: Vec<_> = mail
            .destinations
            .iter()
            .filter(|d| d.ends_with(&format!("@{domain}")))
            .collect();
        seen.sort();
        seen.dedup();
        for address in seen {
            *counts.entry(address.clone()).or_default() += 1;
        }
    }
    counts
}

#[tokio::test]
async fn the_weekly_job_commits_the_coming_week_and_mails_each_person_once() {
    let domain = "first.example.org";
    let store = fresh_store("rotation-first").await;
    let job = job(store.clone(), roster(domain)).await;

    // Friday 2027-01-01 09:00 UTC: the coming week is 2027-W01 (Monday 2027-01-04).
    let report = job
        .run(&trigger("evt-1", "2027-01-01T09:00:00Z"))
        .await
        .unwrap();
    let ops = &report.rotations[0];
    assert_eq!(ops.week, "2027-W01");
    assert_eq!(ops.shift.as_str(), "created");
    let primary = ops.primary.clone().expect("someone is on duty");

    let shifts = store.shifts("ops").await.unwrap();
    assert_eq!(shifts.len(), 1);
    assert_eq!(shifts[0].primary.as_deref(), Some(primary.as_str()));
    assert_eq!(shifts[0].cause, "evt-1");

    let mails = mails_to(domain).await;
    assert_eq!(
        mails.get(&format!("{primary}@{domain}")),
        Some(&1),
        "{mails:?}"
    );
    assert_eq!(mails.get(&format!("team@{domain}")), Some(&1), "{mails:?}");
    assert!(mails.values().all(|&n| n == 1), "{mails:?}");

    // The mail says the window in UTC and in the person's own zone, dates as YYYY-MM-DD.
    let raw = received_mail()
        .await
        .into_iter()
        .find(|m| m.destinations.contains(&format!("{primary}@{domain}")))
        .unwrap()
        .raw;
    assert!(raw.contains("2027-W01"));
    assert!(raw.contains(" UTC"));
    assert!(raw.contains("Content-Type: text/html"));
    assert!(raw.contains("Content-Type: text/plain"));

    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let audit = store
        .list(today.yesterday().unwrap(), today.tomorrow().unwrap(), 1000)
        .await
        .unwrap();
    let actions: Vec<_> = audit
        .iter()
        .filter(|e| e.cause == "evt-1")
        .map(|e| e.action.as_str())
        .collect();
    assert!(actions.contains(&"shift.commit"), "{actions:?}");
    assert!(actions.contains(&"roster.mirror"), "{actions:?}");
    assert_eq!(
        actions.iter().filter(|a| **a == "mail.send").count(),
        mails.len()
    );
}

#[tokio::test]
async fn a_first_timer_gets_an_experienced_backup_who_is_mailed_too() {
    let domain = "backup.example.org";
    let store = fresh_store("rotation-backup").await;
    let job = job(store.clone(), roster(domain)).await;
    // Plan forward until carla (previous_duties = 0) serves for the first time.
    let mut found = None;
    for (n, day) in [
        "2027-01-01",
        "2027-01-08",
        "2027-01-15",
        "2027-01-22",
        "2027-01-29",
    ]
    .iter()
    .enumerate()
    {
        let report = job
            .run(&trigger(&format!("evt-b{n}"), &format!("{day}T09:00:00Z")))
            .await
            .unwrap();
        let ops = report.rotations[0].clone();
        if ops.primary.as_deref() == Some("carla") {
            found = Some(ops);
            break;
        }
    }
    let week = found.expect("carla serves within five weeks");
    let backup = week.backup.clone().expect("a first-timer has a backup");
    assert_ne!(backup, "carla");
    assert!(
        week.mails
            .iter()
            .any(|m| m.to == format!("{backup}@{domain}"))
    );
}

#[tokio::test]
async fn the_same_event_delivered_again_changes_nothing() {
    let domain = "repeat.example.org";
    let store = fresh_store("rotation-repeat").await;
    let job = job(store.clone(), roster(domain)).await;
    job.run(&trigger("evt-r", "2027-01-01T09:00:00Z"))
        .await
        .unwrap();
    let before = mails_to(domain).await;

    let again = job
        .run(&trigger("evt-r", "2027-01-01T09:00:00Z"))
        .await
        .unwrap();
    assert!(again.repeated_event);
    // Even a different event for the same week sends nothing new.
    let other = job
        .run(&trigger("evt-r2", "2027-01-01T10:00:00Z"))
        .await
        .unwrap();
    assert_eq!(other.rotations[0].shift.as_str(), "existing");
    assert!(
        other.rotations[0]
            .mails
            .iter()
            .all(|m| m.outcome == MailOutcome::AlreadySent)
    );

    assert_eq!(mails_to(domain).await, before);
    assert_eq!(store.shifts("ops").await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_handoff_mail_whose_claim_answer_was_lost_goes_out_once_in_the_same_run() {
    let domain = "lost-handoff.example.org";
    let direct = fresh_store("rotation-lost").await;
    let (store, proxy) = behind_proxy(&direct).await;
    // The first handoff mail's take is applied and its answer lost; the SDK's retry finds its own.
    proxy.inject(
        Matcher::aws_target("UpdateItem").body_contains("CLAIM#handoff#"),
        Fault::LoseAnswer,
        Times::Next(1),
    );
    let job = job(store, roster(domain)).await;
    let report = job
        .run(&trigger("evt-lost", "2027-01-01T09:00:00Z"))
        .await
        .unwrap();
    let outcomes: Vec<&MailOutcome> = report.rotations[0]
        .mails
        .iter()
        .map(|m| &m.outcome)
        .collect();
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, MailOutcome::Sent { .. })),
        "{outcomes:?}"
    );
    let lost = proxy.log().iter().filter(|e| e.fault.is_some()).count();
    assert_eq!(lost, 1, "one take's answer was lost");
    let mails = mails_to(domain).await;
    assert_eq!(mails.len(), outcomes.len());
    assert!(mails.values().all(|&n| n == 1), "{mails:?}");
}

#[tokio::test]
async fn ten_concurrent_invocations_write_one_shift_and_one_set_of_mails() {
    let domain = "concurrent.example.org";
    let store = fresh_store("rotation-concurrent").await;
    let job = Arc::new(job(store.clone(), roster(domain)).await);
    let mut tasks = Vec::new();
    for n in 0..10 {
        let job = job.clone();
        tasks.push(tokio::spawn(async move {
            job.run(&trigger(&format!("evt-c{n}"), "2027-01-01T09:00:00Z"))
                .await
        }));
    }
    let mut created = 0;
    for task in tasks {
        let report = task.await.unwrap().unwrap();
        created += report
            .rotations
            .iter()
            .filter(|r| r.shift.as_str() == "created")
            .count();
    }
    assert_eq!(created, 1, "exactly one invocation creates the shift");
    assert_eq!(store.shifts("ops").await.unwrap().len(), 1);
    let mails = mails_to(domain).await;
    assert!(!mails.is_empty());
    assert!(
        mails.values().all(|&n| n == 1),
        "every address gets one mail: {mails:?}"
    );
}

#[tokio::test]
async fn a_failed_mail_is_retried_on_the_next_invocation_without_resending_the_others() {
    let domain = "retry.example.org";
    let store = fresh_store("rotation-retry").await;
    let ses = verified_sender(SENDER).await;
    let failing = format!("team@{domain}");
    let mailer = Arc::new(FailingMailer::new(SesMailer::new(ses), move |mail| {
        mail.recipients().any(|r| r.as_str() == failing)
    }));
    let job = job_with(store.clone(), roster(domain), mailer.clone());

    let first = job.run(&trigger("evt-f", "2027-01-01T09:00:00Z")).await;
    assert!(
        matches!(first, Err(JobError::MailsPending { failed: 1 })),
        "{first:?}"
    );
    assert!(first.unwrap_err().is_retryable());
    let after_first = mails_to(domain).await;
    assert_eq!(after_first.get(&format!("team@{domain}")), None);

    mailer.heal();
    // Lambda retries the same event: it was not recorded as done, so it runs again.
    let second = job
        .run(&trigger("evt-f", "2027-01-01T09:00:00Z"))
        .await
        .unwrap();
    let outcomes: Vec<_> = second.rotations[0]
        .mails
        .iter()
        .map(|m| (m.to.clone(), m.outcome.clone()))
        .collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|(_, o)| matches!(o, MailOutcome::Sent { .. }))
            .count(),
        1,
        "{outcomes:?}"
    );
    let after_second = mails_to(domain).await;
    assert!(after_second.values().all(|&n| n == 1), "{after_second:?}");
    assert_eq!(after_second.get(&format!("team@{domain}")), Some(&1));
}

#[tokio::test]
async fn a_week_nobody_can_serve_is_committed_unstaffed_and_the_notify_list_is_alerted() {
    let domain = "unstaffed.example.org";
    let store = fresh_store("rotation-unstaffed").await;
    let job = job(store.clone(), roster_everyone_away(domain)).await;
    let report = job
        .run(&trigger("evt-u", "2027-01-01T09:00:00Z"))
        .await
        .unwrap();
    let ops = &report.rotations[0];
    assert_eq!(ops.primary, None);
    assert!(ops.unstaffed_reason.is_some());
    let raw = received_mail()
        .await
        .into_iter()
        .find(|m| m.destinations.contains(&format!("team@{domain}")))
        .expect("the notify list is alerted")
        .raw;
    assert!(raw.contains("ACTION NEEDED"));
    assert_eq!(
        mails_to(domain).await.len(),
        1,
        "only the notify list: nobody is on duty"
    );
}

#[tokio::test]
async fn the_next_handoff_mails_the_outgoing_person() {
    let domain = "outgoing.example.org";
    let store = fresh_store("rotation-outgoing").await;
    let job = job(store.clone(), roster(domain)).await;
    let first = job
        .run(&trigger("evt-o1", "2027-01-01T09:00:00Z"))
        .await
        .unwrap();
    let second = job
        .run(&trigger("evt-o2", "2027-01-08T09:00:00Z"))
        .await
        .unwrap();
    let outgoing = first.rotations[0].primary.clone().unwrap();
    assert_eq!(second.rotations[0].week, "2027-W02");
    assert_ne!(
        second.rotations[0].primary.as_deref(),
        Some(outgoing.as_str())
    );
    let roles: Vec<_> = second.rotations[0]
        .mails
        .iter()
        .map(|m| (m.role, m.to.clone()))
        .collect();
    assert!(
        roles.contains(&(
            clinic::handoff::ports::MailRole::Outgoing,
            format!("{outgoing}@{domain}")
        )),
        "{roles:?}"
    );
}

#[tokio::test]
async fn an_override_decides_who_serves_and_counts_as_served() {
    let domain = "override.example.org";
    let store = fresh_store("rotation-override").await;
    let now = jiff::Timestamp::now();
    let record = OverrideRecord {
        rotation: "ops".into(),
        week: "2027-W01".into(),
        person: "dmitri".into(),
        reason: "swap with alice".into(),
        set_by: "cli:test".into(),
        set_at: now,
    };
    let audit = clinic::audit::AuditEntry::new(
        now,
        "cli:test",
        "override.set",
        "rotation/ops/2027-W01",
        "test",
        "cli:1",
    );
    store.put_override(&record, &audit).await.unwrap();
    let job = job(store.clone(), roster(domain)).await;
    let report = job
        .run(&trigger("evt-ov", "2027-01-01T09:00:00Z"))
        .await
        .unwrap();
    assert_eq!(report.rotations[0].primary.as_deref(), Some("dmitri"));
    let shift = store.shifts("ops").await.unwrap().remove(0);
    assert_eq!(shift.overridden.as_deref(), Some("swap with alice"));
}

#[tokio::test]
async fn the_idempotency_record_keeps_the_outcome_of_a_completed_event() {
    let store = fresh_store("rotation-idem").await;
    let now = jiff::Timestamp::now();
    assert_eq!(
        store.begin("s", "k", now).await.unwrap(),
        clinic::idempotency::Begin::Fresh
    );
    store
        .complete("s", "k", "{\"ok\":true}", now)
        .await
        .unwrap();
    assert_eq!(
        store.begin("s", "k", now).await.unwrap(),
        clinic::idempotency::Begin::Done("{\"ok\":true}".into())
    );
}

#[tokio::test]
async fn the_handler_accepts_the_sample_event_and_refuses_anything_else() {
    let domain = "handler.example.org";
    let store = fresh_store("rotation-handler").await;
    let function = clinic::functions::rotation::RotationFunction::from_job(
        job(store.clone(), roster(domain)).await,
    );
    let sample = std::fs::read_to_string(
        clinic_tests::repo_root().join("events/rotation-weekly-scheduled-event.json"),
    )
    .unwrap();
    let report = function
        .handle(serde_json::from_str(&sample).unwrap())
        .await
        .unwrap();
    assert_eq!(report.rotations[0].week, "2027-W01");

    let refused = function
        .handle(serde_json::json!({"Records": []}))
        .await
        .unwrap_err();
    assert!(!refused.retryable);
    assert_eq!(store.shifts("ops").await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_run_early_on_the_first_day_of_a_shift_hands_off_the_shift_that_is_starting() {
    let domain = "monday.example.org";
    let store = fresh_store("rotation-monday").await;
    let job = job(store.clone(), roster(domain)).await;
    // Monday 2027-01-04 06:00 UTC: 2027-W01 started a few hours ago in Europe.
    let monday = job
        .run(&trigger("evt-m1", "2027-01-04T06:00:00Z"))
        .await
        .unwrap();
    assert_eq!(monday.rotations[0].week, "2027-W01");
    // Wednesday of the same week: that shift is under way, the coming one is 2027-W02.
    let wednesday = job
        .run(&trigger("evt-m2", "2027-01-06T06:00:00Z"))
        .await
        .unwrap();
    assert_eq!(wednesday.rotations[0].week, "2027-W02");
}

#[tokio::test]
async fn the_roster_is_mirrored_once_and_people_who_leave_are_marked_inactive() {
    use clinic::rotation::ports::RosterMirror;
    let store = fresh_store("rotation-mirror").await;
    let now = jiff::Timestamp::now();
    let audit = clinic::audit::AuditEntry::new(
        now,
        "test",
        "roster.mirror",
        "roster",
        "test",
        "evt-mirror",
    );
    let full = roster("mirror.example.org");
    assert!(store.mirror_roster(&full, &audit).await.unwrap());
    assert!(
        !store.mirror_roster(&full, &audit).await.unwrap(),
        "an unchanged roster writes nothing"
    );

    let text =
        std::fs::read_to_string(clinic_tests::repo_root().join("events/roster.toml")).unwrap();
    let other = Roster::parse(&text).unwrap();
    assert!(store.mirror_roster(&other, &audit).await.unwrap());
    let alice = store
        .get("PERSON#alice", "PROFILE")
        .await
        .unwrap()
        .expect("alice is kept");
    assert_eq!(
        alice.get("active").and_then(|v| v.as_bool().ok()),
        Some(&false)
    );
    let akaur = store
        .get("PERSON#akaur", "PROFILE")
        .await
        .unwrap()
        .expect("akaur is written");
    assert_eq!(
        akaur.get("active").and_then(|v| v.as_bool().ok()),
        Some(&true)
    );
}

#[tokio::test]
async fn overriding_a_committed_week_rewrites_its_shift_and_is_audited() {
    use clinic::shifts::overrides::{Operator, set_override};
    let domain = "late-override.example.org";
    let store = fresh_store("rotation-late-override").await;
    let roster = roster(domain);
    let job = job(store.clone(), roster.clone()).await;
    let report = job
        .run(&trigger("evt-lo", "2027-01-01T09:00:00Z"))
        .await
        .unwrap();
    let planned = report.rotations[0].primary.clone().unwrap();
    let other = ["alice", "bruno", "dmitri"]
        .into_iter()
        .find(|p| *p != planned)
        .unwrap();
    let person = clinic::rotation::roster::PersonId::parse(other).unwrap();
    let week = "2027-W01".parse().unwrap();
    let who = Operator {
        actor: "cli:test",
        cause: "cli:lo",
        at: jiff::Timestamp::now(),
    };
    let outcome = set_override(&store, &roster, "ops", week, &person, "sick leave", who)
        .await
        .unwrap();
    assert_eq!(
        outcome.replaced_in_committed_shift,
        Some(Some(planned.clone()))
    );
    let shift = store.shifts("ops").await.unwrap().remove(0);
    assert_eq!(shift.primary.as_deref(), Some(other));
    assert_eq!(shift.overridden.as_deref(), Some("sick leave"));

    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let audit = store
        .list(today.yesterday().unwrap(), today.tomorrow().unwrap(), 1000)
        .await
        .unwrap();
    let actions: Vec<_> = audit
        .iter()
        .filter(|e| e.cause == "cli:lo")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(actions, vec!["override.set", "shift.override"]);

    // Someone outside the rotation, or no reason, is refused and nothing is written.
    let stranger = clinic::rotation::roster::PersonId::parse("zed").unwrap();
    assert!(
        set_override(&store, &roster, "ops", week, &stranger, "x", who)
            .await
            .is_err()
    );
    assert!(
        set_override(&store, &roster, "ops", week, &person, "  ", who)
            .await
            .is_err()
    );
    assert_eq!(store.overrides("ops").await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_swap_exchanges_the_people_of_two_planned_weeks() {
    use clinic::shifts::overrides::{Operator, swap_weeks};
    let domain = "swap.example.org";
    let store = fresh_store("rotation-swap").await;
    let roster = roster(domain);
    let first: clinic::rotation::calendar::IsoWeek = "2027-W02".parse().unwrap();
    let second: clinic::rotation::calendar::IsoWeek = "2027-W04".parse().unwrap();
    let plan =
        clinic::rotation::plan::plan(&roster, "ops", &Default::default(), &[], first.monday(), 3)
            .unwrap();
    let before_first = plan.week(first).unwrap().primary.clone().unwrap();
    let before_second = plan.week(second).unwrap().primary.clone().unwrap();
    assert_ne!(before_first, before_second);

    let who = Operator {
        actor: "cli:test",
        cause: "cli:swap",
        at: jiff::Timestamp::now(),
    };
    let (one, two) = swap_weeks(&store, &roster, "ops", first, second, "holiday plans", who)
        .await
        .unwrap();
    assert_eq!(one.person, before_second);
    assert_eq!(two.person, before_first);
    let overrides = store.overrides("ops").await.unwrap();
    assert_eq!(overrides.len(), 2);
    assert!(overrides.iter().all(|o| o.reason.contains("holiday plans")));
}

#[tokio::test]
async fn a_dry_run_from_the_scheduler_sample_plans_and_writes_nothing() {
    let domain = "dryrun.example.org";
    let store = fresh_store("rotation-dryrun").await;
    let function = clinic::functions::rotation::RotationFunction::from_job(
        job(store.clone(), roster(domain)).await,
    );
    let sample = std::fs::read_to_string(
        clinic_tests::repo_root().join("events/rotation-weekly-scheduler-input.json"),
    )
    .unwrap();
    let report = function
        .handle(serde_json::from_str(&sample).unwrap())
        .await
        .unwrap();
    assert_eq!(report.rotations[0].shift.as_str(), "dry-run");
    assert!(
        report.rotations[0]
            .mails
            .iter()
            .all(|m| m.outcome == MailOutcome::DryRun)
    );
    assert!(store.shifts("ops").await.unwrap().is_empty());
    assert!(mails_to(domain).await.is_empty());
}

/// The pings a monitor received: (path, rid, body).
async fn pings(monitor: &wiremock::MockServer) -> Vec<(String, String, String)> {
    monitor
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let rid = r
                .url
                .query_pairs()
                .find(|(k, _)| k == "rid")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            (
                r.url.path().to_owned(),
                rid,
                String::from_utf8_lossy(&r.body).into_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_run_pings_the_dead_mans_switch_when_it_starts_and_with_how_it_ended() {
    use clinic::adapters::healthchecks::Heartbeat;
    use clinic::functions::rotation::RotationFunction;
    use clinic::http_url::HttpUrl;

    let monitor = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("OK"))
        .mount(&monitor)
        .await;
    let url = HttpUrl::parse(&format!("{}/ping/weekly", monitor.uri())).unwrap();
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            clinic_tests::repo_root().join("events/rotation-weekly-scheduled-event.json"),
        )
        .unwrap(),
    )
    .unwrap();

    let domain = "heartbeat.example.org";
    let store = fresh_store("rotation-heartbeat").await;
    let function = RotationFunction::from_job(job(store, roster(domain)).await)
        .with_heartbeat(Heartbeat::new(Some(url.clone())));
    function.handle(sample.clone()).await.unwrap();
    let seen = pings(&monitor).await;
    let paths: Vec<&str> = seen.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(paths, vec!["/ping/weekly/start", "/ping/weekly"]);
    assert_eq!(seen[0].1, seen[1].1, "both pings carry the run's id");
    assert!(uuid::Uuid::parse_str(&seen[0].1).is_ok());
    assert!(seen[1].2.contains("2027-W01"), "{}", seen[1].2);

    monitor.reset().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&monitor)
        .await;
    let missing = clinic::adapters::dynamo::TableName::parse("no-such-table").unwrap();
    let broken = DynamoStore::new(
        clinic::adapters::sdk::dynamodb(&clinic_tests::sdk_config().await),
        missing,
    );
    let function = RotationFunction::from_job(job(broken, roster(domain)).await)
        .with_heartbeat(Heartbeat::new(Some(url)));
    assert!(function.handle(sample.clone()).await.is_err());
    let paths: Vec<String> = pings(&monitor).await.into_iter().map(|p| p.0).collect();
    assert_eq!(paths, vec!["/ping/weekly/start", "/ping/weekly/fail"]);

    // A monitor nobody answers at does not stop the job.
    let unreachable = HttpUrl::parse("http://127.0.0.1:9/ping").unwrap();
    let store = fresh_store("rotation-heartbeat-down").await;
    let function = RotationFunction::from_job(job(store, roster(domain)).await)
        .with_heartbeat(Heartbeat::new(Some(unreachable)));
    assert!(function.handle(sample).await.is_ok());
}
