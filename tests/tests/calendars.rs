//! Calendars end to end on the local stack: a person signs in through the mailed link, issues a feed
//! on the *Calendars* page, and the feed is parsed by an independent strict iCalendar parser (PyPI
//! `icalendar`, tests/stack/ical_check.py): committed weeks CONFIRMED, planned ones TENTATIVE, UIDs on
//! the deployment's mail domain, the chosen VALARM. And every refusal — a revoked, a forged and an
//! unknown token, another person's revoke, a POST without its CSRF token — with nothing written.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;

use clinic::adapters::dynamo::DynamoStore;
use clinic::audit::AuditEntry;
use clinic::calendars::Calendars;
use clinic::functions::http::Routes;
use clinic::functions::web::WebPages;
use clinic::http_url::HttpUrl;
use clinic::mail::{EmailAddress, MailDomain, Mailbox};
use clinic::rotation::ports::RosterMirror;
use clinic::rotation::roster::Roster;
use clinic::shifts::{ShiftLedger, ShiftRecord};
use clinic::signin::SignIn;
use clinic::signin::token::SigningKey;
use clinic_tests::web_browser::{Browser, csrf};
use clinic_tests::{fresh_store, repo_root, sdk_config, table_items, verified_sender};

/// Friday 2027-01-15 08:00 UTC, in 2027-W02.
const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;
const SENDER: &str = "clinic-feeds@example.net";
const KEY: &str = "calendar-tests-signing-key-0123456789ab";
const BASE: &str = "https://clinic.example.org";
const MAIL_DOMAIN: &str = "mail.clinic-feeds.example";

fn at(epoch: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(epoch).unwrap()
}

fn roster(domain: &str) -> Roster {
    let text = std::fs::read_to_string(repo_root().join("events/roster.toml")).unwrap();
    Roster::parse(&text.replace("@example.net", &format!("@{domain}"))).unwrap()
}

fn shift(week: &str, primary: &str, backup: Option<&str>, start: i64) -> ShiftRecord {
    ShiftRecord {
        rotation: "sre-clinic".into(),
        week: week.into(),
        primary: Some(primary.into()),
        backup: backup.map(Into::into),
        team: None,
        start_utc: at(start),
        end_utc: at(start + 5 * DAY),
        relaxed: vec![],
        unstaffed_reason: None,
        overridden: None,
        committed_at: at(start - 3 * DAY),
        cause: "test".into(),
        victorops_overrides: Vec::new(),
    }
}

struct World {
    store: DynamoStore,
    routes: Routes,
    domain: String,
}

/// The roster mirrored, 2027-W02 and W03 committed, the pages with their calendars over the table.
async fn world(prefix: &str) -> World {
    world_with(prefix, None).await
}

async fn world_with(
    prefix: &str,
    maintenance: Option<Arc<dyn clinic::calendars::service::PublishedCalendar>>,
) -> World {
    let store = fresh_store(prefix).await;
    let domain = format!("{}.example.net", store.table().as_str().to_lowercase());
    let audit = AuditEntry::new(
        at(NOW - 30 * DAY),
        "test",
        "setup",
        "setup",
        "setup",
        "test",
    );
    let roster = roster(&domain);
    store.mirror_roster(&roster, &audit).await.unwrap();
    let monday = NOW - 4 * DAY - 8 * 3600;
    for record in [
        shift("2027-W02", "akaur", Some("bmoreau"), monday),
        shift("2027-W03", "cnakamura", None, monday + 7 * DAY),
    ] {
        store.commit_shift(&record, &audit).await.unwrap();
    }
    verified_sender(SENDER).await;
    let shared = Arc::new(store.clone());
    let signin = SignIn {
        key: SigningKey::parse(KEY).unwrap(),
        ledger: shared.clone(),
        people: shared.clone(),
        mailer: Arc::new(clinic::adapters::ses::SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk_config().await),
        )),
        nonces: Arc::new(clinic::adapters::random::OsNonces),
        sender: Mailbox::new("Clinic", EmailAddress::parse(SENDER).unwrap()),
        base_url: HttpUrl::parse(BASE).unwrap(),
    };
    let calendars = Calendars {
        tokens: shared.clone(),
        nonces: Arc::new(clinic::adapters::random::OsNonces),
        source: shared.clone(),
        shifts: shared.clone(),
        roster: Some(Arc::new(roster)),
        maintenance,
        domain: MailDomain::parse(MAIL_DOMAIN).unwrap(),
    };
    let pages = WebPages::new(signin, shared.clone(), shared).with_calendars(calendars);
    World {
        store,
        routes: Arc::new(pages).routes(),
        domain,
    }
}

impl World {
    async fn feed_items(&self) -> usize {
        table_items(&self.store)
            .await
            .iter()
            .filter(|i| i.contains("FEEDTOKEN#"))
            .count()
    }

    /// A browser signed in as `id` through the mailed link.
    async fn signed_in(&self, id: &str, client: &str) -> Browser<'_> {
        let mut browser = Browser::new(&self.routes, client).at(NOW);
        browser.sign_in(&format!("{id}@{}", self.domain), NOW).await;
        browser
    }
}

