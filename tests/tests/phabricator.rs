//! The phabricator-webhook handler end to end: signed deliveries in, a local Conduit fake as Phorge,
//! the table on the local stack (moto), the person on duty from a committed shift.

use std::sync::Arc;

use clinic::adapters::conduit::ConduitClient;
use clinic::adapters::dynamo::DynamoStore;
use clinic::audit::{AuditEntry, AuditLog};
use clinic::functions::phabricator_webhook::PhabricatorWebhook;
use clinic::http_url::HttpUrl;
use clinic::secret::Secret;
use clinic::shifts::{ShiftLedger, ShiftRecord};
use clinic::triage::model::TaskPhid;
use clinic::triage::ports::TriageLedger;
use clinic::triage::rules::Rules;
use clinic::triage::service::Triage;
use clinic_tests::conduit_fake::{ConduitFake, TOKEN, webhook_body};
use clinic_tests::fresh_store;
use clinic_tests::triage_rig::{Counted, HMAC_KEY, ON_DUTY, seed, shipped_rules, signed_request};
use serde_json::{Value, json};

/// The moment the deliveries are handled: within the person's shift and days after the tasks' creation.
const NOW: i64 = 1_800_000_500;

struct Rig {
    fake: ConduitFake,
    store: DynamoStore,
    counted: Arc<Counted<DynamoStore>>,
    hook: PhabricatorWebhook,
}

async fn rig_with(rules: Rules, dry_run: bool) -> Rig {
    rig_seeded(&rules.clone(), rules, dry_run).await
}

/// A rig whose Phorge has the projects and people `seeded` names, running `rules`.
async fn rig_seeded(seeded: &Rules, rules: Rules, dry_run: bool) -> Rig {
    let fake = ConduitFake::start().await;
    seed(&fake, seeded);
    let store = fresh_store("triage").await;
    let start = jiff::Timestamp::from_second(NOW - 86_400).unwrap();
    let shift = ShiftRecord {
        rotation: rules.clinic_duty.rotation.clone(),
        week: "2027-W03".into(),
        primary: Some(ON_DUTY.into()),
        backup: None,
        team: None,
        start_utc: start,
        end_utc: jiff::Timestamp::from_second(NOW + 6 * 86_400).unwrap(),
        relaxed: vec![],
        unstaffed_reason: None,
        overridden: None,
        committed_at: start,
        cause: "test".into(),
        victorops_overrides: Vec::new(),
    };
    let audit = AuditEntry::new(start, "test", "shift.commit", "rotation", "setup", "test");
    store.commit_shift(&shift, &audit).await.unwrap();
    let counted = Arc::new(Counted::new(store.clone()));
    let conduit =
        ConduitClient::new(HttpUrl::parse(&fake.url()).unwrap(), Secret::new(TOKEN)).unwrap();
    let hook = PhabricatorWebhook::with_ports(
        Secret::new(HMAC_KEY),
        rules,
        Arc::new(conduit),
        counted.clone(),
        counted.clone(),
        dry_run,
    );
    Rig {
        fake,
        store,
        counted,
        hook,
    }
}

async fn rig() -> Rig {
    rig_with(shipped_rules(), false).await
}

impl Rig {
    async fn deliver_body(&self, body: &[u8], key: Option<&str>) -> (u16, Value) {
        let now = jiff::Timestamp::from_second(NOW).unwrap();
        let response = self.hook.handle_at(signed_request(body, key), now).await;
        let status = response.status().as_u16();
        let json = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
        (status, json)
    }

    async fn deliver(&self, task: &str, transactions: &[String]) -> (u16, Value) {
        self.deliver_body(&webhook_body(task, transactions, NOW), Some(HMAC_KEY))
            .await
    }

    /// Another handler on the rig's table, reaching Conduit at `url` (a fault proxy, say), its
    /// triage set up by `configure`; the table is not counted.
    fn hook_through(
        &self,
        url: &str,
        rules: Rules,
        configure: impl FnOnce(Triage) -> Triage,
    ) -> PhabricatorWebhook {
        let conduit = ConduitClient::new(HttpUrl::parse(url).unwrap(), Secret::new(TOKEN)).unwrap();
        let store = Arc::new(self.store.clone());
        let triage = Triage::new(rules, Arc::new(conduit), store.clone(), store, false);
        PhabricatorWebhook::new(Secret::new(HMAC_KEY), configure(triage))
    }

    fn edits(&self) -> usize {
        self.fake.calls_of("maniphest.edit").len()
    }

