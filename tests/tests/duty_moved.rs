//! "Your duty moved", end to end on the local stack (DynamoDB and SES on moto): each weekly run
//! compares the plan of the weeks ahead with the one the previous run kept, and mails each person
//! whose next duty moved once, saying from when to when and why.

use std::sync::Arc;

use clinic::adapters::dynamo::DynamoStore;
use clinic::adapters::ses::SesMailer;
use clinic::handoff::job::{HandoffJob, JobError, MailOutcome};
use clinic::mail::{EmailAddress, Mailer};
use clinic::rotation::moves::PlanSnapshot;
use clinic::rotation::ports::PlanSnapshots;
use clinic::rotation::roster::Roster;
use clinic::shifts::{OverrideRecord, ShiftLedger};
use clinic::trigger::Trigger;
use clinic_tests::failing_mailer::FailingMailer;
use clinic_tests::{fresh_store, received_mail, verified_sender};

const SENDER: &str = "clinic@moved-tests.example.org";

/// Six people in one fair rotation, addresses unique to one test (`domain`); `absent` is away
/// for the given dates.
fn roster(domain: &str, absent: Option<(&str, &str, &str)>) -> Roster {
    let mut text = format!(
        "[rotations.ops]\nstyle = \"fair\"\nmin_working_days = 3\navoid_same_person = true\n\
         notify = [\"team@{domain}\"]\n\n"
    );
    for (id, previous) in [
        ("alice", 4),
        ("bruno", 4),
        ("carla", 5),
        ("dmitri", 5),
        ("erin", 6),
        ("femi", 6),
    ] {
        let absences = match absent {
            Some((who, from, to)) if who == id => {
                format!("[{{ from = \"{from}\", to = \"{to}\" }}]")
            }
            _ => "[]".to_owned(),
        };
        text.push_str(&format!(
            "[[people]]\nid = \"{id}\"\nname = \"{id} Person\"\nemail = \"{id}@{domain}\"\nteam = \"{id}-team\"\n\
             timezone = \"Europe/Berlin\"\nholidays = \"DE\"\nrole = \"engineer\"\nrotations = [\"ops\"]\n\
             previous_duties = {previous}\nabsences = {absences}\n\n"
        ));
    }
    Roster::parse(&text).expect("test roster is valid")
}

fn trigger(id: &str, time: &str) -> Trigger {
    Trigger {
        event_id: id.to_owned(),
        time: time.parse().unwrap(),
        dry_run: false,
    }
}

async fn job(store: &DynamoStore, roster: Roster) -> HandoffJob<DynamoStore> {
    let ses = verified_sender(SENDER).await;
    job_with(store, roster, Arc::new(SesMailer::new(ses)))
}

fn job_with(
    store: &DynamoStore,
    roster: Roster,
    mailer: Arc<dyn Mailer>,
) -> HandoffJob<DynamoStore> {
    HandoffJob::new(
        store.clone(),
        mailer,
        roster,
        EmailAddress::parse(SENDER).unwrap(),
        60,
    )
}

/// The "duty moved" mails the local SES accepted for `address`.
async fn moved_mails(address: &str) -> Vec<String> {
    received_mail()
        .await
        .into_iter()
        .filter(|m| m.destinations.iter().any(|d| d == address))
        .map(|m| m.raw)
        .filter(|raw| raw.contains("duty moved:"))
        .collect()
}

/// The first week of `snapshot` with `person` on duty.
fn next_duty(snapshot: &PlanSnapshot, person: &str) -> Option<String> {
    snapshot
        .weeks
        .iter()
        .find(|w| w.primary.as_deref() == Some(person))
        .map(|w| w.week.clone())
}

async fn override_week(store: &DynamoStore, week: &str, person: &str, reason: &str) {
    let now = jiff::Timestamp::now();
    let record = OverrideRecord {
        rotation: "ops".into(),
        week: week.into(),
        person: person.into(),
        reason: reason.into(),
        set_by: "cli:test".into(),
        set_at: now,
    };
    let audit = clinic::audit::AuditEntry::new(
        now,
        "cli:test",
        "override.set",
        format!("rotation/ops/{week}"),
        "test",
        "cli:1",
    );
    store.put_override(&record, &audit).await.unwrap();
}

