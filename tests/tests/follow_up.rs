//! The stale-task follow-up against the Conduit fake and the table on the local stack: one comment per
//! period without activity, claimed under the task's lease and audited, found again on the task if the
//! table lost it, never on tasks a person touched, never in hands-off projects, never when switched off.

use std::sync::Arc;

use clinic::adapters::dynamo::DynamoStore;
use clinic::audit::{AuditEntry, AuditLog};
use clinic::functions::phabricator_webhook::PhabricatorFunction;
use clinic::triage::follow_up::{FOLLOW_UP_JOB, FollowUpLine};
use clinic::triage::model::{TaskPhid, rule_mark};
use clinic::triage::ports::TriageLedger;
use clinic::triage::rules::Rules;
use clinic_tests::conduit_fake::{ConduitFake, webhook_body};
use clinic_tests::fresh_store;
use clinic_tests::triage_rig::{HMAC_KEY, seed, shipped_rules, signed_request, webhook_on};
use serde_json::json;

/// Monday 2027-01-04 08:00 UTC: when the tasks are created and triaged.
const T0: i64 = 1_799_049_600;
const DAY: i64 = 86_400;
const LONG: &str =
    "The backup job on db1001 has been failing every night since the migration; logs attached.";

fn at(epoch: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(epoch).unwrap()
}

struct Rig {
    fake: ConduitFake,
    store: DynamoStore,
    function: PhabricatorFunction,
}

async fn rig_with(rules: Rules) -> Rig {
    let fake = ConduitFake::start().await;
    seed(&fake, &rules);
    let store = fresh_store("follow-up").await;
    let webhook = webhook_on(&fake, rules, Arc::new(store.clone()));
    let function = PhabricatorFunction::new(webhook, Arc::new(store.clone()), None);
    Rig {
        fake,
        store,
        function,
    }
}

async fn rig() -> Rig {
    rig_with(shipped_rules()).await
}

impl Rig {
    /// A person creates a task at `when` and Herald delivers it.
    async fn task(&self, when: i64, title: &str, tags: &[&str]) -> String {
        self.fake.set_now(when);
        let (task, xacts) = self.fake.create_task("alice", title, LONG, tags, 50);
        self.deliver(&task, &xacts, when).await;
        task
    }

    async fn deliver(&self, task: &str, xacts: &[String], when: i64) {
        let body = webhook_body(task, xacts, when);
        let response = self
            .function
            .webhook()
            .handle_at(signed_request(&body, Some(HMAC_KEY)), at(when))
            .await;
        assert_eq!(response.status().as_u16(), 200, "{:?}", response.body());
    }

    /// The scheduled sweep at `when` (Phorge's clock moves with it: the bot's comments are dated then).
    async fn sweep(&self, when: i64, dry_run: bool) -> Vec<FollowUpLine> {
        self.fake.set_now(when);
        self.function
            .webhook()
            .triage()
            .follow_up_sweep(
                &self.store,
                at(when),
                &format!("test-sweep-{when}"),
                dry_run,
            )
            .await
            .unwrap()
    }

    fn follow_ups_on(&self, task: &str) -> usize {
        self.fake
            .comments(task)
            .iter()
            .filter(|(_, text)| text.contains(&rule_mark("stale-follow-up")))
            .count()
    }

    async fn audit(&self, day: i64) -> Vec<AuditEntry> {
        let day = at(day).to_zoned(jiff::tz::TimeZone::UTC).date();
        self.store
            .list(day, day, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "triage.follow-up")
            .collect()
    }
}

fn outcomes(lines: &[FollowUpLine]) -> Vec<(&str, &str)> {
    lines.iter().map(|l| (l.task.as_str(), l.outcome)).collect()
}