    async fn audit(&self) -> Vec<AuditEntry> {
        let day = jiff::Timestamp::from_second(NOW)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        self.store
            .list(day, day, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.actor == "phabricator-webhook")
            .collect()
    }
}

fn rules_of(report: &Value) -> Vec<String> {
    report["decisions"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|d| d["rule"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

const LONG: &str = "Since 01:00 UTC about two percent of requests fail; the graphs show it clearly, details below.";

#[tokio::test]
async fn a_missing_or_wrong_signature_gets_401_and_causes_nothing() {
    let rig = rig().await;
    let (task, xacts) = rig
        .fake
        .create_task("alice", "Elevated 503s", LONG, &["sre"], 90);
    let body = webhook_body(&task, &xacts, NOW);
    assert_eq!(rig.deliver_body(&body, None).await.0, 401);
    assert_eq!(rig.deliver_body(&body, Some("another key")).await.0, 401);
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let signed_original = signed_request(&body, Some(HMAC_KEY));
    let mut request = signed_request(&tampered, None);
    let header = signed_original
        .headers()
        .get("x-phabricator-webhook-signature")
        .unwrap()
        .clone();
    request
        .headers_mut()
        .insert("x-phabricator-webhook-signature", header);
    let now = jiff::Timestamp::from_second(NOW).unwrap();
    assert_eq!(
        rig.hook.handle_at(request, now).await.status().as_u16(),
        401
    );
    assert!(rig.fake.calls().is_empty(), "{:?}", rig.fake.calls());
    assert_eq!(rig.counted.calls(), 0);
    let state = rig
        .store
        .load(&TaskPhid::parse(&task).unwrap())
        .await
        .unwrap();
    assert!(state.deliveries.is_empty());
}

#[tokio::test]
async fn a_body_that_is_not_json_or_too_large_gets_400_and_other_objects_200() {
    let rig = rig().await;
    assert_eq!(rig.deliver_body(b"{not json", Some(HMAC_KEY)).await.0, 400);
    let huge = vec![b' '; 300 * 1024];
    assert_eq!(rig.deliver_body(&huge, Some(HMAC_KEY)).await.0, 400);
    let project = br#"{"object":{"type":"PROJ","phid":"PHID-PROJ-x"},"triggers":[],"action":{"test":false,"epoch":1},"transactions":[]}"#;
    let (status, report) = rig.deliver_body(project, Some(HMAC_KEY)).await;
    assert_eq!((status, report["outcome"].as_str()), (200, Some("ignored")));
    assert!(rig.fake.calls().is_empty());
}

#[tokio::test]
async fn a_new_sre_task_is_routed_to_its_team_and_the_person_on_duty_subscribed() {
    let rig = rig().await;
    let (task, xacts) = rig.fake.create_task(
        "alice",
        "Elevated 503s from the text cluster",
        LONG,
        &["sre"],
        90,
    );
    let (status, report) = rig.deliver(&task, &xacts).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(rules_of(&report), vec!["routing", "clinic-duty"]);
    assert_eq!(rig.fake.tags(&task), vec!["sre", "traffic"]);
    assert!(rig.fake.subscribers(&task).contains(&ON_DUTY.to_owned()));
    assert_eq!(rig.edits(), 1, "both rules' decisions in one edit");
    assert!(
        rig.counted.calls() <= 4,
        "{} DynamoDB calls",
        rig.counted.calls()
    );
}

#[tokio::test]
async fn an_unroutable_task_gets_sre_unowned_and_a_person_removing_it_is_respected() {
    let rig = rig().await;
    let (task, xacts) = rig
        .fake
        .create_task("alice", "Something odd", LONG, &["sre"], 50);
    rig.deliver(&task, &xacts).await;
    assert_eq!(rig.fake.tags(&task), vec!["sre", "sre-unowned"]);
    let removal = rig.fake.remove_tag_as("bob", &task, "sre-unowned");
    let (status, report) = rig.deliver(&task, &removal).await;
    assert_eq!((status, rules_of(&report)), (200, vec![]), "{report}");
    assert_eq!(rig.fake.tags(&task), vec!["sre"]);
    let comment = rig.fake.comment_as("bob", &task, "Looking into it.");
    rig.deliver(&task, &comment).await;
    assert_eq!(rig.fake.tags(&task), vec!["sre"]);
}

#[tokio::test]
async fn a_task_in_procurement_is_never_touched() {
    let rig = rig().await;
    let (task, xacts) =
        rig.fake
            .create_task("alice", "Buy 40 disks", "pls", &["sre", "procurement"], 90);
    let (status, report) = rig.deliver(&task, &xacts).await;
    assert_eq!(status, 200);
    assert_eq!(report["outcome"]["hands_off"]["project"], "procurement");
    assert_eq!(rig.edits(), 0);
}

#[tokio::test]
async fn a_mailing_list_request_gets_sre_and_a_recent_deployment_gets_production_error() {
    let rig = rig().await;
    let (list, xacts) = rig.fake.create_task(
        "alice",
        "Create list foo-l",
        LONG,
        &["wikimedia-mailing-lists"],
        50,
    );
    rig.deliver(&list, &xacts).await;
    assert!(rig.fake.tags(&list).contains(&"sre".to_owned()));
    let text = format!("{LONG} It started right after the deploy of 1.45.");
    let (deploy, xacts) = rig
        .fake
        .create_task("alice", "Errors on varnish", &text, &["sre"], 50);
    rig.deliver(&deploy, &xacts).await;
    assert_eq!(
        rig.fake.tags(&deploy),
        vec!["sre", "traffic", "wikimedia-production-error"]
    );
}

#[tokio::test]
async fn an_access_request_gets_its_checklist_once_then_one_approval_comment_and_the_person_on_duty()
 {
    let rig = rig().await;
    let description = format!("{LONG}\nNeeded by: 2027-02-01");
    let (task, xacts) = rig.fake.create_task(
        "alice",
        "Access to analytics for alice",
        &description,
        &["sre-access-requests"],
        50,
    );
    let (_, report) = rig.deliver(&task, &xacts).await;
    assert_eq!(
        rules_of(&report),
        vec!["access-checklist:sre-access-requests"]
    );
    let first = rig.fake.comment_as(
        "mgr-ops",
        &task,
        "Approved, she needs it for the dashboards.",
    );
    let (_, report) = rig.deliver(&task, &first).await;
    assert_eq!(rules_of(&report), Vec::<String>::new());
    let second = rig.fake.comment_as("sre-director", &task, "+1");
    let (_, report) = rig.deliver(&task, &second).await;
    assert_eq!(
        rules_of(&report),
        vec!["access-approved:sre-access-requests", "clinic-duty"]
    );
    let again = rig.fake.comment_as("alice", &task, "Thanks all!");
    rig.deliver(&task, &again).await;
    let bot_comments: Vec<_> = rig
        .fake
        .comments(&task)
        .into_iter()
        .filter(|(a, _)| a == "clinic-bot")
        .collect();
    assert_eq!(bot_comments.len(), 2, "{bot_comments:?}");
    assert!(rig.fake.subscribers(&task).contains(&ON_DUTY.to_owned()));
    let state = rig
        .store
        .load(&TaskPhid::parse(&task).unwrap())
        .await
        .unwrap();
    assert_eq!(state.approvals["approved"].len(), 2);
}

#[tokio::test]
async fn a_short_task_gets_one_polite_request_addressed_to_its_author() {
    let rig = rig().await;
    let (task, xacts) =
        rig.fake
            .create_task("carol", "Help with varnish", "it is broken", &["sre"], 50);
    rig.deliver(&task, &xacts).await;
    let more = rig.fake.comment_as("carol", &task, "any news?");
    rig.deliver(&task, &more).await;
    let asked: Vec<_> = rig
        .fake
        .comments(&task)
        .into_iter()
        .filter(|(a, _)| a == "clinic-bot")
        .collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(asked[0].1.starts_with("Hi @carol"), "{}", asked[0].1);
}

#[tokio::test]
async fn two_deliveries_about_one_task_at_the_same_moment_post_its_comment_once() {
    let rig = rig().await;
    let (task, xacts) =
        rig.fake
            .create_task("carol", "Help with varnish", "it is broken", &["sre"], 50);
    let more = rig.fake.comment_as("carol", &task, "any news?");
    let (first, second) = tokio::join!(rig.deliver(&task, &xacts), rig.deliver(&task, &more));
    assert_eq!(
        (first.0, second.0),
        (200, 200),
        "{} / {}",
        first.1,
        second.1
    );
    let asked = rig
        .fake
        .comments(&task)
        .into_iter()
        .filter(|(a, _)| a == "clinic-bot")
        .count();
    assert_eq!(asked, 1, "{} / {}", first.1, second.1);
    let audited = rig
        .audit()
        .await
        .iter()
        .filter(|e| e.action == "triage.comment")
        .count();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_delivery_for_a_task_another_holds_is_queued_answered_200_at_once_and_handled_next() {
    let rules = shipped_rules();
    let rig = rig_with(rules.clone(), false).await;
    let (task, xacts) = rig
        .fake
        .create_task("alice", "Elevated 503s", LONG, &["sre"], 90);
    let phid = TaskPhid::parse(&task).unwrap();
    let now = jiff::Timestamp::from_second(NOW).unwrap();
    let until = jiff::Timestamp::from_second(NOW + 30).unwrap();
    assert!(
        rig.store
            .claim(&phid, "a delivery that died", now, until)
            .await
            .unwrap()
            .is_some()
    );
    let hook = rig.hook_through(&rig.fake.url(), rules, |triage| triage);
    let body = webhook_body(&task, &xacts, NOW);
    // No waiting for the lease and no 503: Phorge would retry only after 5 minutes and count it
    // toward pausing the hook.
    let queued = hook
        .handle_at(signed_request(&body, Some(HMAC_KEY)), now)
        .await;
    assert_eq!(queued.status().as_u16(), 200);
    let report: Value = serde_json::from_slice(queued.body().as_ref()).unwrap();
    assert_eq!(report["outcome"], "queued", "{report}");
    assert!(rig.fake.calls().is_empty(), "{:?}", rig.fake.calls());
    assert_eq!(rig.store.queued(&phid).await.unwrap().len(), 1);
    // The lease runs out (its holder died); the task's next delivery handles the queued one too.
    let later = jiff::Timestamp::from_second(NOW + 31).unwrap();
    let comment = rig.fake.comment_as("alice", &task, "Still happening.");
    let next = webhook_body(&task, &comment, NOW + 31);
    let handled = hook
        .handle_at(signed_request(&next, Some(HMAC_KEY)), later)
        .await;
    assert_eq!(handled.status().as_u16(), 200);
    assert_eq!(rig.fake.tags(&task), vec!["sre", "traffic"]);
    assert_eq!(rig.edits(), 1, "one edit for both deliveries");
    assert!(rig.store.queued(&phid).await.unwrap().is_empty());
    let state = rig.store.load(&phid).await.unwrap();
    assert_eq!(state.deliveries.len(), 2, "{:?}", state.deliveries);
    // The queued copy coming again (Phorge never retries a 200, but a re-sent one) changes nothing.
    let again = hook
        .handle_at(signed_request(&body, Some(HMAC_KEY)), later)
        .await;
    let report: Value = serde_json::from_slice(again.body().as_ref()).unwrap();
    assert_eq!(report["outcome"], "already_handled", "{report}");
    assert_eq!(rig.edits(), 1);
}

#[tokio::test]
async fn a_delivery_whose_conduit_hangs_is_answered_503_at_its_deadline_and_the_retry_applies_once()
{
    use clinic_tests::fault_proxy::{Fault, FaultProxy, Matcher, Times};
    let rules = shipped_rules();
    let rig = rig_with(rules.clone(), false).await;
    let proxy = FaultProxy::start(&rig.fake.url()).await;
    let hook = rig.hook_through(&proxy.url(), rules, |triage| {
        triage.with_deadline(std::time::Duration::from_millis(400))
    });
    let (task, xacts) =
        rig.fake
            .create_task("alice", "Elevated 503s at the edge", LONG, &["sre"], 90);
    proxy.inject(
        Matcher::any().path_prefix("/api/maniphest.search"),
        Fault::Hang,
        Times::Next(1),
    );
    let body = webhook_body(&task, &xacts, NOW);
    let now = jiff::Timestamp::from_second(NOW).unwrap();
    let late = hook
        .handle_at(signed_request(&body, Some(HMAC_KEY)), now)
        .await;
    assert_eq!(late.status().as_u16(), 503);
    let report: Value = serde_json::from_slice(late.body().as_ref()).unwrap();
    assert!(
        report["error"]
            .as_str()
            .unwrap_or_default()
            .contains("took longer than 0.4 s"),
        "{report}"
    );
    assert_eq!(rig.edits(), 0);
    // Phorge retries after 5 minutes, when the dropped delivery's lease has run out.
    let retry_at = jiff::Timestamp::from_second(NOW + 300).unwrap();
    let retried = hook
        .handle_at(signed_request(&body, Some(HMAC_KEY)), retry_at)
        .await;
    assert_eq!(retried.status().as_u16(), 200);
    assert_eq!(rig.fake.tags(&task), vec!["sre", "traffic"]);
    assert_eq!(rig.edits(), 1);
}

#[tokio::test]
async fn a_rule_naming_a_project_by_an_additional_hashtag_or_in_another_case_still_works() {
    let mut rules = shipped_rules();
    rules.sre_tag = "SRE".into();
    for team in &mut rules.routing.teams {
        if team.tag == "observability" {
            team.tag = "o11y".into();
        }
    }
    let rig = rig_seeded(&shipped_rules(), rules, false).await;
    rig.fake.add_hashtag("observability", "o11y");
    let (task, xacts) =
        rig.fake
            .create_task("alice", "Prometheus is missing targets", LONG, &["sre"], 90);
    let (status, report) = rig.deliver(&task, &xacts).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        rules_of(&report),
        vec!["routing", "clinic-duty"],
        "{report}"
    );
    assert_eq!(rig.fake.tags(&task), vec!["observability", "sre"]);
}

#[tokio::test]
async fn a_task_on_a_milestone_or_subproject_of_sre_is_sre_work() {
    let rig = rig().await;
    rig.fake.add_subproject("sre", "sre-2027-q1");
    let (task, xacts) = rig.fake.create_task(
        "alice",
        "Varnish keeps restarting",
        LONG,
        &["sre-2027-q1"],
        90,
    );
    let (status, report) = rig.deliver(&task, &xacts).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        rules_of(&report),
        vec!["routing", "clinic-duty"],
        "{report}"
    );
    assert_eq!(rig.fake.tags(&task), vec!["sre-2027-q1", "traffic"]);
    assert!(rig.fake.subscribers(&task).contains(&ON_DUTY.to_owned()));
}

#[tokio::test]
async fn a_task_in_a_hands_off_space_is_never_touched() {
    let mut rules = shipped_rules();
    rules.hands_off_spaces = vec!["S4".into()];
    let rig = rig_with(rules, false).await;
    let space = rig.fake.add_space("S4");
    let (task, xacts) = rig
        .fake
        .create_task("alice", "Quote for 40 disks", LONG, &["sre"], 90);
    rig.fake.set_task_visibility(&task, "public", Some(&space));
    let (status, report) = rig.deliver(&task, &xacts).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["outcome"]["hands_off"]["project"], "S4", "{report}");
    assert_eq!(rig.edits(), 0);
}

#[tokio::test]
async fn a_hands_off_space_this_phorge_lacks_is_no_reason_to_stop_triaging() {
    let mut rules = shipped_rules();
    rules.hands_off_spaces = vec!["S9".into()];
    let rig = rig_with(rules, false).await;
    let (task, xacts) =
        rig.fake
            .create_task("alice", "Elevated 503s at the edge", LONG, &["sre"], 90);
    let (status, report) = rig.deliver(&task, &xacts).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(rig.fake.tags(&task), vec!["sre", "traffic"]);
}

#[tokio::test]
async fn a_task_not_publicly_visible_or_delivered_secure_keeps_its_title_out_of_the_table() {
    let rig = rig().await;
    let (hidden, xacts) = rig.fake.create_task(
        "alice",
        "Vendor contract renewal for the CDN",
        LONG,
        &["sre"],
        90,
    );
    rig.fake.set_task_visibility(&hidden, "users", None);
    assert_eq!(rig.deliver(&hidden, &xacts).await.0, 200);
    let (secure, xacts) =
        rig.fake
            .create_task("alice", "Elevated 503s at the edge", LONG, &["sre"], 90);
    let body = clinic_tests::conduit_fake::webhook_body_flagged(&secure, &xacts, NOW, false, true);
    assert_eq!(rig.deliver_body(&body, Some(HMAC_KEY)).await.0, 200);
    for task in [&hidden, &secure] {
        let state = rig
            .store
            .load(&TaskPhid::parse(task).unwrap())
            .await
            .unwrap();
        let summary = state.summary.expect("a summary");
        assert!(summary.restricted, "{task}");
        assert_eq!(summary.title, "", "the title is not stored");
    }
    // Triage itself still works on them: only what Clinic shows elsewhere is restricted.
    assert_eq!(rig.fake.tags(&hidden), vec!["sre", "traffic"]);
}

#[tokio::test]
async fn a_silent_edit_gets_no_edit_back_and_the_next_ordinary_one_is_triaged() {
    let rig = rig().await;
    let (task, xacts) =
        rig.fake
            .create_task("importer", "Elevated 503s at the edge", LONG, &["sre"], 90);
    let body = clinic_tests::conduit_fake::webhook_body_flagged(&task, &xacts, NOW, true, false);
    let (status, report) = rig.deliver_body(&body, Some(HMAC_KEY)).await;
    assert_eq!(
        (status, report["outcome"].as_str()),
        (200, Some("silent")),
        "{report}"
    );
    assert_eq!(rig.edits(), 0);
    let comment = rig.fake.comment_as("alice", &task, "Any news?");
    let (status, report) = rig.deliver(&task, &comment).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(rig.fake.tags(&task), vec!["sre", "traffic"]);
}

#[tokio::test]
async fn once_clinic_has_routed_a_task_a_person_changing_its_tags_is_left_alone() {
    let rig = rig().await;
    let (task, xacts) =
        rig.fake
            .create_task("alice", "Elevated 503s at the edge", LONG, &["sre"], 50);
    rig.deliver(&task, &xacts).await;
    assert_eq!(rig.fake.tags(&task), vec!["sre", "traffic"]);
    let removal = rig.fake.remove_tag_as("bob", &task, "traffic");
    let (status, report) = rig.deliver(&task, &removal).await;
    assert_eq!((status, rules_of(&report)), (200, vec![]), "{report}");
    assert_eq!(
        rig.fake.tags(&task),
        vec!["sre"],
        "no sre-unowned in its place"
    );
}

#[tokio::test]
async fn a_big_quota_request_goes_to_the_meeting_and_needs_an_approval_besides_the_person_on_duty()
{
    let rig = rig().await;
    let description = "**Current quota**: 8 cores\n**Requested quota**: 24 cores\n**Storage (GB)**: 100\n**Floating IPs**: 0";
    let (task, xacts) = rig.fake.create_task(
        "dave",
        "Quota for project tools",
        description,
        &["cloud-vps-quota-requests"],
        50,
    );
    let (_, report) = rig.deliver(&task, &xacts).await;
    assert_eq!(rules_of(&report), vec!["quota-meeting", "quota-checklist"]);
    assert!(
        rig.fake
            .tags(&task)
            .contains(&"wmcs-weekly-meeting".to_owned())
    );
    let approval = rig.fake.comment_as("wmcs-bob", &task, "Approved");
    let (_, report) = rig.deliver(&task, &approval).await;
    assert_eq!(rules_of(&report), vec!["quota-approved", "clinic-duty"]);
}

#[tokio::test]
async fn with_rule_seven_enabled_non_sre_work_is_untagged_with_a_reason() {
    let mut rules = shipped_rules();
    if let Some(rule) = rules.not_sre.as_mut() {
        rule.enabled = true;
    }
    let rig = rig_with(rules, false).await;
    let (task, xacts) = rig
        .fake
        .create_task("erin", "My user script broke", LONG, &["sre"], 50);
    let (_, report) = rig.deliver(&task, &xacts).await;
    assert_eq!(rules_of(&report), vec!["not-sre", "not-sre"]);
    assert!(rig.fake.tags(&task).is_empty());
    assert!(rig.fake.comments(&task)[0].1.contains("not SRE work"));
}

#[tokio::test]
async fn the_same_delivery_twice_and_an_older_one_late_change_nothing() {
    let rig = rig().await;
    let (task, xacts) = rig
        .fake
        .create_task("alice", "Something odd", LONG, &["sre"], 90);
    let (_, first) = rig.deliver(&task, &xacts).await;
    assert_eq!(first["outcome"], "triaged");
    let later = rig
        .fake
        .comment_as("alice", &task, "More details: it happens hourly.");
    rig.deliver(&task, &later).await;
    rig.fake.forget_calls();
    let (status, again) = rig.deliver(&task, &xacts).await;
    assert_eq!(
        (status, again["outcome"].as_str()),
        (200, Some("already_handled"))
    );
    assert!(rig.fake.calls().is_empty(), "{:?}", rig.fake.calls());
    let older = webhook_body(&task, &xacts[..1], NOW - 300);
    let (_, late) = rig.deliver_body(&older, Some(HMAC_KEY)).await;
    assert_eq!(late["outcome"], "already_handled");
    assert_eq!(rig.edits(), 0);
}

#[tokio::test]
async fn the_bots_own_edits_coming_back_cause_no_edit() {
    let rig = rig().await;
    let (task, xacts) = rig
        .fake
        .create_task("alice", "Something odd", LONG, &["sre"], 90);
    rig.deliver(&task, &xacts).await;
    let own = rig.fake.bot_transactions(&task);
    assert!(!own.is_empty());
    rig.fake.forget_calls();
    let (_, report) = rig.deliver(&task, &own).await;
    assert_eq!(report["outcome"], "already_handled");
    assert_eq!(rig.edits(), 0);
    // Even without the table's memory of them, the authors give the bot's edits away.
    let fresh = rig_with(shipped_rules(), false).await;
    let (task, xacts) = fresh
        .fake
        .create_task("alice", "Something odd", LONG, &["sre"], 90);
    fresh.deliver(&task, &xacts).await;
    let own = fresh.fake.bot_transactions(&task);
    let phid = TaskPhid::parse(&task).unwrap();
    let now = jiff::Timestamp::from_second(NOW).unwrap();
    let until = jiff::Timestamp::from_second(NOW + 30).unwrap();
    assert!(
        fresh
            .store
            .claim(&phid, "test", now, until)
            .await
            .unwrap()
            .is_some()
    );
    let forgotten = clinic::triage::ports::TaskState::new(&phid);
    assert!(fresh.store.save(&forgotten, &[], "test").await.unwrap());
    fresh.fake.forget_calls();
    let (_, report) = fresh.deliver(&task, &own).await;
    assert_eq!(report["outcome"], "own_edits");
    assert_eq!(fresh.edits(), 0);
}

#[tokio::test]
async fn a_failed_edit_answers_5xx_changes_nothing_and_the_retry_applies_everything_once() {
    let rig = rig().await;
    let (task, xacts) =
        rig.fake
            .create_task("alice", "Elevated 503s on varnish", "short", &["sre"], 90);
    rig.fake.fail_call("maniphest.edit", 0);
    let (status, report) = rig.deliver(&task, &xacts).await;
    assert_eq!(status, 502, "{report}");
    assert_eq!(rig.fake.tags(&task), vec!["sre"]);
    assert!(rig.fake.comments(&task).is_empty());
    assert!(rig.audit().await.is_empty(), "nothing was applied");
    let (status, report) = rig.deliver(&task, &xacts).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        rules_of(&report),
        vec!["routing", "missing-info", "clinic-duty"]
    );
    assert_eq!(rig.fake.tags(&task), vec!["sre", "traffic"]);
    assert_eq!(rig.fake.comments(&task).len(), 1);
    assert_eq!(
        rig.edits(),
        2,
        "the failed edit and the one that applied everything"
    );
}

