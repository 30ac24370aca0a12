//! Members' own takes in VictorOps, against the local stack (moto: DynamoDB, SES) and the VictorOps
//! API fake: a person puts themselves on call for a day of a committed week with an override Clinic
//! did not create. By default the weekly run records it as the week's override in Clinic; with
//! `victorops.takes = "undo"` it deletes the override once and mails the person why. Either way a
//! take handled once is not reported again, and a lost answer repeats nothing.

use std::sync::Arc;
use std::time::Duration;

use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::pacing::Pacing;
use clinic::adapters::ses::SesMailer;
use clinic::adapters::victorops::{VictorOpsApiSettings, VictorOpsClient};
use clinic::audit::AuditLog;
use clinic::handoff::job::{HandoffJob, JobError};
use clinic::http_url::HttpUrl;
use clinic::mail::EmailAddress;
use clinic::oncall::{TakeOutcome, VictorOpsReport, VictorOpsSync};
use clinic::rotation::roster::Roster;
use clinic::secret::Secret;
use clinic::shifts::{ShiftLedger, ShiftRecord};
use clinic::trigger::Trigger;
use clinic_tests::victorops_api_fake::{FakePolicy, FakeSetup, VictorOpsApiFake};
use clinic_tests::{fresh_store, received_mail, verified_sender};

const SENDER: &str = "clinic@takes-tests.example.org";
const TEAM: &str = "team-Tk4wQ9mZ2rB7xLc";
const POLICY: &str = "pol-Tk8vN3pR5sW1yHd";
const API_ID: &str = "org-takes-id";
const API_KEY: &str = "vo-takes-key-0001";
/// Friday 2027-01-01 09:00 UTC: the coming week is 2027-W01.
const FRIDAY: &str = "2027-01-01T09:00:00Z";
const PEOPLE: [&str; 4] = ["alice", "bruno", "carla", "dmitri"];

fn roster(domain: &str, takes: &str) -> Roster {
    let mut text = format!(
        "[rotations.ops]\nstyle = \"fair\"\nmin_working_days = 3\navoid_same_person = true\n\
         avoid_same_team = true\nfirst_duty_backup = true\nbackup_max_offset_hours = 3\n\
         notify = [\"team@{domain}\"]\n\
         victorops = {{ team = \"{TEAM}\", policies = [\"{POLICY}\"]{takes} }}\n\n"
    );
    for (id, team, tz, country) in [
        ("alice", "red", "Europe/Berlin", "DE"),
        ("bruno", "blue", "Europe/Rome", "IT"),
        ("carla", "green", "Europe/Madrid", "ES"),
        ("dmitri", "red", "Europe/Warsaw", "PL"),
    ] {
        text.push_str(&format!(
            "[[people]]\nid = \"{id}\"\nname = \"{id} Person\"\nemail = \"{id}@{domain}\"\nteam = \"{team}\"\n\
             timezone = \"{tz}\"\nholidays = \"{country}\"\nrole = \"engineer\"\nrotations = [\"ops\"]\n\
             previous_duties = 1\nabsences = []\nvictorops_user = \"{id}.vo\"\n\n"
        ));
    }
    Roster::parse(&text).expect("test roster is valid")
}

/// VictorOps' own rotation pages nadia, then omar from Monday 09:00 UTC: Clinic's week is put on
/// call with one override of each.
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
        other_users: PEOPLE.iter().map(|id| format!("{id}.vo")).collect(),
    }
}

struct Rig {
    store: DynamoStore,
    fake: VictorOpsApiFake,
    job: HandoffJob<DynamoStore>,
    domain: String,
}

async fn rig(name: &str, takes: &str) -> Rig {
    let domain = format!("{name}.takes.example.org");
    let store = fresh_store(&format!("takes-{name}")).await;
    let fake = VictorOpsApiFake::start(API_ID, API_KEY, setup()).await;
    let settings = VictorOpsApiSettings {
        url: HttpUrl::parse(&fake.base_url()).unwrap(),
        api_id: API_ID.into(),
        api_key: Secret::new(API_KEY),
    };
    let pacing = Pacing {
        min_interval: Duration::from_millis(5),
        first_backoff: Duration::from_millis(20),
        max_attempts: 4,
    };
    let sync = Arc::new(VictorOpsSync::new(
        Arc::new(VictorOpsClient::new(&settings, pacing)),
        Arc::new(store.clone()),
        60,
    ));
    let job = HandoffJob::new(
        store.clone(),
        Arc::new(SesMailer::new(verified_sender(SENDER).await)),
        roster(&domain, takes),
        EmailAddress::parse(SENDER).unwrap(),
        60,
    )
    .with_victorops(sync);
    Rig {
        store,
        fake,
        job,
        domain,
    }
}

