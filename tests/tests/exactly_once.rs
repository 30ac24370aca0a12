//! Exactly once when answers are lost: the VictorOps webhook against moto and the Statuspage fake,
//! each behind a fault proxy that loses applied writes' answers, fails writes, and applies a
//! request after its caller gave up. Each test is one hole the claim protocol closes.

use std::time::Duration;

use clinic_tests::fault_proxy::{Fault, Matcher, Times};
use clinic_tests::incident_rig::{ACK_MS, Setup, deliver, mails_to, setup_with};

const OPENED: &str = "2027-01-05T09:50:05Z";
const OPENED_MS: i64 = 1799142600123;

/// The DynamoDB operation `target` on a claim named `what`.
fn claim_write(target: &str, what: &str) -> Matcher {
    Matcher::aws_target(target).body_contains(&format!("CLAIM#{what}"))
}

fn creations(s: &Setup) -> usize {
    s.fake
        .calls()
        .iter()
        .filter(|c| c.method == "POST" && c.status < 300)
        .count()
}

fn updates_to(s: &Setup, status: &str) -> usize {
    s.fake
        .calls()
        .iter()
        .filter(|c| c.method == "PATCH" && c.body["incident"]["status"] == status)
        .count()
}

/// Delivers as VictorOps does: again after every 5xx, up to `tries` times, `now` moving on by
/// `step` each time. Returns the last answer.
async fn deliver_until_done(
    s: &Setup,
    phase: &str,
    user: &str,
    last_ms: i64,
    now: &str,
    step: jiff::SignedDuration,
    tries: usize,
) -> (u16, serde_json::Value) {
    let mut at: jiff::Timestamp = now.parse().unwrap();
    let mut answer = (0, serde_json::Value::Null);
    for _ in 0..tries {
        answer = deliver(s, phase, user, last_ms, &at.to_string()).await;
        if answer.0 < 500 {
            break;
        }
        at += step;
    }
    answer
}

#[tokio::test]
async fn a_creation_claim_applied_whose_answer_was_lost_still_publishes_the_incident() {
    let s = setup_with("lost-claim.example.org", false, true).await;
    let table = s.table_proxy.as_ref().unwrap();
    table.inject(
        claim_write("UpdateItem", "statuspage-create"),
        Fault::LoseAnswer,
        Times::Next(1),
    );
    let (status, report) = deliver(&s, "UNACKED", "", OPENED_MS, OPENED).await;
    assert_eq!(status, 200, "{report}");
    assert!(report["statuspage_id"].is_string(), "{report}");
    assert_eq!(s.fake.incidents().len(), 1);
    let lost = table.log();
    assert!(
        lost.iter()
            .any(|e| e.fault == Some(Fault::LoseAnswer) && e.applied()),
        "the lost answer was injected: {lost:?}"
    );
}

#[tokio::test]
async fn a_mail_claim_applied_whose_answer_was_lost_still_mails_the_person_on_duty_once() {
    let s = setup_with("lost-mail-claim.example.org", false, true).await;
    s.table_proxy.as_ref().unwrap().inject(
        claim_write("UpdateItem", "mail-opened"),
        Fault::LoseAnswer,
        Times::Next(1),
    );
    let (status, report) = deliver(&s, "UNACKED", "", OPENED_MS, OPENED).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["duty_mail"], "mail-opened", "{report}");
    deliver(&s, "UNACKED", "", OPENED_MS, "2027-01-05T09:51:05Z").await;
    let mails = mails_to(&s.domain).await;
    assert_eq!(
        mails.get(&format!("duty@{}", s.domain)),
        Some(&1),
        "{mails:?}"
    );
}

#[tokio::test]
async fn an_outcome_recorded_twice_after_a_lost_answer_is_one_incident() {
    let s = setup_with("lost-done.example.org", false, true).await;
    s.table_proxy.as_ref().unwrap().inject(
        claim_write("TransactWriteItems", "statuspage-create"),
        Fault::LoseAnswer,
        Times::Next(1),
    );
    let (status, report) = deliver(&s, "UNACKED", "", OPENED_MS, OPENED).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(s.fake.incidents().len(), 1);
    assert_eq!(creations(&s), 1);
}

#[tokio::test]
async fn a_creation_whose_recording_failed_is_busy_then_found_and_acknowledged_on_statuspage() {
    let s = setup_with("unrecorded.example.org", false, true).await;
    let table = s.table_proxy.as_ref().unwrap();
    // Statuspage creates the incident; every try of recording it fails.
    table.inject(
        claim_write("TransactWriteItems", "statuspage-create"),
        Fault::Fail(500),
        Times::Every,
    );
    let (status, _) = deliver(&s, "UNACKED", "", OPENED_MS, OPENED).await;
    assert_eq!(status, 503, "the outcome is not recorded: not done");
    table.heal();
    // Within the first attempt's lease the creation is another invocation's: never 200 with no id.
    let (status, report) = deliver(&s, "UNACKED", "", OPENED_MS, "2027-01-05T09:50:35Z").await;
    assert_eq!(status, 503, "{report}");
    // After the lease the next delivery finds the incident by its VictorOps number.
    let (status, report) = deliver(&s, "UNACKED", "", OPENED_MS, "2027-01-05T09:53:05Z").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["statuspage_id"], s.fake.incidents()[0]["id"]);
    assert_eq!(creations(&s), 1);
    let (status, report) = deliver(&s, "ACKED", "jdoe", ACK_MS, "2027-01-05T09:54:05Z").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["statuspage_status"], "identified");
    assert_eq!(
        updates_to(&s, "identified"),
        1,
        "the table and the page agree"
    );
    assert_eq!(s.fake.incidents()[0]["status"], "identified");
}

#[tokio::test]
async fn a_creation_statuspage_applies_after_the_timeout_is_not_made_twice() {
    let s = setup_with("late-create.example.org", false, true).await;
    s.page_proxy.as_ref().unwrap().inject(
        Matcher::any().method("POST"),
        Fault::DropThenApply(Duration::from_millis(1500)),
        Times::Next(1),
    );
    let (status, _) = deliver(&s, "UNACKED", "", OPENED_MS, OPENED).await;
    assert_eq!(status, 503);
    // The sender retries at once, while the creation is still on its way: not created again.
    let (status, report) = deliver(&s, "UNACKED", "", OPENED_MS, "2027-01-05T09:50:06Z").await;
    assert_eq!(status, 503, "{report}");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let (status, report) = deliver(&s, "UNACKED", "", OPENED_MS, "2027-01-05T09:50:30Z").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(s.fake.incidents().len(), 1);
    assert_eq!(report["statuspage_id"], s.fake.incidents()[0]["id"]);
}

#[tokio::test]
async fn concurrent_deliveries_of_one_phase_update_statuspage_once() {
    let s = std::sync::Arc::new(setup_with("concurrent-ack.example.org", false, false).await);
    let (status, _) = deliver(&s, "UNACKED", "", OPENED_MS, OPENED).await;
    assert_eq!(status, 200);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            deliver_until_done(
                &s,
                "ACKED",
                "jdoe",
                ACK_MS,
                "2027-01-05T09:54:05Z",
                jiff::SignedDuration::from_secs(1),
                10,
            )
            .await
        }));
    }
    for task in tasks {
        let (status, report) = task.await.unwrap();
        assert_eq!(status, 200, "{report}");
    }
    assert_eq!(updates_to(&s, "identified"), 1);
    assert_eq!(s.fake.incidents()[0]["status"], "identified");
}