#[tokio::test]
async fn an_override_moves_a_persons_next_duty_and_they_are_told_once_from_when_to_when_and_why() {
    let domain = "moved-override.example.org";
    let store = fresh_store("moved-override").await;
    let first = job(&store, roster(domain, None))
        .await
        .run(&trigger("evt-w01", "2027-01-01T09:00:00Z"))
        .await
        .unwrap();
    assert!(
        first.rotations[0].duty_moved.is_empty(),
        "the first run has nothing to compare with"
    );
    let kept = store.plan_snapshot("ops").await.unwrap().expect("kept");
    assert_eq!(kept.week, "2027-W01");
    assert_eq!(kept.weeks.len(), 12);

    // The person planned last among the first weeks is put on 2027-W03 by an override.
    let latest = ["alice", "bruno", "carla", "dmitri", "erin", "femi"]
        .into_iter()
        .filter_map(|p| next_duty(&kept, p).map(|w| (w, p)))
        .max()
        .expect("someone is planned");
    let (was, person) = latest;
    assert!(was.as_str() > "2027-W03", "{kept:?}");
    override_week(&store, "2027-W03", person, "covers for a conference").await;

    let second = job(&store, roster(domain, None))
        .await
        .run(&trigger("evt-w02", "2027-01-08T09:00:00Z"))
        .await
        .unwrap();
    let moved = &second.rotations[0].duty_moved;
    let theirs = moved
        .iter()
        .find(|m| m.person == person)
        .unwrap_or_else(|| panic!("{person} is told: {moved:?}"));
    assert_eq!(theirs.from.as_deref(), Some(was.as_str()));
    assert_eq!(theirs.to.as_deref(), Some("2027-W03"));
    assert!(
        theirs
            .why
            .contains("an override of week 2027-W03: covers for a conference"),
        "{}",
        theirs.why
    );
    assert!(
        moved
            .iter()
            .all(|m| matches!(m.outcome, MailOutcome::Sent { .. })),
        "{moved:?}"
    );
    for m in moved {
        let mails = moved_mails(&format!("{}@{domain}", m.person)).await;
        assert_eq!(mails.len(), 1, "{}: {mails:?}", m.person);
    }
    let mail = &moved_mails(&format!("{person}@{domain}")).await[0];
    assert!(
        mail.contains(&format!(
            "Subject: [Clinic] Your next ops duty moved: {was} to 2027-W03"
        )),
        "{mail}"
    );
    assert!(mail.contains("covers for a conference"), "{mail}");
    assert!(
        mail.contains(" CET"),
        "times in the person's own zone: {mail}"
    );

    // Another run for the same week (a new event) tells nobody again.
    let again = job(&store, roster(domain, None))
        .await
        .run(&trigger("evt-w02-again", "2027-01-08T10:00:00Z"))
        .await
        .unwrap();
    assert!(again.rotations[0].duty_moved.is_empty(), "{again:?}");
    assert_eq!(moved_mails(&format!("{person}@{domain}")).await.len(), 1);
    assert_eq!(
        store.plan_snapshot("ops").await.unwrap().unwrap().week,
        "2027-W02"
    );
}

#[tokio::test]
async fn an_absence_moves_a_duty_and_the_mail_names_it() {
    let domain = "moved-absence.example.org";
    let store = fresh_store("moved-absence").await;
    job(&store, roster(domain, None))
        .await
        .run(&trigger("evt-w01", "2027-01-01T09:00:00Z"))
        .await
        .unwrap();
    let kept = store.plan_snapshot("ops").await.unwrap().unwrap();
    let w04 = kept.weeks.iter().find(|w| w.week == "2027-W04").unwrap();
    let person = w04.primary.clone().expect("someone planned in W04");

    // They book that whole week off (2027-W04 is 25–31 January).
    let absent = Some((person.as_str(), "2027-01-25", "2027-01-31"));
    let second = job(&store, roster(domain, absent))
        .await
        .run(&trigger("evt-w02", "2027-01-08T09:00:00Z"))
        .await
        .unwrap();
    let theirs = second.rotations[0]
        .duty_moved
        .iter()
        .find(|m| m.person == person)
        .unwrap_or_else(|| panic!("{second:?}"));
    assert_eq!(theirs.from.as_deref(), Some("2027-W04"));
    assert_ne!(theirs.to.as_deref(), Some("2027-W04"));
    assert!(
        theirs
            .why
            .contains(&format!("an absence in week 2027-W04: {person} has")),
        "{}",
        theirs.why
    );
    assert_eq!(moved_mails(&format!("{person}@{domain}")).await.len(), 1);
}

#[tokio::test]
async fn a_failed_moved_mail_fails_the_run_and_its_retry_sends_it_once_before_the_plan_is_kept() {
    let domain = "moved-retry.example.org";
    let store = fresh_store("moved-retry").await;
    let ses = verified_sender(SENDER).await;
    let mailer = Arc::new(FailingMailer::new(SesMailer::new(ses), |mail| {
        mail.subject.contains("duty moved")
    }));
    job_with(&store, roster(domain, None), mailer.clone())
        .run(&trigger("evt-w01", "2027-01-01T09:00:00Z"))
        .await
        .unwrap();
    let kept = store.plan_snapshot("ops").await.unwrap().unwrap();
    let (was, person) = ["alice", "bruno", "carla", "dmitri", "erin", "femi"]
        .into_iter()
        .filter_map(|p| next_duty(&kept, p).map(|w| (w, p)))
        .max()
        .unwrap();
    override_week(&store, "2027-W03", person, "trade").await;

    let job = job_with(&store, roster(domain, None), mailer.clone());
    let failed = job.run(&trigger("evt-w02", "2027-01-08T09:00:00Z")).await;
    assert!(
        matches!(failed, Err(JobError::MailsPending { .. })),
        "{failed:?}"
    );
    assert_eq!(
        store.plan_snapshot("ops").await.unwrap().unwrap().week,
        "2027-W01",
        "the plan is not kept while a mail is out"
    );
    assert!(moved_mails(&format!("{person}@{domain}")).await.is_empty());

    mailer.heal();
    let retried = job
        .run(&trigger("evt-w02", "2027-01-08T09:00:00Z"))
        .await
        .unwrap();
    let theirs = retried.rotations[0]
        .duty_moved
        .iter()
        .find(|m| m.person == person)
        .unwrap();
    assert_eq!(theirs.from.as_deref(), Some(was.as_str()));
    assert!(matches!(theirs.outcome, MailOutcome::Sent { .. }));
    assert_eq!(moved_mails(&format!("{person}@{domain}")).await.len(), 1);
    assert_eq!(
        store.plan_snapshot("ops").await.unwrap().unwrap().week,
        "2027-W02"
    );
    let shifts = store.shifts("ops").await.unwrap();
    assert_eq!(shifts.len(), 2, "one shift per week, whatever the retries");
}
