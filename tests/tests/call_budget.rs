//! Every AWS call fails within its budget (`clinic::adapters::sdk::CallBudget`), retries included,
//! however the table behaves: against moto behind the fault proxy, a hung table fails a call and a
//! Phorge delivery in time, and an applied write whose answer was lost is retried by the SDK.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use clinic::adapters::dynamo::{DynamoStore, table};
use clinic::adapters::sdk::{AwsSettings, CallBudget};
use clinic::http_url::HttpUrl;
use clinic::triage::model::TaskPhid;
use clinic::triage::ports::TriageLedger;
use clinic_tests::conduit_fake::webhook_body;
use clinic_tests::fault_proxy::{Answer, Fault, FaultProxy, Matcher, Times, Upstream};
use clinic_tests::triage_rig::{HMAC_KEY, seeded_fake, shipped_rules, signed_request, webhook_on};
use clinic_tests::{endpoint, fresh_store, sdk_config_for};

/// Small, so that the tests run fast; the production budgets are unit-tested beside the code.
const BUDGET: CallBudget = CallBudget::new(Duration::from_millis(1200));
/// This is a bound, not a benchmark: the margin covers a loaded machine.
const MARGIN: Duration = Duration::from_millis(2500);

/// Every DynamoDB operation.
fn dynamodb() -> Matcher {
    Matcher::any().header("x-amz-target", "DynamoDB_20120810.")
}

/// A fresh table, the proxy in front of the local stack, and a store on that table whose client goes
/// through the proxy with `budget`.
async fn through_proxy(budget: CallBudget) -> (DynamoStore, DynamoStore, FaultProxy) {
    let direct = fresh_store("budget").await;
    let proxy = FaultProxy::start(endpoint()).await;
    let settings = AwsSettings {
        endpoint_url: Some(HttpUrl::parse(&proxy.url()).unwrap()),
        region: Some("us-east-1".into()),
        budget,
    };
    let client = clinic::adapters::sdk::dynamodb(&sdk_config_for(&settings).await);
    let proxied = DynamoStore::new(client, direct.table().clone());
    (direct, proxied, proxy)
}

#[tokio::test]
async fn a_call_to_a_hung_table_fails_within_its_budget_after_its_retries() {
    let (_, store, proxy) = through_proxy(BUDGET).await;
    proxy.inject(dynamodb(), Fault::Hang, Times::Every);
    let task = TaskPhid::parse("PHID-TASK-budget0000000000001").unwrap();
    let started = Instant::now();
    let failed = store.load(&task).await;
    let elapsed = started.elapsed();
    assert!(failed.is_err(), "{failed:?}");
    assert!(elapsed < BUDGET.total() + MARGIN, "{elapsed:?}");
    let log = proxy.log();
    assert_eq!(log.len(), CallBudget::ATTEMPTS as usize, "{log:?}");
    assert!(log.iter().all(|e| e.operation() == Some("GetItem")));
    assert!(log.iter().all(|e| e.upstream == Upstream::NotSent));
}

#[tokio::test]
async fn a_delivery_while_the_table_hangs_answers_503_within_the_budget_and_edits_nothing() {
    let (_, store, proxy) = through_proxy(BUDGET).await;
    let rules = shipped_rules();
    let fake = seeded_fake(&rules).await;
    let hook = webhook_on(&fake, rules, Arc::new(store));
    let now = 1_800_000_500;
    let (task, xacts) = fake.create_task(
        "alice",
        "Elevated 503s from the text cluster",
        "Since 01:00 UTC about two percent of requests fail; the graphs show it clearly.",
        &["sre"],
        90,
    );
    proxy.inject(dynamodb(), Fault::Hang, Times::Every);
    let body = webhook_body(&task, &xacts, now);
    let started = Instant::now();
    let response = hook
        .handle_at(
            signed_request(&body, Some(HMAC_KEY)),
            jiff::Timestamp::from_second(now).unwrap(),
        )
        .await;
    let elapsed = started.elapsed();
    assert_eq!(
        response.status().as_u16(),
        503,
        "retryable: Phorge tries again"
    );
    assert!(elapsed < BUDGET.total() + MARGIN, "{elapsed:?}");
    assert!(fake.calls_of("maniphest.edit").is_empty());
}