fn trigger(id: &str, time: &str) -> Trigger {
    Trigger {
        event_id: id.to_owned(),
        time: time.parse().unwrap(),
        dry_run: false,
    }
}

impl Rig {
    async fn week(&self) -> ShiftRecord {
        self.store
            .shifts("ops")
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.week == "2027-W01")
            .expect("2027-W01 is committed")
    }

    async fn vo(&self, event: &str, time: &str) -> VictorOpsReport {
        let report = self.job.run(&trigger(event, time)).await.unwrap();
        report.rotations[0]
            .victorops
            .clone()
            .expect("ops is linked")
    }

    /// Commits 2027-W01, then someone else of the rotation takes Tuesday (omar's time in
    /// VictorOps' rotation) for themselves by hand. Returns the shift, the taker and the override.
    async fn commit_and_take(&self) -> (ShiftRecord, String, String) {
        self.vo("evt-commit", FRIDAY).await;
        let shift = self.week().await;
        let taker = PEOPLE
            .into_iter()
            .find(|p| shift.primary.as_deref() != Some(*p))
            .unwrap()
            .to_owned();
        let id = self.fake.take_by_hand(
            "omar",
            "2027-01-05T00:00:00Z".parse().unwrap(),
            "2027-01-06T00:00:00Z".parse().unwrap(),
            POLICY,
            &format!("{taker}.vo"),
        );
        (shift, taker, id)
    }

    async fn actions(&self) -> Vec<String> {
        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        self.store
            .list(today.yesterday().unwrap(), today.tomorrow().unwrap(), 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect()
    }
}

async fn mails(address: &str, subject: &str) -> usize {
    received_mail()
        .await
        .into_iter()
        .filter(|m| m.destinations.iter().any(|d| d == address))
        .filter(|m| m.raw.contains(subject))
        .count()
}

fn assert_paged(fake: &VictorOpsApiFake, username: &str, shift: &ShiftRecord) {
    let mut t = shift.start_utc;
    while t < shift.end_utc {
        assert_eq!(
            fake.paged_at(POLICY, t).as_deref(),
            Some(username),
            "VictorOps pages someone else at {t}"
        );
        t += jiff::SignedDuration::from_mins(30);
    }
}

#[tokio::test]
async fn a_take_in_victorops_is_recorded_as_the_weeks_override_once_and_not_reported_again() {
    let rig = rig("record", "").await;
    let (before, taker, id) = rig.commit_and_take().await;

    let vo = rig.vo("evt-take", "2027-01-01T10:00:00Z").await;
    assert_eq!(vo.takes.len(), 1, "{vo:?}");
    assert_eq!(vo.takes[0].outcome, TakeOutcome::Recorded);
    assert_eq!(vo.takes[0].take.public_id, id);
    assert_eq!(vo.takes[0].take.instead_of, before.primary);

    // The week is the taker's now, as `clinic rotation override` would have made it: the override
    // is recorded (so planning and fairness count it) and the committed shift rewritten.
    let after = rig.week().await;
    assert_eq!(after.primary.as_deref(), Some(taker.as_str()));
    let overrides = rig.store.overrides("ops").await.unwrap();
    assert_eq!(overrides.len(), 1);
    assert_eq!(overrides[0].person, taker);
    assert!(overrides[0].reason.contains(&id), "{:?}", overrides[0]);
    // Clinic's own overrides follow the week's new person; the person's own override stays.
    assert_paged(&rig.fake, &format!("{taker}.vo"), &after);
    assert!(rig.fake.override_ids().contains(&id));
    assert!(
        vo.weeks
            .iter()
            .any(|w| w.week == "2027-W01" && w.deleted.len() == 2 && w.created.len() == 2),
        "{vo:?}"
    );
    let done = rig.actions().await;
    for action in [
        "victorops.take.seen",
        "override.set",
        "shift.override",
        "victorops.take.record",
    ] {
        assert_eq!(
            done.iter().filter(|a| *a == action).count(),
            1,
            "{action}: {done:?}"
        );
    }
    let team = format!("team@{}", rig.domain);
    let subject = format!("{taker} took 2027-W01 in VictorOps; recorded");
    assert_eq!(mails(&team, &subject).await, 1);

    // Later runs of the week: the take is not reported or mailed again, nothing more is changed
    // in VictorOps, and the committed week is not a drift difference.
    let posts = rig.fake.count("POST", "/v1/overrides");
    for (n, time) in ["2027-01-01T11:00:00Z", "2027-01-01T12:00:00Z"]
        .into_iter()
        .enumerate()
    {
        let vo = rig.vo(&format!("evt-later{n}"), time).await;
        assert!(vo.takes.is_empty(), "{vo:?}");
        assert!(vo.takes_error.is_none(), "{vo:?}");
    }
    assert_eq!(mails(&team, &subject).await, 1);
    assert_eq!(rig.fake.count("POST", "/v1/overrides"), posts);
    assert_eq!(rig.store.overrides("ops").await.unwrap().len(), 1);
    let shifts = rig.store.shifts("ops").await.unwrap();
    let overrides = rig.store.overrides("ops").await.unwrap();
    let sync = VictorOpsSync::new(
        Arc::new(VictorOpsClient::new(
            &VictorOpsApiSettings {
                url: HttpUrl::parse(&rig.fake.base_url()).unwrap(),
                api_id: API_ID.into(),
                api_key: Secret::new(API_KEY),
            },
            Pacing::default(),
        )),
        Arc::new(rig.store.clone()),
        60,
    );
    let drift = sync
        .check(
            &roster(&rig.domain, ""),
            "ops",
            &shifts,
            &overrides,
            FRIDAY.parse().unwrap(),
            2,
        )
        .await
        .unwrap();
    assert!(
        drift.differences.iter().all(|d| !d.committed),
        "{}",
        drift.text()
    );
}