#[tokio::test]
async fn a_failed_read_answers_5xx_and_writes_nothing() {
    let rig = rig().await;
    let (task, xacts) = rig
        .fake
        .create_task("alice", "Something odd", LONG, &["sre"], 90);
    rig.fake.fail_call("maniphest.search", 0);
    let (status, _) = rig.deliver(&task, &xacts).await;
    assert_eq!(status, 502);
    assert_eq!(rig.edits(), 0);
    let state = rig
        .store
        .load(&TaskPhid::parse(&task).unwrap())
        .await
        .unwrap();
    assert!(state.deliveries.is_empty());
    assert_eq!(rig.deliver(&task, &xacts).await.0, 200);
    assert_eq!(rig.fake.tags(&task), vec!["sre", "sre-unowned"]);
}

#[tokio::test]
async fn a_dry_run_audits_the_decisions_and_edits_nothing() {
    let rig = rig_with(shipped_rules(), true).await;
    let (task, xacts) =
        rig.fake
            .create_task("alice", "Elevated 503s on varnish", LONG, &["sre"], 90);
    let (status, report) = rig.deliver(&task, &xacts).await;
    assert_eq!((status, report["dry_run"].as_bool()), (200, Some(true)));
    assert_eq!(rules_of(&report), vec!["routing", "clinic-duty"]);
    assert_eq!(rig.edits(), 0);
    assert_eq!(rig.fake.tags(&task), vec!["sre"]);
    let actions: Vec<String> = rig.audit().await.into_iter().map(|e| e.action).collect();
    assert_eq!(actions.len(), 2);
    assert!(
        actions.iter().all(|a| a.ends_with(".dry-run")),
        "{actions:?}"
    );
}