#[tokio::test]
async fn a_stale_task_gets_one_follow_up_per_period_and_each_is_audited() {
    let rig = rig().await;
    let stale = rig
        .task(T0, "Nightly backups of db1001 fail", &["sre"])
        .await;
    let fresh = rig
        .task(T0 + 10 * DAY, "Renew the wildcard certificate", &["sre"])
        .await;

    assert!(
        rig.sweep(T0 + 13 * DAY, false).await.is_empty(),
        "nothing is stale yet"
    );
    let first = rig.sweep(T0 + 15 * DAY, false).await;
    assert_eq!(outcomes(&first), vec![(stale.as_str(), "posted")]);
    // The task's last change was a few seconds after T0: 14 whole days ago.
    assert_eq!(first[0].idle_days, 14);
    assert_eq!(rig.follow_ups_on(&stale), 1);
    let (author, text) = rig.fake.comments(&stale).last().cloned().unwrap();
    assert_eq!(author, "clinic-bot");
    assert!(text.contains("for 14 days"), "{text}");
    assert_eq!(rig.follow_ups_on(&fresh), 0);

    // Later runs in the same period post nothing, and do not even claim the task.
    rig.fake.forget_calls();
    assert!(rig.sweep(T0 + 16 * DAY, false).await.is_empty());
    assert!(
        rig.sweep(T0 + 27 * DAY, false)
            .await
            .iter()
            .all(|l| l.task != stale)
    );
    assert!(
        rig.fake
            .calls_of("maniphest.edit")
            .iter()
            .all(|c| c.params["objectIdentifier"] != stale.as_str())
    );
    assert_eq!(rig.follow_ups_on(&stale), 1);

    // The next period without activity earns the next one.
    let second = rig.sweep(T0 + 29 * DAY, false).await;
    assert!(
        outcomes(&second).contains(&(stale.as_str(), "posted")),
        "{second:?}"
    );
    assert_eq!(rig.follow_ups_on(&stale), 2);

    let audited = rig.audit(T0 + 15 * DAY).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].subject, format!("task/{stale}"));
    assert_eq!(audited[0].cause, format!("test-sweep-{}", T0 + 15 * DAY));
    assert!(audited[0].why.contains("14 days"), "{}", audited[0].why);
}

#[tokio::test]
async fn the_bots_own_follow_up_coming_back_as_a_delivery_changes_nothing() {
    let rig = rig().await;
    let stale = rig
        .task(T0, "Nightly backups of db1001 fail", &["sre"])
        .await;
    rig.sweep(T0 + 15 * DAY, false).await;
    let own = rig.fake.bot_transactions(&stale);
    rig.fake.forget_calls();
    rig.deliver(&stale, &own, T0 + 15 * DAY).await;
    assert!(rig.fake.calls_of("maniphest.edit").is_empty());
    // Still stale (the bot is not a person), still followed up for this period.
    let again = rig.sweep(T0 + 16 * DAY, false).await;
    assert!(again.is_empty(), "{again:?}");
}

#[tokio::test]
async fn a_task_a_person_touched_is_not_followed_up_even_if_the_table_did_not_hear() {
    let rig = rig().await;
    let task = rig
        .task(T0, "Nightly backups of db1001 fail", &["sre"])
        .await;
    // A person comments on day 10, and the delivery of that comment is lost.
    rig.fake.set_now(T0 + 10 * DAY);
    rig.fake.comment_as("bob", &task, "Looking into it.");
    let lines = rig.sweep(T0 + 15 * DAY, false).await;
    assert_eq!(outcomes(&lines), vec![(task.as_str(), "active")]);
    assert_eq!(rig.follow_ups_on(&task), 0);
    // The sweep recorded the activity: the task is stale again only 14 days after the comment.
    assert!(rig.sweep(T0 + 20 * DAY, false).await.is_empty());
    let later = rig.sweep(T0 + 25 * DAY, false).await;
    assert_eq!(outcomes(&later), vec![(task.as_str(), "posted")]);
}

#[tokio::test]
async fn a_follow_up_already_on_the_task_is_not_posted_again_when_the_table_lost_it() {
    let rig = rig().await;
    let task = rig
        .task(T0, "Nightly backups of db1001 fail", &["sre"])
        .await;
    rig.sweep(T0 + 15 * DAY, false).await;
    // The table loses the record of it (a restore from an older backup, say).
    let phid = TaskPhid::parse(&task).unwrap();
    let holder = "test-holder";
    let mut state = rig
        .store
        .claim(&phid, holder, at(T0 + 15 * DAY), at(T0 + 15 * DAY + 30))
        .await
        .unwrap()
        .unwrap();
    state.follow_ups.clear();
    assert!(rig.store.save(&state, &[], holder).await.unwrap());

    let lines = rig.sweep(T0 + 16 * DAY, false).await;
    assert_eq!(outcomes(&lines), vec![(task.as_str(), "already-posted")]);
    assert_eq!(rig.follow_ups_on(&task), 1);
    // And it is recorded again: the next run does not even look.
    assert!(rig.sweep(T0 + 17 * DAY, false).await.is_empty());
}

