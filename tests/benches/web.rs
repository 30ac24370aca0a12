//! How long the web pages and the calendar feeds take for a 200-person team with a year of data
//! (`clinic_tests::team_year`, the brief bench's table), on the stack with partition-indexed Queries:
//! each request through the `Routes` the Lambda and `clinic serve` dispatch to, the pages with the
//! session cookie of a person signed in through the mailed link, the feeds by their tokens and no
//! cookie. Goal: at most 200 ms each (docs/benchmarks.md, "The web pages and feeds").

use std::sync::Arc;
use std::time::Duration;

use clinic::adapters::dynamo::DynamoStore;
use clinic::calendars::Calendars;
use clinic::calendars::ports::FeedTokens;
use clinic::functions::http::Routes;
use clinic::functions::web::{Schedule, WebPages};
use clinic::http_url::HttpUrl;
use clinic::mail::{EmailAddress, MailDomain, Mailbox};
use clinic::maintenance::ports::MaintenanceLedger;
use clinic::rotation::synthetic::ROTATION;
use clinic::shifts::ShiftLedger;
use clinic::signin::SignIn;
use clinic::signin::token::SigningKey;
use clinic_tests::team_year::{self, DAY, NOW, at};
use clinic_tests::web_browser::{Answer, Browser, csrf};
use clinic_tests::{RequestCounter, fresh_counted_store, sdk_config, verified_sender};
use criterion::{Criterion, criterion_group, criterion_main};

const SENDER: &str = "clinic-bench@example.net";
const KEY: &str = "web-bench-signing-key-0123456789abcdef";
const BASE: &str = "https://clinic.example.org";
const CALENDAR_KEY: &str = "feeds/bench-0123456789abcdef/maintenance.ics";

/// The pages, each as a person opens it.
const PAGES: &[&str] = &["/now", "/ahead", "/mine", "/maintenance", "/calendars"];

/// The vendor maintenance calendar as the maintenance-mail function publishes it for this table (its
/// window: 60 days back, two years ahead), put where the web function reads it.
async fn publish_maintenance_calendar(
    store: &DynamoStore,
) -> Arc<clinic::adapters::s3::PublishedCalendarObject> {
    let records = store
        .maintenances_between(at(NOW - 60 * DAY), at(NOW + 730 * DAY))
        .await
        .expect("the maintenances");
    let options = clinic::maintenance::calendar_feed::FeedOptions {
        include_redundancy_only: false,
        uid_domain: MailDomain::parse("clinic.example.org").expect("a domain"),
        circuits: None,
    };
    let calendar = clinic::maintenance::calendar_feed::render(&records, &options, at(NOW));
    let sdk = sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = store.table().as_str().to_lowercase().replace('_', "-");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("a bucket");
    s3.put_object()
        .bucket(&bucket)
        .key(CALENDAR_KEY)
        .body(calendar.into_bytes().into())
        .send()
        .await
        .expect("the calendar object");
    Arc::new(clinic::adapters::s3::PublishedCalendarObject {
        objects: clinic::adapters::s3::S3Objects::new(s3),
        bucket,
        key: CALENDAR_KEY.to_owned(),
    })
}

/// The web function as `WebPages::from_config` builds it, over the counted table.
async fn routes(store: &DynamoStore) -> Routes {
    let shared = Arc::new(store.clone());
    verified_sender(SENDER).await;
    let signin = SignIn {
        key: SigningKey::parse(KEY).expect("a key"),
        ledger: shared.clone(),
        people: shared.clone(),
        mailer: Arc::new(clinic::adapters::ses::SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk_config().await),
        )),
        nonces: Arc::new(clinic::adapters::random::OsNonces),
        sender: Mailbox::new("Clinic", EmailAddress::parse(SENDER).expect("an address")),
        base_url: HttpUrl::parse(BASE).expect("a URL"),
    };
    let roster = Arc::new(team_year::roster());
    let calendars = Calendars {
        tokens: shared.clone(),
        nonces: Arc::new(clinic::adapters::random::OsNonces),
        source: shared.clone(),
        shifts: shared.clone(),
        roster: Some(roster.clone()),
        maintenance: Some(publish_maintenance_calendar(store).await),
        domain: MailDomain::parse("clinic.example.org").expect("a domain"),
    };
    let pages = WebPages::new(signin, shared.clone(), shared.clone())
        .with_schedule(Schedule {
            roster,
            ledger: shared,
            settings: team_year::settings(),
        })
        .with_calendars(calendars);
    Arc::new(pages).routes()
}

/// The person with the most committed shifts (on duty or backup): the longest *mine* page.
async fn busiest(store: &DynamoStore) -> String {
    let shifts = store.shifts(ROTATION).await.expect("the shifts");
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for shift in &shifts {
        for person in [&shift.primary, &shift.backup].into_iter().flatten() {
            *counts.entry(person.clone()).or_default() += 1;
        }
    }
    let (person, _) = counts
        .into_iter()
        .max_by_key(|(person, n)| (*n, std::cmp::Reverse(person.clone())))
        .expect("someone served");
    person
}

