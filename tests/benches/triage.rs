//! Handler time per phabricator-webhook delivery, with the Conduit fake in-process (its time is
//! measured and subtracted) and the ledger in memory counting what would be DynamoDB calls.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clinic::adapters::conduit::ConduitClient;
use clinic::functions::phabricator_webhook::PhabricatorWebhook;
use clinic::http_url::HttpUrl;
use clinic::secret::Secret;
use clinic_tests::conduit_fake::{TOKEN, webhook_body};
use clinic_tests::triage_rig::{
    Counted, HMAC_KEY, MemoryLedger, Timed, seeded_fake, shipped_rules, signed_request,
};
use criterion::{Criterion, criterion_group, criterion_main};

const LONG: &str =
    "Since 01:00 UTC about two percent of requests fail; graphs attached, details below.";

fn deliveries(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let rules = shipped_rules();
    let fake = runtime.block_on(seeded_fake(&rules));
    let conduit = ConduitClient::new(
        HttpUrl::parse(&fake.url()).expect("url"),
        Secret::new(TOKEN),
    )
    .expect("client");
    let timed = Arc::new(Timed::new(Arc::new(conduit)));
    let ledger = Arc::new(Counted::new(MemoryLedger::default()));
    let hook = PhabricatorWebhook::with_ports(
        Secret::new(HMAC_KEY),
        rules,
        timed.clone(),
        ledger.clone(),
        ledger.clone(),
        false,
    );
    let now = jiff::Timestamp::from_second(1_800_000_500).expect("a time");
    // Warm the process-wide caches (bot, projects, approvers) as a warm Lambda has them.
    let (task, xacts) = fake.create_task("alice", "Warm-up", LONG, &["sre"], 50);
    runtime.block_on(hook.handle_at(
        signed_request(&webhook_body(&task, &xacts, 1), Some(HMAC_KEY)),
        now,
    ));

    let mut report = Vec::new();
    for (name, title, repeat) in [
        (
            "new sre task: route + subscribe",
            "Elevated 503s on varnish",
            false,
        ),
        ("repeated delivery", "Elevated 503s on varnish", true),
    ] {
        let mut calls = 0usize;
        let mut deliveries = 0usize;
        let mut conduit_time = Duration::ZERO;
        let mut total_time = Duration::ZERO;
        c.bench_function(&format!("phabricator-webhook/{name}"), |b| {
            b.iter_custom(|iterations| {
                let mut own = Duration::ZERO;
                for _ in 0..iterations {
                    let (task, xacts) = fake.create_task("alice", title, LONG, &["sre"], 90);
                    let body = webhook_body(&task, &xacts, 1_800_000_400);
                    if repeat {
                        runtime
                            .block_on(hook.handle_at(signed_request(&body, Some(HMAC_KEY)), now));
                    }
                    ledger.reset();
                    timed.take();
                    let start = Instant::now();
                    let response = runtime
                        .block_on(hook.handle_at(signed_request(&body, Some(HMAC_KEY)), now));
                    let elapsed = start.elapsed();
                    assert_eq!(response.status().as_u16(), 200);
                    let in_conduit = timed.take();
                    own += elapsed.saturating_sub(in_conduit);
                    total_time += elapsed;
                    conduit_time += in_conduit;
                    calls += ledger.calls();
                    deliveries += 1;
                }
                own
            })
        });
        report.push(format!(
            "{name}: {:.2} DynamoDB calls per delivery; {:.0} µs per delivery in total of which {:.0} µs in Conduit (fake, loopback HTTP)",
            calls as f64 / deliveries.max(1) as f64,
            total_time.as_secs_f64() * 1e6 / deliveries.max(1) as f64,
            conduit_time.as_secs_f64() * 1e6 / deliveries.max(1) as f64,
        ));
    }
    for line in report {
        println!("{line}");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(4));
    targets = deliveries
}
criterion_main!(benches);