#[tokio::test]
async fn every_action_is_audited_with_the_task_the_rule_and_the_delivery() {
    let rig = rig().await;
    let (task, xacts) =
        rig.fake
            .create_task("alice", "Elevated 503s on varnish", LONG, &["sre"], 90);
    let (_, report) = rig.deliver(&task, &xacts).await;
    let entries = rig.audit().await;
    assert_eq!(entries.len(), 2);
    for entry in &entries {
        assert_eq!(entry.subject, format!("task/{task}"));
        assert!(entry.why.starts_with("rule "), "{}", entry.why);
        assert_eq!(
            entry.cause,
            format!("webhook:{}", report["delivery"].as_str().unwrap())
        );
    }
}

#[tokio::test]
async fn a_test_delivery_is_acknowledged_without_reading_anything() {
    let rig = rig().await;
    let (task, _) = rig
        .fake
        .create_task("alice", "Something odd", LONG, &["sre"], 90);
    rig.fake.forget_calls();
    let body = json!({"object":{"type":"TASK","phid":task},"triggers":[],"action":{"test":true,"epoch":NOW},"transactions":[]});
    let (status, report) = rig
        .deliver_body(body.to_string().as_bytes(), Some(HMAC_KEY))
        .await;
    assert_eq!((status, report["outcome"].as_str()), (200, Some("test")));
    assert!(rig.fake.calls().is_empty());
}