/// Issues a feed on the *Calendars* page; the path of its address, shown once.
async fn issue(browser: &mut Browser<'_>, kind: &str, alarm: &str) -> String {
    let page = browser.get("/calendars").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let issued = browser
        .post(
            "/calendars/issue",
            &[
                ("kind", kind),
                ("alarm", alarm),
                ("csrf", &csrf(&page.body)),
            ],
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let marker = format!("value=\"{BASE}/feeds/");
    let start =
        issued.body.find(&marker).expect("the feed's address") + marker.len() - "/feeds/".len();
    issued.body[start..].split('"').next().unwrap().to_owned()
}

/// The feed as the independent parser reads it (it fails the test on any strictness problem).
fn parsed(feed: &str) -> Vec<serde_json::Value> {
    let python = repo_root().join(".venv-ical/bin/python");
    assert!(
        python.exists(),
        "the feeds' parser needs {}: run `make venv` (it installs the pinned icalendar)",
        python.display()
    );
    let mut child = Command::new(&python)
        .arg(repo_root().join("tests/stack/ical_check.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(feed.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        output.status.success(),
        "the strict parser refused the feed: {report}\n{feed}"
    );
    report["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_personal_feed_issued_on_the_page_passes_a_strict_parser_with_planned_weeks_tentative() {
    let world = world("calpersonal").await;
    let mut akaur = world.signed_in("akaur", "192.0.2.10").await;
    let path = issue(&mut akaur, "personal", "30").await;
    let before = table_items(&world.store).await;
    let feed = akaur.get(&path).await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert!(feed.content_type.starts_with("text/calendar"));
    assert_eq!(
        table_items(&world.store).await,
        before,
        "fetching a feed writes nothing"
    );
    let events = parsed(&feed.body);
    let status_of = |week: &str| {
        events
            .iter()
            .find(|e| e["uid"] == format!("duty-sre-clinic-{week}@{MAIL_DOMAIN}"))
            .map(|e| e["status"].as_str().unwrap().to_owned())
    };
    // Committed: on duty in W02; W03 is cnakamura's, so not in akaur's feed.
    assert_eq!(status_of("2027-W02").as_deref(), Some("CONFIRMED"));
    assert_eq!(status_of("2027-W03"), None);
    let tentative: Vec<_> = events
        .iter()
        .filter(|e| e["status"] == "TENTATIVE")
        .collect();
    assert!(!tentative.is_empty(), "no planned week in {events:?}");
    for event in &events {
        assert!(
            event["uid"]
                .as_str()
                .unwrap()
                .ends_with(&format!("@{MAIL_DOMAIN}"))
        );
        assert_eq!(event["alarms"][0]["trigger_minutes"], -30, "{event}");
        assert!(
            event["summary"].as_str().unwrap().contains("you are"),
            "{event}"
        );
        let uid = event["uid"].as_str().unwrap();
        let week: u32 = uid[uid.find("-2027-W").unwrap() + 7..uid.find('@').unwrap()]
            .parse()
            .unwrap();
        assert!((2..=14).contains(&week), "{uid}: W02 to 12 weeks ahead");
    }
    assert!(tentative.iter().all(|e| e["sequence"] == 0));
    println!(
        "personal feed: {} events, {} tentative",
        events.len(),
        tentative.len()
    );
}

#[tokio::test]
async fn a_team_feed_holds_every_shift_and_a_revoked_one_answers_404_writing_nothing() {
    let world = world("calteam").await;
    let mut akaur = world.signed_in("akaur", "192.0.2.11").await;
    let path = issue(&mut akaur, "team:sre-clinic", "").await;
    assert_eq!(world.feed_items().await, 1);
    let events = parsed(&akaur.get(&path).await.body);
    let confirmed = events.iter().filter(|e| e["status"] == "CONFIRMED").count();
    let tentative = events.iter().filter(|e| e["status"] == "TENTATIVE").count();
    assert_eq!(confirmed, 2, "{events:?}");
    // W04 to W14: every week up to 12 ahead of W02 is planned.
    assert_eq!(tentative, 11, "{events:?}");
    assert!(
        events
            .iter()
            .all(|e| e["alarms"].as_array().unwrap().is_empty())
    );

    let hash = {
        let page = akaur.get("/calendars").await;
        let marker = "name=\"feed\" value=\"";
        let start = page.body.find(marker).unwrap() + marker.len();
        page.body[start..].split('"').next().unwrap().to_owned()
    };
    // Another person cannot revoke it: 403, nothing written.
    let mut bmoreau = world.signed_in("bmoreau", "192.0.2.12").await;
    let before = table_items(&world.store).await;
    let page = bmoreau.get("/calendars").await;
    let refused = bmoreau
        .post(
            "/calendars/revoke",
            &[("feed", &hash), ("csrf", &csrf(&page.body))],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(table_items(&world.store).await, before);
    // Nor its owner without the CSRF token.
    let no_csrf = akaur.post("/calendars/revoke", &[("feed", &hash)]).await;
    assert_eq!(no_csrf.status, 403);
    let wrong_csrf = akaur
        .post(
            "/calendars/revoke",
            &[("feed", &hash), ("csrf", &csrf(&page.body))],
        )
        .await;
    assert_eq!(
        wrong_csrf.status, 403,
        "bmoreau's CSRF token is not akaur's"
    );
    assert_eq!(table_items(&world.store).await, before);
    assert_eq!(akaur.get(&path).await.status, 200);

    let page = akaur.get("/calendars").await;
    let revoked = akaur
        .post(
            "/calendars/revoke",
            &[("feed", &hash), ("csrf", &csrf(&page.body))],
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(world.feed_items().await, 0);
    let after = table_items(&world.store).await;
    let gone = akaur.get(&path).await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        table_items(&world.store).await,
        after,
        "a revoked token's fetch writes nothing"
    );
}

#[tokio::test]
async fn forged_unknown_and_unsigned_requests_are_refused_with_nothing_written() {
    let world = world("calforged").await;
    let mut akaur = world.signed_in("akaur", "192.0.2.13").await;
    let before = table_items(&world.store).await;
    // No CSRF token: no feed issued.
    let issued = akaur
        .post("/calendars/issue", &[("kind", "personal")])
        .await;
    assert_eq!(issued.status, 403);
    // A token never issued, a malformed one, one aimed at the hash itself.
    let unknown = format!("/feeds/{}.ics", "ab".repeat(32));
    for path in [
        unknown.as_str(),
        "/feeds/abc.ics",
        "/feeds/../now",
        "/feeds/ABAB.ics",
    ] {
        let answer = akaur.get(path).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
    }
    // A bad rotation and a bad alarm are the caller's mistakes: 400.
    let page = akaur.get("/calendars").await;
    for (kind, alarm) in [("team:nope", ""), ("personal", "-1"), ("maintenance", "")] {
        let answer = akaur
            .post(
                "/calendars/issue",
                &[
                    ("kind", kind),
                    ("alarm", alarm),
                    ("csrf", &csrf(&page.body)),
                ],
            )
            .await;
        assert_eq!(answer.status, 400, "{kind} {alarm}: {}", answer.body);
    }
    // Signed out: the page sends to sign-in, a POST is refused.
    let mut stranger = Browser::new(&world.routes, "192.0.2.14").at(NOW);
    assert_eq!(stranger.get("/calendars").await.status, 303);
    assert_eq!(
        stranger
            .post("/calendars/issue", &[("kind", "personal")])
            .await
            .status,
        403
    );
    // The lookup by a stored hash as if it were a token finds nothing.
    let path = issue(&mut akaur, "personal", "").await;
    let token = path.trim_start_matches("/feeds/").trim_end_matches(".ics");
    let hash = clinic::calendars::service::token_hash(token);
    assert_eq!(akaur.get(&format!("/feeds/{hash}.ics")).await.status, 404);
    assert_eq!(world.feed_items().await, 1);
    assert_eq!(table_items(&world.store).await.len(), before.len() + 1);
}

/// The maintenance-mail function's calendar object as this test writes it (one event).
const MAINTENANCE_ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Clinic//Vendor maintenance//EN\r\n\
    BEGIN:VEVENT\r\nUID:maintenance-acme-M1@mail.clinic-feeds.example\r\nDTSTAMP:20270115T080000Z\r\n\
    DTSTART:20270120T010000Z\r\nDTEND:20270120T050000Z\r\nSUMMARY:acme: CIR-1 (outage)\r\n\
    STATUS:CONFIRMED\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[tokio::test]
async fn a_maintenance_token_serves_the_calendar_object_the_maintenance_mail_function_writes() {
    let sdk = sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = clinic_tests::unique_table("calmaint")
        .as_str()
        .to_lowercase()
        .replace('_', "-");
    let key = "feeds/3f9c1a7e5b2d4c6e8a0b/maintenance.ics";
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key(key)
        .body(MAINTENANCE_ICS.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
    let object = clinic::adapters::s3::PublishedCalendarObject {
        objects: clinic::adapters::s3::S3Objects::new(s3),
        bucket,
        key: key.to_owned(),
    };
    let world = world_with("calmaint", Some(Arc::new(object))).await;
    let mut akaur = world.signed_in("akaur", "192.0.2.15").await;
    let path = issue(&mut akaur, "maintenance", "").await;
    let before = table_items(&world.store).await;
    let feed = akaur.get(&path).await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert_eq!(feed.body, MAINTENANCE_ICS, "the object, byte for byte");
    let events = parsed(&feed.body);
    assert_eq!(events.len(), 1);
    assert!(
        events[0]["uid"]
            .as_str()
            .unwrap()
            .starts_with("maintenance-")
    );
    assert_eq!(table_items(&world.store).await, before);
    // The status token is no way in: the feed's own token is.
    assert_eq!(akaur.get("/feeds/status.ics").await.status, 404);
}