/// Issues a feed on the *Calendars* page as a person does; the path of the address it shows once.
async fn issue(browser: &mut Browser<'_>, kind: &str) -> String {
    let page = browser.get("/calendars").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let issued = browser
        .post(
            "/calendars/issue",
            &[("kind", kind), ("alarm", "30"), ("csrf", &csrf(&page.body))],
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let marker = format!("value=\"{BASE}");
    let start = issued.body.find(&marker).expect("the feed's address") + marker.len();
    issued.body[start..]
        .split('"')
        .next()
        .expect("an address")
        .to_owned()
}

/// The DynamoDB requests of one answer, by operation: `4 Query, 1 GetItem`.
fn requests_by_kind(sent: &[String]) -> String {
    let mut kinds = sent.to_vec();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
        .iter()
        .map(|k| format!("{} {k}", sent.iter().filter(|r| *r == k).count()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the pages' reads cost one by one, so a page's time can be told apart: the whole roster
/// partition against the people a page names, the rotation's shifts, the brief, the planning.
async fn each_read(store: &DynamoStore, person: &str) -> String {
    use clinic::brief::BriefSource;
    use std::time::Instant;
    let mut out = Vec::new();
    let mut time = |name: &str, started: Instant| {
        out.push(format!(
            "{name} {:.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        ))
    };
    let t = Instant::now();
    let everyone = store.people().await.expect("people");
    time(&format!("all {} people (Query)", everyone.len()), t);
    let named: Vec<String> = everyone.iter().take(12).map(|p| p.id.clone()).collect();
    let t = Instant::now();
    let _ = store.people_named(&named).await.expect("people");
    time("12 people by key (BatchGetItem)", t);
    let t = Instant::now();
    let shifts = store.shifts(ROTATION).await.expect("shifts");
    time(
        &format!("the rotation's {} shifts (Query)", shifts.len()),
        t,
    );
    let t = Instant::now();
    let _ = store.overrides(ROTATION).await.expect("overrides");
    time("its overrides (Query)", t);
    let t = Instant::now();
    let _ = clinic::brief::build(store, &team_year::settings(), at(NOW))
        .await
        .expect("a brief");
    time("the brief (13 requests, concurrently)", t);
    let roster = team_year::roster();
    let t = Instant::now();
    let _ = clinic::ahead::rotation_ahead(&roster, ROTATION, &shifts, &[], at(NOW)).expect("ahead");
    time("planning and explaining 12 weeks (no I/O)", t);
    let t = Instant::now();
    let _ = store.feeds_of(person).await.expect("feeds");
    time("the reader's feeds (Query)", t);
    out.join(", ")
}

fn measure(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    browser: &mut Browser<'_>,
    path: &str,
    requests: &RequestCounter,
) {
    requests.take();
    let answer: Answer = runtime.block_on(browser.get(path));
    assert_eq!(answer.status, 200, "{name}: {}", answer.body);
    let sent = requests.take();
    eprintln!(
        "{name}: {} DynamoDB requests ({}), {} bytes",
        sent.len(),
        requests_by_kind(&sent),
        answer.body.len()
    );
    group.bench_function(name, |b| {
        b.iter(|| {
            let answer = runtime.block_on(browser.get(path));
            assert_eq!(answer.status, 200);
            answer.body.len()
        })
    });
}

fn web(c: &mut Criterion) {
    // The goal is for DynamoDB's cost shape; on moto as it is every Query walks the whole table
    // (seconds on this one), which the brief bench shows already.
    if !clinic_tests::indexed_queries() {
        eprintln!(
            "web bench: skipped on stock moto; `make bench` runs it with CLINIC_STACK_INDEXED_QUERIES=1"
        );
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let (store, requests) = runtime.block_on(fresh_counted_store("bench-web"));
    let items = runtime.block_on(async {
        team_year::seed_live(&store).await + team_year::seed_history(&store).await
    });
    let routes = runtime.block_on(routes(&store));
    let person = runtime.block_on(busiest(&store));
    let mut reader = Browser::new(&routes, "192.0.2.10").at(NOW);
    runtime.block_on(reader.sign_in(&format!("{person}@example.org"), NOW));
    let feeds = [
        ("personal feed", "personal".to_owned()),
        ("team feed", format!("team:{ROTATION}")),
        ("maintenance feed", "maintenance".to_owned()),
    ]
    .map(|(name, kind)| (name, runtime.block_on(issue(&mut reader, &kind))));
    eprintln!(
        "web pages on a year of data for 200 people: about {} items, signed in as {person}",
        items + 3
    );
    let mut group = c.benchmark_group("web on the partition-indexed stack");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for path in PAGES {
        measure(
            &mut group,
            &runtime,
            &format!("GET {path}"),
            &mut reader,
            path,
            &requests,
        );
    }
    // A calendar client: no cookie, the token in the path.
    let mut client = Browser::new(&routes, "198.51.100.7").at(NOW);
    for (name, path) in &feeds {
        measure(&mut group, &runtime, name, &mut client, path, &requests);
    }
    group.finish();
    eprintln!(
        "  each read alone: {}",
        runtime.block_on(each_read(&store, &person))
    );
}

criterion_group!(benches, web);
criterion_main!(benches);