#[tokio::test]
async fn a_function_url_event_with_a_base64_body_is_verified_and_handled() {
    let rig = rig().await;
    let (task, xacts) = rig
        .fake
        .create_task("alice", "Something odd", LONG, &["sre"], 50);
    let body = webhook_body(&task, &xacts, NOW);
    let signature = clinic::triage::webhook::sign(HMAC_KEY.as_bytes(), &body);
    use base64_engine::encode;
    let event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/hooks/phabricator", "rawQueryString": "",
        "headers": { "content-type": "application/json", "x-phabricator-webhook-signature": signature, "host": "abc.lambda-url.us-east-1.on.aws" },
        "requestContext": { "accountId": "123456789012", "apiId": "abc", "domainName": "abc.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abc", "http": { "method": "POST", "path": "/hooks/phabricator", "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.1", "userAgent": "Phorge" }, "requestId": "r1", "routeKey": "$default", "stage": "$default",
            "time": "22/Nov/2026:01:57:03 +0000", "timeEpoch": 1795312623000_i64 },
        "body": encode(&body), "isBase64Encoded": true
    });
    let request = lambda_http::request::from_str(&event.to_string()).expect("a Function URL event");
    let now = jiff::Timestamp::from_second(NOW).unwrap();
    let response = rig.hook.handle_at(request, now).await;
    assert_eq!(response.status().as_u16(), 200, "{:?}", response.body());
    assert_eq!(rig.fake.tags(&task), vec!["sre", "sre-unowned"]);
}