#[tokio::test]
async fn a_table_that_hangs_after_the_claim_costs_a_delivery_two_budgets_the_call_and_the_release()
{
    // Why `CallBudget::WEBHOOK` is half of what Phorge allows: the delivery gives its lease back
    // after the call that failed, and that call meets the same hung table.
    let (_, store, proxy) = through_proxy(BUDGET).await;
    let rules = shipped_rules();
    let fake = seeded_fake(&rules).await;
    let hook = webhook_on(&fake, rules, Arc::new(store));
    let now = 1_800_000_500;
    let (task, xacts) = fake.create_task(
        "alice",
        "Elevated 503s from the text cluster",
        "Since 01:00 UTC about two percent of requests fail; the graphs show it clearly.",
        &["sre"],
        90,
    );
    // The claim (the first UpdateItem) goes through untouched; everything after it hangs.
    proxy.inject(
        Matcher::aws_target("UpdateItem"),
        Fault::Late(Duration::ZERO),
        Times::Next(1),
    );
    proxy.inject(dynamodb(), Fault::Hang, Times::Every);
    let body = webhook_body(&task, &xacts, now);
    let started = Instant::now();
    let response = hook
        .handle_at(
            signed_request(&body, Some(HMAC_KEY)),
            jiff::Timestamp::from_second(now).unwrap(),
        )
        .await;
    let elapsed = started.elapsed();
    assert_eq!(response.status().as_u16(), 503);
    assert!(elapsed < BUDGET.total() * 2 + MARGIN, "{elapsed:?}");
    let log = proxy.log();
    assert!(log[0].applied(), "the claim: {log:?}");
    let last = log.last().and_then(|e| e.operation());
    assert_eq!(last, Some("UpdateItem"), "the release, hung: {log:?}");
    assert!(fake.calls_of("maniphest.edit").is_empty());
}

fn item(key: &str) -> std::collections::HashMap<String, AttributeValue> {
    let definition = table::definition();
    [
        (definition.hash_key, key),
        (definition.range_key, "lost-answer"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), AttributeValue::S(value.to_owned())))
    .collect()
}

#[tokio::test]
async fn a_put_whose_answer_is_lost_is_applied_and_the_sdks_retry_succeeds_again() {
    let (direct, store, proxy) = through_proxy(CallBudget::WEBHOOK).await;
    proxy.inject(
        Matcher::aws_target("PutItem"),
        Fault::LoseAnswer,
        Times::Next(1),
    );
    let put = store
        .client()
        .put_item()
        .table_name(store.table().as_str())
        .set_item(Some(item("plain")))
        .send()
        .await;
    assert!(put.is_ok(), "the retry's success: {put:?}");
    let log = proxy.log();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0].applied() && log[0].answer == Answer::Dropped);
    assert!(log[1].applied() && log[1].answer == Answer::Status(200));
    let stored = direct
        .client()
        .get_item()
        .table_name(direct.table().as_str())
        .set_key(Some(item("plain")))
        .send()
        .await
        .unwrap();
    assert!(stored.item().is_some());
}

#[tokio::test]
async fn a_conditional_put_whose_answer_is_lost_is_refused_on_retry_by_its_own_write() {
    // What the claim protocol must handle: the write happened, and the caller is told it did not.
    let (_, store, proxy) = through_proxy(CallBudget::WEBHOOK).await;
    proxy.inject(
        Matcher::aws_target("PutItem"),
        Fault::LoseAnswer,
        Times::Next(1),
    );
    let put = store
        .client()
        .put_item()
        .table_name(store.table().as_str())
        .set_item(Some(item("conditional")))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", table::definition().hash_key)
        .send()
        .await;
    let refused = put.expect_err("the retry meets the first attempt's item");
    assert!(
        refused
            .as_service_error()
            .is_some_and(|e| e.is_conditional_check_failed_exception()),
        "{refused:?}"
    );
    let log = proxy.log();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0].applied() && log[0].answer == Answer::Dropped);
    assert_eq!(log[1].upstream, Upstream::Answered(400));
}