#[tokio::test]
async fn with_takes_undone_the_override_is_deleted_once_and_the_person_mailed_once_though_the_answer_was_lost()
 {
    let rig = rig("undo", ", takes = \"undo\"").await;
    let (before, taker, id) = rig.commit_and_take().await;

    // VictorOps deletes the override, but its answer never arrives: the step is retried.
    rig.fake.lose_next_deletion();
    let first = rig
        .job
        .run(&trigger("evt-undo", "2027-01-01T10:00:00Z"))
        .await;
    match &first {
        Err(e @ JobError::VictorOpsPending { .. }) => assert!(e.is_retryable()),
        other => panic!("expected the undo pending, got {other:?}"),
    }
    assert!(!rig.fake.override_ids().contains(&id));
    let address = format!("{taker}@{}", rig.domain);
    let subject = "your VictorOps override for 2027-W01 is undone";
    assert_eq!(mails(&address, subject).await, 1);

    // Lambda retries the event: the take is gone, so nothing is deleted, mailed or recorded again.
    let vo = rig.vo("evt-undo", "2027-01-01T10:00:00Z").await;
    assert!(vo.takes.is_empty(), "{vo:?}");
    let later = rig.vo("evt-undo-later", "2027-01-01T11:00:00Z").await;
    assert!(later.takes.is_empty(), "{later:?}");
    assert_eq!(rig.fake.count("DELETE", &id), 1);
    assert_eq!(mails(&address, subject).await, 1);
    let after = rig.week().await;
    assert_eq!(
        after.primary, before.primary,
        "an undone take is never recorded"
    );
    assert!(rig.store.overrides("ops").await.unwrap().is_empty());
    assert_paged(
        &rig.fake,
        &format!("{}.vo", before.primary.as_deref().unwrap()),
        &after,
    );
    let done = rig.actions().await;
    assert_eq!(
        done.iter().filter(|a| *a == "victorops.take.seen").count(),
        1,
        "{done:?}"
    );
    assert!(!done.iter().any(|a| a == "override.set"), "{done:?}");
}

#[tokio::test]
async fn with_takes_undone_an_answered_deletion_is_audited_and_reported_once() {
    let rig = rig("undo-ok", ", takes = \"undo\"").await;
    let (_, taker, id) = rig.commit_and_take().await;
    let vo = rig.vo("evt-u1", "2027-01-01T10:00:00Z").await;
    assert_eq!(vo.takes.len(), 1, "{vo:?}");
    assert_eq!(vo.takes[0].outcome, TakeOutcome::Undone);
    assert!(!rig.fake.override_ids().contains(&id));
    let done = rig.actions().await;
    assert_eq!(
        done.iter().filter(|a| *a == "victorops.take.undo").count(),
        1,
        "{done:?}"
    );
    let again = rig.vo("evt-u2", "2027-01-01T11:00:00Z").await;
    assert!(again.takes.is_empty(), "{again:?}");
    let address = format!("{taker}@{}", rig.domain);
    assert_eq!(mails(&address, "is undone").await, 1);
}