mod base64_engine {
    pub fn encode(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

#[tokio::test]
async fn clinic_serve_routes_a_post_to_the_same_handler_over_http() {
    let rig = rig().await;
    let (task, xacts) = rig
        .fake
        .create_task("alice", "Something odd", LONG, &["sre"], 50);
    let Rig { fake, hook, .. } = rig;
    let served = clinic_tests::Served::start(clinic::functions::http::Routes::new().route(
        lambda_http::http::Method::POST,
        "/hooks/phabricator",
        Arc::new(hook),
    ))
    .await;
    let bound = served.address;
    let client = reqwest::Client::new();
    let body = webhook_body(&task, &xacts, NOW);
    let url = format!("http://{bound}/hooks/phabricator");
    let unsigned = client.post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let signature = clinic::triage::webhook::sign(HMAC_KEY.as_bytes(), &body);
    let signed = client
        .post(&url)
        .header("X-Phabricator-Webhook-Signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status().as_u16(), 200);
    assert_eq!(fake.tags(&task), vec!["sre", "sre-unowned"]);
    let missing = client
        .post(format!("http://{bound}/hooks/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    served.stop().await;
}

#[tokio::test]
async fn a_person_taking_off_a_team_tag_another_person_added_is_left_alone_too() {
    let rig = rig().await;
    let (task, xacts) = rig.fake.create_task(
        "alice",
        "Elevated 503s at the edge",
        LONG,
        &["sre", "traffic"],
        50,
    );
    rig.deliver(&task, &xacts).await;
    let removal = rig.fake.remove_tag_as("bob", &task, "traffic");
    let (status, report) = rig.deliver(&task, &removal).await;
    assert_eq!((status, rules_of(&report)), (200, vec![]), "{report}");
    assert_eq!(rig.fake.tags(&task), vec!["sre"]);
}
