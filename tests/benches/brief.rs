//! How long the brief takes to build against the local stack (moto server) on a table holding a year
//! of a 200-person team's data, and on a table holding only what the brief reads; and the rendering
//! alone. The table is seeded by `clinic_tests::team_year`, which the web bench shares.

use std::sync::Arc;
use std::time::Duration;

use clinic::adapters::dynamo::DynamoStore;
use clinic::brief::{build, render};
use clinic::rotation::synthetic::ROTATION;
use clinic_tests::team_year::{DAY, NOW, at, seed_history, seed_live, settings};
use clinic_tests::{RequestCounter, fresh_counted_store};
use criterion::{Criterion, criterion_group, criterion_main};

/// A fresh table whose every request is counted, and how many items the seeding wrote.
async fn seeded(live: bool) -> (DynamoStore, Arc<RequestCounter>, usize) {
    let (store, requests) = fresh_counted_store("bench-brief").await;
    let items = if live { seed_live(&store).await } else { 0 };
    requests.take();
    (store, requests, items)
}

/// Each of the brief's reads on its own, one after the other: where the time goes.
async fn each_read(store: &DynamoStore) -> String {
    use clinic::brief::{BriefSource, IncidentList};
    use clinic::triage::ports::{TaskIndex, TaskList};
    use std::time::Instant;
    let mut out = Vec::new();
    let mut time = |name: &str, started: Instant| {
        out.push(format!(
            "{name} {:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0
        ))
    };
    let week =
        clinic::rotation::IsoWeek::containing(at(NOW).to_zoned(jiff::tz::TimeZone::UTC).date());
    let t = Instant::now();
    let _ = store.rotation_names().await;
    time("rotations (GetItem)", t);
    let t = Instant::now();
    let _ = store
        .people_named(&["p0000".to_owned(), "p0001".to_owned()])
        .await;
    time("people on duty (BatchGetItem)", t);
    let t = Instant::now();
    let _ = store.shifts_between(ROTATION, week, week).await;
    time("shifts", t);
    for list in TaskList::ALL {
        let t = Instant::now();
        let _ = store.listed(list, Some(at(NOW - 14 * DAY))).await;
        time(&format!("{list:?}"), t);
    }
    let t = Instant::now();
    let _ = store
        .oldest_listed(TaskList::Open, Some(at(NOW - 14 * DAY)), 25)
        .await;
    time("Open as the brief reads it (25 oldest + a count)", t);
    for list in [IncidentList::OnStatuspage, IncidentList::InVictorOps] {
        let t = Instant::now();
        let _ = store.open_incidents(list).await;
        time(&format!("{list:?}"), t);
    }
    let t = Instant::now();
    let _ = store
        .maintenance_overlapping(at(NOW), at(NOW + 14 * DAY))
        .await;
    time("maintenance (a Query per month)", t);
    let t = Instant::now();
    let _ = store.mail_for_review().await;
    time("review", t);
    out.join(", ")
}

fn measure(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    store: &DynamoStore,
    requests: &RequestCounter,
    items: usize,
) -> clinic::brief::Brief {
    let built = runtime
        .block_on(build(store, &settings(), at(NOW)))
        .expect("a brief");
    let sent = requests.take();
    let mut kinds: Vec<String> = sent.clone();
    kinds.sort_unstable();
    kinds.dedup();
    let by_kind: Vec<String> = kinds
        .iter()
        .map(|k| format!("{} {k}", sent.iter().filter(|r| *r == k).count()))
        .collect();
    eprintln!(
        "brief on {name}: about {items} items in the table; {} DynamoDB requests per brief ({}), \
         {} tasks stale, {} incidents open",
        sent.len(),
        by_kind.join(", "),
        built.stale.total,
        built.open_incidents.total
    );
    eprintln!("  each read alone: {}", runtime.block_on(each_read(store)));
    c.bench_function(format!("build, {name}"), |b| {
        b.iter(|| {
            runtime
                .block_on(build(store, &settings(), at(NOW)))
                .expect("a brief")
        })
    });
    built
}

fn brief(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    // `make bench` runs this twice: on moto as it is, and with its Queries walking only the partition
    // they name (CLINIC_STACK_INDEXED_QUERIES=1, tests/stack/moto_stack.py --indexed-queries).
    let mut group = c.benchmark_group(if clinic_tests::indexed_queries() {
        "brief on the partition-indexed stack"
    } else {
        "brief on stock moto"
    });
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    // moto copies the whole table on every TransactWriteItems (and its memory grows with them), so
    // one table is seeded through the adapters once: measured with the brief's items alone, then
    // again once the year's history (plain batch writes) is added.
    let (store, requests, live) = runtime.block_on(seeded(true));
    let built = measure(
        &mut group,
        &runtime,
        "the live items only",
        &store,
        &requests,
        live,
    );
    group.bench_function("render text, HTML and JSON (in-process)", |b| {
        b.iter(|| {
            let text = render::text(&built, None);
            let html = render::html_page(&built, None);
            let json = serde_json::to_string(&built).expect("json");
            text.len() + html.len() + json.len()
        })
    });
    let history = runtime.block_on(seed_history(&store));
    requests.take();
    measure(
        &mut group,
        &runtime,
        "a year of data for 200 people",
        &store,
        &requests,
        live + history,
    );
    let (empty, requests, _) = runtime.block_on(seeded(false));
    measure(&mut group, &runtime, "an empty table", &empty, &requests, 0);
    group.finish();
}

criterion_group!(benches, brief);
criterion_main!(benches);