#[tokio::test]
async fn closed_hands_off_and_other_tasks_are_never_followed_up() {
    let rig = rig().await;
    let closed = rig.task(T0, "An outage, since fixed", &["sre"]).await;
    rig.fake.set_now(T0 + DAY);
    let xacts = rig.fake.set_status_as("alice", &closed, "resolved");
    rig.deliver(&closed, &xacts, T0 + DAY).await;
    let procurement = rig.task(T0, "Buy disks", &["sre", "procurement"]).await;
    let other = rig.task(T0, "A wiki page typo", &[]).await;
    assert!(rig.sweep(T0 + 40 * DAY, false).await.is_empty());
    for task in [closed, procurement, other] {
        assert_eq!(rig.follow_ups_on(&task), 0);
    }
}

#[tokio::test]
async fn follow_ups_switched_off_in_the_rules_post_nothing() {
    let mut rules = shipped_rules();
    rules.stale.follow_up = false;
    let rig = rig_with(rules).await;
    let task = rig
        .task(T0, "Nightly backups of db1001 fail", &["sre"])
        .await;
    rig.fake.forget_calls();
    assert!(rig.sweep(T0 + 40 * DAY, false).await.is_empty());
    assert!(rig.fake.calls().is_empty());
    assert_eq!(rig.follow_ups_on(&task), 0);
}

#[tokio::test]
async fn a_dry_run_lists_the_follow_ups_due_and_posts_none() {
    let rig = rig().await;
    let task = rig
        .task(T0, "Nightly backups of db1001 fail", &["sre"])
        .await;
    let lines = rig.sweep(T0 + 15 * DAY, true).await;
    assert_eq!(outcomes(&lines), vec![(task.as_str(), "due")]);
    assert_eq!(rig.follow_ups_on(&task), 0);
    // The lease was given back: the real run goes ahead at once.
    let lines = rig.sweep(T0 + 15 * DAY, false).await;
    assert_eq!(outcomes(&lines), vec![(task.as_str(), "posted")]);
}

#[tokio::test]
async fn a_conduit_failure_leaves_the_follow_up_for_the_next_run() {
    let rig = rig().await;
    let task = rig
        .task(T0, "Nightly backups of db1001 fail", &["sre"])
        .await;
    rig.fake.fail_call("maniphest.edit", 0);
    let result = rig
        .function
        .webhook()
        .triage()
        .follow_up_sweep(&rig.store, at(T0 + 15 * DAY), "failing", false)
        .await;
    assert!(
        result.is_err(),
        "every follow-up failed: the run fails and is retried"
    );
    assert_eq!(rig.follow_ups_on(&task), 0);
    let lines = rig.sweep(T0 + 15 * DAY + 60, false).await;
    assert_eq!(outcomes(&lines), vec![(task.as_str(), "posted")]);
    assert_eq!(rig.follow_ups_on(&task), 1);
}

#[tokio::test]
async fn the_lambda_runs_the_sweep_on_its_schedule_and_refuses_other_events() {
    let rig = rig().await;
    let task = rig
        .task(T0, "Nightly backups of db1001 fail", &["sre"])
        .await;
    let scheduled = json!({
        "version": "0", "id": "5f1c7d3e-follow-up-0001", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2027-01-19T07:00:00Z",
        "region": "eu-west-1", "resources": ["arn:aws:events:eu-west-1:123456789012:rule/clinic-follow-ups"],
        "detail": {}
    });
    let report = rig.function.dispatch(scheduled).await.unwrap();
    assert_eq!(report["follow_ups"][0]["task"], task.as_str());
    assert_eq!(report["follow_ups"][0]["outcome"], "posted");
    let dry =
        json!({ "job": FOLLOW_UP_JOB, "scheduled_time": "2027-02-02T07:00:00Z", "dry_run": true });
    let report = rig.function.dispatch(dry).await.unwrap();
    assert_eq!(report["follow_ups"][0]["outcome"], "due");
    assert_eq!(rig.follow_ups_on(&task), 1);
    let refused = rig
        .function
        .dispatch(json!({ "job": "weekly-rotation", "scheduled_time": "2027-02-02T07:00:00Z" }))
        .await
        .unwrap_err();
    assert!(!refused.retryable);
}
